/*
** This module implements the public face of the store's outbox: events,
** webhooks and notifications (payout/store/events.h). Each call goes to
** the open store's backend; it holds no SQL and no logic.
*/
#include "payout/store/events.h"

#include "payout/store/store.h"
#include "store/backend.h"

void store_outbox_configure(struct store *st, store_outbox_wake_fn fn, void *ctx, int mail)
{
    st->ops->outbox_configure(st->backend, fn, ctx, mail);
}

enum pp_status store_events_page(struct store *st, const struct pp_event_filter *f, pp_event_fn fn,
                                 void *ctx, struct pp_err *err)
{
    return st->ops->events_page(st->backend, f, fn, ctx, err);
}

enum pp_status store_event_get(struct store *st, int64_t id, struct pp_event *out,
                               struct pp_err *err)
{
    return st->ops->event_get(st->backend, id, out, err);
}

enum pp_status store_webhook_create(struct store *st, const struct store_write_ctx *w,
                                    const struct store_webhook_create *in, struct pp_webhook *out,
                                    struct pp_err *err)
{
    return st->ops->webhook_create(st->backend, w, in, out, err);
}

enum pp_status store_webhook_update(struct store *st, const struct store_write_ctx *w,
                                    const struct store_webhook_update *in, struct pp_webhook *out,
                                    struct pp_err *err)
{
    return st->ops->webhook_update(st->backend, w, in, out, err);
}

enum pp_status store_webhook_delete(struct store *st, const struct store_write_ctx *w, int64_t id,
                                    struct pp_err *err)
{
    return st->ops->webhook_delete(st->backend, w, id, err);
}

enum pp_status store_webhook_rotate(struct store *st, const struct store_write_ctx *w, int64_t id,
                                    const char *new_sealed, int64_t old_until_ms,
                                    struct pp_webhook *out, struct pp_err *err)
{
    return st->ops->webhook_rotate(st->backend, w, id, new_sealed, old_until_ms, out, err);
}

enum pp_status store_webhook_test(struct store *st, const struct store_write_ctx *w, int64_t id,
                                  int64_t *event_id_out, struct pp_err *err)
{
    return st->ops->webhook_test(st->backend, w, id, event_id_out, err);
}

enum pp_status store_webhook_replay(struct store *st, const struct store_write_ctx *w,
                                    const struct store_webhook_replay *in, int64_t *queued_out,
                                    struct pp_err *err)
{
    return st->ops->webhook_replay(st->backend, w, in, queued_out, err);
}

enum pp_status store_webhooks_list(struct store *st, struct pp_webhook *out, size_t cap,
                                   size_t *count_out, struct pp_err *err)
{
    return st->ops->webhooks_list(st->backend, out, cap, count_out, err);
}

enum pp_status store_webhook_get(struct store *st, int64_t id, struct pp_webhook *out,
                                 struct pp_err *err)
{
    return st->ops->webhook_get(st->backend, id, out, err);
}

enum pp_status store_webhook_attempts_list(struct store *st, int64_t id,
                                           struct pp_webhook_attempt *out, size_t cap,
                                           size_t *count_out, struct pp_err *err)
{
    return st->ops->webhook_attempts_list(st->backend, id, out, cap, count_out, err);
}

enum pp_status store_webhook_due_list(struct store *st, int64_t now_ms, const int64_t *skip,
                                      size_t skip_count, struct pp_webhook_due *out, size_t cap,
                                      size_t *count_out, int64_t *next_ms_out, struct pp_err *err)
{
    return st->ops->webhook_due_list(st->backend, now_ms, skip, skip_count, out, cap, count_out,
                                     next_ms_out, err);
}

enum pp_status store_webhook_results_record(struct store *st, const struct store_write_ctx *w,
                                            const struct pp_webhook_result *results, size_t count,
                                            struct pp_err *err)
{
    return st->ops->webhook_results_record(st->backend, w, results, count, err);
}

enum pp_status store_notifications_of_payouts(struct store *st, const int64_t *payout_ids,
                                              size_t id_count, struct pp_notification *out,
                                              size_t cap, size_t *count_out, struct pp_err *err)
{
    return st->ops->notifications_of_payouts(st->backend, payout_ids, id_count, out, cap, count_out,
                                             err);
}

enum pp_status store_notifications_due(struct store *st, int64_t now_ms, struct pp_notify_due *out,
                                       size_t cap, size_t *count_out, int64_t *next_ms_out,
                                       struct pp_err *err)
{
    return st->ops->notifications_due(st->backend, now_ms, out, cap, count_out, next_ms_out, err);
}

enum pp_status store_notifications_record(struct store *st, const struct pp_notify_result *results,
                                          size_t count, struct pp_err *err)
{
    return st->ops->notifications_record(st->backend, results, count, err);
}

enum pp_status store_outbox_counts(struct store *st, struct pp_outbox_counts *out,
                                   struct pp_err *err)
{
    return st->ops->outbox_counts(st->backend, out, err);
}
