/*
** This header declares the ledger check: the invariants between payouts,
** ledger rows and balances, run by `payout-panel check`.
*/
#ifndef PAYOUT_CORE_LEDGER_H
#define PAYOUT_CORE_LEDGER_H

#include "payout/status.h"

struct core_app;

/* Runs every invariant check on an open app (see store_check): each
** problem found is one line passed to report(ctx, line); *problems_out =
** how many. A failing read is the error; problems are not. */
enum pp_status core_ledger_check(struct core_app *app, void (*report)(void *ctx, const char *line),
                                 void *ctx, int *problems_out, struct pp_err *err);

#endif /* PAYOUT_CORE_LEDGER_H */
