/*
** This header declares the one base64url codec of the server (RFC 4648
** section 5, the URL- and file-name-safe alphabet, without padding), used
** by signed tokens (sec/jwt.c) and list cursors (core/cursor.c).
**
** Decoding is strict so that every value has exactly one spelling: no
** padding, no characters outside the alphabet, no impossible lengths and
** no set bits in the unused low bits of the last character. It takes the
** same time whatever the characters (no branches on their values), so it
** may decode secrets.
*/
#ifndef PAYOUT_BASE_BASE64URL_H
#define PAYOUT_BASE_BASE64URL_H

#include <stddef.h>
#include <stdint.h>

/* Characters that encode len bytes (no padding). */
#define PP_BASE64URL_CHARS(len) (((len)*4 + 2) / 3)

/* The 6-bit value of base64url character c, or -1 when c is not one. */
int pp_base64url_value(unsigned char c);

/* Writes the base64url text of in[0..len) and a NUL into out; out_size
** must be at least PP_BASE64URL_CHARS(len) + 1 (asserted). Returns the
** characters written, without the NUL. */
size_t pp_base64url_encode(const uint8_t *in, size_t len, char *out, size_t out_size);

/* Decodes in[0..len) into out (out_size bytes) and sets *out_len. Returns
** 1, or 0 for padding, a character outside the alphabet, a length no byte
** string encodes to, a result longer than out_size, or non-canonical text
** (unused trailing bits set); out may then hold a partial result. */
int pp_base64url_decode(const char *in, size_t len, uint8_t *out, size_t out_size, size_t *out_len);

#endif /* PAYOUT_BASE_BASE64URL_H */
