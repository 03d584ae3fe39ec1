/*
** This header declares the log-in lockout: per client address (and per
** log-in endpoint, one struct sec_lockout each), failed attempts are
** counted, and after PP_LOGIN_FAILURES_MAX failures within
** PP_LOGIN_WINDOW_S the address is refused for PP_LOGIN_LOCK_BASE_S,
** doubling with every further failure up to PP_LOGIN_LOCK_MAX_S. A success
** forgets the address. Other addresses are never affected, and the right
** password works again as soon as the lock has run out.
**
** An attempt is reserved before the credentials are checked and settled
** afterwards, so a burst of parallel guesses cannot slip past the count:
** reserved attempts count as failures until they are settled.
**
** Thread-safe (one mutex per struct). No heap memory: a struct sec_lockout
** is a fixed table of PP_LOGIN_ADDRS_MAX addresses; when it is full, the
** address whose last failure is oldest (and that has nothing in flight) is
** forgotten. Nothing here logs an address or a credential.
*/
#ifndef PAYOUT_SEC_LOCKOUT_H
#define PAYOUT_SEC_LOCKOUT_H

#include <pthread.h>
#include <stdint.h>

#include "payout/limits.h"

/* Longest address text kept (an IPv6 literal is at most 45 bytes). */
#define SEC_LOCKOUT_ADDR_BYTES 48

struct sec_lockout_entry {
    char addr[SEC_LOCKOUT_ADDR_BYTES]; /* "" when the slot is free */
    int64_t last_failure_ms;
    int64_t locked_until_ms;
    uint32_t failures; /* within the current window */
    uint32_t pending;  /* reserved, not yet settled */
};

struct sec_lockout {
    pthread_mutex_t mutex;
    struct sec_lockout_entry entries[PP_LOGIN_ADDRS_MAX];
};

/* A static initialiser: `static struct sec_lockout l = SEC_LOCKOUT_INIT;`. */
#define SEC_LOCKOUT_INIT                                                                           \
    {                                                                                              \
        .mutex = PTHREAD_MUTEX_INITIALIZER                                                         \
    }

/* Milliseconds on a monotonic clock, the time base of the functions below. */
int64_t sec_lockout_now_ms(void);

/* Reserves one attempt for addr at now_ms. Returns 0 when the attempt may
** go ahead (it must then be settled with sec_lockout_settle), or the
** milliseconds (> 0) the address must wait: then nothing was reserved and
** the caller answers 429 with Retry-After. */
int64_t sec_lockout_reserve(struct sec_lockout *l, const char *addr, int64_t now_ms);

/* Settles an attempt reserved for addr: succeeded != 0 forgets the
** address; otherwise the failure is counted and may lock the address. */
void sec_lockout_settle(struct sec_lockout *l, const char *addr, int succeeded, int64_t now_ms);

/* Releases an attempt reserved for addr without counting it as a failure
** or a success. */
void sec_lockout_release(struct sec_lockout *l, const char *addr, int64_t now_ms);

/* The rules on one entry alone (its addr is not looked at), for a table
** kept elsewhere: the shared counters of several servers (core/lockout.c)
** keep one entry per address in the database. A zeroed entry is an
** address never seen. Call sec_lockout_entry_expire first, then one of
** the others, with one clock for all calls on an entry. reserve answers
** as sec_lockout_reserve; settle and release tolerate an entry whose
** reservation was already forgotten (pending 0). */
int64_t sec_lockout_entry_reserve(struct sec_lockout_entry *e, int64_t now_ms);
void sec_lockout_entry_settle(struct sec_lockout_entry *e, int succeeded, int64_t now_ms);
void sec_lockout_entry_release(struct sec_lockout_entry *e);
/* Forgets e's failures once its window has passed (nothing in flight). */
void sec_lockout_entry_expire(struct sec_lockout_entry *e, int64_t now_ms);

/* Forgets every address (tests). */
void sec_lockout_clear(struct sec_lockout *l);

#endif /* PAYOUT_SEC_LOCKOUT_H */
