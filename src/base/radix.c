/*
** This module implements the shared core of the power-of-two radix text
** codecs (payout/base/radix.h): the branch-free range mask and the
** unpacking of k-bit characters into bytes, with no early exit on a bad
** character. The alphabets themselves are the codecs' own.
*/
#include "payout/base/radix.h"

#include "payout/base/assert.h"

int pp_radix_range_mask(int x, int lo, int hi)
{
    int d = x - lo;
    return ((d | (hi - lo - d)) >> 8) ^ -1;
}

int pp_radix_unpack(const char *text, size_t len, unsigned bits_per_char,
                    pp_radix_value_fn value_of, const void *alphabet, uint8_t *out, size_t *out_len)
{
    PP_ASSERT(bits_per_char >= 1 && bits_per_char <= 8);
    uint32_t mask = (1u << bits_per_char) - 1u;
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t n = 0;
    int bad = 0;
    for (size_t i = 0; i < len; i++) {
        int value = value_of((unsigned char)text[i], alphabet);
        bad |= value;
        acc = ((acc << bits_per_char) | ((uint32_t)value & mask)) & 0xffffu;
        bits += bits_per_char;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (uint8_t)((acc >> bits) & 0xffu);
            acc &= (1u << bits) - 1u;
        }
    }
    /* A -1 value sets the sign bit of bad; leftover bits must be zero. */
    if (bad < 0 || acc != 0) {
        return 0;
    }
    *out_len = n;
    return 1;
}
