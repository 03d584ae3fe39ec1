/*
** This module holds the route table: every endpoint of the server as data
** (method, path pattern, handler, who may call it, whether it reads a
** body). The HTTP layer matches requests against it; docs/api.md and
** docs/openapi.json describe the same list.
*/
#include "internal.h"

const struct api_route api_routes[] = {
    {"POST", "/api/authenticate", api_authenticate, API_ACCESS_PUBLIC, 1},
    {"POST", "/api/payment/create", api_payment_create, API_ACCESS_INTEGRATOR, 1},
    {"POST", "/api/payment/cancel", api_payment_cancel, API_ACCESS_INTEGRATOR, 1},
    {"GET", "/api/payments/{id}", api_payment_get, API_ACCESS_INTEGRATOR, 0},
    {"GET", "/api/balances", api_balances_list, API_ACCESS_INTEGRATOR, 0},
    {"GET", "/api/version", api_version, API_ACCESS_PUBLIC, 0},
    {"POST", "/api/admin/login", api_admin_login, API_ACCESS_PUBLIC, 1},
    {"GET", "/api/admin/settings", api_admin_settings_get, API_ACCESS_ADMIN, 0},
    {"PUT", "/api/admin/settings/api-integration", api_admin_integration_put, API_ACCESS_ADMIN, 1},
    {"POST", "/api/admin/settings/api-integration/rotate", api_admin_integration_rotate,
     API_ACCESS_ADMIN, 1},
    {"POST", "/api/admin/funds/deposit", api_admin_deposit, API_ACCESS_ADMIN, 1},
};

const size_t api_routes_count = sizeof api_routes / sizeof api_routes[0];
