/*
** This module implements pp_ticker, the loop shared by the background
** tasks: one thread that sleeps on a condition variable (on
** CLOCK_MONOTONIC, so a change of the wall clock neither shortens nor
** stretches an interval) until its interval ends, it is woken, or it is
** stopped, and runs the task's pass outside the lock. A wake-up that comes
** early without a stop or a wake is slept through. It knows nothing of
** what the pass does.
*/
#include "payout/base/ticker.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "payout/base/assert.h"
#include "payout/base/log.h"

struct pp_ticker {
    struct pp_ticker_options opts;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* signalled by wake and stop */
    int woken;         /* guarded by mu */
    int stopping;      /* guarded by mu */
};

/* The time interval_ms from now on CLOCK_MONOTONIC. */
static struct timespec deadline_after(long interval_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += interval_ms / 1000;
    until.tv_nsec += (interval_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    return until;
}

static void block_async_signals(void)
{
    sigset_t set;
    sigfillset(&set);
    sigdelset(&set, SIGSEGV);
    sigdelset(&set, SIGBUS);
    sigdelset(&set, SIGFPE);
    sigdelset(&set, SIGILL);
    sigdelset(&set, SIGABRT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static void *ticker_main(void *arg)
{
    struct pp_ticker *t = arg;
    if (t->opts.block_signals) {
        block_async_signals();
    }
    int due = t->opts.run_at_start;
    PP_ASSERT(pthread_mutex_lock(&t->mu) == 0);
    while (!t->stopping) {
        if (!due && !t->woken) {
            if (t->opts.interval_ms > 0) {
                struct timespec until = deadline_after(t->opts.interval_ms);
                int rc = 0;
                while (!t->stopping && !t->woken && rc == 0) {
                    rc = pthread_cond_timedwait(&t->cv, &t->mu, &until);
                }
            } else {
                while (!t->stopping && !t->woken) {
                    pthread_cond_wait(&t->cv, &t->mu);
                }
            }
            if (t->stopping) {
                break;
            }
        }
        due = 0;
        t->woken = 0;
        pthread_mutex_unlock(&t->mu);
        t->opts.run(t->opts.arg);
        PP_ASSERT(pthread_mutex_lock(&t->mu) == 0);
    }
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

enum pp_status pp_ticker_start(const struct pp_ticker_options *opts, struct pp_ticker **out,
                               struct pp_err *err)
{
    PP_ASSERT(opts->run != NULL && opts->interval_ms >= 0);
    struct pp_ticker *t = pp_check_alloc(calloc(1, sizeof *t));
    t->opts = *opts;
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    PP_ASSERT(pthread_cond_init(&t->cv, &attr) == 0);
    pthread_condattr_destroy(&attr);
    PP_ASSERT(pthread_mutex_init(&t->mu, NULL) == 0);
    /* Set before the thread starts: its pass may read it (pp_ticker_stopping). */
    *out = t;
    int rc = pthread_create(&t->thread, NULL, ticker_main, t);
    if (rc != 0) {
        pp_log(PP_LOG_ERROR, "%s: cannot start its thread: %s", opts->name, strerror(rc));
        pthread_cond_destroy(&t->cv);
        pthread_mutex_destroy(&t->mu);
        free(t);
        *out = NULL;
        return pp_err_set(err, PP_INTERNAL, "cannot start the %s thread", opts->name);
    }
    return PP_OK;
}

void pp_ticker_wake(struct pp_ticker *t)
{
    PP_ASSERT(pthread_mutex_lock(&t->mu) == 0);
    t->woken = 1;
    pthread_cond_signal(&t->cv);
    pthread_mutex_unlock(&t->mu);
}

int pp_ticker_stopping(struct pp_ticker *t)
{
    int stopping = 0;
    if (t != NULL) {
        PP_ASSERT(pthread_mutex_lock(&t->mu) == 0);
        stopping = t->stopping;
        pthread_mutex_unlock(&t->mu);
    }
    return stopping;
}

void pp_ticker_stop(struct pp_ticker *t)
{
    if (t == NULL) {
        return;
    }
    PP_ASSERT(pthread_mutex_lock(&t->mu) == 0);
    t->stopping = 1;
    pthread_cond_signal(&t->cv);
    pthread_mutex_unlock(&t->mu);
    PP_ASSERT(pthread_join(t->thread, NULL) == 0);
    pthread_cond_destroy(&t->cv);
    pthread_mutex_destroy(&t->mu);
    free(t);
}
