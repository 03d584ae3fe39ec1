/*
** This module implements what every handler answers with: the response
** and its headers, the error envelope, and the JSON writers of the values
** every answer uses (balances, amounts, dates). What runs before a
** handler is the request pipeline's (api/pipeline.c).
*/
#include <stdio.h>
#include <string.h>

#include "payout/base/assert.h"

#include "payout/core/dates.h"
#include "payout/core/money.h"
#include "response.h"

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
    resp->secret_at = 0;
    resp->secret_len = 0;
}

void api_response_header_add(struct api_response *resp, const char *name, const char *value)
{
    PP_ASSERT(resp->header_count < PP_RESPONSE_HEADERS_MAX);
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

void api_error_respond(struct api_response *resp, enum pp_status status, const char *message)
{
    struct jw w;
    if (resp->stream_free != NULL) {
        resp->stream_free(resp->stream_ctx);
    }
    resp->stream = NULL;
    resp->stream_ctx = NULL;
    resp->stream_free = NULL;
    pp_buf_reset(&resp->body);
    resp->secret_at = 0;
    resp->secret_len = 0;
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

void api_err_respond(struct api_response *resp, const struct pp_err *err)
{
    api_error_respond(resp, err->status, err->message);
}

void api_amount_write(struct jw *w, int64_t minor, const char *currency)
{
    char text[PP_AMOUNT_TEXT_BYTES];
    const struct core_currency *cur = core_currency_find(currency, strlen(currency));
    core_money_format(minor, cur != NULL ? cur->exponent : 0, text, sizeof text);
    jw_raw(w, text);
}

void api_amount_wide_write(struct jw *w, __int128 minor, const char *currency)
{
    char text[PP_AMOUNT_WIDE_TEXT_BYTES];
    const struct core_currency *cur = core_currency_find(currency, strlen(currency));
    core_money_format_wide(minor, cur != NULL ? cur->exponent : 0, text, sizeof text);
    jw_raw(w, text);
}

void api_date_write(struct jw *w, int64_t ms)
{
    /* The quotes around it and the date in one piece: its text never
    ** needs escaping. */
    char text[PP_DATE_TEXT_BYTES + 2];
    size_t len = core_date_format(ms, text + 1, PP_DATE_TEXT_BYTES);
    text[0] = '"';
    text[len + 1] = '"';
    jw_raw_n(w, text, len + 2);
}

void api_balance_write(struct jw *w, const struct pp_balance *b)
{
    jw_object_begin(w);
    jw_key(w, "currency");
    jw_string(w, b->currency);
    jw_key(w, "available");
    api_amount_write(w, b->available, b->currency);
    jw_key(w, "blocked");
    api_amount_write(w, b->blocked, b->currency);
    jw_key(w, "paidOut");
    api_amount_wide_write(w, b->paid_out, b->currency);
    jw_object_end(w);
}
