/*
** This header declares what several servers sharing one database need
** beside the data itself (spec §10): shared counters (the rate limits and
** the log-in lockout, counted across every node) and leases (periodic
** work such as expiry claimed by one node at a time). Both live in the
** database and run on the database's clock, the one clock every node
** agrees on. They exist only where store_shared() is 1 (PostgreSQL); on
** SQLite the one server keeps its counters in memory and needs no lease,
** and these functions answer PP_INTERNAL.
**
** No advisory lock and no LISTEN/NOTIFY: a counter is a row locked for
** one short transaction (several counters: their rows in one), a lease a
** row with an expiry time taken by a conditional upsert.
*/
#ifndef PAYOUT_STORE_CLUSTER_H
#define PAYOUT_STORE_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

#include "payout/status.h"

struct store;

/* The numbers one counter row holds (a token bucket needs 3, a lockout
** entry 5); a new row holds zeros. */
#define STORE_COUNTER_VALUES 5
/* Longest counter key ("rate:addr:" and a SHA-256 in hex fits), NUL included. */
#define STORE_COUNTER_KEY_BYTES 96
/* Longest lease name and holder, NUL included. */
#define STORE_LEASE_NAME_BYTES 32
#define STORE_LEASE_HOLDER_BYTES 48

/* Called with the row of a counter locked: now_ms is the database's clock
** (milliseconds since the Unix epoch), values the row's numbers (zeros for
** a key never seen), which fn changes in place; they are saved when it
** returns. fn must not call the store. */
typedef void (*store_counter_fn)(void *ctx, int64_t now_ms, int64_t values[STORE_COUNTER_VALUES]);

/* Most counters one store_counters_update changes (a request's rate
** limits: its address's bucket and its caller's). */
#define STORE_COUNTERS_MAX 2

/* One counter of store_counters_update: its key (1 ..
** STORE_COUNTER_KEY_BYTES-1 bytes), and fn with its ctx. */
struct store_counter_call {
    const char *key;
    store_counter_fn fn;
    void *ctx;
};

/* Runs the fn of each of calls[0..n) (1..STORE_COUNTERS_MAX, distinct
** keys) on its counter in ONE transaction with every row locked, so that
** every node's updates of one key take turns; the rows are locked in the
** order of their keys, so that two updates of the same keys never wait
** for each other in a circle. All are saved or none. PP_UNAVAILABLE when
** the database cannot be reached (the fns then did not run, or their
** changes were not saved); PP_UNAUTHORIZED when the calling thread's
** write guard refuses (payout/store/store.h: the fns did not run). */
enum pp_status store_counters_update(struct store *st, const struct store_counter_call *calls,
                                     size_t n, struct pp_err *err);

/* Deletes counters nobody has updated for idle_ms (at most limit of them);
** *deleted_out (may be NULL) how many. */
enum pp_status store_counters_purge(struct store *st, int64_t idle_ms, int64_t limit,
                                    int64_t *deleted_out, struct pp_err *err);

/* Takes or renews the lease `name` for `holder` until ttl_ms from now on
** the database's clock: *held_out is 1 when holder has it now (it was
** free, had run out, or was already holder's), 0 when another holder's
** lease is still running. */
enum pp_status store_lease_take(struct store *st, const char *name, const char *holder,
                                int64_t ttl_ms, int *held_out, struct pp_err *err);

/* Gives the lease up if holder has it (a node stopping cleanly), so that
** another node takes it at once rather than when it runs out. */
enum pp_status store_lease_release(struct store *st, const char *name, const char *holder,
                                   struct pp_err *err);

#endif /* PAYOUT_STORE_CLUSTER_H */
