/*
** This module implements the payout endpoints: POST /api/payment/create
** and POST /api/payment/cancel (the seed's methods, field for field) and
** GET /api/payments/{id}. It turns JSON into validated values and answers;
** the rules live in core/payouts.c.
*/
#include <string.h>

#include "internal.h"
#include "lifecycle.h"
#include "payments.h"

const char *const api_payout_request_fields[] = {
    "amount",      "currency", "startDate",    "endDate",     "name",
    "description", "userName", "phoneNumber",  "referenceId", "firstName",
    "lastName",    "email",    "notification", "metadata",    NULL,
};

/* Reads the optional "metadata" into out->metadata ("" when absent or
** null): its compact text, copied into the request's arena. */
static void metadata_read(json_t *body, struct pp_arena *arena, struct core_payout_request *out,
                          struct pp_err *err)
{
    json_t *given = json_object_get(body, "metadata");
    struct pp_buf text;
    if (given == NULL || json_is_null(given)) {
        return;
    }
    pp_buf_init(&text);
    if (api_metadata_compact(given, &text, err) == PP_OK) {
        out->metadata = pp_arena_strndup(arena, text.data, text.len);
    }
    pp_buf_free(&text);
}

void api_payout_request_read(json_t *body, struct pp_arena *arena, struct core_payout_request *out,
                             struct pp_err *err)
{
    struct pp_recipient *r = &out->recipient;
    const char *text = NULL;
    memset(out, 0, sizeof *out);
    out->project_name = "";
    out->description = "";
    out->metadata = "";
    if (api_field_currency(body, "currency", &out->currency, err) == PP_OK) {
        api_field_amount(body, "amount", out->currency, &out->amount_minor, err);
    }
    api_field_date(body, "startDate", &out->start_ms, err);
    api_field_date(body, "endDate", &out->end_ms, err);
    api_field_string(body, "name", 1, PP_PROJECT_NAME_BYTES_MAX, &out->project_name, err);
    api_field_string(body, "description", 1, PP_DESCRIPTION_BYTES_MAX, &out->description, err);
    api_field_ident(body, "userName", 0, r->user_name, sizeof r->user_name, err);
    api_field_ident(body, "phoneNumber", 0, r->phone_number, sizeof r->phone_number, err);
    api_field_ident(body, "referenceId", 1, r->reference_id, sizeof r->reference_id, err);
    if (api_field_string(body, "firstName", 0, PP_PERSON_NAME_BYTES_MAX, &text, err) == PP_OK) {
        memcpy(r->first_name, text, strlen(text) + 1);
    }
    if (api_field_string(body, "lastName", 0, PP_PERSON_NAME_BYTES_MAX, &text, err) == PP_OK) {
        memcpy(r->last_name, text, strlen(text) + 1);
    }
    if (api_field_string(body, "email", 0, PP_EMAIL_BYTES_MAX, &text, err) == PP_OK) {
        memcpy(r->email, text, strlen(text) + 1);
    }
    api_field_bool(body, "notification", 1, &out->notification, err);
    metadata_read(body, arena, out, err);
}

void api_payment_create(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    struct pp_err err = {0};
    struct core_payout_request create;
    struct pp_payout payout;
    json_t *body = api_body_object(req, api_payout_request_fields, 0, resp);
    if (body == NULL) {
        return;
    }
    api_payout_request_read(body, req->arena, &create, &err);
    if (err.status == PP_OK) {
        core_payout_create(app, &create, &req->actor, &payout, &err);
    }
    if (err.status != PP_OK) {
        api_err_respond(resp, &err);
    } else {
        struct jw w;
        jw_init(&w, &resp->body);
        jw_object_begin(&w);
        jw_key(&w, "payments");
        jw_array_begin(&w);
        api_payout_write(&w, &payout);
        jw_array_end(&w);
        jw_object_end(&w);
    }
    json_decref(body);
}

void api_payment_cancel(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    static const char *const allowed[] = {"ids", NULL};
    struct pp_err err = {0};
    int64_t *ids = NULL;
    size_t count = 0;
    int64_t cancelled = 0;
    json_t *body = api_body_object(req, allowed, 0, resp);
    if (body == NULL) {
        return;
    }
    if (api_field_ids(body, "ids", req->arena, &ids, &count, &err) == PP_OK) {
        core_payout_cancel(app, ids, count, &req->actor, &cancelled, &err);
    }
    if (err.status != PP_OK) {
        api_err_respond(resp, &err);
    } else {
        struct jw w;
        jw_init(&w, &resp->body);
        jw_object_begin(&w);
        jw_key(&w, "success");
        jw_int(&w, cancelled);
        jw_object_end(&w);
    }
    json_decref(body);
}

void api_payment_get(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    struct pp_err err = {0};
    struct pp_payout payout;
    int64_t id = 0;
    if (api_id_parse(req->path_params[0], "payment id", &id, &err) == PP_OK) {
        core_payout_get(app, id, &payout, &err);
    }
    if (err.status != PP_OK) {
        api_err_respond(resp, &err);
        return;
    }
    struct jw w;
    jw_init(&w, &resp->body);
    api_payout_write(&w, &payout);
}
