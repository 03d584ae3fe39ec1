/*
** This header declares the flows the API tests share: signing in, the
** integration, deposits and balances, the session most tests start from,
** payouts, the audit count, `check`, and running worker threads. Every
** function here asserts, so it runs on the test's main thread, except
** pp_threads_run's workers.
*/
#ifndef PP_HARNESS_FLOWS_H
#define PP_HARNESS_FLOWS_H

#include <pthread.h>
#include <stddef.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>

#include "harness/http.h"
#include "harness/server.h"

/* POST /api/admin/login with the harness credentials -> new token (free()). */
char *pp_admin_login(const struct pp_server *s);
/* PUT api-integration {"enabled":true} -> new authentication password. */
char *pp_enable_integration(const struct pp_server *s, const char *admin_token);
/* POST /api/authenticate -> new API key. */
char *pp_authenticate(const struct pp_server *s, const char *password);
/* POST /api/admin/funds/deposit with amount as raw JSON number text ->
** the new balance object (json_decref). */
json_t *pp_deposit(const struct pp_server *s, const char *admin_token, const char *currency,
                   const char *amount_text);
/* GET /api/balances and returns the response (its JSON checked for shape
** and sort order). */
struct pp_resp *pp_balances(const struct pp_server *s, const char *token);
/* Asserts the balance of currency in a /api/balances response has exactly
** the literal texts given (a NULL text is not checked). A currency absent
** from the list counts as all-zero when every expected text is "0". */
void pp_assert_balance(const struct pp_resp *balances, const char *currency, const char *available,
                       const char *blocked, const char *paid_out);

/* Deposits amount_text of currency and drops the answer. */
void pp_fund(const struct pp_server *s, const char *admin_token, const char *currency,
             const char *amount_text);
/* Fetches /api/balances with token and asserts currency's figures as
** pp_assert_balance does. */
void pp_assert_balance_now(const struct pp_server *s, const char *token, const char *currency,
                           const char *available, const char *blocked, const char *paid_out);

/* One figure ("available", "blocked" or "paidOut") of currency's balance
** in minor units; 0 when the currency has no balance yet. */
long long pp_balance_minor(const struct pp_server *s, const char *token, const char *currency,
                           const char *field);

/* GETs path with token, asserts 200, and returns the length of the array
** at key (failing when there is none), e.g. ("/api/ledger", "ledger"). */
size_t pp_list_count(const struct pp_server *s, const char *token, const char *path,
                     const char *key);

/* Copies r's "nextCursor" into cursor and returns 1 when there is one (a
** string), else returns 0 and asserts it is null: the last page. */
int pp_next_cursor(const struct pp_resp *r, char *cursor, size_t cursor_size);

/* --- A session: the set-up most API tests start from ----------------------- */

/* What pp_session_start sets up; the pointers are the test's own globals. */
struct pp_session {
    struct pp_server *srv;             /* the server to start */
    const struct pp_server_opts *opts; /* NULL: the harness defaults */
    char **admin_token;                /* receives the admin's token (new) */
    char **api_key;                    /* receives an API key (new); NULL: none made */
    char **password;                   /* receives the integration's password (new);
                                       ** NULL: not kept. With api_key and password both
                                       ** NULL the integration stays disabled. */
    const char *const *funds;          /* deposits made by the admin: currency, amount
                                       ** text, ..., NULL; NULL: none */
    /* NULL, or runs once the session is up (data the tests share); a
    ** non-zero return fails the group. */
    int (*after_start)(void);
    /* NULL, or runs before the session stops (other servers, buffers). */
    void (*before_stop)(void);
};

/* Starts ss->srv, signs the admin in, enables the integration and signs
** in with its password, then makes the deposits; each step only when the
** session asks for what it gives (with none of admin_token, api_key,
** password and funds, the server alone). Returns 0, or -1 when the
** server did not start (for a cmocka group set-up); the flows assert. */
int pp_session_start(const struct pp_session *ss);
/* Destroys ss->srv and frees (and clears) the tokens and the password. */
void pp_session_stop(const struct pp_session *ss);

/* Runs tests[0..count) as one cmocka group named name around the session:
** pp_session_start and ss->after_start before the first test,
** ss->before_stop and pp_session_stop after the last. Returns cmocka's
** result. One group runs at a time. */
int pp_session_run(const char *name, const struct CMUnitTest *tests, size_t count,
                   const struct pp_session *ss);
#define PP_SESSION_RUN(tests, ss)                                                                  \
    pp_session_run(#tests, tests, sizeof(tests) / sizeof((tests)[0]), ss)

/* Starts next on prev's database (prev is stopped) with the extra
** environment env (may be NULL), signs the admin in anew and uses that
** token as the API key too (an admin may call every integrator endpoint).
** The old tokens are freed. */
void pp_server_restart_signed_in(struct pp_server *next, const struct pp_server *prev,
                                 const char *const *env, char **admin_token, char **api_key);

/* --- Payouts ----------------------------------------------------------------- */

/* POSTs body to /api/payment/create with token; asserts 200, one payout,
** and its status when want_status is non-NULL. Returns the payout's id. */
long long pp_payout_create(const struct pp_server *s, const char *token, const char *body,
                           const char *want_status);
/* Stores count recipients known by their phone number only ("+4479" and
** the index in 8 digits), in one create-list of 0.01 GBP payouts with
** token; returns the id of the first (the oldest). */
long long pp_store_phone_recipients(const struct pp_server *s, const char *token, int count);
/* GET /api/payments/{id}, asserting 200 and the id; a new response. */
struct pp_resp *pp_payout_get(const struct pp_server *s, const char *token, long long id);
/* Asserts payout id has status now. */
void pp_assert_payout_status(const struct pp_server *s, const char *token, long long id,
                             const char *status);
/* Polls (every 50 ms) until payout id has status; fails after timeout_ms. */
void pp_payout_wait_status(const struct pp_server *s, const char *token, long long id,
                           const char *status, long timeout_ms);
/* POSTs body to path and asserts the answer is exactly {"success":n}. */
void pp_assert_success_count(const struct pp_server *s, const char *path, const char *token,
                             const char *body, long long n);
/* How many audit entries of action, all by actor_kind ("admin",
** "integrator", ...), name payout id in their subject ("payout:1,2,3");
** id 0 counts every entry of that action. Reads every page of GET
** /api/admin/audit with admin_token. */
long long pp_audit_count(const struct pp_server *s, const char *admin_token, const char *action,
                         long long id, const char *actor_kind);

/* --- Checks ---------------------------------------------------------------- */

/* Runs `check` on db_path and fails, naming when, unless it passes. */
void pp_assert_check(const char *db_path, const char *when);
/* Stops s (SIGTERM), asserting a clean exit, then runs `check` on its
** database (pp_assert_check). */
void pp_stop_and_check(struct pp_server *s, const char *when);
/* Asserts the error envelope (pp_assert_error) and frees r. */
void pp_expect_error(struct pp_resp *r, long status, const char *type);
/* GETs each of paths[0..n) with token and asserts each answers status with
** the error envelope of type. */
void pp_assert_get_errors(const struct pp_server *s, const char *token, const char *const *paths,
                          size_t n, long status, const char *type);

/* --- Threads ----------------------------------------------------------------- */

/* Runs fn on count threads (at most PP_THREADS_MAX), thread t given a
** pointer to its index t (a size_t), and joins them. barrier (may be NULL)
** is initialised for count threads first and destroyed after, so that the
** workers can start together. Workers must not assert. */
#define PP_THREADS_MAX 64
void pp_threads_run(size_t count, void *(*fn)(void *), pthread_barrier_t *barrier);

#endif /* PP_HARNESS_FLOWS_H */
