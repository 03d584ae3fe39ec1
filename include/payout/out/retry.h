/*
** This header declares the retry schedule of webhook deliveries and
** recipient e-mails (spec §9): after a failed attempt the next one comes
** 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h later, each delay moved by up
** to PP_WEBHOOK_RETRY_JITTER_PCT either way; after the last step the
** delivery is given up. --webhook-retry-ms replaces the steps.
**
** Retry-After rule: the receiver's wait (delta-seconds or an IMF-fixdate,
** capped at PP_WEBHOOK_RETRY_AFTER_MS_MAX) can only postpone an attempt:
** the next attempt is at the later of the jittered schedule and the
** receiver's time, never earlier than the schedule says, so a receiver
** cannot turn the schedule into a tight loop. Retry-After does not add
** attempts: the give-up rule counts attempts, not time.
**
** All functions are pure; randomness comes from the caller.
*/
#ifndef PAYOUT_OUT_RETRY_H
#define PAYOUT_OUT_RETRY_H

#include <stddef.h>
#include <stdint.h>

#include "payout/limits.h"
#include "payout/status.h"

/* The delays after the 1st, 2nd, ... failed attempt, in milliseconds. */
struct out_retry_schedule {
    size_t count; /* 1..PP_WEBHOOK_RETRY_STEPS_MAX */
    int64_t delays_ms[PP_WEBHOOK_RETRY_STEPS_MAX];
};

/* A source of uniformly distributed 32-bit values for the jitter; the
** caller owns ctx. Jitter needs no secrecy, any generator will do. */
struct out_retry_rand {
    uint32_t (*next)(void *ctx);
    void *ctx;
};

/* Fills s with the schedule of spec §9 (7 steps). */
void out_retry_schedule_default(struct out_retry_schedule *s);

/* Parses a --webhook-retry-ms value ("100,200,400") into s. Strict: 1 to
** PP_WEBHOOK_RETRY_STEPS_MAX decimal integers separated by single commas,
** each 1..PP_WEBHOOK_RETRY_DELAY_MS_MAX, no signs, spaces, leading zeros
** or empty entries; the text is at most PP_WEBHOOK_RETRY_TEXT_BYTES_MAX.
** The steps need not grow. text borrowed. PP_INVALID_PARAMS with a message
** naming the flag; on failure s is left unchanged. */
enum pp_status out_retry_schedule_parse(const char *text, struct out_retry_schedule *s,
                                        struct pp_err *err);

/* After attempts_done failed attempts (>= 1) of one delivery, whether it
** is given up: the schedule has no step left (attempts_done > count). */
int out_retry_exhausted(const struct out_retry_schedule *s, unsigned attempts_done);

/* The time of the next attempt after attempts_done failed attempts (>= 1,
** not exhausted, asserted), the last of which ended at now_ms: now_ms plus
** the step's delay with jitter (at least 1 ms), or now_ms plus
** retry_after_ms if that is later (retry_after_ms < 0: none; larger than
** PP_WEBHOOK_RETRY_AFTER_MS_MAX: capped). rand may be NULL: no jitter. */
int64_t out_retry_next_ms(const struct out_retry_schedule *s, unsigned attempts_done,
                          int64_t now_ms, int64_t retry_after_ms,
                          const struct out_retry_rand *rand);

/* Reads a Retry-After header value (spec: RFC 9110 10.2.3) as received at
** now_ms (Unix ms): delta-seconds ("120") or an IMF-fixdate ("Sun, 06 Nov
** 1994 08:49:37 GMT", weekday checked), optional spaces around. Writes the
** wait in ms to *wait_ms: 0 for a date in the past, capped at
** PP_WEBHOOK_RETRY_AFTER_MS_MAX. The obsolete RFC 850 and asctime date
** forms are not read. PP_INVALID_PARAMS for anything else (the caller then
** follows the schedule alone); *wait_ms is then -1. */
enum pp_status out_retry_after_parse(const char *value, int64_t now_ms, int64_t *wait_ms);

/* The 5-days rule of spec §9: whether an endpoint whose attempts have all
** failed since failing_since_ms (the first failed attempt after its last
** success; < 0 when it is not failing) must be disabled at now_ms. */
int out_retry_endpoint_expired(int64_t failing_since_ms, int64_t now_ms);

#endif /* PAYOUT_OUT_RETRY_H */
