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

/* The escape of s[0..len) one byte at a time, as the writer must give it:
** the reference the writer's word-at-a-time skipping is held to. */
static void escape_by_byte(const unsigned char *s, size_t len, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = s[i];
        if (c == 0xc3 && i + 1 < len && s[i + 1] == 0xa9) {
            out[o++] = (char)c;
            out[o++] = (char)s[++i];
        } else if (c >= 0x80) {
            o += (size_t)sprintf(out + o, "\\ufffd");
        } else if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else if (c == '\n') {
            o += (size_t)sprintf(out + o, "\\n");
        } else if (c < 0x20) {
            o += (size_t)sprintf(out + o, "\\u%04x", c);
        } else {
            out[o++] = (char)c;
        }
    }
    out[o] = '\0';
}

/* Every byte that needs escaping, alone or two together, at every place
** in and across the eight-byte words the writer skips plain text by, in
** strings of every length up to 40, among plain bytes from both ends of
** the plain range (' ', '~', DEL). */
static void test_escape_words(void **state)
{
    (void)state;
    static const unsigned char special[] = {'"', '\\', '\n', 0x01, 0x1f, 0xc3, 0xff, 0x80};
    static const unsigned char plain[] = {'a', ' ', '~', 0x7f, '!', '#', '[', ']'};
    unsigned char s[48];
    char want[48 * 6 + 1];
    int checked = 0;
    for (size_t len = 0; len <= 40; len++) {
        for (size_t at = 0; at <= len; at++) {
            for (size_t k = 0; k < sizeof special; k++) {
                for (size_t i = 0; i < len; i++) {
                    s[i] = plain[(i + k) % sizeof plain];
                }
                if (at < len) {
                    s[at] = special[k];
                    if (special[k] == 0xc3 && at + 1 < len) {
                        s[at + 1] = 0xa9; /* é: copied as it is */
                    }
                    if (at + 3 < len) {
                        s[at + 3] = special[(k + 3) % sizeof special];
                    }
                }
                escape_by_byte(s, len, want);
                struct pp_buf out;
                pp_buf_init(&out);
                jw_escape(&out, (const char *)s, len);
                assert_string_equal(out.data != NULL ? out.data : "", want);
                pp_buf_free(&out);
                checked++;
            }
        }
    }
    assert_true(checked > 5000);
}

/* JW_KEY and jw_raw_n give what jw_key and jw_raw give. */
static void test_literal_keys(void **state)
{
    (void)state;
    struct pp_buf a;
    struct pp_buf b;
    struct jw w;
    pp_buf_init(&a);
    pp_buf_init(&b);
    jw_init(&w, &a);
    jw_object_begin(&w);
    JW_KEY(&w, "amount");
    jw_raw_n(&w, "1.50xx", 4);
    JW_KEY(&w, "createdAt");
    jw_null(&w);
    jw_object_end(&w);
    jw_init(&w, &b);
    jw_object_begin(&w);
    jw_key(&w, "amount");
    jw_raw(&w, "1.50");
    jw_key(&w, "createdAt");
    jw_null(&w);
    jw_object_end(&w);
    assert_string_equal(a.data, "{\"amount\":1.50,\"createdAt\":null}");
    assert_string_equal(a.data, b.data);
    pp_buf_free(&a);
    pp_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ints),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_escape_words),
        cmocka_unit_test(test_literal_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
