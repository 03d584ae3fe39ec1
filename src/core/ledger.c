/*
** This module implements the ledger check: core's door to the store's
** invariant checks (balances equal the sum of their ledger rows, every
** open payout's amount is blocked, and the rest in store/check.c). It
** changes nothing.
*/
#include "payout/core/ledger.h"

#include "internal.h"

enum pp_status core_ledger_check(struct core_app *app, void (*report)(void *ctx, const char *line),
                                 void *ctx, int *problems_out, struct pp_err *err)
{
    return store_check(app->store, report, ctx, problems_out, err);
}
