/*
** This module implements the PostgreSQL backend's events (migration
** 0010): appending an event with its per-payout (or per-currency funds)
** sequence, the pending deliveries of the endpoints subscribed to it and
** a due recipient notification, all inside the batch of the change they
** describe; reading the events feed and single events; and the
** notifications of a payout.
**
** An event and its fan-out (one delivery per subscribed enabled endpoint)
** are one row of the batch's multi-row insert into events (bulk.c, one
** data-modifying WITH), and a due notification one row of its insert into
** notifications, so a change waits for neither. Numbering: an event's id
** is handed out by the writer (store_pg_tx_id_next: the next after the
** largest) and its sequence is 1 + the largest of its payout (or
** currency); both are safe because every batch holds the writer's lock
** row (writer.c: the writers of all nodes take turns, one batch at a
** time), which also commits event ids in increasing order, so
** a client paging the feed with `after` never misses one committed later
** under a smaller id. The payout's own row lock (taken by the change,
** store_pg_tx_payout_get) would serialise one payout's events on its own;
** the lock row is what the ids rely on. A new delivery is due at the
** database's clock (PG_OUTBOX_NOW_MS), which every node compares with.
**
** An event row keeps only what changed: a payout event is read back with
** the payout row as it stands now, minus every moment later than the
** event (the payout's moments are each set once), as SQLite does. It
** sends nothing and knows no JSON.
*/
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payout/base/assert.h"
#include "payout/base/buf.h"
#include "payout/base/log.h"
#include "store/pg/outbox.h"

/* The payout's columns first (store_pg_payout_read reads from column 0),
** then the event's from EVENT_FIRST_COLUMN. */
#define PG_EVENT_COLUMNS                                                                           \
    PG_OUTBOX_PAYOUT_COLUMNS_P                                                                     \
    ", e.id, e.type, e.created_ms, e.sequence, e.status, e.currency,"                              \
    " e.amount_minor, e.reference, e.available, e.blocked,"                                        \
    " e.paid_out_e18::numeric * 1000000000000000000 + e.paid_out, e.endpoint_id"
#define EVENT_FROM " FROM events e LEFT JOIN payouts p ON p.id = e.payout_id"
#define EVENT_FIRST_COLUMN PG_OUTBOX_PAYOUT_COLUMN_COUNT

/* The conditions every shape of the feed's page shares ($1 after, $2
** type, $3 payout, $4 from, $5 to, $6 limit). */
#define PG_EV_PAGE_REST                                                                            \
    " e.id > $1::bigint AND e.type <> 'webhook.test'"                                              \
    " AND ($2::text IS NULL OR e.type = $2::text)"                                                 \
    " AND ($3::bigint IS NULL OR e.payout_id = $3::bigint)"                                        \
    " AND ($4::bigint IS NULL OR e.created_ms >= $4::bigint)"                                      \
    " AND ($5::bigint IS NULL OR e.created_ms <= $5::bigint) ORDER BY e.id LIMIT $6::bigint"

const struct store_pg_stmt_def store_pg_stmts_events[] = {
    /* A webhook.test event $3 of endpoint $1 at $2 and its one delivery. */
    {PG_STMT_EV_TEST,
     "WITH ev AS (INSERT INTO events (id, type, sequence, created_ms, endpoint_id) VALUES"
     " ($3::bigint, 'webhook.test', 1, $2::bigint, $1::bigint) RETURNING id),"
     " d AS (INSERT INTO webhook_deliveries (endpoint_id, event_id, state, attempts, next_ms,"
     " created_ms) SELECT $1::bigint, ev.id, 1, 0, " PG_OUTBOX_NOW_MS ", $2::bigint FROM ev)"
     " SELECT id FROM ev",
     3},
    /* The feed's page in three shapes, as in SQLite's events.c: a generic
    ** plan would hide the payout's or the type's equality behind "IS NULL
    ** OR" and walk the feed from $1. */
    {PG_STMT_EV_PAGE, "SELECT " PG_EVENT_COLUMNS EVENT_FROM " WHERE" PG_EV_PAGE_REST, 6},
    {PG_STMT_EV_PAGE_PAYOUT,
     "SELECT " PG_EVENT_COLUMNS EVENT_FROM " WHERE e.payout_id = $3::bigint AND" PG_EV_PAGE_REST,
     6},
    {PG_STMT_EV_PAGE_TYPE,
     "SELECT " PG_EVENT_COLUMNS EVENT_FROM " WHERE e.type = $2::text AND" PG_EV_PAGE_REST, 6},
    {PG_STMT_EV_GET, "SELECT " PG_EVENT_COLUMNS EVENT_FROM " WHERE e.id = $1::bigint", 1},
    {PG_STMT_NOTIFY_OF_PAYOUT,
     "SELECT id, payout_id, kind, status, attempts, at_ms, last_error FROM notifications"
     " WHERE payout_id = ANY($1::bigint[]) ORDER BY payout_id, kind",
     1},
    {PG_STMT_COUNT, NULL, 0},
};

/* The notification of kind for payout_id when it is due (see bulk.c's
** statement: its notification on, its recipient with an e-mail). */
static enum pp_status event_notify(struct pg_tx *tx, int64_t payout_id, enum pp_notify_kind kind,
                                   int64_t now_ms, struct pp_err *err)
{
    struct pg_params p;
    pg_params_init(&p);
    pg_param_i64(&p, payout_id);
    pg_param_i64(&p, (int64_t)kind);
    pg_param_i64(&p, tx->st->outbox_mail ? PP_NOTIFY_PENDING : PP_NOTIFY_SKIPPED);
    pg_param_i64(&p, now_ms);
    return store_pg_tx_insert(tx, PG_BULK_NOTIFICATIONS, PG_STMT_COUNT, &p, NULL,
                              "recording a notification", err);
}

enum pp_status store_pg_event_payout(struct pg_tx *tx, enum pp_event_type type,
                                     const struct pp_payout *p, int64_t now_ms, struct pp_err *err)
{
    PP_ASSERT(pp_event_type_is_payout(type) && p != NULL && p->id > 0);
    struct pg_params q;
    pg_params_init(&q);
    pg_param_i64(&q, store_pg_tx_id_next(tx, PG_IDS_EVENTS));
    pg_param_text(&q, pp_event_type_name(type));
    pg_param_i64(&q, p->id);
    pg_param_text(&q, p->currency);
    pg_param_i64(&q, now_ms);
    pg_param_i64(&q, (int64_t)p->status);
    for (int i = 0; i < 6; i++) {
        pg_param_null(&q); /* a funds event's columns */
    }
    enum pp_status st =
        store_pg_tx_insert(tx, PG_BULK_EVENTS, PG_STMT_COUNT, &q, NULL, "appending an event", err);
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

enum pp_status store_pg_event_funds(struct pg_tx *tx, enum pp_event_type type, const char *currency,
                                    int64_t amount_minor, const char *reference,
                                    const struct pp_balance *after, int64_t now_ms,
                                    struct pp_err *err)
{
    static const __int128 e18 = (__int128)1000000000000000000LL;
    PP_ASSERT(type == PP_EVENT_FUNDS_DEPOSITED || type == PP_EVENT_FUNDS_WITHDRAWN);
    PP_ASSERT(after != NULL && amount_minor > 0 && after->paid_out >= 0);
    struct pg_params q;
    pg_params_init(&q);
    pg_param_i64(&q, store_pg_tx_id_next(tx, PG_IDS_EVENTS));
    pg_param_text(&q, pp_event_type_name(type));
    pg_param_null(&q); /* no payout */
    pg_param_text(&q, currency);
    pg_param_i64(&q, now_ms);
    pg_param_null(&q); /* no status */
    pg_param_i64(&q, amount_minor);
    pg_param_text_or_null(&q, reference);
    pg_param_i64(&q, after->available);
    pg_param_i64(&q, after->blocked);
    pg_param_i64(&q, (int64_t)(after->paid_out % e18));
    pg_param_i64(&q, (int64_t)(after->paid_out / e18));
    return store_pg_tx_insert(tx, PG_BULK_EVENTS, PG_STMT_COUNT, &q, NULL, "appending an event",
                              err);
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
    /* An event's payout shows no acting users, as the SQLite backend's
    ** (its event query reads the payout without them). */
    p->created_by_user = 0;
    p->authorized_by_user = 0;
}

int store_pg_event_read(const PGresult *r, int row, struct pp_event *out)
{
    const int c = EVENT_FIRST_COLUMN;
    char type[32];
    memset(out, 0, sizeof *out);
    out->id = pg_col_i64(r, row, c);
    int bad = pg_col_text(r, row, c + 1, type, sizeof type) != 0 ||
              !pp_event_type_parse(type, &out->type);
    out->created_ms = pg_col_i64(r, row, c + 2);
    out->sequence = pg_col_i64(r, row, c + 3);
    int64_t status = pg_col_i64(r, row, c + 4);
    if (!bad && pp_event_type_is_payout(out->type)) {
        bad = store_pg_payout_read(r, row, &out->payout) != 0 || status < PP_PAYOUT_UNAUTHORIZED ||
              status > PP_PAYOUT_EXPIRED;
        if (!bad) {
            event_payout_as_of(&out->payout, out->type, (int)status, out->created_ms);
        }
    } else if (!bad && out->type != PP_EVENT_WEBHOOK_TEST) {
        bad |= pg_col_text(r, row, c + 5, out->balance.currency, sizeof out->balance.currency);
        out->amount_minor = pg_col_i64(r, row, c + 6);
        bad |= pg_col_text(r, row, c + 7, out->reference, sizeof out->reference);
        out->balance.available = pg_col_i64(r, row, c + 8);
        out->balance.blocked = pg_col_i64(r, row, c + 9);
        bad |= pg_col_i128(r, row, c + 10, &out->balance.paid_out);
    }
    out->endpoint_id = pg_col_i64(r, row, c + 11);
    if (bad) {
        pp_log(PP_LOG_ERROR, "store: event %lld violates the schema", (long long)out->id);
        return -1;
    }
    return 0;
}

enum pp_status store_pg_events_page(void *backend, const struct pp_event_filter *f, pp_event_fn fn,
                                    void *ctx, struct pp_err *err)
{
    PP_ASSERT(f->limit >= 1 && f->limit <= PP_EVENTS_PAGE_SIZE_MAX);
    struct pg_params p;
    PGresult *res = NULL;
    pg_params_init(&p);
    pg_param_i64(&p, f->after_id);
    pg_param_text(&p, f->has_type ? pp_event_type_name(f->type) : NULL);
    pg_param_i64_or_null(&p, f->payout_id);
    if (f->has_from) {
        pg_param_i64(&p, f->from_ms);
    } else {
        pg_param_null(&p);
    }
    if (f->has_to) {
        pg_param_i64(&p, f->to_ms);
    } else {
        pg_param_null(&p);
    }
    pg_param_i64(&p, f->limit);
    enum pg_stmt stmt = f->payout_id != 0 ? PG_STMT_EV_PAGE_PAYOUT
                        : f->has_type     ? PG_STMT_EV_PAGE_TYPE
                                          : PG_STMT_EV_PAGE;
    enum pp_status status = store_pg_outbox_read(backend, stmt, &p, &res, "reading events", err);
    struct pp_event *e = pp_check_alloc(malloc(sizeof *e));
    for (int i = 0; status == PP_OK && i < PQntuples(res); i++) {
        if (store_pg_event_read(res, i, e) != 0) {
            status = pp_err_set(err, PP_INTERNAL, "storage error");
        } else if (fn(ctx, e) != 0) {
            break;
        }
    }
    free(e);
    PQclear(res);
    return status;
}

enum pp_status store_pg_event_get(void *backend, int64_t id, struct pp_event *out,
                                  struct pp_err *err)
{
    struct pg_params p;
    PGresult *res = NULL;
    pg_params_init(&p);
    pg_param_i64(&p, id);
    enum pp_status status =
        store_pg_outbox_read(backend, PG_STMT_EV_GET, &p, &res, "reading an event", err);
    if (status == PP_OK && PQntuples(res) == 0) {
        status = pp_err_set(err, PP_NOT_FOUND, "event not found");
    } else if (status == PP_OK && store_pg_event_read(res, 0, out) != 0) {
        status = pp_err_set(err, PP_INTERNAL, "storage error");
    }
    PQclear(res);
    return status;
}

/* --- Notifications of a payout -------------------------------------------- */

int store_pg_notification_read(const PGresult *r, int row, int first, struct pp_notification *n)
{
    memset(n, 0, sizeof *n);
    n->id = pg_col_i64(r, row, first);
    n->payout_id = pg_col_i64(r, row, first + 1);
    n->kind = (enum pp_notify_kind)pg_col_i64(r, row, first + 2);
    n->status = (enum pp_notify_status)pg_col_i64(r, row, first + 3);
    n->attempts = (unsigned)pg_col_i64(r, row, first + 4);
    n->at_ms = pg_col_i64(r, row, first + 5);
    int bad = pg_col_text(r, row, first + 6, n->last_error, sizeof n->last_error);
    if (bad || n->kind < PP_NOTIFY_READY || n->kind > PP_NOTIFY_RECEIVED ||
        n->status < PP_NOTIFY_PENDING || n->status > PP_NOTIFY_SKIPPED) {
        pp_log(PP_LOG_ERROR, "store: notification %lld violates the schema", (long long)n->id);
        return -1;
    }
    return 0;
}

enum pp_status store_pg_notifications_of_payouts(void *backend, const int64_t *payout_ids,
                                                 size_t id_count, struct pp_notification *out,
                                                 size_t cap, size_t *count_out, struct pp_err *err)
{
    struct pg_params p;
    struct pp_buf ids;
    PGresult *res = NULL;
    size_t n = 0;
    *count_out = 0;
    if (id_count == 0) {
        return PP_OK;
    }
    /* The ids as one array parameter in PostgreSQL's text form: {1,2,3}. */
    pp_buf_init(&ids);
    pp_buf_append(&ids, "{", 1);
    for (size_t i = 0; i < id_count; i++) {
        pp_buf_printf(&ids, "%s%" PRId64, i > 0 ? "," : "", payout_ids[i]);
    }
    pp_buf_putc(&ids, '}');
    pg_params_init(&p);
    pg_param_text(&p, ids.data);
    enum pp_status status = store_pg_outbox_read(backend, PG_STMT_NOTIFY_OF_PAYOUT, &p, &res,
                                                 "reading notifications", err);
    for (int i = 0; status == PP_OK && i < PQntuples(res) && n < cap; i++) {
        if (store_pg_notification_read(res, i, 0, &out[n]) != 0) {
            status = pp_err_set(err, PP_INTERNAL, "storage error");
        } else {
            n++;
        }
    }
    PQclear(res);
    pp_buf_free(&ids);
    *count_out = status == PP_OK ? n : 0;
    return status;
}
