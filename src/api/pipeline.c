/*
** This module implements the request pipeline: everything that happens to
** a request around its handler, in one place and in this order. The
** caller is authenticated (a token header, else the session cookie); the
** rate limits (core_rate_take) are applied and announced; on a shared
** store an API key's revocation is checked on the way (core_auth_verify):
** by the rate counters' transaction, else by the handler's first write,
** else by a read, and a revoked key is answered 401 whichever found it; a
** session's
** X-CSRF-Token is checked on every method but GET and HEAD; the route's
** permission is looked up in the permission table (api/permissions.c)
** for the caller's role, and security.requireTwoFactor applied; a POST/PUT with an Idempotency-Key
*runs as a keyed request
** (replay, conflict, or run-and-store, core/idempotency.h). The log-in
** lockout (core/lockout.h) is applied here too, at the moment a log-in
** handler is about to look at a credential: api_login_reserve and
** api_login_settle.
**
** It does not parse bodies or know any route's rules.
*/
#include "pipeline.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "metrics.h"
#include "payout/base/assert.h"
#include "payout/core/dates.h"
#include "payout/core/idempotency.h"
#include "payout/core/integration.h"
#include "payout/core/users.h"
#include "payout/sec/cookie.h"
#include "payout/sec/session.h"
#include "response.h"
#include "service.h"

/* 1 for the routes that change state on a caller's behalf (every POST and
** PUT but the public log-ins): they honour an Idempotency-Key. */
static int route_is_idempotent(const struct api_route *route)
{
    return route->access != API_ACCESS_PUBLIC &&
           (strcmp(route->method, "POST") == 0 || strcmp(route->method, "PUT") == 0);
}

/* Load balancers probe health, and Prometheus scrapes, as often as they
** like. */
static int route_rate_exempt(const struct api_route *route)
{
    return route->handler == api_healthz || route->handler == api_readyz ||
           route->handler == api_metrics;
}

static void rate_headers(struct api_response *resp, const struct core_rate *rate)
{
    char v[sizeof "4294967295"]; /* the largest uint32_t */
    if (!rate->enabled) {
        return;
    }
    snprintf(v, sizeof v, "%u", rate->limit);
    api_response_header_add(resp, "X-RateLimit-Limit", v);
    snprintf(v, sizeof v, "%u", rate->remaining);
    api_response_header_add(resp, "X-RateLimit-Remaining", v);
    snprintf(v, sizeof v, "%u", rate->reset_s);
    api_response_header_add(resp, "X-RateLimit-Reset", v);
    if (!rate->allowed) {
        snprintf(v, sizeof v, "%u", rate->retry_after_s);
        api_response_header_add(resp, "Retry-After", v);
    }
}

/* Answers with a stored answer, byte for byte. */
static void replay(struct api_request *req, struct api_response *resp,
                   const struct core_idem_answer *answer)
{
    pp_buf_reset(&resp->body);
    pp_buf_append(&resp->body, answer->body, answer->body_len);
    resp->status = answer->status;
    resp->content_type = pp_arena_strdup(req->arena, answer->content_type);
    api_response_header_add(resp, "Idempotent-Replayed", "true");
}

/* Runs the handler as a keyed request (see core/idempotency.h). */
static void run_keyed(struct core_app *app, const struct api_route *route, struct api_request *req,
                      struct api_response *resp)
{
    struct core_idem_request r;
    struct core_idem_answer answer;
    enum core_idem_decision decision;
    struct pp_err err = {0};
    core_idem_prepare(&r, &req->actor, req->idempotency_key, req->method, req->path, req->body,
                      req->body_len);
    if (core_idem_begin(app, &r, &decision, &answer, &err) != PP_OK) {
        api_err_respond(resp, &err);
        return;
    }
    if (decision == CORE_IDEM_REPLAY) {
        replay(req, resp, &answer);
        core_idem_answer_free(&answer);
        return;
    }
    core_idem_set_current(&r);
    route->handler(app, req, resp);
    core_idem_set_current(NULL);
    /* Streams, server errors and outsized answers are not kept: a retry
    ** then learns that the action completed and its answer was lost. */
    int keep = resp->stream == NULL && resp->status < 500 &&
               resp->body.len <= PP_IDEMPOTENCY_RESPONSE_BYTES_MAX &&
               strlen(resp->content_type) < sizeof answer.content_type;
    if (keep) {
        answer.status = resp->status;
        snprintf(answer.content_type, sizeof answer.content_type, "%s", resp->content_type);
        answer.body = resp->body.data;
        answer.body_len = resp->body.len;
        answer.secret_at = resp->secret_at;
        answer.secret_len = resp->secret_len;
    }
    struct pp_err store_err = {0};
    core_idem_finish(app, &r, keep ? &answer : NULL, &store_err);
}

/* The principal of a session cookie in req, if any: PP_OK, or
** PP_UNAUTHORIZED for no cookie or one that names no live session. */
static enum pp_status authenticate_cookie(struct core_app *app, struct api_request *req,
                                          struct pp_err *err)
{
    const char *value = NULL;
    size_t len = 0;
    const char *name = api_session_cookie_name(req->secure);
    size_t header_len = req->cookie != NULL ? strlen(req->cookie) : 0;
    enum sec_cookie_found found = sec_cookie_find(req->cookie, header_len, name, &value, &len);
    if (found == SEC_COOKIE_ABSENT) {
        return pp_err_set(err, PP_UNAUTHORIZED,
                          "an API key is required in the x-access-token header (or a session "
                          "cookie)");
    }
    if (found == SEC_COOKIE_REFUSED) {
        return pp_err_set(err, PP_UNAUTHORIZED, "the session cookie is malformed");
    }
    return core_session_resolve(app, value, len, core_now_ms(), &req->principal, err);
}

/* 1 when an API key's revocation check (core_auth_verify) may be left to
** the request's first write: a request that changes state and does not
** reserve an Idempotency-Key first. */
static int key_check_may_ride(const struct api_route *route, const struct api_request *req)
{
    int safe = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
    return !safe && !(req->idempotency_key != NULL && route_is_idempotent(route));
}

/* Authenticates the caller: a token header wins; without one, the
** session cookie. PP_OK, or the error in err (nothing answered yet: the
** rate limit goes first). */
static enum pp_status authenticate(struct core_app *app, const struct api_route *route,
                                   struct api_request *req, struct pp_err *err)
{
    enum pp_status st = PP_OK;
    if (route->access == API_ACCESS_PUBLIC) {
        return PP_OK;
    }
    if (!req->auth_header) {
        st = authenticate_cookie(app, req, err);
    } else if (req->token == NULL || req->token[0] == '\0') {
        st =
            pp_err_set(err, PP_UNAUTHORIZED, "an API key is required in the x-access-token header");
    } else {
        st = core_auth_verify(app, req->token, strlen(req->token), &req->principal, err);
    }
    if (st == PP_OK && route->access == API_ACCESS_SESSION && !req->principal.via_session) {
        st = pp_err_set(err, PP_UNAUTHORIZED, "no session: sign in with POST /api/session");
    }
    if (st == PP_OK) {
        req->actor.kind =
            req->principal.role == SEC_ROLE_ADMIN ? PP_ACTOR_ADMIN : PP_ACTOR_INTEGRATOR;
        req->actor.admin_id = req->principal.admin_id;
    }
    return st;
}

/* The caller of an authenticated principal, for the permission table. */
static enum api_caller caller_of(const struct core_principal *p)
{
    switch (p->role == SEC_ROLE_ADMIN ? p->user_role : PP_ROLE_NONE) {
    case PP_ROLE_ADMIN:
        return API_CALLER_ADMIN;
    case PP_ROLE_APPROVER:
        return API_CALLER_APPROVER;
    case PP_ROLE_OPERATOR:
        return API_CALLER_OPERATOR;
    case PP_ROLE_AUDITOR:
        return API_CALLER_AUDITOR;
    default:
        return API_CALLER_API_KEY;
    }
}

/* After authentication: the session's CSRF token, the permission table and
** security.requireTwoFactor. PP_OK, or PP_FORBIDDEN with the reason. */
static enum pp_status authorize(struct core_app *app, const struct api_route *route,
                                const struct api_request *req, struct pp_err *err)
{
    const struct core_principal *p = &req->principal;
    const struct api_permission *perm = &api_permissions[route->access];
    enum api_caller caller = caller_of(p);
    int safe = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
    if (route->access == API_ACCESS_PUBLIC) {
        return PP_OK;
    }
    if (p->via_session && !safe) {
        const char *sent = req->csrf_token;
        if (!sec_csrf_token_check(p->csrf_token, strlen(p->csrf_token), sent,
                                  sent != NULL ? strlen(sent) : 0)) {
            return pp_err_set(err, PP_FORBIDDEN,
                              "X-CSRF-Token is missing or does not match the session");
        }
    }
    if (!perm->allowed[caller]) {
        if (caller == API_CALLER_API_KEY) {
            return pp_err_set(err, PP_FORBIDDEN, "an API key may not %s", perm->what);
        }
        return pp_err_set(err, PP_FORBIDDEN, "the %s role may not %s", pp_role_name(p->user_role),
                          perm->what);
    }
    if (caller != API_CALLER_API_KEY && !perm->setup_ok && !p->two_factor &&
        core_security_require_two_factor(app)) {
        return pp_err_set(err, PP_FORBIDDEN,
                          "two-factor sign-in is required: set it up with POST "
                          "/api/account/two-factor/setup and /enable first");
    }
    return PP_OK;
}

/* Runs the handler. An API key not checked yet (core_auth_verify)
** is checked by its first write; when it was revoked, or nothing checked
** it and a read now finds it revoked, the answer is that, not the
** handler's (which wrote nothing). */
static void run_handler(struct core_app *app, const struct api_route *route,
                        struct api_request *req, struct api_response *resp)
{
    if (!req->principal.key_unchecked) {
        route->handler(app, req, resp);
        return;
    }
    struct pp_err err = {0};
    size_t headers = resp->header_count;
    struct core_key_guard *kg = core_auth_key_guard_begin(req->arena, &req->principal);
    route->handler(app, req, resp);
    if (core_auth_key_guard_end(app, kg, &err) != PP_OK) {
        resp->header_count = headers;
        api_err_respond(resp, &err);
    }
}

void api_route_run(struct core_app *app, const struct api_route *route, struct api_request *req,
                   struct api_response *resp)
{
    struct pp_err err = {0};
    PP_ASSERT(route->access >= API_ACCESS_PUBLIC && route->access < API_ACCESS_COUNT);
    memset(&req->principal, 0, sizeof req->principal);
    memset(&req->actor, 0, sizeof req->actor);
    memset(&req->rate, 0, sizeof req->rate);
    req->rate.allowed = 1;
    snprintf(req->actor.addr, sizeof req->actor.addr, "%s",
             req->client_addr != NULL ? req->client_addr : "");
    enum pp_status auth = authenticate(app, route, req, &err);
    if (!route_rate_exempt(route)) {
        /* Only a verified caller gets a bucket of its own: forged keys
        ** would otherwise flood the table. The address always counts. */
        core_rate_take(app, req->client_addr,
                       auth == PP_OK && route->access != API_ACCESS_PUBLIC ? &req->principal : NULL,
                       &req->rate);
        rate_headers(resp, &req->rate);
        if (req->rate.key_revoked) {
            auth = pp_err_set(&err, PP_UNAUTHORIZED, CORE_KEY_REVOKED_MESSAGE);
        }
        req->principal.key_unchecked &= !req->rate.key_checked;
    }
    if (auth == PP_OK && req->principal.key_unchecked && !req->rate.unavailable &&
        !key_check_may_ride(route, req)) {
        /* Nothing checked the key on the way, and no write will. */
        auth = core_auth_key_confirm(app, &req->principal, &err);
        req->principal.key_unchecked = 0;
    }
    if (req->rate.unavailable) {
        api_error_respond(resp, PP_UNAVAILABLE, "storage is unavailable");
    } else if (!req->rate.allowed) {
        /* A fresh error: a refused caller may already have one in err. */
        struct pp_err limited = {0};
        pp_err_set(&limited, PP_RATE_LIMITED, "too many requests; retry after %u s",
                   req->rate.retry_after_s);
        api_err_respond(resp, &limited);
    } else if (auth != PP_OK || authorize(app, route, req, &err) != PP_OK) {
        /* A revoked key is told so before what it may not do. */
        struct pp_err key_err = {0};
        int revoked =
            auth == PP_OK && core_auth_key_confirm(app, &req->principal, &key_err) != PP_OK;
        api_err_respond(resp, revoked ? &key_err : &err);
    } else if (req->idempotency_key != NULL && route_is_idempotent(route)) {
        if (!core_idem_key_valid(req->idempotency_key)) {
            api_error_respond(resp, PP_INVALID_PARAMS,
                              "Idempotency-Key must be 1 to 255 printable ASCII characters");
        } else {
            run_keyed(app, route, req, resp);
        }
    } else {
        run_handler(app, route, req, resp);
    }
}

const char *api_session_cookie_name(int secure)
{
    return secure ? "__Host-pp_session" : "pp_session";
}

/* --- The log-in lockout ----------------------------------------------------------- */

int api_login_reserve(struct core_app *app, const struct api_request *req,
                      struct api_response *resp, enum core_login which)
{
    int64_t wait_ms = core_lockout_reserve(app, which, req->client_addr);
    if (wait_ms == 0) {
        return 0;
    }
    if (wait_ms < 0) {
        api_error_respond(resp, PP_UNAVAILABLE, "storage is unavailable");
        return -1;
    }
    int64_t wait_s = (wait_ms + 999) / 1000;
    char text[sizeof "-9223372036854775808"]; /* any int64_t */
    struct pp_err err = {0};
    snprintf(text, sizeof text, "%" PRId64, wait_s);
    pp_err_set(&err, PP_RATE_LIMITED,
               "too many failed log-in attempts from this address; try again in %" PRId64
               " second(s)",
               wait_s);
    api_err_respond(resp, &err);
    api_response_header_add(resp, "Retry-After", text);
    return -1;
}

void api_login_settle(struct core_app *app, const struct api_request *req, enum core_login which,
                      enum pp_status status, enum pp_status wrong_credential)
{
    if (status == PP_OTP_REQUIRED) {
        /* The right password without its code: not a guess, and not a
        ** success either, which would forget the address's failures and
        ** let wrong codes be tried without end. */
        core_lockout_release(app, which, req->client_addr);
    } else {
        core_lockout_settle(app, which, req->client_addr, status != wrong_credential);
    }
}
