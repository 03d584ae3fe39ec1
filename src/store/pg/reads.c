/*
** This module implements the PostgreSQL backend's list pages (payouts,
** recipients, projects, ledger) as promised by payout/store/reads.h, the
** single recipient and project reads, and the payout totals.
**
** SQL: a list statement is put together from fixed fragments, one per
** filter in use, plus the order and the page form (offset or keyset), and
** its parameters are appended in the same pass, so one filter shape always
** gives the same text with the same parameters. Nothing a caller sends
** becomes SQL text, except the page's row count (LIMIT), an integer the
** server checked and writes itself. Each connection prepares a shape's
** text once (named "l<slot>", PP_READ_SHAPES slots, the oldest replaced
** first) and runs it prepared after that, so PostgreSQL may keep one
** generic plan for it (list_build says what makes that plan read in
** order). Sets of statuses and ids are one bigint[] parameter (= ANY); a
** single status is an equality, which the indexes give in id order. A
** keyset page on any order is one row comparison,
** (field, id) > (value, after_id), which the (field, id) index of that
** order seeks straight to, however deep the page.
**
** A page, its totals and its count run in one read transaction
** (REPEATABLE READ, READ ONLY): one snapshot; a page alone is one
** statement, which reads one snapshot by itself. The totals of a page's rows
** are ONE aggregate per page over the ids it read. Sums are PostgreSQL's
** sum(bigint), a numeric: exact past 2^63, read as 128-bit integers.
** It does not parse requests or cursors (core/reads.c).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payout/base/assert.h"
#include "payout/base/buf.h"
#include "payout/base/log.h"
#include "payout/store/reads.h"
#include "store/pg/internal.h"

/* Groups a totals statement may answer: one per owner, currency and status
** (currencies are bounded by the ISO 4217 table, under 1,000 codes). */
#define TOTALS_GROUPS_MAX(owners) (1000 * 5 * (owners))

#define TOTALS_SQL(owner, dir)                                                                     \
    "SELECT " owner ", currency, status, count(*), sum(amount_minor) FROM payouts"                 \
    " WHERE " owner " = ANY($1::bigint[]) GROUP BY " owner ", currency, status"                    \
    " ORDER BY " owner dir ", currency, status"

const struct store_pg_stmt_def store_pg_stmts_reads[] = {
    {PG_STMT_RECIPIENT_GET,
     "SELECT id, user_name, phone_number, reference_id, first_name, last_name, email"
     " FROM recipients WHERE id = $1::bigint",
     1},
    {PG_STMT_PROJECT_GET, "SELECT id, name, created_ms FROM projects WHERE id = $1::bigint", 1},
    {PG_STMT_TOTALS_RECIPIENT,
     "SELECT currency, status, count(*), sum(amount_minor) FROM payouts"
     " WHERE recipient_id = $1::bigint GROUP BY currency, status ORDER BY currency, status",
     1},
    {PG_STMT_TOTALS_PROJECT,
     "SELECT currency, status, count(*), sum(amount_minor) FROM payouts"
     " WHERE project_id = $1::bigint GROUP BY currency, status ORDER BY currency, status",
     1},
    {PG_STMT_PAGE_TOTALS_RECIPIENTS, TOTALS_SQL("recipient_id", ""), 1},
    {PG_STMT_PAGE_TOTALS_RECIPIENTS_DESC, TOTALS_SQL("recipient_id", " DESC"), 1},
    {PG_STMT_PAGE_TOTALS_PROJECTS, TOTALS_SQL("project_id", ""), 1},
    {PG_STMT_PAGE_TOTALS_PROJECTS_DESC, TOTALS_SQL("project_id", " DESC"), 1},
    {PG_STMT_COUNT, NULL, 0},
};

enum read_table { RT_PAYOUTS, RT_RECIPIENTS, RT_PROJECTS, RT_LEDGER };

static const char *const order_columns[PP_ORDER_COUNT] = {
    "id", "created_ms", "updated_ms", "amount_minor", "start_ms", "end_ms", "status",
};

/* One list request. */
struct read_list {
    enum read_table table;
    const struct pp_page *page;
    const void *filter;
    void (*where)(struct pg_list_sql *q, const void *filter);
    int (*row)(const PGresult *r, int i, void *fn, void *ctx); /* -1: breaks the schema */
    void *fn;
    void *ctx;
    const struct pp_page_totals *totals; /* recipients, projects: NULL, or the rows' totals */
};

static void sql_and(struct pg_list_sql *q, const char *fmt)
{
    /* fmt holds one %d: the number of the parameter just appended. */
    pp_buf_puts(&q->sql, " AND ");
    pp_buf_printf(&q->sql, fmt, q->p.n);
}

static void where_i64(struct pg_list_sql *q, const char *fmt, int64_t v)
{
    pg_param_i64(&q->p, v);
    sql_and(q, fmt);
}

static void where_text(struct pg_list_sql *q, const char *fmt, const char *s)
{
    pg_param_text(&q->p, s);
    sql_and(q, fmt);
}

/* The index an id-ordered page of f must be read through, named by its
** first column (NULL: the planner chooses). The planner assumes a
** filter's matches are spread evenly over the ids, so past a cursor it
** walks the primary key in id order, filtering; when the matches are
** all behind newer rows of other filters (payouts of one currency, then
** many of another) that reads every newer row to return a few. Ordering
** by the column first, and writing its equality as = ANY(ARRAY[...]),
** which the planner does not fold into a constant, leaves only that
** index able to give the order. The column is one with an index (column,
** id), or (currency, status, id) with the status fixed too; the smallest
** likely set of matches first. */
static const char *payouts_lead(const struct pp_payout_filter *f, int one_status)
{
    if (f->used & PP_PF_IDS) {
        return NULL; /* by id: the primary key is the index */
    }
    if (f->used & PP_PF_RECIPIENT) {
        return "recipient_id";
    }
    if (f->used & PP_PF_PROJECT) {
        return "project_id";
    }
    if ((f->used & PP_PF_CURRENCY) && one_status) {
        return "currency";
    }
    return one_status ? "status" : NULL;
}

/* The equality of column to the parameter just appended: = ANY(ARRAY[...])
** when it is q's lead (see payouts_lead), else =. */
static void where_lead_or_eq(struct pg_list_sql *q, const char *column, const char *type)
{
    char fmt[96];
    if (q->lead != NULL && strcmp(q->lead, column) == 0) {
        snprintf(fmt, sizeof fmt, "%s = ANY(ARRAY[$%%d::%s])", column, type);
    } else {
        snprintf(fmt, sizeof fmt, "%s = $%%d::%s", column, type);
    }
    sql_and(q, fmt);
}

static void where_payouts(struct pg_list_sql *q, const void *filter)
{
    const struct pp_payout_filter *f = filter;
    int one_status = (f->used & PP_PF_STATUS) && (f->status_mask & (f->status_mask - 1u)) == 0;
    q->lead = q->lead_wanted ? payouts_lead(f, one_status) : NULL;
    q->lead_covers = q->lead != NULL &&
                     (strcmp(q->lead, "status") == 0 || strcmp(q->lead, "currency") == 0) &&
                     (f->used & ~(unsigned)(PP_PF_STATUS | PP_PF_CURRENCY)) == 0;
    if (f->used & PP_PF_STATUS) {
        int64_t st[5];
        size_t n = 0;
        for (int s = PP_PAYOUT_UNAUTHORIZED; s <= PP_PAYOUT_EXPIRED; s++) {
            if (f->status_mask & (1u << s)) {
                st[n++] = s;
            }
        }
        PP_ASSERT(n >= 1);
        if (n == 1) {
            /* One status: an equality, so that the (currency, status, id)
            ** and (status, id) indexes give the rows in id order and a page
            ** reads its rows only (with a set of statuses the planner reads
            ** and sorts every row that matches). */
            pg_param_i64(&q->p, st[0]);
            where_lead_or_eq(q, "status", "bigint");
        } else {
            pg_param_i64_array(&q->p, st, n, q->statuses, sizeof q->statuses);
            sql_and(q, "status = ANY($%d::bigint[])");
        }
    }
    if (f->used & PP_PF_IDS) {
        PP_ASSERT(f->ids_count >= 1 && f->ids_count <= PP_READ_IDS_MAX);
        pg_param_i64_array(&q->p, f->ids, f->ids_count, q->ids, sizeof q->ids);
        sql_and(q, "id = ANY($%d::bigint[])");
    }
    if (f->used & PP_PF_CURRENCY) {
        pg_param_text(&q->p, f->currency);
        where_lead_or_eq(q, "currency", "text");
    }
    if (f->used & PP_PF_PROJECT) {
        pg_param_i64(&q->p, f->project_id);
        where_lead_or_eq(q, "project_id", "bigint");
    }
    if (f->used & PP_PF_RECIPIENT) {
        pg_param_i64(&q->p, f->recipient_id);
        where_lead_or_eq(q, "recipient_id", "bigint");
    }
    static const struct {
        unsigned bit;
        const char *sql;
        size_t offset;
    } ints[] = {
        {PP_PF_AMOUNT_MIN, "amount_minor >= $%d::bigint",
         offsetof(struct pp_payout_filter, amount_min)},
        {PP_PF_AMOUNT_MAX, "amount_minor <= $%d::bigint",
         offsetof(struct pp_payout_filter, amount_max)},
        {PP_PF_CREATED_FROM, "created_ms >= $%d::bigint",
         offsetof(struct pp_payout_filter, created_from)},
        {PP_PF_CREATED_TO, "created_ms <= $%d::bigint",
         offsetof(struct pp_payout_filter, created_to)},
        {PP_PF_START_FROM, "start_ms >= $%d::bigint",
         offsetof(struct pp_payout_filter, start_from)},
        {PP_PF_START_TO, "start_ms <= $%d::bigint", offsetof(struct pp_payout_filter, start_to)},
        {PP_PF_END_FROM, "end_ms >= $%d::bigint", offsetof(struct pp_payout_filter, end_from)},
        {PP_PF_END_TO, "end_ms <= $%d::bigint", offsetof(struct pp_payout_filter, end_to)},
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        if (f->used & ints[i].bit) {
            int64_t v;
            memcpy(&v, (const char *)f + ints[i].offset, sizeof v);
            where_i64(q, ints[i].sql, v);
        }
    }
}

static void where_recipients(struct pg_list_sql *q, const void *filter)
{
    const struct pp_recipient_filter *f = filter;
    if (f->used & PP_RF_USER_NAME) {
        where_text(q, "user_name = $%d::text", f->user_name);
    }
    if (f->used & PP_RF_PHONE_NUMBER) {
        where_text(q, "phone_number = $%d::text", f->phone_number);
    }
    if (f->used & PP_RF_REFERENCE_ID) {
        where_text(q, "reference_id = $%d::text", f->reference_id);
    }
}

static void where_projects(struct pg_list_sql *q, const void *filter)
{
    const struct pp_project_filter *f = filter;
    if (f->has_name) {
        where_text(q, "name = $%d::text", f->name);
    }
}

static void where_ledger(struct pg_list_sql *q, const void *filter)
{
    const struct pp_ledger_filter *f = filter;
    if (f->used & PP_LF_CURRENCY) {
        where_text(q, "currency = $%d::text", f->currency);
    }
    if (f->used & PP_LF_FROM) {
        where_i64(q, "at_ms >= $%d::bigint", f->from_ms);
    }
    if (f->used & PP_LF_TO) {
        where_i64(q, "at_ms <= $%d::bigint", f->to_ms);
    }
    if (f->used & PP_LF_PAYOUT) {
        where_i64(q, "payout_id = $%d::bigint", f->payout_id);
    }
}

static const struct {
    const char *select;
    const char *table;
} tables[] = {
    [RT_PAYOUTS] = {"SELECT " PG_PAYOUT_COLUMNS " FROM payouts WHERE true", "payouts"},
    [RT_RECIPIENTS] = {"SELECT id, user_name, phone_number, reference_id, first_name, last_name,"
                       " email FROM recipients WHERE true",
                       "recipients"},
    [RT_PROJECTS] = {"SELECT id, name, created_ms FROM projects WHERE true", "projects"},
    [RT_LEDGER] = {"SELECT id, at_ms, currency, kind, d_available, d_blocked, d_paid_out,"
                   " payout_id, reference FROM ledger WHERE true",
                   "ledger"},
};

/* The page statement of L (want rows at most), or its count. */
static void list_build(const struct read_list *L, int count, int64_t want, struct pg_list_sql *q)
{
    const struct pp_page *page = L->page;
    pp_buf_init(&q->sql);
    pg_params_init(&q->p);
    q->lead = NULL;
    q->lead_wanted = !count && page->order == PP_ORDER_ID;
    q->lead_covers = 0;
    if (count) {
        pp_buf_printf(&q->sql, "SELECT count(*) FROM %s WHERE true", tables[L->table].table);
    } else {
        pp_buf_puts(&q->sql, tables[L->table].select);
    }
    L->where(q, L->filter);
    int filters = q->p.n; /* the filter's parameters */
    if (count) {
        return;
    }
    const char *col = order_columns[page->order];
    const char *cmp = page->desc ? "<" : ">";
    const char *dir = page->desc ? " DESC" : "";
    if (page->keyset && page->order == PP_ORDER_ID) {
        pg_param_i64(&q->p, page->after_id);
        pp_buf_printf(&q->sql, " AND id %s $%d::bigint", cmp, q->p.n);
    } else if (page->keyset) {
        pg_param_i64(&q->p, page->after_value);
        pg_param_i64(&q->p, page->after_id);
        pp_buf_printf(&q->sql, " AND (%s, id) %s ($%d::bigint, $%d::bigint)", col, cmp, q->p.n - 1,
                      q->p.n);
    }
    if (page->order == PP_ORDER_ID && q->lead != NULL) {
        pp_buf_printf(&q->sql, " ORDER BY %s%s, id%s", q->lead, dir, dir);
    } else if (page->order == PP_ORDER_ID) {
        pp_buf_printf(&q->sql, " ORDER BY id%s", dir);
    } else {
        pp_buf_printf(&q->sql, " ORDER BY %s%s, id%s", col, dir, dir);
    }
    /* A prepared page is planned for its values (a custom plan) or once
    ** for all (a generic plan, which PostgreSQL keeps when it costs no
    ** more than the custom plans of the statement's first five calls).
    ** With LIMIT as a parameter, a generic plan is costed as if it read a
    ** tenth of the matching rows, more than the custom plans, so the page
    ** is planned on every call: planning takes twice a page's execution.
    ** Where the plan reads the same rows whatever the values, the row
    ** count is part of the text instead (and OFFSET only there when the
    ** page skips rows), and the page keeps its generic plan: a page with
    ** no filter (its keyset conditions are the order's index's), and an
    ** id-ordered page whose lead's index holds every condition. Any
    ** other filter keeps both as parameters, planned for its values: a
    ** generic plan is made for values of average frequency, so for a
    ** rare one it would walk the order's index past most rows, and for a
    ** large owner it would read and sort all of its payouts
    ** (test_pg_plans). */
    int one_plan = filters == 0 || q->lead_covers;
    if (one_plan) {
        PP_ASSERT(want >= 1);
        pp_buf_printf(&q->sql, " LIMIT %lld", (long long)want);
    } else {
        pg_param_i64(&q->p, want);
        pp_buf_printf(&q->sql, " LIMIT $%d::bigint", q->p.n);
    }
    if (!page->keyset && (page->offset > 0 || !one_plan)) {
        pg_param_i64(&q->p, page->offset);
        pp_buf_printf(&q->sql, " OFFSET $%d::bigint", q->p.n);
    }
}

/* Runs q on c, prepared once per connection and text. */
static enum pp_status list_exec(struct pg_conn *c, struct pg_list_sql *q, PGresult **res,
                                struct pp_err *err)
{
    unsigned slot = PP_READ_SHAPES;
    char name[16];
    enum pp_status status = PP_OK;
    for (unsigned i = 0; i < PP_READ_SHAPES; i++) {
        if (c->shape_sql[i] != NULL && strcmp(c->shape_sql[i], q->sql.data) == 0) {
            slot = i;
            break;
        }
    }
    if (slot == PP_READ_SHAPES) {
        slot = c->shape_next++ % PP_READ_SHAPES;
        snprintf(name, sizeof name, "l%u", slot);
        if (c->shape_sql[slot] != NULL) {
            char sql[32];
            snprintf(sql, sizeof sql, "DEALLOCATE %s", name);
            free(c->shape_sql[slot]);
            c->shape_sql[slot] = NULL;
            status = store_pg_run_sql(c, sql, NULL, NULL, NULL, "replacing a list statement", err);
        }
        if (status == PP_OK) {
            status = store_pg_result(c, PQprepare(c->pg, name, q->sql.data, 0, NULL), NULL, NULL,
                                     "preparing a list statement", err);
        }
        if (status != PP_OK) {
            return status;
        }
        c->shape_sql[slot] = pp_check_alloc(strdup(q->sql.data));
    }
    snprintf(name, sizeof name, "l%u", slot);
    PGresult *r = PQexecPrepared(c->pg, name, q->p.n, q->p.values, q->p.lengths, q->p.formats, 0);
    return store_pg_result(c, r, res, NULL, "reading a list page", err);
}

/* --- Rows ---------------------------------------------------------------------- */

static int row_payout(const PGresult *r, int i, void *fn, void *ctx)
{
    struct pp_payout p;
    if (store_pg_payout_read(r, i, &p) != 0) {
        return -1;
    }
    ((pp_payout_fn)fn)(ctx, &p);
    return 0;
}

int store_pg_recipient_row(const PGresult *r, int i, struct pp_recipient *out)
{
    memset(out, 0, sizeof *out);
    out->id = pg_col_i64(r, i, 0);
    int bad = pg_col_text(r, i, 1, out->user_name, sizeof out->user_name);
    bad |= pg_col_text(r, i, 2, out->phone_number, sizeof out->phone_number);
    bad |= pg_col_text(r, i, 3, out->reference_id, sizeof out->reference_id);
    bad |= pg_col_text(r, i, 4, out->first_name, sizeof out->first_name);
    bad |= pg_col_text(r, i, 5, out->last_name, sizeof out->last_name);
    bad |= pg_col_text(r, i, 6, out->email, sizeof out->email);
    if (bad != 0) {
        pp_log(PP_LOG_ERROR, "store: recipient %lld violates the schema", (long long)out->id);
        return -1;
    }
    return 0;
}

static int row_recipient(const PGresult *r, int i, void *fn, void *ctx)
{
    struct pp_recipient rec;
    if (store_pg_recipient_row(r, i, &rec) != 0) {
        return -1;
    }
    ((pp_recipient_fn)fn)(ctx, &rec);
    return 0;
}

static int read_project(const PGresult *r, int i, struct pp_project *out)
{
    memset(out, 0, sizeof *out);
    out->id = pg_col_i64(r, i, 0);
    out->created_ms = pg_col_i64(r, i, 2);
    if (pg_col_text(r, i, 1, out->name, sizeof out->name) != 0) {
        pp_log(PP_LOG_ERROR, "store: project %lld violates the schema", (long long)out->id);
        return -1;
    }
    return 0;
}

static int row_project(const PGresult *r, int i, void *fn, void *ctx)
{
    struct pp_project p;
    if (read_project(r, i, &p) != 0) {
        return -1;
    }
    ((pp_project_fn)fn)(ctx, &p);
    return 0;
}

static int row_ledger(const PGresult *r, int i, void *fn, void *ctx)
{
    struct pp_ledger_row l;
    memset(&l, 0, sizeof l);
    l.id = pg_col_i64(r, i, 0);
    l.at_ms = pg_col_i64(r, i, 1);
    int bad = pg_col_text(r, i, 2, l.currency, sizeof l.currency);
    int64_t kind = pg_col_i64(r, i, 3);
    l.kind = (enum pp_ledger_kind)kind;
    l.d_available = pg_col_i64(r, i, 4);
    l.d_blocked = pg_col_i64(r, i, 5);
    l.d_paid_out = pg_col_i64(r, i, 6);
    l.payout_id = pg_col_i64(r, i, 7);
    bad |= pg_col_text(r, i, 8, l.reference, sizeof l.reference);
    if (bad != 0 || kind < PP_LEDGER_DEPOSIT || kind > PP_LEDGER_PAYOUT) {
        pp_log(PP_LOG_ERROR, "store: ledger row %lld violates the schema", (long long)l.id);
        return -1;
    }
    ((pp_ledger_fn)fn)(ctx, &l);
    return 0;
}

/* --- Running a page -------------------------------------------------------------- */

/* Reads (currency, status, count, sum) starting at column first; -1 (logged)
** when the row breaks the schema. */
static int read_total(const PGresult *r, int i, int first, struct pp_total *t)
{
    memset(t, 0, sizeof *t);
    int64_t s = pg_col_i64(r, i, first + 1);
    if (pg_col_text(r, i, first, t->currency, sizeof t->currency) != 0 ||
        s < PP_PAYOUT_UNAUTHORIZED || s > PP_PAYOUT_EXPIRED ||
        pg_col_i128(r, i, first + 3, &t->sum_minor) != 0) {
        pp_log(PP_LOG_ERROR, "store: payout totals violate the schema");
        return -1;
    }
    t->status = (enum pp_payout_status)s;
    t->count = pg_col_i64(r, i, first + 2);
    return 0;
}

/* The totals of the page's rows (their ids in the first column of page). */
static enum pp_status page_totals(struct pg_conn *c, const struct read_list *L,
                                  const PGresult *page, int rows, struct pp_err *err)
{
    int64_t ids[PP_PAGE_SIZE_MAX];
    char buf[PG_ID_ARRAY_BYTES];
    PP_ASSERT(rows >= 1 && rows <= PP_PAGE_SIZE_MAX);
    for (int i = 0; i < rows; i++) {
        ids[i] = pg_col_i64(page, i, 0);
    }
    int desc = L->page->desc != 0;
    enum pg_stmt id =
        L->table == RT_PROJECTS
            ? (desc ? PG_STMT_PAGE_TOTALS_PROJECTS_DESC : PG_STMT_PAGE_TOTALS_PROJECTS)
            : (desc ? PG_STMT_PAGE_TOTALS_RECIPIENTS_DESC : PG_STMT_PAGE_TOTALS_RECIPIENTS);
    struct pg_params p;
    PGresult *res = NULL;
    pg_params_init(&p);
    pg_param_i64_array(&p, ids, (size_t)rows, buf, sizeof buf);
    enum pp_status status = store_pg_run(c, id, &p, &res, NULL, "summing a page's payouts", err);
    int n = status == PP_OK ? PQntuples(res) : 0;
    for (int i = 0; i < n && i < TOTALS_GROUPS_MAX(rows); i++) {
        struct pp_total t;
        if (read_total(res, i, 1, &t) != 0) {
            status = pp_err_set(err, PP_INTERNAL, "storage error");
            break;
        }
        L->totals->fn(L->totals->ctx, pg_col_i64(res, i, 0), &t);
    }
    PQclear(res);
    return status;
}

/* The page's rows, handed to the callback, and info->rows / more. */
static enum pp_status list_page(struct pg_conn *c, const struct read_list *L,
                                struct pp_page_info *info, struct pp_err *err)
{
    struct pg_list_sql q;
    PGresult *res = NULL;
    list_build(L, 0, (int64_t)L->page->limit + 1, &q);
    enum pp_status status = list_exec(c, &q, &res, err);
    pp_buf_free(&q.sql);
    int n = status == PP_OK ? PQntuples(res) : 0;
    int rows = 0;
    for (; rows < n; rows++) {
        if ((size_t)rows == L->page->limit) {
            info->more = 1;
            break;
        }
        if (L->row(res, rows, L->fn, L->ctx) != 0) {
            status = pp_err_set(err, PP_INTERNAL, "storage error");
            break;
        }
    }
    info->rows = (size_t)rows;
    if (status == PP_OK && L->totals != NULL && rows > 0) {
        status = page_totals(c, L, res, rows, err);
    }
    PQclear(res);
    return status;
}

/* The key of a count: q's text and its parameters, each NUL-ended (a NULL
** parameter as a lone 0xff byte, which no text parameter is). */
static void count_key(const struct pg_list_sql *q, struct pp_buf *key)
{
    pp_buf_init(key);
    pp_buf_append(key, q->sql.data, q->sql.len + 1);
    for (int i = 0; i < q->p.n; i++) {
        PP_ASSERT(q->p.formats[i] == 0);
        if (q->p.values[i] == NULL) {
            pp_buf_append(key, "\xff", 1);
        } else {
            pp_buf_append(key, q->p.values[i], strlen(q->p.values[i]) + 1);
        }
    }
}

/* Opens the read transaction and reads its snapshot as text into out in
** one round trip (two statements in one query): REPEATABLE READ takes the
** snapshot at that SELECT, and every statement after it reads the same
** one. *fits = 0 when the text is longer than out (nothing is remembered
** then). */
static enum pp_status read_begin_snapshot(struct pg_conn *c, char *out, int *fits,
                                          struct pp_err *err)
{
    PGresult *res = NULL;
    enum pp_status status =
        store_pg_run_sql(c, PG_READ_BEGIN_SQL "; SELECT pg_current_snapshot()::text", NULL, &res,
                         NULL, "beginning a read", err);
    *fits = status == PP_OK && PQntuples(res) == 1 &&
            pg_col_text(res, 0, 0, out, PG_SNAPSHOT_TEXT_BYTES) == 0;
    PQclear(res);
    return status;
}

/* The count of L's filter, in the transaction whose snapshot is snapshot
** (fits = 0: too long to remember). Two read transactions whose snapshots
** have the same text (xmin, xmax and the transactions in flight) see
** exactly the same committed rows, so a count made in one is the count of
** the other: it is remembered on c with its snapshot, and counted again
** once any transaction has committed since (as SQLite's memo follows its
** data version). */
static enum pp_status list_count(struct pg_conn *c, const struct read_list *L, const char *snapshot,
                                 int fits, int64_t *out, struct pp_err *err)
{
    struct pg_list_sql q;
    struct pp_buf key;
    list_build(L, 1, 0, &q);
    count_key(&q, &key);
    enum pp_status status = PP_OK;
    for (unsigned i = 0; fits && i < PP_READ_TOTALS_MEMO; i++) {
        const struct pg_count_memo *m = &c->count_memo[i];
        if (m->key != NULL && m->key_len == key.len && memcmp(m->key, key.data, key.len) == 0 &&
            strcmp(m->snapshot, snapshot) == 0) {
            *out = m->total;
            pp_buf_free(&key);
            pp_buf_free(&q.sql);
            return PP_OK;
        }
    }
    PGresult *res = NULL;
    if (status == PP_OK) {
        status = list_exec(c, &q, &res, err);
    }
    if (status == PP_OK) {
        *out = pg_col_i64(res, 0, 0);
    }
    if (status == PP_OK && fits) {
        struct pg_count_memo *m = &c->count_memo[c->count_memo_next++ % PP_READ_TOTALS_MEMO];
        free(m->key);
        m->key = pp_check_alloc(malloc(key.len));
        memcpy(m->key, key.data, key.len);
        m->key_len = key.len;
        memcpy(m->snapshot, snapshot, sizeof m->snapshot);
        m->total = *out;
    }
    PQclear(res);
    pp_buf_free(&key);
    pp_buf_free(&q.sql);
    return status;
}

static enum pp_status list_run(struct store_pg *st, const struct read_list *L,
                               struct pp_page_info *info, struct pp_err *err)
{
    const struct pp_page *page = L->page;
    PP_ASSERT(page->limit >= 1 && page->offset >= 0 && page->order < PP_ORDER_COUNT);
    PP_ASSERT(page->order == PP_ORDER_ID || L->table == RT_PAYOUTS);
    PP_ASSERT(!page->keyset || page->offset == 0);
    PP_ASSERT(L->totals == NULL || page->limit <= PP_PAGE_SIZE_MAX);
    memset(info, 0, sizeof *info);
    info->total = -1;
    struct pg_conn *c = NULL;
    enum pp_status status = store_pg_reader_acquire(st, &c, err);
    if (status != PP_OK) {
        return status;
    }
    if (L->totals == NULL && !page->want_total) {
        /* The page alone: one statement reads one snapshot by itself, so
        ** it needs no transaction around it (one round trip, not three). */
        status = list_page(c, L, info, err);
        store_pg_reader_release(st, c);
        return status;
    }
    char snapshot[PG_SNAPSHOT_TEXT_BYTES];
    int fits = 0;
    status = page->want_total ? read_begin_snapshot(c, snapshot, &fits, err)
                              : store_pg_read_begin(c, err);
    if (status == PP_OK) {
        status = list_page(c, L, info, err);
    }
    if (status == PP_OK && page->want_total) {
        status = list_count(c, L, snapshot, fits, &info->total, err);
    }
    store_pg_read_end(c);
    store_pg_reader_release(st, c);
    return status;
}

enum pp_status store_pg_payouts_page(struct store_pg *st, const struct pp_payout_filter *f,
                                     const struct pp_page *page, pp_payout_fn fn, void *ctx,
                                     struct pp_page_info *info, struct pp_err *err)
{
    PP_ASSERT((f->used & ~(unsigned)PP_PF_ALL) == 0);
    PP_ASSERT(!(f->used & PP_PF_STATUS) || (f->status_mask & ~0x3eu) == 0);
    struct read_list L = {RT_PAYOUTS, page, f, where_payouts, row_payout, (void *)fn, ctx, NULL};
    return list_run(st, &L, info, err);
}

void store_pg_payouts_list_sql(const struct pp_payout_filter *f, const struct pp_page *page,
                               int count, struct pg_list_sql *q)
{
    struct read_list L = {RT_PAYOUTS, page, f, where_payouts, row_payout, NULL, NULL, NULL};
    list_build(&L, count, (int64_t)page->limit + 1, q);
}

enum pp_status store_pg_recipients_page(struct store_pg *st, const struct pp_recipient_filter *f,
                                        const struct pp_page *page, pp_recipient_fn fn, void *ctx,
                                        const struct pp_page_totals *totals,
                                        struct pp_page_info *info, struct pp_err *err)
{
    struct read_list L = {RT_RECIPIENTS, page,       f,   where_recipients,
                          row_recipient, (void *)fn, ctx, totals};
    return list_run(st, &L, info, err);
}

enum pp_status store_pg_projects_page(struct store_pg *st, const struct pp_project_filter *f,
                                      const struct pp_page *page, pp_project_fn fn, void *ctx,
                                      const struct pp_page_totals *totals,
                                      struct pp_page_info *info, struct pp_err *err)
{
    struct read_list L = {RT_PROJECTS, page,       f,   where_projects,
                          row_project, (void *)fn, ctx, totals};
    return list_run(st, &L, info, err);
}

enum pp_status store_pg_ledger_page(struct store_pg *st, const struct pp_ledger_filter *f,
                                    const struct pp_page *page, pp_ledger_fn fn, void *ctx,
                                    struct pp_page_info *info, struct pp_err *err)
{
    struct read_list L = {RT_LEDGER, page, f, where_ledger, row_ledger, (void *)fn, ctx, NULL};
    return list_run(st, &L, info, err);
}

/* --- Single records and totals --------------------------------------------------------- */

/* Reads row id through statement sid into out with read(); PP_NOT_FOUND
** (naming noun) when there is none. */
static enum pp_status row_get(struct store_pg *st, enum pg_stmt sid, const char *noun, int64_t id,
                              int (*read)(const PGresult *, int, void *), void *out,
                              struct pp_err *err)
{
    struct pg_conn *c = NULL;
    struct pg_params p;
    PGresult *res = NULL;
    pg_params_init(&p);
    pg_param_i64(&p, id);
    enum pp_status status = store_pg_reader_acquire(st, &c, err);
    if (status == PP_OK) {
        status = store_pg_run(c, sid, &p, &res, NULL, "reading a record", err);
        store_pg_reader_release(st, c);
    }
    if (status == PP_OK && PQntuples(res) == 0) {
        status = pp_err_set(err, PP_NOT_FOUND, "%s %lld not found", noun, (long long)id);
    } else if (status == PP_OK && read(res, 0, out) != 0) {
        status = pp_err_set(err, PP_INTERNAL, "storage error");
    }
    PQclear(res);
    return status;
}

static int read_recipient_any(const PGresult *r, int i, void *out)
{
    return store_pg_recipient_row(r, i, out);
}

static int read_project_any(const PGresult *r, int i, void *out)
{
    return read_project(r, i, out);
}

enum pp_status store_pg_recipient_get(struct store_pg *st, int64_t id, struct pp_recipient *out,
                                      struct pp_err *err)
{
    return row_get(st, PG_STMT_RECIPIENT_GET, "recipient", id, read_recipient_any, out, err);
}

enum pp_status store_pg_project_get(struct store_pg *st, int64_t id, struct pp_project *out,
                                    struct pp_err *err)
{
    return row_get(st, PG_STMT_PROJECT_GET, "project", id, read_project_any, out, err);
}

enum pp_status store_pg_payout_totals(struct store_pg *st, enum pp_totals_of of, int64_t id,
                                      pp_total_fn fn, void *ctx, struct pp_err *err)
{
    PP_ASSERT(of == PP_TOTALS_RECIPIENT || of == PP_TOTALS_PROJECT);
    struct pg_conn *c = NULL;
    struct pg_params p;
    PGresult *res = NULL;
    pg_params_init(&p);
    pg_param_i64(&p, id);
    enum pp_status status = store_pg_reader_acquire(st, &c, err);
    if (status == PP_OK) {
        status = store_pg_run(
            c, of == PP_TOTALS_RECIPIENT ? PG_STMT_TOTALS_RECIPIENT : PG_STMT_TOTALS_PROJECT, &p,
            &res, NULL, "summing payouts", err);
        store_pg_reader_release(st, c);
    }
    int n = status == PP_OK ? PQntuples(res) : 0;
    for (int i = 0; i < n && i < TOTALS_GROUPS_MAX(1); i++) {
        struct pp_total t;
        if (read_total(res, i, 0, &t) != 0) {
            status = pp_err_set(err, PP_INTERNAL, "storage error");
            break;
        }
        fn(ctx, &t);
    }
    PQclear(res);
    return status;
}
