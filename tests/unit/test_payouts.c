/*
** This module tests the SQLite store's payouts table (src/store/sqlite/payouts.c): inserting
** payouts and moving them through their statuses, and the writes it refuses.
*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "payout/sec/secrets.h"
#include "payout/store/store.h"
#include "store/sqlite/internal.h"
#include "store/sqlite/migrations.h"
#include "support/store_fixture.h"
#include "support/tmpdir.h"

/* --- Payouts -------------------------------------------------------------------- */

struct project_arg {
    const char *name;
    int64_t id;
};

static enum pp_status cb_project(struct store_sqlite_tx *tx, void *arg, struct pp_err *err)
{
    struct project_arg *a = arg;
    return store_sqlite_tx_project_ensure(tx, a->name, 1000, &a->id, err);
}

struct status_arg {
    int64_t id;
    enum pp_payout_status to;
};

static enum pp_status cb_set_status(struct store_sqlite_tx *tx, void *arg, struct pp_err *err)
{
    struct status_arg *a = arg;
    return store_sqlite_tx_payout_set_status(tx, a->id, a->to, 5000, NULL, 0, err);
}

struct payout_arg {
    struct pp_payout p;
};

static enum pp_status cb_payout_insert(struct store_sqlite_tx *tx, void *arg, struct pp_err *err)
{
    struct payout_arg *a = arg;
    /* Each insert is a new payout: a fresh uuid, whatever was copied. */
    enum pp_status s = sec_uuid_v7(1767225600000, a->p.uuid, err);
    if (s != PP_OK) {
        return s;
    }
    return store_sqlite_tx_payout_insert(tx, &a->p, err);
}

static void test_payouts(void **state)
{
    struct fx *fx = *state;
    struct pp_err err;
    pp_err_clear(&err);
    struct project_arg p1 = {.name = "Alpha"}, p2 = {.name = "Alpha"}, p3 = {.name = "alpha"};
    assert_int_equal(fx_write(fx->st, cb_project, &p1, &err), PP_OK);
    assert_int_equal(fx_write(fx->st, cb_project, &p2, &err), PP_OK);
    assert_int_equal(fx_write(fx->st, cb_project, &p3, &err), PP_OK);
    assert_int_equal(p1.id, p2.id);
    assert_int_not_equal(p1.id, p3.id);
    struct project_arg empty = {.name = ""};
    assert_int_equal(fx_write(fx->st, cb_project, &empty, &err), PP_INVALID_PARAMS);

    assert_int_equal(move(fx->st, "GBP", PP_LEDGER_DEPOSIT, 10000, 0, NULL, &err), PP_OK);
    int64_t id = 0;
    assert_int_equal(create_payout(fx->st, "GBP", 1234, &id, &err), PP_OK);
    assert_true(id > 0);

    struct pp_payout p;
    pp_err_clear(&err);
    assert_int_equal(store_payout_get(fx->st, id, &p, &err), PP_OK);
    assert_int_equal(p.id, id);
    assert_string_equal(p.currency, "GBP");
    assert_int_equal(p.amount_minor, 1234);
    assert_int_equal(p.start_ms, 1000);
    assert_int_equal(p.end_ms, 2000);
    assert_string_equal(p.description, "test payout");
    assert_int_equal(p.status, PP_PAYOUT_READY);
    assert_int_equal(p.notification, 0);

    struct status_arg sa = {.id = id, .to = PP_PAYOUT_RECEIVED};
    assert_int_equal(fx_write(fx->st, cb_set_status, &sa, &err), PP_OK);
    assert_int_equal(store_payout_get(fx->st, id, &p, &err), PP_OK);
    assert_int_equal(p.status, PP_PAYOUT_RECEIVED);
    assert_int_equal(p.updated_ms, 5000);
    /* Final is final, whatever the caller thought it checked. */
    sa.to = PP_PAYOUT_READY;
    assert_int_equal(fx_write(fx->st, cb_set_status, &sa, &err), PP_INTERNAL);
    pp_err_clear(&err);
    assert_int_equal(store_payout_get(fx->st, id, &p, &err), PP_OK);
    assert_int_equal(p.status, PP_PAYOUT_RECEIVED);

    sa.id = 424242;
    pp_err_clear(&err);
    assert_int_equal(fx_write(fx->st, cb_set_status, &sa, &err), PP_NOT_FOUND);
    pp_err_clear(&err);
    assert_int_equal(store_payout_get(fx->st, 424242, &p, &err), PP_NOT_FOUND);
    assert_int_equal(err.status, PP_NOT_FOUND);
    assert_int_equal(p.id, 0);
    pp_err_clear(&err);
    assert_int_equal(store_payout_get(fx->st, id, &p, &err), PP_OK);
}

static void test_payouts_refused(void **state)
{
    struct fx *fx = *state;
    struct pp_err err;
    int64_t id = 0;
    assert_int_equal(move(fx->st, "GBP", PP_LEDGER_DEPOSIT, 10000, 0, NULL, &err), PP_OK);
    assert_int_equal(create_payout(fx->st, "GBP", 1234, &id, &err), PP_OK);
    struct pp_payout p;
    assert_int_equal(store_payout_get(fx->st, id, &p, &err), PP_OK);

    /* A bad currency, an unknown project, a window ending before it starts:
    ** refused, nothing written. */
    int64_t before = raw_int(fx->path, "SELECT count(*) FROM payouts");
    struct create_arg bad = {
        .project = "Alpha", .user_name = "bob", .currency = "gbp", .amount = 5};
    pp_err_clear(&err);
    assert_int_equal(fx_write(fx->st, cb_create, &bad, &err), PP_INVALID_PARAMS);
    struct payout_arg raw = {.p = p};
    raw.p.project_id = 999999;
    pp_err_clear(&err);
    assert_int_equal(fx_write(fx->st, cb_payout_insert, &raw, &err), PP_INVALID_PARAMS);
    assert_string_equal(err.message, "unknown project or recipient");
    raw.p = p;
    raw.p.status = PP_PAYOUT_READY;
    raw.p.end_ms = raw.p.start_ms;
    pp_err_clear(&err);
    assert_int_equal(fx_write(fx->st, cb_payout_insert, &raw, &err), PP_INVALID_PARAMS);
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM payouts"), before);
    raw.p = p;
    raw.p.notification = 1;
    assert_int_equal(fx_write(fx->st, cb_payout_insert, &raw, &err), PP_OK);
    assert_int_not_equal(raw.p.id, p.id);
    assert_int_equal(store_payout_get(fx->st, raw.p.id, &p, &err), PP_OK);
    assert_int_equal(p.notification, 1);
    char msg[256];
    assert_int_not_equal(raw_exec(fx->path, "DELETE FROM payouts", msg, sizeof msg), SQLITE_OK);
    assert_non_null(strstr(msg, "never deleted"));
    assert_int_not_equal(raw_exec(fx->path, "UPDATE payouts SET amount_minor = 1", msg, sizeof msg),
                         SQLITE_OK);
    assert_non_null(strstr(msg, "immutable"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_payouts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_payouts_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
