/*
** This module implements the counting of several servers on one database
** (spec §10: rate limits and the sign-in lockout count across all nodes).
** When store_shared() is 1, a token bucket (sec/ratelimit.h) and a lockout
** entry (sec/lockout.h) are rows of the store's shared counters: the same
** rules as in memory, applied to the row while it is locked, on the
** database's clock, so every node sees every take and every failure.
**
** It does not decide when to count (service.c, lockout.c) and holds no
** state of its own.
*/
#include "counters.h"

#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "payout/base/assert.h"
#include "payout/sec/digest.h"

void core_counter_key(const char *prefix, const char *text, char out[STORE_COUNTER_KEY_BYTES])
{
    static const char hex[] = "0123456789abcdef";
    uint8_t digest[SEC_SHA256_BYTES];
    sec_sha256(text, strlen(text), digest);
    size_t n = (size_t)snprintf(out, STORE_COUNTER_KEY_BYTES, "%s", prefix);
    PP_ASSERT(n + 2 * SEC_SHA256_BYTES < STORE_COUNTER_KEY_BYTES);
    for (size_t i = 0; i < SEC_SHA256_BYTES; i++) {
        out[n + 2 * i] = hex[digest[i] >> 4];
        out[n + 2 * i + 1] = hex[digest[i] & 15];
    }
    out[n + 2 * SEC_SHA256_BYTES] = '\0';
}

/* --- A token bucket: values {milli, last_ms, started} ----------------------- */

struct bucket_call {
    uint32_t rate_per_s;
    uint32_t burst;
    struct sec_rate_result *out;
};

static void bucket_apply(void *ctx, int64_t now_ms, int64_t *v)
{
    struct bucket_call *call = ctx;
    struct sec_bucket b = {.milli = v[0], .last_ms = v[1], .started = v[2] != 0};
    sec_bucket_take(&b, call->rate_per_s, call->burst, now_ms, call->out);
    v[0] = b.milli;
    v[1] = b.last_ms;
    v[2] = b.started;
}

enum pp_status core_counter_buckets_take(struct core_app *app, const char *const *keys, size_t n,
                                         uint32_t rate_per_s, uint32_t burst,
                                         struct sec_rate_result *out, struct pp_err *err)
{
    PP_ASSERT(n >= 1 && n <= STORE_COUNTERS_MAX);
    struct bucket_call calls[STORE_COUNTERS_MAX];
    struct store_counter_call counters[STORE_COUNTERS_MAX];
    for (size_t i = 0; i < n; i++) {
        memset(&out[i], 0, sizeof out[i]);
        calls[i] = (struct bucket_call){rate_per_s, burst, &out[i]};
        counters[i] = (struct store_counter_call){keys[i], bucket_apply, &calls[i]};
    }
    return store_counters_update(app->store, counters, n, err);
}

/* --- A lockout entry: values {failures, pending, last_failure_ms,
** locked_until_ms, reserved_ms} ------------------------------------------- */

struct login_call {
    enum core_counter_login what;
    int succeeded;
    int64_t wait_ms;
};

static void login_apply(void *ctx, int64_t now_ms, int64_t *v)
{
    struct login_call *call = ctx;
    struct sec_lockout_entry e = {
        .failures = (uint32_t)v[0],
        .pending = (uint32_t)v[1],
        .last_failure_ms = v[2],
        .locked_until_ms = v[3],
    };
    int64_t reserved_ms = v[4];
    if (e.pending > 0 && now_ms - reserved_ms > (int64_t)PP_LOGIN_PENDING_STALE_S * 1000) {
        /* Its server died before settling: not a guess in flight any more. */
        e.pending = 0;
    }
    sec_lockout_entry_expire(&e, now_ms);
    switch (call->what) {
    case CORE_COUNTER_RESERVE:
        call->wait_ms = sec_lockout_entry_reserve(&e, now_ms);
        reserved_ms = call->wait_ms == 0 ? now_ms : reserved_ms;
        break;
    case CORE_COUNTER_SETTLE:
        sec_lockout_entry_settle(&e, call->succeeded, now_ms);
        break;
    case CORE_COUNTER_RELEASE:
        sec_lockout_entry_release(&e);
        break;
    }
    v[0] = e.failures;
    v[1] = e.pending;
    v[2] = e.last_failure_ms;
    v[3] = e.locked_until_ms;
    v[4] = reserved_ms;
}

enum pp_status core_counter_login(struct core_app *app, const char *key,
                                  enum core_counter_login what, int succeeded, int64_t *wait_ms_out,
                                  struct pp_err *err)
{
    struct login_call call = {what, succeeded, 0};
    const struct store_counter_call counter = {key, login_apply, &call};
    enum pp_status st = store_counters_update(app->store, &counter, 1, err);
    if (wait_ms_out != NULL) {
        *wait_ms_out = call.wait_ms;
    }
    return st;
}

enum pp_status core_counters_purge(struct core_app *app, int64_t idle_ms, struct pp_err *err)
{
    return store_counters_purge(app->store, idle_ms, PP_COUNTERS_PURGE_BATCH, NULL, err);
}
