/*
** Unit tests of what is SQLite's own in the store's outbox (the backend's
** events.c): nothing left by a write rolled back after its event, and the
** plans of the events feed's statements. The outbox's contract (events,
** endpoints, deliveries, the order rule, result records, replay,
** notifications) is tested on both backends by test_store_outbox.c.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "payout/store/events.h"
#include "store/sqlite/outbox.h"
#include "support/store_fixture.h"

static const struct pp_actor system_actor = {.kind = PP_ACTOR_SYSTEM};

static struct store_write_ctx ctx_at(int64_t now_ms)
{
    struct store_write_ctx w = {.actor = &system_actor, .now_ms = now_ms, .idem = NULL};
    return w;
}

struct collected {
    struct pp_event e[16];
    size_t n;
};

static int collect_event(void *ctx, const struct pp_event *e)
{
    struct collected *c = ctx;
    if (c->n < 16) {
        c->e[c->n++] = *e;
    }
    return 0;
}

static size_t events_read(struct store *st, struct collected *c)
{
    struct pp_event_filter f = {.limit = 100};
    struct pp_err err = {0};
    memset(c, 0, sizeof *c);
    assert_int_equal(store_events_page(st, &f, collect_event, c, &err), PP_OK);
    return c->n;
}

static enum pp_status funds(struct store *st, const char *cur, enum pp_ledger_kind kind,
                            int64_t amount)
{
    struct store_write_ctx w = ctx_at(5000);
    struct pp_movement m = movement(cur, kind, amount, 0);
    struct pp_err err = {0};
    return store_funds_move(st, &w, &m,
                            kind == PP_LEDGER_DEPOSIT ? "funds.deposit" : "funds.withdraw", NULL,
                            NULL, &err);
}

/* Appends a funds event and then refuses: the writer must undo it. */
static enum pp_status cb_event_then_refuse(struct store_sqlite_tx *tx, void *arg,
                                           struct pp_err *err)
{
    (void)arg;
    struct pp_balance after = {.currency = "EUR", .available = 1};
    enum pp_status s =
        store_sqlite_event_funds(tx, PP_EVENT_FUNDS_DEPOSITED, "EUR", 1, NULL, &after, 6000, err);
    return s == PP_OK ? pp_err_set(err, PP_CONFLICT, "refused after writing") : s;
}

static void test_rolled_back_write_leaves_no_event(void **state)
{
    struct fx *fx = *state;
    struct collected c;
    struct pp_err err = {0};
    assert_int_equal(funds(fx->st, "EUR", PP_LEDGER_DEPOSIT, 10), PP_OK);
    assert_int_equal(fx_write(fx->st, cb_event_then_refuse, NULL, &err), PP_CONFLICT);
    assert_int_equal(events_read(fx->st, &c), 1);
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM events"), 1);
}

/* A payout's events come from events_payout and a type's from events_type
** in id order, a replay's from the id range or events_created: none walks
** the whole feed. */
static void test_feed_plans(void **state)
{
    struct fx *fx = *state;
    char plan[1024];
    enum store_stmt slot;
    struct pp_event_filter by_payout = {
        .payout_id = 7, .has_type = 1, .type = PP_EVENT_PAYOUT_CREATED};
    raw_plan(fx->path, store_sqlite_events_page_sql(&by_payout, &slot), plan, sizeof plan);
    assert_int_equal(slot, STORE_STMT_EV_PAGE_PAYOUT);
    if (strstr(plan, "SEARCH e USING INDEX events_payout (payout_id=?)") == NULL) {
        fail_msg("a payout's events: plan %s", plan);
    }
    struct pp_event_filter by_type = {.has_type = 1, .type = PP_EVENT_PAYOUT_RECEIVED};
    raw_plan(fx->path, store_sqlite_events_page_sql(&by_type, &slot), plan, sizeof plan);
    assert_int_equal(slot, STORE_STMT_EV_PAGE_TYPE);
    if (strstr(plan, "SEARCH e USING INDEX events_type (type=? AND rowid>?)") == NULL ||
        strstr(plan, "ORDER BY") != NULL) {
        fail_msg("a type's events: plan %s", plan);
    }
    /* A replay (inside the writer's transaction) after an event reads the
    ** id range, within a window events_created: for its count and its
    ** insert alike. */
    for (int count = 0; count <= 1; count++) {
        raw_plan(fx->path, store_sqlite_webhook_replay_sql(1, count, &slot), plan, sizeof plan);
        assert_int_equal(slot, count ? STORE_STMT_WH_REPLAY_COUNT_AFTER
                                     : STORE_STMT_WH_REPLAY_INSERT_AFTER);
        if (strstr(plan, "SEARCH events USING INTEGER PRIMARY KEY (rowid>?)") == NULL) {
            fail_msg("a replay after an event (count %d): plan %s", count, plan);
        }
        raw_plan(fx->path, store_sqlite_webhook_replay_sql(0, count, &slot), plan, sizeof plan);
        assert_int_equal(slot, count ? STORE_STMT_WH_REPLAY_COUNT : STORE_STMT_WH_REPLAY_INSERT);
        if (strstr(plan,
                   "SEARCH events USING INDEX events_created (created_ms>? AND created_ms<?)") ==
            NULL) {
            fail_msg("a replay of a window (count %d): plan %s", count, plan);
        }
    }
    struct pp_event_filter all = {.has_from = 1, .from_ms = 1};
    raw_plan(fx->path, store_sqlite_events_page_sql(&all, &slot), plan, sizeof plan);
    assert_int_equal(slot, STORE_STMT_EV_PAGE);
    if (strstr(plan, "SEARCH e USING INTEGER PRIMARY KEY (rowid>?)") == NULL) {
        fail_msg("the whole feed: plan %s", plan);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rolled_back_write_leaves_no_event, setup, teardown),
        cmocka_unit_test_setup_teardown(test_feed_plans, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
