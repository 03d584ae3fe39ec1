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
** interval on its own thread, until core_app_close stops it. It does not
** decide what "open" means (model.c) nor change a payout itself
** (core_payout_expire, bulk.c).
*/
#include "payout/core/expiry.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "payout/base/assert.h"
#include "payout/base/buf.h"
#include "payout/base/log.h"
#include "payout/base/ticker.h"
#include "payout/core/bulk.h"
#include "payout/core/dates.h"
#include "payout/store/lifecycle.h"

/* The background task: a ticker whose pass is run_logged. */
struct core_expiry {
    struct pp_ticker *ticker;
};

/* 1 once core_expiry_stop has been called for app's task. */
static int stop_requested(struct core_app *app)
{
    return app->expiry != NULL && pp_ticker_stopping(app->expiry->ticker);
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

/* One pass at the current time; failures are logged and retried next time. */
static void run_logged(void *arg)
{
    struct core_app *app = arg;
    struct pp_err err = {0};
    if (core_expiry_run(app, core_now_ms(), NULL, &err) != PP_OK) {
        pp_log(PP_LOG_WARN, "expiry: pass failed (retried next interval): %s", err.message);
    }
}

enum pp_status core_expiry_start(struct core_app *app, long interval_ms, struct pp_err *err)
{
    PP_ASSERT(app != NULL && app->expiry == NULL);
    if (interval_ms <= 0) {
        pp_log(PP_LOG_INFO, "expiry: off (--expiry-interval-ms 0)");
        return PP_OK;
    }
    run_logged(app);
    struct core_expiry *e = pp_check_alloc(calloc(1, sizeof *e));
    struct pp_ticker_options opts = {
        .name = "expiry",
        .interval_ms = interval_ms,
        .run = run_logged,
        .arg = app,
    };
    /* Set before the thread starts, which then reads it (stop_requested). */
    app->expiry = e;
    enum pp_status st = pp_ticker_start(&opts, &e->ticker, err);
    if (st != PP_OK) {
        app->expiry = NULL;
        free(e);
    }
    return st;
}

void core_expiry_stop(struct core_app *app)
{
    struct core_expiry *e = app->expiry;
    if (e == NULL) {
        return;
    }
    pp_ticker_stop(e->ticker);
    app->expiry = NULL;
    free(e);
}
