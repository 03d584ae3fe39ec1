/*
** This module implements the SQLite backend's users (payout/store/users.h):
** reading them, and the whole write operations on them, each one
** transaction through the writer with its audit entry (and Idempotency-Key
** row) inside. The rules of the header (the last enabled admin, what an
** update or a two-factor change writes, the refusal of a used code's
** step, the audit subject) are the store's write composer's
** (src/store/compose.c), shared with PostgreSQL, applied here to rows
** read inside the same transaction. Users live in
** the admins table (migration 0009 explains why it kept its name).
**
** Hashing, sealing and code checking are sec/'s business; this stores
** their texts only. Sessions are sessions.c.
*/
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "payout/base/assert.h"
#include "payout/base/log.h"
#include "store/compose.h"
#include "store/sqlite/users.h"

#define USER_SELECT "SELECT " STORE_USER_COLUMNS " FROM admins"

int store_user_read_row(struct store_q *q, int first, struct pp_user *out)
{
    char role[16];
    memset(out, 0, sizeof *out);
    out->id = sqlite3_column_int64(q->stmt, first);
    out->token_generation = sqlite3_column_int64(q->stmt, first + 3);
    out->disabled = sqlite3_column_int64(q->stmt, first + 5) != 0;
    out->totp_last_step = sqlite3_column_int64(q->stmt, first + 8);
    out->created_ms = sqlite3_column_int64(q->stmt, first + 9);
    out->last_sign_in_ms = sqlite3_column_int64(q->stmt, first + 10);
    if (store_q_col_text(q, first + 1, out->email, sizeof out->email) != 0 ||
        store_q_col_text(q, first + 2, out->password_hash, sizeof out->password_hash) != 0 ||
        store_q_col_text(q, first + 4, role, sizeof role) != 0 ||
        !pp_role_parse(role, strlen(role), &out->role) ||
        store_q_col_text(q, first + 6, out->totp_sealed, sizeof out->totp_sealed) != 0 ||
        store_q_col_text(q, first + 7, out->totp_pending_sealed, sizeof out->totp_pending_sealed) !=
            0) {
        pp_log(PP_LOG_ERROR, "store: user %lld breaks the schema", (long long)out->id);
        memset(out, 0, sizeof *out);
        return -1;
    }
    return 0;
}

/* Reads the one user q selects; *found_out = 0 when none. */
static enum pp_status user_read(struct store_q *q, struct pp_user *out, int *found_out,
                                struct pp_err *err)
{
    enum pp_status status = PP_OK;
    memset(out, 0, sizeof *out);
    *found_out = 0;
    int rc = store_q_step(q);
    if (rc == SQLITE_ROW) {
        if (store_user_read_row(q, 0, out) != 0) {
            status = pp_err_set(err, PP_INTERNAL, "storage error");
        } else {
            *found_out = 1;
        }
    } else if (rc != SQLITE_DONE) {
        status = store_q_fail(q, "reading a user", err);
    }
    store_q_reset(q);
    return status;
}

/* User id on connection c; PP_NOT_FOUND when none. */
static enum pp_status user_get(struct store_conn *c, int64_t id, struct pp_user *out,
                               struct pp_err *err)
{
    struct store_q q;
    int found = 0;
    store_q_init(&q, c, STORE_STMT_USER_GET, USER_SELECT " WHERE id = ?1");
    store_q_int64(&q, 1, id);
    enum pp_status status = user_read(&q, out, &found, err);
    if (status == PP_OK && !found) {
        status = pp_err_set(err, PP_NOT_FOUND, "user %" PRId64 " not found", id);
    }
    return status;
}

enum pp_status store_sqlite_user_get(struct store_sqlite *st, int64_t id, struct pp_user *out,
                                     struct pp_err *err)
{
    PP_ASSERT(out != NULL);
    struct store_conn *c = store_reader_acquire(st);
    enum pp_status status = user_get(c, id, out, err);
    store_reader_release(st, c);
    return status;
}

static enum pp_status user_find(struct store_conn *c, const char *email, struct pp_user *out,
                                int *found_out, struct pp_err *err)
{
    struct store_q q;
    store_q_init(&q, c, STORE_STMT_USER_FIND, USER_SELECT " WHERE email = ?1");
    store_q_text(&q, 1, email);
    return user_read(&q, out, found_out, err);
}

enum pp_status store_sqlite_user_find(struct store_sqlite *st, const char *email,
                                      struct pp_user *out, int *found_out, struct pp_err *err)
{
    PP_ASSERT(email != NULL && out != NULL && found_out != NULL);
    struct store_conn *c = store_reader_acquire(st);
    enum pp_status status = user_find(c, email, out, found_out, err);
    store_reader_release(st, c);
    return status;
}

enum pp_status store_sqlite_users_list(struct store_sqlite *st, struct pp_user *out, size_t cap,
                                       size_t *count_out, struct pp_err *err)
{
    PP_ASSERT(out != NULL && count_out != NULL);
    struct store_conn *c = store_reader_acquire(st);
    struct store_q q;
    enum pp_status status = PP_OK;
    size_t n = 0;
    int rc = SQLITE_DONE;
    store_q_init(&q, c, STORE_STMT_USERS_LIST, USER_SELECT " ORDER BY id LIMIT ?1");
    store_q_int64(&q, 1, (int64_t)cap);
    while (n < cap && (rc = store_q_step(&q)) == SQLITE_ROW) {
        if (store_user_read_row(&q, 0, &out[n]) != 0) {
            status = pp_err_set(err, PP_INTERNAL, "storage error");
            break;
        }
        n++;
    }
    if (status == PP_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        status = store_q_fail(&q, "listing users", err);
    }
    store_q_reset(&q);
    store_reader_release(st, c);
    *count_out = status == PP_OK ? n : 0;
    return status;
}

/* --- Transaction steps shared by the operations ------------------------------- */

/* A step of this backend's, run by the composer (which adds the key). */
struct users_call {
    store_sqlite_tx_fn op;
    void *arg;
};

static enum pp_status users_call_run(const struct store_steps *s, struct store_tx *tx, void *arg,
                                     struct pp_err *err)
{
    (void)s;
    struct users_call *call = arg;
    return call->op((struct store_sqlite_tx *)tx, call->arg, err);
}

enum pp_status store_users_write(struct store_sqlite *st, const struct store_write_ctx *w,
                                 store_sqlite_tx_fn op, void *arg, struct pp_err *err)
{
    PP_ASSERT(w != NULL && w->actor != NULL);
    struct users_call call = {.op = op, .arg = arg};
    return store_compose_write(&store_sqlite_steps, st, w, users_call_run, &call, err);
}

enum pp_status store_users_audit(struct store_sqlite_tx *tx, const struct store_write_ctx *w,
                                 const char *action, int64_t user_id, const char *subject_text,
                                 const char *detail, struct pp_err *err)
{
    return store_compose_user_audit(&store_sqlite_steps, (struct store_tx *)tx, w, action, user_id,
                                    subject_text, detail, err);
}

/* How many users are enabled admins. */
static enum pp_status admins_enabled_count(struct store_tx *tx, int64_t *count_out,
                                           struct pp_err *err)
{
    struct store_conn *c = store_tx_conn((struct store_sqlite_tx *)tx);
    struct store_q q;
    enum pp_status status = PP_OK;
    store_q_init(&q, c, STORE_STMT_USER_ADMINS_ENABLED,
                 "SELECT count(*) FROM admins WHERE role = 'admin' AND disabled = 0");
    if (store_q_step(&q) == SQLITE_ROW) {
        *count_out = sqlite3_column_int64(q.stmt, 0);
    } else {
        status = store_q_fail(&q, "counting enabled admins", err);
    }
    store_q_reset(&q);
    return status;
}

/* The last-admin rule (the composer's) on u becoming (role, disabled). */
static enum pp_status last_admin_check(struct store_sqlite_tx *tx, const struct pp_user *u,
                                       enum pp_role role, int disabled, struct pp_err *err)
{
    return store_compose_user_last_admin((struct store_tx *)tx, admins_enabled_count, u, role,
                                         disabled, err);
}

/* Writes the role, the flag and the password hash (NULL: keep) of u->id,
** and bumps its token_generation. */
static enum pp_status user_rewrite(struct store_conn *c, const struct store_write_ctx *w,
                                   int64_t id, enum pp_role role, int disabled,
                                   const char *password_hash, struct pp_err *err)
{
    struct store_q q;
    enum pp_status status = PP_OK;
    store_q_init(&q, c, STORE_STMT_USER_REWRITE,
                 "UPDATE admins SET role = ?2, disabled = ?3,"
                 " password_hash = coalesce(?4, password_hash),"
                 " token_generation = token_generation + 1, updated_ms = ?5 WHERE id = ?1");
    store_q_int64(&q, 1, id);
    store_q_text(&q, 2, pp_role_name(role));
    store_q_int64(&q, 3, disabled ? 1 : 0);
    store_q_text(&q, 4, password_hash);
    store_q_int64(&q, 5, w->now_ms);
    if (store_q_step(&q) != SQLITE_DONE) {
        status = store_q_fail(&q, "changing a user", err);
    }
    store_q_reset(&q);
    return status;
}

/* --- Create (or upsert) ------------------------------------------------------- */

struct user_create_call {
    const struct store_write_ctx *w;
    const struct store_user_create *in;
    struct pp_user *out;
    int created;
};

static enum pp_status user_insert(struct store_conn *c, const struct store_write_ctx *w,
                                  const struct store_user_create *in, int64_t *id_out,
                                  struct pp_err *err)
{
    struct store_q q;
    int64_t users = 0;
    enum pp_status status = PP_OK;
    store_q_init(&q, c, STORE_STMT_USER_COUNT, "SELECT count(*) FROM admins");
    if (store_q_step(&q) == SQLITE_ROW) {
        users = sqlite3_column_int64(q.stmt, 0);
    } else {
        status = store_q_fail(&q, "counting users", err);
    }
    store_q_reset(&q);
    if (status == PP_OK && users >= PP_USERS_MAX) {
        status =
            pp_err_set(err, PP_CONFLICT, "the panel has its maximum of %d users", PP_USERS_MAX);
    }
    if (status != PP_OK) {
        return status;
    }
    store_q_init(&q, c, STORE_STMT_USER_INSERT,
                 "INSERT INTO admins (email, password_hash, token_generation, created_ms,"
                 " updated_ms, role) VALUES (?1, ?2, 0, ?3, ?3, ?4)");
    store_q_text(&q, 1, in->email);
    store_q_text(&q, 2, in->password_hash);
    store_q_int64(&q, 3, w->now_ms);
    store_q_text(&q, 4, pp_role_name(in->role != PP_ROLE_NONE ? in->role : PP_ROLE_ADMIN));
    if (store_q_step(&q) == SQLITE_DONE) {
        *id_out = sqlite3_last_insert_rowid(c->db);
    } else if (q.xrc == SQLITE_CONSTRAINT_UNIQUE) {
        status = pp_err_set(err, PP_CONFLICT, "a user with this e-mail exists");
    } else {
        status = store_q_fail(&q, "inserting a user", err);
    }
    store_q_reset(&q);
    return status;
}

static enum pp_status user_create_run(struct store_sqlite_tx *tx, void *arg, struct pp_err *err)
{
    struct user_create_call *call = arg;
    struct store_conn *c = store_tx_conn(tx);
    const struct store_user_create *in = call->in;
    struct pp_user old;
    char detail[PP_EMAIL_BYTES_MAX + 32];
    int found = 0;
    int64_t id = 0;
    call->created = 0;
    enum pp_status status = user_find(c, in->email, &old, &found, err);
    if (status == PP_OK && found && in->upsert) {
        enum pp_role role = in->role != PP_ROLE_NONE ? in->role : old.role;
        id = old.id;
        status = last_admin_check(tx, &old, role, 0, err);
        if (status == PP_OK) {
            status = user_rewrite(c, call->w, id, role, 0, in->password_hash, err);
        }
        if (status == PP_OK) {
            snprintf(detail, sizeof detail, "%s %s", old.email, pp_role_name(role));
            status = store_users_audit(tx, call->w, "user.password_reset", id, NULL, detail, err);
        }
    } else if (status == PP_OK && found) {
        status = pp_err_set(err, PP_CONFLICT, "a user with this e-mail exists");
    } else if (status == PP_OK) {
        status = user_insert(c, call->w, in, &id, err);
        if (status == PP_OK) {
            call->created = 1;
            snprintf(detail, sizeof detail, "%s %s", in->email,
                     pp_role_name(in->role != PP_ROLE_NONE ? in->role : PP_ROLE_ADMIN));
            status = store_users_audit(tx, call->w, "user.create", id, NULL, detail, err);
        }
    }
    return status == PP_OK ? user_get(c, id, call->out, err) : status;
}

enum pp_status store_sqlite_user_create(struct store_sqlite *st, const struct store_write_ctx *w,
                                        const struct store_user_create *in, struct pp_user *out,
                                        int *created_out, struct pp_err *err)
{
    PP_ASSERT(in != NULL && in->email != NULL && in->password_hash != NULL && out != NULL);
    size_t email_len = strlen(in->email);
    size_t hash_len = strlen(in->password_hash);
    if (email_len == 0 || email_len > PP_EMAIL_BYTES_MAX || hash_len == 0 ||
        hash_len >= PP_PASSWORD_HASH_TEXT_BYTES) {
        return pp_err_set(err, PP_INVALID_PARAMS, "e-mail or password hash out of range");
    }
    struct user_create_call call = {.w = w, .in = in, .out = out};
    enum pp_status status = store_users_write(st, w, user_create_run, &call, err);
    *created_out = status == PP_OK ? call.created : 0;
    return status;
}

/* --- Update: role and disabled ---------------------------------------------- */

struct user_update_call {
    const struct store_write_ctx *w;
    const struct store_user_update *in;
    struct pp_user *out;
};

static enum pp_status user_update_run(struct store_sqlite_tx *tx, void *arg, struct pp_err *err)
{
    struct user_update_call *call = arg;
    struct store_conn *c = store_tx_conn(tx);
    struct pp_user old;
    struct store_user_change change;
    enum pp_status status = user_get(c, call->in->id, &old, err);
    if (status != PP_OK) {
        return status;
    }
    if (!store_compose_user_update_plan(call->in, &old, &change)) {
        *call->out = old;
        return PP_OK;
    }
    status = last_admin_check(tx, &old, change.role, change.disabled, err);
    if (status == PP_OK) {
        status = user_rewrite(c, call->w, old.id, change.role, change.disabled, NULL, err);
    }
    if (status == PP_OK) {
        status = store_sessions_delete_user(tx, old.id, NULL, err);
    }
    if (status == PP_OK) {
        status = store_users_audit(tx, call->w, "user.update", old.id, NULL, change.detail, err);
    }
    return status == PP_OK ? user_get(c, old.id, call->out, err) : status;
}

enum pp_status store_sqlite_user_update(struct store_sqlite *st, const struct store_write_ctx *w,
                                        const struct store_user_update *in, struct pp_user *out,
                                        struct pp_err *err)
{
    PP_ASSERT(in != NULL && out != NULL && in->role >= PP_ROLE_NONE && in->role < PP_ROLE_COUNT);
    struct user_update_call call = {.w = w, .in = in, .out = out};
    return store_users_write(st, w, user_update_run, &call, err);
}

/* --- Password ------------------------------------------------------------------ */

struct user_password_call {
    const struct store_write_ctx *w;
    const struct store_user_password *in;
    struct pp_user *out;
};

/* Moves the kept session to the user's new generation. */
static enum pp_status session_follow(struct store_conn *c, const char *hash, int64_t user_id,
                                     struct pp_err *err)
{
    struct store_q q;
    enum pp_status status = PP_OK;
    store_q_init(&q, c, STORE_STMT_SESSION_FOLLOW,
                 "UPDATE sessions SET generation ="
                 " (SELECT token_generation FROM admins WHERE id = ?2)"
                 " WHERE id_hash = ?1 AND user_id = ?2");
    store_q_text(&q, 1, hash);
    store_q_int64(&q, 2, user_id);
    if (store_q_step(&q) != SQLITE_DONE) {
        status = store_q_fail(&q, "keeping a session", err);
    }
    store_q_reset(&q);
    return status;
}

static enum pp_status user_password_run(struct store_sqlite_tx *tx, void *arg, struct pp_err *err)
{
    struct user_password_call *call = arg;
    struct store_conn *c = store_tx_conn(tx);
    const struct store_user_password *in = call->in;
    struct pp_user old;
    enum pp_status status = user_get(c, in->id, &old, err);
    if (status == PP_OK) {
        status = user_rewrite(c, call->w, old.id, old.role, old.disabled, in->password_hash, err);
    }
    if (status == PP_OK) {
        status = store_sessions_delete_user(tx, old.id, in->keep_session_hash, err);
    }
    if (status == PP_OK && in->keep_session_hash != NULL) {
        status = session_follow(c, in->keep_session_hash, old.id, err);
    }
    if (status == PP_OK) {
        status = store_users_audit(tx, call->w, in->audit_action, old.id, NULL, old.email, err);
    }
    return status == PP_OK ? user_get(c, old.id, call->out, err) : status;
}

enum pp_status store_sqlite_user_password_set(struct store_sqlite *st,
                                              const struct store_write_ctx *w,
                                              const struct store_user_password *in,
                                              struct pp_user *out, struct pp_err *err)
{
    PP_ASSERT(in != NULL && in->password_hash != NULL && in->audit_action != NULL);
    size_t hash_len = strlen(in->password_hash);
    if (hash_len == 0 || hash_len >= PP_PASSWORD_HASH_TEXT_BYTES) {
        return pp_err_set(err, PP_INVALID_PARAMS, "password hash out of range");
    }
    struct user_password_call call = {.w = w, .in = in, .out = out};
    return store_users_write(st, w, user_password_run, &call, err);
}

/* --- Two-factor ---------------------------------------------------------------- */

struct user_two_factor_call {
    const struct store_write_ctx *w;
    const struct store_user_two_factor *in;
    struct pp_user *out;
};

/* Sets both secrets (NULL or "" stores NULL) and the last step. */
static enum pp_status two_factor_write(struct store_conn *c, const struct store_write_ctx *w,
                                       int64_t id, const char *sealed, const char *pending,
                                       int64_t last_step, int bump, struct pp_err *err)
{
    struct store_q q;
    enum pp_status status = PP_OK;
    store_q_init(&q, c, STORE_STMT_USER_TWO_FACTOR,
                 "UPDATE admins SET totp_sealed = ?2, totp_pending_sealed = ?3,"
                 " totp_last_step = ?4, token_generation = token_generation + ?5,"
                 " updated_ms = ?6 WHERE id = ?1");
    store_q_int64(&q, 1, id);
    store_q_text_or_null(&q, 2, sealed);
    store_q_text_or_null(&q, 3, pending);
    store_q_int64(&q, 4, last_step);
    store_q_int64(&q, 5, bump ? 1 : 0);
    store_q_int64(&q, 6, w->now_ms);
    if (store_q_step(&q) != SQLITE_DONE) {
        status = store_q_fail(&q, "changing two-factor sign-in", err);
    }
    store_q_reset(&q);
    return status;
}

/* Decides one change on u (the composer's rules) and writes it;
** *action_out names its audit entry. */
static enum pp_status two_factor_apply(struct store_sqlite_tx *tx, const struct store_write_ctx *w,
                                       const struct store_user_two_factor *in,
                                       const struct pp_user *u, const char **action_out,
                                       struct pp_err *err)
{
    struct store_two_factor_plan plan;
    enum pp_status status = store_compose_two_factor_plan(in, u, &plan, err);
    *action_out = plan.action;
    if (status == PP_OK) {
        status = two_factor_write(store_tx_conn(tx), w, u->id, plan.sealed, plan.pending,
                                  plan.last_step, plan.bump, err);
    }
    if (status == PP_OK && plan.bump) {
        status = store_sessions_delete_user(tx, u->id, NULL, err);
    }
    return status;
}

static enum pp_status user_two_factor_run(struct store_sqlite_tx *tx, void *arg, struct pp_err *err)
{
    struct user_two_factor_call *call = arg;
    struct store_conn *c = store_tx_conn(tx);
    struct pp_user old;
    const char *action = NULL;
    enum pp_status status = user_get(c, call->in->id, &old, err);
    if (status == PP_OK) {
        status = two_factor_apply(tx, call->w, call->in, &old, &action, err);
    }
    if (status == PP_OK) {
        status = store_users_audit(tx, call->w, action, old.id, NULL, old.email, err);
    }
    return status == PP_OK ? user_get(c, old.id, call->out, err) : status;
}

enum pp_status store_sqlite_user_two_factor(struct store_sqlite *st,
                                            const struct store_write_ctx *w,
                                            const struct store_user_two_factor *in,
                                            struct pp_user *out, struct pp_err *err)
{
    PP_ASSERT(in != NULL && out != NULL);
    PP_ASSERT((in->change != STORE_TWO_FACTOR_SETUP && in->change != STORE_TWO_FACTOR_ENABLE) ||
              (in->sealed != NULL && in->sealed[0] != '\0'));
    if (in->sealed != NULL && strlen(in->sealed) >= PP_TOTP_SEALED_BYTES) {
        return pp_err_set(err, PP_INVALID_PARAMS, "sealed secret out of range");
    }
    struct user_two_factor_call call = {.w = w, .in = in, .out = out};
    return store_users_write(st, w, user_two_factor_run, &call, err);
}

/* --- Sign-in ---------------------------------------------------------------------- */

struct user_sign_in_call {
    const struct store_write_ctx *w;
    const struct store_user_sign_in *in;
};

static enum pp_status user_sign_in_run(struct store_sqlite_tx *tx, void *arg, struct pp_err *err)
{
    struct user_sign_in_call *call = arg;
    const struct store_user_sign_in *in = call->in;
    struct store_conn *c = store_tx_conn(tx);
    struct store_q q;
    enum pp_status status = PP_OK;
    /* One statement decides: the user is there, enabled, at the generation
    ** the caller read, and the code's step (if any) is new. */
    store_q_init(&q, c, STORE_STMT_USER_SIGN_IN,
                 "UPDATE admins SET last_sign_in_ms = ?3,"
                 " totp_last_step = CASE WHEN ?4 >= 0 THEN ?4 ELSE totp_last_step END"
                 " WHERE id = ?1 AND disabled = 0 AND token_generation = ?2"
                 " AND (?4 < 0 OR totp_last_step < ?4)");
    store_q_int64(&q, 1, in->id);
    store_q_int64(&q, 2, in->generation);
    store_q_int64(&q, 3, call->w->now_ms);
    store_q_int64(&q, 4, in->step);
    if (store_q_step(&q) != SQLITE_DONE) {
        status = store_q_fail(&q, "recording a sign-in", err);
    } else if (sqlite3_changes(c->db) == 0) {
        status = store_compose_sign_in_refuse(in, err);
    }
    store_q_reset(&q);
    if (status == PP_OK && in->session_hash != NULL) {
        status = store_session_insert(tx, call->w, in, err);
    }
    if (status == PP_OK) {
        status = store_users_audit(tx, call->w, "user.sign_in", in->id, NULL,
                                   in->session_hash != NULL ? "session" : "token", err);
    }
    return status;
}

enum pp_status store_sqlite_user_sign_in(struct store_sqlite *st, const struct store_write_ctx *w,
                                         const struct store_user_sign_in *in, struct pp_err *err)
{
    PP_ASSERT(in != NULL && (in->session_hash == NULL || in->csrf_token != NULL));
    struct user_sign_in_call call = {.w = w, .in = in};
    return store_users_write(st, w, user_sign_in_run, &call, err);
}

struct sign_in_failed_call {
    const struct store_write_ctx *w;
    const struct store_sign_in_failure *in;
};

static enum pp_status sign_in_failed_run(struct store_sqlite_tx *tx, void *arg, struct pp_err *err)
{
    struct sign_in_failed_call *call = arg;
    char subject[PP_EMAIL_BYTES_MAX + 8];
    snprintf(subject, sizeof subject, "email:%s", call->in->email);
    return store_users_audit(tx, call->w, "user.sign_in_failed", call->in->user_id, subject,
                             call->in->reason, err);
}

enum pp_status store_sqlite_user_sign_in_failed(struct store_sqlite *st,
                                                const struct store_write_ctx *w,
                                                const struct store_sign_in_failure *in,
                                                struct pp_err *err)
{
    PP_ASSERT(in != NULL && in->email != NULL && in->reason != NULL);
    struct sign_in_failed_call call = {.w = w, .in = in};
    return store_users_write(st, w, sign_in_failed_run, &call, err);
}
