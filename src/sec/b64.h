/*
** This header declares the sec layer's own base64 coding, private to
** src/sec/ (it is not under include/, so no other layer can reach it):
** standard base64 (RFC 4648 §4, padded) for webhook secrets and signatures,
** and base64url (RFC 4648 §5, unpadded) for sealed secrets, session ids and
** CSRF tokens. It goes away when the tree has one shared codec.
**
** Decoding is strict: one spelling per value. Characters outside the
** alphabet, whitespace, misplaced or missing padding, impossible lengths
** and unused trailing bits that are not zero are all refused.
*/
#ifndef PAYOUT_SEC_B64_H
#define PAYOUT_SEC_B64_H

#include <stddef.h>
#include <stdint.h>

/* Characters of the padded base64 text of len bytes: 4 * ceil(len / 3). */
size_t sec_b64_encoded_len(size_t len);

/* Characters of the unpadded base64url text of len bytes: ceil(4 * len / 3). */
size_t sec_b64url_encoded_len(size_t len);

/* Writes the padded base64 of in[0..len) and a NUL into out; out_size must
** be at least sec_b64_encoded_len(len) + 1 (asserted), len at most 1 MiB. */
void sec_b64_encode(const uint8_t *in, size_t len, char *out, size_t out_size);

/* Writes the unpadded base64url of in[0..len) and a NUL into out; out_size
** must be at least sec_b64url_encoded_len(len) + 1 (asserted), len at most
** 1 MiB. */
void sec_b64url_encode(const uint8_t *in, size_t len, char *out, size_t out_size);

/* Decodes the padded base64 text[0..len) into out (out_size bytes) and sets
** *out_len. Returns 1 on success; 0 on any flaw listed above or when the
** result would not fit, and then *out_len is untouched (out may hold
** garbage: callers decoding a secret wipe it). */
int sec_b64_decode(const char *text, size_t len, uint8_t *out, size_t out_size, size_t *out_len);

/* The same for unpadded base64url text; any '=' is refused. */
int sec_b64url_decode(const char *text, size_t len, uint8_t *out, size_t out_size, size_t *out_len);

/* 1 when text[0..len) consists of base64url characters only (no padding). */
int sec_b64url_is_text(const char *text, size_t len);

#endif /* PAYOUT_SEC_B64_H */
