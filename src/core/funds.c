/*
** This module implements the admin's funds operations (deposit) and the
** balances read. Payout-driven movements live in payouts.c.
*/
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "payout/core/dates.h"

struct deposit_op {
    struct pp_movement move;
    const struct pp_actor *actor;
    int exponent;
    struct pp_balance after;
};

static enum pp_status write_deposit(struct store_tx *tx, void *arg, struct pp_err *err)
{
    struct deposit_op *op = arg;
    enum pp_status st = store_tx_funds_move(tx, &op->move, &op->after, err);
    if (st == PP_OK) {
        char amount[PP_AMOUNT_TEXT_BYTES];
        char detail[PP_REFERENCE_BYTES_MAX + 64];
        const char *ref = op->move.reference != NULL ? op->move.reference : "";
        core_money_format(op->move.d_available, op->exponent, amount, sizeof amount);
        snprintf(detail, sizeof detail, "%s %s%s%s", amount, op->move.currency,
                 ref[0] != '\0' ? " reference " : "", ref);
        st = core_audit(tx, op->actor, "funds.deposit", NULL, detail, op->move.at_ms, err);
    }
    return st;
}

enum pp_status core_funds_deposit(struct core_app *app, const struct core_currency *cur,
                                  int64_t amount_minor, const char *reference,
                                  const struct pp_actor *actor, struct pp_balance *after_out,
                                  struct pp_err *err)
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
                .admin_id = actor->admin_id,
                .at_ms = core_now_ms(),
            },
        .actor = actor,
        .exponent = cur->exponent,
    };
    enum pp_status st = core_write(app, write_deposit, &op, err);
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
