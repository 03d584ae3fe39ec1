/*
** This private header declares GET /metrics (api/metrics.c) for the route
** table.
*/
#ifndef PAYOUT_API_METRICS_H
#define PAYOUT_API_METRICS_H

#include "payout/api/api.h"

void api_metrics(struct core_app *app, struct api_request *req, struct api_response *resp);

#endif /* PAYOUT_API_METRICS_H */
