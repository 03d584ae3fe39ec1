/*
** This header declares webhook signing as Standard Webhooks 1.0 defines it
** (spec §9): an endpoint's secret is "whsec_" followed by the base64 of
** random bytes, and a delivery's webhook-signature value is
**
**     v1,<base64 of HMAC-SHA256(secret bytes, "{id}.{timestamp}.{body}")>
**
** where the secret bytes are the base64-decoded part after "whsec_". While
** a rotated secret is still valid the caller joins one such value per
** secret with spaces. Pure functions: nothing is stored or logged here.
*/
#ifndef PAYOUT_SEC_WEBHOOK_SIGN_H
#define PAYOUT_SEC_WEBHOOK_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "payout/limits.h"
#include "payout/status.h"

#define SEC_WEBHOOK_SECRET_PREFIX "whsec_"
/* A new secret's text plus NUL: the prefix and the padded base64 of
** PP_WEBHOOK_SECRET_BYTES (44 characters for 32 bytes). */
#define SEC_WEBHOOK_SECRET_TEXT_BYTES                                                              \
    (sizeof SEC_WEBHOOK_SECRET_PREFIX - 1 + (PP_WEBHOOK_SECRET_BYTES + 2) / 3 * 4 + 1)
/* One signature plus NUL: "v1," and the base64 of 32 bytes. */
#define SEC_WEBHOOK_SIGNATURE_BYTES (3 + 44 + 1)

/* Writes a new secret ("whsec_" + base64 of PP_WEBHOOK_SECRET_BYTES from
** the CSPRNG) into out. PP_INTERNAL if the CSPRNG fails; then out is "". */
enum pp_status sec_webhook_secret_create(char out[SEC_WEBHOOK_SECRET_TEXT_BYTES],
                                         struct pp_err *err);

/* Signs one delivery: msg_id (the event id sent as webhook-id; non-empty,
** NUL-terminated, asserted), timestamp_s (the webhook-timestamp of this
** attempt, >= 0, asserted) and body[0..body_len) (the exact bytes sent),
** with secret (NUL-terminated; all inputs borrowed). Writes "v1,<base64>"
** into out.
** PP_INVALID_PARAMS when secret does not start with "whsec_" or the rest
** is not canonical padded base64 of PP_WEBHOOK_SECRET_BYTES_MIN..MAX bytes;
** PP_INTERNAL if OpenSSL fails. On failure out is "". */
enum pp_status sec_webhook_sign(const char *secret, const char *msg_id, int64_t timestamp_s,
                                const void *body, size_t body_len,
                                char out[SEC_WEBHOOK_SIGNATURE_BYTES], struct pp_err *err);

#endif /* PAYOUT_SEC_WEBHOOK_SIGN_H */
