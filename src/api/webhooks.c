/*
** This module implements the endpoints of spec section 9: webhook
** endpoints (create, list, get, patch, delete, rotate-secret, test,
** replay, deliveries) and the events feed, and the JSON of an event, which
** the delivery worker sends as the body of a delivery. The secret appears
** only in the answers of create and rotate-secret.
*/
#include "webhooks.h"

#include <stddef.h>
#include <string.h>

#include "payout.h"
#include "payout/api/events.h"
#include "payout/base/assert.h"
#include "payout/core/dates.h"
#include "payout/core/money.h"
#include "payout/core/query.h"
#include "payout/core/webhooks.h"
#include "payout/sec/secrets.h"
#include "request.h"
#include "response.h"

/* --- The JSON of an event ------------------------------------------------------ */

static void event_data_write(struct jw *w, const struct pp_event *e)
{
    if (pp_event_type_is_payout(e->type)) {
        api_payout_snapshot_write(w, &e->payout);
    } else if (e->type == PP_EVENT_WEBHOOK_TEST) {
        jw_object_begin(w);
        jw_key(w, "webhookId");
        jw_int(w, e->endpoint_id);
        jw_key(w, "message");
        jw_string(w, "a test event sent on request");
        jw_object_end(w);
    } else {
        /* The balance object after the move, plus its amount and reference. */
        const struct pp_balance *b = &e->balance;
        jw_object_begin(w);
        jw_key(w, "currency");
        jw_string(w, b->currency);
        jw_key(w, "available");
        api_amount_write(w, b->available, b->currency);
        jw_key(w, "blocked");
        api_amount_write(w, b->blocked, b->currency);
        jw_key(w, "paidOut");
        api_amount_wide_write(w, b->paid_out, b->currency);
        jw_key(w, "amount");
        api_amount_write(w, e->amount_minor, b->currency);
        jw_key(w, "reference");
        if (e->reference[0] != '\0') {
            jw_string(w, e->reference);
        } else {
            jw_null(w);
        }
        jw_object_end(w);
    }
}

static void event_write(struct jw *w, const struct pp_event *e)
{
    char id[PP_EVENT_ID_TEXT_BYTES];
    pp_event_id_format(e->id, id);
    jw_object_begin(w);
    jw_key(w, "id");
    jw_string(w, id);
    jw_key(w, "type");
    jw_string(w, pp_event_type_name(e->type));
    jw_key(w, "createdAt");
    api_date_write(w, e->created_ms);
    jw_key(w, "sequence");
    jw_int(w, e->sequence);
    jw_key(w, "data");
    event_data_write(w, e);
    jw_object_end(w);
}

void api_event_render(const struct pp_event *e, struct pp_buf *out)
{
    struct jw w;
    jw_init(&w, out);
    event_write(&w, e);
}

/* --- The events feed ------------------------------------------------------------- */

/* What GET /api/events reads. */
struct events_query {
    const char *after;
    const char *type;
    int64_t payout_id;
    int64_t size;
    int64_t from_ms;
    int64_t to_ms;
    unsigned given;
};

enum { EVENTS_FROM = 1u, EVENTS_TO = 2u };

#define EQ(field) offsetof(struct events_query, field)
static const struct core_query_param events_params[] = {
    {"after", CORE_QUERY_RAW, 0, EQ(after), CORE_QUERY_NO_FLAG, 0, 0, NULL, NULL, NULL,
     CORE_QUERY_ONCE},
    {"type", CORE_QUERY_RAW, 0, EQ(type), CORE_QUERY_NO_FLAG, 0, 0, NULL, NULL, NULL,
     CORE_QUERY_ONCE},
    {"payoutId", CORE_QUERY_POSITIVE, 0, EQ(payout_id), CORE_QUERY_NO_FLAG, 0, 0, NULL, NULL, NULL,
     CORE_QUERY_ONCE},
    {"size", CORE_QUERY_POSITIVE, PP_EVENTS_PAGE_SIZE_MAX, EQ(size), CORE_QUERY_NO_FLAG, 0, 0, NULL,
     NULL, NULL, CORE_QUERY_ONCE},
    {"from", CORE_QUERY_DATE, 0, EQ(from_ms), EQ(given), EVENTS_FROM, 0, NULL, NULL, NULL,
     CORE_QUERY_ONCE},
    {"to", CORE_QUERY_DATE_END, 0, EQ(to_ms), EQ(given), EVENTS_TO, 0, NULL, NULL, NULL,
     CORE_QUERY_ONCE},
};
#undef EQ
static const struct core_query_spec events_spec = {
    events_params,      sizeof events_params / sizeof events_params[0],
    CORE_QUERY_UNKNOWN, CORE_QUERY_REPEATED,
    CORE_QUERY_EMPTY,   CORE_QUERY_AS_GIVEN,
};

/* Reads the feed's query into f. */
static enum pp_status events_filter_read(const struct api_request *req, struct pp_event_filter *f,
                                         struct pp_err *err)
{
    struct events_query q = {.size = PP_EVENTS_PAGE_SIZE_DEFAULT};
    memset(f, 0, sizeof *f);
    enum pp_status st = api_query_read(req, &events_spec, &q, err);
    if (st == PP_OK && q.after != NULL && !pp_event_id_parse(q.after, &f->after_id)) {
        st = pp_err_set(err, PP_INVALID_PARAMS, "after must be an event id such as evt_12");
    }
    if (st == PP_OK && q.type != NULL &&
        (!pp_event_type_parse(q.type, &f->type) || f->type == PP_EVENT_WEBHOOK_TEST)) {
        st = pp_err_set(err, PP_INVALID_PARAMS,
                        "type must be one of payout.created, payout.authorized, payout.received, "
                        "payout.cancelled, payout.expired, funds.deposited, funds.withdrawn");
    }
    if (st == PP_OK && (q.given & EVENTS_FROM) && (q.given & EVENTS_TO) && q.to_ms < q.from_ms) {
        st = pp_err_set(err, PP_INVALID_PARAMS, "to must not be before from");
    }
    f->has_type = q.type != NULL;
    f->payout_id = q.payout_id;
    f->limit = q.size;
    f->has_from = (q.given & EVENTS_FROM) != 0;
    f->from_ms = q.from_ms;
    f->has_to = (q.given & EVENTS_TO) != 0;
    f->to_ms = q.to_ms;
    return st;
}

struct events_page {
    struct jw *w;
    int64_t last_id;
    int64_t count;
};

static int events_page_row(void *ctx, const struct pp_event *e)
{
    struct events_page *page = ctx;
    event_write(page->w, e);
    page->last_id = e->id;
    page->count++;
    return 0;
}

void api_events_list(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    struct pp_err err = {0};
    struct pp_event_filter f;
    struct jw w;
    if (events_filter_read(req, &f, &err) != PP_OK) {
        api_err_respond(resp, &err);
        return;
    }
    struct events_page page = {.w = &w};
    jw_init(&w, &resp->body);
    jw_object_begin(&w);
    jw_key(&w, "events");
    jw_array_begin(&w);
    if (core_events_page(app, &f, events_page_row, &page, &err) != PP_OK) {
        pp_buf_reset(&resp->body);
        api_err_respond(resp, &err);
        return;
    }
    jw_array_end(&w);
    /* The id to pass as after= for the next page; null when this one was
    ** not full (nothing more yet). */
    jw_key(&w, "nextAfter");
    if (page.count == f.limit) {
        char id[PP_EVENT_ID_TEXT_BYTES];
        pp_event_id_format(page.last_id, id);
        jw_string(&w, id);
    } else {
        jw_null(&w);
    }
    jw_object_end(&w);
}

/* The routes that take no query parameter. */
static const struct core_query_spec no_query_spec = {
    NULL, 0, CORE_QUERY_UNKNOWN, CORE_QUERY_REPEATED, NULL, CORE_QUERY_AS_GIVEN,
};

/* --- Endpoints --------------------------------------------------------------------- */

/* Writes endpoint h, with its secret when not NULL; returns the offset of
** the secret's text in w->out (0 without one). */
static size_t webhook_write(struct jw *w, const struct pp_webhook *h, const char *secret)
{
    size_t secret_at = 0;
    jw_object_begin(w);
    jw_key(w, "id");
    jw_int(w, h->id);
    jw_key(w, "url");
    jw_string(w, h->url);
    jw_key(w, "events");
    jw_array_begin(w);
    for (int t = 0; t < PP_EVENT_TYPE_COUNT; t++) {
        if (h->events_mask & (1u << t)) {
            jw_string(w, pp_event_type_name((enum pp_event_type)t));
        }
    }
    jw_array_end(w);
    jw_key(w, "enabled");
    jw_bool(w, h->enabled);
    jw_key(w, "description");
    if (h->description[0] != '\0') {
        jw_string(w, h->description);
    } else {
        jw_null(w);
    }
    jw_key(w, "createdAt");
    api_date_write(w, h->created_ms);
    jw_key(w, "disabledReason");
    if (h->disabled_reason[0] != '\0') {
        jw_string(w, h->disabled_reason);
    } else {
        jw_null(w);
    }
    if (secret != NULL) {
        jw_key(w, "secret");
        /* After the opening quote; a whsec_ text needs no escaping. */
        secret_at = w->out->len + 1;
        jw_string(w, secret);
    }
    jw_object_end(w);
    return secret_at;
}

/* Reads "events" (absent, null or an array of distinct type names; empty
** means every type) into *mask; *given = 1 when present. */
static enum pp_status events_field_read(json_t *body, unsigned *mask, int *given,
                                        struct pp_err *err)
{
    json_t *v = json_object_get(body, "events");
    *mask = 0;
    *given = v != NULL;
    if (v == NULL || json_is_null(v)) {
        return PP_OK;
    }
    if (!json_is_array(v) || json_array_size(v) > PP_EVENT_TYPE_COUNT) {
        return pp_err_set(err, PP_INVALID_PARAMS,
                          "events must be an array of at most %d event types",
                          PP_EVENT_TYPE_COUNT - 1);
    }
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item)
    {
        enum pp_event_type t;
        if (!json_is_string(item) || !pp_event_type_parse(json_string_value(item), &t) ||
            t == PP_EVENT_WEBHOOK_TEST) {
            return pp_err_set(err, PP_INVALID_PARAMS,
                              "events[%zu] must be one of payout.created, payout.authorized, "
                              "payout.received, payout.cancelled, payout.expired, "
                              "funds.deposited, funds.withdrawn",
                              i);
        }
        if (*mask & (1u << t)) {
            return pp_err_set(err, PP_INVALID_PARAMS, "events[%zu] repeats %s", i,
                              pp_event_type_name(t));
        }
        *mask |= 1u << t;
    }
    return PP_OK;
}

/* The {id} of the path. */
static enum pp_status webhook_id(const struct api_request *req, int64_t *id, struct pp_err *err)
{
    return api_id_parse(req->path_params[0], "webhook id", id, err);
}

/* Answers an endpoint (with secret when not NULL), or err. */
static void webhook_answer(struct api_response *resp, enum pp_status st, const struct pp_err *err,
                           const struct pp_webhook *h, const char *secret)
{
    if (st != PP_OK) {
        api_err_respond(resp, err);
        return;
    }
    struct jw w;
    jw_init(&w, &resp->body);
    size_t secret_at = webhook_write(&w, h, secret);
    if (secret != NULL) {
        resp->secret_at = secret_at;
        resp->secret_len = strlen(secret);
        PP_ASSERT(memcmp(resp->body.data + secret_at, secret, resp->secret_len) == 0);
    }
}

void api_webhook_create(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    static const char *const allowed[] = {"url", "events", "description", NULL};
    struct pp_err err = {0};
    struct pp_webhook *h = pp_arena_calloc(req->arena, 1, sizeof *h);
    char secret[SEC_WEBHOOK_SECRET_TEXT_BYTES] = "";
    const char *url = NULL, *description = NULL;
    unsigned mask = 0;
    int given = 0;
    json_t *body = api_body_read(req, allowed, 0, resp);
    if (body == NULL) {
        return;
    }
    api_field_string(body, "url", 1, PP_WEBHOOK_URL_BYTES_MAX, &url, &err);
    if (err.status == PP_OK) {
        events_field_read(body, &mask, &given, &err);
    }
    api_field_string(body, "description", 0, PP_WEBHOOK_DESCRIPTION_BYTES_MAX, &description, &err);
    if (err.status == PP_OK) {
        core_webhook_create(app, &req->actor, url, mask, description, h, secret, &err);
    }
    webhook_answer(resp, err.status, &err, h, secret);
    sec_wipe(secret, sizeof secret);
    json_decref(body);
}

void api_webhooks_list(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    struct pp_err err = {0};
    struct pp_webhook *list = pp_arena_calloc(req->arena, PP_WEBHOOKS_MAX, sizeof *list);
    size_t n = 0;
    if (api_query_read(req, &no_query_spec, NULL, &err) != PP_OK ||
        core_webhooks_list(app, list, PP_WEBHOOKS_MAX, &n, &err) != PP_OK) {
        api_err_respond(resp, &err);
        return;
    }
    struct jw w;
    jw_init(&w, &resp->body);
    jw_object_begin(&w);
    jw_key(&w, "webhooks");
    jw_array_begin(&w);
    for (size_t i = 0; i < n; i++) {
        webhook_write(&w, &list[i], NULL);
    }
    jw_array_end(&w);
    jw_object_end(&w);
}

void api_webhook_get(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    struct pp_err err = {0};
    struct pp_webhook *h = pp_arena_calloc(req->arena, 1, sizeof *h);
    int64_t id = 0;
    if (webhook_id(req, &id, &err) == PP_OK &&
        api_query_read(req, &no_query_spec, NULL, &err) == PP_OK) {
        core_webhook_get(app, id, h, &err);
    }
    webhook_answer(resp, err.status, &err, h, NULL);
}

void api_webhook_patch(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    static const char *const allowed[] = {"url", "events", "enabled", "description", NULL};
    struct pp_err err = {0};
    struct pp_webhook *h = pp_arena_calloc(req->arena, 1, sizeof *h);
    struct core_webhook_change change = {.enabled = -1};
    int64_t id = 0;
    json_t *body = api_body_read(req, allowed, 0, resp);
    if (body == NULL) {
        return;
    }
    webhook_id(req, &id, &err);
    if (json_object_get(body, "url") != NULL) {
        api_field_string(body, "url", 1, PP_WEBHOOK_URL_BYTES_MAX, &change.url, &err);
    }
    if (err.status == PP_OK) {
        events_field_read(body, &change.events_mask, &change.has_events, &err);
    }
    if (json_object_get(body, "enabled") != NULL &&
        !json_is_null(json_object_get(body, "enabled"))) {
        api_field_bool(body, "enabled", 1, &change.enabled, &err);
    }
    if (json_object_get(body, "description") != NULL) {
        api_field_string(body, "description", 0, PP_WEBHOOK_DESCRIPTION_BYTES_MAX,
                         &change.description, &err);
    }
    if (err.status == PP_OK) {
        core_webhook_update(app, &req->actor, id, &change, h, &err);
    }
    webhook_answer(resp, err.status, &err, h, NULL);
    json_decref(body);
}

/* Answers {"<key>":n} or err. */
static void count_answer(struct api_response *resp, const struct pp_err *err, const char *key,
                         int64_t n)
{
    if (err->status != PP_OK) {
        api_err_respond(resp, err);
        return;
    }
    struct jw w;
    jw_init(&w, &resp->body);
    jw_object_begin(&w);
    jw_key(&w, key);
    jw_int(&w, n);
    jw_object_end(&w);
}

void api_webhook_delete(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    struct pp_err err = {0};
    int64_t id = 0;
    if (webhook_id(req, &id, &err) == PP_OK &&
        api_query_read(req, &no_query_spec, NULL, &err) == PP_OK) {
        core_webhook_delete(app, &req->actor, id, &err);
    }
    count_answer(resp, &err, "success", 1);
}

void api_webhook_rotate(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    static const char *const allowed[] = {NULL};
    struct pp_err err = {0};
    struct pp_webhook *h = pp_arena_calloc(req->arena, 1, sizeof *h);
    char secret[SEC_WEBHOOK_SECRET_TEXT_BYTES] = "";
    int64_t id = 0;
    json_t *body = api_body_read(req, allowed, 1, resp);
    if (body == NULL) {
        return;
    }
    if (webhook_id(req, &id, &err) == PP_OK) {
        core_webhook_rotate(app, &req->actor, id, h, secret, &err);
    }
    webhook_answer(resp, err.status, &err, h, secret);
    sec_wipe(secret, sizeof secret);
    json_decref(body);
}

void api_webhook_test(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    static const char *const allowed[] = {NULL};
    struct pp_err err = {0};
    int64_t id = 0;
    json_t *body = api_body_read(req, allowed, 1, resp);
    if (body == NULL) {
        return;
    }
    if (webhook_id(req, &id, &err) == PP_OK) {
        core_webhook_test(app, &req->actor, id, &err);
    }
    count_answer(resp, &err, "success", 1);
    json_decref(body);
}

void api_webhook_replay(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    static const char *const allowed[] = {"after", "from", "to", NULL};
    struct pp_err err = {0};
    int64_t id = 0, after = 0, from_ms = 0, to_ms = 0, queued = 0;
    const char *after_text = NULL;
    json_t *body = api_body_read(req, allowed, 0, resp);
    if (body == NULL) {
        return;
    }
    webhook_id(req, &id, &err);
    int by_id = json_object_get(body, "after") != NULL;
    int by_period = json_object_get(body, "from") != NULL || json_object_get(body, "to") != NULL;
    if (err.status == PP_OK && by_id == by_period) {
        pp_err_set(&err, PP_INVALID_PARAMS,
                   "give either after (an event id) or from and to (a period), not both");
    }
    if (err.status == PP_OK && by_id &&
        api_field_string(body, "after", 1, PP_EVENT_ID_TEXT_BYTES, &after_text, &err) == PP_OK &&
        !pp_event_id_parse(after_text, &after)) {
        pp_err_set(&err, PP_INVALID_PARAMS, "after must be an event id such as evt_12");
    }
    if (err.status == PP_OK && by_period) {
        api_field_date(body, "from", &from_ms, &err);
        api_field_date(body, "to", &to_ms, &err);
    }
    if (err.status == PP_OK) {
        core_webhook_replay(app, &req->actor, id, after, from_ms, to_ms, &queued, &err);
    }
    count_answer(resp, &err, "queued", queued);
    json_decref(body);
}

void api_webhook_deliveries(struct core_app *app, struct api_request *req,
                            struct api_response *resp)
{
    struct pp_err err = {0};
    struct pp_webhook_attempt *list =
        pp_arena_calloc(req->arena, PP_WEBHOOK_ATTEMPTS_PAGE_MAX, sizeof *list);
    size_t n = 0;
    int64_t id = 0;
    if (webhook_id(req, &id, &err) == PP_OK &&
        api_query_read(req, &no_query_spec, NULL, &err) == PP_OK) {
        core_webhook_attempts(app, id, list, PP_WEBHOOK_ATTEMPTS_PAGE_MAX, &n, &err);
    }
    if (err.status != PP_OK) {
        api_err_respond(resp, &err);
        return;
    }
    struct jw w;
    jw_init(&w, &resp->body);
    jw_object_begin(&w);
    jw_key(&w, "deliveries");
    jw_array_begin(&w);
    for (size_t i = 0; i < n; i++) {
        char event_id[PP_EVENT_ID_TEXT_BYTES];
        pp_event_id_format(list[i].event_id, event_id);
        jw_object_begin(&w);
        jw_key(&w, "eventId");
        jw_string(&w, event_id);
        jw_key(&w, "at");
        api_date_write(&w, list[i].at_ms);
        jw_key(&w, "httpStatus");
        if (list[i].http_status != 0) {
            jw_int(&w, list[i].http_status);
        } else {
            jw_null(&w);
        }
        jw_key(&w, "error");
        if (list[i].error[0] != '\0') {
            jw_string(&w, list[i].error);
        } else {
            jw_null(&w);
        }
        jw_key(&w, "durationMs");
        jw_int(&w, list[i].duration_ms);
        jw_object_end(&w);
    }
    jw_array_end(&w);
    jw_object_end(&w);
}
