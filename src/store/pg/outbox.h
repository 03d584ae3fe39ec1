/*
** This private header declares the PostgreSQL backend's outbox: the
** appends a write operation makes inside its transaction (the event of a
** payout or funds change, with its deliveries and a due notification),
** and the backend's entries for the outbox operations of
** payout/store/events.h (outbox.c: refusals until that backend keeps
** events and webhooks).
*/
#ifndef PAYOUT_STORE_PG_OUTBOX_H
#define PAYOUT_STORE_PG_OUTBOX_H

#include "payout/model.h"
#include "payout/store/events.h"

struct pg_tx;

/* --- Appends, inside a write operation ------------------------------------ */

/* Appends the event `type` (a payout.* type) of payout p as it stands
** after the change, the deliveries of the endpoints subscribed to it and,
** when one is due, the recipient's notification (the rules at the end of
** payout/store/events.h). */
enum pp_status store_pg_event_payout(struct pg_tx *tx, enum pp_event_type type,
                                     const struct pp_payout *p, int64_t now_ms, struct pp_err *err);

/* Appends the event `type` (funds.deposited or funds.withdrawn) of an
** admin's move of amount_minor in currency (reference NULL or "" for
** none; after = the balance after the move) and its deliveries. */
enum pp_status store_pg_event_funds(struct pg_tx *tx, enum pp_event_type type, const char *currency,
                                    int64_t amount_minor, const char *reference,
                                    const struct pp_balance *after, int64_t now_ms,
                                    struct pp_err *err);

/* --- The operations of payout/store/events.h ------------------------------ */

void store_pg_outbox_configure(void *backend, store_outbox_wake_fn fn, void *ctx, int mail);
enum pp_status store_pg_events_page(void *backend, const struct pp_event_filter *f, pp_event_fn fn,
                                    void *ctx, struct pp_err *err);
enum pp_status store_pg_event_get(void *backend, int64_t id, struct pp_event *out,
                                  struct pp_err *err);
enum pp_status store_pg_webhook_create(void *backend, const struct store_write_ctx *w,
                                       const struct store_webhook_create *in,
                                       struct pp_webhook *out, struct pp_err *err);
enum pp_status store_pg_webhook_update(void *backend, const struct store_write_ctx *w,
                                       const struct store_webhook_update *in,
                                       struct pp_webhook *out, struct pp_err *err);
enum pp_status store_pg_webhook_delete(void *backend, const struct store_write_ctx *w, int64_t id,
                                       struct pp_err *err);
enum pp_status store_pg_webhook_rotate(void *backend, const struct store_write_ctx *w, int64_t id,
                                       const char *new_sealed, int64_t old_until_ms,
                                       struct pp_webhook *out, struct pp_err *err);
enum pp_status store_pg_webhook_test(void *backend, const struct store_write_ctx *w, int64_t id,
                                     int64_t *event_id_out, struct pp_err *err);
enum pp_status store_pg_webhook_replay(void *backend, const struct store_write_ctx *w,
                                       const struct store_webhook_replay *in, int64_t *queued_out,
                                       struct pp_err *err);
enum pp_status store_pg_webhooks_list(void *backend, struct pp_webhook *out, size_t cap,
                                      size_t *count_out, struct pp_err *err);
enum pp_status store_pg_webhook_get(void *backend, int64_t id, struct pp_webhook *out,
                                    struct pp_err *err);
enum pp_status store_pg_webhook_attempts_list(void *backend, int64_t id,
                                              struct pp_webhook_attempt *out, size_t cap,
                                              size_t *count_out, struct pp_err *err);
enum pp_status store_pg_webhook_due_list(void *backend, int64_t now_ms, const int64_t *skip,
                                         size_t skip_count, struct pp_webhook_due *out, size_t cap,
                                         size_t *count_out, int64_t *next_ms_out,
                                         struct pp_err *err);
enum pp_status store_pg_webhook_results_record(void *backend, const struct store_write_ctx *w,
                                               const struct pp_webhook_result *results,
                                               size_t count, struct pp_err *err);
enum pp_status store_pg_notifications_of_payout(void *backend, int64_t payout_id,
                                                struct pp_notification *out, size_t cap,
                                                size_t *count_out, struct pp_err *err);
enum pp_status store_pg_notifications_due(void *backend, int64_t now_ms, struct pp_notify_due *out,
                                          size_t cap, size_t *count_out, int64_t *next_ms_out,
                                          struct pp_err *err);
enum pp_status store_pg_notifications_record(void *backend, const struct pp_notify_result *results,
                                             size_t count, struct pp_err *err);

#endif /* PAYOUT_STORE_PG_OUTBOX_H */
