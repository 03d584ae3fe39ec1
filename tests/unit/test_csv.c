/*
** This module implements the unit tests of core/csv: tables of accepted
** texts with the records and fields they must yield (quotes, escaped
** quotes, embedded commas and newlines, CRLF and LF, a BOM, empty fields,
** blank and trailing lines, ragged records handed out as they are), a
** table of refused texts with the line the message must name (unterminated
** quote, stray quotes, text after a closing quote, a bare CR, invalid
** UTF-8, NUL bytes, too many fields), and a long generated text read back
** field for field.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payout/core/csv.h"

#define FIELDS_MAX 8
#define RECORDS_MAX 8

/* Reads every record of text[0..len) into out (fields joined with '|',
** records with '/'), with the start line of each record appended as
** "@N". Returns the final status; err holds the message. */
static enum pp_status read_all(const char *text, size_t len, char *out, size_t out_size,
                               struct pp_err *err)
{
    char *copy = malloc(len + 1);
    assert_non_null(copy);
    memcpy(copy, text, len);
    copy[len] = '\0';
    struct core_csv csv;
    size_t used = 0;
    out[0] = '\0';
    pp_err_clear(err);
    enum pp_status st = core_csv_init(&csv, copy, len, err);
    for (size_t r = 0; st == PP_OK && r <= RECORDS_MAX; r++) {
        char *fields[FIELDS_MAX];
        size_t count = 0, line = 0;
        st = core_csv_next(&csv, fields, FIELDS_MAX, &count, &line, err);
        if (st != PP_OK || count == 0) {
            break;
        }
        used += (size_t)snprintf(out + used, out_size - used, "%s", r > 0 ? "/" : "");
        for (size_t f = 0; f < count; f++) {
            used +=
                (size_t)snprintf(out + used, out_size - used, "%s%s", f > 0 ? "|" : "", fields[f]);
        }
        used += (size_t)snprintf(out + used, out_size - used, "@%zu", line);
        assert_true(used < out_size);
    }
    free(copy);
    return st;
}

static const struct {
    const char *text;
    size_t len; /* 0: strlen */
    const char *want;
} accepted[] = {
    {"a,b,c\n1,2,3\n", 0, "a|b|c@1/1|2|3@2"},
    {"a,b,c\r\n1,2,3\r\n", 0, "a|b|c@1/1|2|3@2"},
    {"a,b\r\n1,2\n3,4", 0, "a|b@1/1|2@2/3|4@3"}, /* mixed endings, no last EOL */
    {"\xEF\xBB\xBF"
     "amount,currency\n1,GBP\n",
     0, "amount|currency@1/1|GBP@2"},                                 /* BOM */
    {"\"a\",\"b\"\n", 0, "a|b@1"},                                    /* quoted */
    {"\"say \"\"hi\"\"\",x\n", 0, "say \"hi\"|x@1"},                  /* escaped quotes */
    {"\"\"\"\"\n", 0, "\"@1"},                                        /* a lone quote */
    {"\"1,5\",\"a,b,c\"\n", 0, "1,5|a,b,c@1"},                        /* embedded commas */
    {"\"line1\nline2\",x\nnext,y\n", 0, "line1\nline2|x@1/next|y@3"}, /* embedded LF */
    {"\"line1\r\nline2\",x\r\n", 0, "line1\r\nline2|x@1"},            /* embedded CRLF kept */
    {"a,,c\n,,\n", 0, "a||c@1/||@2"},                                 /* empty fields */
    {"a,b,\n", 0, "a|b|@1"},                                          /* trailing comma */
    {"\"\",x\n", 0, "|x@1"},                                          /* empty quoted field */
    {"a,b\n1,2\n\n", 0, "a|b@1/1|2@2"},                               /* empty trailing line */
    {"a,b\n1,2\n\r\n\n\r\n", 0, "a|b@1/1|2@2"},                       /* several */
    {"\n\na,b\n\n1,2\n", 0, "a|b@3/1|2@5"},                           /* blank lines skipped */
    {"a,b,c\n1,2\n1,2,3,4\n", 0, "a|b|c@1/1|2@2/1|2|3|4@3"},          /* ragged: handed out as is */
    {" a , b \n", 0, " a | b @1"},                                    /* spaces are data */
    {"caf\xC3\xA9,\xE2\x82\xAC,\xF0\x9F\x98\x80\n", 0,
     "caf\xC3\xA9|\xE2\x82\xAC|\xF0\x9F\x98\x80@1"},
    {"", 0, ""},             /* nothing at all */
    {"\xEF\xBB\xBF", 0, ""}, /* only a BOM */
    {"x", 0, "x@1"},
};

static void test_accepted(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof accepted / sizeof accepted[0]; i++) {
        char out[512];
        struct pp_err err;
        size_t len = accepted[i].len ? accepted[i].len : strlen(accepted[i].text);
        enum pp_status st = read_all(accepted[i].text, len, out, sizeof out, &err);
        if (st != PP_OK) {
            fail_msg("case %zu refused: %s", i, err.message);
        }
        if (strcmp(out, accepted[i].want) != 0) {
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, out, accepted[i].want);
        }
    }
}

static const struct {
    const char *text;
    size_t len; /* 0: strlen */
    const char *message_has;
} refused[] = {
    {"a,b\n\"1,2\n", 0, "line 2: a quoted field is not closed"},
    {"a,b\n1,\"2\n3,4\n", 0, "line 2: a quoted field is not closed"},
    {"\"", 0, "line 1: a quoted field is not closed"},
    {"a,b\n1,2\"3\n", 0, "line 2: a quote inside an unquoted field"},
    {"a\"b\n", 0, "line 1: a quote inside an unquoted field"},
    {"\"ab\"c,d\n", 0, "line 1: text after a closing quote"},
    {"a,b\n\"x\ny\" z\n", 0, "line 3: text after a closing quote"},
    {"a,b\r1,2\n", 0, "line 1: a CR that is not followed by LF"},
    {"a,b\n1,2\r", 0, "line 2: a CR that is not followed by LF"},
    {"\"a\"\rb\n", 0, "line 1: a CR that is not followed by LF"},
    {"a,b\n\xC3\x28,x\n", 0, "line 2 is not valid UTF-8"},
    {"a,b\n\xC0\xAF\n", 0, "line 2 is not valid UTF-8"},    /* overlong '/' */
    {"\xED\xA0\x80\n", 0, "line 1 is not valid UTF-8"},     /* surrogate */
    {"\xF4\x90\x80\x80\n", 0, "line 1 is not valid UTF-8"}, /* past U+10FFFF */
    {"ab\xE2\x82", 0, "line 1 is not valid UTF-8"},         /* cut sequence */
    {"a,b\n\n1\0,2\n", 9, "line 3 holds a NUL byte"},
    {"1,2,3,4,5,6,7,8,9\n", 0, "line 1 has more than 8 fields"},
};

static void test_refused(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        char out[512];
        struct pp_err err;
        size_t len = refused[i].len ? refused[i].len : strlen(refused[i].text);
        enum pp_status st = read_all(refused[i].text, len, out, sizeof out, &err);
        if (st != PP_INVALID_PARAMS) {
            fail_msg("case %zu accepted as \"%s\"", i, out);
        }
        if (strstr(err.message, refused[i].message_has) == NULL) {
            fail_msg("case %zu: message \"%s\" lacks \"%s\"", i, err.message,
                     refused[i].message_has);
        }
    }
}

/* The records read before an error stay valid; the error comes when the
** bad record is reached. */
static void test_error_after_good_records(void **state)
{
    (void)state;
    char text[] = "a,b\n1,2\n\"3,4\n";
    struct core_csv csv;
    struct pp_err err = {0};
    char *fields[FIELDS_MAX];
    size_t count = 0, line = 0;
    assert_int_equal(core_csv_init(&csv, text, strlen(text), &err), PP_OK);
    assert_int_equal(core_csv_next(&csv, fields, FIELDS_MAX, &count, &line, &err), PP_OK);
    assert_int_equal(count, 2);
    assert_int_equal(core_csv_next(&csv, fields, FIELDS_MAX, &count, &line, &err), PP_OK);
    assert_int_equal(count, 2);
    assert_string_equal(fields[0], "1");
    assert_string_equal(fields[1], "2");
    assert_int_equal(line, 2);
    assert_int_equal(core_csv_next(&csv, fields, FIELDS_MAX, &count, &line, &err),
                     PP_INVALID_PARAMS);
    assert_int_equal(count, 0);
}

/* Exactly fields_max fields is fine. */
static void test_fields_max_boundary(void **state)
{
    (void)state;
    char text[] = "1,2,3,4,5,6,7,8\n";
    struct core_csv csv;
    struct pp_err err = {0};
    char *fields[FIELDS_MAX];
    size_t count = 0, line = 0;
    assert_int_equal(core_csv_init(&csv, text, strlen(text), &err), PP_OK);
    assert_int_equal(core_csv_next(&csv, fields, FIELDS_MAX, &count, &line, &err), PP_OK);
    assert_int_equal(count, FIELDS_MAX);
    assert_string_equal(fields[7], "8");
    assert_int_equal(core_csv_next(&csv, fields, FIELDS_MAX, &count, &line, &err), PP_OK);
    assert_int_equal(count, 0);
}

/* A long text of generated records (every kind of field) reads back
** exactly, with the right start lines. */
static void test_generated_round_trip(void **state)
{
    (void)state;
    enum { ROWS = 5000 };
    size_t cap = (size_t)ROWS * 64;
    char *text = malloc(cap);
    assert_non_null(text);
    size_t used = 0;
    for (int r = 0; r < ROWS; r++) {
        /* Every third record spans two lines; ends alternate CRLF / LF. */
        used += (size_t)snprintf(text + used, cap - used, "%d,\"q\"\"%d\",\"%s\"%s", r, r,
                                 r % 3 == 0 ? "x\ny" : "a,b", r % 2 ? "\r\n" : "\n");
    }
    struct core_csv csv;
    struct pp_err err = {0};
    assert_int_equal(core_csv_init(&csv, text, used, &err), PP_OK);
    size_t want_line = 1;
    for (int r = 0; r < ROWS; r++) {
        char *fields[FIELDS_MAX];
        size_t count = 0, line = 0;
        char want[32];
        assert_int_equal(core_csv_next(&csv, fields, FIELDS_MAX, &count, &line, &err), PP_OK);
        assert_int_equal(count, 3);
        assert_int_equal(line, want_line);
        snprintf(want, sizeof want, "%d", r);
        assert_string_equal(fields[0], want);
        snprintf(want, sizeof want, "q\"%d", r);
        assert_string_equal(fields[1], want);
        assert_string_equal(fields[2], r % 3 == 0 ? "x\ny" : "a,b");
        want_line += r % 3 == 0 ? 2 : 1;
    }
    size_t count = 1, line = 0;
    char *fields[FIELDS_MAX];
    assert_int_equal(core_csv_next(&csv, fields, FIELDS_MAX, &count, &line, &err), PP_OK);
    assert_int_equal(count, 0);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepted),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_error_after_good_records),
        cmocka_unit_test(test_fields_max_boundary),
        cmocka_unit_test(test_generated_round_trip),
    };
    return cmocka_run_group_tests_name("unit.csv", tests, NULL, NULL);
}
