/*
** This module tests the log-in lockout (sec/lockout.c) on an injected
** clock (every call takes now_ms): the threshold (PP_LOGIN_FAILURES_MAX
** failures lock, one fewer does not), the lock of PP_LOGIN_LOCK_BASE_S
** doubling with each further failure up to the PP_LOGIN_LOCK_MAX_S cap, a
** lock that runs out, a window that forgets old failures, a success that
** forgets the address, addresses that never affect each other, attempts
** in flight counted as failures (also from parallel threads: exactly
** PP_LOGIN_FAILURES_MAX get through), and the full table (the address
** remembered longest ago is forgotten; one with an attempt in flight never
** is).
*/
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "payout/sec/lockout.h"

#define BASE_MS ((int64_t)PP_LOGIN_LOCK_BASE_S * 1000)
#define MAX_MS ((int64_t)PP_LOGIN_LOCK_MAX_S * 1000)
#define WINDOW_MS ((int64_t)PP_LOGIN_WINDOW_S * 1000)
/* What a refused attempt waits while others are in flight. */
#define PENDING_WAIT_MS 1000

/* Large (a fixed table): one static instance, cleared by every test. */
static struct sec_lockout lockout = SEC_LOCKOUT_INIT;

static int setup(void **state)
{
    (void)state;
    sec_lockout_clear(&lockout);
    return 0;
}

/* One wrong guess at now: reserved (asserted) and settled as a failure. */
static void fail_once(const char *addr, int64_t now)
{
    assert_int_equal(sec_lockout_reserve(&lockout, addr, now), 0);
    sec_lockout_settle(&lockout, addr, 0, now);
}

static void test_threshold(void **state)
{
    (void)state;
    int64_t now = 1000000;
    for (int i = 0; i < PP_LOGIN_FAILURES_MAX - 1; i++) {
        fail_once("10.0.0.1", now + i);
    }
    now += PP_LOGIN_FAILURES_MAX;
    /* One fewer than the threshold: still free to try. */
    assert_int_equal(sec_lockout_reserve(&lockout, "10.0.0.1", now), 0);
    sec_lockout_settle(&lockout, "10.0.0.1", 0, now);
    /* The threshold reached: locked for the base time, counted down. */
    assert_int_equal(sec_lockout_reserve(&lockout, "10.0.0.1", now), BASE_MS);
    assert_int_equal(sec_lockout_reserve(&lockout, "10.0.0.1", now + 500), BASE_MS - 500);
    assert_int_equal(sec_lockout_reserve(&lockout, "10.0.0.1", now + BASE_MS - 1), 1);
    /* The lock has run out: one attempt may go ahead (the right password
    ** works again). */
    assert_int_equal(sec_lockout_reserve(&lockout, "10.0.0.1", now + BASE_MS), 0);
    sec_lockout_settle(&lockout, "10.0.0.1", 1, now + BASE_MS);
    assert_int_equal(sec_lockout_reserve(&lockout, "10.0.0.1", now + BASE_MS), 0);
    sec_lockout_settle(&lockout, "10.0.0.1", 1, now + BASE_MS);
}

static void test_doubling_and_cap(void **state)
{
    (void)state;
    int64_t now = 5000000;
    for (int i = 0; i < PP_LOGIN_FAILURES_MAX; i++) {
        fail_once("10.0.0.2", now);
    }
    int64_t lock = BASE_MS;
    int doublings = 0;
    for (int i = 0; i < 30; i++) {
        assert_int_equal(sec_lockout_reserve(&lockout, "10.0.0.2", now), lock);
        now += lock;
        /* Each failure after a lock doubles it, up to the cap. */
        fail_once("10.0.0.2", now);
        int64_t next = lock * 2 < MAX_MS ? lock * 2 : MAX_MS;
        doublings += next == lock * 2;
        lock = next;
    }
    assert_int_equal(sec_lockout_reserve(&lockout, "10.0.0.2", now), MAX_MS);
    /* 2, 4, 8 ... 512 s (8 doublings), then the 15-minute cap. */
    assert_int_equal(doublings, 8);
    assert_true(BASE_MS << 9 > MAX_MS && BASE_MS << 8 < MAX_MS);
}

static void test_window_expiry(void **state)
{
    (void)state;
    int64_t now = 9000000;
    for (int i = 0; i < PP_LOGIN_FAILURES_MAX - 1; i++) {
        fail_once("10.0.0.3", now);
    }
    /* Still within the window: the next failure locks. */
    fail_once("10.0.0.3", now + WINDOW_MS);
    assert_int_equal(sec_lockout_reserve(&lockout, "10.0.0.3", now + WINDOW_MS), BASE_MS);

    /* Another address: failures older than the window are forgotten. */
    for (int i = 0; i < PP_LOGIN_FAILURES_MAX - 1; i++) {
        fail_once("10.0.0.4", now);
    }
    now += WINDOW_MS + 1;
    for (int i = 0; i < PP_LOGIN_FAILURES_MAX - 1; i++) {
        fail_once("10.0.0.4", now);
    }
    assert_int_equal(sec_lockout_reserve(&lockout, "10.0.0.4", now), 0);
    sec_lockout_settle(&lockout, "10.0.0.4", 0, now);
    assert_int_equal(sec_lockout_reserve(&lockout, "10.0.0.4", now), BASE_MS);

    /* After a lock, a window past its end forgets it all: the doubling
    ** starts again from the base. */
    now += BASE_MS + WINDOW_MS + 1;
    for (int i = 0; i < PP_LOGIN_FAILURES_MAX - 1; i++) {
        fail_once("10.0.0.4", now);
    }
    fail_once("10.0.0.4", now);
    assert_int_equal(sec_lockout_reserve(&lockout, "10.0.0.4", now), BASE_MS);
}

static void test_success_forgets(void **state)
{
    (void)state;
    int64_t now = 20000000;
    for (int i = 0; i < PP_LOGIN_FAILURES_MAX - 1; i++) {
        fail_once("10.0.0.5", now);
    }
    assert_int_equal(sec_lockout_reserve(&lockout, "10.0.0.5", now), 0);
    sec_lockout_settle(&lockout, "10.0.0.5", 1, now);
    for (int i = 0; i < PP_LOGIN_FAILURES_MAX - 1; i++) {
        fail_once("10.0.0.5", now);
    }
    assert_int_equal(sec_lockout_reserve(&lockout, "10.0.0.5", now), 0);
    sec_lockout_settle(&lockout, "10.0.0.5", 0, now);
    assert_int_equal(sec_lockout_reserve(&lockout, "10.0.0.5", now), BASE_MS);
}

static void test_addresses_independent(void **state)
{
    (void)state;
    int64_t now = 30000000;
    for (int i = 0; i < PP_LOGIN_FAILURES_MAX; i++) {
        fail_once("192.0.2.1", now);
    }
    assert_int_equal(sec_lockout_reserve(&lockout, "192.0.2.1", now), BASE_MS);
    /* Neighbours, a prefix and an IPv6 form of the same digits are other
    ** addresses. */
    static const char *const others[] = {"192.0.2.10", "192.0.2.", "192.0.2.2", "::ffff:192.0.2.1",
                                         "2001:db8::1"};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        for (int k = 0; k < PP_LOGIN_FAILURES_MAX - 1; k++) {
            fail_once(others[i], now);
        }
        assert_int_equal(sec_lockout_reserve(&lockout, others[i], now), 0);
        sec_lockout_settle(&lockout, others[i], 1, now);
    }
    assert_int_equal(sec_lockout_reserve(&lockout, "192.0.2.1", now), BASE_MS);
}

static void test_in_flight_counted(void **state)
{
    (void)state;
    int64_t now = 40000000;
    for (int i = 0; i < PP_LOGIN_FAILURES_MAX; i++) {
        assert_int_equal(sec_lockout_reserve(&lockout, "10.0.0.6", now), 0);
    }
    /* Ten guesses in flight: the eleventh must wait for them. */
    assert_int_equal(sec_lockout_reserve(&lockout, "10.0.0.6", now), PENDING_WAIT_MS);
    /* Settled as failures, they lock the address. */
    for (int i = 0; i < PP_LOGIN_FAILURES_MAX; i++) {
        sec_lockout_settle(&lockout, "10.0.0.6", 0, now);
    }
    assert_int_equal(sec_lockout_reserve(&lockout, "10.0.0.6", now), BASE_MS);
    /* Once the lock runs out: one attempt at a time. */
    now += BASE_MS;
    assert_int_equal(sec_lockout_reserve(&lockout, "10.0.0.6", now), 0);
    assert_int_equal(sec_lockout_reserve(&lockout, "10.0.0.6", now), PENDING_WAIT_MS);
    sec_lockout_settle(&lockout, "10.0.0.6", 1, now);
    /* Some in flight and some failed: together they make the threshold. */
    for (int i = 0; i < 4; i++) {
        fail_once("10.0.0.7", now);
    }
    for (int i = 4; i < PP_LOGIN_FAILURES_MAX; i++) {
        assert_int_equal(sec_lockout_reserve(&lockout, "10.0.0.7", now), 0);
    }
    assert_int_equal(sec_lockout_reserve(&lockout, "10.0.0.7", now), PENDING_WAIT_MS);
    for (int i = 4; i < PP_LOGIN_FAILURES_MAX; i++) {
        sec_lockout_settle(&lockout, "10.0.0.7", 1, now);
    }
    assert_int_equal(sec_lockout_reserve(&lockout, "10.0.0.7", now), 0);
    sec_lockout_settle(&lockout, "10.0.0.7", 1, now);
}

#define THREADS 8
#define ATTEMPTS_PER_THREAD 50

static pthread_barrier_t start_line;
static int64_t granted[THREADS];

/* Reserves as fast as it can without settling (guesses still in flight). */
static void *guesser(void *arg)
{
    int64_t *count = arg;
    pthread_barrier_wait(&start_line);
    for (int i = 0; i < ATTEMPTS_PER_THREAD; i++) {
        if (sec_lockout_reserve(&lockout, "10.0.0.8", 50000000) == 0) {
            (*count)++;
        }
    }
    return NULL;
}

static void test_parallel_burst(void **state)
{
    (void)state;
    pthread_t threads[THREADS];
    assert_int_equal(pthread_barrier_init(&start_line, NULL, THREADS), 0);
    for (int i = 0; i < THREADS; i++) {
        granted[i] = 0;
        assert_int_equal(pthread_create(&threads[i], NULL, guesser, &granted[i]), 0);
    }
    int64_t total = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        total += granted[i];
    }
    pthread_barrier_destroy(&start_line);
    /* 400 parallel guesses: exactly the threshold were let through. */
    assert_int_equal(total, PP_LOGIN_FAILURES_MAX);
    for (int64_t i = 0; i < total; i++) {
        sec_lockout_settle(&lockout, "10.0.0.8", 0, 50000000);
    }
    assert_int_equal(sec_lockout_reserve(&lockout, "10.0.0.8", 50000000), BASE_MS);
}

static void test_table_full(void **state)
{
    (void)state;
    char addr[32];
    int64_t now = 60000000;
    /* The first address is locked and the oldest; every slot is then
    ** taken by newer failures. */
    for (int i = 0; i < PP_LOGIN_FAILURES_MAX; i++) {
        fail_once("10.9.9.9", now);
    }
    assert_int_equal(sec_lockout_reserve(&lockout, "10.9.9.9", now), BASE_MS);
    /* The second one has a guess in flight: it is never forgotten. */
    assert_int_equal(sec_lockout_reserve(&lockout, "10.8.8.8", now), 0);
    for (int i = 0; i < PP_LOGIN_ADDRS_MAX - 2; i++) {
        snprintf(addr, sizeof addr, "172.16.%d.%d", i / 256, i % 256);
        fail_once(addr, now + BASE_MS + 1 + i);
    }
    /* One more address: the oldest (the locked one) is forgotten. */
    fail_once("10.7.7.7", now + BASE_MS + PP_LOGIN_ADDRS_MAX);
    int64_t t = now + BASE_MS + PP_LOGIN_ADDRS_MAX;
    for (int i = 0; i < PP_LOGIN_FAILURES_MAX - 1; i++) {
        fail_once("10.9.9.9", t);
    }
    assert_int_equal(sec_lockout_reserve(&lockout, "10.9.9.9", t), 0);
    sec_lockout_settle(&lockout, "10.9.9.9", 1, t);
    /* The one in flight is still there and can be settled. */
    sec_lockout_settle(&lockout, "10.8.8.8", 0, t);

    /* Every slot with a guess in flight: a new address must wait. */
    sec_lockout_clear(&lockout);
    for (int i = 0; i < PP_LOGIN_ADDRS_MAX; i++) {
        snprintf(addr, sizeof addr, "172.17.%d.%d", i / 256, i % 256);
        assert_int_equal(sec_lockout_reserve(&lockout, addr, now), 0);
    }
    assert_int_equal(sec_lockout_reserve(&lockout, "10.6.6.6", now), PENDING_WAIT_MS);
    snprintf(addr, sizeof addr, "172.17.%d.%d", 0, 0);
    sec_lockout_settle(&lockout, addr, 1, now);
    assert_int_equal(sec_lockout_reserve(&lockout, "10.6.6.6", now), 0);
    sec_lockout_settle(&lockout, "10.6.6.6", 1, now);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_threshold, setup),
        cmocka_unit_test_setup(test_doubling_and_cap, setup),
        cmocka_unit_test_setup(test_window_expiry, setup),
        cmocka_unit_test_setup(test_success_forgets, setup),
        cmocka_unit_test_setup(test_addresses_independent, setup),
        cmocka_unit_test_setup(test_in_flight_counted, setup),
        cmocka_unit_test_setup(test_parallel_burst, setup),
        cmocka_unit_test_setup(test_table_full, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
