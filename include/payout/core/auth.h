/*
** This header declares authentication: exchanging the authentication
** password for an API key, admin log-in, and verifying either kind of
** token, including its revocation.
*/
#ifndef PAYOUT_CORE_AUTH_H
#define PAYOUT_CORE_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "payout/sec/jwt.h"
#include "payout/status.h"

struct core_app;

struct core_principal {
    enum sec_role role; /* 0 = anonymous */
    int64_t admin_id;   /* 0 unless role is SEC_ROLE_ADMIN */
};

/* Verifies an API key or admin token (signature, algorithm, expiry, and
** that it has not been revoked). PP_UNAUTHORIZED otherwise. */
enum pp_status core_auth_verify(struct core_app *app, const char *token, size_t len,
                                struct core_principal *out, struct pp_err *err);

/* Exchanges the authentication password for a 24-hour API key (new heap
** string in *token_out). PP_BAD_CREDENTIALS when the integration is off or
** the password is wrong (compared in constant time). */
enum pp_status core_auth_authenticate(struct core_app *app, const char *password, size_t len,
                                      char **token_out, struct pp_err *err);

/* Admin log-in: an 8-hour admin token in *token_out (new heap string).
** PP_UNAUTHORIZED for an unknown e-mail or a wrong password alike. */
enum pp_status core_auth_admin_login(struct core_app *app, const char *email, const char *password,
                                     size_t password_len, char **token_out, struct pp_err *err);

/* Loads the token signing key from the settings, creating (and storing) a
** random one on first start. Called by core_app_open. */
enum pp_status core_auth_key_load(struct core_app *app, struct pp_err *err);

#endif /* PAYOUT_CORE_AUTH_H */
