/*
** Unit tests of the SQLite store's outbox (payout/store/events.h, the
** backend's events.c, webhooks.c and deliveries.c): funds events and their
** per-currency sequence written by the funds operation, nothing left by a
** refused or rolled-back write, the order rule of the due list, and the
** result records that reschedule, deliver, give up and disable.
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

static void test_funds_events(void **state)
{
    struct fx *fx = *state;
    struct collected c;
    assert_int_equal(funds(fx->st, "EUR", PP_LEDGER_DEPOSIT, 500), PP_OK);
    assert_int_equal(funds(fx->st, "EUR", PP_LEDGER_WITHDRAW, 200), PP_OK);
    assert_int_equal(funds(fx->st, "GBP", PP_LEDGER_DEPOSIT, 7), PP_OK);
    /* Refused: more than is available; no event. */
    assert_int_equal(funds(fx->st, "EUR", PP_LEDGER_WITHDRAW, 301), PP_INSUFFICIENT_FUNDS);
    assert_int_equal(events_read(fx->st, &c), 3);
    assert_int_equal(c.e[0].type, PP_EVENT_FUNDS_DEPOSITED);
    assert_int_equal(c.e[0].sequence, 1);
    assert_int_equal(c.e[0].amount_minor, 500);
    assert_int_equal(c.e[0].balance.available, 500);
    assert_int_equal(c.e[1].type, PP_EVENT_FUNDS_WITHDRAWN);
    assert_int_equal(c.e[1].sequence, 2);
    assert_int_equal(c.e[1].balance.available, 300);
    assert_string_equal(c.e[2].balance.currency, "GBP");
    assert_int_equal(c.e[2].sequence, 1);
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

struct payout_event_arg {
    int64_t id;
    enum pp_event_type type;
    enum pp_payout_status status;
};

static enum pp_status cb_payout_event(struct store_sqlite_tx *tx, void *arg, struct pp_err *err)
{
    struct payout_event_arg *a = arg;
    struct pp_payout p;
    memset(&p, 0, sizeof p);
    p.id = a->id;
    p.status = a->status;
    memcpy(p.currency, "EUR", 4);
    return store_sqlite_event_payout(tx, a->type, &p, 7000, err);
}

static void payout_event(struct store *st, int64_t id, enum pp_event_type type,
                         enum pp_payout_status status)
{
    struct payout_event_arg a = {.id = id, .type = type, .status = status};
    struct pp_err err = {0};
    assert_int_equal(fx_write(st, cb_payout_event, &a, &err), PP_OK);
}

static struct pp_webhook webhook_new(struct store *st)
{
    struct store_write_ctx w = ctx_at(1000);
    struct store_webhook_create in = {
        .url = "https://example.invalid/", .description = "", .secret_sealed = "v1.sealed"};
    struct pp_webhook h;
    struct pp_err err = {0};
    assert_int_equal(store_webhook_create(st, &w, &in, &h, &err), PP_OK);
    return h;
}

static size_t due(struct store *st, int64_t now_ms, struct pp_webhook_due *out)
{
    size_t n = 0;
    int64_t next = 0;
    struct pp_err err = {0};
    assert_int_equal(store_webhook_due_list(st, now_ms, NULL, 0, out, 8, &n, &next, &err), PP_OK);
    return n;
}

static void record(struct store *st, const struct pp_webhook_due *d, enum pp_webhook_outcome o,
                   int64_t at_ms, int64_t next_ms, int http_status)
{
    struct store_write_ctx w = ctx_at(at_ms);
    struct pp_webhook_result r = {.delivery_id = d->delivery_id,
                                  .endpoint_id = d->endpoint_id,
                                  .event_id = d->event_id,
                                  .outcome = o,
                                  .at_ms = at_ms,
                                  .next_ms = next_ms,
                                  .http_status = http_status};
    struct pp_err err = {0};
    assert_int_equal(store_webhook_results_record(st, &w, &r, 1, &err), PP_OK);
}

static void test_order_rule(void **state)
{
    struct fx *fx = *state;
    struct pp_err err = {0};
    struct pp_webhook_due d[8];
    int64_t a = 0, b = 0;
    assert_int_equal(move(fx->st, "EUR", PP_LEDGER_DEPOSIT, 100, 0, NULL, &err), PP_OK);
    assert_int_equal(create_payout(fx->st, "EUR", 1, &a, &err), PP_OK);
    assert_int_equal(create_payout(fx->st, "EUR", 1, &b, &err), PP_OK);
    webhook_new(fx->st);
    payout_event(fx->st, a, PP_EVENT_PAYOUT_CREATED, PP_PAYOUT_READY);
    payout_event(fx->st, a, PP_EVENT_PAYOUT_CANCELLED, PP_PAYOUT_CANCELLED);
    payout_event(fx->st, b, PP_EVENT_PAYOUT_CREATED, PP_PAYOUT_READY);
    /* A's second event waits for its first; B's flows. */
    assert_int_equal(due(fx->st, 7000, d), 2);
    struct pp_webhook_due a1 = d[0], b1 = d[1];
    record(fx->st, &a1, PP_WEBHOOK_RETRY, 7100, 9000, 500);
    record(fx->st, &b1, PP_WEBHOOK_DELIVERED, 7100, 0, 200);
    assert_int_equal(due(fx->st, 8000, d), 0);
    assert_int_equal(due(fx->st, 9000, d), 1);
    assert_int_equal(d[0].delivery_id, a1.delivery_id);
    assert_int_equal(d[0].attempts, 1);
    /* Given up: the next event of the payout is free to go. */
    record(fx->st, &d[0], PP_WEBHOOK_GIVEN_UP, 9000, 0, 500);
    assert_int_equal(due(fx->st, 9000, d), 1);
    assert_true(d[0].event_id > a1.event_id);
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM webhook_attempts"), 3);
}

static void test_disable_rules(void **state)
{
    struct fx *fx = *state;
    struct pp_webhook_due d[8];
    struct pp_webhook h;
    struct pp_err err = {0};
    struct pp_webhook gone = webhook_new(fx->st);
    assert_int_equal(funds(fx->st, "EUR", PP_LEDGER_DEPOSIT, 10), PP_OK);
    assert_int_equal(due(fx->st, 6000, d), 1);
    record(fx->st, &d[0], PP_WEBHOOK_GONE, 6000, 0, 410);
    assert_int_equal(store_webhook_get(fx->st, gone.id, &h, &err), PP_OK);
    assert_false(h.enabled);
    assert_non_null(strstr(h.disabled_reason, "410"));
    /* Five days of failures disable the next one. */
    struct pp_webhook slow = webhook_new(fx->st);
    assert_int_equal(funds(fx->st, "EUR", PP_LEDGER_DEPOSIT, 10), PP_OK);
    assert_int_equal(due(fx->st, 6000, d), 1);
    record(fx->st, &d[0], PP_WEBHOOK_RETRY, 6000, 7000, 500);
    assert_int_equal(due(fx->st, 7000, d), 1);
    record(fx->st, &d[0], PP_WEBHOOK_RETRY, 6000 + PP_WEBHOOK_DISABLE_AFTER_MS - 1, 8000, 500);
    assert_int_equal(store_webhook_get(fx->st, slow.id, &h, &err), PP_OK);
    assert_true(h.enabled);
    assert_int_equal(due(fx->st, 8000, d), 1);
    record(fx->st, &d[0], PP_WEBHOOK_RETRY, 6000 + PP_WEBHOOK_DISABLE_AFTER_MS, 9000, 500);
    assert_int_equal(store_webhook_get(fx->st, slow.id, &h, &err), PP_OK);
    assert_false(h.enabled);
    assert_non_null(strstr(h.disabled_reason, "5 days"));
    /* Disabled: its pending delivery is not due. */
    assert_int_equal(due(fx->st, 10000, d), 0);
    assert_int_equal(
        raw_int(fx->path, "SELECT count(*) FROM audit WHERE action = 'webhook.disable'"), 2);
}

/* Reads the feed through f into c; returns how many events came. */
static size_t feed(struct store *st, struct pp_event_filter f, struct collected *c)
{
    struct pp_err err = {0};
    memset(c, 0, sizeof *c);
    if (f.limit == 0) {
        f.limit = 100;
    }
    assert_int_equal(store_events_page(st, &f, collect_event, c, &err), PP_OK);
    return c->n;
}

/* Each filter of the feed, alone and together, in each shape of its SQL:
** by a payout, by a type, by id. */
static void test_feed_filters(void **state)
{
    struct fx *fx = *state;
    struct collected c;
    struct pp_err err = {0};
    int64_t id[3];
    assert_int_equal(funds(fx->st, "EUR", PP_LEDGER_DEPOSIT, 1000), PP_OK);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(create_payout(fx->st, "EUR", 10, &id[i], &err), PP_OK);
        payout_event(fx->st, id[i], PP_EVENT_PAYOUT_CREATED, PP_PAYOUT_READY);
    }
    assert_int_equal(funds(fx->st, "EUR", PP_LEDGER_DEPOSIT, 5), PP_OK);
    payout_event(fx->st, id[1], PP_EVENT_PAYOUT_CANCELLED, PP_PAYOUT_CANCELLED);
    /* The feed: deposit, 3 creations, deposit, cancellation. */
    assert_int_equal(feed(fx->st, (struct pp_event_filter){0}, &c), 6);

    assert_int_equal(feed(fx->st, (struct pp_event_filter){.payout_id = id[1]}, &c), 2);
    assert_int_equal(c.e[0].type, PP_EVENT_PAYOUT_CREATED);
    assert_int_equal(c.e[1].type, PP_EVENT_PAYOUT_CANCELLED);
    assert_int_equal(c.e[1].sequence, 2);
    assert_true(c.e[0].id < c.e[1].id);
    int64_t first = c.e[0].id;
    assert_int_equal(
        feed(fx->st, (struct pp_event_filter){.payout_id = id[1], .after_id = first}, &c), 1);
    assert_int_equal(c.e[0].type, PP_EVENT_PAYOUT_CANCELLED);
    assert_int_equal(feed(fx->st,
                          (struct pp_event_filter){
                              .payout_id = id[1], .has_type = 1, .type = PP_EVENT_PAYOUT_CANCELLED},
                          &c),
                     1);
    assert_int_equal(feed(fx->st, (struct pp_event_filter){.payout_id = id[1], .limit = 1}, &c), 1);
    assert_int_equal(c.e[0].id, first);
    assert_int_equal(feed(fx->st, (struct pp_event_filter){.payout_id = id[2] + 1000}, &c), 0);

    assert_int_equal(
        feed(fx->st, (struct pp_event_filter){.has_type = 1, .type = PP_EVENT_PAYOUT_CREATED}, &c),
        3);
    assert_true(c.e[0].id < c.e[1].id && c.e[1].id < c.e[2].id);
    assert_int_equal(c.e[2].payout.id, id[2]);
    assert_int_equal(feed(fx->st,
                          (struct pp_event_filter){.has_type = 1,
                                                   .type = PP_EVENT_PAYOUT_CREATED,
                                                   .after_id = c.e[0].id},
                          &c),
                     2);
    assert_int_equal(
        feed(fx->st, (struct pp_event_filter){.has_type = 1, .type = PP_EVENT_FUNDS_DEPOSITED}, &c),
        2);
    assert_int_equal(c.e[1].amount_minor, 5);
    /* The time window applies in every shape (every event here is at 5000
    ** or 7000). */
    assert_int_equal(
        feed(fx->st,
             (struct pp_event_filter){
                 .has_type = 1, .type = PP_EVENT_PAYOUT_CREATED, .has_to = 1, .to_ms = 6000},
             &c),
        0);
    assert_int_equal(
        feed(fx->st, (struct pp_event_filter){.payout_id = id[0], .has_from = 1, .from_ms = 7000},
             &c),
        1);
    assert_int_equal(feed(fx->st, (struct pp_event_filter){.has_to = 1, .to_ms = 6000}, &c), 2);
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

/* A replay queues at most PP_WEBHOOK_REPLAY_MAX deliveries, after an event
** or within a window; one more matching event refuses it whole. */
static void test_replay_bounds(void **state)
{
    struct fx *fx = *state;
    struct pp_webhook h = webhook_new(fx->st);
    char msg[256];
    /* PP_WEBHOOK_REPLAY_MAX + 2 funds events, event i at i ms. */
    char sql[512];
    snprintf(sql, sizeof sql,
             "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d)"
             " INSERT INTO events (type, currency, sequence, created_ms, amount_minor, available,"
             " blocked, paid_out, paid_out_e18) SELECT 'funds.deposited', 'EUR', i, i, 1, i, 0,"
             " 0, 0 FROM n",
             PP_WEBHOOK_REPLAY_MAX + 2);
    assert_int_equal(raw_exec(fx->path, sql, msg, sizeof msg), SQLITE_OK);
    int64_t first = raw_int(fx->path, "SELECT min(id) FROM events");
    struct store_write_ctx w = ctx_at(1000);
    struct pp_err err = {0};
    int64_t queued = -1;
    struct store_webhook_replay after_first = {.id = h.id, .after_id = first};
    assert_int_equal(store_webhook_replay(fx->st, &w, &after_first, &queued, &err),
                     PP_INVALID_PARAMS);
    assert_non_null(strstr(err.message, "more than 10000 events match"));
    assert_int_equal(queued, 0);
    struct store_webhook_replay window = {
        .id = h.id, .from_ms = 2, .to_ms = PP_WEBHOOK_REPLAY_MAX + 2};
    assert_int_equal(store_webhook_replay(fx->st, &w, &window, &queued, &err), PP_INVALID_PARAMS);
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM webhook_deliveries"), 0);

    struct store_webhook_replay after_second = {.id = h.id, .after_id = first + 1};
    assert_int_equal(store_webhook_replay(fx->st, &w, &after_second, &queued, &err), PP_OK);
    assert_int_equal(queued, PP_WEBHOOK_REPLAY_MAX);
    assert_int_equal(raw_int(fx->path, "SELECT min(event_id) FROM webhook_deliveries"), first + 2);
    struct store_webhook_replay part = {.id = h.id, .from_ms = 2, .to_ms = 11};
    assert_int_equal(store_webhook_replay(fx->st, &w, &part, &queued, &err), PP_OK);
    assert_int_equal(queued, 10);
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM webhook_deliveries"),
                     PP_WEBHOOK_REPLAY_MAX + 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_funds_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rolled_back_write_leaves_no_event, setup, teardown),
        cmocka_unit_test_setup_teardown(test_feed_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_feed_plans, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replay_bounds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_order_rule, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disable_rules, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
