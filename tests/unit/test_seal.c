/*
** This module implements the unit tests of sec/seal.c: HKDF-SHA256 against
** RFC 5869 test cases 1 and 3, key derivation (labels give independent
** keys, the master's length is checked), and sealing: round trips, a fresh
** nonce each time, and refusal of every altered byte, a wrong key, label
** or context, a wrong version, malformed texts and a short buffer.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "payout/base/base64.h"
#include "payout/sec/seal.h"
#include "payout/sec/secrets.h"

#define TEXT_BYTES 2048

static const char msg_open[] = "sealed secret does not open: wrong key or context, or altered";

/* RFC 5869 A.1 (basic, SHA-256) and A.3 (zero-length salt and info). */
static void hkdf_rfc5869_vectors(void **state)
{
    (void)state;
    uint8_t ikm[22];
    uint8_t salt[13];
    uint8_t info[10];
    uint8_t okm[42];
    char hex[85];

    memset(ikm, 0x0b, sizeof ikm);
    for (size_t i = 0; i < sizeof salt; i++) {
        salt[i] = (uint8_t)i;
    }
    for (size_t i = 0; i < sizeof info; i++) {
        info[i] = (uint8_t)(0xf0 + i);
    }
    assert_int_equal(sec_seal_hkdf_sha256(ikm, sizeof ikm, salt, sizeof salt, info, sizeof info,
                                          okm, sizeof okm, NULL),
                     PP_OK);
    sec_hex_encode(okm, sizeof okm, hex);
    assert_string_equal(hex, "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
                             "34007208d5b887185865");
    assert_int_equal(sec_seal_hkdf_sha256(ikm, sizeof ikm, NULL, 0, NULL, 0, okm, sizeof okm, NULL),
                     PP_OK);
    sec_hex_encode(okm, sizeof okm, hex);
    assert_string_equal(hex, "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
                             "9d201395faa4b61a96c8");
}

static uint8_t master[32];
static uint8_t other_master[32];

static int setup(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof master; i++) {
        master[i] = (uint8_t)(i * 7u + 1u);
        other_master[i] = master[i];
    }
    other_master[31] ^= 1u;
    return 0;
}

static void derive(const uint8_t *m, const char *label, struct sec_seal_key *key)
{
    assert_int_equal(sec_seal_key_derive(m, 32, label, key, NULL), PP_OK);
}

/* Same master and label, same key (so a restart opens what was sealed);
** another label or master, another key. */
static void seal_key_derivation(void **state)
{
    (void)state;
    struct sec_seal_key a;
    struct sec_seal_key b;
    struct sec_seal_key zero;
    struct pp_err err;

    memset(&zero, 0, sizeof zero);
    derive(master, SEC_SEAL_LABEL_TWO_FACTOR, &a);
    derive(master, SEC_SEAL_LABEL_TWO_FACTOR, &b);
    assert_memory_equal(a.bytes, b.bytes, sizeof a.bytes);
    assert_memory_not_equal(a.bytes, zero.bytes, sizeof a.bytes);
    derive(master, "payout-panel webhook secret v1", &b);
    assert_memory_not_equal(a.bytes, b.bytes, sizeof a.bytes);
    derive(other_master, SEC_SEAL_LABEL_TWO_FACTOR, &b);
    assert_memory_not_equal(a.bytes, b.bytes, sizeof a.bytes);

    /* A master shorter than the key, or absurdly long, is refused. */
    static uint8_t big[PP_SEAL_MASTER_BYTES_MAX + 1];
    static const size_t bad_lengths[] = {0, 16, PP_SEAL_MASTER_BYTES_MIN - 1,
                                         PP_SEAL_MASTER_BYTES_MAX + 1};
    for (size_t i = 0; i < sizeof bad_lengths / sizeof bad_lengths[0]; i++) {
        pp_err_clear(&err);
        memset(&b, 0xee, sizeof b);
        assert_int_equal(sec_seal_key_derive(big, bad_lengths[i], "x", &b, &err),
                         PP_INVALID_PARAMS);
        assert_string_equal(err.message, "master secret must be 32 to 1024 bytes");
        assert_memory_equal(b.bytes, zero.bytes, sizeof b.bytes);
    }
    assert_int_equal(sec_seal_key_derive(big, PP_SEAL_MASTER_BYTES_MAX, "x", &b, NULL), PP_OK);
    sec_seal_key_wipe(&a);
    assert_memory_equal(a.bytes, zero.bytes, sizeof a.bytes);
    sec_seal_key_wipe(NULL);
}

/* Opens text with key and context; returns the status, the secret in out. */
static enum pp_status open_text(const struct sec_seal_key *key, const char *context,
                                const char *text, uint8_t *out, size_t out_size, size_t *out_len,
                                struct pp_err *err)
{
    pp_err_clear(err);
    return sec_seal_decrypt(key, context, text, strlen(text), out, out_size, out_len, err);
}

static void seal_round_trip(void **state)
{
    (void)state;
    struct sec_seal_key key;
    static const size_t lengths[] = {0, 1, 20, 64, 100, PP_SEAL_PLAIN_BYTES_MAX};
    static uint8_t plain[PP_SEAL_PLAIN_BYTES_MAX];
    static uint8_t opened[PP_SEAL_PLAIN_BYTES_MAX];
    char text[TEXT_BYTES];
    char again[TEXT_BYTES];
    struct pp_err err;

    derive(master, SEC_SEAL_LABEL_TWO_FACTOR, &key);
    for (size_t i = 0; i < sizeof plain; i++) {
        plain[i] = (uint8_t)(i * 13u + 5u);
    }
    for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
        size_t len = lengths[i];
        size_t opened_len = 9999;
        assert_int_equal(sec_seal_encrypt(&key, "user 42", plain, len, text, sizeof text, NULL),
                         PP_OK);
        assert_int_equal(strlen(text), sec_seal_text_len(len));
        assert_memory_equal(text, "v1.", 3);
        assert_int_equal(text[19], '.'); /* 16 characters of nonce */
        assert_int_equal(pp_base64url_is_text(text + 3, 16), 1);
        assert_int_equal(pp_base64url_is_text(text + 20, strlen(text) - 20), 1);
        assert_int_equal(open_text(&key, "user 42", text, opened, sizeof opened, &opened_len, &err),
                         PP_OK);
        assert_int_equal(opened_len, len);
        assert_memory_equal(opened, plain, len);
        /* A second seal of the same secret has another nonce and text. */
        assert_int_equal(sec_seal_encrypt(&key, "user 42", plain, len, again, sizeof again, NULL),
                         PP_OK);
        assert_memory_not_equal(text + 3, again + 3, 16);
        assert_string_not_equal(text, again);
    }
    /* The 20-byte two-factor secret makes a 68-character text. */
    assert_int_equal(sec_seal_text_len(PP_TOTP_SECRET_BYTES), 68);
    /* Too large to seal. */
    static uint8_t big[PP_SEAL_PLAIN_BYTES_MAX + 1];
    pp_err_clear(&err);
    assert_int_equal(sec_seal_encrypt(&key, "", big, sizeof big, text, sizeof text, &err),
                     PP_INVALID_PARAMS);
    assert_string_equal(text, "");
}

/* Flips each bit of each byte of nonce, ciphertext and tag in turn (as
** bytes, re-encoded, so the text stays well-formed): every one is refused
** by the tag, and nothing of the secret is left in the output. */
static void seal_tampered_bytes_refused(void **state)
{
    (void)state;
    struct sec_seal_key key;
    static const uint8_t secret[20] = "abcdefghijklmnopqrst";
    uint8_t nonce[SEC_SEAL_NONCE_BYTES];
    uint8_t body[20 + SEC_SEAL_TAG_BYTES];
    uint8_t opened[64];
    char text[TEXT_BYTES];
    char forged[TEXT_BYTES];
    size_t n = 0;
    struct pp_err err;

    derive(master, SEC_SEAL_LABEL_TWO_FACTOR, &key);
    assert_int_equal(
        sec_seal_encrypt(&key, "user 7", secret, sizeof secret, text, sizeof text, NULL), PP_OK);
    assert_int_equal(pp_base64url_decode(text + 3, 16, nonce, sizeof nonce, &n), 1);
    assert_int_equal(pp_base64url_decode(text + 20, strlen(text) - 20, body, sizeof body, &n), 1);
    assert_int_equal(n, sizeof body);
    for (size_t i = 0; i < sizeof nonce + sizeof body; i++) {
        for (unsigned bit = 0; bit < 8; bit++) {
            uint8_t *byte = i < sizeof nonce ? &nonce[i] : &body[i - sizeof nonce];
            *byte ^= (uint8_t)(1u << bit);
            memcpy(forged, "v1.", 3);
            pp_base64url_encode(nonce, sizeof nonce, forged + 3, sizeof forged - 3);
            forged[19] = '.';
            pp_base64url_encode(body, sizeof body, forged + 20, sizeof forged - 20);
            *byte ^= (uint8_t)(1u << bit);
            memset(opened, 0, sizeof opened);
            size_t opened_len = 9999;
            assert_int_equal(
                open_text(&key, "user 7", forged, opened, sizeof opened, &opened_len, &err),
                PP_INTERNAL);
            assert_string_equal(err.message, msg_open);
            assert_int_equal(opened_len, 9999);
            assert_null(memmem(opened, sizeof opened, "abcdefgh", 8));
        }
    }
    /* Unaltered, it still opens: the loop restored every bit. */
    size_t opened_len = 0;
    assert_int_equal(open_text(&key, "user 7", text, opened, sizeof opened, &opened_len, &err),
                     PP_OK);
    assert_memory_equal(opened, secret, sizeof secret);
}

/* A wrong master, label or context does not open a sealed secret. */
static void seal_wrong_key_or_context_refused(void **state)
{
    (void)state;
    struct sec_seal_key key;
    struct sec_seal_key other;
    static const uint8_t secret[20] = "abcdefghijklmnopqrst";
    uint8_t opened[64];
    size_t opened_len = 9999;
    char text[TEXT_BYTES];
    struct pp_err err;

    derive(master, SEC_SEAL_LABEL_TWO_FACTOR, &key);
    assert_int_equal(
        sec_seal_encrypt(&key, "user 42", secret, sizeof secret, text, sizeof text, NULL), PP_OK);
    derive(other_master, SEC_SEAL_LABEL_TWO_FACTOR, &other);
    assert_int_equal(open_text(&other, "user 42", text, opened, sizeof opened, &opened_len, &err),
                     PP_INTERNAL);
    assert_string_equal(err.message, msg_open);
    derive(master, "payout-panel webhook secret v1", &other);
    assert_int_equal(open_text(&other, "user 42", text, opened, sizeof opened, &opened_len, &err),
                     PP_INTERNAL);
    assert_string_equal(err.message, msg_open);
    static const char *const contexts[] = {"user 43", "user 4", "user 42 ", "", "USER 42"};
    for (size_t i = 0; i < sizeof contexts / sizeof contexts[0]; i++) {
        assert_int_equal(
            open_text(&key, contexts[i], text, opened, sizeof opened, &opened_len, &err),
            PP_INTERNAL);
        assert_string_equal(err.message, msg_open);
    }
    assert_int_equal(opened_len, 9999);
    assert_int_equal(open_text(&key, "user 42", text, opened, sizeof opened, &opened_len, &err),
                     PP_OK);
}

/* Texts that are not a v1 sealed value: another version, a broken shape,
** characters changed in the text itself, a cut tag, a short buffer. */
static void seal_version_and_shape_refused(void **state)
{
    (void)state;
    struct sec_seal_key key;
    static const uint8_t secret[20] = "abcdefghijklmnopqrst";
    uint8_t opened[64];
    size_t opened_len = 9999;
    char text[TEXT_BYTES];
    char bad[TEXT_BYTES];
    struct pp_err err;

    derive(master, SEC_SEAL_LABEL_TWO_FACTOR, &key);
    assert_int_equal(sec_seal_encrypt(&key, "", secret, sizeof secret, text, sizeof text, NULL),
                     PP_OK);
    static const char *const versions[] = {"v2", "V1", "v0", "v10", "1", "", "v1 "};
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++) {
        snprintf(bad, sizeof bad, "%s%s", versions[i], text + 2);
        assert_int_equal(open_text(&key, "", bad, opened, sizeof opened, &opened_len, &err),
                         PP_INTERNAL);
        assert_string_equal(err.message, "sealed secret has an unknown version");
    }
    /* Every character of nonce and body replaced by another base64url
    ** character, or by one outside the alphabet: refused one way or the
    ** other (a non-canonical last character is malformed, the rest fail
    ** the tag). */
    for (size_t i = 3; text[i] != '\0'; i++) {
        if (i == 19) {
            continue;
        }
        static const char replacements[] = {'A', 'z', '-', '=', '+', ' '};
        for (size_t r = 0; r < sizeof replacements; r++) {
            if (text[i] == replacements[r]) {
                continue;
            }
            strcpy(bad, text);
            bad[i] = replacements[r];
            assert_int_equal(open_text(&key, "", bad, opened, sizeof opened, &opened_len, &err),
                             PP_INTERNAL);
        }
    }
    size_t len = strlen(text);
    static const char *const shapes[] = {"",     "v1",      "v1.",
                                         "v1..", "v1.AAAA", "v1.AAAAAAAAAAAAAAAA."};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        assert_int_equal(open_text(&key, "", shapes[i], opened, sizeof opened, &opened_len, &err),
                         PP_INTERNAL);
    }
    /* A third part, and a tag cut short. */
    snprintf(bad, sizeof bad, "%s.AAAA", text);
    assert_int_equal(open_text(&key, "", bad, opened, sizeof opened, &opened_len, &err),
                     PP_INTERNAL);
    assert_string_equal(err.message, "sealed secret is malformed");
    snprintf(bad, sizeof bad, "%.*s", (int)(len - 4), text);
    assert_int_equal(open_text(&key, "", bad, opened, sizeof opened, &opened_len, &err),
                     PP_INTERNAL);
    /* A buffer one byte short of the secret. */
    assert_int_equal(open_text(&key, "", text, opened, sizeof secret - 1, &opened_len, &err),
                     PP_INTERNAL);
    assert_string_equal(err.message, "sealed secret is larger than its buffer");
    assert_int_equal(opened_len, 9999);
    assert_int_equal(open_text(&key, "", text, opened, sizeof secret, &opened_len, &err), PP_OK);
    assert_int_equal(opened_len, sizeof secret);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hkdf_rfc5869_vectors),
        cmocka_unit_test(seal_key_derivation),
        cmocka_unit_test(seal_round_trip),
        cmocka_unit_test(seal_tampered_bytes_refused),
        cmocka_unit_test(seal_wrong_key_or_context_refused),
        cmocka_unit_test(seal_version_and_shape_refused),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
