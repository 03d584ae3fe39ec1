/*
** This header declares the authorization policy: when a new payout starts
** UNAUTHORIZED (never, always, or above a per-currency threshold). The
** rules and the settings text (core_auth_policy_add .. _decode) are pure:
** no app, no storage. The policy in force lives in the settings, with an
** in-memory copy read by every create; core_auth_policy_set changes both.
*/
#ifndef PAYOUT_CORE_AUTH_POLICY_H
#define PAYOUT_CORE_AUTH_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "payout/core/money.h"
#include "payout/limits.h"
#include "payout/model.h"
#include "payout/status.h"

struct core_app;
struct core_policy_state;

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

/* The policy state of an app (app.c creates it at open, then calls
** core_auth_policy_load, and destroys it at close; NULL is a no-op). */
struct core_policy_state *core_auth_policy_state_create(void);
void core_auth_policy_state_destroy(struct core_policy_state *state);

/* Loads the stored policy into the cache (off when none is stored). */
enum pp_status core_auth_policy_load(struct core_app *app, struct pp_err *err);

/* A copy of the current policy (from the in-memory cache). */
void core_auth_policy_get(struct core_app *app, struct core_auth_policy *out);

/* Stores policy (already built with core_auth_policy_add, so valid) as the
** settings, audited as "settings.authorization", and updates the cache
** once the commit is durable. *out = the policy now in force. */
enum pp_status core_auth_policy_set(struct core_app *app, const struct core_auth_policy *policy,
                                    const struct pp_actor *actor, struct core_auth_policy *out,
                                    struct pp_err *err);

/* The status a new payout of amount_minor in currency starts in under the
** policy in force: PP_PAYOUT_UNAUTHORIZED when it needs authorization,
** else PP_PAYOUT_READY. */
enum pp_payout_status core_auth_policy_initial_status(struct core_app *app, const char *currency,
                                                      int64_t amount_minor);

#endif /* PAYOUT_CORE_AUTH_POLICY_H */
