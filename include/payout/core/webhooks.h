/*
** This header declares core's part of spec section 9: the operations on
** webhook endpoints (create with a new secret shown once, update, delete,
** rotate with an overlap, test, replay, the attempts), the events feed,
** the notifications of a payout, and the outbox: the delivery worker (one
** thread, concurrent guarded POSTs signed as Standard Webhooks 1.0,
** retries on the schedule, the order rule) and the mail thread that sends
** recipient notifications over SMTP.
**
** Secrets: an endpoint's secret is sealed (payout/sec/seal.h) under a key
** derived from the server's master secret, a file kept beside the
** database (never in it). The plain secret is only ever in the answer of
** create and rotate, and in the worker's memory while it signs.
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

/* Writes the JSON body of event e (as GET /api/events shows it) to out;
** supplied by the API layer, which owns the wire format. */
typedef void (*core_event_render_fn)(const struct pp_event *e, struct pp_buf *out);

/* How the outbox runs; texts borrowed for the call (copied). */
struct core_outbox_options {
    const char *key_path;      /* the master secret file; created (0600) when missing */
    const char *allow_cidrs;   /* --webhook-allow-cidrs, NULL or "" for none */
    const char *retry_ms;      /* --webhook-retry-ms, NULL for the default schedule */
    const char *smtp_url;      /* NULL: notifications are recorded as skipped */
    const char *smtp_from;     /* required with smtp_url */
    const char *smtp_user;     /* PAYOUT_SMTP_USER, NULL for no AUTH */
    const char *smtp_password; /* PAYOUT_SMTP_PASSWORD */
    const char *smtp_ca_file;  /* NULL: the system's trusted certificates */
    int workers;               /* 0: prepare secrets only, send nothing (tests, `check`) */
    core_event_render_fn render;
};

/* Checks the values of options that need no world (CIDRs, schedule, SMTP
** URL and sender): PP_INVALID_PARAMS naming the flag. */
enum pp_status core_outbox_options_check(const struct core_outbox_options *o, struct pp_err *err);

/* Loads (or creates) the master secret, then, when o->workers, starts the
** delivery worker and, with an SMTP URL, the mail thread. Call once, after
** core_app_open and before serving. */
enum pp_status core_outbox_start(struct core_app *app, const struct core_outbox_options *o,
                                 struct pp_err *err);

/* Stops the threads (transfers in flight are abandoned: at least once, so
** they are sent again after a restart) and wipes the key. No-op when not
** started. core_app_close calls it. */
void core_outbox_stop(struct core_app *app);

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

/* The notifications of payout id (at most two: ready, received). */
enum pp_status core_payout_notifications(struct core_app *app, int64_t payout_id,
                                         struct pp_notification *out, size_t cap, size_t *count_out,
                                         struct pp_err *err);

#endif /* PAYOUT_CORE_WEBHOOKS_H */
