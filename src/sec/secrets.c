/*
** This module implements the server's secret primitives on top of
** OpenSSL: random bytes and base62 text from the CSPRNG (RAND_bytes),
** constant-time comparison of secrets, strict hex coding and wiping.
**
** It does not store, log or print any secret: callers decide where a
** secret goes, and nothing here writes to a log.
*/
#include "payout/sec/secrets.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "payout/base/assert.h"

/* The base62 alphabet of sec_random_text. */
static const char text_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
#define TEXT_ALPHABET_SIZE 62u
/* Random bytes at or above this value are rejected: 248 = 4 * 62 is the
** largest multiple of 62 not above 256, so `byte % 62` of an accepted byte
** is uniform. One byte in 32 is rejected. */
#define TEXT_ACCEPT_BELOW (4u * TEXT_ALPHABET_SIZE)
/* Random bytes drawn per RAND_bytes call while making text. */
#define TEXT_BATCH_BYTES 64u
/* A healthy CSPRNG rejects 1 byte in 32, so it needs about 1.03 batches
** per TEXT_BATCH_BYTES characters. We allow twice that, plus a few: running
** out means the generator is broken, not unlucky. */
#define TEXT_BATCHES_SLACK 16u

/* Largest chunk handed to RAND_bytes, whose length is an int. */
#define RANDOM_CHUNK_BYTES (1024u * 1024u)

enum pp_status sec_random_bytes(uint8_t *out, size_t len, struct pp_err *err)
{
    enum pp_status status = PP_OK;
    size_t done_bytes = 0;

    PP_ASSERT(out != NULL || len == 0);
    while (done_bytes < len) {
        size_t chunk = len - done_bytes;
        if (chunk > RANDOM_CHUNK_BYTES) {
            chunk = RANDOM_CHUNK_BYTES;
        }
        if (RAND_bytes(out + done_bytes, (int)chunk) != 1) {
            status = pp_err_set(err, PP_INTERNAL, "random number generator failed");
            goto done;
        }
        done_bytes += chunk;
    }
done:
    return status;
}

enum pp_status sec_random_text(char *out, size_t chars, struct pp_err *err)
{
    enum pp_status status = PP_OK;
    uint8_t batch[TEXT_BATCH_BYTES];
    size_t written = 0;
    size_t batches_left = chars / TEXT_BATCH_BYTES * 2 + TEXT_BATCHES_SLACK;

    PP_ASSERT(out != NULL);
    while (written < chars) {
        if (batches_left == 0) {
            status = pp_err_set(err, PP_INTERNAL, "random number generator failed");
            goto done;
        }
        batches_left--;
        status = sec_random_bytes(batch, sizeof batch, err);
        if (status != PP_OK) {
            goto done;
        }
        for (size_t i = 0; i < sizeof batch && written < chars; i++) {
            if (batch[i] < TEXT_ACCEPT_BELOW) {
                out[written] = text_alphabet[batch[i] % TEXT_ALPHABET_SIZE];
                written++;
            }
        }
    }
done:
    /* On failure the caller gets an empty string, never a partial secret. */
    out[status == PP_OK ? chars : 0] = '\0';
    sec_wipe(batch, sizeof batch);
    return status;
}

/* SHA-256 of p[0..len) into digest. 1 on success, 0 if OpenSSL fails. */
static int sha256(const void *p, size_t len, uint8_t digest[32])
{
    static const uint8_t empty = 0;
    unsigned digest_len = 0;
    int ok = EVP_Digest(len == 0 ? &empty : p, len, digest, &digest_len, EVP_sha256(), NULL);
    return ok == 1 && digest_len == 32;
}

int sec_equal(const void *a, size_t alen, const void *b, size_t blen)
{
    uint8_t da[32];
    uint8_t db[32];
    int equal = 0;

    PP_ASSERT(a != NULL || alen == 0);
    PP_ASSERT(b != NULL || blen == 0);
    /* Comparing digests instead of bytes makes the time independent of
    ** where the inputs differ and of whether their lengths match. A
    ** digest failure compares unequal: fail closed. */
    if (!sha256(a, alen, da) || !sha256(b, blen, db)) {
        goto done;
    }
    equal = CRYPTO_memcmp(da, db, sizeof da) == 0;
done:
    sec_wipe(da, sizeof da);
    sec_wipe(db, sizeof db);
    return equal;
}

void sec_hex_encode(const uint8_t *in, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";

    PP_ASSERT(in != NULL || len == 0);
    PP_ASSERT(out != NULL);
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 0x0f];
    }
    out[2 * len] = '\0';
}

/* The value of hex digit c (0-9, a-f, A-F), or -1. Branch-free, so that
** decoding a secret does not leak its digits through timing. */
static int hex_nibble(unsigned char c)
{
    int x = c;
    int digit = x - '0';
    int letter = (x | 0x20) - 'a';
    /* mask_* is -1 when the range test holds, else 0. */
    int mask_digit = ((digit | (9 - digit)) >> 8) ^ -1;
    int mask_letter = ((letter | (5 - letter)) >> 8) ^ -1;
    return (digit & mask_digit) | ((letter + 10) & mask_letter) | ~(mask_digit | mask_letter);
}

int sec_hex_decode(const char *hex, size_t hex_len, uint8_t *out, size_t out_len)
{
    int ok = 0;
    int bad = 0;

    PP_ASSERT(hex != NULL || hex_len == 0);
    PP_ASSERT(out != NULL || out_len == 0);
    if (out_len > SIZE_MAX / 2 || hex_len != 2 * out_len) {
        goto done;
    }
    for (size_t i = 0; i < out_len; i++) {
        int hi = hex_nibble((unsigned char)hex[2 * i]);
        int lo = hex_nibble((unsigned char)hex[2 * i + 1]);
        bad |= hi | lo;
        out[i] = (uint8_t)((((unsigned)hi << 4) | (unsigned)lo) & 0xffu);
    }
    /* A -1 nibble sets the sign bit of `bad`. */
    ok = bad >= 0;
done:
    return ok;
}

void sec_wipe(void *p, size_t len)
{
    PP_ASSERT(p != NULL || len == 0);
    if (len > 0) {
        OPENSSL_cleanse(p, len);
    }
}

enum pp_status sec_uuid_v7(int64_t unix_ms, char *out, struct pp_err *err)
{
    PP_ASSERT(unix_ms >= 0 && unix_ms < (INT64_C(1) << 48));
    uint8_t b[16];
    enum pp_status st = sec_random_bytes(b + 6, sizeof b - 6, err);
    if (st != PP_OK) {
        out[0] = '\0';
        return st;
    }
    /* 48-bit big-endian milliseconds, then version, random, variant. */
    for (int i = 0; i < 6; i++) {
        b[i] = (uint8_t)((uint64_t)unix_ms >> (8 * (5 - i)));
    }
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x70); /* version 7 */
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 9562 variant */
    char hex[33];
    sec_hex_encode(b, sizeof b, hex);
    snprintf(out, PP_UUID_TEXT_BYTES, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16,
             hex + 20);
    return PP_OK;
}
