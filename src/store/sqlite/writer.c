/*
** This module implements store_sqlite_write and the group-commit writer thread.
** Callers queue a request and sleep; the writer takes whatever is queued
** (up to PP_WRITER_BATCH_MAX), runs it in one BEGIN IMMEDIATE transaction,
** commits once (synchronous=FULL, so one fsync per batch) and only then
** wakes each caller with its own result. The queue, the thread and the
** wake-ups are the store's writer queue (src/store/queue.c, shared with
** the PostgreSQL writer); this file is what a batch does.
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
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "payout/base/assert.h"
#include "payout/base/log.h"
#include "payout/base/metrics.h"
#include "store/sqlite/internal.h"

#define BATCH_FAILED_MESSAGE "storage failure; nothing was written"

/* PP_OK when req has no guard or its guard holds on the settings as this
** transaction sees them; else the refusal (or the failed read) in req. */
static enum pp_status writer_guard(struct store_sqlite_tx *tx, struct store_req *req)
{
    struct store_write_guard *g = req->guard;
    char values[STORE_GUARD_KEYS_MAX][STORE_GUARD_VALUE_BYTES];
    struct store_setting_read reads[STORE_GUARD_KEYS_MAX];
    enum pp_status status = PP_OK;
    if (g == NULL) {
        return PP_OK;
    }
    for (size_t i = 0; i < g->count && status == PP_OK; i++) {
        reads[i] = (struct store_setting_read){
            .key = g->keys[i], .out = values[i], .out_size = sizeof values[i]};
        status = store_sqlite_tx_setting_get(tx, g->keys[i], values[i], sizeof values[i],
                                             &reads[i].found, &req->err);
    }
    if (status == PP_OK && !store_write_guard_apply(g, reads, &req->err)) {
        status = PP_UNAUTHORIZED;
    }
    return status;
}

/* Runs one request's callback and records its result. Returns 1 when it
** failed after changing rows (only a rollback can undo those), else 0. */
static int writer_call(struct store_sqlite_tx *tx, struct store_req *req)
{
    struct store_conn *c = tx->conn;
    sqlite3_int64 changes_before = sqlite3_total_changes64(c->db);
    uint64_t balances_before = tx->st->balance_changes;
    enum pp_status status = writer_guard(tx, req);
    if (status == PP_OK) {
        status = req->fn(tx, req->arg, &req->err);
    }
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

static void *writer_main(void *arg)
{
    struct store_sqlite *st = arg;
    struct store_queue_item *items[PP_WRITER_BATCH_MAX];
    struct store_req *batch[PP_WRITER_BATCH_MAX];
    store_queue_writer_signals();
    for (;;) {
        size_t n = store_queue_take(&st->queue, items, PP_WRITER_BATCH_MAX);
        if (n == 0) {
            break;
        }
        for (size_t i = 0; i < n; i++) {
            batch[i] = (struct store_req *)(void *)items[i]; /* item is first */
        }
        st->outbox_added = 0;
        writer_run_batch(st, batch, n);
        /* Counted before any of them is answered (db.c: the readers). */
        atomic_fetch_add_explicit(&st->batches_done, 1, memory_order_release);
        store_queue_finish(items, n);
        /* After the commit: the outbox's workers find what it added. */
        if (st->outbox_added && st->outbox_wake != NULL) {
            st->outbox_wake(st->outbox_wake_ctx);
        }
    }
    return NULL;
}

enum pp_status store_writer_start(struct store_sqlite *st, struct pp_err *err)
{
    return store_queue_start(&st->queue, writer_main, st, err);
}

void store_writer_stop(struct store_sqlite *st)
{
    store_queue_stop(&st->queue);
}

enum pp_status store_sqlite_write(struct store_sqlite *st, store_sqlite_tx_fn fn, void *arg,
                                  struct pp_err *err)
{
    PP_ASSERT(st != NULL && fn != NULL);
    struct store_req req;
    memset(&req, 0, sizeof req);
    req.fn = fn;
    req.arg = arg;
    req.guard = store_write_guard_pending();
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
