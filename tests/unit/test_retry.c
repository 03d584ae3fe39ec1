/*
** This module implements the unit tests of out/retry.c: the default
** schedule of spec §9 step by step, the give-up rule, jitter bounded to
** ±10% at both extremes of the random source, Retry-After only ever
** postponing and capped, the strict --webhook-retry-ms parser (good and
** bad values, the step and length limits), the Retry-After reader
** (delta-seconds, IMF-fixdate against known Unix times, dates in the
** past, invalid calendars and weekdays) and the 5-days rule at its edge.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "payout/out/retry.h"

#define S 1000LL
#define MIN (60 * S)
#define H (60 * MIN)

static uint32_t fixed_value;
static uint32_t fixed_next(void *ctx)
{
    (void)ctx;
    return fixed_value;
}
static const struct out_retry_rand fixed = {fixed_next, NULL};

static void retry_default_schedule(void **state)
{
    (void)state;
    static const int64_t want[] = {5 * S, 5 * MIN, 30 * MIN, 2 * H, 5 * H, 10 * H, 10 * H};
    struct out_retry_schedule s;

    out_retry_schedule_default(&s);
    assert_int_equal(s.count, 7);
    for (unsigned i = 0; i < 7; i++) {
        assert_false(out_retry_exhausted(&s, i + 1));
        assert_int_equal(out_retry_next_ms(&s, i + 1, 1000000, -1, NULL), 1000000 + want[i]);
    }
    /* The 8th failure (first attempt and 7 retries) gives up. */
    assert_true(out_retry_exhausted(&s, 8));
    assert_true(out_retry_exhausted(&s, 100));
}

static void retry_jitter_bounds(void **state)
{
    (void)state;
    struct out_retry_schedule s;
    out_retry_schedule_default(&s);

    fixed_value = 0; /* the lowest draw: -10% */
    assert_int_equal(out_retry_next_ms(&s, 1, 0, -1, &fixed), 4500);
    assert_int_equal(out_retry_next_ms(&s, 7, 0, -1, &fixed), 9 * H);
    fixed_value = UINT32_MAX; /* the highest draw: +10% */
    assert_int_equal(out_retry_next_ms(&s, 1, 0, -1, &fixed), 5500);
    assert_int_equal(out_retry_next_ms(&s, 7, 0, -1, &fixed), 11 * H);
    fixed_value = 1u << 31; /* the middle draw: no change */
    assert_int_equal(out_retry_next_ms(&s, 2, 7, -1, &fixed), 7 + 5 * MIN);
    /* A 1 ms step has no room to move and never becomes 0. */
    assert_int_equal(out_retry_schedule_parse("1", &s, NULL), PP_OK);
    fixed_value = 0;
    assert_int_equal(out_retry_next_ms(&s, 1, 50, -1, &fixed), 51);
}

static void retry_after_postpones_only(void **state)
{
    (void)state;
    struct out_retry_schedule s;
    out_retry_schedule_default(&s);

    /* Earlier than the schedule: the schedule wins. */
    assert_int_equal(out_retry_next_ms(&s, 2, 0, 1000, NULL), 5 * MIN);
    assert_int_equal(out_retry_next_ms(&s, 2, 0, 0, NULL), 5 * MIN);
    /* Later: the receiver's time, without jitter. */
    fixed_value = 0;
    assert_int_equal(out_retry_next_ms(&s, 1, 100, 3 * H, &fixed), 100 + 3 * H);
    /* Capped at a day. */
    assert_int_equal(out_retry_next_ms(&s, 1, 0, 1000 * H, NULL), PP_WEBHOOK_RETRY_AFTER_MS_MAX);
}

static void retry_parse_good(void **state)
{
    (void)state;
    struct out_retry_schedule s;

    assert_int_equal(out_retry_schedule_parse("100,200,400", &s, NULL), PP_OK);
    assert_int_equal(s.count, 3);
    assert_int_equal(s.delays_ms[0], 100);
    assert_int_equal(s.delays_ms[2], 400);
    assert_true(out_retry_exhausted(&s, 4));
    assert_false(out_retry_exhausted(&s, 3));
    assert_int_equal(out_retry_schedule_parse("86400000,1", &s, NULL), PP_OK);
    assert_int_equal(s.delays_ms[0], PP_WEBHOOK_RETRY_DELAY_MS_MAX);

    char text[PP_WEBHOOK_RETRY_TEXT_BYTES_MAX + 32] = "";
    size_t len = 0;
    for (int i = 0; i < PP_WEBHOOK_RETRY_STEPS_MAX; i++) {
        len += (size_t)snprintf(text + len, sizeof text - len, "%s%d", i ? "," : "", 10000000 + i);
    }
    assert_int_equal(out_retry_schedule_parse(text, &s, NULL), PP_OK);
    assert_int_equal(s.count, PP_WEBHOOK_RETRY_STEPS_MAX);
    snprintf(text + len, sizeof text - len, ",5");
    assert_int_equal(out_retry_schedule_parse(text, &s, NULL), PP_INVALID_PARAMS);
    assert_int_equal(s.count, PP_WEBHOOK_RETRY_STEPS_MAX); /* unchanged */
}

static void retry_parse_bad(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",     "0",    "-5",  "+5",  "05",  "5,",   ",5",       "5,,6",
        "5, 6", " 5",   "5 ",  "5.0", "1e3", "0x10", "86400001", "99999999999999999999",
        "5;6",  "five", "5,0", ",",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct out_retry_schedule s;
        struct pp_err err;
        out_retry_schedule_default(&s);
        pp_err_clear(&err);
        if (out_retry_schedule_parse(bad[i], &s, &err) != PP_INVALID_PARAMS) {
            fail_msg("accepted \"%s\"", bad[i]);
        }
        assert_int_equal(s.count, 7);
        assert_non_null(strstr(err.message, "--webhook-retry-ms"));
    }
}

static void retry_after_values(void **state)
{
    (void)state;
    int64_t wait = 0;
    /* 1994-11-06T08:49:37Z is 784111777 (date -u -d ... +%s). */
    const int64_t t1994 = 784111777LL * S;

    assert_int_equal(out_retry_after_parse("120", 0, &wait), PP_OK);
    assert_int_equal(wait, 120 * S);
    assert_int_equal(out_retry_after_parse(" 0 ", 0, &wait), PP_OK);
    assert_int_equal(wait, 0);
    assert_int_equal(out_retry_after_parse("99999999999999", 0, &wait), PP_OK);
    assert_int_equal(wait, PP_WEBHOOK_RETRY_AFTER_MS_MAX);
    assert_int_equal(out_retry_after_parse("Sun, 06 Nov 1994 08:49:37 GMT", t1994 - 5 * S, &wait),
                     PP_OK);
    assert_int_equal(wait, 5 * S);
    assert_int_equal(out_retry_after_parse("Sun, 06 Nov 1994 08:49:37 GMT", t1994 + S, &wait),
                     PP_OK);
    assert_int_equal(wait, 0);
    assert_int_equal(out_retry_after_parse("Sun, 06 Nov 1994 08:49:37 GMT", 0, &wait), PP_OK);
    assert_int_equal(wait, PP_WEBHOOK_RETRY_AFTER_MS_MAX);
    /* 2024-02-29 is a Thursday; 2000-03-01T00:00:00Z is 951868800. */
    assert_int_equal(out_retry_after_parse("Thu, 29 Feb 2024 00:00:00 GMT", 0, &wait), PP_OK);
    assert_int_equal(
        out_retry_after_parse("Wed, 01 Mar 2000 00:00:00 GMT", 951868800LL * S - H, &wait), PP_OK);
    assert_int_equal(wait, H);
    assert_int_equal(out_retry_after_parse("Thu, 01 Jan 1970 00:00:00 GMT", 0, &wait), PP_OK);
    assert_int_equal(wait, 0);
}

static void retry_after_bad(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "   ",
        "-1",
        "1.5",
        "12 34",
        "soon",
        "Mon, 06 Nov 1994 08:49:37 GMT",  /* wrong weekday */
        "Thu, 29 Feb 2023 00:00:00 GMT",  /* no such day */
        "Fri, 31 Nov 2023 00:00:00 GMT",  /* no such day */
        "Sun, 06 Nov 1994 24:00:00 GMT",  /* no such hour */
        "Sun, 06 Nov 1994 08:60:00 GMT",  /* no such minute */
        "Sun, 06 Nov 1994 08:49:37 UTC",  /* not GMT */
        "Sun, 6 Nov 1994 08:49:37 GMT",   /* one-digit day */
        "Sunday, 06-Nov-94 08:49:37 GMT", /* RFC 850, obsolete */
        "Sun Nov  6 08:49:37 1994",       /* asctime, obsolete */
        "sun, 06 nov 1994 08:49:37 gmt",  /* names are case-sensitive */
        "Sun, 06 Nov 1994 08:49:37 GMT junk",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t wait = 7;
        if (out_retry_after_parse(bad[i], 0, &wait) != PP_INVALID_PARAMS) {
            fail_msg("accepted \"%s\"", bad[i]);
        }
        assert_int_equal(wait, -1);
    }
}

static void retry_five_days(void **state)
{
    (void)state;
    const int64_t five_days = 5 * 24 * H;

    assert_false(out_retry_endpoint_expired(-1, five_days * 10));
    assert_false(out_retry_endpoint_expired(1000, 1000 + five_days - 1));
    assert_true(out_retry_endpoint_expired(1000, 1000 + five_days));
    assert_true(out_retry_endpoint_expired(0, five_days + 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(retry_default_schedule),
        cmocka_unit_test(retry_jitter_bounds),
        cmocka_unit_test(retry_after_postpones_only),
        cmocka_unit_test(retry_parse_good),
        cmocka_unit_test(retry_parse_bad),
        cmocka_unit_test(retry_after_values),
        cmocka_unit_test(retry_after_bad),
        cmocka_unit_test(retry_five_days),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
