/*
** This module implements the admin's funds operations (deposit and
** withdraw of available funds) and the balances read. Payout-driven
** movements live in payouts.c, bulk.c and receive.c.
*/
#include "payout/core/funds.h"

#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "payout/core/dates.h"
#include "payout/core/write.h"

/* An admin's funds movement: a deposit or a withdrawal. */
struct funds_op {
    struct pp_movement move;
    const struct pp_actor *actor;
    int exponent;
    const char *action;
    struct pp_balance after; /* out */
};

static enum pp_status write_funds(struct store_tx *tx, void *arg, struct pp_err *err)
{
    struct funds_op *op = arg;
    char amount[PP_AMOUNT_TEXT_BYTES];
    int64_t minor = op->move.d_available < 0 ? -op->move.d_available : op->move.d_available;
    core_money_format(minor, op->exponent, amount, sizeof amount);
    struct pp_err move_err = {0};
    enum pp_status st = store_tx_funds_move(tx, &op->move, &op->after, &move_err);
    if (st == PP_INSUFFICIENT_FUNDS) {
        st = pp_err_set(err, st,
                        "cannot withdraw %s %s: it is more than the available (unblocked) funds",
                        amount, op->move.currency);
    } else if (st != PP_OK) {
        st = pp_err_set(err, st, "%s", move_err.message);
    }
    if (st == PP_OK) {
        char detail[PP_REFERENCE_BYTES_MAX + 64];
        const char *ref = op->move.reference != NULL ? op->move.reference : "";
        snprintf(detail, sizeof detail, "%s %s%s%s", amount, op->move.currency,
                 ref[0] != '\0' ? " reference " : "", ref);
        st = core_audit_append(tx, op->actor, op->action, NULL, detail, op->move.at_ms, err);
    }
    return st;
}

/* Moves amount_minor of cur in (DEPOSIT) or out (WITHDRAW) of the
** available funds, with its ledger row and audit entry. */
static enum pp_status admin_move(struct core_app *app, const struct core_currency *cur,
                                 enum pp_ledger_kind kind, int64_t amount_minor,
                                 const char *reference, const struct pp_actor *actor,
                                 struct pp_balance *after_out, struct pp_err *err)
{
    if (amount_minor <= 0) {
        return pp_err_set(err, PP_INVALID_PARAMS, "amount must be greater than zero");
    }
    if (amount_minor > PP_AMOUNT_MINOR_MAX) {
        return pp_err_set(err, PP_INVALID_PARAMS, "amount is too large");
    }
    struct funds_op op = {
        .move =
            {
                .currency = cur->code,
                .kind = kind,
                .d_available = kind == PP_LEDGER_DEPOSIT ? amount_minor : -amount_minor,
                .reference = reference,
                .admin_id = actor->admin_id,
                .at_ms = core_now_ms(),
            },
        .actor = actor,
        .exponent = cur->exponent,
        .action = kind == PP_LEDGER_DEPOSIT ? "funds.deposit" : "funds.withdraw",
    };
    enum pp_status st = core_write_run(app, write_funds, &op, err);
    if (st == PP_OK) {
        *after_out = op.after;
    }
    return st;
}

enum pp_status core_funds_deposit(struct core_app *app, const struct core_currency *cur,
                                  int64_t amount_minor, const char *reference,
                                  const struct pp_actor *actor, struct pp_balance *after_out,
                                  struct pp_err *err)
{
    return admin_move(app, cur, PP_LEDGER_DEPOSIT, amount_minor, reference, actor, after_out, err);
}

enum pp_status core_funds_withdraw(struct core_app *app, const struct core_currency *cur,
                                   int64_t amount_minor, const char *reference,
                                   const struct pp_actor *actor, struct pp_balance *after_out,
                                   struct pp_err *err)
{
    return admin_move(app, cur, PP_LEDGER_WITHDRAW, amount_minor, reference, actor, after_out, err);
}

enum pp_status core_balances_list(struct core_app *app, struct pp_balance *out, size_t cap,
                                  size_t *count_out, struct pp_err *err)
{
    return store_balances_list(app->store, out, cap, count_out, err);
}
