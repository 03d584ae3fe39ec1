/*
** This module implements SHA-256 over OpenSSL's EVP interface for the
** layers that may not include OpenSSL. Its one state is the SHA-256
** implementation, fetched from OpenSSL's providers once per process:
** EVP_sha256() would be looked up again by every digest (a lock and a
** search of the provider's tables, 3-4% of a list page's time). It logs
** nothing.
*/
#include "payout/sec/digest.h"

#include <openssl/evp.h>
#include <pthread.h>

#include "payout/base/assert.h"

static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

/* Kept for the life of the process, never freed. */
static void sha256_fetch(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

void sec_sha256(const void *data, size_t len, uint8_t out[SEC_SHA256_BYTES])
{
    struct sec_bytes part = {data, len};
    sec_sha256_parts(&part, 1, out);
}

void sec_sha256_parts(const struct sec_bytes *parts, size_t count, uint8_t out[SEC_SHA256_BYTES])
{
    PP_ASSERT(pthread_once(&sha256_once, sha256_fetch) == 0);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int len = 0;
    /* Failures here mean no memory or a broken OpenSSL, never bad input. */
    PP_ASSERT(ctx != NULL && sha256_md != NULL);
    int ok = EVP_DigestInit_ex(ctx, sha256_md, NULL) == 1;
    for (size_t i = 0; ok && i < count; i++) {
        if (parts[i].len > 0) {
            ok = EVP_DigestUpdate(ctx, parts[i].data, parts[i].len) == 1;
        }
    }
    ok = ok && EVP_DigestFinal_ex(ctx, out, &len) == 1;
    EVP_MD_CTX_free(ctx);
    PP_ASSERT(ok && len == SEC_SHA256_BYTES);
}
