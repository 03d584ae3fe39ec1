/*
** This header declares admin password storage: salted PBKDF2-HMAC-SHA256
** hashes in a self-describing text form,
**     "pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>",
** and their constant-time verification. Plain passwords are never stored.
*/
#ifndef PAYOUT_SEC_PASSWORDS_H
#define PAYOUT_SEC_PASSWORDS_H

#include <stddef.h>

#include "payout/limits.h"
#include "payout/status.h"

/* Sets the iterations of new hashes (sec_password_hash with 0) and of
** sec_password_burn, PP_PBKDF2_ITERATIONS until set; asserts
** PP_PBKDF2_ITERATIONS_MIN..MAX. Process-wide: call once at start, before
** other threads run. Stored hashes carry their own count, so verifying
** them does not depend on it. */
void sec_password_set_iterations(unsigned iterations);

/* Hashes password[0..len) with a fresh random salt and `iterations`
** (0 = the configured count, see above) into out (PP_PASSWORD_HASH_TEXT_BYTES).
** PP_INVALID_PARAMS if len is outside PP_ADMIN_PASSWORD_BYTES_MIN..MAX;
** PP_INTERNAL if OpenSSL fails. */
enum pp_status sec_password_hash(const char *password, size_t len, unsigned iterations, char *out,
                                 size_t out_size, struct pp_err *err);

/* Sets *match_out to 1 when password[0..len) matches `stored`, else 0.
** A malformed `stored` is PP_INTERNAL. Compares digests in constant time.
** Passwords longer than PP_ADMIN_PASSWORD_BYTES_MAX never match (and are
** not hashed, bounding the cost of an attacker's request). */
enum pp_status sec_password_verify(const char *password, size_t len, const char *stored,
                                   int *match_out, struct pp_err *err);

/* Spends the same time as sec_password_verify against a real hash, for a
** login whose e-mail is unknown, so response time does not reveal which
** e-mails exist. */
void sec_password_burn(const char *password, size_t len);

#endif /* PAYOUT_SEC_PASSWORDS_H */
