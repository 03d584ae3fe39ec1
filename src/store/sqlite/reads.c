/*
** This module implements the list pages of the read side (payouts,
** recipients, projects, ledger) as promised by payout/store/reads.h.
**
** SQL: a list statement is put together from the fixed fragments below,
** one per filter in use, plus the order and the page form (offset, keyset,
** count). Nothing a caller sends ever becomes SQL text: every value is a
** bound parameter with a fixed number (P_* below). The statement is
** prepared once per connection and shape (read_shape_key) and kept in the
** STORE_STMT_READ_SHAPE_* slots of the connection's cache.
**
** Plans: a page walks the index of its order ((field, id) for every order
** field) and stops after limit + 1 rows, so its cost does not depend on
** how deep it is. Filters that usually match many rows (status lists,
** currency, ranges) are written with a unary '+' so that SQLite does not
** pick their index and then sort every match; selective ones (ids,
** recipient, project, one status with the id order) keep their index. A
** keyset page on a field other than id runs in two parts so that long runs
** of equal values (statuses, round amounts) are sought, not scanned:
** "field = v AND id > after" in id order, then "field > v" in (field, id)
** order.
**
** Single recipients and projects, and the payout totals, are here too:
** of one recipient or project, or of every row of a recipients or projects
** page (stats=true), which is ONE aggregate query per page over the ids the
** page read ("recipient_id IN (...)" seeks the payouts' recipient index,
** likewise for projects), run in the page's read transaction. It does not
** parse requests or cursors (core/reads.c).
*/
#include <stdio.h>
#include <string.h>

#include "payout/base/assert.h"
#include "payout/base/buf.h"
#include "payout/base/log.h"
#include "payout/store/reads.h"
#include "store/sqlite/internal.h"

/* Parameter numbers, fixed per meaning in every list statement. */
#define P_STATUS 1 /* 1..5: the wanted statuses (padded by repeating one) */
#define P_CURRENCY 6
#define P_PROJECT 7
#define P_RECIPIENT 8
#define P_AMOUNT_MIN 9
#define P_AMOUNT_MAX 10
#define P_CREATED_FROM 11
#define P_CREATED_TO 12
#define P_START_FROM 13
#define P_START_TO 14
#define P_END_FROM 15
#define P_END_TO 16
#define P_AFTER_VALUE 17
#define P_AFTER_ID 18
#define P_LIMIT 19
#define P_OFFSET 20
#define P_IDS 21 /* 21..120: the ids (padded by repeating one) */
/* The other lists reuse the low numbers for their own filters. */
#define P_TEXT_1 1
#define P_TEXT_2 2
#define P_TEXT_3 3
#define P_LEDGER_PAYOUT 4

#define STATUS_SLOTS 5
#define SQL_BYTES_MAX 4096

enum read_table { RT_PAYOUTS = 1, RT_RECIPIENTS, RT_PROJECTS, RT_LEDGER };
/* RP_PAGE: the page (or, with a keyset on a field other than id, its tie
** part); RP_REST: the second part of such a page; RP_COUNT: the total. */
enum read_part { RP_PAGE = 0, RP_REST = 1, RP_COUNT = 2 };

struct read_shape {
    enum read_table table;
    enum read_part part;
    unsigned used;    /* the table's filter bits */
    int status_multi; /* payouts: more than one status wanted */
    enum pp_order order;
    int desc;
    int keyset;
};

/* The ids of the rows a page handed out, for the totals of its rows. */
struct page_ids {
    size_t n;
    int64_t v[PP_PAGE_SIZE_MAX];
};

/* One list request being run. */
struct read_list {
    enum read_table table;
    unsigned used;
    int status_multi;
    const struct pp_page *page;
    const void *filter;
    void (*bind)(struct store_q *q, const void *filter);
    int (*row)(struct store_q *q, void *fn, void *ctx); /* -1: the row breaks the schema */
    void *fn;
    void *ctx;
    unsigned char key[PP_READ_FILTER_KEY_BYTES + 8]; /* table byte + canonical filter */
    size_t key_len;
    const struct pp_page_totals *totals; /* recipients, projects: NULL, or the rows' totals */
    struct page_ids *ids;                /* with totals: filled by the page's parts */
};

static const char *const order_columns[PP_ORDER_COUNT] = {
    "id", "created_ms", "updated_ms", "amount_minor", "start_ms", "end_ms", "status",
};

/* --- SQL fragments ---------------------------------------------------------- */

struct fragment {
    unsigned bit;
    const char *sql; /* the column, then the comparison: "+" may be put in front */
    int selective;   /* 1: keeps its index in page statements */
};

static const struct fragment payout_fragments[] = {
    {PP_PF_CURRENCY, "currency = ?6", 0},         {PP_PF_PROJECT, "project_id = ?7", 1},
    {PP_PF_RECIPIENT, "recipient_id = ?8", 1},    {PP_PF_AMOUNT_MIN, "amount_minor >= ?9", 0},
    {PP_PF_AMOUNT_MAX, "amount_minor <= ?10", 0}, {PP_PF_CREATED_FROM, "created_ms >= ?11", 0},
    {PP_PF_CREATED_TO, "created_ms <= ?12", 0},   {PP_PF_START_FROM, "start_ms >= ?13", 0},
    {PP_PF_START_TO, "start_ms <= ?14", 0},       {PP_PF_END_FROM, "end_ms >= ?15", 0},
    {PP_PF_END_TO, "end_ms <= ?16", 0},
};

static const struct fragment recipient_fragments[] = {
    {PP_RF_USER_NAME, "user_name = ?1", 1},
    {PP_RF_PHONE_NUMBER, "phone_number = ?2", 1},
    {PP_RF_REFERENCE_ID, "reference_id = ?3", 1},
};

static const struct fragment project_fragments[] = {
    {1u, "name = ?1", 1},
};

static const struct fragment ledger_fragments[] = {
    {PP_LF_CURRENCY, "currency = ?1", 1},
    {PP_LF_FROM, "at_ms >= ?2", 0},
    {PP_LF_TO, "at_ms <= ?3", 0},
    {PP_LF_PAYOUT, "payout_id = ?4", 1},
};

static const char payout_select[] = "SELECT " STORE_PAYOUT_COLUMNS " FROM payouts WHERE 1";
static const char recipient_select[] =
    "SELECT id, user_name, phone_number, reference_id, first_name, last_name, email"
    " FROM recipients WHERE 1";
static const char project_select[] = "SELECT id, name, created_ms FROM projects WHERE 1";
static const char ledger_select[] =
    "SELECT id, at_ms, currency, kind, d_available, d_blocked, d_paid_out, payout_id, reference"
    " FROM ledger WHERE 1";

static uint64_t read_shape_key(const struct read_shape *s)
{
    return 1u | ((uint64_t)s->table << 1) | ((uint64_t)s->part << 4) | ((uint64_t)s->order << 6) |
           ((uint64_t)(s->desc != 0) << 10) | ((uint64_t)(s->keyset != 0) << 11) |
           ((uint64_t)(s->status_multi != 0) << 12) | ((uint64_t)s->used << 16);
}

/* The payout status and ids fragments (the ones with several parameters). */
static void sql_payout_sets(struct pp_buf *sql, const struct read_shape *s, int lead_all)
{
    if (s->used & PP_PF_STATUS) {
        /* One status with the id order rides its (status, id) index. */
        int lead = lead_all || (!s->status_multi && s->order == PP_ORDER_ID);
        pp_buf_puts(sql, lead ? " AND status" : " AND +status");
        pp_buf_puts(sql, s->status_multi ? " IN (?1, ?2, ?3, ?4, ?5)" : " = ?1");
    }
    if (s->used & PP_PF_IDS) {
        pp_buf_puts(sql, " AND id IN (");
        for (int i = 0; i < PP_READ_IDS_MAX; i++) {
            pp_buf_printf(sql, i == 0 ? "?%d" : ", ?%d", P_IDS + i);
        }
        pp_buf_putc(sql, ')');
    }
}

static void sql_fragments(struct pp_buf *sql, const struct fragment *frags, size_t count,
                          unsigned used, int lead_all)
{
    for (size_t i = 0; i < count; i++) {
        if (used & frags[i].bit) {
            pp_buf_puts(sql, (lead_all || frags[i].selective) ? " AND " : " AND +");
            pp_buf_puts(sql, frags[i].sql);
        }
    }
}

/* The keyset condition, ORDER BY and LIMIT of a page part. */
static void sql_page_tail(struct pp_buf *sql, const struct read_shape *s)
{
    const char *col = order_columns[s->order];
    const char *cmp = s->desc ? "<" : ">";
    const char *dir = s->desc ? " DESC" : "";
    if (s->keyset && s->order == PP_ORDER_ID) {
        pp_buf_printf(sql, " AND id %s ?18", cmp);
    } else if (s->keyset && s->part == RP_PAGE) {
        pp_buf_printf(sql, " AND %s = ?17 AND id %s ?18", col, cmp);
    } else if (s->keyset) {
        pp_buf_printf(sql, " AND %s %s ?17", col, cmp);
    }
    if (s->order == PP_ORDER_ID || (s->keyset && s->part == RP_PAGE)) {
        pp_buf_printf(sql, " ORDER BY id%s LIMIT ?19", dir);
    } else {
        pp_buf_printf(sql, " ORDER BY %s%s, id%s LIMIT ?19", col, dir, dir);
    }
    if (!s->keyset) {
        pp_buf_puts(sql, " OFFSET ?20");
    }
}

static void sql_build(struct pp_buf *sql, const struct read_shape *s)
{
    static const struct {
        const char *select;
        const char *table;
        const struct fragment *frags;
        size_t count;
    } tables[] = {
        [RT_PAYOUTS] = {payout_select, "payouts", payout_fragments,
                        sizeof payout_fragments / sizeof payout_fragments[0]},
        [RT_RECIPIENTS] = {recipient_select, "recipients", recipient_fragments,
                           sizeof recipient_fragments / sizeof recipient_fragments[0]},
        [RT_PROJECTS] = {project_select, "projects", project_fragments,
                         sizeof project_fragments / sizeof project_fragments[0]},
        [RT_LEDGER] = {ledger_select, "ledger", ledger_fragments,
                       sizeof ledger_fragments / sizeof ledger_fragments[0]},
    };
    PP_ASSERT(s->table >= RT_PAYOUTS && s->table <= RT_LEDGER);
    int count = s->part == RP_COUNT;
    if (count) {
        pp_buf_printf(sql, "SELECT count(*) FROM %s WHERE 1", tables[s->table].table);
    } else {
        pp_buf_puts(sql, tables[s->table].select);
    }
    if (s->table == RT_PAYOUTS) {
        sql_payout_sets(sql, s, count);
    }
    sql_fragments(sql, tables[s->table].frags, tables[s->table].count, s->used, count);
    if (!count) {
        sql_page_tail(sql, s);
    }
}

/* --- The statement cache by shape ------------------------------------------------ */

static void shape_fail(struct store_q *q, int rc)
{
    q->rc = rc;
    q->xrc = sqlite3_extended_errcode(q->conn->db);
    snprintf(q->msg, sizeof q->msg, "%s", sqlite3_errmsg(q->conn->db));
}

/* Takes the statement of shape s on c, preparing it on first use. */
static void shape_init(struct store_q *q, struct store_conn *c, const struct read_shape *s)
{
    uint64_t key = read_shape_key(s);
    unsigned slot = PP_READ_SHAPES;
    memset(q, 0, sizeof *q);
    q->conn = c;
    for (unsigned i = 0; i < PP_READ_SHAPES; i++) {
        if (c->read_shape_keys[i] == key) {
            slot = i;
            break;
        }
    }
    if (slot == PP_READ_SHAPES) {
        slot = c->read_shape_next++ % PP_READ_SHAPES;
        enum store_stmt id = (enum store_stmt)(STORE_STMT_READ_SHAPE_FIRST + (int)slot);
        sqlite3_finalize(c->stmts[id]);
        c->stmts[id] = NULL;
        c->read_shape_keys[slot] = 0;
        struct pp_buf sql;
        pp_buf_init(&sql);
        sql_build(&sql, s);
        PP_ASSERT(sql.len < SQL_BYTES_MAX);
        int rc = sqlite3_prepare_v3(c->db, sql.data, (int)sql.len, SQLITE_PREPARE_PERSISTENT,
                                    &c->stmts[id], NULL);
        pp_buf_free(&sql);
        if (rc != SQLITE_OK) {
            shape_fail(q, rc);
            sqlite3_finalize(c->stmts[id]);
            c->stmts[id] = NULL;
            return;
        }
        c->read_shape_keys[slot] = key;
    }
    q->stmt = c->stmts[STORE_STMT_READ_SHAPE_FIRST + (int)slot];
}

/* Binds v to parameter idx when the statement has it. */
static void bind_i64(struct store_q *q, int idx, int64_t v)
{
    if (q->rc == SQLITE_OK && idx <= sqlite3_bind_parameter_count(q->stmt)) {
        store_q_int64(q, idx, v);
    }
}

static void bind_text(struct store_q *q, int idx, const char *s)
{
    if (q->rc == SQLITE_OK && idx <= sqlite3_bind_parameter_count(q->stmt)) {
        store_q_text(q, idx, s);
    }
}

/* --- Filters: binding and canonical keys ----------------------------------------- */

static void bind_payout_filter(struct store_q *q, const void *filter)
{
    const struct pp_payout_filter *f = filter;
    if (f->used & PP_PF_STATUS) {
        int first = 0;
        int n = 0;
        for (int s = PP_PAYOUT_UNAUTHORIZED; s <= PP_PAYOUT_EXPIRED; s++) {
            if (f->status_mask & (1u << s)) {
                first = first != 0 ? first : s;
                bind_i64(q, P_STATUS + n++, s);
            }
        }
        for (; n < STATUS_SLOTS; n++) {
            bind_i64(q, P_STATUS + n, first);
        }
    }
    if (f->used & PP_PF_IDS) {
        PP_ASSERT(f->ids_count >= 1 && f->ids_count <= PP_READ_IDS_MAX);
        for (size_t i = 0; i < PP_READ_IDS_MAX; i++) {
            bind_i64(q, P_IDS + (int)i, f->ids[i < f->ids_count ? i : 0]);
        }
    }
    static const struct {
        unsigned bit;
        int idx;
        size_t offset;
    } ints[] = {
        {PP_PF_PROJECT, P_PROJECT, offsetof(struct pp_payout_filter, project_id)},
        {PP_PF_RECIPIENT, P_RECIPIENT, offsetof(struct pp_payout_filter, recipient_id)},
        {PP_PF_AMOUNT_MIN, P_AMOUNT_MIN, offsetof(struct pp_payout_filter, amount_min)},
        {PP_PF_AMOUNT_MAX, P_AMOUNT_MAX, offsetof(struct pp_payout_filter, amount_max)},
        {PP_PF_CREATED_FROM, P_CREATED_FROM, offsetof(struct pp_payout_filter, created_from)},
        {PP_PF_CREATED_TO, P_CREATED_TO, offsetof(struct pp_payout_filter, created_to)},
        {PP_PF_START_FROM, P_START_FROM, offsetof(struct pp_payout_filter, start_from)},
        {PP_PF_START_TO, P_START_TO, offsetof(struct pp_payout_filter, start_to)},
        {PP_PF_END_FROM, P_END_FROM, offsetof(struct pp_payout_filter, end_from)},
        {PP_PF_END_TO, P_END_TO, offsetof(struct pp_payout_filter, end_to)},
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        if (f->used & ints[i].bit) {
            int64_t v;
            memcpy(&v, (const char *)f + ints[i].offset, sizeof v);
            bind_i64(q, ints[i].idx, v);
        }
    }
    if (f->used & PP_PF_CURRENCY) {
        bind_text(q, P_CURRENCY, f->currency);
    }
}

static void bind_recipient_filter(struct store_q *q, const void *filter)
{
    const struct pp_recipient_filter *f = filter;
    if (f->used & PP_RF_USER_NAME) {
        bind_text(q, P_TEXT_1, f->user_name);
    }
    if (f->used & PP_RF_PHONE_NUMBER) {
        bind_text(q, P_TEXT_2, f->phone_number);
    }
    if (f->used & PP_RF_REFERENCE_ID) {
        bind_text(q, P_TEXT_3, f->reference_id);
    }
}

static void bind_project_filter(struct store_q *q, const void *filter)
{
    const struct pp_project_filter *f = filter;
    if (f->has_name) {
        bind_text(q, P_TEXT_1, f->name);
    }
}

static void bind_ledger_filter(struct store_q *q, const void *filter)
{
    const struct pp_ledger_filter *f = filter;
    if (f->used & PP_LF_CURRENCY) {
        bind_text(q, P_TEXT_1, f->currency);
    }
    if (f->used & PP_LF_FROM) {
        bind_i64(q, P_TEXT_2, f->from_ms);
    }
    if (f->used & PP_LF_TO) {
        bind_i64(q, P_TEXT_3, f->to_ms);
    }
    if (f->used & PP_LF_PAYOUT) {
        bind_i64(q, P_LEDGER_PAYOUT, f->payout_id);
    }
}

static size_t key_i64(unsigned char *out, size_t at, int64_t v)
{
    for (int i = 0; i < 8; i++) {
        out[at + (size_t)i] = (unsigned char)((uint64_t)v >> (8 * i));
    }
    return at + 8;
}

/* A text field as its length and bytes (bounded by max). */
static size_t key_text(unsigned char *out, size_t at, const char *s, size_t max)
{
    size_t len = strnlen(s, max);
    at = key_i64(out, at, (int64_t)len);
    memcpy(out + at, s, len);
    return at + len;
}

size_t store_payout_filter_key(const struct pp_payout_filter *f, unsigned char *out)
{
    unsigned u = f->used;
    size_t at = key_i64(out, 0, u);
    char cur[4] = {0};
    if (u & PP_PF_CURRENCY) {
        memcpy(cur, f->currency, 3);
    }
    int64_t cur_bits = (int64_t)cur[0] | (int64_t)cur[1] << 8 | (int64_t)cur[2] << 16;
    at = key_i64(out, at, (u & PP_PF_STATUS) ? f->status_mask : 0);
    at = key_i64(out, at, cur_bits);
    at = key_i64(out, at, (u & PP_PF_PROJECT) ? f->project_id : 0);
    at = key_i64(out, at, (u & PP_PF_RECIPIENT) ? f->recipient_id : 0);
    at = key_i64(out, at, (u & PP_PF_AMOUNT_MIN) ? f->amount_min : 0);
    at = key_i64(out, at, (u & PP_PF_AMOUNT_MAX) ? f->amount_max : 0);
    at = key_i64(out, at, (u & PP_PF_CREATED_FROM) ? f->created_from : 0);
    at = key_i64(out, at, (u & PP_PF_CREATED_TO) ? f->created_to : 0);
    at = key_i64(out, at, (u & PP_PF_START_FROM) ? f->start_from : 0);
    at = key_i64(out, at, (u & PP_PF_START_TO) ? f->start_to : 0);
    at = key_i64(out, at, (u & PP_PF_END_FROM) ? f->end_from : 0);
    at = key_i64(out, at, (u & PP_PF_END_TO) ? f->end_to : 0);
    size_t ids = (u & PP_PF_IDS) ? f->ids_count : 0;
    PP_ASSERT(ids <= PP_READ_IDS_MAX);
    at = key_i64(out, at, (int64_t)ids);
    for (size_t i = 0; i < ids; i++) {
        at = key_i64(out, at, f->ids[i]);
    }
    PP_ASSERT(at <= PP_READ_FILTER_KEY_BYTES);
    return at;
}

size_t store_recipient_filter_key(const struct pp_recipient_filter *f, unsigned char *out)
{
    size_t at = key_i64(out, 0, f->used);
    at = key_text(out, at, (f->used & PP_RF_USER_NAME) ? f->user_name : "", PP_IDENT_BYTES_MAX);
    at = key_text(out, at, (f->used & PP_RF_PHONE_NUMBER) ? f->phone_number : "",
                  PP_IDENT_BYTES_MAX);
    at = key_text(out, at, (f->used & PP_RF_REFERENCE_ID) ? f->reference_id : "",
                  PP_IDENT_BYTES_MAX);
    PP_ASSERT(at <= PP_READ_FILTER_KEY_BYTES);
    return at;
}

size_t store_project_filter_key(const struct pp_project_filter *f, unsigned char *out)
{
    size_t at = key_i64(out, 0, f->has_name != 0);
    at = key_text(out, at, f->has_name ? f->name : "", PP_PROJECT_NAME_BYTES_MAX);
    PP_ASSERT(at <= PP_READ_FILTER_KEY_BYTES);
    return at;
}

size_t store_ledger_filter_key(const struct pp_ledger_filter *f, unsigned char *out)
{
    unsigned u = f->used;
    size_t at = key_i64(out, 0, u);
    at = key_text(out, at, (u & PP_LF_CURRENCY) ? f->currency : "", 3);
    at = key_i64(out, at, (u & PP_LF_FROM) ? f->from_ms : 0);
    at = key_i64(out, at, (u & PP_LF_TO) ? f->to_ms : 0);
    at = key_i64(out, at, (u & PP_LF_PAYOUT) ? f->payout_id : 0);
    return at;
}

/* --- Rows -------------------------------------------------------------------------- */

static int row_payout(struct store_q *q, void *fn, void *ctx)
{
    struct pp_payout p;
    if (store_payout_read_row(q, 0, &p) != 0) {
        return -1;
    }
    ((pp_payout_fn)fn)(ctx, &p);
    return 0;
}

/* Reads the recipient columns of recipient_select; -1 when the row breaks
** the schema (logged). */
static int read_recipient(struct store_q *q, struct pp_recipient *r)
{
    memset(r, 0, sizeof *r);
    r->id = sqlite3_column_int64(q->stmt, 0);
    int bad = store_q_col_text(q, 1, r->user_name, sizeof r->user_name);
    bad |= store_q_col_text(q, 2, r->phone_number, sizeof r->phone_number);
    bad |= store_q_col_text(q, 3, r->reference_id, sizeof r->reference_id);
    bad |= store_q_col_text(q, 4, r->first_name, sizeof r->first_name);
    bad |= store_q_col_text(q, 5, r->last_name, sizeof r->last_name);
    bad |= store_q_col_text(q, 6, r->email, sizeof r->email);
    if (bad != 0) {
        pp_log(PP_LOG_ERROR, "store: recipient %lld violates the schema", (long long)r->id);
        return -1;
    }
    return 0;
}

static int row_recipient(struct store_q *q, void *fn, void *ctx)
{
    struct pp_recipient r;
    if (read_recipient(q, &r) != 0) {
        return -1;
    }
    ((pp_recipient_fn)fn)(ctx, &r);
    return 0;
}

static int read_project(struct store_q *q, struct pp_project *p)
{
    memset(p, 0, sizeof *p);
    p->id = sqlite3_column_int64(q->stmt, 0);
    if (store_q_col_text(q, 1, p->name, sizeof p->name) != 0) {
        pp_log(PP_LOG_ERROR, "store: project %lld violates the schema", (long long)p->id);
        return -1;
    }
    p->created_ms = sqlite3_column_int64(q->stmt, 2);
    return 0;
}

static int row_project(struct store_q *q, void *fn, void *ctx)
{
    struct pp_project p;
    if (read_project(q, &p) != 0) {
        return -1;
    }
    ((pp_project_fn)fn)(ctx, &p);
    return 0;
}

static int row_ledger(struct store_q *q, void *fn, void *ctx)
{
    struct pp_ledger_row l;
    memset(&l, 0, sizeof l);
    l.id = sqlite3_column_int64(q->stmt, 0);
    l.at_ms = sqlite3_column_int64(q->stmt, 1);
    int bad = store_q_col_text(q, 2, l.currency, sizeof l.currency);
    int kind = sqlite3_column_int(q->stmt, 3);
    l.kind = (enum pp_ledger_kind)kind;
    l.d_available = sqlite3_column_int64(q->stmt, 4);
    l.d_blocked = sqlite3_column_int64(q->stmt, 5);
    l.d_paid_out = sqlite3_column_int64(q->stmt, 6);
    l.payout_id = sqlite3_column_int64(q->stmt, 7);
    bad |= store_q_col_text(q, 8, l.reference, sizeof l.reference);
    if (bad != 0 || kind < PP_LEDGER_DEPOSIT || kind > PP_LEDGER_PAYOUT) {
        pp_log(PP_LOG_ERROR, "store: ledger row %lld violates the schema", (long long)l.id);
        return -1;
    }
    ((pp_ledger_fn)fn)(ctx, &l);
    return 0;
}

/* --- Running a page ---------------------------------------------------------------- */

static void list_shape(const struct read_list *L, enum read_part part, struct read_shape *s)
{
    s->table = L->table;
    s->part = part;
    s->used = L->used;
    s->status_multi = L->status_multi;
    s->order = part == RP_COUNT ? PP_ORDER_ID : L->page->order;
    s->desc = part == RP_COUNT ? 0 : L->page->desc;
    s->keyset = part == RP_COUNT ? 0 : L->page->keyset;
}

/* Runs one part of the page, asking for at most `want` rows; the rows past
** the page's limit only set info->more. */
static enum pp_status list_part(struct store_conn *c, const struct read_list *L,
                                enum read_part part, int64_t want, struct pp_page_info *info,
                                struct pp_err *err)
{
    struct read_shape s;
    struct store_q q;
    const struct pp_page *page = L->page;
    list_shape(L, part, &s);
    shape_init(&q, c, &s);
    L->bind(&q, L->filter);
    bind_i64(&q, P_LIMIT, want);
    if (page->keyset) {
        bind_i64(&q, P_AFTER_VALUE, page->after_value);
        bind_i64(&q, P_AFTER_ID, page->after_id);
    } else {
        bind_i64(&q, P_OFFSET, page->offset);
    }
    enum pp_status status = PP_OK;
    int rc = store_q_step(&q);
    for (int64_t n = 0; rc == SQLITE_ROW && n < want; n++) {
        if (info->rows == page->limit) {
            info->more = 1;
            break;
        }
        if (L->row(&q, L->fn, L->ctx) != 0) {
            status = pp_err_set(err, PP_INTERNAL, "storage error");
            break;
        }
        if (L->ids != NULL) {
            /* Every list selects the id first; the page holds at most limit rows. */
            PP_ASSERT(L->ids->n < PP_PAGE_SIZE_MAX);
            L->ids->v[L->ids->n++] = sqlite3_column_int64(q.stmt, 0);
        }
        info->rows++;
        rc = store_q_step(&q);
    }
    if (status == PP_OK && rc != SQLITE_ROW && rc != SQLITE_DONE) {
        status = store_q_fail(&q, "reading a list page", err);
    }
    store_q_reset(&q);
    return status;
}

static enum pp_status list_data_version(struct store_conn *c, int64_t *out, struct pp_err *err)
{
    struct store_q q;
    store_q_init(&q, c, STORE_STMT_READ_DATA_VERSION, "PRAGMA data_version");
    enum pp_status status = PP_OK;
    if (store_q_step(&q) == SQLITE_ROW) {
        *out = sqlite3_column_int64(q.stmt, 0);
    } else {
        status = store_q_fail(&q, "reading the data version", err);
    }
    store_q_reset(&q);
    return status;
}

/* The total of L's filter: remembered on c while no commit happened since
** it was counted, else counted (inside the page's read transaction). */
static enum pp_status list_total(struct store_conn *c, const struct read_list *L, int64_t *out,
                                 struct pp_err *err)
{
    int64_t version = 0;
    enum pp_status status = list_data_version(c, &version, err);
    if (status != PP_OK) {
        return status;
    }
    for (unsigned i = 0; i < PP_READ_TOTALS_MEMO; i++) {
        const struct store_read_memo *m = &c->read_memo[i];
        if (m->used && m->data_version == version && m->key_len == L->key_len &&
            memcmp(m->key, L->key, L->key_len) == 0) {
            *out = m->total;
            return PP_OK;
        }
    }
    struct read_shape s;
    struct store_q q;
    list_shape(L, RP_COUNT, &s);
    shape_init(&q, c, &s);
    L->bind(&q, L->filter);
    if (store_q_step(&q) == SQLITE_ROW) {
        *out = sqlite3_column_int64(q.stmt, 0);
        struct store_read_memo *m = &c->read_memo[c->read_memo_next++ % PP_READ_TOTALS_MEMO];
        m->used = 1;
        m->data_version = version;
        m->total = *out;
        m->key_len = L->key_len;
        memcpy(m->key, L->key, L->key_len);
    } else {
        status = store_q_fail(&q, "counting a list", err);
    }
    store_q_reset(&q);
    return status;
}

/* Groups a totals statement may answer: one per owner, currency and status
** (currencies are bounded by the ISO 4217 table, under 1,000 codes). */
#define TOTALS_GROUPS_MAX(owners) (1000 * STATUS_SLOTS * (owners))
/* The exact sum of the amounts of a totals group (two columns). */
#define TOTALS_SUM STORE_SQL_SUM_EXACT("amount_minor")

/* Reads the (currency, status, count, exact sum in two parts) columns
** starting at `first` of q's row into *t; -1 (logged) when the row breaks
** the schema. */
static int read_total(struct store_q *q, int first, struct pp_total *t)
{
    memset(t, 0, sizeof *t);
    int s = sqlite3_column_int(q->stmt, first + 1);
    if (store_q_col_text(q, first, t->currency, sizeof t->currency) != 0 ||
        s < PP_PAYOUT_UNAUTHORIZED || s > PP_PAYOUT_EXPIRED) {
        pp_log(PP_LOG_ERROR, "store: payout totals violate the schema");
        return -1;
    }
    t->status = (enum pp_payout_status)s;
    t->count = sqlite3_column_int64(q->stmt, first + 2);
    t->sum_minor = store_q_col_sum(q, first + 3);
    return 0;
}

/* The SQL of the totals of a page's rows. The ids fill PP_PAGE_SIZE_MAX
** parameters (a shorter page repeats its first id), so one statement per
** list and direction serves every page; the IN list seeks the owner's
** index, and the groups come in the page's order. */
static void page_totals_sql(struct pp_buf *sql, const char *column, int desc)
{
    pp_buf_printf(sql, "SELECT %s, currency, status, count(*), %s FROM payouts WHERE %s IN (",
                  column, TOTALS_SUM, column);
    for (int i = 1; i <= PP_PAGE_SIZE_MAX; i++) {
        pp_buf_printf(sql, i == 1 ? "?%d" : ", ?%d", i);
    }
    pp_buf_printf(sql, ") GROUP BY %s, currency, status ORDER BY %s%s, currency, status", column,
                  column, desc ? " DESC" : "");
}

/* The totals of the rows of L's page (ids collected by its parts), handed
** to L->totals, inside the page's read transaction. */
static enum pp_status page_totals(struct store_conn *c, const struct read_list *L,
                                  struct pp_err *err)
{
    const struct page_ids *ids = L->ids;
    int projects = L->table == RT_PROJECTS;
    int desc = L->page->desc != 0;
    enum store_stmt id = projects ? (desc ? STORE_STMT_READ_PAGE_TOTALS_PROJECTS_DESC
                                          : STORE_STMT_READ_PAGE_TOTALS_PROJECTS)
                                  : (desc ? STORE_STMT_READ_PAGE_TOTALS_RECIPIENTS_DESC
                                          : STORE_STMT_READ_PAGE_TOTALS_RECIPIENTS);
    PP_ASSERT(ids->n >= 1 && ids->n <= PP_PAGE_SIZE_MAX);
    struct pp_buf sql;
    struct store_q q;
    pp_buf_init(&sql);
    page_totals_sql(&sql, projects ? "project_id" : "recipient_id", desc);
    store_q_init(&q, c, id, sql.data);
    pp_buf_free(&sql);
    for (size_t i = 0; i < PP_PAGE_SIZE_MAX; i++) {
        store_q_int64(&q, (int)i + 1, ids->v[i < ids->n ? i : 0]);
    }
    enum pp_status status = PP_OK;
    int rc = store_q_step(&q);
    for (size_t n = 0; rc == SQLITE_ROW && n < TOTALS_GROUPS_MAX(ids->n); n++) {
        struct pp_total t;
        if (read_total(&q, 1, &t) != 0) {
            status = pp_err_set(err, PP_INTERNAL, "storage error");
            break;
        }
        L->totals->fn(L->totals->ctx, sqlite3_column_int64(q.stmt, 0), &t);
        rc = store_q_step(&q);
    }
    if (status == PP_OK && rc != SQLITE_DONE) {
        status = store_q_fail(&q, "summing a page's payouts", err);
    }
    store_q_reset(&q);
    return status;
}

static enum pp_status list_run(struct store_sqlite *st, const struct read_list *L,
                               struct pp_page_info *info, struct pp_err *err)
{
    const struct pp_page *page = L->page;
    PP_ASSERT(page->limit >= 1 && page->offset >= 0 && page->order < PP_ORDER_COUNT);
    PP_ASSERT(page->order == PP_ORDER_ID || L->table == RT_PAYOUTS);
    PP_ASSERT(!page->keyset || page->offset == 0);
    PP_ASSERT(L->totals == NULL ||
              ((L->table == RT_RECIPIENTS || L->table == RT_PROJECTS) && L->ids != NULL &&
               L->ids->n == 0 && page->limit <= PP_PAGE_SIZE_MAX));
    memset(info, 0, sizeof *info);
    info->total = -1;
    /* One more row than the page tells whether another page follows. */
    int64_t want = (int64_t)page->limit + 1;
    /* One read transaction (store_reader_acquire): the page, its totals
    ** and its count agree. */
    struct store_conn *c = store_reader_acquire(st);
    enum pp_status status = list_part(c, L, RP_PAGE, want, info, err);
    if (status == PP_OK && page->keyset && page->order != PP_ORDER_ID && !info->more &&
        (int64_t)info->rows < want) {
        status = list_part(c, L, RP_REST, want - (int64_t)info->rows, info, err);
    }
    if (status == PP_OK && L->totals != NULL && L->ids->n > 0) {
        status = page_totals(c, L, err);
    }
    if (status == PP_OK && page->want_total) {
        status = list_total(c, L, &info->total, err);
    }
    store_reader_release(st, c);
    return status;
}

static void list_key(struct read_list *L, size_t (*keyfn)(const void *, unsigned char *))
{
    L->key[0] = (unsigned char)L->table;
    L->key_len = 1 + keyfn(L->filter, L->key + 1);
}

static size_t key_payouts(const void *f, unsigned char *out)
{
    return store_payout_filter_key(f, out);
}

static size_t key_recipients(const void *f, unsigned char *out)
{
    return store_recipient_filter_key(f, out);
}

static size_t key_projects(const void *f, unsigned char *out)
{
    return store_project_filter_key(f, out);
}

static size_t key_ledger(const void *f, unsigned char *out)
{
    return store_ledger_filter_key(f, out);
}

/* The number of statuses in mask (1..5). */
static int status_count(unsigned mask)
{
    int n = 0;
    for (int s = PP_PAYOUT_UNAUTHORIZED; s <= PP_PAYOUT_EXPIRED; s++) {
        n += (mask & (1u << s)) != 0;
    }
    return n;
}

static void payout_list_init(struct read_list *L, const struct pp_payout_filter *f,
                             const struct pp_page *page)
{
    PP_ASSERT((f->used & ~(unsigned)PP_PF_ALL) == 0);
    PP_ASSERT(!(f->used & PP_PF_STATUS) ||
              (status_count(f->status_mask) >= 1 && (f->status_mask & ~0x3eu) == 0));
    PP_ASSERT(!(f->used & PP_PF_IDS) || (f->ids_count >= 1 && f->ids_count <= PP_READ_IDS_MAX));
    memset(L, 0, sizeof *L);
    L->table = RT_PAYOUTS;
    L->used = f->used;
    L->status_multi = (f->used & PP_PF_STATUS) && status_count(f->status_mask) > 1;
    L->page = page;
    L->filter = f;
    L->bind = bind_payout_filter;
    L->row = row_payout;
    list_key(L, key_payouts);
}

enum pp_status store_sqlite_payouts_page(struct store_sqlite *st, const struct pp_payout_filter *f,
                                         const struct pp_page *page, pp_payout_fn fn, void *ctx,
                                         struct pp_page_info *info, struct pp_err *err)
{
    struct read_list L;
    payout_list_init(&L, f, page);
    L.fn = (void *)fn;
    L.ctx = ctx;
    return list_run(st, &L, info, err);
}

void store_sqlite_payouts_page_sql(const struct pp_payout_filter *f, const struct pp_page *page,
                                   int part, char *out, size_t out_size)
{
    struct read_list L;
    struct read_shape s;
    struct pp_buf sql;
    PP_ASSERT(part >= RP_PAGE && part <= RP_COUNT && out_size > 0);
    payout_list_init(&L, f, page);
    list_shape(&L, (enum read_part)part, &s);
    pp_buf_init(&sql);
    sql_build(&sql, &s);
    snprintf(out, out_size, "%s", sql.data);
    pp_buf_free(&sql);
}

enum pp_status store_sqlite_recipients_page(struct store_sqlite *st,
                                            const struct pp_recipient_filter *f,
                                            const struct pp_page *page, pp_recipient_fn fn,
                                            void *ctx, const struct pp_page_totals *totals,
                                            struct pp_page_info *info, struct pp_err *err)
{
    struct read_list L;
    struct page_ids ids;
    memset(&L, 0, sizeof L);
    ids.n = 0;
    L.totals = totals;
    L.ids = totals != NULL ? &ids : NULL;
    L.table = RT_RECIPIENTS;
    L.used = f->used;
    L.page = page;
    L.filter = f;
    L.bind = bind_recipient_filter;
    L.row = row_recipient;
    L.fn = (void *)fn;
    L.ctx = ctx;
    list_key(&L, key_recipients);
    return list_run(st, &L, info, err);
}

enum pp_status store_sqlite_projects_page(struct store_sqlite *st,
                                          const struct pp_project_filter *f,
                                          const struct pp_page *page, pp_project_fn fn, void *ctx,
                                          const struct pp_page_totals *totals,
                                          struct pp_page_info *info, struct pp_err *err)
{
    struct read_list L;
    struct page_ids ids;
    memset(&L, 0, sizeof L);
    ids.n = 0;
    L.totals = totals;
    L.ids = totals != NULL ? &ids : NULL;
    L.table = RT_PROJECTS;
    L.used = f->has_name ? 1u : 0u;
    L.page = page;
    L.filter = f;
    L.bind = bind_project_filter;
    L.row = row_project;
    L.fn = (void *)fn;
    L.ctx = ctx;
    list_key(&L, key_projects);
    return list_run(st, &L, info, err);
}

enum pp_status store_sqlite_ledger_page(struct store_sqlite *st, const struct pp_ledger_filter *f,
                                        const struct pp_page *page, pp_ledger_fn fn, void *ctx,
                                        struct pp_page_info *info, struct pp_err *err)
{
    struct read_list L;
    memset(&L, 0, sizeof L);
    L.table = RT_LEDGER;
    L.used = f->used;
    L.page = page;
    L.filter = f;
    L.bind = bind_ledger_filter;
    L.row = row_ledger;
    L.fn = (void *)fn;
    L.ctx = ctx;
    list_key(&L, key_ledger);
    return list_run(st, &L, info, err);
}

/* --- Single records and totals ------------------------------------------------------- */

/* A read of one row by id: its statement, what it is called in messages,
** and how its columns become the caller's record. */
struct row_get {
    enum store_stmt stmt;
    const char *sql;
    const char *noun; /* "recipient": "recipient 7 not found" */
    int (*read)(struct store_q *q, void *out);
};

static int read_recipient_row(struct store_q *q, void *out)
{
    return read_recipient(q, out);
}

static int read_project_row(struct store_q *q, void *out)
{
    return read_project(q, out);
}

static const struct row_get recipient_get = {
    STORE_STMT_READ_RECIPIENT_GET,
    "SELECT id, user_name, phone_number, reference_id, first_name, last_name, email"
    " FROM recipients WHERE id = ?1",
    "recipient",
    read_recipient_row,
};

static const struct row_get project_get = {
    STORE_STMT_READ_PROJECT_GET,
    "SELECT id, name, created_ms FROM projects WHERE id = ?1",
    "project",
    read_project_row,
};

/* Reads row id of g into out on a reader; PP_NOT_FOUND when there is none. */
static enum pp_status row_get_run(struct store_sqlite *st, const struct row_get *g, int64_t id,
                                  void *out, struct pp_err *err)
{
    struct store_conn *c = store_reader_acquire(st);
    struct store_q q;
    store_q_init(&q, c, g->stmt, g->sql);
    store_q_int64(&q, 1, id);
    enum pp_status status = PP_OK;
    int rc = store_q_step(&q);
    if (rc == SQLITE_ROW) {
        if (g->read(&q, out) != 0) {
            status = pp_err_set(err, PP_INTERNAL, "storage error");
        }
    } else if (rc == SQLITE_DONE) {
        status = pp_err_set(err, PP_NOT_FOUND, "%s %lld not found", g->noun, (long long)id);
    } else {
        char what[32];
        snprintf(what, sizeof what, "reading a %s", g->noun);
        status = store_q_fail(&q, what, err);
    }
    store_q_reset(&q);
    store_reader_release(st, c);
    return status;
}

enum pp_status store_sqlite_recipient_get(struct store_sqlite *st, int64_t id,
                                          struct pp_recipient *out, struct pp_err *err)
{
    return row_get_run(st, &recipient_get, id, out, err);
}

enum pp_status store_sqlite_project_get(struct store_sqlite *st, int64_t id, struct pp_project *out,
                                        struct pp_err *err)
{
    return row_get_run(st, &project_get, id, out, err);
}

enum pp_status store_sqlite_payout_totals(struct store_sqlite *st, enum pp_totals_of of, int64_t id,
                                          pp_total_fn fn, void *ctx, struct pp_err *err)
{
    PP_ASSERT(of == PP_TOTALS_RECIPIENT || of == PP_TOTALS_PROJECT);
    struct store_conn *c = store_reader_acquire(st);
    struct store_q q;
    if (of == PP_TOTALS_RECIPIENT) {
        store_q_init(&q, c, STORE_STMT_READ_TOTALS_RECIPIENT,
                     "SELECT currency, status, count(*), " TOTALS_SUM " FROM payouts"
                     " WHERE recipient_id = ?1 GROUP BY currency, status"
                     " ORDER BY currency, status");
    } else {
        store_q_init(&q, c, STORE_STMT_READ_TOTALS_PROJECT,
                     "SELECT currency, status, count(*), " TOTALS_SUM " FROM payouts"
                     " WHERE project_id = ?1 GROUP BY currency, status"
                     " ORDER BY currency, status");
    }
    store_q_int64(&q, 1, id);
    enum pp_status status = PP_OK;
    int rc = store_q_step(&q);
    for (int n = 0; rc == SQLITE_ROW && n < TOTALS_GROUPS_MAX(1); n++) {
        struct pp_total t;
        if (read_total(&q, 0, &t) != 0) {
            status = pp_err_set(err, PP_INTERNAL, "storage error");
            break;
        }
        fn(ctx, &t);
        rc = store_q_step(&q);
    }
    if (status == PP_OK && rc != SQLITE_DONE) {
        status = store_q_fail(&q, "summing payouts", err);
    }
    store_q_reset(&q);
    store_reader_release(st, c);
    return status;
}
