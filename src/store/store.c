/*
** This module implements the store's public face (the payout/store/ headers) over
** its backends: opening picks the backend by the database URL, and every
** other public function hands its call to the open store's (or the
** transaction's) backend. A path, or a "sqlite:" URL, is SQLite; a
** "postgres://" or "postgresql://" URL is PostgreSQL (src/store/pg/). It
** holds no SQL and no logic of any operation.
*/
#include "payout/store/store.h"

#include <stdlib.h>
#include <string.h>

#include "payout/base/assert.h"
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

enum pp_status store_open(const char *path, unsigned readers, struct store **out,
                          struct pp_err *err)
{
    PP_ASSERT(path != NULL && out != NULL);
    *out = NULL;
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

enum pp_status store_tx_audit_append(struct store_tx *tx, const struct pp_audit *a,
                                     struct pp_err *err)
{
    return tx->ops->tx_audit_append(tx->tx, a, err);
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

enum pp_status store_tx_idem_insert(struct store_tx *tx, const char *scope, const char *key,
                                    const uint8_t fingerprint[STORE_IDEM_FINGERPRINT_BYTES],
                                    int64_t created_ms, struct pp_err *err)
{
    return tx->ops->tx_idem_insert(tx->tx, scope, key, fingerprint, created_ms, err);
}

enum pp_status store_tx_idem_set_response(struct store_tx *tx, const char *scope, const char *key,
                                          unsigned status, const char *content_type,
                                          const char *body, size_t body_len, struct pp_err *err)
{
    return tx->ops->tx_idem_set_response(tx->tx, scope, key, status, content_type, body, body_len,
                                         err);
}

enum pp_status store_tx_idem_purge(struct store_tx *tx, int64_t before_ms, int64_t limit,
                                   int64_t *deleted_out, struct pp_err *err)
{
    return tx->ops->tx_idem_purge(tx->tx, before_ms, limit, deleted_out, err);
}

enum pp_status store_payouts_ended_list(struct store *st, int64_t now_ms, int64_t *ids_out,
                                        size_t cap, size_t *count_out, struct pp_err *err)
{
    return st->ops->payouts_ended_list(st->backend, now_ms, ids_out, cap, count_out, err);
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

enum pp_status store_write(struct store *st, store_tx_fn fn, void *arg, struct pp_err *err)
{
    return st->ops->write(st->backend, fn, arg, err);
}

enum pp_status store_tx_project_ensure(struct store_tx *tx, const char *name, int64_t now_ms,
                                       int64_t *id_out, struct pp_err *err)
{
    return tx->ops->tx_project_ensure(tx->tx, name, now_ms, id_out, err);
}

enum pp_status store_tx_recipient_find(struct store_tx *tx, enum pp_ident which, const char *value,
                                       struct pp_recipient *out, int *found_out, struct pp_err *err)
{
    return tx->ops->tx_recipient_find(tx->tx, which, value, out, found_out, err);
}

enum pp_status store_tx_recipient_save(struct store_tx *tx, struct pp_recipient *r, int64_t now_ms,
                                       struct pp_err *err)
{
    return tx->ops->tx_recipient_save(tx->tx, r, now_ms, err);
}

enum pp_status store_tx_payout_insert(struct store_tx *tx, struct pp_payout *p, struct pp_err *err)
{
    return tx->ops->tx_payout_insert(tx->tx, p, err);
}

enum pp_status store_tx_payout_get(struct store_tx *tx, int64_t id, struct pp_payout *out,
                                   struct pp_err *err)
{
    return tx->ops->tx_payout_get(tx->tx, id, out, err);
}

enum pp_status store_tx_payout_set_status(struct store_tx *tx, int64_t id, enum pp_payout_status to,
                                          int64_t now_ms, const char *reference, struct pp_err *err)
{
    return tx->ops->tx_payout_set_status(tx->tx, id, to, now_ms, reference, err);
}

enum pp_status store_tx_balance_get(struct store_tx *tx, const char *currency,
                                    struct pp_balance *out, struct pp_err *err)
{
    return tx->ops->tx_balance_get(tx->tx, currency, out, err);
}

enum pp_status store_tx_funds_move(struct store_tx *tx, const struct pp_movement *m,
                                   struct pp_balance *after_out, struct pp_err *err)
{
    return tx->ops->tx_funds_move(tx->tx, m, after_out, err);
}

enum pp_status store_tx_setting_put(struct store_tx *tx, const char *key, const char *value,
                                    struct pp_err *err)
{
    return tx->ops->tx_setting_put(tx->tx, key, value, err);
}

enum pp_status store_tx_setting_get(struct store_tx *tx, const char *key, char *out,
                                    size_t out_size, int *found_out, struct pp_err *err)
{
    return tx->ops->tx_setting_get(tx->tx, key, out, out_size, found_out, err);
}

enum pp_status store_tx_admin_insert(struct store_tx *tx, const char *email,
                                     const char *password_hash, int64_t now_ms, int64_t *id_out,
                                     struct pp_err *err)
{
    return tx->ops->tx_admin_insert(tx->tx, email, password_hash, now_ms, id_out, err);
}

enum pp_status store_tx_admin_set_password(struct store_tx *tx, const char *email,
                                           const char *password_hash, int64_t now_ms,
                                           struct pp_err *err)
{
    return tx->ops->tx_admin_set_password(tx->tx, email, password_hash, now_ms, err);
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
    return st->ops->setting_get(st->backend, key, out, out_size, found_out, err);
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

int store_ping(struct store *st)
{
    return st->ops->ping(st->backend);
}

enum pp_status store_check(struct store *st, store_report_fn report, void *ctx, int *problems_out,
                           struct pp_err *err)
{
    return st->ops->check(st->backend, report, ctx, problems_out, err);
}
