/*
** This header declares the server's secret handling: random bytes and
** tokens from OpenSSL's CSPRNG, constant-time comparison, hex coding and
** wiping. Nothing here logs.
*/
#ifndef PAYOUT_SEC_SECRETS_H
#define PAYOUT_SEC_SECRETS_H

#include <stddef.h>
#include <stdint.h>

#include "payout/limits.h"
#include "payout/status.h"

/* Fills out with len bytes from RAND_bytes. PP_INTERNAL if the CSPRNG fails. */
enum pp_status sec_random_bytes(uint8_t *out, size_t len, struct pp_err *err);

/* Writes `chars` characters drawn uniformly (rejection sampling, no modulo
** bias) from [A-Za-z0-9], then a NUL, into out (chars + 1 bytes). */
enum pp_status sec_random_text(char *out, size_t chars, struct pp_err *err);

/* 1 when a[0..alen) equals b[0..blen), else 0, in time that depends only on
** the lengths' maxima, never on where the bytes differ: both sides are
** hashed with SHA-256 and the digests compared with CRYPTO_memcmp, so even
** the length of the secret does not leak. */
int sec_equal(const void *a, size_t alen, const void *b, size_t blen);

/* Lower-case hex of in[0..len) into out (2*len + 1 bytes, NUL-terminated). */
void sec_hex_encode(const uint8_t *in, size_t len, char *out);

/* Decodes exactly 2*out_len hex characters of `hex` (length hex_len) into
** out. Returns 1 on success, 0 on a wrong length or a non-hex character. */
int sec_hex_decode(const char *hex, size_t hex_len, uint8_t *out, size_t out_len);

/* Writes a time-ordered (version 7, RFC 9562) UUID for the moment unix_ms
** (0 .. 2^48-1) with 74 random bits, in its 36-character lower-case text
** form plus NUL, into out (PP_UUID_TEXT_BYTES). Time order keeps inserts
** into the UUID index at its right edge instead of a random page. */
enum pp_status sec_uuid_v7(int64_t unix_ms, char *out, struct pp_err *err);

/* Overwrites p[0..len) with zeros in a way the compiler cannot drop. */
void sec_wipe(void *p, size_t len);

#endif /* PAYOUT_SEC_SECRETS_H */
