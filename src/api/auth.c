/*
** This module implements the two log-in endpoints: POST /api/authenticate
** (authentication password -> 24-hour API key, the seed's method) and
** POST /api/admin/login (e-mail, password and, for a user with two-factor
** sign-in, "otp" -> 8-hour token acting with the user's role), whose
** sign-in (api_sign_in_run) POST /api/session shares.
** Both are guarded by a per-address lockout (the request pipeline's
** api_login_reserve, core/lockout.h): too many failures from one address
** answer 429 RATE_LIMITED with Retry-After before any credential is
** looked at. Credentials are never logged.
*/
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "payout/core/users.h"
#include "payout/sec/secrets.h"
#include "pipeline.h"
#include "request.h"
#include "response.h"

static void answer_token(struct api_response *resp, const char *token)
{
    struct jw w;
    jw_init(&w, &resp->body);
    jw_object_begin(&w);
    jw_key(&w, "token");
    jw_string(&w, token);
    jw_object_end(&w);
}

void api_authenticate(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    static const char *const allowed[] = {"apiKey", NULL};
    struct pp_err err = {0};
    const char *password = NULL;
    char *token = NULL;
    json_t *body = api_body_read(req, allowed, 0, resp);
    if (body == NULL) {
        return;
    }
    if (api_field_string(body, "apiKey", 1, PP_TOKEN_BYTES_MAX, &password, &err) == PP_OK) {
        if (api_login_reserve(app, req, resp, CORE_LOGIN_AUTHENTICATE) != 0) {
            json_decref(body);
            return;
        }
        core_auth_authenticate(app, password, strlen(password), &token, &err);
        api_login_settle(app, req, CORE_LOGIN_AUTHENTICATE, err.status, PP_BAD_CREDENTIALS);
    }
    if (err.status != PP_OK) {
        api_err_respond(resp, &err);
    } else {
        answer_token(resp, token);
    }
    free(token);
    json_decref(body);
}

int api_sign_in_run(struct core_app *app, struct api_request *req, struct api_response *resp,
                    int session, struct core_signed_in *out)
{
    static const char *const allowed[] = {"email", "password", "otp", NULL};
    struct pp_err err = {0};
    struct core_sign_in in = {.session = session};
    const char *otp = NULL;
    memset(out, 0, sizeof *out);
    json_t *body = api_body_read(req, allowed, 0, resp);
    if (body == NULL) {
        return 0;
    }
    api_field_string(body, "email", 1, PP_EMAIL_BYTES_MAX, &in.email, &err);
    api_field_string(body, "password", 1, PP_ADMIN_PASSWORD_BYTES_MAX, &in.password, &err);
    api_field_string(body, "otp", 0, PP_TOTP_DIGITS, &otp, &err);
    in.otp = otp[0] != '\0' ? otp : NULL;
    if (err.status == PP_OK) {
        if (api_login_reserve(app, req, resp, CORE_LOGIN_ADMIN) != 0) {
            json_decref(body);
            return 0;
        }
        core_sign_in(app, &req->actor, &in, out, &err);
        api_login_settle(app, req, CORE_LOGIN_ADMIN, err.status, PP_UNAUTHORIZED);
    }
    json_decref(body);
    if (err.status != PP_OK) {
        api_err_respond(resp, &err);
        free(out->token);
        sec_wipe(out, sizeof *out);
        return 0;
    }
    return 1;
}

void api_admin_login(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    struct core_signed_in out;
    if (api_sign_in_run(app, req, resp, 0, &out)) {
        answer_token(resp, out.token);
        free(out.token);
        sec_wipe(&out, sizeof out);
    }
}
