/*
** This module implements a user's two-factor sign-in (spec §7): setting
** it up (a new secret sealed as pending and shown once), enabling it with
** a first code, disabling it with the password and a code, and checking a
** code against a sealed secret for sign_in.c. Secrets are sealed with the
** key derived from the server's master secret and bound to "user <id>",
** so a sealed secret copied to another row does not open. A code's step
** is stored by the store operation that accepts it, so each code works
** once even when two requests race.
**
** It does not sign anyone in (sign_in.c) and does not reset a user's
** two-factor for an admin (users.c).
*/
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "payout/base/assert.h"
#include "payout/core/dates.h"
#include "payout/core/users.h"
#include "payout/sec/otpauth.h"
#include "payout/sec/passwords.h"
#include "payout/sec/secrets.h"
#include "payout/sec/totp.h"
#include "users_internal.h"
#include "write.h"

void users_seal_context(int64_t user_id, char out[USERS_SEAL_CONTEXT_BYTES])
{
    snprintf(out, USERS_SEAL_CONTEXT_BYTES, "user %" PRId64, user_id);
}

enum pp_status users_seal_key(struct core_app *app, const struct sec_seal_key **key_out,
                              struct pp_err *err)
{
    if (!app->users->has_key) {
        *key_out = NULL;
        return pp_err_set(err, PP_INTERNAL,
                          "two-factor sign-in is unavailable: the server has no master secret");
    }
    *key_out = &app->users->key;
    return PP_OK;
}

enum pp_status users_secret_open(struct core_app *app, int64_t user_id, const char *sealed,
                                 uint8_t *secret, size_t *len_out, struct pp_err *err)
{
    const struct sec_seal_key *key = NULL;
    char context[USERS_SEAL_CONTEXT_BYTES];
    users_seal_context(user_id, context);
    enum pp_status st = users_seal_key(app, &key, err);
    if (st == PP_OK) {
        st = sec_seal_decrypt(key, context, sealed, strlen(sealed), secret,
                              PP_TOTP_SECRET_BYTES_MAX, len_out, err);
    }
    return st;
}

enum pp_status users_code_check(struct core_app *app, const struct pp_user *u, const char *sealed,
                                const char *code, int64_t *step_out, struct pp_err *err)
{
    uint8_t secret[PP_TOTP_SECRET_BYTES_MAX];
    size_t len = 0;
    enum pp_status st = users_secret_open(app, u->id, sealed, secret, &len, err);
    if (st == PP_OK) {
        st = sec_totp_verify(secret, len, code, strlen(code), core_now_ms() / 1000,
                             u->totp_last_step, step_out, err);
    }
    sec_wipe(secret, sizeof secret);
    return st;
}

/* Runs a two-factor change of user_id through the store. */
static enum pp_status two_factor_write(struct core_app *app, const struct pp_actor *actor,
                                       const struct store_user_two_factor *in, struct pp_user *out,
                                       struct pp_err *err)
{
    struct core_write uw;
    core_write_begin(&uw, actor, core_now_ms());
    enum pp_status st = store_user_two_factor(app->store, &uw.ctx, in, out, err);
    core_write_end(&uw, st);
    return st;
}

enum pp_status core_two_factor_setup(struct core_app *app, const struct pp_actor *actor,
                                     int64_t user_id,
                                     char secret_out[CORE_TWO_FACTOR_SECRET_TEXT_BYTES],
                                     char uri_out[PP_OTPAUTH_URI_BYTES], struct pp_err *err)
{
    _Static_assert(SEC_TOTP_SECRET_TEXT_BYTES <= CORE_TWO_FACTOR_SECRET_TEXT_BYTES,
                   "the setup answer holds the base32 secret");
    uint8_t secret[PP_TOTP_SECRET_BYTES];
    char sealed[PP_TOTP_SEALED_BYTES];
    char context[USERS_SEAL_CONTEXT_BYTES];
    const struct sec_seal_key *key = NULL;
    struct pp_user user;
    secret_out[0] = '\0';
    uri_out[0] = '\0';
    enum pp_status st = users_seal_key(app, &key, err);
    if (st == PP_OK) {
        st = store_user_get(app->store, user_id, &user, err);
    }
    if (st == PP_OK && user.totp_sealed[0] != '\0') {
        st = pp_err_set(err, PP_CONFLICT, "two-factor sign-in is already on");
    }
    if (st == PP_OK) {
        st = sec_totp_secret_create(secret, secret_out, err);
    }
    if (st == PP_OK) {
        users_seal_context(user_id, context);
        st = sec_seal_encrypt(key, context, secret, sizeof secret, sealed, sizeof sealed, err);
    }
    if (st == PP_OK) {
        st = sec_otpauth_uri_build(PP_OTPAUTH_ISSUER, user.email, secret, sizeof secret, uri_out,
                                   PP_OTPAUTH_URI_BYTES, err);
    }
    if (st == PP_OK) {
        struct store_user_two_factor in = {
            .id = user_id, .change = STORE_TWO_FACTOR_SETUP, .sealed = sealed};
        st = two_factor_write(app, actor, &in, &user, err);
    }
    if (st != PP_OK) {
        sec_wipe(secret_out, CORE_TWO_FACTOR_SECRET_TEXT_BYTES);
        sec_wipe(uri_out, PP_OTPAUTH_URI_BYTES);
    }
    sec_wipe(secret, sizeof secret);
    sec_wipe(&user, sizeof user);
    return st;
}

enum pp_status core_two_factor_enable(struct core_app *app, const struct pp_actor *actor,
                                      int64_t user_id, const char *code, struct pp_user *out,
                                      struct pp_err *err)
{
    struct pp_user user;
    int64_t step = 0;
    enum pp_status st = store_user_get(app->store, user_id, &user, err);
    if (st == PP_OK && user.totp_sealed[0] != '\0') {
        st = pp_err_set(err, PP_CONFLICT, "two-factor sign-in is already on");
    } else if (st == PP_OK && user.totp_pending_sealed[0] == '\0') {
        st = pp_err_set(err, PP_CONFLICT,
                        "no two-factor setup to enable: POST /api/account/two-factor/setup first");
    }
    if (st == PP_OK) {
        st = users_code_check(app, &user, user.totp_pending_sealed, code, &step, err);
    }
    if (st == PP_OK) {
        struct store_user_two_factor in = {.id = user_id,
                                           .change = STORE_TWO_FACTOR_ENABLE,
                                           .sealed = user.totp_pending_sealed,
                                           .step = step};
        st = two_factor_write(app, actor, &in, out, err);
    }
    sec_wipe(&user, sizeof user);
    return st;
}

enum pp_status core_two_factor_disable(struct core_app *app, const struct pp_actor *actor,
                                       int64_t user_id, const char *password, const char *code,
                                       struct pp_user *out, struct pp_err *err)
{
    struct pp_user user;
    int64_t step = 0;
    int match = 0;
    enum pp_status st = store_user_get(app->store, user_id, &user, err);
    if (st == PP_OK && user.totp_sealed[0] == '\0') {
        st = pp_err_set(err, PP_CONFLICT, "two-factor sign-in is off");
    }
    if (st == PP_OK) {
        st = sec_password_verify(password, strlen(password), user.password_hash, &match, err);
    }
    if (st == PP_OK && !match) {
        st = pp_err_set(err, PP_UNAUTHORIZED, "password is wrong");
    }
    if (st == PP_OK) {
        st = users_code_check(app, &user, user.totp_sealed, code, &step, err);
    }
    if (st == PP_OK) {
        struct store_user_two_factor in = {
            .id = user_id, .change = STORE_TWO_FACTOR_DISABLE, .step = step};
        st = two_factor_write(app, actor, &in, out, err);
    }
    sec_wipe(&user, sizeof user);
    return st;
}
