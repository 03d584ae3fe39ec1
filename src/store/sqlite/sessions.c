/*
** This module implements the SQLite backend's browser sessions
** (payout/store/users.h): finding one by the hash of its id together with
** its user, beginning one inside a sign-in (users.c) with the purge of
** expired sessions and the per-user cap, moving its last-seen clock, and
** ending it. Rows hold the id's SHA-256 only (sec/session.c makes it), so
** nothing here can rebuild a cookie. Expiry is judged by core from the
** two clocks; the purge only keeps the table small.
*/
#include <string.h>

#include "payout/base/assert.h"
#include "payout/base/log.h"
#include "store/sqlite/users.h"

#define SESSION_COLUMNS                                                                            \
    "s.id, s.id_hash, s.user_id, s.csrf_token, s.generation, s.created_ms, s.last_seen_ms"

enum pp_status store_sqlite_session_find(struct store_sqlite *st, const char *id_hash,
                                         struct pp_session *session_out, struct pp_user *user_out,
                                         int *found_out, struct pp_err *err)
{
    PP_ASSERT(id_hash != NULL && session_out != NULL && user_out != NULL && found_out != NULL);
    struct store_conn *c = store_reader_acquire(st);
    struct store_q q;
    enum pp_status status = PP_OK;
    memset(session_out, 0, sizeof *session_out);
    memset(user_out, 0, sizeof *user_out);
    *found_out = 0;
    store_q_init(&q, c, STORE_STMT_SESSION_FIND,
                 "SELECT " SESSION_COLUMNS ", a.id, a.email, a.password_hash,"
                 " a.token_generation, a.role, a.disabled, a.totp_sealed, a.totp_pending_sealed,"
                 " a.totp_last_step, a.created_ms, a.last_sign_in_ms"
                 " FROM sessions s JOIN admins a ON a.id = s.user_id WHERE s.id_hash = ?1");
    store_q_text(&q, 1, id_hash);
    int rc = store_q_step(&q);
    if (rc == SQLITE_ROW) {
        session_out->id = sqlite3_column_int64(q.stmt, 0);
        session_out->user_id = sqlite3_column_int64(q.stmt, 2);
        session_out->generation = sqlite3_column_int64(q.stmt, 4);
        session_out->created_ms = sqlite3_column_int64(q.stmt, 5);
        session_out->last_seen_ms = sqlite3_column_int64(q.stmt, 6);
        if (store_q_col_text(&q, 1, session_out->id_hash, sizeof session_out->id_hash) != 0 ||
            store_q_col_text(&q, 3, session_out->csrf_token, sizeof session_out->csrf_token) != 0 ||
            store_user_read_row(&q, 7, user_out) != 0) {
            pp_log(PP_LOG_ERROR, "store: session %lld breaks the schema",
                   (long long)session_out->id);
            status = pp_err_set(err, PP_INTERNAL, "storage error");
        } else {
            *found_out = 1;
        }
    } else if (rc != SQLITE_DONE) {
        status = store_q_fail(&q, "reading a session", err);
    }
    store_q_reset(&q);
    store_reader_release(st, c);
    return status;
}

enum pp_status store_sessions_delete_user(struct store_sqlite_tx *tx, int64_t user_id,
                                          const char *keep_hash, struct pp_err *err)
{
    struct store_conn *c = store_tx_conn(tx);
    struct store_q q;
    enum pp_status status = PP_OK;
    store_q_init(&q, c, STORE_STMT_SESSION_DELETE_USER,
                 "DELETE FROM sessions WHERE user_id = ?1 AND (?2 IS NULL OR id_hash <> ?2)");
    store_q_int64(&q, 1, user_id);
    store_q_text(&q, 2, keep_hash);
    if (store_q_step(&q) != SQLITE_DONE) {
        status = store_q_fail(&q, "ending a user's sessions", err);
    }
    store_q_reset(&q);
    return status;
}

/* Deletes up to PP_SESSION_PURGE_BATCH expired sessions of anyone. */
static enum pp_status sessions_purge(struct store_conn *c, const struct store_user_sign_in *in,
                                     struct pp_err *err)
{
    struct store_q q;
    enum pp_status status = PP_OK;
    store_q_init(&q, c, STORE_STMT_SESSION_PURGE,
                 "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions"
                 " WHERE last_seen_ms < ?1 OR created_ms < ?2 LIMIT ?3)");
    store_q_int64(&q, 1, in->idle_before_ms);
    store_q_int64(&q, 2, in->max_before_ms);
    store_q_int64(&q, 3, PP_SESSION_PURGE_BATCH);
    if (store_q_step(&q) != SQLITE_DONE) {
        status = store_q_fail(&q, "purging expired sessions", err);
    }
    store_q_reset(&q);
    return status;
}

/* Ends the user's oldest sessions beyond PP_SESSIONS_PER_USER_MAX - 1, so
** the new one makes at most the cap. */
static enum pp_status sessions_trim(struct store_conn *c, int64_t user_id, struct pp_err *err)
{
    struct store_q q;
    enum pp_status status = PP_OK;
    store_q_init(&q, c, STORE_STMT_SESSION_TRIM,
                 "DELETE FROM sessions WHERE user_id = ?1 AND id NOT IN (SELECT id FROM sessions"
                 " WHERE user_id = ?1 ORDER BY id DESC LIMIT ?2)");
    store_q_int64(&q, 1, user_id);
    store_q_int64(&q, 2, PP_SESSIONS_PER_USER_MAX - 1);
    if (store_q_step(&q) != SQLITE_DONE) {
        status = store_q_fail(&q, "trimming a user's sessions", err);
    }
    store_q_reset(&q);
    return status;
}

enum pp_status store_session_insert(struct store_sqlite_tx *tx, const struct store_write_ctx *w,
                                    const struct store_user_sign_in *in, struct pp_err *err)
{
    struct store_conn *c = store_tx_conn(tx);
    struct store_q q;
    enum pp_status status = sessions_purge(c, in, err);
    if (status == PP_OK) {
        status = sessions_trim(c, in->id, err);
    }
    if (status != PP_OK) {
        return status;
    }
    store_q_init(&q, c, STORE_STMT_SESSION_INSERT,
                 "INSERT INTO sessions (id_hash, user_id, csrf_token, generation, created_ms,"
                 " last_seen_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?5)");
    store_q_text(&q, 1, in->session_hash);
    store_q_int64(&q, 2, in->id);
    store_q_text(&q, 3, in->csrf_token);
    store_q_int64(&q, 4, in->generation);
    store_q_int64(&q, 5, w->now_ms);
    if (store_q_step(&q) != SQLITE_DONE) {
        status = store_q_fail(&q, "beginning a session", err);
    }
    store_q_reset(&q);
    return status;
}

/* --- Touch and end ------------------------------------------------------------- */

struct session_call {
    const struct store_write_ctx *w;
    const char *id_hash;
};

static enum pp_status session_touch_run(struct store_sqlite_tx *tx, void *arg, struct pp_err *err)
{
    struct session_call *call = arg;
    struct store_conn *c = store_tx_conn(tx);
    struct store_q q;
    enum pp_status status = PP_OK;
    store_q_init(&q, c, STORE_STMT_SESSION_TOUCH,
                 "UPDATE sessions SET last_seen_ms = ?2 WHERE id_hash = ?1 AND last_seen_ms < ?2");
    store_q_text(&q, 1, call->id_hash);
    store_q_int64(&q, 2, call->w->now_ms);
    if (store_q_step(&q) != SQLITE_DONE) {
        status = store_q_fail(&q, "touching a session", err);
    }
    store_q_reset(&q);
    return status;
}

enum pp_status store_sqlite_session_touch(struct store_sqlite *st, const struct store_write_ctx *w,
                                          const char *id_hash, struct pp_err *err)
{
    PP_ASSERT(id_hash != NULL);
    struct session_call call = {.w = w, .id_hash = id_hash};
    return store_users_write(st, w, session_touch_run, &call, err);
}

static enum pp_status session_end_run(struct store_sqlite_tx *tx, void *arg, struct pp_err *err)
{
    struct session_call *call = arg;
    struct store_conn *c = store_tx_conn(tx);
    struct store_q q;
    enum pp_status status = PP_OK;
    int64_t user_id = 0;
    store_q_init(&q, c, STORE_STMT_SESSION_DELETE,
                 "DELETE FROM sessions WHERE id_hash = ?1 RETURNING user_id");
    store_q_text(&q, 1, call->id_hash);
    int rc = store_q_step(&q);
    if (rc == SQLITE_ROW) {
        user_id = sqlite3_column_int64(q.stmt, 0);
        rc = store_q_step(&q);
    }
    if (rc != SQLITE_DONE) {
        status = store_q_fail(&q, "ending a session", err);
    }
    store_q_reset(&q);
    if (status == PP_OK && user_id > 0) {
        status = store_users_audit(tx, call->w, "session.sign_out", user_id, NULL, "", err);
    }
    return status;
}

enum pp_status store_sqlite_session_end(struct store_sqlite *st, const struct store_write_ctx *w,
                                        const char *id_hash, struct pp_err *err)
{
    PP_ASSERT(id_hash != NULL);
    struct session_call call = {.w = w, .id_hash = id_hash};
    return store_users_write(st, w, session_end_run, &call, err);
}
