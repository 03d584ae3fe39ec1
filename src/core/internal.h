/*
** This private header is the layout of struct core_app, which every core
** module shares: the store it owns, the token signing key, and one state
** per module that keeps any. Each state is opaque here: its module defines
** it, creates and destroys it (app.c calls those at open and close), and
** is the only one that looks inside. So this header includes no core
** header, every core module may include it, and it depends on none of them.
** It is also core's one door to the store's headers, which no public core
** header includes.
*/
#ifndef PAYOUT_CORE_INTERNAL_H
#define PAYOUT_CORE_INTERNAL_H

#include <stdint.h>

#include "payout/limits.h"
#include "payout/store/audit.h"
#include "payout/store/events.h"
#include "payout/store/idempotency.h"
#include "payout/store/lifecycle.h"
#include "payout/store/reads.h"
#include "payout/store/reports.h"
#include "payout/store/store.h"
#include "payout/store/users.h"

struct core_principal;

/* A request's API key check (payout/core/auth.h): the guard its writes
** carry. Core's own callers keep one on their stack. */
struct core_key_guard {
    struct store_write_guard guard;
};

/* core_auth_key_guard_begin on kg, the caller's. */
void core_auth_key_guard_begin_at(struct core_key_guard *kg, const struct core_principal *p);

struct core_integration_state;
struct core_policy_state;
struct core_idem;
struct core_expiry;
struct core_service;
struct core_lockouts;
struct core_outbox;
struct core_users_state;

struct core_app {
    struct store *store;
    uint8_t jwt_key[PP_JWT_KEY_BYTES]; /* set once at open (auth.c), then read-only */
    /* The API-integration settings and their cache (integration.c). */
    struct core_integration_state *integration;
    /* The authorization policy and its cache (auth_policy.c). */
    struct core_policy_state *policy;
    /* Idempotency keys in flight and their purge (idempotency.c). */
    struct core_idem *idem;
    /* The background expiry task (expiry.c), NULL when not started. */
    struct core_expiry *expiry;
    /* Rate limiters (service.c); NULL while rate limiting is off. Set
    ** before serving, then read-only. */
    struct core_service *service;
    /* The log-in lockouts (lockout.c), from open to close. */
    struct core_lockouts *lockouts;
    /* events and webhooks: the sealing key and the delivery and mail
    ** threads (outbox.c); NULL until core_outbox_start. */
    struct core_outbox *outbox;
    /* The panel users' settings: sealing key, session clocks,
    ** requireTwoFactor (users.c), from open to close. */
    struct core_users_state *users;
};

#endif /* PAYOUT_CORE_INTERNAL_H */
