/*
** This header declares receiving a payout: the one step that pays out,
** only while the payout is READY and inside its window.
*/
#ifndef PAYOUT_CORE_RECEIVE_H
#define PAYOUT_CORE_RECEIVE_H

#include <stdint.h>

#include "payout/model.h"
#include "payout/status.h"

struct core_app;

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

#endif /* PAYOUT_CORE_RECEIVE_H */
