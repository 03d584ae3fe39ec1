/*
** This header declares expiry: open payouts whose endDate has passed
** become EXPIRED and their funds are released, by one pass on demand or by
** a background task repeating it.
*/
#ifndef PAYOUT_CORE_EXPIRY_H
#define PAYOUT_CORE_EXPIRY_H

#include <stdint.h>

#include "payout/status.h"

struct core_app;

/* One expiry pass at now_ms: every open payout whose endDate is before
** now_ms becomes EXPIRED (expiredAt = now_ms) and its funds are released
** (a RELEASE ledger row), in transactions of at most PP_EXPIRY_BATCH_MAX
** payouts, each audited as actor system "payment.expire". Each payout is
** re-read inside its transaction and expired only if it is still open, so
** a payout cancelled or received meanwhile is left alone and none is ever
** released twice. *expired_out (may be NULL) = how many were expired.
** At most PP_EXPIRY_BATCHES_PER_PASS_MAX batches; the rest waits for the
** next pass. */
enum pp_status core_expiry_run(struct core_app *app, int64_t now_ms, int64_t *expired_out,
                               struct pp_err *err);

/* Runs one pass at once (on the caller's thread, so payouts that ended
** while the server was stopped are expired before it serves), then starts
** a thread repeating it every interval_ms. interval_ms 0 runs nothing and
** starts nothing (expiry off). At most one task per app; core_app_close
** stops it. On a shared database (store_shared) a pass runs only while
** this node holds the expiry lease, taken or renewed at each pass for
** PP_EXPIRY_LEASE_INTERVALS intervals (at least PP_EXPIRY_LEASE_MIN_MS);
** stopping gives it up. */
enum pp_status core_expiry_start(struct core_app *app, long interval_ms, struct pp_err *err);

/* What the task has done, for /metrics. */
struct core_expiry_stats {
    int running;    /* the task runs (expiry is on) */
    int shared;     /* on a shared database: passes need the lease */
    int lease_held; /* this node held the expiry lease at its last pass */
    int64_t passes; /* passes this node ran (with the lease, when shared) */
};
void core_expiry_stats(struct core_app *app, struct core_expiry_stats *out);

/* Stops the task (a running pass finishes its current batch first) and
** joins its thread. No-op when none runs; called by core_app_close. */
void core_expiry_stop(struct core_app *app);

#endif /* PAYOUT_CORE_EXPIRY_H */
