/*
** This module implements the lifetime of struct core_app and the settings
** it caches: the token signing key and the API-integration switch,
** password and revocation generation, and core_write, the one door of every
** core write, which also records a keyed request's Idempotency-Key in the
** transaction of its action (idempotency.c). It does not implement the
** payout or funds operations (payouts.c, funds.c) nor authentication
** (auth.c).
*/
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "payout/base/assert.h"
#include "payout/base/log.h"
#include "payout/core/dates.h"
#include "payout/core/lockout.h"
#include "payout/sec/secrets.h"

enum pp_status core_app_open(const char *db_path, unsigned readers, struct core_app **out,
                             struct pp_err *err)
{
    struct core_app *app = pp_check_alloc(calloc(1, sizeof *app));
    pthread_mutex_init(&app->settings_lock, NULL);
    pthread_mutex_init(&app->policy_lock, NULL);
    core_auth_policy_init(&app->policy);
    app->idem = core_idem_create();
    app->lockouts = core_lockouts_create();
    enum pp_status st = store_open(db_path, readers, &app->store, err);
    if (st == PP_OK) {
        st = core_settings_load(app, err);
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
    store_close(app->store);
    core_idem_destroy(app->idem);
    core_lockouts_destroy(app->lockouts);
    sec_wipe(app->jwt_key, sizeof app->jwt_key);
    sec_wipe(&app->integration, sizeof app->integration);
    pthread_mutex_destroy(&app->settings_lock);
    pthread_mutex_destroy(&app->policy_lock);
    free(app);
}

int core_app_ready(struct core_app *app)
{
    return store_ping(app->store);
}

static enum pp_status put_key(struct store_tx *tx, void *arg, struct pp_err *err)
{
    return store_tx_setting_put(tx, CORE_SETTING_JWT_KEY, arg, err);
}

static enum pp_status load_key(struct core_app *app, struct pp_err *err)
{
    char hex[2 * PP_JWT_KEY_BYTES + 1];
    int found = 0;
    enum pp_status st =
        store_setting_get(app->store, CORE_SETTING_JWT_KEY, hex, sizeof hex, &found, err);
    if (st != PP_OK) {
        goto done;
    }
    if (found) {
        if (!sec_hex_decode(hex, strlen(hex), app->jwt_key, sizeof app->jwt_key)) {
            st = pp_err_set(err, PP_INTERNAL, "the stored token signing key is damaged");
        }
        goto done;
    }
    st = sec_random_bytes(app->jwt_key, sizeof app->jwt_key, err);
    if (st != PP_OK) {
        goto done;
    }
    sec_hex_encode(app->jwt_key, sizeof app->jwt_key, hex);
    st = core_write(app, put_key, hex, err);
    if (st == PP_OK) {
        pp_log(PP_LOG_INFO, "generated a new token signing key");
    }
done:
    sec_wipe(hex, sizeof hex);
    return st;
}

enum pp_status core_settings_load(struct core_app *app, struct pp_err *err)
{
    char text[64];
    int found = 0;
    enum pp_status st = load_key(app, err);
    if (st == PP_OK) {
        st =
            store_setting_get(app->store, CORE_SETTING_API_ENABLED, text, sizeof text, &found, err);
    }
    if (st == PP_OK) {
        atomic_store(&app->api_enabled, found && strcmp(text, "1") == 0);
        app->integration.enabled = atomic_load(&app->api_enabled);
        st = store_setting_get(app->store, CORE_SETTING_API_PASSWORD, app->integration.password,
                               sizeof app->integration.password, &found, err);
    }
    if (st == PP_OK) {
        st = store_setting_get(app->store, CORE_SETTING_API_GENERATION, text, sizeof text, &found,
                               err);
    }
    if (st == PP_OK) {
        atomic_store(&app->api_generation, found ? strtoll(text, NULL, 10) : 0);
        st = core_auth_policy_load(app, err);
    }
    return st;
}

/* The settings change handed to the writer. */
struct integration_change {
    int enabled;
    const char *password; /* NULL: unchanged */
    int64_t generation;
    const struct pp_actor *actor;
    const char *action;
};

static enum pp_status write_integration(struct store_tx *tx, void *arg, struct pp_err *err)
{
    const struct integration_change *c = arg;
    char gen[24];
    snprintf(gen, sizeof gen, "%" PRId64, c->generation);
    enum pp_status st =
        store_tx_setting_put(tx, CORE_SETTING_API_ENABLED, c->enabled ? "1" : "0", err);
    if (st == PP_OK && c->password != NULL) {
        st = store_tx_setting_put(tx, CORE_SETTING_API_PASSWORD, c->password, err);
    }
    if (st == PP_OK) {
        st = store_tx_setting_put(tx, CORE_SETTING_API_GENERATION, gen, err);
    }
    if (st == PP_OK) {
        st = core_audit(tx, c->actor, c->action, NULL, c->enabled ? "enabled" : "disabled",
                        core_now_ms(), err);
    }
    return st;
}

void core_integration_get(struct core_app *app, struct core_integration *out)
{
    pthread_mutex_lock(&app->settings_lock);
    *out = app->integration;
    pthread_mutex_unlock(&app->settings_lock);
}

/* Applies a change (new password when new_password, else the current one,
** generated if there is none and enabling). A new password or disabling
** bumps the generation, which revokes every API key issued before;
** switching on (or on again) keeps the keys: none was issued while off. */
static enum pp_status integration_change(struct core_app *app, int enabled, int new_password,
                                         const struct pp_actor *actor, const char *action,
                                         struct core_integration *out, struct pp_err *err)
{
    char password[PP_API_PASSWORD_CHARS + 1] = "";
    enum pp_status st = PP_OK;
    pthread_mutex_lock(&app->settings_lock);
    int need = new_password || (enabled && app->integration.password[0] == '\0');
    if (need) {
        st = sec_random_text(password, PP_API_PASSWORD_CHARS, err);
    }
    struct integration_change change = {
        .enabled = enabled,
        .password = need ? password : NULL,
        .generation = atomic_load(&app->api_generation) + (new_password || !enabled ? 1 : 0),
        .actor = actor,
        .action = action,
    };
    if (st == PP_OK) {
        st = core_write(app, write_integration, &change, err);
    }
    if (st == PP_OK) {
        if (need) {
            memcpy(app->integration.password, password, sizeof password);
        }
        app->integration.enabled = enabled;
        atomic_store(&app->api_generation, change.generation);
        atomic_store(&app->api_enabled, enabled);
    }
    *out = app->integration;
    pthread_mutex_unlock(&app->settings_lock);
    sec_wipe(password, sizeof password);
    return st;
}

enum pp_status core_integration_set(struct core_app *app, int enabled,
                                    const struct pp_actor *actor, struct core_integration *out,
                                    struct pp_err *err)
{
    pp_log(PP_LOG_INFO, "admin %" PRId64 " switched API integration %s", actor->admin_id,
           enabled ? "on" : "off");
    return integration_change(app, enabled != 0, 0, actor, "settings.api_integration", out, err);
}

enum pp_status core_integration_rotate(struct core_app *app, const struct pp_actor *actor,
                                       struct core_integration *out, struct pp_err *err)
{
    pp_log(PP_LOG_INFO, "admin %" PRId64 " rotated the authentication password",
           actor->admin_id);
    return integration_change(app, atomic_load(&app->api_enabled), 1, actor,
                              "settings.api_integration.rotate", out, err);
}

enum pp_status core_write(struct core_app *app, store_tx_fn fn, void *arg, struct pp_err *err)
{
    /* A request with an Idempotency-Key records its key in the transaction
    ** of its first write (its action): see core/idempotency.h. */
    struct core_idem_request *r = core_idem_current();
    if (r != NULL && !r->recorded) {
        return core_idem_write(app, r, fn, arg, err);
    }
    return store_write(app->store, fn, arg, err);
}

enum pp_status core_check(struct core_app *app, void (*report)(void *ctx, const char *line),
                          void *ctx, int *problems_out, struct pp_err *err)
{
    return store_check(app->store, report, ctx, problems_out, err);
}
