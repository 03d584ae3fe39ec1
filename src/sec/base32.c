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
#include "payout/base/radix.h"

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

/* The 5-bit value of c (A-Z, a-z, 2-7), or -1. Setting bit 0x20 maps only
** A-Z onto a-z; the digits 2-7 already have it. */
static int char_value(unsigned char c, const void *unused)
{
    (void)unused;
    int x = c;
    int letter = pp_radix_range_mask(x | 0x20, 'a', 'z');
    int digit = pp_radix_range_mask(x, '2', '7');
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
    ok = pp_radix_unpack(text, body, 5, char_value, NULL, out, out_len);
done:
    return ok;
}
