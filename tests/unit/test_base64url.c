/*
** This module implements the unit tests of base/base64url: the RFC 4648
** test vectors in the URL-safe alphabet without padding, a round trip of
** every byte value and length up to 64, and the refusals that keep the
** decoding canonical (padding, other characters, a one-character
** remainder, unused bits set, a result larger than the buffer).
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "payout/base/base64url.h"

static void test_vectors(void **state)
{
    (void)state;
    static const char *const vectors[][2] = {
        {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
        {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
    };
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        char text[16];
        uint8_t bytes[16];
        size_t len = strlen(vectors[i][0]);
        size_t n = pp_base64url_encode((const uint8_t *)vectors[i][0], len, text, sizeof text);
        assert_int_equal(n, PP_BASE64URL_CHARS(len));
        assert_string_equal(text, vectors[i][1]);
        size_t out_len = 99;
        assert_int_equal(pp_base64url_decode(text, n, bytes, sizeof bytes, &out_len), 1);
        assert_int_equal(out_len, len);
        assert_memory_equal(bytes, vectors[i][0], len);
    }
    /* The two characters that differ from standard base64. */
    const uint8_t high[] = {0xfb, 0xff};
    char text[8];
    pp_base64url_encode(high, sizeof high, text, sizeof text);
    assert_string_equal(text, "-_8");
}

static void test_round_trip(void **state)
{
    (void)state;
    uint8_t bytes[64];
    uint8_t back[64];
    char text[PP_BASE64URL_CHARS(64) + 1];
    for (size_t i = 0; i < sizeof bytes; i++) {
        bytes[i] = (uint8_t)(i * 37 + 11);
    }
    for (size_t len = 0; len <= sizeof bytes; len++) {
        size_t n = pp_base64url_encode(bytes, len, text, sizeof text);
        size_t out_len = 0;
        assert_int_equal(pp_base64url_decode(text, n, back, len, &out_len), 1);
        assert_int_equal(out_len, len);
        assert_memory_equal(back, bytes, len);
    }
    for (int c = 0; c < 256; c++) {
        int v = pp_base64url_value((unsigned char)c);
        int in_alphabet = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                          (c >= '0' && c <= '9') || c == '-' || c == '_';
        assert_int_equal(v >= 0, in_alphabet);
    }
}

static void test_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "Zg==",                             /* padding */
        "Zm9v+", "Zm/v", "Zm 9v", "Zm9v\n", /* outside the alphabet */
        "Zm9vY",                            /* one character left over */
        "Zh",                               /* unused low bits set ("f" is "Zg") */
        "Zm9",                              /* ditto ("fo" is "Zm8") */
    };
    uint8_t out[16];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t out_len = 0;
        assert_int_equal(pp_base64url_decode(bad[i], strlen(bad[i]), out, sizeof out, &out_len), 0);
    }
    /* "foobar" needs 6 bytes. */
    size_t out_len = 0;
    assert_int_equal(pp_base64url_decode("Zm9vYmFy", 8, out, 5, &out_len), 0);
    assert_int_equal(pp_base64url_decode("Zm9vYmFy", 8, out, 6, &out_len), 1);
    assert_int_equal(pp_base64url_decode("Zm9vYmE", 7, out, 4, &out_len), 0);
    assert_int_equal(pp_base64url_decode("Zm9vYmE", 7, out, 5, &out_len), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
