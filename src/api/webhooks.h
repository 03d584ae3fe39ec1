/*
** This private header declares the endpoints of api/webhooks.c for the
** route table: webhook endpoints and the events feed (spec section 9).
*/
#ifndef PAYOUT_API_WEBHOOKS_H
#define PAYOUT_API_WEBHOOKS_H

#include "payout/api/api.h"

/* GET /api/events?after=&type=&payoutId=&from=&to=&size=: events oldest
** first, {"events":[…],"nextAfter":id or null}. */
void api_events_list(struct core_app *app, struct api_request *req, struct api_response *resp);
/* POST /api/webhooks: the endpoint with its "secret" (shown only here). */
void api_webhook_create(struct core_app *app, struct api_request *req, struct api_response *resp);
/* GET /api/webhooks: {"webhooks":[…]}. */
void api_webhooks_list(struct core_app *app, struct api_request *req, struct api_response *resp);
/* GET /api/webhooks/{id}. */
void api_webhook_get(struct core_app *app, struct api_request *req, struct api_response *resp);
/* PATCH /api/webhooks/{id}: {"url"?,"events"?,"enabled"?,"description"?}. */
void api_webhook_patch(struct core_app *app, struct api_request *req, struct api_response *resp);
/* DELETE /api/webhooks/{id}: {"success":1}. */
void api_webhook_delete(struct core_app *app, struct api_request *req, struct api_response *resp);
/* POST /api/webhooks/{id}/rotate-secret: the endpoint with its new "secret". */
void api_webhook_rotate(struct core_app *app, struct api_request *req, struct api_response *resp);
/* POST /api/webhooks/{id}/test: {"success":1}; queues a webhook.test event. */
void api_webhook_test(struct core_app *app, struct api_request *req, struct api_response *resp);
/* POST /api/webhooks/{id}/replay: {"after"} or {"from","to"} -> {"queued":N}. */
void api_webhook_replay(struct core_app *app, struct api_request *req, struct api_response *resp);
/* GET /api/webhooks/{id}/deliveries: the latest attempts, newest first. */
void api_webhook_deliveries(struct core_app *app, struct api_request *req,
                            struct api_response *resp);

#endif /* PAYOUT_API_WEBHOOKS_H */
