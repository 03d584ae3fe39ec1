/*
** This header declares the payout lifecycle beyond create and cancel:
** the authorization policy (when a new payout starts UNAUTHORIZED),
** authorizing payouts, receiving a payout inside its window, expiring open
** payouts whose endDate has passed (a background task), and withdrawing
** unblocked funds. Every change is one transaction with its ledger rows
** and audit entry; all of them re-read the payout inside the transaction,
** so racing operations on one payout end in exactly one outcome.
**
** The policy functions (core_auth_policy_*) are pure: no app, no storage.
*/
#ifndef PAYOUT_CORE_LIFECYCLE_H
#define PAYOUT_CORE_LIFECYCLE_H

#include <stddef.h>
#include <stdint.h>

#include "payout/core/app.h"
#include "payout/core/money.h"
#include "payout/limits.h"
#include "payout/model.h"
#include "payout/status.h"

/* --- Authorization policy (pure) ---------------------------------------- */

enum core_auth_mode {
    CORE_AUTH_OFF = 0,    /* no payout needs authorization (the default) */
    CORE_AUTH_ALWAYS = 1, /* every payout needs authorization */
    CORE_AUTH_ABOVE = 2,  /* a payout strictly above its currency's threshold does */
};

struct core_auth_threshold {
    char currency[4];
    int64_t minor; /* 0 .. PP_AMOUNT_MINOR_MAX, minor units of currency */
};

/* Plain data; copy freely. thresholds[0..count) sorted by currency, each
** currency at most once. Kept whatever the mode (they only matter for
** CORE_AUTH_ABOVE), so switching modes does not lose them. */
struct core_auth_policy {
    enum core_auth_mode mode;
    size_t count;
    struct core_auth_threshold thresholds[PP_AUTH_THRESHOLDS_MAX];
};

/* "off", "always", "above"; "unknown" otherwise. */
const char *core_auth_mode_name(enum core_auth_mode mode);
/* Parses an exact lower-case mode name; 1 and *out set, or 0. */
int core_auth_mode_parse(const char *name, size_t len, enum core_auth_mode *out);

/* Resets p to mode off without thresholds. */
void core_auth_policy_init(struct core_auth_policy *p);

/* Adds the threshold of cur (minor units, >= 0), keeping the order.
** PP_INVALID_PARAMS when cur already has one, minor is negative or above
** PP_AMOUNT_MINOR_MAX, or PP_AUTH_THRESHOLDS_MAX are set already. */
enum pp_status core_auth_policy_add(struct core_auth_policy *p, const struct core_currency *cur,
                                    int64_t minor, struct pp_err *err);

/* The threshold of currency, or NULL when it has none. Borrowed from p. */
const struct core_auth_threshold *core_auth_policy_find(const struct core_auth_policy *p,
                                                        const char *currency);

/* 1 when a new payout of amount_minor in currency needs authorization. */
int core_auth_policy_needs(const struct core_auth_policy *p, const char *currency,
                           int64_t amount_minor);

/* Writes p as its settings text ("off", "always GBP=10000", "above
** GBP=10000,JPY=500") into out (PP_AUTH_POLICY_TEXT_BYTES is always
** enough). Returns the text length. */
size_t core_auth_policy_encode(const struct core_auth_policy *p, char *out, size_t out_size);

/* Parses settings text written by core_auth_policy_encode into *out.
** PP_INTERNAL ("the stored authorization policy is damaged") for anything
** else, *out then reset to off. */
enum pp_status core_auth_policy_decode(const char *text, struct core_auth_policy *out,
                                       struct pp_err *err);

/* --- Authorization policy (settings) ------------------------------------ */

/* A copy of the current policy (from the in-memory cache). */
void core_auth_policy_get(struct core_app *app, struct core_auth_policy *out);

/* Stores policy (already built with core_auth_policy_add, so valid) as the
** settings, audited as "settings.authorization", and updates the cache
** once the commit is durable. *out = the policy now in force. */
enum pp_status core_auth_policy_set(struct core_app *app, const struct core_auth_policy *policy,
                                    const struct pp_actor *actor, struct core_auth_policy *out,
                                    struct pp_err *err);

/* --- Lifecycle operations ------------------------------------------------ */

/* Authorizes (UNAUTHORIZED -> READY, authorizedAt = now) every payout among
** ids[0..count) that is UNAUTHORIZED and whose endDate has not passed, in
** one transaction, audited as "payment.authorize". Unknown ids, repeats
** and payouts in other states are skipped. No funds move (they are blocked
** since create). *authorized_out = how many were authorized. */
enum pp_status core_payout_authorize(struct core_app *app, const int64_t *ids, size_t count,
                                     const struct pp_actor *actor, int64_t *authorized_out,
                                     struct pp_err *err);

/* Receives payout id: only when READY and startDate <= now <= endDate.
** Records receivedAt and reference (NULL or "" for none, at most
** PP_REFERENCE_BYTES_MAX bytes) and moves its amount blocked -> paid out
** (a PAYOUT ledger row), audited as "payment.receive". *out = the payout
** afterwards. PP_NOT_FOUND for an unknown id; PP_INVALID_PARAMS with the
** reason otherwise (not authorized yet, already received, cancelled,
** expired, before startDate, after endDate); nothing is written then. */
enum pp_status core_payout_receive(struct core_app *app, int64_t id, const char *reference,
                                   const struct pp_actor *actor, struct pp_payout *out,
                                   struct pp_err *err);


/* --- Expiry --------------------------------------------------------------- */

/* One expiry pass at now_ms: every open payout whose endDate is before
** now_ms becomes EXPIRED (expiredAt = now_ms) and its funds are released
** (a RELEASE ledger row), in transactions of at most PP_EXPIRY_BATCH_MAX
** payouts, each audited as actor system "payment.expire". Each payout is
** re-read inside its transaction and expired only if it is still open, so
** a payout cancelled or received meanwhile is left alone and none is ever
** released twice. *expired_out (may be NULL) = how many were expired.
** At most PP_EXPIRY_BATCHES_PER_PASS_MAX batches; the rest waits for the
** next pass. */
enum pp_status core_expiry_run(struct core_app *app, int64_t now_ms, int64_t *expired_out,
                               struct pp_err *err);

/* Runs one pass at once (on the caller's thread, so payouts that ended
** while the server was stopped are expired before it serves), then starts
** a thread repeating it every interval_ms. interval_ms 0 runs nothing and
** starts nothing (expiry off). At most one task per app; core_app_close
** stops it. */
enum pp_status core_expiry_start(struct core_app *app, long interval_ms, struct pp_err *err);

/* Stops the task (a running pass finishes its current batch first) and
** joins its thread. No-op when none runs; called by core_app_close. */
void core_expiry_stop(struct core_app *app);

#endif /* PAYOUT_CORE_LIFECYCLE_H */
