/*
** This module implements the two log-in endpoints: POST /api/authenticate
** (authentication password -> 24-hour API key, the seed's method) and
** POST /api/admin/login (e-mail and password -> 8-hour admin token).
*/
#include <stdlib.h>
#include <string.h>

#include "internal.h"

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
    json_t *body = api_body_object(req, allowed, 0, resp);
    if (body == NULL) {
        return;
    }
    if (api_field_string(body, "apiKey", 1, PP_TOKEN_BYTES_MAX, &password, &err) == PP_OK) {
        core_auth_authenticate(app, password, strlen(password), &token, &err);
    }
    if (err.status != PP_OK) {
        api_respond_err(resp, &err);
    } else {
        answer_token(resp, token);
    }
    free(token);
    json_decref(body);
}

void api_admin_login(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    static const char *const allowed[] = {"email", "password", NULL};
    struct pp_err err = {0};
    const char *email = NULL;
    const char *password = NULL;
    char *token = NULL;
    json_t *body = api_body_object(req, allowed, 0, resp);
    if (body == NULL) {
        return;
    }
    api_field_string(body, "email", 1, PP_EMAIL_BYTES_MAX, &email, &err);
    api_field_string(body, "password", 1, PP_ADMIN_PASSWORD_BYTES_MAX, &password, &err);
    if (err.status == PP_OK) {
        core_auth_admin_login(app, email, password, strlen(password), &token, &err);
    }
    if (err.status != PP_OK) {
        api_respond_err(resp, &err);
    } else {
        answer_token(resp, token);
    }
    free(token);
    json_decref(body);
}
