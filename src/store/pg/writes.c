/*
** This module implements the PostgreSQL backend's domain write operations
** (payout/store/store.h, idempotency.h) as calls into the store's write
** composer (src/store/compose.c), which holds each operation's rules once
** for every backend. What is PostgreSQL's here is the table of steps the
** composer runs (struct store_steps): the writer (writer.c) and the
** table-level steps of changes.c and funds.c, each adapted from
** the opaque transaction the composer passes to this backend's own; the
** outbox appends are outbox.h's. Several nodes write at once, so the
** steps lock rows as they read them (payout_get, balance_get: FOR UPDATE),
** and the composer's order puts every refusal of a new payout before its
** first insert (an identity value, once drawn, is not given back by a
** rollback).
*/
#include "store/compose.h"
#include "store/pg/internal.h"
#include "store/pg/outbox.h"

/* The composer's transaction is this backend's: it only passes it back. */
static struct pg_tx *pgtx(struct store_tx *tx)
{
    return (struct pg_tx *)tx;
}

/* --- The writer ----------------------------------------------------------- */

struct pg_call {
    store_tx_fn fn;
    void *arg;
};

static enum pp_status pg_call_run(struct pg_tx *tx, void *arg, struct pp_err *err)
{
    struct pg_call *c = arg;
    return c->fn((struct store_tx *)tx, c->arg, err);
}

static enum pp_status step_write(void *backend, store_tx_fn fn, void *arg, struct pp_err *err)
{
    struct pg_call c = {.fn = fn, .arg = arg};
    return store_pg_write(backend, pg_call_run, &c, err);
}

/* --- The table-level steps ----------------------------------------------- */

static enum pp_status step_project_ensure(struct store_tx *tx, const char *name, int64_t now_ms,
                                          int64_t *id_out, struct pp_err *err)
{
    return store_pg_tx_project_ensure(pgtx(tx), name, now_ms, id_out, err);
}

static enum pp_status step_recipient_find(struct store_tx *tx, enum pp_ident which,
                                          const char *value, struct pp_recipient *out,
                                          int *found_out, struct pp_err *err)
{
    return store_pg_tx_recipient_find(pgtx(tx), which, value, out, found_out, err);
}

static enum pp_status step_recipient_save(struct store_tx *tx, struct pp_recipient *r,
                                          int64_t now_ms, struct pp_err *err)
{
    return store_pg_tx_recipient_save(pgtx(tx), r, now_ms, err);
}

static enum pp_status step_payout_insert(struct store_tx *tx, struct pp_payout *p,
                                         struct pp_err *err)
{
    return store_pg_tx_payout_insert(pgtx(tx), p, err);
}

static enum pp_status step_payout_get(struct store_tx *tx, int64_t id, struct pp_payout *out,
                                      struct pp_err *err)
{
    return store_pg_tx_payout_get(pgtx(tx), id, out, err);
}

static enum pp_status step_payout_set_status(struct store_tx *tx, int64_t id,
                                             enum pp_payout_status to, int64_t now_ms,
                                             const char *reference, int64_t by_user,
                                             struct pp_err *err)
{
    return store_pg_tx_payout_set_status(pgtx(tx), id, to, now_ms, reference, by_user, err);
}

static enum pp_status step_balance_get(struct store_tx *tx, const char *currency,
                                       struct pp_balance *out, struct pp_err *err)
{
    return store_pg_tx_balance_get(pgtx(tx), currency, out, err);
}

static enum pp_status step_funds_move(struct store_tx *tx, const struct pp_movement *m,
                                      struct pp_balance *after_out, struct pp_err *err)
{
    return store_pg_tx_funds_move(pgtx(tx), m, after_out, err);
}

static enum pp_status step_setting_put(struct store_tx *tx, const char *key, const char *value,
                                       struct pp_err *err)
{
    return store_pg_tx_setting_put(pgtx(tx), key, value, err);
}

static enum pp_status step_admin_insert(struct store_tx *tx, const char *email,
                                        const char *password_hash, int64_t now_ms, int64_t *id_out,
                                        struct pp_err *err)
{
    return store_pg_tx_admin_insert(pgtx(tx), email, password_hash, now_ms, id_out, err);
}

static enum pp_status step_admin_set_password(struct store_tx *tx, const char *email,
                                              const char *password_hash, int64_t now_ms,
                                              int64_t *id_out, struct pp_err *err)
{
    return store_pg_tx_admin_set_password(pgtx(tx), email, password_hash, now_ms, id_out, err);
}

static enum pp_status step_audit_append(struct store_tx *tx, const struct pp_audit *a,
                                        struct pp_err *err)
{
    return store_pg_tx_audit_append(pgtx(tx), a, err);
}

static enum pp_status step_idem_insert(struct store_tx *tx, const char *scope, const char *key,
                                       const uint8_t fingerprint[STORE_IDEM_FINGERPRINT_BYTES],
                                       int64_t created_ms, struct pp_err *err)
{
    return store_pg_tx_idem_insert(pgtx(tx), scope, key, fingerprint, created_ms, err);
}

static enum pp_status step_idem_set_response(struct store_tx *tx, const char *scope,
                                             const char *key, unsigned status,
                                             const char *content_type, const char *body,
                                             size_t body_len, struct pp_err *err)
{
    return store_pg_tx_idem_set_response(pgtx(tx), scope, key, status, content_type, body, body_len,
                                         err);
}

static enum pp_status step_idem_purge(struct store_tx *tx, int64_t before_ms, int64_t limit,
                                      int64_t *deleted_out, struct pp_err *err)
{
    return store_pg_tx_idem_purge(pgtx(tx), before_ms, limit, deleted_out, err);
}

static enum pp_status step_event_payout(struct store_tx *tx, enum pp_event_type type,
                                        const struct pp_payout *p, int64_t now_ms,
                                        struct pp_err *err)
{
    return store_pg_event_payout(pgtx(tx), type, p, now_ms, err);
}

static enum pp_status step_event_funds(struct store_tx *tx, enum pp_event_type type,
                                       const char *currency, int64_t amount_minor,
                                       const char *reference, const struct pp_balance *after,
                                       int64_t now_ms, struct pp_err *err)
{
    return store_pg_event_funds(pgtx(tx), type, currency, amount_minor, reference, after, now_ms,
                                err);
}

const struct store_steps store_pg_steps = {
    .write = step_write,
    .project_ensure = step_project_ensure,
    .recipient_find = step_recipient_find,
    .recipient_save = step_recipient_save,
    .payout_insert = step_payout_insert,
    .payout_get = step_payout_get,
    .payout_set_status = step_payout_set_status,
    .balance_get = step_balance_get,
    .funds_move = step_funds_move,
    .setting_put = step_setting_put,
    .admin_insert = step_admin_insert,
    .admin_set_password = step_admin_set_password,
    .audit_append = step_audit_append,
    .idem_insert = step_idem_insert,
    .idem_set_response = step_idem_set_response,
    .idem_purge = step_idem_purge,
    .event_payout = step_event_payout,
    .event_funds = step_event_funds,
};

/* --- The operations --------------------------------------------------------- */

enum pp_status store_pg_payouts_create(struct store_pg *st, const struct store_write_ctx *w,
                                       struct store_payout_new *rows, size_t count,
                                       store_recipient_rule_fn rule, int check_only,
                                       const char *audit_action, const char *audit_detail,
                                       struct pp_err *err)
{
    return store_compose_payouts_create(&store_pg_steps, st, w, rows, count, rule, check_only,
                                        audit_action, audit_detail, err);
}

enum pp_status store_pg_payouts_change(struct store_pg *st, const struct store_write_ctx *w,
                                       enum store_payout_change change, const int64_t *ids,
                                       size_t count, int64_t *done_out, struct pp_err *err)
{
    return store_compose_payouts_change(&store_pg_steps, st, w, change, ids, count, done_out, err);
}

enum pp_status store_pg_payout_receive(struct store_pg *st, const struct store_write_ctx *w,
                                       int64_t id, const char *reference,
                                       store_amount_text_fn amount_text, struct pp_payout *out,
                                       struct pp_err *err)
{
    return store_compose_payout_receive(&store_pg_steps, st, w, id, reference, amount_text, out,
                                        err);
}

enum pp_status store_pg_funds_move(struct store_pg *st, const struct store_write_ctx *w,
                                   const struct pp_movement *m, const char *audit_action,
                                   const char *audit_detail, struct pp_balance *after_out,
                                   struct pp_err *err)
{
    return store_compose_funds_move(&store_pg_steps, st, w, m, audit_action, audit_detail,
                                    after_out, err);
}

enum pp_status store_pg_settings_put(struct store_pg *st, const struct store_write_ctx *w,
                                     const struct store_setting *kv, size_t count,
                                     const char *audit_action, const char *audit_detail,
                                     struct pp_err *err)
{
    return store_compose_settings_put(&store_pg_steps, st, w, kv, count, audit_action, audit_detail,
                                      err);
}

enum pp_status store_pg_admin_upsert(struct store_pg *st, const struct store_write_ctx *w,
                                     const char *email, const char *password_hash, int *created_out,
                                     int64_t *id_out, struct pp_err *err)
{
    return store_compose_admin_upsert(&store_pg_steps, st, w, email, password_hash, created_out,
                                      id_out, err);
}

enum pp_status store_pg_idem_answer_put(struct store_pg *st, const char *scope, const char *key,
                                        unsigned status, const char *content_type, const char *body,
                                        size_t body_len, struct pp_err *err)
{
    return store_compose_idem_answer_put(&store_pg_steps, st, scope, key, status, content_type,
                                         body, body_len, err);
}

enum pp_status store_pg_idem_purge(struct store_pg *st, int64_t before_ms, int64_t limit,
                                   int64_t *deleted_out, struct pp_err *err)
{
    return store_compose_idem_purge(&store_pg_steps, st, before_ms, limit, deleted_out, err);
}
