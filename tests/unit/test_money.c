/*
** This module implements the unit tests of core/money: the ISO 4217 table
** (checked exhaustively over every three-letter code), decimal parsing as
** tables of accepted and refused texts per currency exponent, the limits
** at PP_AMOUNT_MINOR_MAX, doubles and integers from JSON, canonical
** formatting, and a seeded round-trip property over random amounts.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payout/core/money.h"
#include "payout/limits.h"

static const struct core_currency *currency(const char *code)
{
    const struct core_currency *cur = core_currency_find(code, strlen(code));
    if (cur == NULL) {
        fail_msg("currency %s missing", code);
    }
    return cur;
}

/* --- currency table ------------------------------------------------------ */

static const struct {
    const char *code;
    int exponent;
} known_currencies[] = {
    {"GBP", 2}, {"EUR", 2}, {"USD", 2}, {"PLN", 2}, {"CHF", 2}, {"AED", 2}, {"ZWG", 2}, {"XCG", 2},
    {"SLE", 2}, {"VED", 2}, {"HUF", 2}, {"IDR", 2}, {"MGA", 2}, {"MRU", 2}, {"JPY", 0}, {"KRW", 0},
    {"ISK", 0}, {"CLP", 0}, {"VND", 0}, {"BIF", 0}, {"DJF", 0}, {"GNF", 0}, {"KMF", 0}, {"PYG", 0},
    {"RWF", 0}, {"UGX", 0}, {"UYI", 0}, {"VUV", 0}, {"XAF", 0}, {"XOF", 0}, {"XPF", 0}, {"BHD", 3},
    {"KWD", 3}, {"JOD", 3}, {"OMR", 3}, {"TND", 3}, {"LYD", 3}, {"IQD", 3}, {"CLF", 4}, {"UYW", 4},
};

static void test_currency_known(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof known_currencies / sizeof known_currencies[0]; i++) {
        const struct core_currency *cur = currency(known_currencies[i].code);
        assert_string_equal(cur->code, known_currencies[i].code);
        if (cur->exponent != known_currencies[i].exponent) {
            fail_msg("%s: exponent %d, want %d", cur->code, cur->exponent,
                     known_currencies[i].exponent);
        }
    }
}

static void test_currency_unknown(void **state)
{
    static const char *const unknown[] = {
        "gbp", "Gbp", "GBp", "XXX", "XTS", "XAU", "XAG", "XPT",  "XPD",  "XDR",
        "XBA", "XBB", "XBC", "XBD", "XSU", "XUA", "HRK", "ABC",  "AAA",  "ZZZ",
        "G P", "GB ", "   ", "123", "GB",  "G",   "",    "GBPX", "EURO", "US$",
    };
    (void)state;
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        if (core_currency_find(unknown[i], strlen(unknown[i])) != NULL) {
            fail_msg("\"%s\" should be unknown", unknown[i]);
        }
    }
    /* The length decides, not a NUL: "GBP" inside a longer text. */
    assert_non_null(core_currency_find("GBPX", 3));
    assert_null(core_currency_find("GBP", 2));
    assert_null(core_currency_find("GB\0", 3));
}

/* Every three-letter code: the binary search finds exactly the table's
** rows (an unsorted table would lose some), with exponents 0, 2, 3 or 4. */
static void test_currency_exhaustive(void **state)
{
    size_t count = 0;
    size_t by_exponent[5] = {0, 0, 0, 0, 0};
    char code[4] = "AAA";
    (void)state;
    for (int a = 0; a < 26; a++) {
        for (int b = 0; b < 26; b++) {
            for (int c = 0; c < 26; c++) {
                code[0] = (char)('A' + a);
                code[1] = (char)('A' + b);
                code[2] = (char)('A' + c);
                const struct core_currency *cur = core_currency_find(code, 3);
                if (cur == NULL) {
                    continue;
                }
                assert_string_equal(cur->code, code);
                assert_true(cur->exponent == 0 || cur->exponent == 2 || cur->exponent == 3 ||
                            cur->exponent == 4);
                by_exponent[cur->exponent]++;
                count++;
            }
        }
    }
    assert_int_equal(count, 169);
    assert_int_equal(by_exponent[0], 17);
    assert_int_equal(by_exponent[3], 7);
    assert_int_equal(by_exponent[4], 2);
    assert_int_equal(by_exponent[2], 169 - 17 - 7 - 2);
}

/* --- parsing --------------------------------------------------------------- */

#define OK PP_OK
#define BAD PP_INVALID_PARAMS

static const struct {
    const char *text;
    const char *code;
    enum pp_status status;
    int64_t minor;       /* when OK */
    const char *message; /* when BAD: the exact message */
} parse_cases[] = {
    /* exponent 2 */
    {"12", "GBP", OK, 1200, NULL},
    {"12.5", "GBP", OK, 1250, NULL},
    {"12.50", "GBP", OK, 1250, NULL},
    {"0.10", "GBP", OK, 10, NULL},
    {"0.1", "GBP", OK, 10, NULL},
    {"0.01", "GBP", OK, 1, NULL},
    {"0.010", "GBP", OK, 1, NULL},
    {"0.0100000000", "GBP", OK, 1, NULL},
    {"1.50", "GBP", OK, 150, NULL},
    {"0", "GBP", OK, 0, NULL},
    {"0.0", "GBP", OK, 0, NULL},
    {"0.000", "GBP", OK, 0, NULL},
    {"000", "GBP", OK, 0, NULL},
    {"007.50", "GBP", OK, 750, NULL},
    {"1e-05", "GBP", BAD, 0, "amount has more decimals than GBP allows (2)"},
    {"1e-02", "GBP", OK, 1, NULL},
    {"1E2", "GBP", OK, 10000, NULL},
    {"1e+2", "GBP", OK, 10000, NULL},
    {"1.5e1", "GBP", OK, 1500, NULL},
    {"1.23e1", "GBP", OK, 1230, NULL},
    {"1.2345e1", "GBP", BAD, 0, "amount has more decimals than GBP allows (2)"},
    {"12345e-4", "GBP", BAD, 0, "amount has more decimals than GBP allows (2)"},
    {"12300e-4", "GBP", OK, 123, NULL},
    {"0e0", "GBP", OK, 0, NULL},
    {"0e999999999999999999", "GBP", OK, 0, NULL},
    {"0.0e-999999999999", "GBP", OK, 0, NULL},
    {"0.001", "GBP", BAD, 0, "amount has more decimals than GBP allows (2)"},
    {"0.0010", "GBP", BAD, 0, "amount has more decimals than GBP allows (2)"},
    {"1.001", "GBP", BAD, 0, "amount has more decimals than GBP allows (2)"},
    {"1.5e+20", "GBP", BAD, 0, "amount is too large"},
    {"1e999999999999999999", "GBP", BAD, 0, "amount is too large"},
    {"1e-999999999999999999", "GBP", BAD, 0, "amount has more decimals than GBP allows (2)"},
    {"9999999999999.99", "GBP", OK, PP_AMOUNT_MINOR_MAX, NULL},
    {"9999999999999.990", "GBP", OK, PP_AMOUNT_MINOR_MAX, NULL},
    {"9999999999999.98", "GBP", OK, PP_AMOUNT_MINOR_MAX - 1, NULL},
    {"10000000000000", "GBP", BAD, 0, "amount is too large"},
    {"10000000000000.00", "GBP", BAD, 0, "amount is too large"},
    {"9999999999999.999", "GBP", BAD, 0, "amount has more decimals than GBP allows (2)"},
    {"99999999999999999999999999999999", "GBP", BAD, 0, "amount is too large"},
    {"9223372036854775807", "GBP", BAD, 0, "amount is too large"},
    {"92233720368547758.08", "GBP", BAD, 0, "amount is too large"},
    {"1e13", "GBP", BAD, 0, "amount is too large"},
    {"9.99999999999999e12", "GBP", OK, 999999999999999LL, NULL},
    {"000000000000000000000000000000000000000000000000000000000001", "GBP", OK, 100, NULL},
    {"", "GBP", BAD, 0, "amount is not a valid number"},
    {".", "GBP", BAD, 0, "amount is not a valid number"},
    {".5", "GBP", BAD, 0, "amount is not a valid number"},
    {"1.", "GBP", BAD, 0, "amount is not a valid number"},
    {"1..2", "GBP", BAD, 0, "amount is not a valid number"},
    {"1.2.3", "GBP", BAD, 0, "amount is not a valid number"},
    {"+1", "GBP", BAD, 0, "amount is not a valid number"},
    {"-1", "GBP", BAD, 0, "amount is not a valid number"},
    {"-0", "GBP", BAD, 0, "amount is not a valid number"},
    {" 1", "GBP", BAD, 0, "amount is not a valid number"},
    {"1 ", "GBP", BAD, 0, "amount is not a valid number"},
    {"1 000", "GBP", BAD, 0, "amount is not a valid number"},
    {"1,5", "GBP", BAD, 0, "amount is not a valid number"},
    {"1_000", "GBP", BAD, 0, "amount is not a valid number"},
    {"0x10", "GBP", BAD, 0, "amount is not a valid number"},
    {"0x1p3", "GBP", BAD, 0, "amount is not a valid number"},
    {"inf", "GBP", BAD, 0, "amount is not a valid number"},
    {"Infinity", "GBP", BAD, 0, "amount is not a valid number"},
    {"nan", "GBP", BAD, 0, "amount is not a valid number"},
    {"NaN", "GBP", BAD, 0, "amount is not a valid number"},
    {"e5", "GBP", BAD, 0, "amount is not a valid number"},
    {"1e", "GBP", BAD, 0, "amount is not a valid number"},
    {"1e+", "GBP", BAD, 0, "amount is not a valid number"},
    {"1e-", "GBP", BAD, 0, "amount is not a valid number"},
    {"1e5.5", "GBP", BAD, 0, "amount is not a valid number"},
    {"1ee5", "GBP", BAD, 0, "amount is not a valid number"},
    {"1e+-5", "GBP", BAD, 0, "amount is not a valid number"},
    {"1.e5", "GBP", BAD, 0, "amount is not a valid number"},
    {"12GBP", "GBP", BAD, 0, "amount is not a valid number"},
    {"\xc2\xbd", "GBP", BAD, 0, "amount is not a valid number"},
    {"\xd9\xa1", "GBP", BAD, 0, "amount is not a valid number"},
    {"abc", "GBP", BAD, 0, "amount is not a valid number"},
    /* exponent 0 */
    {"7", "JPY", OK, 7, NULL},
    {"1.0", "JPY", OK, 1, NULL},
    {"1.000", "JPY", OK, 1, NULL},
    {"1.5", "JPY", BAD, 0, "amount has more decimals than JPY allows (0)"},
    {"0.1", "KRW", BAD, 0, "amount has more decimals than KRW allows (0)"},
    {"150e-1", "ISK", OK, 15, NULL},
    {"155e-1", "ISK", BAD, 0, "amount has more decimals than ISK allows (0)"},
    {"1e3", "CLP", OK, 1000, NULL},
    {"999999999999999", "VND", OK, PP_AMOUNT_MINOR_MAX, NULL},
    {"999999999999999.0", "VND", OK, PP_AMOUNT_MINOR_MAX, NULL},
    {"9.99999999999999e14", "VND", OK, PP_AMOUNT_MINOR_MAX, NULL},
    {"1000000000000000", "VND", BAD, 0, "amount is too large"},
    {"1e15", "JPY", BAD, 0, "amount is too large"},
    {"1e14", "JPY", OK, 100000000000000LL, NULL},
    /* exponent 3 */
    {"1.234", "BHD", OK, 1234, NULL},
    {"0.001", "BHD", OK, 1, NULL},
    {"0.0010", "KWD", OK, 1, NULL},
    {"0.0001", "JOD", BAD, 0, "amount has more decimals than JOD allows (3)"},
    {"1e-3", "OMR", OK, 1, NULL},
    {"1e-05", "TND", BAD, 0, "amount has more decimals than TND allows (3)"},
    {"5", "LYD", OK, 5000, NULL},
    {"999999999999.999", "IQD", OK, PP_AMOUNT_MINOR_MAX, NULL},
    {"1000000000000", "IQD", BAD, 0, "amount is too large"},
    /* exponent 4 */
    {"1.2345", "CLF", OK, 12345, NULL},
    {"0.0001", "CLF", OK, 1, NULL},
    {"0.00001", "UYW", BAD, 0, "amount has more decimals than UYW allows (4)"},
    {"1e-05", "UYW", BAD, 0, "amount has more decimals than UYW allows (4)"},
    {"1e-04", "UYW", OK, 1, NULL},
    {"99999999999.9999", "CLF", OK, PP_AMOUNT_MINOR_MAX, NULL},
    {"100000000000", "CLF", BAD, 0, "amount is too large"},
    {"100000000000.0000", "CLF", BAD, 0, "amount is too large"},
};

static void test_parse_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
        struct pp_err err;
        int64_t minor = -42;
        const char *text = parse_cases[i].text;
        pp_err_clear(&err);
        enum pp_status st = core_money_parse(text, strlen(text), currency(parse_cases[i].code),
                                             "amount", &minor, &err);
        if (st != parse_cases[i].status) {
            fail_msg("\"%s\" %s: status %d, want %d (%s)", text, parse_cases[i].code, st,
                     parse_cases[i].status, err.message);
        }
        if (st == PP_OK) {
            assert_int_equal(err.status, PP_OK);
            if (minor != parse_cases[i].minor) {
                fail_msg("\"%s\" %s: minor %lld, want %lld", text, parse_cases[i].code,
                         (long long)minor, (long long)parse_cases[i].minor);
            }
        } else {
            assert_int_equal(err.status, st);
            assert_int_equal(minor, -42); /* untouched on error */
            if (strcmp(err.message, parse_cases[i].message) != 0) {
                fail_msg("\"%s\" %s: message \"%s\", want \"%s\"", text, parse_cases[i].code,
                         err.message, parse_cases[i].message);
            }
        }
    }
}

static void test_parse_length_and_bytes(void **state)
{
    const struct core_currency *gbp = currency("GBP");
    char longest[PP_AMOUNT_TEXT_BYTES_MAX + 2];
    int64_t minor = 0;
    (void)state;
    /* Only text[0..len) is read. */
    assert_int_equal(core_money_parse("123", 2, gbp, "amount", &minor, NULL), PP_OK);
    assert_int_equal(minor, 1200);
    assert_int_equal(core_money_parse("12\0", 3, gbp, "amount", &minor, NULL), BAD);
    assert_int_equal(core_money_parse("1\0"
                                      "5",
                                      3, gbp, "amount", &minor, NULL),
                     BAD);
    assert_int_equal(core_money_parse(NULL, 0, gbp, "amount", &minor, NULL), BAD);
    /* Up to PP_AMOUNT_TEXT_BYTES_MAX bytes is read; one more is refused. */
    memset(longest, '0', sizeof longest);
    longest[PP_AMOUNT_TEXT_BYTES_MAX - 1] = '1';
    assert_int_equal(
        core_money_parse(longest, PP_AMOUNT_TEXT_BYTES_MAX, gbp, "amount", &minor, NULL), OK);
    assert_int_equal(minor, 100);
    longest[PP_AMOUNT_TEXT_BYTES_MAX] = '1';
    assert_int_equal(
        core_money_parse(longest, PP_AMOUNT_TEXT_BYTES_MAX + 1, gbp, "amount", &minor, NULL), BAD);
}

static void test_parse_field_and_first_error(void **state)
{
    struct pp_err err;
    int64_t minor = 0;
    (void)state;
    pp_err_clear(&err);
    assert_int_equal(core_money_parse("x", 1, currency("EUR"), "price", &minor, &err), BAD);
    assert_string_equal(err.message, "price is not a valid number");
    /* The first error wins: a second failure keeps the first message. */
    assert_int_equal(core_money_parse("0.001", 5, currency("EUR"), "fee", &minor, &err), BAD);
    assert_string_equal(err.message, "price is not a valid number");
}

/* --- doubles and integers ------------------------------------------------------ */

static const struct {
    double value;
    const char *code;
    enum pp_status status;
    int64_t minor;
    const char *message;
} double_cases[] = {
    {0.1, "GBP", OK, 10, NULL},
    {0.01, "GBP", OK, 1, NULL},
    {0.29, "GBP", OK, 29, NULL},
    {0.3, "GBP", OK, 30, NULL},
    {1.15, "GBP", OK, 115, NULL},
    {1.005, "GBP", BAD, 0, "amount has more decimals than GBP allows (2)"},
    {0.1 + 0.2, "GBP", BAD, 0, "amount has more decimals than GBP allows (2)"},
    {19.99, "EUR", OK, 1999, NULL},
    {100, "GBP", OK, 10000, NULL},
    {0, "GBP", OK, 0, NULL},
    {-0.0, "GBP", OK, 0, NULL},
    {1e-05, "GBP", BAD, 0, "amount has more decimals than GBP allows (2)"},
    {5e-324, "GBP", BAD, 0, "amount has more decimals than GBP allows (2)"},
    {1e300, "GBP", BAD, 0, "amount is too large"},
    {1.5e20, "GBP", BAD, 0, "amount is too large"},
    {DBL_MAX, "GBP", BAD, 0, "amount is too large"},
    {9999999999999.99, "GBP", OK, PP_AMOUNT_MINOR_MAX, NULL},
    {10000000000000.0, "GBP", BAD, 0, "amount is too large"},
    {123456789012.34, "USD", OK, 12345678901234LL, NULL},
    {999999999999999.0, "JPY", OK, PP_AMOUNT_MINOR_MAX, NULL},
    {1e15, "JPY", BAD, 0, "amount is too large"},
    {12345678.9, "JPY", BAD, 0, "amount has more decimals than JPY allows (0)"},
    {1e21, "KRW", BAD, 0, "amount is too large"},
    {1.234, "BHD", OK, 1234, NULL},
    {0.001, "KWD", OK, 1, NULL},
    {999999999999.999, "BHD", OK, PP_AMOUNT_MINOR_MAX, NULL},
    {1234.5678, "CLF", OK, 12345678, NULL},
    {0.0001, "UYW", OK, 1, NULL},
    {-1, "GBP", BAD, 0, "amount must not be negative"},
    {-0.01, "GBP", BAD, 0, "amount must not be negative"},
    {-1e300, "GBP", BAD, 0, "amount must not be negative"},
};

static void test_from_double_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof double_cases / sizeof double_cases[0]; i++) {
        struct pp_err err;
        int64_t minor = -42;
        pp_err_clear(&err);
        enum pp_status st = core_money_from_double(
            double_cases[i].value, currency(double_cases[i].code), "amount", &minor, &err);
        if (st != double_cases[i].status) {
            fail_msg("%.17g %s: status %d, want %d (%s)", double_cases[i].value,
                     double_cases[i].code, st, double_cases[i].status, err.message);
        }
        if (st == PP_OK && minor != double_cases[i].minor) {
            fail_msg("%.17g %s: minor %lld, want %lld", double_cases[i].value, double_cases[i].code,
                     (long long)minor, (long long)double_cases[i].minor);
        }
        if (st != PP_OK && strcmp(err.message, double_cases[i].message) != 0) {
            fail_msg("%.17g: message \"%s\", want \"%s\"", double_cases[i].value, err.message,
                     double_cases[i].message);
        }
    }
}

static void test_from_double_not_finite(void **state)
{
    const double values[] = {NAN, -NAN, INFINITY, -INFINITY};
    (void)state;
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        struct pp_err err;
        int64_t minor = -42;
        pp_err_clear(&err);
        assert_int_equal(core_money_from_double(values[i], currency("GBP"), "amount", &minor, &err),
                         BAD);
        assert_string_equal(err.message, "amount is not a valid number");
        assert_int_equal(minor, -42);
    }
}

static const struct {
    long long value;
    const char *code;
    enum pp_status status;
    int64_t minor;
} int_cases[] = {
    {0, "GBP", OK, 0},
    {1, "GBP", OK, 100},
    {1, "JPY", OK, 1},
    {1, "BHD", OK, 1000},
    {1, "CLF", OK, 10000},
    {9999999999999LL, "GBP", OK, 999999999999900LL},
    {10000000000000LL, "GBP", BAD, 0},
    {999999999999999LL, "JPY", OK, PP_AMOUNT_MINOR_MAX},
    {1000000000000000LL, "JPY", BAD, 0},
    {999999999999LL, "BHD", OK, 999999999999000LL},
    {1000000000000LL, "BHD", BAD, 0},
    {99999999999LL, "CLF", OK, 999999999990000LL},
    {100000000000LL, "CLF", BAD, 0},
    {LLONG_MAX, "GBP", BAD, 0},
    {LLONG_MAX, "JPY", BAD, 0},
    {-1, "GBP", BAD, 0},
    {LLONG_MIN, "JPY", BAD, 0},
};

static void test_from_int_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof int_cases / sizeof int_cases[0]; i++) {
        struct pp_err err;
        int64_t minor = -42;
        pp_err_clear(&err);
        enum pp_status st = core_money_from_int(int_cases[i].value, currency(int_cases[i].code),
                                                "amount", &minor, &err);
        if (st != int_cases[i].status || (st == PP_OK && minor != int_cases[i].minor)) {
            fail_msg("%lld %s: status %d minor %lld (%s)", int_cases[i].value, int_cases[i].code,
                     st, (long long)minor, err.message);
        }
        if (st != PP_OK) {
            assert_int_equal(minor, -42);
            assert_string_equal(err.message, int_cases[i].value < 0 ? "amount must not be negative"
                                                                    : "amount is too large");
        }
    }
}

/* --- formatting ------------------------------------------------------------------ */

static const struct {
    int64_t minor;
    int exponent;
    const char *text;
} format_cases[] = {
    {10, 2, "0.1"},
    {100, 2, "1"},
    {-5, 3, "-0.005"},
    {7, 0, "7"},
    {0, 0, "0"},
    {0, 2, "0"},
    {0, 4, "0"},
    {1, 2, "0.01"},
    {-1, 2, "-0.01"},
    {-10, 2, "-0.1"},
    {-100, 2, "-1"},
    {-7, 0, "-7"},
    {1250, 2, "12.5"},
    {1205, 2, "12.05"},
    {120000, 4, "12"},
    {123456, 4, "12.3456"},
    {10001, 4, "1.0001"},
    {1000, 3, "1"},
    {1001, 3, "1.001"},
    {PP_AMOUNT_MINOR_MAX, 0, "999999999999999"},
    {PP_AMOUNT_MINOR_MAX, 2, "9999999999999.99"},
    {PP_AMOUNT_MINOR_MAX, 3, "999999999999.999"},
    {PP_AMOUNT_MINOR_MAX, 4, "99999999999.9999"},
    {-PP_AMOUNT_MINOR_MAX, 2, "-9999999999999.99"},
    {PP_BALANCE_MINOR_MAX, 2, "9999999999999999.99"},
    {INT64_MAX, 0, "9223372036854775807"},
    {INT64_MIN, 0, "-9223372036854775808"},
    {INT64_MIN, 2, "-92233720368547758.08"},
    {1, 18, "0.000000000000000001"},
    {INT64_MIN, 18, "-9.223372036854775808"},
};

static void test_format_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof format_cases / sizeof format_cases[0]; i++) {
        char out[PP_AMOUNT_TEXT_BYTES];
        memset(out, 'X', sizeof out);
        size_t n =
            core_money_format(format_cases[i].minor, format_cases[i].exponent, out, sizeof out);
        if (strcmp(out, format_cases[i].text) != 0) {
            fail_msg("(%lld, %d): \"%s\", want \"%s\"", (long long)format_cases[i].minor,
                     format_cases[i].exponent, out, format_cases[i].text);
        }
        assert_int_equal(n, strlen(out));
    }
}

/* 10^n as a 128-bit integer. */
static __int128 wide_pow10(int n)
{
    __int128 v = 1;
    while (n-- > 0) {
        v *= 10;
    }
    return v;
}

/* The 128-bit formatter: sums past INT64_MAX, the extremes of the type, and
** every decimal place. */
static void test_format_wide_table(void **state)
{
    (void)state;
    const __int128 max = (__int128)(((unsigned __int128)1 << 127) - 1);
    const __int128 min = -max - 1;
    const struct {
        __int128 minor;
        int exponent;
        const char *text;
    } cases[] = {
        {0, 0, "0"},
        {0, 18, "0"},
        {5, 2, "0.05"},
        {-5, 3, "-0.005"},
        {(__int128)INT64_MAX + 1, 0, "9223372036854775808"},
        {(__int128)INT64_MAX + 1, 2, "92233720368547758.08"},
        {-((__int128)INT64_MAX + 2), 0, "-9223372036854775809"},
        /* 9,300 payouts of the largest amount: the sum of issue 9's report. */
        {(__int128)PP_AMOUNT_MINOR_MAX * 9300, 0, "9299999999999990700"},
        {(__int128)PP_AMOUNT_MINOR_MAX * 9300, 2, "92999999999999907"},
        {wide_pow10(21) + 5, 2, "10000000000000000000.05"},
        {wide_pow10(38), 0, "100000000000000000000000000000000000000"},
        {wide_pow10(38), 18, "100000000000000000000"},
        {max, 0, "170141183460469231731687303715884105727"},
        {max, 4, "17014118346046923173168730371588410.5727"},
        {min, 0, "-170141183460469231731687303715884105728"},
        {min, 18, "-170141183460469231731.687303715884105728"},
        {1, 18, "0.000000000000000001"},
        {-1, 18, "-0.000000000000000001"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[PP_AMOUNT_WIDE_TEXT_BYTES];
        memset(out, 'X', sizeof out);
        size_t n = core_money_format_wide(cases[i].minor, cases[i].exponent, out, sizeof out);
        if (strcmp(out, cases[i].text) != 0) {
            fail_msg("case %zu: \"%s\", want \"%s\"", i, out, cases[i].text);
        }
        assert_int_equal(n, strlen(out));
        assert_true(n < PP_AMOUNT_WIDE_TEXT_BYTES);
    }
}

/* On every int64 value the 128-bit formatter writes what the 64-bit one
** does: the table above, then random values at every exponent. */
static void test_format_wide_agrees(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof format_cases / sizeof format_cases[0]; i++) {
        char narrow[PP_AMOUNT_TEXT_BYTES], wide[PP_AMOUNT_WIDE_TEXT_BYTES];
        core_money_format(format_cases[i].minor, format_cases[i].exponent, narrow, sizeof narrow);
        core_money_format_wide(format_cases[i].minor, format_cases[i].exponent, wide, sizeof wide);
        assert_string_equal(narrow, wide);
    }
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 100000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int64_t minor = (int64_t)x;
        int exponent = (int)(x % 19);
        char narrow[PP_AMOUNT_TEXT_BYTES], wide[PP_AMOUNT_WIDE_TEXT_BYTES];
        size_t a = core_money_format(minor, exponent, narrow, sizeof narrow);
        size_t b = core_money_format_wide(minor, exponent, wide, sizeof wide);
        assert_int_equal(a, b);
        assert_string_equal(narrow, wide);
    }
}

static const struct {
    double value;
    const char *text;
} shortest_cases[] = {
    {0.1, "0.1"},
    {0.3, "0.3"},
    {0.1 + 0.2, "0.30000000000000004"},
    {1.15, "1.15"},
    {100, "100"},
    {1e2, "100"},
    {1000000, "1e+06"},
    {10000, "10000"},
    {-1000, "-1000"},
    {1e15, "1e+15"},
    {123e10, "1.23e+12"},
    {1e22, "1e+22"},
    {1e23, "1e+23"},
    {0, "0"},
    {-0.0, "-0"},
    {-2.5, "-2.5"},
    {1e-05, "1e-05"},
    {1.5e20, "1.5e+20"},
    {1e21, "1e+21"},
    {123456789012345.0, "123456789012345"},
    {9999999999999.99, "9999999999999.99"},
    {5e-324, "5e-324"},
    {DBL_MAX, "1.7976931348623157e+308"},
    {1.0 / 3.0, "0.3333333333333333"},
};

static void test_double_shortest(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof shortest_cases / sizeof shortest_cases[0]; i++) {
        char out[32];
        size_t n = core_double_shortest(shortest_cases[i].value, out, sizeof out);
        if (strcmp(out, shortest_cases[i].text) != 0) {
            fail_msg("%.17g: \"%s\", want \"%s\"", shortest_cases[i].value, out,
                     shortest_cases[i].text);
        }
        assert_int_equal(n, strlen(out));
        assert_true(strtod(out, NULL) == shortest_cases[i].value);
    }
}

/* --- properties ------------------------------------------------------------------- */

/* A fixed-seed xorshift, so a failure reproduces. */
static uint64_t next_random(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* For random amounts up to PP_AMOUNT_MINOR_MAX in every exponent: format
** -> parse is the identity, and so is format -> strtod -> from_double,
** which is the promise behind "0.1 in, 0.1 out" for JSON numbers. */
static void test_round_trip_random(void **state)
{
    static const char *const codes[] = {"JPY", "GBP", "BHD", "CLF"};
    uint64_t seed = 0x9E3779B97F4A7C15ULL;
    (void)state;
    for (int i = 0; i < 200000; i++) {
        const struct core_currency *cur = currency(codes[i % 4]);
        uint64_t r = next_random(&seed);
        /* Mix magnitudes so small amounts are as frequent as large ones. */
        uint64_t span = (uint64_t)PP_AMOUNT_MINOR_MAX >> (r % 50);
        int64_t minor = (int64_t)(next_random(&seed) % (span + 1));
        char text[PP_AMOUNT_TEXT_BYTES];
        int64_t back = -1;
        int64_t from_double = -1;
        size_t n = core_money_format(minor, cur->exponent, text, sizeof text);
        assert_int_equal(core_money_parse(text, n, cur, "amount", &back, NULL), OK);
        assert_int_equal(
            core_money_from_double(strtod(text, NULL), cur, "amount", &from_double, NULL), OK);
        if (back != minor || from_double != minor) {
            fail_msg("%s %s: minor %lld, parsed %lld, via double %lld", text, cur->code,
                     (long long)minor, (long long)back, (long long)from_double);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_currency_known),
        cmocka_unit_test(test_currency_unknown),
        cmocka_unit_test(test_currency_exhaustive),
        cmocka_unit_test(test_parse_table),
        cmocka_unit_test(test_parse_length_and_bytes),
        cmocka_unit_test(test_parse_field_and_first_error),
        cmocka_unit_test(test_from_double_table),
        cmocka_unit_test(test_from_double_not_finite),
        cmocka_unit_test(test_from_int_table),
        cmocka_unit_test(test_format_table),
        cmocka_unit_test(test_format_wide_table),
        cmocka_unit_test(test_format_wide_agrees),
        cmocka_unit_test(test_double_shortest),
        cmocka_unit_test(test_round_trip_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
