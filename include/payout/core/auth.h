/*
** This header declares authentication: exchanging the authentication
** password for an API key, admin log-in, and verifying either kind of
** token, including its revocation.
*/
#ifndef PAYOUT_CORE_AUTH_H
#define PAYOUT_CORE_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "payout/model/user.h"
#include "payout/sec/jwt.h"
#include "payout/status.h"

struct core_app;

/* Who calls. A panel user (spec §7) is role SEC_ROLE_ADMIN with their
** user_role: the token's role name predates the other roles. */
struct core_principal {
    enum sec_role role;     /* 0 = anonymous */
    int64_t admin_id;       /* the user's id; 0 unless role is SEC_ROLE_ADMIN */
    enum pp_role user_role; /* the user's role; PP_ROLE_NONE for the API key */
    int two_factor;         /* 1 when the user has two-factor on */
    int via_session;        /* 1 when the session cookie authenticated the call */
    char session_hash[PP_SESSION_HASH_TEXT_BYTES]; /* when via_session */
    char csrf_token[PP_CSRF_TEXT_BYTES];           /* when via_session */
    /* An API key whose revocation is not checked yet (core_auth_verify):
    ** its generation. */
    int key_unchecked;
    int64_t key_generation;
};

/* Verifies an API key or a user's token (signature, algorithm, expiry, and
** that it has not been revoked: for a user, that the user exists, is
** enabled and is still at the token's generation). PP_UNAUTHORIZED
** otherwise. An API key's revocation (the integration's switch and
** generation) is checked at once on SQLite, whose one server's cache is
** the truth. On a shared store (PostgreSQL) it is left unchecked
** (out->key_unchecked), to ride on a statement the request makes anyway:
** the caller must settle it before the request acts or answers, by one of
** core_rate_take (the rate counters' transaction reads it), the guard
** around a handler that acts only through store writes
** (core_auth_key_guard_begin/end), or core_auth_key_confirm (a read). */
enum pp_status core_auth_verify(struct core_app *app, const char *token, size_t len,
                                struct core_principal *out, struct pp_err *err);

/* One request's key check while it acts (opaque): the caller's, not the
** thread's, so a handler parked on a fiber keeps its own. */
struct core_key_guard;
struct pp_arena;

/* Makes the calling thread's writes from now on carry p's unchecked key
** check (p->key_unchecked), kept in a new guard in arena (which outlives
** it): the first write refuses to run (PP_UNAUTHORIZED) when the key was
** revoked. End it with core_auth_key_guard_stop or _end. */
struct core_key_guard *core_auth_key_guard_begin(struct pp_arena *arena,
                                                 const struct core_principal *p);

/* Ends kg's key check without settling it: 1 when a write or a counters
** update found the key current, -1 when one refused it as revoked, 0 when
** none checked it. */
int core_auth_key_guard_stop(struct core_key_guard *kg);

/* Ends kg's key check: PP_OK when the key held (in a write, or else by a
** read of the settings now); PP_UNAUTHORIZED ("API key has been
** revoked"), or the read's failure, in err otherwise: the caller then
** answers that instead of the handler's answer, of which nothing was
** written. */
enum pp_status core_auth_key_guard_end(struct core_app *app, struct core_key_guard *kg,
                                       struct pp_err *err);

/* Settles p's API key check now, by a read, when it was left unchecked
** (else PP_OK): for a request answered before its handler runs. */
enum pp_status core_auth_key_confirm(struct core_app *app, const struct core_principal *p,
                                     struct pp_err *err);

/* Exchanges the authentication password for a 24-hour API key (new heap
** string in *token_out). PP_BAD_CREDENTIALS when the integration is off or
** the password is wrong (compared in constant time). */
enum pp_status core_auth_authenticate(struct core_app *app, const char *password, size_t len,
                                      char **token_out, struct pp_err *err);

/* Loads the token signing key from the settings, creating (and storing) a
** random one on first start. Called by core_app_open. */
enum pp_status core_auth_key_load(struct core_app *app, struct pp_err *err);

#endif /* PAYOUT_CORE_AUTH_H */
