/*
** This private header declares the OpenAPI document endpoint of
** api/openapi.c for the route table.
*/
#ifndef PAYOUT_API_OPENAPI_H
#define PAYOUT_API_OPENAPI_H

#include "payout/api/api.h"

void api_openapi(struct core_app *app, struct api_request *req, struct api_response *resp);

#endif /* PAYOUT_API_OPENAPI_H */
