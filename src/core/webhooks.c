/*
** This module implements the webhook endpoint operations of spec section
** 9 (create, update, delete, rotate, test, replay and the reads) and the
** events feed: checks, a new secret from the CSPRNG sealed before it is
** stored, and one store operation each (which writes its audit entry in
** the same transaction). Sending is the outbox's (outbox.c).
*/
#include "payout/core/webhooks.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "payout/base/assert.h"
#include "payout/core/dates.h"
#include "payout/core/outbox.h"
#include "payout/sec/secrets.h"
#include "write.h"

enum pp_status core_webhook_url_check(const char *url, struct pp_err *err)
{
    size_t len = strlen(url);
    size_t scheme = strncasecmp(url, "https://", 8) == 0  ? 8
                    : strncasecmp(url, "http://", 7) == 0 ? 7
                                                          : 0;
    if (scheme == 0) {
        return pp_err_set(err, PP_INVALID_PARAMS, "url must start with http:// or https://");
    }
    if (len > PP_WEBHOOK_URL_BYTES_MAX) {
        return pp_err_set(err, PP_INVALID_PARAMS, "url is longer than %d bytes",
                          PP_WEBHOOK_URL_BYTES_MAX);
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)url[i];
        if (ch <= 0x20 || ch >= 0x7F) {
            return pp_err_set(err, PP_INVALID_PARAMS,
                              "url must not contain spaces, control or non-ASCII characters "
                              "(percent-encode them)");
        }
    }
    size_t host = strcspn(url + scheme, "/?#");
    if (host == 0 || url[scheme] == ':' || url[scheme] == '@') {
        return pp_err_set(err, PP_INVALID_PARAMS, "url must name a host");
    }
    return PP_OK;
}

/* A new secret into secret_out and its sealed form into sealed_out. */
static enum pp_status secret_new(struct core_app *app,
                                 char secret_out[SEC_WEBHOOK_SECRET_TEXT_BYTES],
                                 char sealed_out[PP_WEBHOOK_SEALED_BYTES], struct pp_err *err)
{
    enum pp_status st = sec_webhook_secret_create(secret_out, err);
    if (st == PP_OK) {
        st = core_outbox_seal(app, secret_out, sealed_out, err);
    }
    if (st != PP_OK) {
        sec_wipe(secret_out, SEC_WEBHOOK_SECRET_TEXT_BYTES);
        secret_out[0] = '\0';
    }
    return st;
}

enum pp_status core_webhook_create(struct core_app *app, const struct pp_actor *actor,
                                   const char *url, unsigned events_mask, const char *description,
                                   struct pp_webhook *out,
                                   char secret_out[SEC_WEBHOOK_SECRET_TEXT_BYTES],
                                   struct pp_err *err)
{
    char sealed[PP_WEBHOOK_SEALED_BYTES];
    enum pp_status st = core_webhook_url_check(url, err);
    if (st == PP_OK) {
        st = secret_new(app, secret_out, sealed, err);
    }
    if (st == PP_OK) {
        struct core_write cw;
        core_write_begin(&cw, actor, core_now_ms());
        struct store_webhook_create in = {
            .url = url,
            .events_mask = events_mask,
            .description = description,
            .secret_sealed = sealed,
        };
        st = store_webhook_create(app->store, &cw.ctx, &in, out, err);
        core_write_end(&cw, st);
    }
    if (st != PP_OK) {
        sec_wipe(secret_out, SEC_WEBHOOK_SECRET_TEXT_BYTES);
        secret_out[0] = '\0';
    }
    return st;
}

enum pp_status core_webhook_update(struct core_app *app, const struct pp_actor *actor, int64_t id,
                                   const struct core_webhook_change *change, struct pp_webhook *out,
                                   struct pp_err *err)
{
    enum pp_status st = PP_OK;
    if (change->url != NULL) {
        st = core_webhook_url_check(change->url, err);
    }
    if (st == PP_OK) {
        struct core_write cw;
        core_write_begin(&cw, actor, core_now_ms());
        struct store_webhook_update in = {
            .id = id,
            .url = change->url,
            .has_events = change->has_events,
            .events_mask = change->events_mask,
            .enabled = change->enabled,
            .description = change->description,
        };
        st = store_webhook_update(app->store, &cw.ctx, &in, out, err);
        core_write_end(&cw, st);
    }
    return st;
}

enum pp_status core_webhook_delete(struct core_app *app, const struct pp_actor *actor, int64_t id,
                                   struct pp_err *err)
{
    struct core_write cw;
    core_write_begin(&cw, actor, core_now_ms());
    enum pp_status st = store_webhook_delete(app->store, &cw.ctx, id, err);
    core_write_end(&cw, st);
    return st;
}

enum pp_status core_webhook_rotate(struct core_app *app, const struct pp_actor *actor, int64_t id,
                                   struct pp_webhook *out,
                                   char secret_out[SEC_WEBHOOK_SECRET_TEXT_BYTES],
                                   struct pp_err *err)
{
    char sealed[PP_WEBHOOK_SEALED_BYTES];
    enum pp_status st = secret_new(app, secret_out, sealed, err);
    if (st == PP_OK) {
        struct core_write cw;
        core_write_begin(&cw, actor, core_now_ms());
        st = store_webhook_rotate(app->store, &cw.ctx, id, sealed,
                                  cw.ctx.now_ms + PP_WEBHOOK_SECRET_OVERLAP_MS, out, err);
        core_write_end(&cw, st);
    }
    if (st != PP_OK) {
        sec_wipe(secret_out, SEC_WEBHOOK_SECRET_TEXT_BYTES);
        secret_out[0] = '\0';
    }
    return st;
}

enum pp_status core_webhook_test(struct core_app *app, const struct pp_actor *actor, int64_t id,
                                 struct pp_err *err)
{
    struct core_write cw;
    core_write_begin(&cw, actor, core_now_ms());
    int64_t event_id = 0;
    enum pp_status st = store_webhook_test(app->store, &cw.ctx, id, &event_id, err);
    core_write_end(&cw, st);
    return st;
}

enum pp_status core_webhook_replay(struct core_app *app, const struct pp_actor *actor, int64_t id,
                                   int64_t after_id, int64_t from_ms, int64_t to_ms,
                                   int64_t *queued_out, struct pp_err *err)
{
    *queued_out = 0;
    if (after_id == 0 && to_ms < from_ms) {
        return pp_err_set(err, PP_INVALID_PARAMS, "to must not be before from");
    }
    struct core_write cw;
    core_write_begin(&cw, actor, core_now_ms());
    struct store_webhook_replay in = {
        .id = id, .after_id = after_id, .from_ms = from_ms, .to_ms = to_ms};
    enum pp_status st = store_webhook_replay(app->store, &cw.ctx, &in, queued_out, err);
    core_write_end(&cw, st);
    return st;
}

enum pp_status core_webhooks_list(struct core_app *app, struct pp_webhook *out, size_t cap,
                                  size_t *count_out, struct pp_err *err)
{
    return store_webhooks_list(app->store, out, cap, count_out, err);
}

enum pp_status core_webhook_get(struct core_app *app, int64_t id, struct pp_webhook *out,
                                struct pp_err *err)
{
    return store_webhook_get(app->store, id, out, err);
}

enum pp_status core_webhook_attempts(struct core_app *app, int64_t id,
                                     struct pp_webhook_attempt *out, size_t cap, size_t *count_out,
                                     struct pp_err *err)
{
    struct pp_webhook *w = pp_check_alloc(malloc(sizeof *w));
    /* An unknown or deleted endpoint is 404, not an empty list. */
    enum pp_status st = store_webhook_get(app->store, id, w, err);
    free(w);
    if (st == PP_OK) {
        st = store_webhook_attempts_list(app->store, id, out, cap, count_out, err);
    }
    return st;
}

enum pp_status core_events_page(struct core_app *app, const struct pp_event_filter *f,
                                pp_event_fn fn, void *ctx, struct pp_err *err)
{
    return store_events_page(app->store, f, fn, ctx, err);
}

enum pp_status core_payout_notifications(struct core_app *app, const struct pp_payout *p,
                                         struct pp_notification out[CORE_PAYOUT_NOTIFICATIONS_MAX],
                                         size_t *count_out, struct pp_err *err)
{
    *count_out = 0;
    if (!p->notification) {
        return PP_OK;
    }
    return store_notifications_of_payouts(app->store, &p->id, 1, out, CORE_PAYOUT_NOTIFICATIONS_MAX,
                                          count_out, err);
}

enum pp_status core_payout_get_noted(struct core_app *app, int64_t id, struct pp_payout *out,
                                     struct pp_notification notes[CORE_PAYOUT_NOTIFICATIONS_MAX],
                                     size_t *count_out, struct pp_err *err)
{
    return store_payout_get_noted(app->store, id, out, notes, CORE_PAYOUT_NOTIFICATIONS_MAX,
                                  count_out, err);
}

enum pp_status core_payouts_notifications(struct core_app *app, const int64_t *ids, size_t count,
                                          struct pp_notification *out, size_t *count_out,
                                          struct pp_err *err)
{
    return store_notifications_of_payouts(app->store, ids, count, out,
                                          count * CORE_PAYOUT_NOTIFICATIONS_MAX, count_out, err);
}
