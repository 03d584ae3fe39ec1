/*
** This private header declares the lifecycle endpoints of api/lifecycle.c
** (authorize, receive, the authorization policy setting) for the
** route table, and the authorization object writer for the settings answer.
*/
#ifndef PAYOUT_API_LIFECYCLE_H
#define PAYOUT_API_LIFECYCLE_H

#include <jansson.h>

#include "payout/api/api.h"
#include "payout/api/jsonw.h"
#include "payout/base/buf.h"
#include "payout/core/lifecycle.h"
#include "payout/status.h"

void api_payment_authorize(struct core_app *app, struct api_request *req,
                           struct api_response *resp);
void api_payment_receive(struct core_app *app, struct api_request *req, struct api_response *resp);
void api_admin_authorization_put(struct core_app *app, struct api_request *req,
                                 struct api_response *resp);

/* Writes the policy as {"mode":"above","thresholds":{"GBP":100}}
** (thresholds in major units, by currency code). */
void api_authorization_write(struct jw *w, const struct core_auth_policy *p);

#endif /* PAYOUT_API_LIFECYCLE_H */
