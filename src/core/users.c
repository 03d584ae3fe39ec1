/*
** This module implements the panel's users (payout/core/users.h) but for
** two-factor (two_factor.c) and signing in and sessions (sign_in.c): the
** users state of an app, security.requireTwoFactor, user management by an
** admin, the command line's `admin`, and the caller's password change.
** Each change is one store operation; the rules that need the database
** (the last enabled admin) are the store's, the rules on input (e-mail,
** password length, not the old password) are here.
*/
#include "payout/core/users.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payout/base/assert.h"
#include "payout/base/log.h"
#include "payout/core/dates.h"
#include "payout/sec/passwords.h"
#include "payout/sec/secrets.h"
#include "users_internal.h"
#include "write.h"

/* The settings key of security.requireTwoFactor: "1" or "0". */
#define SETTING_REQUIRE_TWO_FACTOR "security.require_two_factor"

/* --- State ------------------------------------------------------------------------ */

struct core_users_state *core_users_state_create(void)
{
    struct core_users_state *s = pp_check_alloc(calloc(1, sizeof *s));
    s->idle_s = PP_SESSION_IDLE_S_DEFAULT;
    s->max_s = PP_SESSION_MAX_S_DEFAULT;
    atomic_init(&s->require_two_factor, 0);
    return s;
}

void core_users_state_destroy(struct core_users_state *s)
{
    if (s == NULL) {
        return;
    }
    sec_seal_key_wipe(&s->key);
    free(s);
}

enum pp_status core_users_load(struct core_app *app, struct pp_err *err)
{
    char value[8];
    int found = 0;
    enum pp_status st =
        store_setting_get(app->store, SETTING_REQUIRE_TWO_FACTOR, value, sizeof value, &found, err);
    if (st == PP_OK) {
        atomic_store(&app->users->require_two_factor, found && strcmp(value, "1") == 0);
    }
    return st;
}

enum pp_status core_users_configure(struct core_app *app, const struct core_users_options *o,
                                    struct pp_err *err)
{
    struct core_users_state *s = app->users;
    PP_ASSERT(o->session_idle_s >= 1 && o->session_idle_s <= PP_SESSION_S_MAX);
    PP_ASSERT(o->session_max_s >= 1 && o->session_max_s <= PP_SESSION_S_MAX);
    s->idle_s = o->session_idle_s;
    s->max_s = o->session_max_s;
    if (o->master == NULL) {
        return PP_OK;
    }
    enum pp_status st =
        sec_seal_key_derive(o->master, o->master_len, SEC_SEAL_LABEL_TWO_FACTOR, &s->key, err);
    s->has_key = st == PP_OK;
    return st;
}

int64_t core_session_idle_s(struct core_app *app)
{
    return app->users->idle_s;
}

int64_t core_session_max_s(struct core_app *app)
{
    return app->users->max_s;
}

int core_security_require_two_factor(struct core_app *app)
{
    return atomic_load(&app->users->require_two_factor);
}

enum pp_status core_security_set(struct core_app *app, const struct pp_actor *actor,
                                 int require_two_factor, struct pp_err *err)
{
    struct core_write uw;
    struct store_setting kv = {SETTING_REQUIRE_TWO_FACTOR, require_two_factor ? "1" : "0"};
    core_write_begin(&uw, actor, core_now_ms());
    enum pp_status st = store_settings_put(
        app->store, &uw.ctx, &kv, 1, "settings.security",
        require_two_factor ? "requireTwoFactor=true" : "requireTwoFactor=false", err);
    core_write_end(&uw, st);
    if (st == PP_OK) {
        atomic_store(&app->users->require_two_factor, require_two_factor != 0);
    }
    return st;
}

/* --- Shared helpers (users_internal.h) ---------------------------------------------- */

int users_email_valid(const char *email)
{
    size_t len = strlen(email);
    const char *at = strchr(email, '@');
    return len >= 3 && len <= PP_EMAIL_BYTES_MAX && at != NULL && at != email && at[1] != '\0' &&
           strchr(at + 1, '@') == NULL && strchr(email, ':') == NULL;
}

/* A generated password in password_out and its hash in hash_out. */
static enum pp_status password_generate(char password_out[CORE_PASSWORD_TEXT_BYTES],
                                        char hash_out[PP_PASSWORD_HASH_TEXT_BYTES],
                                        struct pp_err *err)
{
    enum pp_status st = sec_random_text(password_out, PP_ADMIN_PASSWORD_GENERATED_CHARS, err);
    if (st == PP_OK) {
        st = sec_password_hash(password_out, strlen(password_out), 0, hash_out,
                               PP_PASSWORD_HASH_TEXT_BYTES, err);
    }
    return st;
}

/* --- Management --------------------------------------------------------------------- */

enum pp_status core_user_get(struct core_app *app, int64_t id, struct pp_user *out,
                             struct pp_err *err)
{
    return store_user_get(app->store, id, out, err);
}

enum pp_status core_users_list(struct core_app *app, struct pp_user *out, size_t cap,
                               size_t *count_out, struct pp_err *err)
{
    return store_users_list(app->store, out, cap, count_out, err);
}

enum pp_status core_user_add(struct core_app *app, const struct pp_actor *actor, const char *email,
                             enum pp_role role, struct pp_user *out,
                             char password_out[CORE_PASSWORD_TEXT_BYTES], struct pp_err *err)
{
    char hash[PP_PASSWORD_HASH_TEXT_BYTES];
    struct core_write uw;
    int created = 0;
    PP_ASSERT(role > PP_ROLE_NONE && role < PP_ROLE_COUNT);
    if (!users_email_valid(email)) {
        return pp_err_set(err, PP_INVALID_PARAMS, "email is not a valid address");
    }
    enum pp_status st = password_generate(password_out, hash, err);
    if (st == PP_OK) {
        struct store_user_create in = {.email = email, .password_hash = hash, .role = role};
        core_write_begin(&uw, actor, core_now_ms());
        st = store_user_create(app->store, &uw.ctx, &in, out, &created, err);
        core_write_end(&uw, st);
    }
    if (st != PP_OK) {
        sec_wipe(password_out, CORE_PASSWORD_TEXT_BYTES);
    }
    sec_wipe(hash, sizeof hash);
    return st;
}

enum pp_status core_user_change(struct core_app *app, const struct pp_actor *actor, int64_t id,
                                enum pp_role role, int disabled, struct pp_user *out,
                                struct pp_err *err)
{
    struct core_write uw;
    struct store_user_update in = {.id = id, .role = role, .disabled = disabled};
    core_write_begin(&uw, actor, core_now_ms());
    enum pp_status st = store_user_update(app->store, &uw.ctx, &in, out, err);
    core_write_end(&uw, st);
    return st;
}

enum pp_status core_user_password_reset(struct core_app *app, const struct pp_actor *actor,
                                        int64_t id, struct pp_user *out,
                                        char password_out[CORE_PASSWORD_TEXT_BYTES],
                                        struct pp_err *err)
{
    char hash[PP_PASSWORD_HASH_TEXT_BYTES];
    struct core_write uw;
    enum pp_status st = password_generate(password_out, hash, err);
    if (st == PP_OK) {
        struct store_user_password in = {
            .id = id, .password_hash = hash, .audit_action = "user.password_reset"};
        core_write_begin(&uw, actor, core_now_ms());
        st = store_user_password_set(app->store, &uw.ctx, &in, out, err);
        core_write_end(&uw, st);
    }
    if (st != PP_OK) {
        sec_wipe(password_out, CORE_PASSWORD_TEXT_BYTES);
    }
    sec_wipe(hash, sizeof hash);
    return st;
}

enum pp_status core_user_two_factor_reset(struct core_app *app, const struct pp_actor *actor,
                                          int64_t id, struct pp_user *out, struct pp_err *err)
{
    struct core_write uw;
    struct store_user_two_factor in = {.id = id, .change = STORE_TWO_FACTOR_RESET};
    core_write_begin(&uw, actor, core_now_ms());
    enum pp_status st = store_user_two_factor(app->store, &uw.ctx, &in, out, err);
    core_write_end(&uw, st);
    return st;
}

enum pp_status core_user_set(struct core_app *app, const struct pp_actor *actor, const char *email,
                             enum pp_role role, const char *password,
                             char generated_out[CORE_PASSWORD_TEXT_BYTES], int *created_out,
                             struct pp_err *err)
{
    char hash[PP_PASSWORD_HASH_TEXT_BYTES];
    struct core_write uw;
    struct pp_user user;
    enum pp_status st = PP_OK;
    *created_out = 0;
    if (email == NULL || !users_email_valid(email)) {
        return pp_err_set(err, PP_INVALID_PARAMS, "user e-mail is not a valid address");
    }
    if (password == NULL) {
        st = sec_random_text(generated_out, PP_ADMIN_PASSWORD_GENERATED_CHARS, err);
        password = generated_out;
    }
    if (st == PP_OK) {
        st = sec_password_hash(password, strlen(password), 0, hash, sizeof hash, err);
    }
    if (st == PP_OK) {
        struct store_user_create in = {
            .email = email, .password_hash = hash, .role = role, .upsert = 1};
        if (role == PP_ROLE_NONE) {
            /* A new user is an admin; an existing one keeps its role. */
            in.role = PP_ROLE_NONE;
        }
        core_write_begin(&uw, actor, core_now_ms());
        st = store_user_create(app->store, &uw.ctx, &in, &user, created_out, err);
        core_write_end(&uw, st);
    }
    sec_wipe(hash, sizeof hash);
    sec_wipe(&user, sizeof user);
    return st;
}

/* --- Own account ---------------------------------------------------------------------- */

enum pp_status core_account_password(struct core_app *app, const struct pp_actor *actor,
                                     int64_t user_id, const char *current, const char *fresh,
                                     const char *keep_session_hash, struct pp_user *out,
                                     struct pp_err *err)
{
    char hash[PP_PASSWORD_HASH_TEXT_BYTES] = "";
    struct pp_user user;
    struct core_write uw;
    int match = 0;
    size_t fresh_len = strlen(fresh);
    enum pp_status st = PP_OK;
    if (fresh_len < PP_ADMIN_PASSWORD_BYTES_MIN || fresh_len > PP_ADMIN_PASSWORD_BYTES_MAX) {
        st = pp_err_set(err, PP_INVALID_PARAMS, "newPassword must be %d to %d bytes",
                        PP_ADMIN_PASSWORD_BYTES_MIN, PP_ADMIN_PASSWORD_BYTES_MAX);
    } else if (strcmp(fresh, current) == 0) {
        st = pp_err_set(err, PP_INVALID_PARAMS, "newPassword must differ from the current one");
    }
    if (st == PP_OK) {
        st = store_user_get(app->store, user_id, &user, err);
    }
    if (st == PP_OK) {
        st = sec_password_verify(current, strlen(current), user.password_hash, &match, err);
    }
    if (st == PP_OK && !match) {
        st = pp_err_set(err, PP_UNAUTHORIZED, "currentPassword is wrong");
    }
    if (st == PP_OK) {
        st = sec_password_hash(fresh, fresh_len, 0, hash, sizeof hash, err);
    }
    if (st == PP_OK) {
        struct store_user_password in = {.id = user_id,
                                         .password_hash = hash,
                                         .keep_session_hash = keep_session_hash,
                                         .audit_action = "user.password_change"};
        core_write_begin(&uw, actor, core_now_ms());
        st = store_user_password_set(app->store, &uw.ctx, &in, out, err);
        core_write_end(&uw, st);
    }
    sec_wipe(hash, sizeof hash);
    sec_wipe(&user, sizeof user);
    return st;
}
