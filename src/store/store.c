/*
** This module implements the store's public face (the payout/store/ headers) over
** its backends: opening picks the backend by the database URL, and every
** other public function hands its call to the open store's (or the
** transaction's) backend. A path, or a "sqlite:" URL, is SQLite; a
** "postgres://" or "postgresql://" URL is PostgreSQL (src/store/pg/). It
** holds no SQL and no logic of any operation.
*/
#include "payout/store/store.h"
#include "payout/store/cluster.h"

#include <stdlib.h>
#include <string.h>

#include "payout/base/assert.h"
#include "payout/base/fiber.h"
#include "store/backend.h"

#define SQLITE_SCHEME "sqlite:"

/* The backend of url (*ops_out) and the path it is given (an SQLite path
** without its scheme, or the whole PostgreSQL URL). */
static enum pp_status backend_for(const char *url, const struct store_backend_ops **ops_out,
                                  const char **path_out, struct pp_err *err)
{
    static const char *const postgres[] = {"postgres://", "postgresql://"};
    for (size_t i = 0; i < sizeof postgres / sizeof postgres[0]; i++) {
        if (strncmp(url, postgres[i], strlen(postgres[i])) == 0) {
            /* libpq takes the whole URL. */
            *path_out = url;
            *ops_out = &store_pg_ops;
            return PP_OK;
        }
    }
    (void)err;
    *path_out = url;
    if (strncmp(url, SQLITE_SCHEME, strlen(SQLITE_SCHEME)) == 0) {
        *path_out = url + strlen(SQLITE_SCHEME);
    }
    *ops_out = &store_sqlite_ops;
    return PP_OK;
}

static void store_fiber_locals_register(void);

enum pp_status store_open(const char *path, unsigned readers, struct store **out,
                          struct pp_err *err)
{
    PP_ASSERT(path != NULL && out != NULL);
    *out = NULL;
    store_fiber_locals_register();
    const char *backend_path = NULL;
    const struct store_backend_ops *ops = NULL;
    void *backend = NULL;
    enum pp_status status = backend_for(path, &ops, &backend_path, err);
    if (status == PP_OK) {
        status = ops->open(backend_path, readers, &backend, err);
    }
    if (status == PP_OK) {
        struct store *st = pp_check_alloc(calloc(1, sizeof *st));
        st->ops = ops;
        st->backend = backend;
        *out = st;
    }
    return status;
}

void store_close(struct store *st)
{
    if (st == NULL) {
        return;
    }
    st->ops->close(st->backend);
    free(st);
}

enum pp_status store_migrate(const char *path, int *applied_out, struct pp_err *err)
{
    PP_ASSERT(path != NULL);
    const char *backend_path = NULL;
    const struct store_backend_ops *ops = NULL;
    enum pp_status status = backend_for(path, &ops, &backend_path, err);
    if (status == PP_OK) {
        status = ops->migrate(backend_path, applied_out, err);
    }
    return status;
}

int store_schema_version_latest(void)
{
    return store_sqlite_ops.schema_version_latest();
}

enum pp_status store_payouts_create(struct store *st, const struct store_write_ctx *w,
                                    struct store_payout_new *rows, size_t count,
                                    store_recipient_rule_fn rule, int check_only,
                                    const char *audit_action, const char *audit_detail,
                                    struct pp_err *err)
{
    return st->ops->payouts_create(st->backend, w, rows, count, rule, check_only, audit_action,
                                   audit_detail, err);
}

enum pp_status store_payouts_change(struct store *st, const struct store_write_ctx *w,
                                    enum store_payout_change change, const int64_t *ids,
                                    size_t count, int64_t *done_out, struct pp_err *err)
{
    return st->ops->payouts_change(st->backend, w, change, ids, count, done_out, err);
}

enum pp_status store_payout_receive(struct store *st, const struct store_write_ctx *w, int64_t id,
                                    const char *reference, store_amount_text_fn amount_text,
                                    struct pp_payout *out, struct pp_err *err)
{
    return st->ops->payout_receive(st->backend, w, id, reference, amount_text, out, err);
}

enum pp_status store_funds_move(struct store *st, const struct store_write_ctx *w,
                                const struct pp_movement *m, const char *audit_action,
                                const char *audit_detail, struct pp_balance *after_out,
                                struct pp_err *err)
{
    return st->ops->funds_move(st->backend, w, m, audit_action, audit_detail, after_out, err);
}

enum pp_status store_settings_put(struct store *st, const struct store_write_ctx *w,
                                  const struct store_setting *kv, size_t count,
                                  const char *audit_action, const char *audit_detail,
                                  struct pp_err *err)
{
    return st->ops->settings_put(st->backend, w, kv, count, audit_action, audit_detail, err);
}

enum pp_status store_admin_upsert(struct store *st, const struct store_write_ctx *w,
                                  const char *email, const char *password_hash, int *created_out,
                                  int64_t *id_out, struct pp_err *err)
{
    return st->ops->admin_upsert(st->backend, w, email, password_hash, created_out, id_out, err);
}

enum pp_status store_idem_answer_put(struct store *st, const char *scope, const char *key,
                                     unsigned status, const char *content_type, const char *body,
                                     size_t body_len, struct pp_err *err)
{
    return st->ops->idem_answer_put(st->backend, scope, key, status, content_type, body, body_len,
                                    err);
}

enum pp_status store_idem_purge(struct store *st, int64_t before_ms, int64_t limit,
                                int64_t *deleted_out, struct pp_err *err)
{
    return st->ops->idem_purge(st->backend, before_ms, limit, deleted_out, err);
}

enum pp_status store_audit_list(struct store *st, const struct pp_audit_filter *f,
                                struct pp_audit_entry *out, size_t cap, size_t *count_out,
                                int64_t *total_out, struct pp_err *err)
{
    return st->ops->audit_list(st->backend, f, out, cap, count_out, total_out, err);
}

enum pp_status store_idem_get(struct store *st, const char *scope, const char *key,
                              struct store_idem_row *out, int *found_out, struct pp_err *err)
{
    return st->ops->idem_get(st->backend, scope, key, out, found_out, err);
}

enum pp_status store_payouts_ended_list(struct store *st, int64_t now_ms, int64_t *ids_out,
                                        size_t cap, size_t *count_out, struct pp_err *err)
{
    return st->ops->payouts_ended_list(st->backend, now_ms, ids_out, cap, count_out, err);
}

enum pp_status store_payouts_open_count(struct store *st, struct pp_open_count *out, size_t cap,
                                        size_t *count_out, struct pp_err *err)
{
    return st->ops->payouts_open_count(st->backend, out, cap, count_out, err);
}

enum pp_status store_payouts_page(struct store *st, const struct pp_payout_filter *f,
                                  const struct pp_page *page, pp_payout_fn fn, void *ctx,
                                  struct pp_page_info *info, struct pp_err *err)
{
    return st->ops->payouts_page(st->backend, f, page, fn, ctx, info, err);
}

enum pp_status store_recipients_page(struct store *st, const struct pp_recipient_filter *f,
                                     const struct pp_page *page, pp_recipient_fn fn, void *ctx,
                                     const struct pp_page_totals *totals, struct pp_page_info *info,
                                     struct pp_err *err)
{
    return st->ops->recipients_page(st->backend, f, page, fn, ctx, totals, info, err);
}

enum pp_status store_projects_page(struct store *st, const struct pp_project_filter *f,
                                   const struct pp_page *page, pp_project_fn fn, void *ctx,
                                   const struct pp_page_totals *totals, struct pp_page_info *info,
                                   struct pp_err *err)
{
    return st->ops->projects_page(st->backend, f, page, fn, ctx, totals, info, err);
}

enum pp_status store_ledger_page(struct store *st, const struct pp_ledger_filter *f,
                                 const struct pp_page *page, pp_ledger_fn fn, void *ctx,
                                 struct pp_page_info *info, struct pp_err *err)
{
    return st->ops->ledger_page(st->backend, f, page, fn, ctx, info, err);
}

enum pp_status store_recipient_get(struct store *st, int64_t id, struct pp_recipient *out,
                                   struct pp_err *err)
{
    return st->ops->recipient_get(st->backend, id, out, err);
}

enum pp_status store_project_get(struct store *st, int64_t id, struct pp_project *out,
                                 struct pp_err *err)
{
    return st->ops->project_get(st->backend, id, out, err);
}

enum pp_status store_payout_totals(struct store *st, enum pp_totals_of of, int64_t id,
                                   pp_total_fn fn, void *ctx, struct pp_err *err)
{
    return st->ops->payout_totals(st->backend, of, id, fn, ctx, err);
}

enum pp_status store_report_payouts(struct store *st, const struct pp_report_query *q,
                                    struct pp_report_group *out, size_t cap, size_t *count_out,
                                    struct pp_err *err)
{
    return st->ops->report_payouts(st->backend, q, out, cap, count_out, err);
}

enum pp_status store_payout_get_noted(struct store *st, int64_t id, struct pp_payout *out,
                                      struct pp_notification *notes, size_t cap, size_t *count_out,
                                      struct pp_err *err)
{
    return st->ops->payout_get_noted(st->backend, id, out, notes, cap, count_out, err);
}

enum pp_status store_payout_get(struct store *st, int64_t id, struct pp_payout *out,
                                struct pp_err *err)
{
    return st->ops->payout_get(st->backend, id, out, err);
}

enum pp_status store_balances_list(struct store *st, struct pp_balance *out, size_t cap,
                                   size_t *count_out, struct pp_err *err)
{
    return st->ops->balances_list(st->backend, out, cap, count_out, err);
}

enum pp_status store_setting_get(struct store *st, const char *key, char *out, size_t out_size,
                                 int *found_out, struct pp_err *err)
{
    struct store_setting_read r = {.key = key, .out = out, .out_size = out_size};
    enum pp_status status = store_settings_get(st, &r, 1, err);
    *found_out = r.found;
    return status;
}

enum pp_status store_settings_get(struct store *st, struct store_setting_read *reads, size_t count,
                                  struct pp_err *err)
{
    PP_ASSERT(reads != NULL && count >= 1 && count <= STORE_SETTINGS_READ_MAX);
    for (size_t i = 0; i < count; i++) {
        PP_ASSERT(reads[i].key != NULL && reads[i].out != NULL && reads[i].out_size > 0);
        reads[i].found = 0;
        reads[i].out[0] = '\0';
    }
    return st->ops->settings_get(st->backend, reads, count, err);
}

enum pp_status store_admin_find(struct store *st, const char *email, struct pp_admin *out,
                                int *found_out, struct pp_err *err)
{
    return st->ops->admin_find(st->backend, email, out, found_out, err);
}

enum pp_status store_admin_get(struct store *st, int64_t id, struct pp_admin *out,
                               struct pp_err *err)
{
    return st->ops->admin_get(st->backend, id, out, err);
}

enum pp_status store_admin_count(struct store *st, int64_t *count_out, struct pp_err *err)
{
    return st->ops->admin_count(st->backend, count_out, err);
}

int store_shared(struct store *st)
{
    return st->ops->shared(st->backend);
}

enum pp_status store_counters_update(struct store *st, const struct store_counter_call *calls,
                                     size_t n, struct pp_err *err)
{
    PP_ASSERT(calls != NULL && n >= 1 && n <= STORE_COUNTERS_MAX);
    for (size_t i = 0; i < n; i++) {
        PP_ASSERT(calls[i].key != NULL && calls[i].fn != NULL);
        PP_ASSERT(strlen(calls[i].key) > 0 && strlen(calls[i].key) < STORE_COUNTER_KEY_BYTES);
        for (size_t j = 0; j < i; j++) {
            PP_ASSERT(strcmp(calls[i].key, calls[j].key) != 0);
        }
    }
    return st->ops->counters_update(st->backend, calls, n, err);
}

enum pp_status store_counters_purge(struct store *st, int64_t idle_ms, int64_t limit,
                                    int64_t *deleted_out, struct pp_err *err)
{
    return st->ops->counters_purge(st->backend, idle_ms, limit, deleted_out, err);
}

enum pp_status store_lease_take(struct store *st, const char *name, const char *holder,
                                int64_t ttl_ms, int *held_out, struct pp_err *err)
{
    return st->ops->lease_take(st->backend, name, holder, ttl_ms, held_out, err);
}

enum pp_status store_lease_release(struct store *st, const char *name, const char *holder,
                                   struct pp_err *err)
{
    return st->ops->lease_release(st->backend, name, holder, err);
}

int store_ping(struct store *st)
{
    return st->ops->ping(st->backend);
}

enum pp_status store_check(struct store *st, store_report_fn report, void *ctx, int *problems_out,
                           struct pp_err *err)
{
    return st->ops->check(st->backend, report, ctx, problems_out, err);
}

/* --- The recipients a write names -------------------------------------------- */

static _Thread_local const struct store_write_recipients *thread_recipients;

void store_write_recipients_set(const struct store_write_recipients *r)
{
    thread_recipients = r;
}

const struct store_write_recipients *store_write_recipients_pending(void)
{
    return thread_recipients;
}

/* --- The write guard ---------------------------------------------------------- */

static _Thread_local struct store_write_guard *thread_guard;

/* --- Both, on fibers --------------------------------------------------------------- */

static void *thread_recipients_addr(void)
{
    return &thread_recipients;
}

static void *thread_guard_addr(void)
{
    return &thread_guard;
}

/* A write handler on a fiber keeps its guard (and its named recipients)
** across the parks of its writes, whatever the worker's other fibers set
** meanwhile (payout/base/fiber.h). */
static void store_fiber_locals_register(void)
{
    pp_fiber_local_register(thread_recipients_addr);
    pp_fiber_local_register(thread_guard_addr);
}

void store_write_guard_set(struct store_write_guard *g)
{
    PP_ASSERT(g == NULL || (g->count >= 1 && g->count <= STORE_GUARD_KEYS_MAX && g->holds != NULL &&
                            g->refusal != NULL));
    thread_guard = g;
}

struct store_write_guard *store_write_guard_pending(void)
{
    struct store_write_guard *g = thread_guard;
    return g != NULL && g->outcome != STORE_GUARD_HELD ? g : NULL;
}

int store_write_guard_apply(struct store_write_guard *g, const struct store_setting_read *reads,
                            struct pp_err *err)
{
    const char *values[STORE_GUARD_KEYS_MAX] = {NULL};
    for (size_t i = 0; i < g->count; i++) {
        values[i] = reads[i].found ? reads[i].out : NULL;
    }
    if (g->holds(g, values)) {
        g->outcome = STORE_GUARD_HELD;
        return 1;
    }
    g->outcome = STORE_GUARD_REFUSED;
    pp_err_set(err, PP_UNAUTHORIZED, "%s", g->refusal);
    return 0;
}
