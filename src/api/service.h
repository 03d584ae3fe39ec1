/*
** This private header declares the service endpoints of api/service.c
** (version, status, health, readiness, balances) for the route table and
** the request pipeline (health probes are not rate limited).
*/
#ifndef PAYOUT_API_SERVICE_H
#define PAYOUT_API_SERVICE_H

#include "payout/api/api.h"

void api_version(struct core_app *app, struct api_request *req, struct api_response *resp);
void api_status(struct core_app *app, struct api_request *req, struct api_response *resp);
void api_healthz(struct core_app *app, struct api_request *req, struct api_response *resp);
void api_readyz(struct core_app *app, struct api_request *req, struct api_response *resp);
void api_balances_list(struct core_app *app, struct api_request *req, struct api_response *resp);

#endif /* PAYOUT_API_SERVICE_H */
