/*
** This header declares creating and reading payouts. A create ensures the
** project, resolves or creates the recipient, blocks the amount and writes
** the payout with its ledger row and audit entry, all in one transaction.
** Changing payouts afterwards is core/bulk.h (cancel, authorize, expire)
** and core/receive.h.
*/
#ifndef PAYOUT_CORE_PAYOUTS_H
#define PAYOUT_CORE_PAYOUTS_H

#include <stdint.h>

#include "payout/core/money.h"
#include "payout/model.h"
#include "payout/model/event.h"
#include "payout/status.h"

struct core_app;

/* A validated-for-type create request; core checks the domain rules. All
** strings borrowed, "" = not given. */
struct core_payout_request {
    const struct core_currency *currency;
    int64_t amount_minor;
    int64_t start_ms;
    int64_t end_ms;
    const char *project_name;
    const char *description;
    int notification;
    struct pp_recipient recipient; /* id 0; identifiers and profile as given */
    const char *metadata;          /* compact JSON object text, "" for none */
};

/* Creates a payout: ensures the project, resolves or creates the
** recipient, blocks the amount and writes payout + ledger rows, all in one
** transaction. PP_INVALID_PARAMS for a domain rule (amount <= 0, endDate
** not after startDate, empty name/description, recipient conflict),
** PP_INSUFFICIENT_FUNDS when available funds cannot cover it; in both
** cases nothing is written. When ready_out is given, it receives the
** "ready" e-mail recorded with the payout as it was recorded (pending,
** or skipped without --smtp-url), or kind 0 when none was (notification
** off, no recipient e-mail, waiting for authorization). */
enum pp_status core_payout_create(struct core_app *app, const struct core_payout_request *req,
                                  const struct pp_actor *actor, struct pp_payout *out,
                                  struct pp_notification *ready_out, struct pp_err *err);

/* One payout; PP_NOT_FOUND if there is none. */
enum pp_status core_payout_get(struct core_app *app, int64_t id, struct pp_payout *out,
                               struct pp_err *err);

/* The domain rules of a create request (amount, window, names, at least
** one identifier, metadata size). PP_INVALID_PARAMS with a message
** otherwise. */
enum pp_status core_payout_validate(const struct core_payout_request *req, struct pp_err *err);

/* The store's row of a payout to create (payout/store/store.h): core's
** modules that create payouts (this one and lists.c) fill it here. */
struct store_payout_new;

/* Fills *out from req (validated), its initial status and uuid. out
** borrows req's project name and recipient. */
void core_payout_new_fill(const struct core_payout_request *req, enum pp_payout_status initial,
                          const char *uuid, struct store_payout_new *out);

/* core_recipient_resolve in the shape of the store's recipient rule
** (store_recipient_rule_fn): found[i] per enum pp_ident, or NULL. */
enum pp_status core_payout_recipient_rule(const struct pp_recipient *given,
                                          const struct pp_recipient *const *found,
                                          struct pp_recipient *out, int *changed_out,
                                          struct pp_err *err);

#endif /* PAYOUT_CORE_PAYOUTS_H */
