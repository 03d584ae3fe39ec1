/*
** This header declares authentication: exchanging the authentication
** password for an API key, admin log-in, and verifying either kind of
** token, including its revocation.
*/
#ifndef PAYOUT_CORE_AUTH_H
#define PAYOUT_CORE_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "payout/model/user.h"
#include "payout/sec/jwt.h"
#include "payout/status.h"

struct core_app;

/* Who calls. A panel user (spec §7) is role SEC_ROLE_ADMIN with their
** user_role: the token's role name predates the other roles. */
struct core_principal {
    enum sec_role role;     /* 0 = anonymous */
    int64_t admin_id;       /* the user's id; 0 unless role is SEC_ROLE_ADMIN */
    enum pp_role user_role; /* the user's role; PP_ROLE_NONE for the API key */
    int two_factor;         /* 1 when the user has two-factor on */
    int via_session;        /* 1 when the session cookie authenticated the call */
    char session_hash[PP_SESSION_HASH_TEXT_BYTES]; /* when via_session */
    char csrf_token[PP_CSRF_TEXT_BYTES];           /* when via_session */
};

/* Verifies an API key or a user's token (signature, algorithm, expiry, and
** that it has not been revoked: the integration's generation for an API
** key; for a user, that the user exists, is enabled and is still at the
** token's generation). PP_UNAUTHORIZED otherwise. */
enum pp_status core_auth_verify(struct core_app *app, const char *token, size_t len,
                                struct core_principal *out, struct pp_err *err);

/* Exchanges the authentication password for a 24-hour API key (new heap
** string in *token_out). PP_BAD_CREDENTIALS when the integration is off or
** the password is wrong (compared in constant time). */
enum pp_status core_auth_authenticate(struct core_app *app, const char *password, size_t len,
                                      char **token_out, struct pp_err *err);

/* Loads the token signing key from the settings, creating (and storing) a
** random one on first start. Called by core_app_open. */
enum pp_status core_auth_key_load(struct core_app *app, struct pp_err *err);

#endif /* PAYOUT_CORE_AUTH_H */
