/*
** This module implements admin accounts: creating one or resetting its
** password (both store only a PBKDF2 hash) and counting them.
*/
#include "payout/core/admins.h"

#include <string.h>

#include "internal.h"
#include "payout/core/dates.h"
#include "payout/sec/passwords.h"
#include "payout/sec/secrets.h"
#include "write.h"

static int email_valid(const char *email)
{
    size_t len = strlen(email);
    const char *at = strchr(email, '@');
    return len >= 3 && len <= PP_EMAIL_BYTES_MAX && at != NULL && at != email && at[1] != '\0' &&
           strchr(at + 1, '@') == NULL;
}

enum pp_status core_admin_set(struct core_app *app, const struct pp_actor *actor, const char *email,
                              const char *password, char *generated_out, int *created_out,
                              struct pp_err *err)
{
    char hash[PP_PASSWORD_HASH_TEXT_BYTES];
    enum pp_status st = PP_OK;
    *created_out = 0;
    if (email == NULL || !email_valid(email)) {
        return pp_err_set(err, PP_INVALID_PARAMS, "admin e-mail is not a valid address");
    }
    if (password == NULL) {
        st = sec_random_text(generated_out, PP_ADMIN_PASSWORD_GENERATED_CHARS, err);
        password = generated_out;
    }
    if (st == PP_OK) {
        st = sec_password_hash(password, strlen(password), 0, hash, sizeof hash, err);
    }
    if (st == PP_OK) {
        struct core_write cw;
        int64_t id = 0;
        core_write_begin(&cw, actor, core_now_ms());
        st = store_admin_upsert(app->store, &cw.ctx, email, hash, created_out, &id, err);
        core_write_end(&cw, st);
    }
    sec_wipe(hash, sizeof hash);
    return st;
}

enum pp_status core_admin_count(struct core_app *app, int64_t *count_out, struct pp_err *err)
{
    return store_admin_count(app->store, count_out, err);
}
