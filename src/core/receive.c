/*
** This module implements receiving a payout: only while it is READY and
** startDate <= now <= endDate, it becomes RECEIVED and its amount moves
** from blocked to paid out, with the reference given, in one audited
** transaction that re-reads the payout first (so a receive racing with a
** cancel or expiry ends in exactly one outcome). It does not change
** payouts in bulk (bulk.c).
*/
#include "payout/core/receive.h"

#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "payout/core/dates.h"
#include "payout/core/money.h"
#include "payout/core/write.h"

struct receive_op {
    int64_t id;
    const char *reference; /* NULL for none */
    const struct pp_actor *actor;
    int64_t now_ms;
    struct pp_payout payout; /* out */
};

/* PP_OK when p may be received at now_ms, else PP_INVALID_PARAMS saying why. */
static enum pp_status receivable(const struct pp_payout *p, int64_t now_ms, struct pp_err *err)
{
    char date[PP_DATE_TEXT_BYTES];
    long long id = (long long)p->id;
    switch (p->status) {
    case PP_PAYOUT_UNAUTHORIZED:
        return pp_err_set(err, PP_INVALID_PARAMS,
                          "payout %lld is not authorized yet: an admin must authorize it first",
                          id);
    case PP_PAYOUT_RECEIVED:
        return pp_err_set(err, PP_INVALID_PARAMS, "payout %lld was already received", id);
    case PP_PAYOUT_CANCELLED:
        return pp_err_set(err, PP_INVALID_PARAMS,
                          "payout %lld was cancelled and can no longer be received", id);
    case PP_PAYOUT_EXPIRED:
        return pp_err_set(err, PP_INVALID_PARAMS,
                          "payout %lld has expired and can no longer be received", id);
    case PP_PAYOUT_READY:
        break;
    }
    if (now_ms < p->start_ms) {
        core_date_format(p->start_ms, date, sizeof date);
        return pp_err_set(err, PP_INVALID_PARAMS,
                          "payout %lld cannot be received before its startDate %s", id, date);
    }
    if (now_ms > p->end_ms) {
        core_date_format(p->end_ms, date, sizeof date);
        return pp_err_set(err, PP_INVALID_PARAMS,
                          "payout %lld cannot be received after its endDate %s", id, date);
    }
    return PP_OK;
}

static enum pp_status write_receive(struct store_tx *tx, void *arg, struct pp_err *err)
{
    struct receive_op *op = arg;
    struct pp_payout p;
    enum pp_status st = store_tx_payout_get(tx, op->id, &p, err);
    if (st == PP_OK) {
        st = receivable(&p, op->now_ms, err);
    }
    if (st == PP_OK) {
        st = store_tx_payout_set_status(tx, p.id, PP_PAYOUT_RECEIVED, op->now_ms, op->reference,
                                        err);
    }
    if (st == PP_OK) {
        struct pp_movement payout = {
            .currency = p.currency,
            .kind = PP_LEDGER_PAYOUT,
            .d_blocked = -p.amount_minor,
            .d_paid_out = p.amount_minor,
            .payout_id = p.id,
            .reference = op->reference,
            .admin_id = op->actor->admin_id,
            .at_ms = op->now_ms,
        };
        st = store_tx_funds_move(tx, &payout, NULL, err);
    }
    if (st == PP_OK) {
        st = store_tx_payout_get(tx, p.id, &op->payout, err);
    }
    if (st == PP_OK) {
        char subject[CORE_AUDIT_SUBJECT_BYTES];
        char detail[64];
        char amount[PP_AMOUNT_TEXT_BYTES];
        const struct core_currency *cur = core_currency_find(p.currency, 3);
        core_money_format(p.amount_minor, cur != NULL ? cur->exponent : 0, amount, sizeof amount);
        core_audit_subject_format(p.id, subject);
        snprintf(detail, sizeof detail, "%s %s", amount, p.currency);
        st = core_audit_append(tx, op->actor, "payment.receive", subject, detail, op->now_ms, err);
    }
    return st;
}

enum pp_status core_payout_receive(struct core_app *app, int64_t id, const char *reference,
                                   const struct pp_actor *actor, struct pp_payout *out,
                                   struct pp_err *err)
{
    if (reference != NULL && strlen(reference) > PP_REFERENCE_BYTES_MAX) {
        return pp_err_set(err, PP_INVALID_PARAMS, "reference must be at most %d bytes",
                          PP_REFERENCE_BYTES_MAX);
    }
    struct receive_op op = {
        .id = id,
        .reference = reference != NULL && reference[0] != '\0' ? reference : NULL,
        .actor = actor,
        .now_ms = core_now_ms(),
    };
    enum pp_status st = core_write_run(app, write_receive, &op, err);
    if (st == PP_OK) {
        *out = op.payout;
    }
    return st;
}
