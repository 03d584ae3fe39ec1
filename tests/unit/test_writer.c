/*
** This module tests the SQLite store's group-commit writer (src/store/sqlite/writer.c)
** against real databases: writes from many threads under concurrency,
** callbacks that fail midway and batches that fail whole, read-your-writes,
** a write from inside the writer, and batching against one transaction per
** write.
**
** Assertions run on the test's own threads only: callbacks run on the
** writer thread, so they record what they saw and the test checks later.
*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "payout/sec/secrets.h"
#include "payout/store/store.h"
#include "store/sqlite/internal.h"
#include "store/sqlite/migrations.h"
#include "support/store_fixture.h"
#include "support/tmpdir.h"

/* --- Group commit under concurrency ------------------------------------------------- */

#define GC_THREADS 8
#define GC_WRITES 200

struct gc_thread {
    struct store *st;
    int t;
    int ok;
    int failed;
    int wrong; /* results that contradict what the callback did */
};

struct gc_arg {
    char key[32];
    int fail_after;
};

/* Writes a setting and deposits 1 EUR cent, then maybe refuses. */
static enum pp_status cb_gc(struct store_sqlite_tx *tx, void *arg, struct pp_err *err)
{
    struct gc_arg *a = arg;
    struct pp_movement m = movement("EUR", PP_LEDGER_DEPOSIT, 1, 0);
    enum pp_status s = store_sqlite_tx_setting_put(tx, a->key, "1", err);
    if (s == PP_OK) {
        s = store_sqlite_tx_funds_move(tx, &m, NULL, err);
    }
    if (s == PP_OK && a->fail_after) {
        s = pp_err_set(err, PP_INVALID_PARAMS, "refused after writing");
    }
    return s;
}

static void *gc_main(void *p)
{
    struct gc_thread *g = p;
    for (int i = 0; i < GC_WRITES; i++) {
        struct gc_arg a = {.fail_after = (i % 5) == 3};
        snprintf(a.key, sizeof a.key, "gc-%d-%d", g->t, i);
        struct pp_err err;
        pp_err_clear(&err);
        enum pp_status s = fx_write(g->st, cb_gc, &a, &err);
        if (s == PP_OK && !a.fail_after) {
            g->ok++;
        } else if (s == PP_INVALID_PARAMS && a.fail_after &&
                   strcmp(err.message, "refused after writing") == 0) {
            g->failed++;
        } else {
            g->wrong++;
        }
    }
    return NULL;
}

static void test_group_commit(void **state)
{
    struct fx *fx = *state;
    pthread_t th[GC_THREADS];
    struct gc_thread g[GC_THREADS];
    for (int t = 0; t < GC_THREADS; t++) {
        g[t] = (struct gc_thread){.st = fx->st, .t = t};
        assert_int_equal(pthread_create(&th[t], NULL, gc_main, &g[t]), 0);
    }
    int ok = 0;
    for (int t = 0; t < GC_THREADS; t++) {
        pthread_join(th[t], NULL);
        assert_int_equal(g[t].wrong, 0);
        assert_int_equal(g[t].ok + g[t].failed, GC_WRITES);
        ok += g[t].ok;
    }
    assert_int_equal(ok, GC_THREADS * GC_WRITES * 4 / 5);
    /* Every success is there, every refused callback left no trace. */
    struct pp_err err;
    pp_err_clear(&err);
    for (int t = 0; t < GC_THREADS; t++) {
        for (int i = 0; i < GC_WRITES; i++) {
            char key[32], value[8];
            int found = -1;
            snprintf(key, sizeof key, "gc-%d-%d", t, i);
            assert_int_equal(store_setting_get(fx->st, key, value, sizeof value, &found, &err),
                             PP_OK);
            assert_int_equal(found, (i % 5) != 3);
        }
    }
    struct pp_balance b = balance_of(fx->st, "EUR");
    assert_int_equal(b.available, ok);
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM ledger"), ok);
    struct report r;
    assert_int_equal(check_problems(fx->st, &r), 0);
}

/* --- Whole-batch failures -------------------------------------------------------------- */

/* The connection behind tx. */
static struct store_conn *conn_of(struct store_sqlite_tx *tx)
{
    return tx->conn;
}

static size_t queue_length(struct store *st)
{
    struct store_sqlite *sq = fx_sqlite(st);
    size_t n = 0;
    pthread_mutex_lock(&sq->queue.mu);
    for (struct store_queue_item *r = sq->queue.head; r != NULL; r = r->next) {
        n++;
    }
    pthread_mutex_unlock(&sq->queue.mu);
    return n;
}

static atomic_int gate_entered;
static atomic_int gate_open;

/* Holds the writer (test only: callbacks must not block) so that the
** requests queued meanwhile form the next batch together. */
static enum pp_status cb_gate(struct store_sqlite_tx *tx, void *arg, struct pp_err *err)
{
    (void)tx;
    (void)arg;
    (void)err;
    atomic_store(&gate_entered, 1);
    for (int i = 0; i < 10000 && !atomic_load(&gate_open); i++) {
        sleep_ms(1);
    }
    return PP_OK;
}

struct job {
    struct store *st;
    store_sqlite_tx_fn fn;
    void *arg;
    enum pp_status status;
    struct pp_err err;
    pthread_t th;
};

static void *job_main(void *p)
{
    struct job *j = p;
    pp_err_clear(&j->err);
    j->status = fx_write(j->st, j->fn, j->arg, &j->err);
    return NULL;
}

/* Runs jobs[0..n) as one batch, in order, behind the gate. */
static void run_as_one_batch(struct store *st, struct job *jobs, size_t n)
{
    struct job gate = {.st = st, .fn = cb_gate};
    atomic_store(&gate_entered, 0);
    atomic_store(&gate_open, 0);
    assert_int_equal(pthread_create(&gate.th, NULL, job_main, &gate), 0);
    while (!atomic_load(&gate_entered)) {
        sleep_ms(1);
    }
    for (size_t i = 0; i < n; i++) {
        jobs[i].st = st;
        assert_int_equal(pthread_create(&jobs[i].th, NULL, job_main, &jobs[i]), 0);
        while (queue_length(st) < i + 1) {
            sleep_ms(1);
        }
    }
    atomic_store(&gate_open, 1);
    pthread_join(gate.th, NULL);
    assert_int_equal(gate.status, PP_OK);
    for (size_t i = 0; i < n; i++) {
        pthread_join(jobs[i].th, NULL);
    }
}

/* Makes the database "full" for the writer, then writes a large value. */
static enum pp_status cb_disk_full(struct store_sqlite_tx *tx, void *arg, struct pp_err *err)
{
    (void)arg;
    static char big[256 * 1024];
    memset(big, 'x', sizeof big - 1);
    sqlite3_exec(conn_of(tx)->db, "PRAGMA max_page_count = 1", NULL, NULL, NULL);
    enum pp_status s = store_sqlite_tx_setting_put(tx, "big", big, err);
    /* A careless callback carries on: its later writes must not land either. */
    store_sqlite_tx_setting_put(tx, "after-full", "1", &(struct pp_err){0});
    return s;
}

static enum pp_status cb_disk_ok(struct store_sqlite_tx *tx, void *arg, struct pp_err *err)
{
    (void)arg;
    (void)err;
    sqlite3_exec(conn_of(tx)->db, "PRAGMA max_page_count = 1073741823", NULL, NULL, NULL);
    return PP_OK;
}

static atomic_int hook_armed;

static int commit_hook(void *arg)
{
    (void)arg;
    return atomic_exchange(&hook_armed, 0);
}

static enum pp_status cb_arm_commit_failure(struct store_sqlite_tx *tx, void *arg,
                                            struct pp_err *err)
{
    atomic_store(&hook_armed, 1);
    sqlite3_commit_hook(conn_of(tx)->db, commit_hook, NULL);
    return cb_setting_put(tx, arg, err);
}

static void test_batch_all_or_nothing(void **state)
{
    struct fx *fx = *state;
    struct pp_err err;
    pp_err_clear(&err);
    assert_int_equal(move(fx->st, "GBP", PP_LEDGER_DEPOSIT, 100, 0, NULL, &err), PP_OK);

    /* 1. A storage failure in the middle of a batch fails the whole batch:
    ** the request before it that had succeeded, the one that broke it and
    ** those after it; a request that had failed on its own keeps its answer. */
    struct setting_arg s0 = {.key = "before", .value = "1"};
    struct setting_arg s1 = {.key = "refused", .value = "1", .fail_after = 1};
    struct setting_arg s3 = {.key = "after", .value = "1"};
    struct move_arg m4 = {.m = movement("GBP", PP_LEDGER_DEPOSIT, 5, 0)};
    struct job jobs[5] = {
        {.fn = cb_setting_put, .arg = &s0},
        {.fn = cb_setting_put, .arg = &s1},
        {.fn = cb_disk_full},
        {.fn = cb_setting_put, .arg = &s3},
        {.fn = cb_move, .arg = &m4},
    };
    run_as_one_batch(fx->st, jobs, 5);
    for (int i = 0; i < 5; i++) {
        if (i == 1) {
            assert_int_equal(jobs[i].status, PP_INVALID_PARAMS);
            assert_string_equal(jobs[i].err.message, "refused midway");
        } else {
            assert_int_equal(jobs[i].status, PP_UNAVAILABLE);
            assert_string_equal(jobs[i].err.message, "storage failure; nothing was written");
        }
    }
    assert_int_equal(fx_write(fx->st, cb_disk_ok, NULL, &err), PP_OK);
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM settings"), 0);
    assert_int_equal(balance_of(fx->st, "GBP").available, 100);

    /* 2. A failed COMMIT fails every request of the batch. */
    struct setting_arg c1 = {.key = "c1", .value = "1"};
    struct setting_arg c2 = {.key = "c2", .value = "1"};
    struct setting_arg c3 = {.key = "c3", .value = "1", .fail_after = 1};
    struct move_arg c4 = {.m = movement("GBP", PP_LEDGER_WITHDRAW, 100, 0)};
    struct job more[4] = {
        {.fn = cb_setting_put, .arg = &c1},
        {.fn = cb_arm_commit_failure, .arg = &c2},
        {.fn = cb_setting_put, .arg = &c3},
        {.fn = cb_move, .arg = &c4},
    };
    run_as_one_batch(fx->st, more, 4);
    assert_int_equal(more[0].status, PP_INTERNAL);
    assert_int_equal(more[1].status, PP_INTERNAL);
    assert_int_equal(more[2].status, PP_INVALID_PARAMS); /* its own refusal stands */
    assert_string_equal(more[2].err.message, "refused midway");
    assert_int_equal(more[3].status, PP_INTERNAL);
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM settings"), 0);
    assert_int_equal(balance_of(fx->st, "GBP").available, 100);

    /* 3. The writer goes on normally afterwards. */
    assert_int_equal(put_setting(fx->st, "later", "1"), PP_OK);
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM settings"), 1);
    struct report r;
    assert_int_equal(check_problems(fx->st, &r), 0);
}

/* --- Read-your-writes ------------------------------------------------------------------- */

struct ryw_thread {
    struct store *st;
    int t;
    int stale;
};

static void *ryw_main(void *p)
{
    struct ryw_thread *g = p;
    char key[16], value[16], got[16];
    snprintf(key, sizeof key, "ryw-%d", g->t);
    for (int i = 0; i < 150; i++) {
        snprintf(value, sizeof value, "%d", i);
        struct pp_err err;
        pp_err_clear(&err);
        int found = 0;
        if (put_setting(g->st, key, value) != PP_OK ||
            store_setting_get(g->st, key, got, sizeof got, &found, &err) != PP_OK || !found ||
            strcmp(got, value) != 0) {
            g->stale++;
        }
    }
    return NULL;
}

static void test_read_your_writes(void **state)
{
    struct fx *fx = *state;
    pthread_t th[6];
    struct ryw_thread g[6];
    for (int t = 0; t < 6; t++) {
        g[t] = (struct ryw_thread){.st = fx->st, .t = t};
        assert_int_equal(pthread_create(&th[t], NULL, ryw_main, &g[t]), 0);
    }
    for (int t = 0; t < 6; t++) {
        pthread_join(th[t], NULL);
        assert_int_equal(g[t].stale, 0);
    }
}

/* --- Misuse ------------------------------------------------------------------------------- */

static enum pp_status cb_nested(struct store_sqlite_tx *tx, void *arg, struct pp_err *err)
{
    (void)tx;
    return fx_write(arg, cb_setting_put, &(struct setting_arg){.key = "x", .value = "y"}, err);
}

static void test_write_from_writer_asserts(void **state)
{
    struct fx *fx = *state;
    char path[160];
    snprintf(path, sizeof path, "%s/nested.db", fx->dir);
    /* No other threads across fork(): close the fixture's store first. */
    store_close(fx->st);
    fx->st = NULL;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct store *st = NULL;
        if (store_open(path, 1, &st, NULL) != PP_OK) {
            _exit(3);
        }
        fx_write(st, cb_nested, st, NULL);
        _exit(0); /* not reached: the writer asserts */
    }
    int ws = 0;
    assert_int_equal(waitpid(pid, &ws, 0), pid);
    assert_true(WIFSIGNALED(ws));
    assert_int_equal(WTERMSIG(ws), SIGABRT);
}

/* --- Throughput: batching against one transaction per write ---------------------------- */

/* One thread waiting for each write makes one transaction per write; many
** threads writing at once share transactions (group commit). The test
** times both in the same run, alternating rounds so that a burst of load
** from elsewhere on the machine hits both alike, and asserts the ratio of
** their rates, not a time: batched writes must be at least TP_GAIN_MIN
** times as fast. The fsync per commit dominates both, so the measured gain
** is several times the bound (about 6-8x with 8 threads). */
#define TP_THREADS 16
#define TP_WRITES 40     /* per thread and round, batched */
#define TP_SEQ_WRITES 80 /* per round, one per transaction */
#define TP_ROUNDS 3
#define TP_GAIN_MIN 2.0

struct tp_thread {
    struct store *st;
    int round;
    int t;
    int failures;
};

static void *tp_main(void *p)
{
    struct tp_thread *g = p;
    for (int i = 0; i < TP_WRITES; i++) {
        char key[48];
        snprintf(key, sizeof key, "tp-%d-%d-%d", g->round, g->t, i);
        g->failures += put_setting(g->st, key, "v") != PP_OK;
    }
    return NULL;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Seconds that TP_SEQ_WRITES writes take from one thread. */
static double tp_one_per_transaction_s(struct store *st, int round)
{
    double t0 = now_s();
    for (int i = 0; i < TP_SEQ_WRITES; i++) {
        char key[48];
        snprintf(key, sizeof key, "seq-%d-%d", round, i);
        assert_int_equal(put_setting(st, key, "v"), PP_OK);
    }
    return now_s() - t0;
}

/* Seconds that TP_THREADS * TP_WRITES writes take from TP_THREADS threads. */
static double tp_batched_s(struct store *st, int round)
{
    pthread_t th[TP_THREADS];
    struct tp_thread g[TP_THREADS];
    double t0 = now_s();
    for (int t = 0; t < TP_THREADS; t++) {
        g[t] = (struct tp_thread){.st = st, .round = round, .t = t};
        assert_int_equal(pthread_create(&th[t], NULL, tp_main, &g[t]), 0);
    }
    for (int t = 0; t < TP_THREADS; t++) {
        pthread_join(th[t], NULL);
    }
    double took = now_s() - t0;
    for (int t = 0; t < TP_THREADS; t++) {
        assert_int_equal(g[t].failures, 0);
    }
    return took;
}

static void test_batching_beats_one_transaction_per_write(void **state)
{
    struct fx *fx = *state;
    double seq_s = 0, batched_s = 0;
    for (int round = 0; round < TP_ROUNDS; round++) {
        seq_s += tp_one_per_transaction_s(fx->st, round);
        batched_s += tp_batched_s(fx->st, round);
    }
    double seq_rate = TP_ROUNDS * TP_SEQ_WRITES / seq_s;
    double batched_rate = TP_ROUNDS * TP_THREADS * TP_WRITES / batched_s;
    double gain = batched_rate / seq_rate;
    print_message("store_write: one per transaction %.0f writes/s; %d threads batched %.0f "
                  "writes/s; gain %.1fx (at least %.1fx)\n",
                  seq_rate, TP_THREADS, batched_rate, gain, TP_GAIN_MIN);
    if (gain < TP_GAIN_MIN) {
        fail_msg("batched writes are only %.2fx as fast as one transaction per write", gain);
    }
    /* Every write landed. */
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM settings WHERE key LIKE 'tp-%' "
                                       "OR key LIKE 'seq-%'"),
                     TP_ROUNDS * (TP_SEQ_WRITES + TP_THREADS * TP_WRITES));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_group_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_all_or_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_your_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_from_writer_asserts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batching_beats_one_transaction_per_write, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
