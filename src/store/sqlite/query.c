/*
** This module implements the statement cache and the query helper every
** file of src/store/ uses: statements are prepared once per connection
** (SQLITE_PREPARE_PERSISTENT), every value is bound with sqlite3_bind_*
** (never formatted into SQL), and the first failure of a use is recorded
** so call sites test one result. It also maps SQLite result codes to
** pp_status and logs the details that must not reach a client.
**
** It does not open connections (db.c) or run transactions (writer.c).
*/
#include <limits.h>
#include <string.h>

#include "payout/base/assert.h"
#include "payout/base/log.h"
#include "store/sqlite/internal.h"

enum pp_status store_status_of(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
        return PP_UNAVAILABLE;
    default:
        return PP_INTERNAL;
    }
}

/* 1 when rc says the statement failed alone and the transaction around it
** is intact; anything else breaks a writer batch. */
static int rc_is_local(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
    case SQLITE_TOOBIG:
        return 1;
    default:
        return 0;
    }
}

static void q_record(struct store_q *q, int rc, const char *msg)
{
    if (q->rc == SQLITE_OK) {
        q->rc = rc;
        q->xrc = rc;
        if (msg == NULL && q->conn->db != NULL) {
            q->xrc = sqlite3_extended_errcode(q->conn->db);
            if ((q->xrc & 0xff) != (rc & 0xff)) {
                q->xrc = rc;
            }
            msg = sqlite3_errmsg(q->conn->db);
        }
        snprintf(q->msg, sizeof q->msg, "%s", msg != NULL ? msg : sqlite3_errstr(rc));
    }
}

void store_q_init(struct store_q *q, struct store_conn *c, enum store_stmt id, const char *sql)
{
    PP_ASSERT(q != NULL && c != NULL && c->db != NULL && sql != NULL);
    PP_ASSERT((unsigned)id < STORE_STMT_COUNT);
    q->conn = c;
    q->rc = SQLITE_OK;
    q->xrc = SQLITE_OK;
    q->msg[0] = '\0';
    q->stmt = c->stmts[id];
    if (q->stmt == NULL) {
        int rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &q->stmt, NULL);
        if (rc != SQLITE_OK) {
            q_record(q, rc, NULL);
            sqlite3_finalize(q->stmt);
            q->stmt = NULL;
            return;
        }
        c->stmts[id] = q->stmt;
    }
    /* One slot, one SQL text: catches two call sites sharing an enum entry. */
    PP_ASSERT(strcmp(sqlite3_sql(q->stmt), sql) == 0);
}

void store_q_int64(struct store_q *q, int idx, int64_t v)
{
    if (q->rc == SQLITE_OK) {
        int rc = sqlite3_bind_int64(q->stmt, idx, (sqlite3_int64)v);
        if (rc != SQLITE_OK) {
            q_record(q, rc, NULL);
        }
    }
}

void store_q_text(struct store_q *q, int idx, const char *s)
{
    if (q->rc != SQLITE_OK) {
        return;
    }
    int rc;
    if (s == NULL) {
        rc = sqlite3_bind_null(q->stmt, idx);
    } else {
        size_t len = strlen(s);
        if (len > (size_t)INT_MAX) {
            q_record(q, SQLITE_TOOBIG, "text value too long to bind");
            return;
        }
        /* SQLITE_STATIC: s outlives the use, store_q_reset clears bindings. */
        rc = sqlite3_bind_text(q->stmt, idx, s, (int)len, SQLITE_STATIC);
    }
    if (rc != SQLITE_OK) {
        q_record(q, rc, NULL);
    }
}

void store_q_text_or_null(struct store_q *q, int idx, const char *s)
{
    store_q_text(q, idx, (s != NULL && s[0] != '\0') ? s : NULL);
}

int store_q_step(struct store_q *q)
{
    if (q->rc != SQLITE_OK) {
        return q->rc;
    }
    struct store_conn *c = q->conn;
    if (c->in_batch && (c->broken || sqlite3_get_autocommit(c->db))) {
        /* The batch's transaction failed or vanished (SQLite rolls back by
        ** itself on some I/O errors): running now would autocommit. */
        if (!c->broken) {
            c->broken = 1;
            c->broken_status = PP_INTERNAL;
        }
        q_record(q, SQLITE_ABORT, "the batch transaction is no longer usable");
        return q->rc;
    }
    int rc = sqlite3_step(q->stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        q_record(q, rc, NULL);
    }
    return rc;
}

void store_q_reset(struct store_q *q)
{
    if (q->stmt != NULL) {
        sqlite3_reset(q->stmt);
        sqlite3_clear_bindings(q->stmt);
    }
}

enum pp_status store_q_fail(struct store_q *q, const char *what, struct pp_err *err)
{
    PP_ASSERT(q->rc != SQLITE_OK);
    enum pp_status status = store_status_of(q->rc);
    struct store_conn *c = q->conn;
    /* SQL text is logged, never values: every value is a bound parameter. */
    pp_log(PP_LOG_ERROR, "store: %s failed: %s (%d): %s", what, sqlite3_errstr(q->rc), q->xrc,
           q->msg);
    if (c->in_batch && !rc_is_local(q->rc) && !c->broken) {
        c->broken = 1;
        c->broken_status = (int)status;
    }
    c->failed = 1;
    return pp_err_set(err, status, "%s",
                      status == PP_UNAVAILABLE ? "storage is unavailable" : "storage error");
}

enum pp_status store_q_exec(struct store_conn *c, enum store_stmt id, const char *sql,
                            const char *what, struct pp_err *err)
{
    struct store_q q;
    store_q_init(&q, c, id, sql);
    int rc = store_q_step(&q);
    while (rc == SQLITE_ROW) {
        rc = store_q_step(&q);
    }
    enum pp_status status = PP_OK;
    if (q.rc != SQLITE_OK) {
        status = store_q_fail(&q, what, err);
    }
    store_q_reset(&q);
    return status;
}

int store_q_col_text(struct store_q *q, int col, char *out, size_t out_size)
{
    PP_ASSERT(out != NULL && out_size > 0);
    const unsigned char *text = sqlite3_column_text(q->stmt, col);
    int bytes = sqlite3_column_bytes(q->stmt, col);
    out[0] = '\0';
    if (text == NULL) {
        return 0;
    }
    if (bytes < 0 || (size_t)bytes >= out_size) {
        return -1;
    }
    memcpy(out, text, (size_t)bytes);
    out[bytes] = '\0';
    return 0;
}

__int128 store_q_col_sum(struct store_q *q, int col)
{
    __int128 hi = sqlite3_column_int64(q->stmt, col);
    return hi * 1000000000 + sqlite3_column_int64(q->stmt, col + 1);
}

int store_q_is_constraint(const struct store_q *q)
{
    return (q->rc & 0xff) == SQLITE_CONSTRAINT;
}

int store_text_fits(const char *s, size_t size)
{
    return s != NULL && memchr(s, '\0', size) != NULL;
}

int store_currency_ok(const char *s)
{
    if (s == NULL) {
        return 0;
    }
    for (int i = 0; i < 3; i++) {
        if (s[i] < 'A' || s[i] > 'Z') {
            return 0;
        }
    }
    return s[3] == '\0';
}

void store_q_int64_or_null(struct store_q *q, int idx, int64_t v)
{
    if (v == 0) {
        if (q->rc == SQLITE_OK) {
            int rc = sqlite3_bind_null(q->stmt, idx);
            if (rc != SQLITE_OK) {
                q_record(q, rc, NULL);
            }
        }
        return;
    }
    store_q_int64(q, idx, v);
}
