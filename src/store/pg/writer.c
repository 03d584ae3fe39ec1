/*
** This module implements the PostgreSQL backend's writer: one thread and
** one connection per node (per process). Callers queue a request and
** sleep; the writer takes whatever is queued (up to PP_WRITER_BATCH_MAX),
** runs it as ONE transaction, commits once (one WAL flush for the batch)
** and only then wakes each caller with its own result. Several nodes each
** run their own writer on the one database; their transactions meet on
** row locks (balance rows, taken in a fixed order by the operations) and
** unique keys (INSERT ... ON CONFLICT), never on advisory locks.
**
** Isolation of requests: the batch first runs without savepoints. A
** request that fails without having changed a row and without a failed
** statement needs no undo. One that changed rows, or whose statement
** failed (PostgreSQL then aborts the transaction), cannot be undone alone:
** the writer rolls back and runs the batch again with one savepoint per
** request, rolling a failed one back to its savepoint. Callbacks are
** written to be run again (store.h).
**
** Failure rules: a failure that is not the request's own (a lost link, a
** shutdown, a serialization failure, a deadlock with another node's
** writer, a lock timeout) rolls back the batch, which is run once more;
** if it fails again it is split, one request per transaction, so one bad
** request never fails its neighbours. A link lost during COMMIT leaves the
** outcome unknown: nothing is retried then, and every request of the
** batch answers PP_UNAVAILABLE (a client retries with its Idempotency-Key,
** which tells whether its first try committed). The connection reconnects
** by itself on the next batch.
**
** It does not know any table; callbacks do the work through
** store_pg_tx_run.
*/
#include <errno.h>
#include <signal.h>
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
    {PG_STMT_COUNT, NULL, 0},
};

/* How a batch ended. */
enum batch_end {
    BATCH_COMMITTED,
    BATCH_RETRY,   /* rolled back by a failure that is not a request's: may run again */
    BATCH_FAILED,  /* rolled back for good (status in the requests) */
    BATCH_UNKNOWN, /* the link was lost during COMMIT */
};

enum pp_status store_pg_tx_run(struct pg_tx *tx, enum pg_stmt id, const struct pg_params *p,
                               PGresult **res_out, enum pg_fail *fail_out, const char *what,
                               struct pp_err *err)
{
    PP_ASSERT(tx != NULL && tx->conn == &tx->st->writer);
    PP_ASSERT(pthread_equal(pthread_self(), tx->st->thread));
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
    enum pp_status status = store_pg_run(tx->conn, id, p, &res, &fail, what, err);
    if (fail == PG_FAIL_CONSTRAINT || fail == PG_FAIL_UNIQUE) {
        tx->failed = 1;
        if (fail_out == NULL) {
            /* Nobody expected a refusal here: a bug or a broken schema. */
            pp_log(PP_LOG_ERROR, "store: %s was refused by the schema", what);
            status = pp_err_set(err, PP_INTERNAL, "storage error");
        }
    } else if (fail != PG_FAIL_NONE) {
        tx->failed = 1;
        tx->broken = 1;
        tx->broken_status = status;
    } else {
        const char *tuples = PQcmdTuples(res);
        if (tuples[0] != '\0' && strncmp(PQcmdStatus(res), "SELECT", 6) != 0) {
            tx->changes += strtoll(tuples, NULL, 10);
        }
    }
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

/* Runs sql on the writer's connection; marks tx broken when it fails. */
static enum pp_status writer_exec(struct pg_tx *tx, const char *sql, const char *what)
{
    struct pp_err scratch;
    pp_err_clear(&scratch);
    enum pp_status status = store_pg_run_sql(tx->conn, sql, NULL, NULL, NULL, what, &scratch);
    if (status != PP_OK) {
        tx->broken = 1;
        tx->broken_status = status;
    }
    return status;
}

/* Runs one request (in a savepoint when careful). Returns 1 when a fast
** run left something only a rollback can undo, else 0. */
static int writer_call(struct pg_tx *tx, struct pg_req *req, int careful)
{
    pp_err_clear(&req->err);
    tx->failed = 0;
    tx->changes = 0;
    if (careful && writer_exec(tx, "SAVEPOINT w", "savepoint") != PP_OK) {
        return 0;
    }
    enum pp_status status = req->fn(tx, req->arg, &req->err);
    if (status == PP_OK && tx->failed) {
        /* A callback must not go on past a failed statement. */
        pp_log(PP_LOG_ERROR, "store: a write went on after a failed statement");
        status = pp_err_set(&req->err, PP_INTERNAL, "storage error");
    }
    if (status == PP_OK) {
        pp_err_clear(&req->err);
    } else if (req->err.status == PP_OK) {
        pp_err_set(&req->err, status, "the change was refused");
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

/* Opens the batch's transaction and takes the lock row: the writers of
** every node take turns, one batch at a time. */
static void writer_begin(struct pg_tx *tx)
{
    if (writer_exec(tx, "BEGIN", "begin batch") == PP_OK) {
        struct pp_err scratch;
        pp_err_clear(&scratch);
        enum pp_status status = store_pg_run(tx->conn, PG_STMT_WRITE_LOCK, NULL, NULL, NULL,
                                             "taking the lock row", &scratch);
        if (status != PP_OK) {
            tx->broken = 1;
            tx->broken_status = status;
        }
    }
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

/* Runs batch[0..n) as one transaction. */
static enum batch_end writer_run(struct store_pg *st, struct pg_req **batch, size_t n,
                                 enum pp_status *status_out)
{
    struct pg_tx tx = {.st = st, .conn = &st->writer};
    struct pp_err scratch;
    pp_err_clear(&scratch);
    *status_out = writer_connect(st, &scratch);
    if (*status_out != PP_OK) {
        return BATCH_FAILED;
    }
    int careful = 0;
    size_t ran = 0;
    writer_begin(&tx);
    while (ran < n && !tx.broken) {
        if (writer_call(&tx, batch[ran], careful)) {
            if (n == 1) {
                /* The batch is this request alone: rolling back undoes it,
                ** and there is nothing else to run again (a long list
                ** refused on its last row runs once, not twice). */
                writer_exec(&tx, "ROLLBACK", "rollback");
                return tx.broken ? BATCH_RETRY : BATCH_COMMITTED;
            }
            /* A refused request left rows behind: start over, carefully. */
            careful = 1;
            ran = 0;
            writer_exec(&tx, "ROLLBACK", "rollback");
            writer_begin(&tx);
            continue;
        }
        ran++;
    }
    if (!tx.broken && writer_exec(&tx, "COMMIT", "commit batch") == PP_OK) {
        return BATCH_COMMITTED;
    }
    *status_out = tx.broken_status != PP_OK ? tx.broken_status : PP_INTERNAL;
    if (store_pg_conn_lost(&st->writer)) {
        /* Whether a COMMIT reached the server is unknown; earlier, the
        ** server rolled back when the link went. */
        store_pg_conn_close(&st->writer);
        return ran == n ? BATCH_UNKNOWN : BATCH_RETRY;
    }
    store_pg_read_end(&st->writer); /* ROLLBACK */
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

static void writer_batch(struct store_pg *st, struct pg_req **batch, size_t n)
{
    enum pp_status status = PP_OK;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    enum batch_end end = writer_run(st, batch, n, &status);
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    pp_metrics_batch_observe(n, (double)(t1.tv_sec - t0.tv_sec) +
                                    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    if (end == BATCH_RETRY) {
        pp_log(PP_LOG_WARN, "store: a batch of %zu writes is run again", n);
        end = writer_run(st, batch, n, &status);
    }
    if (end == BATCH_RETRY && n > 1) {
        pp_log(PP_LOG_WARN, "store: a batch of %zu writes is split", n);
        for (size_t i = 0; i < n; i++) {
            writer_batch(st, &batch[i], 1);
        }
        return;
    }
    if (end != BATCH_COMMITTED) {
        pp_log(PP_LOG_ERROR, "store: a batch of %zu writes %s", n,
               end == BATCH_UNKNOWN ? "lost its link while committing" : "was rolled back");
        writer_fail(batch, n, end == BATCH_UNKNOWN ? PP_UNAVAILABLE : status);
    }
}

static size_t writer_take(struct store_pg *st, struct pg_req **batch)
{
    size_t n = 0;
    PP_ASSERT(pthread_mutex_lock(&st->queue_mu) == 0);
    while (st->head == NULL && !st->stopping) {
        pthread_cond_wait(&st->queue_cv, &st->queue_mu);
    }
    while (st->head != NULL && n < PP_WRITER_BATCH_MAX) {
        batch[n++] = st->head;
        st->head = st->head->next;
    }
    if (st->head == NULL) {
        st->tail = NULL;
    }
    pthread_mutex_unlock(&st->queue_mu);
    return n;
}

static void *writer_main(void *arg)
{
    struct store_pg *st = arg;
    struct pg_req *batch[PP_WRITER_BATCH_MAX];
    static const int quiet[] = {SIGINT,  SIGTERM, SIGHUP,  SIGQUIT, SIGUSR1,
                                SIGUSR2, SIGPIPE, SIGALRM, SIGCHLD};
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < sizeof quiet / sizeof quiet[0]; i++) {
        sigaddset(&set, quiet[i]);
    }
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    for (;;) {
        size_t n = writer_take(st, batch);
        if (n == 0) {
            break;
        }
        writer_batch(st, batch, n);
        for (size_t i = 0; i < n; i++) {
            PP_ASSERT(sem_post(&batch[i]->done) == 0);
        }
    }
    return NULL;
}

enum pp_status store_pg_writer_start(struct store_pg *st, struct pp_err *err)
{
    PP_ASSERT(!st->thread_started);
    enum pp_status status = PP_OK;
    PP_ASSERT(pthread_mutex_lock(&st->queue_mu) == 0);
    int rc = pthread_create(&st->thread, NULL, writer_main, st);
    if (rc == 0) {
        st->thread_started = 1;
    } else {
        pp_log(PP_LOG_ERROR, "store: cannot start the writer thread: %s", strerror(rc));
        status = pp_err_set(err, PP_INTERNAL, "storage error");
    }
    pthread_mutex_unlock(&st->queue_mu);
    return status;
}

void store_pg_writer_stop(struct store_pg *st)
{
    if (!st->thread_started) {
        return;
    }
    PP_ASSERT(pthread_mutex_lock(&st->queue_mu) == 0);
    st->stopping = 1;
    pthread_cond_signal(&st->queue_cv);
    pthread_mutex_unlock(&st->queue_mu);
    PP_ASSERT(pthread_join(st->thread, NULL) == 0);
    st->thread_started = 0;
}

enum pp_status store_pg_write(struct store_pg *st, store_pg_write_fn fn, void *arg,
                              struct pp_err *err)
{
    PP_ASSERT(st != NULL && fn != NULL);
    PP_ASSERT(!(st->thread_started && pthread_equal(pthread_self(), st->thread)));
    struct pg_req req;
    memset(&req, 0, sizeof req);
    req.fn = fn;
    req.arg = arg;
    req.status = PP_INTERNAL;
    PP_ASSERT(sem_init(&req.done, 0, 0) == 0);
    enum pp_status status = PP_OK;
    PP_ASSERT(pthread_mutex_lock(&st->queue_mu) == 0);
    if (st->stopping || !st->thread_started) {
        pthread_mutex_unlock(&st->queue_mu);
        status = pp_err_set(err, PP_UNAVAILABLE, "storage is shutting down");
        goto done;
    }
    if (st->tail != NULL) {
        st->tail->next = &req;
    } else {
        st->head = &req;
    }
    st->tail = &req;
    pthread_cond_signal(&st->queue_cv);
    pthread_mutex_unlock(&st->queue_mu);
    while (sem_wait(&req.done) != 0) {
        PP_ASSERT(errno == EINTR);
    }
    status = req.status;
    if (status != PP_OK) {
        pp_err_set(err, status, "%s", req.err.message);
    }
done:
    sem_destroy(&req.done);
    return status;
}
