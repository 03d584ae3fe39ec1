/*
** This module implements the permission table of spec §7 as data: for
** each kind of action a route may take (enum api_access), which callers
** have it: the integration's API key and the four roles. The request
** pipeline (api/pipeline.c) checks it for every route before its handler
** runs; the route table (api/routes.c) names one permission per route;
** docs/openapi.json repeats the name as x-access, and the permission
** matrix test calls every route as every caller.
**
**   action                                 key admin approver operator auditor
**   read payouts, balances, ledger, ...     y    y      y        y        y
**   read the audit log                      -    y      y        y        y
**   create payouts and lists, receive       y    y      -        y        -
**   cancel                                  y    y      y        y        -
**   authorize                               -    y      y        -        -
**   funds, settings, integration, users     -    y      -        -        -
**   own account                             -    y      y        y        y
**   webhook endpoints (spec §9)             y    y      -        -        -
*/
#include "payout/api/api.h"

/* Columns of allowed: API key, admin, approver, operator, auditor. */
const struct api_permission api_permissions[API_ACCESS_COUNT] = {
    [API_ACCESS_PUBLIC] = {"public", "call this endpoint", {1, 1, 1, 1, 1}, 1},
    [API_ACCESS_INTEGRATOR] = {"read", "read payouts, balances and reports", {1, 1, 1, 1, 1}, 0},
    [API_ACCESS_ADMIN] = {"admin",
                          "manage funds, settings, the API integration, webhooks or users",
                          {0, 1, 0, 0, 0},
                          0},
    [API_ACCESS_AUDIT] = {"audit", "read the audit log", {0, 1, 1, 1, 1}, 0},
    [API_ACCESS_CREATE] = {"create", "create or receive payouts", {1, 1, 0, 1, 0}, 0},
    [API_ACCESS_CANCEL] = {"cancel", "cancel payouts", {1, 1, 1, 1, 0}, 0},
    [API_ACCESS_AUTHORIZE] = {"authorize", "authorize payouts", {0, 1, 1, 0, 0}, 0},
    [API_ACCESS_ACCOUNT] = {"account", "use a panel user's account", {0, 1, 1, 1, 1}, 0},
    [API_ACCESS_ACCOUNT_SETUP] = {"account-setup",
                                  "use a panel user's account",
                                  {0, 1, 1, 1, 1},
                                  1},
    [API_ACCESS_SESSION] = {"session", "use a browser session", {0, 1, 1, 1, 1}, 1},
    [API_ACCESS_WEBHOOKS] = {"webhooks", "manage webhooks", {1, 1, 0, 0, 0}, 0},
};
