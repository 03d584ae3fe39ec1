/*
** This header declares money handling: the built-in ISO 4217 currency table
** (code and number of decimals), parsing of decimal amounts into integer
** minor units, and canonical formatting back to text. Money is never a
** floating-point value inside the server; a JSON number arrives as a double
** only at the edge and is turned into its shortest exact decimal text here.
*/
#ifndef PAYOUT_CORE_MONEY_H
#define PAYOUT_CORE_MONEY_H

#include <stddef.h>
#include <stdint.h>

#include "payout/status.h"

struct core_currency {
    char code[4]; /* "GBP", upper case, NUL-terminated */
    int exponent; /* decimals: GBP 2, JPY 0, BHD 3, CLF 4 */
};

/* The currency with this exact three-letter upper-case code, or NULL when
** the code is unknown (lower case, funds codes like XXX/XTS, or garbage).
** Returned pointer is static. len is the code's length (must be 3). */
const struct core_currency *core_currency_find(const char *code, size_t len);

/* Parses the decimal text[0..len) ("12", "12.5", "0.10", "1e-05", "1E2")
** into minor units of cur. Accepts only: digits, at most one '.', an
** optional exponent part; no sign, no spaces, no hex, no "inf"/"nan".
** Trailing zeros beyond cur's decimals are fine ("1.50" GBP, "1.0" JPY);
** a non-zero digit beyond them is PP_INVALID_PARAMS. Zero is accepted (the
** caller decides whether it must be positive). Over PP_AMOUNT_MINOR_MAX is
** PP_INVALID_PARAMS. field names the parameter in messages ("amount"). */
enum pp_status core_money_parse(const char *text, size_t len, const struct core_currency *cur,
                                const char *field, int64_t *minor_out, struct pp_err *err);

/* Converts a JSON number that arrived as a double into minor units: the
** double is first written as its shortest decimal text that reads back as
** the same double (0.1 -> "0.1"), then parsed by core_money_parse. NaN,
** infinities and negatives are PP_INVALID_PARAMS. */
enum pp_status core_money_from_double(double value, const struct core_currency *cur,
                                      const char *field, int64_t *minor_out, struct pp_err *err);

/* Same for a JSON integer. Negative or too large is PP_INVALID_PARAMS. */
enum pp_status core_money_from_int(long long value, const struct core_currency *cur,
                                   const char *field, int64_t *minor_out, struct pp_err *err);

/* Writes minor (may be negative) as canonical decimal text with at most
** exponent decimals and no trailing zeros: (10, 2) -> "0.1", (100, 2) ->
** "1", (-5, 3) -> "-0.005", (7, 0) -> "7". out must hold
** PP_AMOUNT_TEXT_BYTES. Returns the text length. The text is also valid
** JSON number syntax. */
size_t core_money_format(int64_t minor, int exponent, char *out, size_t out_size);

/* The same for a 128-bit figure: the exact sum of many amounts (a report's
** or a recipient's totals, a lifetime paid-out figure), which may pass
** INT64_MAX. (10^21 + 5, 2) -> "10000000000000000000.05". out must hold
** PP_AMOUNT_WIDE_TEXT_BYTES. Returns the text length; the text is valid
** JSON number syntax however large (JSON numbers are text). */
size_t core_money_format_wide(__int128 minor, int exponent, char *out, size_t out_size);

/* Writes the shortest decimal text that strtod reads back as value
** (finite values only) into out (at least 32 bytes). Returns its length. */
size_t core_double_shortest(double value, char *out, size_t out_size);

#endif /* PAYOUT_CORE_MONEY_H */
