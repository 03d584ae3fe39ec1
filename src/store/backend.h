/*
** This private header is the store's backend interface: the table of
** operations a storage backend implements (struct store_backend_ops), and
** the two handles the public functions of the payout/store/ headers dispatch
** through. store.c picks the backend when a database is opened, by its
** URL; SQLite (src/store/sqlite/ops.c and the store_sqlite_* modules) is the one
** built in. A second backend (PostgreSQL: docs/architecture.md) fills
** the same table and changes nothing above the store.
**
** Contract of every operation: that of the public function of the same
** name (store_<op>), with the backend's own handle in place of struct
** store. Each write is a whole domain operation handed over as data; the
** backend queues it for its writer, which runs what is waiting as one
** transaction (group commit), undoes a failing operation alone, and wakes
** each caller once the commit is durable. SQLite runs the batch's
** operations one after another on its writer thread; PostgreSQL may send
** them in one pipeline (docs/architecture.md).
*/
#ifndef PAYOUT_STORE_BACKEND_H
#define PAYOUT_STORE_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "payout/store/audit.h"
#include "payout/store/events.h"
#include "payout/store/idempotency.h"
#include "payout/store/lifecycle.h"
#include "payout/store/reads.h"
#include "payout/store/reports.h"

struct store;
/* users and sessions (payout/store/users.h): declared, not included, so
** that src/store/users.c, which dispatches them, and this header do not
** include each other. */
struct pp_user;
struct pp_session;
struct store_write_ctx;
struct store_user_create;
struct store_user_update;
struct store_user_password;
struct store_user_two_factor;
struct store_user_sign_in;
struct store_sign_in_failure;
struct store_counter_call;

struct store_backend_ops {
    const char *name; /* "sqlite" */
    /* Lifecycle: open (path or URL without the scheme), close, migrate,
    ** the newest schema version this backend knows. */
    enum pp_status (*open)(const char *path, unsigned readers, void **backend_out,
                           struct pp_err *err);
    void (*close)(void *backend);
    enum pp_status (*migrate)(const char *path, int *applied_out, struct pp_err *err);
    int (*schema_version_latest)(void);
    /* Every other operation, named after its public function.*/
    /* Writes: the domain operations of payout/store/store.h. */
    enum pp_status (*payouts_create)(void *backend, const struct store_write_ctx *w,
                                     struct store_payout_new *rows, size_t count,
                                     store_recipient_rule_fn rule, int check_only,
                                     const char *audit_action, const char *audit_detail,
                                     struct pp_err *err);
    enum pp_status (*payouts_change)(void *backend, const struct store_write_ctx *w,
                                     enum store_payout_change change, const int64_t *ids,
                                     size_t count, int64_t *done_out, struct pp_err *err);
    enum pp_status (*payout_receive)(void *backend, const struct store_write_ctx *w, int64_t id,
                                     const char *reference, store_amount_text_fn amount_text,
                                     struct pp_payout *out, struct pp_err *err);
    enum pp_status (*funds_move)(void *backend, const struct store_write_ctx *w,
                                 const struct pp_movement *m, const char *audit_action,
                                 const char *audit_detail, struct pp_balance *after_out,
                                 struct pp_err *err);
    enum pp_status (*settings_put)(void *backend, const struct store_write_ctx *w,
                                   const struct store_setting *kv, size_t count,
                                   const char *audit_action, const char *audit_detail,
                                   struct pp_err *err);
    enum pp_status (*admin_upsert)(void *backend, const struct store_write_ctx *w,
                                   const char *email, const char *password_hash, int *created_out,
                                   int64_t *id_out, struct pp_err *err);
    enum pp_status (*idem_answer_put)(void *backend, const char *scope, const char *key,
                                      unsigned status, const char *content_type, const char *body,
                                      size_t body_len, struct pp_err *err);
    enum pp_status (*idem_purge)(void *backend, int64_t before_ms, int64_t limit,
                                 int64_t *deleted_out, struct pp_err *err);
    /* Reads. */
    enum pp_status (*audit_list)(void *backend, const struct pp_audit_filter *f,
                                 struct pp_audit_entry *out, size_t cap, size_t *count_out,
                                 int64_t *total_out, struct pp_err *err);
    enum pp_status (*idem_get)(void *backend, const char *scope, const char *key,
                               struct store_idem_row *out, int *found_out, struct pp_err *err);
    enum pp_status (*payouts_ended_list)(void *backend, int64_t now_ms, int64_t *ids_out,
                                         size_t cap, size_t *count_out, struct pp_err *err);
    enum pp_status (*payouts_open_count)(void *backend, struct pp_open_count *out, size_t cap,
                                         size_t *count_out, struct pp_err *err);
    enum pp_status (*payouts_page)(void *backend, const struct pp_payout_filter *f,
                                   const struct pp_page *page, pp_payout_fn fn, void *ctx,
                                   struct pp_page_info *info, struct pp_err *err);
    enum pp_status (*recipients_page)(void *backend, const struct pp_recipient_filter *f,
                                      const struct pp_page *page, pp_recipient_fn fn, void *ctx,
                                      const struct pp_page_totals *totals,
                                      struct pp_page_info *info, struct pp_err *err);
    enum pp_status (*projects_page)(void *backend, const struct pp_project_filter *f,
                                    const struct pp_page *page, pp_project_fn fn, void *ctx,
                                    const struct pp_page_totals *totals, struct pp_page_info *info,
                                    struct pp_err *err);
    enum pp_status (*ledger_page)(void *backend, const struct pp_ledger_filter *f,
                                  const struct pp_page *page, pp_ledger_fn fn, void *ctx,
                                  struct pp_page_info *info, struct pp_err *err);
    enum pp_status (*recipient_get)(void *backend, int64_t id, struct pp_recipient *out,
                                    struct pp_err *err);
    enum pp_status (*project_get)(void *backend, int64_t id, struct pp_project *out,
                                  struct pp_err *err);
    enum pp_status (*payout_totals)(void *backend, enum pp_totals_of of, int64_t id, pp_total_fn fn,
                                    void *ctx, struct pp_err *err);
    enum pp_status (*report_payouts)(void *backend, const struct pp_report_query *q,
                                     struct pp_report_group *out, size_t cap, size_t *count_out,
                                     struct pp_err *err);
    enum pp_status (*payout_get)(void *backend, int64_t id, struct pp_payout *out,
                                 struct pp_err *err);
    enum pp_status (*payout_get_noted)(void *backend, int64_t id, struct pp_payout *out,
                                       struct pp_notification *notes, size_t cap, size_t *count_out,
                                       struct pp_err *err);
    enum pp_status (*balances_list)(void *backend, struct pp_balance *out, size_t cap,
                                    size_t *count_out, struct pp_err *err);
    enum pp_status (*settings_get)(void *backend, struct store_setting_read *reads, size_t count,
                                   struct pp_err *err);
    enum pp_status (*admin_find)(void *backend, const char *email, struct pp_admin *out,
                                 int *found_out, struct pp_err *err);
    enum pp_status (*admin_get)(void *backend, int64_t id, struct pp_admin *out,
                                struct pp_err *err);
    enum pp_status (*admin_count)(void *backend, int64_t *count_out, struct pp_err *err);
    int (*ping)(void *backend);
    int (*shared)(void *backend);
    /* Shared counters and leases (payout/store/cluster.h): where shared
    ** is 0 they answer PP_INTERNAL. */
    enum pp_status (*counters_update)(void *backend, const struct store_counter_call *calls,
                                      size_t n, struct pp_err *err);
    enum pp_status (*counters_purge)(void *backend, int64_t idle_ms, int64_t limit,
                                     int64_t *deleted_out, struct pp_err *err);
    enum pp_status (*lease_take)(void *backend, const char *name, const char *holder,
                                 int64_t ttl_ms, int *held_out, struct pp_err *err);
    enum pp_status (*lease_release)(void *backend, const char *name, const char *holder,
                                    struct pp_err *err);
    enum pp_status (*check)(void *backend, void (*report)(void *ctx, const char *line), void *ctx,
                            int *problems_out, struct pp_err *err);
    /* events and webhooks (payout/store/events.h) */
    void (*outbox_configure)(void *backend, store_outbox_wake_fn fn, void *ctx, int mail);
    enum pp_status (*events_page)(void *backend, const struct pp_event_filter *f, pp_event_fn fn,
                                  void *ctx, struct pp_err *err);
    enum pp_status (*event_get)(void *backend, int64_t id, struct pp_event *out,
                                struct pp_err *err);
    enum pp_status (*webhook_create)(void *backend, const struct store_write_ctx *w,
                                     const struct store_webhook_create *in, struct pp_webhook *out,
                                     struct pp_err *err);
    enum pp_status (*webhook_update)(void *backend, const struct store_write_ctx *w,
                                     const struct store_webhook_update *in, struct pp_webhook *out,
                                     struct pp_err *err);
    enum pp_status (*webhook_delete)(void *backend, const struct store_write_ctx *w, int64_t id,
                                     struct pp_err *err);
    enum pp_status (*webhook_rotate)(void *backend, const struct store_write_ctx *w, int64_t id,
                                     const char *new_sealed, int64_t old_until_ms,
                                     struct pp_webhook *out, struct pp_err *err);
    enum pp_status (*webhook_test)(void *backend, const struct store_write_ctx *w, int64_t id,
                                   int64_t *event_id_out, struct pp_err *err);
    enum pp_status (*webhook_replay)(void *backend, const struct store_write_ctx *w,
                                     const struct store_webhook_replay *in, int64_t *queued_out,
                                     struct pp_err *err);
    enum pp_status (*webhooks_list)(void *backend, struct pp_webhook *out, size_t cap,
                                    size_t *count_out, struct pp_err *err);
    enum pp_status (*webhook_get)(void *backend, int64_t id, struct pp_webhook *out,
                                  struct pp_err *err);
    enum pp_status (*webhook_attempts_list)(void *backend, int64_t id,
                                            struct pp_webhook_attempt *out, size_t cap,
                                            size_t *count_out, struct pp_err *err);
    enum pp_status (*webhook_due_list)(void *backend, int64_t now_ms, const int64_t *skip,
                                       size_t skip_count, struct pp_webhook_due *out, size_t cap,
                                       size_t *count_out, int64_t *next_ms_out, struct pp_err *err);
    enum pp_status (*webhook_results_record)(void *backend, const struct store_write_ctx *w,
                                             const struct pp_webhook_result *results, size_t count,
                                             struct pp_err *err);
    enum pp_status (*notifications_of_payouts)(void *backend, const int64_t *payout_ids,
                                               size_t id_count, struct pp_notification *out,
                                               size_t cap, size_t *count_out, struct pp_err *err);
    enum pp_status (*notifications_due)(void *backend, int64_t now_ms, struct pp_notify_due *out,
                                        size_t cap, size_t *count_out, int64_t *next_ms_out,
                                        struct pp_err *err);
    enum pp_status (*notifications_record)(void *backend, const struct pp_notify_result *results,
                                           size_t count, struct pp_err *err);
    enum pp_status (*outbox_counts)(void *backend, struct pp_outbox_counts *out,
                                    struct pp_err *err);
    /* users and sessions (payout/store/users.h) */
    enum pp_status (*user_get)(void *backend, int64_t id, struct pp_user *out, struct pp_err *err);
    enum pp_status (*user_find)(void *backend, const char *email, struct pp_user *out,
                                int *found_out, struct pp_err *err);
    enum pp_status (*users_list)(void *backend, struct pp_user *out, size_t cap, size_t *count_out,
                                 struct pp_err *err);
    enum pp_status (*session_find)(void *backend, const char *id_hash,
                                   struct pp_session *session_out, struct pp_user *user_out,
                                   int *found_out, struct pp_err *err);
    enum pp_status (*user_create)(void *backend, const struct store_write_ctx *w,
                                  const struct store_user_create *in, struct pp_user *out,
                                  int *created_out, struct pp_err *err);
    enum pp_status (*user_update)(void *backend, const struct store_write_ctx *w,
                                  const struct store_user_update *in, struct pp_user *out,
                                  struct pp_err *err);
    enum pp_status (*user_password_set)(void *backend, const struct store_write_ctx *w,
                                        const struct store_user_password *in, struct pp_user *out,
                                        struct pp_err *err);
    enum pp_status (*user_two_factor)(void *backend, const struct store_write_ctx *w,
                                      const struct store_user_two_factor *in, struct pp_user *out,
                                      struct pp_err *err);
    enum pp_status (*user_sign_in)(void *backend, const struct store_write_ctx *w,
                                   const struct store_user_sign_in *in, struct pp_err *err);
    enum pp_status (*user_sign_in_failed)(void *backend, const struct store_write_ctx *w,
                                          const struct store_sign_in_failure *in,
                                          struct pp_err *err);
    enum pp_status (*session_touch)(void *backend, const struct store_write_ctx *w,
                                    const char *id_hash, struct pp_err *err);
    enum pp_status (*session_end)(void *backend, const struct store_write_ctx *w,
                                  const char *id_hash, struct pp_err *err);
};

/* An open store: the backend's operations and its own handle. */
struct store {
    const struct store_backend_ops *ops;
    void *backend;
};

/* The SQLite backend (sqlite/ops.c). */
extern const struct store_backend_ops store_sqlite_ops;
/* The PostgreSQL backend (pg/ops.c). */
extern const struct store_backend_ops store_pg_ops;

/* For the backends' writers: the guard (payout/store/store.h). The calling
** thread's guard its next write must pass, or NULL (none, or one that
** already held). */
struct store_write_guard *store_write_guard_pending(void);

/* Asks g with reads[0..g->count), its keys' stored values as read in the
** write's batch (reads[i].found 0: not stored). 1 when it holds (outcome
** HELD); 0 when it refuses (outcome REFUSED, err PP_UNAUTHORIZED). */
int store_write_guard_apply(struct store_write_guard *g, const struct store_setting_read *reads,
                            struct pp_err *err);

/* The rows of the payout create the calling thread is about to write
** (compose.c names them around the write), so that a writer may read
** their recipients ahead, in the round trip that opens its batch (the
** PostgreSQL writer does). Borrowed: they live until the write returns. */
struct store_write_recipients {
    const struct store_payout_new *rows;
    size_t count;
};
/* r NULL: none. */
void store_write_recipients_set(const struct store_write_recipients *r);
/* The calling thread's, or NULL. */
const struct store_write_recipients *store_write_recipients_pending(void);

#endif /* PAYOUT_STORE_BACKEND_H */
