/*
** This header declares the payout reports' storage: counts and sums of the
** payouts created in a period, grouped by project, currency, status,
** recipient or UTC day, and always by currency as well (sums of different
** currencies are never added up). One SQL aggregate per grouping, run on a
** read connection.
*/
#ifndef PAYOUT_STORE_REPORTS_H
#define PAYOUT_STORE_REPORTS_H

#include <stddef.h>
#include <stdint.h>

#include "payout/model.h"
#include "payout/model/report.h"
#include "payout/status.h"

struct store;

/* Aggregates the payouts matching q into out[0..cap), ordered by key
** (ids numerically, status names and days as text) then currency;
** *count_out = groups written. More than cap groups: PP_INVALID_PARAMS
** ("narrow the period"), nothing usable in out. */
enum pp_status store_report_payouts(struct store *st, const struct pp_report_query *q,
                                    struct pp_report_group *out, size_t cap, size_t *count_out,
                                    struct pp_err *err);

#endif /* PAYOUT_STORE_REPORTS_H */
