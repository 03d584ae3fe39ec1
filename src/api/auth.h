/*
** This private header declares the log-in endpoints of api/auth.c for the
** route table.
*/
#ifndef PAYOUT_API_AUTH_H
#define PAYOUT_API_AUTH_H

#include "payout/api/api.h"

void api_authenticate(struct core_app *app, struct api_request *req, struct api_response *resp);
void api_admin_login(struct core_app *app, struct api_request *req, struct api_response *resp);

#endif /* PAYOUT_API_AUTH_H */
