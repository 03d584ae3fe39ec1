/*
** This module implements base32 (RFC 4648 §6) for two-factor secrets:
** upper-case unpadded encoding, and a decoder that accepts lower case and
** the exact RFC padding but nothing else (see sec/base32.h).
**
** Character values are computed without branches or table lookups, so the
** time spent on a secret does not depend on its characters. It does not
** allocate, and it logs nothing.
*/
#include "payout/sec/base32.h"

#include "payout/base/assert.h"

/* Bytes encoded at most in one call: secrets are tens of bytes. */
#define BASE32_BYTES_MAX (1024u * 1024u)

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

size_t sec_base32_encoded_len(size_t len)
{
    PP_ASSERT(len <= BASE32_BYTES_MAX);
    return (len * 8 + 4) / 5;
}

void sec_base32_encode(const uint8_t *in, size_t len, char *out, size_t out_size)
{
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t n = 0;

    PP_ASSERT(in != NULL || len == 0);
    PP_ASSERT(out != NULL && out_size > sec_base32_encoded_len(len));
    for (size_t i = 0; i < len; i++) {
        acc = ((acc << 8) | in[i]) & 0xfffu;
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            out[n++] = alphabet[(acc >> bits) & 0x1fu];
        }
    }
    if (bits > 0) {
        out[n++] = alphabet[(acc << (5 - bits)) & 0x1fu];
    }
    PP_ASSERT(n == sec_base32_encoded_len(len));
    out[n] = '\0';
}

/* -1 when lo <= x <= hi, else 0 (x, lo and hi between 0 and 255). */
static int range_mask(int x, int lo, int hi)
{
    int d = x - lo;
    return ((d | (hi - lo - d)) >> 8) ^ -1;
}

/* The 5-bit value of c (A-Z, a-z, 2-7), or -1. Setting bit 0x20 maps only
** A-Z onto a-z; the digits 2-7 already have it. */
static int char_value(unsigned char c)
{
    int x = c;
    int letter = range_mask(x | 0x20, 'a', 'z');
    int digit = range_mask(x, '2', '7');
    return (((x | 0x20) - 'a') & letter) | ((x - '2' + 26) & digit) | ~(letter | digit);
}

/* The padding RFC 4648 writes after a last group of r characters (r = 0,
** 2, 4, 5, 7), or -1 for a length no encoder writes (1, 3, 6). */
static int padding_for(size_t r)
{
    static const int pad[8] = {0, -1, 6, -1, 4, 3, -1, 1};
    return pad[r % 8];
}

int sec_base32_decode(const char *text, size_t len, uint8_t *out, size_t out_size, size_t *out_len)
{
    size_t body = len;
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t n = 0;
    int bad = 0;
    int ok = 0;

    PP_ASSERT(text != NULL || len == 0);
    PP_ASSERT(out_len != NULL);
    while (body > 0 && text[body - 1] == '=') {
        body--;
    }
    int pad = padding_for(body);
    if (pad < 0 || (body < len && len - body != (size_t)pad) || body * 5 / 8 > out_size) {
        goto done;
    }
    for (size_t i = 0; i < body; i++) {
        int value = char_value((unsigned char)text[i]);
        bad |= value;
        acc = ((acc << 5) | ((uint32_t)value & 0x1fu)) & 0xfffu;
        bits += 5;
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
