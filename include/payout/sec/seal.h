/*
** This header declares secrets at rest: a small secret (a two-factor
** secret, later webhook secrets) is sealed with AES-256-GCM before it is
** stored, so the database alone never reveals it, and opened when it is
** needed. The sealed form is one line of text:
**
**     v1.<base64url nonce>.<base64url ciphertext and 16-byte tag>
**
** with a fresh random 96-bit nonce per seal. The key is never stored: it
** is derived with HKDF-SHA256 (RFC 5869) from a master secret the server
** keeps outside the database, with a label per use, so one master yields
** independent keys. A context text (for example "user 42") is
** authenticated with the ciphertext, so a sealed value copied onto another
** row does not open there.
**
** Nothing here logs; keys and opened secrets live in caller-owned memory
** that the caller wipes (sec_seal_key_wipe, sec_wipe).
*/
#ifndef PAYOUT_SEC_SEAL_H
#define PAYOUT_SEC_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "payout/limits.h"
#include "payout/status.h"

#define SEC_SEAL_KEY_BYTES 32
#define SEC_SEAL_NONCE_BYTES 12
#define SEC_SEAL_TAG_BYTES 16

/* The label of the key that seals two-factor secrets. A new use gets a new
** label; changing this one makes every stored two-factor secret unopenable. */
#define SEC_SEAL_LABEL_TWO_FACTOR "payout-panel two-factor secret v1"

/* An AES-256 key (caller-owned; wipe with sec_seal_key_wipe). */
struct sec_seal_key {
    uint8_t bytes[SEC_SEAL_KEY_BYTES];
};

/* HKDF-SHA256 (RFC 5869, extract then expand) of ikm[0..ikm_len) with
** salt[0..salt_len) (salt_len 0: a salt of zeros, as the RFC says) and
** info[0..info_len), writing out_len bytes (1..255 * 32) into out. All
** inputs borrowed. PP_INTERNAL if OpenSSL fails. */
enum pp_status sec_seal_hkdf_sha256(const uint8_t *ikm, size_t ikm_len, const uint8_t *salt,
                                    size_t salt_len, const uint8_t *info, size_t info_len,
                                    uint8_t *out, size_t out_len, struct pp_err *err);

/* Derives the key for label (non-empty, NUL-terminated; asserted) from
** master[0..master_len) (borrowed) with HKDF-SHA256, no salt, info =
** label. PP_INVALID_PARAMS when master_len is outside
** PP_SEAL_MASTER_BYTES_MIN..MAX; PP_INTERNAL if OpenSSL fails. On failure
** *key_out is zeroed. */
enum pp_status sec_seal_key_derive(const uint8_t *master, size_t master_len, const char *label,
                                   struct sec_seal_key *key_out, struct pp_err *err);

/* Overwrites *key with zeros. NULL is a no-op. */
void sec_seal_key_wipe(struct sec_seal_key *key);

/* Characters (without NUL) of the sealed text of a plain_len-byte secret
** (plain_len at most PP_SEAL_PLAIN_BYTES_MAX, asserted). */
size_t sec_seal_text_len(size_t plain_len);

/* Seals plain[0..plain_len) (borrowed) under key, binding context
** (NUL-terminated, may be ""), and writes the text and a NUL into out;
** out_size must be more than sec_seal_text_len(plain_len) (asserted).
** PP_INVALID_PARAMS when plain_len exceeds PP_SEAL_PLAIN_BYTES_MAX;
** PP_INTERNAL if the CSPRNG or OpenSSL fails. On failure out is "". */
enum pp_status sec_seal_encrypt(const struct sec_seal_key *key, const char *context,
                                const uint8_t *plain, size_t plain_len, char *out, size_t out_size,
                                struct pp_err *err);

/* Opens text[0..text_len) (borrowed) sealed under key with the same
** context, writing the secret into plain_out (plain_size bytes) and its
** length into *plain_len_out. Every failure is PP_INTERNAL (a sealed value
** comes from the server's own storage, so it means a wrong master secret
** or altered data), with a message naming the cause: a version other than
** "v1", a malformed text, a secret larger than plain_size, or a tag that
** does not verify (wrong key, wrong context or any altered byte). On
** failure nothing of the secret is left in plain_out. */
enum pp_status sec_seal_decrypt(const struct sec_seal_key *key, const char *context,
                                const char *text, size_t text_len, uint8_t *plain_out,
                                size_t plain_size, size_t *plain_len_out, struct pp_err *err);

#endif /* PAYOUT_SEC_SEAL_H */
