/*
** This module implements the store's domain write operations
** (payout/store/store.h: creating payouts, changing them in bulk,
** receiving one, moving funds, settings, admins; idempotency.h: the
** answer and the purge) once for every backend, over the table of a
** backend's steps (compose.h). Each operation is one step handed to the
** backend's writer, which batches it with its neighbours into one
** transaction; the step reads what it must, decides by the rules of
** store.h (four eyes inside authorize, overdraft per currency, when a
** payout can be received), writes its rows, appends the event of every
** payout and funds change (the outbox, events.h), appends the operation's
** audit entry and records its Idempotency-Key in the same savepoint.
** Every step may run more than once, so each resets its outputs first.
**
** The order inside a create is the strictest either backend needs: funds
** first (a refusal needs no undo, and the block cannot then fail for want
** of funds), then the recipient rule, then the project, so that a refused
** row draws no identity value (PostgreSQL does not give one back on
** rollback).
**
** It also holds the rules of the users operations (payout/store/users.h)
** that both backends decided alike: the last enabled admin, what an update
** or a two-factor change writes, the refusal of a used code's step and
** the "user:<id>" audit subject; the users' SQL stays in each backend's
** users.c. It knows no SQL, no connection and no writer: those are the
** backend's (src/store/sqlite/, src/store/pg/).
*/
#include "store/compose.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payout/base/assert.h"
#include "payout/base/buf.h"
#include "store/backend.h"

/* Distinct currencies one create call can overdraw: the ISO 4217 table has
** fewer. */
#define COMPOSE_CURRENCIES_MAX 256

/* --- Shared: the writer, the key and the audit entry ---------------------- */

/* An operation's step with the Idempotency-Key row added after it. */
struct compose_call {
    const struct store_steps *s;
    store_compose_fn fn;
    void *arg;
    const struct store_write_ctx *w; /* NULL: no key */
};

static enum pp_status compose_run(struct store_tx *tx, void *arg, struct pp_err *err)
{
    struct compose_call *c = arg;
    enum pp_status st = c->fn(c->s, tx, c->arg, err);
    if (st == PP_OK && c->w != NULL && c->w->idem != NULL) {
        /* Same savepoint: if this fails, the operation is rolled back too. */
        const struct store_idem_key *idem = c->w->idem;
        st = c->s->idem_insert(tx, idem->scope, idem->key, idem->fingerprint, c->w->now_ms, err);
    }
    return st;
}

enum pp_status store_compose_write(const struct store_steps *s, void *backend,
                                   const struct store_write_ctx *w, store_compose_fn fn, void *arg,
                                   struct pp_err *err)
{
    PP_ASSERT(s != NULL && s->write != NULL && fn != NULL);
    struct compose_call c = {.s = s, .fn = fn, .arg = arg, .w = w};
    return s->write(backend, compose_run, &c, err);
}

enum pp_status store_compose_audit(const struct store_steps *s, struct store_tx *tx,
                                   const struct store_write_ctx *w, const char *action,
                                   const char *subject, const char *detail, struct pp_err *err)
{
    static const struct pp_actor nobody = {.kind = PP_ACTOR_SYSTEM};
    struct pp_audit a = {
        .actor = w->actor != NULL ? w->actor : &nobody,
        .action = action,
        .subject = subject != NULL ? subject : "",
        .detail = detail != NULL ? detail : "",
        .at_ms = w->now_ms,
    };
    return s->audit_append(tx, &a, err);
}

/* The panel user acting in w, or 0 (the API key, the server). */
static int64_t compose_actor_user(const struct store_write_ctx *w)
{
    return w->actor != NULL && w->actor->kind == PP_ACTOR_ADMIN ? w->actor->admin_id : 0;
}

/* Adds payout id to an audit subject: "payout:<id>", then ",<id>". */
static void compose_subject_add(struct pp_buf *subject, int64_t id)
{
    if (subject->len == 0) {
        pp_buf_printf(subject, "payout:%" PRId64, id);
    } else {
        pp_buf_printf(subject, ",%" PRId64, id);
    }
}

/* --- Creating payouts ------------------------------------------------------ */

struct create_op {
    const struct store_write_ctx *w;
    struct store_payout_new *rows;
    size_t count;
    store_recipient_rule_fn rule;
    int check_only;
    const char *audit_action;
    const char *audit_detail;
    int checked; /* out: check_only and every row would be created */
    /* Per call: the currencies a row has overdrawn. */
    char overdrawn[COMPOSE_CURRENCIES_MAX][4];
    size_t overdrawn_count;
};

/* Finds or creates the recipient of `given` by the rule; sets *id_out. */
static enum pp_status create_recipient(const struct store_steps *s, struct store_tx *tx,
                                       store_recipient_rule_fn rule,
                                       const struct pp_recipient *given, int64_t now_ms,
                                       int64_t *id_out, int *has_email_out, struct pp_err *err)
{
    struct pp_recipient stored[PP_IDENT_COUNT];
    const struct pp_recipient *found[PP_IDENT_COUNT];
    struct pp_recipient merged;
    int changed = 0;
    enum pp_status st = PP_OK;
    for (int i = 0; i < PP_IDENT_COUNT && st == PP_OK; i++) {
        const char *value = pp_recipient_ident(given, (enum pp_ident)i);
        int hit = 0;
        if (value[0] != '\0') {
            st = s->recipient_find(tx, (enum pp_ident)i, value, &stored[i], &hit, err);
        }
        found[i] = hit ? &stored[i] : NULL;
    }
    if (st == PP_OK) {
        st = rule(given, found, &merged, &changed, err);
    }
    if (st == PP_OK && changed) {
        st = s->recipient_save(tx, &merged, now_ms, err);
    }
    if (st == PP_OK) {
        *id_out = merged.id;
        *has_email_out = merged.email[0] != '\0';
    }
    return st;
}

/* Creates one payout with its recipient, project, funds block and event. */
static enum pp_status create_row(const struct store_steps *s, struct store_tx *tx,
                                 const struct create_op *op, struct store_payout_new *row,
                                 struct pp_err *err)
{
    struct pp_payout *p = &row->payout;
    int64_t now_ms = op->w->now_ms;
    /* Funds first, then the recipient rule, then the project: see the
    ** opening of this file. */
    struct pp_balance balance;
    int has_email = 0;
    enum pp_status st = s->balance_get(tx, p->currency, &balance, err);
    if (st == PP_OK && balance.available < p->amount_minor) {
        st = pp_err_set(err, PP_INSUFFICIENT_FUNDS, "insufficient funds in %s", p->currency);
    }
    if (st == PP_OK) {
        st = create_recipient(s, tx, op->rule, row->recipient, now_ms, &p->recipient_id, &has_email,
                              err);
    }
    if (st == PP_OK) {
        st = s->project_ensure(tx, row->project_name, now_ms, &p->project_id, err);
    }
    if (st != PP_OK) {
        return st;
    }
    p->created_ms = now_ms;
    p->updated_ms = now_ms;
    p->created_by_user = compose_actor_user(op->w);
    st = s->payout_insert(tx, p, err);
    if (st == PP_OK) {
        struct pp_movement block = {
            .currency = p->currency,
            .kind = PP_LEDGER_BLOCK,
            .d_available = -p->amount_minor,
            .d_blocked = p->amount_minor,
            .payout_id = p->id,
            .at_ms = now_ms,
        };
        st = s->funds_move(tx, &block, NULL, err);
    }
    if (st == PP_OK) {
        /* The outbox: the event (and a due notification) commit with the row. */
        st = s->event_payout(tx, PP_EVENT_PAYOUT_CREATED, p, now_ms, err);
    }
    /* The rule of the backends' event_payout: a READY payout with
    ** notification on gets its "ready" e-mail when its recipient has an
    ** address. */
    row->ready_notice = st == PP_OK && p->notification && p->status == PP_PAYOUT_READY && has_email;
    return st;
}

static int create_overdrawn(const struct create_op *op, const char *currency)
{
    for (size_t i = 0; i < op->overdrawn_count; i++) {
        if (strcmp(op->overdrawn[i], currency) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Tries one row; a refusal is recorded on the row and returns PP_OK, a
** storage failure is returned. */
static enum pp_status create_try(const struct store_steps *s, struct store_tx *tx,
                                 struct create_op *op, struct store_payout_new *row,
                                 struct pp_err *err)
{
    const char *currency = row->payout.currency;
    if (create_overdrawn(op, currency)) {
        pp_err_set(&row->err, PP_INSUFFICIENT_FUNDS,
                   "insufficient funds in %s: an earlier %s row of this list already exceeds "
                   "the available balance",
                   currency, currency);
        return PP_OK;
    }
    enum pp_status st = create_row(s, tx, op, row, &row->err);
    if (st == PP_INSUFFICIENT_FUNDS) {
        PP_ASSERT(op->overdrawn_count < COMPOSE_CURRENCIES_MAX);
        memcpy(op->overdrawn[op->overdrawn_count++], currency, 4);
    }
    if (st != PP_OK && st != PP_INVALID_PARAMS && st != PP_INSUFFICIENT_FUNDS) {
        return pp_err_set(err, st, "%s", row->err.message);
    }
    return PP_OK;
}

static enum pp_status create_audit(const struct store_steps *s, struct store_tx *tx,
                                   const struct create_op *op, struct pp_err *err)
{
    char subject[64];
    int64_t first = op->rows[0].payout.id;
    int64_t last = op->rows[op->count - 1].payout.id;
    if (first == last) {
        snprintf(subject, sizeof subject, "payout:%" PRId64, first);
    } else {
        snprintf(subject, sizeof subject, "payout:%" PRId64 "..%" PRId64, first, last);
    }
    return store_compose_audit(s, tx, op->w, op->audit_action, subject, op->audit_detail, err);
}

static enum pp_status create_step(const struct store_steps *s, struct store_tx *tx, void *arg,
                                  struct pp_err *err)
{
    struct create_op *op = arg;
    const struct store_payout_new *refused = NULL;
    op->overdrawn_count = 0;
    op->checked = 0;
    for (size_t i = 0; i < op->count; i++) {
        pp_err_clear(&op->rows[i].err);
        op->rows[i].payout.id = 0;
        op->rows[i].ready_notice = 0;
    }
    for (size_t i = 0; i < op->count; i++) {
        enum pp_status st = create_try(s, tx, op, &op->rows[i], err);
        if (st != PP_OK) {
            return st;
        }
        if (refused == NULL && op->rows[i].err.status != PP_OK) {
            refused = &op->rows[i];
        }
    }
    if (refused != NULL) {
        /* Rolls back every row written so far; each row says why. */
        return pp_err_set(err, refused->err.status, "%s", refused->err.message);
    }
    if (op->check_only) {
        /* A refusal undoes the rows; the caller learns it was a check. */
        op->checked = 1;
        return pp_err_set(err, PP_CONFLICT, "checked only");
    }
    return create_audit(s, tx, op, err);
}

enum pp_status store_compose_payouts_create(const struct store_steps *s, void *backend,
                                            const struct store_write_ctx *w,
                                            struct store_payout_new *rows, size_t count,
                                            store_recipient_rule_fn rule, int check_only,
                                            const char *audit_action, const char *audit_detail,
                                            struct pp_err *err)
{
    PP_ASSERT(rows != NULL && count > 0 && rule != NULL && audit_action != NULL);
    struct create_op *op = pp_check_alloc(calloc(1, sizeof *op));
    op->w = w;
    op->rows = rows;
    op->count = count;
    op->rule = rule;
    op->check_only = check_only;
    op->audit_action = audit_action;
    op->audit_detail = audit_detail;
    /* A writer may read the rows' recipients ahead (store/backend.h). */
    const struct store_write_recipients named = {.rows = rows, .count = count};
    store_write_recipients_set(&named);
    enum pp_status status =
        store_compose_write(s, backend, check_only ? NULL : w, create_step, op, err);
    store_write_recipients_set(NULL);
    if (status == PP_CONFLICT && op->checked) {
        pp_err_clear(err);
        status = PP_OK;
    }
    free(op);
    return status;
}

/* --- Changing payouts in bulk ------------------------------------------- */

struct change_op {
    const struct store_write_ctx *w;
    enum store_payout_change change;
    const int64_t *ids;
    size_t count;
    int64_t done; /* out */
};

/* Per change: its audit action, the status it leaves and the event. */
static const struct {
    const char *action;
    enum pp_payout_status to;
    enum pp_event_type event;
} change_rules[] = {
    [STORE_PAYOUT_CANCEL] = {"payment.cancel", PP_PAYOUT_CANCELLED, PP_EVENT_PAYOUT_CANCELLED},
    [STORE_PAYOUT_AUTHORIZE] = {"payment.authorize", PP_PAYOUT_READY, PP_EVENT_PAYOUT_AUTHORIZED},
    [STORE_PAYOUT_EXPIRE] = {"payment.expire", PP_PAYOUT_EXPIRED, PP_EVENT_PAYOUT_EXPIRED},
};

/* 1 when p takes part in the change (the rules of store.h). */
static int change_eligible(const struct change_op *op, const struct pp_payout *p)
{
    int64_t now_ms = op->w->now_ms;
    switch (op->change) {
    case STORE_PAYOUT_CANCEL:
        return pp_payout_status_is_open(p->status);
    case STORE_PAYOUT_AUTHORIZE:
        /* Ended: about to expire, authorizing it would be for nothing.
        ** Four eyes: never the acting user's own payout. */
        return p->status == PP_PAYOUT_UNAUTHORIZED && p->end_ms >= now_ms &&
               (p->created_by_user == 0 || p->created_by_user != compose_actor_user(op->w));
    case STORE_PAYOUT_EXPIRE:
        return pp_payout_status_is_open(p->status) && p->end_ms < now_ms;
    }
    return 0;
}

/* Closes open payout p as `to` and releases its funds (RELEASE row). */
static enum pp_status change_release(const struct store_steps *s, struct store_tx *tx,
                                     const struct pp_payout *p, enum pp_payout_status to,
                                     int64_t now_ms, struct pp_err *err)
{
    enum pp_status st = s->payout_set_status(tx, p->id, to, now_ms, NULL, 0, err);
    if (st == PP_OK) {
        struct pp_movement release = {
            .currency = p->currency,
            .kind = PP_LEDGER_RELEASE,
            .d_available = p->amount_minor,
            .d_blocked = -p->amount_minor,
            .payout_id = p->id,
            .at_ms = now_ms,
        };
        st = s->funds_move(tx, &release, NULL, err);
    }
    return st;
}

/* The change of p, then its event (the outbox's rules, events.h). */
static enum pp_status change_apply(const struct store_steps *s, struct store_tx *tx,
                                   const struct change_op *op, struct pp_payout *p,
                                   struct pp_err *err)
{
    int64_t now_ms = op->w->now_ms;
    enum pp_payout_status to = change_rules[op->change].to;
    enum pp_status st;
    if (op->change == STORE_PAYOUT_AUTHORIZE) {
        st = s->payout_set_status(tx, p->id, to, now_ms, NULL, compose_actor_user(op->w), err);
    } else {
        st = change_release(s, tx, p, to, now_ms, err);
    }
    if (st == PP_OK) {
        p->status = to;
        st = s->event_payout(tx, change_rules[op->change].event, p, now_ms, err);
    }
    return st;
}

static enum pp_status change_step(const struct store_steps *s, struct store_tx *tx, void *arg,
                                  struct pp_err *err)
{
    struct change_op *op = arg;
    enum pp_status st = PP_OK;
    struct pp_buf subject;
    pp_buf_init(&subject);
    op->done = 0;
    for (size_t i = 0; i < op->count && st == PP_OK; i++) {
        struct pp_payout p;
        struct pp_err miss = {0};
        enum pp_status got = s->payout_get(tx, op->ids[i], &p, &miss);
        if (got == PP_NOT_FOUND || (got == PP_OK && !change_eligible(op, &p))) {
            continue;
        }
        if (got != PP_OK) {
            st = pp_err_set(err, got, "%s", miss.message);
            break;
        }
        st = change_apply(s, tx, op, &p, err);
        if (st == PP_OK) {
            compose_subject_add(&subject, p.id);
            op->done++;
        }
    }
    if (st == PP_OK && op->done > 0) {
        st = store_compose_audit(s, tx, op->w, change_rules[op->change].action, subject.data, NULL,
                                 err);
    }
    pp_buf_free(&subject);
    return st;
}

enum pp_status store_compose_payouts_change(const struct store_steps *s, void *backend,
                                            const struct store_write_ctx *w,
                                            enum store_payout_change change, const int64_t *ids,
                                            size_t count, int64_t *done_out, struct pp_err *err)
{
    PP_ASSERT((unsigned)change <= STORE_PAYOUT_EXPIRE);
    struct change_op op = {.w = w, .change = change, .ids = ids, .count = count};
    enum pp_status status = store_compose_write(s, backend, w, change_step, &op, err);
    *done_out = status == PP_OK ? op.done : 0;
    return status;
}

/* --- Receiving a payout -------------------------------------------------- */

struct receive_op {
    const struct store_write_ctx *w;
    int64_t id;
    const char *reference; /* NULL for none */
    store_amount_text_fn amount_text;
    struct pp_payout payout; /* out */
};

/* Moves ready payout p to RECEIVED and its funds from blocked to paid out. */
static enum pp_status receive_move(const struct store_steps *s, struct store_tx *tx,
                                   const struct receive_op *op, const struct pp_payout *p,
                                   struct pp_err *err)
{
    int64_t now_ms = op->w->now_ms;
    enum pp_status st =
        s->payout_set_status(tx, p->id, PP_PAYOUT_RECEIVED, now_ms, op->reference, 0, err);
    if (st == PP_OK) {
        struct pp_movement payout = {
            .currency = p->currency,
            .kind = PP_LEDGER_PAYOUT,
            .d_blocked = -p->amount_minor,
            .d_paid_out = p->amount_minor,
            .payout_id = p->id,
            .reference = op->reference,
            .admin_id = op->w->actor != NULL ? op->w->actor->admin_id : 0,
            .at_ms = now_ms,
        };
        st = s->funds_move(tx, &payout, NULL, err);
    }
    return st;
}

static enum pp_status receive_step(const struct store_steps *s, struct store_tx *tx, void *arg,
                                   struct pp_err *err)
{
    struct receive_op *op = arg;
    int64_t now_ms = op->w->now_ms;
    struct pp_payout *p = &op->payout;
    enum pp_status st = s->payout_get(tx, op->id, p, err);
    if (st == PP_OK &&
        (p->status != PP_PAYOUT_READY || now_ms < p->start_ms || now_ms > p->end_ms)) {
        /* The payout as it stands goes back with the refusal: core says why. */
        return pp_err_set(err, PP_CONFLICT, "payout %" PRId64 " cannot be received now", p->id);
    }
    if (st == PP_OK) {
        st = receive_move(s, tx, op, p, err);
    }
    if (st == PP_OK) {
        st = s->payout_get(tx, op->id, p, err);
    }
    if (st == PP_OK) {
        st = s->event_payout(tx, PP_EVENT_PAYOUT_RECEIVED, p, now_ms, err);
    }
    if (st == PP_OK) {
        char subject[32];
        char amount[64];
        char detail[96];
        op->amount_text(p->currency, p->amount_minor, amount, sizeof amount);
        snprintf(subject, sizeof subject, "payout:%" PRId64, p->id);
        snprintf(detail, sizeof detail, "%s %s", amount, p->currency);
        st = store_compose_audit(s, tx, op->w, "payment.receive", subject, detail, err);
    }
    return st;
}

enum pp_status store_compose_payout_receive(const struct store_steps *s, void *backend,
                                            const struct store_write_ctx *w, int64_t id,
                                            const char *reference, store_amount_text_fn amount_text,
                                            struct pp_payout *out, struct pp_err *err)
{
    struct receive_op op = {
        .w = w,
        .id = id,
        .reference = reference != NULL && reference[0] != '\0' ? reference : NULL,
        .amount_text = amount_text,
    };
    enum pp_status status = store_compose_write(s, backend, w, receive_step, &op, err);
    if (status == PP_OK || status == PP_CONFLICT) {
        *out = op.payout;
    }
    return status;
}

/* --- Funds, settings, admins --------------------------------------------- */

struct funds_op {
    const struct store_write_ctx *w;
    const struct pp_movement *m;
    const char *audit_action;
    const char *audit_detail;
    struct pp_balance after; /* out */
};

static enum pp_status funds_step(const struct store_steps *s, struct store_tx *tx, void *arg,
                                 struct pp_err *err)
{
    struct funds_op *op = arg;
    const struct pp_movement *m = op->m;
    enum pp_status st = s->funds_move(tx, m, &op->after, err);
    if (st == PP_OK && (m->kind == PP_LEDGER_DEPOSIT || m->kind == PP_LEDGER_WITHDRAW)) {
        enum pp_event_type type =
            m->kind == PP_LEDGER_DEPOSIT ? PP_EVENT_FUNDS_DEPOSITED : PP_EVENT_FUNDS_WITHDRAWN;
        int64_t amount = m->d_available < 0 ? -m->d_available : m->d_available;
        st = s->event_funds(tx, type, m->currency, amount, m->reference, &op->after, op->w->now_ms,
                            err);
    }
    if (st == PP_OK) {
        st = store_compose_audit(s, tx, op->w, op->audit_action, NULL, op->audit_detail, err);
    }
    return st;
}

enum pp_status store_compose_funds_move(const struct store_steps *s, void *backend,
                                        const struct store_write_ctx *w,
                                        const struct pp_movement *m, const char *audit_action,
                                        const char *audit_detail, struct pp_balance *after_out,
                                        struct pp_err *err)
{
    struct funds_op op = {
        .w = w, .m = m, .audit_action = audit_action, .audit_detail = audit_detail};
    enum pp_status status = store_compose_write(s, backend, w, funds_step, &op, err);
    if (status == PP_OK && after_out != NULL) {
        *after_out = op.after;
    }
    return status;
}

struct settings_op {
    const struct store_write_ctx *w;
    const struct store_setting *kv;
    size_t count;
    const char *audit_action; /* NULL: not audited */
    const char *audit_detail;
};

static enum pp_status settings_step(const struct store_steps *s, struct store_tx *tx, void *arg,
                                    struct pp_err *err)
{
    const struct settings_op *op = arg;
    enum pp_status st = PP_OK;
    for (size_t i = 0; i < op->count && st == PP_OK; i++) {
        st = s->setting_put(tx, op->kv[i].key, op->kv[i].value, err);
    }
    if (st == PP_OK && op->audit_action != NULL) {
        st = store_compose_audit(s, tx, op->w, op->audit_action, NULL, op->audit_detail, err);
    }
    return st;
}

enum pp_status store_compose_settings_put(const struct store_steps *s, void *backend,
                                          const struct store_write_ctx *w,
                                          const struct store_setting *kv, size_t count,
                                          const char *audit_action, const char *audit_detail,
                                          struct pp_err *err)
{
    struct settings_op op = {.w = w,
                             .kv = kv,
                             .count = count,
                             .audit_action = audit_action,
                             .audit_detail = audit_detail};
    return store_compose_write(s, backend, w, settings_step, &op, err);
}

struct admin_op {
    const struct store_write_ctx *w;
    const char *email;
    const char *hash;
    int created; /* out */
    int64_t id;  /* out */
};

static enum pp_status admin_step(const struct store_steps *s, struct store_tx *tx, void *arg,
                                 struct pp_err *err)
{
    struct admin_op *op = arg;
    struct pp_err local = {0};
    op->created = 0;
    op->id = 0;
    enum pp_status st =
        s->admin_set_password(tx, op->email, op->hash, op->w->now_ms, &op->id, &local);
    if (st == PP_NOT_FOUND) {
        op->created = 1;
        st = s->admin_insert(tx, op->email, op->hash, op->w->now_ms, &op->id, err);
    } else if (st != PP_OK) {
        pp_err_set(err, st, "%s", local.message);
    }
    if (st == PP_OK) {
        st =
            store_compose_audit(s, tx, op->w, op->created ? "admin.create" : "admin.password_reset",
                                op->email, NULL, err);
    }
    return st;
}

enum pp_status store_compose_admin_upsert(const struct store_steps *s, void *backend,
                                          const struct store_write_ctx *w, const char *email,
                                          const char *password_hash, int *created_out,
                                          int64_t *id_out, struct pp_err *err)
{
    struct admin_op op = {.w = w, .email = email, .hash = password_hash};
    enum pp_status status = store_compose_write(s, backend, w, admin_step, &op, err);
    *created_out = status == PP_OK ? op.created : 0;
    *id_out = status == PP_OK ? op.id : 0;
    return status;
}

/* --- Idempotency answers and purge --------------------------------------- */

struct answer_op {
    const char *scope;
    const char *key;
    unsigned status;
    const char *content_type;
    const char *body;
    size_t body_len;
};

static enum pp_status answer_step(const struct store_steps *s, struct store_tx *tx, void *arg,
                                  struct pp_err *err)
{
    const struct answer_op *op = arg;
    return s->idem_set_response(tx, op->scope, op->key, op->status, op->content_type, op->body,
                                op->body_len, err);
}

enum pp_status store_compose_idem_answer_put(const struct store_steps *s, void *backend,
                                             const char *scope, const char *key, unsigned status,
                                             const char *content_type, const char *body,
                                             size_t body_len, struct pp_err *err)
{
    struct answer_op op = {scope, key, status, content_type, body, body_len};
    return store_compose_write(s, backend, NULL, answer_step, &op, err);
}

struct purge_op {
    int64_t before_ms;
    int64_t limit;
    int64_t deleted; /* out */
};

static enum pp_status purge_step(const struct store_steps *s, struct store_tx *tx, void *arg,
                                 struct pp_err *err)
{
    struct purge_op *op = arg;
    return s->idem_purge(tx, op->before_ms, op->limit, &op->deleted, err);
}

enum pp_status store_compose_idem_purge(const struct store_steps *s, void *backend,
                                        int64_t before_ms, int64_t limit, int64_t *deleted_out,
                                        struct pp_err *err)
{
    struct purge_op op = {.before_ms = before_ms, .limit = limit};
    enum pp_status status = store_compose_write(s, backend, NULL, purge_step, &op, err);
    *deleted_out = status == PP_OK ? op.deleted : 0;
    return status;
}

/* --- Users: the rules of payout/store/users.h ------------------------------ */

enum pp_status store_compose_user_audit(const struct store_steps *s, struct store_tx *tx,
                                        const struct store_write_ctx *w, const char *action,
                                        int64_t user_id, const char *subject_text,
                                        const char *detail, struct pp_err *err)
{
    char subject[PP_AUDIT_SUBJECT_BYTES_MAX + 1];
    if (user_id > 0) {
        snprintf(subject, sizeof subject, "user:%" PRId64, user_id);
    } else {
        snprintf(subject, sizeof subject, "%s", subject_text != NULL ? subject_text : "");
    }
    return store_compose_audit(s, tx, w, action, subject, detail, err);
}

enum pp_status store_compose_user_last_admin(struct store_tx *tx, store_admins_count_fn count,
                                             const struct pp_user *u, enum pp_role role,
                                             int disabled, struct pp_err *err)
{
    int64_t admins = 0;
    int was = u->role == PP_ROLE_ADMIN && !u->disabled;
    int stays = role == PP_ROLE_ADMIN && !disabled;
    if (!was || stays) {
        return PP_OK;
    }
    enum pp_status status = count(tx, &admins, err);
    if (status == PP_OK && admins <= 1) {
        status = pp_err_set(err, PP_CONFLICT,
                            "the last enabled admin can be neither demoted nor disabled");
    }
    return status;
}

int store_compose_user_update_plan(const struct store_user_update *in, const struct pp_user *old,
                                   struct store_user_change *out)
{
    out->role = in->role != PP_ROLE_NONE ? in->role : old->role;
    out->disabled = in->disabled >= 0 ? in->disabled != 0 : old->disabled;
    out->detail[0] = '\0';
    if (out->role == old->role && out->disabled == old->disabled) {
        return 0;
    }
    size_t n = 0;
    if (out->role != old->role) {
        n = (size_t)snprintf(out->detail, sizeof out->detail, "role %s->%s",
                             pp_role_name(old->role), pp_role_name(out->role));
    }
    if (out->disabled != old->disabled) {
        snprintf(out->detail + n, sizeof out->detail - n, "%s%s", n > 0 ? ", " : "",
                 out->disabled ? "disabled" : "enabled");
    }
    return 1;
}

enum pp_status store_compose_two_factor_plan(const struct store_user_two_factor *in,
                                             const struct pp_user *u,
                                             struct store_two_factor_plan *out, struct pp_err *err)
{
    int on = u->totp_sealed[0] != '\0';
    enum pp_status status = PP_OK;
    *out = (struct store_two_factor_plan){.last_step = -1};
    switch (in->change) {
    case STORE_TWO_FACTOR_SETUP:
        out->action = "user.two_factor_setup";
        out->pending = in->sealed;
        out->last_step = u->totp_last_step;
        if (on) {
            status = pp_err_set(err, PP_CONFLICT, "two-factor sign-in is already on");
        }
        break;
    case STORE_TWO_FACTOR_ENABLE:
        /* The code was checked against `sealed`: still the pending one, a new step. */
        out->action = "user.two_factor_enable";
        out->sealed = in->sealed;
        out->last_step = in->step;
        if (on || strcmp(u->totp_pending_sealed, in->sealed) != 0 ||
            in->step <= u->totp_last_step) {
            status =
                pp_err_set(err, PP_CONFLICT, "two-factor setup changed meanwhile; start it again");
        }
        break;
    case STORE_TWO_FACTOR_DISABLE:
        out->action = "user.two_factor_disable";
        if (!on || in->step <= u->totp_last_step) {
            status = pp_err_set(err, PP_CONFLICT, "two-factor sign-in changed meanwhile");
        }
        break;
    case STORE_TWO_FACTOR_RESET:
        out->action = "user.two_factor_reset";
        out->bump = 1;
        break;
    }
    return status;
}

enum pp_status store_compose_sign_in_refuse(const struct store_user_sign_in *in, struct pp_err *err)
{
    return pp_err_set(err, PP_UNAUTHORIZED,
                      in->step >= 0 ? "wrong or already used two-factor code"
                                    : "invalid e-mail or password");
}
