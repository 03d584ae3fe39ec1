/*
** This module implements the core side of payout reports: it checks the
** period and hands the aggregate to the store (store/reports.c). It does
** not parse parameters or format answers (api/reports.c does).
*/
#include "payout/core/reports.h"
#include "internal.h"

enum pp_status core_report_payouts(struct core_app *app, const struct pp_report_query *q,
                                   struct pp_report_group *out, size_t cap, size_t *count_out,
                                   struct pp_err *err)
{
    *count_out = 0;
    if (q->from_ms >= q->to_ms) {
        return pp_err_set(err, PP_INVALID_PARAMS, "from must be before to");
    }
    return store_report_payouts(app->store, q, out, cap, count_out, err);
}
