/*
** This module implements the admins table: e-mails are unique without
** regard to ASCII case (COLLATE NOCASE in the schema, so every comparison
** and the index agree), and a password reset bumps token_generation so
** tokens issued before it stop working.
**
** Hashing passwords is sec/'s business; this stores the hash text only.
*/
#include <string.h>

#include "payout/base/assert.h"
#include "payout/base/log.h"
#include "store/sqlite/internal.h"

/* Refusals of arguments that need no database. */
static enum pp_status admin_check(const char *email, const char *password_hash, struct pp_err *err)
{
    enum pp_status status = PP_OK;
    size_t email_len = strlen(email);
    size_t hash_len = strlen(password_hash);
    if (email_len == 0 || email_len > PP_EMAIL_BYTES_MAX) {
        status =
            pp_err_set(err, PP_INVALID_PARAMS, "email must be 1 to %d bytes", PP_EMAIL_BYTES_MAX);
    } else if (hash_len == 0 || hash_len >= PP_PASSWORD_HASH_TEXT_BYTES) {
        status = pp_err_set(err, PP_INVALID_PARAMS, "password hash must be 1 to %d bytes",
                            PP_PASSWORD_HASH_TEXT_BYTES - 1);
    }
    return status;
}

enum pp_status store_sqlite_tx_admin_insert(struct store_sqlite_tx *tx, const char *email,
                                            const char *password_hash, int64_t now_ms,
                                            int64_t *id_out, struct pp_err *err)
{
    struct store_conn *c = store_tx_conn(tx);
    PP_ASSERT(email != NULL && password_hash != NULL && id_out != NULL);
    enum pp_status status = admin_check(email, password_hash, err);
    if (status != PP_OK) {
        goto done;
    }
    struct store_q q;
    store_q_init(&q, c, STORE_STMT_ADMIN_INSERT,
                 "INSERT INTO admins (email, password_hash, token_generation, created_ms,"
                 " updated_ms) VALUES (?1, ?2, 0, ?3, ?3)");
    store_q_text(&q, 1, email);
    store_q_text(&q, 2, password_hash);
    store_q_int64(&q, 3, now_ms);
    if (store_q_step(&q) == SQLITE_DONE) {
        *id_out = sqlite3_last_insert_rowid(c->db);
    } else if (q.xrc == SQLITE_CONSTRAINT_UNIQUE) {
        status = pp_err_set(err, PP_CONFLICT, "an admin with this e-mail exists");
    } else {
        status = store_q_fail(&q, "inserting an admin", err);
    }
    store_q_reset(&q);
done:
    return status;
}

enum pp_status store_sqlite_tx_admin_set_password(struct store_sqlite_tx *tx, const char *email,
                                                  const char *password_hash, int64_t now_ms,
                                                  int64_t *id_out, struct pp_err *err)
{
    struct store_conn *c = store_tx_conn(tx);
    PP_ASSERT(email != NULL && password_hash != NULL);
    enum pp_status status = admin_check(email, password_hash, err);
    if (status != PP_OK) {
        goto done;
    }
    struct store_q q;
    store_q_init(&q, c, STORE_STMT_ADMIN_SET_PASSWORD,
                 "UPDATE admins SET password_hash = ?2, token_generation = token_generation + 1,"
                 " updated_ms = ?3 WHERE email = ?1 RETURNING id");
    store_q_text(&q, 1, email);
    store_q_text(&q, 2, password_hash);
    store_q_int64(&q, 3, now_ms);
    int rc = store_q_step(&q);
    if (rc == SQLITE_ROW) {
        *id_out = sqlite3_column_int64(q.stmt, 0);
        rc = store_q_step(&q);
    } else if (rc == SQLITE_DONE) {
        status = pp_err_set(err, PP_NOT_FOUND, "no admin with this e-mail");
    }
    if (rc != SQLITE_DONE && status == PP_OK) {
        status = store_q_fail(&q, "changing an admin's password", err);
    }
    store_q_reset(&q);
done:
    return status;
}

/* Reads the one admin row q selects into out; *found_out = 0 when none. */
static enum pp_status admin_read(struct store_q *q, struct pp_admin *out, int *found_out,
                                 struct pp_err *err)
{
    enum pp_status status = PP_OK;
    memset(out, 0, sizeof *out);
    *found_out = 0;
    int rc = store_q_step(q);
    if (rc == SQLITE_ROW) {
        out->id = sqlite3_column_int64(q->stmt, 0);
        out->token_generation = sqlite3_column_int64(q->stmt, 3);
        if (store_q_col_text(q, 1, out->email, sizeof out->email) != 0 ||
            store_q_col_text(q, 2, out->password_hash, sizeof out->password_hash) != 0) {
            pp_log(PP_LOG_ERROR, "store: admin %lld has a field over its limit",
                   (long long)out->id);
            status = pp_err_set(err, PP_INTERNAL, "storage error");
            memset(out, 0, sizeof *out);
        } else {
            *found_out = 1;
        }
    } else if (rc != SQLITE_DONE) {
        status = store_q_fail(q, "reading an admin", err);
    }
    store_q_reset(q);
    return status;
}

enum pp_status store_sqlite_admin_find(struct store_sqlite *st, const char *email,
                                       struct pp_admin *out, int *found_out, struct pp_err *err)
{
    PP_ASSERT(email != NULL && out != NULL && found_out != NULL);
    struct store_conn *c = store_reader_acquire(st);
    struct store_q q;
    store_q_init(&q, c, STORE_STMT_ADMIN_FIND,
                 "SELECT id, email, password_hash, token_generation FROM admins WHERE email = ?1");
    store_q_text(&q, 1, email);
    enum pp_status status = admin_read(&q, out, found_out, err);
    store_reader_release(st, c);
    return status;
}

enum pp_status store_sqlite_admin_get(struct store_sqlite *st, int64_t id, struct pp_admin *out,
                                      struct pp_err *err)
{
    PP_ASSERT(out != NULL);
    struct store_conn *c = store_reader_acquire(st);
    struct store_q q;
    store_q_init(&q, c, STORE_STMT_ADMIN_GET,
                 "SELECT id, email, password_hash, token_generation FROM admins WHERE id = ?1");
    store_q_int64(&q, 1, id);
    int found = 0;
    enum pp_status status = admin_read(&q, out, &found, err);
    store_reader_release(st, c);
    if (status == PP_OK && !found) {
        status = pp_err_set(err, PP_NOT_FOUND, "admin %lld not found", (long long)id);
    }
    return status;
}

enum pp_status store_sqlite_admin_count(struct store_sqlite *st, int64_t *count_out,
                                        struct pp_err *err)
{
    PP_ASSERT(count_out != NULL);
    struct store_conn *c = store_reader_acquire(st);
    struct store_q q;
    store_q_init(&q, c, STORE_STMT_ADMIN_COUNT, "SELECT count(*) FROM admins");
    enum pp_status status = PP_OK;
    *count_out = 0;
    if (store_q_step(&q) == SQLITE_ROW) {
        *count_out = sqlite3_column_int64(q.stmt, 0);
    } else {
        status = store_q_fail(&q, "counting admins", err);
    }
    store_q_reset(&q);
    store_reader_release(st, c);
    return status;
}
