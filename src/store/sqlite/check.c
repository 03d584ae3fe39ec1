/*
** This module implements store_sqlite_check, the verification behind the `check`
** subcommand: for every currency the balance row must equal the ledger's
** sums (exact 128-bit sums, also past 2^63) and its blocked figure the
** sum of open payouts; every payout must
** have exactly the ledger rows its state implies, in its currency and for
** its amount; and SQLite's own integrity and foreign-key checks must pass.
** Everything is read in one read transaction, so the figures compared
** belong to one snapshot even while the server writes.
**
** It repairs nothing: it reports, one line per discrepancy.
*/
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "payout/base/assert.h"
#include "payout/base/log.h"
#include "store/sqlite/internal.h"

#define LINE_BYTES 256

struct check {
    struct store_conn *conn;
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

/* Columns of STORE_STMT_CHECK_CURRENCIES after the currency and whether it
** has a balance row: available, blocked, paid_out, paid_out_e18, then the
** exact sums (two columns each) of the ledger's d_available, d_blocked,
** d_paid_out and of the open payouts, then the count of misshapen ledger
** rows. */
#define CHECK_COL_SUMS 6
#define CHECK_COL_BAD 14
#define CHECK_SUM_AVAILABLE STORE_SQL_SUM_EXACT("d_available")
#define CHECK_SUM_BLOCKED STORE_SQL_SUM_EXACT("d_blocked")
#define CHECK_SUM_PAID_OUT STORE_SQL_SUM_EXACT("d_paid_out")
#define CHECK_SUM_OPEN STORE_SQL_SUM_EXACT("amount_minor")

/* One row of STORE_STMT_CHECK_CURRENCIES. Every figure is compared as a
** 128-bit integer: sums of the ledger pass 2^63 long before any balance
** figure is wrong, and the paid-out figure itself may (migration 0007). */
static void check_currency_row(struct check *k, struct store_q *q)
{
    char cur[4];
    if (store_q_col_text(q, 0, cur, sizeof cur) != 0) {
        snprintf(cur, sizeof cur, "???");
    }
    __int128 v[3];
    v[0] = sqlite3_column_int64(q->stmt, 2);
    v[1] = sqlite3_column_int64(q->stmt, 3);
    v[2] = (__int128)sqlite3_column_int64(q->stmt, 5) * ((__int128)PP_BALANCE_MINOR_MAX + 1) +
           sqlite3_column_int64(q->stmt, 4);
    __int128 sums[4];
    for (int i = 0; i < 4; i++) {
        sums[i] = store_q_col_sum(q, CHECK_COL_SUMS + 2 * i);
    }
    if (sqlite3_column_int(q->stmt, 1) == 0) {
        check_report(k, "%s: no balance row, yet ledger rows or payouts use it", cur);
    }
    check_figure(k, cur, "available", v[0], "ledger sum", sums[0]);
    check_figure(k, cur, "blocked", v[1], "ledger sum", sums[1]);
    check_figure(k, cur, "paid_out", v[2], "ledger sum", sums[2]);
    check_figure(k, cur, "blocked", v[1], "sum of open payouts", sums[3]);
    static const char *const names[] = {"available", "blocked", "paid_out"};
    for (int i = 0; i < 3; i++) {
        char text[48];
        if (v[i] < 0) {
            check_report(k, "%s: %s is negative (%s)", cur, names[i], wide_text(v[i], text));
        }
    }
    int64_t bad = sqlite3_column_int64(q->stmt, CHECK_COL_BAD);
    if (bad != 0) {
        check_report(k, "%s: %lld ledger rows do not match their kind", cur, (long long)bad);
    }
}

static enum pp_status check_currencies(struct check *k, struct pp_err *err)
{
    struct store_q q;
    store_q_init(&q, k->conn, STORE_STMT_CHECK_CURRENCIES,
                 "WITH cur (c) AS (SELECT currency FROM balances UNION SELECT currency FROM ledger"
                 "  UNION SELECT currency FROM payouts),"
                 " l (currency, a1, a0, b1, b0, p1, p0, bad) AS (SELECT currency,"
                 "  " CHECK_SUM_AVAILABLE ", " CHECK_SUM_BLOCKED ", " CHECK_SUM_PAID_OUT ","
                 "  SUM(NOT CASE kind"
                 "   WHEN 1 THEN d_available > 0 AND d_blocked = 0 AND d_paid_out = 0"
                 "   WHEN 2 THEN d_available < 0 AND d_blocked = 0 AND d_paid_out = 0"
                 "   WHEN 3 THEN d_blocked > 0 AND d_available = -d_blocked AND d_paid_out = 0"
                 "   WHEN 4 THEN d_blocked < 0 AND d_available = -d_blocked AND d_paid_out = 0"
                 "   WHEN 5 THEN d_blocked < 0 AND d_paid_out = -d_blocked AND d_available = 0"
                 "   ELSE 0 END)"
                 "  FROM ledger GROUP BY currency),"
                 " o (currency, s1, s0) AS (SELECT currency, " CHECK_SUM_OPEN
                 "  FROM payouts WHERE status IN (1, 2) GROUP BY currency)"
                 " SELECT cur.c, b.currency IS NOT NULL, b.available, b.blocked, b.paid_out,"
                 "  b.paid_out_e18, l.a1, l.a0, l.b1, l.b0, l.p1, l.p0, o.s1, o.s0, l.bad"
                 " FROM cur LEFT JOIN balances AS b ON b.currency = cur.c"
                 "  LEFT JOIN l ON l.currency = cur.c LEFT JOIN o ON o.currency = cur.c"
                 " ORDER BY cur.c");
    int rc = store_q_step(&q);
    while (rc == SQLITE_ROW) {
        check_currency_row(k, &q);
        rc = store_q_step(&q);
    }
    enum pp_status status = PP_OK;
    if (rc != SQLITE_DONE) {
        status = store_q_fail(&q, "checking balances", err);
    }
    store_q_reset(&q);
    return status;
}

/* What a payout in state s must have in the ledger besides one BLOCK. */
static const char *check_expected(int s)
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

static enum pp_status check_payouts(struct check *k, struct pp_err *err)
{
    struct store_q q;
    store_q_init(&q, k->conn, STORE_STMT_CHECK_PAYOUTS,
                 "SELECT id, status, blocks, releases, payouts, mismatched, has_uuid FROM ("
                 " SELECT p.id AS id, p.status AS status, p.uuid IS NOT NULL AS has_uuid,"
                 "  count(*) FILTER (WHERE l.kind = 3) AS blocks,"
                 "  count(*) FILTER (WHERE l.kind = 4) AS releases,"
                 "  count(*) FILTER (WHERE l.kind = 5) AS payouts,"
                 "  count(*) FILTER (WHERE l.currency <> p.currency OR l.kind IN (1, 2)"
                 "   OR (l.kind = 3 AND l.d_blocked <> p.amount_minor)"
                 "   OR (l.kind IN (4, 5) AND l.d_blocked <> -p.amount_minor)) AS mismatched"
                 " FROM payouts AS p LEFT JOIN ledger AS l ON l.payout_id = p.id GROUP BY p.id)"
                 " WHERE NOT (has_uuid AND blocks = 1 AND mismatched = 0 AND CASE"
                 "  WHEN status IN (1, 2) THEN releases = 0 AND payouts = 0"
                 "  WHEN status = 3 THEN releases = 0 AND payouts = 1"
                 "  ELSE releases = 1 AND payouts = 0 END)"
                 " ORDER BY id");
    int rc = store_q_step(&q);
    while (rc == SQLITE_ROW) {
        int s = sqlite3_column_int(q.stmt, 1);
        check_report(
            k,
            "payout %lld (%s): %lld block, %lld release, %lld payout ledger rows, "
            "%lld not matching its currency or amount; expected %s%s",
            (long long)sqlite3_column_int64(q.stmt, 0),
            pp_payout_status_name((enum pp_payout_status)s),
            (long long)sqlite3_column_int64(q.stmt, 2), (long long)sqlite3_column_int64(q.stmt, 3),
            (long long)sqlite3_column_int64(q.stmt, 4), (long long)sqlite3_column_int64(q.stmt, 5),
            check_expected(s), sqlite3_column_int(q.stmt, 6) ? "" : "; and it has no uniqueId");
        rc = store_q_step(&q);
    }
    enum pp_status status = PP_OK;
    if (rc != SQLITE_DONE) {
        status = store_q_fail(&q, "checking payouts against the ledger", err);
    }
    store_q_reset(&q);
    return status;
}

static enum pp_status check_sqlite(struct check *k, struct pp_err *err)
{
    struct store_q q;
    store_q_init(&q, k->conn, STORE_STMT_CHECK_INTEGRITY, "PRAGMA integrity_check");
    int rc = store_q_step(&q);
    while (rc == SQLITE_ROW) {
        const unsigned char *line = sqlite3_column_text(q.stmt, 0);
        if (line == NULL || strcmp((const char *)line, "ok") != 0) {
            check_report(k, "integrity_check: %.200s", line != NULL ? (const char *)line : "?");
        }
        rc = store_q_step(&q);
    }
    enum pp_status status = PP_OK;
    if (rc != SQLITE_DONE) {
        status = store_q_fail(&q, "integrity_check", err);
    }
    store_q_reset(&q);
    if (status != PP_OK) {
        goto done;
    }
    store_q_init(&q, k->conn, STORE_STMT_CHECK_FOREIGN_KEYS, "PRAGMA foreign_key_check");
    rc = store_q_step(&q);
    while (rc == SQLITE_ROW) {
        const unsigned char *table = sqlite3_column_text(q.stmt, 0);
        check_report(
            k, "foreign key violation: %.64s row %lld has no %.64s",
            table != NULL ? (const char *)table : "?", (long long)sqlite3_column_int64(q.stmt, 1),
            sqlite3_column_text(q.stmt, 2) != NULL ? (const char *)sqlite3_column_text(q.stmt, 2)
                                                   : "?");
        rc = store_q_step(&q);
    }
    if (rc != SQLITE_DONE) {
        status = store_q_fail(&q, "foreign_key_check", err);
    }
    store_q_reset(&q);
done:
    return status;
}

enum pp_status store_sqlite_check(struct store_sqlite *st, store_report_fn report, void *ctx,
                                  int *problems_out, struct pp_err *err)
{
    PP_ASSERT(st != NULL && problems_out != NULL);
    /* One new read transaction: every figure is of the same moment, and
    ** that moment is now, whoever wrote last. */
    struct check k = {.conn = store_reader_acquire_fresh(st), .report = report, .ctx = ctx};
    enum pp_status status = check_currencies(&k, err);
    if (status == PP_OK) {
        status = check_payouts(&k, err);
    }
    if (status == PP_OK) {
        status = check_sqlite(&k, err);
    }
    store_reader_release(st, k.conn);
    *problems_out = k.problems;
    if (k.problems > 0) {
        pp_log(PP_LOG_WARN, "store: check found %d problem(s)", k.problems);
    }
    return status;
}
