/*
** This module implements the fuzz target of the money parser and
** formatter (core/money.c). The input's first byte picks a mode, the rest
** is the text (or the bytes of a number). Properties:
** - core_money_parse accepts only amounts 0..PP_AMOUNT_MINOR_MAX; the
**   canonical text core_money_format writes for the result parses back to
**   the same minor units, and is canonical (digits, at most one '.', no
**   trailing zero in the fraction, at most the currency's decimals);
** - the same text read in a currency with more decimals gives exactly
**   10^k times the minor units, and is accepted whenever that fits;
** - a double accepted by core_money_from_double equals the parse of its
**   shortest text (of 0 for -0.0), which strtod reads back as the same
**   double;
** - an integer accepted by core_money_from_int is value * 10^decimals;
** - any int64 formats to text that parses back (sign aside) when in range.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "payout/core/money.h"
#include "payout/limits.h"

static const char *const codes[] = {"JPY", "GBP", "BHD", "CLF"}; /* 0, 2, 3, 4 decimals */
#define CODES (sizeof codes / sizeof codes[0])

static const struct core_currency *currency(size_t i)
{
    const struct core_currency *cur = core_currency_find(codes[i % CODES], 3);
    FUZZ_CHECK(cur != NULL);
    return cur;
}

static int64_t pow10_i64(int k)
{
    int64_t p = 1;
    for (int i = 0; i < k; i++) {
        p *= 10;
    }
    return p;
}

/* text is the canonical form of a non-negative amount in cur. */
static void check_canonical(const char *text, size_t len, const struct core_currency *cur)
{
    const char *dot = memchr(text, '.', len);
    FUZZ_CHECK(len > 0 && strlen(text) == len);
    for (size_t i = 0; i < len; i++) {
        FUZZ_CHECK((text[i] >= '0' && text[i] <= '9') || &text[i] == dot);
    }
    FUZZ_CHECK(text[0] != '0' || len == 1 || text[1] == '.');
    if (dot != NULL) {
        size_t decimals = len - (size_t)(dot - text) - 1;
        FUZZ_CHECK(decimals > 0 && decimals <= (size_t)cur->exponent);
        FUZZ_CHECK(text[len - 1] != '0');
    }
}

/* minor of cur formats and parses back. */
static void check_round_trip(int64_t minor, const struct core_currency *cur)
{
    char text[PP_AMOUNT_TEXT_BYTES];
    int64_t back = -1;
    struct pp_err err = {0};
    size_t len = core_money_format(minor, cur->exponent, text, sizeof text);
    check_canonical(text, len, cur);
    FUZZ_CHECK(core_money_parse(text, len, cur, "amount", &back, &err) == PP_OK);
    FUZZ_CHECK(back == minor);
}

static void fuzz_text(const char *text, size_t len)
{
    int64_t minors[CODES];
    int ok[CODES];
    for (size_t i = 0; i < CODES; i++) {
        struct pp_err err = {0};
        minors[i] = -1;
        ok[i] = core_money_parse(text, len, currency(i), "amount", &minors[i], &err) == PP_OK;
        if (ok[i]) {
            FUZZ_CHECK(minors[i] >= 0 && minors[i] <= PP_AMOUNT_MINOR_MAX);
            check_round_trip(minors[i], currency(i));
        } else {
            FUZZ_CHECK(err.status == PP_INVALID_PARAMS && err.message[0] != '\0');
        }
    }
    for (size_t i = 0; i < CODES; i++) {
        for (size_t j = i + 1; j < CODES && ok[i]; j++) {
            int64_t scale = pow10_i64(currency(j)->exponent - currency(i)->exponent);
            if (minors[i] <= PP_AMOUNT_MINOR_MAX / scale) {
                FUZZ_CHECK(ok[j] && minors[j] == minors[i] * scale);
            } else {
                FUZZ_CHECK(!ok[j]);
            }
        }
    }
}

static void fuzz_double(double value, const struct core_currency *cur)
{
    int64_t minor = -1;
    struct pp_err err = {0};
    if (isfinite(value)) {
        char text[32];
        size_t len = core_double_shortest(value, text, sizeof text);
        FUZZ_CHECK(len > 0 && len < sizeof text && strtod(text, NULL) == value);
    }
    if (core_money_from_double(value, cur, "amount", &minor, &err) == PP_OK) {
        char text[32];
        int64_t back = -1;
        FUZZ_CHECK(isfinite(value) && value >= 0);
        FUZZ_CHECK(minor >= 0 && minor <= PP_AMOUNT_MINOR_MAX);
        /* -0.0 is zero (its shortest text "-0" is not an amount). */
        size_t len = core_double_shortest(value == 0 ? 0.0 : value, text, sizeof text);
        FUZZ_CHECK(core_money_parse(text, len, cur, "amount", &back, &err) == PP_OK);
        FUZZ_CHECK(back == minor);
        check_round_trip(minor, cur);
    } else {
        FUZZ_CHECK(err.status == PP_INVALID_PARAMS);
    }
}

static void fuzz_int(long long value, const struct core_currency *cur)
{
    int64_t minor = -1;
    struct pp_err err = {0};
    if (core_money_from_int(value, cur, "amount", &minor, &err) == PP_OK) {
        FUZZ_CHECK(value >= 0 && minor <= PP_AMOUNT_MINOR_MAX);
        FUZZ_CHECK(minor == (int64_t)value * pow10_i64(cur->exponent));
    } else {
        int64_t scale = pow10_i64(cur->exponent);
        FUZZ_CHECK(err.status == PP_INVALID_PARAMS);
        FUZZ_CHECK(value < 0 || value > PP_AMOUNT_MINOR_MAX / scale);
    }
}

static void fuzz_format(int64_t minor, const struct core_currency *cur)
{
    char text[PP_AMOUNT_TEXT_BYTES];
    size_t len = core_money_format(minor, cur->exponent, text, sizeof text);
    FUZZ_CHECK(len > 0 && len < sizeof text && strlen(text) == len);
    FUZZ_CHECK((minor < 0) == (text[0] == '-'));
    size_t sign = minor < 0 ? 1 : 0;
    check_canonical(text + sign, len - sign, cur);
    if (minor >= -PP_AMOUNT_MINOR_MAX && minor <= PP_AMOUNT_MINOR_MAX) {
        int64_t back = -1;
        struct pp_err err = {0};
        FUZZ_CHECK(core_money_parse(text + sign, len - sign, cur, "amount", &back, &err) == PP_OK);
        FUZZ_CHECK(back == (minor < 0 ? -minor : minor));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return 0;
    }
    unsigned mode = data[0];
    const struct core_currency *cur = currency(mode >> 2);
    data++;
    size--;
    if ((mode & 3u) == 0 || size < 8) {
        fuzz_text((const char *)data, size);
    } else {
        uint64_t bits = 0;
        memcpy(&bits, data, sizeof bits);
        if ((mode & 3u) == 1) {
            double value;
            memcpy(&value, &bits, sizeof value);
            fuzz_double(value, cur);
        } else if ((mode & 3u) == 2) {
            fuzz_int((long long)bits, cur);
        } else {
            fuzz_format((int64_t)bits, cur);
        }
    }
    return 0;
}
