/*
** This module implements what every handler answers with: the error
** envelope, what runs before a handler (the caller check, the rate limits,
** and the Idempotency-Key: replay, conflict, or run-and-store), and the
** JSON writers for payouts, balances, amounts and dates.
*/
#include <stdio.h>
#include <string.h>

#include "payout/base/assert.h"

#include "internal.h"
#include "payout/core/dates.h"
#include "payout/core/idempotency.h"

void api_response_init(struct api_response *resp)
{
    resp->status = 200;
    pp_buf_init(&resp->body);
    resp->content_type = "application/json";
    resp->allow[0] = '\0';
    resp->header_count = 0;
    resp->stream = NULL;
    resp->stream_ctx = NULL;
    resp->stream_free = NULL;
}

void api_response_header(struct api_response *resp, const char *name, const char *value)
{
    PP_ASSERT(resp->header_count < API_RESPONSE_HEADERS_MAX);
    struct api_header *h = &resp->headers[resp->header_count++];
    snprintf(h->name, sizeof h->name, "%s", name);
    snprintf(h->value, sizeof h->value, "%s", value);
}

void api_response_free(struct api_response *resp)
{
    pp_buf_free(&resp->body);
    if (resp->stream_free != NULL) {
        resp->stream_free(resp->stream_ctx);
    }
    resp->stream = NULL;
    resp->stream_ctx = NULL;
    resp->stream_free = NULL;
}

void api_respond_error(struct api_response *resp, enum pp_status status, const char *message)
{
    struct jw w;
    if (resp->stream_free != NULL) {
        resp->stream_free(resp->stream_ctx);
    }
    resp->stream = NULL;
    resp->stream_ctx = NULL;
    resp->stream_free = NULL;
    pp_buf_reset(&resp->body);
    resp->status = pp_status_http(status);
    resp->content_type = "application/json";
    jw_init(&w, &resp->body);
    jw_object_begin(&w);
    jw_key(&w, "error");
    jw_object_begin(&w);
    jw_key(&w, "message");
    /* Internal failures never leak their details to the client. */
    jw_string(&w, status == PP_INTERNAL ? "internal error" : message);
    jw_key(&w, "type");
    jw_string(&w, pp_status_type(status));
    jw_object_end(&w);
    jw_key(&w, "errors");
    jw_array_begin(&w);
    jw_array_end(&w);
    jw_object_end(&w);
}

void api_respond_err(struct api_response *resp, const struct pp_err *err)
{
    api_respond_error(resp, err->status, err->message);
}

/* 1 for the routes that change state on a caller's behalf (every POST and
** PUT but the public log-ins): they honour an Idempotency-Key. */
static int route_is_idempotent(const struct api_route *route)
{
    return route->access != API_ACCESS_PUBLIC &&
           (strcmp(route->method, "POST") == 0 || strcmp(route->method, "PUT") == 0);
}

/* Load balancers probe health as often as they like. */
static int route_rate_exempt(const struct api_route *route)
{
    return route->handler == api_healthz || route->handler == api_readyz;
}

static void rate_headers(struct api_response *resp, const struct core_rate *rate)
{
    char v[16];
    if (!rate->enabled) {
        return;
    }
    snprintf(v, sizeof v, "%u", rate->limit);
    api_response_header(resp, "X-RateLimit-Limit", v);
    snprintf(v, sizeof v, "%u", rate->remaining);
    api_response_header(resp, "X-RateLimit-Remaining", v);
    snprintf(v, sizeof v, "%u", rate->reset_s);
    api_response_header(resp, "X-RateLimit-Reset", v);
    if (!rate->allowed) {
        snprintf(v, sizeof v, "%u", rate->retry_after_s);
        api_response_header(resp, "Retry-After", v);
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
    api_response_header(resp, "Idempotent-Replayed", "true");
}

/* Runs the handler as a keyed request (see core/idempotency.h). */
static void run_keyed(struct core_app *app, const struct api_route *route,
                      struct api_request *req, struct api_response *resp)
{
    struct core_idem_request r;
    struct core_idem_answer answer;
    enum core_idem_decision decision;
    struct pp_err err = {0};
    core_idem_prepare(&r, &req->actor, req->idempotency_key, req->method, req->path, req->body,
                      req->body_len);
    if (core_idem_begin(app, &r, &decision, &answer, &err) != PP_OK) {
        api_respond_err(resp, &err);
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
                       auth == PP_OK && route->access != API_ACCESS_PUBLIC ? &req->principal
                                                                           : NULL,
                       &req->rate);
        rate_headers(resp, &req->rate);
    }
    if (!req->rate.allowed) {
        char message[96];
        snprintf(message, sizeof message, "too many requests; retry after %u s",
                 req->rate.retry_after_s);
        api_respond_error(resp, PP_RATE_LIMITED, message);
    } else if (auth != PP_OK) {
        api_respond_err(resp, &err);
    } else if (route->access == API_ACCESS_ADMIN && req->principal.role != SEC_ROLE_ADMIN) {
        api_respond_error(resp, PP_FORBIDDEN, "this endpoint requires an admin token");
    } else if (req->idempotency_key != NULL && route_is_idempotent(route)) {
        if (!core_idem_key_valid(req->idempotency_key)) {
            api_respond_error(resp, PP_INVALID_PARAMS,
                              "Idempotency-Key must be 1 to 255 printable ASCII characters");
        } else {
            run_keyed(app, route, req, resp);
        }
    } else {
        route->handler(app, req, resp);
    }
}

void api_write_amount(struct jw *w, int64_t minor, const char *currency)
{
    char text[PP_AMOUNT_TEXT_BYTES];
    const struct core_currency *cur = core_currency_find(currency, strlen(currency));
    core_money_format(minor, cur != NULL ? cur->exponent : 0, text, sizeof text);
    jw_raw(w, text);
}

void api_write_amount_wide(struct jw *w, __int128 minor, const char *currency)
{
    char text[PP_AMOUNT_WIDE_TEXT_BYTES];
    const struct core_currency *cur = core_currency_find(currency, strlen(currency));
    core_money_format_wide(minor, cur != NULL ? cur->exponent : 0, text, sizeof text);
    jw_raw(w, text);
}

void api_write_date(struct jw *w, int64_t ms)
{
    char text[PP_DATE_TEXT_BYTES];
    core_date_format(ms, text, sizeof text);
    jw_string(w, text);
}

/* A moment that only some payouts have: written only when set. */
static void write_optional_date(struct jw *w, const char *key, int64_t ms)
{
    if (ms != 0) {
        jw_key(w, key);
        api_write_date(w, ms);
    }
}

void api_write_payout(struct jw *w, const struct pp_payout *p)
{
    jw_object_begin(w);
    jw_key(w, "amount");
    api_write_amount(w, p->amount_minor, p->currency);
    jw_key(w, "id");
    jw_int(w, p->id);
    jw_key(w, "currency");
    jw_string(w, p->currency);
    jw_key(w, "startDate");
    api_write_date(w, p->start_ms);
    jw_key(w, "endDate");
    api_write_date(w, p->end_ms);
    jw_key(w, "description");
    jw_string(w, p->description);
    jw_key(w, "notification");
    jw_bool(w, p->notification);
    jw_key(w, "status");
    jw_string(w, pp_payout_status_name(p->status));
    jw_key(w, "recipientId");
    jw_int(w, p->recipient_id);
    jw_key(w, "projectId");
    jw_int(w, p->project_id);
    jw_key(w, "updatedAt");
    api_write_date(w, p->updated_ms);
    jw_key(w, "createdAt");
    api_write_date(w, p->created_ms);
    jw_key(w, "uniqueId");
    jw_string(w, p->uuid);
    jw_key(w, "metadata");
    if (p->metadata[0] != '\0') {
        jw_raw(w, p->metadata);
    } else {
        jw_null(w);
    }
    write_optional_date(w, "authorizedAt", p->authorized_ms);
    write_optional_date(w, "receivedAt", p->received_ms);
    if (p->reference[0] != '\0') {
        jw_key(w, "reference");
        jw_string(w, p->reference);
    }
    write_optional_date(w, "cancelledAt", p->cancelled_ms);
    write_optional_date(w, "expiredAt", p->expired_ms);
    jw_object_end(w);
}

void api_write_balance(struct jw *w, const struct pp_balance *b)
{
    jw_object_begin(w);
    jw_key(w, "currency");
    jw_string(w, b->currency);
    jw_key(w, "available");
    api_write_amount(w, b->available, b->currency);
    jw_key(w, "blocked");
    api_write_amount(w, b->blocked, b->currency);
    jw_key(w, "paidOut");
    api_write_amount_wide(w, b->paid_out, b->currency);
    jw_object_end(w);
}
