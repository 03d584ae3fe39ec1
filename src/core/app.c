/*
** This module implements the lifetime of struct core_app, at the top of
** core: opening creates every module's state and loads what the modules
** cache (the token signing key, the API-integration settings, the
** authorization policy); closing stops the background work (service,
** expiry) before the store, then frees the states. It implements no
** operation itself.
*/
#include "payout/core/app.h"

#include <stdlib.h>

#include "internal.h"
#include "payout/base/assert.h"
#include "payout/core/auth.h"
#include "payout/core/auth_policy.h"
#include "payout/core/expiry.h"
#include "payout/core/idempotency.h"
#include "payout/core/integration.h"
#include "payout/core/lockout.h"
#include "payout/core/outbox.h"
#include "payout/core/service.h"
#include "payout/core/users.h"
#include "payout/sec/secrets.h"

enum pp_status core_app_open(const char *db_path, unsigned readers, struct core_app **out,
                             struct pp_err *err)
{
    struct core_app *app = pp_check_alloc(calloc(1, sizeof *app));
    app->integration = core_integration_state_create(app);
    app->policy = core_auth_policy_state_create();
    app->idem = core_idem_create();
    app->lockouts = core_lockouts_create();
    app->users = core_users_state_create();
    enum pp_status st = store_open(db_path, readers, &app->store, err);
    if (st == PP_OK) {
        st = core_auth_key_load(app, err);
    }
    if (st == PP_OK) {
        st = core_integration_load(app, err);
    }
    if (st == PP_OK) {
        st = core_auth_policy_load(app, err);
    }
    if (st == PP_OK) {
        st = core_users_load(app, err);
    }
    if (st != PP_OK) {
        core_app_close(app);
        app = NULL;
    }
    *out = app;
    return st;
}

void core_app_close(struct core_app *app)
{
    if (app == NULL) {
        return;
    }
    core_service_stop(app);
    core_expiry_stop(app);
    core_outbox_stop(app);
    store_close(app->store);
    core_idem_destroy(app->idem);
    core_auth_policy_state_destroy(app->policy);
    core_integration_state_destroy(app->integration);
    core_lockouts_destroy(app->lockouts);
    core_users_state_destroy(app->users);
    sec_wipe(app->jwt_key, sizeof app->jwt_key);
    free(app);
}

int core_app_ready(struct core_app *app)
{
    return store_ping(app->store);
}

enum pp_status core_app_migrate(const char *db_path, int *applied_out, struct pp_err *err)
{
    return store_migrate(db_path, applied_out, err);
}

int core_app_schema_latest(void)
{
    return store_schema_version_latest();
}
