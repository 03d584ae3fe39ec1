/*
** This module implements the two log-in endpoints: POST /api/authenticate
** (authentication password -> 24-hour API key, the seed's method) and
** POST /api/admin/login (e-mail and password -> 8-hour admin token).
** Both are guarded by a per-address lockout (sec/lockout.h): too many
** failures from one address answer 429 RATE_LIMITED with Retry-After
** before any credential is looked at. Credentials are never logged.
*/
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "payout/sec/lockout.h"
#include "request.h"
#include "response.h"

/* One lockout per endpoint: failing one does not lock the other. */
static struct sec_lockout authenticate_lockout = SEC_LOCKOUT_INIT;
static struct sec_lockout admin_login_lockout = SEC_LOCKOUT_INIT;

static const char *lockout_addr(const struct api_request *req)
{
    return req->client_addr != NULL ? req->client_addr : "";
}

/* Reserves an attempt for the caller's address; 0 when it may go ahead,
** else answers 429 with Retry-After into resp and returns -1. */
static int lockout_reserve(struct sec_lockout *l, const struct api_request *req,
                           struct api_response *resp)
{
    int64_t wait_ms = sec_lockout_reserve(l, lockout_addr(req), sec_lockout_now_ms());
    if (wait_ms <= 0) {
        return 0;
    }
    int64_t wait_s = (wait_ms + 999) / 1000;
    char text[32];
    char message[128];
    snprintf(text, sizeof text, "%" PRId64, wait_s);
    snprintf(message, sizeof message,
             "too many failed log-in attempts from this address; try again in %" PRId64
             " second(s)",
             wait_s);
    api_error_respond(resp, PP_RATE_LIMITED, message);
    api_response_header(resp, "Retry-After", text);
    return -1;
}

/* Settles the reserved attempt: only a wrong credential counts as a
** failure; bad input or a storage fault is not a guess. */
static void lockout_settle(struct sec_lockout *l, const struct api_request *req,
                           enum pp_status status, enum pp_status wrong_credential)
{
    sec_lockout_settle(l, lockout_addr(req), status != wrong_credential, sec_lockout_now_ms());
}

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
        if (lockout_reserve(&authenticate_lockout, req, resp) != 0) {
            json_decref(body);
            return;
        }
        core_auth_authenticate(app, password, strlen(password), &token, &err);
        lockout_settle(&authenticate_lockout, req, err.status, PP_BAD_CREDENTIALS);
    }
    if (err.status != PP_OK) {
        api_err_respond(resp, &err);
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
        if (lockout_reserve(&admin_login_lockout, req, resp) != 0) {
            json_decref(body);
            return;
        }
        core_auth_admin_login(app, email, password, strlen(password), &token, &err);
        lockout_settle(&admin_login_lockout, req, err.status, PP_UNAUTHORIZED);
    }
    if (err.status != PP_OK) {
        api_err_respond(resp, &err);
    } else {
        answer_token(resp, token);
    }
    free(token);
    json_decref(body);
}
