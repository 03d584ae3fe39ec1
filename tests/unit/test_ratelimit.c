/*
** This module tests the rate limiter (sec/ratelimit.c): the token bucket's
** integer arithmetic (a full start, refusal once empty with the right
** Retry-After, exact refill, the cap, a clock going backwards, no overflow
** after a long idle time, the figures the client sees), and the striped
** table (keys independent, the size bound with eviction, and concurrent
** takes on one key granting exactly the burst).
*/
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "payout/sec/ratelimit.h"

static void take(struct sec_bucket *b, uint32_t rate, uint32_t burst, int64_t now,
                 struct sec_rate_result *r)
{
    sec_bucket_take(b, rate, burst, now, r);
}

static void test_bucket_starts_full_and_empties(void **state)
{
    (void)state;
    struct sec_bucket b = {0};
    struct sec_rate_result r;
    for (uint32_t i = 0; i < 5; i++) {
        take(&b, 2, 5, 1000, &r);
        assert_true(r.allowed);
        assert_int_equal(r.limit, 5);
        assert_int_equal(r.remaining, 4 - i);
        assert_int_equal(r.retry_after_s, 0);
    }
    take(&b, 2, 5, 1000, &r);
    assert_false(r.allowed);
    assert_int_equal(r.remaining, 0);
    /* One token at 2/s takes 500 ms: Retry-After rounds up to 1 s. */
    assert_int_equal(r.retry_after_s, 1);
    /* Empty at 2/s: full again after 2.5 s, told as 3. */
    assert_int_equal(r.reset_s, 3);
}

static void test_bucket_refills_exactly(void **state)
{
    (void)state;
    struct sec_bucket b = {0};
    struct sec_rate_result r;
    for (int i = 0; i < 3; i++) {
        take(&b, 10, 3, 0, &r);
        assert_true(r.allowed);
    }
    take(&b, 10, 3, 99, &r); /* 0.99 tokens: still refused */
    assert_false(r.allowed);
    take(&b, 10, 3, 100, &r); /* exactly one token after 100 ms at 10/s */
    assert_true(r.allowed);
    assert_int_equal(r.remaining, 0);
    take(&b, 10, 3, 100, &r);
    assert_false(r.allowed);
    /* Refused takes do not consume: 100 ms later there is one again. */
    take(&b, 10, 3, 200, &r);
    assert_true(r.allowed);
}

static void test_bucket_caps_at_burst(void **state)
{
    (void)state;
    struct sec_bucket b = {0};
    struct sec_rate_result r;
    take(&b, 100, 4, 0, &r);
    assert_int_equal(r.remaining, 3);
    take(&b, 100, 4, 60000, &r); /* a minute idle: full (4), minus this one */
    assert_int_equal(r.remaining, 3);
    assert_int_equal(r.reset_s, 1);
    /* Ten years idle at the largest rate and burst: no overflow. */
    struct sec_bucket big = {0};
    take(&big, 1000000, 10000000, 0, &r);
    take(&big, 1000000, 10000000, INT64_C(315360000000), &r);
    assert_true(r.allowed);
    assert_int_equal(r.remaining, 9999999);
}

static void test_bucket_clock_backwards(void **state)
{
    (void)state;
    struct sec_bucket b = {0};
    struct sec_rate_result r;
    take(&b, 1, 1, 5000, &r);
    assert_true(r.allowed);
    take(&b, 1, 1, 1000, &r); /* earlier than before: no time passed */
    assert_false(r.allowed);
    take(&b, 1, 1, 5999, &r);
    assert_false(r.allowed);
    take(&b, 1, 1, 6000, &r);
    assert_true(r.allowed);
}

static void test_bucket_retry_after_long_wait(void **state)
{
    (void)state;
    struct sec_bucket b = {0};
    struct sec_rate_result r;
    take(&b, 1, 1, 0, &r);
    take(&b, 1, 1, 1, &r);
    assert_false(r.allowed);
    assert_int_equal(r.retry_after_s, 1);
    /* Peek shows the figures without taking. */
    struct sec_rate_result p;
    sec_bucket_peek(&b, 1, 1, 1000, &p);
    assert_true(p.allowed);
    assert_int_equal(p.remaining, 1);
    sec_bucket_peek(&b, 1, 1, 1000, &p);
    assert_int_equal(p.remaining, 1);
}

static void key_of(uint32_t n, uint8_t key[SEC_SHA256_BYTES])
{
    sec_sha256(&n, sizeof n, key);
}

static void test_table_keys_are_independent(void **state)
{
    (void)state;
    struct sec_ratelimit *rl = sec_ratelimit_create(1, 2, 1024);
    uint8_t a[SEC_SHA256_BYTES];
    uint8_t b[SEC_SHA256_BYTES];
    struct sec_rate_result r;
    key_of(1, a);
    key_of(2, b);
    sec_ratelimit_take(rl, a, 0, &r);
    sec_ratelimit_take(rl, a, 0, &r);
    assert_true(r.allowed);
    sec_ratelimit_take(rl, a, 0, &r);
    assert_false(r.allowed);
    sec_ratelimit_take(rl, b, 0, &r);
    assert_true(r.allowed);
    assert_int_equal(r.remaining, 1);
    assert_int_equal(sec_ratelimit_count(rl), 2);
    sec_ratelimit_destroy(rl);
    sec_ratelimit_destroy(NULL);
}

static void test_table_is_bounded(void **state)
{
    (void)state;
    struct sec_ratelimit *rl = sec_ratelimit_create(1, 1, 256);
    size_t cap = sec_ratelimit_capacity(rl);
    assert_true(cap >= 16 && cap <= 256);
    uint8_t key[SEC_SHA256_BYTES];
    struct sec_rate_result r;
    for (uint32_t i = 0; i < 10000; i++) {
        key_of(i, key);
        sec_ratelimit_take(rl, key, (int64_t)i, &r);
        assert_true(r.allowed); /* each new key starts full */
        assert_true(sec_ratelimit_count(rl) <= cap);
    }
    assert_true(sec_ratelimit_count(rl) > cap / 2);
    /* The most recent key is still tracked: a second take is refused. */
    key_of(9999, key);
    sec_ratelimit_take(rl, key, 9999, &r);
    assert_false(r.allowed);
    sec_ratelimit_destroy(rl);
}

#define RACERS 8
#define TAKES_PER_RACER 500

static struct sec_ratelimit *race_rl;
static int race_allowed[RACERS];

static void *racer(void *arg)
{
    size_t t = *(size_t *)arg;
    uint8_t key[SEC_SHA256_BYTES];
    struct sec_rate_result r;
    key_of(42, key);
    for (int i = 0; i < TAKES_PER_RACER; i++) {
        sec_ratelimit_take(race_rl, key, 1000, &r);
        race_allowed[t] += r.allowed;
    }
    return NULL;
}

static void test_table_concurrent_takes_grant_the_burst(void **state)
{
    (void)state;
    pthread_t threads[RACERS];
    size_t index[RACERS];
    race_rl = sec_ratelimit_create(1, 777, 1024);
    for (size_t t = 0; t < RACERS; t++) {
        index[t] = t;
        race_allowed[t] = 0;
        assert_int_equal(pthread_create(&threads[t], NULL, racer, &index[t]), 0);
    }
    int total = 0;
    for (size_t t = 0; t < RACERS; t++) {
        pthread_join(threads[t], NULL);
        total += race_allowed[t];
    }
    /* The clock stands still: exactly the burst, never one more. */
    assert_int_equal(total, 777);
    sec_ratelimit_destroy(race_rl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bucket_starts_full_and_empties),
        cmocka_unit_test(test_bucket_refills_exactly),
        cmocka_unit_test(test_bucket_caps_at_burst),
        cmocka_unit_test(test_bucket_clock_backwards),
        cmocka_unit_test(test_bucket_retry_after_long_wait),
        cmocka_unit_test(test_table_keys_are_independent),
        cmocka_unit_test(test_table_is_bounded),
        cmocka_unit_test(test_table_concurrent_takes_grant_the_burst),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
