/*
** This private header declares the handlers of bulk lists (api/lists.c)
** for the route table.
*/
#ifndef PAYOUT_API_LISTS_H
#define PAYOUT_API_LISTS_H

#include "payout/api/api.h"

/* POST /api/payment/create-list: {"payments":[create bodies]}, all or
** nothing; every bad row is listed in the envelope's "errors" with its
** 0-based array index. */
void api_payment_create_list(struct core_app *app, struct api_request *req,
                             struct api_response *resp);

/* POST /api/payment/import: a text/csv list (header row of create field
** names), all or nothing; bad rows are listed with their 1-based data row
** number as "index" and the line they start on as "line". */
void api_payment_import(struct core_app *app, struct api_request *req, struct api_response *resp);

#endif /* PAYOUT_API_LISTS_H */
