/*
** This module tests the streaming JSON writer (api/jsonw.c): commas and
** nesting, integers at both ends of int64_t, keys written in one piece
** when plain and escaped when not (quotes, backslashes, control bytes,
** broken UTF-8, a key longer than the one-piece room), and strings
** escaped the same way.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "payout/api/jsonw.h"

/* Writes v[0..n) as an array and compares it with want. */
static void assert_ints(const int64_t *v, size_t n, const char *want)
{
    struct pp_buf out;
    struct jw w;
    pp_buf_init(&out);
    jw_init(&w, &out);
    jw_array_begin(&w);
    for (size_t i = 0; i < n; i++) {
        jw_int(&w, v[i]);
    }
    jw_array_end(&w);
    assert_string_equal(out.data, want);
    pp_buf_free(&out);
}

static void test_ints(void **state)
{
    (void)state;
    const int64_t v[] = {0, 7, -7, 10, -10, 1234567890123LL, INT64_MAX, INT64_MIN};
    assert_ints(v, sizeof v / sizeof v[0],
                "[0,7,-7,10,-10,1234567890123,9223372036854775807,-9223372036854775808]");
}

static void test_keys(void **state)
{
    (void)state;
    char longest[49];
    char longer[50];
    memset(longest, 'k', sizeof longest - 1);
    longest[sizeof longest - 1] = '\0';
    memset(longer, 'k', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    struct pp_buf out;
    struct jw w;
    pp_buf_init(&out);
    jw_init(&w, &out);
    jw_object_begin(&w);
    jw_key(&w, "id");
    jw_int(&w, 1);
    jw_key(&w, "");
    jw_bool(&w, 1);
    jw_key(&w, "a\"b\\c");
    jw_null(&w);
    jw_key(&w, "tab\there");
    jw_string(&w, "x\ny");
    jw_key(&w, "caf\xc3\xa9");
    jw_string(&w, "bad\xff");
    jw_key(&w, longest);
    jw_int(&w, 2);
    jw_key(&w, longer);
    jw_object_begin(&w);
    jw_key(&w, "in");
    jw_raw(&w, "1.50");
    jw_object_end(&w);
    jw_object_end(&w);
    char *want = NULL;
    size_t cap = 512;
    want = test_malloc(cap);
    snprintf(want, cap,
             "{\"id\":1,\"\":true,\"a\\\"b\\\\c\":null,\"tab\\there\":\"x\\ny\","
             "\"caf\xc3\xa9\":\"bad\\ufffd\",\"%s\":2,\"%s\":{\"in\":1.50}}",
             longest, longer);
    assert_string_equal(out.data, want);
    test_free(want);
    pp_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ints),
        cmocka_unit_test(test_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
