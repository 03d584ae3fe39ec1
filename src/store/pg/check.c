/*
** This module implements store_pg_check, `check` on PostgreSQL, with the
** invariants of the SQLite backend's check: for every currency the balance
** row equals the ledger's sums and its blocked figure the sum of open
** payouts (exact numeric sums, also past 2^63), no figure is negative,
** every ledger row has its kind's shape, and every payout has exactly the
** ledger rows its state implies, in its currency and for its amount, and
** a uniqueId. Everything is read in one REPEATABLE READ transaction, so
** the figures compared belong to one snapshot while servers write.
** Like SQLite's foreign_key_check, it also looks for rows of payouts,
** ledger, events and e-mails naming a project, recipient or payout that
** does not exist: their references are checked by triggers as rows are
** written (migrations/postgres/0012_references.sql), which a hand-made
** session can switch off. PostgreSQL checks its own pages as it goes, so
** there is no page pass here. It repairs nothing.
*/
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "payout/base/assert.h"
#include "payout/base/log.h"
#include "store/pg/internal.h"

#define LINE_BYTES 256

const struct store_pg_stmt_def store_pg_stmts_check[] = {
    /* Columns: currency, has a balance row, available, blocked, paid_out
    ** (whole, 10^18 * paid_out_e18 + paid_out), the ledger sums of
    ** d_available, d_blocked, d_paid_out, the open payouts' sum, the count
    ** of misshapen ledger rows. */
    {PG_STMT_CHECK_CURRENCIES,
     "WITH cur (c) AS (SELECT currency FROM balances UNION SELECT currency FROM ledger"
     "  UNION SELECT currency FROM payouts),"
     " l AS (SELECT currency, sum(d_available) AS a, sum(d_blocked) AS b, sum(d_paid_out) AS p,"
     "  count(*) FILTER (WHERE NOT CASE kind"
     "   WHEN 1 THEN d_available > 0 AND d_blocked = 0 AND d_paid_out = 0"
     "   WHEN 2 THEN d_available < 0 AND d_blocked = 0 AND d_paid_out = 0"
     "   WHEN 3 THEN d_blocked > 0 AND d_available = -d_blocked AND d_paid_out = 0"
     "   WHEN 4 THEN d_blocked < 0 AND d_available = -d_blocked AND d_paid_out = 0"
     "   WHEN 5 THEN d_blocked < 0 AND d_paid_out = -d_blocked AND d_available = 0"
     "   ELSE false END) AS bad"
     "  FROM ledger GROUP BY currency),"
     " o AS (SELECT currency, sum(amount_minor) AS s FROM payouts WHERE status IN (1, 2)"
     "  GROUP BY currency)"
     " SELECT cur.c, b.currency IS NOT NULL, COALESCE(b.available, 0), COALESCE(b.blocked, 0),"
     "  COALESCE(b.paid_out_e18::numeric * 1000000000000000000 + b.paid_out, 0),"
     "  COALESCE(l.a, 0), COALESCE(l.b, 0), COALESCE(l.p, 0), COALESCE(o.s, 0),"
     "  COALESCE(l.bad, 0)"
     " FROM cur LEFT JOIN balances AS b ON b.currency = cur.c"
     "  LEFT JOIN l ON l.currency = cur.c LEFT JOIN o ON o.currency = cur.c"
     " ORDER BY cur.c",
     0},
    {PG_STMT_CHECK_PAYOUTS,
     "SELECT id, status, blocks, releases, payouts, mismatched, has_uuid FROM ("
     " SELECT p.id AS id, p.status AS status, p.uuid IS NOT NULL AS has_uuid,"
     "  count(*) FILTER (WHERE l.kind = 3) AS blocks,"
     "  count(*) FILTER (WHERE l.kind = 4) AS releases,"
     "  count(*) FILTER (WHERE l.kind = 5) AS payouts,"
     "  count(*) FILTER (WHERE l.currency <> p.currency OR l.kind IN (1, 2)"
     "   OR (l.kind = 3 AND l.d_blocked <> p.amount_minor)"
     "   OR (l.kind IN (4, 5) AND l.d_blocked <> -p.amount_minor)) AS mismatched"
     " FROM payouts AS p LEFT JOIN ledger AS l ON l.payout_id = p.id GROUP BY p.id) AS x"
     " WHERE NOT (has_uuid AND blocks = 1 AND mismatched = 0 AND CASE"
     "  WHEN status IN (1, 2) THEN releases = 0 AND payouts = 0"
     "  WHEN status = 3 THEN releases = 0 AND payouts = 1"
     "  ELSE releases = 1 AND payouts = 0 END)"
     " ORDER BY id",
     0},
    /* Columns: table, row id, the table it names no row of; the first
    ** 100 such rows (one is already a bug to look into). */
    {PG_STMT_CHECK_REFERENCES,
     "SELECT t, id, parent FROM ("
     " SELECT 'payouts' AS t, p.id, 'projects' AS parent FROM payouts AS p"
     "  WHERE NOT EXISTS (SELECT 1 FROM projects AS x WHERE x.id = p.project_id)"
     " UNION ALL SELECT 'payouts', p.id, 'recipients' FROM payouts AS p"
     "  WHERE NOT EXISTS (SELECT 1 FROM recipients AS x WHERE x.id = p.recipient_id)"
     " UNION ALL SELECT 'ledger', l.id, 'payouts' FROM ledger AS l WHERE l.payout_id IS NOT NULL"
     "  AND NOT EXISTS (SELECT 1 FROM payouts AS x WHERE x.id = l.payout_id)"
     " UNION ALL SELECT 'events', e.id, 'payouts' FROM events AS e WHERE e.payout_id IS NOT NULL"
     "  AND NOT EXISTS (SELECT 1 FROM payouts AS x WHERE x.id = e.payout_id)"
     " UNION ALL SELECT 'notifications', n.id, 'payouts' FROM notifications AS n"
     "  WHERE NOT EXISTS (SELECT 1 FROM payouts AS x WHERE x.id = n.payout_id)) AS r"
     " ORDER BY t, id LIMIT 100",
     0},
    {PG_STMT_COUNT, NULL, 0},
};

struct check {
    store_report_fn report;
    void *ctx;
    int problems;
};

static void check_report(struct check *k, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void check_report(struct check *k, const char *fmt, ...)
{
    char line[LINE_BYTES];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    k->problems++;
    if (k->report != NULL) {
        k->report(k->ctx, line);
    }
}

/* Writes v in decimal into out (48 bytes hold any 128-bit value). */
static const char *wide_text(__int128 v, char out[48])
{
    unsigned __int128 mag =
        v < 0 ? (unsigned __int128)0 - (unsigned __int128)v : (unsigned __int128)v;
    char rev[40];
    size_t n = 0, len = 0;
    do {
        rev[n++] = (char)('0' + (int)(mag % 10));
        mag /= 10;
    } while (mag != 0);
    if (v < 0) {
        out[len++] = '-';
    }
    while (n > 0) {
        out[len++] = rev[--n];
    }
    out[len] = '\0';
    return out;
}

static void check_figure(struct check *k, const char *cur, const char *name, __int128 have,
                         const char *what, __int128 want)
{
    char a[48], b[48];
    if (have != want) {
        check_report(k, "%s: %s %s != %s %s", cur, name, wide_text(have, a), what,
                     wide_text(want, b));
    }
}

static void check_currency_row(struct check *k, const PGresult *r, int i)
{
    char cur[4];
    if (pg_col_text(r, i, 0, cur, sizeof cur) != 0) {
        snprintf(cur, sizeof cur, "???");
    }
    __int128 v[8];
    for (int c = 0; c < 7; c++) {
        if (pg_col_i128(r, i, 2 + c, &v[c]) != 0) {
            check_report(k, "%s: a figure is not an integer", cur);
            return;
        }
    }
    if (strcmp(PQgetvalue(r, i, 1), "t") != 0) {
        check_report(k, "%s: no balance row, yet ledger rows or payouts use it", cur);
    }
    check_figure(k, cur, "available", v[0], "ledger sum", v[3]);
    check_figure(k, cur, "blocked", v[1], "ledger sum", v[4]);
    check_figure(k, cur, "paid_out", v[2], "ledger sum", v[5]);
    check_figure(k, cur, "blocked", v[1], "sum of open payouts", v[6]);
    static const char *const names[] = {"available", "blocked", "paid_out"};
    for (int c = 0; c < 3; c++) {
        char text[48];
        if (v[c] < 0) {
            check_report(k, "%s: %s is negative (%s)", cur, names[c], wide_text(v[c], text));
        }
    }
    int64_t bad = pg_col_i64(r, i, 9);
    if (bad != 0) {
        check_report(k, "%s: %lld ledger rows do not match their kind", cur, (long long)bad);
    }
}

/* What a payout in state s must have in the ledger besides one BLOCK. */
static const char *check_expected(int64_t s)
{
    switch (s) {
    case PP_PAYOUT_UNAUTHORIZED:
    case PP_PAYOUT_READY:
        return "1 block and nothing else";
    case PP_PAYOUT_RECEIVED:
        return "1 block and 1 payout";
    default:
        return "1 block and 1 release";
    }
}

static void check_payout_row(struct check *k, const PGresult *r, int i)
{
    int64_t s = pg_col_i64(r, i, 1);
    const char *name = s >= PP_PAYOUT_UNAUTHORIZED && s <= PP_PAYOUT_EXPIRED
                           ? pp_payout_status_name((enum pp_payout_status)s)
                           : "?";
    check_report(k,
                 "payout %lld (%s): %lld block, %lld release, %lld payout ledger rows, "
                 "%lld not matching its currency or amount; expected %s%s",
                 (long long)pg_col_i64(r, i, 0), name, (long long)pg_col_i64(r, i, 2),
                 (long long)pg_col_i64(r, i, 3), (long long)pg_col_i64(r, i, 4),
                 (long long)pg_col_i64(r, i, 5), check_expected(s),
                 strcmp(PQgetvalue(r, i, 6), "t") == 0 ? "" : "; and it has no uniqueId");
}

static enum pp_status check_run(struct pg_conn *c, struct check *k, struct pp_err *err)
{
    PGresult *res = NULL;
    enum pp_status status =
        store_pg_run(c, PG_STMT_CHECK_CURRENCIES, NULL, &res, NULL, "checking balances", err);
    for (int i = 0; status == PP_OK && i < PQntuples(res); i++) {
        check_currency_row(k, res, i);
    }
    PQclear(res);
    res = NULL;
    if (status == PP_OK) {
        status = store_pg_run(c, PG_STMT_CHECK_PAYOUTS, NULL, &res, NULL,
                              "checking payouts against the ledger", err);
    }
    for (int i = 0; status == PP_OK && i < PQntuples(res); i++) {
        check_payout_row(k, res, i);
    }
    PQclear(res);
    res = NULL;
    if (status == PP_OK) {
        status =
            store_pg_run(c, PG_STMT_CHECK_REFERENCES, NULL, &res, NULL, "checking references", err);
    }
    for (int i = 0; status == PP_OK && i < PQntuples(res); i++) {
        /* As SQLite's check words it (src/store/sqlite/check.c). */
        check_report(k, "foreign key violation: %.64s row %lld has no %.64s", PQgetvalue(res, i, 0),
                     (long long)pg_col_i64(res, i, 1), PQgetvalue(res, i, 2));
    }
    PQclear(res);
    return status;
}

enum pp_status store_pg_check(struct store_pg *st, store_report_fn report, void *ctx,
                              int *problems_out, struct pp_err *err)
{
    PP_ASSERT(st != NULL && problems_out != NULL);
    struct check k = {.report = report, .ctx = ctx};
    struct pg_conn *c = NULL;
    enum pp_status status = store_pg_reader_acquire(st, &c, err);
    if (status == PP_OK) {
        status = store_pg_read_begin(c, err);
        if (status == PP_OK) {
            status = check_run(c, &k, err);
        }
        store_pg_read_end(c);
        store_pg_reader_release(st, c);
    }
    *problems_out = k.problems;
    if (k.problems > 0) {
        pp_log(PP_LOG_WARN, "store: check found %d problem(s)", k.problems);
    }
    return status;
}
