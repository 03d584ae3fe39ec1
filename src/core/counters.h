/*
** This private header declares the counting of several servers on one
** database (core/counters.c): the keys of shared counters, a token bucket
** and a lockout entry kept as shared counters, and their purge.
*/
#ifndef PAYOUT_CORE_COUNTERS_H
#define PAYOUT_CORE_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

#include "payout/sec/lockout.h"
#include "payout/sec/ratelimit.h"
#include "payout/status.h"
#include "payout/store/cluster.h"

struct core_app;

/* The key of a shared counter: prefix, then the SHA-256 of text in hex
** (addresses and caller names are not stored as they are). */
void core_counter_key(const char *prefix, const char *text, char out[STORE_COUNTER_KEY_BYTES]);

/* Takes one token from each of the shared buckets keys[0..n) (1 ..
** STORE_COUNTERS_MAX, distinct), in one transaction (sec_bucket_take on
** the database's clock), out[i] what bucket i says. PP_UNAVAILABLE when
** the database cannot be reached (then no bucket was taken from). */
enum pp_status core_counter_buckets_take(struct core_app *app, const char *const *keys, size_t n,
                                         uint32_t rate_per_s, uint32_t burst,
                                         struct sec_rate_result *out, struct pp_err *err);

/* What a shared lockout entry is asked to do. */
enum core_counter_login { CORE_COUNTER_RESERVE, CORE_COUNTER_SETTLE, CORE_COUNTER_RELEASE };

/* Applies `what` to the shared lockout entry `key` (sec_lockout_entry_*
** on the database's clock); a reservation older than
** PP_LOGIN_PENDING_STALE_S is forgotten first. For RESERVE, *wait_ms_out
** as sec_lockout_reserve; succeeded is for SETTLE. */
enum pp_status core_counter_login(struct core_app *app, const char *key,
                                  enum core_counter_login what, int succeeded, int64_t *wait_ms_out,
                                  struct pp_err *err);

/* How long a shared counter may lie untouched before it is purged:
** PP_COUNTERS_IDLE_S, or longer when a rate bucket takes longer than that
** to refill (service.c, which knows the rate). */
int64_t core_counters_idle_ms(struct core_app *app);

/* Deletes counters nobody touched for idle_ms (one batch). */
enum pp_status core_counters_purge(struct core_app *app, int64_t idle_ms, struct pp_err *err);

#endif /* PAYOUT_CORE_COUNTERS_H */
