/*
** This private header is what the core modules share: the layout of
** struct core_app and the settings keys.
*/
#ifndef PAYOUT_CORE_INTERNAL_H
#define PAYOUT_CORE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "payout/core/app.h"
#include "payout/store/store.h"

/* Settings keys (the settings table is a key/value store). */
#define CORE_SETTING_JWT_KEY "jwt_key"               /* hex of PP_JWT_KEY_BYTES */
#define CORE_SETTING_API_ENABLED "api_enabled"       /* "0" or "1" */
#define CORE_SETTING_API_PASSWORD "api_password"     /* the authentication password */
#define CORE_SETTING_API_GENERATION "api_generation" /* decimal; bumped to revoke API keys */

struct core_app {
    struct store *store;
    uint8_t jwt_key[PP_JWT_KEY_BYTES]; /* set once at open, then read-only */
    /* Serialises settings changes and guards `integration`. Held across the
    ** store_write of a settings change so the cache follows commit order. */
    pthread_mutex_t settings_lock;
    struct core_integration integration;
    /* Read lock-free by every token check. */
    _Atomic int64_t api_generation;
    _Atomic int api_enabled;
};

/* Loads the settings into app (creating the signing key on first start). */
enum pp_status core_settings_load(struct core_app *app, struct pp_err *err);

#endif /* PAYOUT_CORE_INTERNAL_H */
