/*
** This private header declares the SQLite backend's part of spec section
** 9 (events.c: the outbox appends, the feed and notifications;
** webhooks.c: endpoints, deliveries and attempts). The append helpers run
** inside a write operation's transaction; the rest are the backend's
** operations of payout/store/events.h, with the backend handle as void *
** so that ops.c can take them as they are.
*/
#ifndef PAYOUT_STORE_SQLITE_OUTBOX_H
#define PAYOUT_STORE_SQLITE_OUTBOX_H

#include "store/sqlite/internal.h"

/* --- Appends, inside a write operation (events.c) ------------------------ */

/* Appends the event `type` (a payout.* type) of payout p as it stands
** after the change (p->id, status, currency and notification are read),
** the deliveries of the endpoints subscribed to it and, when one is due,
** the recipient's notification (see the rules at the end of
** payout/store/events.h). */
enum pp_status store_sqlite_event_payout(struct store_sqlite_tx *tx, enum pp_event_type type,
                                         const struct pp_payout *p, int64_t now_ms,
                                         struct pp_err *err);

/* Appends the event `type` (funds.deposited or funds.withdrawn) of an
** admin's move of amount_minor in currency (reference NULL or "" for
** none; after = the balance after the move) and its deliveries. */
enum pp_status store_sqlite_event_funds(struct store_sqlite_tx *tx, enum pp_event_type type,
                                        const char *currency, int64_t amount_minor,
                                        const char *reference, const struct pp_balance *after,
                                        int64_t now_ms, struct pp_err *err);

/* One event row to insert; zero, NULL or "" fields are stored NULL. */
struct store_sqlite_event_row {
    enum pp_event_type type;
    int64_t payout_id;
    const char *currency;
    int64_t sequence;
    int64_t created_ms;
    int status;
    int64_t endpoint_id;
    int64_t amount_minor;
    const char *reference;
    const struct pp_balance *balance; /* funds events: the balance after */
};

/* Inserts row and returns its id; used by the two above and by the
** webhook test. */
enum pp_status store_sqlite_event_insert(struct store_conn *c,
                                         const struct store_sqlite_event_row *row, int64_t *id_out,
                                         struct pp_err *err);

/* Marks the open batch as having added outbox work (the writer wakes the
** workers after its commit). */
void store_sqlite_outbox_touch(struct store_sqlite_tx *tx);

/* Reads an event row of the EVENT columns (events.c) at q's current row. */
int store_sqlite_event_read_row(struct store_q *q, struct pp_event *out);

/* --- Operations (events.c) ------------------------------------------------ */

/* The SQL of a replay's count (count 1: it stops one past the most a
** replay queues, bound as ?7) or of its insert, after an event (after 1)
** or within a time window, and its statement slot. */
const char *store_sqlite_webhook_replay_sql(int after, int count, enum store_stmt *slot_out);

/* The SQL of the feed's page for f and its statement slot: by the payout
** when f names one, else by the type when f names one, else by id. */
const char *store_sqlite_events_page_sql(const struct pp_event_filter *f,
                                         enum store_stmt *slot_out);

void store_sqlite_outbox_configure(void *backend, store_outbox_wake_fn fn, void *ctx, int mail);
enum pp_status store_sqlite_events_page(void *backend, const struct pp_event_filter *f,
                                        pp_event_fn fn, void *ctx, struct pp_err *err);
enum pp_status store_sqlite_event_get(void *backend, int64_t id, struct pp_event *out,
                                      struct pp_err *err);
enum pp_status store_sqlite_payout_get_noted(void *backend, int64_t id, struct pp_payout *out,
                                             struct pp_notification *notes, size_t cap,
                                             size_t *count_out, struct pp_err *err);
enum pp_status store_sqlite_notifications_of_payouts(void *backend, const int64_t *payout_ids,
                                                     size_t id_count, struct pp_notification *out,
                                                     size_t cap, size_t *count_out,
                                                     struct pp_err *err);
enum pp_status store_sqlite_notifications_due(void *backend, int64_t now_ms,
                                              struct pp_notify_due *out, size_t cap,
                                              size_t *count_out, int64_t *next_ms_out,
                                              struct pp_err *err);
enum pp_status store_sqlite_notifications_record(void *backend,
                                                 const struct pp_notify_result *results,
                                                 size_t count, struct pp_err *err);

/* --- Operations (webhooks.c) ---------------------------------------------- */

enum pp_status store_sqlite_webhook_create(void *backend, const struct store_write_ctx *w,
                                           const struct store_webhook_create *in,
                                           struct pp_webhook *out, struct pp_err *err);
enum pp_status store_sqlite_webhook_update(void *backend, const struct store_write_ctx *w,
                                           const struct store_webhook_update *in,
                                           struct pp_webhook *out, struct pp_err *err);
enum pp_status store_sqlite_webhook_delete(void *backend, const struct store_write_ctx *w,
                                           int64_t id, struct pp_err *err);
enum pp_status store_sqlite_webhook_rotate(void *backend, const struct store_write_ctx *w,
                                           int64_t id, const char *new_sealed, int64_t old_until_ms,
                                           struct pp_webhook *out, struct pp_err *err);
enum pp_status store_sqlite_webhook_test(void *backend, const struct store_write_ctx *w, int64_t id,
                                         int64_t *event_id_out, struct pp_err *err);
enum pp_status store_sqlite_webhook_replay(void *backend, const struct store_write_ctx *w,
                                           const struct store_webhook_replay *in,
                                           int64_t *queued_out, struct pp_err *err);
enum pp_status store_sqlite_webhooks_list(void *backend, struct pp_webhook *out, size_t cap,
                                          size_t *count_out, struct pp_err *err);
enum pp_status store_sqlite_webhook_get(void *backend, int64_t id, struct pp_webhook *out,
                                        struct pp_err *err);
enum pp_status store_sqlite_webhook_attempts_list(void *backend, int64_t id,
                                                  struct pp_webhook_attempt *out, size_t cap,
                                                  size_t *count_out, struct pp_err *err);
enum pp_status store_sqlite_outbox_counts(void *backend, struct pp_outbox_counts *out,
                                          struct pp_err *err);
enum pp_status store_sqlite_webhook_due_list(void *backend, int64_t now_ms, const int64_t *skip,
                                             size_t skip_count, struct pp_webhook_due *out,
                                             size_t cap, size_t *count_out, int64_t *next_ms_out,
                                             struct pp_err *err);
enum pp_status store_sqlite_webhook_results_record(void *backend, const struct store_write_ctx *w,
                                                   const struct pp_webhook_result *results,
                                                   size_t count, struct pp_err *err);

#endif /* PAYOUT_STORE_SQLITE_OUTBOX_H */
