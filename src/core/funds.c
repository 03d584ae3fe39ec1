/*
** This module implements the admin's funds operations (deposit) and the
** balances read. Payout-driven movements live in payouts.c.
*/
#include <string.h>

#include "internal.h"
#include "payout/core/dates.h"

struct deposit_op {
    struct pp_movement move;
    struct pp_balance after;
};

static enum pp_status write_deposit(struct store_tx *tx, void *arg, struct pp_err *err)
{
    struct deposit_op *op = arg;
    return store_tx_funds_move(tx, &op->move, &op->after, err);
}

enum pp_status core_funds_deposit(struct core_app *app, const struct core_currency *cur,
                                  int64_t amount_minor, const char *reference, int64_t admin_id,
                                  struct pp_balance *after_out, struct pp_err *err)
{
    if (amount_minor <= 0) {
        return pp_err_set(err, PP_INVALID_PARAMS, "amount must be greater than zero");
    }
    if (amount_minor > PP_AMOUNT_MINOR_MAX) {
        return pp_err_set(err, PP_INVALID_PARAMS, "amount is too large");
    }
    struct deposit_op op = {
        .move =
            {
                .currency = cur->code,
                .kind = PP_LEDGER_DEPOSIT,
                .d_available = amount_minor,
                .reference = reference,
                .admin_id = admin_id,
                .at_ms = core_now_ms(),
            },
    };
    enum pp_status st = store_write(app->store, write_deposit, &op, err);
    if (st == PP_OK) {
        *after_out = op.after;
    }
    return st;
}

enum pp_status core_balances_list(struct core_app *app, struct pp_balance *out, size_t cap,
                                  size_t *count_out, struct pp_err *err)
{
    return store_balances_list(app->store, out, cap, count_out, err);
}
