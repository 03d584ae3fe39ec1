/*
** This module tests pp_fiber (base/fiber.c): a fiber that never parks
** finishes in one switch; one that parks comes back where it left off,
** its stack intact, and its then() runs only at release, off its stack;
** registered thread-locals follow each fiber and the thread keeps its own;
** a wake from another thread reaches the wake callback; stacks are reused
** and a deep stack is usable.
*/
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "payout/base/fiber.h"
#include "payout/limits.h"

static _Thread_local const char *slot_a;
static _Thread_local int *slot_b;

static void *slot_a_addr(void)
{
    return &slot_a;
}

static void *slot_b_addr(void)
{
    return &slot_b;
}

struct trace {
    int steps;
    int thens;
    int wakes;
    int on_fiber;      /* pp_fiber_current() was set inside */
    int then_on_fiber; /* pp_fiber_current() inside then(): must be 0 */
    uint64_t sum;      /* computed over a stack array across parks */
};

static void count_wake(void *arg)
{
    ((struct trace *)arg)->wakes++;
}

static void count_then(void *arg)
{
    struct trace *t = arg;
    t->thens++;
    t->then_on_fiber |= pp_fiber_current() != NULL;
}

static void run_plain(void *arg)
{
    struct trace *t = arg;
    t->on_fiber = pp_fiber_current() != NULL;
    t->steps++;
}

static void test_finishes_without_park(void **state)
{
    (void)state;
    struct trace t = {0};
    struct pp_fiber *f = pp_fiber_create(run_plain, &t, count_wake, &t);
    assert_null(pp_fiber_current());
    assert_int_equal(pp_fiber_switch(f), 1);
    assert_int_equal(t.steps, 1);
    assert_int_equal(t.on_fiber, 1);
    assert_int_equal(t.thens, 0);
    assert_int_equal(t.wakes, 0);
    assert_null(pp_fiber_current());
}

/* Parks three times with a stack array live across the parks. */
static void run_parking(void *arg)
{
    struct trace *t = arg;
    uint64_t values[64];
    for (unsigned i = 0; i < 64; i++) {
        values[i] = (uint64_t)i * 7u + 1u;
    }
    for (int k = 0; k < 3; k++) {
        t->steps++;
        pp_fiber_park(count_then, t);
    }
    for (unsigned i = 0; i < 64; i++) {
        t->sum += values[i];
    }
    t->steps++;
}

static void test_park_and_resume(void **state)
{
    (void)state;
    struct trace t = {0};
    struct pp_fiber *f = pp_fiber_create(run_parking, &t, count_wake, &t);
    for (int k = 1; k <= 3; k++) {
        assert_int_equal(pp_fiber_switch(f), 0);
        assert_int_equal(t.steps, k);
        /* then() waits for the release. */
        assert_int_equal(t.thens, k - 1);
        pp_fiber_release(f);
        assert_int_equal(t.thens, k);
        pp_fiber_wake(f);
        assert_int_equal(t.wakes, k);
    }
    assert_int_equal(pp_fiber_switch(f), 1);
    assert_int_equal(t.steps, 4);
    assert_int_equal(t.then_on_fiber, 0);
    uint64_t expected = 0;
    for (unsigned i = 0; i < 64; i++) {
        expected += (uint64_t)i * 7u + 1u;
    }
    assert_true(t.sum == expected);
}

struct local_run {
    const char *name;
    int value;
    const char *seen_a_start; /* slot_a when the fiber began */
    const char *seen_a_end;   /* slot_a after its park */
    int *seen_b_end;
};

static void ignore(void *arg)
{
    (void)arg;
}

static void run_locals(void *arg)
{
    struct local_run *r = arg;
    r->seen_a_start = slot_a;
    slot_a = r->name;
    slot_b = &r->value;
    pp_fiber_park(ignore, NULL);
    r->seen_a_end = slot_a;
    r->seen_b_end = slot_b;
}

/* Two fibers interleaved on one thread: each keeps its own slots, and the
** thread's values are back after every switch. */
static void test_locals_follow_the_fiber(void **state)
{
    (void)state;
    pp_fiber_local_register(slot_a_addr);
    pp_fiber_local_register(slot_b_addr);
    pp_fiber_local_register(slot_a_addr); /* again: no second slot */
    int thread_value = 5;
    slot_a = "thread";
    slot_b = &thread_value;
    struct trace t = {0};
    struct local_run one = {.name = "one"};
    struct local_run two = {.name = "two"};
    struct pp_fiber *f1 = pp_fiber_create(run_locals, &one, count_wake, &t);
    struct pp_fiber *f2 = pp_fiber_create(run_locals, &two, count_wake, &t);
    assert_int_equal(pp_fiber_switch(f1), 0);
    assert_string_equal(slot_a, "thread");
    assert_ptr_equal(slot_b, &thread_value);
    assert_int_equal(pp_fiber_switch(f2), 0);
    assert_string_equal(slot_a, "thread");
    pp_fiber_release(f1);
    pp_fiber_release(f2);
    assert_int_equal(pp_fiber_switch(f1), 1);
    assert_int_equal(pp_fiber_switch(f2), 1);
    /* Each started with NULL, not the thread's value, and kept its own. */
    assert_null(one.seen_a_start);
    assert_null(two.seen_a_start);
    assert_string_equal(one.seen_a_end, "one");
    assert_string_equal(two.seen_a_end, "two");
    assert_ptr_equal(one.seen_b_end, &one.value);
    assert_ptr_equal(two.seen_b_end, &two.value);
    assert_string_equal(slot_a, "thread");
    assert_ptr_equal(slot_b, &thread_value);
    slot_a = NULL;
    slot_b = NULL;
}

struct waker {
    struct pp_fiber *f;
};

static pthread_mutex_t woken_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t woken_cv = PTHREAD_COND_INITIALIZER;
static int woken;

static void signal_wake(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&woken_mu);
    woken++;
    pthread_cond_signal(&woken_cv);
    pthread_mutex_unlock(&woken_mu);
}

static void *waker_main(void *arg)
{
    pp_fiber_wake(((struct waker *)arg)->f);
    return NULL;
}

/* then() hands the fiber to another thread, which wakes it. */
static void then_spawn(void *arg)
{
    struct waker *w = arg;
    pthread_t tid;
    assert_int_equal(pthread_create(&tid, NULL, waker_main, w), 0);
    assert_int_equal(pthread_detach(tid), 0);
}

static void run_woken(void *arg)
{
    struct waker *w = arg;
    w->f = pp_fiber_current();
    pp_fiber_park(then_spawn, w);
}

static void test_wake_from_another_thread(void **state)
{
    (void)state;
    struct waker w = {NULL};
    woken = 0;
    struct pp_fiber *f = pp_fiber_create(run_woken, &w, signal_wake, NULL);
    assert_int_equal(pp_fiber_switch(f), 0);
    pp_fiber_release(f);
    pthread_mutex_lock(&woken_mu);
    while (woken == 0) {
        pthread_cond_wait(&woken_cv, &woken_mu);
    }
    pthread_mutex_unlock(&woken_mu);
    assert_int_equal(woken, 1);
    assert_int_equal(pp_fiber_switch(f), 1);
}

/* Touches most of the stack: a handler may be deep. */
static void run_deep(void *arg)
{
    volatile unsigned char big[PP_FIBER_STACK_BYTES / 2];
    memset((void *)big, 0xA5, sizeof big);
    *(int *)arg += big[sizeof big - 1] == 0xA5;
}

static void test_stacks_reused_and_deep(void **state)
{
    (void)state;
    struct trace t = {0};
    int deep = 0;
    /* More fibers alive at once than the spares kept, then all finished:
    ** the extra stacks are unmapped, the rest reused. */
    enum { ALIVE = PP_FIBER_SPARES_MAX + 8 };
    static struct trace traces[ALIVE];
    struct pp_fiber *fibers[ALIVE];
    for (int i = 0; i < ALIVE; i++) {
        memset(&traces[i], 0, sizeof traces[i]);
        fibers[i] = pp_fiber_create(run_parking, &traces[i], count_wake, &t);
        assert_int_equal(pp_fiber_switch(fibers[i]), 0);
        pp_fiber_release(fibers[i]);
    }
    for (int i = 0; i < ALIVE; i++) {
        while (pp_fiber_switch(fibers[i]) == 0) {
            pp_fiber_release(fibers[i]);
        }
        assert_int_equal(traces[i].steps, 4);
    }
    for (int i = 0; i < 200; i++) {
        assert_int_equal(pp_fiber_switch(pp_fiber_create(run_deep, &deep, count_wake, &t)), 1);
    }
    assert_int_equal(deep, 200);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_finishes_without_park),
        cmocka_unit_test(test_park_and_resume),
        cmocka_unit_test(test_locals_follow_the_fiber),
        cmocka_unit_test(test_wake_from_another_thread),
        cmocka_unit_test(test_stacks_reused_and_deep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
