/*
** This private header declares the payout endpoints of api/payments.c
** for the route table, and the ids action they share with authorize.
*/
#ifndef PAYOUT_API_PAYMENTS_H
#define PAYOUT_API_PAYMENTS_H

#include <stddef.h>
#include <stdint.h>

#include "payout/api/api.h"
#include "payout/model.h"
#include "payout/status.h"

void api_payment_create(struct core_app *app, struct api_request *req, struct api_response *resp);
void api_payment_cancel(struct core_app *app, struct api_request *req, struct api_response *resp);
void api_payment_get(struct core_app *app, struct api_request *req, struct api_response *resp);

/* A bulk action on payouts by id (core_payout_cancel, core_payout_authorize):
** *done_out = how many it changed. */
typedef enum pp_status (*api_ids_action_fn)(struct core_app *app, const int64_t *ids, size_t count,
                                            const struct pp_actor *actor, int64_t *done_out,
                                            struct pp_err *err);

/* Runs an ids action for req: the body {"ids":[...]} (a non-empty array of
** at most PP_IDS_MAX positive integers, nothing else), then action as the
** caller; answers {"success":n} or the error envelope. */
void api_ids_action_run(struct core_app *app, struct api_request *req, struct api_response *resp,
                        api_ids_action_fn action);

#endif /* PAYOUT_API_PAYMENTS_H */
