/*
** This module implements the admin endpoints of the panel: reading the
** settings, switching API integration on and off, rotating the
** authentication password, and depositing funds.
*/
#include <string.h>

#include "admin.h"
#include "lifecycle.h"
#include "payout/core/auth_policy.h"
#include "payout/core/funds.h"
#include "payout/core/integration.h"
#include "payout/core/money.h"
#include "payout/core/users.h"
#include "request.h"
#include "response.h"

static void write_integration(struct jw *w, const struct core_integration *in)
{
    jw_object_begin(w);
    jw_key(w, "enabled");
    jw_bool(w, in->enabled);
    jw_key(w, "authenticationPassword");
    if (in->password[0] != '\0') {
        jw_string(w, in->password);
    } else {
        jw_null(w);
    }
    jw_object_end(w);
}

void api_admin_settings_get(struct core_app *app, struct api_request *req,
                            struct api_response *resp)
{
    struct core_integration in;
    struct jw w;
    core_integration_get(app, &in);
    jw_init(&w, &resp->body);
    jw_object_begin(&w);
    jw_key(&w, "apiIntegration");
    write_integration(&w, &in);
    jw_key(&w, "authorization");
    struct core_auth_policy *policy = pp_arena_calloc(req->arena, 1, sizeof *policy);
    core_auth_policy_get(app, policy);
    api_authorization_write(&w, policy);
    jw_key(&w, "security");
    jw_object_begin(&w);
    jw_key(&w, "requireTwoFactor");
    jw_bool(&w, core_security_require_two_factor(app));
    jw_object_end(&w);
    jw_object_end(&w);
}

void api_admin_integration_put(struct core_app *app, struct api_request *req,
                               struct api_response *resp)
{
    static const char *const allowed[] = {"enabled", NULL};
    struct pp_err err = {0};
    struct core_integration in;
    int enabled = 0;
    json_t *body = api_body_read(req, allowed, 0, resp);
    if (body == NULL) {
        return;
    }
    if (api_field_bool(body, "enabled", 1, &enabled, &err) == PP_OK) {
        core_integration_set(app, enabled, &req->actor, &in, &err);
    }
    if (err.status != PP_OK) {
        api_err_respond(resp, &err);
    } else {
        struct jw w;
        jw_init(&w, &resp->body);
        write_integration(&w, &in);
    }
    json_decref(body);
}

void api_admin_integration_rotate(struct core_app *app, struct api_request *req,
                                  struct api_response *resp)
{
    static const char *const allowed[] = {NULL};
    struct pp_err err = {0};
    struct core_integration in;
    json_t *body = api_body_read(req, allowed, 1, resp);
    if (body == NULL) {
        return;
    }
    if (core_integration_rotate(app, &req->actor, &in, &err) != PP_OK) {
        api_err_respond(resp, &err);
    } else {
        struct jw w;
        jw_init(&w, &resp->body);
        write_integration(&w, &in);
    }
    json_decref(body);
}

/* The admin's funds movements (deposit, withdraw) share one body shape
** and one answer: the currency's balance afterwards. */
typedef enum pp_status (*funds_move_fn)(struct core_app *app, const struct core_currency *cur,
                                        int64_t amount_minor, const char *reference,
                                        const struct pp_actor *actor, struct pp_balance *after_out,
                                        struct pp_err *err);

static void funds_move(struct core_app *app, struct api_request *req, struct api_response *resp,
                       funds_move_fn move)
{
    static const char *const allowed[] = {"currency", "amount", "reference", NULL};
    struct pp_err err = {0};
    const struct core_currency *cur = NULL;
    const char *reference = NULL;
    int64_t amount = 0;
    struct pp_balance after;
    json_t *body = api_body_read(req, allowed, 0, resp);
    if (body == NULL) {
        return;
    }
    if (api_field_currency(body, "currency", &cur, &err) == PP_OK) {
        api_field_amount(body, "amount", cur, &amount, &err);
    }
    api_field_string(body, "reference", 0, PP_REFERENCE_BYTES_MAX, &reference, &err);
    if (err.status == PP_OK) {
        move(app, cur, amount, reference, &req->actor, &after, &err);
    }
    if (err.status != PP_OK) {
        api_err_respond(resp, &err);
    } else {
        struct jw w;
        jw_init(&w, &resp->body);
        api_balance_write(&w, &after);
    }
    json_decref(body);
}

void api_admin_deposit(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    funds_move(app, req, resp, core_funds_deposit);
}

void api_admin_withdraw(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    funds_move(app, req, resp, core_funds_withdraw);
}
