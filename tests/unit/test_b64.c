/*
** This module implements the unit tests of the sec layer's private base64
** coding (sec/b64.c): the RFC 4648 §10 base64 vectors, base64url's two
** letters and missing padding, round trips of every length, and a table of
** texts the strict decoders must refuse.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sec/b64.h"

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
        assert_int_equal(sec_b64_encoded_len(len), strlen(vectors[i].b64));
        assert_int_equal(sec_b64url_encoded_len(len), strlen(vectors[i].url));
        sec_b64_encode((const uint8_t *)plain, len, text, sizeof text);
        assert_string_equal(text, vectors[i].b64);
        sec_b64url_encode((const uint8_t *)plain, len, text, sizeof text);
        assert_string_equal(text, vectors[i].url);
        assert_int_equal(
            sec_b64_decode(vectors[i].b64, strlen(vectors[i].b64), out, sizeof out, &out_len), 1);
        assert_int_equal(out_len, len);
        assert_memory_equal(out, plain, len);
        assert_int_equal(
            sec_b64url_decode(vectors[i].url, strlen(vectors[i].url), out, sizeof out, &out_len),
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
        sec_b64_encode(in, len, text, sec_b64_encoded_len(len) + 1);
        assert_int_equal(sec_b64_decode(text, strlen(text), out, sizeof out, &out_len), 1);
        assert_int_equal(out_len, len);
        assert_memory_equal(out, in, len);
        memset(text, '#', sizeof text);
        sec_b64url_encode(in, len, text, sec_b64url_encoded_len(len) + 1);
        assert_int_equal(strlen(text), sec_b64url_encoded_len(len));
        assert_int_equal(text[sec_b64url_encoded_len(len) + 1], '#');
        assert_int_equal(sec_b64url_is_text(text, strlen(text)), 1);
        assert_int_equal(sec_b64url_decode(text, strlen(text), out, sizeof out, &out_len), 1);
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
        assert_int_equal(sec_b64_decode(bad_b64[i], strlen(bad_b64[i]), out, sizeof out, &out_len),
                         0);
        assert_int_equal(out_len, 999);
    }
    for (size_t i = 0; i < sizeof bad_url / sizeof bad_url[0]; i++) {
        size_t out_len = 999;
        assert_int_equal(
            sec_b64url_decode(bad_url[i], strlen(bad_url[i]), out, sizeof out, &out_len), 0);
        assert_int_equal(out_len, 999);
    }
    size_t out_len = 999;
    /* A NUL inside the given length, and results larger than the buffer. */
    assert_int_equal(sec_b64_decode("Zm\0v", 4, out, sizeof out, &out_len), 0);
    assert_int_equal(sec_b64_decode("Zm9vYmFy", 8, out, 5, &out_len), 0);
    assert_int_equal(sec_b64url_decode("Zm9vYmE", 7, out, 4, &out_len), 0);
    assert_int_equal(sec_b64url_decode("Zm9vYmE", 7, out, 5, &out_len), 1);
    assert_int_equal(out_len, 5);
    assert_int_equal(sec_b64url_is_text("Zm9v-_", 6), 1);
    assert_int_equal(sec_b64url_is_text("Zm9v+", 5), 0);
    assert_int_equal(sec_b64url_is_text("Zm9v=", 5), 0);
    assert_int_equal(sec_b64url_is_text("Zm\0v", 4), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(b64_rfc4648_vectors),
        cmocka_unit_test(b64_round_trips),
        cmocka_unit_test(b64_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
