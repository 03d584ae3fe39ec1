/*
** This module implements the API-integration settings: the switch, the
** authentication password and the revocation generation of API keys, kept
** in the settings. Every change is one audited write, and a cache in
** memory follows commit order. When several servers may share the
** database (store_shared: PostgreSQL), every check (an API key's
** generation, the authentication password) and every change reads the
** stored settings first, so a key revoked through one server is refused by
** all from the next request on (spec §10). The key checks running at the
** same time share one read of the switch and the generation that began
** after each of them (base/coalesce.h). On SQLite, whose one server is
** the only writer, an API key is checked against the cache, lock-free. It
** does not issue or verify tokens (auth.c).
*/
#include "payout/core/integration.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "payout/base/assert.h"
#include "payout/base/coalesce.h"
#include "payout/base/log.h"
#include "payout/core/dates.h"
#include "payout/sec/secrets.h"
#include "payout/store/store.h"
#include "write.h"

/* Settings keys (the settings table is a key/value store). */
#define SETTING_API_ENABLED "api_enabled"       /* "0" or "1" */
#define SETTING_API_PASSWORD "api_password"     /* the authentication password */
#define SETTING_API_GENERATION "api_generation" /* decimal; bumped to revoke API keys */

/* The switch and the generation as stored. */
struct integration_stored {
    int enabled;
    int64_t generation;
};

struct core_integration_state {
    /* Serialises changes and guards `settings`. Held across the write of a
    ** change so the cache follows commit order. */
    pthread_mutex_t lock;
    struct core_integration settings;
    /* Read lock-free by every token check. */
    _Atomic int64_t generation;
    _Atomic int enabled;
    /* A shared database's key checks: concurrent checks share one read
    ** that began after each of them (base/coalesce.h). */
    struct pp_coalesce *key_reads;
};

static enum pp_status integration_key_read(void *arg, void *result, struct pp_err *err);

struct core_integration_state *core_integration_state_create(struct core_app *app)
{
    struct core_integration_state *state = pp_check_alloc(calloc(1, sizeof *state));
    pthread_mutex_init(&state->lock, NULL);
    state->key_reads =
        pp_coalesce_create(integration_key_read, app, sizeof(struct integration_stored));
    return state;
}

void core_integration_state_destroy(struct core_integration_state *state)
{
    if (state == NULL) {
        return;
    }
    sec_wipe(&state->settings, sizeof state->settings);
    pp_coalesce_destroy(state->key_reads);
    pthread_mutex_destroy(&state->lock);
    free(state);
}

/* The stored settings, as one read: the switch and the generation, and the
** password into password (when not NULL). */
static enum pp_status integration_read(struct core_app *app, struct integration_stored *out,
                                       char *password, size_t password_size, struct pp_err *err)
{
    char enabled[8];
    char generation[24];
    struct store_setting_read r[3] = {
        {.key = SETTING_API_ENABLED, .out = enabled, .out_size = sizeof enabled},
        {.key = SETTING_API_GENERATION, .out = generation, .out_size = sizeof generation},
        {.key = SETTING_API_PASSWORD, .out = password, .out_size = password_size},
    };
    enum pp_status st = store_settings_get(app->store, r, password != NULL ? 3 : 2, err);
    if (st == PP_OK) {
        out->enabled = r[0].found && strcmp(enabled, "1") == 0;
        out->generation = r[1].found ? strtoll(generation, NULL, 10) : 0;
    }
    return st;
}

/* Reads the stored settings into the cache (the password only when
** with_password); the caller holds in->lock, or is the start-up. */
static enum pp_status integration_refresh(struct core_app *app, int with_password,
                                          struct pp_err *err)
{
    struct core_integration_state *in = app->integration;
    struct integration_stored s;
    enum pp_status st = integration_read(app, &s, with_password ? in->settings.password : NULL,
                                         sizeof in->settings.password, err);
    if (st == PP_OK) {
        atomic_store(&in->enabled, s.enabled);
        in->settings.enabled = s.enabled;
        atomic_store(&in->generation, s.generation);
    }
    return st;
}

enum pp_status core_integration_load(struct core_app *app, struct pp_err *err)
{
    return integration_refresh(app, 1, err);
}

int core_integration_key_current(struct core_app *app, int64_t generation, struct pp_err *err)
{
    struct core_integration_state *in = app->integration;
    if (!store_shared(app->store)) {
        /* This server is the database's only writer: its cache, which
        ** follows commit order, is the truth. No lock, no query. */
        return atomic_load(&in->enabled) && generation == atomic_load(&in->generation);
    }
    /* Another server may have revoked the key: read the stored settings
    ** (into locals: the cache is the changes' to update, under its lock),
    ** the switch and the generation in one read that began after this
    ** call, shared with the checks running at the same time. */
    struct integration_stored s;
    if (pp_coalesce_read(in->key_reads, &s, err) != PP_OK) {
        return -1;
    }
    return s.enabled && generation == s.generation;
}

/* The guard's test (on the writer thread): the stored settings read as
** integration_read reads them. */
static int integration_guard_holds(const struct store_write_guard *g, const char *const *values)
{
    int enabled = values[0] != NULL && strcmp(values[0], "1") == 0;
    int64_t generation = values[1] != NULL ? strtoll(values[1], NULL, 10) : 0;
    return enabled && generation == g->expected;
}

void core_integration_guard(struct store_write_guard *g, int64_t generation)
{
    memset(g, 0, sizeof *g);
    g->keys[0] = SETTING_API_ENABLED;
    g->keys[1] = SETTING_API_GENERATION;
    g->count = 2;
    g->holds = integration_guard_holds;
    g->expected = generation;
    g->refusal = CORE_KEY_REVOKED_MESSAGE;
}

/* The shared read of core_integration_key_current. */
static enum pp_status integration_key_read(void *arg, void *result, struct pp_err *err)
{
    return integration_read(arg, result, NULL, 0, err);
}

enum pp_status core_integration_password_check(struct core_app *app, const char *password,
                                               size_t len, int64_t *generation_out,
                                               struct pp_err *err)
{
    struct core_integration_state *in = app->integration;
    enum pp_status st = PP_OK;
    pthread_mutex_lock(&in->lock);
    /* As for core_integration_key_current: only another server may have
    ** changed the settings behind the cache. */
    if (store_shared(app->store)) {
        st = integration_refresh(app, 1, err);
    }
    if (st != PP_OK) {
        pthread_mutex_unlock(&in->lock);
        return st;
    }
    /* A disabled integration answers exactly like a wrong password, and
    ** the comparison runs either way: whether the integration is on is
    ** none of an unauthenticated caller's business. */
    int match = sec_equal(password, len, in->settings.password, strlen(in->settings.password));
    if (!in->settings.enabled || in->settings.password[0] == '\0' || !match) {
        st = pp_err_set(err, PP_BAD_CREDENTIALS, "invalid authentication password");
    }
    *generation_out = atomic_load(&in->generation);
    pthread_mutex_unlock(&in->lock);
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

/* Writes change c (settings and audit entry) as one store operation. */
static enum pp_status integration_write(struct core_app *app, const struct integration_change *c,
                                        struct pp_err *err)
{
    char gen[24];
    snprintf(gen, sizeof gen, "%" PRId64, c->generation);
    struct store_setting kv[3];
    size_t n = 0;
    kv[n++] = (struct store_setting){SETTING_API_ENABLED, c->enabled ? "1" : "0"};
    if (c->password != NULL) {
        kv[n++] = (struct store_setting){SETTING_API_PASSWORD, c->password};
    }
    kv[n++] = (struct store_setting){SETTING_API_GENERATION, gen};
    struct core_write cw;
    core_write_begin(&cw, c->actor, core_now_ms());
    enum pp_status st = store_settings_put(app->store, &cw.ctx, kv, n, c->action,
                                           c->enabled ? "enabled" : "disabled", err);
    core_write_end(&cw, st);
    return st;
}

void core_integration_get(struct core_app *app, struct core_integration *out)
{
    struct pp_err err = {0};
    pthread_mutex_lock(&app->integration->lock);
    /* On a storage failure the last settings read are shown. */
    (void)integration_refresh(app, 1, &err);
    *out = app->integration->settings;
    pthread_mutex_unlock(&app->integration->lock);
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
    pthread_mutex_lock(&app->integration->lock);
    /* The change starts from the stored settings, whichever server wrote them. */
    st = integration_refresh(app, 1, err);
    int need = new_password || (enabled && app->integration->settings.password[0] == '\0');
    if (st == PP_OK && need) {
        st = sec_random_text(password, PP_API_PASSWORD_CHARS, err);
    }
    struct integration_change change = {
        .enabled = enabled,
        .password = need ? password : NULL,
        .generation =
            atomic_load(&app->integration->generation) + (new_password || !enabled ? 1 : 0),
        .actor = actor,
        .action = action,
    };
    if (st == PP_OK) {
        st = integration_write(app, &change, err);
    }
    if (st == PP_OK) {
        if (need) {
            memcpy(app->integration->settings.password, password, sizeof password);
        }
        app->integration->settings.enabled = enabled;
        atomic_store(&app->integration->generation, change.generation);
        atomic_store(&app->integration->enabled, enabled);
    }
    *out = app->integration->settings;
    pthread_mutex_unlock(&app->integration->lock);
    sec_wipe(password, sizeof password);
    return st;
}

enum pp_status core_integration_set(struct core_app *app, int enabled, const struct pp_actor *actor,
                                    struct core_integration *out, struct pp_err *err)
{
    pp_log(PP_LOG_INFO, "admin %" PRId64 " switched API integration %s", actor->admin_id,
           enabled ? "on" : "off");
    return integration_change(app, enabled != 0, 0, actor, "settings.api_integration", out, err);
}

enum pp_status core_integration_rotate(struct core_app *app, const struct pp_actor *actor,
                                       struct core_integration *out, struct pp_err *err)
{
    pp_log(PP_LOG_INFO, "admin %" PRId64 " rotated the authentication password", actor->admin_id);
    return integration_change(app, atomic_load(&app->integration->enabled), 1, actor,
                              "settings.api_integration.rotate", out, err);
}
