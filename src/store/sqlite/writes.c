/*
** This module implements the SQLite backend's domain write operations
** (payout/store/store.h, idempotency.h) as calls into the store's write
** composer (src/store/compose.c), which holds each operation's rules once
** for every backend. What is SQLite's here is the table of steps the
** composer runs (struct store_steps): the writer (writer.c) and the
** table-level steps of payouts.c, funds.c, recipients.c, projects.c,
** settings.c, admins.c, audit.c, idempotency.c and the outbox appends of
** events.c, each adapted from the opaque transaction the composer passes
** to this backend's own.
*/
#include "store/compose.h"
#include "store/sqlite/internal.h"
#include "store/sqlite/outbox.h"

/* The composer's transaction is this backend's: it only passes it back. */
static struct store_sqlite_tx *sq(struct store_tx *tx)
{
    return (struct store_sqlite_tx *)tx;
}

/* --- The writer ----------------------------------------------------------- */

struct sqlite_call {
    store_tx_fn fn;
    void *arg;
};

static enum pp_status sqlite_call_run(struct store_sqlite_tx *tx, void *arg, struct pp_err *err)
{
    struct sqlite_call *c = arg;
    return c->fn((struct store_tx *)tx, c->arg, err);
}

static enum pp_status step_write(void *backend, store_tx_fn fn, void *arg, struct pp_err *err)
{
    struct sqlite_call c = {.fn = fn, .arg = arg};
    return store_sqlite_write(backend, sqlite_call_run, &c, err);
}

/* --- The table-level steps ----------------------------------------------- */

static enum pp_status step_project_ensure(struct store_tx *tx, const char *name, int64_t now_ms,
                                          int64_t *id_out, struct pp_err *err)
{
    return store_sqlite_tx_project_ensure(sq(tx), name, now_ms, id_out, err);
}

static enum pp_status step_recipient_find(struct store_tx *tx, enum pp_ident which,
                                          const char *value, struct pp_recipient *out,
                                          int *found_out, struct pp_err *err)
{
    return store_sqlite_tx_recipient_find(sq(tx), which, value, out, found_out, err);
}

static enum pp_status step_recipient_save(struct store_tx *tx, struct pp_recipient *r,
                                          int64_t now_ms, struct pp_err *err)
{
    return store_sqlite_tx_recipient_save(sq(tx), r, now_ms, err);
}

static enum pp_status step_payout_insert(struct store_tx *tx, struct pp_payout *p,
                                         struct pp_err *err)
{
    return store_sqlite_tx_payout_insert(sq(tx), p, err);
}

static enum pp_status step_payout_get(struct store_tx *tx, int64_t id, struct pp_payout *out,
                                      struct pp_err *err)
{
    return store_sqlite_tx_payout_get(sq(tx), id, out, err);
}

static enum pp_status step_payout_set_status(struct store_tx *tx, int64_t id,
                                             enum pp_payout_status to, int64_t now_ms,
                                             const char *reference, int64_t by_user,
                                             struct pp_err *err)
{
    return store_sqlite_tx_payout_set_status(sq(tx), id, to, now_ms, reference, by_user, err);
}

static enum pp_status step_balance_get(struct store_tx *tx, const char *currency,
                                       struct pp_balance *out, struct pp_err *err)
{
    return store_sqlite_tx_balance_get(sq(tx), currency, out, err);
}

static enum pp_status step_funds_move(struct store_tx *tx, const struct pp_movement *m,
                                      struct pp_balance *after_out, struct pp_err *err)
{
    return store_sqlite_tx_funds_move(sq(tx), m, after_out, err);
}

static enum pp_status step_setting_put(struct store_tx *tx, const char *key, const char *value,
                                       struct pp_err *err)
{
    return store_sqlite_tx_setting_put(sq(tx), key, value, err);
}

static enum pp_status step_admin_insert(struct store_tx *tx, const char *email,
                                        const char *password_hash, int64_t now_ms, int64_t *id_out,
                                        struct pp_err *err)
{
    return store_sqlite_tx_admin_insert(sq(tx), email, password_hash, now_ms, id_out, err);
}

static enum pp_status step_admin_set_password(struct store_tx *tx, const char *email,
                                              const char *password_hash, int64_t now_ms,
                                              int64_t *id_out, struct pp_err *err)
{
    return store_sqlite_tx_admin_set_password(sq(tx), email, password_hash, now_ms, id_out, err);
}

static enum pp_status step_audit_append(struct store_tx *tx, const struct pp_audit *a,
                                        struct pp_err *err)
{
    return store_sqlite_tx_audit_append(sq(tx), a, err);
}

static enum pp_status step_idem_insert(struct store_tx *tx, const char *scope, const char *key,
                                       const uint8_t fingerprint[STORE_IDEM_FINGERPRINT_BYTES],
                                       int64_t created_ms, struct pp_err *err)
{
    return store_sqlite_tx_idem_insert(sq(tx), scope, key, fingerprint, created_ms, err);
}

static enum pp_status step_idem_set_response(struct store_tx *tx, const char *scope,
                                             const char *key, unsigned status,
                                             const char *content_type, const char *body,
                                             size_t body_len, struct pp_err *err)
{
    return store_sqlite_tx_idem_set_response(sq(tx), scope, key, status, content_type, body,
                                             body_len, err);
}

static enum pp_status step_idem_purge(struct store_tx *tx, int64_t before_ms, int64_t limit,
                                      int64_t *deleted_out, struct pp_err *err)
{
    return store_sqlite_tx_idem_purge(sq(tx), before_ms, limit, deleted_out, err);
}

static enum pp_status step_event_payout(struct store_tx *tx, enum pp_event_type type,
                                        const struct pp_payout *p, int64_t now_ms,
                                        struct pp_err *err)
{
    return store_sqlite_event_payout(sq(tx), type, p, now_ms, err);
}

static enum pp_status step_event_funds(struct store_tx *tx, enum pp_event_type type,
                                       const char *currency, int64_t amount_minor,
                                       const char *reference, const struct pp_balance *after,
                                       int64_t now_ms, struct pp_err *err)
{
    return store_sqlite_event_funds(sq(tx), type, currency, amount_minor, reference, after, now_ms,
                                    err);
}

const struct store_steps store_sqlite_steps = {
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

enum pp_status store_sqlite_payouts_create(struct store_sqlite *st, const struct store_write_ctx *w,
                                           struct store_payout_new *rows, size_t count,
                                           store_recipient_rule_fn rule, int check_only,
                                           const char *audit_action, const char *audit_detail,
                                           struct pp_err *err)
{
    return store_compose_payouts_create(&store_sqlite_steps, st, w, rows, count, rule, check_only,
                                        audit_action, audit_detail, err);
}

enum pp_status store_sqlite_payouts_change(struct store_sqlite *st, const struct store_write_ctx *w,
                                           enum store_payout_change change, const int64_t *ids,
                                           size_t count, int64_t *done_out, struct pp_err *err)
{
    return store_compose_payouts_change(&store_sqlite_steps, st, w, change, ids, count, done_out,
                                        err);
}

enum pp_status store_sqlite_payout_receive(struct store_sqlite *st, const struct store_write_ctx *w,
                                           int64_t id, const char *reference,
                                           store_amount_text_fn amount_text, struct pp_payout *out,
                                           struct pp_err *err)
{
    return store_compose_payout_receive(&store_sqlite_steps, st, w, id, reference, amount_text, out,
                                        err);
}

enum pp_status store_sqlite_funds_move(struct store_sqlite *st, const struct store_write_ctx *w,
                                       const struct pp_movement *m, const char *audit_action,
                                       const char *audit_detail, struct pp_balance *after_out,
                                       struct pp_err *err)
{
    return store_compose_funds_move(&store_sqlite_steps, st, w, m, audit_action, audit_detail,
                                    after_out, err);
}

enum pp_status store_sqlite_settings_put(struct store_sqlite *st, const struct store_write_ctx *w,
                                         const struct store_setting *kv, size_t count,
                                         const char *audit_action, const char *audit_detail,
                                         struct pp_err *err)
{
    return store_compose_settings_put(&store_sqlite_steps, st, w, kv, count, audit_action,
                                      audit_detail, err);
}

enum pp_status store_sqlite_admin_upsert(struct store_sqlite *st, const struct store_write_ctx *w,
                                         const char *email, const char *password_hash,
                                         int *created_out, int64_t *id_out, struct pp_err *err)
{
    return store_compose_admin_upsert(&store_sqlite_steps, st, w, email, password_hash, created_out,
                                      id_out, err);
}

enum pp_status store_sqlite_idem_answer_put(struct store_sqlite *st, const char *scope,
                                            const char *key, unsigned status,
                                            const char *content_type, const char *body,
                                            size_t body_len, struct pp_err *err)
{
    return store_compose_idem_answer_put(&store_sqlite_steps, st, scope, key, status, content_type,
                                         body, body_len, err);
}

enum pp_status store_sqlite_idem_purge(struct store_sqlite *st, int64_t before_ms, int64_t limit,
                                       int64_t *deleted_out, struct pp_err *err)
{
    return store_compose_idem_purge(&store_sqlite_steps, st, before_ms, limit, deleted_out, err);
}
