/*
** This header declares two-factor codes: HOTP (RFC 4226) and TOTP
** (RFC 6238) with HMAC-SHA1, PP_TOTP_DIGITS digits and PP_TOTP_STEP_S
** steps, the parameters spec §7 fixes and every authenticator app uses.
**
** A code is accepted for the current step and PP_TOTP_DRIFT_STEPS either
** side of it, and only for a step later than the last one accepted for the
** same user: the caller stores the step sec_totp_verify returns, so every
** code works once. Secrets and codes are never logged or kept here.
*/
#ifndef PAYOUT_SEC_TOTP_H
#define PAYOUT_SEC_TOTP_H

#include <stddef.h>
#include <stdint.h>

#include "payout/limits.h"
#include "payout/status.h"

/* The last accepted step of a user who has never had a code accepted. */
#define SEC_TOTP_STEP_NONE (-1)

/* The base32 text of a new secret plus NUL: 32 characters, no padding. */
#define SEC_TOTP_SECRET_TEXT_BYTES ((PP_TOTP_SECRET_BYTES * 8 + 4) / 5 + 1)

/* Writes the HOTP value of counter (RFC 4226 §5.3: HMAC-SHA1, dynamic
** truncation, modulo 10^digits) as exactly `digits` decimal digits with
** leading zeros, plus a NUL, into out (digits + 1 bytes). secret[0..len)
** is borrowed; len is 1..PP_TOTP_SECRET_BYTES_MAX and digits 6..8
** (asserted). PP_INTERNAL, with out set to "", if OpenSSL fails. */
enum pp_status sec_hotp_code(const uint8_t *secret, size_t secret_len, uint64_t counter,
                             unsigned digits, char *out, struct pp_err *err);

/* The TOTP step of the Unix time unix_s (>= 0, asserted):
** unix_s / PP_TOTP_STEP_S. */
int64_t sec_totp_step(int64_t unix_s);

/* Checks the code text code[0..code_len) (untrusted, borrowed) against
** secret[0..secret_len) (borrowed, as for sec_hotp_code) at the Unix time
** now_s (>= 0, asserted), for a user whose last accepted step is last_step
** (SEC_TOTP_STEP_NONE if none).
**
** The text must be exactly PP_TOTP_DIGITS ASCII digits; anything else
** (spaces, signs, other lengths, a NUL inside) is refused before any HMAC
** is computed. Otherwise the codes of the steps T - PP_TOTP_DRIFT_STEPS ..
** T + PP_TOTP_DRIFT_STEPS (T = sec_totp_step(now_s)) are all computed and
** compared in constant time; a match counts only for a step > last_step.
**
** PP_OK: *step_out is the matched step (the earliest, should two steps
** share a code); the caller stores it as the new last step before
** answering. PP_UNAUTHORIZED: malformed, wrong, out of the window or
** already used (one message for the last three, so a replay does not learn
** that its code was right). PP_INTERNAL if OpenSSL fails. *step_out is
** written only on PP_OK. */
enum pp_status sec_totp_verify(const uint8_t *secret, size_t secret_len, const char *code,
                               size_t code_len, int64_t now_s, int64_t last_step, int64_t *step_out,
                               struct pp_err *err);

/* Draws a new secret of PP_TOTP_SECRET_BYTES from the CSPRNG into secret
** and writes its base32 text (the "secret" of spec §7's setup answer) into
** text. The caller seals the secret before storing it (sec/seal.h) and
** wipes both buffers after use. PP_INTERNAL if the CSPRNG fails; then both
** are zeroed. */
enum pp_status sec_totp_secret_create(uint8_t secret[PP_TOTP_SECRET_BYTES],
                                      char text[SEC_TOTP_SECRET_TEXT_BYTES], struct pp_err *err);

#endif /* PAYOUT_SEC_TOTP_H */
