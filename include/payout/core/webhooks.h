/*
** This header declares core's part of spec section 9: the operations on
** webhook endpoints (create with a new secret shown once, update, delete,
** rotate with an overlap, test, replay, the attempts), the events feed,
** and the notifications of a payout. The delivery worker (one
** thread) and the mail thread are payout/core/outbox.h's.
**
** Secrets: an endpoint's secret is sealed under the outbox's key
** (core_outbox_seal) before it is stored. The plain secret is only ever
** in the answer of create and rotate, and in the worker's memory while it
** signs.
*/
#ifndef PAYOUT_CORE_WEBHOOKS_H
#define PAYOUT_CORE_WEBHOOKS_H

#include <stddef.h>
#include <stdint.h>

#include "payout/base/buf.h"
#include "payout/model.h"
#include "payout/model/event.h"
#include "payout/sec/webhook_sign.h"
#include "payout/status.h"

struct core_app;

/* --- Endpoints ------------------------------------------------------------ */

/* Checks an endpoint URL: http:// or https://, a host, at most
** PP_WEBHOOK_URL_BYTES_MAX bytes, no spaces or control characters. Which
** address it reaches is judged when connecting, not here. */
enum pp_status core_webhook_url_check(const char *url, struct pp_err *err);

/* Creates an enabled endpoint with a new secret, written to secret_out
** (shown once). */
enum pp_status core_webhook_create(struct core_app *app, const struct pp_actor *actor,
                                   const char *url, unsigned events_mask, const char *description,
                                   struct pp_webhook *out,
                                   char secret_out[SEC_WEBHOOK_SECRET_TEXT_BYTES],
                                   struct pp_err *err);

/* A change: NULL texts and -1 keep; has_events sets events_mask. */
struct core_webhook_change {
    const char *url;
    int has_events;
    unsigned events_mask;
    int enabled;
    const char *description;
};

enum pp_status core_webhook_update(struct core_app *app, const struct pp_actor *actor, int64_t id,
                                   const struct core_webhook_change *change, struct pp_webhook *out,
                                   struct pp_err *err);
enum pp_status core_webhook_delete(struct core_app *app, const struct pp_actor *actor, int64_t id,
                                   struct pp_err *err);

/* New secret into secret_out; the old one signs beside it for
** PP_WEBHOOK_SECRET_OVERLAP_MS. */
enum pp_status core_webhook_rotate(struct core_app *app, const struct pp_actor *actor, int64_t id,
                                   struct pp_webhook *out,
                                   char secret_out[SEC_WEBHOOK_SECRET_TEXT_BYTES],
                                   struct pp_err *err);

/* Queues a webhook.test event to endpoint id. */
enum pp_status core_webhook_test(struct core_app *app, const struct pp_actor *actor, int64_t id,
                                 struct pp_err *err);

/* Queues again the events after after_id (> 0), or those created in
** [from_ms, to_ms] (after_id 0); *queued_out = how many. */
enum pp_status core_webhook_replay(struct core_app *app, const struct pp_actor *actor, int64_t id,
                                   int64_t after_id, int64_t from_ms, int64_t to_ms,
                                   int64_t *queued_out, struct pp_err *err);

enum pp_status core_webhooks_list(struct core_app *app, struct pp_webhook *out, size_t cap,
                                  size_t *count_out, struct pp_err *err);
enum pp_status core_webhook_get(struct core_app *app, int64_t id, struct pp_webhook *out,
                                struct pp_err *err);
enum pp_status core_webhook_attempts(struct core_app *app, int64_t id,
                                     struct pp_webhook_attempt *out, size_t cap, size_t *count_out,
                                     struct pp_err *err);

/* --- Reads ---------------------------------------------------------------- */

enum pp_status core_events_page(struct core_app *app, const struct pp_event_filter *f,
                                pp_event_fn fn, void *ctx, struct pp_err *err);

/* At most this many notifications per payout: one per kind (ready, received). */
#define CORE_PAYOUT_NOTIFICATIONS_MAX PP_NOTIFY_KINDS

/* The notifications of payout p (borrowed) into out[0..*count_out), at
** most CORE_PAYOUT_NOTIFICATIONS_MAX. A payout whose `notification` is off
** never has one (the store writes them only for payouts with it on), so
** then *count_out is 0 and the store is not asked. Storage failures:
** PP_UNAVAILABLE / PP_INTERNAL, *count_out 0. */
enum pp_status core_payout_notifications(struct core_app *app, const struct pp_payout *p,
                                         struct pp_notification out[CORE_PAYOUT_NOTIFICATIONS_MAX],
                                         size_t *count_out, struct pp_err *err);

/* Payout id (PP_NOT_FOUND if none) with its notifications, read together. */
enum pp_status core_payout_get_noted(struct core_app *app, int64_t id, struct pp_payout *out,
                                     struct pp_notification notes[CORE_PAYOUT_NOTIFICATIONS_MAX],
                                     size_t *count_out, struct pp_err *err);

/* The notifications of the payouts ids[0..count) (those with
** `notification` on: the others have none) in one read, into
** out[0..*count_out), ordered by payout id, then kind; out holds
** count * CORE_PAYOUT_NOTIFICATIONS_MAX. Failures as above. */
enum pp_status core_payouts_notifications(struct core_app *app, const int64_t *ids, size_t count,
                                          struct pp_notification *out, size_t *count_out,
                                          struct pp_err *err);

#endif /* PAYOUT_CORE_WEBHOOKS_H */
