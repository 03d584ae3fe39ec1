/*
** This module implements secrets at rest: HKDF-SHA256 key derivation from
** the server's master secret, and AES-256-GCM sealing of small secrets into
** the "v1.<nonce>.<ciphertext+tag>" text that the database keeps, both on
** OpenSSL's EVP interface.
**
** It does not store, log or cache anything: the master secret, keys and
** opened secrets stay in the caller's memory, and every buffer of its own
** that held key material or plaintext is wiped before it returns.
*/
#include "payout/sec/seal.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "payout/base/assert.h"
#include "payout/base/base64.h"
#include "payout/sec/secrets.h"

/* The version prefix of every sealed text this module writes. */
static const char version_v1[] = "v1";
/* Longest context bound into a seal; contexts are short server-made texts. */
#define CONTEXT_BYTES_MAX 256u
/* Ciphertext and tag of the largest secret. */
#define BODY_BYTES_MAX (PP_SEAL_PLAIN_BYTES_MAX + SEC_SEAL_TAG_BYTES)
/* Characters of the base64url nonce. */
#define NONCE_TEXT_CHARS 16u

_Static_assert(PP_SEAL_PLAIN_BYTES_MAX <= 64 * 1024, "a sealed body is kept on the stack");

enum pp_status sec_seal_hkdf_sha256(const uint8_t *ikm, size_t ikm_len, const uint8_t *salt,
                                    size_t salt_len, const uint8_t *info, size_t info_len,
                                    uint8_t *out, size_t out_len, struct pp_err *err)
{
    enum pp_status status = PP_OK;
    OSSL_PARAM params[5];
    OSSL_PARAM *p = params;

    PP_ASSERT(ikm != NULL && ikm_len > 0);
    PP_ASSERT(salt != NULL || salt_len == 0);
    PP_ASSERT(info != NULL || info_len == 0);
    PP_ASSERT(out != NULL && out_len >= 1 && out_len <= 255u * 32u);
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *ctx = kdf == NULL ? NULL : EVP_KDF_CTX_new(kdf);
    *p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikm_len);
    if (salt_len > 0) {
        *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_len);
    }
    if (info_len > 0) {
        *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, info_len);
    }
    *p = OSSL_PARAM_construct_end();
    if (ctx == NULL || EVP_KDF_derive(ctx, out, out_len, params) != 1) {
        sec_wipe(out, out_len);
        status = pp_err_set(err, PP_INTERNAL, "HKDF-SHA256 failed");
    }
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    return status;
}

enum pp_status sec_seal_key_derive(const uint8_t *master, size_t master_len, const char *label,
                                   struct sec_seal_key *key_out, struct pp_err *err)
{
    enum pp_status status = PP_OK;

    PP_ASSERT(label != NULL && label[0] != '\0');
    PP_ASSERT(key_out != NULL);
    PP_ASSERT(master != NULL || master_len == 0);
    if (master_len < PP_SEAL_MASTER_BYTES_MIN || master_len > PP_SEAL_MASTER_BYTES_MAX) {
        sec_seal_key_wipe(key_out);
        status = pp_err_set(err, PP_INVALID_PARAMS, "master secret must be %d to %d bytes",
                            PP_SEAL_MASTER_BYTES_MIN, PP_SEAL_MASTER_BYTES_MAX);
        goto done;
    }
    status = sec_seal_hkdf_sha256(master, master_len, NULL, 0, (const uint8_t *)label,
                                  strlen(label), key_out->bytes, sizeof key_out->bytes, err);
done:
    return status;
}

void sec_seal_key_wipe(struct sec_seal_key *key)
{
    if (key != NULL) {
        sec_wipe(key->bytes, sizeof key->bytes);
    }
}

size_t sec_seal_text_len(size_t plain_len)
{
    PP_ASSERT(plain_len <= PP_SEAL_PLAIN_BYTES_MAX);
    return sizeof version_v1 - 1 + 1 + NONCE_TEXT_CHARS + 1 +
           PP_BASE64URL_CHARS(plain_len + SEC_SEAL_TAG_BYTES);
}

/* Runs AES-256-GCM over in[0..len) into out (len bytes) with the version
** and context as additional data. Encrypting writes tag; decrypting checks
** it. 1 on success; 0 if OpenSSL fails or, decrypting, the tag is wrong. */
static int gcm_run(int encrypt, const struct sec_seal_key *key, const uint8_t *nonce,
                   const char *context, const uint8_t *in, size_t len, uint8_t *out,
                   uint8_t tag[SEC_SEAL_TAG_BYTES])
{
    size_t context_len = strlen(context);
    int n = 0;
    int final_n = 0;

    PP_ASSERT(context_len <= CONTEXT_BYTES_MAX && len <= PP_SEAL_PLAIN_BYTES_MAX);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int ok = ctx != NULL;
    ok = ok && EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, encrypt) == 1;
    ok = ok && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, SEC_SEAL_NONCE_BYTES, NULL) == 1;
    ok = ok && EVP_CipherInit_ex(ctx, NULL, NULL, key->bytes, nonce, encrypt) == 1;
    /* Additional data: "v1", a NUL, then the context, so neither the
    ** version nor the row a value belongs to can be changed unnoticed. */
    ok = ok &&
         EVP_CipherUpdate(ctx, NULL, &n, (const uint8_t *)version_v1, (int)sizeof version_v1) == 1;
    ok = ok && (context_len == 0 ||
                EVP_CipherUpdate(ctx, NULL, &n, (const uint8_t *)context, (int)context_len) == 1);
    n = 0;
    ok = ok && (len == 0 || EVP_CipherUpdate(ctx, out, &n, in, (int)len) == 1);
    ok = ok && (size_t)n == len;
    if (!encrypt) {
        ok = ok && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, SEC_SEAL_TAG_BYTES, tag) == 1;
    }
    /* GCM writes nothing at the end; decrypting, this is the tag check. */
    ok = ok && EVP_CipherFinal_ex(ctx, out + len, &final_n) == 1 && final_n == 0;
    if (encrypt) {
        ok = ok && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SEC_SEAL_TAG_BYTES, tag) == 1;
    }
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

enum pp_status sec_seal_encrypt(const struct sec_seal_key *key, const char *context,
                                const uint8_t *plain, size_t plain_len, char *out, size_t out_size,
                                struct pp_err *err)
{
    enum pp_status status = PP_OK;
    uint8_t nonce[SEC_SEAL_NONCE_BYTES];
    uint8_t body[BODY_BYTES_MAX];

    PP_ASSERT(key != NULL && context != NULL && out != NULL);
    PP_ASSERT(plain != NULL || plain_len == 0);
    out[0] = '\0';
    if (plain_len > PP_SEAL_PLAIN_BYTES_MAX) {
        status = pp_err_set(err, PP_INVALID_PARAMS, "a sealed secret is at most %d bytes",
                            PP_SEAL_PLAIN_BYTES_MAX);
        goto done;
    }
    PP_ASSERT(out_size > sec_seal_text_len(plain_len));
    status = sec_random_bytes(nonce, sizeof nonce, err);
    if (status != PP_OK) {
        goto done;
    }
    if (!gcm_run(1, key, nonce, context, plain, plain_len, body, body + plain_len)) {
        status = pp_err_set(err, PP_INTERNAL, "AES-256-GCM sealing failed");
        goto done;
    }
    size_t len = sizeof version_v1 - 1;
    memcpy(out, version_v1, len);
    out[len++] = '.';
    pp_base64url_encode(nonce, sizeof nonce, out + len, out_size - len);
    len += NONCE_TEXT_CHARS;
    out[len++] = '.';
    pp_base64url_encode(body, plain_len + SEC_SEAL_TAG_BYTES, out + len, out_size - len);
done:
    sec_wipe(body, sizeof body);
    return status;
}

/* The parts of a sealed text, borrowed from it. */
struct sealed_parts {
    const char *nonce;
    size_t nonce_len;
    const char *body;
    size_t body_len;
};

/* Splits text[0..len) into version, nonce and body at its two dots. */
static enum pp_status sealed_split(const char *text, size_t len, struct sealed_parts *parts,
                                   struct pp_err *err)
{
    enum pp_status status = PP_OK;
    const char *dot1 = len == 0 ? NULL : memchr(text, '.', len);
    const char *dot2 = dot1 == NULL ? NULL : memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - text));

    if (dot1 == NULL || dot2 == NULL) {
        status = pp_err_set(err, PP_INTERNAL, "sealed secret is malformed");
        goto done;
    }
    if ((size_t)(dot1 - text) != sizeof version_v1 - 1 ||
        memcmp(text, version_v1, sizeof version_v1 - 1) != 0) {
        status = pp_err_set(err, PP_INTERNAL, "sealed secret has an unknown version");
        goto done;
    }
    parts->nonce = dot1 + 1;
    parts->nonce_len = (size_t)(dot2 - parts->nonce);
    parts->body = dot2 + 1;
    parts->body_len = len - (size_t)(parts->body - text);
done:
    return status;
}

enum pp_status sec_seal_decrypt(const struct sec_seal_key *key, const char *context,
                                const char *text, size_t text_len, uint8_t *plain_out,
                                size_t plain_size, size_t *plain_len_out, struct pp_err *err)
{
    struct sealed_parts parts = {NULL, 0, NULL, 0};
    uint8_t nonce[SEC_SEAL_NONCE_BYTES];
    uint8_t body[BODY_BYTES_MAX];
    size_t nonce_len = 0;
    size_t body_len = 0;

    PP_ASSERT(key != NULL && context != NULL && plain_out != NULL && plain_len_out != NULL);
    PP_ASSERT(text != NULL || text_len == 0);
    enum pp_status status = sealed_split(text, text_len, &parts, err);
    if (status != PP_OK) {
        goto done;
    }
    if (!pp_base64url_decode(parts.nonce, parts.nonce_len, nonce, sizeof nonce, &nonce_len) ||
        nonce_len != sizeof nonce ||
        !pp_base64url_decode(parts.body, parts.body_len, body, sizeof body, &body_len) ||
        body_len < SEC_SEAL_TAG_BYTES) {
        status = pp_err_set(err, PP_INTERNAL, "sealed secret is malformed");
        goto done;
    }
    size_t plain_len = body_len - SEC_SEAL_TAG_BYTES;
    if (plain_len > plain_size) {
        status = pp_err_set(err, PP_INTERNAL, "sealed secret is larger than its buffer");
        goto done;
    }
    if (!gcm_run(0, key, nonce, context, body, plain_len, plain_out, body + plain_len)) {
        sec_wipe(plain_out, plain_len);
        status = pp_err_set(err, PP_INTERNAL,
                            "sealed secret does not open: wrong key or context, or altered");
        goto done;
    }
    *plain_len_out = plain_len;
done:
    sec_wipe(body, sizeof body);
    return status;
}
