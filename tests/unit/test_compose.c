/*
** This module implements the unit tests of the store's write composer
** (src/store/compose.c) alone, over a step table of an in-memory backend
** whose writer undoes a failed operation as the real writers do: the
** overdraft rule per currency (a later row of an overdrawn currency is
** refused too, the others are not, nothing is written), a create's audit
** subject, events and Idempotency-Key row, a check-only create that
** writes nothing, the recipient rule deciding before the project is
** ensured, four eyes inside authorize, the receive refusal answering the
** payout as it stands, and the funds event's amount; and the users rules
** (the last enabled admin, an update's plan and detail, the two-factor
** plans and their refusals).
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "store/compose.h"

#define FAKE_ROWS_MAX 16

/* The backend's tables; a failed operation restores them (the writer's undo). */
struct fake_db {
    struct pp_balance balances[4];
    size_t balance_count;
    struct pp_payout payouts[FAKE_ROWS_MAX];
    size_t payout_count;
    char audit_action[FAKE_ROWS_MAX][32];
    char audit_subject[FAKE_ROWS_MAX][64];
    size_t audit_count;
    enum pp_event_type events[FAKE_ROWS_MAX];
    int64_t event_amount[FAKE_ROWS_MAX];
    size_t event_count;
    char idem_keys[FAKE_ROWS_MAX][32];
    size_t idem_count;
};

/* What the steps were asked, in order; never undone. */
struct fake_log {
    char steps[64][24];
    size_t count;
};

static struct fake_db db;
static struct fake_log steps_log;

static struct fake_db *fake(struct store_tx *tx)
{
    return (struct fake_db *)tx;
}

static void log_step(const char *name)
{
    if (steps_log.count < 64) {
        snprintf(steps_log.steps[steps_log.count++], sizeof steps_log.steps[0], "%s", name);
    }
}

static int logged(const char *name)
{
    for (size_t i = 0; i < steps_log.count; i++) {
        if (strcmp(steps_log.steps[i], name) == 0) {
            return 1;
        }
    }
    return 0;
}

static enum pp_status fake_write(void *backend, store_tx_fn fn, void *arg, struct pp_err *err)
{
    struct fake_db *d = backend;
    struct fake_db before = *d;
    enum pp_status st = fn((struct store_tx *)d, arg, err);
    if (st != PP_OK) {
        *d = before;
    }
    return st;
}

static enum pp_status fake_project_ensure(struct store_tx *tx, const char *name, int64_t now_ms,
                                          int64_t *id_out, struct pp_err *err)
{
    (void)tx, (void)name, (void)now_ms, (void)err;
    log_step("project_ensure");
    *id_out = 100;
    return PP_OK;
}

static enum pp_status fake_recipient_find(struct store_tx *tx, enum pp_ident which,
                                          const char *value, struct pp_recipient *out,
                                          int *found_out, struct pp_err *err)
{
    (void)tx, (void)which, (void)value, (void)out, (void)err;
    log_step("recipient_find");
    *found_out = 0;
    return PP_OK;
}

static enum pp_status fake_recipient_save(struct store_tx *tx, struct pp_recipient *r,
                                          int64_t now_ms, struct pp_err *err)
{
    (void)tx, (void)now_ms, (void)err;
    log_step("recipient_save");
    r->id = 200;
    return PP_OK;
}

static struct pp_payout *payout_find(struct fake_db *d, int64_t id)
{
    for (size_t i = 0; i < d->payout_count; i++) {
        if (d->payouts[i].id == id) {
            return &d->payouts[i];
        }
    }
    return NULL;
}

static enum pp_status fake_payout_insert(struct store_tx *tx, struct pp_payout *p,
                                         struct pp_err *err)
{
    (void)err;
    struct fake_db *d = fake(tx);
    assert_true(d->payout_count < FAKE_ROWS_MAX);
    p->id = (int64_t)d->payout_count + 1;
    d->payouts[d->payout_count++] = *p;
    return PP_OK;
}

static enum pp_status fake_payout_get(struct store_tx *tx, int64_t id, struct pp_payout *out,
                                      struct pp_err *err)
{
    const struct pp_payout *p = payout_find(fake(tx), id);
    if (p == NULL) {
        return pp_err_set(err, PP_NOT_FOUND, "payout %lld not found", (long long)id);
    }
    *out = *p;
    return PP_OK;
}

static enum pp_status fake_payout_set_status(struct store_tx *tx, int64_t id,
                                             enum pp_payout_status to, int64_t now_ms,
                                             const char *reference, int64_t by_user,
                                             struct pp_err *err)
{
    (void)now_ms, (void)reference, (void)err;
    struct pp_payout *p = payout_find(fake(tx), id);
    assert_non_null(p);
    p->status = to;
    p->authorized_by_user = to == PP_PAYOUT_READY ? by_user : p->authorized_by_user;
    return PP_OK;
}

static struct pp_balance *balance_of(struct fake_db *d, const char *currency)
{
    for (size_t i = 0; i < d->balance_count; i++) {
        if (strcmp(d->balances[i].currency, currency) == 0) {
            return &d->balances[i];
        }
    }
    assert_true(d->balance_count < 4);
    struct pp_balance *b = &d->balances[d->balance_count++];
    memset(b, 0, sizeof *b);
    memcpy(b->currency, currency, 4);
    return b;
}

static enum pp_status fake_balance_get(struct store_tx *tx, const char *currency,
                                       struct pp_balance *out, struct pp_err *err)
{
    (void)err;
    *out = *balance_of(fake(tx), currency);
    return PP_OK;
}

static enum pp_status fake_funds_move(struct store_tx *tx, const struct pp_movement *m,
                                      struct pp_balance *after_out, struct pp_err *err)
{
    struct pp_balance *b = balance_of(fake(tx), m->currency);
    if (b->available + m->d_available < 0) {
        return pp_err_set(err, PP_INSUFFICIENT_FUNDS, "insufficient funds in %s", m->currency);
    }
    b->available += m->d_available;
    b->blocked += m->d_blocked;
    b->paid_out += m->d_paid_out;
    if (after_out != NULL) {
        *after_out = *b;
    }
    return PP_OK;
}

static enum pp_status fake_setting_put(struct store_tx *tx, const char *key, const char *value,
                                       struct pp_err *err)
{
    (void)tx, (void)key, (void)value, (void)err;
    return PP_OK;
}

static enum pp_status fake_admin_insert(struct store_tx *tx, const char *email,
                                        const char *password_hash, int64_t now_ms, int64_t *id_out,
                                        struct pp_err *err)
{
    (void)tx, (void)email, (void)password_hash, (void)now_ms, (void)err;
    *id_out = 1;
    return PP_OK;
}

static enum pp_status fake_admin_set_password(struct store_tx *tx, const char *email,
                                              const char *password_hash, int64_t now_ms,
                                              int64_t *id_out, struct pp_err *err)
{
    (void)tx, (void)email, (void)password_hash, (void)now_ms, (void)id_out;
    return pp_err_set(err, PP_NOT_FOUND, "no such admin");
}

static enum pp_status fake_audit_append(struct store_tx *tx, const struct pp_audit *a,
                                        struct pp_err *err)
{
    (void)err;
    struct fake_db *d = fake(tx);
    assert_true(d->audit_count < FAKE_ROWS_MAX);
    snprintf(d->audit_action[d->audit_count], sizeof d->audit_action[0], "%s", a->action);
    snprintf(d->audit_subject[d->audit_count], sizeof d->audit_subject[0], "%s", a->subject);
    d->audit_count++;
    return PP_OK;
}

static enum pp_status fake_idem_insert(struct store_tx *tx, const char *scope, const char *key,
                                       const uint8_t fingerprint[STORE_IDEM_FINGERPRINT_BYTES],
                                       int64_t created_ms, struct pp_err *err)
{
    (void)scope, (void)fingerprint, (void)created_ms, (void)err;
    struct fake_db *d = fake(tx);
    assert_true(d->idem_count < FAKE_ROWS_MAX);
    snprintf(d->idem_keys[d->idem_count++], sizeof d->idem_keys[0], "%s", key);
    return PP_OK;
}

static enum pp_status fake_idem_set_response(struct store_tx *tx, const char *scope,
                                             const char *key, unsigned status,
                                             const char *content_type, const char *body,
                                             size_t body_len, struct pp_err *err)
{
    (void)tx, (void)scope, (void)key, (void)status, (void)content_type, (void)body;
    (void)body_len, (void)err;
    return PP_OK;
}

static enum pp_status fake_idem_purge(struct store_tx *tx, int64_t before_ms, int64_t limit,
                                      int64_t *deleted_out, struct pp_err *err)
{
    (void)tx, (void)before_ms, (void)limit, (void)err;
    *deleted_out = 0;
    return PP_OK;
}

static enum pp_status fake_event_payout(struct store_tx *tx, enum pp_event_type type,
                                        const struct pp_payout *p, int64_t now_ms,
                                        struct pp_err *err)
{
    (void)now_ms, (void)err;
    struct fake_db *d = fake(tx);
    assert_true(d->event_count < FAKE_ROWS_MAX);
    d->event_amount[d->event_count] = p->amount_minor;
    d->events[d->event_count++] = type;
    return PP_OK;
}

static enum pp_status fake_event_funds(struct store_tx *tx, enum pp_event_type type,
                                       const char *currency, int64_t amount_minor,
                                       const char *reference, const struct pp_balance *after,
                                       int64_t now_ms, struct pp_err *err)
{
    (void)currency, (void)reference, (void)after, (void)now_ms, (void)err;
    struct fake_db *d = fake(tx);
    assert_true(d->event_count < FAKE_ROWS_MAX);
    d->event_amount[d->event_count] = amount_minor;
    d->events[d->event_count++] = type;
    return PP_OK;
}

static const struct store_steps fake_steps = {
    .write = fake_write,
    .project_ensure = fake_project_ensure,
    .recipient_find = fake_recipient_find,
    .recipient_save = fake_recipient_save,
    .payout_insert = fake_payout_insert,
    .payout_get = fake_payout_get,
    .payout_set_status = fake_payout_set_status,
    .balance_get = fake_balance_get,
    .funds_move = fake_funds_move,
    .setting_put = fake_setting_put,
    .admin_insert = fake_admin_insert,
    .admin_set_password = fake_admin_set_password,
    .audit_append = fake_audit_append,
    .idem_insert = fake_idem_insert,
    .idem_set_response = fake_idem_set_response,
    .idem_purge = fake_idem_purge,
    .event_payout = fake_event_payout,
    .event_funds = fake_event_funds,
};

/* The recipient rule: a new recipient from the given fields; "clash" is
** refused as core's rule refuses identifiers of two stored recipients. */
static enum pp_status rule(const struct pp_recipient *given,
                           const struct pp_recipient *const *found, struct pp_recipient *out,
                           int *changed_out, struct pp_err *err)
{
    (void)found;
    if (strcmp(given->user_name, "clash") == 0) {
        return pp_err_set(err, PP_INVALID_PARAMS, "identifiers name two recipients");
    }
    *out = *given;
    *changed_out = 1;
    return PP_OK;
}

static const struct pp_recipient alice = {.user_name = "alice"};
static const struct pp_recipient bea = {.user_name = "bea", .email = "bea@example.test"};
static const struct pp_recipient clash = {.user_name = "clash"};
static const struct pp_actor admin7 = {.kind = PP_ACTOR_ADMIN, .admin_id = 7};
static const struct pp_actor admin8 = {.kind = PP_ACTOR_ADMIN, .admin_id = 8};

static int reset(void **state)
{
    (void)state;
    memset(&db, 0, sizeof db);
    memset(&steps_log, 0, sizeof steps_log);
    return 0;
}

static void fund(const char *currency, int64_t minor)
{
    balance_of(&db, currency)->available = minor;
}

static void row_init(struct store_payout_new *row, const char *currency, int64_t minor,
                     const struct pp_recipient *r)
{
    memset(row, 0, sizeof *row);
    row->project_name = "shop";
    row->recipient = r;
    memcpy(row->payout.currency, currency, 4);
    row->payout.amount_minor = minor;
    row->payout.start_ms = 0;
    row->payout.end_ms = 10000;
    row->payout.status = PP_PAYOUT_UNAUTHORIZED;
}

static void test_overdraft_per_currency(void **state)
{
    (void)state;
    fund("USD", 100);
    fund("EUR", 100);
    struct store_payout_new rows[4];
    row_init(&rows[0], "USD", 80, &alice);
    row_init(&rows[1], "USD", 30, &alice); /* 30 > the 20 left */
    row_init(&rows[2], "EUR", 50, &alice);
    row_init(&rows[3], "USD", 10, &alice); /* would fit, but USD is overdrawn */
    struct store_write_ctx w = {.actor = &admin7, .now_ms = 1000};
    struct pp_err err = {0};
    enum pp_status st = store_compose_payouts_create(&fake_steps, &db, &w, rows, 4, rule, 0,
                                                     "payment.create", NULL, &err);
    assert_int_equal(st, PP_INSUFFICIENT_FUNDS);
    assert_string_equal(err.message, "insufficient funds in USD");
    assert_int_equal(rows[0].err.status, PP_OK);
    assert_int_equal(rows[1].err.status, PP_INSUFFICIENT_FUNDS);
    assert_int_equal(rows[2].err.status, PP_OK);
    assert_int_equal(rows[3].err.status, PP_INSUFFICIENT_FUNDS);
    assert_non_null(strstr(rows[3].err.message, "an earlier USD row of this list"));
    /* All or nothing: no payout, no block, no audit entry, no event. */
    assert_int_equal(db.payout_count, 0);
    assert_int_equal(balance_of(&db, "USD")->available, 100);
    assert_int_equal(balance_of(&db, "EUR")->available, 100);
    assert_int_equal(db.audit_count, 0);
    assert_int_equal(db.event_count, 0);
}

static void test_create_audit_events_key(void **state)
{
    (void)state;
    fund("USD", 100);
    struct store_payout_new rows[2];
    row_init(&rows[0], "USD", 60, &alice);
    row_init(&rows[1], "USD", 40, &alice);
    uint8_t fingerprint[STORE_IDEM_FINGERPRINT_BYTES] = {0};
    struct store_idem_key key = {.scope = "s", .key = "k1", .fingerprint = fingerprint};
    struct store_write_ctx w = {.actor = &admin7, .now_ms = 1000, .idem = &key};
    struct pp_err err = {0};
    assert_int_equal(store_compose_payouts_create(&fake_steps, &db, &w, rows, 2, rule, 0,
                                                  "payment.create", NULL, &err),
                     PP_OK);
    assert_int_equal(db.payout_count, 2);
    assert_int_equal(db.payouts[0].created_by_user, 7);
    assert_int_equal(db.payouts[0].recipient_id, 200);
    assert_int_equal(db.payouts[0].project_id, 100);
    assert_int_equal(balance_of(&db, "USD")->available, 0);
    assert_int_equal(balance_of(&db, "USD")->blocked, 100);
    assert_int_equal(db.audit_count, 1);
    assert_string_equal(db.audit_subject[0], "payout:1..2");
    assert_int_equal(db.event_count, 2);
    assert_int_equal(db.events[0], PP_EVENT_PAYOUT_CREATED);
    assert_int_equal(db.events[1], PP_EVENT_PAYOUT_CREATED);
    assert_int_equal(db.idem_count, 1);
    assert_string_equal(db.idem_keys[0], "k1");
}

/* A create says whether it recorded the payout's "ready" e-mail (its
** answer shows it without a read): only READY, notification on and a
** recipient with an e-mail. */
static void test_create_ready_notice(void **state)
{
    (void)state;
    fund("USD", 100);
    struct store_payout_new rows[4];
    row_init(&rows[0], "USD", 10, &bea);
    row_init(&rows[1], "USD", 10, &alice); /* no e-mail */
    row_init(&rows[2], "USD", 10, &bea);   /* notification off */
    row_init(&rows[3], "USD", 10, &bea);   /* waits for authorization */
    for (size_t i = 0; i < 4; i++) {
        rows[i].payout.status = i == 3 ? PP_PAYOUT_UNAUTHORIZED : PP_PAYOUT_READY;
        rows[i].payout.notification = i != 2;
        rows[i].ready_notice = 1; /* an input value is never kept */
    }
    struct store_write_ctx w = {.actor = &admin7, .now_ms = 1000};
    struct pp_err err = {0};
    assert_int_equal(store_compose_payouts_create(&fake_steps, &db, &w, rows, 4, rule, 0,
                                                  "payment.create", NULL, &err),
                     PP_OK);
    assert_int_equal(rows[0].ready_notice, 1);
    assert_int_equal(rows[1].ready_notice, 0);
    assert_int_equal(rows[2].ready_notice, 0);
    assert_int_equal(rows[3].ready_notice, 0);
}

static void test_check_only_writes_nothing(void **state)
{
    (void)state;
    fund("USD", 100);
    struct store_payout_new row;
    row_init(&row, "USD", 100, &alice);
    uint8_t fingerprint[STORE_IDEM_FINGERPRINT_BYTES] = {0};
    struct store_idem_key key = {.scope = "s", .key = "k1", .fingerprint = fingerprint};
    struct store_write_ctx w = {.actor = &admin7, .now_ms = 1000, .idem = &key};
    struct pp_err err = {0};
    assert_int_equal(store_compose_payouts_create(&fake_steps, &db, &w, &row, 1, rule, 1,
                                                  "payment.create", NULL, &err),
                     PP_OK);
    assert_int_equal(err.status, PP_OK);
    assert_int_equal(db.payout_count, 0);
    assert_int_equal(db.audit_count, 0);
    assert_int_equal(db.idem_count, 0);
    assert_int_equal(balance_of(&db, "USD")->available, 100);
}

static void test_recipient_rule_before_project(void **state)
{
    (void)state;
    fund("USD", 100);
    struct store_payout_new row;
    row_init(&row, "USD", 10, &clash);
    struct store_write_ctx w = {.actor = &admin7, .now_ms = 1000};
    struct pp_err err = {0};
    assert_int_equal(store_compose_payouts_create(&fake_steps, &db, &w, &row, 1, rule, 0,
                                                  "payment.create", NULL, &err),
                     PP_INVALID_PARAMS);
    assert_string_equal(row.err.message, "identifiers name two recipients");
    assert_true(logged("recipient_find"));
    /* The refusal came before any insert. */
    assert_false(logged("project_ensure"));
    assert_false(logged("recipient_save"));
    assert_int_equal(db.payout_count, 0);
}

/* Creates one payout by `by` and returns its id. */
static int64_t create_one(const struct pp_actor *by, int64_t end_ms)
{
    struct store_payout_new row;
    row_init(&row, "USD", 10, &alice);
    row.payout.end_ms = end_ms;
    struct store_write_ctx w = {.actor = by, .now_ms = 1000};
    struct pp_err err = {0};
    assert_int_equal(store_compose_payouts_create(&fake_steps, &db, &w, &row, 1, rule, 0,
                                                  "payment.create", NULL, &err),
                     PP_OK);
    return row.payout.id;
}

static void test_authorize_four_eyes(void **state)
{
    (void)state;
    fund("USD", 100);
    int64_t ids[4];
    ids[0] = create_one(&admin7, 10000);
    ids[1] = create_one(&admin8, 10000);
    ids[2] = create_one(&admin8, 1500);
    ids[3] = 99;
    size_t audits = db.audit_count;
    size_t events = db.event_count;
    struct store_write_ctx w = {.actor = &admin7, .now_ms = 2000};
    struct pp_err err = {0};
    int64_t done = -1;
    /* Its own payout, an ended one and an unknown id are left alone. */
    assert_int_equal(store_compose_payouts_change(&fake_steps, &db, &w, STORE_PAYOUT_AUTHORIZE, ids,
                                                  4, &done, &err),
                     PP_OK);
    assert_int_equal(done, 1);
    assert_int_equal(payout_find(&db, ids[0])->status, PP_PAYOUT_UNAUTHORIZED);
    assert_int_equal(payout_find(&db, ids[1])->status, PP_PAYOUT_READY);
    assert_int_equal(payout_find(&db, ids[1])->authorized_by_user, 7);
    assert_int_equal(payout_find(&db, ids[2])->status, PP_PAYOUT_UNAUTHORIZED);
    assert_int_equal(db.audit_count, audits + 1);
    assert_string_equal(db.audit_action[audits], "payment.authorize");
    assert_string_equal(db.audit_subject[audits], "payout:2");
    assert_int_equal(db.event_count, events + 1);
    assert_int_equal(db.events[events], PP_EVENT_PAYOUT_AUTHORIZED);
    /* Nothing eligible: no audit entry. */
    assert_int_equal(store_compose_payouts_change(&fake_steps, &db, &w, STORE_PAYOUT_AUTHORIZE, ids,
                                                  1, &done, &err),
                     PP_OK);
    assert_int_equal(done, 0);
    assert_int_equal(db.audit_count, audits + 1);
}

static void test_cancel_releases_and_subjects(void **state)
{
    (void)state;
    fund("USD", 100);
    int64_t ids[2];
    ids[0] = create_one(&admin7, 10000);
    ids[1] = create_one(&admin7, 10000);
    struct store_write_ctx w = {.actor = &admin8, .now_ms = 2000};
    struct pp_err err = {0};
    int64_t done = 0;
    assert_int_equal(store_compose_payouts_change(&fake_steps, &db, &w, STORE_PAYOUT_CANCEL, ids, 2,
                                                  &done, &err),
                     PP_OK);
    assert_int_equal(done, 2);
    assert_int_equal(balance_of(&db, "USD")->available, 100);
    assert_int_equal(balance_of(&db, "USD")->blocked, 0);
    assert_string_equal(db.audit_subject[db.audit_count - 1], "payout:1,2");
    assert_int_equal(db.events[db.event_count - 1], PP_EVENT_PAYOUT_CANCELLED);
}

static void amount_text(const char *currency, int64_t amount_minor, char *out, size_t out_size)
{
    (void)currency;
    snprintf(out, out_size, "%lld", (long long)amount_minor);
}

static void test_receive_refusal_answers_payout(void **state)
{
    (void)state;
    fund("USD", 100);
    int64_t id = create_one(&admin7, 10000); /* UNAUTHORIZED: not ready */
    size_t audits = db.audit_count;
    struct store_write_ctx w = {.actor = &admin8, .now_ms = 2000};
    struct pp_payout out;
    memset(&out, 0, sizeof out);
    struct pp_err err = {0};
    assert_int_equal(
        store_compose_payout_receive(&fake_steps, &db, &w, id, "", amount_text, &out, &err),
        PP_CONFLICT);
    assert_int_equal(out.id, id);
    assert_int_equal(out.status, PP_PAYOUT_UNAUTHORIZED);
    assert_int_equal(db.audit_count, audits);
}

static void test_funds_event_amount(void **state)
{
    (void)state;
    fund("USD", 100);
    struct pp_movement m = {.currency = "USD", .kind = PP_LEDGER_WITHDRAW, .d_available = -40};
    struct store_write_ctx w = {.actor = &admin7, .now_ms = 2000};
    struct pp_balance after;
    struct pp_err err = {0};
    assert_int_equal(
        store_compose_funds_move(&fake_steps, &db, &w, &m, "funds.withdraw", "40", &after, &err),
        PP_OK);
    assert_int_equal(after.available, 60);
    assert_int_equal(db.event_count, 1);
    assert_int_equal(db.events[0], PP_EVENT_FUNDS_WITHDRAWN);
    assert_int_equal(db.event_amount[0], 40);
    assert_string_equal(db.audit_action[0], "funds.withdraw");
}

static int64_t admins_enabled;
static int admins_counted;

static enum pp_status count_admins(struct store_tx *tx, int64_t *count_out, struct pp_err *err)
{
    (void)tx, (void)err;
    admins_counted++;
    *count_out = admins_enabled;
    return PP_OK;
}

static void test_user_last_admin(void **state)
{
    (void)state;
    struct pp_user admin = {.id = 1, .role = PP_ROLE_ADMIN};
    struct pp_user auditor = {.id = 2, .role = PP_ROLE_AUDITOR};
    struct pp_err err = {0};
    admins_enabled = 1;
    admins_counted = 0;
    /* Staying an enabled admin, or never having been one: nothing to count. */
    assert_int_equal(
        store_compose_user_last_admin(NULL, count_admins, &admin, PP_ROLE_ADMIN, 0, &err), PP_OK);
    assert_int_equal(
        store_compose_user_last_admin(NULL, count_admins, &auditor, PP_ROLE_AUDITOR, 1, &err),
        PP_OK);
    assert_int_equal(admins_counted, 0);
    assert_int_equal(
        store_compose_user_last_admin(NULL, count_admins, &admin, PP_ROLE_ADMIN, 1, &err),
        PP_CONFLICT);
    assert_string_equal(err.message, "the last enabled admin can be neither demoted nor disabled");
    admins_enabled = 2;
    pp_err_clear(&err);
    assert_int_equal(
        store_compose_user_last_admin(NULL, count_admins, &admin, PP_ROLE_OPERATOR, 0, &err),
        PP_OK);
    assert_int_equal(admins_counted, 2);
}

static void test_user_update_plan(void **state)
{
    (void)state;
    struct pp_user old = {.id = 3, .role = PP_ROLE_ADMIN};
    struct store_user_change change;
    struct store_user_update same = {.id = 3, .role = PP_ROLE_NONE, .disabled = 0};
    assert_int_equal(store_compose_user_update_plan(&same, &old, &change), 0);
    struct store_user_update both = {.id = 3, .role = PP_ROLE_APPROVER, .disabled = 1};
    assert_int_equal(store_compose_user_update_plan(&both, &old, &change), 1);
    assert_int_equal(change.role, PP_ROLE_APPROVER);
    assert_int_equal(change.disabled, 1);
    assert_string_equal(change.detail, "role admin->approver, disabled");
    struct store_user_update enable = {.id = 3, .role = PP_ROLE_NONE, .disabled = 0};
    old.disabled = 1;
    assert_int_equal(store_compose_user_update_plan(&enable, &old, &change), 1);
    assert_string_equal(change.detail, "enabled");
}

static void test_two_factor_plans(void **state)
{
    (void)state;
    struct pp_user off = {.id = 4, .totp_pending_sealed = "P", .totp_last_step = 10};
    struct pp_user on = {.id = 4, .totp_sealed = "S", .totp_last_step = 10};
    struct store_two_factor_plan plan;
    struct pp_err err = {0};
    struct store_user_two_factor setup = {.id = 4, .change = STORE_TWO_FACTOR_SETUP, .sealed = "N"};
    assert_int_equal(store_compose_two_factor_plan(&setup, &off, &plan, &err), PP_OK);
    assert_null(plan.sealed);
    assert_string_equal(plan.pending, "N");
    assert_int_equal(plan.last_step, 10);
    assert_int_equal(store_compose_two_factor_plan(&setup, &on, &plan, &err), PP_CONFLICT);
    assert_string_equal(plan.action, "user.two_factor_setup");
    struct store_user_two_factor enable = {
        .id = 4, .change = STORE_TWO_FACTOR_ENABLE, .sealed = "P", .step = 11};
    pp_err_clear(&err);
    assert_int_equal(store_compose_two_factor_plan(&enable, &off, &plan, &err), PP_OK);
    assert_string_equal(plan.sealed, "P");
    assert_null(plan.pending);
    assert_int_equal(plan.last_step, 11);
    /* A code's step is used once. */
    enable.step = 10;
    assert_int_equal(store_compose_two_factor_plan(&enable, &off, &plan, &err), PP_CONFLICT);
    struct store_user_two_factor disable = {
        .id = 4, .change = STORE_TWO_FACTOR_DISABLE, .step = 10};
    pp_err_clear(&err);
    assert_int_equal(store_compose_two_factor_plan(&disable, &on, &plan, &err), PP_CONFLICT);
    disable.step = 11;
    pp_err_clear(&err);
    assert_int_equal(store_compose_two_factor_plan(&disable, &on, &plan, &err), PP_OK);
    assert_int_equal(plan.last_step, -1);
    assert_int_equal(plan.bump, 0);
    struct store_user_two_factor reset = {.id = 4, .change = STORE_TWO_FACTOR_RESET};
    assert_int_equal(store_compose_two_factor_plan(&reset, &on, &plan, &err), PP_OK);
    assert_int_equal(plan.bump, 1);
    assert_string_equal(plan.action, "user.two_factor_reset");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_overdraft_per_currency, reset),
        cmocka_unit_test_setup(test_create_audit_events_key, reset),
        cmocka_unit_test_setup(test_create_ready_notice, reset),
        cmocka_unit_test_setup(test_check_only_writes_nothing, reset),
        cmocka_unit_test_setup(test_recipient_rule_before_project, reset),
        cmocka_unit_test_setup(test_authorize_four_eyes, reset),
        cmocka_unit_test_setup(test_cancel_releases_and_subjects, reset),
        cmocka_unit_test_setup(test_receive_refusal_answers_payout, reset),
        cmocka_unit_test_setup(test_funds_event_amount, reset),
        cmocka_unit_test(test_user_last_admin),
        cmocka_unit_test(test_user_update_plan),
        cmocka_unit_test(test_two_factor_plans),
    };
    return cmocka_run_group_tests_name("unit.compose", tests, NULL, NULL);
}
