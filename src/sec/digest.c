/*
** This module implements SHA-256 over OpenSSL's EVP interface for the
** layers that may not include OpenSSL. It keeps no state and logs nothing.
*/
#include "payout/sec/digest.h"

#include <openssl/evp.h>

#include "payout/base/assert.h"

void sec_sha256(const void *data, size_t len, uint8_t out[SEC_SHA256_BYTES])
{
    struct sec_bytes part = {data, len};
    sec_sha256_parts(&part, 1, out);
}

void sec_sha256_parts(const struct sec_bytes *parts, size_t count, uint8_t out[SEC_SHA256_BYTES])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int len = 0;
    /* Failures here mean no memory or a broken OpenSSL, never bad input. */
    PP_ASSERT(ctx != NULL);
    int ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;
    for (size_t i = 0; ok && i < count; i++) {
        if (parts[i].len > 0) {
            ok = EVP_DigestUpdate(ctx, parts[i].data, parts[i].len) == 1;
        }
    }
    ok = ok && EVP_DigestFinal_ex(ctx, out, &len) == 1;
    EVP_MD_CTX_free(ctx);
    PP_ASSERT(ok && len == SEC_SHA256_BYTES);
}
