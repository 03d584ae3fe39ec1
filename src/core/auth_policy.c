/*
** This module implements the authorization policy: its pure rules (which
** new payout needs authorization), its settings text, and the policy in
** force with its in-memory cache, read by every create without waiting for
** a settings commit. It does not authorize payouts (bulk.c) nor decide
** anything else about a new payout (payouts.c).
*/
#include "payout/core/auth_policy.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "payout/base/assert.h"
#include "payout/base/log.h"
#include "payout/core/dates.h"
#include "write.h"

/* The settings key of the policy; its value is core_auth_policy_encode text. */
#define SETTING_AUTH_POLICY "authorization_policy"

/* --- Policy: pure rules --------------------------------------------------- */

static const char *const mode_names[] = {"off", "always", "above"};

const char *core_auth_mode_name(enum core_auth_mode mode)
{
    if ((int)mode < 0 || (size_t)mode >= sizeof mode_names / sizeof mode_names[0]) {
        return "unknown";
    }
    return mode_names[mode];
}

int core_auth_mode_parse(const char *name, size_t len, enum core_auth_mode *out)
{
    for (size_t i = 0; i < sizeof mode_names / sizeof mode_names[0]; i++) {
        if (strlen(mode_names[i]) == len && memcmp(mode_names[i], name, len) == 0) {
            *out = (enum core_auth_mode)i;
            return 1;
        }
    }
    return 0;
}

void core_auth_policy_init(struct core_auth_policy *p)
{
    memset(p, 0, sizeof *p);
    p->mode = CORE_AUTH_OFF;
}

enum pp_status core_auth_policy_add(struct core_auth_policy *p, const struct core_currency *cur,
                                    int64_t minor, struct pp_err *err)
{
    PP_ASSERT(p != NULL && cur != NULL && p->count <= PP_AUTH_THRESHOLDS_MAX);
    if (minor < 0) {
        return pp_err_set(err, PP_INVALID_PARAMS, "the threshold of %s must not be negative",
                          cur->code);
    }
    if (minor > PP_AMOUNT_MINOR_MAX) {
        return pp_err_set(err, PP_INVALID_PARAMS, "the threshold of %s is too large", cur->code);
    }
    size_t at = 0;
    while (at < p->count && strcmp(p->thresholds[at].currency, cur->code) < 0) {
        at++;
    }
    if (at < p->count && strcmp(p->thresholds[at].currency, cur->code) == 0) {
        return pp_err_set(err, PP_INVALID_PARAMS, "%s has more than one threshold", cur->code);
    }
    if (p->count == PP_AUTH_THRESHOLDS_MAX) {
        return pp_err_set(err, PP_INVALID_PARAMS, "at most %d thresholds", PP_AUTH_THRESHOLDS_MAX);
    }
    memmove(&p->thresholds[at + 1], &p->thresholds[at], (p->count - at) * sizeof p->thresholds[0]);
    memcpy(p->thresholds[at].currency, cur->code, sizeof p->thresholds[at].currency);
    p->thresholds[at].minor = minor;
    p->count++;
    return PP_OK;
}

const struct core_auth_threshold *core_auth_policy_find(const struct core_auth_policy *p,
                                                        const char *currency)
{
    size_t lo = 0;
    size_t hi = p->count;
    /* Binary search: thresholds are sorted by currency. */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(p->thresholds[mid].currency, currency);
        if (c == 0) {
            return &p->thresholds[mid];
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return NULL;
}

int core_auth_policy_needs(const struct core_auth_policy *p, const char *currency,
                           int64_t amount_minor)
{
    if (p->mode == CORE_AUTH_ALWAYS) {
        return 1;
    }
    if (p->mode == CORE_AUTH_ABOVE) {
        const struct core_auth_threshold *t = core_auth_policy_find(p, currency);
        return t != NULL && amount_minor > t->minor;
    }
    return 0;
}

size_t core_auth_policy_encode(const struct core_auth_policy *p, char *out, size_t out_size)
{
    PP_ASSERT(out_size >= PP_AUTH_POLICY_TEXT_BYTES);
    size_t len = (size_t)snprintf(out, out_size, "%s", core_auth_mode_name(p->mode));
    for (size_t i = 0; i < p->count; i++) {
        len += (size_t)snprintf(out + len, out_size - len, "%s%s=%" PRId64, i == 0 ? " " : ",",
                                p->thresholds[i].currency, p->thresholds[i].minor);
    }
    PP_ASSERT(len < out_size);
    return len;
}

/* Reads "XXX=digits" at *pos into p; moves *pos past it and its ',' (NULL
** at the end of the text). 0 when the text is not that. */
static int decode_threshold(const char **pos, struct core_auth_policy *p)
{
    const char *s = *pos;
    const struct core_currency *cur = core_currency_find(s, strnlen(s, 3) == 3 ? 3 : 0);
    struct pp_err ignored = {0};
    int64_t minor = 0;
    size_t digits = 0;
    if (cur == NULL || s[3] != '=') {
        return 0;
    }
    s += 4;
    while (s[digits] >= '0' && s[digits] <= '9' && digits <= 15) {
        minor = minor * 10 + (s[digits] - '0');
        digits++;
    }
    if (digits == 0 || digits > 15 || (s[digits] != ',' && s[digits] != '\0') ||
        core_auth_policy_add(p, cur, minor, &ignored) != PP_OK) {
        return 0;
    }
    *pos = s[digits] == ',' ? s + digits + 1 : NULL;
    return 1;
}

enum pp_status core_auth_policy_decode(const char *text, struct core_auth_policy *out,
                                       struct pp_err *err)
{
    core_auth_policy_init(out);
    const char *space = strchr(text, ' ');
    size_t mode_len = space != NULL ? (size_t)(space - text) : strlen(text);
    int ok = core_auth_mode_parse(text, mode_len, &out->mode);
    const char *pos = space != NULL ? space + 1 : NULL;
    for (size_t i = 0; ok && pos != NULL && i <= PP_AUTH_THRESHOLDS_MAX; i++) {
        ok = decode_threshold(&pos, out);
    }
    if (!ok || pos != NULL) {
        core_auth_policy_init(out);
        return pp_err_set(err, PP_INTERNAL, "the stored authorization policy is damaged");
    }
    return PP_OK;
}

/* --- Policy: settings and cache --------------------------------------------- */

struct core_policy_state {
    /* Guards `policy` alone (held only to copy or swap it), so a create
    ** never waits for a settings commit. */
    pthread_mutex_t lock;
    /* Orders policy changes, held across their write, so the cache
    ** follows commit order. */
    pthread_mutex_t set_lock;
    struct core_auth_policy policy;
};

struct core_policy_state *core_auth_policy_state_create(void)
{
    struct core_policy_state *state = pp_check_alloc(calloc(1, sizeof *state));
    pthread_mutex_init(&state->lock, NULL);
    pthread_mutex_init(&state->set_lock, NULL);
    core_auth_policy_init(&state->policy);
    return state;
}

void core_auth_policy_state_destroy(struct core_policy_state *state)
{
    if (state == NULL) {
        return;
    }
    pthread_mutex_destroy(&state->set_lock);
    pthread_mutex_destroy(&state->lock);
    free(state);
}

enum pp_status core_auth_policy_load(struct core_app *app, struct pp_err *err)
{
    char text[PP_AUTH_POLICY_TEXT_BYTES];
    struct core_auth_policy policy;
    int found = 0;
    core_auth_policy_init(&policy);
    enum pp_status st =
        store_setting_get(app->store, SETTING_AUTH_POLICY, text, sizeof text, &found, err);
    if (st == PP_OK && found) {
        st = core_auth_policy_decode(text, &policy, err);
        if (st != PP_OK) {
            pp_log(PP_LOG_ERROR, "settings: %s", err->message);
        }
    }
    if (st == PP_OK) {
        pthread_mutex_lock(&app->policy->lock);
        app->policy->policy = policy;
        pthread_mutex_unlock(&app->policy->lock);
    }
    return st;
}

void core_auth_policy_get(struct core_app *app, struct core_auth_policy *out)
{
    pthread_mutex_lock(&app->policy->lock);
    *out = app->policy->policy;
    pthread_mutex_unlock(&app->policy->lock);
}

enum pp_payout_status core_auth_policy_initial_status(struct core_app *app, const char *currency,
                                                      int64_t amount_minor)
{
    pthread_mutex_lock(&app->policy->lock);
    int needs = core_auth_policy_needs(&app->policy->policy, currency, amount_minor);
    pthread_mutex_unlock(&app->policy->lock);
    return needs ? PP_PAYOUT_UNAUTHORIZED : PP_PAYOUT_READY;
}

enum pp_status core_auth_policy_set(struct core_app *app, const struct core_auth_policy *policy,
                                    const struct pp_actor *actor, struct core_auth_policy *out,
                                    struct pp_err *err)
{
    char text[PP_AUTH_POLICY_TEXT_BYTES];
    core_auth_policy_encode(policy, text, sizeof text);
    struct store_setting kv = {SETTING_AUTH_POLICY, text};
    struct core_write cw;
    /* set_lock orders policy commits, so the cache follows commit order;
    ** lock is taken only for the swap. */
    pthread_mutex_lock(&app->policy->set_lock);
    core_write_begin(&cw, actor, core_now_ms());
    enum pp_status st =
        store_settings_put(app->store, &cw.ctx, &kv, 1, "settings.authorization", text, err);
    core_write_end(&cw, st);
    if (st == PP_OK) {
        pthread_mutex_lock(&app->policy->lock);
        app->policy->policy = *policy;
        pthread_mutex_unlock(&app->policy->lock);
        pp_log(PP_LOG_INFO, "admin %" PRId64 " set the authorization policy to \"%.64s\"",
               actor->admin_id, text);
    }
    pthread_mutex_unlock(&app->policy->set_lock);
    core_auth_policy_get(app, out);
    return st;
}
