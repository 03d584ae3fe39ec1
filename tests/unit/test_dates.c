/*
** This module implements the unit tests of core/dates: tables of accepted
** ISO 8601 and RFC 2822 texts with their canonical UTC output, tables of
** refused texts (garbage, trailing junk, impossible fields, wrong weekday,
** years outside 1970-9999), the calendar arithmetic against known day
** numbers and a day-by-day walk over every accepted date, and the clock.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "payout/core/dates.h"
#include "payout/limits.h"

#define MS_PER_DAY 86400000LL

static const struct {
    const char *text;
    const char *utc; /* core_date_format of the result */
} good_cases[] = {
    /* ISO 8601 */
    {"2018-01-01", "2018-01-01T00:00:00.000Z"},
    {"2018-01-01T12:00", "2018-01-01T12:00:00.000Z"},
    {"2018-01-01T12:00:00", "2018-01-01T12:00:00.000Z"},
    {"2018-01-01 12:00:00", "2018-01-01T12:00:00.000Z"},
    {"2018-01-01t12:00:00", "2018-01-01T12:00:00.000Z"},
    {"2018-01-01T12:00:00Z", "2018-01-01T12:00:00.000Z"},
    {"2018-01-01T12:00:00z", "2018-01-01T12:00:00.000Z"},
    {"2018-01-01T12:00Z", "2018-01-01T12:00:00.000Z"},
    {"2018-01-01 12:00+02:00", "2018-01-01T10:00:00.000Z"},
    {"2018-01-01T12:00:00+02:00", "2018-01-01T10:00:00.000Z"},
    {"2018-01-01T12:00:00+0200", "2018-01-01T10:00:00.000Z"},
    {"2018-01-01T12:00:00+02", "2018-01-01T10:00:00.000Z"},
    {"2018-01-01T12:00:00-02", "2018-01-01T14:00:00.000Z"},
    {"2018-01-01T12:00:00+00:00", "2018-01-01T12:00:00.000Z"},
    {"2018-01-01T12:00:00-00:00", "2018-01-01T12:00:00.000Z"},
    {"2018-01-01T12:00:00-05:30", "2018-01-01T17:30:00.000Z"},
    {"2018-01-01T12:00:00+05:45", "2018-01-01T06:15:00.000Z"},
    {"2018-01-01T12:00:00+23:59", "2017-12-31T12:01:00.000Z"},
    {"2018-01-01T12:00:00-23:59", "2018-01-02T11:59:00.000Z"},
    {"2018-01-01T00:30:00+01:00", "2017-12-31T23:30:00.000Z"},
    {"2018-01-01T23:30:00-01:00", "2018-01-02T00:30:00.000Z"},
    {"2018-02-28T23:30:00-01:00", "2018-03-01T00:30:00.000Z"},
    {"2020-02-28T23:30:00-01:00", "2020-02-29T00:30:00.000Z"},
    {"2018-01-01T12:00:00.5Z", "2018-01-01T12:00:00.500Z"},
    {"2018-01-01T12:00:00.05Z", "2018-01-01T12:00:00.050Z"},
    {"2018-01-01T12:00:00.123Z", "2018-01-01T12:00:00.123Z"},
    {"2018-01-01T12:00:00.000Z", "2018-01-01T12:00:00.000Z"},
    {"2018-01-01T12:00:00.9999Z", "2018-01-01T12:00:00.999Z"},
    {"2018-01-01T12:00:00.123456789Z", "2018-01-01T12:00:00.123Z"},
    {"2018-01-01T12:00:00.123456789+01:00", "2018-01-01T11:00:00.123Z"},
    {"2018-01-01T12:00:00.5", "2018-01-01T12:00:00.500Z"},
    {"2020-02-29", "2020-02-29T00:00:00.000Z"},
    {"2000-02-29", "2000-02-29T00:00:00.000Z"},
    {"2400-02-29", "2400-02-29T00:00:00.000Z"},
    {"2019-02-28", "2019-02-28T00:00:00.000Z"},
    {"2018-12-31", "2018-12-31T00:00:00.000Z"},
    {"2018-04-30", "2018-04-30T00:00:00.000Z"},
    {"2018-01-01T23:59:59", "2018-01-01T23:59:59.000Z"},
    {"1970-01-01", "1970-01-01T00:00:00.000Z"},
    {"1970-01-01T00:00:00Z", "1970-01-01T00:00:00.000Z"},
    {"1970-01-01T01:00:00+01:00", "1970-01-01T00:00:00.000Z"},
    {"1969-12-31T23:00:00-01:00", "1970-01-01T00:00:00.000Z"},
    {"9999-12-31", "9999-12-31T00:00:00.000Z"},
    {"9999-12-31T23:59:59.999Z", "9999-12-31T23:59:59.999Z"},
    {"9999-12-31T23:59:59.999", "9999-12-31T23:59:59.999Z"},
    /* RFC 2822 */
    {"Mon, 01 Jan 2018 12:00:00 +0100", "2018-01-01T11:00:00.000Z"},
    {"mon, 01 jan 2018 12:00:00 +0100", "2018-01-01T11:00:00.000Z"},
    {"MON, 01 JAN 2018 12:00:00 +0100", "2018-01-01T11:00:00.000Z"},
    {"01 Jan 2018 12:00:00 +0100", "2018-01-01T11:00:00.000Z"},
    {"1 Jan 2018 12:00:00 +0100", "2018-01-01T11:00:00.000Z"},
    {"Mon, 1 Jan 2018 12:00 +0100", "2018-01-01T11:00:00.000Z"},
    {"Mon,01 Jan 2018 12:00:00 GMT", "2018-01-01T12:00:00.000Z"},
    {"Mon,  01  Jan  2018  12:00:00  -0000", "2018-01-01T12:00:00.000Z"},
    {"Mon, 01 Jan 2018 12:00:00 +0000", "2018-01-01T12:00:00.000Z"},
    {"Mon, 01 Jan 2018 12:00:00 -0130", "2018-01-01T13:30:00.000Z"},
    {"Mon, 01 Jan 2018 12:00:00 +2359", "2017-12-31T12:01:00.000Z"},
    {"Mon, 01 Jan 2018 12:00:00", "2018-01-01T12:00:00.000Z"},
    {"Mon, 01 Jan 2018 12:00:00 UT", "2018-01-01T12:00:00.000Z"},
    {"Mon, 01 Jan 2018 12:00:00 UTC", "2018-01-01T12:00:00.000Z"},
    {"Mon, 01 Jan 2018 12:00:00 gmt", "2018-01-01T12:00:00.000Z"},
    {"Mon, 01 Jan 2018 12:00:00 Z", "2018-01-01T12:00:00.000Z"},
    {"Mon, 01 Jan 2018 12:00:00 EST", "2018-01-01T17:00:00.000Z"},
    {"Mon, 01 Jan 2018 12:00:00 EDT", "2018-01-01T16:00:00.000Z"},
    {"Mon, 01 Jan 2018 12:00:00 CST", "2018-01-01T18:00:00.000Z"},
    {"Mon, 01 Jan 2018 12:00:00 CDT", "2018-01-01T17:00:00.000Z"},
    {"Mon, 01 Jan 2018 12:00:00 MST", "2018-01-01T19:00:00.000Z"},
    {"Mon, 01 Jan 2018 12:00:00 MDT", "2018-01-01T18:00:00.000Z"},
    {"Mon, 01 Jan 2018 12:00:00 PST", "2018-01-01T20:00:00.000Z"},
    {"Mon, 01 Jan 2018 12:00:00 pdt", "2018-01-01T19:00:00.000Z"},
    {"Thu, 29 Feb 2024 23:30:00 -0100", "2024-03-01T00:30:00.000Z"},
    {"Sun, 31 Dec 2017 23:00:00 -0100", "2018-01-01T00:00:00.000Z"},
    {"Tue, 2 Jan 2018 00:30:00 +0100", "2018-01-01T23:30:00.000Z"},
    {"Wed, 03 Jan 2018 00:00:00 +0000", "2018-01-03T00:00:00.000Z"},
    {"Fri, 05 Jan 2018 00:00:00 +0000", "2018-01-05T00:00:00.000Z"},
    {"Thu, 01 Jan 1970 00:00:00 +0000", "1970-01-01T00:00:00.000Z"},
    {"Fri, 31 Dec 9999 23:59:59 +0000", "9999-12-31T23:59:59.000Z"},
    {"15 Feb 2018 08:05 EST", "2018-02-15T13:05:00.000Z"},
    {"15 Mar 2018 00:00 +0000", "2018-03-15T00:00:00.000Z"},
    {"15 Apr 2018 00:00 +0000", "2018-04-15T00:00:00.000Z"},
    {"15 May 2018 00:00 +0000", "2018-05-15T00:00:00.000Z"},
    {"15 Jun 2018 00:00 +0000", "2018-06-15T00:00:00.000Z"},
    {"15 Jul 2018 00:00 +0000", "2018-07-15T00:00:00.000Z"},
    {"15 Aug 2018 00:00 +0000", "2018-08-15T00:00:00.000Z"},
    {"15 Sep 2018 00:00 +0000", "2018-09-15T00:00:00.000Z"},
    {"15 Oct 2018 00:00 +0000", "2018-10-15T00:00:00.000Z"},
    {"15 Nov 2018 00:00 +0000", "2018-11-15T00:00:00.000Z"},
    {"15 Dec 2018 00:00 +0000", "2018-12-15T00:00:00.000Z"},
};

static void test_parse_good(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof good_cases / sizeof good_cases[0]; i++) {
        struct pp_err err;
        int64_t ms = -1;
        char out[PP_DATE_TEXT_BYTES];
        const char *text = good_cases[i].text;
        pp_err_clear(&err);
        if (core_date_parse(text, strlen(text), "startDate", &ms, &err) != PP_OK) {
            fail_msg("\"%s\" refused: %s", text, err.message);
        }
        assert_int_equal(err.status, PP_OK);
        assert_int_equal(core_date_format(ms, out, sizeof out), 24);
        if (strcmp(out, good_cases[i].utc) != 0) {
            fail_msg("\"%s\": %s, want %s", text, out, good_cases[i].utc);
        }
    }
}

static const struct {
    const char *text;
    const char *reason; /* a part of the message after "startDate is not a valid date: " */
} bad_cases[] = {
    /* garbage */
    {"", "use ISO 8601"},
    {" ", "use ISO 8601"},
    {"garbage", "use ISO 8601"},
    {"now", "use ISO 8601"},
    {"null", "use ISO 8601"},
    {"1514808000000", "use ISO 8601"},
    {"2018", "use ISO 8601"},
    {"2018-01", "use ISO 8601"},
    {"2018-1-01", "use ISO 8601"},
    {"2018-01-1", "use ISO 8601"},
    {"18-01-01", "use ISO 8601"},
    {"2018/01/01", "use ISO 8601"},
    {"20180101", "use ISO 8601"},
    {"20180101T120000Z", "use ISO 8601"},
    {"2018-W01-1", "use ISO 8601"},
    {"2018-001", "use ISO 8601"},
    {"+2018-01-01", "use ISO 8601"},
    {"-2018-01-01", "use ISO 8601"},
    {"02018-01-01", "use ISO 8601"},
    {"10000-01-01", "use ISO 8601"},
    {"\xef\xbc\x92\xef\xbc\x90\xef\xbc\x91\xef\xbc\x98-01-01", "use ISO 8601"},
    /* ISO 8601: structure and trailing junk */
    {" 2018-01-01", "use ISO 8601"},
    {"2018-01-01 ", "use ISO 8601"},
    {"2018-01-01\n", "use ISO 8601"},
    {"2018-01-01Z", "use ISO 8601"},
    {"2018-01-01+01:00", "use ISO 8601"},
    {"2018-01-01T", "use ISO 8601"},
    {"2018-01-01T12", "use ISO 8601"},
    {"2018-01-01T1200", "use ISO 8601"},
    {"2018-01-01T1:00", "use ISO 8601"},
    {"2018-01-01T12:0", "use ISO 8601"},
    {"2018-01-01T12:00:0", "use ISO 8601"},
    {"2018-01-01T12:00:", "use ISO 8601"},
    {"2018-01-01X12:00:00", "use ISO 8601"},
    {"2018-01-01  12:00:00", "use ISO 8601"},
    {"2018-01-01T 12:00:00", "use ISO 8601"},
    {"2018-01-01T12:00:00.", "use ISO 8601"},
    {"2018-01-01T12:00:00.Z", "use ISO 8601"},
    {"2018-01-01T12:00:00.1234567890Z", "use ISO 8601"},
    {"2018-01-01T12:00.5Z", "use ISO 8601"},
    {"2018-01-01T12:00:00,5Z", "use ISO 8601"},
    {"2018-01-01T12:00:00 Z", "use ISO 8601"},
    {"2018-01-01T12:00:00 +02:00", "use ISO 8601"},
    {"2018-01-01T12:00:00+2", "use ISO 8601"},
    {"2018-01-01T12:00:00+020", "use ISO 8601"},
    {"2018-01-01T12:00:00+02:0", "use ISO 8601"},
    {"2018-01-01T12:00:00+02:", "use ISO 8601"},
    {"2018-01-01T12:00:00+02:00:00", "use ISO 8601"},
    {"2018-01-01T12:00:00+", "use ISO 8601"},
    {"2018-01-01T12:00:00Zjunk", "use ISO 8601"},
    {"2018-01-01T12:00:00ZZ", "use ISO 8601"},
    {"2018-01-01T12:00:00Z ", "use ISO 8601"},
    {"2018-01-01T12:00:00EST", "use ISO 8601"},
    {"2018-01-01T12:00:00UTC", "use ISO 8601"},
    {"2018-01-01T12:00:00+02:00 ", "use ISO 8601"},
    {"2018-01-01T12:00:00+02:00junk", "use ISO 8601"},
    /* ISO 8601: impossible fields */
    {"2018-13-01", "month must be 01-12"},
    {"2018-00-10", "month must be 01-12"},
    {"2018-01-00", "that day does not exist"},
    {"2018-01-32", "that day does not exist"},
    {"2018-04-31", "that day does not exist"},
    {"2018-06-31", "that day does not exist"},
    {"2018-09-31", "that day does not exist"},
    {"2018-11-31", "that day does not exist"},
    {"2019-02-29", "that day does not exist"},
    {"1900-02-29", "that day does not exist"},
    {"2100-02-29", "that day does not exist"},
    {"2020-02-30", "that day does not exist"},
    {"2018-01-01T24:00:00", "time must be"},
    {"2018-01-01T24:00", "time must be"},
    {"2018-01-01T23:60:00", "time must be"},
    {"2018-01-01T23:59:61", "time must be"},
    /* Leap seconds are refused, not stored as :59 (they once were). */
    {"2016-12-31T23:59:60Z", "a leap second (:60) is not accepted"},
    {"2016-12-31T23:59:60.5Z", "a leap second (:60) is not accepted"},
    {"2016-12-31 23:59:60", "a leap second (:60) is not accepted"},
    {"2017-01-01T00:59:60+01:00", "a leap second (:60) is not accepted"},
    {"2018-01-01T12:00:60Z", "a leap second (:60) is not accepted"},
    {"2018-01-01T99:99:99", "time must be"},
    {"2018-01-01T12:00:00+24:00", "offset must be within"},
    {"2018-01-01T12:00:00+02:60", "offset must be within"},
    {"2018-01-01T12:00:00-9999", "offset must be within"},
    /* ISO 8601: years */
    {"1969-12-31", "1970-9999"},
    {"1969-12-31T23:59:59.999Z", "1970-9999"},
    {"1970-01-01T00:30:00+01:00", "1970-9999"},
    {"0000-01-01", "1970-9999"},
    {"1000-01-01", "1970-9999"},
    {"9999-12-31T23:30:00-01:00", "1970-9999"},
    /* RFC 2822 */
    {"Tue, 01 Jan 2018 12:00:00 +0100", "weekday does not match"},
    {"Sun, 01 Jan 2018 12:00:00 +0100", "weekday does not match"},
    {"Mon, 31 Dec 2017 23:00:00 -0100", "weekday does not match"},
    {"Xyz, 01 Jan 2018 12:00:00 +0100", "use ISO 8601"},
    {"Monday, 01 Jan 2018 12:00:00 +0100", "use ISO 8601"},
    {"Mon 01 Jan 2018 12:00:00 +0100", "use ISO 8601"},
    {", 01 Jan 2018 12:00:00 +0100", "use ISO 8601"},
    {" Mon, 01 Jan 2018 12:00:00 +0100", "use ISO 8601"},
    {"Mon, 001 Jan 2018 12:00:00 +0100", "use ISO 8601"},
    {"Mon, 01 January 2018 12:00:00 +0100", "use ISO 8601"},
    {"Mon, 01 Jnu 2018 12:00:00 +0100", "use ISO 8601"},
    {"Mon, 01 1 2018 12:00:00 +0100", "use ISO 8601"},
    {"Mon, 01Jan 2018 12:00:00 +0100", "use ISO 8601"},
    {"Mon, 01 Jan 18 12:00:00 +0100", "use ISO 8601"},
    {"Mon, 01 Jan 02018 12:00:00 +0100", "use ISO 8601"},
    {"Mon, 01 Jan 2018 12:00:00 +01:00", "use ISO 8601"},
    {"Mon, 01 Jan 2018 12:00:00 +100", "use ISO 8601"},
    {"Mon, 01 Jan 2018 12:00:00 +01", "use ISO 8601"},
    {"Mon, 01 Jan 2018 12:00:00 +01000", "use ISO 8601"},
    {"Mon, 01 Jan 2018 12:00:00 CET", "use ISO 8601"},
    {"Mon, 01 Jan 2018 12:00:00 A", "use ISO 8601"},
    {"Mon, 01 Jan 2018 12:00:00 GMTX", "use ISO 8601"},
    {"Mon, 01 Jan 2018 12:00:00 +0100 (CET)", "use ISO 8601"},
    {"Mon, 01 Jan 2018 12:00:00 +0100 ", "use ISO 8601"},
    {"Mon, 01 Jan 2018 12:00:00 ", "use ISO 8601"},
    {"Mon, 01 Jan 2018 12:00:00 +0100\n", "use ISO 8601"},
    {"Mon, 01 Jan 2018 12:00:00.5 +0100", "use ISO 8601"},
    {"Mon, 01 Jan 2018 12 +0100", "use ISO 8601"},
    {"Mon, 01 Jan 2018", "use ISO 8601"},
    {"Mon, 01 Jan 2018 12:00:00+0100", "use ISO 8601"},
    {"Mon,\t01 Jan 2018 12:00:00 +0100", "use ISO 8601"},
    {"Mon, 01 Jan 2018 12:00:00 +2400", "offset must be within"},
    {"Mon, 01 Jan 2018 12:00:00 +0160", "offset must be within"},
    {"Mon, 32 Jan 2018 12:00:00 +0100", "that day does not exist"},
    {"Mon, 0 Jan 2018 12:00:00 +0100", "that day does not exist"},
    {"Fri, 29 Feb 2019 12:00:00 +0000", "that day does not exist"},
    {"Mon, 01 Jan 2018 24:00:00 +0000", "time must be"},
    {"Mon, 01 Jan 2018 12:60 +0000", "time must be"},
    {"Sat, 31 Dec 2016 23:59:60 +0000", "a leap second (:60) is not accepted"},
    {"Mon, 01 Jan 2018 24:00:60 +0000", "time must be"},
    {"Wed, 31 Dec 1969 23:59:59 +0000", "1970-9999"},
    {"Thu, 01 Jan 1970 00:59:59 +0100", "1970-9999"},
    {"Fri, 31 Dec 9999 23:59:59 -0001", "1970-9999"},
};

static void test_parse_bad(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        struct pp_err err;
        int64_t ms = -42;
        const char *text = bad_cases[i].text;
        const char *prefix = "startDate is not a valid date: ";
        pp_err_clear(&err);
        if (core_date_parse(text, strlen(text), "startDate", &ms, &err) != PP_INVALID_PARAMS) {
            fail_msg("\"%s\" accepted", text);
        }
        assert_int_equal(err.status, PP_INVALID_PARAMS);
        assert_int_equal(ms, -42); /* untouched on error */
        if (strncmp(err.message, prefix, strlen(prefix)) != 0 ||
            strstr(err.message, bad_cases[i].reason) == NULL) {
            fail_msg("\"%s\": message \"%s\" lacks \"%s\"", text, err.message, bad_cases[i].reason);
        }
    }
}

static void test_parse_length_and_bytes(void **state)
{
    char longest[PP_DATE_TEXT_BYTES_MAX + 2];
    int64_t ms = 0;
    (void)state;
    /* Only text[0..len) is read. */
    assert_int_equal(core_date_parse("2018-01-01T12:00:00Z", 10, "d", &ms, NULL), PP_OK);
    assert_int_equal(ms, 17532 * MS_PER_DAY);
    assert_int_equal(core_date_parse("2018-01-01\0junk", 15, "d", &ms, NULL), PP_INVALID_PARAMS);
    assert_int_equal(core_date_parse("2018-01-01\0", 11, "d", &ms, NULL), PP_INVALID_PARAMS);
    assert_int_equal(core_date_parse(NULL, 0, "d", &ms, NULL), PP_INVALID_PARAMS);
    /* A 9-digit fraction with a "+hh:mm" zone is 35 bytes, far inside the
    ** limit; anything longer than PP_DATE_TEXT_BYTES_MAX is refused unread. */
    memset(longest, ' ', sizeof longest);
    memcpy(longest, "2018-01-01", 10);
    assert_int_equal(core_date_parse(longest, PP_DATE_TEXT_BYTES_MAX + 1, "d", &ms, NULL),
                     PP_INVALID_PARAMS);
}

static void test_parse_message_and_first_error(void **state)
{
    struct pp_err err;
    int64_t ms = 0;
    (void)state;
    pp_err_clear(&err);
    assert_int_equal(core_date_parse("2019-02-29", 10, "endDate", &ms, &err), PP_INVALID_PARAMS);
    assert_string_equal(err.message,
                        "endDate is not a valid date: that day does not exist in that month");
    assert_int_equal(core_date_parse("x", 1, "startDate", &ms, &err), PP_INVALID_PARAMS);
    assert_string_equal(err.message,
                        "endDate is not a valid date: that day does not exist in that month");
}

static const struct {
    int64_t year;
    unsigned month;
    unsigned day;
    int64_t days;
} civil_cases[] = {
    {1970, 1, 1, 0},       {1969, 12, 31, -1},      {1970, 1, 2, 1},        {1970, 3, 1, 59},
    {1972, 3, 1, 790},     {2000, 2, 29, 11016},    {2000, 3, 1, 11017},    {2018, 1, 1, 17532},
    {2020, 2, 29, 18321},  {2100, 2, 28, 47540},    {1900, 3, 1, -25508},   {1600, 2, 29, -135081},
    {1, 1, 1, -719162},    {0, 3, 1, -719468},      {0, 1, 1, -719528},     {-1, 12, 31, -719529},
    {9999, 1, 1, 2932532}, {9999, 12, 31, 2932896}, {10000, 1, 1, 2932897},
};

static void test_days_from_civil(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof civil_cases / sizeof civil_cases[0]; i++) {
        int64_t days =
            core_days_from_civil(civil_cases[i].year, civil_cases[i].month, civil_cases[i].day);
        if (days != civil_cases[i].days) {
            fail_msg("%lld-%u-%u: %lld, want %lld", (long long)civil_cases[i].year,
                     civil_cases[i].month, civil_cases[i].day, (long long)days,
                     (long long)civil_cases[i].days);
        }
    }
}

static const struct {
    int64_t ms;
    const char *text;
} format_cases[] = {
    {0, "1970-01-01T00:00:00.000Z"},
    {1, "1970-01-01T00:00:00.001Z"},
    {999, "1970-01-01T00:00:00.999Z"},
    {MS_PER_DAY - 1, "1970-01-01T23:59:59.999Z"},
    {1514808000000LL, "2018-01-01T12:00:00.000Z"},
    {1514808000123LL, "2018-01-01T12:00:00.123Z"},
    {18321 * MS_PER_DAY, "2020-02-29T00:00:00.000Z"},
    {2932897 * MS_PER_DAY - 1, "9999-12-31T23:59:59.999Z"},
};

static void test_format(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof format_cases / sizeof format_cases[0]; i++) {
        char out[PP_DATE_TEXT_BYTES];
        memset(out, 'X', sizeof out);
        assert_int_equal(core_date_format(format_cases[i].ms, out, sizeof out), 24);
        assert_string_equal(out, format_cases[i].text);
    }
}

/* Walks every day from 1970-01-01 to 9999-12-31 with an independent
** calendar (a plain day counter) and checks the day number, formatting,
** and parsing of ISO and RFC 2822 text back to the same moment, at a time
** of day that moves with the day so every field value is exercised. */
static void test_every_day(void **state)
{
    static const char *const months[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    static const char *const weekdays[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const unsigned lengths[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t days = 0;
    (void)state;
    for (int year = 1970; year <= 9999; year++) {
        int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        for (unsigned month = 1; month <= 12; month++) {
            unsigned length = lengths[month - 1] + (month == 2 && leap ? 1u : 0u);
            for (unsigned day = 1; day <= length; day++, days++) {
                int64_t in_day = (days * 7919 % MS_PER_DAY) / 1000 * 1000;
                int64_t ms = days * MS_PER_DAY + in_day;
                char want[PP_DATE_TEXT_BYTES];
                char out[PP_DATE_TEXT_BYTES];
                char rfc[64];
                int64_t back = -1;
                unsigned h = (unsigned)(in_day / 3600000);
                unsigned m = (unsigned)(in_day / 60000 % 60);
                unsigned s = (unsigned)(in_day / 1000 % 60);
                snprintf(want, sizeof want, "%04d-%02u-%02uT%02u:%02u:%02u.000Z", year, month, day,
                         h, m, s);
                if (core_days_from_civil(year, month, day) != days) {
                    fail_msg("%s: day number %lld", want, (long long)days);
                }
                core_date_format(ms, out, sizeof out);
                if (strcmp(out, want) != 0) {
                    fail_msg("%lld: %s, want %s", (long long)ms, out, want);
                }
                assert_int_equal(core_date_parse(out, 24, "d", &back, NULL), PP_OK);
                assert_int_equal(back, ms);
                snprintf(rfc, sizeof rfc, "%s, %u %s %04d %02u:%02u:%02u +0000",
                         weekdays[(days + 4) % 7], day, months[month - 1], year, h, m, s);
                back = -1;
                if (core_date_parse(rfc, strlen(rfc), "d", &back, NULL) != PP_OK || back != ms) {
                    fail_msg("\"%s\" -> %lld, want %lld", rfc, (long long)back, (long long)ms);
                }
            }
        }
    }
    assert_int_equal(days, 2932897);
}

static void test_now(void **state)
{
    int64_t before = (int64_t)time(NULL) * 1000;
    int64_t now = core_now_ms();
    int64_t after = (int64_t)time(NULL) * 1000;
    char out[PP_DATE_TEXT_BYTES];
    (void)state;
    assert_true(now >= before - 1000 && now <= after + 1000);
    assert_true(now > 1577836800000LL); /* after 2020-01-01 */
    core_date_format(now, out, sizeof out);
    assert_int_equal(strlen(out), 24);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_good),
        cmocka_unit_test(test_parse_bad),
        cmocka_unit_test(test_parse_length_and_bytes),
        cmocka_unit_test(test_parse_message_and_first_error),
        cmocka_unit_test(test_days_from_civil),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_every_day),
        cmocka_unit_test(test_now),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
