/*
** This module implements store_sqlite_write and the group-commit writer thread.
** Callers queue a request and sleep; the writer takes whatever is queued
** (up to PP_WRITER_BATCH_MAX), runs it in one BEGIN IMMEDIATE transaction,
** commits once (synchronous=FULL, so one fsync per batch) and only then
** wakes each caller with its own result.
**
** Isolation of requests: a request whose callback fails leaves nothing
** and its neighbours carry on. The writer first runs a batch without
** savepoints, because a savepoint makes SQLite copy every page a request
** touches into its sub-journal (about 20 pages per payout create, which
** was most of the writer's time). A callback that fails without having
** changed a row needs no undo. One that fails after changing rows cannot
** be undone alone, so the writer rolls the whole transaction back and
** runs the batch again from the start with one savepoint per request
** (careful mode), where a failed request is rolled back to its savepoint.
** Callbacks are therefore written to be run again (store.h).
**
** Failure rules: a storage-level failure inside the batch (any SQLite
** error that is not a plain constraint refusal), a failed savepoint
** statement, a transaction SQLite rolled back by itself, or a failed
** COMMIT rolls back the whole batch: every request that had succeeded is
** then told nothing was written. All or nothing, never part.
**
** It does not know any table; the steps of writes.c do the work through
** the store_sqlite_tx_* steps.
*/
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "payout/base/assert.h"
#include "payout/base/log.h"
#include "payout/base/metrics.h"
#include "store/sqlite/internal.h"

#define BATCH_FAILED_MESSAGE "storage failure; nothing was written"

/* Waits for work and moves up to PP_WRITER_BATCH_MAX requests into batch.
** Returns how many; 0 once the store is stopping and the queue is empty. */
static size_t writer_take(struct store_sqlite *st, struct store_req **batch)
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

/* Runs one request's callback and records its result. Returns 1 when it
** failed after changing rows (only a rollback can undo those), else 0. */
static int writer_call(struct store_sqlite_tx *tx, struct store_req *req)
{
    struct store_conn *c = tx->conn;
    sqlite3_int64 changes_before = sqlite3_total_changes64(c->db);
    uint64_t balances_before = tx->st->balance_changes;
    enum pp_status status = req->fn(tx, req->arg, &req->err);
    if (status == PP_OK) {
        pp_err_clear(&req->err);
    } else if (req->err.status == PP_OK) {
        pp_err_set(&req->err, status, "the change was refused");
    }
    req->status = status;
    if (c->broken || sqlite3_get_autocommit(c->db)) {
        /* The callback hit a storage failure (or SQLite ended the
        ** transaction); only a rollback of the whole batch is safe. */
        c->broken = 1;
        return 0;
    }
    return status != PP_OK && (sqlite3_total_changes64(c->db) != changes_before ||
                               tx->st->balance_changes != balances_before);
}

/* Careful mode: runs one request inside its own savepoint and rolls a
** failed one back to it. c->broken says the batch is lost. */
static void writer_run_one(struct store_sqlite_tx *tx, struct store_req *req)
{
    struct store_conn *c = tx->conn;
    struct store_batch_mark mark;
    pp_err_clear(&req->err);
    store_sqlite_batch_mark(tx->st, &mark);
    req->status = store_q_exec(c, STORE_STMT_SAVEPOINT, "SAVEPOINT w", "savepoint", &req->err);
    if (req->status != PP_OK) {
        c->broken = 1;
        goto done;
    }
    (void)writer_call(tx, req);
    if (c->broken) {
        goto done;
    }
    struct pp_err scratch;
    pp_err_clear(&scratch);
    if (req->status != PP_OK && store_q_exec(c, STORE_STMT_ROLLBACK_TO, "ROLLBACK TO w",
                                             "rollback to", &scratch) != PP_OK) {
        c->broken = 1;
        goto done;
    }
    if (req->status != PP_OK) {
        store_sqlite_batch_undo(tx->st, &mark);
    }
    if (store_q_exec(c, STORE_STMT_RELEASE, "RELEASE w", "release", &scratch) != PP_OK) {
        c->broken = 1;
    }
done:
    if (c->broken && c->broken_status == PP_OK) {
        c->broken_status = PP_INTERNAL;
    }
}

/* Fast mode: runs one request without a savepoint. Returns 1 when the
** batch must start again in careful mode. */
static int writer_run_fast(struct store_sqlite_tx *tx, struct store_req *req)
{
    struct store_conn *c = tx->conn;
    pp_err_clear(&req->err);
    int undo = writer_call(tx, req);
    if (c->broken && c->broken_status == PP_OK) {
        c->broken_status = PP_INTERNAL;
    }
    return undo;
}

/* Ends a failed batch: rolls back and fails every request that had
** succeeded, that broke the batch, or that never ran. Requests before
** batch[keep] whose callback failed keep their answer: it is true, and
** nothing of theirs was written either. */
static void writer_fail_batch(struct store_sqlite *st, struct store_req **batch, size_t n,
                              size_t keep, enum pp_status status)
{
    struct store_conn *c = &st->writer;
    c->in_batch = 0;
    store_sqlite_batch_end(st, 0);
    if (!sqlite3_get_autocommit(c->db)) {
        store_q_exec(c, STORE_STMT_ROLLBACK, "ROLLBACK", "rollback", NULL);
    }
    if (!sqlite3_get_autocommit(c->db)) {
        /* Cannot happen short of a SQLite bug; the next BEGIN would fail. */
        pp_log(PP_LOG_ERROR, "store: the writer's transaction could not be rolled back");
    }
    for (size_t i = 0; i < n; i++) {
        if (i >= keep || batch[i]->status == PP_OK) {
            batch[i]->status = status;
            pp_err_clear(&batch[i]->err);
            pp_err_set(&batch[i]->err, status, BATCH_FAILED_MESSAGE);
        }
    }
    pp_log(PP_LOG_ERROR, "store: a batch of %zu writes was rolled back", n);
}

/* Opens the batch transaction (rolling back a leftover one first). */
static enum pp_status writer_begin(struct store_sqlite *st, struct pp_err *err)
{
    struct store_conn *c = &st->writer;
    store_sqlite_batch_begin(st);
    c->broken = 0;
    c->broken_status = PP_OK;
    if (!sqlite3_get_autocommit(c->db)) {
        store_q_exec(c, STORE_STMT_ROLLBACK, "ROLLBACK", "rollback", NULL);
    }
    enum pp_status status =
        store_q_exec(c, STORE_STMT_BEGIN_IMMEDIATE, "BEGIN IMMEDIATE", "begin batch", err);
    c->in_batch = status == PP_OK;
    return status;
}

static void writer_run_batch(struct store_sqlite *st, struct store_req **batch, size_t n)
{
    struct store_conn *c = &st->writer;
    struct store_sqlite_tx tx = {.st = st, .conn = c};
    struct pp_err scratch;
    pp_err_clear(&scratch);
    size_t ran = 0;
    int careful = 0;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    enum pp_status status = writer_begin(st, &scratch);
    if (status != PP_OK) {
        goto done;
    }
    while (ran < n && !c->broken) {
        if (careful) {
            writer_run_one(&tx, batch[ran]);
        } else if (writer_run_fast(&tx, batch[ran])) {
            /* A refused request left rows behind: start over, carefully.
            ** Happens at most once per batch. */
            careful = 1;
            ran = 0;
            c->in_batch = 0;
            store_q_exec(c, STORE_STMT_ROLLBACK, "ROLLBACK", "rollback", NULL);
            status = writer_begin(st, &scratch);
            if (status != PP_OK) {
                goto done;
            }
            continue;
        }
        ran++;
    }
    if (c->broken) {
        c->in_batch = 0;
        ran--; /* the request that broke the batch answers for the batch */
        status = (enum pp_status)c->broken_status;
        goto done;
    }
    /* The batch's balances, once each; failing here fails every request. */
    status = store_sqlite_batch_flush(&tx, &scratch);
    c->in_batch = 0;
    if (status == PP_OK) {
        status = store_q_exec(c, STORE_STMT_COMMIT, "COMMIT", "commit batch", &scratch);
    }
    if (status == PP_OK) {
        store_sqlite_batch_end(st, 1);
    }
done:
    c->in_batch = 0;
    if (status != PP_OK) {
        writer_fail_batch(st, batch, n, ran, status);
    }
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    pp_metrics_batch_observe(n, (double)(t1.tv_sec - t0.tv_sec) +
                                    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
}

/* Wakes the callers of the batch as a binary tree: the writer posts only
** the first, and each woken caller posts the two it was given (in
** store_sqlite_write) before it carries on. The writer then spends one
** wake-up per batch instead of one per request (a futex call that was
** ~10% of its time with 64 callers), and the wake-ups of a batch run on the
** callers' threads, 6 levels deep for 64. Every wake[] is set before the
** first post: once done is posted, the request may vanish (it lives on its
** caller's stack), so the writer does not touch it again. */
static void writer_finish(struct store_req **batch, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t left = 2 * i + 1;
        batch[i]->wake[0] = left < n ? batch[left] : NULL;
        batch[i]->wake[1] = left + 1 < n ? batch[left + 1] : NULL;
    }
    if (n > 0) {
        PP_ASSERT(sem_post(&batch[0]->done) == 0);
    }
}

static void *writer_main(void *arg)
{
    struct store_sqlite *st = arg;
    struct store_req *batch[PP_WRITER_BATCH_MAX];
    /* Shutdown and other process signals are for the server's own threads;
    ** the writer only commits. (Faults stay unblocked so they still report.) */
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
        st->outbox_added = 0;
        writer_run_batch(st, batch, n);
        writer_finish(batch, n);
        /* After the commit: the outbox's workers find what it added. */
        if (st->outbox_added && st->outbox_wake != NULL) {
            st->outbox_wake(st->outbox_wake_ctx);
        }
    }
    return NULL;
}

enum pp_status store_writer_start(struct store_sqlite *st, struct pp_err *err)
{
    PP_ASSERT(!st->thread_started);
    enum pp_status status = PP_OK;
    /* Held so that a reader of thread_started also sees thread set. */
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

void store_writer_stop(struct store_sqlite *st)
{
    if (!st->thread_started) {
        return;
    }
    PP_ASSERT(!pthread_equal(pthread_self(), st->thread));
    PP_ASSERT(pthread_mutex_lock(&st->queue_mu) == 0);
    st->stopping = 1;
    pthread_cond_signal(&st->queue_cv);
    pthread_mutex_unlock(&st->queue_mu);
    PP_ASSERT(pthread_join(st->thread, NULL) == 0);
    st->thread_started = 0;
}

enum pp_status store_sqlite_write(struct store_sqlite *st, store_sqlite_tx_fn fn, void *arg,
                                  struct pp_err *err)
{
    PP_ASSERT(st != NULL && fn != NULL);
    /* The writer waiting for itself would deadlock. */
    PP_ASSERT(!(st->thread_started && pthread_equal(pthread_self(), st->thread)));
    struct store_req req;
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
    /* The writer posts exactly once; EINTR (a signal) just waits again. */
    while (sem_wait(&req.done) != 0) {
        PP_ASSERT(errno == EINTR);
    }
    /* Our part of waking the batch (writer_finish); a woken request may
    ** vanish at once, so each is posted and then left alone. */
    for (int i = 0; i < 2; i++) {
        if (req.wake[i] != NULL) {
            PP_ASSERT(sem_post(&req.wake[i]->done) == 0);
        }
    }
    status = req.status;
    if (status != PP_OK) {
        pp_err_set(err, status, "%s", req.err.message);
    }
done:
    sem_destroy(&req.done);
    return status;
}
