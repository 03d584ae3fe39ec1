/*
** This header declares the payout reports of the core: counts and sums of
** the payouts created in a period, per group and currency (see
** payout/model/report.h for the groupings and the order). The period and
** its defaults are the caller's; core adds the checks that protect the
** store.
*/
#ifndef PAYOUT_CORE_REPORTS_H
#define PAYOUT_CORE_REPORTS_H

#include <stddef.h>

#include "payout/model/report.h"
#include "payout/status.h"

struct core_app;

/* Aggregates the payouts matching q into out[0..cap); *count_out = groups.
** PP_INVALID_PARAMS when from_ms >= to_ms or when there are more than cap
** groups. */
enum pp_status core_report_payouts(struct core_app *app, const struct pp_report_query *q,
                                   struct pp_report_group *out, size_t cap, size_t *count_out,
                                   struct pp_err *err);

#endif /* PAYOUT_CORE_REPORTS_H */
