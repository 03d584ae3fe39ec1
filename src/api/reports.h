/*
** This private header declares the reports endpoint of api/reports.c for
** the route table.
*/
#ifndef PAYOUT_API_REPORTS_H
#define PAYOUT_API_REPORTS_H

#include "payout/api/api.h"

/* GET /api/reports/payouts: counts and sums of payouts created in a
** period, per group (project, currency, status, recipient or day) and
** currency. */
void api_reports_payouts(struct core_app *app, struct api_request *req, struct api_response *resp);

#endif /* PAYOUT_API_REPORTS_H */
