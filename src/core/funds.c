/*
** This module implements the admin's funds operations (deposit and
** withdraw of available funds), the balances read and the count of open
** payouts per currency (the blocked funds' payouts). Payout-driven
** movements live in payouts.c, bulk.c and receive.c; each is one store
** operation (store_funds_move) with its ledger row and audit entry.
*/
#include "payout/core/funds.h"

#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "payout/core/dates.h"
#include "write.h"

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
    struct core_write cw;
    core_write_begin(&cw, actor, core_now_ms());
    struct pp_movement move = {
        .currency = cur->code,
        .kind = kind,
        .d_available = kind == PP_LEDGER_DEPOSIT ? amount_minor : -amount_minor,
        .reference = reference,
        .admin_id = actor->admin_id,
        .at_ms = cw.ctx.now_ms,
    };
    char amount[PP_AMOUNT_TEXT_BYTES];
    char detail[PP_REFERENCE_BYTES_MAX + 64];
    const char *ref = reference != NULL ? reference : "";
    core_money_format(amount_minor, cur->exponent, amount, sizeof amount);
    snprintf(detail, sizeof detail, "%s %s%s%s", amount, cur->code,
             ref[0] != '\0' ? " reference " : "", ref);
    struct pp_err move_err = {0};
    enum pp_status st = store_funds_move(
        app->store, &cw.ctx, &move, kind == PP_LEDGER_DEPOSIT ? "funds.deposit" : "funds.withdraw",
        detail, after_out, &move_err);
    core_write_end(&cw, st);
    if (st == PP_INSUFFICIENT_FUNDS) {
        st = pp_err_set(err, st,
                        "cannot withdraw %s %s: it is more than the available (unblocked) funds",
                        amount, cur->code);
    } else if (st != PP_OK) {
        st = pp_err_set(err, st, "%s", move_err.message);
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

enum pp_status core_payouts_open_count(struct core_app *app, struct pp_open_count *out, size_t cap,
                                       size_t *count_out, struct pp_err *err)
{
    return store_payouts_open_count(app->store, out, cap, count_out, err);
}
