/*
** This module implements the log-in lockout declared in sec/lockout.h: a
** fixed table of client addresses with their recent failures, reserved
** attempts and lock deadline, guarded by one mutex. It answers "may this
** address try now, and if not, for how long must it wait"; the caller
** turns that into 429 and Retry-After. It does not know HTTP, does not
** log, and never sees a credential.
*/
#include "payout/sec/lockout.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "payout/base/assert.h"

/* Milliseconds a reserved-but-unsettled burst makes the next attempt wait. */
#define LOCKOUT_PENDING_WAIT_MS 1000
/* Doublings of the lock after which PP_LOGIN_LOCK_MAX_S is reached anyway;
** also keeps the shift far from int64 overflow. */
#define LOCKOUT_DOUBLINGS_MAX 20u

int64_t sec_lockout_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The moment e's window ends: a full window after its last failure or the
** end of its lock, whichever is later. */
static int64_t window_end_ms(const struct sec_lockout_entry *e)
{
    int64_t from =
        e->locked_until_ms > e->last_failure_ms ? e->locked_until_ms : e->last_failure_ms;
    return from + (int64_t)PP_LOGIN_WINDOW_S * 1000;
}

/* Forgets e's failures once its window has passed; frees the slot when
** nothing is left to remember. */
static void entry_expire(struct sec_lockout_entry *e, int64_t now_ms)
{
    if (e->addr[0] == '\0' || e->pending > 0) {
        return;
    }
    if (e->failures > 0 && now_ms > window_end_ms(e)) {
        e->failures = 0;
        e->locked_until_ms = 0;
    }
    if (e->failures == 0) {
        memset(e, 0, sizeof *e);
    }
}

/* The entry of addr, or NULL. With create: a free slot, else the slot of
** the address remembered longest ago (nothing in flight), else NULL. */
static struct sec_lockout_entry *entry_find(struct sec_lockout *l, const char *addr, int create,
                                            int64_t now_ms)
{
    struct sec_lockout_entry *free_slot = NULL;
    struct sec_lockout_entry *oldest = NULL;
    struct sec_lockout_entry *found = NULL;
    for (size_t i = 0; i < PP_LOGIN_ADDRS_MAX && found == NULL; i++) {
        struct sec_lockout_entry *e = &l->entries[i];
        entry_expire(e, now_ms);
        if (e->addr[0] == '\0') {
            free_slot = free_slot != NULL ? free_slot : e;
        } else if (strcmp(e->addr, addr) == 0) {
            found = e;
        } else if (e->pending == 0 &&
                   (oldest == NULL || window_end_ms(e) < window_end_ms(oldest))) {
            oldest = e;
        }
    }
    if (found == NULL && create) {
        found = free_slot != NULL ? free_slot : oldest;
        if (found != NULL) {
            memset(found, 0, sizeof *found);
            snprintf(found->addr, sizeof found->addr, "%s", addr);
        }
    }
    return found;
}

int64_t sec_lockout_entry_reserve(struct sec_lockout_entry *e, int64_t now_ms)
{
    int64_t wait_ms = 0;
    if (now_ms < e->locked_until_ms) {
        wait_ms = e->locked_until_ms - now_ms;
    } else if (e->failures < (uint32_t)PP_LOGIN_FAILURES_MAX
                   ? e->failures + e->pending >= (uint32_t)PP_LOGIN_FAILURES_MAX
                   : e->pending > 0) {
        /* Attempts in flight count as failures until settled; once locked
        ** and the lock has run out, one attempt at a time. */
        wait_ms = LOCKOUT_PENDING_WAIT_MS;
    } else {
        e->pending++;
    }
    return wait_ms;
}

void sec_lockout_entry_settle(struct sec_lockout_entry *e, int succeeded, int64_t now_ms)
{
    e->pending -= e->pending > 0;
    if (succeeded) {
        e->failures = 0;
        e->locked_until_ms = 0;
    } else {
        e->failures++;
        e->last_failure_ms = now_ms;
        if (e->failures >= (uint32_t)PP_LOGIN_FAILURES_MAX) {
            uint32_t doublings = e->failures - (uint32_t)PP_LOGIN_FAILURES_MAX;
            doublings = doublings < LOCKOUT_DOUBLINGS_MAX ? doublings : LOCKOUT_DOUBLINGS_MAX;
            int64_t lock_ms = ((int64_t)PP_LOGIN_LOCK_BASE_S * 1000) << doublings;
            int64_t max_ms = (int64_t)PP_LOGIN_LOCK_MAX_S * 1000;
            e->locked_until_ms = now_ms + (lock_ms < max_ms ? lock_ms : max_ms);
        }
    }
}

void sec_lockout_entry_release(struct sec_lockout_entry *e)
{
    e->pending -= e->pending > 0;
}

void sec_lockout_entry_expire(struct sec_lockout_entry *e, int64_t now_ms)
{
    if (e->failures > 0 && e->pending == 0 && now_ms > window_end_ms(e)) {
        e->failures = 0;
        e->locked_until_ms = 0;
    }
}

int64_t sec_lockout_reserve(struct sec_lockout *l, const char *addr, int64_t now_ms)
{
    int64_t wait_ms = 0;
    pthread_mutex_lock(&l->mutex);
    struct sec_lockout_entry *e = entry_find(l, addr, 1, now_ms);
    if (e == NULL) {
        /* Every slot has an attempt in flight: nobody new may start one. */
        wait_ms = LOCKOUT_PENDING_WAIT_MS;
    } else {
        wait_ms = sec_lockout_entry_reserve(e, now_ms);
    }
    pthread_mutex_unlock(&l->mutex);
    return wait_ms;
}

void sec_lockout_settle(struct sec_lockout *l, const char *addr, int succeeded, int64_t now_ms)
{
    pthread_mutex_lock(&l->mutex);
    struct sec_lockout_entry *e = entry_find(l, addr, 0, now_ms);
    /* A reserved entry is never evicted, so it is still there. */
    PP_ASSERT(e != NULL && e->pending > 0);
    sec_lockout_entry_settle(e, succeeded, now_ms);
    entry_expire(e, now_ms);
    pthread_mutex_unlock(&l->mutex);
}

void sec_lockout_release(struct sec_lockout *l, const char *addr, int64_t now_ms)
{
    pthread_mutex_lock(&l->mutex);
    struct sec_lockout_entry *e = entry_find(l, addr, 0, now_ms);
    PP_ASSERT(e != NULL && e->pending > 0);
    sec_lockout_entry_release(e);
    pthread_mutex_unlock(&l->mutex);
}

void sec_lockout_clear(struct sec_lockout *l)
{
    pthread_mutex_lock(&l->mutex);
    memset(l->entries, 0, sizeof l->entries);
    pthread_mutex_unlock(&l->mutex);
}
