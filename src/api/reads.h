/*
** This private header declares the read-side handlers of api/reads.c
** for the route table, and the list query reader the export shares.
*/
#ifndef PAYOUT_API_READS_H
#define PAYOUT_API_READS_H

#include "payout/api/api.h"
#include "payout/core/reads.h"

/* GET /api/payments, /api/recipients, /api/recipients/{id}, /api/projects,
** /api/projects/{id}, /api/ledger. */
void api_payments_list(struct core_app *app, struct api_request *req, struct api_response *resp);
void api_recipients_list(struct core_app *app, struct api_request *req, struct api_response *resp);
void api_recipient_get(struct core_app *app, struct api_request *req, struct api_response *resp);
void api_projects_list(struct core_app *app, struct api_request *req, struct api_response *resp);
void api_project_get(struct core_app *app, struct api_request *req, struct api_response *resp);
void api_ledger_list(struct core_app *app, struct api_request *req, struct api_response *resp);

/* Reads every query parameter of req into q (a list of this kind) and
** checks the whole query. Returns 1, or 0 after answering the 400 into resp. */
int api_list_query_read(struct core_app *app, const struct api_request *req,
                        enum core_list_kind kind, struct core_list_query *q,
                        struct api_response *resp);

#endif /* PAYOUT_API_READS_H */
