/*
** This module implements the PostgreSQL backend's writer: one thread and
** one connection per node (per process). Callers queue a request and
** sleep; the writer takes whatever is queued (up to PP_WRITER_BATCH_MAX),
** runs it as ONE transaction, commits once (one WAL flush for the batch)
** and only then wakes each caller with its own result (the queue, the
** thread and the wake-ups are the store's writer queue, src/store/queue.c,
** shared with the SQLite writer; this file is what a batch does). Several nodes each
** run their own writer on the one database; every batch first takes the
** lock row (schema_lock, as migrations do), so the writers of all nodes
** take turns and never deadlock, and no advisory lock is needed.
**
** The fast run is pipelined (libpq's pipeline mode): BEGIN, the lock row,
** one read of the largest ids (the batch hands out ids itself), the
** settings the batch's write guards name, the balances the batch before
** used and the recipients its payout creates name that the cache does
** not know (both read and locked ahead) go in one round trip. The
** requests queued while it was out (on several nodes, mostly while the
** lock row was awaited) then join the batch, what they need read ahead
** read in one more round trip (writer_grow). After that a statement
** whose result nothing waits for (a payout, ledger, audit, recipient or
** project insert with its id already known, an idempotency key, a
** status change, a recipient check, the balances written once at the
** end) is only queued, and its result is read at the next sync: when a
** statement whose result is needed is sent (that one waits, and with it
** everything queued), when the queue is full, and before COMMIT. So a
** create whose project, recipient and balance the writer already holds
** costs no round trip of its own.
**
** Isolation of requests: a request that fails without having changed a
** row and without a failed statement needs no undo (what it took of the
** batch's ids and balances in memory is given back). One that changed
** rows, whose statement failed (PostgreSQL then aborts the transaction),
** or any queued statement that failed or changed another number of rows
** than it should (found at a sync, maybe while a later request runs)
** voids the fast run: the writer rolls back and runs the batch again
** carefully, each statement alone and one savepoint per request, rolling
** a failed one back to its savepoint, so a refusal is told to its own
** request and its neighbours commit. Callbacks are written to be run
** again (store.h).
**
** Failure rules: a failure that is not the request's own (a lost link, a
** shutdown, a serialization failure, a lock timeout) rolls back the batch,
** which is run once more; if it fails again it is split, one request per
** transaction, so one bad request never fails its neighbours. A link lost
** after COMMIT was sent leaves the outcome unknown: nothing is retried
** then, and every request of the batch answers PP_UNAVAILABLE (a client
** retries with its Idempotency-Key, which tells whether its first try
** committed). The connection reconnects by itself on the next batch.
**
** It does not know any table but for the ids it hands out; callbacks do
** the work through store_pg_tx_run and store_pg_tx_send. When it stops it
** logs its profile (batches, round trips per request, time waiting for
** the lock row and committing).
*/
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "payout/base/assert.h"
#include "payout/base/log.h"
#include "payout/base/metrics.h"
#include "store/pg/internal.h"

#define BATCH_FAILED_MESSAGE "storage failure; nothing was written"

const struct store_pg_stmt_def store_pg_stmts_writer[] = {
    /* The lock row of schema_lock (db.c): a migration holds it too. */
    {PG_STMT_WRITE_LOCK, "SELECT id FROM schema_lock WHERE id = 1 FOR UPDATE", 0},
    /* After the lock row (its own statement, so its own snapshot): the
    ** largest ids, in the order of enum pg_ids. */
    {PG_STMT_WRITE_IDS,
     "SELECT (SELECT COALESCE(max(id), 0) FROM payouts), (SELECT COALESCE(max(id), 0) FROM ledger),"
     " (SELECT COALESCE(max(id), 0) FROM audit), (SELECT COALESCE(max(id), 0) FROM recipients),"
     " (SELECT COALESCE(max(id), 0) FROM projects), (SELECT COALESCE(max(id), 0) FROM events)",
     0},
    {PG_STMT_COUNT, NULL, 0},
};

/* How a batch ended. */
enum batch_end {
    BATCH_COMMITTED,
    BATCH_RETRY,   /* rolled back by a failure that is not a request's: may run again */
    BATCH_FAILED,  /* rolled back for good (status in the requests) */
    BATCH_UNKNOWN, /* the link was lost after COMMIT was sent */
    BATCH_CAREFUL, /* the fast run is void: run the batch again carefully */
};

static uint64_t writer_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Marks tx broken by a failure that is not a request's. */
static void writer_broken(struct pg_tx *tx, enum pp_status status)
{
    tx->failed = 1;
    if (!tx->broken) {
        tx->broken = 1;
        tx->broken_status = status;
    }
}

/* The rows a finished statement returned or changed. */
static int64_t result_rows(PGresult *res)
{
    if (PQresultStatus(res) == PGRES_TUPLES_OK) {
        return PQntuples(res);
    }
    const char *t = PQcmdTuples(res);
    return t[0] != '\0' ? strtoll(t, NULL, 10) : 0;
}

/* Takes the result of queued statement q (consumed). */
static void pipe_check(struct pg_tx *tx, const struct pg_queued *q, PGresult *res)
{
    if (PQresultStatus(res) == PGRES_PIPELINE_ABORTED) {
        /* Skipped after an earlier failure of this segment. */
        tx->queue_failed = 1;
        PQclear(res);
        return;
    }
    enum pg_fail f = store_pg_fail_of(tx->conn, res);
    if (f == PG_FAIL_TRANSIENT) {
        struct pp_err scratch;
        pp_err_clear(&scratch);
        writer_broken(tx, store_pg_fail(tx->conn, res, q->what, &scratch));
    } else if (f == PG_FAIL_OTHER) {
        /* Not a refusal by the schema: a bug or a broken schema (logged). */
        struct pp_err scratch;
        pp_err_clear(&scratch);
        store_pg_fail(tx->conn, res, q->what, &scratch);
        tx->queue_failed = 1;
    } else if (f != PG_FAIL_NONE) {
        /* A refusal the careful run tells to its request. */
        tx->queue_failed = 1;
    } else if (q->rows_expected >= 0 && result_rows(res) != q->rows_expected) {
        tx->queue_failed = 1;
        if (q->rows_expected == 0 && (q->id == PG_STMT_RECIPIENT_BY_USER_NAME ||
                                      q->id == PG_STMT_RECIPIENT_BY_PHONE_NUMBER ||
                                      q->id == PG_STMT_RECIPIENT_BY_REFERENCE_ID)) {
            tx->st->recipients_elsewhere = 1;
        }
    } else if (q->bulk > 0 &&
               store_pg_bulk_took(tx, (enum pg_bulk)(q->bulk - 1), q->bulk_rows, res) != 0) {
        tx->queue_failed = 1;
    }
    PQclear(res);
}

/* Reads the results of every queued statement, after a sync. When last_out
** is given, the last one queued is the statement a caller waits for: its
** result (failed or not) goes there instead, NULL when it was skipped
** because an earlier one failed. Marks tx broken when the link is lost. */
static void pipe_sync(struct pg_tx *tx, PGresult **last_out)
{
    PGconn *pg = tx->conn->pg;
    size_t n = tx->queued;
    tx->queued = 0;
    tx->round_trips++;
    if (last_out != NULL) {
        *last_out = NULL;
    }
    if (pg == NULL || PQpipelineSync(pg) != 1) {
        writer_broken(tx, PP_UNAVAILABLE);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        PGresult *res = PQgetResult(pg);
        if (res == NULL) {
            pp_log(PP_LOG_ERROR, "store: %s: no result from the server", tx->queue[i].what);
            writer_broken(tx, PP_UNAVAILABLE);
            return;
        }
        if (last_out != NULL && i == n - 1 && PQresultStatus(res) != PGRES_PIPELINE_ABORTED) {
            *last_out = res;
        } else if (tx->queue[i].keep != NULL && PQresultStatus(res) == PGRES_TUPLES_OK) {
            PQclear(*tx->queue[i].keep);
            *tx->queue[i].keep = res;
        } else {
            pipe_check(tx, &tx->queue[i], res);
        }
        /* Each statement's results end with a NULL. */
        PGresult *end = PQgetResult(pg);
        if (end != NULL) {
            PQclear(end);
            pp_log(PP_LOG_ERROR, "store: %s: more results than one", tx->queue[i].what);
            writer_broken(tx, PP_INTERNAL);
            return;
        }
    }
    PGresult *sync = PQgetResult(pg);
    if (sync == NULL || PQresultStatus(sync) != PGRES_PIPELINE_SYNC) {
        writer_broken(tx, PP_UNAVAILABLE);
    }
    PQclear(sync);
}

/* Queues a statement (fixed id, or sql with id PG_STMT_COUNT) in tx's
** pipeline; a full queue is read first. bulk and bulk_rows: see
** store_pg_tx_queue. 0, or -1 when tx broke. */
static int pipe_send_bulk(struct pg_tx *tx, enum pg_stmt id, const char *sql,
                          const struct pg_params *p, int64_t rows_expected, int bulk,
                          size_t bulk_rows, const char *what)
{
    PP_ASSERT(tx->pipelined);
    if (tx->queued == PP_PG_PIPELINE_QUEUED_MAX) {
        pipe_sync(tx, NULL);
    }
    if (tx->broken) {
        return -1;
    }
    if (!store_pg_send(tx->conn, id, sql, p)) {
        pp_log(PP_LOG_ERROR, "store: %s could not be sent", what);
        writer_broken(tx, PP_UNAVAILABLE);
        return -1;
    }
    tx->queue[tx->queued++] = (struct pg_queued){.id = id,
                                                 .what = what,
                                                 .req = tx->req,
                                                 .rows_expected = rows_expected,
                                                 .bulk = bulk,
                                                 .bulk_rows = bulk_rows};
    return 0;
}

static int pipe_send(struct pg_tx *tx, enum pg_stmt id, const char *sql, const struct pg_params *p,
                     int64_t rows_expected, const char *what)
{
    return pipe_send_bulk(tx, id, sql, p, rows_expected, 0, 0, what);
}

enum pp_status store_pg_tx_queue(struct pg_tx *tx, enum pg_stmt id, const struct pg_params *p,
                                 int64_t rows_expected, int bulk, size_t bulk_rows,
                                 const char *what)
{
    PP_ASSERT(tx->pipelined && bulk >= 0 && bulk <= PG_BULK_COUNT);
    if (pipe_send_bulk(tx, id, NULL, p, rows_expected, bulk, bulk_rows, what) != 0) {
        return tx->broken_status;
    }
    return PP_OK;
}

/* Records what a finished statement of the running request did. */
static enum pp_status tx_took(struct pg_tx *tx, enum pp_status status, enum pg_fail fail,
                              PGresult *res, enum pg_fail *fail_out, const char *what,
                              struct pp_err *err)
{
    if (fail == PG_FAIL_CONSTRAINT || fail == PG_FAIL_UNIQUE) {
        tx->failed = 1;
        if (fail_out == NULL) {
            /* Nobody expected a refusal here: a bug or a broken schema. */
            pp_log(PP_LOG_ERROR, "store: %s was refused by the schema", what);
            status = pp_err_set(err, PP_INTERNAL, "storage error");
        }
    } else if (fail != PG_FAIL_NONE) {
        writer_broken(tx, status);
    } else {
        const char *tuples = PQcmdTuples(res);
        if (tuples[0] != '\0' && strncmp(PQcmdStatus(res), "SELECT", 6) != 0) {
            tx->changes += strtoll(tuples, NULL, 10);
        }
    }
    return status;
}

/* Runs statement id in the pipeline and waits for it (and for everything
** queued before it). */
static enum pp_status tx_run_pipelined(struct pg_tx *tx, enum pg_stmt id, const struct pg_params *p,
                                       PGresult **res, enum pg_fail *fail, const char *what,
                                       struct pp_err *err)
{
    *res = NULL;
    *fail = PG_FAIL_OTHER;
    /* The rows gathered for multi-row inserts go first when this statement
    ** may read them or what they read. */
    if (store_pg_bulk_before(id)) {
        store_pg_tx_bulk_flush(tx);
    }
    if (!tx->broken && pipe_send(tx, id, NULL, p, -1, what) == 0) {
        pipe_sync(tx, res);
    }
    if (tx->broken) {
        PQclear(*res);
        *res = NULL;
        *fail = PG_FAIL_TRANSIENT;
        return pp_err_set(err, tx->broken_status, "%s",
                          tx->broken_status == PP_UNAVAILABLE ? "storage is unavailable"
                                                              : "storage error");
    }
    if (*res == NULL) {
        /* Skipped: a statement queued earlier failed; the fast run is void. */
        tx->failed = 1;
        return pp_err_set(err, PP_INTERNAL, "storage error");
    }
    PGresult *raw = *res;
    *res = NULL;
    return store_pg_result(tx->conn, raw, res, fail, what, err);
}

enum pp_status store_pg_tx_run(struct pg_tx *tx, enum pg_stmt id, const struct pg_params *p,
                               PGresult **res_out, enum pg_fail *fail_out, const char *what,
                               struct pp_err *err)
{
    PP_ASSERT(tx != NULL && tx->conn == &tx->st->writer);
    PP_ASSERT(store_queue_on_writer(&tx->st->queue));
    if (res_out != NULL) {
        *res_out = NULL;
    }
    if (tx->failed || tx->broken) {
        if (fail_out != NULL) {
            *fail_out = PG_FAIL_OTHER;
        }
        return pp_err_set(err, PP_INTERNAL, "storage error");
    }
    enum pg_fail fail = PG_FAIL_NONE;
    PGresult *res = NULL;
    enum pp_status status;
    if (tx->pipelined) {
        status = tx_run_pipelined(tx, id, p, &res, &fail, what, err);
        if (tx->broken || tx->failed) {
            /* Lost, or skipped after a queued statement failed. */
            if (fail_out != NULL) {
                *fail_out = fail;
            }
            return status;
        }
    } else {
        tx->round_trips++;
        status = store_pg_run(tx->conn, id, p, &res, &fail, what, err);
    }
    status = tx_took(tx, status, fail, res, fail_out, what, err);
    if (fail_out != NULL) {
        *fail_out = fail;
    }
    if (res_out != NULL) {
        *res_out = res;
    } else {
        PQclear(res);
    }
    return status;
}

enum pp_status store_pg_tx_send(struct pg_tx *tx, enum pg_stmt id, const struct pg_params *p,
                                int64_t rows_expected, enum pg_fail *fail_out, const char *what,
                                struct pp_err *err)
{
    PP_ASSERT(tx != NULL && tx->conn == &tx->st->writer);
    if (fail_out != NULL) {
        *fail_out = PG_FAIL_NONE;
    }
    if (!tx->pipelined || tx->failed || tx->broken) {
        PGresult *res = NULL;
        enum pp_status status = store_pg_tx_run(tx, id, p, &res, fail_out, what, err);
        if (status == PP_OK && rows_expected >= 0 && result_rows(res) != rows_expected) {
            pp_log(PP_LOG_ERROR, "store: %s changed %lld rows, not %lld", what,
                   (long long)result_rows(res), (long long)rows_expected);
            tx->failed = 1;
            status = pp_err_set(err, PP_INTERNAL, "storage error");
        }
        PQclear(res);
        return status;
    }
    if (pipe_send(tx, id, NULL, p, rows_expected, what) != 0) {
        if (fail_out != NULL) {
            *fail_out = PG_FAIL_TRANSIENT;
        }
        return pp_err_set(err, tx->broken_status, "storage is unavailable");
    }
    /* A check reads and changes nothing: alone it needs no undo. */
    if (id != PG_STMT_RECIPIENT_CHECK && id != PG_STMT_RECIPIENT_BY_USER_NAME &&
        id != PG_STMT_RECIPIENT_BY_PHONE_NUMBER && id != PG_STMT_RECIPIENT_BY_REFERENCE_ID) {
        tx->changes++;
    }
    return PP_OK;
}

int64_t store_pg_tx_id_next(struct pg_tx *tx, enum pg_ids table)
{
    PP_ASSERT((unsigned)table < PG_IDS_COUNT);
    return ++tx->state.last_id[table];
}

/* Runs sql on the writer's connection (queued when pipelined); marks tx
** broken when it fails. */
static enum pp_status writer_exec(struct pg_tx *tx, const char *sql, const char *what)
{
    if (tx->pipelined) {
        pipe_send(tx, PG_STMT_COUNT, sql, NULL, -1, what);
        return tx->broken ? tx->broken_status : PP_OK;
    }
    struct pp_err scratch;
    pp_err_clear(&scratch);
    tx->round_trips++;
    enum pp_status status = store_pg_run_sql(tx->conn, sql, NULL, NULL, NULL, what, &scratch);
    if (status != PP_OK) {
        writer_broken(tx, status);
    }
    return status;
}

/* The part of the batch's state a request may change, kept to give back. */
struct state_mark {
    int64_t last_id[PG_IDS_COUNT];
    size_t balances_count;
    size_t idcache_mark;
};

static void state_mark(const struct pg_tx *tx, struct state_mark *m, struct pg_balance_slot *saved)
{
    memcpy(m->last_id, tx->state.last_id, sizeof m->last_id);
    m->balances_count = tx->state.balances_count;
    memcpy(saved, tx->state.balances, m->balances_count * sizeof *saved);
    m->idcache_mark = store_idcache_mark(&tx->st->idcache);
}

static void state_restore(struct pg_tx *tx, const struct state_mark *m,
                          const struct pg_balance_slot *saved)
{
    memcpy(tx->state.last_id, m->last_id, sizeof m->last_id);
    tx->state.balances_count = m->balances_count;
    memcpy(tx->state.balances, saved, m->balances_count * sizeof *saved);
    store_idcache_undo(&tx->st->idcache, m->idcache_mark);
}

/* Queues the read of the settings the guards of batch[0..n) ask about
** (payout/store/store.h) and no earlier read of the batch has read, to go
** in the round trip that opens the batch (or the one that grows it). */
static void guards_queue(struct pg_tx *tx, struct pg_req **batch, size_t n)
{
    struct pg_guard_reads *g = &tx->guards;
    g->first = g->count;
    for (size_t i = 0; i < n; i++) {
        const struct store_write_guard *w = batch[i]->guard;
        for (size_t k = 0; w != NULL && k < w->count; k++) {
            size_t j = 0;
            while (j < g->count && strcmp(g->keys[j], w->keys[k]) != 0) {
                j++;
            }
            if (j == g->count && g->count < STORE_SETTINGS_READ_MAX) {
                /* Keys beyond these are read by their own requests. */
                g->keys[g->count++] = w->keys[k];
            }
        }
    }
    if (g->count == g->first) {
        return;
    }
    for (size_t j = g->first; j < g->count; j++) {
        g->reads[j] = (struct store_setting_read){
            .key = g->keys[j], .out = g->values[j], .out_size = sizeof g->values[j]};
    }
    struct pg_params p;
    store_pg_settings_params(&p, g->reads + g->first, g->count - g->first);
    if (pipe_send(tx, PG_STMT_SETTINGS_GET, NULL, &p, -1, "reading the guarded settings") == 0) {
        tx->queue[tx->queued - 1].keep = &g->res;
    }
}

/* Takes the rows guards_queue asked for, once the round trip is over. */
static void guards_take(struct pg_tx *tx)
{
    struct pg_guard_reads *g = &tx->guards;
    struct pp_err scratch;
    pp_err_clear(&scratch);
    if (g->res != NULL && !tx->broken &&
        store_pg_settings_take(g->res, g->reads + g->first, g->count - g->first, &scratch) !=
            PP_OK) {
        writer_broken(tx, PP_INTERNAL);
    }
    if (g->res == NULL) {
        g->count = g->first; /* not read: each guarded request reads its own */
    }
    PQclear(g->res);
    g->res = NULL;
}

/* Queues the read and lock of the balances the last batch used, to go
** in the round trip that opens the batch (funds.c). */
static void balances_ahead_queue(struct pg_tx *tx)
{
    struct pg_params p;
    char list[PG_BALANCES_AHEAD_LIST_BYTES];
    if (store_pg_balances_ahead_params(tx->st, list, &p) &&
        pipe_send(tx, PG_STMT_BALANCE_LOCK_AHEAD, NULL, &p, -1, "reading the hot balances") == 0) {
        tx->queue[tx->queued - 1].keep = &tx->ahead_res;
    }
}

/* Takes the balances read ahead as the batch's first slots. */
static void balances_ahead_take(struct pg_tx *tx)
{
    struct pp_err scratch;
    pp_err_clear(&scratch);
    if (tx->ahead_res != NULL && !tx->broken &&
        store_pg_tx_balances_ahead_take(tx, tx->ahead_res, &scratch) != PP_OK) {
        writer_broken(tx, PP_INTERNAL);
    }
    PQclear(tx->ahead_res);
    tx->ahead_res = NULL;
}

/* PP_OK when req has no guard or its guard holds on the settings as the
** batch reads them (read with the lock row when pipelined, else now);
** else the refusal, or the failed read, in req->err. */
static enum pp_status writer_guard(struct pg_tx *tx, struct pg_req *req)
{
    struct store_write_guard *w = req->guard;
    struct store_setting_read reads[STORE_GUARD_KEYS_MAX];
    char values[STORE_GUARD_KEYS_MAX][STORE_GUARD_VALUE_BYTES];
    enum pp_status status = PP_OK;
    if (w == NULL) {
        return PP_OK;
    }
    for (size_t k = 0; k < w->count && status == PP_OK; k++) {
        size_t j = 0;
        while (j < tx->guards.count && strcmp(tx->guards.keys[j], w->keys[k]) != 0) {
            j++;
        }
        if (j < tx->guards.count) {
            reads[k] = tx->guards.reads[j];
            continue;
        }
        reads[k] = (struct store_setting_read){
            .key = w->keys[k], .out = values[k], .out_size = sizeof values[k]};
        status = store_pg_tx_setting_get(tx, w->keys[k], values[k], sizeof values[k],
                                         &reads[k].found, &req->err);
    }
    if (status == PP_OK && !store_write_guard_apply(w, reads, &req->err)) {
        status = PP_UNAUTHORIZED;
    }
    return status;
}

/* Runs request i (in a savepoint when careful). Returns 1 when a fast
** run left something only a rollback can undo, else 0. */
static int writer_call(struct pg_tx *tx, struct pg_req *req, size_t i, int careful)
{
    struct state_mark mark;
    static __thread struct pg_balance_slot saved[PP_WRITER_BALANCES_MAX];
    pp_err_clear(&req->err);
    tx->failed = 0;
    tx->changes = 0;
    tx->req = i;
    if (careful && writer_exec(tx, "SAVEPOINT w", "savepoint") != PP_OK) {
        return 0;
    }
    state_mark(tx, &mark, saved);
    enum pp_status status = writer_guard(tx, req);
    if (status == PP_OK) {
        status = req->fn(tx, req->arg, &req->err);
    }
    if (status == PP_OK && tx->failed) {
        /* A callback must not go on past a failed statement. */
        pp_log(PP_LOG_ERROR, "store: a write went on after a failed statement");
        status = pp_err_set(&req->err, PP_INTERNAL, "storage error");
    }
    if (status == PP_OK) {
        pp_err_clear(&req->err);
    } else {
        if (req->err.status == PP_OK) {
            pp_err_set(&req->err, status, "the change was refused");
        }
        state_restore(tx, &mark, saved);
    }
    req->status = status;
    if (tx->broken) {
        return 0;
    }
    if (!careful) {
        return status != PP_OK && (tx->failed || tx->changes != 0);
    }
    if (status != PP_OK) {
        writer_exec(tx, "ROLLBACK TO SAVEPOINT w", "rollback to savepoint");
    }
    if (!tx->broken) {
        writer_exec(tx, "RELEASE SAVEPOINT w", "release savepoint");
    }
    return 0;
}

/* Queues the read and lock of the recipients the payout creates of
** batch[0..n) name and neither the writer's cache nor an earlier read of
** the batch knows, to go in the round trip that opens the batch (or the
** one that grows it), after the lock row (changes.c). 1 when queued. */
static int recipients_ahead_queue(struct pg_tx *tx, struct pg_req **batch, size_t n)
{
    struct pg_params p;
    if (store_pg_tx_recipients_ahead_params(tx, batch, n, &p) &&
        pipe_send(tx, PG_STMT_RECIPIENTS_AHEAD, NULL, &p, -1, "reading the recipients ahead") ==
            0) {
        tx->queue[tx->queued - 1].keep = &tx->recipients_ahead_res;
        return 1;
    }
    return 0;
}

/* Takes the recipients read ahead; when they were not read, nothing
** counts as read ahead. */
static void recipients_ahead_take(struct pg_tx *tx)
{
    struct pp_err scratch;
    pp_err_clear(&scratch);
    int taken = tx->recipients_ahead_res != NULL && !tx->broken &&
                store_pg_tx_recipients_ahead_take(tx, tx->recipients_ahead_res, &scratch) == PP_OK;
    if (!taken) {
        if (tx->recipients_ahead_res != NULL && !tx->broken) {
            writer_broken(tx, PP_INTERNAL);
        }
        memset(tx->recipients_ahead, 0, sizeof tx->recipients_ahead);
        tx->recipients_ahead_count = 0;
    }
    PQclear(tx->recipients_ahead_res);
    tx->recipients_ahead_res = NULL;
}

/* Takes into batch[*n..max) the requests queued while the round trip that
** opened the batch was out (on several nodes, mostly the wait for the
** lock row), and reads what their guards and recipients need that the
** batch has not read: one more round trip, only when there is such a
** read. Each batch of a node then holds the lock row once for every
** request that waited for it, instead of leaving the late ones to a
** batch of their own and another turn of the lock. Before any request
** runs, so what was read ahead still is what the batch found. */
static void writer_grow(struct pg_tx *tx, struct pg_req **batch, size_t *n, size_t max)
{
    struct store_queue_item *items[PP_WRITER_BATCH_MAX];
    size_t more = store_queue_take_ready(&tx->st->queue, items, max - *n);
    if (more == 0) {
        return;
    }
    struct pg_req **late = batch + *n;
    for (size_t i = 0; i < more; i++) {
        late[i] = (struct pg_req *)(void *)items[i]; /* item is first */
    }
    *n += more;
    tx->st->profile.joined += more;
    guards_queue(tx, late, more);
    int recipients = recipients_ahead_queue(tx, late, more);
    if (tx->queued > 0) {
        pipe_sync(tx, NULL);
    }
    guards_take(tx);
    if (recipients) {
        recipients_ahead_take(tx);
    }
}

/* Opens the batch's transaction, takes the lock row (the writers of every
** node take turns, one batch at a time) and reads the largest ids and the
** settings the batch's guards ask about: one round trip when pipelined.
** Then, when max > *n, grows the batch by the requests queued meanwhile
** (writer_grow). */
static void writer_begin(struct pg_tx *tx, struct pg_req **batch, size_t *n, size_t max)
{
    uint64_t t0 = writer_ns();
    PGresult *res = NULL;
    struct pp_err scratch;
    pp_err_clear(&scratch);
    memset(&tx->state, 0, sizeof tx->state);
    if (writer_exec(tx, "BEGIN", "begin batch") == PP_OK) {
        enum pp_status status = PP_OK;
        if (tx->pipelined) {
            pipe_send(tx, PG_STMT_WRITE_LOCK, NULL, NULL, 1, "taking the lock row");
            guards_queue(tx, batch, *n);
            balances_ahead_queue(tx);
            recipients_ahead_queue(tx, batch, *n);
        } else {
            tx->round_trips++;
            status = store_pg_run(tx->conn, PG_STMT_WRITE_LOCK, NULL, NULL, NULL,
                                  "taking the lock row", &scratch);
        }
        if (status == PP_OK) {
            status = store_pg_tx_run(tx, PG_STMT_WRITE_IDS, NULL, &res, NULL, "reading the ids",
                                     &scratch);
        }
        guards_take(tx);
        balances_ahead_take(tx);
        recipients_ahead_take(tx);
        if (status == PP_OK && PQntuples(res) == 1) {
            for (int t = 0; t < PG_IDS_COUNT; t++) {
                tx->state.last_id[t] = pg_col_i64(res, 0, t);
            }
        } else {
            writer_broken(tx, status != PP_OK ? status : PP_INTERNAL);
        }
    }
    PQclear(res);
    if (tx->pipelined && !tx->broken && max > *n) {
        writer_grow(tx, batch, n, max);
    }
    tx->st->profile.lock_ns += writer_ns() - t0;
}

/* Connects the writer when its link is gone. */
static enum pp_status writer_connect(struct store_pg *st, struct pp_err *err)
{
    if (!store_pg_conn_lost(&st->writer)) {
        return PP_OK;
    }
    store_pg_conn_close(&st->writer);
    enum pp_status status = store_pg_conn_open(&st->writer, st->conninfo, 1, err);
    if (status != PP_OK) {
        pp_err_clear(err);
        status = pp_err_set(err, PP_UNAVAILABLE, "storage is unavailable");
    }
    return status;
}

/* Leaves pipeline mode (every result read first); a connection that
** cannot is closed, to reconnect for the next batch. */
static void writer_unpipe(struct pg_tx *tx)
{
    if (!tx->pipelined) {
        return;
    }
    if (tx->queued > 0 && !tx->broken) {
        pipe_sync(tx, NULL);
    }
    tx->pipelined = 0;
    if (tx->conn->pg != NULL && !tx->broken && PQexitPipelineMode(tx->conn->pg) == 1) {
        return;
    }
    store_pg_conn_close(tx->conn);
}

/* Rolls the open transaction back (the link may be gone). Out of the
** pipeline first: a ROLLBACK queued behind a failed statement would be
** skipped with it. */
static void writer_rollback(struct pg_tx *tx)
{
    writer_unpipe(tx);
    if (!store_pg_conn_lost(tx->conn)) {
        tx->round_trips++;
        store_pg_read_end(tx->conn); /* ROLLBACK */
    }
    /* What the writer learnt in the batch may be undone with it. */
    store_idcache_clear(&tx->st->idcache);
    tx->st->idcache_warm = 0;
}

/* Rolls back a batch of one request whose entries the writer already gave
** back (the request failed): the cache keeps what committed batches put. */
static void writer_rollback_one(struct pg_tx *tx)
{
    writer_unpipe(tx);
    if (!store_pg_conn_lost(tx->conn)) {
        tx->round_trips++;
        store_pg_read_end(tx->conn); /* ROLLBACK */
    }
    store_idcache_abort(&tx->st->idcache);
}

/* Runs every request of batch[0..n) in the open transaction; stops early
** when the fast run must give way to the careful one. */
static enum batch_end writer_requests(struct pg_tx *tx, struct pg_req **batch, size_t n,
                                      int careful)
{
    for (size_t i = 0; i < n && !tx->broken; i++) {
        int undo = writer_call(tx, batch[i], i, careful);
        if (careful || (!undo && !tx->queue_failed)) {
            continue;
        }
        if (n == 1 && !tx->queue_failed) {
            /* The batch is this request alone: rolling back undoes it, and
            ** there is nothing else to run again (a long list refused on
            ** its last row runs once, not twice) once nothing queued failed
            ** (a refusal may rest on a cached record a check disproves). */
            if (tx->pipelined && tx->queued > 0) {
                pipe_sync(tx, NULL);
            }
            if (!tx->queue_failed && !tx->broken) {
                writer_rollback_one(tx);
                return BATCH_FAILED;
            }
        }
        return tx->broken ? BATCH_RETRY : BATCH_CAREFUL;
    }
    return tx->broken ? BATCH_RETRY : BATCH_COMMITTED;
}

/* Writes the balances the batch changed and reads every queued result.
** The last request may have failed (its savepoint rolled back): that
** says nothing about the batch, and must not stop the write. A write
** that cannot be made breaks the batch, which then never commits. */
static void writer_flush(struct pg_tx *tx)
{
    struct pp_err scratch;
    pp_err_clear(&scratch);
    tx->failed = 0;
    tx->req = SIZE_MAX;
    enum pp_status status = store_pg_tx_balances_flush(tx, &scratch);
    if (status == PP_OK && tx->pipelined) {
        store_pg_tx_bulk_flush(tx);
    }
    if (status != PP_OK) {
        writer_broken(tx, status == PP_UNAVAILABLE ? PP_UNAVAILABLE : PP_INTERNAL);
    } else if (tx->pipelined) {
        pipe_sync(tx, NULL);
    }
}

/* Commits tx. A COMMIT the server refused rolled back (RETRY); one whose
** answer never came may have committed (UNKNOWN). */
static enum batch_end writer_commit(struct pg_tx *tx)
{
    uint64_t t0 = writer_ns();
    enum batch_end end = BATCH_COMMITTED;
    if (tx->pipelined) {
        PGresult *res = NULL;
        if (pipe_send(tx, PG_STMT_COUNT, "COMMIT", NULL, -1, "commit batch") == 0) {
            pipe_sync(tx, &res);
        }
        if (res != NULL && store_pg_fail_of(tx->conn, res) != PG_FAIL_NONE) {
            struct pp_err scratch;
            pp_err_clear(&scratch);
            writer_broken(tx, store_pg_fail(tx->conn, res, "commit batch", &scratch));
            end = BATCH_RETRY;
        } else if (res == NULL) {
            /* Skipped after a failed statement (rolled back), or no answer. */
            end = tx->broken ? BATCH_UNKNOWN : BATCH_CAREFUL;
        }
        PQclear(res);
    } else if (writer_exec(tx, "COMMIT", "commit batch") != PP_OK) {
        end = store_pg_conn_lost(tx->conn) ? BATCH_UNKNOWN : BATCH_RETRY;
    }
    if (end == BATCH_UNKNOWN && !store_pg_conn_lost(tx->conn)) {
        /* The link is in an unknown state: start afresh. */
        store_pg_conn_close(tx->conn);
    }
    tx->st->profile.commit_ns += writer_ns() - t0;
    return end;
}

/* Counts tx's round trips in the profile and the server's metrics. */
static void writer_count_trips(struct store_pg *st, const struct pg_tx *tx)
{
    st->profile.round_trips += tx->round_trips;
    pp_metrics_round_trips_add(tx->round_trips);
}

/* Runs batch[0..*n) as one transaction, fast (pipelined) or carefully;
** a fast run may grow the batch up to max requests (writer_grow). */
static enum batch_end writer_run(struct store_pg *st, struct pg_req **batch, size_t *n, size_t max,
                                 int careful, enum pp_status *status_out)
{
    /* About 16 KiB (the queue): kept off the stack, one per writer thread. */
    static __thread struct pg_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.st = st;
    tx.conn = &st->writer;
    struct pp_err scratch;
    pp_err_clear(&scratch);
    *status_out = writer_connect(st, &scratch);
    if (*status_out != PP_OK) {
        return BATCH_FAILED;
    }
    st->batch_no++;
    store_pg_bulk_reset(st);
    if (!careful && PQenterPipelineMode(st->writer.pg) == 1) {
        tx.pipelined = 1;
    }
    writer_begin(&tx, batch, n, careful ? *n : max);
    if (tx.pipelined && !tx.broken && !st->idcache_warm &&
        store_pg_tx_cache_warm(&tx, &scratch) == PP_OK) {
        st->idcache_warm = 1;
    }
    enum batch_end end = tx.broken ? BATCH_RETRY : writer_requests(&tx, batch, *n, careful);
    if (end == BATCH_COMMITTED) {
        writer_flush(&tx);
    }
    if (end == BATCH_COMMITTED && tx.queue_failed && !tx.broken) {
        end = BATCH_CAREFUL;
    }
    if (end == BATCH_COMMITTED && !tx.broken) {
        end = writer_commit(&tx);
        if (end == BATCH_COMMITTED) {
            writer_unpipe(&tx);
            store_pg_balances_ahead_note(st, &tx);
            size_t cached = store_idcache_mark(&st->idcache);
            store_idcache_commit(&st->idcache);
            if (cached > 0 && store_idcache_mark(&st->idcache) == 0) {
                st->idcache_warm = 0; /* it was full and emptied itself */
            }
            writer_count_trips(st, &tx);
            return BATCH_COMMITTED;
        }
    }
    writer_count_trips(st, &tx);
    /* Whatever failed, the batch run again reads no balance ahead. */
    st->balances_ahead_count = 0;
    if (end == BATCH_FAILED) {
        return BATCH_COMMITTED; /* n == 1, rolled back: the request has its answer */
    }
    *status_out = tx.broken_status != PP_OK ? tx.broken_status : PP_INTERNAL;
    writer_rollback(&tx);
    if (end == BATCH_UNKNOWN) {
        store_pg_conn_close(&st->writer);
        return BATCH_UNKNOWN;
    }
    if (store_pg_conn_lost(&st->writer)) {
        /* Before COMMIT: the server rolled back when the link went. */
        store_pg_conn_close(&st->writer);
        return BATCH_RETRY;
    }
    if (end == BATCH_CAREFUL) {
        return BATCH_CAREFUL;
    }
    return *status_out == PP_UNAVAILABLE ? BATCH_RETRY : BATCH_FAILED;
}

/* Fails every request of a batch that was rolled back. */
static void writer_fail(struct pg_req **batch, size_t n, enum pp_status status)
{
    for (size_t i = 0; i < n; i++) {
        batch[i]->status = status;
        pp_err_clear(&batch[i]->err);
        pp_err_set(&batch[i]->err, status, BATCH_FAILED_MESSAGE);
    }
}

/* Runs the batch fast, and carefully when the fast run is void (with
** what the fast run grew it by). */
static enum batch_end writer_attempt(struct store_pg *st, struct pg_req **batch, size_t *n,
                                     size_t max, enum pp_status *status)
{
    enum batch_end end = writer_run(st, batch, n, max, 0, status);
    if (end == BATCH_CAREFUL) {
        st->profile.careful++;
        end = writer_run(st, batch, n, *n, 1, status);
    }
    return end;
}

/* Runs batch[0..*n), which may grow up to max requests on its first run
** (*n then says how many it holds). */
static void writer_batch(struct store_pg *st, struct pg_req **batch, size_t *n, size_t max)
{
    enum pp_status status = PP_OK;
    uint64_t t0 = writer_ns();
    enum batch_end end = writer_attempt(st, batch, n, max, &status);
    uint64_t t1 = writer_ns();
    st->profile.batches++;
    st->profile.requests += *n;
    st->profile.total_ns += t1 - t0;
    pp_metrics_batch_observe(*n, (double)(t1 - t0) / 1e9);
    if (end == BATCH_RETRY) {
        pp_log(PP_LOG_WARN, "store: a batch of %zu writes is run again", *n);
        end = writer_attempt(st, batch, n, *n, &status);
    }
    if (end == BATCH_RETRY && *n > 1) {
        pp_log(PP_LOG_WARN, "store: a batch of %zu writes is split", *n);
        for (size_t i = 0; i < *n; i++) {
            size_t one = 1;
            writer_batch(st, &batch[i], &one, 1);
        }
        return;
    }
    if (end != BATCH_COMMITTED) {
        pp_log(PP_LOG_ERROR, "store: a batch of %zu writes %s", *n,
               end == BATCH_UNKNOWN ? "lost its link while committing" : "was rolled back");
        writer_fail(batch, *n, end == BATCH_UNKNOWN ? PP_UNAVAILABLE : status);
    }
}

static void *writer_main(void *arg)
{
    struct store_pg *st = arg;
    struct store_queue_item *items[PP_WRITER_BATCH_MAX];
    struct pg_req *batch[PP_WRITER_BATCH_MAX];
    store_queue_writer_signals();
    for (;;) {
        size_t n = store_queue_take(&st->queue, items, PP_WRITER_BATCH_MAX);
        if (n == 0) {
            break;
        }
        for (size_t i = 0; i < n; i++) {
            batch[i] = (struct pg_req *)(void *)items[i]; /* item is first */
        }
        writer_batch(st, batch, &n, PP_WRITER_BATCH_MAX);
        for (size_t i = 0; i < n; i++) {
            items[i] = &batch[i]->item; /* with the requests that joined it */
        }
        store_queue_finish(items, n);
    }
    return NULL;
}

enum pp_status store_pg_writer_start(struct store_pg *st, struct pp_err *err)
{
    return store_queue_start(&st->queue, writer_main, st, err);
}

void store_pg_writer_stop(struct store_pg *st)
{
    if (!st->queue.started) {
        return;
    }
    store_queue_stop(&st->queue);
    const struct pg_writer_profile *pr = &st->profile;
    if (pr->batches > 0) {
        double batches = (double)pr->batches;
        pp_log(PP_LOG_INFO,
               "store: writer profile: %llu batches, %llu requests (%.1f per batch, %llu of "
               "them taken once the lock row was held), %.2f round trips per request; per "
               "batch %.2f ms to begin (the lock row's wait included), %.2f ms to commit, "
               "%.2f ms in all; %llu run again carefully",
               (unsigned long long)pr->batches, (unsigned long long)pr->requests,
               (double)pr->requests / batches, (unsigned long long)pr->joined,
               (double)pr->round_trips / (double)(pr->requests ? pr->requests : 1),
               (double)pr->lock_ns / 1e6 / batches, (double)pr->commit_ns / 1e6 / batches,
               (double)pr->total_ns / 1e6 / batches, (unsigned long long)pr->careful);
    }
    store_idcache_clear(&st->idcache);
    st->idcache_warm = 0;
    store_pg_bulk_free(st);
    store_pg_recipients_ahead_free(st);
}

enum pp_status store_pg_write(struct store_pg *st, store_pg_write_fn fn, void *arg,
                              struct pp_err *err)
{
    PP_ASSERT(st != NULL && fn != NULL);
    struct pg_req req;
    memset(&req, 0, sizeof req);
    req.fn = fn;
    req.arg = arg;
    req.guard = store_write_guard_pending();
    req.recipients = store_write_recipients_pending();
    req.status = PP_INTERNAL;
    enum pp_status status = store_queue_submit(&st->queue, &req.item, err);
    if (status == PP_OK) {
        status = req.status;
        if (status != PP_OK) {
            pp_err_set(err, status, "%s", req.err.message);
        }
    }
    return status;
}
