/*
** This module implements the PostgreSQL backend's users and browser
** sessions (payout/store/users.h): their SQL, run on rows read (and
** locked) inside the operation's transaction. The rules of that header
** are the store's write composer's (src/store/compose.c), shared with
** the SQLite backend: the last enabled admin, what an update or a
** two-factor change writes, the refusal of a used code's step, the audit
** subject, and the Idempotency-Key row in the same savepoint. Users live in the admins table
*(e-mail compared through
** lower(email), as records.c does); new ids are drawn as max + 1 under the
** writer's lock row (PG_NEXT_ID). Expiry is core's to judge.
*/
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payout/base/assert.h"
#include "payout/base/log.h"
#include "payout/store/users.h"
#include "store/compose.h"
#include "store/pg/internal.h"

#define USER_COLUMNS                                                                               \
    "id, email, password_hash, token_generation, role, disabled, totp_sealed,"                     \
    " totp_pending_sealed, totp_last_step, created_ms, last_sign_in_ms"

const struct store_pg_stmt_def store_pg_stmts_users[] = {
    {PG_STMT_USER_GET, "SELECT " USER_COLUMNS " FROM admins WHERE id = $1::bigint", 1},
    {PG_STMT_USER_GET_FOR_UPDATE,
     "SELECT " USER_COLUMNS " FROM admins WHERE id = $1::bigint FOR UPDATE", 1},
    {PG_STMT_USER_FIND, "SELECT " USER_COLUMNS " FROM admins WHERE lower(email) = lower($1::text)",
     1},
    {PG_STMT_USERS_LIST, "SELECT " USER_COLUMNS " FROM admins ORDER BY id LIMIT $1::bigint", 1},
    {PG_STMT_USER_COUNT, "SELECT count(*) FROM admins", 0},
    {PG_STMT_USER_ADMINS_ENABLED,
     "SELECT count(*) FROM admins WHERE role = 'admin' AND disabled = 0", 0},
    {PG_STMT_USER_INSERT,
     "INSERT INTO admins (id, email, password_hash, token_generation, created_ms, updated_ms,"
     " role) VALUES (" PG_NEXT_ID("admins") ", $1::text, $2::text, 0, $3::bigint, $3::bigint,"
                                            " $4::text) ON CONFLICT DO NOTHING RETURNING id",
     4},
    {PG_STMT_USER_REWRITE,
     "UPDATE admins SET role = $2::text, disabled = $3::bigint,"
     " password_hash = coalesce($4::text, password_hash),"
     " token_generation = token_generation + 1, updated_ms = $5::bigint WHERE id = $1::bigint",
     5},
    {PG_STMT_USER_TWO_FACTOR,
     "UPDATE admins SET totp_sealed = $2::text, totp_pending_sealed = $3::text,"
     " totp_last_step = $4::bigint, token_generation = token_generation + $5::bigint,"
     " updated_ms = $6::bigint WHERE id = $1::bigint",
     6},
    {PG_STMT_USER_SIGN_IN,
     "UPDATE admins SET last_sign_in_ms = $3::bigint,"
     " totp_last_step = CASE WHEN $4::bigint >= 0 THEN $4::bigint ELSE totp_last_step END"
     " WHERE id = $1::bigint AND disabled = 0 AND token_generation = $2::bigint"
     " AND ($4::bigint < 0 OR totp_last_step < $4::bigint)",
     4},
    {PG_STMT_SESSION_FIND,
     "SELECT s.id, s.id_hash, s.user_id, s.csrf_token, s.generation, s.created_ms,"
     " s.last_seen_ms, a.id, a.email, a.password_hash, a.token_generation, a.role, a.disabled,"
     " a.totp_sealed, a.totp_pending_sealed, a.totp_last_step, a.created_ms, a.last_sign_in_ms"
     " FROM sessions s JOIN admins a ON a.id = s.user_id WHERE s.id_hash = $1::text",
     1},
    {PG_STMT_SESSION_FOLLOW,
     "UPDATE sessions SET generation = (SELECT token_generation FROM admins WHERE id = $2::bigint)"
     " WHERE id_hash = $1::text AND user_id = $2::bigint",
     2},
    {PG_STMT_SESSION_DELETE_USER,
     "DELETE FROM sessions WHERE user_id = $1::bigint"
     " AND ($2::text IS NULL OR id_hash <> $2::text)",
     2},
    {PG_STMT_SESSION_PURGE,
     "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions"
     " WHERE last_seen_ms < $1::bigint OR created_ms < $2::bigint LIMIT $3::bigint)",
     3},
    {PG_STMT_SESSION_TRIM,
     "DELETE FROM sessions WHERE user_id = $1::bigint AND id NOT IN (SELECT id FROM sessions"
     " WHERE user_id = $1::bigint ORDER BY id DESC LIMIT $2::bigint)",
     2},
    {PG_STMT_SESSION_INSERT,
     "INSERT INTO sessions (id, id_hash, user_id, csrf_token, generation, created_ms,"
     " last_seen_ms) VALUES (" PG_NEXT_ID("sessions") ", $1::text, $2::bigint, $3::text,"
                                                      " $4::bigint, $5::bigint, $5::bigint)",
     5},
    {PG_STMT_SESSION_TOUCH,
     "UPDATE sessions SET last_seen_ms = $2::bigint"
     " WHERE id_hash = $1::text AND last_seen_ms < $2::bigint",
     2},
    {PG_STMT_SESSION_DELETE, "DELETE FROM sessions WHERE id_hash = $1::text RETURNING user_id", 1},
    {PG_STMT_COUNT, NULL, 0},
};

/* Fills out from row `row` of r, whose user columns start at `first`. */
static int user_read(const PGresult *r, int row, int first, struct pp_user *out)
{
    char role[16];
    memset(out, 0, sizeof *out);
    out->id = pg_col_i64(r, row, first);
    out->token_generation = pg_col_i64(r, row, first + 3);
    out->disabled = pg_col_i64(r, row, first + 5) != 0;
    out->totp_last_step = pg_col_i64(r, row, first + 8);
    out->created_ms = pg_col_i64(r, row, first + 9);
    out->last_sign_in_ms = pg_col_i64(r, row, first + 10);
    if (pg_col_text(r, row, first + 1, out->email, sizeof out->email) != 0 ||
        pg_col_text(r, row, first + 2, out->password_hash, sizeof out->password_hash) != 0 ||
        pg_col_text(r, row, first + 4, role, sizeof role) != 0 ||
        !pp_role_parse(role, strlen(role), &out->role) ||
        pg_col_text(r, row, first + 6, out->totp_sealed, sizeof out->totp_sealed) != 0 ||
        pg_col_text(r, row, first + 7, out->totp_pending_sealed, sizeof out->totp_pending_sealed) !=
            0) {
        pp_log(PP_LOG_ERROR, "store: user %lld breaks the schema", (long long)out->id);
        memset(out, 0, sizeof *out);
        return -1;
    }
    return 0;
}

static enum pp_status reader_query(struct store_pg *st, enum pg_stmt id, const struct pg_params *p,
                                   PGresult **res, const char *what, struct pp_err *err)
{
    struct pg_conn *c = NULL;
    *res = NULL;
    enum pp_status status = store_pg_reader_acquire(st, &c, err);
    if (status == PP_OK) {
        status = store_pg_run(c, id, p, res, NULL, what, err);
        store_pg_reader_release(st, c);
    }
    return status;
}

/* The one user row of res (if any) into out; *found_out says whether. */
static enum pp_status user_one(const PGresult *res, struct pp_user *out, int *found_out,
                               struct pp_err *err)
{
    memset(out, 0, sizeof *out);
    *found_out = PQntuples(res) == 1;
    if (*found_out && user_read(res, 0, 0, out) != 0) {
        *found_out = 0;
        return pp_err_set(err, PP_INTERNAL, "storage error");
    }
    return PP_OK;
}

enum pp_status store_pg_user_get(struct store_pg *st, int64_t id, struct pp_user *out,
                                 struct pp_err *err)
{
    struct pg_params p;
    PGresult *res = NULL;
    int found = 0;
    pg_params_init(&p);
    pg_param_i64(&p, id);
    enum pp_status status = reader_query(st, PG_STMT_USER_GET, &p, &res, "reading a user", err);
    if (status == PP_OK) {
        status = user_one(res, out, &found, err);
    }
    if (status == PP_OK && !found) {
        status = pp_err_set(err, PP_NOT_FOUND, "user %" PRId64 " not found", id);
    }
    PQclear(res);
    return status;
}

enum pp_status store_pg_user_find(struct store_pg *st, const char *email, struct pp_user *out,
                                  int *found_out, struct pp_err *err)
{
    struct pg_params p;
    PGresult *res = NULL;
    pg_params_init(&p);
    pg_param_text(&p, email);
    *found_out = 0;
    enum pp_status status = reader_query(st, PG_STMT_USER_FIND, &p, &res, "reading a user", err);
    if (status == PP_OK) {
        status = user_one(res, out, found_out, err);
    }
    PQclear(res);
    return status;
}

enum pp_status store_pg_users_list(struct store_pg *st, struct pp_user *out, size_t cap,
                                   size_t *count_out, struct pp_err *err)
{
    struct pg_params p;
    PGresult *res = NULL;
    pg_params_init(&p);
    pg_param_i64(&p, (int64_t)cap);
    *count_out = 0;
    enum pp_status status = reader_query(st, PG_STMT_USERS_LIST, &p, &res, "listing users", err);
    int rows = status == PP_OK ? PQntuples(res) : 0;
    for (int i = 0; i < rows && (size_t)i < cap && status == PP_OK; i++) {
        if (user_read(res, i, 0, &out[i]) != 0) {
            status = pp_err_set(err, PP_INTERNAL, "storage error");
        } else {
            *count_out = (size_t)i + 1;
        }
    }
    PQclear(res);
    return status;
}

enum pp_status store_pg_session_find(struct store_pg *st, const char *id_hash,
                                     struct pp_session *session_out, struct pp_user *user_out,
                                     int *found_out, struct pp_err *err)
{
    struct pg_params p;
    PGresult *res = NULL;
    pg_params_init(&p);
    pg_param_text(&p, id_hash);
    memset(session_out, 0, sizeof *session_out);
    memset(user_out, 0, sizeof *user_out);
    *found_out = 0;
    enum pp_status status =
        reader_query(st, PG_STMT_SESSION_FIND, &p, &res, "reading a session", err);
    if (status == PP_OK && PQntuples(res) == 1) {
        session_out->id = pg_col_i64(res, 0, 0);
        session_out->user_id = pg_col_i64(res, 0, 2);
        session_out->generation = pg_col_i64(res, 0, 4);
        session_out->created_ms = pg_col_i64(res, 0, 5);
        session_out->last_seen_ms = pg_col_i64(res, 0, 6);
        if (pg_col_text(res, 0, 1, session_out->id_hash, sizeof session_out->id_hash) != 0 ||
            pg_col_text(res, 0, 3, session_out->csrf_token, sizeof session_out->csrf_token) != 0 ||
            user_read(res, 0, 7, user_out) != 0) {
            status = pp_err_set(err, PP_INTERNAL, "storage error");
        } else {
            *found_out = 1;
        }
    }
    PQclear(res);
    return status;
}

/* --- Steps shared by the operations --------------------------------------------- */

/* A step of this backend's, run by the composer (which adds the key). */
struct users_call {
    store_pg_write_fn fn;
    void *arg;
};

static enum pp_status users_call_run(const struct store_steps *s, struct store_tx *tx, void *arg,
                                     struct pp_err *err)
{
    (void)s;
    struct users_call *call = arg;
    return call->fn((struct pg_tx *)tx, call->arg, err);
}

static enum pp_status users_write(struct store_pg *st, const struct store_write_ctx *w,
                                  store_pg_write_fn fn, void *arg, struct pp_err *err)
{
    struct users_call call = {.fn = fn, .arg = arg};
    return store_compose_write(&store_pg_steps, st, w, users_call_run, &call, err);
}

static enum pp_status audit(struct pg_tx *tx, const struct store_write_ctx *w, const char *action,
                            int64_t user_id, const char *subject_text, const char *detail,
                            struct pp_err *err)
{
    return store_compose_user_audit(&store_pg_steps, (struct store_tx *)tx, w, action, user_id,
                                    subject_text, detail, err);
}

/* Runs a statement of the transaction that answers nothing of interest. */
static enum pp_status tx_exec(struct pg_tx *tx, enum pg_stmt id, const struct pg_params *p,
                              const char *what, struct pp_err *err)
{
    PGresult *res = NULL;
    enum pp_status status = store_pg_tx_run(tx, id, p, &res, NULL, what, err);
    PQclear(res);
    return status;
}

/* User id inside tx, its row locked; PP_NOT_FOUND when none. */
static enum pp_status tx_user_get(struct pg_tx *tx, int64_t id, struct pp_user *out,
                                  struct pp_err *err)
{
    struct pg_params p;
    PGresult *res = NULL;
    int found = 0;
    pg_params_init(&p);
    pg_param_i64(&p, id);
    enum pp_status status =
        store_pg_tx_run(tx, PG_STMT_USER_GET_FOR_UPDATE, &p, &res, NULL, "reading a user", err);
    if (status == PP_OK) {
        status = user_one(res, out, &found, err);
    }
    if (status == PP_OK && !found) {
        status = pp_err_set(err, PP_NOT_FOUND, "user %" PRId64 " not found", id);
    }
    PQclear(res);
    return status;
}

static enum pp_status tx_count(struct pg_tx *tx, enum pg_stmt id, int64_t *out, struct pp_err *err)
{
    struct pg_params p;
    PGresult *res = NULL;
    pg_params_init(&p);
    enum pp_status status = store_pg_tx_run(tx, id, &p, &res, NULL, "counting users", err);
    *out = status == PP_OK && PQntuples(res) == 1 ? pg_col_i64(res, 0, 0) : 0;
    PQclear(res);
    return status;
}

static enum pp_status admins_enabled_count(struct store_tx *tx, int64_t *count_out,
                                           struct pp_err *err)
{
    return tx_count((struct pg_tx *)tx, PG_STMT_USER_ADMINS_ENABLED, count_out, err);
}

/* The last-admin rule (the composer's) on u becoming (role, disabled). */
static enum pp_status last_admin_check(struct pg_tx *tx, const struct pp_user *u, enum pp_role role,
                                       int disabled, struct pp_err *err)
{
    return store_compose_user_last_admin((struct store_tx *)tx, admins_enabled_count, u, role,
                                         disabled, err);
}

static enum pp_status user_rewrite(struct pg_tx *tx, const struct store_write_ctx *w, int64_t id,
                                   enum pp_role role, int disabled, const char *hash,
                                   struct pp_err *err)
{
    struct pg_params p;
    pg_params_init(&p);
    pg_param_i64(&p, id);
    pg_param_text(&p, pp_role_name(role));
    pg_param_i64(&p, disabled ? 1 : 0);
    pg_param_text_or_null(&p, hash);
    pg_param_i64(&p, w->now_ms);
    return tx_exec(tx, PG_STMT_USER_REWRITE, &p, "changing a user", err);
}

static enum pp_status sessions_delete_user(struct pg_tx *tx, int64_t user_id, const char *keep,
                                           struct pp_err *err)
{
    struct pg_params p;
    pg_params_init(&p);
    pg_param_i64(&p, user_id);
    pg_param_text_or_null(&p, keep);
    return tx_exec(tx, PG_STMT_SESSION_DELETE_USER, &p, "ending a user's sessions", err);
}

/* --- Create, update, password ---------------------------------------------------- */

struct user_op {
    const struct store_write_ctx *w;
    const void *in;
    struct pp_user *out;
    int created; /* out */
};

static enum pp_status user_insert(struct pg_tx *tx, const struct store_write_ctx *w,
                                  const struct store_user_create *in, int64_t *id_out,
                                  struct pp_err *err)
{
    int64_t users = 0;
    enum pp_status status = tx_count(tx, PG_STMT_USER_COUNT, &users, err);
    if (status == PP_OK && users >= PP_USERS_MAX) {
        return pp_err_set(err, PP_CONFLICT, "the panel has its maximum of %d users", PP_USERS_MAX);
    }
    struct pg_params p;
    PGresult *res = NULL;
    pg_params_init(&p);
    pg_param_text(&p, in->email);
    pg_param_text(&p, in->password_hash);
    pg_param_i64(&p, w->now_ms);
    pg_param_text(&p, pp_role_name(in->role != PP_ROLE_NONE ? in->role : PP_ROLE_ADMIN));
    if (status == PP_OK) {
        status = store_pg_tx_run(tx, PG_STMT_USER_INSERT, &p, &res, NULL, "inserting a user", err);
    }
    if (status == PP_OK && PQntuples(res) == 0) {
        status = pp_err_set(err, PP_CONFLICT, "a user with this e-mail exists");
    } else if (status == PP_OK) {
        *id_out = pg_col_i64(res, 0, 0);
    }
    PQclear(res);
    return status;
}

static enum pp_status user_create_step(struct pg_tx *tx, void *arg, struct pp_err *err)
{
    struct user_op *op = arg;
    const struct store_user_create *in = op->in;
    struct pg_params p;
    PGresult *res = NULL;
    struct pp_user old;
    char detail[PP_EMAIL_BYTES_MAX + 32];
    int found = 0;
    int64_t id = 0;
    op->created = 0;
    pg_params_init(&p);
    pg_param_text(&p, in->email);
    enum pp_status status =
        store_pg_tx_run(tx, PG_STMT_USER_FIND, &p, &res, NULL, "reading a user", err);
    if (status == PP_OK) {
        status = user_one(res, &old, &found, err);
    }
    PQclear(res);
    if (status == PP_OK && found && in->upsert) {
        enum pp_role role = in->role != PP_ROLE_NONE ? in->role : old.role;
        id = old.id;
        status = last_admin_check(tx, &old, role, 0, err);
        if (status == PP_OK) {
            status = user_rewrite(tx, op->w, id, role, 0, in->password_hash, err);
        }
        snprintf(detail, sizeof detail, "%s %s", old.email, pp_role_name(role));
        if (status == PP_OK) {
            status = audit(tx, op->w, "user.password_reset", id, NULL, detail, err);
        }
    } else if (status == PP_OK && found) {
        status = pp_err_set(err, PP_CONFLICT, "a user with this e-mail exists");
    } else if (status == PP_OK) {
        status = user_insert(tx, op->w, in, &id, err);
        op->created = status == PP_OK;
        snprintf(detail, sizeof detail, "%s %s", in->email,
                 pp_role_name(in->role != PP_ROLE_NONE ? in->role : PP_ROLE_ADMIN));
        if (status == PP_OK) {
            status = audit(tx, op->w, "user.create", id, NULL, detail, err);
        }
    }
    return status == PP_OK ? tx_user_get(tx, id, op->out, err) : status;
}

enum pp_status store_pg_user_create(struct store_pg *st, const struct store_write_ctx *w,
                                    const struct store_user_create *in, struct pp_user *out,
                                    int *created_out, struct pp_err *err)
{
    size_t email_len = strlen(in->email);
    size_t hash_len = strlen(in->password_hash);
    if (email_len == 0 || email_len > PP_EMAIL_BYTES_MAX || hash_len == 0 ||
        hash_len >= PP_PASSWORD_HASH_TEXT_BYTES) {
        return pp_err_set(err, PP_INVALID_PARAMS, "e-mail or password hash out of range");
    }
    struct user_op op = {.w = w, .in = in, .out = out};
    enum pp_status status = users_write(st, w, user_create_step, &op, err);
    *created_out = status == PP_OK ? op.created : 0;
    return status;
}

static enum pp_status user_update_step(struct pg_tx *tx, void *arg, struct pp_err *err)
{
    struct user_op *op = arg;
    const struct store_user_update *in = op->in;
    struct pp_user old;
    struct store_user_change change;
    enum pp_status status = tx_user_get(tx, in->id, &old, err);
    if (status != PP_OK) {
        return status;
    }
    if (!store_compose_user_update_plan(in, &old, &change)) {
        *op->out = old;
        return PP_OK;
    }
    status = last_admin_check(tx, &old, change.role, change.disabled, err);
    if (status == PP_OK) {
        status = user_rewrite(tx, op->w, old.id, change.role, change.disabled, NULL, err);
    }
    if (status == PP_OK) {
        status = sessions_delete_user(tx, old.id, NULL, err);
    }
    if (status == PP_OK) {
        status = audit(tx, op->w, "user.update", old.id, NULL, change.detail, err);
    }
    return status == PP_OK ? tx_user_get(tx, old.id, op->out, err) : status;
}

enum pp_status store_pg_user_update(struct store_pg *st, const struct store_write_ctx *w,
                                    const struct store_user_update *in, struct pp_user *out,
                                    struct pp_err *err)
{
    struct user_op op = {.w = w, .in = in, .out = out};
    return users_write(st, w, user_update_step, &op, err);
}

static enum pp_status user_password_step(struct pg_tx *tx, void *arg, struct pp_err *err)
{
    struct user_op *op = arg;
    const struct store_user_password *in = op->in;
    struct pp_user old;
    enum pp_status status = tx_user_get(tx, in->id, &old, err);
    if (status == PP_OK) {
        status = user_rewrite(tx, op->w, old.id, old.role, old.disabled, in->password_hash, err);
    }
    if (status == PP_OK) {
        status = sessions_delete_user(tx, old.id, in->keep_session_hash, err);
    }
    if (status == PP_OK && in->keep_session_hash != NULL) {
        struct pg_params p;
        pg_params_init(&p);
        pg_param_text(&p, in->keep_session_hash);
        pg_param_i64(&p, old.id);
        status = tx_exec(tx, PG_STMT_SESSION_FOLLOW, &p, "keeping a session", err);
    }
    if (status == PP_OK) {
        status = audit(tx, op->w, in->audit_action, old.id, NULL, old.email, err);
    }
    return status == PP_OK ? tx_user_get(tx, old.id, op->out, err) : status;
}

enum pp_status store_pg_user_password_set(struct store_pg *st, const struct store_write_ctx *w,
                                          const struct store_user_password *in, struct pp_user *out,
                                          struct pp_err *err)
{
    size_t hash_len = strlen(in->password_hash);
    if (hash_len == 0 || hash_len >= PP_PASSWORD_HASH_TEXT_BYTES) {
        return pp_err_set(err, PP_INVALID_PARAMS, "password hash out of range");
    }
    struct user_op op = {.w = w, .in = in, .out = out};
    return users_write(st, w, user_password_step, &op, err);
}

/* --- Two-factor --------------------------------------------------------------------- */

static enum pp_status two_factor_set(struct pg_tx *tx, const struct store_write_ctx *w, int64_t id,
                                     const char *sealed, const char *pending, int64_t last_step,
                                     int bump, struct pp_err *err)
{
    struct pg_params p;
    pg_params_init(&p);
    pg_param_i64(&p, id);
    pg_param_text_or_null(&p, sealed);
    pg_param_text_or_null(&p, pending);
    pg_param_i64(&p, last_step);
    pg_param_i64(&p, bump ? 1 : 0);
    pg_param_i64(&p, w->now_ms);
    return tx_exec(tx, PG_STMT_USER_TWO_FACTOR, &p, "changing two-factor sign-in", err);
}

static enum pp_status two_factor_step(struct pg_tx *tx, void *arg, struct pp_err *err)
{
    struct user_op *op = arg;
    const struct store_user_two_factor *in = op->in;
    struct pp_user u;
    struct store_two_factor_plan plan;
    enum pp_status status = tx_user_get(tx, in->id, &u, err);
    if (status != PP_OK) {
        return status;
    }
    status = store_compose_two_factor_plan(in, &u, &plan, err);
    if (status == PP_OK) {
        status = two_factor_set(tx, op->w, u.id, plan.sealed, plan.pending, plan.last_step,
                                plan.bump, err);
    }
    if (status == PP_OK && plan.bump) {
        status = sessions_delete_user(tx, u.id, NULL, err);
    }
    if (status == PP_OK) {
        status = audit(tx, op->w, plan.action, u.id, NULL, u.email, err);
    }
    return status == PP_OK ? tx_user_get(tx, u.id, op->out, err) : status;
}

enum pp_status store_pg_user_two_factor(struct store_pg *st, const struct store_write_ctx *w,
                                        const struct store_user_two_factor *in, struct pp_user *out,
                                        struct pp_err *err)
{
    if (in->sealed != NULL && strlen(in->sealed) >= PP_TOTP_SEALED_BYTES) {
        return pp_err_set(err, PP_INVALID_PARAMS, "sealed secret out of range");
    }
    struct user_op op = {.w = w, .in = in, .out = out};
    return users_write(st, w, two_factor_step, &op, err);
}

/* --- Sign-in and sessions ------------------------------------------------------------ */

static enum pp_status session_begin(struct pg_tx *tx, const struct store_write_ctx *w,
                                    const struct store_user_sign_in *in, struct pp_err *err)
{
    struct pg_params p;
    pg_params_init(&p);
    pg_param_i64(&p, in->idle_before_ms);
    pg_param_i64(&p, in->max_before_ms);
    pg_param_i64(&p, PP_SESSION_PURGE_BATCH);
    enum pp_status status = tx_exec(tx, PG_STMT_SESSION_PURGE, &p, "purging sessions", err);
    if (status == PP_OK) {
        pg_params_init(&p);
        pg_param_i64(&p, in->id);
        pg_param_i64(&p, PP_SESSIONS_PER_USER_MAX - 1);
        status = tx_exec(tx, PG_STMT_SESSION_TRIM, &p, "trimming sessions", err);
    }
    if (status == PP_OK) {
        pg_params_init(&p);
        pg_param_text(&p, in->session_hash);
        pg_param_i64(&p, in->id);
        pg_param_text(&p, in->csrf_token);
        pg_param_i64(&p, in->generation);
        pg_param_i64(&p, w->now_ms);
        status = tx_exec(tx, PG_STMT_SESSION_INSERT, &p, "beginning a session", err);
    }
    return status;
}

static enum pp_status sign_in_step(struct pg_tx *tx, void *arg, struct pp_err *err)
{
    struct user_op *op = arg;
    const struct store_user_sign_in *in = op->in;
    struct pg_params p;
    PGresult *res = NULL;
    pg_params_init(&p);
    pg_param_i64(&p, in->id);
    pg_param_i64(&p, in->generation);
    pg_param_i64(&p, op->w->now_ms);
    pg_param_i64(&p, in->step);
    enum pp_status status =
        store_pg_tx_run(tx, PG_STMT_USER_SIGN_IN, &p, &res, NULL, "recording a sign-in", err);
    if (status == PP_OK && strtoll(PQcmdTuples(res), NULL, 10) == 0) {
        status = store_compose_sign_in_refuse(in, err);
    }
    PQclear(res);
    if (status == PP_OK && in->session_hash != NULL) {
        status = session_begin(tx, op->w, in, err);
    }
    if (status == PP_OK) {
        status = audit(tx, op->w, "user.sign_in", in->id, NULL,
                       in->session_hash != NULL ? "session" : "token", err);
    }
    return status;
}

enum pp_status store_pg_user_sign_in(struct store_pg *st, const struct store_write_ctx *w,
                                     const struct store_user_sign_in *in, struct pp_err *err)
{
    struct user_op op = {.w = w, .in = in};
    return users_write(st, w, sign_in_step, &op, err);
}

static enum pp_status sign_in_failed_step(struct pg_tx *tx, void *arg, struct pp_err *err)
{
    struct user_op *op = arg;
    const struct store_sign_in_failure *in = op->in;
    char subject[PP_EMAIL_BYTES_MAX + 8];
    snprintf(subject, sizeof subject, "email:%s", in->email);
    return audit(tx, op->w, "user.sign_in_failed", in->user_id, subject, in->reason, err);
}

enum pp_status store_pg_user_sign_in_failed(struct store_pg *st, const struct store_write_ctx *w,
                                            const struct store_sign_in_failure *in,
                                            struct pp_err *err)
{
    struct user_op op = {.w = w, .in = in};
    return users_write(st, w, sign_in_failed_step, &op, err);
}

static enum pp_status session_touch_step(struct pg_tx *tx, void *arg, struct pp_err *err)
{
    struct user_op *op = arg;
    struct pg_params p;
    pg_params_init(&p);
    pg_param_text(&p, op->in);
    pg_param_i64(&p, op->w->now_ms);
    return tx_exec(tx, PG_STMT_SESSION_TOUCH, &p, "touching a session", err);
}

enum pp_status store_pg_session_touch(struct store_pg *st, const struct store_write_ctx *w,
                                      const char *id_hash, struct pp_err *err)
{
    struct user_op op = {.w = w, .in = id_hash};
    return users_write(st, w, session_touch_step, &op, err);
}

static enum pp_status session_end_step(struct pg_tx *tx, void *arg, struct pp_err *err)
{
    struct user_op *op = arg;
    struct pg_params p;
    PGresult *res = NULL;
    pg_params_init(&p);
    pg_param_text(&p, op->in);
    enum pp_status status =
        store_pg_tx_run(tx, PG_STMT_SESSION_DELETE, &p, &res, NULL, "ending a session", err);
    int64_t user_id = status == PP_OK && PQntuples(res) == 1 ? pg_col_i64(res, 0, 0) : 0;
    PQclear(res);
    if (status == PP_OK && user_id > 0) {
        status = audit(tx, op->w, "session.sign_out", user_id, NULL, "", err);
    }
    return status;
}

enum pp_status store_pg_session_end(struct store_pg *st, const struct store_write_ctx *w,
                                    const char *id_hash, struct pp_err *err)
{
    struct user_op op = {.w = w, .in = id_hash};
    return users_write(st, w, session_end_step, &op, err);
}
