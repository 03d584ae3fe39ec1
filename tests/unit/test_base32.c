/*
** This module implements the unit tests of sec/base32.c: the RFC 4648 §10
** vectors (unpadded out; padded, unpadded and lower case in), the text of
** a two-factor secret, round trips of every length, and a table of texts
** the decoder must refuse.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "payout/sec/base32.h"

/* RFC 4648 §10: input, padded BASE32 as printed, and without padding. */
static const struct {
    const char *plain;
    const char *padded;
    const char *bare;
} vectors[] = {
    {"", "", ""},
    {"f", "MY======", "MY"},
    {"fo", "MZXQ====", "MZXQ"},
    {"foo", "MZXW6===", "MZXW6"},
    {"foob", "MZXW6YQ=", "MZXW6YQ"},
    {"fooba", "MZXW6YTB", "MZXW6YTB"},
    {"foobar", "MZXW6YTBOI======", "MZXW6YTBOI"},
};

/* Decodes text and checks the result is plain. */
static void assert_decodes(const char *text, const char *plain)
{
    uint8_t out[64];
    size_t out_len = 999;
    assert_int_equal(sec_base32_decode(text, strlen(text), out, sizeof out, &out_len), 1);
    assert_int_equal(out_len, strlen(plain));
    assert_memory_equal(out, plain, out_len);
}

static void base32_rfc4648_vectors(void **state)
{
    (void)state;
    char text[64];
    char lower[64];

    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        size_t len = strlen(vectors[i].plain);
        assert_int_equal(sec_base32_encoded_len(len), strlen(vectors[i].bare));
        sec_base32_encode((const uint8_t *)vectors[i].plain, len, text, sizeof text);
        assert_string_equal(text, vectors[i].bare);
        assert_decodes(vectors[i].padded, vectors[i].plain);
        assert_decodes(vectors[i].bare, vectors[i].plain);
        size_t j = 0;
        for (; vectors[i].padded[j] != '\0'; j++) {
            char c = vectors[i].padded[j];
            lower[j] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
        }
        lower[j] = '\0';
        assert_decodes(lower, vectors[i].plain);
    }
    /* Mixed case too. */
    assert_decodes("mZxW6yTbOi", "foobar");
}

/* The RFC 6238 seed is the well-known secret GEZDGNBV...: 20 bytes make 32
** characters without padding. */
static void base32_totp_secret(void **state)
{
    (void)state;
    char text[33];
    static const char seed[] = "12345678901234567890";

    assert_int_equal(sec_base32_encoded_len(20), 32);
    sec_base32_encode((const uint8_t *)seed, 20, text, sizeof text);
    assert_string_equal(text, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    assert_decodes("gezdgnbvgy3tqojqgezdgnbvgy3tqojq", seed);
}

/* Every length from 0 to 64 bytes, every byte value, comes back intact. */
static void base32_round_trips(void **state)
{
    (void)state;
    uint8_t in[64];
    uint8_t out[64];
    char text[128];

    for (size_t len = 0; len <= sizeof in; len++) {
        for (size_t i = 0; i < len; i++) {
            in[i] = (uint8_t)(i * 37u + len * 101u + 255u);
        }
        sec_base32_encode(in, len, text, sizeof text);
        assert_int_equal(strlen(text), (len * 8 + 4) / 5);
        size_t out_len = 999;
        assert_int_equal(sec_base32_decode(text, strlen(text), out, sizeof out, &out_len), 1);
        assert_int_equal(out_len, len);
        assert_memory_equal(out, in, len);
    }
}

static void base32_refusals(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "M",                /* 1 character in the last group */
        "MZX",              /* 3 */
        "MZXW6Y",           /* 6 */
        "MY=",              /* padding that does not reach a multiple of 8 */
        "MY=====",          /* 5 '=' where 6 belong */
        "MY=======",        /* 7 */
        "MZXW6YTB========", /* a whole group of padding */
        "========",         /* padding only */
        "M=Y=====",         /* '=' inside */
        "MZ======",         /* unused bits not zero: "MY" is the one spelling */
        "MZXR",             /* likewise for "fo" */
        "MY 2",             /* space */
        "MZXW6YTB OI",      /* space between groups */
        "MZXW-6YTB",        /* hyphen */
        "MZXW6YT1",         /* 1 is not in the alphabet */
        "MZXW6YT0",         /* nor 0 */
        "MZXW6YT8",         /* nor 8 */
        "MZXW6YT9",         /* nor 9 */
        "MZXW6YT@",         /* the byte before 'A' */
        "MZXW6YT[",         /* the byte after 'Z' */
        "MZXW6YT`",         /* the byte before 'a' */
        "MZXW6YT{",         /* the byte after 'z' */
        "MZXW6YT\xc3",      /* a non-ASCII byte */
        "MZXW6YTB\n",       /* a newline */
    };
    uint8_t out[64];

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t out_len = 999;
        assert_int_equal(sec_base32_decode(bad[i], strlen(bad[i]), out, sizeof out, &out_len), 0);
        assert_int_equal(out_len, 999); /* untouched */
    }
    /* A NUL inside the given length. */
    size_t out_len = 999;
    assert_int_equal(sec_base32_decode("MZ\0W6YTB", 8, out, sizeof out, &out_len), 0);
    /* A result larger than the buffer: "foobar" needs 6 bytes. */
    assert_int_equal(sec_base32_decode("MZXW6YTBOI", 10, out, 5, &out_len), 0);
    assert_int_equal(sec_base32_decode("MZXW6YTBOI", 10, out, 6, &out_len), 1);
    assert_int_equal(out_len, 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(base32_rfc4648_vectors),
        cmocka_unit_test(base32_totp_secret),
        cmocka_unit_test(base32_round_trips),
        cmocka_unit_test(base32_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
