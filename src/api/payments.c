/*
** This module implements the payout endpoints: POST /api/payment/create
** and POST /api/payment/cancel (the seed's methods, field for field) and
** GET /api/payments/{id}, and the ids action that cancel and POST
** /api/payment/authorize share ({"ids":[...]} in, {"success":n} out). It turns JSON into validated
*values and answers;
** the rules live in core/payouts.c.
*/
#include <string.h>

#include "payments.h"
#include "payout.h"
#include "payout/core/bulk.h"
#include "payout/core/payouts.h"
#include "request.h"
#include "response.h"

void api_payment_create(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    struct pp_err err = {0};
    struct core_payout_request create;
    struct pp_payout payout;
    struct pp_notification ready;
    json_t *body = api_body_read(req, api_payout_request_fields, 0, resp);
    if (body == NULL) {
        return;
    }
    api_payout_request_read(body, req->arena, &create, &err);
    if (err.status == PP_OK) {
        core_payout_create(app, &create, &req->actor, &payout, &ready, &err);
    }
    if (err.status != PP_OK) {
        api_err_respond(resp, &err);
    } else {
        /* A new payout has at most its "ready" e-mail: the write says
        ** whether it recorded one, no read needed. */
        struct api_payout_notes notes = {1, 0, {{0}}};
        if (ready.kind == PP_NOTIFY_READY) {
            notes.items[notes.count++] = ready;
        }
        struct jw w;
        jw_init(&w, &resp->body);
        jw_object_begin(&w);
        jw_key(&w, "payments");
        jw_array_begin(&w);
        api_payout_write(&w, &payout, &notes);
        jw_array_end(&w);
        jw_object_end(&w);
    }
    json_decref(body);
}

void api_ids_action_run(struct core_app *app, struct api_request *req, struct api_response *resp,
                        api_ids_action_fn action)
{
    static const char *const allowed[] = {"ids", NULL};
    struct pp_err err = {0};
    int64_t *ids = NULL;
    size_t count = 0;
    int64_t done = 0;
    json_t *body = api_body_read(req, allowed, 0, resp);
    if (body == NULL) {
        return;
    }
    if (api_field_ids(body, "ids", req->arena, &ids, &count, &err) == PP_OK) {
        action(app, ids, count, &req->actor, &done, &err);
    }
    if (err.status != PP_OK) {
        api_err_respond(resp, &err);
    } else {
        struct jw w;
        jw_init(&w, &resp->body);
        jw_object_begin(&w);
        jw_key(&w, "success");
        jw_int(&w, done);
        jw_object_end(&w);
    }
    json_decref(body);
}

void api_payment_cancel(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    api_ids_action_run(app, req, resp, core_payout_cancel);
}

void api_payment_get(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    struct pp_err err = {0};
    struct pp_payout payout;
    struct api_payout_notes notes = {1, 0, {{0}}};
    int64_t id = 0;
    if (api_id_parse(req->path_params[0], "payment id", &id, &err) == PP_OK) {
        core_payout_get_noted(app, id, &payout, notes.items, &notes.count, &err);
    }
    if (err.status != PP_OK) {
        api_err_respond(resp, &err);
        return;
    }
    struct jw w;
    jw_init(&w, &resp->body);
    api_payout_write(&w, &payout, &notes);
}
