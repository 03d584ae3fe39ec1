/*
** This module implements the SQLite backend's outbox (migration 0010):
** appending an event with its per-payout (or per-currency) sequence, the
** pending deliveries of the endpoints subscribed to it and a due recipient
** notification, all inside the transaction of the change they describe;
** reading the events feed and single events; and the notifications'
** reads and result records.
**
** An event row keeps only what changed: a payout event is read back with
** the payout row as it stands now, minus every moment later than the
** event (event_payout_as_of), which is the payout as it stood then because
** a payout's moments are each set once and its other fields never change.
** It sends nothing and knows no JSON.
*/
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payout/base/assert.h"
#include "payout/base/buf.h"
#include "payout/base/log.h"
#include "store/sqlite/outbox.h"

/* The event columns, then the payout's, in the order
** store_sqlite_event_read_row expects. */
/* STORE_PAYOUT_COLUMNS of the payouts table named p. */
#define P_PAYOUT_COLUMNS                                                                           \
    "p.id, p.project_id, p.recipient_id, p.currency, p.amount_minor, p.start_ms, p.end_ms,"        \
    " p.description, p.notification, p.status, p.created_ms, p.updated_ms, p.uuid, p.metadata,"    \
    " p.authorized_ms, p.received_ms, p.cancelled_ms, p.expired_ms, p.reference"
#define EVENT_COLUMNS                                                                              \
    "e.id, e.type, e.created_ms, e.sequence, e.status, e.currency, e.amount_minor,"                \
    " e.reference, e.available, e.blocked, e.paid_out, e.paid_out_e18, "                           \
    "e.endpoint_id, " P_PAYOUT_COLUMNS
#define EVENT_FROM " FROM events e LEFT JOIN payouts p ON p.id = e.payout_id"
#define EVENT_PAYOUT_FIRST_COLUMN 13

void store_sqlite_outbox_touch(struct store_sqlite_tx *tx)
{
    tx->st->outbox_added = 1;
}

void store_sqlite_outbox_configure(void *backend, store_outbox_wake_fn fn, void *ctx, int mail)
{
    struct store_sqlite *st = backend;
    st->outbox_wake = fn;
    st->outbox_wake_ctx = ctx;
    st->outbox_mail = mail;
}

enum pp_status store_sqlite_event_insert(struct store_conn *c,
                                         const struct store_sqlite_event_row *row, int64_t *id_out,
                                         struct pp_err *err)
{
    static const __int128 e18 = (__int128)1000000000000000000LL;
    struct store_q q;
    store_q_init(&q, c, STORE_STMT_EV_INSERT,
                 "INSERT INTO events (type, payout_id, currency, sequence, created_ms, status,"
                 " endpoint_id, amount_minor, reference, available, blocked, paid_out,"
                 " paid_out_e18) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
    store_q_text(&q, 1, pp_event_type_name(row->type));
    store_q_int64_or_null(&q, 2, row->payout_id);
    store_q_text_or_null(&q, 3, row->currency);
    store_q_int64(&q, 4, row->sequence);
    store_q_int64(&q, 5, row->created_ms);
    store_q_int64_or_null(&q, 6, row->status);
    store_q_int64_or_null(&q, 7, row->endpoint_id);
    store_q_int64_or_null(&q, 8, row->amount_minor);
    store_q_text_or_null(&q, 9, row->reference);
    if (row->balance != NULL) {
        store_q_int64(&q, 10, row->balance->available);
        store_q_int64(&q, 11, row->balance->blocked);
        store_q_int64(&q, 12, (int64_t)(row->balance->paid_out % e18));
        store_q_int64(&q, 13, (int64_t)(row->balance->paid_out / e18));
    }
    enum pp_status st = PP_OK;
    if (store_q_step(&q) == SQLITE_DONE) {
        *id_out = sqlite3_last_insert_rowid(c->db);
    } else {
        st = store_q_fail(&q, "appending an event", err);
    }
    store_q_reset(&q);
    return st;
}

/* The next sequence number: of payout_id's events, or (payout_id 0) of
** currency's funds events. */
static enum pp_status event_sequence_next(struct store_conn *c, int64_t payout_id,
                                          const char *currency, int64_t *seq_out,
                                          struct pp_err *err)
{
    struct store_q q;
    if (payout_id != 0) {
        store_q_init(&q, c, STORE_STMT_EV_SEQ_PAYOUT,
                     "SELECT coalesce(max(sequence), 0) + 1 FROM events WHERE payout_id = ?1");
        store_q_int64(&q, 1, payout_id);
    } else {
        store_q_init(&q, c, STORE_STMT_EV_SEQ_FUNDS,
                     "SELECT coalesce(max(sequence), 0) + 1 FROM events"
                     " WHERE payout_id IS NULL AND currency = ?1");
        store_q_text(&q, 1, currency);
    }
    enum pp_status st = PP_OK;
    if (store_q_step(&q) == SQLITE_ROW) {
        *seq_out = sqlite3_column_int64(q.stmt, 0);
    } else {
        st = store_q_fail(&q, "numbering an event", err);
    }
    store_q_reset(&q);
    return st;
}

/* One pending delivery of event_id per enabled endpoint subscribed to
** type; marks the batch when any was added. */
static enum pp_status event_fanout(struct store_sqlite_tx *tx, enum pp_event_type type,
                                   int64_t event_id, int64_t payout_id, int64_t now_ms,
                                   struct pp_err *err)
{
    struct store_conn *c = tx->conn;
    char needle[40];
    snprintf(needle, sizeof needle, ",%s,", pp_event_type_name(type));
    struct store_q q;
    store_q_init(&q, c, STORE_STMT_EV_FANOUT,
                 "INSERT INTO webhook_deliveries (endpoint_id, event_id, payout_id, state,"
                 " attempts, next_ms, created_ms)"
                 " SELECT id, ?1, ?2, 1, 0, ?3, ?3 FROM webhook_endpoints"
                 " WHERE enabled = 1 AND deleted_ms IS NULL"
                 " AND (events IS NULL OR instr(events, ?4) > 0)");
    store_q_int64(&q, 1, event_id);
    store_q_int64_or_null(&q, 2, payout_id);
    store_q_int64(&q, 3, now_ms);
    store_q_text(&q, 4, needle);
    enum pp_status st = PP_OK;
    if (store_q_step(&q) != SQLITE_DONE) {
        st = store_q_fail(&q, "queueing deliveries", err);
    } else if (sqlite3_changes(c->db) > 0) {
        store_sqlite_outbox_touch(tx);
    }
    store_q_reset(&q);
    return st;
}

/* The notification of kind for payout_id when its notification is on and
** its recipient has an e-mail; never a second one of the same kind. */
static enum pp_status event_notify(struct store_sqlite_tx *tx, int64_t payout_id,
                                   enum pp_notify_kind kind, int64_t now_ms, struct pp_err *err)
{
    struct store_conn *c = tx->conn;
    int mail = tx->st->outbox_mail;
    struct store_q q;
    store_q_init(&q, c, STORE_STMT_EV_NOTIFY_INSERT,
                 "INSERT INTO notifications (payout_id, kind, channel, status, attempts, next_ms,"
                 " created_ms, at_ms)"
                 " SELECT p.id, ?2, 'email', ?3, 0, ?4, ?4, ?4 FROM payouts p"
                 " JOIN recipients r ON r.id = p.recipient_id"
                 " WHERE p.id = ?1 AND p.notification = 1 AND r.email IS NOT NULL"
                 " ON CONFLICT (payout_id, kind) DO NOTHING");
    store_q_int64(&q, 1, payout_id);
    store_q_int64(&q, 2, (int64_t)kind);
    store_q_int64(&q, 3, mail ? PP_NOTIFY_PENDING : PP_NOTIFY_SKIPPED);
    store_q_int64(&q, 4, now_ms);
    enum pp_status st = PP_OK;
    if (store_q_step(&q) != SQLITE_DONE) {
        st = store_q_fail(&q, "recording a notification", err);
    } else if (mail && sqlite3_changes(c->db) > 0) {
        store_sqlite_outbox_touch(tx);
    }
    store_q_reset(&q);
    return st;
}

enum pp_status store_sqlite_event_payout(struct store_sqlite_tx *tx, enum pp_event_type type,
                                         const struct pp_payout *p, int64_t now_ms,
                                         struct pp_err *err)
{
    struct store_conn *c = store_tx_conn(tx);
    PP_ASSERT(pp_event_type_is_payout(type) && p != NULL && p->id > 0);
    struct store_sqlite_event_row row = {
        .type = type,
        .payout_id = p->id,
        .currency = p->currency,
        .created_ms = now_ms,
        .status = (int)p->status,
    };
    int64_t id = 0;
    enum pp_status st = PP_OK;
    /* A payout's first event is its creation: no need to count. */
    row.sequence = 1;
    if (type != PP_EVENT_PAYOUT_CREATED) {
        st = event_sequence_next(c, p->id, NULL, &row.sequence, err);
    }
    if (st == PP_OK) {
        st = store_sqlite_event_insert(c, &row, &id, err);
    }
    if (st == PP_OK) {
        st = event_fanout(tx, type, id, p->id, now_ms, err);
    }
    /* p->notification off: nothing is ever due (the statement would find
    ** that too; this saves it on the create path). */
    if (st == PP_OK && p->notification && p->status == PP_PAYOUT_READY &&
        (type == PP_EVENT_PAYOUT_CREATED || type == PP_EVENT_PAYOUT_AUTHORIZED)) {
        st = event_notify(tx, p->id, PP_NOTIFY_READY, now_ms, err);
    } else if (st == PP_OK && p->notification && type == PP_EVENT_PAYOUT_RECEIVED) {
        st = event_notify(tx, p->id, PP_NOTIFY_RECEIVED, now_ms, err);
    }
    return st;
}

enum pp_status store_sqlite_event_funds(struct store_sqlite_tx *tx, enum pp_event_type type,
                                        const char *currency, int64_t amount_minor,
                                        const char *reference, const struct pp_balance *after,
                                        int64_t now_ms, struct pp_err *err)
{
    struct store_conn *c = store_tx_conn(tx);
    PP_ASSERT(type == PP_EVENT_FUNDS_DEPOSITED || type == PP_EVENT_FUNDS_WITHDRAWN);
    PP_ASSERT(after != NULL && amount_minor > 0 && after->paid_out >= 0);
    struct store_sqlite_event_row row = {
        .type = type,
        .currency = currency,
        .created_ms = now_ms,
        .amount_minor = amount_minor,
        .reference = reference,
        .balance = after,
    };
    int64_t id = 0;
    enum pp_status st = event_sequence_next(c, 0, currency, &row.sequence, err);
    if (st == PP_OK) {
        st = store_sqlite_event_insert(c, &row, &id, err);
    }
    if (st == PP_OK) {
        st = event_fanout(tx, type, id, 0, now_ms, err);
    }
    return st;
}

/* --- Reading events ------------------------------------------------------- */

/* Leaves out of p what happened after the event of type with status
** `status`: the payout as it stood right after that event. */
static void event_payout_as_of(struct pp_payout *p, enum pp_event_type type, int status,
                               int64_t at_ms)
{
    if (type == PP_EVENT_PAYOUT_CREATED || type == PP_EVENT_PAYOUT_AUTHORIZED) {
        p->received_ms = 0;
        p->cancelled_ms = 0;
        p->expired_ms = 0;
        p->reference[0] = '\0';
    }
    if (type == PP_EVENT_PAYOUT_CREATED && status == PP_PAYOUT_UNAUTHORIZED) {
        p->authorized_ms = 0;
    }
    p->status = (enum pp_payout_status)status;
    p->updated_ms = at_ms;
}

int store_sqlite_event_read_row(struct store_q *q, struct pp_event *out)
{
    sqlite3_stmt *s = q->stmt;
    char type[32];
    memset(out, 0, sizeof *out);
    out->id = sqlite3_column_int64(s, 0);
    int bad =
        store_q_col_text(q, 1, type, sizeof type) != 0 || !pp_event_type_parse(type, &out->type);
    out->created_ms = sqlite3_column_int64(s, 2);
    out->sequence = sqlite3_column_int64(s, 3);
    int status = sqlite3_column_int(s, 4);
    if (!bad && pp_event_type_is_payout(out->type)) {
        bad = store_payout_read_row(q, EVENT_PAYOUT_FIRST_COLUMN, &out->payout) != 0 ||
              status < PP_PAYOUT_UNAUTHORIZED || status > PP_PAYOUT_EXPIRED;
        if (!bad) {
            event_payout_as_of(&out->payout, out->type, status, out->created_ms);
        }
    } else if (!bad && out->type != PP_EVENT_WEBHOOK_TEST) {
        bad |= store_q_col_text(q, 5, out->balance.currency, sizeof out->balance.currency);
        out->amount_minor = sqlite3_column_int64(s, 6);
        bad |= store_q_col_text(q, 7, out->reference, sizeof out->reference);
        out->balance.available = sqlite3_column_int64(s, 8);
        out->balance.blocked = sqlite3_column_int64(s, 9);
        out->balance.paid_out =
            (__int128)sqlite3_column_int64(s, 11) * (__int128)1000000000000000000LL +
            (__int128)sqlite3_column_int64(s, 10);
    }
    out->endpoint_id = sqlite3_column_int64(s, 12);
    if (bad) {
        pp_log(PP_LOG_ERROR, "store: event %lld violates the schema", (long long)out->id);
        return -1;
    }
    return 0;
}

/* The conditions every shape of the feed's page shares; the parameters
** are the same in each (?1 after, ?2 type, ?3 payout, ?4 from, ?5 to,
** ?6 limit). */
#define EV_PAGE_REST                                                                               \
    " e.id > ?1 AND e.type <> 'webhook.test' AND (?2 IS NULL OR e.type = ?2)"                      \
    " AND (?3 IS NULL OR e.payout_id = ?3) AND (?4 IS NULL OR e.created_ms >= ?4)"                 \
    " AND (?5 IS NULL OR e.created_ms <= ?5) ORDER BY e.id LIMIT ?6"

const char *store_sqlite_events_page_sql(const struct pp_event_filter *f, enum store_stmt *slot_out)
{
    /* "?3 IS NULL OR e.payout_id = ?3" hides the equality from the
    ** planner, which would then walk the whole feed from `after` for one
    ** payout's events. Stated plainly, it reads the payout's few events
    ** from events_payout, or a type's events from events_type in id
    ** order. A time window alone walks the feed from `after`. */
    if (f->payout_id != 0) {
        *slot_out = STORE_STMT_EV_PAGE_PAYOUT;
        return "SELECT " EVENT_COLUMNS EVENT_FROM " WHERE e.payout_id = ?3 AND" EV_PAGE_REST;
    }
    if (f->has_type) {
        *slot_out = STORE_STMT_EV_PAGE_TYPE;
        return "SELECT " EVENT_COLUMNS EVENT_FROM " WHERE e.type = ?2 AND" EV_PAGE_REST;
    }
    *slot_out = STORE_STMT_EV_PAGE;
    return "SELECT " EVENT_COLUMNS EVENT_FROM " WHERE" EV_PAGE_REST;
}

enum pp_status store_sqlite_events_page(void *backend, const struct pp_event_filter *f,
                                        pp_event_fn fn, void *ctx, struct pp_err *err)
{
    struct store_sqlite *st = backend;
    PP_ASSERT(f->limit >= 1 && f->limit <= PP_EVENTS_PAGE_SIZE_MAX);
    struct pp_event *e = pp_check_alloc(malloc(sizeof *e));
    struct store_conn *c = store_reader_acquire(st);
    struct store_q q;
    enum store_stmt slot;
    const char *sql = store_sqlite_events_page_sql(f, &slot);
    store_q_init(&q, c, slot, sql);
    store_q_int64(&q, 1, f->after_id);
    store_q_text(&q, 2, f->has_type ? pp_event_type_name(f->type) : NULL);
    store_q_int64_or_null(&q, 3, f->payout_id);
    if (f->has_from) {
        store_q_int64(&q, 4, f->from_ms);
    }
    if (f->has_to) {
        store_q_int64(&q, 5, f->to_ms);
    }
    store_q_int64(&q, 6, f->limit);
    enum pp_status status = PP_OK;
    int rc = store_q_step(&q);
    while (rc == SQLITE_ROW) {
        if (store_sqlite_event_read_row(&q, e) != 0) {
            status = pp_err_set(err, PP_INTERNAL, "storage error");
            break;
        }
        if (fn(ctx, e) != 0) {
            break;
        }
        rc = store_q_step(&q);
    }
    if (status == PP_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        status = store_q_fail(&q, "reading events", err);
    }
    store_q_reset(&q);
    store_reader_release(st, c);
    free(e);
    return status;
}

enum pp_status store_sqlite_event_get(void *backend, int64_t id, struct pp_event *out,
                                      struct pp_err *err)
{
    struct store_sqlite *st = backend;
    struct store_conn *c = store_reader_acquire(st);
    struct store_q q;
    store_q_init(&q, c, STORE_STMT_EV_GET, "SELECT " EVENT_COLUMNS EVENT_FROM " WHERE e.id = ?1");
    store_q_int64(&q, 1, id);
    enum pp_status status = PP_OK;
    int rc = store_q_step(&q);
    if (rc == SQLITE_ROW) {
        if (store_sqlite_event_read_row(&q, out) != 0) {
            status = pp_err_set(err, PP_INTERNAL, "storage error");
        }
    } else if (rc == SQLITE_DONE) {
        status = pp_err_set(err, PP_NOT_FOUND, "event not found");
    } else {
        status = store_q_fail(&q, "reading an event", err);
    }
    store_q_reset(&q);
    store_reader_release(st, c);
    return status;
}

/* --- Notifications ---------------------------------------------------------- */

/* Reads the notification columns (id, payout_id, kind, status, attempts,
** at_ms, last_error) starting at column base. */
static int notification_read_at(struct store_q *q, int base, struct pp_notification *n)
{
    sqlite3_stmt *s = q->stmt;
    memset(n, 0, sizeof *n);
    n->id = sqlite3_column_int64(s, base);
    n->payout_id = sqlite3_column_int64(s, base + 1);
    n->kind = (enum pp_notify_kind)sqlite3_column_int(s, base + 2);
    n->status = (enum pp_notify_status)sqlite3_column_int(s, base + 3);
    n->attempts = (unsigned)sqlite3_column_int(s, base + 4);
    n->at_ms = sqlite3_column_int64(s, base + 5);
    int bad = store_q_col_text(q, base + 6, n->last_error, sizeof n->last_error);
    if (bad || n->kind < PP_NOTIFY_READY || n->kind > PP_NOTIFY_RECEIVED ||
        n->status < PP_NOTIFY_PENDING || n->status > PP_NOTIFY_SKIPPED) {
        pp_log(PP_LOG_ERROR, "store: notification %lld violates the schema", (long long)n->id);
        return -1;
    }
    return 0;
}

static int notification_read_row(struct store_q *q, struct pp_notification *n)
{
    return notification_read_at(q, 0, n);
}

#define NOTIFICATION_COLUMNS                                                                       \
    "n.id, n.payout_id, n.kind, n.status, n.attempts, n.at_ms, n.last_error"

enum pp_status store_sqlite_payout_get_noted(void *backend, int64_t id, struct pp_payout *out,
                                             struct pp_notification *notes, size_t cap,
                                             size_t *count_out, struct pp_err *err)
{
    struct store_sqlite *st = backend;
    struct store_conn *c = store_reader_acquire(st);
    struct store_q q;
    /* One statement, so one read transaction: the payout on every row,
    ** then one of its notifications (NULLs when it has none). */
    store_q_init(&q, c, STORE_STMT_PAYOUT_GET_NOTED,
                 "SELECT " P_PAYOUT_COLUMNS
                 ", p.created_by_user, p.authorized_by_user, " NOTIFICATION_COLUMNS
                 " FROM payouts p LEFT JOIN notifications n ON n.payout_id = p.id"
                 " WHERE p.id = ?1 ORDER BY n.kind");
    store_q_int64(&q, 1, id);
    enum pp_status status = PP_OK;
    size_t n = 0;
    int rc = store_q_step(&q);
    if (rc == SQLITE_DONE) {
        status = pp_err_set(err, PP_NOT_FOUND, "payout %lld not found", (long long)id);
    } else if (rc == SQLITE_ROW && store_payout_read_row(&q, 0, out) != 0) {
        status = pp_err_set(err, PP_INTERNAL, "storage error");
    }
    while (status == PP_OK && rc == SQLITE_ROW) {
        if (sqlite3_column_type(q.stmt, STORE_PAYOUT_COLUMN_COUNT) != SQLITE_NULL && n < cap) {
            if (notification_read_at(&q, STORE_PAYOUT_COLUMN_COUNT, &notes[n]) != 0) {
                status = pp_err_set(err, PP_INTERNAL, "storage error");
                break;
            }
            n++;
        }
        rc = store_q_step(&q);
    }
    if (status == PP_OK && rc != SQLITE_DONE) {
        status = store_q_fail(&q, "reading a payout", err);
    }
    store_q_reset(&q);
    store_reader_release(st, c);
    if (status != PP_OK) {
        memset(out, 0, sizeof *out);
    }
    *count_out = status == PP_OK ? n : 0;
    return status;
}

/* The ids of a batch read, sorted, to tell which rows of a range are
** theirs. */
struct notes_ids {
    int64_t *sorted;
    size_t count;
};

static int id_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a;
    int64_t y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int notes_ids_has(const struct notes_ids *ids, int64_t id)
{
    return bsearch(&id, ids->sorted, ids->count, sizeof id, id_cmp) != NULL;
}

/* Binds the read of the notifications of ids to q: one id alone by
** equality; ids close together (a page in id order, a created list) as
** the range from the least to the greatest, the rows of other payouts
** skipped while reading (*range_out 1); ids far apart as a JSON array
** walked by json_each (one statement for any page, but each id goes into
** a temporary index first). text receives the array and lives as long as
** the statement runs. */
static void notifications_query(struct store_conn *c, struct store_q *q,
                                const struct notes_ids *ids, struct pp_buf *text, int *range_out)
{
    int64_t lo = ids->sorted[0];
    int64_t hi = ids->sorted[ids->count - 1];
    *range_out = 0;
    if (ids->count == 1) {
        store_q_init(q, c, STORE_STMT_NOTIFY_OF_PAYOUT,
                     "SELECT " NOTIFICATION_COLUMNS " FROM notifications n WHERE n.payout_id = ?1"
                     " ORDER BY n.kind");
        store_q_int64(q, 1, lo);
        return;
    }
    if ((uint64_t)(hi - lo) <= (uint64_t)ids->count * PP_NOTIFY_RANGE_SPREAD) {
        store_q_init(q, c, STORE_STMT_NOTIFY_OF_RANGE,
                     "SELECT " NOTIFICATION_COLUMNS " FROM notifications n"
                     " WHERE n.payout_id BETWEEN ?1 AND ?2 ORDER BY n.payout_id, n.kind");
        store_q_int64(q, 1, lo);
        store_q_int64(q, 2, hi);
        *range_out = 1;
        return;
    }
    pp_buf_append(text, "[", 1);
    for (size_t i = 0; i < ids->count; i++) {
        pp_buf_printf(text, "%s%" PRId64, i > 0 ? "," : "", ids->sorted[i]);
    }
    pp_buf_append(text, "]", 1);
    store_q_init(q, c, STORE_STMT_NOTIFY_OF_PAYOUTS,
                 "SELECT " NOTIFICATION_COLUMNS " FROM notifications n"
                 " WHERE n.payout_id IN (SELECT value FROM json_each(?1))"
                 " ORDER BY n.payout_id, n.kind");
    store_q_text(q, 1, text->data);
}

enum pp_status store_sqlite_notifications_of_payouts(void *backend, const int64_t *payout_ids,
                                                     size_t id_count, struct pp_notification *out,
                                                     size_t cap, size_t *count_out,
                                                     struct pp_err *err)
{
    struct store_sqlite *st = backend;
    enum pp_status status = PP_OK;
    size_t n = 0;
    int range = 0;
    *count_out = 0;
    if (id_count == 0) {
        return PP_OK;
    }
    struct notes_ids ids = {pp_check_alloc(malloc(id_count * sizeof *ids.sorted)), id_count};
    memcpy(ids.sorted, payout_ids, id_count * sizeof *ids.sorted);
    qsort(ids.sorted, id_count, sizeof *ids.sorted, id_cmp);
    struct store_conn *c = store_reader_acquire(st);
    struct pp_buf text;
    struct store_q q;
    pp_buf_init(&text);
    notifications_query(c, &q, &ids, &text, &range);
    int rc = store_q_step(&q);
    while (rc == SQLITE_ROW && n < cap) {
        if (notification_read_row(&q, &out[n]) != 0) {
            status = pp_err_set(err, PP_INTERNAL, "storage error");
            break;
        }
        n += !range || notes_ids_has(&ids, out[n].payout_id);
        rc = store_q_step(&q);
    }
    if (status == PP_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        status = store_q_fail(&q, "reading notifications", err);
    }
    store_q_reset(&q);
    store_reader_release(st, c);
    pp_buf_free(&text);
    free(ids.sorted);
    *count_out = status == PP_OK ? n : 0;
    return status;
}

/* The earliest next_ms of a pending notification after now_ms. */
static enum pp_status notifications_next(struct store_conn *c, int64_t now_ms, int64_t *next_out,
                                         struct pp_err *err)
{
    struct store_q q;
    store_q_init(&q, c, STORE_STMT_NOTIFY_NEXT,
                 "SELECT min(next_ms) FROM notifications WHERE status = 1 AND next_ms > ?1");
    store_q_int64(&q, 1, now_ms);
    enum pp_status status = PP_OK;
    if (store_q_step(&q) == SQLITE_ROW) {
        *next_out = sqlite3_column_type(q.stmt, 0) == SQLITE_NULL ? INT64_MAX
                                                                  : sqlite3_column_int64(q.stmt, 0);
    } else {
        status = store_q_fail(&q, "reading notifications", err);
    }
    store_q_reset(&q);
    return status;
}

enum pp_status store_sqlite_notifications_due(void *backend, int64_t now_ms,
                                              struct pp_notify_due *out, size_t cap,
                                              size_t *count_out, int64_t *next_ms_out,
                                              struct pp_err *err)
{
    struct store_sqlite *st = backend;
    struct store_conn *c = store_reader_acquire(st);
    struct store_q q;
    store_q_init(&q, c, STORE_STMT_NOTIFY_DUE,
                 "SELECT " NOTIFICATION_COLUMNS ", pr.name, r.email, " P_PAYOUT_COLUMNS
                 " FROM notifications n JOIN payouts p ON p.id = n.payout_id"
                 " JOIN recipients r ON r.id = p.recipient_id"
                 " JOIN projects pr ON pr.id = p.project_id"
                 " WHERE n.status = 1 AND n.next_ms <= ?1 ORDER BY n.next_ms, n.id LIMIT ?2");
    store_q_int64(&q, 1, now_ms);
    store_q_int64(&q, 2, (int64_t)cap);
    enum pp_status status = PP_OK;
    size_t n = 0;
    int rc = store_q_step(&q);
    while (rc == SQLITE_ROW && n < cap) {
        struct pp_notify_due *d = &out[n];
        if (notification_read_row(&q, &d->n) != 0 ||
            store_q_col_text(&q, 7, d->project, sizeof d->project) != 0 ||
            store_q_col_text(&q, 8, d->email, sizeof d->email) != 0 ||
            store_payout_read_row(&q, 9, &d->payout) != 0) {
            status = pp_err_set(err, PP_INTERNAL, "storage error");
            break;
        }
        n++;
        rc = store_q_step(&q);
    }
    if (status == PP_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        status = store_q_fail(&q, "reading due notifications", err);
    }
    store_q_reset(&q);
    if (status == PP_OK) {
        status = notifications_next(c, now_ms, next_ms_out, err);
    }
    store_reader_release(st, c);
    *count_out = status == PP_OK ? n : 0;
    return status;
}

struct notify_record {
    const struct pp_notify_result *results;
    size_t count;
};

static enum pp_status notify_record_run(struct store_sqlite_tx *tx, void *arg, struct pp_err *err)
{
    struct store_conn *c = store_tx_conn(tx);
    const struct notify_record *r = arg;
    enum pp_status status = PP_OK;
    for (size_t i = 0; i < r->count && status == PP_OK; i++) {
        const struct pp_notify_result *res = &r->results[i];
        struct store_q q;
        store_q_init(&q, c, STORE_STMT_NOTIFY_UPDATE,
                     "UPDATE notifications SET status = ?2, attempts = attempts + 1,"
                     " next_ms = ?3, at_ms = ?4, last_error = ?5 WHERE id = ?1 AND status = 1");
        store_q_int64(&q, 1, res->id);
        store_q_int64(&q, 2, (int64_t)res->status);
        store_q_int64(&q, 3, res->status == PP_NOTIFY_PENDING ? res->next_ms : res->at_ms);
        store_q_int64(&q, 4, res->at_ms);
        store_q_text_or_null(&q, 5, res->error);
        if (store_q_step(&q) != SQLITE_DONE) {
            status = store_q_fail(&q, "recording a notification", err);
        }
        store_q_reset(&q);
    }
    return status;
}

enum pp_status store_sqlite_notifications_record(void *backend,
                                                 const struct pp_notify_result *results,
                                                 size_t count, struct pp_err *err)
{
    struct notify_record r = {.results = results, .count = count};
    return store_sqlite_write(backend, notify_record_run, &r, err);
}
