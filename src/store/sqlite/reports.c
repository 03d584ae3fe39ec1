/*
** This module implements the payout reports' aggregates
** (payout/store/reports.h): one GROUP BY per grouping over the payouts
** created in [from, to), always also grouped by currency, read on a pooled
** read connection (one consistent snapshot). The created-at range uses the
** payouts_created index. It does not decide periods or defaults (the API
** does) and writes nothing.
*/
#include <stdio.h>
#include <string.h>

#include "payout/base/assert.h"
#include "payout/base/log.h"
#include "payout/store/reports.h"
#include "store/sqlite/internal.h"

/* Every statement selects: id (or NULL), key text (or NULL), name (or
** NULL), currency, count, the exact sum (two columns, store_q_col_sum: a
** period of the largest payouts passes 2^63); and binds ?1 from, ?2 to,
** ?3 currency or NULL, ?4 status or NULL. */
#define REPORT_WHERE                                                                               \
    " WHERE p.created_ms >= ?1 AND p.created_ms < ?2 AND (?3 IS NULL OR p.currency = ?3)"          \
    " AND (?4 IS NULL OR p.status = ?4)"
#define REPORT_SUM STORE_SQL_SUM_EXACT("p.amount_minor")

static const struct {
    enum store_stmt stmt;
    const char *sql;
} report_sql[] = {
    [PP_REPORT_BY_PROJECT] =
        {STORE_STMT_REPORT_BY_PROJECT,
         "SELECT p.project_id, NULL, pr.name, p.currency, COUNT(*), " REPORT_SUM
         " FROM payouts p JOIN projects pr ON pr.id = p.project_id" REPORT_WHERE
         " GROUP BY p.project_id, p.currency ORDER BY p.project_id, p.currency"},
    [PP_REPORT_BY_CURRENCY] = {STORE_STMT_REPORT_BY_CURRENCY,
                               "SELECT NULL, p.currency, NULL, p.currency, COUNT(*), " REPORT_SUM
                               " FROM payouts p" REPORT_WHERE
                               " GROUP BY p.currency ORDER BY p.currency"},
    /* Status names in alphabetical order: CANCELLED 4, EXPIRED 5, READY 2,
    ** RECEIVED 3, UNAUTHORIZED 1. */
    [PP_REPORT_BY_STATUS] =
        {STORE_STMT_REPORT_BY_STATUS,
         "SELECT p.status, NULL, NULL, p.currency, COUNT(*), " REPORT_SUM
         " FROM payouts p" REPORT_WHERE " GROUP BY p.status, p.currency"
         " ORDER BY CASE p.status WHEN 4 THEN 1 WHEN 5 THEN 2 WHEN 2 THEN 3 WHEN 3 THEN 4"
         " ELSE 5 END, p.currency"},
    [PP_REPORT_BY_RECIPIENT] =
        {STORE_STMT_REPORT_BY_RECIPIENT,
         "SELECT p.recipient_id, NULL, NULL, p.currency, COUNT(*), " REPORT_SUM
         " FROM payouts p" REPORT_WHERE
         " GROUP BY p.recipient_id, p.currency ORDER BY p.recipient_id, p.currency"},
    [PP_REPORT_BY_DAY] =
        {STORE_STMT_REPORT_BY_DAY,
         "SELECT NULL, strftime('%Y-%m-%d', p.created_ms / 1000, 'unixepoch') AS day, NULL,"
         " p.currency, COUNT(*), " REPORT_SUM " FROM payouts p" REPORT_WHERE
         " GROUP BY day, p.currency ORDER BY day, p.currency"},
};

/* Fills g from the current row of q for grouping by; -1 when the row
** breaks the schema. */
static int report_row(struct store_q *q, enum pp_report_by by, struct pp_report_group *g)
{
    int bad = 0;
    memset(g, 0, sizeof *g);
    int64_t id = sqlite3_column_int64(q->stmt, 0);
    if (by == PP_REPORT_BY_PROJECT || by == PP_REPORT_BY_RECIPIENT) {
        g->id = id;
        snprintf(g->key, sizeof g->key, "%lld", (long long)id);
    } else if (by == PP_REPORT_BY_STATUS) {
        bad |= id < PP_PAYOUT_UNAUTHORIZED || id > PP_PAYOUT_EXPIRED;
        snprintf(g->key, sizeof g->key, "%s", pp_payout_status_name((enum pp_payout_status)id));
    } else {
        bad |= store_q_col_text(q, 1, g->key, sizeof g->key);
    }
    bad |= store_q_col_text(q, 2, g->name, sizeof g->name);
    bad |= store_q_col_text(q, 3, g->currency, sizeof g->currency);
    g->count = sqlite3_column_int64(q->stmt, 4);
    g->sum_minor = store_q_col_sum(q, 5);
    return bad != 0 || !store_currency_ok(g->currency) ? -1 : 0;
}

enum pp_status store_sqlite_report_payouts(struct store_sqlite *st,
                                           const struct pp_report_query *rq,
                                           struct pp_report_group *out, size_t cap,
                                           size_t *count_out, struct pp_err *err)
{
    PP_ASSERT(rq != NULL && count_out != NULL && (out != NULL || cap == 0));
    PP_ASSERT((size_t)rq->by < sizeof report_sql / sizeof report_sql[0]);
    struct store_conn *c = store_reader_acquire(st);
    struct store_q q;
    enum pp_status status = PP_OK;
    size_t n = 0;
    store_q_init(&q, c, report_sql[rq->by].stmt, report_sql[rq->by].sql);
    store_q_int64(&q, 1, rq->from_ms);
    store_q_int64(&q, 2, rq->to_ms);
    store_q_text(&q, 3, rq->currency);
    store_q_int64_or_null(&q, 4, rq->status);
    int rc = store_q_step(&q);
    while (rc == SQLITE_ROW && status == PP_OK) {
        if (n == cap) {
            status = pp_err_set(err, PP_INVALID_PARAMS,
                                "the report has more than %zu groups; narrow the period or "
                                "filter by currency or status",
                                cap);
        } else if (report_row(&q, rq->by, &out[n]) != 0) {
            pp_log(PP_LOG_ERROR, "store: a report row violates the schema");
            status = pp_err_set(err, PP_INTERNAL, "storage error");
        } else {
            n++;
            rc = store_q_step(&q);
        }
    }
    if (status == PP_OK && rc != SQLITE_DONE) {
        status = store_q_fail(&q, "aggregating payouts", err);
    }
    store_q_reset(&q);
    store_reader_release(st, c);
    *count_out = status == PP_OK ? n : 0;
    return status;
}
