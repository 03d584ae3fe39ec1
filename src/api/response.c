/*
** This module implements what every handler answers with: the error
** envelope, the caller check that runs before a handler, and the JSON
** writers for payouts, balances, amounts and dates.
*/
#include <stdio.h>
#include <string.h>

#include "payout/base/assert.h"

#include "internal.h"
#include "payout/core/dates.h"

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

void api_route_run(struct core_app *app, const struct api_route *route, struct api_request *req,
                   struct api_response *resp)
{
    struct pp_err err = {0};
    memset(&req->principal, 0, sizeof req->principal);
    memset(&req->actor, 0, sizeof req->actor);
    snprintf(req->actor.addr, sizeof req->actor.addr, "%s",
             req->client_addr != NULL ? req->client_addr : "");
    if (route->access != API_ACCESS_PUBLIC) {
        if (req->token == NULL || req->token[0] == '\0') {
            api_respond_error(resp, PP_UNAUTHORIZED,
                              "an API key is required in the x-access-token header");
            return;
        }
        if (core_auth_verify(app, req->token, strlen(req->token), &req->principal, &err) != PP_OK) {
            api_respond_err(resp, &err);
            return;
        }
        if (route->access == API_ACCESS_ADMIN && req->principal.role != SEC_ROLE_ADMIN) {
            api_respond_error(resp, PP_FORBIDDEN, "this endpoint requires an admin token");
            return;
        }
        req->actor.kind = req->principal.role == SEC_ROLE_ADMIN ? PP_ACTOR_ADMIN
                                                                 : PP_ACTOR_INTEGRATOR;
        req->actor.admin_id = req->principal.admin_id;
    }
    route->handler(app, req, resp);
}

void api_write_amount(struct jw *w, int64_t minor, const char *currency)
{
    char text[PP_AMOUNT_TEXT_BYTES];
    const struct core_currency *cur = core_currency_find(currency, strlen(currency));
    core_money_format(minor, cur != NULL ? cur->exponent : 0, text, sizeof text);
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
    api_write_amount(w, b->paid_out, b->currency);
    jw_object_end(w);
}
