/*
** This module tests SHA-256 for the layers above sec/ (src/sec/digest.c):
** the standard's test vectors, a message given in pieces digesting as the
** whole, and threads digesting at once from the first call on (the
** implementation is fetched once per process).
*/
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "payout/sec/digest.h"

static void hex(const uint8_t d[SEC_SHA256_BYTES], char out[2 * SEC_SHA256_BYTES + 1])
{
    for (size_t i = 0; i < SEC_SHA256_BYTES; i++) {
        snprintf(out + 2 * i, 3, "%02x", d[i]);
    }
}

static void assert_digest(const char *msg, const char *want)
{
    uint8_t d[SEC_SHA256_BYTES];
    char text[2 * SEC_SHA256_BYTES + 1];
    sec_sha256(msg, strlen(msg), d);
    hex(d, text);
    assert_string_equal(text, want);
}

/* The FIPS 180-2 examples, and the empty message. */
static void test_vectors(void **state)
{
    (void)state;
    assert_digest("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_digest("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

/* Pieces, empty ones among them, digest as their concatenation. */
static void test_parts(void **state)
{
    (void)state;
    const char *msg = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    struct sec_bytes parts[] = {{msg, 3}, {"", 0}, {msg + 3, 20}, {msg + 23, strlen(msg) - 23}};
    uint8_t whole[SEC_SHA256_BYTES];
    uint8_t pieces[SEC_SHA256_BYTES];
    sec_sha256(msg, strlen(msg), whole);
    sec_sha256_parts(parts, sizeof parts / sizeof parts[0], pieces);
    assert_memory_equal(whole, pieces, SEC_SHA256_BYTES);
}

enum { THREADS = 8, ROUNDS = 2000 };

struct worker {
    pthread_t th;
    int wrong;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    static const uint8_t want[SEC_SHA256_BYTES] = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea,
                                                   0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
                                                   0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
                                                   0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
    for (int i = 0; i < ROUNDS; i++) {
        uint8_t d[SEC_SHA256_BYTES];
        sec_sha256("abc", 3, d);
        w->wrong += memcmp(d, want, sizeof d) != 0;
    }
    return NULL;
}

/* Threads that start digesting together, before any digest was made in
** this process, all get the right answer every time. */
static void test_threads(void **state)
{
    (void)state;
    struct worker w[THREADS];
    memset(w, 0, sizeof w);
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_create(&w[i].th, NULL, worker_main, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_join(w[i].th, NULL), 0);
        assert_int_equal(w[i].wrong, 0);
    }
}

int main(void)
{
    /* The threads first: the first digest of the process is theirs. */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_parts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
