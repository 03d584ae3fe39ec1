/*
** This module tests pp_coalesce (base/coalesce.c), the read shared by
** concurrent callers. A logical clock stamps each caller's arrival and each
** read's start: every caller must get the result of a read whose start
** stamp is later than its arrival (so it sees whatever was committed before
** it called), concurrent callers must share reads, a lone caller must read
** every time (nothing served from memory), and a failed read must reach
** every caller who shared it with its status and message.
*/
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "payout/base/coalesce.h"

#define THREADS 8
#define CALLS_PER_THREAD 200

struct fake {
    atomic_ullong clock; /* arrivals and read starts, one tick each */
    atomic_int fail;     /* 1: the read fails */
    atomic_int late;     /* callers that got a read begun before they called */
    long read_ns;        /* how long a read takes */
};

struct result {
    unsigned long long started; /* the read's start stamp */
};

static enum pp_status fake_read(void *arg, void *out, struct pp_err *err)
{
    struct fake *f = arg;
    struct result *r = out;
    r->started = atomic_fetch_add(&f->clock, 1) + 1;
    struct timespec ts = {0, f->read_ns};
    nanosleep(&ts, NULL);
    if (atomic_load(&f->fail)) {
        return pp_err_set(err, PP_UNAVAILABLE, "the read failed");
    }
    return PP_OK;
}

struct caller {
    struct pp_coalesce *c;
    struct fake *f;
    int failures; /* calls that did not return PP_OK */
};

static void *call_many(void *arg)
{
    struct caller *k = arg;
    for (int i = 0; i < CALLS_PER_THREAD; i++) {
        unsigned long long arrived = atomic_fetch_add(&k->f->clock, 1) + 1;
        struct result r = {0};
        struct pp_err err;
        pp_err_clear(&err);
        if (pp_coalesce_read(k->c, &r, &err) != PP_OK) {
            k->failures++;
            continue;
        }
        if (r.started <= arrived) {
            atomic_fetch_add(&k->f->late, 1);
        }
    }
    return NULL;
}

/* Runs THREADS callers at once; returns the failed calls. */
static int run_callers(struct pp_coalesce *c, struct fake *f)
{
    pthread_t tids[THREADS];
    struct caller callers[THREADS];
    for (int i = 0; i < THREADS; i++) {
        callers[i] = (struct caller){.c = c, .f = f};
        assert_int_equal(pthread_create(&tids[i], NULL, call_many, &callers[i]), 0);
    }
    int failures = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(tids[i], NULL);
        failures += callers[i].failures;
    }
    return failures;
}

static void test_every_result_began_after_its_call(void **state)
{
    (void)state;
    struct fake f = {.read_ns = 200000};
    struct pp_coalesce *c = pp_coalesce_create(fake_read, &f, sizeof(struct result));
    assert_int_equal(run_callers(c, &f), 0);
    assert_int_equal(atomic_load(&f.late), 0);
    /* Shared: far fewer reads than calls (each wave is one read). */
    unsigned long long reads = pp_coalesce_reads(c);
    assert_true(reads >= 1);
    assert_true(reads < (unsigned long long)THREADS * CALLS_PER_THREAD / 2);
    pp_coalesce_destroy(c);
}

static void test_a_lone_caller_reads_each_time(void **state)
{
    (void)state;
    struct fake f = {.read_ns = 0};
    struct pp_coalesce *c = pp_coalesce_create(fake_read, &f, sizeof(struct result));
    unsigned long long last = 0;
    for (int i = 0; i < 50; i++) {
        struct result r = {0};
        assert_int_equal(pp_coalesce_read(c, &r, NULL), PP_OK);
        assert_true(r.started > last);
        last = r.started;
    }
    assert_int_equal(pp_coalesce_reads(c), 50);
    pp_coalesce_destroy(c);
}

static void test_a_failed_read_reaches_its_callers(void **state)
{
    (void)state;
    struct fake f = {.read_ns = 100000};
    atomic_store(&f.fail, 1);
    struct pp_coalesce *c = pp_coalesce_create(fake_read, &f, sizeof(struct result));
    assert_int_equal(run_callers(c, &f), THREADS * CALLS_PER_THREAD);
    struct result r;
    struct pp_err err;
    pp_err_clear(&err);
    assert_int_equal(pp_coalesce_read(c, &r, &err), PP_UNAVAILABLE);
    assert_int_equal(err.status, PP_UNAVAILABLE);
    assert_string_equal(err.message, "the read failed");
    /* The next read after a failure is made afresh. */
    atomic_store(&f.fail, 0);
    assert_int_equal(pp_coalesce_read(c, &r, &err), PP_OK);
    pp_coalesce_destroy(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_result_began_after_its_call),
        cmocka_unit_test(test_a_lone_caller_reads_each_time),
        cmocka_unit_test(test_a_failed_read_reaches_its_callers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
