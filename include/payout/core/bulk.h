/*
** This header declares the bulk state changes of payouts: cancel,
** authorize and expire a list of payout ids. Each runs in one transaction
** that re-reads every payout, changes the eligible ones, and appends one
** audit entry naming them; so racing operations on one payout end in
** exactly one outcome (the schema's status trigger backs that up).
*/
#ifndef PAYOUT_CORE_BULK_H
#define PAYOUT_CORE_BULK_H

#include <stddef.h>
#include <stdint.h>

#include "payout/model.h"
#include "payout/status.h"

struct core_app;

/* Cancels every open payout among ids[0..count), releasing its funds, in
** one transaction. Unknown ids, repeats and closed payouts are skipped.
** *cancelled_out = how many were cancelled. */
enum pp_status core_payout_cancel(struct core_app *app, const int64_t *ids, size_t count,
                                  const struct pp_actor *actor, int64_t *cancelled_out,
                                  struct pp_err *err);

/* Authorizes (UNAUTHORIZED -> READY, authorizedAt = now) every payout among
** ids[0..count) that is UNAUTHORIZED and whose endDate has not passed, in
** one transaction, audited as "payment.authorize". Unknown ids, repeats
** and payouts in other states are skipped. No funds move (they are blocked
** since create). *authorized_out = how many were authorized. */
enum pp_status core_payout_authorize(struct core_app *app, const int64_t *ids, size_t count,
                                     const struct pp_actor *actor, int64_t *authorized_out,
                                     struct pp_err *err);

/* Expires (EXPIRED, expiredAt = now_ms) every payout among ids[0..count)
** that is still open and whose endDate is before now_ms, releasing its
** funds (a RELEASE ledger row), in one transaction audited as actor system
** "payment.expire". Used by core_expiry_run, whose list was a snapshot:
** payouts closed since are skipped. *expired_out = how many expired. */
enum pp_status core_payout_expire(struct core_app *app, const int64_t *ids, size_t count,
                                  int64_t now_ms, int64_t *expired_out, struct pp_err *err);

#endif /* PAYOUT_CORE_BULK_H */
