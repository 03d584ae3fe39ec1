/*
** This header declares SHA-256 for the layers above sec/, which must not
** include OpenSSL: request fingerprints (idempotency) and the keys of the
** rate limiter's tables (an API key is never kept in memory as is).
*/
#ifndef PAYOUT_SEC_DIGEST_H
#define PAYOUT_SEC_DIGEST_H

#include <stddef.h>
#include <stdint.h>

/* Size of a SHA-256 digest. */
#define SEC_SHA256_BYTES 32

/* One piece of a message: data[0..len) (borrowed). */
struct sec_bytes {
    const void *data;
    size_t len;
};

/* out = SHA-256 of data[0..len). */
void sec_sha256(const void *data, size_t len, uint8_t out[SEC_SHA256_BYTES]);

/* out = SHA-256 of parts[0] || parts[1] || ... (count pieces, concatenated;
** the caller adds separators when the pieces' boundaries matter). */
void sec_sha256_parts(const struct sec_bytes *parts, size_t count, uint8_t out[SEC_SHA256_BYTES]);

#endif /* PAYOUT_SEC_DIGEST_H */
