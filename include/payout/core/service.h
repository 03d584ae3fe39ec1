/*
** This header declares the service side of a serving app: its options,
** starting and stopping what runs in the background with it (the
** idempotency purge), and the rate limits per client address and per
** caller.
*/
#ifndef PAYOUT_CORE_SERVICE_H
#define PAYOUT_CORE_SERVICE_H

#include <stdint.h>

#include "payout/core/auth.h"
#include "payout/status.h"

struct core_app;

struct core_service_options {
    uint32_t rate_per_s;   /* requests per second per API key and per address; 0 = off */
    uint32_t rate_burst;   /* bucket capacity (>= 1 when rate_per_s > 0) */
    int idempotency_ttl_h; /* PP_IDEMPOTENCY_TTL_H_MIN..MAX */
};

/* The defaults (PP_RATE_LIMIT_DEFAULT, PP_RATE_BURST_DEFAULT,
** PP_IDEMPOTENCY_TTL_H_DEFAULT). */
void core_service_options_default(struct core_service_options *out);

/* Configures a serving app: creates the rate limiters (unless off) and
** starts the background purge of idempotency keys. Call once, before the
** HTTP server starts; core_app_close stops it. Without it, rate limiting
** is off and keys are never purged (the command-line tools). */
enum pp_status core_service_start(struct core_app *app, const struct core_service_options *opts,
                                  struct pp_err *err);

/* Stops what core_service_start started and frees the limiters. No-op when
** it was not started; called by core_app_close. */
void core_service_stop(struct core_app *app);

/* A rate-limit decision and the figures the caller is told. */
struct core_rate {
    int enabled; /* 0: rate limiting is off (then allowed = 1, no figures) */
    int allowed;
    uint32_t limit;         /* bucket capacity */
    uint32_t remaining;     /* requests left right now */
    uint32_t reset_s;       /* seconds until the bucket is full again */
    uint32_t retry_after_s; /* when refused: seconds to wait (>= 1) */
    int unavailable;        /* the shared counters could not be reached (then allowed = 0):
                            ** answer 503 */
    /* The caller's unchecked API key (core_auth_verify), checked by the
    ** counters' transaction: current, or revoked (then only the address's
    ** bucket was taken, as for any caller that is not authenticated). */
    int key_checked;
    int key_revoked;
};

/* Takes one request from the bucket of the client address addr and, when
** caller is an authenticated principal (not NULL, role set), from the
** caller's bucket too: one per admin, one shared by every API key of the
** integration (keyed by a SHA-256). Refused when either is empty; the
** figures are those of the tighter bucket. On a database several servers
** share (store_shared) the buckets are its shared counters, counted across
** every node on the database's clock; when they cannot be reached the
** request is refused with unavailable = 1. */
void core_rate_take(struct core_app *app, const char *addr, const struct core_principal *caller,
                    struct core_rate *out);

#endif /* PAYOUT_CORE_SERVICE_H */
