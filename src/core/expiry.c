/*
** This module implements expiry: once a payout's endDate has passed while
** it is still open (UNAUTHORIZED or READY), it becomes EXPIRED and its
** blocked funds are released. A pass lists the ended open payouts from a
** read snapshot, then expires them in transactions of at most
** PP_EXPIRY_BATCH_MAX, re-reading each one inside the transaction and
** acting only if it is still open and ended; together with the schema's
** status trigger (a final state is final) this means a payout is never
** released twice, and a cancel, authorize or receive racing with expiry
** ends in exactly one outcome.
**
** The background task runs one pass at start (payouts that ended while the
** server was stopped are expired before it serves) and then one every
** interval on its own thread, until core_app_close stops it. On a database
** several servers share (store_shared), a pass runs only on the node
** holding the expiry lease (a row with an expiry time on the database's
** clock, payout/store/cluster.h), which it renews every pass: expiry runs
** on one node at a time whichever nodes are up, and when the holder dies
** another takes over once the lease has run out (PP_EXPIRY_LEASE_*). The
** holder also purges idle shared counters. Correctness does not rest on
** the lease: a payout is re-read under its row lock before it expires. It does not
** decide what "open" means (model.c) nor change a payout itself
** (core_payout_expire, bulk.c).
*/
#include "payout/core/expiry.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counters.h"
#include "internal.h"
#include "payout/base/assert.h"
#include "payout/base/buf.h"
#include "payout/base/log.h"
#include "payout/base/ticker.h"
#include "payout/core/bulk.h"
#include "payout/core/dates.h"
#include "payout/sec/secrets.h"
#include "payout/store/cluster.h"
#include "payout/store/lifecycle.h"

/* The name of the expiry lease. */
#define EXPIRY_LEASE "expiry"

/* The background task: a ticker whose pass is run_logged. */
struct core_expiry {
    _Atomic(struct pp_ticker *) ticker; /* NULL until the first pass has run */
    int shared;                         /* passes take the lease first */
    int64_t lease_ms;                   /* how long a taken lease lasts */
    char holder[STORE_LEASE_HOLDER_BYTES];
    _Atomic int held;       /* this node held the lease at its last pass */
    _Atomic int64_t passes; /* passes this node ran */
};

/* 1 once core_expiry_stop has been called for app's task. */
static int stop_requested(struct core_app *app)
{
    struct pp_ticker *t = app->expiry != NULL ? atomic_load(&app->expiry->ticker) : NULL;
    return t != NULL && pp_ticker_stopping(t);
}

enum pp_status core_expiry_run(struct core_app *app, int64_t now_ms, int64_t *expired_out,
                               struct pp_err *err)
{
    int64_t ids[PP_EXPIRY_BATCH_MAX];
    int64_t total = 0;
    enum pp_status st = PP_OK;
    for (int batch = 0; batch < PP_EXPIRY_BATCHES_PER_PASS_MAX && !stop_requested(app); batch++) {
        size_t count = 0;
        st = store_payouts_ended_list(app->store, now_ms, ids, PP_EXPIRY_BATCH_MAX, &count, err);
        if (st != PP_OK || count == 0) {
            break;
        }
        int64_t expired = 0;
        st = core_payout_expire(app, ids, count, now_ms, &expired, err);
        if (st != PP_OK) {
            break;
        }
        total += expired;
        /* A short list was the last one; a batch that expired nothing means
        ** the snapshot only held payouts closed meanwhile, which the next
        ** pass no longer lists. */
        if (count < PP_EXPIRY_BATCH_MAX || expired == 0) {
            break;
        }
    }
    if (total > 0) {
        pp_log(PP_LOG_INFO, "expiry: expired %" PRId64 " payout(s) and released their funds",
               total);
    }
    if (expired_out != NULL) {
        *expired_out = total;
    }
    return st;
}

/* On a shared database: takes or renews the lease; 1 when this node is to
** run the pass. A change of holder is logged. */
static int lease_take(struct core_app *app, struct core_expiry *e)
{
    struct pp_err err = {0};
    int held = 0;
    if (store_lease_take(app->store, EXPIRY_LEASE, e->holder, e->lease_ms, &held, &err) != PP_OK) {
        pp_log(PP_LOG_WARN, "expiry: cannot take the lease (retried next interval): %s",
               err.message);
        held = 0;
    }
    if (held != atomic_load(&e->held)) {
        pp_log(PP_LOG_INFO, held ? "expiry: this node now runs expiry (lease taken)"
                                 : "expiry: another node runs expiry (lease not held)");
    }
    atomic_store(&e->held, held);
    return held;
}

/* One pass at the current time (on a shared database only with the lease);
** failures are logged and retried next time. */
static void run_logged(void *arg)
{
    struct core_app *app = arg;
    struct core_expiry *e = app->expiry;
    struct pp_err err = {0};
    if (e->shared && !lease_take(app, e)) {
        return;
    }
    atomic_fetch_add(&e->passes, 1);
    if (core_expiry_run(app, core_now_ms(), NULL, &err) != PP_OK) {
        pp_log(PP_LOG_WARN, "expiry: pass failed (retried next interval): %s", err.message);
    }
    if (e->shared && core_counters_purge(app, core_counters_idle_ms(app), &err) != PP_OK) {
        pp_log(PP_LOG_WARN, "expiry: purging idle counters failed: %s", err.message);
    }
}

void core_expiry_stats(struct core_app *app, struct core_expiry_stats *out)
{
    struct core_expiry *e = app->expiry;
    out->running = e != NULL;
    out->shared = e != NULL && e->shared;
    out->lease_held = e != NULL && atomic_load(&e->held);
    out->passes = e != NULL ? atomic_load(&e->passes) : 0;
}

enum pp_status core_expiry_start(struct core_app *app, long interval_ms, struct pp_err *err)
{
    PP_ASSERT(app != NULL && app->expiry == NULL);
    if (interval_ms <= 0) {
        pp_log(PP_LOG_INFO, "expiry: off (--expiry-interval-ms 0)");
        return PP_OK;
    }
    struct core_expiry *e = pp_check_alloc(calloc(1, sizeof *e));
    e->shared = store_shared(app->store);
    e->lease_ms = (int64_t)interval_ms * PP_EXPIRY_LEASE_INTERVALS;
    e->lease_ms = e->lease_ms > PP_EXPIRY_LEASE_MIN_MS ? e->lease_ms : PP_EXPIRY_LEASE_MIN_MS;
    enum pp_status st = PP_OK;
    if (e->shared) {
        /* Who holds the lease: this process, whatever its address. */
        st = sec_random_text(e->holder, 32, err);
    }
    if (st != PP_OK) {
        free(e);
        return st;
    }
    /* Set before the first pass and before the thread starts, which read it. */
    app->expiry = e;
    run_logged(app);
    struct pp_ticker *ticker = NULL;
    struct pp_ticker_options opts = {
        .name = "expiry",
        .interval_ms = interval_ms,
        .run = run_logged,
        .arg = app,
    };
    st = pp_ticker_start(&opts, &ticker, err);
    if (st != PP_OK) {
        app->expiry = NULL;
        free(e);
    } else {
        atomic_store(&e->ticker, ticker);
    }
    return st;
}

void core_expiry_stop(struct core_app *app)
{
    struct core_expiry *e = app->expiry;
    if (e == NULL) {
        return;
    }
    pp_ticker_stop(atomic_load(&e->ticker));
    if (e->shared && atomic_load(&e->held)) {
        /* Hand over at once rather than when the lease runs out. */
        struct pp_err err = {0};
        (void)store_lease_release(app->store, EXPIRY_LEASE, e->holder, &err);
    }
    app->expiry = NULL;
    free(e);
}
