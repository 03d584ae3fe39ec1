/*
** This module implements the unit tests of sec/session.c: session ids and
** CSRF tokens (length, alphabet, no repeats), the stored hash (SHA-256 hex
** of the id's text, checked against values computed elsewhere), ids of the
** wrong shape refused before hashing, and the CSRF check.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "payout/base/base64.h"
#include "payout/sec/session.h"

#define IDS 1000

static int compare_text(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* 43 base64url characters each, the hash is 64 lower-case hex digits and
** matches sec_session_id_hash of the id, and 1,000 ids never repeat. */
static void session_id_create(void **state)
{
    (void)state;
    static char ids[IDS][SEC_SESSION_ID_TEXT_BYTES];
    char hash[SEC_SESSION_HASH_TEXT_BYTES];
    char again[SEC_SESSION_HASH_TEXT_BYTES];

    assert_int_equal(SEC_SESSION_ID_CHARS, 43);
    for (size_t i = 0; i < IDS; i++) {
        assert_int_equal(sec_session_id_create(ids[i], hash, NULL), PP_OK);
        assert_int_equal(strlen(ids[i]), 43);
        assert_int_equal(pp_base64url_is_text(ids[i], 43), 1);
        assert_int_equal(strlen(hash), 64);
        assert_int_equal(strspn(hash, "0123456789abcdef"), 64);
        assert_int_equal(sec_session_id_hash(ids[i], 43, again), 1);
        assert_string_equal(hash, again);
        assert_string_not_equal(hash, ids[i]);
    }
    qsort(ids, IDS, sizeof ids[0], compare_text);
    for (size_t i = 1; i < IDS; i++) {
        assert_string_not_equal(ids[i - 1], ids[i]);
    }
}

/* The stored hash is SHA-256 of the id's text as sent in the cookie
** (values from Python's hashlib). */
static void session_id_hash_known(void **state)
{
    (void)state;
    char hash[SEC_SESSION_HASH_TEXT_BYTES];

    assert_int_equal(sec_session_id_hash("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 43, hash),
                     1);
    assert_string_equal(hash, "0f007385b6f9d4b7eeb2748605afe1a984a0a3bfa3f014d09e2a784ce9e5cd1a");
    assert_int_equal(sec_session_id_hash("Vxo3-_abcdefghijklmnopqrstuvwxyz0123456789A", 43, hash),
                     1);
    assert_string_equal(hash, "2fd1c49ef8a9c8fe0865bf65e31b29c3607899b2ccba8b9bd2445ebcad76af83");
}

/* Anything but 43 base64url characters is refused before hashing. */
static void session_id_hash_refuses_shapes(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",   /* 42 */
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /* 44 */
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+",  /* standard base64 */
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA ",
        "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\xc3\xa9",
    };
    char hash[SEC_SESSION_HASH_TEXT_BYTES];

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(hash, '#', sizeof hash);
        assert_int_equal(sec_session_id_hash(bad[i], strlen(bad[i]), hash), 0);
        assert_string_equal(hash, "");
    }
    memset(hash, '#', sizeof hash);
    assert_int_equal(sec_session_id_hash("AAAAAAAAAAAAAAAAAAAAA\0AAAAAAAAAAAAAAAAAAAAA", 43, hash),
                     0);
    assert_string_equal(hash, "");
    assert_int_equal(sec_session_id_hash(NULL, 0, hash), 0);
}

static void csrf_token_create_and_check(void **state)
{
    (void)state;
    char token[SEC_CSRF_TOKEN_TEXT_BYTES];
    char other[SEC_CSRF_TOKEN_TEXT_BYTES];
    char changed[SEC_CSRF_TOKEN_TEXT_BYTES];

    assert_int_equal(sec_csrf_token_create(token, NULL), PP_OK);
    assert_int_equal(sec_csrf_token_create(other, NULL), PP_OK);
    assert_int_equal(strlen(token), 43);
    assert_int_equal(pp_base64url_is_text(token, 43), 1);
    assert_string_not_equal(token, other);

    assert_int_equal(sec_csrf_token_check(token, 43, token, 43), 1);
    assert_int_equal(sec_csrf_token_check(token, 43, other, 43), 0);
    /* One character changed at the start, middle or end. */
    static const size_t positions[] = {0, 21, 42};
    for (size_t i = 0; i < sizeof positions / sizeof positions[0]; i++) {
        memcpy(changed, token, sizeof changed);
        changed[positions[i]] = changed[positions[i]] == 'A' ? 'B' : 'A';
        assert_int_equal(sec_csrf_token_check(token, 43, changed, 43), 0);
    }
    /* A prefix, the token with more after it, and a missing or empty header. */
    assert_int_equal(sec_csrf_token_check(token, 43, token, 42), 0);
    char longer[64];
    memcpy(longer, token, 43);
    longer[43] = 'x';
    assert_int_equal(sec_csrf_token_check(token, 43, longer, 44), 0);
    assert_int_equal(sec_csrf_token_check(token, 43, NULL, 0), 0);
    assert_int_equal(sec_csrf_token_check(token, 43, "", 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(session_id_create),
        cmocka_unit_test(session_id_hash_known),
        cmocka_unit_test(session_id_hash_refuses_shapes),
        cmocka_unit_test(csrf_token_create_and_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
