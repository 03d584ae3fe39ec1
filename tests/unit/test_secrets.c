/*
** This module implements the unit tests of sec/secrets.c: CSPRNG bytes and
** base62 text (length, alphabet, rough uniformity), constant-time equality
** and strict hex coding, mostly as tables of cases.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "payout/sec/secrets.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

static void random_bytes_fill_and_differ(void **state)
{
    (void)state;
    uint8_t a[64];
    uint8_t b[64];
    uint8_t zero[64];
    struct pp_err err;

    pp_err_clear(&err);
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    memset(zero, 0, sizeof zero);
    assert_int_equal(sec_random_bytes(a, sizeof a, &err), PP_OK);
    assert_int_equal(sec_random_bytes(b, sizeof b, &err), PP_OK);
    assert_memory_not_equal(a, zero, sizeof a);
    assert_memory_not_equal(a, b, sizeof a);
    assert_int_equal(sec_random_bytes(NULL, 0, &err), PP_OK);
    assert_int_equal(err.status, PP_OK);
}

/* More than one RAND_bytes chunk, and every chunk written. */
static void random_bytes_large(void **state)
{
    (void)state;
    size_t len = 3u * 1024u * 1024u + 17u;
    uint8_t *buf = calloc(1, len);
    assert_non_null(buf);
    assert_int_equal(sec_random_bytes(buf, len, NULL), PP_OK);
    /* 4 KiB windows of zeros at the start of each chunk and at the end
    ** would mean a chunk was skipped; the odds for real random data are
    ** nil. */
    static const size_t offsets[] = {0, 1024u * 1024u, 2u * 1024u * 1024u, 3u * 1024u * 1024u};
    for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; i++) {
        size_t nonzero = 0;
        for (size_t j = offsets[i]; j < len && j < offsets[i] + 4096u; j++) {
            nonzero += buf[j] != 0;
        }
        assert_true(nonzero > 0);
    }
    assert_true(buf[len - 1] != 0 || buf[len - 2] != 0 || buf[len - 3] != 0);
    free(buf);
}

static void random_text_lengths(void **state)
{
    (void)state;
    static const size_t lengths[] = {0, 1, 2, 24, 32, 63, 64, 65, 1000, 4096};
    char buf[4096 + 2];

    for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
        size_t n = lengths[i];
        memset(buf, '#', sizeof buf);
        assert_int_equal(sec_random_text(buf, n, NULL), PP_OK);
        assert_int_equal(strlen(buf), n);
        assert_int_equal(buf[n + 1], '#'); /* nothing past the NUL */
        for (size_t j = 0; j < n; j++) {
            assert_non_null(memchr(alphabet, buf[j], sizeof alphabet - 1));
        }
    }
}

/* Every symbol appears about equally often: 62,000 symbols, 1,000 expected
** each (standard deviation ~31), so the bounds cannot fail by chance but do
** catch a modulo bias or a missing symbol. */
static void random_text_uniform(void **state)
{
    (void)state;
    size_t n = 62u * 1000u;
    size_t counts[256];
    char *buf = malloc(n + 1);

    assert_non_null(buf);
    memset(counts, 0, sizeof counts);
    assert_int_equal(sec_random_text(buf, n, NULL), PP_OK);
    for (size_t i = 0; i < n; i++) {
        counts[(unsigned char)buf[i]]++;
    }
    for (size_t c = 0; c < 256; c++) {
        if (memchr(alphabet, (int)c, sizeof alphabet - 1) != NULL && c != 0) {
            assert_in_range(counts[c], 800, 1200);
        } else {
            assert_int_equal(counts[c], 0);
        }
    }
    free(buf);
}

static void random_text_differs(void **state)
{
    (void)state;
    char a[33];
    char b[33];
    assert_int_equal(sec_random_text(a, 32, NULL), PP_OK);
    assert_int_equal(sec_random_text(b, 32, NULL), PP_OK);
    assert_string_not_equal(a, b);
}

struct equal_case {
    const char *a;
    size_t alen;
    const char *b;
    size_t blen;
    int expect;
};

static void equal_table(void **state)
{
    (void)state;
    static const struct equal_case cases[] = {
        {"secret", 6, "secret", 6, 1},  {"", 0, "", 0, 1},
        {NULL, 0, NULL, 0, 1},          {NULL, 0, "", 0, 1},
        {"secret", 6, "Secret", 6, 0}, /* first byte */
        {"secret", 6, "secreT", 6, 0}, /* last byte */
        {"secret", 6, "secret2", 7, 0}, {"secret", 6, "secre", 5, 0},
        {"secret", 6, "", 0, 0},        {"", 0, "secret", 6, 0},
        {"a\0b", 3, "a\0c", 3, 0}, /* bytes after a NUL count */
        {"a\0b", 3, "a\0b", 3, 1},      {"a\0b", 3, "a", 1, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct equal_case *c = &cases[i];
        assert_int_equal(sec_equal(c->a, c->alen, c->b, c->blen), c->expect);
        assert_int_equal(sec_equal(c->b, c->blen, c->a, c->alen), c->expect);
    }
}

struct hex_case {
    const char *hex;
    size_t hex_len;
    size_t out_len;
    int ok;
    const char *bytes; /* expected output when ok */
};

static void hex_decode_table(void **state)
{
    (void)state;
    static const struct hex_case cases[] = {
        {"", 0, 0, 1, ""},
        {"00", 2, 1, 1, "\x00"},
        {"ff", 2, 1, 1, "\xff"},
        {"FF", 2, 1, 1, "\xff"},
        {"0123456789abcdef", 16, 8, 1, "\x01\x23\x45\x67\x89\xab\xcd\xef"},
        {"0123456789ABCDEF", 16, 8, 1, "\x01\x23\x45\x67\x89\xab\xcd\xef"},
        {"0", 1, 1, 0, NULL},   /* odd */
        {"000", 3, 1, 0, NULL}, /* too long for out */
        {"00", 2, 2, 0, NULL},  /* too short for out */
        {"0g", 2, 1, 0, NULL},
        {"g0", 2, 1, 0, NULL},
        {"0G", 2, 1, 0, NULL},
        {" 0", 2, 1, 0, NULL},
        {"0 ", 2, 1, 0, NULL},
        {"0x", 2, 1, 0, NULL},
        {"-1", 2, 1, 0, NULL},
        {"+1", 2, 1, 0, NULL},
        {"0\0", 2, 1, 0, NULL},
        {"/0", 2, 1, 0, NULL},       /* '/' is '0' - 1 */
        {":0", 2, 1, 0, NULL},       /* ':' is '9' + 1 */
        {"`0", 2, 1, 0, NULL},       /* '`' is 'a' - 1 */
        {"@0", 2, 1, 0, NULL},       /* '@' is 'A' - 1 */
        {"\xc1\x30", 2, 1, 0, NULL}, /* high bit set */
        {"aabbccddeeff001g", 16, 8, 0, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct hex_case *c = &cases[i];
        uint8_t out[16];
        assert_int_equal(sec_hex_decode(c->hex, c->hex_len, out, c->out_len), c->ok);
        if (c->ok) {
            assert_memory_equal(out, c->bytes, c->out_len);
        }
    }
}

static void hex_encode_table(void **state)
{
    (void)state;
    static const struct {
        const char *bytes;
        size_t len;
        const char *hex;
    } cases[] = {
        {"", 0, ""},       {"\x00", 1, "00"},
        {"\xff", 1, "ff"}, {"\x01\x23\x45\x67\x89\xab\xcd\xef", 8, "0123456789abcdef"},
        {"AZ", 2, "415a"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[64];
        memset(out, '#', sizeof out);
        sec_hex_encode((const uint8_t *)cases[i].bytes, cases[i].len, out);
        assert_string_equal(out, cases[i].hex);
    }
}

static void hex_round_trip_all_bytes(void **state)
{
    (void)state;
    uint8_t in[256];
    uint8_t back[256];
    char hex[513];

    for (size_t i = 0; i < sizeof in; i++) {
        in[i] = (uint8_t)i;
    }
    sec_hex_encode(in, sizeof in, hex);
    assert_int_equal(strlen(hex), 512);
    assert_int_equal(sec_hex_decode(hex, 512, back, sizeof back), 1);
    assert_memory_equal(in, back, sizeof in);
}

static void wipe_zeroes(void **state)
{
    (void)state;
    uint8_t buf[32];
    uint8_t zero[32];

    memset(buf, 0xa5, sizeof buf);
    memset(zero, 0, sizeof zero);
    sec_wipe(buf, sizeof buf);
    assert_memory_equal(buf, zero, sizeof buf);
    sec_wipe(NULL, 0);
}

/* Version 7 UUIDs: the text form, the version and variant bits, the
** timestamp in the first 48 bits, fresh random bits each time, and text
** order following time order (what keeps the UUID index append-only). */
static void uuid_v7_shape_and_order(void **state)
{
    (void)state;
    struct pp_err err;
    pp_err_clear(&err);
    char a[PP_UUID_TEXT_BYTES], b[PP_UUID_TEXT_BYTES], c[PP_UUID_TEXT_BYTES];
    /* 2026-01-01T00:00:00.000Z = 0x019b76daa800 ms. */
    assert_int_equal(sec_uuid_v7(1767225600000LL, a, &err), PP_OK);
    assert_int_equal(sec_uuid_v7(1767225600000LL, b, &err), PP_OK);
    assert_int_equal(sec_uuid_v7(1767225600001LL, c, &err), PP_OK);
    assert_int_equal(strlen(a), 36);
    for (size_t i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            assert_int_equal(a[i], '-');
        } else {
            assert_non_null(strchr("0123456789abcdef", a[i]));
        }
    }
    assert_memory_equal(a, "019b76da-a800-7", 15);
    assert_non_null(strchr("89ab", a[19]));
    assert_string_not_equal(a, b);
    assert_memory_equal(a, b, 14); /* same millisecond, same prefix */
    assert_true(strcmp(a, c) < 0 && strcmp(b, c) < 0);
    assert_int_equal(sec_uuid_v7(0, a, &err), PP_OK);
    assert_memory_equal(a, "00000000-0000-7", 15);
    assert_int_equal(sec_uuid_v7((INT64_C(1) << 48) - 1, a, &err), PP_OK);
    assert_memory_equal(a, "ffffffff-ffff-7", 15);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(random_bytes_fill_and_differ),
        cmocka_unit_test(random_bytes_large),
        cmocka_unit_test(random_text_lengths),
        cmocka_unit_test(random_text_uniform),
        cmocka_unit_test(random_text_differs),
        cmocka_unit_test(equal_table),
        cmocka_unit_test(hex_decode_table),
        cmocka_unit_test(hex_encode_table),
        cmocka_unit_test(hex_round_trip_all_bytes),
        cmocka_unit_test(wipe_zeroes),
        cmocka_unit_test(uuid_v7_shape_and_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
