/*
** This module implements reading the audit log on PostgreSQL: the entries
** matching a filter, newest first, with the total of matches, both from
** one read transaction (one snapshot). Appending an entry belongs to the
** write operation that records it.
*/
#include <string.h>

#include "payout/base/assert.h"
#include "payout/base/log.h"
#include "payout/store/audit.h"
#include "store/pg/internal.h"

/* Each filter is a parameter that is NULL when it does not apply. */
#define AUDIT_WHERE                                                                                \
    " WHERE ($1::text IS NULL OR action = $1::text)"                                               \
    " AND ($2::bigint IS NULL OR actor_kind = $2::bigint)"                                         \
    " AND ($3::bigint IS NULL OR admin_id = $3::bigint)"                                           \
    " AND ($4::bigint IS NULL OR at_ms >= $4::bigint)"                                             \
    " AND ($5::bigint IS NULL OR at_ms <= $5::bigint)"

const struct store_pg_stmt_def store_pg_stmts_audit[] = {
    {PG_STMT_AUDIT_COUNT, "SELECT count(*) FROM audit" AUDIT_WHERE, 5},
    {PG_STMT_AUDIT_LIST,
     "SELECT id, at_ms, actor_kind, admin_id, addr, action, subject, detail FROM audit" AUDIT_WHERE
     " ORDER BY id DESC LIMIT $6::bigint OFFSET $7::bigint",
     7},
    {PG_STMT_COUNT, NULL, 0},
};

static void bind_filter(struct pg_params *p, const struct pp_audit_filter *f)
{
    pg_params_init(p);
    pg_param_text(p, f->action);
    if (f->has_actor_kind) {
        pg_param_i64(p, (int64_t)f->actor_kind);
    } else {
        pg_param_null(p);
    }
    pg_param_i64_or_null(p, f->admin_id);
    if (f->has_from) {
        pg_param_i64(p, f->from_ms);
    } else {
        pg_param_null(p);
    }
    if (f->has_to) {
        pg_param_i64(p, f->to_ms);
    } else {
        pg_param_null(p);
    }
}

/* Copies row i into e; -1 when it breaks the schema. */
static int read_entry(const PGresult *r, int i, struct pp_audit_entry *e)
{
    memset(e, 0, sizeof *e);
    int64_t kind = pg_col_i64(r, i, 2);
    e->id = pg_col_i64(r, i, 0);
    e->at_ms = pg_col_i64(r, i, 1);
    e->actor_kind = (enum pp_actor_kind)kind;
    e->admin_id = pg_col_i64(r, i, 3);
    if (kind < PP_ACTOR_SYSTEM || kind > PP_ACTOR_ADMIN ||
        pg_col_text(r, i, 4, e->addr, sizeof e->addr) != 0 ||
        pg_col_text(r, i, 5, e->action, sizeof e->action) != 0 ||
        pg_col_text(r, i, 6, e->subject, sizeof e->subject) != 0 ||
        pg_col_text(r, i, 7, e->detail, sizeof e->detail) != 0) {
        return -1;
    }
    return 0;
}

static enum pp_status audit_read(struct pg_conn *c, const struct pp_audit_filter *f,
                                 struct pp_audit_entry *out, size_t *count_out, int64_t *total_out,
                                 struct pp_err *err)
{
    struct pg_params p;
    PGresult *res = NULL;
    bind_filter(&p, f);
    enum pp_status status =
        store_pg_run(c, PG_STMT_AUDIT_COUNT, &p, &res, NULL, "counting audit entries", err);
    if (status != PP_OK) {
        return status;
    }
    *total_out = pg_col_i64(res, 0, 0);
    PQclear(res);
    pg_param_i64(&p, f->limit);
    pg_param_i64(&p, f->offset);
    status = store_pg_run(c, PG_STMT_AUDIT_LIST, &p, &res, NULL, "reading the audit log", err);
    int rows = status == PP_OK ? PQntuples(res) : 0;
    size_t n = 0;
    for (int i = 0; i < rows && (int64_t)n < f->limit; i++) {
        if (read_entry(res, i, &out[n]) != 0) {
            pp_log(PP_LOG_ERROR, "store: audit entry %lld breaks the schema", (long long)out[n].id);
            status = pp_err_set(err, PP_INTERNAL, "storage error");
            break;
        }
        n++;
    }
    PQclear(res);
    *count_out = status == PP_OK ? n : 0;
    return status;
}

enum pp_status store_pg_audit_list(struct store_pg *st, const struct pp_audit_filter *f,
                                   struct pp_audit_entry *out, size_t cap, size_t *count_out,
                                   int64_t *total_out, struct pp_err *err)
{
    PP_ASSERT(f->limit >= 1 && f->limit <= PP_AUDIT_PAGE_SIZE_MAX && (size_t)f->limit <= cap);
    PP_ASSERT(f->offset >= 0);
    *count_out = 0;
    *total_out = 0;
    struct pg_conn *c = NULL;
    enum pp_status status = store_pg_reader_acquire(st, &c, err);
    if (status != PP_OK) {
        return status;
    }
    status = store_pg_read_begin(c, err);
    if (status == PP_OK) {
        status = audit_read(c, f, out, count_out, total_out, err);
    }
    store_pg_read_end(c);
    store_pg_reader_release(st, c);
    return status;
}
