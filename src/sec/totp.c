/*
** This module implements two-factor codes: HOTP (RFC 4226) over OpenSSL's
** HMAC-SHA1, TOTP (RFC 6238) steps, the verification window with its
** once-only rule, and new secrets from the CSPRNG.
**
** It does not store anything: the caller keeps the (sealed) secret and the
** last accepted step, and decides what a refusal costs (the sign-in
** lockout). It never logs a secret or a code.
*/
#include "payout/sec/totp.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "payout/base/assert.h"
#include "payout/sec/base32.h"
#include "payout/sec/secrets.h"

/* Size of an HMAC-SHA1 value. */
#define SHA1_BYTES 20

_Static_assert(PP_TOTP_DIGITS >= 6 && PP_TOTP_DIGITS <= 8, "RFC 4226 allows 6 to 8 digits");
_Static_assert(PP_TOTP_SECRET_BYTES <= PP_TOTP_SECRET_BYTES_MAX, "new secrets must verify");

static const char msg_wrong[] = "wrong or already used two-factor code";

enum pp_status sec_hotp_code(const uint8_t *secret, size_t secret_len, uint64_t counter,
                             unsigned digits, char *out, struct pp_err *err)
{
    enum pp_status status = PP_OK;
    uint8_t message[8];
    uint8_t mac[EVP_MAX_MD_SIZE];
    unsigned mac_len = 0;

    PP_ASSERT(secret != NULL && secret_len >= 1 && secret_len <= PP_TOTP_SECRET_BYTES_MAX);
    PP_ASSERT(digits >= 6 && digits <= 8);
    PP_ASSERT(out != NULL);
    /* The counter is hashed as 8 bytes, most significant first (§5.2). */
    for (int i = 0; i < 8; i++) {
        message[i] = (uint8_t)(counter >> (56 - 8 * i));
    }
    if (HMAC(EVP_sha1(), secret, (int)secret_len, message, sizeof message, mac, &mac_len) == NULL ||
        mac_len != SHA1_BYTES) {
        out[0] = '\0';
        status = pp_err_set(err, PP_INTERNAL, "HMAC-SHA1 failed");
        goto done;
    }
    /* Dynamic truncation (§5.3): 31 bits at the offset the last nibble
    ** names, then the low `digits` decimal digits. */
    unsigned offset = mac[SHA1_BYTES - 1] & 0x0fu;
    uint32_t value = ((uint32_t)(mac[offset] & 0x7fu) << 24) | ((uint32_t)mac[offset + 1] << 16) |
                     ((uint32_t)mac[offset + 2] << 8) | (uint32_t)mac[offset + 3];
    for (unsigned i = digits; i > 0; i--) {
        out[i - 1] = (char)('0' + value % 10u);
        value /= 10u;
    }
    out[digits] = '\0';
done:
    sec_wipe(mac, sizeof mac);
    return status;
}

int64_t sec_totp_step(int64_t unix_s)
{
    PP_ASSERT(unix_s >= 0);
    return unix_s / PP_TOTP_STEP_S;
}

/* 1 when code[0..len) is exactly PP_TOTP_DIGITS ASCII digits. */
static int code_well_formed(const char *code, size_t len)
{
    int ok = code != NULL && len == PP_TOTP_DIGITS;
    for (size_t i = 0; ok && i < len; i++) {
        ok = code[i] >= '0' && code[i] <= '9';
    }
    return ok;
}

enum pp_status sec_totp_verify(const uint8_t *secret, size_t secret_len, const char *code,
                               size_t code_len, int64_t now_s, int64_t last_step, int64_t *step_out,
                               struct pp_err *err)
{
    enum pp_status status = PP_OK;
    char expected[PP_TOTP_DIGITS + 1];
    int64_t matched = SEC_TOTP_STEP_NONE;
    int64_t now_step = sec_totp_step(now_s);

    PP_ASSERT(step_out != NULL);
    PP_ASSERT(last_step >= SEC_TOTP_STEP_NONE);
    if (!code_well_formed(code, code_len)) {
        status = pp_err_set(err, PP_UNAUTHORIZED, "two-factor code must be exactly %d digits",
                            PP_TOTP_DIGITS);
        goto done;
    }
    /* Every step of the window is computed and compared, whether or not
    ** an earlier one matched or is already used, so the time taken says
    ** nothing about which step (if any) the code belongs to. */
    for (int64_t step = now_step + PP_TOTP_DRIFT_STEPS; step >= now_step - PP_TOTP_DRIFT_STEPS;
         step--) {
        if (step < 0) {
            continue;
        }
        status = sec_hotp_code(secret, secret_len, (uint64_t)step, PP_TOTP_DIGITS, expected, err);
        if (status != PP_OK) {
            goto done;
        }
        int equal = CRYPTO_memcmp(expected, code, PP_TOTP_DIGITS) == 0;
        if (equal && step > last_step) {
            matched = step; /* walking down, so the earliest match wins */
        }
    }
    if (matched == SEC_TOTP_STEP_NONE) {
        status = pp_err_set(err, PP_UNAUTHORIZED, "%s", msg_wrong);
        goto done;
    }
    *step_out = matched;
done:
    sec_wipe(expected, sizeof expected);
    return status;
}

enum pp_status sec_totp_secret_create(uint8_t secret[PP_TOTP_SECRET_BYTES],
                                      char text[SEC_TOTP_SECRET_TEXT_BYTES], struct pp_err *err)
{
    PP_ASSERT(secret != NULL && text != NULL);
    enum pp_status status = sec_random_bytes(secret, PP_TOTP_SECRET_BYTES, err);
    if (status != PP_OK) {
        sec_wipe(secret, PP_TOTP_SECRET_BYTES);
        memset(text, 0, SEC_TOTP_SECRET_TEXT_BYTES);
        goto done;
    }
    sec_base32_encode(secret, PP_TOTP_SECRET_BYTES, text, SEC_TOTP_SECRET_TEXT_BYTES);
done:
    return status;
}
