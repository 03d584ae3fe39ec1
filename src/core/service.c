/*
** This module implements the service side of a serving app: its options
** (rate limits, idempotency TTL), starting and stopping what runs in the
** background, and the rate-limit decision per client address and per
** caller: in memory, or, on a database several servers share
** (store_shared), in its shared counters so that the limits count across
** every node (counters.c). Health and readiness answer through
** core_app_ready (app.c).
*/
#include "payout/core/service.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "counters.h"
#include "internal.h"
#include "payout/base/assert.h"
#include "payout/base/log.h"
#include "payout/core/idempotency.h"
#include "payout/sec/digest.h"
#include "payout/sec/ratelimit.h"

/* The rate limiters of a serving app. */
struct core_service {
    struct sec_ratelimit *rate_keys;  /* per caller: one per admin, one for the integration */
    struct sec_ratelimit *rate_addrs; /* per client address */
    uint32_t rate_per_s;
    uint32_t rate_burst;
    int shared; /* the buckets are the store's shared counters (store_shared) */
};

void core_service_options_default(struct core_service_options *out)
{
    out->rate_per_s = PP_RATE_LIMIT_DEFAULT;
    out->rate_burst = PP_RATE_BURST_DEFAULT;
    out->idempotency_ttl_h = PP_IDEMPOTENCY_TTL_H_DEFAULT;
}

enum pp_status core_service_start(struct core_app *app, const struct core_service_options *opts,
                                  struct pp_err *err)
{
    PP_ASSERT(app->service == NULL);
    if (opts->idempotency_ttl_h < PP_IDEMPOTENCY_TTL_H_MIN ||
        opts->idempotency_ttl_h > PP_IDEMPOTENCY_TTL_H_MAX) {
        return pp_err_set(err, PP_INVALID_PARAMS, "the idempotency TTL must be %d..%d hours",
                          PP_IDEMPOTENCY_TTL_H_MIN, PP_IDEMPOTENCY_TTL_H_MAX);
    }
    if (opts->rate_per_s > PP_RATE_LIMIT_MAX || opts->rate_burst > PP_RATE_BURST_MAX ||
        (opts->rate_per_s > 0 && opts->rate_burst == 0)) {
        return pp_err_set(err, PP_INVALID_PARAMS, "the rate limit or burst is out of range");
    }
    if (opts->rate_per_s > 0) {
        struct core_service *s = pp_check_alloc(calloc(1, sizeof *s));
        s->rate_keys =
            sec_ratelimit_create(opts->rate_per_s, opts->rate_burst, PP_RATE_ENTRIES_MAX);
        s->rate_addrs =
            sec_ratelimit_create(opts->rate_per_s, opts->rate_burst, PP_RATE_ENTRIES_MAX);
        s->rate_per_s = opts->rate_per_s;
        s->rate_burst = opts->rate_burst;
        s->shared = store_shared(app->store);
        app->service = s;
    }
    return core_idem_purger_start(app, opts->idempotency_ttl_h, err);
}

void core_service_stop(struct core_app *app)
{
    core_idem_purger_stop(app);
    if (app->service != NULL) {
        sec_ratelimit_destroy(app->service->rate_keys);
        sec_ratelimit_destroy(app->service->rate_addrs);
        free(app->service);
        app->service = NULL;
    }
}

int64_t core_counters_idle_ms(struct core_app *app)
{
    int64_t idle_ms = (int64_t)PP_COUNTERS_IDLE_S * 1000;
    if (app->service != NULL) {
        int64_t refill_ms =
            (int64_t)app->service->rate_burst * 1000 / (int64_t)app->service->rate_per_s + 1000;
        idle_ms = refill_ms > idle_ms ? refill_ms : idle_ms;
    }
    return idle_ms;
}

static int64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Folds b into a: refused if either refused; figures of the tighter one. */
static void rate_merge(struct sec_rate_result *a, const struct sec_rate_result *b)
{
    int b_tighter =
        (!b->allowed && a->allowed) || (b->allowed == a->allowed && b->remaining < a->remaining);
    if (b_tighter) {
        *a = *b;
    } else if (!a->allowed && !b->allowed && b->retry_after_s > a->retry_after_s) {
        a->retry_after_s = b->retry_after_s;
    }
}

/* Takes a token from the in-memory bucket of text in table. */
static void rate_memory_take(struct sec_ratelimit *table, const char *text, int64_t now_ms,
                             struct sec_rate_result *out)
{
    uint8_t digest[SEC_SHA256_BYTES];
    sec_sha256(text, strlen(text), digest);
    sec_ratelimit_take(table, digest, now_ms, out);
}

/* Takes a token from the shared bucket of address addr and, when who is
** not NULL, from the caller's, in one transaction across every node:
** out[0] the address's, out[1] the caller's. 0, or -1 when the shared
** counters cannot be reached (then neither was taken from). */
static int rate_shared_take(struct core_app *app, const char *addr, const char *who,
                            struct sec_rate_result out[2])
{
    char keys[2][STORE_COUNTER_KEY_BYTES];
    const char *const names[2] = {keys[0], keys[1]};
    struct pp_err err = {0};
    core_counter_key("rate:addr:", addr, keys[0]);
    if (who != NULL) {
        core_counter_key("rate:who:", who, keys[1]);
    }
    return core_counter_buckets_take(app, names, who != NULL ? 2 : 1, app->service->rate_per_s,
                                     app->service->rate_burst, out, &err) == PP_OK
               ? 0
               : -1;
}

/* rate_shared_take for a caller whose API key is not checked yet: the
** check rides on the counters' transaction, and a revoked key takes from
** its address's bucket only. */
static int rate_shared_take_keyed(struct core_app *app, const char *addr,
                                  const struct core_principal *caller, const char *who,
                                  struct sec_rate_result res[2], struct core_rate *out)
{
    if (who == NULL || !caller->key_unchecked) {
        return rate_shared_take(app, addr, who, res);
    }
    struct core_key_guard kg;
    core_auth_key_guard_begin_at(&kg, caller);
    int rc = rate_shared_take(app, addr, who, res);
    int held = core_auth_key_guard_stop(&kg);
    if (held > 0) {
        out->key_checked = 1;
    } else if (held < 0) {
        out->key_revoked = 1;
        rc = rate_shared_take(app, addr, NULL, res);
    }
    return rc;
}

void core_rate_take(struct core_app *app, const char *addr, const struct core_principal *caller,
                    struct core_rate *out)
{
    struct sec_rate_result res[2];
    memset(out, 0, sizeof *out);
    out->allowed = 1;
    if (app->service == NULL) {
        return;
    }
    addr = addr != NULL ? addr : "";
    /* One bucket per admin, one for the integration: a fresh API key
    ** (authenticating again) does not bring a fresh bucket. */
    char who[48] = "";
    int by_caller = caller != NULL && caller->role != 0;
    if (by_caller && caller->role == SEC_ROLE_ADMIN) {
        snprintf(who, sizeof who, "admin:%" PRId64, caller->admin_id);
    } else if (by_caller) {
        snprintf(who, sizeof who, "integration");
    }
    int rc = 0;
    if (app->service->shared) {
        rc = rate_shared_take_keyed(app, addr, caller, by_caller ? who : NULL, res, out);
        by_caller = by_caller && !out->key_revoked;
    } else {
        int64_t now_ms = monotonic_ms();
        rate_memory_take(app->service->rate_addrs, addr, now_ms, &res[0]);
        if (by_caller) {
            rate_memory_take(app->service->rate_keys, who, now_ms, &res[1]);
        }
    }
    if (rc != 0) {
        /* The shared counters are in the database: without it nothing
        ** else would work either. */
        out->unavailable = 1;
        out->allowed = 0;
        return;
    }
    if (by_caller) {
        rate_merge(&res[0], &res[1]);
    }
    out->enabled = 1;
    out->allowed = res[0].allowed;
    out->limit = res[0].limit;
    out->remaining = res[0].remaining;
    out->reset_s = res[0].reset_s;
    out->retry_after_s = res[0].retry_after_s;
}
