/*
** This private header declares the admin settings and funds endpoints of
** api/admin.c for the route table.
*/
#ifndef PAYOUT_API_ADMIN_H
#define PAYOUT_API_ADMIN_H

#include "payout/api/api.h"

void api_admin_settings_get(struct core_app *app, struct api_request *req,
                            struct api_response *resp);
void api_admin_integration_put(struct core_app *app, struct api_request *req,
                               struct api_response *resp);
void api_admin_integration_rotate(struct core_app *app, struct api_request *req,
                                  struct api_response *resp);
void api_admin_deposit(struct core_app *app, struct api_request *req, struct api_response *resp);
void api_admin_withdraw(struct core_app *app, struct api_request *req, struct api_response *resp);

#endif /* PAYOUT_API_ADMIN_H */
