/*
** This header declares the application core's lifetime: opening an app
** (the store, the settings it caches, the state of every core module) and
** closing it, readiness, and migrating a database without serving it.
** The operations live one module each: core/admins.h, auth.h,
** integration.h, auth_policy.h, funds.h, payouts.h, bulk.h, receive.h,
** lists.h, expiry.h, idempotency.h, service.h, ledger.h and the reads
** (reads.h, reports.h, audit.h). Every money change is one transaction
** (core/write.h), durable before the call returns. No HTTP, JSON or SQL in
** core/.
*/
#ifndef PAYOUT_CORE_APP_H
#define PAYOUT_CORE_APP_H

#include "payout/status.h"

struct core_app;

/* Opens the database at db_path (see store_open) and loads the settings,
** creating the token signing key on first start. *out is new. */
enum pp_status core_app_open(const char *db_path, unsigned readers, struct core_app **out,
                             struct pp_err *err);

/* Stops what runs in the background (service, expiry), closes the store
** (queued writes finish first) and frees app. NULL is a no-op. */
void core_app_close(struct core_app *app);

/* 1 when the database answers a trivial read. */
int core_app_ready(struct core_app *app);

/* Opens the database at db_path (creating it as core_app_open does),
** applies the pending migrations and closes it. *applied_out = how many
** were applied. */
enum pp_status core_app_migrate(const char *db_path, int *applied_out, struct pp_err *err);

/* The highest schema version this binary knows. */
int core_app_schema_latest(void);

#endif /* PAYOUT_CORE_APP_H */
