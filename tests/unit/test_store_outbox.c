/*
** This module tests the store's outbox through its interface only
** (payout/store/events.h, store.h and audit.h), so that it runs unchanged
** on SQLite and on PostgreSQL (support/store_any.h picks the backend):
** the events feed that the payout and funds operations append to, with
** per-payout and per-currency sequence numbers; webhook endpoints
** (create, list, get, update, rotate, delete, test, replay); the delivery
** worker's side (what is due, the order rule, recording attempts that
** deliver, retry, give up and disable); and recipient notifications.
**
** It does not test the SQL plans of either backend, nor a write undone
** after its event was appended: those need a backend's internals
** (test_outbox_store.c, SQLite only).
**
** Time. SQLite judges "due" by the caller's now_ms against the now_ms of
** the write that queued a row; PostgreSQL judges it by the database's
** clock and claims what it hands out. Every write here that queues a
** delivery or a notification therefore passes the wall clock, retries are
** a few hundred milliseconds ahead and waited for, and a second look at
** what is due names the deliveries in flight (skip), as the worker does.
*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "payout/store/audit.h"
#include "payout/store/events.h"
#include "payout/store/store.h"
#include "support/store_any.h"

/* How far a retry is scheduled ahead in these tests, and how long past it
** a test waits before it looks again. */
#define RETRY_AHEAD_MS 800
#define RETRY_SLACK_MS 250

static const struct pp_actor system_actor = {.kind = PP_ACTOR_SYSTEM};

/* --- Clock and write contexts ------------------------------------------------- */

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void wait_until(int64_t at_ms)
{
    for (int64_t now = wall_ms(); now < at_ms; now = wall_ms()) {
        int64_t left = at_ms - now;
        struct timespec ts = {.tv_sec = (time_t)(left / 1000),
                              .tv_nsec = (long)((left % 1000) * 1000000)};
        nanosleep(&ts, NULL);
    }
}

static struct store_write_ctx ctx_at(int64_t now_ms)
{
    struct store_write_ctx w = {.actor = &system_actor, .now_ms = now_ms, .idem = NULL};
    return w;
}

/* --- Causing events ------------------------------------------------------------ */

static enum pp_status funds_at(struct store *st, int64_t now_ms, const char *cur,
                               enum pp_ledger_kind kind, int64_t amount)
{
    struct store_write_ctx w = ctx_at(now_ms);
    struct pp_movement m = {.currency = cur, .kind = kind, .at_ms = now_ms};
    m.d_available = kind == PP_LEDGER_DEPOSIT ? amount : -amount;
    struct pp_err err = {0};
    return store_funds_move(
        st, &w, &m, kind == PP_LEDGER_DEPOSIT ? "funds.deposit" : "funds.withdraw", "", NULL, &err);
}

/* The recipient a new payout names: the stored one its identifier found,
** else the one given (what core's rule does when nothing clashes). */
static enum pp_status rule_simple(const struct pp_recipient *given,
                                  const struct pp_recipient *const *found, struct pp_recipient *out,
                                  int *changed_out, struct pp_err *err)
{
    (void)err;
    for (int i = 0; i < PP_IDENT_COUNT; i++) {
        if (found[i] != NULL) {
            *out = *found[i];
            *changed_out = 0;
            return PP_OK;
        }
    }
    *out = *given;
    *changed_out = 1;
    return PP_OK;
}

struct payout_spec {
    const char *user;  /* the recipient's user name */
    const char *email; /* "" for none */
    int notification;
    enum pp_payout_status status; /* READY or UNAUTHORIZED */
    int64_t amount;
};

/* Creates one EUR payout at now_ms (open from 0 for a long time); returns
** its id, and the store's ready_notice through *ready_notice (may be NULL). */
static int64_t payout_at(struct store *st, int64_t now_ms, const struct payout_spec *spec,
                         int *ready_notice)
{
    static unsigned uuid_counter;
    struct pp_recipient r;
    memset(&r, 0, sizeof r);
    snprintf(r.user_name, sizeof r.user_name, "%s", spec->user);
    snprintf(r.email, sizeof r.email, "%s", spec->email);
    struct store_payout_new row;
    memset(&row, 0, sizeof row);
    row.project_name = "Spring bonus";
    row.recipient = &r;
    memcpy(row.payout.currency, "EUR", 4);
    row.payout.amount_minor = spec->amount;
    row.payout.start_ms = 0;
    row.payout.end_ms = now_ms + 30LL * 24 * 3600 * 1000;
    snprintf(row.payout.description, sizeof row.payout.description, "bonus for %s", spec->user);
    snprintf(row.payout.uuid, sizeof row.payout.uuid, "0190a000-0000-7000-8000-%012u",
             ++uuid_counter);
    row.payout.notification = spec->notification;
    row.payout.status = spec->status;
    struct store_write_ctx w = ctx_at(now_ms);
    struct pp_err err = {0};
    enum pp_status s =
        store_payouts_create(st, &w, &row, 1, rule_simple, 0, "payment.create", "", &err);
    if (s != PP_OK) {
        fail_msg("store_payouts_create: %d %s", (int)s, err.message);
    }
    assert_true(row.payout.id > 0);
    if (ready_notice != NULL) {
        *ready_notice = row.ready_notice;
    }
    return row.payout.id;
}

static int64_t payout_ready(struct store *st, int64_t now_ms, const char *user)
{
    struct payout_spec spec = {.user = user, .email = "", .status = PP_PAYOUT_READY, .amount = 10};
    return payout_at(st, now_ms, &spec, NULL);
}

static void payout_change(struct store *st, int64_t now_ms, enum store_payout_change change,
                          int64_t id)
{
    struct store_write_ctx w = ctx_at(now_ms);
    struct pp_err err = {0};
    int64_t done = 0;
    assert_int_equal(store_payouts_change(st, &w, change, &id, 1, &done, &err), PP_OK);
    assert_int_equal(done, 1);
}

static void amount_text(const char *currency, int64_t amount_minor, char *out, size_t out_size)
{
    snprintf(out, out_size, "%lld %s", (long long)amount_minor, currency);
}

static void payout_receive(struct store *st, int64_t now_ms, int64_t id)
{
    struct store_write_ctx w = ctx_at(now_ms);
    struct pp_payout p;
    struct pp_err err = {0};
    assert_int_equal(store_payout_receive(st, &w, id, "bank ref 1", amount_text, &p, &err), PP_OK);
    assert_int_equal(p.status, PP_PAYOUT_RECEIVED);
}

/* --- Reading the feed ------------------------------------------------------------ */

#define COLLECT_MAX 32

struct collected {
    struct pp_event e[COLLECT_MAX];
    size_t n;
};

static int collect_event(void *ctx, const struct pp_event *e)
{
    struct collected *c = ctx;
    assert_true(c->n < COLLECT_MAX);
    c->e[c->n++] = *e;
    return 0;
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

/* --- Endpoints and deliveries ----------------------------------------------------- */

static struct pp_webhook webhook_new(struct store *st, int64_t now_ms, unsigned mask,
                                     const char *secret)
{
    struct store_write_ctx w = ctx_at(now_ms);
    struct store_webhook_create in = {.url = "https://hooks.example.invalid/payouts",
                                      .events_mask = mask,
                                      .description = "",
                                      .secret_sealed = secret};
    struct pp_webhook h;
    struct pp_err err = {0};
    assert_int_equal(store_webhook_create(st, &w, &in, &h, &err), PP_OK);
    return h;
}

static struct pp_webhook webhook_read(struct store *st, int64_t id)
{
    struct pp_webhook h;
    struct pp_err err = {0};
    assert_int_equal(store_webhook_get(st, id, &h, &err), PP_OK);
    return h;
}

static void webhook_enable(struct store *st, int64_t id, int enabled)
{
    struct store_write_ctx w = ctx_at(wall_ms());
    struct store_webhook_update in = {.id = id, .enabled = enabled};
    struct pp_webhook h;
    struct pp_err err = {0};
    assert_int_equal(store_webhook_update(st, &w, &in, &h, &err), PP_OK);
    assert_int_equal(h.enabled, enabled);
}

#define DUE_MAX 8

/* What is due now by the wall clock, leaving out skip[0..skip_n). */
static size_t due_skip(struct store *st, const int64_t *skip, size_t skip_n,
                       struct pp_webhook_due *out, int64_t *next_ms_out)
{
    size_t n = 99;
    int64_t next = 0;
    struct pp_err err = {0};
    assert_int_equal(
        store_webhook_due_list(st, wall_ms(), skip, skip_n, out, DUE_MAX, &n, &next, &err), PP_OK);
    if (next_ms_out != NULL) {
        *next_ms_out = next;
    }
    return n;
}

static size_t due(struct store *st, struct pp_webhook_due *out)
{
    return due_skip(st, NULL, 0, out, NULL);
}

/* Records what the attempt of d came to, at the wall clock; a retry is
** RETRY_AHEAD_MS ahead. Returns the retry's next_ms (0 for the others). */
static int64_t record(struct store *st, const struct pp_webhook_due *d, enum pp_webhook_outcome o,
                      int http_status, const char *error)
{
    int64_t now = wall_ms();
    struct store_write_ctx w = ctx_at(now);
    struct pp_webhook_result r = {.delivery_id = d->delivery_id,
                                  .endpoint_id = d->endpoint_id,
                                  .event_id = d->event_id,
                                  .outcome = o,
                                  .at_ms = now,
                                  .duration_ms = 12,
                                  .http_status = http_status,
                                  .next_ms = o == PP_WEBHOOK_RETRY ? now + RETRY_AHEAD_MS : 0};
    snprintf(r.error, sizeof r.error, "%s", error);
    struct pp_err err = {0};
    assert_int_equal(store_webhook_results_record(st, &w, &r, 1, &err), PP_OK);
    return r.next_ms;
}

static size_t attempts_of(struct store *st, int64_t endpoint_id, struct pp_webhook_attempt *out,
                          size_t cap)
{
    size_t n = 99;
    struct pp_err err = {0};
    assert_int_equal(store_webhook_attempts_list(st, endpoint_id, out, cap, &n, &err), PP_OK);
    return n;
}

static struct pp_outbox_counts counts(struct store *st)
{
    struct pp_outbox_counts c;
    struct pp_err err = {0};
    assert_int_equal(store_outbox_counts(st, &c, &err), PP_OK);
    return c;
}

/* How many audit entries with this action exist. */
static int64_t audited(struct store *st, const char *action)
{
    struct pp_audit_filter f = {.action = action, .limit = 1};
    struct pp_audit_entry e;
    size_t n = 0;
    int64_t total = -1;
    struct pp_err err = {0};
    assert_int_equal(store_audit_list(st, &f, &e, 1, &n, &total, &err), PP_OK);
    return total;
}

/* The id of the only event in the feed of type t (fails unless one). */
static int64_t event_of_type(struct store *st, enum pp_event_type t)
{
    struct collected c;
    assert_int_equal(feed(st, (struct pp_event_filter){.has_type = 1, .type = t}, &c), 1);
    return c.e[0].id;
}

/* --- Events ------------------------------------------------------------------------ */

/* Each payout and funds operation appends its event, in order, with the
** payout as it stood and the per-payout / per-currency sequence; the feed
** pages by id and store_event_get reads each one back. */
static void test_payout_and_funds_events(void **state)
{
    struct any_fx *fx = *state;
    struct collected c;
    struct pp_err err = {0};
    assert_int_equal(funds_at(fx->st, 1000, "EUR", PP_LEDGER_DEPOSIT, 1000), PP_OK);
    int64_t a = payout_ready(fx->st, 2000, "alice");
    struct payout_spec unauth = {
        .user = "bob", .email = "", .status = PP_PAYOUT_UNAUTHORIZED, .amount = 25};
    int64_t b = payout_at(fx->st, 3000, &unauth, NULL);
    payout_change(fx->st, 4000, STORE_PAYOUT_AUTHORIZE, b);
    payout_change(fx->st, 5000, STORE_PAYOUT_CANCEL, a);
    payout_receive(fx->st, 6000, b);
    assert_int_equal(funds_at(fx->st, 7000, "EUR", PP_LEDGER_WITHDRAW, 100), PP_OK);

    static const struct {
        enum pp_event_type type;
        int is_a, is_b;
        int64_t sequence;
        enum pp_payout_status status;
        int64_t at_ms;
    } want[] = {
        {PP_EVENT_FUNDS_DEPOSITED, 0, 0, 1, 0, 1000},
        {PP_EVENT_PAYOUT_CREATED, 1, 0, 1, PP_PAYOUT_READY, 2000},
        {PP_EVENT_PAYOUT_CREATED, 0, 1, 1, PP_PAYOUT_UNAUTHORIZED, 3000},
        {PP_EVENT_PAYOUT_AUTHORIZED, 0, 1, 2, PP_PAYOUT_READY, 4000},
        {PP_EVENT_PAYOUT_CANCELLED, 1, 0, 2, PP_PAYOUT_CANCELLED, 5000},
        {PP_EVENT_PAYOUT_RECEIVED, 0, 1, 3, PP_PAYOUT_RECEIVED, 6000},
        {PP_EVENT_FUNDS_WITHDRAWN, 0, 0, 2, 0, 7000},
    };
    size_t n = sizeof want / sizeof want[0];
    assert_int_equal(feed(fx->st, (struct pp_event_filter){0}, &c), n);
    for (size_t i = 0; i < n; i++) {
        const struct pp_event *e = &c.e[i];
        assert_int_equal(e->type, want[i].type);
        assert_int_equal(e->sequence, want[i].sequence);
        assert_int_equal(e->created_ms, want[i].at_ms);
        if (i > 0) {
            assert_true(e->id > c.e[i - 1].id);
        }
        if (pp_event_type_is_payout(e->type)) {
            assert_int_equal(e->payout.id, want[i].is_a ? a : b);
            assert_int_equal(e->payout.status, want[i].status);
            assert_string_equal(e->payout.currency, "EUR");
        }
        /* Read back one by one: the same event. */
        struct pp_event got;
        assert_int_equal(store_event_get(fx->st, e->id, &got, &err), PP_OK);
        assert_int_equal(got.id, e->id);
        assert_int_equal(got.type, e->type);
        assert_int_equal(got.sequence, e->sequence);
        assert_int_equal(got.created_ms, e->created_ms);
        assert_int_equal(got.payout.id, e->payout.id);
        assert_int_equal(got.amount_minor, e->amount_minor);
    }
    /* The payouts as they stood: b's amount, its reference when received. */
    assert_int_equal(c.e[2].payout.amount_minor, 25);
    assert_string_equal(c.e[5].payout.reference, "bank ref 1");
    assert_int_equal(c.e[0].amount_minor, 1000);
    assert_int_equal(c.e[0].balance.available, 1000);
    assert_string_equal(c.e[0].balance.currency, "EUR");
    /* Deposit 1000, a (10) cancelled, b (25) paid out, 100 withdrawn. */
    assert_int_equal(c.e[6].amount_minor, 100);
    assert_int_equal(c.e[6].balance.available, 875);
    assert_int_equal(c.e[6].balance.blocked, 0);
    assert_true(c.e[6].balance.paid_out == 25);

    /* Paging: three, then the rest after the last one seen. */
    struct collected rest;
    assert_int_equal(feed(fx->st, (struct pp_event_filter){.limit = 3}, &c), 3);
    assert_int_equal(feed(fx->st, (struct pp_event_filter){.after_id = c.e[2].id}, &rest), n - 3);
    assert_int_equal(rest.e[0].type, PP_EVENT_PAYOUT_AUTHORIZED);
    assert_int_equal(feed(fx->st, (struct pp_event_filter){.after_id = rest.e[n - 4].id}, &rest),
                     0);

    struct pp_event none;
    pp_err_clear(&err);
    assert_int_equal(store_event_get(fx->st, c.e[0].id + 1000, &none, &err), PP_NOT_FOUND);
}

/* Funds events: per-currency sequence, the balance after the move; a
** refused move appends nothing. */
static void test_funds_events(void **state)
{
    struct any_fx *fx = *state;
    struct collected c;
    assert_int_equal(funds_at(fx->st, 5000, "EUR", PP_LEDGER_DEPOSIT, 500), PP_OK);
    assert_int_equal(funds_at(fx->st, 5000, "EUR", PP_LEDGER_WITHDRAW, 200), PP_OK);
    assert_int_equal(funds_at(fx->st, 5000, "GBP", PP_LEDGER_DEPOSIT, 7), PP_OK);
    /* Refused: more than is available; no event. */
    assert_int_equal(funds_at(fx->st, 5000, "EUR", PP_LEDGER_WITHDRAW, 301), PP_INSUFFICIENT_FUNDS);
    assert_int_equal(feed(fx->st, (struct pp_event_filter){0}, &c), 3);
    assert_int_equal(c.e[0].type, PP_EVENT_FUNDS_DEPOSITED);
    assert_int_equal(c.e[0].sequence, 1);
    assert_int_equal(c.e[0].amount_minor, 500);
    assert_int_equal(c.e[0].balance.available, 500);
    assert_int_equal(c.e[1].type, PP_EVENT_FUNDS_WITHDRAWN);
    assert_int_equal(c.e[1].sequence, 2);
    assert_int_equal(c.e[1].amount_minor, 200);
    assert_int_equal(c.e[1].balance.available, 300);
    assert_string_equal(c.e[2].balance.currency, "GBP");
    assert_int_equal(c.e[2].sequence, 1);
    assert_int_equal(c.e[2].balance.available, 7);
}

/* Each filter of the feed, alone and together: by payout, by type, after
** an id, a limit, a time window. */
static void test_feed_filters(void **state)
{
    struct any_fx *fx = *state;
    struct collected c;
    int64_t id[3];
    assert_int_equal(funds_at(fx->st, 5000, "EUR", PP_LEDGER_DEPOSIT, 1000), PP_OK);
    const char *users[3] = {"ann", "ben", "cid"};
    for (int i = 0; i < 3; i++) {
        id[i] = payout_ready(fx->st, 7000, users[i]);
    }
    assert_int_equal(funds_at(fx->st, 5000, "EUR", PP_LEDGER_DEPOSIT, 5), PP_OK);
    payout_change(fx->st, 7000, STORE_PAYOUT_CANCEL, id[1]);
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
    assert_int_equal(c.e[0].payout.id, id[0]);
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
    assert_int_equal(c.e[1].sequence, 2);
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
    assert_int_equal(feed(fx->st, (struct pp_event_filter){.has_from = 1, .from_ms = 6000}, &c), 4);
}

/* --- Endpoints ------------------------------------------------------------------------ */

/* An endpoint is created with its sealed secret, listed, read, updated,
** rotated and deleted; each change is audited; a deleted one is gone. */
static void test_endpoint_lifecycle(void **state)
{
    struct any_fx *fx = *state;
    struct pp_err err = {0};
    struct store_write_ctx w = ctx_at(1000);
    struct store_webhook_create in = {.url = "https://a.example.invalid/hook",
                                      .events_mask = 0,
                                      .description = "ledger sync",
                                      .secret_sealed = "v1.sealed-one"};
    struct pp_webhook a;
    assert_int_equal(store_webhook_create(fx->st, &w, &in, &a, &err), PP_OK);
    assert_true(a.id > 0);
    assert_string_equal(a.url, "https://a.example.invalid/hook");
    assert_string_equal(a.description, "ledger sync");
    assert_string_equal(a.secret_sealed, "v1.sealed-one");
    assert_string_equal(a.old_secret_sealed, "");
    assert_int_equal(a.old_secret_until_ms, 0);
    assert_int_equal(a.events_mask, 0);
    assert_int_equal(a.enabled, 1);
    assert_string_equal(a.disabled_reason, "");
    assert_int_equal(a.created_ms, 1000);
    assert_int_equal(a.failing_since_ms, 0);
    unsigned mask_b = (1u << PP_EVENT_PAYOUT_CREATED) | (1u << PP_EVENT_FUNDS_DEPOSITED);
    struct pp_webhook b = webhook_new(fx->st, 1100, mask_b, "v1.sealed-two");
    assert_true(b.id > a.id);
    assert_int_equal(b.events_mask, mask_b);

    struct pp_webhook list[4];
    size_t n = 0;
    assert_int_equal(store_webhooks_list(fx->st, list, 4, &n, &err), PP_OK);
    assert_int_equal(n, 2);
    assert_int_equal(list[0].id, a.id);
    assert_int_equal(list[1].id, b.id);
    assert_string_equal(list[1].secret_sealed, "v1.sealed-two");
    struct pp_webhook got = webhook_read(fx->st, a.id);
    assert_string_equal(got.url, a.url);
    assert_string_equal(got.secret_sealed, "v1.sealed-one");

    /* Update: a subscription, disabled, a new description; url kept. */
    unsigned mask_a = 1u << PP_EVENT_PAYOUT_RECEIVED;
    struct store_webhook_update up = {
        .id = a.id, .has_events = 1, .events_mask = mask_a, .enabled = 0, .description = "paused"};
    w = ctx_at(2000);
    assert_int_equal(store_webhook_update(fx->st, &w, &up, &got, &err), PP_OK);
    assert_int_equal(got.events_mask, mask_a);
    assert_int_equal(got.enabled, 0);
    assert_string_equal(got.description, "paused");
    assert_string_equal(got.url, "https://a.example.invalid/hook");
    assert_int_equal(got.updated_ms, 2000);
    got = webhook_read(fx->st, a.id);
    assert_int_equal(got.events_mask, mask_a);
    assert_int_equal(got.enabled, 0);
    /* Keep everything but the url; then enable, clearing the description. */
    struct store_webhook_update url_only = {
        .id = a.id, .url = "https://a2.example.invalid/", .enabled = -1};
    assert_int_equal(store_webhook_update(fx->st, &w, &url_only, &got, &err), PP_OK);
    assert_string_equal(got.url, "https://a2.example.invalid/");
    assert_int_equal(got.events_mask, mask_a);
    assert_int_equal(got.enabled, 0);
    assert_string_equal(got.description, "paused");
    struct store_webhook_update on = {.id = a.id, .enabled = 1, .description = ""};
    assert_int_equal(store_webhook_update(fx->st, &w, &on, &got, &err), PP_OK);
    assert_int_equal(got.enabled, 1);
    assert_string_equal(got.description, "");
    assert_int_equal(got.events_mask, mask_a);

    /* Rotation: the current secret becomes the old one until the given time. */
    w = ctx_at(3000);
    assert_int_equal(store_webhook_rotate(fx->st, &w, a.id, "v1.sealed-three",
                                          3000 + PP_WEBHOOK_SECRET_OVERLAP_MS, &got, &err),
                     PP_OK);
    assert_string_equal(got.secret_sealed, "v1.sealed-three");
    assert_string_not_equal(got.secret_sealed, a.secret_sealed);
    assert_string_equal(got.old_secret_sealed, "v1.sealed-one");
    assert_int_equal(got.old_secret_until_ms, 3000 + PP_WEBHOOK_SECRET_OVERLAP_MS);
    got = webhook_read(fx->st, a.id);
    assert_string_equal(got.secret_sealed, "v1.sealed-three");
    assert_string_equal(got.old_secret_sealed, "v1.sealed-one");

    /* Delete: no longer listed or readable; every operation on it fails. */
    w = ctx_at(4000);
    assert_int_equal(store_webhook_delete(fx->st, &w, a.id, &err), PP_OK);
    assert_int_equal(store_webhooks_list(fx->st, list, 4, &n, &err), PP_OK);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].id, b.id);
    pp_err_clear(&err);
    assert_int_equal(store_webhook_get(fx->st, a.id, &got, &err), PP_NOT_FOUND);
    pp_err_clear(&err);
    assert_int_equal(store_webhook_delete(fx->st, &w, a.id, &err), PP_NOT_FOUND);
    pp_err_clear(&err);
    assert_int_equal(store_webhook_update(fx->st, &w, &on, &got, &err), PP_NOT_FOUND);
    pp_err_clear(&err);
    assert_int_equal(store_webhook_rotate(fx->st, &w, a.id, "v1.x", 5000, &got, &err),
                     PP_NOT_FOUND);
    int64_t ev = 0;
    pp_err_clear(&err);
    assert_int_equal(store_webhook_test(fx->st, &w, a.id, &ev, &err), PP_NOT_FOUND);
    int64_t queued = -1;
    struct store_webhook_replay rp = {.id = a.id, .from_ms = 0, .to_ms = 10000};
    pp_err_clear(&err);
    assert_int_equal(store_webhook_replay(fx->st, &w, &rp, &queued, &err), PP_NOT_FOUND);
    pp_err_clear(&err);
    assert_int_equal(store_webhook_get(fx->st, b.id + 100, &got, &err), PP_NOT_FOUND);

    assert_int_equal(audited(fx->st, "webhook.create"), 2);
    assert_int_equal(audited(fx->st, "webhook.update"), 3);
    assert_int_equal(audited(fx->st, "webhook.rotate_secret"), 1);
    assert_int_equal(audited(fx->st, "webhook.delete"), 1);
}

/* At most PP_WEBHOOKS_MAX endpoints; a deleted one frees its place. */
static void test_endpoint_limit(void **state)
{
    struct any_fx *fx = *state;
    struct pp_webhook first = webhook_new(fx->st, 1000, 0, "v1.s");
    for (int i = 1; i < PP_WEBHOOKS_MAX; i++) {
        webhook_new(fx->st, 1000, 0, "v1.s");
    }
    struct store_write_ctx w = ctx_at(1000);
    struct store_webhook_create in = {
        .url = "https://x.example.invalid/", .description = "", .secret_sealed = "v1.s"};
    struct pp_webhook h;
    struct pp_err err = {0};
    assert_int_equal(store_webhook_create(fx->st, &w, &in, &h, &err), PP_CONFLICT);
    pp_err_clear(&err);
    assert_int_equal(store_webhook_delete(fx->st, &w, first.id, &err), PP_OK);
    assert_int_equal(store_webhook_create(fx->st, &w, &in, &h, &err), PP_OK);
}

/* --- Deliveries ------------------------------------------------------------------------ */

/* A new event queues a delivery to a subscribed endpoint; it is due once
** (a second look naming it in flight leaves it out); a 2xx delivers it
** and the attempt is listed with its status. */
static void test_delivery_success(void **state)
{
    struct any_fx *fx = *state;
    struct pp_webhook_due d[DUE_MAX];
    struct pp_webhook_attempt at[4];
    struct pp_webhook h = webhook_new(fx->st, wall_ms(), 0, "v1.s");
    assert_int_equal(due(fx->st, d), 0);
    assert_int_equal(counts(fx->st).deliveries_pending, 0);

    assert_int_equal(funds_at(fx->st, wall_ms(), "EUR", PP_LEDGER_DEPOSIT, 50), PP_OK);
    int64_t ev = event_of_type(fx->st, PP_EVENT_FUNDS_DEPOSITED);
    assert_int_equal(counts(fx->st).deliveries_pending, 1);
    assert_int_equal(due(fx->st, d), 1);
    assert_true(d[0].delivery_id > 0);
    assert_int_equal(d[0].endpoint_id, h.id);
    assert_int_equal(d[0].event_id, ev);
    assert_int_equal(d[0].attempts, 0);
    /* In flight: the next look leaves it out. */
    struct pp_webhook_due again[DUE_MAX];
    assert_int_equal(due_skip(fx->st, &d[0].delivery_id, 1, again, NULL), 0);
    assert_int_equal(attempts_of(fx->st, h.id, at, 4), 0);

    int64_t before = wall_ms();
    record(fx->st, &d[0], PP_WEBHOOK_DELIVERED, 204, "");
    assert_int_equal(due(fx->st, d + 1), 0);
    struct pp_outbox_counts oc = counts(fx->st);
    assert_int_equal(oc.deliveries_pending, 0);
    assert_int_equal(oc.deliveries_failed, 0);
    assert_int_equal(attempts_of(fx->st, h.id, at, 4), 1);
    assert_true(at[0].id > 0);
    assert_int_equal(at[0].delivery_id, d[0].delivery_id);
    assert_int_equal(at[0].endpoint_id, h.id);
    assert_int_equal(at[0].event_id, ev);
    assert_int_equal(at[0].http_status, 204);
    assert_int_equal(at[0].duration_ms, 12);
    assert_string_equal(at[0].error, "");
    assert_true(at[0].at_ms >= before && at[0].at_ms <= wall_ms());
    assert_int_equal(webhook_read(fx->st, h.id).failing_since_ms, 0);
}

/* A failed attempt schedules a retry: not due before its time, due after
** it with the attempt counted; the endpoint is failing until a success. */
static void test_delivery_retry(void **state)
{
    struct any_fx *fx = *state;
    struct pp_webhook_due d[DUE_MAX];
    struct pp_webhook_attempt at[4];
    struct pp_webhook h = webhook_new(fx->st, wall_ms(), 0, "v1.s");
    assert_int_equal(funds_at(fx->st, wall_ms(), "EUR", PP_LEDGER_DEPOSIT, 50), PP_OK);
    assert_int_equal(due(fx->st, d), 1);
    struct pp_webhook_due first = d[0];
    int64_t failed_at = wall_ms();
    int64_t next_ms = record(fx->st, &first, PP_WEBHOOK_RETRY, 503, "HTTP 503");
    assert_true(next_ms >= failed_at + RETRY_AHEAD_MS);
    struct pp_webhook failing = webhook_read(fx->st, h.id);
    assert_true(failing.failing_since_ms >= failed_at && failing.failing_since_ms < next_ms);
    assert_int_equal(failing.enabled, 1);

    int64_t next_seen = 0;
    assert_int_equal(due_skip(fx->st, NULL, 0, d, &next_seen), 0);
    if (next_seen < next_ms - RETRY_SLACK_MS || next_seen > next_ms + RETRY_SLACK_MS) {
        fail_msg("the next delivery falls due at %lld, the retry was set for %lld",
                 (long long)next_seen, (long long)next_ms);
    }
    struct pp_outbox_counts oc = counts(fx->st);
    assert_int_equal(oc.deliveries_pending, 1);
    assert_int_equal(oc.deliveries_failed, 0);

    wait_until(next_ms + RETRY_SLACK_MS);
    assert_int_equal(due(fx->st, d), 1);
    assert_int_equal(d[0].delivery_id, first.delivery_id);
    assert_int_equal(d[0].event_id, first.event_id);
    assert_int_equal(d[0].attempts, 1);
    record(fx->st, &d[0], PP_WEBHOOK_DELIVERED, 200, "");
    assert_int_equal(webhook_read(fx->st, h.id).failing_since_ms, 0);
    assert_int_equal(counts(fx->st).deliveries_pending, 0);
    /* Newest first. */
    assert_int_equal(attempts_of(fx->st, h.id, at, 4), 2);
    assert_int_equal(at[0].http_status, 200);
    assert_string_equal(at[0].error, "");
    assert_int_equal(at[1].http_status, 503);
    assert_string_equal(at[1].error, "HTTP 503");
    assert_true(at[0].id > at[1].id);
    assert_true(at[0].at_ms >= at[1].at_ms);
    assert_int_equal(at[0].delivery_id, at[1].delivery_id);
}

/* Only enabled endpoints subscribed to an event's type get a delivery of
** it: a disabled one gets none, even once enabled again. */
static void test_delivery_subscriptions(void **state)
{
    struct any_fx *fx = *state;
    struct pp_webhook_due d[DUE_MAX];
    int64_t now = wall_ms();
    struct pp_webhook withdrawals =
        webhook_new(fx->st, now, 1u << PP_EVENT_FUNDS_WITHDRAWN, "v1.a");
    struct pp_webhook off = webhook_new(fx->st, now, 0, "v1.b");
    struct pp_webhook all = webhook_new(fx->st, now, 0, "v1.c");
    webhook_enable(fx->st, off.id, 0);

    assert_int_equal(funds_at(fx->st, wall_ms(), "EUR", PP_LEDGER_DEPOSIT, 50), PP_OK);
    int64_t deposit = event_of_type(fx->st, PP_EVENT_FUNDS_DEPOSITED);
    assert_int_equal(counts(fx->st).deliveries_pending, 1);
    assert_int_equal(due(fx->st, d), 1);
    assert_int_equal(d[0].endpoint_id, all.id);
    assert_int_equal(d[0].event_id, deposit);
    record(fx->st, &d[0], PP_WEBHOOK_DELIVERED, 200, "");

    assert_int_equal(funds_at(fx->st, wall_ms(), "EUR", PP_LEDGER_WITHDRAW, 20), PP_OK);
    int64_t withdrawal = event_of_type(fx->st, PP_EVENT_FUNDS_WITHDRAWN);
    assert_int_equal(counts(fx->st).deliveries_pending, 2);
    assert_int_equal(due(fx->st, d), 2);
    int seen_withdrawals = 0, seen_all = 0;
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(d[i].event_id, withdrawal);
        seen_withdrawals += d[i].endpoint_id == withdrawals.id;
        seen_all += d[i].endpoint_id == all.id;
        record(fx->st, &d[i], PP_WEBHOOK_DELIVERED, 200, "");
    }
    assert_int_equal(seen_withdrawals, 1);
    assert_int_equal(seen_all, 1);

    /* Nothing was queued for the disabled endpoint while it was off. */
    webhook_enable(fx->st, off.id, 1);
    assert_int_equal(due(fx->st, d), 0);
    assert_int_equal(counts(fx->st).deliveries_pending, 0);
    /* Enabled now: the next event reaches it too. */
    assert_int_equal(funds_at(fx->st, wall_ms(), "EUR", PP_LEDGER_DEPOSIT, 1), PP_OK);
    assert_int_equal(due(fx->st, d), 2);
    assert_true(d[0].endpoint_id == off.id || d[1].endpoint_id == off.id);
}

/* A disabled endpoint's pending delivery is not due; enabled again, it is. */
static void test_delivery_waits_while_disabled(void **state)
{
    struct any_fx *fx = *state;
    struct pp_webhook_due d[DUE_MAX];
    struct pp_webhook h = webhook_new(fx->st, wall_ms(), 0, "v1.s");
    assert_int_equal(funds_at(fx->st, wall_ms(), "EUR", PP_LEDGER_DEPOSIT, 5), PP_OK);
    webhook_enable(fx->st, h.id, 0);
    assert_int_equal(due(fx->st, d), 0);
    assert_int_equal(counts(fx->st).deliveries_pending, 1);
    webhook_enable(fx->st, h.id, 1);
    assert_int_equal(due(fx->st, d), 1);
    assert_int_equal(d[0].endpoint_id, h.id);
}

/* The order rule: a payout's later event waits at an endpoint while an
** earlier delivery of the same payout is pending there; other payouts'
** events flow. A given-up delivery frees the next one. */
static void test_order_rule(void **state)
{
    struct any_fx *fx = *state;
    struct pp_webhook_due d[DUE_MAX];
    struct pp_webhook_attempt at[4];
    assert_int_equal(funds_at(fx->st, wall_ms(), "EUR", PP_LEDGER_DEPOSIT, 100), PP_OK);
    struct pp_webhook h = webhook_new(fx->st, wall_ms(), 0, "v1.s");
    int64_t a = payout_ready(fx->st, wall_ms(), "alice");
    payout_change(fx->st, wall_ms(), STORE_PAYOUT_CANCEL, a);
    int64_t b = payout_ready(fx->st, wall_ms(), "bob");
    struct collected c;
    assert_int_equal(feed(fx->st, (struct pp_event_filter){.payout_id = a}, &c), 2);
    int64_t a1 = c.e[0].id, a2 = c.e[1].id;
    assert_int_equal(feed(fx->st, (struct pp_event_filter){.payout_id = b}, &c), 1);
    int64_t b1 = c.e[0].id;
    assert_int_equal(counts(fx->st).deliveries_pending, 3);

    /* A's second event waits for its first; B's flows. */
    assert_int_equal(due(fx->st, d), 2);
    assert_int_equal(d[0].event_id, a1);
    assert_int_equal(d[1].event_id, b1);
    assert_int_equal(d[0].endpoint_id, h.id);
    struct pp_webhook_due first_a = d[0];
    int64_t next_ms = record(fx->st, &d[0], PP_WEBHOOK_RETRY, 500, "HTTP 500");
    record(fx->st, &d[1], PP_WEBHOOK_DELIVERED, 200, "");
    assert_int_equal(due(fx->st, d), 0);

    wait_until(next_ms + RETRY_SLACK_MS);
    assert_int_equal(due(fx->st, d), 1);
    assert_int_equal(d[0].delivery_id, first_a.delivery_id);
    assert_int_equal(d[0].attempts, 1);
    /* Given up: the next event of the payout is free to go. */
    record(fx->st, &d[0], PP_WEBHOOK_GIVEN_UP, 500, "HTTP 500");
    struct pp_outbox_counts oc = counts(fx->st);
    assert_int_equal(oc.deliveries_pending, 1);
    assert_int_equal(oc.deliveries_failed, 1);
    assert_int_equal(due(fx->st, d), 1);
    assert_int_equal(d[0].event_id, a2);
    assert_int_equal(d[0].attempts, 0);
    assert_int_equal(attempts_of(fx->st, h.id, at, 4), 3);
}

/* An endpoint is disabled on a 410 answer, or when every attempt has
** failed for PP_WEBHOOK_DISABLE_AFTER_MS; a disabled endpoint's deliveries
** are not due; each disabling is audited as the system's. */
static void test_disable_rules(void **state)
{
    struct any_fx *fx = *state;
    struct pp_webhook_due d[DUE_MAX];
    struct pp_err err = {0};
    struct pp_webhook gone = webhook_new(fx->st, wall_ms(), 0, "v1.s");
    assert_int_equal(funds_at(fx->st, wall_ms(), "EUR", PP_LEDGER_DEPOSIT, 10), PP_OK);
    assert_int_equal(due(fx->st, d), 1);
    record(fx->st, &d[0], PP_WEBHOOK_GONE, 410, "");
    struct pp_webhook h = webhook_read(fx->st, gone.id);
    assert_false(h.enabled);
    assert_non_null(strstr(h.disabled_reason, "410"));
    assert_int_equal(counts(fx->st).deliveries_failed, 1);
    assert_int_equal(counts(fx->st).deliveries_pending, 0);

    /* Five days of failures disable the next one: the attempts' own times
    ** count, whatever the clock. */
    struct pp_webhook slow = webhook_new(fx->st, wall_ms(), 0, "v1.s");
    assert_int_equal(funds_at(fx->st, wall_ms(), "EUR", PP_LEDGER_DEPOSIT, 10), PP_OK);
    assert_int_equal(due(fx->st, d), 1);
    assert_int_equal(d[0].endpoint_id, slow.id);
    int64_t t0 = wall_ms();
    int64_t steps[3] = {t0, t0 + PP_WEBHOOK_DISABLE_AFTER_MS - 1, t0 + PP_WEBHOOK_DISABLE_AFTER_MS};
    for (int i = 0; i < 3; i++) {
        struct store_write_ctx w = ctx_at(wall_ms());
        struct pp_webhook_result r = {.delivery_id = d[0].delivery_id,
                                      .endpoint_id = d[0].endpoint_id,
                                      .event_id = d[0].event_id,
                                      .outcome = PP_WEBHOOK_RETRY,
                                      .at_ms = steps[i],
                                      .http_status = 500,
                                      .next_ms = w.now_ms + 3600 * 1000};
        assert_int_equal(store_webhook_results_record(fx->st, &w, &r, 1, &err), PP_OK);
        h = webhook_read(fx->st, slow.id);
        assert_int_equal(h.failing_since_ms, t0);
        assert_int_equal(h.enabled, i < 2);
    }
    assert_non_null(strstr(h.disabled_reason, "5 days"));
    assert_int_equal(counts(fx->st).deliveries_pending, 1);
    /* Disabled: its pending delivery is not due. */
    assert_int_equal(due(fx->st, d), 0);

    struct pp_audit_filter f = {.action = "webhook.disable", .limit = 4};
    struct pp_audit_entry e[4];
    size_t n = 0;
    int64_t total = 0;
    assert_int_equal(store_audit_list(fx->st, &f, e, 4, &n, &total, &err), PP_OK);
    assert_int_equal(total, 2);
    assert_int_equal(e[0].actor_kind, PP_ACTOR_SYSTEM);
    char subject[40];
    snprintf(subject, sizeof subject, "webhook:%lld", (long long)slow.id);
    assert_string_equal(e[0].subject, subject);
    snprintf(subject, sizeof subject, "webhook:%lld", (long long)gone.id);
    assert_string_equal(e[1].subject, subject);

    /* Enabled again: the reason goes. */
    webhook_enable(fx->st, slow.id, 1);
    assert_string_equal(webhook_read(fx->st, slow.id).disabled_reason, "");
}

/* Deleting an endpoint gives up its pending deliveries and it gets no
** more. */
static void test_delete_gives_up(void **state)
{
    struct any_fx *fx = *state;
    struct pp_webhook_due d[DUE_MAX];
    struct pp_err err = {0};
    struct pp_webhook h = webhook_new(fx->st, wall_ms(), 0, "v1.s");
    assert_int_equal(funds_at(fx->st, wall_ms(), "EUR", PP_LEDGER_DEPOSIT, 10), PP_OK);
    assert_int_equal(counts(fx->st).deliveries_pending, 1);
    struct store_write_ctx w = ctx_at(wall_ms());
    assert_int_equal(store_webhook_delete(fx->st, &w, h.id, &err), PP_OK);
    assert_int_equal(counts(fx->st).deliveries_pending, 0);
    assert_int_equal(due(fx->st, d), 0);
    assert_int_equal(funds_at(fx->st, wall_ms(), "EUR", PP_LEDGER_DEPOSIT, 10), PP_OK);
    assert_int_equal(counts(fx->st).deliveries_pending, 0);
    assert_int_equal(due(fx->st, d), 0);
}

/* A test event: one delivery to its endpoint only, readable by id, never
** in the feed. */
static void test_webhook_test_event(void **state)
{
    struct any_fx *fx = *state;
    struct pp_webhook_due d[DUE_MAX];
    struct collected c;
    struct pp_err err = {0};
    struct pp_webhook h = webhook_new(fx->st, wall_ms(), 0, "v1.s");
    webhook_new(fx->st, wall_ms(), 0, "v1.t");
    int64_t now = wall_ms();
    struct store_write_ctx w = ctx_at(now);
    int64_t ev = 0;
    assert_int_equal(store_webhook_test(fx->st, &w, h.id, &ev, &err), PP_OK);
    assert_true(ev > 0);
    struct pp_event e;
    assert_int_equal(store_event_get(fx->st, ev, &e, &err), PP_OK);
    assert_int_equal(e.type, PP_EVENT_WEBHOOK_TEST);
    assert_int_equal(e.endpoint_id, h.id);
    assert_int_equal(e.created_ms, now);
    assert_int_equal(feed(fx->st, (struct pp_event_filter){0}, &c), 0);
    assert_int_equal(
        feed(fx->st, (struct pp_event_filter){.has_type = 1, .type = PP_EVENT_WEBHOOK_TEST}, &c),
        0);
    assert_int_equal(counts(fx->st).deliveries_pending, 1);
    assert_int_equal(due(fx->st, d), 1);
    assert_int_equal(d[0].endpoint_id, h.id);
    assert_int_equal(d[0].event_id, ev);
    assert_int_equal(audited(fx->st, "webhook.test"), 1);
}

/* A replay queues the events again: after an event or within a window,
** only the types the endpoint is subscribed to, never a test event. */
static void test_replay(void **state)
{
    struct any_fx *fx = *state;
    struct pp_webhook_due d[DUE_MAX];
    struct pp_err err = {0};
    assert_int_equal(funds_at(fx->st, 1000, "EUR", PP_LEDGER_DEPOSIT, 100), PP_OK);
    int64_t a = payout_ready(fx->st, 2000, "alice");
    int64_t b = payout_ready(fx->st, 3000, "bob");
    payout_change(fx->st, 4000, STORE_PAYOUT_CANCEL, a);
    struct collected c;
    assert_int_equal(
        feed(fx->st, (struct pp_event_filter){.has_type = 1, .type = PP_EVENT_PAYOUT_CREATED}, &c),
        2);
    int64_t created_a = c.e[0].id, created_b = c.e[1].id;
    assert_int_equal(c.e[1].payout.id, b);

    /* Created after the events: nothing was queued for it. */
    struct pp_webhook h = webhook_new(fx->st, wall_ms(), 1u << PP_EVENT_PAYOUT_CREATED, "v1.s");
    struct store_write_ctx w = ctx_at(wall_ms());
    int64_t test_ev = 0;
    assert_int_equal(store_webhook_test(fx->st, &w, h.id, &test_ev, &err), PP_OK);
    assert_int_equal(due(fx->st, d), 1);
    assert_int_equal(d[0].event_id, test_ev);
    record(fx->st, &d[0], PP_WEBHOOK_DELIVERED, 200, "");
    assert_int_equal(counts(fx->st).deliveries_pending, 0);

    /* The whole window: the two creations only. */
    int64_t queued = -1;
    struct store_webhook_replay window = {.id = h.id, .from_ms = 0, .to_ms = wall_ms()};
    assert_int_equal(store_webhook_replay(fx->st, &w, &window, &queued, &err), PP_OK);
    assert_int_equal(queued, 2);
    assert_int_equal(counts(fx->st).deliveries_pending, 2);
    assert_int_equal(due(fx->st, d), 2);
    assert_int_equal(d[0].endpoint_id, h.id);
    assert_true((d[0].event_id == created_a && d[1].event_id == created_b) ||
                (d[0].event_id == created_b && d[1].event_id == created_a));
    record(fx->st, &d[0], PP_WEBHOOK_DELIVERED, 200, "");
    record(fx->st, &d[1], PP_WEBHOOK_DELIVERED, 200, "");

    /* After a's creation: b's; and again: a delivery of its own each time. */
    struct store_webhook_replay after = {.id = h.id, .after_id = created_a};
    assert_int_equal(store_webhook_replay(fx->st, &w, &after, &queued, &err), PP_OK);
    assert_int_equal(queued, 1);
    assert_int_equal(store_webhook_replay(fx->st, &w, &after, &queued, &err), PP_OK);
    assert_int_equal(queued, 1);
    assert_int_equal(counts(fx->st).deliveries_pending, 2);
    /* A window in the middle, and one with nothing in it. */
    struct store_webhook_replay middle = {.id = h.id, .from_ms = 1500, .to_ms = 2500};
    assert_int_equal(store_webhook_replay(fx->st, &w, &middle, &queued, &err), PP_OK);
    assert_int_equal(queued, 1);
    struct store_webhook_replay empty = {.id = h.id, .from_ms = 5000, .to_ms = 6000};
    assert_int_equal(store_webhook_replay(fx->st, &w, &empty, &queued, &err), PP_OK);
    assert_int_equal(queued, 0);
    assert_int_equal(counts(fx->st).deliveries_pending, 3);
    /* Every replay is audited, one that queued nothing too. */
    assert_int_equal(audited(fx->st, "webhook.replay"), 5);
}

/* Deposits made by one thread of test_replay_bounds: event i at i ms for
** i = first, first + step, ... up to last. */
struct deposits {
    struct store *st;
    int64_t first, step, last;
    int failed;
};

static void *deposits_run(void *arg)
{
    struct deposits *a = arg;
    for (int64_t i = a->first; i <= a->last; i += a->step) {
        a->failed += funds_at(a->st, i, "EUR", PP_LEDGER_DEPOSIT, 1) != PP_OK;
    }
    return NULL;
}

#define BOUNDS_THREADS 16

/* A replay queues at most PP_WEBHOOK_REPLAY_MAX deliveries, after an event
** or within a window; one more matching event refuses it whole. The
** deposits come from several threads so that the writer batches them. */
static void test_replay_bounds(void **state)
{
    struct any_fx *fx = *state;
    const int64_t total = PP_WEBHOOK_REPLAY_MAX + 2;
    pthread_t threads[BOUNDS_THREADS];
    struct deposits args[BOUNDS_THREADS];
    for (int t = 0; t < BOUNDS_THREADS; t++) {
        args[t] =
            (struct deposits){.st = fx->st, .first = t + 1, .step = BOUNDS_THREADS, .last = total};
        assert_int_equal(pthread_create(&threads[t], NULL, deposits_run, &args[t]), 0);
    }
    for (int t = 0; t < BOUNDS_THREADS; t++) {
        pthread_join(threads[t], NULL);
        assert_int_equal(args[t].failed, 0);
    }
    struct collected c;
    assert_int_equal(feed(fx->st, (struct pp_event_filter){.limit = 2}, &c), 2);
    int64_t first = c.e[0].id, second = c.e[1].id;
    /* Created after the events: nothing queued for it yet. */
    struct pp_webhook h = webhook_new(fx->st, 1000, 1u << PP_EVENT_FUNDS_DEPOSITED, "v1.s");
    struct store_write_ctx w = ctx_at(wall_ms());
    struct pp_err err = {0};
    int64_t queued = -1;
    struct store_webhook_replay after_first = {.id = h.id, .after_id = first};
    assert_int_equal(store_webhook_replay(fx->st, &w, &after_first, &queued, &err),
                     PP_INVALID_PARAMS);
    assert_non_null(strstr(err.message, "more than 10000 events match"));
    assert_int_equal(queued, 0);
    struct store_webhook_replay window = {.id = h.id, .from_ms = 2, .to_ms = total};
    pp_err_clear(&err);
    queued = -1;
    assert_int_equal(store_webhook_replay(fx->st, &w, &window, &queued, &err), PP_INVALID_PARAMS);
    assert_int_equal(queued, 0);
    assert_int_equal(counts(fx->st).deliveries_pending, 0);

    pp_err_clear(&err);
    struct store_webhook_replay after_second = {.id = h.id, .after_id = second};
    assert_int_equal(store_webhook_replay(fx->st, &w, &after_second, &queued, &err), PP_OK);
    assert_int_equal(queued, PP_WEBHOOK_REPLAY_MAX);
    assert_int_equal(counts(fx->st).deliveries_pending, PP_WEBHOOK_REPLAY_MAX);
    struct store_webhook_replay part = {.id = h.id, .from_ms = 2, .to_ms = 11};
    assert_int_equal(store_webhook_replay(fx->st, &w, &part, &queued, &err), PP_OK);
    assert_int_equal(queued, 10);
    assert_int_equal(counts(fx->st).deliveries_pending, PP_WEBHOOK_REPLAY_MAX + 10);
}

/* What is pending survives a restart. */
static void test_outbox_survives_reopen(void **state)
{
    struct any_fx *fx = *state;
    struct pp_webhook_due d[DUE_MAX];
    struct pp_webhook h = webhook_new(fx->st, wall_ms(), 0, "v1.s");
    assert_int_equal(funds_at(fx->st, wall_ms(), "EUR", PP_LEDGER_DEPOSIT, 10), PP_OK);
    any_reopen(fx);
    assert_int_equal(counts(fx->st).deliveries_pending, 1);
    assert_int_equal(due(fx->st, d), 1);
    assert_int_equal(d[0].endpoint_id, h.id);
    assert_int_equal(d[0].event_id, event_of_type(fx->st, PP_EVENT_FUNDS_DEPOSITED));
}

/* --- Notifications ------------------------------------------------------------------------ */

static size_t notes_of(struct store *st, const int64_t *ids, size_t id_count,
                       struct pp_notification *out, size_t cap)
{
    size_t n = 99;
    struct pp_err err = {0};
    assert_int_equal(store_notifications_of_payouts(st, ids, id_count, out, cap, &n, &err), PP_OK);
    return n;
}

static size_t notes_due(struct store *st, struct pp_notify_due *out, size_t cap,
                        int64_t *next_ms_out)
{
    size_t n = 99;
    int64_t next = 0;
    struct pp_err err = {0};
    assert_int_equal(store_notifications_due(st, wall_ms(), out, cap, &n, &next, &err), PP_OK);
    if (next_ms_out != NULL) {
        *next_ms_out = next;
    }
    return n;
}

/* Records what sending notification id came to, at the wall clock; a
** retry (PENDING) is RETRY_AHEAD_MS ahead. Returns the retry's next_ms. */
static int64_t note_record(struct store *st, int64_t id, enum pp_notify_status status,
                           const char *error)
{
    int64_t now = wall_ms();
    struct pp_notify_result r = {.id = id,
                                 .status = status,
                                 .at_ms = now,
                                 .next_ms = status == PP_NOTIFY_PENDING ? now + RETRY_AHEAD_MS : 0};
    snprintf(r.error, sizeof r.error, "%s", error);
    struct pp_err err = {0};
    assert_int_equal(store_notifications_record(st, &r, 1, &err), PP_OK);
    return r.next_ms;
}

/* A READY payout with notification on and an e-mail has a due "ready"
** notification; sent, it is no longer due; received, a "received" one
** follows. */
static void test_notify_ready_and_received(void **state)
{
    struct any_fx *fx = *state;
    struct pp_notify_due due_n[4];
    struct pp_notification notes[4];
    store_outbox_configure(fx->st, NULL, NULL, 1);
    assert_int_equal(funds_at(fx->st, wall_ms(), "EUR", PP_LEDGER_DEPOSIT, 100), PP_OK);
    int ready_notice = -1;
    int64_t created = wall_ms();
    struct payout_spec spec = {.user = "alice",
                               .email = "alice@example.invalid",
                               .notification = 1,
                               .status = PP_PAYOUT_READY,
                               .amount = 42};
    int64_t p = payout_at(fx->st, created, &spec, &ready_notice);
    assert_int_equal(ready_notice, 1);
    assert_int_equal(counts(fx->st).notifications[PP_NOTIFY_PENDING], 1);

    assert_int_equal(notes_of(fx->st, &p, 1, notes, 4), 1);
    assert_true(notes[0].id > 0);
    assert_int_equal(notes[0].payout_id, p);
    assert_int_equal(notes[0].kind, PP_NOTIFY_READY);
    assert_int_equal(notes[0].status, PP_NOTIFY_PENDING);
    assert_int_equal(notes[0].attempts, 0);
    assert_int_equal(notes[0].at_ms, created);

    assert_int_equal(notes_due(fx->st, due_n, 4, NULL), 1);
    assert_int_equal(due_n[0].n.id, notes[0].id);
    assert_int_equal(due_n[0].n.kind, PP_NOTIFY_READY);
    assert_int_equal(due_n[0].n.attempts, 0);
    assert_int_equal(due_n[0].payout.id, p);
    assert_int_equal(due_n[0].payout.amount_minor, 42);
    assert_string_equal(due_n[0].payout.currency, "EUR");
    assert_string_equal(due_n[0].payout.description, "bonus for alice");
    assert_string_equal(due_n[0].email, "alice@example.invalid");
    assert_string_equal(due_n[0].project, "Spring bonus");

    int64_t sent_at = wall_ms();
    note_record(fx->st, due_n[0].n.id, PP_NOTIFY_SENT, "");
    assert_int_equal(notes_due(fx->st, due_n, 4, NULL), 0);
    assert_int_equal(notes_of(fx->st, &p, 1, notes, 4), 1);
    assert_int_equal(notes[0].status, PP_NOTIFY_SENT);
    assert_int_equal(notes[0].attempts, 1);
    assert_true(notes[0].at_ms >= sent_at);
    struct pp_outbox_counts oc = counts(fx->st);
    assert_int_equal(oc.notifications[PP_NOTIFY_PENDING], 0);
    assert_int_equal(oc.notifications[PP_NOTIFY_SENT], 1);

    payout_receive(fx->st, wall_ms(), p);
    assert_int_equal(notes_due(fx->st, due_n, 4, NULL), 1);
    assert_int_equal(due_n[0].n.kind, PP_NOTIFY_RECEIVED);
    assert_int_equal(due_n[0].payout.status, PP_PAYOUT_RECEIVED);
    note_record(fx->st, due_n[0].n.id, PP_NOTIFY_FAILED, "550 no such mailbox");
    assert_int_equal(notes_due(fx->st, due_n, 4, NULL), 0);
    assert_int_equal(notes_of(fx->st, &p, 1, notes, 4), 2);
    assert_int_equal(notes[0].kind, PP_NOTIFY_READY);
    assert_int_equal(notes[0].status, PP_NOTIFY_SENT);
    assert_int_equal(notes[1].kind, PP_NOTIFY_RECEIVED);
    assert_int_equal(notes[1].status, PP_NOTIFY_FAILED);
    assert_string_equal(notes[1].last_error, "550 no such mailbox");
    oc = counts(fx->st);
    assert_int_equal(oc.notifications[PP_NOTIFY_SENT], 1);
    assert_int_equal(oc.notifications[PP_NOTIFY_FAILED], 1);
    assert_int_equal(oc.notifications[PP_NOTIFY_PENDING], 0);
}

/* A failed send to retry stays pending: not due before its time, due
** after it with the attempt counted. */
static void test_notify_retry(void **state)
{
    struct any_fx *fx = *state;
    struct pp_notify_due due_n[4];
    store_outbox_configure(fx->st, NULL, NULL, 1);
    assert_int_equal(funds_at(fx->st, wall_ms(), "EUR", PP_LEDGER_DEPOSIT, 100), PP_OK);
    struct payout_spec spec = {.user = "alice",
                               .email = "alice@example.invalid",
                               .notification = 1,
                               .status = PP_PAYOUT_READY,
                               .amount = 5};
    int64_t p = payout_at(fx->st, wall_ms(), &spec, NULL);
    assert_int_equal(notes_due(fx->st, due_n, 4, NULL), 1);
    int64_t id = due_n[0].n.id;
    int64_t next_ms = note_record(fx->st, id, PP_NOTIFY_PENDING, "451 try again later");
    int64_t next_seen = 0;
    assert_int_equal(notes_due(fx->st, due_n, 4, &next_seen), 0);
    if (next_seen < next_ms - RETRY_SLACK_MS || next_seen > next_ms + RETRY_SLACK_MS) {
        fail_msg("the next notification falls due at %lld, the retry was set for %lld",
                 (long long)next_seen, (long long)next_ms);
    }
    struct pp_notification notes[2];
    assert_int_equal(notes_of(fx->st, &p, 1, notes, 2), 1);
    assert_int_equal(notes[0].status, PP_NOTIFY_PENDING);
    assert_int_equal(notes[0].attempts, 1);
    assert_string_equal(notes[0].last_error, "451 try again later");

    wait_until(next_ms + RETRY_SLACK_MS);
    assert_int_equal(notes_due(fx->st, due_n, 4, NULL), 1);
    assert_int_equal(due_n[0].n.id, id);
    assert_int_equal(due_n[0].n.attempts, 1);
    note_record(fx->st, id, PP_NOTIFY_SENT, "");
    assert_int_equal(notes_due(fx->st, due_n, 4, NULL), 0);
    assert_int_equal(counts(fx->st).notifications[PP_NOTIFY_SENT], 1);
}

/* No notification with the payout's notification off, or without an
** e-mail; an UNAUTHORIZED payout's "ready" one comes when it is
** authorized. Read for a page of payouts: by payout id, then kind. */
static void test_notify_when(void **state)
{
    struct any_fx *fx = *state;
    struct pp_notify_due due_n[4];
    struct pp_notification notes[8];
    store_outbox_configure(fx->st, NULL, NULL, 1);
    assert_int_equal(funds_at(fx->st, wall_ms(), "EUR", PP_LEDGER_DEPOSIT, 100), PP_OK);
    int ready_notice = -1;
    struct payout_spec off = {.user = "olga",
                              .email = "olga@example.invalid",
                              .notification = 0,
                              .status = PP_PAYOUT_READY,
                              .amount = 5};
    int64_t p_off = payout_at(fx->st, wall_ms(), &off, &ready_notice);
    assert_int_equal(ready_notice, 0);
    struct payout_spec no_mail = {
        .user = "nina", .email = "", .notification = 1, .status = PP_PAYOUT_READY, .amount = 5};
    int64_t p_no_mail = payout_at(fx->st, wall_ms(), &no_mail, &ready_notice);
    assert_int_equal(ready_notice, 0);
    struct payout_spec unauth = {.user = "uma",
                                 .email = "uma@example.invalid",
                                 .notification = 1,
                                 .status = PP_PAYOUT_UNAUTHORIZED,
                                 .amount = 5};
    int64_t p_unauth = payout_at(fx->st, wall_ms(), &unauth, &ready_notice);
    assert_int_equal(ready_notice, 0);

    int64_t ids[3] = {p_off, p_no_mail, p_unauth};
    assert_int_equal(notes_of(fx->st, ids, 3, notes, 8), 0);
    assert_int_equal(notes_due(fx->st, due_n, 4, NULL), 0);
    payout_receive(fx->st, wall_ms(), p_off);
    payout_receive(fx->st, wall_ms(), p_no_mail);
    assert_int_equal(notes_of(fx->st, ids, 3, notes, 8), 0);
    struct pp_outbox_counts oc = counts(fx->st);
    for (int s = PP_NOTIFY_PENDING; s <= PP_NOTIFY_SKIPPED; s++) {
        assert_int_equal(oc.notifications[s], 0);
    }

    payout_change(fx->st, wall_ms(), STORE_PAYOUT_AUTHORIZE, p_unauth);
    payout_receive(fx->st, wall_ms(), p_unauth);
    struct payout_spec later = {.user = "lea",
                                .email = "lea@example.invalid",
                                .notification = 1,
                                .status = PP_PAYOUT_READY,
                                .amount = 5};
    int64_t p_later = payout_at(fx->st, wall_ms(), &later, &ready_notice);
    assert_int_equal(ready_notice, 1);
    int64_t page[4] = {p_later, p_off, p_unauth, p_no_mail};
    assert_int_equal(notes_of(fx->st, page, 4, notes, 8), 3);
    assert_int_equal(notes[0].payout_id, p_unauth);
    assert_int_equal(notes[0].kind, PP_NOTIFY_READY);
    assert_int_equal(notes[1].payout_id, p_unauth);
    assert_int_equal(notes[1].kind, PP_NOTIFY_RECEIVED);
    assert_int_equal(notes[2].payout_id, p_later);
    assert_int_equal(notes[2].kind, PP_NOTIFY_READY);
    assert_int_equal(notes_due(fx->st, due_n, 4, NULL), 3);
    assert_int_equal(due_n[0].n.payout_id, p_unauth);
    assert_int_equal(due_n[0].n.kind, PP_NOTIFY_READY);
    assert_string_equal(due_n[0].email, "uma@example.invalid");
    assert_int_equal(due_n[2].n.payout_id, p_later);
    assert_int_equal(counts(fx->st).notifications[PP_NOTIFY_PENDING], 3);
}

/* Without mail the notification is recorded as skipped, never due. */
static void test_notify_without_mail(void **state)
{
    struct any_fx *fx = *state;
    struct pp_notify_due due_n[4];
    struct pp_notification notes[2];
    store_outbox_configure(fx->st, NULL, NULL, 0);
    assert_int_equal(funds_at(fx->st, wall_ms(), "EUR", PP_LEDGER_DEPOSIT, 100), PP_OK);
    int ready_notice = -1;
    struct payout_spec spec = {.user = "alice",
                               .email = "alice@example.invalid",
                               .notification = 1,
                               .status = PP_PAYOUT_READY,
                               .amount = 5};
    int64_t p = payout_at(fx->st, wall_ms(), &spec, &ready_notice);
    assert_int_equal(ready_notice, 1);
    assert_int_equal(notes_of(fx->st, &p, 1, notes, 2), 1);
    assert_int_equal(notes[0].kind, PP_NOTIFY_READY);
    assert_int_equal(notes[0].status, PP_NOTIFY_SKIPPED);
    assert_int_equal(notes_due(fx->st, due_n, 4, NULL), 0);
    struct pp_outbox_counts oc = counts(fx->st);
    assert_int_equal(oc.notifications[PP_NOTIFY_SKIPPED], 1);
    assert_int_equal(oc.notifications[PP_NOTIFY_PENDING], 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_payout_and_funds_events, any_setup, any_teardown),
        cmocka_unit_test_setup_teardown(test_funds_events, any_setup, any_teardown),
        cmocka_unit_test_setup_teardown(test_feed_filters, any_setup, any_teardown),
        cmocka_unit_test_setup_teardown(test_endpoint_lifecycle, any_setup, any_teardown),
        cmocka_unit_test_setup_teardown(test_endpoint_limit, any_setup, any_teardown),
        cmocka_unit_test_setup_teardown(test_delivery_success, any_setup, any_teardown),
        cmocka_unit_test_setup_teardown(test_delivery_retry, any_setup, any_teardown),
        cmocka_unit_test_setup_teardown(test_delivery_subscriptions, any_setup, any_teardown),
        cmocka_unit_test_setup_teardown(test_delivery_waits_while_disabled, any_setup,
                                        any_teardown),
        cmocka_unit_test_setup_teardown(test_order_rule, any_setup, any_teardown),
        cmocka_unit_test_setup_teardown(test_disable_rules, any_setup, any_teardown),
        cmocka_unit_test_setup_teardown(test_delete_gives_up, any_setup, any_teardown),
        cmocka_unit_test_setup_teardown(test_webhook_test_event, any_setup, any_teardown),
        cmocka_unit_test_setup_teardown(test_replay, any_setup, any_teardown),
        cmocka_unit_test_setup_teardown(test_replay_bounds, any_setup, any_teardown),
        cmocka_unit_test_setup_teardown(test_outbox_survives_reopen, any_setup, any_teardown),
        cmocka_unit_test_setup_teardown(test_notify_ready_and_received, any_setup, any_teardown),
        cmocka_unit_test_setup_teardown(test_notify_retry, any_setup, any_teardown),
        cmocka_unit_test_setup_teardown(test_notify_when, any_setup, any_teardown),
        cmocka_unit_test_setup_teardown(test_notify_without_mail, any_setup, any_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
