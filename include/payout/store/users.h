/*
** This header is the storage contract of the panel's users and browser
** sessions (spec §7): reads, and whole write operations in the shape of
** payout/store/store.h (one transaction each, with its own audit entry and,
** when w->idem is set, its Idempotency-Key row). Dispatched by
** src/store/users.c to the backend; SQLite's are src/store/sqlite/users.c
** and sessions.c.
**
** Rules the operations decide inside their transaction, so that two
** requests at once cannot both pass them:
** - the last enabled admin is never demoted nor disabled (PP_CONFLICT);
** - a two-factor code's step is accepted only when later than the user's
**   last accepted step (a code works once);
** - a sign-in is refused when the user was disabled or their
**   token_generation moved since the caller read it;
** - every change that ends a user's access (disable, role change, password
**   reset, two-factor reset) bumps token_generation and deletes the user's
**   sessions in the same transaction.
** Audit subjects are "user:<id>"; details never hold a password, a code or
** a secret.
*/
#ifndef PAYOUT_STORE_USERS_H
#define PAYOUT_STORE_USERS_H

#include <stddef.h>
#include <stdint.h>

#include "payout/model.h"
#include "payout/model/user.h"
#include "payout/status.h"
#include "payout/store/store.h"

struct store;

/* --- Reads -------------------------------------------------------------- */

/* The user id; PP_NOT_FOUND if none. */
enum pp_status store_user_get(struct store *st, int64_t id, struct pp_user *out,
                              struct pp_err *err);

/* The user with this e-mail (ASCII case ignored); *found_out = 0 if none. */
enum pp_status store_user_find(struct store *st, const char *email, struct pp_user *out,
                               int *found_out, struct pp_err *err);

/* Every user by id into out[0..cap) (cap PP_USERS_MAX covers all);
** *count_out = users written. */
enum pp_status store_users_list(struct store *st, struct pp_user *out, size_t cap,
                                size_t *count_out, struct pp_err *err);

/* The session whose id hashes to id_hash, with its user; *found_out = 0
** when there is none. Expiry is the caller's to judge. */
enum pp_status store_session_find(struct store *st, const char *id_hash,
                                  struct pp_session *session_out, struct pp_user *user_out,
                                  int *found_out, struct pp_err *err);

/* --- Writes: users and sessions ------------------------------------------ */

/* A new user, or (upsert) the existing user of that e-mail. */
struct store_user_create {
    const char *email;
    const char *password_hash;
    enum pp_role role; /* PP_ROLE_NONE: admin when new, its own role when upserted */
    int upsert;        /* 0: an existing e-mail is PP_CONFLICT */
};

/* Creates the user (audited "user.create", detail "<email> <role>"). When
** in->upsert and the e-mail exists, sets its password hash instead,
** enables it, sets the role when given, and bumps its token_generation
** (audited "user.password_reset"); *created_out says which. PP_CONFLICT
** when the e-mail exists (no upsert), when PP_USERS_MAX users exist, or
** when the upsert would demote the last enabled admin. *out is the user
** after the change. */
enum pp_status store_user_create(struct store *st, const struct store_write_ctx *w,
                                 const struct store_user_create *in, struct pp_user *out,
                                 int *created_out, struct pp_err *err);

/* A change of role and/or disabled flag. */
struct store_user_update {
    int64_t id;
    enum pp_role role; /* PP_ROLE_NONE: keep */
    int disabled;      /* -1: keep, else 0 or 1 */
};

/* Applies in to user in->id. When the role or the flag changes, bumps the
** user's token_generation, deletes their sessions and appends "user.update"
** (detail "role <old>-><new>" and/or "disabled"/"enabled"); a change to
** what already is writes nothing. PP_NOT_FOUND; PP_CONFLICT when it would
** demote or disable the last enabled admin. *out is the user after. */
enum pp_status store_user_update(struct store *st, const struct store_write_ctx *w,
                                 const struct store_user_update *in, struct pp_user *out,
                                 struct pp_err *err);

/* A new password hash for user id. */
struct store_user_password {
    int64_t id;
    const char *password_hash;
    /* NULL, or the hash of the session that stays signed in (the caller's
    ** own change from the browser): it follows the new generation. */
    const char *keep_session_hash;
    const char *audit_action; /* "user.password_reset" or "user.password_change" */
};

/* Sets the hash, bumps token_generation (every token ends) and deletes the
** user's sessions but keep_session_hash's. PP_NOT_FOUND. *out as after. */
enum pp_status store_user_password_set(struct store *st, const struct store_write_ctx *w,
                                       const struct store_user_password *in, struct pp_user *out,
                                       struct pp_err *err);

enum store_two_factor_change {
    /* Keeps sealed as the secret of a setup in progress; PP_CONFLICT when
    ** two-factor is already on. "user.two_factor_setup". */
    STORE_TWO_FACTOR_SETUP,
    /* Turns on the pending secret, which must still be `sealed` (the one
    ** the code was checked against), with the code's step; PP_CONFLICT when
    ** the setup changed, is gone, or the step is not later than the last.
    ** "user.two_factor_enable". */
    STORE_TWO_FACTOR_ENABLE,
    /* Turns two-factor off after a code of step `step` was checked;
    ** PP_CONFLICT when off or the step was used. "user.two_factor_disable". */
    STORE_TWO_FACTOR_DISABLE,
    /* An admin turns it off for the user: also bumps token_generation and
    ** deletes the user's sessions. "user.two_factor_reset". */
    STORE_TWO_FACTOR_RESET,
};

struct store_user_two_factor {
    int64_t id;
    enum store_two_factor_change change;
    const char *sealed; /* SETUP and ENABLE; NULL otherwise */
    int64_t step;       /* ENABLE and DISABLE */
};

/* Applies in->change to user in->id as its comment says. PP_NOT_FOUND.
** *out is the user after. */
enum pp_status store_user_two_factor(struct store *st, const struct store_write_ctx *w,
                                     const struct store_user_two_factor *in, struct pp_user *out,
                                     struct pp_err *err);

/* A successful sign-in. */
struct store_user_sign_in {
    int64_t id;
    int64_t generation; /* the generation the token or session is issued for */
    int64_t step;       /* the accepted code's step; -1 when none was asked */
    /* A browser session to begin (NULL for a token): its id's hash and CSRF
    ** token. */
    const char *session_hash;
    const char *csrf_token;
    /* Sessions last seen before idle_before_ms or begun before
    ** max_before_ms have expired: up to PP_SESSION_PURGE_BATCH of them are
    ** deleted on the way. */
    int64_t idle_before_ms;
    int64_t max_before_ms;
};

/* Records the sign-in: last_sign_in_ms = now, the code's step, the session
** (the user's oldest is ended past PP_SESSIONS_PER_USER_MAX), and
** "user.sign_in" (detail "token" or "session"). PP_UNAUTHORIZED when the
** user is gone, disabled, or its generation moved, or when step is not
** later than the last accepted one (the code was used meanwhile). */
enum pp_status store_user_sign_in(struct store *st, const struct store_write_ctx *w,
                                  const struct store_user_sign_in *in, struct pp_err *err);

/* A refused sign-in, for the audit log only ("user.sign_in_failed"):
** subject "user:<id>" when the e-mail names a user, else "email:<email>"
** (cut to fit); detail the reason ("wrong password", "wrong code", ...). */
struct store_sign_in_failure {
    int64_t user_id; /* 0 when no user has the e-mail */
    const char *email;
    const char *reason;
};

enum pp_status store_user_sign_in_failed(struct store *st, const struct store_write_ctx *w,
                                         const struct store_sign_in_failure *in,
                                         struct pp_err *err);

/* Moves the session's last_seen_ms forward to w->now_ms (never back). No
** audit entry: it is the session's clock, not an action. A session gone
** meanwhile is not an error. */
enum pp_status store_session_touch(struct store *st, const struct store_write_ctx *w,
                                   const char *id_hash, struct pp_err *err);

/* Ends the session (deletes it) and appends "session.sign_out" for its
** user. A session already gone is not an error (nothing is audited). */
enum pp_status store_session_end(struct store *st, const struct store_write_ctx *w,
                                 const char *id_hash, struct pp_err *err);

#endif /* PAYOUT_STORE_USERS_H */
