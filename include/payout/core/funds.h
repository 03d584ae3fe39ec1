/*
** This header declares the funds of each currency: deposits and
** withdrawals by admins (each one transaction with its ledger row and
** audit entry) and the balances.
*/
#ifndef PAYOUT_CORE_FUNDS_H
#define PAYOUT_CORE_FUNDS_H

#include <stddef.h>
#include <stdint.h>

#include "payout/core/money.h"
#include "payout/model.h"
#include "payout/status.h"

struct core_app;

/* Adds amount_minor (> 0) to the available funds of cur, with a ledger
** row (reference may be NULL). *after_out = the balance afterwards.
** Every operation that changes money or settings takes the acting
** `actor` and appends an audit entry in the same transaction. */
enum pp_status core_funds_deposit(struct core_app *app, const struct core_currency *cur,
                                  int64_t amount_minor, const char *reference,
                                  const struct pp_actor *actor, struct pp_balance *after_out,
                                  struct pp_err *err);

/* Takes amount_minor (> 0) of cur out of the available (unblocked) funds,
** with a WITHDRAW ledger row (reference may be NULL), audited as
** "funds.withdraw". PP_INSUFFICIENT_FUNDS when the available funds are
** smaller (nothing written). *after_out = the balance afterwards. */
enum pp_status core_funds_withdraw(struct core_app *app, const struct core_currency *cur,
                                   int64_t amount_minor, const char *reference,
                                   const struct pp_actor *actor, struct pp_balance *after_out,
                                   struct pp_err *err);

/* Balances of every currency ever funded, ordered by code. */
enum pp_status core_balances_list(struct core_app *app, struct pp_balance *out, size_t cap,
                                  size_t *count_out, struct pp_err *err);

/* How many payouts are open (UNAUTHORIZED or READY) per currency that has
** any, by currency code, into out[0..cap); *count_out = rows written. */
enum pp_status core_payouts_open_count(struct core_app *app, struct pp_open_count *out, size_t cap,
                                       size_t *count_out, struct pp_err *err);

#endif /* PAYOUT_CORE_FUNDS_H */
