/*
** This private header declares the CSV export endpoint of api/export.c for
** the route table.
*/
#ifndef PAYOUT_API_EXPORT_H
#define PAYOUT_API_EXPORT_H

#include "payout/api/api.h"

/* GET /api/payments/export: the payout list as streamed CSV. */
void api_payments_export(struct core_app *app, struct api_request *req, struct api_response *resp);

#endif /* PAYOUT_API_EXPORT_H */
