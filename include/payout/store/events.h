/*
** This header declares the store's part of spec section 9: the events
** feed, webhook endpoints, their deliveries and attempts, and recipient
** notifications (migration 0010).
**
** Outbox: the payout and funds write operations append their event, the
** delivery rows of the endpoints subscribed to it and a due notification
** in their own transaction (the rules are stated at the end of this
** header); nothing here sends anything. The delivery and mail workers of
** core read what is due and record what each attempt came to through the
** writer, in batches.
**
** Write operations have the shape of every store write: the caller's
** write context (actor, now_ms), plain data in, outputs, err. Each one
** that an admin or an integrator asks for appends its audit entry in its
** own transaction (actions "webhook.create", "webhook.update",
** "webhook.delete", "webhook.rotate_secret", "webhook.test",
** "webhook.replay"; an endpoint disabled by the worker: "webhook.disable"
** by the system). Errors as in store.h.
*/
#ifndef PAYOUT_STORE_EVENTS_H
#define PAYOUT_STORE_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "payout/model/event.h"
#include "payout/status.h"

struct store;
/* Who writes and when (payout/store/store.h). */
struct store_write_ctx;

/* --- Configuration ------------------------------------------------------ */

/* Called (on the writer thread, after the commit is durable) when a
** transaction added a delivery or a notification; it must only signal. */
typedef void (*store_outbox_wake_fn)(void *ctx);

/* Sets the wake-up of the outbox's workers (fn NULL: none) and whether
** notifications are sent at all: without an SMTP server (mail 0) a due
** notification is recorded as skipped. Call before serving. */
void store_outbox_configure(struct store *st, store_outbox_wake_fn fn, void *ctx, int mail);

/* --- Events ------------------------------------------------------------- */

/* Reads the feed: events matching f (see struct pp_event_filter), oldest
** first, up to f->limit, calling fn for each. */
enum pp_status store_events_page(struct store *st, const struct pp_event_filter *f, pp_event_fn fn,
                                 void *ctx, struct pp_err *err);

/* One event by id (webhook.test included). PP_NOT_FOUND if none. */
enum pp_status store_event_get(struct store *st, int64_t id, struct pp_event *out,
                               struct pp_err *err);

/* --- Webhook endpoints -------------------------------------------------- */

struct store_webhook_create {
    const char *url;         /* checked by core */
    unsigned events_mask;    /* 0: every type */
    const char *description; /* "" for none */
    const char *secret_sealed;
};

/* Inserts an enabled endpoint; *out = the stored endpoint. PP_CONFLICT
** when PP_WEBHOOKS_MAX endpoints exist already. */
enum pp_status store_webhook_create(struct store *st, const struct store_write_ctx *w,
                                    const struct store_webhook_create *in, struct pp_webhook *out,
                                    struct pp_err *err);

struct store_webhook_update {
    int64_t id;
    const char *url; /* NULL: keep */
    int has_events;  /* 1: set events_mask */
    unsigned events_mask;
    int enabled;             /* -1: keep; 1 enabling clears the disabled reason */
    const char *description; /* NULL: keep; "" clears */
};

/* Changes what in says of endpoint in->id; *out = the endpoint after.
** PP_NOT_FOUND for an unknown or deleted endpoint. */
enum pp_status store_webhook_update(struct store *st, const struct store_write_ctx *w,
                                    const struct store_webhook_update *in, struct pp_webhook *out,
                                    struct pp_err *err);

/* Deletes endpoint id: it is no longer listed or sent to; its pending
** deliveries are given up. PP_NOT_FOUND if unknown or deleted. */
enum pp_status store_webhook_delete(struct store *st, const struct store_write_ctx *w, int64_t id,
                                    struct pp_err *err);

/* Rotation: the current secret becomes the old one, valid until
** old_until_ms, and new_sealed the current. *out = the endpoint after. */
enum pp_status store_webhook_rotate(struct store *st, const struct store_write_ctx *w, int64_t id,
                                    const char *new_sealed, int64_t old_until_ms,
                                    struct pp_webhook *out, struct pp_err *err);

/* Appends a webhook.test event for endpoint id and its one delivery.
** PP_NOT_FOUND if unknown or deleted. */
enum pp_status store_webhook_test(struct store *st, const struct store_write_ctx *w, int64_t id,
                                  int64_t *event_id_out, struct pp_err *err);

/* Which events a replay queues again: those after after_id (when > 0),
** else those created in [from_ms, to_ms]; only the types the endpoint is
** subscribed to, never webhook.test. */
struct store_webhook_replay {
    int64_t id;
    int64_t after_id;
    int64_t from_ms;
    int64_t to_ms;
};

/* Queues one new delivery per matching event; *queued_out = how many.
** PP_INVALID_PARAMS when more than PP_WEBHOOK_REPLAY_MAX match (nothing
** queued); PP_NOT_FOUND for an unknown or deleted endpoint. */
enum pp_status store_webhook_replay(struct store *st, const struct store_write_ctx *w,
                                    const struct store_webhook_replay *in, int64_t *queued_out,
                                    struct pp_err *err);

/* The endpoints that are not deleted, by id, into out[0..cap). */
enum pp_status store_webhooks_list(struct store *st, struct pp_webhook *out, size_t cap,
                                   size_t *count_out, struct pp_err *err);

/* Endpoint id; PP_NOT_FOUND if unknown or deleted. */
enum pp_status store_webhook_get(struct store *st, int64_t id, struct pp_webhook *out,
                                 struct pp_err *err);

/* The latest attempts of endpoint id, newest first, at most cap. */
enum pp_status store_webhook_attempts_list(struct store *st, int64_t id,
                                           struct pp_webhook_attempt *out, size_t cap,
                                           size_t *count_out, struct pp_err *err);

/* --- The delivery worker's side ----------------------------------------- */

/* Pending deliveries due at now_ms to enabled endpoints, oldest first, at
** most cap, leaving out the delivery ids in skip[0..skip_count) (those in
** flight) and any delivery of a payout's event while an earlier delivery
** of the same payout to the same endpoint is pending (the order rule).
** *next_ms_out = the earliest next_ms of a pending delivery not returned
** (INT64_MAX when none). On a shared store (store_shared(), PostgreSQL)
** several nodes' workers look at once, so what is returned is also
** claimed for PP_WEBHOOK_CLAIM_MS (not returned again to any node until
** then, unless recorded) and holds at most PP_WEBHOOK_INFLIGHT_PER_ENDPOINT
** deliveries per endpoint; SQLite's single worker keeps those two rules
** itself (the skip list, core/outbox.c). */
enum pp_status store_webhook_due_list(struct store *st, int64_t now_ms, const int64_t *skip,
                                      size_t skip_count, struct pp_webhook_due *out, size_t cap,
                                      size_t *count_out, int64_t *next_ms_out, struct pp_err *err);

/* Records results[0..count) in one transaction: an attempt row each, the
** delivery delivered, rescheduled or given up; a success clears the
** endpoint's failing_since_ms, a failure sets it if unset; an endpoint is
** disabled (with a reason and a "webhook.disable" audit entry) on
** PP_WEBHOOK_GONE, or when it has been failing for
** PP_WEBHOOK_DISABLE_AFTER_MS. */
enum pp_status store_webhook_results_record(struct store *st, const struct store_write_ctx *w,
                                            const struct pp_webhook_result *results, size_t count,
                                            struct pp_err *err);

/* --- Notifications ------------------------------------------------------ */

/* The outbox's counts (struct pp_outbox_counts), read when asked. */
enum pp_status store_outbox_counts(struct store *st, struct pp_outbox_counts *out,
                                   struct pp_err *err);

/* The notifications of the payouts payout_ids[0..id_count) into
** out[0..cap), ordered by payout id, then kind: one read for a page of
** payouts. At most PP_NOTIFY_KINDS per payout. */
enum pp_status store_notifications_of_payouts(struct store *st, const int64_t *payout_ids,
                                              size_t id_count, struct pp_notification *out,
                                              size_t cap, size_t *count_out, struct pp_err *err);

/* Pending notifications due at now_ms, oldest first, at most cap. On a
** shared store (PostgreSQL) what is returned is also claimed for
** PP_NOTIFY_CLAIM_MS, so no node's look returns it again until then
** unless it is recorded; SQLite's single mail thread needs no claim. */
enum pp_status store_notifications_due(struct store *st, int64_t now_ms, struct pp_notify_due *out,
                                       size_t cap, size_t *count_out, int64_t *next_ms_out,
                                       struct pp_err *err);

/* Records the results of sends in one transaction. */
enum pp_status store_notifications_record(struct store *st, const struct pp_notify_result *results,
                                          size_t count, struct pp_err *err);

/* --- Rules of the payout and funds operations -----------------------------
** Each write operation that changes a payout's status or moves an admin's
** funds appends, in its own transaction:
**  - one event: payout.created (with the status at creation),
**    payout.authorized, payout.received, payout.cancelled, payout.expired,
**    funds.deposited, funds.withdrawn; sequence = 1 + the number of earlier
**    events of the payout (of funds events of the currency);
**  - one pending delivery per enabled endpoint subscribed to the type;
**  - when the payout's notification is on and its recipient has an
**    e-mail: a "ready" notification when it becomes READY (created READY,
**    or authorized) and a "received" one when it is received; at most one
**    per payout and kind, ever (skipped without mail). */

#endif /* PAYOUT_STORE_EVENTS_H */
