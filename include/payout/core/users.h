/*
** This header declares the panel's users (spec §7) as core sees them:
** their settings in a serving app (the sealing key of two-factor secrets,
** the session clocks, security.requireTwoFactor), user management by an
** admin, the caller's own account (password, two-factor), signing in with
** a token or a browser session, and resolving a session cookie.
**
** Every change is one store operation (payout/store/users.h) with its
** audit entry; a request's Idempotency-Key is recorded with its first
** change. Passwords are hashed here (sec/passwords), two-factor secrets
** sealed (sec/seal) and codes checked (sec/totp); nothing secret is
** logged or returned but the generated password of an add or a reset and
** the secret of a setup, each shown once.
*/
#ifndef PAYOUT_CORE_USERS_H
#define PAYOUT_CORE_USERS_H

#include <stddef.h>
#include <stdint.h>

#include "payout/core/auth.h"
#include "payout/limits.h"
#include "payout/model.h"
#include "payout/model/user.h"
#include "payout/status.h"

struct core_app;

/* --- Settings of a serving app ----------------------------------------------- */

struct core_users_options {
    int64_t session_idle_s; /* 1..PP_SESSION_S_MAX */
    int64_t session_max_s;  /* 1..PP_SESSION_S_MAX */
    /* The master secret two-factor secrets are sealed with (borrowed for
    ** the call; PP_SEAL_MASTER_BYTES_MIN..MAX), or NULL: two-factor set-up
    ** and codes then answer PP_INTERNAL. */
    const uint8_t *master;
    size_t master_len;
};

/* Applies o to app (before serving) and loads security.requireTwoFactor.
** PP_INVALID_PARAMS for a master secret out of range. Without a call the
** defaults hold: spec §7's clocks and no master secret. */
enum pp_status core_users_configure(struct core_app *app, const struct core_users_options *o,
                                    struct pp_err *err);

/* The session clocks in force, in seconds. */
int64_t core_session_idle_s(struct core_app *app);
int64_t core_session_max_s(struct core_app *app);

/* 1 when security.requireTwoFactor is on (cached; no storage read). */
int core_security_require_two_factor(struct core_app *app);

/* Sets security.requireTwoFactor (audited "settings.security"). */
enum pp_status core_security_set(struct core_app *app, const struct pp_actor *actor,
                                 int require_two_factor, struct pp_err *err);

/* --- Management (admins) ------------------------------------------------------ */

/* Room for a generated password and its NUL. */
#define CORE_PASSWORD_TEXT_BYTES (PP_ADMIN_PASSWORD_GENERATED_CHARS + 1)

/* User id; PP_NOT_FOUND. */
enum pp_status core_user_get(struct core_app *app, int64_t id, struct pp_user *out,
                             struct pp_err *err);

/* Every user, by id, into out[0..cap); *count_out = how many. */
enum pp_status core_users_list(struct core_app *app, struct pp_user *out, size_t cap,
                               size_t *count_out, struct pp_err *err);

/* Adds a user with a generated password (written to password_out, shown
** once). PP_INVALID_PARAMS for an e-mail that is not an address;
** PP_CONFLICT when the e-mail is taken or the panel is full. */
enum pp_status core_user_add(struct core_app *app, const struct pp_actor *actor, const char *email,
                             enum pp_role role, struct pp_user *out,
                             char password_out[CORE_PASSWORD_TEXT_BYTES], struct pp_err *err);

/* Changes role (PP_ROLE_NONE: keep) and disabled (-1: keep) of user id;
** a real change ends all their tokens and sessions. PP_NOT_FOUND;
** PP_CONFLICT for the last enabled admin. */
enum pp_status core_user_change(struct core_app *app, const struct pp_actor *actor, int64_t id,
                                enum pp_role role, int disabled, struct pp_user *out,
                                struct pp_err *err);

/* Gives user id a generated password (password_out) and ends all their
** tokens and sessions. PP_NOT_FOUND. */
enum pp_status core_user_password_reset(struct core_app *app, const struct pp_actor *actor,
                                        int64_t id, struct pp_user *out,
                                        char password_out[CORE_PASSWORD_TEXT_BYTES],
                                        struct pp_err *err);

/* Turns user id's two-factor off and ends all their tokens and sessions.
** PP_NOT_FOUND. */
enum pp_status core_user_two_factor_reset(struct core_app *app, const struct pp_actor *actor,
                                          int64_t id, struct pp_user *out, struct pp_err *err);

/* The command line's `admin`: creates the user `email` with `role`
** (PP_ROLE_NONE: admin), or resets the password of the existing one (and
** enables it; its role becomes `role` when given), ending its tokens and
** sessions. password NULL: generated into generated_out (shown once).
** Weak passwords and e-mails without '@' are PP_INVALID_PARAMS; PP_CONFLICT
** for a change that would demote the last enabled admin. */
enum pp_status core_user_set(struct core_app *app, const struct pp_actor *actor, const char *email,
                             enum pp_role role, const char *password,
                             char generated_out[CORE_PASSWORD_TEXT_BYTES], int *created_out,
                             struct pp_err *err);

/* --- The caller's own account -------------------------------------------------- */

/* Changes the caller's password: current must match (PP_UNAUTHORIZED
** otherwise, "current password is wrong"); fresh must be
** PP_ADMIN_PASSWORD_BYTES_MIN..MAX bytes and differ from current
** (PP_INVALID_PARAMS). Every token of the user ends; so does every
** session but keep_session_hash's (NULL: none kept). */
enum pp_status core_account_password(struct core_app *app, const struct pp_actor *actor,
                                     int64_t user_id, const char *current, const char *fresh,
                                     const char *keep_session_hash, struct pp_user *out,
                                     struct pp_err *err);

/* Room for the setup answer: the base32 secret and the otpauth:// URI. */
#define CORE_TWO_FACTOR_SECRET_TEXT_BYTES 64

/* Starts a two-factor setup: a new secret, kept sealed as pending (not yet
** active), as base32 text and otpauth:// URI. PP_CONFLICT when it is on
** already. */
enum pp_status core_two_factor_setup(struct core_app *app, const struct pp_actor *actor,
                                     int64_t user_id,
                                     char secret_out[CORE_TWO_FACTOR_SECRET_TEXT_BYTES],
                                     char uri_out[PP_OTPAUTH_URI_BYTES], struct pp_err *err);

/* Turns on the pending setup when code is right for it. PP_CONFLICT when
** there is no setup (or it is on already); PP_UNAUTHORIZED for a wrong or
** used code. */
enum pp_status core_two_factor_enable(struct core_app *app, const struct pp_actor *actor,
                                      int64_t user_id, const char *code, struct pp_user *out,
                                      struct pp_err *err);

/* Turns two-factor off: password and a current code are both needed
** (PP_UNAUTHORIZED otherwise). PP_CONFLICT when it is off. */
enum pp_status core_two_factor_disable(struct core_app *app, const struct pp_actor *actor,
                                       int64_t user_id, const char *password, const char *code,
                                       struct pp_user *out, struct pp_err *err);

/* --- Signing in, sessions ------------------------------------------------------- */

/* What a sign-in gets. */
struct core_sign_in {
    const char *email;
    const char *password;
    const char *otp; /* NULL when the request had none */
    int session;     /* 1: begin a browser session; 0: issue a token */
};

/* What a successful sign-in gives. */
struct core_signed_in {
    struct pp_user user;
    char *token;                                /* new heap string (free()) for a token sign-in */
    char session_id[PP_COOKIE_VALUE_BYTES_MAX]; /* the cookie's value; wipe after use */
    char csrf_token[PP_CSRF_TEXT_BYTES];
};

/* Signs `in` in: the e-mail and password must match an enabled user
** (PP_UNAUTHORIZED, one message for all), then, when the user has
** two-factor on, a code: none is PP_OTP_REQUIRED, a wrong or used one
** PP_UNAUTHORIZED. Every refusal but bad input is audited
** ("user.sign_in_failed"), every success too ("user.sign_in"). */
enum pp_status core_sign_in(struct core_app *app, const struct pp_actor *actor,
                            const struct core_sign_in *in, struct core_signed_in *out,
                            struct pp_err *err);

/* 1 when session s has expired at now_ms under the clocks idle_s and
** max_s: last seen more than idle_s ago, or begun more than max_s ago.
** Pure: the tests drive it with their own clock. */
int core_session_expired(const struct pp_session *s, int64_t now_ms, int64_t idle_s, int64_t max_s);

/* Resolves the session cookie value id[0..len) at now_ms into *out (a user
** principal with via_session, the session's hash and CSRF token):
** PP_UNAUTHORIZED when it is malformed, unknown, expired, or its user is
** disabled or was changed since (generation). Moves the session's clock
** at most once per touch interval. */
enum pp_status core_session_resolve(struct core_app *app, const char *id, size_t len,
                                    int64_t now_ms, struct core_principal *out, struct pp_err *err);

/* Ends the session of hash (audited "session.sign_out"). */
enum pp_status core_session_end(struct core_app *app, const struct pp_actor *actor,
                                const char *session_hash, struct pp_err *err);

/* Creates the users state of app (app.c); destroy(NULL) is a no-op. */
struct core_users_state *core_users_state_create(void);
void core_users_state_destroy(struct core_users_state *s);
/* Loads security.requireTwoFactor into app's cache (core_app_open). */
enum pp_status core_users_load(struct core_app *app, struct pp_err *err);

#endif /* PAYOUT_CORE_USERS_H */
