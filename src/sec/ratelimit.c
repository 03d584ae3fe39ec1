/*
** This module implements the rate limiter's token buckets and the bounded,
** lock-striped table that holds them (see payout/sec/ratelimit.h). It does
** not know HTTP: the API layer decides what a key is (an API key's digest,
** a client address's digest) and what to answer when a take is refused.
**
** Table geometry: PP_RATE_STRIPES stripes, each with its own mutex and a
** fixed array of slots. A key's slot index comes from its digest mixed
** with a per-table random seed (so nobody can aim keys at one slot), and a
** key may live in any of PP_RATE_PROBE slots from there: lookups and
** inserts are bounded, and a full window evicts its oldest entry.
*/
#include "payout/sec/ratelimit.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "payout/base/assert.h"
#include "payout/limits.h"
#include "payout/sec/secrets.h"

/* Thousandths of a token per token. */
#define MILLI 1000

/* Refills b up to now_ms (never past the capacity). */
static void bucket_refill(struct sec_bucket *b, uint32_t rate_per_s, uint32_t burst, int64_t now_ms)
{
    int64_t cap = (int64_t)burst * MILLI;
    if (!b->started) {
        b->milli = cap;
        b->last_ms = now_ms;
        b->started = 1;
        return;
    }
    int64_t elapsed = now_ms - b->last_ms;
    if (elapsed <= 0) {
        return;
    }
    /* rate tokens/s == rate thousandths/ms; beyond cap/rate ms it is full,
    ** which also keeps the product below overflow. */
    if (elapsed >= cap / (int64_t)rate_per_s + 1) {
        b->milli = cap;
    } else {
        b->milli += elapsed * (int64_t)rate_per_s;
        b->milli = b->milli > cap ? cap : b->milli;
    }
    b->last_ms = now_ms;
}

/* ceil(a / b) for a >= 0, b > 0. */
static int64_t div_ceil(int64_t a, int64_t b)
{
    return (a + b - 1) / b;
}

static uint32_t clamp_u32(int64_t v)
{
    return v < 0 ? 0u : v > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* The client-facing figures of a refilled bucket. */
static void bucket_figures(const struct sec_bucket *b, uint32_t rate_per_s, uint32_t burst,
                           struct sec_rate_result *out)
{
    int64_t cap = (int64_t)burst * MILLI;
    int64_t to_full_ms = div_ceil(cap - b->milli, (int64_t)rate_per_s);
    out->limit = burst;
    out->remaining = clamp_u32(b->milli / MILLI);
    out->reset_s = clamp_u32(div_ceil(to_full_ms, 1000));
    out->retry_after_s = 0;
}

void sec_bucket_take(struct sec_bucket *b, uint32_t rate_per_s, uint32_t burst, int64_t now_ms,
                     struct sec_rate_result *out)
{
    PP_ASSERT(rate_per_s >= 1 && burst >= 1);
    bucket_refill(b, rate_per_s, burst, now_ms);
    out->allowed = b->milli >= MILLI;
    if (out->allowed) {
        b->milli -= MILLI;
    }
    bucket_figures(b, rate_per_s, burst, out);
    if (!out->allowed) {
        int64_t wait_ms = div_ceil(MILLI - b->milli, (int64_t)rate_per_s);
        int64_t wait_s = div_ceil(wait_ms, 1000);
        out->retry_after_s = clamp_u32(wait_s < 1 ? 1 : wait_s);
    }
}

void sec_bucket_peek(const struct sec_bucket *b, uint32_t rate_per_s, uint32_t burst,
                     int64_t now_ms, struct sec_rate_result *out)
{
    struct sec_bucket copy = *b;
    PP_ASSERT(rate_per_s >= 1 && burst >= 1);
    bucket_refill(&copy, rate_per_s, burst, now_ms);
    bucket_figures(&copy, rate_per_s, burst, out);
    out->allowed = copy.milli >= MILLI;
}

struct slot {
    uint8_t key[SEC_SHA256_BYTES];
    int used;
    int64_t seen_ms;
    struct sec_bucket bucket;
};

struct stripe {
    pthread_mutex_t mu;
    struct slot *slots;
    size_t used;
};

struct sec_ratelimit {
    uint32_t rate_per_s;
    uint32_t burst;
    uint64_t seed;
    size_t slots_per_stripe;
    struct stripe stripes[PP_RATE_STRIPES];
};

struct sec_ratelimit *sec_ratelimit_create(uint32_t rate_per_s, uint32_t burst, size_t entries_max)
{
    PP_ASSERT(rate_per_s >= 1 && burst >= 1);
    struct sec_ratelimit *rl = pp_check_alloc(calloc(1, sizeof *rl));
    rl->rate_per_s = rate_per_s;
    rl->burst = burst;
    rl->slots_per_stripe = entries_max / PP_RATE_STRIPES;
    if (rl->slots_per_stripe < 1) {
        rl->slots_per_stripe = 1;
    }
    uint8_t seed[sizeof rl->seed];
    if (sec_random_bytes(seed, sizeof seed, NULL) == PP_OK) {
        memcpy(&rl->seed, seed, sizeof seed);
    }
    for (size_t i = 0; i < PP_RATE_STRIPES; i++) {
        pthread_mutex_init(&rl->stripes[i].mu, NULL);
        rl->stripes[i].slots =
            pp_check_alloc(calloc(rl->slots_per_stripe, sizeof *rl->stripes[i].slots));
    }
    return rl;
}

void sec_ratelimit_destroy(struct sec_ratelimit *rl)
{
    if (rl == NULL) {
        return;
    }
    for (size_t i = 0; i < PP_RATE_STRIPES; i++) {
        pthread_mutex_destroy(&rl->stripes[i].mu);
        free(rl->stripes[i].slots);
    }
    free(rl);
}

/* splitmix64's finaliser over the key's first 8 bytes and the seed. */
static uint64_t key_hash(const struct sec_ratelimit *rl, const uint8_t *key)
{
    uint64_t h = 0;
    memcpy(&h, key, sizeof h);
    h ^= rl->seed;
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return h;
}

/* The slot for key in s: its own, a free one, or the oldest of the probe
** window (evicted). Called with s->mu held. */
static struct slot *stripe_slot(struct stripe *s, size_t nslots, size_t start, const uint8_t *key)
{
    struct slot *free_slot = NULL;
    struct slot *oldest = NULL;
    size_t probe = nslots < PP_RATE_PROBE ? nslots : PP_RATE_PROBE;
    for (size_t i = 0; i < probe; i++) {
        struct slot *sl = &s->slots[(start + i) % nslots];
        if (sl->used && memcmp(sl->key, key, SEC_SHA256_BYTES) == 0) {
            return sl;
        }
        if (!sl->used && free_slot == NULL) {
            free_slot = sl;
        }
        if (sl->used && (oldest == NULL || sl->seen_ms < oldest->seen_ms)) {
            oldest = sl;
        }
    }
    struct slot *sl = free_slot != NULL ? free_slot : oldest;
    if (free_slot != NULL) {
        s->used++;
    }
    memset(sl, 0, sizeof *sl);
    memcpy(sl->key, key, SEC_SHA256_BYTES);
    sl->used = 1;
    return sl;
}

void sec_ratelimit_take(struct sec_ratelimit *rl, const uint8_t key[SEC_SHA256_BYTES],
                        int64_t now_ms, struct sec_rate_result *out)
{
    uint64_t h = key_hash(rl, key);
    struct stripe *s = &rl->stripes[h % PP_RATE_STRIPES];
    size_t start = (size_t)((h / PP_RATE_STRIPES) % rl->slots_per_stripe);
    pthread_mutex_lock(&s->mu);
    struct slot *sl = stripe_slot(s, rl->slots_per_stripe, start, key);
    sl->seen_ms = now_ms;
    sec_bucket_take(&sl->bucket, rl->rate_per_s, rl->burst, now_ms, out);
    pthread_mutex_unlock(&s->mu);
}

size_t sec_ratelimit_count(struct sec_ratelimit *rl)
{
    size_t n = 0;
    for (size_t i = 0; i < PP_RATE_STRIPES; i++) {
        pthread_mutex_lock(&rl->stripes[i].mu);
        n += rl->stripes[i].used;
        pthread_mutex_unlock(&rl->stripes[i].mu);
    }
    return n;
}

size_t sec_ratelimit_capacity(const struct sec_ratelimit *rl)
{
    return rl->slots_per_stripe * PP_RATE_STRIPES;
}
