/*
** This module implements Standard Webhooks 1.0 signing: new "whsec_"
** secrets from the CSPRNG and the "v1," HMAC-SHA256 signature of one
** delivery, streamed through OpenSSL's EVP_MAC so a large body is never
** copied.
**
** It does not send, retry or store anything, and does not choose which
** secrets are valid (rotation is the webhooks feature's): each call signs
** with the one secret it is given. It never logs a secret.
*/
#include "payout/sec/webhook_sign.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "payout/base/assert.h"
#include "payout/base/base64.h"
#include "payout/sec/secrets.h"

#define HMAC_SHA256_BYTES 32
#define PREFIX_LEN (sizeof SEC_WEBHOOK_SECRET_PREFIX - 1)
/* Longest secret text read: the prefix and the base64 of the largest key. */
#define SECRET_TEXT_MAX (PREFIX_LEN + (PP_WEBHOOK_SECRET_BYTES_MAX + 2) / 3 * 4)

_Static_assert(SEC_WEBHOOK_SIGNATURE_BYTES == 3 + (HMAC_SHA256_BYTES + 2) / 3 * 4 + 1,
               "v1, and the base64 of an HMAC-SHA256");

enum pp_status sec_webhook_secret_create(char out[SEC_WEBHOOK_SECRET_TEXT_BYTES],
                                         struct pp_err *err)
{
    uint8_t key[PP_WEBHOOK_SECRET_BYTES];

    PP_ASSERT(out != NULL);
    out[0] = '\0';
    enum pp_status status = sec_random_bytes(key, sizeof key, err);
    if (status != PP_OK) {
        goto done;
    }
    memcpy(out, SEC_WEBHOOK_SECRET_PREFIX, PREFIX_LEN);
    pp_base64_encode(key, sizeof key, out + PREFIX_LEN, SEC_WEBHOOK_SECRET_TEXT_BYTES - PREFIX_LEN);
done:
    sec_wipe(key, sizeof key);
    return status;
}

/* Decodes the key of secret into key (PP_WEBHOOK_SECRET_BYTES_MAX bytes). */
static enum pp_status secret_key(const char *secret, uint8_t *key, size_t *key_len,
                                 struct pp_err *err)
{
    enum pp_status status = PP_OK;
    size_t len = strnlen(secret, SECRET_TEXT_MAX + 1);
    if (len <= PREFIX_LEN || len > SECRET_TEXT_MAX ||
        memcmp(secret, SEC_WEBHOOK_SECRET_PREFIX, PREFIX_LEN) != 0 ||
        !pp_base64_decode(secret + PREFIX_LEN, len - PREFIX_LEN, key, PP_WEBHOOK_SECRET_BYTES_MAX,
                          key_len) ||
        *key_len < PP_WEBHOOK_SECRET_BYTES_MIN) {
        status = pp_err_set(err, PP_INVALID_PARAMS,
                            "webhook secret must be whsec_ and the base64 of %d to %d bytes",
                            PP_WEBHOOK_SECRET_BYTES_MIN, PP_WEBHOOK_SECRET_BYTES_MAX);
    }
    return status;
}

/* HMAC-SHA256 under key of "{id}.{timestamp}.{body}" into mac. 1 on success. */
static int sign_message(const uint8_t *key, size_t key_len, const char *msg_id, int64_t timestamp_s,
                        const void *body, size_t body_len, uint8_t mac[HMAC_SHA256_BYTES])
{
    char stamp[24];
    size_t mac_len = 0;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_end(),
    };

    int stamp_len = snprintf(stamp, sizeof stamp, ".%" PRId64 ".", timestamp_s);
    PP_ASSERT(stamp_len > 0 && (size_t)stamp_len < sizeof stamp);
    EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = hmac == NULL ? NULL : EVP_MAC_CTX_new(hmac);
    int ok = ctx != NULL && EVP_MAC_init(ctx, key, key_len, params) == 1;
    ok = ok && EVP_MAC_update(ctx, (const uint8_t *)msg_id, strlen(msg_id)) == 1;
    ok = ok && EVP_MAC_update(ctx, (const uint8_t *)stamp, (size_t)stamp_len) == 1;
    ok = ok && (body_len == 0 || EVP_MAC_update(ctx, body, body_len) == 1);
    ok = ok && EVP_MAC_final(ctx, mac, &mac_len, HMAC_SHA256_BYTES) == 1;
    ok = ok && mac_len == HMAC_SHA256_BYTES;
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(hmac);
    return ok;
}

enum pp_status sec_webhook_sign(const char *secret, const char *msg_id, int64_t timestamp_s,
                                const void *body, size_t body_len,
                                char out[SEC_WEBHOOK_SIGNATURE_BYTES], struct pp_err *err)
{
    uint8_t key[PP_WEBHOOK_SECRET_BYTES_MAX];
    uint8_t mac[HMAC_SHA256_BYTES];
    size_t key_len = 0;

    PP_ASSERT(secret != NULL && out != NULL);
    PP_ASSERT(msg_id != NULL && msg_id[0] != '\0');
    PP_ASSERT(timestamp_s >= 0);
    PP_ASSERT(body != NULL || body_len == 0);
    out[0] = '\0';
    enum pp_status status = secret_key(secret, key, &key_len, err);
    if (status != PP_OK) {
        goto done;
    }
    if (!sign_message(key, key_len, msg_id, timestamp_s, body, body_len, mac)) {
        status = pp_err_set(err, PP_INTERNAL, "HMAC-SHA256 failed");
        goto done;
    }
    memcpy(out, "v1,", 3);
    pp_base64_encode(mac, sizeof mac, out + 3, SEC_WEBHOOK_SIGNATURE_BYTES - 3);
done:
    sec_wipe(key, sizeof key);
    sec_wipe(mac, sizeof mac);
    return status;
}
