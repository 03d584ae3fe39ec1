/*
** This header declares the two-factor setup URI that authenticator apps
** read from a QR code (the "otpauthUri" of spec §7's setup answer):
**
**   otpauth://totp/<issuer>:<email>?secret=<base32>&issuer=<issuer>
**       &algorithm=SHA1&digits=6&period=30
**
** Issuer and e-mail are percent-encoded as UTF-8 bytes: every byte except
** A-Z a-z 0-9 - . _ ~ and '@' becomes %XX (upper-case hex), so '+' is %2B
** (never read as a space), a space %20 and "é" %C3%A9. The secret is
** base32, upper case, without padding.
*/
#ifndef PAYOUT_SEC_OTPAUTH_H
#define PAYOUT_SEC_OTPAUTH_H

#include <stddef.h>
#include <stdint.h>

#include "payout/limits.h"
#include "payout/status.h"

/* Writes the URI for issuer and email (NUL-terminated, borrowed) and
** secret[0..secret_len) (borrowed, 1..PP_TOTP_SECRET_BYTES_MAX, asserted)
** plus a NUL into out, which has PP_OTPAUTH_URI_BYTES (asserted), enough
** for the longest issuer, e-mail and secret.
** PP_INVALID_PARAMS, with out set to "", when issuer is empty, longer than
** PP_OTPAUTH_ISSUER_BYTES_MAX or contains ':', or when email is empty,
** longer than PP_EMAIL_BYTES_MAX or contains ':' (the label's separator,
** which authenticator apps do not allow inside either part). */
enum pp_status sec_otpauth_uri_build(const char *issuer, const char *email, const uint8_t *secret,
                                     size_t secret_len, char *out, size_t out_size,
                                     struct pp_err *err);

#endif /* PAYOUT_SEC_OTPAUTH_H */
