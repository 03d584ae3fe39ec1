/*
** This header declares API-key and admin-token handling: HS256 JSON Web
** Tokens issued and verified with libjwt. The algorithm is pinned: a token
** whose header names anything but HS256 ("none", HS512, RS256, ...) is
** refused before and checked again after decoding.
**
** Claims: "iat", "exp" (seconds), "role" ("integrator" or "admin"), "sub"
** (admin id as a decimal string; "integrator" for API keys) and "gen" (the
** generation the token belongs to: the server bumps it to revoke every
** older token at once).
*/
#ifndef PAYOUT_SEC_JWT_H
#define PAYOUT_SEC_JWT_H

#include <stddef.h>
#include <stdint.h>

#include "payout/limits.h"
#include "payout/status.h"

enum sec_role { SEC_ROLE_INTEGRATOR = 1, SEC_ROLE_ADMIN = 2 };

struct sec_claims {
    enum sec_role role;
    int64_t subject;    /* admin id; 0 for an integrator */
    int64_t generation; /* revocation generation */
    int64_t iat_s;
    int64_t exp_s;
};

/* Issues a token for claims (iat_s and exp_s as given) signed with
** key[0..PP_JWT_KEY_BYTES). *token_out is new heap memory (free() it).
** PP_INTERNAL if libjwt fails. */
enum pp_status sec_jwt_issue(const uint8_t *key, const struct sec_claims *claims, char **token_out,
                             struct pp_err *err);

/* Verifies token[0..len) against key at time now_s and fills *out.
** PP_UNAUTHORIZED (with a short, non-leaking message) when: len is 0 or
** over PP_TOKEN_BYTES_MAX; it is not three base64url parts; the header's
** alg is not exactly "HS256"; the signature does not match; a claim is
** missing or of the wrong type; exp <= now_s; iat > now_s + 60 (clock
** skew); nbf, if present, > now_s + 60; role is unknown. */
enum pp_status sec_jwt_verify(const uint8_t *key, const char *token, size_t len, int64_t now_s,
                              struct sec_claims *out, struct pp_err *err);

/* How many of this thread's verifications found the token among those it
** verified before (no HMAC, no parse; the times judged again). */
uint64_t sec_jwt_verified_hits(void);

#endif /* PAYOUT_SEC_JWT_H */
