/*
** Unit tests of the SQLite store's audit log reads (store/sqlite/audit.c):
** a page and its total filtered by action read audit_action in id order
** (the plan, on the real schema), and every filter gives the same entries
** in either shape of the SQL.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "payout/store/audit.h"
#include "support/store_fixture.h"

static enum pp_status cb_audit(struct store_sqlite_tx *tx, void *arg, struct pp_err *err)
{
    const struct pp_audit *a = arg;
    return store_sqlite_tx_audit_append(tx, a, err);
}

static void append(struct store *st, const char *action, int64_t at_ms, enum pp_actor_kind kind)
{
    struct pp_actor actor = {.kind = kind, .admin_id = kind == PP_ACTOR_ADMIN ? 1 : 0};
    char subject[32];
    snprintf(subject, sizeof subject, "payout:%lld", (long long)at_ms);
    struct pp_audit a = {
        .actor = &actor, .action = action, .subject = subject, .detail = "", .at_ms = at_ms};
    struct pp_err err = {0};
    assert_int_equal(fx_write(st, cb_audit, &a, &err), PP_OK);
}

/* The page and total of f: returns the total, the ids newest first in ids. */
static int64_t page(struct store *st, struct pp_audit_filter f, int64_t *ids, size_t *n)
{
    struct pp_audit_entry out[PP_AUDIT_PAGE_SIZE_MAX];
    struct pp_err err = {0};
    int64_t total = -1;
    if (f.limit == 0) {
        f.limit = 50;
    }
    assert_int_equal(store_audit_list(st, &f, out, PP_AUDIT_PAGE_SIZE_MAX, n, &total, &err), PP_OK);
    for (size_t i = 0; i < *n; i++) {
        ids[i] = out[i].id;
        if (f.action != NULL) {
            assert_string_equal(out[i].action, f.action);
        }
    }
    return total;
}

static void test_filters(void **state)
{
    struct fx *fx = *state;
    for (int i = 0; i < 12; i++) {
        append(fx->st, i % 3 == 0 ? "payment.cancel" : "payment.create", 1000 + i,
               i % 2 == 0 ? PP_ACTOR_ADMIN : PP_ACTOR_INTEGRATOR);
    }
    int64_t ids[PP_AUDIT_PAGE_SIZE_MAX];
    size_t n = 0;
    assert_int_equal(page(fx->st, (struct pp_audit_filter){0}, ids, &n), 12);
    assert_int_equal(n, 12);
    assert_true(ids[0] > ids[11]);

    assert_int_equal(page(fx->st, (struct pp_audit_filter){.action = "payment.cancel"}, ids, &n),
                     4);
    assert_int_equal(n, 4);
    assert_true(ids[0] > ids[1] && ids[1] > ids[2] && ids[2] > ids[3]);
    int64_t newest_cancel = ids[0];
    /* Paged: the second page of two starts where the first ended. */
    assert_int_equal(
        page(fx->st, (struct pp_audit_filter){.action = "payment.cancel", .limit = 2, .offset = 2},
             ids, &n),
        4);
    assert_int_equal(n, 2);
    assert_true(ids[0] < newest_cancel);
    /* The action with the other filters: cancels by an admin (i = 0, 6),
    ** and within a window (i = 3, 6, 9 at 1003..1009). */
    assert_int_equal(page(fx->st,
                          (struct pp_audit_filter){.action = "payment.cancel",
                                                   .has_actor_kind = 1,
                                                   .actor_kind = PP_ACTOR_ADMIN},
                          ids, &n),
                     2);
    assert_int_equal(page(fx->st,
                          (struct pp_audit_filter){.action = "payment.cancel",
                                                   .has_from = 1,
                                                   .from_ms = 1003,
                                                   .has_to = 1,
                                                   .to_ms = 1009},
                          ids, &n),
                     3);
    assert_int_equal(page(fx->st, (struct pp_audit_filter){.action = "payment.none"}, ids, &n), 0);
    assert_int_equal(n, 0);
}

/* With an action, the page and its total read audit_action; without one,
** the page walks the log newest first. */
static void test_plans(void **state)
{
    struct fx *fx = *state;
    char plan[1024];
    enum store_stmt slot;
    struct pp_audit_filter by_action = {.action = "payment.create"};
    raw_plan(fx->path, store_sqlite_audit_sql(&by_action, 0, &slot), plan, sizeof plan);
    assert_int_equal(slot, STORE_STMT_AUDIT_LIST_ACTION);
    if (strstr(plan, "SEARCH audit USING INDEX audit_action (action=?)") == NULL ||
        strstr(plan, "ORDER BY") != NULL) {
        fail_msg("a page of one action: plan %s", plan);
    }
    raw_plan(fx->path, store_sqlite_audit_sql(&by_action, 1, &slot), plan, sizeof plan);
    assert_int_equal(slot, STORE_STMT_AUDIT_COUNT_ACTION);
    if (strstr(plan, "SEARCH audit USING") == NULL || strstr(plan, "(action=?)") == NULL) {
        fail_msg("the total of one action: plan %s", plan);
    }
    struct pp_audit_filter all = {0};
    raw_plan(fx->path, store_sqlite_audit_sql(&all, 0, &slot), plan, sizeof plan);
    assert_int_equal(slot, STORE_STMT_AUDIT_LIST);
    if (strstr(plan, "SCAN audit") == NULL || strstr(plan, "ORDER BY") != NULL) {
        fail_msg("the whole log: plan %s", plan);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plans, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
