/*
** This module implements the unit tests of base/base64, the one codec in
** both alphabets. For base64url: the RFC 4648 test vectors without
** padding, a round trip of every length up to 64 and the alphabet over
** every byte value, and the refusals that keep decoding canonical
** (padding, other characters, a one-character remainder, unused bits set,
** a result larger than the buffer). For both alphabets side by side: the
** RFC 4648 §10 vectors, the two letters that differ, round trips of every
** length up to 70 with exact buffer sizes, and a table of texts the strict
** decoders must refuse (whitespace, misplaced or missing padding, the
** other alphabet's letters, non-canonical tails).
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "payout/base/base64.h"

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

/* RFC 4648 §10: input, BASE64 as printed, and base64url without padding. */
static const struct {
    const char *plain;
    const char *b64;
    const char *url;
} vectors[] = {
    {"", "", ""},
    {"f", "Zg==", "Zg"},
    {"fo", "Zm8=", "Zm8"},
    {"foo", "Zm9v", "Zm9v"},
    {"foob", "Zm9vYg==", "Zm9vYg"},
    {"fooba", "Zm9vYmE=", "Zm9vYmE"},
    {"foobar", "Zm9vYmFy", "Zm9vYmFy"},
    /* The two letters that differ: 0xfb 0xff 0xbf is "+/+/" and "-_-_". */
    {"\xfb\xff\xbf", "+/+/", "-_-_"},
    {"\xfb\xff", "+/8=", "-_8"},
};

static void b64_rfc4648_vectors(void **state)
{
    (void)state;
    char text[64];
    uint8_t out[64];
    size_t out_len = 0;

    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        const char *plain = vectors[i].plain;
        size_t len = strlen(plain);
        assert_int_equal(PP_BASE64_CHARS(len), strlen(vectors[i].b64));
        assert_int_equal(PP_BASE64URL_CHARS(len), strlen(vectors[i].url));
        pp_base64_encode((const uint8_t *)plain, len, text, sizeof text);
        assert_string_equal(text, vectors[i].b64);
        pp_base64url_encode((const uint8_t *)plain, len, text, sizeof text);
        assert_string_equal(text, vectors[i].url);
        assert_int_equal(
            pp_base64_decode(vectors[i].b64, strlen(vectors[i].b64), out, sizeof out, &out_len), 1);
        assert_int_equal(out_len, len);
        assert_memory_equal(out, plain, len);
        assert_int_equal(
            pp_base64url_decode(vectors[i].url, strlen(vectors[i].url), out, sizeof out, &out_len),
            1);
        assert_int_equal(out_len, len);
        assert_memory_equal(out, plain, len);
    }
}

/* Every length up to 70 bytes (all three tails, more than one group) comes
** back intact, and the url encoder writes exactly its length and a NUL
** into a buffer of exactly that size. */
static void b64_round_trips(void **state)
{
    (void)state;
    uint8_t in[70];
    uint8_t out[70];
    char text[100];

    for (size_t len = 0; len <= sizeof in; len++) {
        for (size_t i = 0; i < len; i++) {
            in[i] = (uint8_t)(i * 53u + len * 7u + 200u);
        }
        size_t out_len = 999;
        pp_base64_encode(in, len, text, PP_BASE64_CHARS(len) + 1);
        assert_int_equal(pp_base64_decode(text, strlen(text), out, sizeof out, &out_len), 1);
        assert_int_equal(out_len, len);
        assert_memory_equal(out, in, len);
        memset(text, '#', sizeof text);
        pp_base64url_encode(in, len, text, PP_BASE64URL_CHARS(len) + 1);
        assert_int_equal(strlen(text), PP_BASE64URL_CHARS(len));
        assert_int_equal(text[PP_BASE64URL_CHARS(len) + 1], '#');
        assert_int_equal(pp_base64url_is_text(text, strlen(text)), 1);
        assert_int_equal(pp_base64url_decode(text, strlen(text), out, sizeof out, &out_len), 1);
        assert_int_equal(out_len, len);
        assert_memory_equal(out, in, len);
    }
}

static void b64_refusals(void **state)
{
    (void)state;
    static const char *const bad_b64[] = {
        "Zg",           "Zg=",    "Zg===",     "Z===",     "Zh==",       "Zm9=",
        "Zm9vYg==Zg==", "Zm9v\n", " Zm9v",     "Zm 9v",    "Zm9v-_8=",   "====",
        "Zm9vY===",     "Zm=v",   "Zm9vYmFy=", "Zm9\xc3v", "Zm9vYmFy\r",
    };
    static const char *const bad_url[] = {
        "Z", "Zg==", "Zg=", "Zh", "Zm9", "+/8", "Zm9v Zm9v", "Zm9v\n", "Zm9vY", "Zm\xc3v",
    };
    uint8_t out[64];

    for (size_t i = 0; i < sizeof bad_b64 / sizeof bad_b64[0]; i++) {
        size_t out_len = 999;
        assert_int_equal(
            pp_base64_decode(bad_b64[i], strlen(bad_b64[i]), out, sizeof out, &out_len), 0);
        assert_int_equal(out_len, 999);
    }
    for (size_t i = 0; i < sizeof bad_url / sizeof bad_url[0]; i++) {
        size_t out_len = 999;
        assert_int_equal(
            pp_base64url_decode(bad_url[i], strlen(bad_url[i]), out, sizeof out, &out_len), 0);
        assert_int_equal(out_len, 999);
    }
    size_t out_len = 999;
    /* A NUL inside the given length, and results larger than the buffer. */
    assert_int_equal(pp_base64_decode("Zm\0v", 4, out, sizeof out, &out_len), 0);
    assert_int_equal(pp_base64_decode("Zm9vYmFy", 8, out, 5, &out_len), 0);
    assert_int_equal(pp_base64url_decode("Zm9vYmE", 7, out, 4, &out_len), 0);
    assert_int_equal(pp_base64url_decode("Zm9vYmE", 7, out, 5, &out_len), 1);
    assert_int_equal(out_len, 5);
    assert_int_equal(pp_base64url_is_text("Zm9v-_", 6), 1);
    assert_int_equal(pp_base64url_is_text("Zm9v+", 5), 0);
    assert_int_equal(pp_base64url_is_text("Zm9v=", 5), 0);
    assert_int_equal(pp_base64url_is_text("Zm\0v", 4), 0);
}

/* Each of the 64 values is written as its letter and read back, in both
** alphabets, and no other byte value is read as a letter: the branch-free
** mappings agree with the RFC 4648 tables entry by entry. */
static void test_alphabets(void **state)
{
    (void)state;
    static const char std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    static const char url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (unsigned v = 0; v < 64; v++) {
        const uint8_t in[3] = {(uint8_t)(v << 2), 0, 0};
        char text[8];
        uint8_t back[3];
        size_t back_len = 0;
        assert_int_equal(pp_base64_encode(in, 1, text, sizeof text), 4);
        assert_int_equal(text[0], std[v]);
        assert_string_equal(text + 1, "A==");
        assert_int_equal(pp_base64_decode(text, 4, back, sizeof back, &back_len), 1);
        assert_int_equal(back_len, 1);
        assert_int_equal(back[0], in[0]);
        assert_int_equal(pp_base64url_encode(in, 1, text, sizeof text), 2);
        assert_int_equal(text[0], url[v]);
        assert_int_equal(pp_base64url_value((unsigned char)url[v]), (int)v);
    }
    for (int c = 0; c < 256; c++) {
        char text[5] = {(char)c, 'A', '=', '=', '\0'};
        uint8_t back[3];
        size_t back_len = 0;
        int in_std = c != 0 && strchr(std, c) != NULL;
        assert_int_equal(pp_base64_decode(text, 4, back, sizeof back, &back_len), in_std);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),    cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_refused),    cmocka_unit_test(b64_rfc4648_vectors),
        cmocka_unit_test(b64_round_trips), cmocka_unit_test(b64_refusals),
        cmocka_unit_test(test_alphabets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
