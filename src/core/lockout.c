/*
** This module implements the log-in lockouts of payout/core/lockout.h:
** the tables of sec/lockout.c, one per log-in, held by the app next to
** its rate limiters, on the monotonic clock of sec/lockout. It does not
** answer anything: the API's request pipeline turns a wait into 429.
*/
#include "payout/core/lockout.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "payout/base/assert.h"
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

int64_t core_lockout_reserve(struct core_app *app, enum core_login which, const char *addr)
{
    return sec_lockout_reserve(table(app, which), addr != NULL ? addr : "", sec_lockout_now_ms());
}

void core_lockout_settle(struct core_app *app, enum core_login which, const char *addr,
                         int succeeded)
{
    sec_lockout_settle(table(app, which), addr != NULL ? addr : "", succeeded,
                       sec_lockout_now_ms());
}

void core_lockout_release(struct core_app *app, enum core_login which, const char *addr)
{
    sec_lockout_release(table(app, which), addr != NULL ? addr : "", sec_lockout_now_ms());
}
