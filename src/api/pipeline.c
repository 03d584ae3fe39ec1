/*
** This module implements the request pipeline: everything that happens to
** a request around its handler, in one place and in this order. The
** caller is authenticated against the route's access; the rate limits
** (core_rate_take) are applied and announced; an admin-only route refuses
** an API key; a POST/PUT with an Idempotency-Key runs as a keyed request
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
#include "payout/core/idempotency.h"
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
    }
    struct pp_err store_err = {0};
    core_idem_finish(app, &r, keep ? &answer : NULL, &store_err);
}

/* Checks the caller's token against route->access. PP_OK, or the error in
** err (nothing answered yet: the rate limit goes first). */
static enum pp_status authenticate(struct core_app *app, const struct api_route *route,
                                   struct api_request *req, struct pp_err *err)
{
    if (route->access == API_ACCESS_PUBLIC) {
        return PP_OK;
    }
    if (req->token == NULL || req->token[0] == '\0') {
        return pp_err_set(err, PP_UNAUTHORIZED,
                          "an API key is required in the x-access-token header");
    }
    enum pp_status st = core_auth_verify(app, req->token, strlen(req->token), &req->principal, err);
    if (st == PP_OK) {
        req->actor.kind =
            req->principal.role == SEC_ROLE_ADMIN ? PP_ACTOR_ADMIN : PP_ACTOR_INTEGRATOR;
        req->actor.admin_id = req->principal.admin_id;
    }
    return st;
}

void api_route_run(struct core_app *app, const struct api_route *route, struct api_request *req,
                   struct api_response *resp)
{
    struct pp_err err = {0};
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
    }
    if (!req->rate.allowed) {
        /* A fresh error: a refused caller may already have one in err. */
        struct pp_err limited = {0};
        pp_err_set(&limited, PP_RATE_LIMITED, "too many requests; retry after %u s",
                   req->rate.retry_after_s);
        api_err_respond(resp, &limited);
    } else if (auth != PP_OK) {
        api_err_respond(resp, &err);
    } else if (route->access == API_ACCESS_ADMIN && req->principal.role != SEC_ROLE_ADMIN) {
        api_error_respond(resp, PP_FORBIDDEN, "this endpoint requires an admin token");
    } else if (req->idempotency_key != NULL && route_is_idempotent(route)) {
        if (!core_idem_key_valid(req->idempotency_key)) {
            api_error_respond(resp, PP_INVALID_PARAMS,
                              "Idempotency-Key must be 1 to 255 printable ASCII characters");
        } else {
            run_keyed(app, route, req, resp);
        }
    } else {
        route->handler(app, req, resp);
    }
}

/* --- The log-in lockout ----------------------------------------------------------- */

int api_login_reserve(struct core_app *app, const struct api_request *req,
                      struct api_response *resp, enum core_login which)
{
    int64_t wait_ms = core_lockout_reserve(app, which, req->client_addr);
    if (wait_ms <= 0) {
        return 0;
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
    core_lockout_settle(app, which, req->client_addr, status != wrong_credential);
}
