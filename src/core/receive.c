/*
** This module implements receiving a payout: only while it is READY and
** startDate <= now <= endDate, it becomes RECEIVED and its amount moves
** from blocked to paid out, with the reference given, in one audited
** store operation that re-reads the payout first (so a receive racing with
** a cancel or expiry ends in exactly one outcome); when it refuses, this
** module says why. It does not change
** payouts in bulk (bulk.c).
*/
#include "payout/core/receive.h"

#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "payout/core/dates.h"
#include "payout/core/money.h"
#include "write.h"

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

/* The amount as the audit detail shows it, in its currency's exponent. */
static void amount_text(const char *currency, int64_t amount_minor, char *out, size_t out_size)
{
    const struct core_currency *cur = core_currency_find(currency, 3);
    core_money_format(amount_minor, cur != NULL ? cur->exponent : 0, out, out_size);
}

enum pp_status core_payout_receive(struct core_app *app, int64_t id, const char *reference,
                                   const struct pp_actor *actor, struct pp_payout *out,
                                   struct pp_err *err)
{
    if (reference != NULL && strlen(reference) > PP_REFERENCE_BYTES_MAX) {
        return pp_err_set(err, PP_INVALID_PARAMS, "reference must be at most %d bytes",
                          PP_REFERENCE_BYTES_MAX);
    }
    struct core_write cw;
    core_write_begin(&cw, actor, core_now_ms());
    struct pp_payout p;
    enum pp_status st =
        store_payout_receive(app->store, &cw.ctx, id, reference, amount_text, &p, err);
    core_write_end(&cw, st);
    if (st == PP_CONFLICT) {
        /* Not receivable: say why, from the payout as it stands. */
        pp_err_clear(err);
        st = receivable(&p, cw.ctx.now_ms, err);
        if (st == PP_OK) {
            st = pp_err_set(err, PP_CONFLICT, "payout %lld cannot be received now", (long long)id);
        }
    }
    if (st == PP_OK) {
        *out = p;
    }
    return st;
}
