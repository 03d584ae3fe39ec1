/*
** This module implements browser sessions (spec §7): POST /api/session
** signs a user in and sets the session cookie, GET /api/session answers
** the signed-in user and the session's CSRF token, DELETE /api/session
** signs out and clears the cookie. The cookie carries an opaque random id
** (sec/session.c; the database keeps its hash), is HttpOnly,
** SameSite=Strict, Path=/, Secure under HTTPS, and lives as long as the
** session may (--session-max-s); idle expiry is the server's to enforce.
** Sign-in shares the lockout of POST /api/admin/login: the same people and
** the same passwords.
*/
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "payout/core/lockout.h"
#include "payout/core/users.h"
#include "payout/sec/cookie.h"
#include "payout/sec/secrets.h"
#include "pipeline.h"
#include "request.h"
#include "response.h"
#include "session.h"
#include "users.h"

/* {"user":...,"csrfToken":...} */
static void session_answer(struct api_response *resp, const struct pp_user *u, const char *csrf)
{
    struct jw w;
    jw_init(&w, &resp->body);
    jw_object_begin(&w);
    jw_key(&w, "user");
    api_user_write(&w, u, NULL);
    jw_key(&w, "csrfToken");
    jw_string(&w, csrf);
    jw_object_end(&w);
}

void api_session_create(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    struct core_signed_in out;
    if (!api_sign_in_run(app, req, resp, 1, &out)) {
        return;
    }
    char cookie[SEC_SET_COOKIE_BYTES];
    sec_cookie_set_build(cookie, sizeof cookie, api_session_cookie_name(req->secure),
                         out.session_id, req->secure, core_session_max_s(app));
    api_response_header_add(resp, "Set-Cookie", cookie);
    session_answer(resp, &out.user, out.csrf_token);
    sec_wipe(cookie, sizeof cookie);
    free(out.token);
    sec_wipe(&out, sizeof out);
}

void api_session_get(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    struct pp_err err = {0};
    struct pp_user user;
    if (core_user_get(app, req->principal.admin_id, &user, &err) != PP_OK) {
        api_err_respond(resp, &err);
    } else {
        session_answer(resp, &user, req->principal.csrf_token);
    }
    sec_wipe(&user, sizeof user);
}

void api_session_delete(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    struct pp_err err = {0};
    if (core_session_end(app, &req->actor, req->principal.session_hash, &err) != PP_OK) {
        api_err_respond(resp, &err);
        return;
    }
    char cookie[SEC_SET_COOKIE_BYTES];
    sec_cookie_clear_build(cookie, sizeof cookie, api_session_cookie_name(req->secure),
                           req->secure);
    api_response_header_add(resp, "Set-Cookie", cookie);
    struct jw w;
    jw_init(&w, &resp->body);
    jw_object_begin(&w);
    jw_key(&w, "success");
    jw_int(&w, 1);
    jw_object_end(&w);
}
