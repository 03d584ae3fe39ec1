/*
** This module implements the payout lifecycle after create: the
** authorization policy (its pure rules, its settings text and its
** in-memory cache), authorizing payouts in bulk and receiving one payout
** inside its window. Every operation
** re-reads the payouts it touches inside its own transaction, so two
** operations racing on one payout (or one racing with expiry) end in
** exactly one outcome; the schema's status trigger backs that up.
**
** It does not implement create, cancel and the bulk runner (payouts.c),
** deposits and withdrawals (funds.c) nor expiry (expiry.c).
*/
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "payout/base/assert.h"
#include "payout/base/buf.h"
#include "payout/base/log.h"
#include "payout/core/dates.h"

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

enum pp_status core_auth_policy_load(struct core_app *app, struct pp_err *err)
{
    char text[PP_AUTH_POLICY_TEXT_BYTES];
    struct core_auth_policy policy;
    int found = 0;
    core_auth_policy_init(&policy);
    enum pp_status st =
        store_setting_get(app->store, CORE_SETTING_AUTH_POLICY, text, sizeof text, &found, err);
    if (st == PP_OK && found) {
        st = core_auth_policy_decode(text, &policy, err);
        if (st != PP_OK) {
            pp_log(PP_LOG_ERROR, "settings: %s", err->message);
        }
    }
    if (st == PP_OK) {
        pthread_mutex_lock(&app->policy_lock);
        app->policy = policy;
        pthread_mutex_unlock(&app->policy_lock);
    }
    return st;
}

void core_auth_policy_get(struct core_app *app, struct core_auth_policy *out)
{
    pthread_mutex_lock(&app->policy_lock);
    *out = app->policy;
    pthread_mutex_unlock(&app->policy_lock);
}

enum pp_payout_status core_payout_initial_status(struct core_app *app,
                                                 const struct core_payout_request *req)
{
    pthread_mutex_lock(&app->policy_lock);
    int needs = core_auth_policy_needs(&app->policy, req->currency->code, req->amount_minor);
    pthread_mutex_unlock(&app->policy_lock);
    return needs ? PP_PAYOUT_UNAUTHORIZED : PP_PAYOUT_READY;
}

struct policy_op {
    const char *text;
    const struct pp_actor *actor;
};

static enum pp_status write_policy(struct store_tx *tx, void *arg, struct pp_err *err)
{
    const struct policy_op *op = arg;
    enum pp_status st = store_tx_setting_put(tx, CORE_SETTING_AUTH_POLICY, op->text, err);
    if (st == PP_OK) {
        st =
            core_audit(tx, op->actor, "settings.authorization", NULL, op->text, core_now_ms(), err);
    }
    return st;
}

enum pp_status core_auth_policy_set(struct core_app *app, const struct core_auth_policy *policy,
                                    const struct pp_actor *actor, struct core_auth_policy *out,
                                    struct pp_err *err)
{
    char text[PP_AUTH_POLICY_TEXT_BYTES];
    core_auth_policy_encode(policy, text, sizeof text);
    struct policy_op op = {.text = text, .actor = actor};
    /* settings_lock orders settings commits, so the cache follows commit
    ** order; policy_lock is taken only for the swap. */
    pthread_mutex_lock(&app->settings_lock);
    enum pp_status st = core_write(app, write_policy, &op, err);
    if (st == PP_OK) {
        pthread_mutex_lock(&app->policy_lock);
        app->policy = *policy;
        pthread_mutex_unlock(&app->policy_lock);
        pp_log(PP_LOG_INFO, "admin %" PRId64 " set the authorization policy to \"%.64s\"",
               actor->admin_id, text);
    }
    pthread_mutex_unlock(&app->settings_lock);
    core_auth_policy_get(app, out);
    return st;
}

/* --- Authorize ---------------------------------------------------------------- */

/* A payout whose window has ended is about to expire: authorizing it
** would make it READY for nothing. A repeat is READY by now. */
static int authorize_eligible(const struct pp_payout *p, int64_t now_ms)
{
    return p->status == PP_PAYOUT_UNAUTHORIZED && p->end_ms >= now_ms;
}

static enum pp_status authorize_apply(struct store_tx *tx, const struct pp_payout *p,
                                      int64_t now_ms, struct pp_err *err)
{
    return store_tx_payout_set_status(tx, p->id, PP_PAYOUT_READY, now_ms, NULL, err);
}

enum pp_status core_payout_authorize(struct core_app *app, const int64_t *ids, size_t count,
                                     const struct pp_actor *actor, int64_t *authorized_out,
                                     struct pp_err *err)
{
    struct core_bulk b = {
        .ids = ids,
        .count = count,
        .now_ms = core_now_ms(),
        .eligible = authorize_eligible,
        .apply = authorize_apply,
        .actor = actor,
        .action = "payment.authorize",
    };
    enum pp_status st = core_payout_bulk_run(app, &b, err);
    *authorized_out = b.done;
    return st;
}

/* --- Receive ------------------------------------------------------------------ */

struct receive_op {
    int64_t id;
    const char *reference; /* NULL for none */
    const struct pp_actor *actor;
    int64_t now_ms;
    struct pp_payout payout; /* out */
};

/* PP_OK when p may be received at now_ms, else PP_INVALID_PARAMS saying why. */
static enum pp_status receivable(const struct pp_payout *p, int64_t now_ms, struct pp_err *err)
{
    char date[PP_DATE_TEXT_BYTES];
    long long id = (long long)p->id;
    switch (p->status) {
    case PP_PAYOUT_UNAUTHORIZED:
        return pp_err_set(err, PP_INVALID_PARAMS,
                          "payout %lld is not authorized yet: an admin must authorize it first",
                          id);
    case PP_PAYOUT_RECEIVED:
        return pp_err_set(err, PP_INVALID_PARAMS, "payout %lld was already received", id);
    case PP_PAYOUT_CANCELLED:
        return pp_err_set(err, PP_INVALID_PARAMS,
                          "payout %lld was cancelled and can no longer be received", id);
    case PP_PAYOUT_EXPIRED:
        return pp_err_set(err, PP_INVALID_PARAMS,
                          "payout %lld has expired and can no longer be received", id);
    case PP_PAYOUT_READY:
        break;
    }
    if (now_ms < p->start_ms) {
        core_date_format(p->start_ms, date, sizeof date);
        return pp_err_set(err, PP_INVALID_PARAMS,
                          "payout %lld cannot be received before its startDate %s", id, date);
    }
    if (now_ms > p->end_ms) {
        core_date_format(p->end_ms, date, sizeof date);
        return pp_err_set(err, PP_INVALID_PARAMS,
                          "payout %lld cannot be received after its endDate %s", id, date);
    }
    return PP_OK;
}

static enum pp_status write_receive(struct store_tx *tx, void *arg, struct pp_err *err)
{
    struct receive_op *op = arg;
    struct pp_payout p;
    enum pp_status st = store_tx_payout_get(tx, op->id, &p, err);
    if (st == PP_OK) {
        st = receivable(&p, op->now_ms, err);
    }
    if (st == PP_OK) {
        st = store_tx_payout_set_status(tx, p.id, PP_PAYOUT_RECEIVED, op->now_ms, op->reference,
                                        err);
    }
    if (st == PP_OK) {
        struct pp_movement payout = {
            .currency = p.currency,
            .kind = PP_LEDGER_PAYOUT,
            .d_blocked = -p.amount_minor,
            .d_paid_out = p.amount_minor,
            .payout_id = p.id,
            .reference = op->reference,
            .admin_id = op->actor->admin_id,
            .at_ms = op->now_ms,
        };
        st = store_tx_funds_move(tx, &payout, NULL, err);
    }
    if (st == PP_OK) {
        st = store_tx_payout_get(tx, p.id, &op->payout, err);
    }
    if (st == PP_OK) {
        char subject[32];
        char detail[64];
        char amount[PP_AMOUNT_TEXT_BYTES];
        const struct core_currency *cur = core_currency_find(p.currency, 3);
        core_money_format(p.amount_minor, cur != NULL ? cur->exponent : 0, amount, sizeof amount);
        snprintf(subject, sizeof subject, "payout:%" PRId64, p.id);
        snprintf(detail, sizeof detail, "%s %s", amount, p.currency);
        st = core_audit(tx, op->actor, "payment.receive", subject, detail, op->now_ms, err);
    }
    return st;
}

enum pp_status core_payout_receive(struct core_app *app, int64_t id, const char *reference,
                                   const struct pp_actor *actor, struct pp_payout *out,
                                   struct pp_err *err)
{
    if (reference != NULL && strlen(reference) > PP_REFERENCE_BYTES_MAX) {
        return pp_err_set(err, PP_INVALID_PARAMS, "reference must be at most %d bytes",
                          PP_REFERENCE_BYTES_MAX);
    }
    struct receive_op op = {
        .id = id,
        .reference = reference != NULL && reference[0] != '\0' ? reference : NULL,
        .actor = actor,
        .now_ms = core_now_ms(),
    };
    enum pp_status st = core_write(app, write_receive, &op, err);
    if (st == PP_OK) {
        *out = op.payout;
    }
    return st;
}

