/*
** This private header is what the modules of the panel's users share
** (users.c, two_factor.c, sign_in.c): the users state of an app, the
** write context of a store operation with the request's Idempotency-Key,
** and the sealing of two-factor secrets.
*/
#ifndef PAYOUT_CORE_USERS_INTERNAL_H
#define PAYOUT_CORE_USERS_INTERNAL_H

#include <stdatomic.h>
#include <stdint.h>

#include "internal.h"
#include "payout/model/user.h"
#include "payout/sec/seal.h"

struct core_users_state {
    /* Set by core_users_configure before serving, then read-only. */
    int64_t idle_s;
    int64_t max_s;
    int has_key;
    struct sec_seal_key key;
    /* security.requireTwoFactor, written by core_security_set. */
    atomic_int require_two_factor;
};

/* The sealing context of user id's two-factor secret ("user <id>"). */
#define USERS_SEAL_CONTEXT_BYTES 32
void users_seal_context(int64_t user_id, char out[USERS_SEAL_CONTEXT_BYTES]);

/* The sealing key, or PP_INTERNAL when the server has no master secret. */
enum pp_status users_seal_key(struct core_app *app, const struct sec_seal_key **key_out,
                              struct pp_err *err);

/* Opens user_id's sealed secret into secret (PP_TOTP_SECRET_BYTES_MAX
** bytes), *len_out its length. The caller wipes secret. */
enum pp_status users_secret_open(struct core_app *app, int64_t user_id, const char *sealed,
                                 uint8_t *secret, size_t *len_out, struct pp_err *err);

/* Checks code against user u's sealed secret at now; *step_out on PP_OK. */
enum pp_status users_code_check(struct core_app *app, const struct pp_user *u, const char *sealed,
                                const char *code, int64_t *step_out, struct pp_err *err);

/* 1 when email looks like an address (one '@', text either side, at most
** PP_EMAIL_BYTES_MAX). */
int users_email_valid(const char *email);

#endif /* PAYOUT_CORE_USERS_INTERNAL_H */
