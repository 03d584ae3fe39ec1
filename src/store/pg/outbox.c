/*
** This module implements the PostgreSQL backend's entries for the outbox
** operations of payout/store/events.h (events, webhook endpoints,
** deliveries, notifications) as refusals: this backend does not keep them
** yet (its tables exist, migration 0010, but no operation reads or writes
** them, and its payout and funds operations append no events). Every
** operation answers PP_UNAVAILABLE saying so; a payout has no
** notifications; configuring the outbox does nothing. The SQLite backend
** (src/store/sqlite/events.c, webhooks.c, deliveries.c) is the model for
** the real ones.
*/
#include "store/pg/outbox.h"
#include "payout/store/events.h"
#include "payout/store/store.h"
#include "store/backend.h"

#define PG_OUTBOX_MISSING "events and webhooks are not kept in PostgreSQL yet"

/* The appends of the payout and funds operations: nothing is written yet
** (this backend appends no events). src/store/pg/events.c replaces these
** two with the real appends. */
enum pp_status store_pg_event_payout(struct pg_tx *tx, enum pp_event_type type,
                                     const struct pp_payout *p, int64_t now_ms, struct pp_err *err)
{
    (void)tx, (void)type, (void)p, (void)now_ms, (void)err;
    return PP_OK;
}

enum pp_status store_pg_event_funds(struct pg_tx *tx, enum pp_event_type type, const char *currency,
                                    int64_t amount_minor, const char *reference,
                                    const struct pp_balance *after, int64_t now_ms,
                                    struct pp_err *err)
{
    (void)tx, (void)type, (void)currency, (void)amount_minor, (void)reference, (void)after;
    (void)now_ms, (void)err;
    return PP_OK;
}

static enum pp_status missing(struct pp_err *err)
{
    return pp_err_set(err, PP_UNAVAILABLE, PG_OUTBOX_MISSING);
}

void store_pg_outbox_configure(void *backend, store_outbox_wake_fn fn, void *ctx, int mail)
{
    (void)backend;
    (void)fn;
    (void)ctx;
    (void)mail;
}

enum pp_status store_pg_events_page(void *backend, const struct pp_event_filter *f, pp_event_fn fn,
                                    void *ctx, struct pp_err *err)
{
    (void)backend, (void)f, (void)fn, (void)ctx;
    return missing(err);
}

enum pp_status store_pg_event_get(void *backend, int64_t id, struct pp_event *out,
                                  struct pp_err *err)
{
    (void)backend, (void)id, (void)out;
    return missing(err);
}

enum pp_status store_pg_webhook_create(void *backend, const struct store_write_ctx *w,
                                       const struct store_webhook_create *in,
                                       struct pp_webhook *out, struct pp_err *err)
{
    (void)backend, (void)w, (void)in, (void)out;
    return missing(err);
}

enum pp_status store_pg_webhook_update(void *backend, const struct store_write_ctx *w,
                                       const struct store_webhook_update *in,
                                       struct pp_webhook *out, struct pp_err *err)
{
    (void)backend, (void)w, (void)in, (void)out;
    return missing(err);
}

enum pp_status store_pg_webhook_delete(void *backend, const struct store_write_ctx *w, int64_t id,
                                       struct pp_err *err)
{
    (void)backend, (void)w, (void)id;
    return missing(err);
}

enum pp_status store_pg_webhook_rotate(void *backend, const struct store_write_ctx *w, int64_t id,
                                       const char *new_sealed, int64_t old_until_ms,
                                       struct pp_webhook *out, struct pp_err *err)
{
    (void)backend, (void)w, (void)id, (void)new_sealed, (void)old_until_ms, (void)out;
    return missing(err);
}

enum pp_status store_pg_webhook_test(void *backend, const struct store_write_ctx *w, int64_t id,
                                     int64_t *event_id_out, struct pp_err *err)
{
    (void)backend, (void)w, (void)id;
    *event_id_out = 0;
    return missing(err);
}

enum pp_status store_pg_webhook_replay(void *backend, const struct store_write_ctx *w,
                                       const struct store_webhook_replay *in, int64_t *queued_out,
                                       struct pp_err *err)
{
    (void)backend, (void)w, (void)in;
    *queued_out = 0;
    return missing(err);
}

enum pp_status store_pg_webhooks_list(void *backend, struct pp_webhook *out, size_t cap,
                                      size_t *count_out, struct pp_err *err)
{
    (void)backend, (void)out, (void)cap;
    *count_out = 0;
    return missing(err);
}

enum pp_status store_pg_webhook_get(void *backend, int64_t id, struct pp_webhook *out,
                                    struct pp_err *err)
{
    (void)backend, (void)id, (void)out;
    return missing(err);
}

enum pp_status store_pg_webhook_attempts_list(void *backend, int64_t id,
                                              struct pp_webhook_attempt *out, size_t cap,
                                              size_t *count_out, struct pp_err *err)
{
    (void)backend, (void)id, (void)out, (void)cap;
    *count_out = 0;
    return missing(err);
}

enum pp_status store_pg_webhook_due_list(void *backend, int64_t now_ms, const int64_t *skip,
                                         size_t skip_count, struct pp_webhook_due *out, size_t cap,
                                         size_t *count_out, int64_t *next_ms_out,
                                         struct pp_err *err)
{
    (void)backend, (void)now_ms, (void)skip, (void)skip_count, (void)out, (void)cap;
    *count_out = 0;
    *next_ms_out = INT64_MAX;
    return missing(err);
}

enum pp_status store_pg_webhook_results_record(void *backend, const struct store_write_ctx *w,
                                               const struct pp_webhook_result *results,
                                               size_t count, struct pp_err *err)
{
    (void)backend, (void)w, (void)results, (void)count;
    return missing(err);
}

/* No notification was ever recorded here: the payout shows none. */
enum pp_status store_pg_notifications_of_payout(void *backend, int64_t payout_id,
                                                struct pp_notification *out, size_t cap,
                                                size_t *count_out, struct pp_err *err)
{
    (void)backend, (void)payout_id, (void)out, (void)cap, (void)err;
    *count_out = 0;
    return PP_OK;
}

enum pp_status store_pg_notifications_due(void *backend, int64_t now_ms, struct pp_notify_due *out,
                                          size_t cap, size_t *count_out, int64_t *next_ms_out,
                                          struct pp_err *err)
{
    (void)backend, (void)now_ms, (void)out, (void)cap;
    *count_out = 0;
    *next_ms_out = INT64_MAX;
    return missing(err);
}

enum pp_status store_pg_notifications_record(void *backend, const struct pp_notify_result *results,
                                             size_t count, struct pp_err *err)
{
    (void)backend, (void)results, (void)count;
    return missing(err);
}
