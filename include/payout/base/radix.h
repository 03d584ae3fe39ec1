/*
** This header declares what the text codecs of a power-of-two radix share
** (base64 and base64url in base64.c, base32 in sec/base32.c): a branch-free
** range test for mapping characters to values, and the unpacking of
** k-bit characters into bytes. Neither branches on the text, so decoding
** a secret takes the same time whatever it holds.
*/
#ifndef PAYOUT_BASE_RADIX_H
#define PAYOUT_BASE_RADIX_H

#include <stddef.h>
#include <stdint.h>

/* -1 when lo <= x <= hi, else 0 (x, lo and hi between 0 and 255). */
int pp_radix_range_mask(int x, int lo, int hi);

/* The value of character c in a codec's alphabet (0 .. 2^k - 1), or -1. */
typedef int (*pp_radix_value_fn)(unsigned char c, const void *alphabet);

/* Unpacks text[0..len), each character worth bits_per_char (1..8) bits by
** value_of, into out (the caller has checked that len * bits_per_char / 8
** bytes fit). Every character is read, also after a bad one. Returns 1
** and sets *out_len when every character is valid and the leftover bits
** are zero (a canonical encoding), else 0. */
int pp_radix_unpack(const char *text, size_t len, unsigned bits_per_char,
                    pp_radix_value_fn value_of, const void *alphabet, uint8_t *out,
                    size_t *out_len);

#endif /* PAYOUT_BASE_RADIX_H */
