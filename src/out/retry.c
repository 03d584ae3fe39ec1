/*
** This module implements the retry schedule of outbound deliveries: the
** default steps of spec §9, the strict --webhook-retry-ms parser, the next
** attempt's time with bounded jitter and Retry-After, the give-up rule and
** the 5-days rule, and a Retry-After reader (delta-seconds and
** IMF-fixdate, with the calendar done by hand so no invalid date is
** normalised into a valid one).
**
** It does not keep time, store attempts or decide what counts as a
** failure; the delivery worker does.
*/
#include "payout/out/retry.h"

#include <string.h>

#include "payout/base/assert.h"

#define SECOND_MS 1000LL
#define MINUTE_MS (60LL * SECOND_MS)
#define HOUR_MS (60LL * MINUTE_MS)
#define DAY_MS (24LL * HOUR_MS)

static const int64_t default_steps_ms[] = {
    5 * SECOND_MS, 5 * MINUTE_MS, 30 * MINUTE_MS, 2 * HOUR_MS,
    5 * HOUR_MS,   10 * HOUR_MS,  10 * HOUR_MS,
};

_Static_assert(sizeof default_steps_ms / sizeof default_steps_ms[0] <= PP_WEBHOOK_RETRY_STEPS_MAX,
               "the default schedule fits the table");

void out_retry_schedule_default(struct out_retry_schedule *s)
{
    PP_ASSERT(s != NULL);
    memset(s, 0, sizeof *s);
    s->count = sizeof default_steps_ms / sizeof default_steps_ms[0];
    memcpy(s->delays_ms, default_steps_ms, sizeof default_steps_ms);
}

/* Reads one step: digits only, no leading zero, 1..PP_WEBHOOK_RETRY_DELAY_MS_MAX. */
static int step_parse(const char *p, size_t n, int64_t *out)
{
    int64_t value = 0;

    if (n == 0 || n > 12 || p[0] == '0') {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return 0;
        }
        value = value * 10 + (p[i] - '0');
    }
    if (value > PP_WEBHOOK_RETRY_DELAY_MS_MAX) {
        return 0;
    }
    *out = value;
    return 1;
}

enum pp_status out_retry_schedule_parse(const char *text, struct out_retry_schedule *s,
                                        struct pp_err *err)
{
    struct out_retry_schedule parsed;
    enum pp_status status = PP_OK;

    PP_ASSERT(text != NULL && s != NULL);
    memset(&parsed, 0, sizeof parsed);
    if (strlen(text) > PP_WEBHOOK_RETRY_TEXT_BYTES_MAX) {
        status = pp_err_set(err, PP_INVALID_PARAMS, "--webhook-retry-ms is too long");
        goto done;
    }
    const char *p = text;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);
        if (parsed.count == PP_WEBHOOK_RETRY_STEPS_MAX) {
            status = pp_err_set(err, PP_INVALID_PARAMS, "--webhook-retry-ms has more than %d steps",
                                PP_WEBHOOK_RETRY_STEPS_MAX);
            goto done;
        }
        if (!step_parse(p, n, &parsed.delays_ms[parsed.count])) {
            status = pp_err_set(err, PP_INVALID_PARAMS,
                                "--webhook-retry-ms takes comma-separated milliseconds, each "
                                "1 to %lld (step %zu is not)",
                                (long long)PP_WEBHOOK_RETRY_DELAY_MS_MAX, parsed.count + 1);
            goto done;
        }
        parsed.count++;
        if (comma == NULL) {
            break;
        }
        p = comma + 1;
    }
    *s = parsed;
done:
    return status;
}

int out_retry_exhausted(const struct out_retry_schedule *s, unsigned attempts_done)
{
    PP_ASSERT(s != NULL && attempts_done >= 1);
    return attempts_done > s->count;
}

/* delay_ms moved by a uniform offset in [-j, +j], j = PCT% of it, at least 1. */
static int64_t jitter(int64_t delay_ms, const struct out_retry_rand *rand)
{
    if (rand == NULL || rand->next == NULL) {
        return delay_ms;
    }
    uint64_t j = (uint64_t)delay_ms * PP_WEBHOOK_RETRY_JITTER_PCT / 100u;
    uint64_t r = rand->next(rand->ctx);
    /* Multiply-shift maps 32 random bits onto [0, 2j]; j < 2^24 keeps the
    ** product far inside 64 bits. */
    int64_t offset = (int64_t)((r * (2u * j + 1u)) >> 32) - (int64_t)j;
    int64_t moved = delay_ms + offset;
    return moved < 1 ? 1 : moved;
}

int64_t out_retry_next_ms(const struct out_retry_schedule *s, unsigned attempts_done,
                          int64_t now_ms, int64_t retry_after_ms, const struct out_retry_rand *rand)
{
    PP_ASSERT(s != NULL && attempts_done >= 1 && attempts_done <= s->count);
    int64_t wait_ms = jitter(s->delays_ms[attempts_done - 1], rand);
    if (retry_after_ms > PP_WEBHOOK_RETRY_AFTER_MS_MAX) {
        retry_after_ms = PP_WEBHOOK_RETRY_AFTER_MS_MAX;
    }
    if (retry_after_ms > wait_ms) {
        wait_ms = retry_after_ms;
    }
    return now_ms + wait_ms;
}

int out_retry_endpoint_expired(int64_t failing_since_ms, int64_t now_ms)
{
    return failing_since_ms >= 0 && now_ms - failing_since_ms >= PP_WEBHOOK_DISABLE_AFTER_MS;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
** (years counted from March, so the leap day ends a year). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in_month(int64_t y, int64_t m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return days[m - 1] + (m == 2 && leap);
}

/* Reads n digits at p into *out; 0 if any is not a digit. */
static int digits_read(const char *p, size_t n, int64_t *out)
{
    int64_t value = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return 0;
        }
        value = value * 10 + (p[i] - '0');
    }
    *out = value;
    return 1;
}

static int name_index(const char *p, const char *names, int count)
{
    for (int i = 0; i < count; i++) {
        if (memcmp(p, names + 3 * i, 3) == 0) {
            return i;
        }
    }
    return -1;
}

/* "Sun, 06 Nov 1994 08:49:37 GMT" (exactly 29 characters) to Unix ms. */
static int imf_fixdate_parse(const char *p, size_t n, int64_t *unix_ms)
{
    int64_t d, y, hh, mm, ss;

    if (n != 29 || memcmp(p + 3, ", ", 2) != 0 || p[7] != ' ' || p[11] != ' ' || p[16] != ' ' ||
        p[19] != ':' || p[22] != ':' || memcmp(p + 25, " GMT", 4) != 0) {
        return 0;
    }
    int wday = name_index(p, "ThuFriSatSunMonTueWed", 7); /* 1970-01-01 was a Thursday */
    int month = name_index(p + 8, "JanFebMarAprMayJunJulAugSepOctNovDec", 12) + 1;
    if (wday < 0 || month < 1 || !digits_read(p + 5, 2, &d) || !digits_read(p + 12, 4, &y) ||
        !digits_read(p + 17, 2, &hh) || !digits_read(p + 20, 2, &mm) ||
        !digits_read(p + 23, 2, &ss)) {
        return 0;
    }
    if (d < 1 || d > days_in_month(y, month) || hh > 23 || mm > 59 || ss > 60) {
        return 0;
    }
    int64_t days = days_from_civil(y, month, d);
    if (((days % 7) + 7) % 7 != wday) {
        return 0;
    }
    *unix_ms = ((days * 24 + hh) * 60 + mm) * 60 * SECOND_MS + ss * SECOND_MS;
    return 1;
}

enum pp_status out_retry_after_parse(const char *value, int64_t now_ms, int64_t *wait_ms)
{
    enum pp_status status = PP_INVALID_PARAMS;
    int64_t at_ms = 0;

    PP_ASSERT(value != NULL && wait_ms != NULL);
    *wait_ms = -1;
    size_t n = strnlen(value, PP_WEBHOOK_RETRY_AFTER_TEXT_BYTES_MAX + 1);
    if (n > PP_WEBHOOK_RETRY_AFTER_TEXT_BYTES_MAX) {
        goto done;
    }
    while (n > 0 && (*value == ' ' || *value == '\t')) {
        value++;
        n--;
    }
    while (n > 0 && (value[n - 1] == ' ' || value[n - 1] == '\t')) {
        n--;
    }
    size_t digits = strspn(value, "0123456789");
    if (n > 0 && digits >= n) {
        /* Past 10 digits (over 300 years) the cap applies anyway. */
        int64_t seconds = 0;
        (void)digits_read(value, n > 10 ? 10 : n, &seconds);
        *wait_ms = n > 10 ? PP_WEBHOOK_RETRY_AFTER_MS_MAX : seconds * SECOND_MS;
        status = PP_OK;
    } else if (imf_fixdate_parse(value, n, &at_ms)) {
        *wait_ms = at_ms > now_ms ? at_ms - now_ms : 0;
        status = PP_OK;
    }
    if (*wait_ms > PP_WEBHOOK_RETRY_AFTER_MS_MAX) {
        *wait_ms = PP_WEBHOOK_RETRY_AFTER_MS_MAX;
    }
done:
    return status;
}
