/*
** This module implements the unit tests of sec/otpauth.c: the exact setup
** URI for a plain e-mail, for one with '+' and non-ASCII letters and for an
** issuer with a space; refusals of empty, too long and ':'-holding parts;
** and the longest inputs fitting PP_OTPAUTH_URI_BYTES.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "payout/sec/otpauth.h"

/* The RFC 6238 seed, GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ in base32. */
static const uint8_t seed[] = "12345678901234567890";
#define SEED_BYTES 20

static void otpauth_plain(void **state)
{
    (void)state;
    char uri[PP_OTPAUTH_URI_BYTES];

    assert_int_equal(sec_otpauth_uri_build("payout-panel", "alice@example.com", seed, SEED_BYTES,
                                           uri, sizeof uri, NULL),
                     PP_OK);
    assert_string_equal(uri, "otpauth://totp/payout-panel:alice@example.com"
                             "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=payout-panel"
                             "&algorithm=SHA1&digits=6&period=30");
}

/* '+' must not reach an app as '+' (read as a space in a query), and
** non-ASCII is its UTF-8 bytes, each %XX in upper-case hex. */
static void otpauth_percent_encoding(void **state)
{
    (void)state;
    char uri[PP_OTPAUTH_URI_BYTES];

    assert_int_equal(sec_otpauth_uri_build("ACME Payouts & Co", "zoë+payouts@exämple.com", seed,
                                           SEED_BYTES, uri, sizeof uri, NULL),
                     PP_OK);
    assert_string_equal(uri, "otpauth://totp/ACME%20Payouts%20%26%20Co:"
                             "zo%C3%AB%2Bpayouts@ex%C3%A4mple.com"
                             "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
                             "&issuer=ACME%20Payouts%20%26%20Co"
                             "&algorithm=SHA1&digits=6&period=30");
    /* Characters that would end or split a URI part are all escaped;
    ** unreserved ones stay. */
    assert_int_equal(
        sec_otpauth_uri_build("a/b?c#d=e", "x-y.z_w~v%\"<>\\@h", seed, 1, uri, sizeof uri, NULL),
        PP_OK);
    assert_string_equal(uri, "otpauth://totp/a%2Fb%3Fc%23d%3De:x-y.z_w~v%25%22%3C%3E%5C@h"
                             "?secret=GE&issuer=a%2Fb%3Fc%23d%3De"
                             "&algorithm=SHA1&digits=6&period=30");
}

static void otpauth_refusals(void **state)
{
    (void)state;
    static const struct {
        const char *issuer;
        const char *email;
        const char *message;
    } cases[] = {
        {"", "a@b.c", "issuer must be 1 to 64 bytes without ':'"},
        {"ACME:Payouts", "a@b.c", "issuer must be 1 to 64 bytes without ':'"},
        {"payout-panel", "", "e-mail must be 1 to 254 bytes without ':'"},
        {"payout-panel", "a:b@c.d", "e-mail must be 1 to 254 bytes without ':'"},
    };
    char uri[PP_OTPAUTH_URI_BYTES];
    struct pp_err err;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pp_err_clear(&err);
        memset(uri, '#', sizeof uri);
        assert_int_equal(sec_otpauth_uri_build(cases[i].issuer, cases[i].email, seed, SEED_BYTES,
                                               uri, sizeof uri, &err),
                         PP_INVALID_PARAMS);
        assert_string_equal(err.message, cases[i].message);
        assert_string_equal(uri, "");
    }
    char issuer[PP_OTPAUTH_ISSUER_BYTES_MAX + 2];
    memset(issuer, 'i', sizeof issuer - 1);
    issuer[sizeof issuer - 1] = '\0';
    assert_int_equal(
        sec_otpauth_uri_build(issuer, "a@b.c", seed, SEED_BYTES, uri, sizeof uri, NULL),
        PP_INVALID_PARAMS);
    char email[PP_EMAIL_BYTES_MAX + 2];
    memset(email, 'e', sizeof email - 1);
    email[sizeof email - 1] = '\0';
    assert_int_equal(sec_otpauth_uri_build("x", email, seed, SEED_BYTES, uri, sizeof uri, NULL),
                     PP_INVALID_PARAMS);
}

/* The worst case: longest issuer and e-mail made of bytes that all need
** escaping, and the largest secret, fit the buffer. */
static void otpauth_longest_fits(void **state)
{
    (void)state;
    char issuer[PP_OTPAUTH_ISSUER_BYTES_MAX + 1];
    char email[PP_EMAIL_BYTES_MAX + 1];
    uint8_t secret[PP_TOTP_SECRET_BYTES_MAX];
    char uri[PP_OTPAUTH_URI_BYTES];

    memset(issuer, '+', sizeof issuer - 1);
    issuer[sizeof issuer - 1] = '\0';
    memset(email, '\xff', sizeof email - 1);
    email[sizeof email - 1] = '\0';
    memset(secret, 0xa5, sizeof secret);
    assert_int_equal(
        sec_otpauth_uri_build(issuer, email, secret, sizeof secret, uri, sizeof uri, NULL), PP_OK);
    size_t expected = strlen("otpauth://totp/") + 3 * 64 + 1 + 3 * 254 + strlen("?secret=") +
                      (64 * 8 + 4) / 5 + strlen("&issuer=") + 3 * 64 +
                      strlen("&algorithm=SHA1&digits=6&period=30");
    assert_int_equal(strlen(uri), expected);
    assert_true(expected < PP_OTPAUTH_URI_BYTES);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(otpauth_plain),
        cmocka_unit_test(otpauth_percent_encoding),
        cmocka_unit_test(otpauth_refusals),
        cmocka_unit_test(otpauth_longest_fits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
