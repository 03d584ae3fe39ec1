/*
** This module implements the audit table: appending entries inside the
** transaction of the action they record, and reading them back (newest
** first, filtered, paged, with the total of matches). The table is
** append-only (triggers in 0003_audit.sql).
*/
#include "payout/store/audit.h"

#include <string.h>

#include "payout/base/assert.h"
#include "payout/base/log.h"
#include "store/sqlite/internal.h"

/* Copies s into out (size bytes), cutting it with "..." when too long. */
static const char *fit_text(const char *s, char *out, size_t size)
{
    size_t len = strlen(s);
    if (len < size) {
        return s;
    }
    size_t keep = size - 4;
    /* Do not cut inside a UTF-8 sequence. */
    while (keep > 0 && ((unsigned char)s[keep] & 0xC0) == 0x80) {
        keep--;
    }
    memcpy(out, s, keep);
    memcpy(out + keep, "...", 4);
    return out;
}

enum pp_status store_sqlite_tx_audit_append(struct store_sqlite_tx *tx, const struct pp_audit *a,
                                            struct pp_err *err)
{
    struct store_conn *c = store_tx_conn(tx);
    PP_ASSERT(a != NULL && a->actor != NULL && a->action != NULL && a->action[0] != '\0');
    char subject[PP_AUDIT_SUBJECT_BYTES_MAX + 1];
    char detail[PP_AUDIT_DETAIL_BYTES_MAX + 1];
    struct store_q q;
    store_q_init(&q, c, STORE_STMT_AUDIT_INSERT,
                 "INSERT INTO audit (at_ms, actor_kind, admin_id, addr, action, subject, detail)"
                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    store_q_int64(&q, 1, a->at_ms);
    store_q_int64(&q, 2, (int64_t)a->actor->kind);
    store_q_int64_or_null(&q, 3, a->actor->admin_id);
    store_q_text_or_null(&q, 4, a->actor->addr);
    store_q_text(&q, 5, a->action);
    store_q_text_or_null(&q, 6, fit_text(a->subject ? a->subject : "", subject, sizeof subject));
    store_q_text_or_null(&q, 7, fit_text(a->detail ? a->detail : "", detail, sizeof detail));
    enum pp_status status = PP_OK;
    if (store_q_step(&q) != SQLITE_DONE) {
        status = store_q_fail(&q, "appending to the audit log", err);
    }
    store_q_reset(&q);
    return status;
}

/* The WHERE clause shared by the page and the count: each filter is a
** bound parameter that is NULL when it does not apply. With an action it
** is stated plainly, so that both read audit_action (in id order) instead
** of the whole log. */
#define AUDIT_REST                                                                                 \
    " (?2 IS NULL OR actor_kind = ?2)"                                                             \
    " AND (?3 IS NULL OR admin_id = ?3) AND (?4 IS NULL OR at_ms >= ?4)"                           \
    " AND (?5 IS NULL OR at_ms <= ?5)"
#define AUDIT_WHERE " WHERE (?1 IS NULL OR action = ?1) AND" AUDIT_REST
#define AUDIT_WHERE_ACTION " WHERE action = ?1 AND" AUDIT_REST
#define AUDIT_COLUMNS "SELECT id, at_ms, actor_kind, admin_id, addr, action, subject, detail"

const char *store_sqlite_audit_sql(const struct pp_audit_filter *f, int count,
                                   enum store_stmt *slot_out)
{
    if (f->action != NULL) {
        *slot_out = count ? STORE_STMT_AUDIT_COUNT_ACTION : STORE_STMT_AUDIT_LIST_ACTION;
        return count ? "SELECT COUNT(*) FROM audit" AUDIT_WHERE_ACTION
                     : AUDIT_COLUMNS " FROM audit" AUDIT_WHERE_ACTION
                                     " ORDER BY id DESC LIMIT ?6 OFFSET ?7";
    }
    *slot_out = count ? STORE_STMT_AUDIT_COUNT : STORE_STMT_AUDIT_LIST;
    return count ? "SELECT COUNT(*) FROM audit" AUDIT_WHERE
                 : AUDIT_COLUMNS " FROM audit" AUDIT_WHERE " ORDER BY id DESC LIMIT ?6 OFFSET ?7";
}

static void bind_filter(struct store_q *q, const struct pp_audit_filter *f)
{
    store_q_text_or_null(q, 1, f->action);
    if (f->has_actor_kind) {
        store_q_int64(q, 2, (int64_t)f->actor_kind);
    }
    store_q_int64_or_null(q, 3, f->admin_id);
    if (f->has_from) {
        store_q_int64(q, 4, f->from_ms);
    }
    if (f->has_to) {
        store_q_int64(q, 5, f->to_ms);
    }
}

/* Copies the current row into e. Returns 0, or -1 when it breaks the schema. */
static int read_entry(struct store_q *q, struct pp_audit_entry *e)
{
    int kind = sqlite3_column_int(q->stmt, 2);
    e->id = sqlite3_column_int64(q->stmt, 0);
    e->at_ms = sqlite3_column_int64(q->stmt, 1);
    e->actor_kind = (enum pp_actor_kind)kind;
    e->admin_id = sqlite3_column_int64(q->stmt, 3);
    if (kind < PP_ACTOR_SYSTEM || kind > PP_ACTOR_ADMIN ||
        store_q_col_text(q, 4, e->addr, sizeof e->addr) != 0 ||
        store_q_col_text(q, 5, e->action, sizeof e->action) != 0 ||
        store_q_col_text(q, 6, e->subject, sizeof e->subject) != 0 ||
        store_q_col_text(q, 7, e->detail, sizeof e->detail) != 0) {
        return -1;
    }
    return 0;
}

static enum pp_status audit_count(struct store_conn *c, const struct pp_audit_filter *f,
                                  int64_t *total_out, struct pp_err *err)
{
    struct store_q q;
    enum store_stmt slot;
    const char *sql = store_sqlite_audit_sql(f, 1, &slot);
    store_q_init(&q, c, slot, sql);
    bind_filter(&q, f);
    enum pp_status status = PP_OK;
    if (store_q_step(&q) == SQLITE_ROW) {
        *total_out = sqlite3_column_int64(q.stmt, 0);
    } else {
        status = store_q_fail(&q, "counting audit entries", err);
    }
    store_q_reset(&q);
    return status;
}

static enum pp_status audit_page(struct store_conn *c, const struct pp_audit_filter *f,
                                 struct pp_audit_entry *out, size_t *count_out, struct pp_err *err)
{
    struct store_q q;
    enum store_stmt slot;
    const char *sql = store_sqlite_audit_sql(f, 0, &slot);
    store_q_init(&q, c, slot, sql);
    bind_filter(&q, f);
    store_q_int64(&q, 6, f->limit);
    store_q_int64(&q, 7, f->offset);
    enum pp_status status = PP_OK;
    size_t n = 0;
    int rc = store_q_step(&q);
    while (rc == SQLITE_ROW && (int64_t)n < f->limit) {
        if (read_entry(&q, &out[n]) != 0) {
            pp_log(PP_LOG_ERROR, "store: audit entry %lld breaks the schema", (long long)out[n].id);
            status = pp_err_set(err, PP_INTERNAL, "storage error");
            break;
        }
        n++;
        rc = store_q_step(&q);
    }
    if (status == PP_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        status = store_q_fail(&q, "reading the audit log", err);
    }
    store_q_reset(&q);
    *count_out = status == PP_OK ? n : 0;
    return status;
}

enum pp_status store_sqlite_audit_list(struct store_sqlite *st, const struct pp_audit_filter *f,
                                       struct pp_audit_entry *out, size_t cap, size_t *count_out,
                                       int64_t *total_out, struct pp_err *err)
{
    PP_ASSERT(f->limit >= 1 && f->limit <= PP_AUDIT_PAGE_SIZE_MAX && (size_t)f->limit <= cap);
    PP_ASSERT(f->offset >= 0);
    *count_out = 0;
    *total_out = 0;
    /* One read transaction (store_reader_acquire): the page and the total
    ** agree. */
    struct store_conn *c = store_reader_acquire(st);
    enum pp_status status = audit_count(c, f, total_out, err);
    if (status == PP_OK) {
        status = audit_page(c, f, out, count_out, err);
    }
    store_reader_release(st, c);
    return status;
}
