/*
** This header declares base32 (RFC 4648 §6), the text form of two-factor
** secrets that people type into or scan with an authenticator app.
**
** Output is upper case without padding (20 bytes are 32 characters), as
** authenticator apps expect it in an otpauth:// URI. Input is read with
** some tolerance for what people and other tools write: lower case, and
** the exact padding RFC 4648 would add. Everything else is refused.
*/
#ifndef PAYOUT_SEC_BASE32_H
#define PAYOUT_SEC_BASE32_H

#include <stddef.h>
#include <stdint.h>

/* Characters of the unpadded base32 text of len bytes: ceil(8 * len / 5).
** len at most 1 MiB (asserted). */
size_t sec_base32_encoded_len(size_t len);

/* Writes the upper-case, unpadded base32 of in[0..len) (borrowed) and a NUL
** into out; out_size must be at least sec_base32_encoded_len(len) + 1
** (asserted). */
void sec_base32_encode(const uint8_t *in, size_t len, char *out, size_t out_size);

/* Decodes text[0..len) (borrowed) into out (out_size bytes) and sets
** *out_len. Accepts A-Z, a-z and 2-7, optionally followed by exactly the
** '=' padding that makes the length a multiple of 8. Returns 1 on success;
** 0, with *out_len untouched, for any other character (spaces and hyphens
** included), padding of the wrong length or in the middle, a length no
** encoder writes (1, 3 or 6 characters in the last group), unused trailing
** bits that are not zero (so each value has one spelling), or a result
** larger than out_size. */
int sec_base32_decode(const char *text, size_t len, uint8_t *out, size_t out_size, size_t *out_len);

#endif /* PAYOUT_SEC_BASE32_H */
