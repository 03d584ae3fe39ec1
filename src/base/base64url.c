/*
** This module implements the base64url codec of payout/base/base64url.h:
** unpadded encoding and the strict, canonical decoding that signed tokens
** and list cursors rely on (a value has one spelling, so a tag over its
** bytes also covers its text). Character values are computed without
** branches or table lookups and a bad character does not end the loop, so
** decoding takes the same time whatever the text holds. It knows nothing
** of what the bytes mean.
*/
#include "payout/base/base64url.h"

#include "payout/base/assert.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* -1 when lo <= x <= hi, else 0 (x, lo and hi between 0 and 255). */
static int range_mask(int x, int lo, int hi)
{
    int d = x - lo;
    return ((d | (hi - lo - d)) >> 8) ^ -1;
}

/* Without branches or table lookups, so that decoding a secret takes the
** same time whatever its characters. */
int pp_base64url_value(unsigned char c)
{
    int x = c;
    int upper = range_mask(x, 'A', 'Z');
    int lower = range_mask(x, 'a', 'z');
    int digit = range_mask(x, '0', '9');
    int v62 = range_mask(x, '-', '-');
    int v63 = range_mask(x, '_', '_');
    return ((x - 'A') & upper) | ((x - 'a' + 26) & lower) | ((x - '0' + 52) & digit) | (62 & v62) |
           (63 & v63) | ~(upper | lower | digit | v62 | v63);
}

size_t pp_base64url_encode(const uint8_t *in, size_t len, char *out, size_t out_size)
{
    size_t n = 0;
    PP_ASSERT(out_size >= PP_BASE64URL_CHARS(len) + 1);
    for (size_t i = 0; i < len; i += 3) {
        size_t have = len - i < 3 ? len - i : 3;
        uint32_t chunk = (uint32_t)in[i] << 16;
        chunk |= have > 1 ? (uint32_t)in[i + 1] << 8 : 0;
        chunk |= have > 2 ? (uint32_t)in[i + 2] : 0;
        for (size_t k = 0; k < have + 1; k++) {
            out[n++] = alphabet[(chunk >> (18 - 6 * k)) & 63];
        }
    }
    out[n] = '\0';
    return n;
}

int pp_base64url_decode(const char *in, size_t len, uint8_t *out, size_t out_size, size_t *out_len)
{
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t n = 0;
    int bad = 0;
    int ok = 0;

    /* A remainder of one character carries only 6 bits: no byte string
    ** encodes to it. */
    if (len % 4 == 1 || len / 4 * 3 + (len % 4 == 0 ? 0 : len % 4 - 1) > out_size) {
        goto done;
    }
    /* Every character is read even after a bad one (no early exit). */
    for (size_t i = 0; i < len; i++) {
        int value = pp_base64url_value((unsigned char)in[i]);
        bad |= value;
        acc = (acc << 6) | ((uint32_t)value & 0x3fu);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (uint8_t)((acc >> bits) & 0xffu);
            acc &= (1u << bits) - 1u;
        }
    }
    /* A -1 value sets the sign bit of bad; leftover bits must be zero. */
    if (bad < 0 || acc != 0) {
        goto done;
    }
    *out_len = n;
    ok = 1;
done:
    return ok;
}
