/*
** This module implements authentication: exchanging the authentication
** password for an API key, admin log-in, and verifying either kind of token
** including revocation (the integration's generation for API keys, the
** admin's token_generation for admin tokens). Tokens themselves are made
** and checked by sec/jwt.c; the signing key is made on first start and
** kept in the settings.
*/
#include "payout/core/auth.h"

#include <inttypes.h>
#include <string.h>

#include "internal.h"
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
        struct pp_err read_err = {0};
        int current = core_integration_key_current(app, claims.generation, &read_err);
        if (current < 0) {
            return pp_err_set(err, read_err.status, "%s", read_err.message);
        }
        if (!current) {
            return pp_err_set(err, PP_UNAUTHORIZED, "API key has been revoked");
        }
        out->role = SEC_ROLE_INTEGRATOR;
        return PP_OK;
    }
    struct pp_admin admin;
    struct pp_err lookup_err = {0};
    st = store_admin_get(app->store, claims.subject, &admin, &lookup_err);
    if (st == PP_NOT_FOUND || (st == PP_OK && admin.token_generation != claims.generation)) {
        return pp_err_set(err, PP_UNAUTHORIZED, "admin token has been revoked");
    }
    if (st != PP_OK) {
        return pp_err_set(err, st, "%s", lookup_err.message);
    }
    out->role = SEC_ROLE_ADMIN;
    out->admin_id = admin.id;
    return PP_OK;
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

enum pp_status core_auth_admin_login(struct core_app *app, const char *email, const char *password,
                                     size_t password_len, char **token_out, struct pp_err *err)
{
    struct pp_admin admin;
    int found = 0;
    int match = 0;
    *token_out = NULL;
    enum pp_status st = store_admin_find(app->store, email, &admin, &found, err);
    if (st != PP_OK) {
        goto done;
    }
    if (!found) {
        sec_password_burn(password, password_len);
    } else {
        st = sec_password_verify(password, password_len, admin.password_hash, &match, err);
        if (st != PP_OK) {
            goto done;
        }
    }
    if (!found || !match) {
        st = pp_err_set(err, PP_UNAUTHORIZED, "invalid e-mail or password");
        goto done;
    }
    int64_t now = now_s();
    struct sec_claims claims = {
        .role = SEC_ROLE_ADMIN,
        .subject = admin.id,
        .generation = admin.token_generation,
        .iat_s = now,
        .exp_s = now + PP_ADMIN_TOKEN_TTL_S,
    };
    st = sec_jwt_issue(app->jwt_key, &claims, token_out, err);
    if (st == PP_OK) {
        pp_log(PP_LOG_INFO, "admin %" PRId64 " logged in", admin.id);
    }
done:
    sec_wipe(&admin, sizeof admin);
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
