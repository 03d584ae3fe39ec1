/*
** This private header declares the audit-log endpoint of api/audit.c for
** the route table.
*/
#ifndef PAYOUT_API_AUDIT_H
#define PAYOUT_API_AUDIT_H

#include "payout/api/api.h"

void api_admin_audit_list(struct core_app *app, struct api_request *req, struct api_response *resp);

#endif /* PAYOUT_API_AUDIT_H */
