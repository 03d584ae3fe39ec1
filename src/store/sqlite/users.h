/*
** This private header declares the SQLite backend's users and sessions
** (users.c, sessions.c): the operations of payout/store/users.h with the
** backend's own handle, gathered into store_sqlite_ops by ops.c, and the
** transaction steps the two modules share.
*/
#ifndef PAYOUT_STORE_SQLITE_USERS_H
#define PAYOUT_STORE_SQLITE_USERS_H

#include "payout/store/users.h"
#include "store/sqlite/internal.h"

/* The user columns, in the order store_user_read_row expects. */
#define STORE_USER_COLUMNS                                                                         \
    "id, email, password_hash, token_generation, role, disabled, totp_sealed,"                     \
    " totp_pending_sealed, totp_last_step, created_ms, last_sign_in_ms"
#define STORE_USER_COLUMN_COUNT 11

/* Fills *out from the current row of q, whose STORE_USER_COLUMNS start at
** column `first`. Returns 0, or -1 (logged) when the row breaks the schema. */
int store_user_read_row(struct store_q *q, int first, struct pp_user *out);

/* Runs op(tx, arg, err) through the writer and, when w->idem is set,
** inserts the Idempotency-Key row in the same savepoint after it. */
enum pp_status store_users_write(struct store_sqlite *st, const struct store_write_ctx *w,
                                 store_sqlite_tx_fn op, void *arg, struct pp_err *err);

/* Appends an audit entry by w's actor at w->now_ms: subject "user:<id>"
** (user_id > 0) or subject_text. */
enum pp_status store_users_audit(struct store_sqlite_tx *tx, const struct store_write_ctx *w,
                                 const char *action, int64_t user_id, const char *subject_text,
                                 const char *detail, struct pp_err *err);

/* Deletes user_id's sessions, but the one of keep_hash (NULL: none kept). */
enum pp_status store_sessions_delete_user(struct store_sqlite_tx *tx, int64_t user_id,
                                          const char *keep_hash, struct pp_err *err);

/* Begins a session (sessions.c) and trims and purges as
** store_user_sign_in says. */
enum pp_status store_session_insert(struct store_sqlite_tx *tx, const struct store_write_ctx *w,
                                    const struct store_user_sign_in *in, struct pp_err *err);

enum pp_status store_sqlite_user_get(struct store_sqlite *st, int64_t id, struct pp_user *out,
                                     struct pp_err *err);
enum pp_status store_sqlite_user_find(struct store_sqlite *st, const char *email,
                                      struct pp_user *out, int *found_out, struct pp_err *err);
enum pp_status store_sqlite_users_list(struct store_sqlite *st, struct pp_user *out, size_t cap,
                                       size_t *count_out, struct pp_err *err);
enum pp_status store_sqlite_session_find(struct store_sqlite *st, const char *id_hash,
                                         struct pp_session *session_out, struct pp_user *user_out,
                                         int *found_out, struct pp_err *err);
enum pp_status store_sqlite_user_create(struct store_sqlite *st, const struct store_write_ctx *w,
                                        const struct store_user_create *in, struct pp_user *out,
                                        int *created_out, struct pp_err *err);
enum pp_status store_sqlite_user_update(struct store_sqlite *st, const struct store_write_ctx *w,
                                        const struct store_user_update *in, struct pp_user *out,
                                        struct pp_err *err);
enum pp_status store_sqlite_user_password_set(struct store_sqlite *st,
                                              const struct store_write_ctx *w,
                                              const struct store_user_password *in,
                                              struct pp_user *out, struct pp_err *err);
enum pp_status store_sqlite_user_two_factor(struct store_sqlite *st,
                                            const struct store_write_ctx *w,
                                            const struct store_user_two_factor *in,
                                            struct pp_user *out, struct pp_err *err);
enum pp_status store_sqlite_user_sign_in(struct store_sqlite *st, const struct store_write_ctx *w,
                                         const struct store_user_sign_in *in, struct pp_err *err);
enum pp_status store_sqlite_user_sign_in_failed(struct store_sqlite *st,
                                                const struct store_write_ctx *w,
                                                const struct store_sign_in_failure *in,
                                                struct pp_err *err);
enum pp_status store_sqlite_session_touch(struct store_sqlite *st, const struct store_write_ctx *w,
                                          const char *id_hash, struct pp_err *err);
enum pp_status store_sqlite_session_end(struct store_sqlite *st, const struct store_write_ctx *w,
                                        const char *id_hash, struct pp_err *err);

#endif /* PAYOUT_STORE_SQLITE_USERS_H */
