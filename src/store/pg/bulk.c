/*
** This module implements the PostgreSQL backend's multi-row inserts: in
** the writer's fast run, the rows a batch inserts into recipients,
** payouts, the ledger, events (with their deliveries), notifications, the
** audit log and idempotency keys are gathered per table and sent as ONE
** statement per table (INSERT ... SELECT ... FROM unnest($1::bigint[],
** $2::text[], ...), every parameter an array in text form), so the
** database parses, plans and executes one statement where a batch of 25
** creates sent 150. Every row is exactly the row the single-row statement
** writes (ids handed out by the writer, store_pg_tx_id_next; an event's
** sequence counted as there, plus its place among the statement's rows of
** the same payout or currency).
**
** When the rows go: before any statement whose answer is needed, unless
** it only reads tables the rows neither fill nor read (a project or a
** balance looked up, or a recipient, which the writer's cache gives when
** this batch gathered it; store_pg_bulk_before), before a recipient's
** update (changes.c: it may change a gathered recipient), before COMMIT,
** and when PP_PG_BULK_ROWS_MAX rows of one table wait; always every table,
** in the order of enum pg_bulk, so a row never precedes the row it refers
** to. A statement queued alone (a project, a recipient's check, a status
** change) may go before rows gathered earlier: none of those reads or
** changes a gathered row or what one refers to. A multi-row insert that
** fails voids the fast run like any queued statement (writer.c): the
** careful run then inserts each row alone, inside its request's savepoint,
** so the refusal reaches its own request (a recipient's clash is told by
** its name). The careful run uses the tables' single-row statements
** (changes.c, funds.c), or this module's statement with one row for
** events and notifications, which have no other.
**
** It decides nothing about what is inserted.
*/
#include <stdio.h>
#include <string.h>

#include "payout/base/assert.h"
#include "payout/base/log.h"
#include "store/pg/outbox.h"

/* unnest's arrays as u(c1 ... cN), in the order of the single-row
** statement's parameters. */
#define BULK_U16                                                                                   \
    " FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bigint[], $5::bigint[],"             \
    " $6::bigint[], $7::text[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[],"         \
    " $12::text[], $13::text[], $14::bigint[], $15::bigint[], $16::bigint[])"                      \
    " AS u(c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16)"

/* An event's sequence: 1 + the largest of its payout (or, for a funds
** event, of its currency's funds events), plus its place among this
** statement's events of the same payout or currency. */
#define BULK_EVENT_SEQUENCE                                                                        \
    "COALESCE(CASE WHEN u.payout_id IS NOT NULL THEN (SELECT max(e.sequence) FROM events e"        \
    " WHERE e.payout_id = u.payout_id) ELSE (SELECT max(e.sequence) FROM events e"                 \
    " WHERE e.payout_id IS NULL AND e.currency = u.currency) END, 0)"                              \
    " + row_number() OVER (PARTITION BY u.payout_id,"                                              \
    " CASE WHEN u.payout_id IS NULL THEN u.currency END ORDER BY u.id)"

const struct store_pg_stmt_def store_pg_stmts_bulk[] = {
    /* The parameters of PG_STMT_RECIPIENT_INSERT, as arrays. */
    {PG_STMT_BULK_RECIPIENTS,
     "INSERT INTO recipients (id, user_name, phone_number, reference_id, first_name, last_name,"
     " email, created_ms, updated_ms) SELECT c8, c1, c2, c3, c4, c5, c6, c7, c7"
     " FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],"
     " $7::bigint[], $8::bigint[]) AS u(c1, c2, c3, c4, c5, c6, c7, c8)",
     8},
    /* The parameters of PG_STMT_TX_PAYOUT_INSERT, as arrays. */
    {PG_STMT_BULK_PAYOUTS,
     "INSERT INTO payouts (id, project_id, recipient_id, currency, amount_minor, start_ms,"
     " end_ms, description, notification, status, created_ms, updated_ms, uuid, metadata,"
     " authorized_ms, created_by_user) SELECT c16, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11,"
     " c12, c13, c14, c15" BULK_U16,
     16},
    /* The parameters of PG_STMT_LEDGER_INSERT. */
    {PG_STMT_BULK_LEDGER,
     "INSERT INTO ledger (id, at_ms, currency, kind, d_available, d_blocked, d_paid_out,"
     " payout_id, reference, admin_id) SELECT c10, c1, c2, c3, c4, c5, c6, c7, c8, c9"
     " FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[],"
     " $6::bigint[], $7::bigint[], $8::text[], $9::bigint[], $10::bigint[])"
     " AS u(c1, c2, c3, c4, c5, c6, c7, c8, c9, c10)",
     10},
    /* $1 id, $2 type, $3 payout, $4 currency, $5 created_ms, $6 status,
    ** $7 amount, $8 reference, $9 available, $10 blocked, $11 paid_out
    ** (low 18 digits), $12 paid_out_e18; each event fanned out to the
    ** enabled endpoints subscribed to its type. Answers one row: the
    ** events inserted, the deliveries queued. */
    {PG_STMT_BULK_EVENTS,
     "WITH u AS (SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[],"
     " $5::bigint[], $6::bigint[], $7::bigint[], $8::text[], $9::bigint[], $10::bigint[],"
     " $11::bigint[], $12::bigint[]) AS u(id, type, payout_id, currency, created_ms, status,"
     " amount_minor, reference, available, blocked, paid_out, paid_out_e18)),"
     " ev AS (INSERT INTO events (id, type, payout_id, currency, sequence, created_ms, status,"
     " amount_minor, reference, available, blocked, paid_out, paid_out_e18)"
     " SELECT u.id, u.type, u.payout_id, u.currency, " BULK_EVENT_SEQUENCE ", u.created_ms,"
     " u.status, u.amount_minor, u.reference, u.available, u.blocked, u.paid_out,"
     " u.paid_out_e18 FROM u ORDER BY u.id RETURNING id, type, payout_id, created_ms),"
     " fan AS (INSERT INTO webhook_deliveries (endpoint_id, event_id, payout_id, state,"
     " attempts, next_ms, created_ms) SELECT w.id, ev.id, ev.payout_id, 1, 0, " PG_OUTBOX_NOW_MS
     ", ev.created_ms FROM ev JOIN webhook_endpoints w ON w.enabled = 1"
     " AND w.deleted_ms IS NULL AND (w.events IS NULL OR strpos(w.events, ',' || ev.type || ',')"
     " > 0) ORDER BY ev.id, w.id RETURNING 1)"
     " SELECT (SELECT count(*) FROM ev), (SELECT count(*) FROM fan)",
     12},
    /* $1 payout, $2 kind, $3 status, $4 at_ms: the notification of kind
    ** when the payout's notification is on and its recipient has an
    ** e-mail; never twice. */
    {PG_STMT_BULK_NOTIFICATIONS,
     "INSERT INTO notifications (payout_id, kind, channel, status, attempts, next_ms,"
     " created_ms, at_ms) SELECT p.id, u.kind, 'email', u.status, 0, " PG_OUTBOX_NOW_MS
     ", u.at_ms, u.at_ms FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[])"
     " WITH ORDINALITY AS u(payout_id, kind, status, at_ms, ord)"
     " JOIN payouts p ON p.id = u.payout_id JOIN recipients r ON r.id = p.recipient_id"
     " WHERE p.notification = 1 AND r.email IS NOT NULL ORDER BY u.ord"
     " ON CONFLICT (payout_id, kind) DO NOTHING",
     4},
    /* The parameters of PG_STMT_AUDIT_INSERT. */
    {PG_STMT_BULK_AUDIT,
     "INSERT INTO audit (id, at_ms, actor_kind, admin_id, addr, action, subject, detail)"
     " SELECT c8, c1, c2, c3, c4, c5, c6, c7 FROM unnest($1::bigint[], $2::bigint[],"
     " $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[])"
     " AS u(c1, c2, c3, c4, c5, c6, c7, c8)",
     8},
    /* The parameters of PG_STMT_IDEM_INSERT. */
    {PG_STMT_BULK_IDEM,
     "INSERT INTO idempotency (scope, key, fingerprint, created_ms) SELECT c1, c2, c3, c4"
     " FROM unnest($1::text[], $2::text[], $3::bytea[], $4::bigint[]) AS u(c1, c2, c3, c4)",
     4},
    {PG_STMT_COUNT, NULL, 0},
};

/* Per table: its statement, its columns, what it is, and whether its row
** count is exactly its rows (else bulk_took checks the answer). */
static const struct {
    enum pg_stmt stmt;
    int columns;
    const char *what;
    int rows_exact;
} bulk_tables[PG_BULK_COUNT] = {
    [PG_BULK_RECIPIENTS] = {PG_STMT_BULK_RECIPIENTS, 8, "inserting recipients", 1},
    [PG_BULK_PAYOUTS] = {PG_STMT_BULK_PAYOUTS, 16, "inserting payouts", 1},
    [PG_BULK_LEDGER] = {PG_STMT_BULK_LEDGER, 10, "appending to the ledger", 1},
    [PG_BULK_EVENTS] = {PG_STMT_BULK_EVENTS, 12, "appending events", 0},
    [PG_BULK_NOTIFICATIONS] = {PG_STMT_BULK_NOTIFICATIONS, 4, "recording notifications", 0},
    [PG_BULK_AUDIT] = {PG_STMT_BULK_AUDIT, 8, "appending to the audit log", 1},
    [PG_BULK_IDEM] = {PG_STMT_BULK_IDEM, 4, "recording idempotency keys", 1},
};

void store_pg_array_text_add(struct pp_buf *b, const char *v)
{
    pp_buf_putc(b, b->len == 0 ? '{' : ',');
    pp_buf_putc(b, '"');
    for (const char *c = v; *c != '\0'; c++) {
        if (*c == '"' || *c == '\\') {
            pp_buf_putc(b, '\\');
        }
        pp_buf_putc(b, *c);
    }
    pp_buf_putc(b, '"');
}

/* Appends value i of p to the array literal in b: NULL bare, text quoted
** (store_pg_array_text_add), bytes as a quoted bytea in hex. */
static void bulk_element(struct pp_buf *b, const struct pg_params *p, int i)
{
    static const char hex[] = "0123456789abcdef";
    const char *v = p->values[i];
    if (v == NULL) {
        pp_buf_putc(b, b->len == 0 ? '{' : ',');
        pp_buf_puts(b, "NULL");
        return;
    }
    if (p->formats[i] != 1) {
        store_pg_array_text_add(b, v);
        return;
    }
    pp_buf_putc(b, b->len == 0 ? '{' : ',');
    pp_buf_puts(b, "\"\\\\x");
    for (int k = 0; k < p->lengths[i]; k++) {
        unsigned char ch = (unsigned char)v[k];
        pp_buf_putc(b, hex[ch >> 4]);
        pp_buf_putc(b, hex[ch & 15]);
    }
    pp_buf_putc(b, '"');
}

/* Adds p as one row of rows (table t). */
static void bulk_row_add(struct pg_bulk_rows *rows, enum pg_bulk t, const struct pg_params *p)
{
    PP_ASSERT(p->n == bulk_tables[t].columns);
    for (int i = 0; i < p->n; i++) {
        bulk_element(&rows->cols[i], p, i);
    }
    rows->rows++;
}

/* Closes the arrays of rows and binds them as the parameters of q. */
static void bulk_params(struct pg_bulk_rows *rows, enum pg_bulk t, struct pg_params *q)
{
    pg_params_init(q);
    for (int i = 0; i < bulk_tables[t].columns; i++) {
        pp_buf_putc(&rows->cols[i], '}');
        pg_param_text(q, rows->cols[i].data);
    }
}

static void bulk_rows_reset(struct pg_bulk_rows *rows)
{
    for (int i = 0; i < PG_BULK_COLUMNS_MAX; i++) {
        pp_buf_reset(&rows->cols[i]);
    }
    rows->rows = 0;
}

int store_pg_bulk_before(enum pg_stmt id)
{
    switch (id) {
    /* The batch's start, and the reads a create makes before its rows
    ** (projects and balances are never gathered; a recipient read locks
    ** its row, which changes nothing a gathered row reads, and a recipient
    ** gathered in this batch is found in the writer's cache, never read). */
    case PG_STMT_WRITE_LOCK:
    case PG_STMT_WRITE_IDS:
    case PG_STMT_RECIPIENT_BY_USER_NAME:
    case PG_STMT_RECIPIENT_BY_PHONE_NUMBER:
    case PG_STMT_RECIPIENT_BY_REFERENCE_ID:
    case PG_STMT_PROJECT_FIND:
    case PG_STMT_BALANCE_LOCK:
        return 0;
    default:
        return 1;
    }
}

void store_pg_tx_bulk_flush(struct pg_tx *tx)
{
    for (int t = 0; t < PG_BULK_COUNT; t++) {
        struct pg_bulk_rows *rows = &tx->st->bulk[t];
        if (rows->rows == 0) {
            continue;
        }
        struct pg_params q;
        bulk_params(rows, (enum pg_bulk)t, &q);
        size_t n = rows->rows;
        int64_t expected = bulk_tables[t].rows_exact ? (int64_t)n : -1;
        /* The rows are copied into the connection's buffer when queued. */
        store_pg_tx_queue(tx, bulk_tables[t].stmt, &q, expected, 1 + t, n, bulk_tables[t].what);
        bulk_rows_reset(rows);
    }
}

int store_pg_bulk_took(struct pg_tx *tx, enum pg_bulk t, size_t rows, const PGresult *res)
{
    if (t == PG_BULK_EVENTS) {
        if (PQntuples(res) != 1 || pg_col_i64(res, 0, 0) != (int64_t)rows) {
            pp_log(PP_LOG_ERROR, "store: %zu events were not all appended", rows);
            return -1;
        }
        store_pg_outbox_added(tx->st, pg_col_i64(res, 0, 1) > 0, 0);
    } else if (t == PG_BULK_NOTIFICATIONS) {
        const char *n = PQcmdTuples((PGresult *)res);
        if (tx->st->outbox_mail && n[0] != '\0' && n[0] != '0') {
            store_pg_outbox_added(tx->st, 0, 1);
        }
    }
    return 0;
}

/* The careful run's insert of one row with table t's multi-row statement. */
static enum pp_status bulk_one(struct pg_tx *tx, enum pg_bulk t, const struct pg_params *p,
                               enum pg_fail *fail_out, const char *what, struct pp_err *err)
{
    struct pg_bulk_rows one;
    memset(&one, 0, sizeof one);
    struct pg_params q;
    PGresult *res = NULL;
    bulk_row_add(&one, t, p);
    bulk_params(&one, t, &q);
    enum pp_status status = store_pg_tx_run(tx, bulk_tables[t].stmt, &q, &res, fail_out, what, err);
    if (status == PP_OK && store_pg_bulk_took(tx, t, 1, res) != 0) {
        tx->failed = 1;
        status = pp_err_set(err, PP_INTERNAL, "storage error");
    }
    if (status == PP_OK && t == PG_BULK_EVENTS) {
        /* A WITH ... SELECT reports no changed rows; the event is one. */
        tx->changes++;
    }
    PQclear(res);
    for (int i = 0; i < PG_BULK_COLUMNS_MAX; i++) {
        pp_buf_free(&one.cols[i]);
    }
    return status;
}

enum pp_status store_pg_tx_insert(struct pg_tx *tx, enum pg_bulk t, enum pg_stmt single,
                                  const struct pg_params *p, enum pg_fail *fail_out,
                                  const char *what, struct pp_err *err)
{
    PP_ASSERT(tx != NULL && (unsigned)t < PG_BULK_COUNT && p != NULL);
    if (fail_out != NULL) {
        *fail_out = PG_FAIL_NONE;
    }
    if (!tx->pipelined || tx->failed || tx->broken) {
        if (single != PG_STMT_COUNT) {
            return store_pg_tx_send(tx, single, p, 1, fail_out, what, err);
        }
        return bulk_one(tx, t, p, fail_out, what, err);
    }
    struct pg_bulk_rows *rows = &tx->st->bulk[t];
    bulk_row_add(rows, t, p);
    tx->changes++;
    if (rows->rows >= PP_PG_BULK_ROWS_MAX) {
        store_pg_tx_bulk_flush(tx);
    }
    if (tx->broken) {
        if (fail_out != NULL) {
            *fail_out = PG_FAIL_TRANSIENT;
        }
        return pp_err_set(err, tx->broken_status, "storage is unavailable");
    }
    return PP_OK;
}

void store_pg_bulk_reset(struct store_pg *st)
{
    for (int t = 0; t < PG_BULK_COUNT; t++) {
        bulk_rows_reset(&st->bulk[t]);
    }
}

void store_pg_bulk_free(struct store_pg *st)
{
    for (int t = 0; t < PG_BULK_COUNT; t++) {
        for (int i = 0; i < PG_BULK_COLUMNS_MAX; i++) {
            pp_buf_free(&st->bulk[t].cols[i]);
        }
        st->bulk[t].rows = 0;
    }
}
