/*
** This header declares pp_ticker, the one loop of every background task: a
** thread that runs a pass each time its interval ends or it is woken,
** until it is stopped. Expiry, the idempotency purge and the store's
** checkpointer are tickers; a task keeps its own state and only says what
** one pass does.
*/
#ifndef PAYOUT_BASE_TICKER_H
#define PAYOUT_BASE_TICKER_H

#include "payout/status.h"

struct pp_ticker;

struct pp_ticker_options {
    const char *name;       /* for the log, e.g. "expiry" */
    long interval_ms;       /* a pass every interval_ms; 0: only when woken */
    int run_at_start;       /* 1: the thread's first pass runs at once, not after an interval */
    int block_signals;      /* 1: the thread blocks the asynchronous signals (the main thread
                            ** handles them); faults still arrive */
    void (*run)(void *arg); /* one pass, on the ticker's thread */
    void *arg;              /* borrowed; must outlive the ticker */
};

/* Starts the thread. *out is new: stop it with pp_ticker_stop.
** PP_INTERNAL when the thread cannot start (*out NULL then). */
enum pp_status pp_ticker_start(const struct pp_ticker_options *opts, struct pp_ticker **out,
                               struct pp_err *err);

/* Asks for a pass as soon as the running one (if any) ends. Wakes that
** arrive while a pass waits to start count once. Safe from any thread. */
void pp_ticker_wake(struct pp_ticker *t);

/* 1 once pp_ticker_stop has been called: a long pass checks it between its
** steps. NULL (no ticker) is 0. */
int pp_ticker_stopping(struct pp_ticker *t);

/* Stops the ticker (a running pass finishes first), joins its thread and
** frees t. NULL is a no-op. */
void pp_ticker_stop(struct pp_ticker *t);

#endif /* PAYOUT_BASE_TICKER_H */
