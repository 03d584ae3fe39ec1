/*
** This header declares the log-in lockouts of a serving app, kept beside
** its rate limits: one sec/lockout table per log-in endpoint (failing one
** does not lock the other), owned by the struct core_app rather than the
** process, so two apps in one process (tests) never share a count. See
** payout/sec/lockout.h for the counting rules (reserve before the
** credentials are looked at, settle afterwards).
*/
#ifndef PAYOUT_CORE_LOCKOUT_H
#define PAYOUT_CORE_LOCKOUT_H

#include <stdint.h>

struct core_app;

/* The log-ins that are locked out separately. */
enum core_login {
    CORE_LOGIN_AUTHENTICATE, /* POST /api/authenticate (the API key's password) */
    CORE_LOGIN_ADMIN,        /* POST /api/admin/login */
    CORE_LOGIN_COUNT
};

struct core_lockouts;

/* New tables, every address unlocked; core_lockouts_destroy(NULL) is a
** no-op. Allocation failure aborts. */
struct core_lockouts *core_lockouts_create(void);
void core_lockouts_destroy(struct core_lockouts *l);

/* Reserves an attempt at log-in `which` for the client address addr (NULL
** reads as ""). Returns 0 when it may go ahead (then settle it), or the
** milliseconds the address must still wait (nothing reserved), or -1 when
** the shared counter of a shared database cannot be reached (nothing
** reserved: answer 503). On a shared database the count is across every
** node (core/counters.c). */
int64_t core_lockout_reserve(struct core_app *app, enum core_login which, const char *addr);

/* Settles a reserved attempt: succeeded != 0 forgets the address, else
** the failure counts. */
void core_lockout_settle(struct core_app *app, enum core_login which, const char *addr,
                         int succeeded);

/* Releases a reserved attempt without counting it either way (a sign-in
** that stopped to ask for a two-factor code). */
void core_lockout_release(struct core_app *app, enum core_login which, const char *addr);

#endif /* PAYOUT_CORE_LOCKOUT_H */
