/*
** This private header declares the PostgreSQL backend's part of spec
** section 9: the appends the write operations make inside their
** transaction (events.c), the backend's operations of
** payout/store/events.h (events.c, webhooks.c, deliveries.c), and the
** outbox's shared pieces (outbox.c): the wake-up, the read helper and the
** database clock.
*/
#ifndef PAYOUT_STORE_PG_OUTBOX_H
#define PAYOUT_STORE_PG_OUTBOX_H

#include "payout/model.h"
#include "payout/store/events.h"
#include "store/pg/internal.h"

struct pg_tx;

/* --- Appends, inside a write operation ------------------------------------ */

/* Appends the event `type` (a payout.* type) of payout p as it stands
** after the change, the deliveries of the endpoints subscribed to it and,
** when one is due, the recipient's notification (the rules at the end of
** payout/store/events.h). events.c: sequence = 1 + the payout's earlier
** events, unique and gap-free because every batch holds the writer's lock
** row (writer.c) and the change has locked the payout's row. */
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
enum pp_status store_pg_notifications_of_payouts(void *backend, const int64_t *payout_ids,
                                                 size_t id_count, struct pp_notification *out,
                                                 size_t cap, size_t *count_out, struct pp_err *err);
enum pp_status store_pg_notifications_due(void *backend, int64_t now_ms, struct pp_notify_due *out,
                                          size_t cap, size_t *count_out, int64_t *next_ms_out,
                                          struct pp_err *err);
enum pp_status store_pg_notifications_record(void *backend, const struct pp_notify_result *results,
                                             size_t count, struct pp_err *err);

/* --- Shared pieces (outbox.c) --------------------------------------------- */

/* Milliseconds since the Unix epoch on the database's clock at the start
** of the statement: what every node compares a delivery's or a
** notification's next_ms with, whatever its own clock says. */
#define PG_OUTBOX_NOW_MS "(extract(epoch FROM statement_timestamp()) * 1000)::bigint"

/* PG_PAYOUT_COLUMNS of the payouts table named p, in the order
** store_pg_payout_read expects (21 columns). */
#define PG_OUTBOX_PAYOUT_COLUMNS_P                                                                 \
    "p.id, p.project_id, p.recipient_id, p.currency, p.amount_minor, p.start_ms, p.end_ms,"        \
    " p.description, p.notification, p.status, p.created_ms, p.updated_ms, p.uuid, p.metadata,"    \
    " p.authorized_ms, p.received_ms, p.cancelled_ms, p.expired_ms, p.reference,"                  \
    " p.created_by_user, p.authorized_by_user"
#define PG_OUTBOX_PAYOUT_COLUMN_COUNT 21

/* On the writer thread, inside a batch: the batch added pending
** deliveries and/or pending notifications. Wakes the workers, which first
** wait for that batch to end (store_pg_outbox_sync) before they look. */
void store_pg_outbox_added(struct store_pg *st, int deliveries, int notifications);

/* After a commit of this node's own outbox write (test, replay, results):
** wakes the workers. */
void store_pg_outbox_wake(struct store_pg *st);

/* Called by a worker before it reads what is due: when *added says a
** batch added work since the last look, clears it and waits until the
** writer has finished that batch (its rows are then committed, or gone). */
enum pp_status store_pg_outbox_sync(struct store_pg *st, atomic_int *added, struct pp_err *err);

/* Runs fixed statement id with p on a pooled read connection; *res is the
** caller's to PQclear. */
enum pp_status store_pg_outbox_read(struct store_pg *st, enum pg_stmt id, const struct pg_params *p,
                                    PGresult **res, const char *what, struct pp_err *err);

/* Writes fn through the writer, with w's Idempotency-Key row recorded in
** the same savepoint after it when w has one. */
enum pp_status store_pg_outbox_write(struct store_pg *st, const struct store_write_ctx *w,
                                     store_pg_write_fn fn, void *arg, struct pp_err *err);

/* Appends the audit entry `action` of endpoint id ("webhook:<id>"). */
enum pp_status store_pg_outbox_audit(struct pg_tx *tx, const struct pp_actor *actor, int64_t at_ms,
                                     const char *action, int64_t id, const char *detail,
                                     struct pp_err *err);

/* Reads an event row of PG_EVENT_COLUMNS at row `row` of r (events.c). */
int store_pg_event_read(const PGresult *r, int row, struct pp_event *out);

/* Reads the notification columns (id, payout_id, kind, status, attempts,
** at_ms, last_error) of row `row` of r from column first (events.c). */
int store_pg_notification_read(const PGresult *r, int row, int first, struct pp_notification *n);

#endif /* PAYOUT_STORE_PG_OUTBOX_H */
