/*
** This module implements the read-only service endpoints: GET /api/version,
** GET /api/status (the caller's rate-limit figures), GET /healthz (alive),
** GET /readyz (the database answers) and GET /api/balances.
*/
#include "service.h"
#include "response.h"

void api_version(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    struct jw w;
    (void)app;
    (void)req;
    jw_init(&w, &resp->body);
    jw_object_begin(&w);
    jw_key(&w, "status");
    jw_string(&w, "ok");
    jw_key(&w, "version");
    jw_string(&w, PP_VERSION);
    jw_object_end(&w);
}

void api_status(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    struct jw w;
    (void)app;
    jw_init(&w, &resp->body);
    jw_object_begin(&w);
    jw_key(&w, "status");
    jw_string(&w, "ok");
    jw_key(&w, "ratelimit");
    if (req->rate.enabled) {
        /* The figures of this very request, as its X-RateLimit-* headers. */
        jw_object_begin(&w);
        jw_key(&w, "limit");
        jw_int(&w, req->rate.limit);
        jw_key(&w, "remaining");
        jw_int(&w, req->rate.remaining);
        jw_key(&w, "reset");
        jw_int(&w, req->rate.reset_s);
        jw_object_end(&w);
    } else {
        jw_null(&w);
    }
    jw_object_end(&w);
}

void api_healthz(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    struct jw w;
    (void)app;
    (void)req;
    jw_init(&w, &resp->body);
    jw_object_begin(&w);
    jw_key(&w, "status");
    jw_string(&w, "ok");
    jw_object_end(&w);
}

void api_readyz(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    struct jw w;
    (void)req;
    if (!core_app_ready(app)) {
        api_error_respond(resp, PP_UNAVAILABLE, "the database does not answer");
        return;
    }
    jw_init(&w, &resp->body);
    jw_object_begin(&w);
    jw_key(&w, "status");
    jw_string(&w, "ready");
    jw_object_end(&w);
}

void api_balances_list(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    struct pp_balance balances[PP_BALANCES_MAX];
    size_t count = 0;
    struct pp_err err = {0};
    (void)req;
    if (core_balances_list(app, balances, sizeof balances / sizeof balances[0], &count, &err) !=
        PP_OK) {
        api_err_respond(resp, &err);
        return;
    }
    struct jw w;
    jw_init(&w, &resp->body);
    jw_object_begin(&w);
    jw_key(&w, "balances");
    jw_array_begin(&w);
    for (size_t i = 0; i < count; i++) {
        api_balance_write(&w, &balances[i]);
    }
    jw_array_end(&w);
    jw_object_end(&w);
}
