/*
** This module tests the store's writer queue (store/queue.c) with a toy
** writer that records each batch: every submitted item is run exactly
** once and its caller woken (the binary-tree wake-up reaches every caller
** of batches of 1 to PP_WRITER_BATCH_MAX), a batch never holds more than
** the maximum, items queued while the writer is busy form one batch, and
** a submit on a stopped or never-started queue is refused with
** PP_UNAVAILABLE without being run. A caller on a fiber parks instead of
** sleeping: its item is queued only at the fiber's release, the writer
** wakes it (in a batch shared with sleeping callers too), and a stopped
** queue wakes it at once with PP_UNAVAILABLE.
*/
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "payout/base/fiber.h"
#include "payout/limits.h"
#include "store/queue.h"

#define CALLERS 64

/* A request of the toy writer: the item first, as the backends do. */
struct toy_req {
    struct store_queue_item item;
    int ran;
};

struct toy_writer {
    struct store_queue queue;
    atomic_int batches;
    atomic_int largest;
    /* Holds the writer in its first batch until opened. */
    atomic_int gate_open;
    atomic_int in_gate;
};

static void *toy_main(void *arg)
{
    struct toy_writer *w = arg;
    struct store_queue_item *batch[PP_WRITER_BATCH_MAX];
    store_queue_writer_signals();
    for (;;) {
        size_t n = store_queue_take(&w->queue, batch, PP_WRITER_BATCH_MAX);
        if (n == 0) {
            break;
        }
        if (atomic_fetch_add(&w->batches, 1) == 0) {
            atomic_store(&w->in_gate, 1);
            while (!atomic_load(&w->gate_open)) {
                sched_yield();
            }
        }
        if ((int)n > atomic_load(&w->largest)) {
            atomic_store(&w->largest, (int)n);
        }
        for (size_t i = 0; i < n; i++) {
            ((struct toy_req *)(void *)batch[i])->ran++;
        }
        store_queue_finish(batch, n);
    }
    return NULL;
}

struct caller {
    struct toy_writer *w;
    struct toy_req req;
    enum pp_status status;
};

static void *caller_main(void *arg)
{
    struct caller *c = arg;
    struct pp_err err;
    pp_err_clear(&err);
    c->status = store_queue_submit(&c->w->queue, &c->req.item, &err);
    return NULL;
}

static void writer_start(struct toy_writer *w)
{
    memset(w, 0, sizeof *w);
    store_queue_init(&w->queue);
    struct pp_err err;
    pp_err_clear(&err);
    assert_int_equal(store_queue_start(&w->queue, toy_main, w, &err), PP_OK);
}

/* 1 + CALLERS callers: the first is held inside its batch while the
** others queue, so they come as batches of at most the maximum. */
static void test_every_caller_runs_once_and_wakes(void **state)
{
    (void)state;
    static struct toy_writer w;
    static struct caller callers[CALLERS + 1];
    pthread_t threads[CALLERS + 1];
    writer_start(&w);
    memset(callers, 0, sizeof callers);
    for (int i = 0; i <= CALLERS; i++) {
        callers[i].w = &w;
        callers[i].status = PP_INTERNAL;
    }
    assert_int_equal(pthread_create(&threads[0], NULL, caller_main, &callers[0]), 0);
    while (!atomic_load(&w.in_gate)) {
        sched_yield();
    }
    for (int i = 1; i <= CALLERS; i++) {
        assert_int_equal(pthread_create(&threads[i], NULL, caller_main, &callers[i]), 0);
    }
    /* Wait until all of them are queued behind the held batch. */
    for (;;) {
        size_t queued = 0;
        pthread_mutex_lock(&w.queue.mu);
        for (struct store_queue_item *it = w.queue.head; it != NULL; it = it->next) {
            queued++;
        }
        pthread_mutex_unlock(&w.queue.mu);
        if (queued == CALLERS) {
            break;
        }
        sched_yield();
    }
    atomic_store(&w.gate_open, 1);
    for (int i = 0; i <= CALLERS; i++) {
        assert_int_equal(pthread_join(threads[i], NULL), 0);
        assert_int_equal(callers[i].status, PP_OK);
        assert_int_equal(callers[i].req.ran, 1);
    }
    /* The held batch, then the 64 queued ones in batches of the maximum. */
    int expected = 1 + (CALLERS + PP_WRITER_BATCH_MAX - 1) / PP_WRITER_BATCH_MAX;
    assert_int_equal(atomic_load(&w.batches), expected);
    assert_int_equal(atomic_load(&w.largest),
                     CALLERS < PP_WRITER_BATCH_MAX ? CALLERS : PP_WRITER_BATCH_MAX);
    store_queue_stop(&w.queue);
    store_queue_destroy(&w.queue);
}

/* Every batch size from 1 to the maximum wakes each of its callers (the
** tree's last level included): run directly on items already woken-ready. */
static void test_finish_wakes_every_size(void **state)
{
    (void)state;
    static struct store_queue_item items[PP_WRITER_BATCH_MAX];
    struct store_queue_item *batch[PP_WRITER_BATCH_MAX];
    for (size_t n = 1; n <= PP_WRITER_BATCH_MAX; n++) {
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(sem_init(&items[i].done, 0, 0), 0);
            batch[i] = &items[i];
        }
        store_queue_finish(batch, n);
        /* Walk the tree as the callers would: each woken one posts its two. */
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(sem_trywait(&items[i].done), 0);
            for (int k = 0; k < 2; k++) {
                if (items[i].wake[k] != NULL) {
                    assert_int_equal(sem_post(&items[i].wake[k]->done), 0);
                }
            }
        }
        for (size_t i = 0; i < n; i++) {
            int value = -1;
            assert_int_equal(sem_getvalue(&items[i].done, &value), 0);
            assert_int_equal(value, 0); /* posted exactly once */
            sem_destroy(&items[i].done);
        }
    }
}

static void test_refused_when_stopped(void **state)
{
    (void)state;
    static struct toy_writer w;
    struct toy_req req;
    struct pp_err err;
    memset(&req, 0, sizeof req);
    memset(&w, 0, sizeof w);
    store_queue_init(&w.queue);
    pp_err_clear(&err);
    assert_int_equal(store_queue_submit(&w.queue, &req.item, &err), PP_UNAVAILABLE);
    assert_string_equal(err.message, "storage is shutting down");
    store_queue_destroy(&w.queue);

    writer_start(&w);
    atomic_store(&w.gate_open, 1);
    store_queue_stop(&w.queue);
    pp_err_clear(&err);
    assert_int_equal(store_queue_submit(&w.queue, &req.item, &err), PP_UNAVAILABLE);
    assert_int_equal(req.ran, 0);
    assert_int_equal(atomic_load(&w.batches), 0);
    store_queue_destroy(&w.queue);
}

/* A caller on a fiber: the worker's side waits for the wake on wake_cv. */
struct fiber_caller {
    struct toy_writer *w;
    struct toy_req req;
    enum pp_status status;
    char message[PP_ERR_MESSAGE_BYTES];
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int woken;
};

static void fiber_caller_main(void *arg)
{
    struct fiber_caller *c = arg;
    struct pp_err err;
    pp_err_clear(&err);
    c->status = store_queue_submit(&c->w->queue, &c->req.item, &err);
    snprintf(c->message, sizeof c->message, "%s", err.message);
}

static void fiber_caller_wake(void *arg)
{
    struct fiber_caller *c = arg;
    pthread_mutex_lock(&c->mu);
    c->woken++;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

static void fiber_caller_init(struct fiber_caller *c, struct toy_writer *w)
{
    memset(c, 0, sizeof *c);
    c->w = w;
    c->status = PP_INTERNAL;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
}

/* Waits for the writer's wake-up, 10 s at most (a lost wake fails). */
static void fiber_caller_wait(struct fiber_caller *c)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    pthread_mutex_lock(&c->mu);
    while (c->woken == 0 && pthread_cond_timedwait(&c->cv, &c->mu, &until) == 0) {
    }
    pthread_mutex_unlock(&c->mu);
    assert_int_equal(c->woken, 1);
}

static size_t queued_count(struct toy_writer *w)
{
    size_t queued = 0;
    pthread_mutex_lock(&w->queue.mu);
    for (struct store_queue_item *it = w->queue.head; it != NULL; it = it->next) {
        queued++;
    }
    pthread_mutex_unlock(&w->queue.mu);
    return queued;
}

/* A parked fiber's item and sleeping callers' items in one batch: every
** one runs once, the fiber is woken once, the threads return. */
static void test_fiber_caller_parks_and_is_woken(void **state)
{
    (void)state;
    static struct toy_writer w;
    static struct caller callers[3];
    pthread_t threads[3];
    struct fiber_caller fc;
    writer_start(&w);
    fiber_caller_init(&fc, &w);
    memset(callers, 0, sizeof callers);
    for (int i = 0; i < 3; i++) {
        callers[i].w = &w;
        callers[i].status = PP_INTERNAL;
    }
    assert_int_equal(pthread_create(&threads[0], NULL, caller_main, &callers[0]), 0);
    while (!atomic_load(&w.in_gate)) {
        sched_yield();
    }
    struct pp_fiber *f = pp_fiber_create(fiber_caller_main, &fc, fiber_caller_wake, &fc);
    assert_int_equal(pp_fiber_switch(f), 0);
    /* Parked, not yet queued: the item goes at the release. */
    assert_int_equal(queued_count(&w), 0);
    pp_fiber_release(f);
    assert_int_equal(queued_count(&w), 1);
    for (int i = 1; i < 3; i++) {
        assert_int_equal(pthread_create(&threads[i], NULL, caller_main, &callers[i]), 0);
    }
    while (queued_count(&w) != 3) {
        sched_yield();
    }
    atomic_store(&w.gate_open, 1);
    fiber_caller_wait(&fc);
    assert_int_equal(pp_fiber_switch(f), 1);
    assert_int_equal(fc.status, PP_OK);
    assert_int_equal(fc.req.ran, 1);
    assert_int_equal(fc.woken, 1);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(pthread_join(threads[i], NULL), 0);
        assert_int_equal(callers[i].status, PP_OK);
        assert_int_equal(callers[i].req.ran, 1);
    }
    assert_int_equal(atomic_load(&w.batches), 2);
    store_queue_stop(&w.queue);
    store_queue_destroy(&w.queue);
}

/* A fiber's submit on a stopped queue: woken at its release, refused. */
static void test_fiber_caller_refused_when_stopped(void **state)
{
    (void)state;
    static struct toy_writer w;
    struct fiber_caller fc;
    writer_start(&w);
    atomic_store(&w.gate_open, 1);
    store_queue_stop(&w.queue);
    fiber_caller_init(&fc, &w);
    struct pp_fiber *f = pp_fiber_create(fiber_caller_main, &fc, fiber_caller_wake, &fc);
    assert_int_equal(pp_fiber_switch(f), 0);
    assert_int_equal(fc.woken, 0);
    pp_fiber_release(f);
    assert_int_equal(fc.woken, 1);
    assert_int_equal(pp_fiber_switch(f), 1);
    assert_int_equal(fc.status, PP_UNAVAILABLE);
    assert_string_equal(fc.message, "storage is shutting down");
    assert_int_equal(fc.req.ran, 0);
    assert_int_equal(atomic_load(&w.batches), 0);
    store_queue_destroy(&w.queue);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_caller_runs_once_and_wakes),
        cmocka_unit_test(test_finish_wakes_every_size),
        cmocka_unit_test(test_refused_when_stopped),
        cmocka_unit_test(test_fiber_caller_parks_and_is_woken),
        cmocka_unit_test(test_fiber_caller_refused_when_stopped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
