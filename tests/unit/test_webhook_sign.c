/*
** This module implements the unit tests of sec/webhook_sign.c: the
** published Standard Webhooks vector, an empty body and a body with a NUL
** byte (values from Python's hmac), every part of the message changing the
** signature, new secrets, and a table of secrets the signer refuses.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "payout/base/base64.h"
#include "payout/sec/webhook_sign.h"

static const char vector_secret[] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
static const char vector_id[] = "msg_p5jXN8AQM9LWM0D4loKWxJek";
static const char vector_body[] = "{\"test\": 2432232314}";

static void sign(const char *secret, const char *msg_id, int64_t ts, const void *body,
                 size_t body_len, char out[SEC_WEBHOOK_SIGNATURE_BYTES])
{
    assert_int_equal(sec_webhook_sign(secret, msg_id, ts, body, body_len, out, NULL), PP_OK);
}

static void webhook_published_vector(void **state)
{
    (void)state;
    char sig[SEC_WEBHOOK_SIGNATURE_BYTES];

    sign(vector_secret, vector_id, 1614265330, vector_body, strlen(vector_body), sig);
    assert_string_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

/* The body is bytes: empty is signed as empty, a NUL does not end it. */
static void webhook_body_bytes(void **state)
{
    (void)state;
    char sig[SEC_WEBHOOK_SIGNATURE_BYTES];

    sign(vector_secret, vector_id, 0, NULL, 0, sig);
    assert_string_equal(sig, "v1,JPVN6l7QGXfeEJYJO+qvMW9fbZ/pqQMlD6P0EQsfyhE=");
    sign(vector_secret, "msg_1", 1614265330, "a\0b", 3, sig);
    assert_string_equal(sig, "v1,9x5FxsT1nD3+J3aQ7vuJIXoM4A02VYQHxf60dhtMU+4=");
}

/* Changing the id, the timestamp, a body byte or the secret changes the
** signature. */
static void webhook_every_part_counts(void **state)
{
    (void)state;
    char base[SEC_WEBHOOK_SIGNATURE_BYTES];
    char sig[SEC_WEBHOOK_SIGNATURE_BYTES];

    sign(vector_secret, vector_id, 1614265330, vector_body, strlen(vector_body), base);
    sign(vector_secret, "msg_p5jXN8AQM9LWM0D4loKWxJeK", 1614265330, vector_body,
         strlen(vector_body), sig);
    assert_string_not_equal(sig, base);
    sign(vector_secret, vector_id, 1614265331, vector_body, strlen(vector_body), sig);
    assert_string_not_equal(sig, base);
    sign(vector_secret, vector_id, 1614265330, "{\"test\": 2432232315}", strlen(vector_body), sig);
    assert_string_not_equal(sig, base);
    sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSx", vector_id, 1614265330, vector_body,
         strlen(vector_body), sig);
    assert_string_not_equal(sig, base);
    /* The signed bytes are exactly "{id}.{timestamp}.{body}", the
    ** standard's framing: id "m.1" at 23 with body "x" and id "m" at 1 with
    ** body "23.x" are the same bytes "m.1.23.x" and sign alike. */
    char same[SEC_WEBHOOK_SIGNATURE_BYTES];
    sign(vector_secret, "m.1", 23, "x", 1, sig);
    sign(vector_secret, "m", 1, "23.x", 4, same);
    assert_string_equal(sig, same);
}

static void webhook_secret_create(void **state)
{
    (void)state;
    char a[SEC_WEBHOOK_SECRET_TEXT_BYTES];
    char b[SEC_WEBHOOK_SECRET_TEXT_BYTES];
    uint8_t key[64];
    size_t key_len = 0;
    char sig[SEC_WEBHOOK_SIGNATURE_BYTES];

    assert_int_equal(sec_webhook_secret_create(a, NULL), PP_OK);
    assert_int_equal(sec_webhook_secret_create(b, NULL), PP_OK);
    assert_int_equal(strlen(a), 6 + 44);
    assert_memory_equal(a, "whsec_", 6);
    assert_string_not_equal(a, b);
    assert_int_equal(pp_base64_decode(a + 6, 44, key, sizeof key, &key_len), 1);
    assert_int_equal(key_len, PP_WEBHOOK_SECRET_BYTES);
    sign(a, "evt_1", 1700000000, "{}", 2, sig);
    assert_int_equal(strlen(sig), 47);
    assert_memory_equal(sig, "v1,", 3);
}

static void webhook_bad_secrets(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "whsec_",
        "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",        /* no prefix */
        "WHSEC_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",  /* prefix in capitals */
        "whsec-MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",  /* wrong separator */
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS",   /* 31 characters: not base64 */
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS w", /* a space */
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLa-w",  /* base64url letter */
        "whsec_ MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n",
        "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAA", /* 21 bytes */
        "whsec_"
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        "AA", /* 66 bytes */
    };
    char sig[SEC_WEBHOOK_SIGNATURE_BYTES];
    struct pp_err err;

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pp_err_clear(&err);
        memset(sig, '#', sizeof sig);
        assert_int_equal(sec_webhook_sign(bad[i], "evt_1", 1, "{}", 2, sig, &err),
                         PP_INVALID_PARAMS);
        assert_string_equal(err.message,
                            "webhook secret must be whsec_ and the base64 of 24 to 64 bytes");
        assert_string_equal(sig, "");
    }
    /* The bounds themselves: 24 and 64 bytes are accepted. */
    sign("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "evt_1", 1, "{}", 2, sig);
    sign("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
         "=",
         "evt_1", 1, "{}", 2, sig);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(webhook_published_vector),  cmocka_unit_test(webhook_body_bytes),
        cmocka_unit_test(webhook_every_part_counts), cmocka_unit_test(webhook_secret_create),
        cmocka_unit_test(webhook_bad_secrets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
