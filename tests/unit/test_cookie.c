/*
** This module implements the unit tests of sec/cookie.c: the exact
** Set-Cookie texts that set and clear the session cookie, with and without
** TLS, and a table of Cookie headers for the strict reader: several
** cookies, spacing, quotes, look-alike names, malformed values, and
** duplicates (refused, never first-wins).
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "payout/sec/cookie.h"

static const char id[] = "Vxo3-_abcdefghijklmnopqrstuvwxyz0123456789A";

static void cookie_set_exact(void **state)
{
    (void)state;
    char out[SEC_SET_COOKIE_BYTES];

    sec_cookie_set_build(out, sizeof out, "pp_session", id, 0, 43200);
    assert_string_equal(out, "pp_session=Vxo3-_abcdefghijklmnopqrstuvwxyz0123456789A; Path=/; "
                             "HttpOnly; SameSite=Strict; Max-Age=43200");
    sec_cookie_set_build(out, sizeof out, "__Host-pp_session", id, 1, 1800);
    assert_string_equal(out,
                        "__Host-pp_session=Vxo3-_abcdefghijklmnopqrstuvwxyz0123456789A; Path=/; "
                        "HttpOnly; SameSite=Strict; Secure; Max-Age=1800");
    sec_cookie_set_build(out, sizeof out, "s", "v", 0, 1);
    assert_string_equal(out, "s=v; Path=/; HttpOnly; SameSite=Strict; Max-Age=1");
}

static void cookie_clear_exact(void **state)
{
    (void)state;
    char out[SEC_SET_COOKIE_BYTES];

    sec_cookie_clear_build(out, sizeof out, "pp_session", 0);
    assert_string_equal(out, "pp_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    sec_cookie_clear_build(out, sizeof out, "pp_session", 1);
    assert_string_equal(out, "pp_session=; Path=/; HttpOnly; SameSite=Strict; Secure; Max-Age=0");
}

/* The longest name and value with the largest Max-Age fit the buffer. */
static void cookie_set_longest_fits(void **state)
{
    (void)state;
    char name[PP_COOKIE_NAME_BYTES_MAX + 1];
    char value[PP_COOKIE_VALUE_BYTES_MAX + 1];
    char out[SEC_SET_COOKIE_BYTES];

    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    memset(value, 'v', sizeof value - 1);
    value[sizeof value - 1] = '\0';
    sec_cookie_set_build(out, sizeof out, name, value, 1, PP_COOKIE_MAX_AGE_S_MAX);
    assert_int_equal(strlen(out), PP_COOKIE_NAME_BYTES_MAX + 1 + PP_COOKIE_VALUE_BYTES_MAX +
                                      strlen("; Path=/; HttpOnly; SameSite=Strict; Secure; "
                                             "Max-Age=34560000"));
}

static const struct {
    const char *header;
    enum sec_cookie_found found;
    const char *value; /* when found */
} find_cases[] = {
    /* Found: alone, among others, any spacing RFC 6265 clients send. */
    {"pp_session=abc", SEC_COOKIE_FOUND, "abc"},
    {"a=1; pp_session=abc; b=2", SEC_COOKIE_FOUND, "abc"},
    {"a=1;pp_session=abc;b=2", SEC_COOKIE_FOUND, "abc"},
    {"  a=1 ;  pp_session = abc  ;\tb=2\t", SEC_COOKIE_FOUND, "abc"},
    {"b=2; pp_session=abc", SEC_COOKIE_FOUND, "abc"},
    {"pp_session=abc;", SEC_COOKIE_FOUND, "abc"},
    {";;pp_session=abc;;", SEC_COOKIE_FOUND, "abc"},
    {"pp_session=\"abc\"", SEC_COOKIE_FOUND, "abc"},
    {"pp_session=a=b", SEC_COOKIE_FOUND, "a=b"},
    {"pp_session=Vxo3-_abcdefghijklmnopqrstuvwxyz0123456789A", SEC_COOKIE_FOUND,
     "Vxo3-_abcdefghijklmnopqrstuvwxyz0123456789A"},
    /* Other cookies' oddities are not ours to judge. */
    {"theme=dark mode; pp_session=abc; x=\"un,closed", SEC_COOKIE_FOUND, "abc"},
    {"nameless; pp_session=abc", SEC_COOKIE_FOUND, "abc"},
    {"=nameless; pp_session=abc", SEC_COOKIE_FOUND, "abc"},
    /* Absent: no header, or only look-alikes. */
    {"", SEC_COOKIE_ABSENT, NULL},
    {"a=1; b=2", SEC_COOKIE_ABSENT, NULL},
    {"xpp_session=abc", SEC_COOKIE_ABSENT, NULL},
    {"pp_session_old=abc", SEC_COOKIE_ABSENT, NULL},
    {"pp_sessio=abc", SEC_COOKIE_ABSENT, NULL},
    {"PP_SESSION=abc", SEC_COOKIE_ABSENT, NULL},
    {"a=pp_session=abc", SEC_COOKIE_ABSENT, NULL},
    {"pp_session", SEC_COOKIE_ABSENT, NULL},
    {"pp_ session=abc", SEC_COOKIE_ABSENT, NULL},
    /* Refused: duplicates, whichever comes first. */
    {"pp_session=abc; pp_session=abc", SEC_COOKIE_REFUSED, NULL},
    {"pp_session=evil; a=1; pp_session=abc", SEC_COOKIE_REFUSED, NULL},
    {"pp_session=abc;pp_session=", SEC_COOKIE_REFUSED, NULL},
    /* Refused: our value empty or not cookie-octets. */
    {"pp_session=", SEC_COOKIE_REFUSED, NULL},
    {"pp_session=  ; a=1", SEC_COOKIE_REFUSED, NULL},
    {"pp_session=\"\"", SEC_COOKIE_REFUSED, NULL},
    {"pp_session=\"abc", SEC_COOKIE_REFUSED, NULL},
    {"pp_session=abc\"", SEC_COOKIE_REFUSED, NULL},
    {"pp_session=\"a\"b\"", SEC_COOKIE_REFUSED, NULL},
    {"pp_session=ab c", SEC_COOKIE_REFUSED, NULL},
    {"pp_session=ab,c", SEC_COOKIE_REFUSED, NULL},
    {"pp_session=ab\\c", SEC_COOKIE_REFUSED, NULL},
    {"pp_session=ab\xc3\xa9", SEC_COOKIE_REFUSED, NULL},
    /* Refused as a whole: a control character anywhere. */
    {"a=1\r\n; pp_session=abc", SEC_COOKIE_REFUSED, NULL},
    {"a=\x7f; pp_session=abc", SEC_COOKIE_REFUSED, NULL},
    {"a=\x01; pp_session=abc", SEC_COOKIE_REFUSED, NULL},
};

static void cookie_find_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof find_cases / sizeof find_cases[0]; i++) {
        const char *value = "untouched";
        size_t value_len = 999;
        enum sec_cookie_found found = sec_cookie_find(
            find_cases[i].header, strlen(find_cases[i].header), "pp_session", &value, &value_len);
        if (found != find_cases[i].found) {
            fail_msg("case %zu (%s): found %d, expected %d", i, find_cases[i].header, (int)found,
                     (int)find_cases[i].found);
        }
        if (found == SEC_COOKIE_FOUND) {
            assert_int_equal(value_len, strlen(find_cases[i].value));
            assert_memory_equal(value, find_cases[i].value, value_len);
            /* The value is borrowed from the header. */
            assert_true(value >= find_cases[i].header &&
                        value + value_len <= find_cases[i].header + strlen(find_cases[i].header));
        } else {
            assert_null(value);
            assert_int_equal(value_len, 0);
        }
    }
}

/* A NUL inside the header, no header at all, and the length bound. */
static void cookie_find_edges(void **state)
{
    (void)state;
    const char *value = NULL;
    size_t value_len = 0;
    static char header[PP_COOKIE_HEADER_BYTES_MAX + 2];

    assert_int_equal(sec_cookie_find("a=\0; pp_session=abc", 19, "pp_session", &value, &value_len),
                     SEC_COOKIE_REFUSED);
    assert_int_equal(sec_cookie_find(NULL, 0, "pp_session", &value, &value_len), SEC_COOKIE_ABSENT);
    /* Exactly the bound: padding cookie, then ours at the end. */
    static const char ours[] = "; pp_session=abc";
    size_t fill = PP_COOKIE_HEADER_BYTES_MAX - (sizeof ours - 1);
    memset(header, 'x', fill);
    header[0] = 'p';
    header[1] = '=';
    memcpy(header + fill, ours, sizeof ours);
    assert_int_equal(strlen(header), PP_COOKIE_HEADER_BYTES_MAX);
    assert_int_equal(
        sec_cookie_find(header, PP_COOKIE_HEADER_BYTES_MAX, "pp_session", &value, &value_len),
        SEC_COOKIE_FOUND);
    assert_int_equal(value_len, 3);
    /* One byte more is refused. */
    memmove(header + 1, header, PP_COOKIE_HEADER_BYTES_MAX + 1);
    header[0] = 'p';
    assert_int_equal(
        sec_cookie_find(header, PP_COOKIE_HEADER_BYTES_MAX + 1, "pp_session", &value, &value_len),
        SEC_COOKIE_REFUSED);
    assert_null(value);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cookie_set_exact),        cmocka_unit_test(cookie_clear_exact),
        cmocka_unit_test(cookie_set_longest_fits), cmocka_unit_test(cookie_find_table),
        cmocka_unit_test(cookie_find_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
