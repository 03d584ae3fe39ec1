/*
** This module implements the idempotency table (migration 0004): reading a
** key, inserting it inside the action's transaction, storing its answer
** afterwards, and purging old keys. What a key means (scopes, replay and
** conflict rules) is core's business (core/idempotency.c).
*/
#include "payout/store/idempotency.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payout/base/assert.h"
#include "payout/base/log.h"
#include "payout/limits.h"
#include "store/sqlite/internal.h"

/* Binds data[0..len) as a blob (never NULL: an empty blob is empty), with
** the same first-failure bookkeeping as the store_q_* binders. */
static void bind_blob(struct store_q *q, int idx, const void *data, size_t len)
{
    static const char empty[1] = "";
    if (q->rc != SQLITE_OK) {
        return;
    }
    int rc = SQLITE_TOOBIG;
    if (len <= (size_t)INT_MAX) {
        rc = sqlite3_bind_blob(q->stmt, idx, len > 0 ? data : empty, (int)len, SQLITE_STATIC);
    }
    if (rc != SQLITE_OK) {
        q->rc = rc;
        q->xrc = rc;
        snprintf(q->msg, sizeof q->msg, "%s", "binding a blob failed");
    }
}

static int scope_key_ok(const char *scope, const char *key)
{
    return scope != NULL && key != NULL && scope[0] != '\0' && key[0] != '\0' &&
           strlen(scope) <= STORE_IDEM_SCOPE_BYTES_MAX &&
           strlen(key) <= PP_IDEMPOTENCY_KEY_BYTES_MAX;
}

/* Copies the current row (fingerprint, created_ms, status, content_type,
** body) into out. Returns 0, or -1 when the row breaks the schema. */
static int read_row(struct store_q *q, struct store_idem_row *out)
{
    const void *fp = sqlite3_column_blob(q->stmt, 0);
    if (fp == NULL || sqlite3_column_bytes(q->stmt, 0) != STORE_IDEM_FINGERPRINT_BYTES) {
        return -1;
    }
    memcpy(out->fingerprint, fp, STORE_IDEM_FINGERPRINT_BYTES);
    out->created_ms = sqlite3_column_int64(q->stmt, 1);
    if (sqlite3_column_type(q->stmt, 2) == SQLITE_NULL) {
        return 0;
    }
    out->has_response = 1;
    out->status = (unsigned)sqlite3_column_int(q->stmt, 2);
    if (store_q_col_text(q, 3, out->content_type, sizeof out->content_type) != 0) {
        return -1;
    }
    const void *body = sqlite3_column_blob(q->stmt, 4);
    int bytes = sqlite3_column_bytes(q->stmt, 4);
    if (bytes < 0) {
        return -1;
    }
    out->body_len = (size_t)bytes;
    out->body = pp_check_alloc(malloc(out->body_len + 1));
    if (bytes > 0) {
        memcpy(out->body, body, out->body_len);
    }
    out->body[out->body_len] = '\0';
    return 0;
}

enum pp_status store_sqlite_idem_get(struct store_sqlite *st, const char *scope, const char *key,
                                     struct store_idem_row *out, int *found_out, struct pp_err *err)
{
    PP_ASSERT(scope_key_ok(scope, key) && out != NULL && found_out != NULL);
    memset(out, 0, sizeof *out);
    *found_out = 0;
    struct store_conn *c = store_reader_acquire(st);
    struct store_q q;
    store_q_init(&q, c, STORE_STMT_IDEM_GET,
                 "SELECT fingerprint, created_ms, status, content_type, body FROM idempotency"
                 " WHERE scope = ?1 AND key = ?2");
    store_q_text(&q, 1, scope);
    store_q_text(&q, 2, key);
    enum pp_status status = PP_OK;
    int rc = store_q_step(&q);
    if (rc == SQLITE_ROW) {
        if (read_row(&q, out) == 0) {
            *found_out = 1;
        } else {
            pp_log(PP_LOG_ERROR, "store: an idempotency row breaks the schema");
            status = pp_err_set(err, PP_INTERNAL, "storage error");
        }
    } else if (rc != SQLITE_DONE) {
        status = store_q_fail(&q, "reading an idempotency key", err);
    }
    store_q_reset(&q);
    store_reader_release(st, c);
    if (status != PP_OK) {
        free(out->body);
        memset(out, 0, sizeof *out);
    }
    return status;
}

enum pp_status store_sqlite_tx_idem_insert(struct store_sqlite_tx *tx, const char *scope,
                                           const char *key,
                                           const uint8_t fingerprint[STORE_IDEM_FINGERPRINT_BYTES],
                                           int64_t created_ms, struct pp_err *err)
{
    struct store_conn *c = store_tx_conn(tx);
    PP_ASSERT(scope_key_ok(scope, key) && fingerprint != NULL);
    struct store_q q;
    store_q_init(&q, c, STORE_STMT_IDEM_INSERT,
                 "INSERT INTO idempotency (scope, key, fingerprint, created_ms)"
                 " VALUES (?1, ?2, ?3, ?4)");
    store_q_text(&q, 1, scope);
    store_q_text(&q, 2, key);
    bind_blob(&q, 3, fingerprint, STORE_IDEM_FINGERPRINT_BYTES);
    store_q_int64(&q, 4, created_ms);
    enum pp_status status = PP_OK;
    if (store_q_step(&q) != SQLITE_DONE) {
        if (store_q_is_constraint(&q)) {
            status = pp_err_set(err, PP_CONFLICT,
                                "this Idempotency-Key was already used by another request");
        } else {
            status = store_q_fail(&q, "recording an idempotency key", err);
        }
    }
    store_q_reset(&q);
    return status;
}

enum pp_status store_sqlite_tx_idem_set_response(struct store_sqlite_tx *tx, const char *scope,
                                                 const char *key, unsigned status_code,
                                                 const char *content_type, const char *body,
                                                 size_t body_len, struct pp_err *err)
{
    struct store_conn *c = store_tx_conn(tx);
    PP_ASSERT(scope_key_ok(scope, key) && status_code >= 100 && status_code <= 599);
    PP_ASSERT(content_type != NULL && content_type[0] != '\0' &&
              strlen(content_type) <= STORE_IDEM_CONTENT_TYPE_BYTES_MAX);
    struct store_q q;
    store_q_init(&q, c, STORE_STMT_IDEM_SET_RESPONSE,
                 "UPDATE idempotency SET status = ?3, content_type = ?4, body = ?5"
                 " WHERE scope = ?1 AND key = ?2 AND status IS NULL");
    store_q_text(&q, 1, scope);
    store_q_text(&q, 2, key);
    store_q_int64(&q, 3, (int64_t)status_code);
    store_q_text(&q, 4, content_type);
    bind_blob(&q, 5, body, body_len);
    enum pp_status status = PP_OK;
    if (store_q_step(&q) != SQLITE_DONE) {
        status = store_q_fail(&q, "storing an idempotent answer", err);
    } else if (sqlite3_changes(c->db) == 0) {
        status = pp_err_set(err, PP_NOT_FOUND, "the idempotency key is gone");
    }
    store_q_reset(&q);
    return status;
}

enum pp_status store_sqlite_tx_idem_purge(struct store_sqlite_tx *tx, int64_t before_ms,
                                          int64_t limit, int64_t *deleted_out, struct pp_err *err)
{
    struct store_conn *c = store_tx_conn(tx);
    PP_ASSERT(limit > 0 && deleted_out != NULL);
    struct store_q q;
    store_q_init(&q, c, STORE_STMT_IDEM_PURGE,
                 "DELETE FROM idempotency WHERE (scope, key) IN"
                 " (SELECT scope, key FROM idempotency WHERE created_ms < ?1 LIMIT ?2)");
    store_q_int64(&q, 1, before_ms);
    store_q_int64(&q, 2, limit);
    enum pp_status status = PP_OK;
    *deleted_out = 0;
    if (store_q_step(&q) != SQLITE_DONE) {
        status = store_q_fail(&q, "purging idempotency keys", err);
    } else {
        *deleted_out = sqlite3_changes(c->db);
    }
    store_q_reset(&q);
    return status;
}
