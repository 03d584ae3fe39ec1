/*
** This module implements the route table: every endpoint of the server
** as data (method, path pattern, handler, who may call it, whether it
** reads a body, its body limit). The HTTP layer matches requests against it;
** docs/api.md and docs/openapi.json describe the same list.
*/
#include "admin.h"
#include "audit.h"
#include "auth.h"
#include "export.h"
#include "lifecycle.h"
#include "lists.h"
#include "metrics.h"
#include "openapi.h"
#include "payments.h"
#include "reads.h"
#include "reports.h"
#include "service.h"
#include "session.h"
#include "users.h"
#include "webhooks.h"

/* Columns: method, pattern, handler, access (the permission the caller
** needs: api/permissions.c), has_body, body_bytes_max (0 = the server's
** --body-max), on_fiber (1: the handler runs on its worker's fiber and
** parks at its writes; see struct api_route). One route per line. */
const struct api_route api_routes[] = {
    /* Seed API */
    {"POST", "/api/authenticate", api_authenticate, API_ACCESS_PUBLIC, 1, 0, 0},
    {"POST", "/api/payment/create", api_payment_create, API_ACCESS_CREATE, 1, 0, 1},
    {"POST", "/api/payment/cancel", api_payment_cancel, API_ACCESS_CANCEL, 1, 0, 1},
    /* Lifecycle */
    {"POST", "/api/payment/authorize", api_payment_authorize, API_ACCESS_AUTHORIZE, 1, 0, 1},
    {"POST", "/api/payment/receive", api_payment_receive, API_ACCESS_CREATE, 1, 0, 1},
    /* Lists (the import reads text/csv) and reports */
    {"POST", "/api/payment/create-list", api_payment_create_list, API_ACCESS_CREATE, 1,
     PP_LIST_BODY_BYTES_MAX, 1},
    {"POST", "/api/payment/import", api_payment_import, API_ACCESS_CREATE, 1,
     PP_LIST_BODY_BYTES_MAX, 0},
    {"GET", "/api/reports/payouts", api_reports_payouts, API_ACCESS_INTEGRATOR, 0, 0, 0},
    /* Reads */
    {"GET", "/api/payments", api_payments_list, API_ACCESS_INTEGRATOR, 0, 0, 0},
    /* Before {id}: the first matching pattern wins. */
    {"GET", "/api/payments/export", api_payments_export, API_ACCESS_INTEGRATOR, 0, 0, 0},
    {"GET", "/api/payments/{id}", api_payment_get, API_ACCESS_INTEGRATOR, 0, 0, 0},
    {"GET", "/api/recipients", api_recipients_list, API_ACCESS_INTEGRATOR, 0, 0, 0},
    {"GET", "/api/recipients/{id}", api_recipient_get, API_ACCESS_INTEGRATOR, 0, 0, 0},
    {"GET", "/api/projects", api_projects_list, API_ACCESS_INTEGRATOR, 0, 0, 0},
    {"GET", "/api/projects/{id}", api_project_get, API_ACCESS_INTEGRATOR, 0, 0, 0},
    {"GET", "/api/ledger", api_ledger_list, API_ACCESS_INTEGRATOR, 0, 0, 0},
    {"GET", "/api/balances", api_balances_list, API_ACCESS_INTEGRATOR, 0, 0, 0},
    /* Service */
    {"GET", "/api/version", api_version, API_ACCESS_PUBLIC, 0, 0, 0},
    {"GET", "/api/status", api_status, API_ACCESS_INTEGRATOR, 0, 0, 0},
    {"GET", "/healthz", api_healthz, API_ACCESS_PUBLIC, 0, 0, 0},
    {"GET", "/readyz", api_readyz, API_ACCESS_PUBLIC, 0, 0, 0},
    {"GET", "/metrics", api_metrics, API_ACCESS_PUBLIC, 0, 0, 0},
    {"GET", "/api/openapi.json", api_openapi, API_ACCESS_PUBLIC, 0, 0, 0},
    /* Admin */
    {"POST", "/api/admin/login", api_admin_login, API_ACCESS_PUBLIC, 1, 0, 0},
    {"GET", "/api/admin/settings", api_admin_settings_get, API_ACCESS_ADMIN, 0, 0, 0},
    {"PUT", "/api/admin/settings/api-integration", api_admin_integration_put, API_ACCESS_ADMIN, 1,
     0, 0},
    {"POST", "/api/admin/settings/api-integration/rotate", api_admin_integration_rotate,
     API_ACCESS_ADMIN, 1, 0, 0},
    {"POST", "/api/admin/funds/deposit", api_admin_deposit, API_ACCESS_ADMIN, 1, 0, 0},
    {"POST", "/api/admin/funds/withdraw", api_admin_withdraw, API_ACCESS_ADMIN, 1, 0, 0},
    {"PUT", "/api/admin/settings/authorization", api_admin_authorization_put, API_ACCESS_ADMIN, 1,
     0, 0},
    {"GET", "/api/admin/audit", api_admin_audit_list, API_ACCESS_AUDIT, 0, 0, 0},
    {"PUT", "/api/admin/settings/security", api_admin_security_put, API_ACCESS_ADMIN, 1, 0, 0},
    /* Users (spec §7) */
    {"GET", "/api/admin/users", api_admin_users_list, API_ACCESS_ADMIN, 0, 0, 0},
    {"POST", "/api/admin/users", api_admin_user_add, API_ACCESS_ADMIN, 1, 0, 0},
    {"PATCH", "/api/admin/users/{id}", api_admin_user_patch, API_ACCESS_ADMIN, 1, 0, 0},
    {"POST", "/api/admin/users/{id}/reset-password", api_admin_user_reset_password,
     API_ACCESS_ADMIN, 1, 0, 0},
    {"POST", "/api/admin/users/{id}/reset-two-factor", api_admin_user_reset_two_factor,
     API_ACCESS_ADMIN, 1, 0, 0},
    /* The caller's own account */
    {"GET", "/api/account", api_account_get, API_ACCESS_ACCOUNT_SETUP, 0, 0, 0},
    {"POST", "/api/account/password", api_account_password, API_ACCESS_ACCOUNT, 1, 0, 0},
    {"POST", "/api/account/two-factor/setup", api_account_two_factor_setup,
     API_ACCESS_ACCOUNT_SETUP, 1, 0, 0},
    {"POST", "/api/account/two-factor/enable", api_account_two_factor_enable,
     API_ACCESS_ACCOUNT_SETUP, 1, 0, 0},
    {"POST", "/api/account/two-factor/disable", api_account_two_factor_disable, API_ACCESS_ACCOUNT,
     1, 0, 0},
    /* Browser sessions */
    {"POST", "/api/session", api_session_create, API_ACCESS_PUBLIC, 1, 0, 0},
    {"GET", "/api/session", api_session_get, API_ACCESS_SESSION, 0, 0, 0},
    {"DELETE", "/api/session", api_session_delete, API_ACCESS_SESSION, 0, 0, 0},
    /* Events and webhooks (spec section 9): the API key or an admin */
    {"GET", "/api/events", api_events_list, API_ACCESS_INTEGRATOR, 0, 0, 0},
    {"POST", "/api/webhooks", api_webhook_create, API_ACCESS_WEBHOOKS, 1, 0, 0},
    {"GET", "/api/webhooks", api_webhooks_list, API_ACCESS_WEBHOOKS, 0, 0, 0},
    {"GET", "/api/webhooks/{id}", api_webhook_get, API_ACCESS_WEBHOOKS, 0, 0, 0},
    {"PATCH", "/api/webhooks/{id}", api_webhook_patch, API_ACCESS_WEBHOOKS, 1, 0, 0},
    {"DELETE", "/api/webhooks/{id}", api_webhook_delete, API_ACCESS_WEBHOOKS, 0, 0, 0},
    {"POST", "/api/webhooks/{id}/rotate-secret", api_webhook_rotate, API_ACCESS_WEBHOOKS, 1, 0, 0},
    {"POST", "/api/webhooks/{id}/test", api_webhook_test, API_ACCESS_WEBHOOKS, 1, 0, 0},
    {"POST", "/api/webhooks/{id}/replay", api_webhook_replay, API_ACCESS_WEBHOOKS, 1, 0, 0},
    {"GET", "/api/webhooks/{id}/deliveries", api_webhook_deliveries, API_ACCESS_WEBHOOKS, 0, 0, 0},
};

const size_t api_routes_count = sizeof api_routes / sizeof api_routes[0];
