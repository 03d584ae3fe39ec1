/*
** This module implements user management for admins (spec §7): listing
** users, adding one with a generated password (shown once), changing a
** role or the disabled flag, resetting a password or two-factor sign-in,
** and the security settings (requireTwoFactor); and the user object every
** users endpoint answers with. The rules (last enabled admin, ending a
** user's tokens and sessions) are core's and the store's.
*/
#include <string.h>

#include "payout/core/dates.h"
#include "payout/core/users.h"
#include "payout/sec/secrets.h"
#include "request.h"
#include "response.h"
#include "users.h"

static void date_or_null(struct jw *w, int64_t ms)
{
    char text[PP_DATE_TEXT_BYTES];
    if (ms <= 0) {
        jw_null(w);
        return;
    }
    core_date_format(ms, text, sizeof text);
    jw_string(w, text);
}

void api_user_write(struct jw *w, const struct pp_user *u, const char *password)
{
    jw_object_begin(w);
    jw_key(w, "id");
    jw_int(w, u->id);
    jw_key(w, "email");
    jw_string(w, u->email);
    jw_key(w, "role");
    jw_string(w, pp_role_name(u->role));
    jw_key(w, "disabled");
    jw_bool(w, u->disabled);
    jw_key(w, "twoFactor");
    jw_bool(w, u->totp_sealed[0] != '\0');
    jw_key(w, "createdAt");
    date_or_null(w, u->created_ms);
    jw_key(w, "lastSignInAt");
    date_or_null(w, u->last_sign_in_ms);
    if (password != NULL) {
        jw_key(w, "password");
        jw_string(w, password);
    }
    jw_object_end(w);
}

/* Answers u (and password) or err. */
static void user_answer(struct api_response *resp, enum pp_status st, const struct pp_user *u,
                        const char *password, const struct pp_err *err)
{
    if (st != PP_OK) {
        api_err_respond(resp, err);
        return;
    }
    struct jw w;
    jw_init(&w, &resp->body);
    api_user_write(&w, u, password);
}

/* Reads an optional role field; PP_ROLE_NONE when absent. */
static enum pp_status field_role(json_t *body, int required, enum pp_role *out, struct pp_err *err)
{
    const char *name = NULL;
    *out = PP_ROLE_NONE;
    enum pp_status st = api_field_string(body, "role", required, 16, &name, err);
    if (st == PP_OK && name[0] != '\0' && !pp_role_parse(name, strlen(name), out)) {
        st =
            pp_err_set(err, PP_INVALID_PARAMS, "role must be admin, approver, operator or auditor");
    }
    return st;
}

void api_admin_users_list(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    struct pp_err err = {0};
    size_t count = 0;
    struct pp_user *users = pp_arena_calloc(req->arena, PP_USERS_MAX, sizeof *users);
    if (core_users_list(app, users, PP_USERS_MAX, &count, &err) != PP_OK) {
        api_err_respond(resp, &err);
        return;
    }
    struct jw w;
    jw_init(&w, &resp->body);
    jw_object_begin(&w);
    jw_key(&w, "users");
    jw_array_begin(&w);
    for (size_t i = 0; i < count; i++) {
        api_user_write(&w, &users[i], NULL);
    }
    jw_array_end(&w);
    jw_object_end(&w);
    sec_wipe(users, PP_USERS_MAX * sizeof *users);
}

void api_admin_user_add(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    static const char *const allowed[] = {"email", "role", NULL};
    struct pp_err err = {0};
    const char *email = NULL;
    enum pp_role role = PP_ROLE_NONE;
    char password[CORE_PASSWORD_TEXT_BYTES] = "";
    struct pp_user user;
    json_t *body = api_body_read(req, allowed, 0, resp);
    if (body == NULL) {
        return;
    }
    api_field_string(body, "email", 1, PP_EMAIL_BYTES_MAX, &email, &err);
    field_role(body, 1, &role, &err);
    if (err.status == PP_OK) {
        core_user_add(app, &req->actor, email, role, &user, password, &err);
    }
    user_answer(resp, err.status, &user, password, &err);
    sec_wipe(password, sizeof password);
    json_decref(body);
}

/* The {id} of the path, or PP_INVALID_PARAMS. */
static enum pp_status path_id(const struct api_request *req, int64_t *id, struct pp_err *err)
{
    return api_id_parse(req->path_param_count > 0 ? req->path_params[0] : "", "user id", id, err);
}

void api_admin_user_patch(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    static const char *const allowed[] = {"role", "disabled", NULL};
    struct pp_err err = {0};
    enum pp_role role = PP_ROLE_NONE;
    int disabled = -1;
    int64_t id = 0;
    struct pp_user user;
    json_t *body = api_body_read(req, allowed, 0, resp);
    if (body == NULL) {
        return;
    }
    path_id(req, &id, &err);
    field_role(body, 0, &role, &err);
    api_field_bool(body, "disabled", 0, &disabled, &err);
    if (err.status == PP_OK && role == PP_ROLE_NONE && disabled < 0) {
        pp_err_set(&err, PP_INVALID_PARAMS, "role or disabled is required");
    }
    if (err.status == PP_OK) {
        core_user_change(app, &req->actor, id, role, disabled, &user, &err);
    }
    user_answer(resp, err.status, &user, NULL, &err);
    json_decref(body);
}

void api_admin_user_reset_password(struct core_app *app, struct api_request *req,
                                   struct api_response *resp)
{
    static const char *const allowed[] = {NULL};
    struct pp_err err = {0};
    char password[CORE_PASSWORD_TEXT_BYTES] = "";
    int64_t id = 0;
    struct pp_user user;
    json_t *body = api_body_read(req, allowed, 1, resp);
    if (body == NULL) {
        return;
    }
    if (path_id(req, &id, &err) == PP_OK) {
        core_user_password_reset(app, &req->actor, id, &user, password, &err);
    }
    user_answer(resp, err.status, &user, password, &err);
    sec_wipe(password, sizeof password);
    json_decref(body);
}

void api_admin_user_reset_two_factor(struct core_app *app, struct api_request *req,
                                     struct api_response *resp)
{
    static const char *const allowed[] = {NULL};
    struct pp_err err = {0};
    int64_t id = 0;
    struct pp_user user;
    json_t *body = api_body_read(req, allowed, 1, resp);
    if (body == NULL) {
        return;
    }
    if (path_id(req, &id, &err) == PP_OK) {
        core_user_two_factor_reset(app, &req->actor, id, &user, &err);
    }
    user_answer(resp, err.status, &user, NULL, &err);
    json_decref(body);
}

void api_admin_security_put(struct core_app *app, struct api_request *req,
                            struct api_response *resp)
{
    static const char *const allowed[] = {"requireTwoFactor", NULL};
    struct pp_err err = {0};
    int require = 0;
    json_t *body = api_body_read(req, allowed, 0, resp);
    if (body == NULL) {
        return;
    }
    if (api_field_bool(body, "requireTwoFactor", 1, &require, &err) == PP_OK) {
        core_security_set(app, &req->actor, require, &err);
    }
    if (err.status != PP_OK) {
        api_err_respond(resp, &err);
    } else {
        struct jw w;
        jw_init(&w, &resp->body);
        jw_object_begin(&w);
        jw_key(&w, "requireTwoFactor");
        jw_bool(&w, core_security_require_two_factor(app));
        jw_object_end(&w);
    }
    json_decref(body);
}
