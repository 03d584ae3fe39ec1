/*
** This module implements the PostgreSQL backend's connections: connecting
** (and refusing a server older than 15), preparing every fixed statement
** of the backend on each connection when it connects and again after a
** reconnect, the pool of read connections (one per worker thread; a
** connection whose link broke is closed and reconnects on its next use),
** the parameter builder, running a statement, and mapping a failure to
** pp_status by its SQLSTATE: a lost link, a shutdown, a serialization
** failure, a deadlock or a read-only server is PP_UNAVAILABLE (503, the
** client may retry), anything else PP_INTERNAL; a constraint is reported
** to the caller, which decides what it means.
**
** It logs SQL failures without values (every value is a parameter) and
** never logs the connection URL, which may hold a password.
*/
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payout/base/assert.h"
#include "payout/base/log.h"
#include "store/pg/internal.h"

/* The oldest server the backend runs on (PQserverVersion's encoding). */
#define PG_SERVER_VERSION_MIN 150000

static const struct store_pg_stmt_def *const stmt_tables[] = {
    store_pg_stmts_db,      store_pg_stmts_records,  store_pg_stmts_reads,
    store_pg_stmts_reports, store_pg_stmts_audit,    store_pg_stmts_check,
    store_pg_stmts_changes, store_pg_stmts_funds,    store_pg_stmts_writer,
    store_pg_stmts_bulk,    store_pg_stmts_users,    store_pg_stmts_cluster,
    store_pg_stmts_events,  store_pg_stmts_webhooks, store_pg_stmts_deliveries,
};

/* The name a fixed statement is prepared under. */
static void stmt_name(enum pg_stmt id, char out[16])
{
    snprintf(out, 16, "f%d", (int)id);
}

/* Server notices ("relation already exists, skipping") are not errors and
** must not reach stderr. */
static void conn_notice_ignore(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* libpq's message on one line, for the log. */
static void conn_message(PGconn *pg, char *out, size_t size)
{
    const char *m = pg != NULL ? PQerrorMessage(pg) : "out of memory";
    snprintf(out, size, "%s", m != NULL ? m : "");
    for (char *p = out; *p != '\0'; p++) {
        if (*p == '\n' || *p == '\t') {
            *p = ' ';
        }
    }
    size_t len = strlen(out);
    while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == ' ')) {
        out[--len] = '\0';
    }
}

enum pp_status store_pg_conn_prepare(struct pg_conn *c, struct pp_err *err)
{
    enum pp_status status = PP_OK;
    for (size_t t = 0; t < sizeof stmt_tables / sizeof stmt_tables[0] && status == PP_OK; t++) {
        for (const struct store_pg_stmt_def *d = stmt_tables[t]; d->sql != NULL; d++) {
            char name[16];
            stmt_name(d->id, name);
            PGresult *res = PQprepare(c->pg, name, d->sql, d->params, NULL);
            status = store_pg_result(c, res, NULL, NULL, "preparing a statement", err);
            if (status != PP_OK) {
                pp_log(PP_LOG_ERROR, "store: statement %d failed to prepare", (int)d->id);
                break;
            }
        }
    }
    return status;
}

enum pp_status store_pg_conn_open(struct pg_conn *c, const char *conninfo, int prepare,
                                  struct pp_err *err)
{
    PP_ASSERT(c->pg == NULL);
    enum pp_status status = PP_OK;
    char msg[256];
    c->pg = PQconnectdb(conninfo);
    if (c->pg == NULL || PQstatus(c->pg) != CONNECTION_OK) {
        conn_message(c->pg, msg, sizeof msg);
        pp_log(PP_LOG_ERROR, "store: cannot connect to PostgreSQL: %s", msg);
        status =
            pp_err_set(err, PP_UNAVAILABLE, "cannot connect to the PostgreSQL database: %s", msg);
        goto done;
    }
    PQsetNoticeProcessor(c->pg, conn_notice_ignore, NULL);
    if (PQserverVersion(c->pg) < PG_SERVER_VERSION_MIN) {
        pp_log(PP_LOG_ERROR, "store: PostgreSQL %d is older than 15", PQserverVersion(c->pg));
        status = pp_err_set(err, PP_INTERNAL,
                            "the PostgreSQL server is version %d.%d; payout-panel needs 15 or "
                            "later",
                            PQserverVersion(c->pg) / 10000, PQserverVersion(c->pg) % 10000);
        goto done;
    }
    /* Text sorts and compares by bytes (the columns are COLLATE "C"), dates
    ** are UTC, and a statement waits at most this long for a lock. */
    PGresult *res = PQexec(c->pg, "SET TIME ZONE 'UTC'; SET lock_timeout = '10s'");
    status = store_pg_result(c, res, NULL, NULL, "setting up a connection", err);
    if (status == PP_OK && prepare) {
        status = store_pg_conn_prepare(c, err);
    }
done:
    if (status != PP_OK) {
        store_pg_conn_close(c);
    }
    return status;
}

void store_pg_conn_close(struct pg_conn *c)
{
    if (c->pg != NULL) {
        PQfinish(c->pg);
        c->pg = NULL;
    }
    for (unsigned i = 0; i < PP_READ_SHAPES; i++) {
        free(c->shape_sql[i]);
        c->shape_sql[i] = NULL;
    }
    c->shape_next = 0;
    /* A new link may reach another server (a promoted replica), whose
    ** snapshots say nothing about the counts remembered from this one. */
    for (unsigned i = 0; i < PP_READ_TOTALS_MEMO; i++) {
        free(c->count_memo[i].key);
        memset(&c->count_memo[i], 0, sizeof c->count_memo[i]);
    }
    c->count_memo_next = 0;
}

int store_pg_conn_lost(const struct pg_conn *c)
{
    return c->pg == NULL || PQstatus(c->pg) != CONNECTION_OK;
}

enum pp_status store_pg_reader_acquire(struct store_pg *st, struct pg_conn **out,
                                       struct pp_err *err)
{
    pthread_mutex_lock(&st->readers_mu);
    while (st->readers_idle_count == 0) {
        pthread_cond_wait(&st->readers_cv, &st->readers_mu);
    }
    struct pg_conn *c = &st->readers[st->readers_idle[--st->readers_idle_count]];
    pthread_mutex_unlock(&st->readers_mu);
    enum pp_status status = PP_OK;
    if (store_pg_conn_lost(c)) {
        store_pg_conn_close(c);
        status = store_pg_conn_open(c, st->conninfo, 1, err);
        if (status != PP_OK) {
            pp_err_clear(err);
            status = pp_err_set(err, PP_UNAVAILABLE, "storage is unavailable");
            store_pg_reader_release(st, c);
            c = NULL;
        }
    }
    *out = c;
    return status;
}

void store_pg_reader_release(struct store_pg *st, struct pg_conn *c)
{
    PP_ASSERT(c >= st->readers && c < st->readers + st->readers_count);
    if (c->pg != NULL && PQstatus(c->pg) != CONNECTION_OK) {
        store_pg_conn_close(c);
    }
    pthread_mutex_lock(&st->readers_mu);
    st->readers_idle[st->readers_idle_count++] = (unsigned)(c - st->readers);
    pthread_cond_signal(&st->readers_cv);
    pthread_mutex_unlock(&st->readers_mu);
}

/* --- Parameters ------------------------------------------------------------ */

void pg_params_init(struct pg_params *p)
{
    memset(p, 0, sizeof *p);
}

static int param_next(struct pg_params *p)
{
    PP_ASSERT(p->n < PG_PARAMS_MAX);
    return p->n++;
}

void pg_param_i64(struct pg_params *p, int64_t v)
{
    int i = param_next(p);
    snprintf(p->num[i], PG_PARAM_NUM_BYTES, "%" PRId64, v);
    p->values[i] = p->num[i];
}

void pg_param_i64_or_null(struct pg_params *p, int64_t v)
{
    if (v == 0) {
        pg_param_null(p);
    } else {
        pg_param_i64(p, v);
    }
}

void pg_param_text(struct pg_params *p, const char *s)
{
    int i = param_next(p);
    p->values[i] = s;
}

void pg_param_text_or_null(struct pg_params *p, const char *s)
{
    pg_param_text(p, (s != NULL && s[0] != '\0') ? s : NULL);
}

void pg_param_null(struct pg_params *p)
{
    int i = param_next(p);
    p->values[i] = NULL;
}

void pg_param_bytes(struct pg_params *p, const void *b, size_t len)
{
    PP_ASSERT(len <= INT32_MAX);
    int i = param_next(p);
    p->values[i] = b != NULL ? b : "";
    p->lengths[i] = (int)len;
    p->formats[i] = 1;
}

void pg_param_i64_array(struct pg_params *p, const int64_t *v, size_t n, char *buf, size_t buf_size)
{
    size_t at = 0;
    PP_ASSERT(buf_size >= 3);
    buf[at++] = '{';
    for (size_t i = 0; i < n; i++) {
        int w = snprintf(buf + at, buf_size - at, i == 0 ? "%" PRId64 : ",%" PRId64, v[i]);
        PP_ASSERT(w > 0 && (size_t)w < buf_size - at - 1);
        at += (size_t)w;
    }
    buf[at++] = '}';
    buf[at] = '\0';
    pg_param_text(p, buf);
}

/* --- Running statements ------------------------------------------------------ */

enum pg_fail store_pg_fail_of(const struct pg_conn *c, const PGresult *res)
{
    ExecStatusType rs = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (rs == PGRES_COMMAND_OK || rs == PGRES_TUPLES_OK || rs == PGRES_PIPELINE_SYNC) {
        return PG_FAIL_NONE;
    }
    const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (state == NULL || store_pg_conn_lost(c)) {
        return PG_FAIL_TRANSIENT;
    }
    if (strcmp(state, "23505") == 0) {
        return PG_FAIL_UNIQUE;
    }
    /* 23: integrity constraints; P0001: a trigger's RAISE EXCEPTION. */
    if (strncmp(state, "23", 2) == 0 || strcmp(state, "P0001") == 0) {
        return PG_FAIL_CONSTRAINT;
    }
    /* 08 connection, 40 rollback (serialization, deadlock), 53 resources,
    ** 57 operator intervention (shutdown, cancel), 55P03 lock timeout,
    ** 25006 a read-only (standby) server. */
    static const char *const transient[] = {"08", "40", "53", "57", "55P03", "25006", "58"};
    for (size_t i = 0; i < sizeof transient / sizeof transient[0]; i++) {
        if (strncmp(state, transient[i], strlen(transient[i])) == 0) {
            return PG_FAIL_TRANSIENT;
        }
    }
    return PG_FAIL_OTHER;
}

enum pp_status store_pg_fail(const struct pg_conn *c, const PGresult *res, const char *what,
                             struct pp_err *err)
{
    enum pg_fail f = store_pg_fail_of(c, res);
    const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    char msg[256];
    if (primary == NULL) {
        conn_message(c->pg, msg, sizeof msg);
        primary = msg;
    }
    /* The primary message names the constraint or the column, never a value
    ** (PG_DIAG_MESSAGE_DETAIL, which may quote one, is not logged). */
    pp_log(PP_LOG_ERROR, "store: %s failed: %s: %s", what, state != NULL ? state : "-", primary);
    enum pp_status status = f == PG_FAIL_TRANSIENT ? PP_UNAVAILABLE : PP_INTERNAL;
    return pp_err_set(err, status, "%s",
                      status == PP_UNAVAILABLE ? "storage is unavailable" : "storage error");
}

enum pp_status store_pg_result(struct pg_conn *c, PGresult *res, PGresult **res_out,
                               enum pg_fail *fail_out, const char *what, struct pp_err *err)
{
    enum pg_fail f = store_pg_fail_of(c, res);
    enum pp_status status = PP_OK;
    if (fail_out != NULL) {
        *fail_out = f;
    }
    if (f != PG_FAIL_NONE) {
        if ((f == PG_FAIL_CONSTRAINT || f == PG_FAIL_UNIQUE) && fail_out != NULL) {
            /* The caller says what the refusal means (and sets err). */
            const char *name = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
            const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
            snprintf(c->constraint, sizeof c->constraint, "%s",
                     name != NULL ? name : (primary != NULL ? primary : ""));
            status = PP_INVALID_PARAMS;
        } else {
            status = store_pg_fail(c, res, what, err);
        }
        PQclear(res);
        res = NULL;
    }
    if (res_out != NULL) {
        *res_out = res;
    } else {
        PQclear(res);
    }
    return status;
}

enum pp_status store_pg_run(struct pg_conn *c, enum pg_stmt id, const struct pg_params *p,
                            PGresult **res_out, enum pg_fail *fail_out, const char *what,
                            struct pp_err *err)
{
    PP_ASSERT((unsigned)id < PG_STMT_COUNT);
    if (res_out != NULL) {
        *res_out = NULL;
    }
    if (c->pg == NULL) {
        if (fail_out != NULL) {
            *fail_out = PG_FAIL_TRANSIENT;
        }
        return pp_err_set(err, PP_UNAVAILABLE, "storage is unavailable");
    }
    char name[16];
    stmt_name(id, name);
    PGresult *res = PQexecPrepared(c->pg, name, p != NULL ? p->n : 0, p != NULL ? p->values : NULL,
                                   p != NULL ? p->lengths : NULL, p != NULL ? p->formats : NULL, 0);
    return store_pg_result(c, res, res_out, fail_out, what, err);
}

int store_pg_send(struct pg_conn *c, enum pg_stmt id, const char *sql, const struct pg_params *p)
{
    PP_ASSERT((unsigned)id <= PG_STMT_COUNT && (id != PG_STMT_COUNT || sql != NULL));
    if (c->pg == NULL) {
        return 0;
    }
    int n = p != NULL ? p->n : 0;
    const char *const *values = p != NULL ? p->values : NULL;
    const int *lengths = p != NULL ? p->lengths : NULL;
    const int *formats = p != NULL ? p->formats : NULL;
    if (id == PG_STMT_COUNT) {
        return PQsendQueryParams(c->pg, sql, n, NULL, values, lengths, formats, 0) == 1;
    }
    char name[16];
    stmt_name(id, name);
    return PQsendQueryPrepared(c->pg, name, n, values, lengths, formats, 0) == 1;
}

enum pp_status store_pg_run_sql(struct pg_conn *c, const char *sql, const struct pg_params *p,
                                PGresult **res_out, enum pg_fail *fail_out, const char *what,
                                struct pp_err *err)
{
    if (res_out != NULL) {
        *res_out = NULL;
    }
    if (c->pg == NULL) {
        if (fail_out != NULL) {
            *fail_out = PG_FAIL_TRANSIENT;
        }
        return pp_err_set(err, PP_UNAVAILABLE, "storage is unavailable");
    }
    PGresult *res =
        p == NULL ? PQexec(c->pg, sql)
                  : PQexecParams(c->pg, sql, p->n, NULL, p->values, p->lengths, p->formats, 0);
    return store_pg_result(c, res, res_out, fail_out, what, err);
}

/* Reads the results of step `step` of a trip into status (the first
** failure wins): its result, then the NULL that ends it. 0 when the
** connection did not answer as the protocol says (lost, or out of step). */
static int trip_read(struct pg_conn *c, const struct pg_trip_step *step, enum pp_status *status,
                     struct pp_err *err)
{
    PGresult *res = PQgetResult(c->pg);
    if (res == NULL) {
        return 0;
    }
    if (PQresultStatus(res) == PGRES_PIPELINE_ABORTED || *status != PP_OK) {
        PQclear(res); /* skipped after an earlier failure, which err tells */
    } else {
        *status = store_pg_result(c, res, step->res_out, NULL, step->what, err);
    }
    res = PQgetResult(c->pg);
    if (res != NULL) {
        PQclear(res);
        return 0;
    }
    return !store_pg_conn_lost(c);
}

enum pp_status store_pg_trip(struct pg_conn *c, const struct pg_trip_step *steps, size_t n,
                             struct pp_err *err)
{
    PP_ASSERT(steps != NULL && n >= 1);
    for (size_t i = 0; i < n; i++) {
        if (steps[i].res_out != NULL) {
            *steps[i].res_out = NULL;
        }
    }
    if (c->pg == NULL || PQenterPipelineMode(c->pg) != 1) {
        return pp_err_set(err, PP_UNAVAILABLE, "storage is unavailable");
    }
    int sent = 1;
    for (size_t i = 0; i < n && sent; i++) {
        sent = store_pg_send(c, steps[i].id, steps[i].sql, steps[i].p);
    }
    sent = sent && PQpipelineSync(c->pg) == 1;
    enum pp_status status = PP_OK;
    int in_step = sent;
    for (size_t i = 0; i < n && in_step; i++) {
        in_step = trip_read(c, &steps[i], &status, err);
    }
    if (in_step) {
        PGresult *sync = PQgetResult(c->pg);
        in_step = sync != NULL && PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
        PQclear(sync);
    }
    if (!in_step || PQexitPipelineMode(c->pg) != 1) {
        /* Lost, or out of step with its results: never reused as it is. */
        pp_log(PP_LOG_ERROR, "store: %s failed: the connection was lost", steps[0].what);
        store_pg_conn_close(c);
        for (size_t i = 0; i < n; i++) {
            if (steps[i].res_out != NULL) {
                PQclear(*steps[i].res_out);
                *steps[i].res_out = NULL;
            }
        }
        pp_err_clear(err);
        status = pp_err_set(err, PP_UNAVAILABLE, "storage is unavailable");
    }
    return status;
}

enum pp_status store_pg_read_begin(struct pg_conn *c, struct pp_err *err)
{
    return store_pg_run_sql(c, PG_READ_BEGIN_SQL, NULL, NULL, NULL, "beginning a read", err);
}

void store_pg_read_end(struct pg_conn *c)
{
    if (c->pg != NULL && PQtransactionStatus(c->pg) != PQTRANS_IDLE) {
        PQclear(PQexec(c->pg, "ROLLBACK"));
    }
}

/* --- Columns ------------------------------------------------------------------ */

int64_t pg_col_i64(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col)) {
        return 0;
    }
    return (int64_t)strtoll(PQgetvalue(r, row, col), NULL, 10);
}

int pg_col_i128(const PGresult *r, int row, int col, __int128 *out)
{
    *out = 0;
    if (PQgetisnull(r, row, col)) {
        return 0;
    }
    const char *s = PQgetvalue(r, row, col);
    int neg = *s == '-';
    s += neg;
    unsigned __int128 v = 0;
    const unsigned __int128 max = ((unsigned __int128)1 << 126);
    if (*s == '\0') {
        return -1;
    }
    for (; *s >= '0' && *s <= '9'; s++) {
        if (v >= max) {
            return -1;
        }
        v = v * 10 + (unsigned)(*s - '0');
    }
    if (*s != '\0') {
        return -1;
    }
    *out = neg ? -(__int128)v : (__int128)v;
    return 0;
}

int pg_col_text(const PGresult *r, int row, int col, char *out, size_t out_size)
{
    PP_ASSERT(out_size > 0);
    out[0] = '\0';
    if (PQgetisnull(r, row, col)) {
        return 0;
    }
    size_t len = (size_t)PQgetlength(r, row, col);
    if (len >= out_size) {
        return -1;
    }
    memcpy(out, PQgetvalue(r, row, col), len);
    out[len] = '\0';
    return 0;
}

int store_pg_currency_ok(const char *s)
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
