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
#include "payout/store/audit.h"
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

/* Every write of the core goes through here rather than store_write, so
** that what accompanies a write (an idempotency record, later) lands in the
** same transaction. Same contract as store_write. */
enum pp_status core_write(struct core_app *app, store_tx_fn fn, void *arg, struct pp_err *err);

/* Appends an audit entry for actor inside tx (see store/audit.h). subject
** and detail may be NULL. */
enum pp_status core_audit(struct store_tx *tx, const struct pp_actor *actor, const char *action,
                          const char *subject, const char *detail, int64_t now_ms,
                          struct pp_err *err);

/* Creates one payout inside tx: ensures the project, resolves or creates
** the recipient, inserts the payout with status `initial` (READY or
** UNAUTHORIZED) and uuid, and blocks its amount. req must have passed
** core_payout_validate. Used by core_payout_create and by bulk lists (one
** savepoint-free call per row inside one transaction). *out = the payout. */
enum pp_status core_payout_write_create(struct store_tx *tx, const struct core_payout_request *req,
                                        enum pp_payout_status initial, const char *uuid,
                                        int64_t now_ms, struct pp_payout *out,
                                        struct pp_err *err);

/* The domain rules of a create request (amount, window, names, at least
** one identifier). PP_INVALID_PARAMS with a message otherwise. */
enum pp_status core_payout_validate(const struct core_payout_request *req, struct pp_err *err);

/* The status a new payout starts in under the current settings. */
enum pp_payout_status core_payout_initial_status(struct core_app *app,
                                                 const struct core_payout_request *req);

/* Loads the settings into app (creating the signing key on first start). */
enum pp_status core_settings_load(struct core_app *app, struct pp_err *err);

#endif /* PAYOUT_CORE_INTERNAL_H */
