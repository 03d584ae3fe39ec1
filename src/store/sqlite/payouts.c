/*
** This module implements the payouts table: insert, read (inside a write
** transaction or from the reader pool) and status change. The schema
** itself refuses what must never happen to a payout (see 0001_init.sql):
** changing its amount, currency or parties, leaving a final state,
** deleting it.
**
** The lifecycle rules and the funds that move with a status change are
** core's; listing payouts is the read side's (reads.c).
*/
#include <string.h>

#include "payout/base/assert.h"
#include "payout/base/log.h"
#include "store/sqlite/internal.h"

enum pp_status store_sqlite_tx_payout_insert(struct store_sqlite_tx *tx, struct pp_payout *p,
                                             struct pp_err *err)
{
    struct store_conn *c = store_tx_conn(tx);
    PP_ASSERT(p != NULL && store_text_fits(p->description, sizeof p->description));
    PP_ASSERT(strlen(p->uuid) == PP_UUID_TEXT_BYTES - 1);
    enum pp_status status = PP_OK;
    if (!store_currency_ok(p->currency)) {
        status = pp_err_set(err, PP_INVALID_PARAMS, "currency must be 3 upper-case letters");
        goto done;
    }
    struct store_q q;
    store_q_init(&q, c, STORE_STMT_PAYOUT_INSERT,
                 "INSERT INTO payouts (project_id, recipient_id, currency, amount_minor, start_ms,"
                 " end_ms, description, notification, status, created_ms, updated_ms, uuid,"
                 " metadata, authorized_ms, created_by_user)"
                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)");
    store_q_int64(&q, 1, p->project_id);
    store_q_int64(&q, 2, p->recipient_id);
    store_q_text(&q, 3, p->currency);
    store_q_int64(&q, 4, p->amount_minor);
    store_q_int64(&q, 5, p->start_ms);
    store_q_int64(&q, 6, p->end_ms);
    store_q_text(&q, 7, p->description);
    store_q_int64(&q, 8, p->notification);
    store_q_int64(&q, 9, (int64_t)p->status);
    store_q_int64(&q, 10, p->created_ms);
    store_q_int64(&q, 11, p->updated_ms);
    store_q_text(&q, 12, p->uuid);
    store_q_text_or_null(&q, 13, p->metadata);
    store_q_int64_or_null(&q, 14, p->authorized_ms);
    store_q_int64_or_null(&q, 15, p->created_by_user);
    if (store_q_step(&q) == SQLITE_DONE) {
        p->id = sqlite3_last_insert_rowid(c->db);
    } else if (q.xrc == SQLITE_CONSTRAINT_FOREIGNKEY) {
        status = pp_err_set(err, PP_INVALID_PARAMS, "unknown project or recipient");
    } else if (store_q_is_constraint(&q)) {
        pp_log(PP_LOG_WARN, "store: payout refused by the schema: %s", q.msg);
        status = pp_err_set(err, PP_INVALID_PARAMS, "payout fields out of range");
    } else {
        status = store_q_fail(&q, "inserting a payout", err);
    }
    store_q_reset(&q);
done:
    return status;
}

int store_payout_read_row(struct store_q *q, int first, struct pp_payout *out)
{
    sqlite3_stmt *stmt = q->stmt;
    /* Every member is set below (each text up to its terminator), so the
    ** 2.4 KB of the struct are not cleared first: a page reads 26 rows. */
    out->id = sqlite3_column_int64(stmt, first + 0);
    out->project_id = sqlite3_column_int64(stmt, first + 1);
    out->recipient_id = sqlite3_column_int64(stmt, first + 2);
    int bad = store_q_col_text(q, first + 3, out->currency, sizeof out->currency);
    out->amount_minor = sqlite3_column_int64(stmt, first + 4);
    out->start_ms = sqlite3_column_int64(stmt, first + 5);
    out->end_ms = sqlite3_column_int64(stmt, first + 6);
    bad |= store_q_col_text(q, first + 7, out->description, sizeof out->description);
    out->notification = sqlite3_column_int(stmt, first + 8) != 0;
    int s = sqlite3_column_int(stmt, first + 9);
    out->status = (enum pp_payout_status)s;
    out->created_ms = sqlite3_column_int64(stmt, first + 10);
    out->updated_ms = sqlite3_column_int64(stmt, first + 11);
    bad |= store_q_col_text(q, first + 12, out->uuid, sizeof out->uuid);
    bad |= store_q_col_text(q, first + 13, out->metadata, sizeof out->metadata);
    out->authorized_ms = sqlite3_column_int64(stmt, first + 14);
    out->received_ms = sqlite3_column_int64(stmt, first + 15);
    out->cancelled_ms = sqlite3_column_int64(stmt, first + 16);
    out->expired_ms = sqlite3_column_int64(stmt, first + 17);
    bad |= store_q_col_text(q, first + 18, out->reference, sizeof out->reference);
    out->created_by_user = sqlite3_column_int64(stmt, first + 19);
    out->authorized_by_user = sqlite3_column_int64(stmt, first + 20);
    if (bad != 0 || s < PP_PAYOUT_UNAUTHORIZED || s > PP_PAYOUT_EXPIRED) {
        pp_log(PP_LOG_ERROR, "store: payout %lld violates the schema", (long long)out->id);
        return -1;
    }
    return 0;
}

static enum pp_status payout_get(struct store_conn *c, int64_t id, struct pp_payout *out,
                                 struct pp_err *err)
{
    PP_ASSERT(out != NULL);
    struct store_q q;
    store_q_init(&q, c, STORE_STMT_PAYOUT_GET,
                 "SELECT " STORE_PAYOUT_COLUMNS " FROM payouts WHERE id = ?1");
    store_q_int64(&q, 1, id);
    enum pp_status status = PP_OK;
    int rc = store_q_step(&q);
    if (rc == SQLITE_ROW) {
        if (store_payout_read_row(&q, 0, out) != 0) {
            status = pp_err_set(err, PP_INTERNAL, "storage error");
        }
    } else if (rc == SQLITE_DONE) {
        status = pp_err_set(err, PP_NOT_FOUND, "payout %lld not found", (long long)id);
    } else {
        status = store_q_fail(&q, "reading a payout", err);
    }
    store_q_reset(&q);
    if (status != PP_OK) {
        memset(out, 0, sizeof *out);
    }
    return status;
}

enum pp_status store_sqlite_tx_payout_get(struct store_sqlite_tx *tx, int64_t id,
                                          struct pp_payout *out, struct pp_err *err)
{
    return payout_get(store_tx_conn(tx), id, out, err);
}

enum pp_status store_sqlite_payout_get(struct store_sqlite *st, int64_t id, struct pp_payout *out,
                                       struct pp_err *err)
{
    struct store_conn *c = store_reader_acquire(st);
    enum pp_status status = payout_get(c, id, out, err);
    store_reader_release(st, c);
    return status;
}

enum pp_status store_sqlite_tx_payout_set_status(struct store_sqlite_tx *tx, int64_t id,
                                                 enum pp_payout_status to, int64_t now_ms,
                                                 const char *reference, int64_t by_user,
                                                 struct pp_err *err)
{
    struct store_conn *c = store_tx_conn(tx);
    PP_ASSERT(to >= PP_PAYOUT_UNAUTHORIZED && to <= PP_PAYOUT_EXPIRED);
    PP_ASSERT(reference == NULL || store_text_fits(reference, PP_REFERENCE_BYTES_MAX + 1));
    /* The moment of the step lands in the column of the state entered. */
    struct store_q q;
    store_q_init(&q, c, STORE_STMT_PAYOUT_SET_STATUS,
                 "UPDATE payouts SET status = ?2, updated_ms = ?3,"
                 " authorized_ms = CASE WHEN ?2 = 2 AND status = 1 THEN ?3 ELSE authorized_ms END,"
                 " authorized_by_user = CASE WHEN ?2 = 2 AND status = 1 THEN ?5"
                 " ELSE authorized_by_user END,"
                 " received_ms = CASE WHEN ?2 = 3 THEN ?3 ELSE received_ms END,"
                 " cancelled_ms = CASE WHEN ?2 = 4 THEN ?3 ELSE cancelled_ms END,"
                 " expired_ms = CASE WHEN ?2 = 5 THEN ?3 ELSE expired_ms END,"
                 " reference = COALESCE(?4, reference)"
                 " WHERE id = ?1");
    store_q_int64(&q, 1, id);
    store_q_int64(&q, 2, (int64_t)to);
    store_q_int64(&q, 3, now_ms);
    store_q_text_or_null(&q, 4, reference);
    store_q_int64_or_null(&q, 5, by_user);
    enum pp_status status = PP_OK;
    if (store_q_step(&q) != SQLITE_DONE) {
        if (store_q_is_constraint(&q)) {
            /* The caller checks transitions; the schema refusing one is a bug. */
            pp_log(PP_LOG_ERROR, "store: payout %lld -> %s refused: %s", (long long)id,
                   pp_payout_status_name(to), q.msg);
            status = pp_err_set(err, PP_INTERNAL, "storage error");
        } else {
            status = store_q_fail(&q, "changing a payout's status", err);
        }
    } else if (sqlite3_changes(c->db) == 0) {
        status = pp_err_set(err, PP_NOT_FOUND, "payout %lld not found", (long long)id);
    }
    store_q_reset(&q);
    return status;
}
