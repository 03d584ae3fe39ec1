/*
** This module implements the caller's own account (spec §7): reading it,
** changing the password (the current one required), and two-factor
** set-up, enabling and disabling. The caller is the signed-in user, by
** token or browser session; the API key has no account (the permission
** table refuses it). A password change from a browser session keeps that
** session signed in and ends every other one and every token.
*/
#include <string.h>

#include "payout/core/users.h"
#include "payout/sec/secrets.h"
#include "request.h"
#include "response.h"
#include "users.h"

/* Answers the caller's user object after a change, or err. */
static void account_answer(struct api_response *resp, enum pp_status st, const struct pp_user *u,
                           const struct pp_err *err)
{
    if (st != PP_OK) {
        api_err_respond(resp, err);
        return;
    }
    struct jw w;
    jw_init(&w, &resp->body);
    api_user_write(&w, u, NULL);
}

void api_account_get(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    struct pp_err err = {0};
    struct pp_user user;
    core_user_get(app, req->principal.admin_id, &user, &err);
    account_answer(resp, err.status, &user, &err);
    sec_wipe(&user, sizeof user);
}

void api_account_password(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    static const char *const allowed[] = {"currentPassword", "newPassword", NULL};
    struct pp_err err = {0};
    const char *current = NULL;
    const char *fresh = NULL;
    struct pp_user user;
    json_t *body = api_body_read(req, allowed, 0, resp);
    if (body == NULL) {
        return;
    }
    api_field_string(body, "currentPassword", 1, PP_ADMIN_PASSWORD_BYTES_MAX, &current, &err);
    api_field_string(body, "newPassword", 1, PP_ADMIN_PASSWORD_BYTES_MAX, &fresh, &err);
    if (err.status == PP_OK) {
        const char *keep = req->principal.via_session ? req->principal.session_hash : NULL;
        core_account_password(app, &req->actor, req->principal.admin_id, current, fresh, keep,
                              &user, &err);
    }
    account_answer(resp, err.status, &user, &err);
    json_decref(body);
}

void api_account_two_factor_setup(struct core_app *app, struct api_request *req,
                                  struct api_response *resp)
{
    static const char *const allowed[] = {NULL};
    struct pp_err err = {0};
    char secret[CORE_TWO_FACTOR_SECRET_TEXT_BYTES];
    char *uri = pp_arena_alloc(req->arena, PP_OTPAUTH_URI_BYTES);
    json_t *body = api_body_read(req, allowed, 1, resp);
    if (body == NULL) {
        return;
    }
    if (core_two_factor_setup(app, &req->actor, req->principal.admin_id, secret, uri, &err) !=
        PP_OK) {
        api_err_respond(resp, &err);
    } else {
        struct jw w;
        jw_init(&w, &resp->body);
        jw_object_begin(&w);
        jw_key(&w, "secret");
        jw_string(&w, secret);
        jw_key(&w, "otpauthUri");
        jw_string(&w, uri);
        jw_object_end(&w);
    }
    sec_wipe(secret, sizeof secret);
    sec_wipe(uri, PP_OTPAUTH_URI_BYTES);
    json_decref(body);
}

void api_account_two_factor_enable(struct core_app *app, struct api_request *req,
                                   struct api_response *resp)
{
    static const char *const allowed[] = {"code", NULL};
    struct pp_err err = {0};
    const char *code = NULL;
    struct pp_user user;
    json_t *body = api_body_read(req, allowed, 0, resp);
    if (body == NULL) {
        return;
    }
    if (api_field_string(body, "code", 1, PP_TOTP_DIGITS, &code, &err) == PP_OK) {
        core_two_factor_enable(app, &req->actor, req->principal.admin_id, code, &user, &err);
    }
    account_answer(resp, err.status, &user, &err);
    json_decref(body);
}

void api_account_two_factor_disable(struct core_app *app, struct api_request *req,
                                    struct api_response *resp)
{
    static const char *const allowed[] = {"password", "code", NULL};
    struct pp_err err = {0};
    const char *password = NULL;
    const char *code = NULL;
    struct pp_user user;
    json_t *body = api_body_read(req, allowed, 0, resp);
    if (body == NULL) {
        return;
    }
    api_field_string(body, "password", 1, PP_ADMIN_PASSWORD_BYTES_MAX, &password, &err);
    api_field_string(body, "code", 1, PP_TOTP_DIGITS, &code, &err);
    if (err.status == PP_OK) {
        core_two_factor_disable(app, &req->actor, req->principal.admin_id, password, code, &user,
                                &err);
    }
    account_answer(resp, err.status, &user, &err);
    json_decref(body);
}
