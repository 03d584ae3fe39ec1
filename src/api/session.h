/*
** This private header declares the browser-session endpoints of
** api/session.c for the route table. The cookie's name is the request
** pipeline's (api/pipeline.h), which reads it on every request.
*/
#ifndef PAYOUT_API_SESSION_H
#define PAYOUT_API_SESSION_H

#include "payout/api/api.h"

void api_session_create(struct core_app *app, struct api_request *req, struct api_response *resp);
void api_session_get(struct core_app *app, struct api_request *req, struct api_response *resp);
void api_session_delete(struct core_app *app, struct api_request *req, struct api_response *resp);

#endif /* PAYOUT_API_SESSION_H */
