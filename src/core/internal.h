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
#include "payout/core/idempotency.h"
#include "payout/core/lifecycle.h"
#include "payout/store/audit.h"
#include "payout/store/store.h"

/* Settings keys (the settings table is a key/value store). */
#define CORE_SETTING_JWT_KEY "jwt_key"               /* hex of PP_JWT_KEY_BYTES */
#define CORE_SETTING_API_ENABLED "api_enabled"       /* "0" or "1" */
#define CORE_SETTING_API_PASSWORD "api_password"     /* the authentication password */
#define CORE_SETTING_API_GENERATION "api_generation" /* decimal; bumped to revoke API keys */
#define CORE_SETTING_AUTH_POLICY "authorization_policy" /* core_auth_policy_encode text */

struct core_idem;
struct sec_ratelimit;

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
    /* The authorization policy, read by every create; guarded by
    ** policy_lock alone (held only to copy or swap it), so a create never
    ** waits for a settings commit. */
    pthread_mutex_t policy_lock;
    struct core_auth_policy policy;
    /* The background expiry task (expiry.c), NULL when not started. */
    struct core_expiry *expiry;
    /* Idempotency keys in flight and their purge (idempotency.c). */
    struct core_idem *idem;
    /* Rate limiters per API key and per client address (service.c); NULL
    ** while rate limiting is off. Set before serving, then read-only. */
    struct sec_ratelimit *rate_keys;
    struct sec_ratelimit *rate_addrs;
    /* The log-in lockouts (lockout.c), from open to close. */
    struct core_lockouts *lockouts;
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

/* A bulk state change over a list of payout ids (cancel, authorize,
** expire): which payouts take part and what happens to each. */
struct core_bulk {
    const int64_t *ids;
    size_t count;
    int64_t now_ms;
    /* 1 when p (re-read inside the transaction) takes part. */
    int (*eligible)(const struct pp_payout *p, int64_t now_ms);
    /* Changes p inside the transaction. */
    enum pp_status (*apply)(struct store_tx *tx, const struct pp_payout *p, int64_t now_ms,
                            struct pp_err *err);
    const struct pp_actor *actor;
    const char *action; /* audit action, e.g. "payment.cancel" */
    int64_t done;       /* out: how many payouts changed */
};

/* Runs b in one transaction: reads each id (unknown ones and repeats fall
** out by eligibility), applies b->apply to the eligible ones, and appends
** one audit entry naming them when any changed. b->done counts them. */
enum pp_status core_payout_bulk_run(struct core_app *app, struct core_bulk *b,
                                    struct pp_err *err);

/* Closes open payout p as `to` (CANCELLED or EXPIRED) at now_ms and
** releases its blocked funds (one RELEASE ledger row). */
enum pp_status core_payout_close_released(struct store_tx *tx, const struct pp_payout *p,
                                          enum pp_payout_status to, int64_t now_ms,
                                          struct pp_err *err);

/* The domain rules of a create request (amount, window, names, at least
** one identifier). PP_INVALID_PARAMS with a message otherwise. */
enum pp_status core_payout_validate(const struct core_payout_request *req, struct pp_err *err);

/* The status a new payout starts in under the current settings. */
enum pp_payout_status core_payout_initial_status(struct core_app *app,
                                                 const struct core_payout_request *req);

/* Loads the stored authorization policy into app->policy (off when none
** is stored). Called by core_settings_load. */
enum pp_status core_auth_policy_load(struct core_app *app, struct pp_err *err);

/* Loads the settings into app (creating the signing key on first start). */
enum pp_status core_settings_load(struct core_app *app, struct pp_err *err);

/* --- Idempotency and service (idempotency.c, service.c) --------------- */

/* The in-flight registry and purge state; destroy after the purge stopped. */
struct core_idem *core_idem_create(void);
void core_idem_destroy(struct core_idem *idem);
/* core_write for the calling thread's current keyed request r (registered,
** not yet recorded): runs fn and inserts r's key in the same savepoint,
** then marks r recorded once the commit is durable. */
enum pp_status core_idem_write(struct core_app *app, struct core_idem_request *r, store_tx_fn fn,
                               void *arg, struct pp_err *err);
/* Starts the background purge of keys older than ttl_h hours; stop it
** (no-op when not started) before closing the store. */
enum pp_status core_idem_purger_start(struct core_app *app, int ttl_h, struct pp_err *err);
void core_idem_purger_stop(struct core_app *app);
/* Stops what core_service_start started and frees the limiters. */
void core_service_stop(struct core_app *app);

#endif /* PAYOUT_CORE_INTERNAL_H */
