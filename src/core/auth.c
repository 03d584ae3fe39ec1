/*
** This module implements authentication: exchanging the authentication
** password for an API key, and verifying an API key or a user's token
** including revocation (the integration's generation for API keys, the
** user's token_generation and disabled flag for users' tokens). Users sign
** in through core/sign_in.c. Tokens themselves are made
** and checked by sec/jwt.c; the signing key is made on first start and
** kept in the settings.
*/
#include "payout/core/auth.h"

#include <inttypes.h>
#include <string.h>

#include "internal.h"
#include "payout/base/arena.h"
#include "payout/base/assert.h"
#include "payout/base/log.h"
#include "payout/core/dates.h"
#include "payout/core/integration.h"
#include "payout/sec/passwords.h"
#include "payout/sec/secrets.h"
#include "write.h"

/* The settings key of the token signing key: hex of PP_JWT_KEY_BYTES. */
#define SETTING_JWT_KEY "jwt_key"

static int64_t now_s(void)
{
    return core_now_ms() / 1000;
}

/* An API key of `generation` checked by a read of the settings now, as
** core_auth_verify checks it. */
static enum pp_status key_read_check(struct core_app *app, int64_t generation, struct pp_err *err)
{
    struct pp_err read_err = {0};
    int current = core_integration_key_current(app, generation, &read_err);
    if (current < 0) {
        return pp_err_set(err, read_err.status, "%s", read_err.message);
    }
    return current ? PP_OK : pp_err_set(err, PP_UNAUTHORIZED, CORE_KEY_REVOKED_MESSAGE);
}

enum pp_status core_auth_verify(struct core_app *app, const char *token, size_t len,
                                struct core_principal *out, struct pp_err *err)
{
    struct sec_claims claims;
    memset(out, 0, sizeof *out);
    enum pp_status st = sec_jwt_verify(app->jwt_key, token, len, now_s(), &claims, err);
    if (st != PP_OK) {
        return st;
    }
    if (claims.role == SEC_ROLE_INTEGRATOR) {
        if (store_shared(app->store)) {
            /* Settled later, on the way (see the contract). */
            out->key_unchecked = 1;
            out->key_generation = claims.generation;
        } else if ((st = key_read_check(app, claims.generation, err)) != PP_OK) {
            return st;
        }
        out->role = SEC_ROLE_INTEGRATOR;
        return PP_OK;
    }
    struct pp_user user;
    struct pp_err lookup_err = {0};
    st = store_user_get(app->store, claims.subject, &user, &lookup_err);
    if (st == PP_NOT_FOUND ||
        (st == PP_OK && (user.token_generation != claims.generation || user.disabled))) {
        st = pp_err_set(err, PP_UNAUTHORIZED, "token has been revoked");
    } else if (st != PP_OK) {
        st = pp_err_set(err, st, "%s", lookup_err.message);
    } else {
        out->role = SEC_ROLE_ADMIN;
        out->admin_id = user.id;
        out->user_role = user.role;
        out->two_factor = user.totp_sealed[0] != '\0';
    }
    sec_wipe(&user, sizeof user);
    return st;
}

void core_auth_key_guard_begin_at(struct core_key_guard *kg, const struct core_principal *p)
{
    PP_ASSERT(p->key_unchecked);
    core_integration_guard(&kg->guard, p->key_generation);
    store_write_guard_set(&kg->guard);
}

struct core_key_guard *core_auth_key_guard_begin(struct pp_arena *arena,
                                                 const struct core_principal *p)
{
    struct core_key_guard *kg = pp_arena_alloc(arena, sizeof *kg);
    core_auth_key_guard_begin_at(kg, p);
    return kg;
}

int core_auth_key_guard_stop(struct core_key_guard *kg)
{
    store_write_guard_set(NULL);
    return kg->guard.outcome == STORE_GUARD_HELD      ? 1
           : kg->guard.outcome == STORE_GUARD_REFUSED ? -1
                                                      : 0;
}

enum pp_status core_auth_key_guard_end(struct core_app *app, struct core_key_guard *kg,
                                       struct pp_err *err)
{
    int held = core_auth_key_guard_stop(kg);
    if (held > 0) {
        return PP_OK;
    }
    if (held < 0) {
        return pp_err_set(err, PP_UNAUTHORIZED, CORE_KEY_REVOKED_MESSAGE);
    }
    /* No write checked it (the handler refused the request first, or
    ** wrote nothing): read it now. */
    return key_read_check(app, kg->guard.expected, err);
}

enum pp_status core_auth_key_confirm(struct core_app *app, const struct core_principal *p,
                                     struct pp_err *err)
{
    return p->key_unchecked ? key_read_check(app, p->key_generation, err) : PP_OK;
}

enum pp_status core_auth_authenticate(struct core_app *app, const char *password, size_t len,
                                      char **token_out, struct pp_err *err)
{
    int64_t generation = 0;
    *token_out = NULL;
    enum pp_status st = core_integration_password_check(app, password, len, &generation, err);
    if (st == PP_OK) {
        int64_t now = now_s();
        struct sec_claims claims = {
            .role = SEC_ROLE_INTEGRATOR,
            .subject = 0,
            .generation = generation,
            .iat_s = now,
            .exp_s = now + PP_API_KEY_TTL_S,
        };
        st = sec_jwt_issue(app->jwt_key, &claims, token_out, err);
    }
    return st;
}

enum pp_status core_auth_key_load(struct core_app *app, struct pp_err *err)
{
    char hex[2 * PP_JWT_KEY_BYTES + 1];
    int found = 0;
    enum pp_status st =
        store_setting_get(app->store, SETTING_JWT_KEY, hex, sizeof hex, &found, err);
    if (st != PP_OK) {
        goto done;
    }
    if (found) {
        if (!sec_hex_decode(hex, strlen(hex), app->jwt_key, sizeof app->jwt_key)) {
            st = pp_err_set(err, PP_INTERNAL, "the stored token signing key is damaged");
        }
        goto done;
    }
    st = sec_random_bytes(app->jwt_key, sizeof app->jwt_key, err);
    if (st != PP_OK) {
        goto done;
    }
    sec_hex_encode(app->jwt_key, sizeof app->jwt_key, hex);
    struct store_setting kv = {SETTING_JWT_KEY, hex};
    struct store_write_ctx w = {.now_ms = core_now_ms()};
    st = store_settings_put(app->store, &w, &kv, 1, NULL, NULL, err);
    if (st == PP_OK) {
        pp_log(PP_LOG_INFO, "generated a new token signing key");
    }
done:
    sec_wipe(hex, sizeof hex);
    return st;
}
