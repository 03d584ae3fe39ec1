/*
** This module implements the read-only service endpoints: GET /api/version
** and GET /api/balances.
*/
#include "internal.h"

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

void api_balances_list(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    struct pp_balance balances[256];
    size_t count = 0;
    struct pp_err err = {0};
    (void)req;
    if (core_balances_list(app, balances, sizeof balances / sizeof balances[0], &count, &err) !=
        PP_OK) {
        api_respond_err(resp, &err);
        return;
    }
    struct jw w;
    jw_init(&w, &resp->body);
    jw_object_begin(&w);
    jw_key(&w, "balances");
    jw_array_begin(&w);
    for (size_t i = 0; i < count; i++) {
        api_write_balance(&w, &balances[i]);
    }
    jw_array_end(&w);
    jw_object_end(&w);
}
