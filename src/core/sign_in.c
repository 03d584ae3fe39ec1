/*
** This module implements signing a user in (a token, or a browser
** session: spec §7) and the sessions themselves: resolving a cookie into
** a principal on every request, their two clocks, and signing out.
**
** A sign-in checks, in order and with one answer for the first three: the
** e-mail names a user (else the same time is spent on a dummy hash), the
** password matches, the user is enabled; then, when the user has
** two-factor on, the code (missing: OTP_REQUIRED; wrong or used:
** UNAUTHORIZED). The store operation that records the sign-in accepts the
** code's step only if it is still new and the user unchanged, so two
** sign-ins with one code cannot both pass. Every outcome but bad input is
** in the audit log; passwords and codes never are.
**
** It does not count failures per address: the request pipeline's lockout
** does (api/pipeline.c).
*/
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "payout/base/assert.h"
#include "payout/base/log.h"
#include "payout/core/dates.h"
#include "payout/core/users.h"
#include "payout/sec/jwt.h"
#include "payout/sec/passwords.h"
#include "payout/sec/secrets.h"
#include "payout/sec/session.h"
#include "payout/sec/totp.h"
#include "users_internal.h"
#include "write.h"

_Static_assert(SEC_SESSION_HASH_TEXT_BYTES == PP_SESSION_HASH_TEXT_BYTES, "one hash size");
_Static_assert(SEC_CSRF_TOKEN_TEXT_BYTES == PP_CSRF_TEXT_BYTES, "one CSRF token size");
_Static_assert(SEC_SESSION_ID_TEXT_BYTES <= PP_COOKIE_VALUE_BYTES_MAX, "the id fits a cookie");

#define SIGN_IN_REFUSED "invalid e-mail or password"

/* Audits a refused sign-in; a failure to write it is logged, never answered
** (the caller's answer stands). */
static void sign_in_failed(struct core_app *app, const struct pp_actor *actor, int64_t user_id,
                           const char *email, const char *reason)
{
    struct core_write uw;
    struct pp_err err = {0};
    struct store_sign_in_failure in = {.user_id = user_id, .email = email, .reason = reason};
    core_write_begin(&uw, actor, core_now_ms());
    uw.ctx.idem = NULL;
    uw.r = NULL;
    if (store_user_sign_in_failed(app->store, &uw.ctx, &in, &err) != PP_OK) {
        pp_log(PP_LOG_WARN, "could not audit a refused sign-in: %s", err.message);
    }
}

/* Checks the e-mail, password, flag and code of in: PP_OK with *user and
** *step_out (SEC_TOTP_STEP_NONE without two-factor), else the refusal
** (audited). */
static enum pp_status sign_in_check(struct core_app *app, const struct pp_actor *actor,
                                    const struct core_sign_in *in, struct pp_user *user,
                                    int64_t *step_out, struct pp_err *err)
{
    int found = 0;
    int match = 0;
    size_t password_len = strlen(in->password);
    *step_out = SEC_TOTP_STEP_NONE;
    enum pp_status st = store_user_find(app->store, in->email, user, &found, err);
    if (st != PP_OK) {
        return st;
    }
    if (!found) {
        sec_password_burn(in->password, password_len);
        sign_in_failed(app, actor, 0, in->email, "unknown e-mail");
        return pp_err_set(err, PP_UNAUTHORIZED, SIGN_IN_REFUSED);
    }
    st = sec_password_verify(in->password, password_len, user->password_hash, &match, err);
    if (st == PP_OK && !match) {
        sign_in_failed(app, actor, user->id, in->email, "wrong password");
        st = pp_err_set(err, PP_UNAUTHORIZED, SIGN_IN_REFUSED);
    } else if (st == PP_OK && user->disabled) {
        sign_in_failed(app, actor, user->id, in->email, "user is disabled");
        st = pp_err_set(err, PP_UNAUTHORIZED, SIGN_IN_REFUSED);
    } else if (st == PP_OK && user->totp_sealed[0] != '\0') {
        if (in->otp == NULL || in->otp[0] == '\0') {
            sign_in_failed(app, actor, user->id, in->email, "two-factor code missing");
            st = pp_err_set(err, PP_OTP_REQUIRED,
                            "this user signs in with a two-factor code: send it as otp");
        } else if ((st = users_code_check(app, user, user->totp_sealed, in->otp, step_out, err)) ==
                   PP_UNAUTHORIZED) {
            sign_in_failed(app, actor, user->id, in->email, "wrong two-factor code");
        }
    }
    return st;
}

/* Issues the token of a token sign-in into out->token. */
static enum pp_status token_issue(struct core_app *app, const struct pp_user *user,
                                  struct core_signed_in *out, struct pp_err *err)
{
    int64_t now = core_now_ms() / 1000;
    struct sec_claims claims = {
        .role = SEC_ROLE_ADMIN,
        .subject = user->id,
        .generation = user->token_generation,
        .iat_s = now,
        .exp_s = now + PP_ADMIN_TOKEN_TTL_S,
    };
    return sec_jwt_issue(app->jwt_key, &claims, &out->token, err);
}

enum pp_status core_sign_in(struct core_app *app, const struct pp_actor *actor,
                            const struct core_sign_in *in, struct core_signed_in *out,
                            struct pp_err *err)
{
    char hash[SEC_SESSION_HASH_TEXT_BYTES] = "";
    struct core_write uw;
    int64_t step = SEC_TOTP_STEP_NONE;
    memset(out, 0, sizeof *out);
    enum pp_status st = sign_in_check(app, actor, in, &out->user, &step, err);
    if (st == PP_OK && in->session) {
        st = sec_session_id_create(out->session_id, hash, err);
        if (st == PP_OK) {
            st = sec_csrf_token_create(out->csrf_token, err);
        }
    }
    /* The user signs in: the audit entry names them as its actor. */
    struct pp_actor self = *actor;
    self.kind = PP_ACTOR_ADMIN;
    self.admin_id = out->user.id;
    if (st == PP_OK) {
        core_write_begin(&uw, &self, core_now_ms());
        uw.ctx.idem = NULL;
        uw.r = NULL;
        struct store_user_sign_in rec = {
            .id = out->user.id,
            .generation = out->user.token_generation,
            .step = step,
            .session_hash = in->session ? hash : NULL,
            .csrf_token = in->session ? out->csrf_token : NULL,
            .idle_before_ms = uw.ctx.now_ms - app->users->idle_s * 1000,
            .max_before_ms = uw.ctx.now_ms - app->users->max_s * 1000,
        };
        st = store_user_sign_in(app->store, &uw.ctx, &rec, err);
        out->user.last_sign_in_ms = uw.ctx.now_ms;
    }
    if (st == PP_OK && !in->session) {
        st = token_issue(app, &out->user, out, err);
    }
    if (st == PP_OK) {
        pp_log(PP_LOG_INFO, "user %" PRId64 " signed in (%s)", out->user.id,
               in->session ? "session" : "token");
    } else {
        free(out->token);
        sec_wipe(out, sizeof *out);
    }
    return st;
}

/* --- Sessions ------------------------------------------------------------------------ */

int core_session_expired(const struct pp_session *s, int64_t now_ms, int64_t idle_s, int64_t max_s)
{
    return now_ms - s->last_seen_ms > idle_s * 1000 || now_ms - s->created_ms > max_s * 1000;
}

/* How stale a session's last-seen time may get before a request moves it. */
static int64_t touch_interval_ms(int64_t idle_s)
{
    int64_t s = idle_s / 10;
    return (s < PP_SESSION_TOUCH_S_MAX ? s : PP_SESSION_TOUCH_S_MAX) * 1000;
}

/* Moves the session's clock; a failure is logged, the request goes on. */
static void session_touch(struct core_app *app, const char *hash, int64_t now_ms)
{
    struct pp_actor system = {.kind = PP_ACTOR_SYSTEM};
    struct store_write_ctx w = {.actor = &system, .now_ms = now_ms};
    struct pp_err err = {0};
    if (store_session_touch(app->store, &w, hash, &err) != PP_OK) {
        pp_log(PP_LOG_WARN, "could not move a session's clock: %s", err.message);
    }
}

enum pp_status core_session_resolve(struct core_app *app, const char *id, size_t len,
                                    int64_t now_ms, struct core_principal *out, struct pp_err *err)
{
    char hash[SEC_SESSION_HASH_TEXT_BYTES];
    struct pp_session s;
    struct pp_user user;
    int found = 0;
    memset(out, 0, sizeof *out);
    if (!sec_session_id_hash(id, len, hash)) {
        return pp_err_set(err, PP_UNAUTHORIZED, "the session cookie is malformed");
    }
    enum pp_status st = store_session_find(app->store, hash, &s, &user, &found, err);
    if (st == PP_OK && !found) {
        st = pp_err_set(err, PP_UNAUTHORIZED, "no such session: signed out or expired");
    } else if (st == PP_OK &&
               (user.disabled || s.generation != user.token_generation ||
                core_session_expired(&s, now_ms, app->users->idle_s, app->users->max_s))) {
        st = pp_err_set(err, PP_UNAUTHORIZED, "the session has ended; sign in again");
    }
    if (st == PP_OK) {
        out->role = SEC_ROLE_ADMIN;
        out->admin_id = user.id;
        out->user_role = user.role;
        out->two_factor = user.totp_sealed[0] != '\0';
        out->via_session = 1;
        memcpy(out->session_hash, hash, sizeof out->session_hash);
        memcpy(out->csrf_token, s.csrf_token, sizeof out->csrf_token);
        if (now_ms - s.last_seen_ms >= touch_interval_ms(app->users->idle_s)) {
            session_touch(app, hash, now_ms);
        }
    }
    sec_wipe(&user, sizeof user);
    return st;
}

enum pp_status core_session_end(struct core_app *app, const struct pp_actor *actor,
                                const char *session_hash, struct pp_err *err)
{
    struct core_write uw;
    core_write_begin(&uw, actor, core_now_ms());
    uw.ctx.idem = NULL;
    uw.r = NULL;
    return store_session_end(app->store, &uw.ctx, session_hash, err);
}
