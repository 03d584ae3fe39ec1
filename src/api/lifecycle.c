/*
** This module implements the lifecycle endpoints: POST
** /api/payment/authorize (admin, bulk: the ids action of api/payments.c),
** POST /api/payment/receive (integrator) and PUT
** /api/admin/settings/authorization (admin), plus the JSON side of the
** authorization policy. It turns JSON into validated values and answers;
** the rules live in core/lifecycle.c.
*/
#include "lifecycle.h"
#include "payments.h"
#include "payout.h"
#include "payout/core/auth_policy.h"
#include "payout/core/bulk.h"
#include "payout/core/money.h"
#include "payout/core/receive.h"
#include "request.h"
#include "response.h"

#include <stdio.h>
#include <string.h>

/* --- Authorization policy ------------------------------------------------------ */

void api_authorization_write(struct jw *w, const struct core_auth_policy *p)
{
    jw_object_begin(w);
    jw_key(w, "mode");
    jw_string(w, core_auth_mode_name(p->mode));
    jw_key(w, "thresholds");
    jw_object_begin(w);
    for (size_t i = 0; i < p->count; i++) {
        jw_key(w, p->thresholds[i].currency);
        api_amount_write(w, p->thresholds[i].minor, p->thresholds[i].currency);
    }
    jw_object_end(w);
    jw_object_end(w);
}

/* Reads {"GBP":100,...} into p; zero is a valid threshold (every payout
** of that currency then needs authorization). */
static enum pp_status read_thresholds(const json_t *obj, struct core_auth_policy *p,
                                      struct pp_err *err)
{
    const char *code;
    json_t *v;
    enum pp_status st = PP_OK;
    json_object_foreach((json_t *)obj, code, v)
    {
        char field[48];
        int64_t minor = 0;
        const struct core_currency *cur = core_currency_find(code, strlen(code));
        snprintf(field, sizeof field, "thresholds.%.16s", code);
        if (cur == NULL) {
            st = pp_err_set(err, PP_INVALID_PARAMS,
                            "thresholds: '%.16s' is not a supported ISO 4217 currency code", code);
        } else if (json_is_integer(v)) {
            st = core_money_from_int(json_integer_value(v), cur, field, &minor, err);
        } else if (json_is_real(v)) {
            st = core_money_from_double(json_real_value(v), cur, field, &minor, err);
        } else {
            st = pp_err_set(err, PP_INVALID_PARAMS, "%s must be a number", field);
        }
        if (st == PP_OK) {
            st = core_auth_policy_add(p, cur, minor, err);
        }
        if (st != PP_OK) {
            break;
        }
    }
    return st;
}

/* Reads the PUT body into p. */
static enum pp_status read_policy(json_t *body, struct core_auth_policy *p, struct pp_err *err)
{
    const char *mode = NULL;
    core_auth_policy_init(p);
    enum pp_status st = api_field_string(body, "mode", 1, 16, &mode, err);
    if (st == PP_OK && !core_auth_mode_parse(mode, strlen(mode), &p->mode)) {
        st = pp_err_set(err, PP_INVALID_PARAMS,
                        "mode must be \"off\", \"always\" or \"above\" (not '%.16s')", mode);
    }
    json_t *thresholds = json_object_get(body, "thresholds");
    if (st == PP_OK && thresholds != NULL && !json_is_null(thresholds)) {
        if (!json_is_object(thresholds)) {
            st = pp_err_set(err, PP_INVALID_PARAMS,
                            "thresholds must be an object of currency codes to amounts");
        } else {
            st = read_thresholds(thresholds, p, err);
        }
    }
    return st;
}

void api_admin_authorization_put(struct core_app *app, struct api_request *req,
                                 struct api_response *resp)
{
    static const char *const allowed[] = {"mode", "thresholds", NULL};
    struct pp_err err = {0};
    /* Two policies are a few KiB each: the request's arena holds them. */
    struct core_auth_policy *policy = pp_arena_calloc(req->arena, 2, sizeof *policy);
    struct core_auth_policy *now = policy + 1;
    json_t *body = api_body_read(req, allowed, 0, resp);
    if (body == NULL) {
        return;
    }
    if (read_policy(body, policy, &err) == PP_OK) {
        core_auth_policy_set(app, policy, &req->actor, now, &err);
    }
    if (err.status != PP_OK) {
        api_err_respond(resp, &err);
    } else {
        struct jw w;
        jw_init(&w, &resp->body);
        api_authorization_write(&w, now);
    }
    json_decref(body);
}

/* --- Authorize, receive, withdraw ------------------------------------------------ */

void api_payment_authorize(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    api_ids_action_run(app, req, resp, core_payout_authorize);
}

void api_payment_receive(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    static const char *const allowed[] = {"id", "reference", NULL};
    struct pp_err err = {0};
    const char *reference = NULL;
    struct pp_payout payout;
    json_t *body = api_body_read(req, allowed, 0, resp);
    if (body == NULL) {
        return;
    }
    json_t *id = json_object_get(body, "id");
    if (id == NULL || json_is_null(id)) {
        pp_err_set(&err, PP_INVALID_PARAMS, "id is required");
    } else if (!json_is_integer(id) || json_integer_value(id) <= 0) {
        pp_err_set(&err, PP_INVALID_PARAMS, "id must be a positive integer");
    }
    api_field_string(body, "reference", 0, PP_REFERENCE_BYTES_MAX, &reference, &err);
    if (err.status == PP_OK) {
        core_payout_receive(app, (int64_t)json_integer_value(id), reference, &req->actor, &payout,
                            &err);
    }
    if (err.status != PP_OK) {
        api_err_respond(resp, &err);
    } else {
        struct api_payout_notes notes;
        api_payout_notes_after_write(app, &payout, &notes);
        struct jw w;
        jw_init(&w, &resp->body);
        api_payout_write(&w, &payout, &notes);
    }
    json_decref(body);
}
