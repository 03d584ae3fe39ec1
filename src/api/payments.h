/*
** This private header declares the payout endpoints of api/payments.c
** for the route table.
*/
#ifndef PAYOUT_API_PAYMENTS_H
#define PAYOUT_API_PAYMENTS_H

#include "payout/api/api.h"

void api_payment_create(struct core_app *app, struct api_request *req, struct api_response *resp);
void api_payment_cancel(struct core_app *app, struct api_request *req, struct api_response *resp);
void api_payment_get(struct core_app *app, struct api_request *req, struct api_response *resp);

#endif /* PAYOUT_API_PAYMENTS_H */
