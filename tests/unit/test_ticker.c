/*
** This module tests pp_ticker (base/ticker.c), the loop of the background
** tasks, by counting passes (never by timing them): a ticker with no
** interval runs only when woken, each wake-up brings a pass, run_at_start
** brings the first pass without a wake, a pass can see the stop it is
** racing with, and stopping joins the thread so that no pass runs after
** pp_ticker_stop returns. Waits for a pass are bounded by a generous
** deadline that only a broken ticker reaches.
*/
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "payout/base/ticker.h"

/* Only a ticker that never runs its pass waits this long. */
#define PASS_WAIT_S 30

struct counter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int passes;
    int saw_stop;
    struct pp_ticker *ticker; /* set once started */
};

static void count_pass(void *arg)
{
    struct counter *c = arg;
    pthread_mutex_lock(&c->mu);
    c->passes++;
    c->saw_stop |= pp_ticker_stopping(c->ticker);
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

/* Waits until c has run at least n passes; returns the count. */
static int wait_passes(struct counter *c, int n)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += PASS_WAIT_S;
    pthread_mutex_lock(&c->mu);
    int rc = 0;
    while (c->passes < n && rc == 0) {
        rc = pthread_cond_timedwait(&c->cv, &c->mu, &until);
    }
    int passes = c->passes;
    pthread_mutex_unlock(&c->mu);
    return passes;
}

static int passes_now(struct counter *c)
{
    pthread_mutex_lock(&c->mu);
    int passes = c->passes;
    pthread_mutex_unlock(&c->mu);
    return passes;
}

static void counter_init(struct counter *c)
{
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    c->passes = 0;
    c->saw_stop = 0;
    c->ticker = NULL;
}

static struct pp_ticker *start(struct counter *c, long interval_ms, int run_at_start)
{
    struct pp_ticker_options opts = {
        .name = "test",
        .interval_ms = interval_ms,
        .run_at_start = run_at_start,
        .run = count_pass,
        .arg = c,
    };
    struct pp_err err = {0};
    struct pp_ticker *t = NULL;
    pthread_mutex_lock(&c->mu);
    assert_int_equal(pp_ticker_start(&opts, &t, &err), PP_OK);
    c->ticker = t;
    pthread_mutex_unlock(&c->mu);
    assert_non_null(t);
    return t;
}

static void test_wake_runs_a_pass(void **state)
{
    (void)state;
    struct counter c;
    counter_init(&c);
    struct pp_ticker *t = start(&c, 0, 0);
    assert_int_equal(passes_now(&c), 0);
    pp_ticker_wake(t);
    assert_int_equal(wait_passes(&c, 1), 1);
    pp_ticker_wake(t);
    assert_true(wait_passes(&c, 2) >= 2);
    assert_int_equal(pp_ticker_stopping(t), 0);
    pp_ticker_stop(t);
    int after = passes_now(&c);
    assert_true(after >= 2);
    assert_int_equal(c.saw_stop, 0);
}

static void test_run_at_start(void **state)
{
    (void)state;
    struct counter c;
    counter_init(&c);
    /* A long interval: only run_at_start can bring this pass. */
    struct pp_ticker *t = start(&c, 3600L * 1000, 1);
    assert_int_equal(wait_passes(&c, 1), 1);
    pp_ticker_stop(t);
    assert_int_equal(passes_now(&c), 1);
}

static void test_interval_repeats(void **state)
{
    (void)state;
    struct counter c;
    counter_init(&c);
    struct pp_ticker *t = start(&c, 1, 0);
    assert_true(wait_passes(&c, 3) >= 3);
    pp_ticker_stop(t);
    /* Joined: nothing runs after the stop returned. */
    int after = passes_now(&c);
    struct timespec pause = {0, 20 * 1000 * 1000};
    nanosleep(&pause, NULL);
    assert_int_equal(passes_now(&c), after);
}

static void test_stop_without_pass_and_null(void **state)
{
    (void)state;
    struct counter c;
    counter_init(&c);
    struct pp_ticker *t = start(&c, 0, 0);
    pp_ticker_stop(t);
    assert_int_equal(passes_now(&c), 0);
    pp_ticker_stop(NULL);
    assert_int_equal(pp_ticker_stopping(NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wake_runs_a_pass),
        cmocka_unit_test(test_run_at_start),
        cmocka_unit_test(test_interval_repeats),
        cmocka_unit_test(test_stop_without_pass_and_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
