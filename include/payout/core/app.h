/*
** This header declares the application core: the domain operations the API
** calls (authenticate, log in, settings, deposit, create/cancel/read
** payouts, balances) on one `struct core_app`, which owns the store and an
** in-memory copy of the settings (so hot paths never query settings).
** Every money change here is one store_write callback: one transaction,
** durable before the call returns. No HTTP, JSON or SQL in core/.
*/
#ifndef PAYOUT_CORE_APP_H
#define PAYOUT_CORE_APP_H

#include <stddef.h>
#include <stdint.h>

#include "payout/core/money.h"
#include "payout/model.h"
#include "payout/sec/jwt.h"
#include "payout/status.h"

struct core_app;

/* Opens the database at db_path (see store_open) and loads the settings,
** creating the token signing key on first start. *out is new. */
enum pp_status core_app_open(const char *db_path, unsigned readers, struct core_app **out,
                             struct pp_err *err);
/* Closes the store (queued writes finish first) and frees app. NULL no-op. */
void core_app_close(struct core_app *app);
/* 1 when the database answers a trivial read. */
int core_app_ready(struct core_app *app);

/* --- Admins ------------------------------------------------------------- */

/* Creates the admin `email` with `password`, or resets the password of the
** existing admin with that e-mail (which revokes its tokens). password NULL
** means: generate one (PP_ADMIN_PASSWORD_GENERATED_CHARS) and write it to
** generated_out (at least PP_ADMIN_PASSWORD_GENERATED_CHARS + 1 bytes).
** *created_out = 1 when a new admin was created. Weak or over-long
** passwords and e-mails without '@' are PP_INVALID_PARAMS. */
enum pp_status core_admin_set(struct core_app *app, const struct pp_actor *actor,
                              const char *email, const char *password, char *generated_out,
                              int *created_out, struct pp_err *err);
/* How many admins exist. */
enum pp_status core_admin_count(struct core_app *app, int64_t *count_out, struct pp_err *err);

/* --- Authentication ----------------------------------------------------- */

struct core_principal {
    enum sec_role role; /* 0 = anonymous */
    int64_t admin_id;   /* 0 unless role is SEC_ROLE_ADMIN */
};

/* Verifies an API key or admin token (signature, algorithm, expiry, and
** that it has not been revoked). PP_UNAUTHORIZED otherwise. */
enum pp_status core_auth_verify(struct core_app *app, const char *token, size_t len,
                                struct core_principal *out, struct pp_err *err);

/* Exchanges the authentication password for a 24-hour API key (new heap
** string in *token_out). PP_BAD_CREDENTIALS when the integration is off or
** the password is wrong (compared in constant time). */
enum pp_status core_auth_authenticate(struct core_app *app, const char *password, size_t len,
                                      char **token_out, struct pp_err *err);

/* Admin log-in: an 8-hour admin token in *token_out (new heap string).
** PP_UNAUTHORIZED for an unknown e-mail or a wrong password alike. */
enum pp_status core_auth_admin_login(struct core_app *app, const char *email,
                                     const char *password, size_t password_len,
                                     char **token_out, struct pp_err *err);

/* --- Settings ----------------------------------------------------------- */

struct core_integration {
    int enabled;
    char password[PP_API_PASSWORD_CHARS + 1]; /* "" when none was generated yet */
};

/* A copy of the API-integration settings. */
void core_integration_get(struct core_app *app, struct core_integration *out);
/* Switches the integration on or off. Enabling generates the password if
** there is none; switching (either way) revokes every API key issued before. */
enum pp_status core_integration_set(struct core_app *app, int enabled,
                                    const struct pp_actor *actor, struct core_integration *out,
                                    struct pp_err *err);
/* Replaces the password with a new random one and revokes every API key. */
enum pp_status core_integration_rotate(struct core_app *app, const struct pp_actor *actor,
                                       struct core_integration *out, struct pp_err *err);

/* --- Funds -------------------------------------------------------------- */

/* Adds amount_minor (> 0) to the available funds of cur, with a ledger
** row (reference may be NULL). *after_out = the balance afterwards.
** Every operation that changes money or settings takes the acting
** `actor` and appends an audit entry in the same transaction. */
enum pp_status core_funds_deposit(struct core_app *app, const struct core_currency *cur,
                                  int64_t amount_minor, const char *reference,
                                  const struct pp_actor *actor, struct pp_balance *after_out,
                                  struct pp_err *err);

/* Takes amount_minor (> 0) of cur out of the available (unblocked) funds,
** with a WITHDRAW ledger row (reference may be NULL), audited as
** "funds.withdraw". PP_INSUFFICIENT_FUNDS when the available funds are
** smaller (nothing written). *after_out = the balance afterwards. */
enum pp_status core_funds_withdraw(struct core_app *app, const struct core_currency *cur,
                                   int64_t amount_minor, const char *reference,
                                   const struct pp_actor *actor, struct pp_balance *after_out,
                                   struct pp_err *err);

/* Balances of every currency ever funded, ordered by code. */
enum pp_status core_balances_list(struct core_app *app, struct pp_balance *out, size_t cap,
                                  size_t *count_out, struct pp_err *err);

/* --- Payouts ------------------------------------------------------------ */

/* A validated-for-type create request; core checks the domain rules. All
** strings borrowed, "" = not given. */
struct core_payout_request {
    const struct core_currency *currency;
    int64_t amount_minor;
    int64_t start_ms;
    int64_t end_ms;
    const char *project_name;
    const char *description;
    int notification;
    struct pp_recipient recipient; /* id 0; identifiers and profile as given */
    const char *metadata;          /* compact JSON object text, "" for none */
};

/* Creates a payout: ensures the project, resolves or creates the
** recipient, blocks the amount and writes payout + ledger rows, all in one
** transaction. PP_INVALID_PARAMS for a domain rule (amount <= 0, endDate
** not after startDate, empty name/description, recipient conflict),
** PP_INSUFFICIENT_FUNDS when available funds cannot cover it; in both
** cases nothing is written. */
enum pp_status core_payout_create(struct core_app *app, const struct core_payout_request *req,
                                  const struct pp_actor *actor, struct pp_payout *out,
                                  struct pp_err *err);

/* Cancels every open payout among ids[0..count), releasing its funds, in
** one transaction. Unknown ids, repeats and closed payouts are skipped.
** *cancelled_out = how many were cancelled. */
enum pp_status core_payout_cancel(struct core_app *app, const int64_t *ids, size_t count,
                                  const struct pp_actor *actor, int64_t *cancelled_out,
                                  struct pp_err *err);

/* One payout; PP_NOT_FOUND if there is none. */
enum pp_status core_payout_get(struct core_app *app, int64_t id, struct pp_payout *out,
                               struct pp_err *err);

/* --- Invariants --------------------------------------------------------- */

/* Runs the ledger check on an open app (see store_check). */
enum pp_status core_check(struct core_app *app, void (*report)(void *ctx, const char *line),
                          void *ctx, int *problems_out, struct pp_err *err);

/* --- Service: rate limits, idempotency purge, audit reads --------------- */

struct core_service_options {
    uint32_t rate_per_s;   /* requests per second per API key and per address; 0 = off */
    uint32_t rate_burst;   /* bucket capacity (>= 1 when rate_per_s > 0) */
    int idempotency_ttl_h; /* PP_IDEMPOTENCY_TTL_H_MIN..MAX */
};

/* The defaults (PP_RATE_LIMIT_DEFAULT, PP_RATE_BURST_DEFAULT,
** PP_IDEMPOTENCY_TTL_H_DEFAULT). */
void core_service_options_default(struct core_service_options *out);

/* Configures a serving app: creates the rate limiters (unless off) and
** starts the background purge of idempotency keys. Call once, before the
** HTTP server starts; core_app_close stops it. Without it, rate limiting
** is off and keys are never purged (the command-line tools). */
enum pp_status core_service_start(struct core_app *app, const struct core_service_options *opts,
                                  struct pp_err *err);

/* A rate-limit decision and the figures the caller is told. */
struct core_rate {
    int enabled;            /* 0: rate limiting is off (then allowed = 1, no figures) */
    int allowed;
    uint32_t limit;         /* bucket capacity */
    uint32_t remaining;     /* requests left right now */
    uint32_t reset_s;       /* seconds until the bucket is full again */
    uint32_t retry_after_s; /* when refused: seconds to wait (>= 1) */
};

/* Takes one request from the bucket of the client address addr and, when
** caller is an authenticated principal (not NULL, role set), from the
** caller's bucket too: one per admin, one shared by every API key of the
** integration (keyed by a SHA-256). Refused when either is empty; the
** figures are those of the tighter bucket. */
void core_rate_take(struct core_app *app, const char *addr, const struct core_principal *caller,
                    struct core_rate *out);

#endif /* PAYOUT_CORE_APP_H */
