/*
** This private header declares the store's write composer (compose.c):
** the domain write operations of payout/store/store.h and idempotency.h,
** each written once against an opaque backend transaction and a table of
** the backend's table-level steps (struct store_steps). A backend fills
** the table once (src/store/sqlite/writes.c, src/store/pg/writes.c) and
** answers each of its write operations with one call below.
**
** A step runs inside the backend's writer transaction with the contract of
** the backend function it stands for (store_sqlite_tx_*, store_pg_tx_*,
** store_*_event_*): it returns PP_OK or fills err, and a failure leaves
** the transaction for the writer to undo. The composer decides the rules
** (which rows, which status, which audit entry and event), the backend
** decides the SQL.
*/
#ifndef PAYOUT_STORE_COMPOSE_H
#define PAYOUT_STORE_COMPOSE_H

#include <stddef.h>
#include <stdint.h>

#include "payout/model.h"
#include "payout/status.h"
#include "payout/store/events.h"
#include "payout/store/idempotency.h"
#include "payout/store/store.h"
#include "payout/store/users.h"

/* A backend's transaction inside its writer's batch (struct
** store_sqlite_tx, struct pg_tx); never defined, only passed back. */
struct store_tx;

/* A step of a write, run in the writer's batch; may run more than once
** (the writer's contract), so it derives everything from its inputs. */
typedef enum pp_status (*store_tx_fn)(struct store_tx *tx, void *arg, struct pp_err *err);

/* What a backend supplies: its writer, and the table-level steps the
** domain operations are made of. Every entry is required. */
struct store_steps {
    /* Runs fn(tx, arg, err) in the writer's next batch and waits until
    ** the batch has committed (store_sqlite_write, store_pg_write). */
    enum pp_status (*write)(void *backend, store_tx_fn fn, void *arg, struct pp_err *err);
    /* Projects and recipients. */
    enum pp_status (*project_ensure)(struct store_tx *tx, const char *name, int64_t now_ms,
                                     int64_t *id_out, struct pp_err *err);
    enum pp_status (*recipient_find)(struct store_tx *tx, enum pp_ident which, const char *value,
                                     struct pp_recipient *out, int *found_out, struct pp_err *err);
    enum pp_status (*recipient_save)(struct store_tx *tx, struct pp_recipient *r, int64_t now_ms,
                                     struct pp_err *err);
    /* Payouts: payout_get locks the row where the backend has row locks. */
    enum pp_status (*payout_insert)(struct store_tx *tx, struct pp_payout *p, struct pp_err *err);
    enum pp_status (*payout_get)(struct store_tx *tx, int64_t id, struct pp_payout *out,
                                 struct pp_err *err);
    enum pp_status (*payout_set_status)(struct store_tx *tx, int64_t id, enum pp_payout_status to,
                                        int64_t now_ms, const char *reference, int64_t by_user,
                                        struct pp_err *err);
    /* Balances and the ledger: one movement, one ledger row. */
    enum pp_status (*balance_get)(struct store_tx *tx, const char *currency, struct pp_balance *out,
                                  struct pp_err *err);
    enum pp_status (*funds_move)(struct store_tx *tx, const struct pp_movement *m,
                                 struct pp_balance *after_out, struct pp_err *err);
    /* Settings, admins, the audit log. */
    enum pp_status (*setting_put)(struct store_tx *tx, const char *key, const char *value,
                                  struct pp_err *err);
    enum pp_status (*admin_insert)(struct store_tx *tx, const char *email,
                                   const char *password_hash, int64_t now_ms, int64_t *id_out,
                                   struct pp_err *err);
    /* PP_NOT_FOUND when no admin has that e-mail; else *id_out = its id. */
    enum pp_status (*admin_set_password)(struct store_tx *tx, const char *email,
                                         const char *password_hash, int64_t now_ms, int64_t *id_out,
                                         struct pp_err *err);
    enum pp_status (*audit_append)(struct store_tx *tx, const struct pp_audit *a,
                                   struct pp_err *err);
    /* Idempotency keys. */
    enum pp_status (*idem_insert)(struct store_tx *tx, const char *scope, const char *key,
                                  const uint8_t fingerprint[STORE_IDEM_FINGERPRINT_BYTES],
                                  int64_t created_ms, struct pp_err *err);
    enum pp_status (*idem_set_response)(struct store_tx *tx, const char *scope, const char *key,
                                        unsigned status, const char *content_type, const char *body,
                                        size_t body_len, struct pp_err *err);
    enum pp_status (*idem_purge)(struct store_tx *tx, int64_t before_ms, int64_t limit,
                                 int64_t *deleted_out, struct pp_err *err);
    /* The outbox (the rules at the end of payout/store/events.h): the
    ** event of payout p as it stands after the change, with its deliveries
    ** and a due notification; the event of an admin's funds move. */
    enum pp_status (*event_payout)(struct store_tx *tx, enum pp_event_type type,
                                   const struct pp_payout *p, int64_t now_ms, struct pp_err *err);
    enum pp_status (*event_funds)(struct store_tx *tx, enum pp_event_type type,
                                  const char *currency, int64_t amount_minor, const char *reference,
                                  const struct pp_balance *after, int64_t now_ms,
                                  struct pp_err *err);
};

/* Runs fn(s, tx, arg, err) through s's writer and, when w and w->idem are
** given, inserts the Idempotency-Key row after it in the same savepoint
** (if that fails, the operation is undone too). The base of every
** operation below; a backend's own operations (users, sessions) use it
** the same way. */
typedef enum pp_status (*store_compose_fn)(const struct store_steps *s, struct store_tx *tx,
                                           void *arg, struct pp_err *err);
enum pp_status store_compose_write(const struct store_steps *s, void *backend,
                                   const struct store_write_ctx *w, store_compose_fn fn, void *arg,
                                   struct pp_err *err);

/* Appends the audit entry of w (w's actor, or the system when it has
** none; subject and detail "" when NULL) at w->now_ms. */
enum pp_status store_compose_audit(const struct store_steps *s, struct store_tx *tx,
                                   const struct store_write_ctx *w, const char *action,
                                   const char *subject, const char *detail, struct pp_err *err);

/* The domain operations, with the contracts of the public functions of
** the same name (payout/store/store.h, idempotency.h); backend is the
** handle s->write takes. */
enum pp_status store_compose_payouts_create(const struct store_steps *s, void *backend,
                                            const struct store_write_ctx *w,
                                            struct store_payout_new *rows, size_t count,
                                            store_recipient_rule_fn rule, int check_only,
                                            const char *audit_action, const char *audit_detail,
                                            struct pp_err *err);
enum pp_status store_compose_payouts_change(const struct store_steps *s, void *backend,
                                            const struct store_write_ctx *w,
                                            enum store_payout_change change, const int64_t *ids,
                                            size_t count, int64_t *done_out, struct pp_err *err);
enum pp_status store_compose_payout_receive(const struct store_steps *s, void *backend,
                                            const struct store_write_ctx *w, int64_t id,
                                            const char *reference, store_amount_text_fn amount_text,
                                            struct pp_payout *out, struct pp_err *err);
enum pp_status store_compose_funds_move(const struct store_steps *s, void *backend,
                                        const struct store_write_ctx *w,
                                        const struct pp_movement *m, const char *audit_action,
                                        const char *audit_detail, struct pp_balance *after_out,
                                        struct pp_err *err);
enum pp_status store_compose_settings_put(const struct store_steps *s, void *backend,
                                          const struct store_write_ctx *w,
                                          const struct store_setting *kv, size_t count,
                                          const char *audit_action, const char *audit_detail,
                                          struct pp_err *err);
enum pp_status store_compose_admin_upsert(const struct store_steps *s, void *backend,
                                          const struct store_write_ctx *w, const char *email,
                                          const char *password_hash, int *created_out,
                                          int64_t *id_out, struct pp_err *err);
enum pp_status store_compose_idem_answer_put(const struct store_steps *s, void *backend,
                                             const char *scope, const char *key, unsigned status,
                                             const char *content_type, const char *body,
                                             size_t body_len, struct pp_err *err);
enum pp_status store_compose_idem_purge(const struct store_steps *s, void *backend,
                                        int64_t before_ms, int64_t limit, int64_t *deleted_out,
                                        struct pp_err *err);

/* The backends' tables (src/store/sqlite/writes.c, src/store/pg/writes.c),
** for a backend's own operations built on store_compose_write. */
extern const struct store_steps store_sqlite_steps;
extern const struct store_steps store_pg_steps;

/* --- Users: the rules of payout/store/users.h ------------------------------
** The backends keep their users' SQL (one statement may decide, as the
** sign-in's does); what both decide the same way is here. */

/* Appends the audit entry of a users operation by w's actor at w->now_ms:
** subject "user:<id>" when user_id > 0, else subject_text ("" for NULL). */
enum pp_status store_compose_user_audit(const struct store_steps *s, struct store_tx *tx,
                                        const struct store_write_ctx *w, const char *action,
                                        int64_t user_id, const char *subject_text,
                                        const char *detail, struct pp_err *err);

/* Counts the enabled admins inside tx (a backend's step). */
typedef enum pp_status (*store_admins_count_fn)(struct store_tx *tx, int64_t *count_out,
                                                struct pp_err *err);

/* The last-admin rule: PP_CONFLICT when u, an enabled admin, would stop
** being one as (role, disabled) while no other admin is enabled. count is
** asked only when u would stop being one. */
enum pp_status store_compose_user_last_admin(struct store_tx *tx, store_admins_count_fn count,
                                             const struct pp_user *u, enum pp_role role,
                                             int disabled, struct pp_err *err);

/* What an update asks of a user. */
struct store_user_change {
    enum pp_role role;
    int disabled;
    char detail[96]; /* the audit detail: "role <old>-><new>" and/or "disabled"/"enabled" */
};

/* Merges in into old's role and flag; returns 0 when nothing changes
** (nothing is written then), else 1 with *out filled. */
int store_compose_user_update_plan(const struct store_user_update *in, const struct pp_user *old,
                                   struct store_user_change *out);

/* The two-factor columns a change writes. */
struct store_two_factor_plan {
    const char *action;  /* the audit action, set even on a refusal */
    const char *sealed;  /* the secret in use (NULL: none) */
    const char *pending; /* a setup's secret (NULL: none) */
    int64_t last_step;   /* the last accepted code's step (-1: none) */
    int bump;            /* 1: token_generation + 1, and the user's sessions end */
};

/* Decides in->change on user u by the rules of enum
** store_two_factor_change; PP_CONFLICT when they refuse it. */
enum pp_status store_compose_two_factor_plan(const struct store_user_two_factor *in,
                                             const struct pp_user *u,
                                             struct store_two_factor_plan *out, struct pp_err *err);

/* The refusal of a sign-in whose record changed no row (store_user_sign_in:
** the user is gone, disabled or moved on, or the code's step was used). */
enum pp_status store_compose_sign_in_refuse(const struct store_user_sign_in *in,
                                            struct pp_err *err);

#endif /* PAYOUT_STORE_COMPOSE_H */
