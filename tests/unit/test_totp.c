/*
** This module implements the unit tests of sec/totp.c: the HOTP values of
** RFC 4226 Appendix D, the SHA-1 rows of RFC 6238 Appendix B (8 digits as
** printed, and truncated to the 6 digits the panel uses), the verification
** window (one step of drift either way, two refused), the once-only rule,
** malformed code texts, and new secrets.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "payout/sec/base32.h"
#include "payout/sec/totp.h"

/* The SHA-1 seed of RFC 4226 and RFC 6238: the ASCII "1234567890" twice. */
static const uint8_t rfc_key[] = "12345678901234567890";
#define RFC_KEY_BYTES 20

/* The code of step for the RFC key, 6 digits. */
static void code_of(int64_t step, char out[7])
{
    assert_int_equal(sec_hotp_code(rfc_key, RFC_KEY_BYTES, (uint64_t)step, 6, out, NULL), PP_OK);
}

static void hotp_rfc4226_appendix_d(void **state)
{
    (void)state;
    static const char *const expected[10] = {"755224", "287082", "359152", "969429", "338314",
                                             "254676", "287922", "162583", "399871", "520489"};
    char code[9];

    for (uint64_t counter = 0; counter < 10; counter++) {
        assert_int_equal(sec_hotp_code(rfc_key, RFC_KEY_BYTES, counter, 6, code, NULL), PP_OK);
        assert_string_equal(code, expected[counter]);
    }
}

/* RFC 6238 Appendix B, the SHA-1 rows: time, step (the RFC's hex T), the
** 8-digit TOTP it prints, and its last 6 digits. */
static const struct {
    int64_t time_s;
    int64_t step;
    const char *code8;
    const char *code6;
} rfc6238_sha1[] = {
    {59, 0x1, "94287082", "287082"},
    {1111111109, 0x23523EC, "07081804", "081804"},
    {1111111111, 0x23523ED, "14050471", "050471"},
    {1234567890, 0x273EF07, "89005924", "005924"},
    {2000000000, 0x3F940AA, "69279037", "279037"},
    {20000000000, 0x27BC86AA, "65353130", "353130"},
};

static void totp_rfc6238_sha1_rows(void **state)
{
    (void)state;
    char code[9];

    for (size_t i = 0; i < sizeof rfc6238_sha1 / sizeof rfc6238_sha1[0]; i++) {
        int64_t step = -7;
        assert_int_equal(sec_totp_step(rfc6238_sha1[i].time_s), rfc6238_sha1[i].step);
        assert_int_equal(
            sec_hotp_code(rfc_key, RFC_KEY_BYTES, (uint64_t)rfc6238_sha1[i].step, 8, code, NULL),
            PP_OK);
        assert_string_equal(code, rfc6238_sha1[i].code8);
        assert_int_equal(
            sec_hotp_code(rfc_key, RFC_KEY_BYTES, (uint64_t)rfc6238_sha1[i].step, 6, code, NULL),
            PP_OK);
        assert_string_equal(code, rfc6238_sha1[i].code6);
        /* The 6-digit code verifies at that time, for a user with no
        ** accepted code yet, and names its step. */
        assert_int_equal(sec_totp_verify(rfc_key, RFC_KEY_BYTES, rfc6238_sha1[i].code6, 6,
                                         rfc6238_sha1[i].time_s, SEC_TOTP_STEP_NONE, &step, NULL),
                         PP_OK);
        assert_int_equal(step, rfc6238_sha1[i].step);
    }
}

/* Verifies the code of code_step at now_s for a fresh user; returns the
** status and leaves the matched step in *step. */
static enum pp_status verify_step(int64_t code_step, int64_t now_s, int64_t last_step,
                                  int64_t *step, struct pp_err *err)
{
    char code[7];
    code_of(code_step, code);
    pp_err_clear(err);
    return sec_totp_verify(rfc_key, RFC_KEY_BYTES, code, 6, now_s, last_step, step, err);
}

/* Codes one step early or late are accepted at the start, middle and end of
** the current step; two steps either way are refused. */
static void totp_drift_one_step_only(void **state)
{
    (void)state;
    const int64_t t = 41152263; /* the step of 1234567890 */
    static const int64_t offsets_s[] = {0, 15, 29};
    struct pp_err err;

    for (size_t i = 0; i < sizeof offsets_s / sizeof offsets_s[0]; i++) {
        int64_t now_s = t * 30 + offsets_s[i];
        for (int64_t d = -1; d <= 1; d++) {
            int64_t step = -7;
            assert_int_equal(verify_step(t + d, now_s, SEC_TOTP_STEP_NONE, &step, &err), PP_OK);
            assert_int_equal(step, t + d);
        }
        static const int64_t far[] = {-3, -2, 2, 3};
        for (size_t j = 0; j < sizeof far / sizeof far[0]; j++) {
            int64_t step = -7;
            assert_int_equal(verify_step(t + far[j], now_s, SEC_TOTP_STEP_NONE, &step, &err),
                             PP_UNAUTHORIZED);
            assert_int_equal(err.status, PP_UNAUTHORIZED);
            assert_string_equal(err.message, "wrong or already used two-factor code");
            assert_int_equal(step, -7); /* untouched on refusal */
        }
    }
}

/* Each code works once: the step returned becomes the last step, and no
** code of that step or an earlier one is accepted again. */
static void totp_code_accepted_once(void **state)
{
    (void)state;
    const int64_t t = 66666666;
    const int64_t now_s = t * 30 + 10;
    int64_t step = -7;
    struct pp_err err;

    assert_int_equal(verify_step(t, now_s, SEC_TOTP_STEP_NONE, &step, &err), PP_OK);
    assert_int_equal(step, t);
    int64_t last = step;
    /* The same code again, in the same step and in the next one. */
    assert_int_equal(verify_step(t, now_s, last, &step, &err), PP_UNAUTHORIZED);
    assert_string_equal(err.message, "wrong or already used two-factor code");
    assert_int_equal(verify_step(t, now_s + 30, last, &step, &err), PP_UNAUTHORIZED);
    /* An older code still inside the drift window. */
    assert_int_equal(verify_step(t - 1, now_s, last, &step, &err), PP_UNAUTHORIZED);
    assert_int_equal(step, t);
    /* The next step's code is new, and after it this step's is old. */
    assert_int_equal(verify_step(t + 1, now_s, last, &step, &err), PP_OK);
    assert_int_equal(step, t + 1);
    last = step;
    assert_int_equal(verify_step(t + 1, now_s, last, &step, &err), PP_UNAUTHORIZED);
    assert_int_equal(verify_step(t, now_s + 30, last, &step, &err), PP_UNAUTHORIZED);
    /* A later step's code is accepted once its time comes. */
    assert_int_equal(verify_step(t + 2, now_s + 30, last, &step, &err), PP_OK);
    assert_int_equal(step, t + 2);
}

/* At the epoch there is no step -1: step 0 and 1 codes verify, and a code
** of a step ahead of the window does not. */
static void totp_first_steps(void **state)
{
    (void)state;
    int64_t step = -7;
    struct pp_err err;

    assert_int_equal(verify_step(0, 0, SEC_TOTP_STEP_NONE, &step, &err), PP_OK);
    assert_int_equal(step, 0);
    assert_int_equal(verify_step(1, 0, 0, &step, &err), PP_OK);
    assert_int_equal(step, 1);
    assert_int_equal(verify_step(2, 29, SEC_TOTP_STEP_NONE, &step, &err), PP_UNAUTHORIZED);
}

/* Anything but exactly six ASCII digits is refused as malformed, including
** texts that hold the right code. */
static void totp_malformed_codes(void **state)
{
    (void)state;
    const int64_t now_s = 59; /* the right code is "287082" */
    static const struct {
        const char *text;
        size_t len;
    } cases[] = {
        {"", 0},
        {"28708", 5},
        {"2870820", 7},
        {"287082\n", 7},
        {" 287082", 7},
        {"287082 ", 7},
        {"287 082", 7},
        {"28708a", 6},
        {"+28708", 6},
        {"-28708", 6},
        {"28708\0", 6},
        {"2870\x38\x00", 6},
        {"\xef\xbc\x92\xef\xbc\x98", 6}, /* full-width "28" in UTF-8 */
        {"287o82", 6},
        {"28708.", 6},
        {"0x1234", 6},
    };
    struct pp_err err;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t step = -7;
        pp_err_clear(&err);
        assert_int_equal(sec_totp_verify(rfc_key, RFC_KEY_BYTES, cases[i].text, cases[i].len, now_s,
                                         SEC_TOTP_STEP_NONE, &step, &err),
                         PP_UNAUTHORIZED);
        assert_string_equal(err.message, "two-factor code must be exactly 6 digits");
        assert_int_equal(step, -7);
    }
    int64_t step = -7;
    assert_int_equal(
        sec_totp_verify(rfc_key, RFC_KEY_BYTES, NULL, 0, now_s, SEC_TOTP_STEP_NONE, &step, NULL),
        PP_UNAUTHORIZED);
    /* The control case: the same code, well-formed, is accepted. */
    assert_int_equal(sec_totp_verify(rfc_key, RFC_KEY_BYTES, "287082", 6, now_s, SEC_TOTP_STEP_NONE,
                                     &step, NULL),
                     PP_OK);
}

/* A code of another secret is wrong. */
static void totp_other_secret_refused(void **state)
{
    (void)state;
    static const uint8_t other[RFC_KEY_BYTES] = "12345678901234567891";
    int64_t step = -7;

    assert_int_equal(
        sec_totp_verify(other, RFC_KEY_BYTES, "287082", 6, 59, SEC_TOTP_STEP_NONE, &step, NULL),
        PP_UNAUTHORIZED);
    assert_int_equal(step, -7);
}

/* New secrets: 20 bytes, 32 base32 characters that decode back to them,
** different every time, and usable at once. */
static void totp_secret_create(void **state)
{
    (void)state;
    uint8_t a[PP_TOTP_SECRET_BYTES];
    uint8_t b[PP_TOTP_SECRET_BYTES];
    uint8_t decoded[PP_TOTP_SECRET_BYTES + 8];
    char text_a[SEC_TOTP_SECRET_TEXT_BYTES];
    char text_b[SEC_TOTP_SECRET_TEXT_BYTES];
    size_t decoded_len = 0;

    assert_int_equal(SEC_TOTP_SECRET_TEXT_BYTES, 33);
    assert_int_equal(sec_totp_secret_create(a, text_a, NULL), PP_OK);
    assert_int_equal(sec_totp_secret_create(b, text_b, NULL), PP_OK);
    assert_int_equal(strlen(text_a), 32);
    assert_memory_not_equal(a, b, sizeof a);
    assert_string_not_equal(text_a, text_b);
    assert_int_equal(sec_base32_decode(text_a, 32, decoded, sizeof decoded, &decoded_len), 1);
    assert_int_equal(decoded_len, PP_TOTP_SECRET_BYTES);
    assert_memory_equal(decoded, a, sizeof a);

    char code[7];
    int64_t step = -7;
    assert_int_equal(sec_hotp_code(a, sizeof a, 1000, 6, code, NULL), PP_OK);
    assert_int_equal(
        sec_totp_verify(a, sizeof a, code, 6, 1000 * 30 + 5, SEC_TOTP_STEP_NONE, &step, NULL),
        PP_OK);
    assert_int_equal(step, 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hotp_rfc4226_appendix_d),   cmocka_unit_test(totp_rfc6238_sha1_rows),
        cmocka_unit_test(totp_drift_one_step_only),  cmocka_unit_test(totp_code_accepted_once),
        cmocka_unit_test(totp_first_steps),          cmocka_unit_test(totp_malformed_codes),
        cmocka_unit_test(totp_other_secret_refused), cmocka_unit_test(totp_secret_create),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
