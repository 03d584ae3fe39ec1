/*
** This module tests the money operations of the store interface
** (the headers of payout/store/) on whichever backend the run picks (support/
** store_any.h): SQLite by default, PostgreSQL with
** PP_TEST_BACKEND=postgresql. It reaches the store only through that
** interface, so the same assertions hold both backends to one contract:
** deposits and withdrawals to the exact minor unit in several currencies;
** payouts blocking, paying out and releasing exactly what they hold; a
** refused write (overdraft, a closed payout, a used Idempotency-Key, a
** write guard) leaving nothing behind; expiry's list of ended payouts and
** the open counts; a page of payouts and the payout totals under a
** filter; idempotent answers and their purge; store_check finding nothing
** wrong; and every figure still exact after the store is reopened.
**
** It does not test the SQL of either backend, the writer's batching or
** the HTTP layer: those have their own tests.
*/
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "payout/model.h"
#include "payout/model/list.h"
#include "payout/store/idempotency.h"
#include "payout/store/lifecycle.h"
#include "payout/store/reads.h"
#include "payout/store/store.h"
#include "support/store_any.h"

/* The tests' clock: every write names its own moment. */
#define T0 1767225600000LL
#define HOUR_MS 3600000LL

static const struct pp_actor admin = {.kind = PP_ACTOR_ADMIN, .admin_id = 1, .addr = "127.0.0.1"};
static const struct pp_actor server = {.kind = PP_ACTOR_SYSTEM};

static struct store_write_ctx at(int64_t now_ms)
{
    struct store_write_ctx w = {.actor = &admin, .now_ms = now_ms, .idem = NULL};
    return w;
}

/* --- Funds ---------------------------------------------------------------- */

/* Deposits (amount > 0) or withdraws (amount < 0) |amount| of cur at now_ms. */
static enum pp_status funds(struct store *st, const char *cur, int64_t amount, int64_t now_ms,
                            struct pp_balance *after_out)
{
    struct store_write_ctx w = at(now_ms);
    struct pp_movement m = {
        .currency = cur,
        .kind = amount > 0 ? PP_LEDGER_DEPOSIT : PP_LEDGER_WITHDRAW,
        .d_available = amount,
        .admin_id = admin.admin_id,
        .at_ms = now_ms,
    };
    struct pp_err err = {0};
    return store_funds_move(st, &w, &m, amount > 0 ? "funds.deposit" : "funds.withdraw", "test",
                            after_out, &err);
}

static void deposit(struct store *st, const char *cur, int64_t amount)
{
    assert_int_equal(funds(st, cur, amount, T0, NULL), PP_OK);
}

/* Every balance row, ordered by currency: the list as the store gives it. */
struct balances {
    struct pp_balance rows[16];
    size_t count;
};

static void balances_read(struct store *st, struct balances *out)
{
    struct pp_err err = {0};
    memset(out, 0, sizeof *out);
    assert_int_equal(store_balances_list(st, out->rows, 16, &out->count, &err), PP_OK);
}

/* The balance of cur; 0 when the currency has no balance row. */
static int balance_find(struct store *st, const char *cur, struct pp_balance *out)
{
    struct balances all;
    balances_read(st, &all);
    for (size_t i = 0; i < all.count; i++) {
        if (strcmp(all.rows[i].currency, cur) == 0) {
            *out = all.rows[i];
            return 1;
        }
    }
    return 0;
}

/* Asserts the balance of cur to the minor unit. */
static void balance_is(struct store *st, const char *cur, int64_t available, int64_t blocked,
                       int64_t paid_out)
{
    struct pp_balance b;
    if (!balance_find(st, cur, &b)) {
        fail_msg("%s has no balance", cur);
    }
    if (b.available != available || b.blocked != blocked || b.paid_out != (__int128)paid_out) {
        fail_msg("%s: available %" PRId64 " blocked %" PRId64 " paid out %" PRId64
                 ", wanted %" PRId64 " %" PRId64 " %" PRId64,
                 cur, b.available, b.blocked, (int64_t)b.paid_out, available, blocked, paid_out);
    }
}

/* --- Payouts -------------------------------------------------------------- */

/* The recipient rule of these tests: the recipient any identifier points
** at, else a new one. (The server's own, with its merging and clashes, is
** core's and tested there.) */
static enum pp_status rule_first_found(const struct pp_recipient *given,
                                       const struct pp_recipient *const *found,
                                       struct pp_recipient *out, int *changed_out,
                                       struct pp_err *err)
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

static void amount_text(const char *currency, int64_t amount_minor, char *out, size_t out_size)
{
    (void)currency;
    snprintf(out, out_size, "%" PRId64, amount_minor);
}

/* What one payout of a test is: the rest is filled in by payout_row. */
struct spec {
    const char *project;
    const char *user_name;
    const char *currency;
    int64_t amount;
    int64_t start_ms;
    int64_t end_ms;
    enum pp_payout_status status;
};

/* A fresh uuid per payout of the process (they are unique per database). */
static void uuid_next(char *out, size_t out_size)
{
    static unsigned n;
    snprintf(out, out_size, "00000000-0000-7000-8000-%012u", ++n);
}

static void payout_row(struct store_payout_new *row, struct pp_recipient *recipient,
                       const struct spec *s)
{
    memset(row, 0, sizeof *row);
    memset(recipient, 0, sizeof *recipient);
    snprintf(recipient->user_name, sizeof recipient->user_name, "%s", s->user_name);
    row->project_name = s->project;
    row->recipient = recipient;
    struct pp_payout *p = &row->payout;
    snprintf(p->currency, sizeof p->currency, "%s", s->currency);
    p->amount_minor = s->amount;
    p->start_ms = s->start_ms;
    p->end_ms = s->end_ms;
    snprintf(p->description, sizeof p->description, "%s %" PRId64, s->currency, s->amount);
    snprintf(p->metadata, sizeof p->metadata, "{\"n\":%" PRId64 "}", s->amount);
    uuid_next(p->uuid, sizeof p->uuid);
    p->status = s->status;
}

/* Creates one payout at now_ms; *out (may be NULL) the stored payout. */
static enum pp_status payout_create(struct store *st, const struct spec *s, int64_t now_ms,
                                    struct pp_payout *out, struct pp_err *err)
{
    struct pp_recipient r;
    struct store_payout_new row;
    payout_row(&row, &r, s);
    struct store_write_ctx w = at(now_ms);
    enum pp_status status =
        store_payouts_create(st, &w, &row, 1, rule_first_found, 0, "payment.create", "test", err);
    if (out != NULL) {
        *out = row.payout;
    }
    return status;
}

/* A READY payout of amount in cur, open from an hour before T0 to end_ms. */
static int64_t payout_ready(struct store *st, const char *cur, int64_t amount, int64_t end_ms)
{
    struct spec s = {"Alpha", "alice", cur, amount, T0 - HOUR_MS, end_ms, PP_PAYOUT_READY};
    struct pp_payout p;
    struct pp_err err = {0};
    assert_int_equal(payout_create(st, &s, T0, &p, &err), PP_OK);
    assert_true(p.id > 0);
    return p.id;
}

static struct pp_payout payout_read(struct store *st, int64_t id)
{
    struct pp_payout p;
    struct pp_err err = {0};
    assert_int_equal(store_payout_get(st, id, &p, &err), PP_OK);
    return p;
}

static int64_t change(struct store *st, enum store_payout_change what, const int64_t *ids,
                      size_t count, int64_t now_ms)
{
    struct store_write_ctx w = at(now_ms);
    w.actor = &server;
    int64_t done = -1;
    struct pp_err err = {0};
    assert_int_equal(store_payouts_change(st, &w, what, ids, count, &done, &err), PP_OK);
    return done;
}

static enum pp_status receive(struct store *st, int64_t id, int64_t now_ms, const char *reference,
                              struct pp_payout *out)
{
    struct store_write_ctx w = at(now_ms);
    struct pp_err err = {0};
    return store_payout_receive(st, &w, id, reference, amount_text, out, &err);
}

/* The open payouts of cur (0 when it has none). */
static int64_t open_count(struct store *st, const char *cur)
{
    struct pp_open_count rows[16];
    size_t n = 0;
    struct pp_err err = {0};
    assert_int_equal(store_payouts_open_count(st, rows, 16, &n, &err), PP_OK);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(rows[i].currency, cur) == 0) {
            assert_true(rows[i].count > 0);
            return rows[i].count;
        }
    }
    return 0;
}

/* --- Reads ---------------------------------------------------------------- */

/* Rows a page hands out, copied. */
struct page_rows {
    struct pp_payout rows[16];
    size_t count;
};

static void page_row(void *ctx, const struct pp_payout *p)
{
    struct page_rows *r = ctx;
    assert_true(r->count < 16);
    r->rows[r->count++] = *p;
}

static void page_read(struct store *st, const struct pp_payout_filter *f,
                      const struct pp_page *page, struct page_rows *rows, struct pp_page_info *info)
{
    struct pp_err err = {0};
    memset(rows, 0, sizeof *rows);
    assert_int_equal(store_payouts_page(st, f, page, page_row, rows, info, &err), PP_OK);
    assert_int_equal(info->rows, rows->count);
}

/* --- store_check ---------------------------------------------------------- */

struct report {
    char text[4096];
    int lines;
};

static void report_line(void *ctx, const char *line)
{
    struct report *r = ctx;
    size_t used = strlen(r->text);
    snprintf(r->text + used, sizeof r->text - used, "%s\n", line);
    r->lines++;
}

/* store_check finds nothing wrong (else the test fails with its lines). */
static void check_clean(struct store *st)
{
    struct report r;
    memset(&r, 0, sizeof r);
    int problems = -1;
    struct pp_err err = {0};
    assert_int_equal(store_check(st, report_line, &r, &problems, &err), PP_OK);
    assert_int_equal(problems, r.lines);
    if (problems != 0) {
        fail_msg("store_check found %d problems:\n%s", problems, r.text);
    }
}

/* --- Tests ---------------------------------------------------------------- */

/* Deposits add up to the minor unit per currency; a withdrawal beyond the
** available funds is refused and changes nothing (not even a balance row
** for a currency never funded); an exact one empties the balance. */
static void test_deposit_withdraw_exact(void **state)
{
    struct any_fx *fx = *state;
    struct pp_balance after;
    assert_int_equal(funds(fx->st, "USD", 1, T0, &after), PP_OK);
    assert_string_equal(after.currency, "USD");
    assert_int_equal(after.available, 1);
    assert_int_equal(funds(fx->st, "USD", 99, T0, &after), PP_OK);
    assert_int_equal(after.available, 100);
    assert_int_equal(funds(fx->st, "USD", 12345, T0, &after), PP_OK);
    assert_int_equal(after.available, 12445);
    assert_int_equal(after.blocked, 0);
    deposit(fx->st, "EUR", 99);
    deposit(fx->st, "JPY", 12345);
    deposit(fx->st, "KWD", 1);

    struct balances all;
    balances_read(fx->st, &all);
    assert_int_equal(all.count, 4);
    const char *order[] = {"EUR", "JPY", "KWD", "USD"};
    const int64_t available[] = {99, 12345, 1, 12445};
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(all.rows[i].currency, order[i]);
        assert_int_equal(all.rows[i].available, available[i]);
        assert_int_equal(all.rows[i].blocked, 0);
        assert_true(all.rows[i].paid_out == 0);
    }

    /* One minor unit too many: refused, nothing half-written. */
    assert_int_equal(funds(fx->st, "USD", -12446, T0 + 1, NULL), PP_INSUFFICIENT_FUNDS);
    balance_is(fx->st, "USD", 12445, 0, 0);
    assert_int_equal(funds(fx->st, "GBP", -1, T0 + 1, NULL), PP_INSUFFICIENT_FUNDS);
    struct pp_balance none;
    assert_false(balance_find(fx->st, "GBP", &none));
    balances_read(fx->st, &all);
    assert_int_equal(all.count, 4);

    /* The rest of the currencies are untouched by USD's moves. */
    assert_int_equal(funds(fx->st, "USD", -12345, T0 + 2, &after), PP_OK);
    assert_int_equal(after.available, 100);
    assert_int_equal(funds(fx->st, "USD", -100, T0 + 2, &after), PP_OK);
    assert_int_equal(after.available, 0);
    assert_int_equal(funds(fx->st, "USD", -1, T0 + 3, NULL), PP_INSUFFICIENT_FUNDS);
    balance_is(fx->st, "USD", 0, 0, 0);
    balance_is(fx->st, "EUR", 99, 0, 0);
    balance_is(fx->st, "JPY", 12345, 0, 0);
    balance_is(fx->st, "KWD", 1, 0, 0);
    check_clean(fx->st);
}

/* A payout blocks exactly its amount and reads back as stored; receiving
** moves it from blocked to paid out, cancelling releases it; a closed
** payout cannot be received or cancelled again, and trying changes
** nothing; nor can a payout outside its window or not yet authorized. */
static void test_payout_lifecycle(void **state)
{
    struct any_fx *fx = *state;
    deposit(fx->st, "USD", 12445);
    deposit(fx->st, "EUR", 100);

    struct spec sa = {"Alpha", "alice", "USD", 12345, T0 - HOUR_MS, T0 + HOUR_MS, PP_PAYOUT_READY};
    struct pp_payout a;
    struct pp_err err = {0};
    assert_int_equal(payout_create(fx->st, &sa, T0, &a, &err), PP_OK);
    int64_t b = payout_ready(fx->st, "USD", 99, T0 + HOUR_MS);
    int64_t c = payout_ready(fx->st, "EUR", 1, T0 + HOUR_MS);
    balance_is(fx->st, "USD", 1, 12444, 0);
    balance_is(fx->st, "EUR", 99, 1, 0);
    assert_int_equal(open_count(fx->st, "USD"), 2);
    assert_int_equal(open_count(fx->st, "EUR"), 1);

    /* What was stored is what is read. */
    struct pp_payout got = payout_read(fx->st, a.id);
    assert_int_equal(got.id, a.id);
    assert_true(got.project_id > 0);
    assert_int_equal(got.project_id, a.project_id);
    assert_true(got.recipient_id > 0);
    assert_int_equal(got.recipient_id, a.recipient_id);
    assert_string_equal(got.currency, "USD");
    assert_int_equal(got.amount_minor, 12345);
    assert_int_equal(got.start_ms, T0 - HOUR_MS);
    assert_int_equal(got.end_ms, T0 + HOUR_MS);
    assert_string_equal(got.description, "USD 12345");
    assert_string_equal(got.metadata, "{\"n\":12345}");
    assert_string_equal(got.uuid, a.uuid);
    assert_int_equal(got.notification, 0);
    assert_int_equal(got.status, PP_PAYOUT_READY);
    assert_int_equal(got.created_ms, T0);
    assert_int_equal(got.updated_ms, T0);
    assert_int_equal(got.created_by_user, admin.admin_id);
    assert_int_equal(got.received_ms, 0);
    assert_string_equal(got.reference, "");
    /* The same recipient and project for b: the rule found alice. */
    struct pp_payout gb = payout_read(fx->st, b);
    assert_int_equal(gb.recipient_id, a.recipient_id);
    assert_int_equal(gb.project_id, a.project_id);

    /* Receive a: blocked -> paid out. */
    struct pp_payout out;
    assert_int_equal(receive(fx->st, a.id, T0 + 1, "wire-1", &out), PP_OK);
    assert_int_equal(out.status, PP_PAYOUT_RECEIVED);
    assert_int_equal(out.received_ms, T0 + 1);
    assert_string_equal(out.reference, "wire-1");
    balance_is(fx->st, "USD", 1, 99, 12345);
    got = payout_read(fx->st, a.id);
    assert_int_equal(got.status, PP_PAYOUT_RECEIVED);
    assert_string_equal(got.reference, "wire-1");

    /* Cancel b: blocked -> available. */
    assert_int_equal(change(fx->st, STORE_PAYOUT_CANCEL, &b, 1, T0 + 2), 1);
    balance_is(fx->st, "USD", 100, 0, 12345);
    gb = payout_read(fx->st, b);
    assert_int_equal(gb.status, PP_PAYOUT_CANCELLED);
    assert_int_equal(gb.cancelled_ms, T0 + 2);
    assert_int_equal(open_count(fx->st, "USD"), 0);

    /* Closed is closed: refused, the payout as it stands comes back. */
    assert_int_equal(receive(fx->st, a.id, T0 + 3, "wire-2", &out), PP_CONFLICT);
    assert_int_equal(out.id, a.id);
    assert_int_equal(out.status, PP_PAYOUT_RECEIVED);
    assert_string_equal(out.reference, "wire-1");
    assert_int_equal(receive(fx->st, b, T0 + 3, NULL, &out), PP_CONFLICT);
    assert_int_equal(out.status, PP_PAYOUT_CANCELLED);
    int64_t both[] = {a.id, b};
    assert_int_equal(change(fx->st, STORE_PAYOUT_CANCEL, both, 2, T0 + 3), 0);
    assert_int_equal(payout_read(fx->st, a.id).status, PP_PAYOUT_RECEIVED);
    assert_int_equal(payout_read(fx->st, b).status, PP_PAYOUT_CANCELLED);
    assert_int_equal(payout_read(fx->st, b).updated_ms, T0 + 2);
    balance_is(fx->st, "USD", 100, 0, 12345);
    struct pp_err nf = {0};
    struct store_write_ctx w = at(T0 + 3);
    assert_int_equal(store_payout_receive(fx->st, &w, 987654, NULL, amount_text, &out, &nf),
                     PP_NOT_FOUND);
    struct pp_err nf2 = {0};
    assert_int_equal(store_payout_get(fx->st, 987654, &got, &nf2), PP_NOT_FOUND);

    /* Outside its window, or not authorized: not receivable, still open. */
    int64_t late = payout_ready(fx->st, "USD", 99, T0 + 10);
    assert_int_equal(receive(fx->st, late, T0 + 11, NULL, &out), PP_CONFLICT);
    assert_int_equal(out.status, PP_PAYOUT_READY);
    struct spec su = {"Alpha", "bob", "USD", 1, T0 - HOUR_MS, T0 + HOUR_MS, PP_PAYOUT_UNAUTHORIZED};
    struct pp_payout u;
    struct pp_err e3 = {0};
    assert_int_equal(payout_create(fx->st, &su, T0, &u, &e3), PP_OK);
    assert_int_not_equal(u.recipient_id, a.recipient_id);
    assert_int_equal(receive(fx->st, u.id, T0 + 4, NULL, &out), PP_CONFLICT);
    assert_int_equal(out.status, PP_PAYOUT_UNAUTHORIZED);
    balance_is(fx->st, "USD", 0, 100, 12345);
    balance_is(fx->st, "EUR", 99, 1, 0);
    assert_int_equal(open_count(fx->st, "USD"), 2);
    assert_int_equal(payout_read(fx->st, c).status, PP_PAYOUT_READY);
    check_clean(fx->st);
}

/* A create the balance cannot afford is refused and writes nothing: not
** its payout, not an earlier row of the same call, not a block. A check
** only create writes nothing either. */
static void test_create_unaffordable(void **state)
{
    struct any_fx *fx = *state;
    deposit(fx->st, "GBP", 99);
    deposit(fx->st, "CHF", 12345);

    struct spec s = {"Alpha", "alice", "GBP", 100, T0 - HOUR_MS, T0 + HOUR_MS, PP_PAYOUT_READY};
    struct pp_err err = {0};
    assert_int_equal(payout_create(fx->st, &s, T0, NULL, &err), PP_INSUFFICIENT_FUNDS);
    assert_string_equal(err.message, "insufficient funds in GBP");
    balance_is(fx->st, "GBP", 99, 0, 0);
    assert_int_equal(open_count(fx->st, "GBP"), 0);

    /* Three rows: CHF fits, GBP 50 fits, the second GBP 50 does not. */
    const struct spec specs[3] = {
        {"Alpha", "alice", "CHF", 12345, T0 - HOUR_MS, T0 + HOUR_MS, PP_PAYOUT_READY},
        {"Alpha", "bob", "GBP", 50, T0 - HOUR_MS, T0 + HOUR_MS, PP_PAYOUT_READY},
        {"Beta", "carol", "GBP", 50, T0 - HOUR_MS, T0 + HOUR_MS, PP_PAYOUT_READY},
    };
    struct store_payout_new rows[3];
    struct pp_recipient recipients[3];
    for (size_t i = 0; i < 3; i++) {
        payout_row(&rows[i], &recipients[i], &specs[i]);
    }
    struct store_write_ctx w = at(T0);
    struct pp_err err2 = {0};
    assert_int_equal(store_payouts_create(fx->st, &w, rows, 3, rule_first_found, 0,
                                          "payment.create", "test", &err2),
                     PP_INSUFFICIENT_FUNDS);
    assert_string_equal(err2.message, "insufficient funds in GBP");
    assert_int_equal(rows[0].err.status, PP_OK);
    assert_int_equal(rows[1].err.status, PP_OK);
    assert_int_equal(rows[2].err.status, PP_INSUFFICIENT_FUNDS);
    balance_is(fx->st, "GBP", 99, 0, 0);
    balance_is(fx->st, "CHF", 12345, 0, 0);
    assert_int_equal(open_count(fx->st, "GBP"), 0);
    assert_int_equal(open_count(fx->st, "CHF"), 0);

    /* A currency never funded: refused, and it gets no balance row. */
    struct spec nofunds = {"Alpha", "alice", "SEK", 1, T0 - HOUR_MS, T0 + HOUR_MS, PP_PAYOUT_READY};
    struct pp_err err3 = {0};
    assert_int_equal(payout_create(fx->st, &nofunds, T0, NULL, &err3), PP_INSUFFICIENT_FUNDS);
    struct pp_balance b;
    assert_false(balance_find(fx->st, "SEK", &b));

    /* check_only: PP_OK, yet nothing written. */
    payout_row(&rows[0], &recipients[0], &specs[0]);
    struct pp_err err4 = {0};
    assert_int_equal(store_payouts_create(fx->st, &w, rows, 1, rule_first_found, 1,
                                          "payment.create", "test", &err4),
                     PP_OK);
    balance_is(fx->st, "CHF", 12345, 0, 0);
    assert_int_equal(open_count(fx->st, "CHF"), 0);

    /* Nothing was written: the page of every payout is empty. */
    struct pp_payout_filter all = {0};
    struct pp_page page = {.order = PP_ORDER_ID, .limit = 10, .want_total = 1};
    struct pp_page_info info;
    struct page_rows rows_none;
    page_read(fx->st, &all, &page, &rows_none, &info);
    assert_int_equal(info.rows, 0);
    assert_int_equal(info.total, 0);

    /* Exactly what is there is affordable. */
    s.amount = 99;
    struct pp_err err6 = {0};
    assert_int_equal(payout_create(fx->st, &s, T0, NULL, &err6), PP_OK);
    balance_is(fx->st, "GBP", 0, 99, 0);
    assert_int_equal(open_count(fx->st, "GBP"), 1);
    check_clean(fx->st);
}

/* Expiry's list holds the open payouts whose end has passed (strictly),
** earliest end first, up to cap; expiring them releases their funds and
** takes them off the list and the open counts. */
static void test_expiry_list(void **state)
{
    struct any_fx *fx = *state;
    deposit(fx->st, "CHF", 100000);
    deposit(fx->st, "NOK", 100);
    int64_t p300 = payout_ready(fx->st, "CHF", 1, T0 + 300);
    int64_t p100 = payout_ready(fx->st, "CHF", 99, T0 + 100);
    int64_t p200 = payout_ready(fx->st, "NOK", 12, T0 + 200);
    int64_t later = payout_ready(fx->st, "CHF", 12345, T0 + HOUR_MS);
    int64_t closed = payout_ready(fx->st, "CHF", 7, T0 + 50);
    assert_int_equal(change(fx->st, STORE_PAYOUT_CANCEL, &closed, 1, T0 + 1), 1);
    struct spec su = {"Alpha", "bob", "CHF", 1000, T0 - HOUR_MS, T0 + 150, PP_PAYOUT_UNAUTHORIZED};
    struct pp_payout u;
    struct pp_err err = {0};
    assert_int_equal(payout_create(fx->st, &su, T0, &u, &err), PP_OK);
    assert_int_equal(open_count(fx->st, "CHF"), 4);
    assert_int_equal(open_count(fx->st, "NOK"), 1);
    balance_is(fx->st, "CHF", 100000 - 1 - 99 - 12345 - 1000, 1 + 99 + 12345 + 1000, 0);

    int64_t ids[8];
    size_t n = 99;
    struct pp_err e = {0};
    assert_int_equal(store_payouts_ended_list(fx->st, T0 + 100, ids, 8, &n, &e), PP_OK);
    assert_int_equal(n, 0);
    assert_int_equal(store_payouts_ended_list(fx->st, T0 + 101, ids, 8, &n, &e), PP_OK);
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], p100);
    assert_int_equal(store_payouts_ended_list(fx->st, T0 + 1000, ids, 8, &n, &e), PP_OK);
    assert_int_equal(n, 4);
    const int64_t want[] = {p100, u.id, p200, p300};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(ids[i], want[i]);
    }
    assert_int_equal(store_payouts_ended_list(fx->st, T0 + 1000, ids, 2, &n, &e), PP_OK);
    assert_int_equal(n, 2);
    assert_int_equal(ids[0], p100);
    assert_int_equal(ids[1], u.id);

    /* Expire the list and the one still running: only the ended go. */
    int64_t asked[] = {p100, u.id, p200, p300, later, closed};
    assert_int_equal(change(fx->st, STORE_PAYOUT_EXPIRE, asked, 6, T0 + 1000), 4);
    assert_int_equal(payout_read(fx->st, p200).status, PP_PAYOUT_EXPIRED);
    assert_int_equal(payout_read(fx->st, p200).expired_ms, T0 + 1000);
    assert_int_equal(payout_read(fx->st, u.id).status, PP_PAYOUT_EXPIRED);
    assert_int_equal(payout_read(fx->st, later).status, PP_PAYOUT_READY);
    assert_int_equal(payout_read(fx->st, closed).status, PP_PAYOUT_CANCELLED);
    assert_int_equal(store_payouts_ended_list(fx->st, T0 + 1000, ids, 8, &n, &e), PP_OK);
    assert_int_equal(n, 0);
    assert_int_equal(open_count(fx->st, "CHF"), 1);
    assert_int_equal(open_count(fx->st, "NOK"), 0);
    balance_is(fx->st, "CHF", 100000 - 12345, 12345, 0);
    balance_is(fx->st, "NOK", 100, 0, 0);
    /* Expiring again does nothing. */
    assert_int_equal(change(fx->st, STORE_PAYOUT_EXPIRE, asked, 6, T0 + 2000), 0);
    balance_is(fx->st, "CHF", 100000 - 12345, 12345, 0);
    check_clean(fx->st);
}

struct totals {
    struct pp_total rows[16];
    size_t count;
};

static void total_row(void *ctx, const struct pp_total *t)
{
    struct totals *r = ctx;
    assert_true(r->count < 16);
    r->rows[r->count++] = *t;
}

static void total_is(const struct pp_total *t, const char *cur, enum pp_payout_status status,
                     int64_t count, int64_t sum)
{
    if (strcmp(t->currency, cur) != 0 || t->status != status || t->count != count ||
        t->sum_minor != (__int128)sum) {
        fail_msg("total %s %d: %" PRId64 " payouts, %" PRId64 "; wanted %s %d: %" PRId64
                 " payouts, %" PRId64,
                 t->currency, (int)t->status, t->count, (int64_t)t->sum_minor, cur, (int)status,
                 count, sum);
    }
}

/* A page under a filter holds exactly the matching payouts in the order
** asked, with its total; the totals of a recipient and of a project count
** and sum exactly per currency and status. */
static void test_page_and_totals(void **state)
{
    struct any_fx *fx = *state;
    deposit(fx->st, "USD", 100000);
    deposit(fx->st, "EUR", 100000);
    const struct spec specs[] = {
        {"Alpha", "alice", "USD", 1, T0 - HOUR_MS, T0 + HOUR_MS, PP_PAYOUT_READY},
        {"Alpha", "alice", "USD", 99, T0 - HOUR_MS, T0 + HOUR_MS, PP_PAYOUT_READY},
        {"Alpha", "bob", "EUR", 12345, T0 - HOUR_MS, T0 + HOUR_MS, PP_PAYOUT_READY},
        {"Alpha", "alice", "EUR", 7, T0 - HOUR_MS, T0 + HOUR_MS, PP_PAYOUT_READY},
        {"Beta", "alice", "USD", 500, T0 - HOUR_MS, T0 + HOUR_MS, PP_PAYOUT_READY},
        {"Alpha", "alice", "USD", 12345, T0 - HOUR_MS, T0 + HOUR_MS, PP_PAYOUT_READY},
    };
    struct pp_payout p[6];
    for (size_t i = 0; i < 6; i++) {
        struct pp_err err = {0};
        assert_int_equal(payout_create(fx->st, &specs[i], T0 + (int64_t)i, &p[i], &err), PP_OK);
    }
    assert_int_equal(change(fx->st, STORE_PAYOUT_CANCEL, &p[1].id, 1, T0 + 10), 1);
    struct pp_payout out;
    assert_int_equal(receive(fx->st, p[5].id, T0 + 11, NULL, &out), PP_OK);
    int64_t alpha = p[0].project_id;
    int64_t beta = p[4].project_id;
    int64_t alice = p[0].recipient_id;
    assert_int_not_equal(alpha, beta);
    assert_int_equal(p[4].recipient_id, alice);
    assert_int_not_equal(p[2].recipient_id, alice);

    /* USD of Alpha, by amount, largest first, two per page. */
    struct pp_payout_filter f = {0};
    f.used = PP_PF_CURRENCY | PP_PF_PROJECT;
    snprintf(f.currency, sizeof f.currency, "USD");
    f.project_id = alpha;
    struct pp_page page = {.order = PP_ORDER_AMOUNT, .desc = 1, .limit = 2, .want_total = 1};
    struct page_rows rows;
    struct pp_page_info info;
    page_read(fx->st, &f, &page, &rows, &info);
    assert_int_equal(info.rows, 2);
    assert_int_equal(info.more, 1);
    assert_int_equal(info.total, 3);
    assert_int_equal(rows.rows[0].id, p[5].id);
    assert_int_equal(rows.rows[0].amount_minor, 12345);
    assert_int_equal(rows.rows[0].status, PP_PAYOUT_RECEIVED);
    assert_int_equal(rows.rows[1].id, p[1].id);
    assert_int_equal(rows.rows[1].amount_minor, 99);
    assert_int_equal(rows.rows[1].status, PP_PAYOUT_CANCELLED);
    /* The next page by keyset: the last row. */
    page.keyset = 1;
    page.after_value = rows.rows[1].amount_minor;
    page.after_id = rows.rows[1].id;
    page_read(fx->st, &f, &page, &rows, &info);
    assert_int_equal(info.rows, 1);
    assert_int_equal(info.more, 0);
    assert_int_equal(rows.rows[0].id, p[0].id);
    assert_int_equal(rows.rows[0].amount_minor, 1);

    /* Alice's open payouts between 2 and 1000 minor units, by id. */
    struct pp_payout_filter g = {0};
    g.used = PP_PF_RECIPIENT | PP_PF_STATUS | PP_PF_AMOUNT_MIN | PP_PF_AMOUNT_MAX;
    g.recipient_id = alice;
    g.status_mask = (1u << PP_PAYOUT_READY) | (1u << PP_PAYOUT_UNAUTHORIZED);
    g.amount_min = 2;
    g.amount_max = 1000;
    struct pp_page by_id = {.order = PP_ORDER_ID, .limit = 10, .want_total = 1};
    page_read(fx->st, &g, &by_id, &rows, &info);
    assert_int_equal(info.total, 2);
    assert_int_equal(rows.count, 2);
    assert_int_equal(rows.rows[0].id, p[3].id);
    assert_int_equal(rows.rows[0].amount_minor, 7);
    assert_string_equal(rows.rows[0].currency, "EUR");
    assert_int_equal(rows.rows[1].id, p[4].id);
    assert_int_equal(rows.rows[1].amount_minor, 500);

    /* Totals: by currency, then status. */
    struct totals t;
    memset(&t, 0, sizeof t);
    struct pp_err err = {0};
    assert_int_equal(store_payout_totals(fx->st, PP_TOTALS_RECIPIENT, alice, total_row, &t, &err),
                     PP_OK);
    assert_int_equal(t.count, 4);
    total_is(&t.rows[0], "EUR", PP_PAYOUT_READY, 1, 7);
    total_is(&t.rows[1], "USD", PP_PAYOUT_READY, 2, 501);
    total_is(&t.rows[2], "USD", PP_PAYOUT_RECEIVED, 1, 12345);
    total_is(&t.rows[3], "USD", PP_PAYOUT_CANCELLED, 1, 99);
    memset(&t, 0, sizeof t);
    assert_int_equal(store_payout_totals(fx->st, PP_TOTALS_PROJECT, alpha, total_row, &t, &err),
                     PP_OK);
    assert_int_equal(t.count, 4);
    total_is(&t.rows[0], "EUR", PP_PAYOUT_READY, 2, 12352);
    total_is(&t.rows[1], "USD", PP_PAYOUT_READY, 1, 1);
    total_is(&t.rows[2], "USD", PP_PAYOUT_RECEIVED, 1, 12345);
    total_is(&t.rows[3], "USD", PP_PAYOUT_CANCELLED, 1, 99);
    memset(&t, 0, sizeof t);
    assert_int_equal(store_payout_totals(fx->st, PP_TOTALS_PROJECT, beta, total_row, &t, &err),
                     PP_OK);
    assert_int_equal(t.count, 1);
    total_is(&t.rows[0], "USD", PP_PAYOUT_READY, 1, 500);
    balance_is(fx->st, "USD", 100000 - 1 - 500 - 12345, 1 + 500, 12345);
    balance_is(fx->st, "EUR", 100000 - 12352, 12352, 0);
    check_clean(fx->st);
}

static void fingerprint_fill(uint8_t *fp, uint8_t seed)
{
    for (size_t i = 0; i < STORE_IDEM_FINGERPRINT_BYTES; i++) {
        fp[i] = (uint8_t)(seed + i * 7u);
    }
}

/* Deposits amount of cur at now_ms with the key (scope, key). */
static enum pp_status deposit_keyed(struct store *st, const char *scope, const char *key,
                                    const uint8_t *fp, const char *cur, int64_t amount,
                                    int64_t now_ms)
{
    struct store_idem_key k = {.scope = scope, .key = key, .fingerprint = fp};
    struct store_write_ctx w = at(now_ms);
    w.idem = &k;
    struct pp_movement m = {.currency = cur,
                            .kind = PP_LEDGER_DEPOSIT,
                            .d_available = amount,
                            .admin_id = admin.admin_id,
                            .at_ms = now_ms};
    struct pp_err err = {0};
    return store_funds_move(st, &w, &m, "funds.deposit", "test", NULL, &err);
}

/* 1 when (scope, key) is stored; *out then filled (its body freed here). */
static int idem_read(struct store *st, const char *scope, const char *key,
                     struct store_idem_row *out, char *body, size_t body_size)
{
    int found = -1;
    struct pp_err err = {0};
    memset(out, 0, sizeof *out);
    assert_int_equal(store_idem_get(st, scope, key, out, &found, &err), PP_OK);
    assert_true(found == 0 || found == 1);
    body[0] = '\0';
    if (found && out->body != NULL) {
        assert_true(out->body_len < body_size);
        memcpy(body, out->body, out->body_len);
        body[out->body_len] = '\0';
        assert_int_equal(out->body[out->body_len], '\0');
    }
    free(out->body);
    out->body = NULL;
    return found;
}

/* A key commits with its action; its answer is stored once and read back
** byte for byte with the fingerprint; a used key refuses the action and
** undoes it; scopes keep keys apart; the purge removes only keys older
** than its moment, at most its limit at a time. */
static void test_idempotency(void **state)
{
    struct any_fx *fx = *state;
    uint8_t fp1[STORE_IDEM_FINGERPRINT_BYTES];
    uint8_t fp2[STORE_IDEM_FINGERPRINT_BYTES];
    fingerprint_fill(fp1, 1);
    fingerprint_fill(fp2, 2);
    assert_int_equal(deposit_keyed(fx->st, "admin:1", "k-1", fp1, "USD", 12345, T0), PP_OK);
    balance_is(fx->st, "USD", 12345, 0, 0);

    struct store_idem_row row;
    char body[256];
    assert_int_equal(idem_read(fx->st, "admin:1", "k-1", &row, body, sizeof body), 1);
    assert_memory_equal(row.fingerprint, fp1, STORE_IDEM_FINGERPRINT_BYTES);
    assert_int_equal(row.created_ms, T0);
    assert_int_equal(row.has_response, 0);
    assert_int_equal(row.body_len, 0);

    static const char answer[] = "{\"available\":\"123.45\",\"currency\":\"USD\"}";
    struct pp_err err = {0};
    assert_int_equal(store_idem_answer_put(fx->st, "admin:1", "k-1", 201, "application/json",
                                           answer, strlen(answer), &err),
                     PP_OK);
    assert_int_equal(idem_read(fx->st, "admin:1", "k-1", &row, body, sizeof body), 1);
    assert_int_equal(row.has_response, 1);
    assert_int_equal(row.status, 201);
    assert_string_equal(row.content_type, "application/json");
    assert_int_equal(row.body_len, strlen(answer));
    assert_string_equal(body, answer);
    assert_memory_equal(row.fingerprint, fp1, STORE_IDEM_FINGERPRINT_BYTES);
    /* The answer is stored once: a second one is refused and changes nothing. */
    struct pp_err err2 = {0};
    assert_int_equal(
        store_idem_answer_put(fx->st, "admin:1", "k-1", 500, "text/plain", "x", 1, &err2),
        PP_NOT_FOUND);
    assert_int_equal(idem_read(fx->st, "admin:1", "k-1", &row, body, sizeof body), 1);
    assert_int_equal(row.status, 201);
    assert_string_equal(body, answer);

    /* The key used again: the action is refused and undone. */
    assert_int_equal(deposit_keyed(fx->st, "admin:1", "k-1", fp2, "USD", 1, T0 + 1), PP_CONFLICT);
    balance_is(fx->st, "USD", 12345, 0, 0);
    assert_int_equal(idem_read(fx->st, "admin:1", "k-1", &row, body, sizeof body), 1);
    assert_memory_equal(row.fingerprint, fp1, STORE_IDEM_FINGERPRINT_BYTES);
    struct pp_balance none;
    assert_int_equal(deposit_keyed(fx->st, "admin:1", "k-1", fp1, "EUR", 99, T0 + 1), PP_CONFLICT);
    assert_false(balance_find(fx->st, "EUR", &none));

    /* Another scope has keys of its own; an empty answer is an answer. */
    assert_int_equal(deposit_keyed(fx->st, "integrator", "k-1", fp2, "EUR", 99, T0 + 1000), PP_OK);
    assert_int_equal(deposit_keyed(fx->st, "admin:1", "k-3", fp2, "USD", 1, T0 + 5000), PP_OK);
    balance_is(fx->st, "EUR", 99, 0, 0);
    balance_is(fx->st, "USD", 12346, 0, 0);
    struct pp_err err3 = {0};
    assert_int_equal(
        store_idem_answer_put(fx->st, "integrator", "k-1", 204, "text/plain", "", 0, &err3), PP_OK);
    assert_int_equal(idem_read(fx->st, "integrator", "k-1", &row, body, sizeof body), 1);
    assert_int_equal(row.has_response, 1);
    assert_int_equal(row.status, 204);
    assert_int_equal(row.body_len, 0);
    assert_string_equal(body, "");
    assert_memory_equal(row.fingerprint, fp2, STORE_IDEM_FINGERPRINT_BYTES);
    assert_int_equal(row.created_ms, T0 + 1000);
    assert_int_equal(idem_read(fx->st, "integrator", "k-9", &row, body, sizeof body), 0);
    struct pp_err err4 = {0};
    assert_int_equal(
        store_idem_answer_put(fx->st, "integrator", "k-9", 200, "text/plain", "x", 1, &err4),
        PP_NOT_FOUND);

    /* Purge: only keys created before the moment, at most limit of them. */
    int64_t deleted = -1;
    struct pp_err err5 = {0};
    assert_int_equal(store_idem_purge(fx->st, T0 + 1000, 100, &deleted, &err5), PP_OK);
    assert_int_equal(deleted, 1);
    assert_int_equal(idem_read(fx->st, "admin:1", "k-1", &row, body, sizeof body), 0);
    assert_int_equal(idem_read(fx->st, "integrator", "k-1", &row, body, sizeof body), 1);
    assert_int_equal(idem_read(fx->st, "admin:1", "k-3", &row, body, sizeof body), 1);
    assert_int_equal(store_idem_purge(fx->st, T0 + 1000, 100, &deleted, &err5), PP_OK);
    assert_int_equal(deleted, 0);
    assert_int_equal(store_idem_purge(fx->st, T0 + 10000, 1, &deleted, &err5), PP_OK);
    assert_int_equal(deleted, 1);
    assert_int_equal(store_idem_purge(fx->st, T0 + 10000, 1, &deleted, &err5), PP_OK);
    assert_int_equal(deleted, 1);
    assert_int_equal(store_idem_purge(fx->st, T0 + 10000, 1, &deleted, &err5), PP_OK);
    assert_int_equal(deleted, 0);
    assert_int_equal(idem_read(fx->st, "integrator", "k-1", &row, body, sizeof body), 0);
    assert_int_equal(idem_read(fx->st, "admin:1", "k-3", &row, body, sizeof body), 0);
    /* A purged key's name is free again; the money moved stays. */
    assert_int_equal(deposit_keyed(fx->st, "admin:1", "k-1", fp2, "USD", 99, T0 + 20000), PP_OK);
    balance_is(fx->st, "USD", 12445, 0, 0);
    balance_is(fx->st, "EUR", 99, 0, 0);
    check_clean(fx->st);
}

#define GUARD_REFUSAL "the key was revoked"

/* Holds when the guarded setting says "1". */
static int guard_on(const struct store_write_guard *g, const char *const *values)
{
    (void)g;
    return values[0] != NULL && strcmp(values[0], "1") == 0;
}

/* A write the thread's guard refuses moves no money and creates no payout;
** without the guard the same writes go through. */
static void test_guard_refuses_money(void **state)
{
    struct any_fx *fx = *state;
    deposit(fx->st, "USD", 99);
    struct store_write_ctx w = at(T0);
    const struct store_setting off = {.key = "key.live", .value = "0"};
    struct pp_err err = {0};
    assert_int_equal(store_settings_put(fx->st, &w, &off, 1, NULL, NULL, &err), PP_OK);

    struct store_write_guard g;
    memset(&g, 0, sizeof g);
    g.keys[0] = "key.live";
    g.count = 1;
    g.holds = guard_on;
    g.refusal = GUARD_REFUSAL;
    store_write_guard_set(&g);
    struct pp_movement m = {
        .currency = "USD", .kind = PP_LEDGER_DEPOSIT, .d_available = 12345, .at_ms = T0};
    struct pp_err e1 = {0};
    enum pp_status moved = store_funds_move(fx->st, &w, &m, "funds.deposit", "test", NULL, &e1);
    struct spec s = {"Alpha", "alice", "USD", 1, T0 - HOUR_MS, T0 + HOUR_MS, PP_PAYOUT_READY};
    struct pp_err e2 = {0};
    enum pp_status created = payout_create(fx->st, &s, T0, NULL, &e2);
    store_write_guard_set(NULL);
    assert_int_equal(moved, PP_UNAUTHORIZED);
    assert_string_equal(e1.message, GUARD_REFUSAL);
    assert_int_equal(created, PP_UNAUTHORIZED);
    assert_int_equal(g.outcome, STORE_GUARD_REFUSED);
    balance_is(fx->st, "USD", 99, 0, 0);
    assert_int_equal(open_count(fx->st, "USD"), 0);

    const struct store_setting on = {.key = "key.live", .value = "1"};
    assert_int_equal(store_settings_put(fx->st, &w, &on, 1, NULL, NULL, &err), PP_OK);
    g.outcome = STORE_GUARD_UNCHECKED;
    store_write_guard_set(&g);
    struct pp_err e3 = {0};
    moved = store_funds_move(fx->st, &w, &m, "funds.deposit", "test", NULL, &e3);
    store_write_guard_set(NULL);
    assert_int_equal(moved, PP_OK);
    assert_int_equal(g.outcome, STORE_GUARD_HELD);
    balance_is(fx->st, "USD", 12444, 0, 0);
    check_clean(fx->st);
}

/* Every kind of move in several currencies, then a reopen (a restart):
** balances, payouts and the open counts are exactly as they were, the
** store still checks clean, and it takes the next write. */
static void test_reopen_keeps_money(void **state)
{
    struct any_fx *fx = *state;
    deposit(fx->st, "USD", 12345);
    deposit(fx->st, "EUR", 99);
    deposit(fx->st, "JPY", 1);
    assert_int_equal(funds(fx->st, "USD", -45, T0, NULL), PP_OK);
    int64_t paid = payout_ready(fx->st, "USD", 12199, T0 + HOUR_MS);
    int64_t cancelled = payout_ready(fx->st, "EUR", 98, T0 + HOUR_MS);
    int64_t expired = payout_ready(fx->st, "USD", 100, T0 + 10);
    int64_t open = payout_ready(fx->st, "JPY", 1, T0 + HOUR_MS);
    struct pp_payout out;
    assert_int_equal(receive(fx->st, paid, T0 + 5, "wire-9", &out), PP_OK);
    assert_int_equal(change(fx->st, STORE_PAYOUT_CANCEL, &cancelled, 1, T0 + 6), 1);
    assert_int_equal(change(fx->st, STORE_PAYOUT_EXPIRE, &expired, 1, T0 + 11), 1);
    balance_is(fx->st, "USD", 101, 0, 12199);
    balance_is(fx->st, "EUR", 99, 0, 0);
    balance_is(fx->st, "JPY", 0, 1, 0);
    check_clean(fx->st);

    any_reopen(fx);

    struct balances all;
    balances_read(fx->st, &all);
    assert_int_equal(all.count, 3);
    assert_string_equal(all.rows[0].currency, "EUR");
    assert_string_equal(all.rows[1].currency, "JPY");
    assert_string_equal(all.rows[2].currency, "USD");
    balance_is(fx->st, "USD", 101, 0, 12199);
    balance_is(fx->st, "EUR", 99, 0, 0);
    balance_is(fx->st, "JPY", 0, 1, 0);
    struct pp_payout p = payout_read(fx->st, paid);
    assert_int_equal(p.status, PP_PAYOUT_RECEIVED);
    assert_int_equal(p.amount_minor, 12199);
    assert_string_equal(p.reference, "wire-9");
    assert_int_equal(p.received_ms, T0 + 5);
    assert_int_equal(payout_read(fx->st, cancelled).status, PP_PAYOUT_CANCELLED);
    assert_int_equal(payout_read(fx->st, expired).status, PP_PAYOUT_EXPIRED);
    assert_int_equal(payout_read(fx->st, open).status, PP_PAYOUT_READY);
    assert_int_equal(open_count(fx->st, "JPY"), 1);
    assert_int_equal(open_count(fx->st, "USD"), 0);
    check_clean(fx->st);

    /* And it takes the next write, with the same rules. */
    assert_int_equal(funds(fx->st, "USD", -102, T0 + 20, NULL), PP_INSUFFICIENT_FUNDS);
    assert_int_equal(funds(fx->st, "USD", -101, T0 + 20, NULL), PP_OK);
    assert_int_equal(receive(fx->st, open, T0 + 21, NULL, &out), PP_OK);
    balance_is(fx->st, "USD", 0, 0, 12199);
    balance_is(fx->st, "JPY", 0, 0, 1);
    check_clean(fx->st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_deposit_withdraw_exact, any_setup, any_teardown),
        cmocka_unit_test_setup_teardown(test_payout_lifecycle, any_setup, any_teardown),
        cmocka_unit_test_setup_teardown(test_create_unaffordable, any_setup, any_teardown),
        cmocka_unit_test_setup_teardown(test_expiry_list, any_setup, any_teardown),
        cmocka_unit_test_setup_teardown(test_page_and_totals, any_setup, any_teardown),
        cmocka_unit_test_setup_teardown(test_idempotency, any_setup, any_teardown),
        cmocka_unit_test_setup_teardown(test_guard_refuses_money, any_setup, any_teardown),
        cmocka_unit_test_setup_teardown(test_reopen_keeps_money, any_setup, any_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
