/*
** This header declares the one base64 codec of the server (RFC 4648), in
** its two alphabets:
**
**   base64url (section 5, "-_", no padding): signed tokens (sec/jwt.c),
**   list cursors (core/cursor.c), sealed secrets, session ids and CSRF
**   tokens;
**   base64 (section 4, "+/", padded with '='): webhook secrets and
**   signatures, as Standard Webhooks writes them.
**
** Decoding is strict so that every value has exactly one spelling: no
** whitespace, no characters outside the alphabet, no impossible lengths,
** no set bits in the unused low bits of the last character, and padding
** exactly as the encoder writes it (none at all in base64url). Character
** values are computed without branches on the characters, both ways, so
** the codec may encode and decode secrets.
*/
#ifndef PAYOUT_BASE_BASE64_H
#define PAYOUT_BASE_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Characters that encode len bytes in base64url (no padding). */
#define PP_BASE64URL_CHARS(len) (((len)*4 + 2) / 3)

/* Characters that encode len bytes in padded base64: 4 * ceil(len / 3). */
#define PP_BASE64_CHARS(len) (((len) + 2) / 3 * 4)

/* The 6-bit value of base64url character c, or -1 when c is not one. */
int pp_base64url_value(unsigned char c);

/* 1 when text[0..len) (borrowed) consists of base64url characters only
** ('=' included among the refused), else 0. Reads every character. */
int pp_base64url_is_text(const char *text, size_t len);

/* Writes the base64url text of in[0..len) (borrowed) and a NUL into out;
** out_size must be at least PP_BASE64URL_CHARS(len) + 1 (asserted).
** Returns the characters written, without the NUL. */
size_t pp_base64url_encode(const uint8_t *in, size_t len, char *out, size_t out_size);

/* Writes the padded base64 text of in[0..len) (borrowed) and a NUL into
** out; out_size must be at least PP_BASE64_CHARS(len) + 1 (asserted).
** Returns the characters written, without the NUL. */
size_t pp_base64_encode(const uint8_t *in, size_t len, char *out, size_t out_size);

/* Decodes the base64url in[0..len) (borrowed) into out (out_size bytes)
** and sets *out_len. Returns 1, or 0 with *out_len untouched for padding,
** a character outside the alphabet, a length no byte string encodes to, a
** result longer than out_size, or non-canonical text (unused trailing bits
** set); out may then hold a partial result (callers decoding a secret
** wipe it). */
int pp_base64url_decode(const char *in, size_t len, uint8_t *out, size_t out_size, size_t *out_len);

/* The same for padded base64: len must be a multiple of 4, with one or two
** '=' at the end exactly when the last group carries two or one bytes,
** and '=' nowhere else. */
int pp_base64_decode(const char *in, size_t len, uint8_t *out, size_t out_size, size_t *out_len);

#endif /* PAYOUT_BASE_BASE64_H */
