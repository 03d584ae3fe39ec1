/*
** This module implements the lifecycle queries of the payouts table that
** are not a single payout's read or write: the list of open payouts whose
** window has ended, which the expiry task works through, and the count of
** open payouts per currency (for GET /metrics). It does not
** change anything; expiring is core's (core/expiry.c) through
** store_payouts_change (src/store/sqlite/writes.c).
*/
#include "payout/store/lifecycle.h"

#include "payout/base/assert.h"
#include "payout/base/log.h"
#include "store/sqlite/internal.h"

enum pp_status store_sqlite_payouts_ended_list(struct store_sqlite *st, int64_t now_ms,
                                               int64_t *ids_out, size_t cap, size_t *count_out,
                                               struct pp_err *err)
{
    PP_ASSERT(ids_out != NULL && count_out != NULL && cap > 0 && cap <= INT32_MAX);
    struct store_conn *c = store_reader_acquire(st);
    struct store_q q;
    /* "status IN (1, 2)" repeats the partial index's own WHERE term, which
    ** is what lets SQLite use payouts_open_end; INDEXED BY makes it: left
    ** to itself the planner takes payouts_status and reads and sorts every
    ** open payout (a million of them: about 0.3 s) on every pass. */
    store_q_init(&q, c, STORE_STMT_PAYOUTS_ENDED_LIST,
                 "SELECT id FROM payouts INDEXED BY payouts_open_end"
                 " WHERE status IN (1, 2) AND end_ms < ?1"
                 " ORDER BY end_ms LIMIT ?2");
    store_q_int64(&q, 1, now_ms);
    store_q_int64(&q, 2, (int64_t)cap);
    enum pp_status status = PP_OK;
    size_t n = 0;
    int rc = store_q_step(&q);
    while (rc == SQLITE_ROW && n < cap) {
        ids_out[n++] = sqlite3_column_int64(q.stmt, 0);
        rc = store_q_step(&q);
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        status = store_q_fail(&q, "listing ended payouts", err);
    }
    store_q_reset(&q);
    store_reader_release(st, c);
    *count_out = status == PP_OK ? n : 0;
    return status;
}

enum pp_status store_sqlite_payouts_open_count(struct store_sqlite *st, struct pp_open_count *out,
                                               size_t cap, size_t *count_out, struct pp_err *err)
{
    PP_ASSERT(out != NULL && count_out != NULL && cap > 0);
    struct store_conn *c = store_reader_acquire(st);
    struct store_q q;
    /* The partial index payouts_open_end holds exactly the open payouts. */
    store_q_init(&q, c, STORE_STMT_PAYOUTS_OPEN_COUNT,
                 "SELECT currency, count(*) FROM payouts WHERE status IN (1, 2)"
                 " GROUP BY currency ORDER BY currency");
    enum pp_status status = PP_OK;
    size_t n = 0;
    int rc = store_q_step(&q);
    while (rc == SQLITE_ROW && n < cap) {
        if (store_q_col_text(&q, 0, out[n].currency, sizeof out[n].currency) != 0) {
            status = pp_err_set(err, PP_INTERNAL, "storage error");
            break;
        }
        out[n++].count = sqlite3_column_int64(q.stmt, 1);
        rc = store_q_step(&q);
    }
    if (status == PP_OK && rc != SQLITE_ROW && rc != SQLITE_DONE) {
        status = store_q_fail(&q, "counting open payouts", err);
    }
    store_q_reset(&q);
    store_reader_release(st, c);
    *count_out = status == PP_OK ? n : 0;
    return status;
}
