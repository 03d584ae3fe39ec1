/*
** This module implements money parsing and formatting. Decimal text, or a
** JSON number that arrived as a double or an integer, becomes integer
** minor units of a currency through exact integer arithmetic only; minor
** units go back out as canonical decimal text, also the 128-bit sums of
** many amounts (totals and lifetime figures that may pass 2^63). Doubles appear only in
** core_money_from_double and core_double_shortest, which turn a double into
** its shortest round-tripping decimal text before any arithmetic is done.
**
** It does not hold the currency table (currencies.c) and does not decide
** whether an amount must be positive (the caller does: zero is accepted).
**
** Accepted text: one or more digits, optionally '.' followed by one or more
** digits, optionally 'e'/'E', an optional sign and one or more digits.
** Leading zeros are accepted ("007"). Refused: a sign in front, spaces,
** "", ".", ".5" and "1." (JSON never produces the last two and "%.17g"
** never does either, so refusing them costs nothing and keeps the grammar
** that of a JSON number without its sign), hex, "inf", "nan".
*/
#include "payout/core/money.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payout/base/assert.h"
#include "payout/limits.h"

/* |exponent| is clamped here while reading it: beyond this every non-zero
** amount is too large or too fine for any currency anyway, and the clamp
** keeps the scale arithmetic far from overflow. */
#define EXPONENT_CLAMP 10000L

/* The most digits an int64 holds without overflow (10^18 - 1). */
#define INT64_SAFE_DIGITS 18

/* Powers of ten that fit an int64: 10^0 .. 10^18. */
static const int64_t pow10_table[INT64_SAFE_DIGITS + 1] = {
    1LL,
    10LL,
    100LL,
    1000LL,
    10000LL,
    100000LL,
    1000000LL,
    10000000LL,
    100000000LL,
    1000000000LL,
    10000000000LL,
    100000000000LL,
    1000000000000LL,
    10000000000000LL,
    100000000000000LL,
    1000000000000000LL,
    10000000000000000LL,
    100000000000000000LL,
    1000000000000000000LL,
};

/* A parsed decimal: value = digits[0..count) * 10^scale, with no leading
** or trailing zeros in digits (count 0 means the value is zero). */
struct decimal {
    char digits[PP_AMOUNT_TEXT_BYTES_MAX];
    size_t start;
    size_t count;
    long scale;
};

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Reads the exponent part after 'e'/'E' at text[*pos]; clamps its size. */
static int scan_exponent(const char *text, size_t len, size_t *pos, long *exp_out)
{
    size_t p = *pos;
    long sign = 1;
    long value = 0;
    size_t first;

    if (p < len && (text[p] == '+' || text[p] == '-')) {
        sign = text[p] == '-' ? -1 : 1;
        p++;
    }
    first = p;
    while (p < len && is_digit(text[p])) {
        if (value < EXPONENT_CLAMP) {
            value = value * 10 + (text[p] - '0');
        }
        p++;
    }
    if (p == first) {
        return 0;
    }
    *pos = p;
    *exp_out = sign * (value < EXPONENT_CLAMP ? value : EXPONENT_CLAMP);
    return 1;
}

/* Splits text into significant digits and a power-of-ten scale. Returns 0
** when text is not in the accepted grammar (see the top of this file). */
static int scan_decimal(const char *text, size_t len, struct decimal *d)
{
    size_t pos = 0;
    size_t n = 0;
    long frac_digits = 0;
    long exponent = 0;

    while (pos < len && is_digit(text[pos])) {
        d->digits[n++] = text[pos++];
    }
    if (n == 0) {
        return 0;
    }
    if (pos < len && text[pos] == '.') {
        pos++;
        while (pos < len && is_digit(text[pos])) {
            d->digits[n++] = text[pos++];
            frac_digits++;
        }
        if (frac_digits == 0) {
            return 0;
        }
    }
    if (pos < len && (text[pos] == 'e' || text[pos] == 'E')) {
        pos++;
        if (!scan_exponent(text, len, &pos, &exponent)) {
            return 0;
        }
    }
    if (pos != len) {
        return 0;
    }
    d->start = 0;
    d->count = n;
    d->scale = exponent - frac_digits;
    while (d->count > 0 && d->digits[d->start] == '0') {
        d->start++;
        d->count--;
    }
    while (d->count > 0 && d->digits[d->start + d->count - 1] == '0') {
        d->count--;
        d->scale++;
    }
    return 1;
}

enum pp_status core_money_parse(const char *text, size_t len, const struct core_currency *cur,
                                const char *field, int64_t *minor_out, struct pp_err *err)
{
    enum pp_status status = PP_OK;
    struct decimal d;
    int64_t value = 0;
    long shift;

    PP_ASSERT(cur != NULL && field != NULL && minor_out != NULL);
    PP_ASSERT(cur->exponent >= 0 && cur->exponent <= INT64_SAFE_DIGITS);
    PP_ASSERT(text != NULL || len == 0);
    if (len == 0 || len > PP_AMOUNT_TEXT_BYTES_MAX || !scan_decimal(text, len, &d)) {
        status = pp_err_set(err, PP_INVALID_PARAMS, "%s is not a valid number", field);
        goto done;
    }
    shift = d.scale + cur->exponent;
    if (d.count > 0 && shift < 0) {
        status = pp_err_set(err, PP_INVALID_PARAMS, "%s has more decimals than %s allows (%d)",
                            field, cur->code, cur->exponent);
        goto done;
    }
    if (d.count > 0 && (long)d.count + shift > INT64_SAFE_DIGITS) {
        status = pp_err_set(err, PP_INVALID_PARAMS, "%s is too large", field);
        goto done;
    }
    /* Now count + shift <= 18 digits: the value cannot overflow an int64. */
    for (size_t i = 0; i < d.count; i++) {
        value = value * 10 + (d.digits[d.start + i] - '0');
    }
    if (d.count > 0) {
        value *= pow10_table[shift];
    }
    if (value > PP_AMOUNT_MINOR_MAX) {
        status = pp_err_set(err, PP_INVALID_PARAMS, "%s is too large", field);
        goto done;
    }
    *minor_out = value;
done:
    return status;
}

enum pp_status core_money_from_double(double value, const struct core_currency *cur,
                                      const char *field, int64_t *minor_out, struct pp_err *err)
{
    enum pp_status status;
    char text[32];
    size_t len;

    PP_ASSERT(cur != NULL && field != NULL && minor_out != NULL);
    if (isnan(value) || isinf(value)) {
        status = pp_err_set(err, PP_INVALID_PARAMS, "%s is not a valid number", field);
        goto done;
    }
    if (value < 0) {
        status = pp_err_set(err, PP_INVALID_PARAMS, "%s must not be negative", field);
        goto done;
    }
    /* -0.0 would print as "-0"; it is zero. */
    if (value == 0) {
        value = 0.0;
    }
    len = core_double_shortest(value, text, sizeof text);
    status = core_money_parse(text, len, cur, field, minor_out, err);
done:
    return status;
}

enum pp_status core_money_from_int(long long value, const struct core_currency *cur,
                                   const char *field, int64_t *minor_out, struct pp_err *err)
{
    enum pp_status status = PP_OK;
    int64_t scale;

    PP_ASSERT(cur != NULL && field != NULL && minor_out != NULL);
    PP_ASSERT(cur->exponent >= 0 && cur->exponent <= INT64_SAFE_DIGITS);
    scale = pow10_table[cur->exponent];
    if (value < 0) {
        status = pp_err_set(err, PP_INVALID_PARAMS, "%s must not be negative", field);
        goto done;
    }
    /* value * scale <= MAX exactly when value <= floor(MAX / scale). */
    if (value > PP_AMOUNT_MINOR_MAX / scale) {
        status = pp_err_set(err, PP_INVALID_PARAMS, "%s is too large", field);
        goto done;
    }
    *minor_out = (int64_t)value * scale;
done:
    return status;
}

/* Writes the magnitude mag, negative or not, as canonical decimal text
** with at most exponent decimals (see core_money_format). 40 digits hold
** any unsigned 128-bit value; asserts that the text fits out_size. */
static size_t format_magnitude(unsigned __int128 mag, int negative, int exponent, char *out,
                               size_t out_size)
{
    /* Digits of mag, least significant first. */
    char rev[48];
    size_t n = 0;
    size_t len = 0;
    size_t exp;
    size_t low = 0;

    PP_ASSERT(out != NULL);
    PP_ASSERT(exponent >= 0 && exponent <= INT64_SAFE_DIGITS);
    exp = (size_t)exponent;
    do {
        rev[n++] = (char)('0' + (int)(mag % 10));
        mag /= 10;
    } while (mag != 0);
    while (n < exp + 1) {
        rev[n++] = '0';
    }
    /* Trailing zeros of the fraction are not written. */
    while (low < exp && rev[low] == '0') {
        low++;
    }
    /* Sign, digits, point, NUL. */
    PP_ASSERT(out_size >= n + 3);
    if (negative) {
        out[len++] = '-';
    }
    for (size_t i = n; i > exp; i--) {
        out[len++] = rev[i - 1];
    }
    if (low < exp) {
        out[len++] = '.';
        for (size_t i = exp; i > low; i--) {
            out[len++] = rev[i - 1];
        }
    }
    out[len] = '\0';
    return len;
}

size_t core_money_format(int64_t minor, int exponent, char *out, size_t out_size)
{
    uint64_t mag = minor < 0 ? (uint64_t)0 - (uint64_t)minor : (uint64_t)minor;
    PP_ASSERT(out != NULL && out_size >= PP_AMOUNT_TEXT_BYTES);
    return format_magnitude(mag, minor < 0, exponent, out, out_size);
}

size_t core_money_format_wide(__int128 minor, int exponent, char *out, size_t out_size)
{
    /* Negating in unsigned arithmetic is exact also for the most negative
    ** value, as in core_money_format. */
    unsigned __int128 mag =
        minor < 0 ? (unsigned __int128)0 - (unsigned __int128)minor : (unsigned __int128)minor;
    PP_ASSERT(out != NULL && out_size >= PP_AMOUNT_WIDE_TEXT_BYTES);
    return format_magnitude(mag, minor < 0, exponent, out, out_size);
}

size_t core_double_shortest(double value, char *out, size_t out_size)
{
    char fixed[400];
    int n = 0;
    int m;

    PP_ASSERT(out != NULL && out_size >= 32);
    PP_ASSERT(isfinite(value));
    /* 17 significant digits always round-trip an IEEE double, so the loop
    ** ends with a match at the latest on its last round. */
    for (int precision = 1; precision <= 17; precision++) {
        n = snprintf(out, out_size, "%.*g", precision, value);
        PP_ASSERT(n > 0 && (size_t)n < out_size);
        if (strtod(out, NULL) == value) {
            break;
        }
    }
    /* "%g" writes 100 as "1e+02". A value that needs an exponent of at
    ** least its digit count is an integer (the double nearest an integer
    ** below 2^53 is that integer; above, every double is one), so "%.0f"
    ** writes it exactly; it wins unless longer ("100", not "1e+02"). */
    if (strchr(out, 'e') != NULL && fabs(value) >= 1) {
        m = snprintf(fixed, sizeof fixed, "%.0f", value);
        PP_ASSERT(m > 0 && (size_t)m < sizeof fixed);
        if (m <= n) {
            memcpy(out, fixed, (size_t)m + 1);
            n = m;
        }
    }
    return (size_t)n;
}
