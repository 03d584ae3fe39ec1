/*
** This module implements the log-in lockouts of payout/core/lockout.h:
** the tables of sec/lockout.c, one per log-in, held by the app next to
** its rate limiters, on the monotonic clock of sec/lockout; or, on a
** database several servers share (store_shared), one shared counter per
** address and log-in (counters.c), so that failures count across every
** node. It does not answer anything: the API's request pipeline turns a
** wait into 429, and an unreachable shared counter into 503.
*/
#include "payout/core/lockout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counters.h"
#include "internal.h"
#include "payout/base/assert.h"
#include "payout/base/log.h"
#include "payout/sec/lockout.h"

struct core_lockouts {
    struct sec_lockout tables[CORE_LOGIN_COUNT];
};

struct core_lockouts *core_lockouts_create(void)
{
    struct core_lockouts *l = pp_check_alloc(calloc(1, sizeof *l));
    for (int i = 0; i < CORE_LOGIN_COUNT; i++) {
        pthread_mutex_init(&l->tables[i].mutex, NULL);
    }
    return l;
}

void core_lockouts_destroy(struct core_lockouts *l)
{
    if (l == NULL) {
        return;
    }
    for (int i = 0; i < CORE_LOGIN_COUNT; i++) {
        pthread_mutex_destroy(&l->tables[i].mutex);
    }
    free(l);
}

static struct sec_lockout *table(struct core_app *app, enum core_login which)
{
    PP_ASSERT(app->lockouts != NULL && which >= 0 && which < CORE_LOGIN_COUNT);
    return &app->lockouts->tables[which];
}

/* The shared counter of addr at log-in `which`. */
static void shared_key(enum core_login which, const char *addr, char key[STORE_COUNTER_KEY_BYTES])
{
    char prefix[32];
    snprintf(prefix, sizeof prefix, "login:%d:", (int)which);
    core_counter_key(prefix, addr, key);
}

/* Applies `what` to the shared entry of addr; logs a failure. */
static enum pp_status shared_apply(struct core_app *app, enum core_login which, const char *addr,
                                   enum core_counter_login what, int succeeded, int64_t *wait_ms)
{
    char key[STORE_COUNTER_KEY_BYTES];
    struct pp_err err = {0};
    shared_key(which, addr, key);
    enum pp_status st = core_counter_login(app, key, what, succeeded, wait_ms, &err);
    if (st != PP_OK) {
        pp_log(PP_LOG_WARN, "lockout: the shared counter is unavailable: %s", err.message);
    }
    return st;
}

int64_t core_lockout_reserve(struct core_app *app, enum core_login which, const char *addr)
{
    addr = addr != NULL ? addr : "";
    int64_t wait_ms = 0;
    if (!store_shared(app->store)) {
        wait_ms = sec_lockout_reserve(table(app, which), addr, sec_lockout_now_ms());
    } else if (shared_apply(app, which, addr, CORE_COUNTER_RESERVE, 0, &wait_ms) != PP_OK) {
        wait_ms = -1;
    }
    return wait_ms;
}

void core_lockout_settle(struct core_app *app, enum core_login which, const char *addr,
                         int succeeded)
{
    addr = addr != NULL ? addr : "";
    if (!store_shared(app->store)) {
        sec_lockout_settle(table(app, which), addr, succeeded, sec_lockout_now_ms());
    } else {
        /* A failure is logged: the reservation is forgotten once stale. */
        (void)shared_apply(app, which, addr, CORE_COUNTER_SETTLE, succeeded, NULL);
    }
}

void core_lockout_release(struct core_app *app, enum core_login which, const char *addr)
{
    addr = addr != NULL ? addr : "";
    if (!store_shared(app->store)) {
        sec_lockout_release(table(app, which), addr, sec_lockout_now_ms());
    } else {
        (void)shared_apply(app, which, addr, CORE_COUNTER_RELEASE, 0, NULL);
    }
}
