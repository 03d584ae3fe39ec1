/*
** This header declares the rate limiter: token buckets kept in a bounded,
** lock-striped hash table keyed by 32-byte digests (SHA-256 of an API key,
** or of a client address). A bucket holds at most `burst` tokens and
** refills at `rate_per_s` tokens per second; each request takes one.
**
** Arithmetic is integer only: a bucket counts thousandths of a token, and
** a rate of r tokens per second refills exactly r thousandths per
** millisecond, so no rounding drifts over time.
**
** The table never grows: when the slots a key may use are all taken, the
** entry seen longest ago is evicted (an evicted key starts again with a
** full bucket, which is what an idle key would have anyway).
*/
#ifndef PAYOUT_SEC_RATELIMIT_H
#define PAYOUT_SEC_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "payout/sec/digest.h"

/* One bucket. Zeroed means "never used": it starts full. */
struct sec_bucket {
    int64_t milli;   /* tokens x 1000 */
    int64_t last_ms; /* when milli was last brought up to date */
    int started;     /* 0 until the first take */
};

/* What one take decided, with the figures the client is told. */
struct sec_rate_result {
    int allowed;            /* 1: the request may run */
    uint32_t limit;         /* the bucket's capacity (burst) */
    uint32_t remaining;     /* whole tokens left after this take */
    uint32_t reset_s;       /* seconds until the bucket is full again (ceil) */
    uint32_t retry_after_s; /* when refused: seconds until one token (>= 1), else 0 */
};

/* Brings b up to now_ms and takes one token if there is one. rate_per_s
** >= 1, burst >= 1. A clock that goes backwards counts as no time passing. */
void sec_bucket_take(struct sec_bucket *b, uint32_t rate_per_s, uint32_t burst, int64_t now_ms,
                     struct sec_rate_result *out);

/* The figures of b at now_ms without taking anything. */
void sec_bucket_peek(const struct sec_bucket *b, uint32_t rate_per_s, uint32_t burst,
                     int64_t now_ms, struct sec_rate_result *out);

struct sec_ratelimit;

/* A new limiter of rate_per_s (>= 1) and burst (>= 1) holding at most about
** entries_max keys (rounded to the table's geometry, at least one slot per
** stripe). Destroy with sec_ratelimit_destroy. */
struct sec_ratelimit *sec_ratelimit_create(uint32_t rate_per_s, uint32_t burst, size_t entries_max);

/* Frees rl. NULL is a no-op. */
void sec_ratelimit_destroy(struct sec_ratelimit *rl);

/* Takes one token from key's bucket at now_ms (a monotonic clock in ms).
** Thread-safe: only the key's stripe is locked. */
void sec_ratelimit_take(struct sec_ratelimit *rl, const uint8_t key[SEC_SHA256_BYTES],
                        int64_t now_ms, struct sec_rate_result *out);

/* How many keys the table holds now (for tests and metrics). */
size_t sec_ratelimit_count(struct sec_ratelimit *rl);

/* How many slots the table has (the bound on sec_ratelimit_count). */
size_t sec_ratelimit_capacity(const struct sec_ratelimit *rl);

#endif /* PAYOUT_SEC_RATELIMIT_H */
