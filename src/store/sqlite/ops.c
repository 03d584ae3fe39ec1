/*
** This module implements the SQLite backend's table of operations
** (store_sqlite_ops): each entry hands the store's opaque handle to the
** store_sqlite_* function that does the work. It holds no logic; the
** backend itself is the other modules of src/store/ (db.c, writer.c,
** reads.c ...).
*/
#include "store/sqlite/internal.h"
#include "store/sqlite/outbox.h"
#include "store/sqlite/users.h"

static enum pp_status op_open(const char *path, unsigned readers, void **backend_out,
                              struct pp_err *err)
{
    struct store_sqlite *st = NULL;
    enum pp_status status = store_sqlite_open(path, readers, &st, err);
    *backend_out = st;
    return status;
}

static void op_close(void *backend)
{
    store_sqlite_close(backend);
}

static enum pp_status op_payouts_create(void *backend, const struct store_write_ctx *w,
                                        struct store_payout_new *rows, size_t count,
                                        store_recipient_rule_fn rule, int check_only,
                                        const char *audit_action, const char *audit_detail,
                                        struct pp_err *err)
{
    return store_sqlite_payouts_create(backend, w, rows, count, rule, check_only, audit_action,
                                       audit_detail, err);
}

static enum pp_status op_payouts_change(void *backend, const struct store_write_ctx *w,
                                        enum store_payout_change change, const int64_t *ids,
                                        size_t count, int64_t *done_out, struct pp_err *err)
{
    return store_sqlite_payouts_change(backend, w, change, ids, count, done_out, err);
}

static enum pp_status op_payout_receive(void *backend, const struct store_write_ctx *w, int64_t id,
                                        const char *reference, store_amount_text_fn amount_text,
                                        struct pp_payout *out, struct pp_err *err)
{
    return store_sqlite_payout_receive(backend, w, id, reference, amount_text, out, err);
}

static enum pp_status op_funds_move(void *backend, const struct store_write_ctx *w,
                                    const struct pp_movement *m, const char *audit_action,
                                    const char *audit_detail, struct pp_balance *after_out,
                                    struct pp_err *err)
{
    return store_sqlite_funds_move(backend, w, m, audit_action, audit_detail, after_out, err);
}

static enum pp_status op_settings_put(void *backend, const struct store_write_ctx *w,
                                      const struct store_setting *kv, size_t count,
                                      const char *audit_action, const char *audit_detail,
                                      struct pp_err *err)
{
    return store_sqlite_settings_put(backend, w, kv, count, audit_action, audit_detail, err);
}

static enum pp_status op_admin_upsert(void *backend, const struct store_write_ctx *w,
                                      const char *email, const char *password_hash,
                                      int *created_out, int64_t *id_out, struct pp_err *err)
{
    return store_sqlite_admin_upsert(backend, w, email, password_hash, created_out, id_out, err);
}

static enum pp_status op_idem_answer_put(void *backend, const char *scope, const char *key,
                                         unsigned status, const char *content_type,
                                         const char *body, size_t body_len, struct pp_err *err)
{
    return store_sqlite_idem_answer_put(backend, scope, key, status, content_type, body, body_len,
                                        err);
}

static enum pp_status op_idem_purge(void *backend, int64_t before_ms, int64_t limit,
                                    int64_t *deleted_out, struct pp_err *err)
{
    return store_sqlite_idem_purge(backend, before_ms, limit, deleted_out, err);
}

static enum pp_status op_payouts_open_count(void *backend, struct pp_open_count *out, size_t cap,
                                            size_t *count_out, struct pp_err *err)
{
    return store_sqlite_payouts_open_count(backend, out, cap, count_out, err);
}

static enum pp_status op_audit_list(void *backend, const struct pp_audit_filter *f,
                                    struct pp_audit_entry *out, size_t cap, size_t *count_out,
                                    int64_t *total_out, struct pp_err *err)
{
    return store_sqlite_audit_list(backend, f, out, cap, count_out, total_out, err);
}

static enum pp_status op_idem_get(void *backend, const char *scope, const char *key,
                                  struct store_idem_row *out, int *found_out, struct pp_err *err)
{
    return store_sqlite_idem_get(backend, scope, key, out, found_out, err);
}

static enum pp_status op_payouts_ended_list(void *backend, int64_t now_ms, int64_t *ids_out,
                                            size_t cap, size_t *count_out, struct pp_err *err)
{
    return store_sqlite_payouts_ended_list(backend, now_ms, ids_out, cap, count_out, err);
}

static enum pp_status op_payouts_page(void *backend, const struct pp_payout_filter *f,
                                      const struct pp_page *page, pp_payout_fn fn, void *ctx,
                                      struct pp_page_info *info, struct pp_err *err)
{
    return store_sqlite_payouts_page(backend, f, page, fn, ctx, info, err);
}

static enum pp_status op_recipients_page(void *backend, const struct pp_recipient_filter *f,
                                         const struct pp_page *page, pp_recipient_fn fn, void *ctx,
                                         const struct pp_page_totals *totals,
                                         struct pp_page_info *info, struct pp_err *err)
{
    return store_sqlite_recipients_page(backend, f, page, fn, ctx, totals, info, err);
}

static enum pp_status op_projects_page(void *backend, const struct pp_project_filter *f,
                                       const struct pp_page *page, pp_project_fn fn, void *ctx,
                                       const struct pp_page_totals *totals,
                                       struct pp_page_info *info, struct pp_err *err)
{
    return store_sqlite_projects_page(backend, f, page, fn, ctx, totals, info, err);
}

static enum pp_status op_ledger_page(void *backend, const struct pp_ledger_filter *f,
                                     const struct pp_page *page, pp_ledger_fn fn, void *ctx,
                                     struct pp_page_info *info, struct pp_err *err)
{
    return store_sqlite_ledger_page(backend, f, page, fn, ctx, info, err);
}

static enum pp_status op_recipient_get(void *backend, int64_t id, struct pp_recipient *out,
                                       struct pp_err *err)
{
    return store_sqlite_recipient_get(backend, id, out, err);
}

static enum pp_status op_project_get(void *backend, int64_t id, struct pp_project *out,
                                     struct pp_err *err)
{
    return store_sqlite_project_get(backend, id, out, err);
}

static enum pp_status op_payout_totals(void *backend, enum pp_totals_of of, int64_t id,
                                       pp_total_fn fn, void *ctx, struct pp_err *err)
{
    return store_sqlite_payout_totals(backend, of, id, fn, ctx, err);
}

static enum pp_status op_report_payouts(void *backend, const struct pp_report_query *q,
                                        struct pp_report_group *out, size_t cap, size_t *count_out,
                                        struct pp_err *err)
{
    return store_sqlite_report_payouts(backend, q, out, cap, count_out, err);
}

static enum pp_status op_payout_get(void *backend, int64_t id, struct pp_payout *out,
                                    struct pp_err *err)
{
    return store_sqlite_payout_get(backend, id, out, err);
}

static enum pp_status op_balances_list(void *backend, struct pp_balance *out, size_t cap,
                                       size_t *count_out, struct pp_err *err)
{
    return store_sqlite_balances_list(backend, out, cap, count_out, err);
}

static enum pp_status op_settings_get(void *backend, struct store_setting_read *reads, size_t count,
                                      struct pp_err *err)
{
    return store_sqlite_settings_get(backend, reads, count, err);
}

static enum pp_status op_admin_find(void *backend, const char *email, struct pp_admin *out,
                                    int *found_out, struct pp_err *err)
{
    return store_sqlite_admin_find(backend, email, out, found_out, err);
}

static enum pp_status op_admin_get(void *backend, int64_t id, struct pp_admin *out,
                                   struct pp_err *err)
{
    return store_sqlite_admin_get(backend, id, out, err);
}

static enum pp_status op_admin_count(void *backend, int64_t *count_out, struct pp_err *err)
{
    return store_sqlite_admin_count(backend, count_out, err);
}

/* One server per SQLite file: nothing else writes it. */
static int op_shared(void *backend)
{
    (void)backend;
    return 0;
}

/* Shared counters and leases: none on SQLite (its one server counts in
** memory and needs no lease); core asks only when store_shared is 1. */
static enum pp_status op_counters_update(void *backend, const struct store_counter_call *calls,
                                         size_t n, struct pp_err *err)
{
    (void)backend, (void)calls, (void)n;
    return pp_err_set(err, PP_INTERNAL, "shared counters need a shared database");
}

static enum pp_status op_counters_purge(void *backend, int64_t idle_ms, int64_t limit,
                                        int64_t *deleted_out, struct pp_err *err)
{
    (void)backend, (void)idle_ms, (void)limit, (void)deleted_out;
    return pp_err_set(err, PP_INTERNAL, "shared counters need a shared database");
}

static enum pp_status op_lease_take(void *backend, const char *name, const char *holder,
                                    int64_t ttl_ms, int *held_out, struct pp_err *err)
{
    (void)backend, (void)name, (void)holder, (void)ttl_ms;
    *held_out = 0;
    return pp_err_set(err, PP_INTERNAL, "leases need a shared database");
}

static enum pp_status op_lease_release(void *backend, const char *name, const char *holder,
                                       struct pp_err *err)
{
    (void)backend, (void)name, (void)holder;
    return pp_err_set(err, PP_INTERNAL, "leases need a shared database");
}

static int op_ping(void *backend)
{
    return store_sqlite_ping(backend);
}

static enum pp_status op_check(void *backend, store_report_fn report, void *ctx, int *problems_out,
                               struct pp_err *err)
{
    return store_sqlite_check(backend, report, ctx, problems_out, err);
}

/* --- users and sessions ---------------------------------------------------- */

static enum pp_status op_user_get(void *backend, int64_t id, struct pp_user *out,
                                  struct pp_err *err)
{
    return store_sqlite_user_get(backend, id, out, err);
}

static enum pp_status op_user_find(void *backend, const char *email, struct pp_user *out,
                                   int *found_out, struct pp_err *err)
{
    return store_sqlite_user_find(backend, email, out, found_out, err);
}

static enum pp_status op_users_list(void *backend, struct pp_user *out, size_t cap,
                                    size_t *count_out, struct pp_err *err)
{
    return store_sqlite_users_list(backend, out, cap, count_out, err);
}

static enum pp_status op_session_find(void *backend, const char *id_hash,
                                      struct pp_session *session_out, struct pp_user *user_out,
                                      int *found_out, struct pp_err *err)
{
    return store_sqlite_session_find(backend, id_hash, session_out, user_out, found_out, err);
}

static enum pp_status op_user_create(void *backend, const struct store_write_ctx *w,
                                     const struct store_user_create *in, struct pp_user *out,
                                     int *created_out, struct pp_err *err)
{
    return store_sqlite_user_create(backend, w, in, out, created_out, err);
}

static enum pp_status op_user_update(void *backend, const struct store_write_ctx *w,
                                     const struct store_user_update *in, struct pp_user *out,
                                     struct pp_err *err)
{
    return store_sqlite_user_update(backend, w, in, out, err);
}

static enum pp_status op_user_password_set(void *backend, const struct store_write_ctx *w,
                                           const struct store_user_password *in,
                                           struct pp_user *out, struct pp_err *err)
{
    return store_sqlite_user_password_set(backend, w, in, out, err);
}

static enum pp_status op_user_two_factor(void *backend, const struct store_write_ctx *w,
                                         const struct store_user_two_factor *in,
                                         struct pp_user *out, struct pp_err *err)
{
    return store_sqlite_user_two_factor(backend, w, in, out, err);
}

static enum pp_status op_user_sign_in(void *backend, const struct store_write_ctx *w,
                                      const struct store_user_sign_in *in, struct pp_err *err)
{
    return store_sqlite_user_sign_in(backend, w, in, err);
}

static enum pp_status op_user_sign_in_failed(void *backend, const struct store_write_ctx *w,
                                             const struct store_sign_in_failure *in,
                                             struct pp_err *err)
{
    return store_sqlite_user_sign_in_failed(backend, w, in, err);
}

static enum pp_status op_session_touch(void *backend, const struct store_write_ctx *w,
                                       const char *id_hash, struct pp_err *err)
{
    return store_sqlite_session_touch(backend, w, id_hash, err);
}

static enum pp_status op_session_end(void *backend, const struct store_write_ctx *w,
                                     const char *id_hash, struct pp_err *err)
{
    return store_sqlite_session_end(backend, w, id_hash, err);
}

const struct store_backend_ops store_sqlite_ops = {
    .name = "sqlite",
    .open = op_open,
    .close = op_close,
    .migrate = store_sqlite_migrate,
    .schema_version_latest = store_sqlite_schema_version_latest,
    .payouts_create = op_payouts_create,
    .payouts_change = op_payouts_change,
    .payout_receive = op_payout_receive,
    .funds_move = op_funds_move,
    .settings_put = op_settings_put,
    .admin_upsert = op_admin_upsert,
    .idem_answer_put = op_idem_answer_put,
    .idem_purge = op_idem_purge,
    .audit_list = op_audit_list,
    .idem_get = op_idem_get,
    .payouts_ended_list = op_payouts_ended_list,
    .payouts_open_count = op_payouts_open_count,
    .payouts_page = op_payouts_page,
    .recipients_page = op_recipients_page,
    .projects_page = op_projects_page,
    .ledger_page = op_ledger_page,
    .recipient_get = op_recipient_get,
    .project_get = op_project_get,
    .payout_totals = op_payout_totals,
    .report_payouts = op_report_payouts,
    .payout_get = op_payout_get,
    .payout_get_noted = store_sqlite_payout_get_noted,
    .balances_list = op_balances_list,
    .settings_get = op_settings_get,
    .admin_find = op_admin_find,
    .admin_get = op_admin_get,
    .admin_count = op_admin_count,
    .ping = op_ping,
    .shared = op_shared,
    .counters_update = op_counters_update,
    .counters_purge = op_counters_purge,
    .lease_take = op_lease_take,
    .lease_release = op_lease_release,
    .check = op_check,
    /* events and webhooks (events.c, webhooks.c, deliveries.c) */
    .outbox_configure = store_sqlite_outbox_configure,
    .events_page = store_sqlite_events_page,
    .event_get = store_sqlite_event_get,
    .webhook_create = store_sqlite_webhook_create,
    .webhook_update = store_sqlite_webhook_update,
    .webhook_delete = store_sqlite_webhook_delete,
    .webhook_rotate = store_sqlite_webhook_rotate,
    .webhook_test = store_sqlite_webhook_test,
    .webhook_replay = store_sqlite_webhook_replay,
    .webhooks_list = store_sqlite_webhooks_list,
    .webhook_get = store_sqlite_webhook_get,
    .webhook_attempts_list = store_sqlite_webhook_attempts_list,
    .webhook_due_list = store_sqlite_webhook_due_list,
    .outbox_counts = store_sqlite_outbox_counts,
    .webhook_results_record = store_sqlite_webhook_results_record,
    .notifications_of_payouts = store_sqlite_notifications_of_payouts,
    .notifications_due = store_sqlite_notifications_due,
    .notifications_record = store_sqlite_notifications_record,
    /* users and sessions */
    .user_get = op_user_get,
    .user_find = op_user_find,
    .users_list = op_users_list,
    .session_find = op_session_find,
    .user_create = op_user_create,
    .user_update = op_user_update,
    .user_password_set = op_user_password_set,
    .user_two_factor = op_user_two_factor,
    .user_sign_in = op_user_sign_in,
    .user_sign_in_failed = op_user_sign_in_failed,
    .session_touch = op_session_touch,
    .session_end = op_session_end,
};
