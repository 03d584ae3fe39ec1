/*
** This module implements the payout reports' aggregates on PostgreSQL
** (payout/store/reports.h): one GROUP BY per grouping over the payouts
** created in [from, to), always also grouped by currency, on a pooled
** read connection (one statement: one snapshot). Sums are sum(bigint), a
** numeric, exact past 2^63. A day is the UTC day of created_ms, formatted
** as SQLite's strftime('%Y-%m-%d', ...) does. It writes nothing.
*/
#include <stdio.h>
#include <string.h>

#include "payout/base/assert.h"
#include "payout/base/log.h"
#include "payout/store/reports.h"
#include "store/pg/internal.h"

/* Every statement selects: id (or NULL), key text (or NULL), name (or
** NULL), currency, count, the exact sum; and binds $1 from, $2 to, $3
** currency or NULL, $4 status or NULL. */
#define REPORT_WHERE                                                                               \
    " WHERE p.created_ms >= $1::bigint AND p.created_ms < $2::bigint"                              \
    " AND ($3::text IS NULL OR p.currency = $3::text)"                                             \
    " AND ($4::bigint IS NULL OR p.status = $4::bigint)"

const struct store_pg_stmt_def store_pg_stmts_reports[] = {
    {PG_STMT_REPORT_BY_PROJECT,
     "SELECT p.project_id, NULL, min(pr.name), p.currency, count(*), sum(p.amount_minor)"
     " FROM payouts p JOIN projects pr ON pr.id = p.project_id" REPORT_WHERE
     " GROUP BY p.project_id, p.currency ORDER BY p.project_id, p.currency",
     4},
    {PG_STMT_REPORT_BY_CURRENCY,
     "SELECT NULL, p.currency, NULL, p.currency, count(*), sum(p.amount_minor)"
     " FROM payouts p" REPORT_WHERE " GROUP BY p.currency ORDER BY p.currency",
     4},
    /* Status names in alphabetical order: CANCELLED 4, EXPIRED 5, READY 2,
    ** RECEIVED 3, UNAUTHORIZED 1. */
    {PG_STMT_REPORT_BY_STATUS,
     "SELECT p.status, NULL, NULL, p.currency, count(*), sum(p.amount_minor)"
     " FROM payouts p" REPORT_WHERE " GROUP BY p.status, p.currency"
     " ORDER BY CASE p.status WHEN 4 THEN 1 WHEN 5 THEN 2 WHEN 2 THEN 3 WHEN 3 THEN 4"
     " ELSE 5 END, p.currency",
     4},
    {PG_STMT_REPORT_BY_RECIPIENT,
     "SELECT p.recipient_id, NULL, NULL, p.currency, count(*), sum(p.amount_minor)"
     " FROM payouts p" REPORT_WHERE
     " GROUP BY p.recipient_id, p.currency ORDER BY p.recipient_id, p.currency",
     4},
    {PG_STMT_REPORT_BY_DAY,
     "SELECT NULL, d.day, NULL, d.currency, count(*), sum(d.amount_minor) FROM"
     " (SELECT to_char(to_timestamp(p.created_ms / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
     " COLLATE \"C\" AS day, p.currency, p.amount_minor FROM payouts p" REPORT_WHERE ") d"
     " GROUP BY d.day, d.currency ORDER BY d.day, d.currency",
     4},
    {PG_STMT_COUNT, NULL, 0},
};

static const enum pg_stmt report_stmts[] = {
    [PP_REPORT_BY_PROJECT] = PG_STMT_REPORT_BY_PROJECT,
    [PP_REPORT_BY_CURRENCY] = PG_STMT_REPORT_BY_CURRENCY,
    [PP_REPORT_BY_STATUS] = PG_STMT_REPORT_BY_STATUS,
    [PP_REPORT_BY_RECIPIENT] = PG_STMT_REPORT_BY_RECIPIENT,
    [PP_REPORT_BY_DAY] = PG_STMT_REPORT_BY_DAY,
};

/* Fills g from row i of r for grouping by; -1 when the row breaks the schema. */
static int report_row(const PGresult *r, int i, enum pp_report_by by, struct pp_report_group *g)
{
    int bad = 0;
    memset(g, 0, sizeof *g);
    int64_t id = pg_col_i64(r, i, 0);
    if (by == PP_REPORT_BY_PROJECT || by == PP_REPORT_BY_RECIPIENT) {
        g->id = id;
        snprintf(g->key, sizeof g->key, "%lld", (long long)id);
    } else if (by == PP_REPORT_BY_STATUS) {
        bad |= id < PP_PAYOUT_UNAUTHORIZED || id > PP_PAYOUT_EXPIRED;
        if (!bad) {
            snprintf(g->key, sizeof g->key, "%s", pp_payout_status_name((enum pp_payout_status)id));
        }
    } else {
        bad |= pg_col_text(r, i, 1, g->key, sizeof g->key);
    }
    bad |= pg_col_text(r, i, 2, g->name, sizeof g->name);
    bad |= pg_col_text(r, i, 3, g->currency, sizeof g->currency);
    g->count = pg_col_i64(r, i, 4);
    bad |= pg_col_i128(r, i, 5, &g->sum_minor);
    return bad != 0 || !store_pg_currency_ok(g->currency) ? -1 : 0;
}

enum pp_status store_pg_report_payouts(struct store_pg *st, const struct pp_report_query *rq,
                                       struct pp_report_group *out, size_t cap, size_t *count_out,
                                       struct pp_err *err)
{
    PP_ASSERT(rq != NULL && count_out != NULL && (out != NULL || cap == 0));
    PP_ASSERT((size_t)rq->by < sizeof report_stmts / sizeof report_stmts[0]);
    struct pg_conn *c = NULL;
    struct pg_params p;
    PGresult *res = NULL;
    size_t n = 0;
    pg_params_init(&p);
    pg_param_i64(&p, rq->from_ms);
    pg_param_i64(&p, rq->to_ms);
    pg_param_text(&p, rq->currency);
    pg_param_i64_or_null(&p, rq->status);
    enum pp_status status = store_pg_reader_acquire(st, &c, err);
    if (status == PP_OK) {
        status = store_pg_run(c, report_stmts[rq->by], &p, &res, NULL, "aggregating payouts", err);
        store_pg_reader_release(st, c);
    }
    int rows = status == PP_OK ? PQntuples(res) : 0;
    for (int i = 0; i < rows && status == PP_OK; i++) {
        if (n == cap) {
            status = pp_err_set(err, PP_INVALID_PARAMS,
                                "the report has more than %zu groups; narrow the period or "
                                "filter by currency or status",
                                cap);
        } else if (report_row(res, i, rq->by, &out[n]) != 0) {
            pp_log(PP_LOG_ERROR, "store: a report row violates the schema");
            status = pp_err_set(err, PP_INTERNAL, "storage error");
        } else {
            n++;
        }
    }
    PQclear(res);
    *count_out = status == PP_OK ? n : 0;
    return status;
}
