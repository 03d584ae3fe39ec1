/*
** This module implements the SQLite backend's webhook endpoints and their
** deliveries (migration 0010): the endpoint operations an admin or an
** integrator asks for (create, update, delete, rotate, test, replay), each
** one transaction with its audit entry; the reads of endpoints and
** attempts; and the delivery worker's side: which deliveries are due
** (with the per-payout order rule in SQL) and the recording of a batch of
** attempt results, with the rules that disable an endpoint (410, or 5 days
** of failures). It does not sign, send or seal anything.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payout/base/assert.h"
#include "payout/base/log.h"
#include "store/event_types.h"
#include "store/sqlite/outbox.h"

#define WEBHOOK_COLUMNS                                                                            \
    "id, url, events, enabled, description, disabled_reason, secret_sealed,"                       \
    " old_secret_sealed, old_secret_until_ms, failing_since_ms, created_ms, updated_ms"

/* "webhook:<id>", the audit subject of an endpoint. */
#define AUDIT_SUBJECT_BYTES 40

static int webhook_read_row(struct store_q *q, struct pp_webhook *w)
{
    sqlite3_stmt *s = q->stmt;
    char events[PP_EVENT_TYPES_TEXT_BYTES];
    memset(w, 0, sizeof *w);
    w->id = sqlite3_column_int64(s, 0);
    int bad = store_q_col_text(q, 1, w->url, sizeof w->url);
    bad |= store_q_col_text(q, 2, events, sizeof events);
    long mask = store_event_types_mask(events);
    bad |= mask < 0;
    w->events_mask = mask < 0 ? 0 : (unsigned)mask;
    w->enabled = sqlite3_column_int(s, 3) != 0;
    bad |= store_q_col_text(q, 4, w->description, sizeof w->description);
    bad |= store_q_col_text(q, 5, w->disabled_reason, sizeof w->disabled_reason);
    bad |= store_q_col_text(q, 6, w->secret_sealed, sizeof w->secret_sealed);
    bad |= store_q_col_text(q, 7, w->old_secret_sealed, sizeof w->old_secret_sealed);
    w->old_secret_until_ms = sqlite3_column_int64(s, 8);
    w->failing_since_ms = sqlite3_column_int64(s, 9);
    w->created_ms = sqlite3_column_int64(s, 10);
    w->updated_ms = sqlite3_column_int64(s, 11);
    if (bad) {
        pp_log(PP_LOG_ERROR, "store: webhook endpoint %lld violates the schema", (long long)w->id);
        return -1;
    }
    return 0;
}

/* Endpoint id (not deleted) read on c, in or out of a transaction. */
static enum pp_status webhook_get(struct store_conn *c, enum store_stmt slot, int64_t id,
                                  struct pp_webhook *out, struct pp_err *err)
{
    struct store_q q;
    store_q_init(&q, c, slot,
                 "SELECT " WEBHOOK_COLUMNS " FROM webhook_endpoints"
                 " WHERE id = ?1 AND deleted_ms IS NULL");
    store_q_int64(&q, 1, id);
    enum pp_status status = PP_OK;
    int rc = store_q_step(&q);
    if (rc == SQLITE_ROW) {
        if (webhook_read_row(&q, out) != 0) {
            status = pp_err_set(err, PP_INTERNAL, "storage error");
        }
    } else if (rc == SQLITE_DONE) {
        status = pp_err_set(err, PP_NOT_FOUND, "webhook endpoint %lld not found", (long long)id);
    } else {
        status = store_q_fail(&q, "reading a webhook endpoint", err);
    }
    store_q_reset(&q);
    return status;
}

static enum pp_status webhook_audit(struct store_sqlite_tx *tx, const struct store_write_ctx *w,
                                    const char *action, int64_t id, const char *detail,
                                    struct pp_err *err)
{
    char subject[AUDIT_SUBJECT_BYTES];
    snprintf(subject, sizeof subject, "webhook:%lld", (long long)id);
    struct pp_audit a = {
        .actor = w->actor,
        .action = action,
        .subject = subject,
        .detail = detail,
        .at_ms = w->now_ms,
    };
    return store_sqlite_tx_audit_append(tx, &a, err);
}

/* Runs q (an UPDATE or INSERT) to its end; PP_NOT_FOUND with `missing`
** when it changed no row (missing NULL: no row is fine). */
static enum pp_status run_change(struct store_q *q, const char *what, const char *missing,
                                 struct pp_err *err)
{
    enum pp_status status = PP_OK;
    if (store_q_step(q) != SQLITE_DONE) {
        status = store_q_fail(q, what, err);
    } else if (missing != NULL && sqlite3_changes(q->conn->db) == 0) {
        status = pp_err_set(err, PP_NOT_FOUND, "%s", missing);
    }
    store_q_reset(q);
    return status;
}

/* An operation's step with the request's Idempotency-Key row recorded in
** the same savepoint after it (as writes.c does for the payout operations). */
struct keyed {
    store_sqlite_tx_fn fn;
    void *arg;
    const struct store_write_ctx *w;
};

static enum pp_status keyed_run(struct store_sqlite_tx *tx, void *arg, struct pp_err *err)
{
    struct keyed *k = arg;
    enum pp_status st = k->fn(tx, k->arg, err);
    if (st == PP_OK) {
        const struct store_idem_key *idem = k->w->idem;
        st = store_sqlite_tx_idem_insert(tx, idem->scope, idem->key, idem->fingerprint,
                                         k->w->now_ms, err);
    }
    return st;
}

static enum pp_status webhook_write(void *backend, const struct store_write_ctx *w,
                                    store_sqlite_tx_fn fn, void *arg, struct pp_err *err)
{
    if (w->idem == NULL) {
        return store_sqlite_write(backend, fn, arg, err);
    }
    struct keyed k = {.fn = fn, .arg = arg, .w = w};
    return store_sqlite_write(backend, keyed_run, &k, err);
}

/* --- Create ----------------------------------------------------------------- */

struct op_create {
    const struct store_write_ctx *w;
    const struct store_webhook_create *in;
    struct pp_webhook *out;
};

static enum pp_status create_run(struct store_sqlite_tx *tx, void *arg, struct pp_err *err)
{
    struct store_conn *c = store_tx_conn(tx);
    struct op_create *op = arg;
    char events[PP_EVENT_TYPES_TEXT_BYTES];
    struct store_q q;
    enum pp_status status = PP_OK;
    store_q_init(&q, c, STORE_STMT_WH_COUNT,
                 "SELECT count(*) FROM webhook_endpoints WHERE deleted_ms IS NULL");
    if (store_q_step(&q) != SQLITE_ROW) {
        status = store_q_fail(&q, "counting webhook endpoints", err);
    } else if (sqlite3_column_int64(q.stmt, 0) >= PP_WEBHOOKS_MAX) {
        status = pp_err_set(err, PP_CONFLICT,
                            "there are %d webhook endpoints already (the most a panel keeps)",
                            PP_WEBHOOKS_MAX);
    }
    store_q_reset(&q);
    if (status != PP_OK) {
        return status;
    }
    store_event_types_text(op->in->events_mask, events, sizeof events);
    store_q_init(&q, c, STORE_STMT_WH_INSERT,
                 "INSERT INTO webhook_endpoints (url, events, enabled, description, secret_sealed,"
                 " created_ms, updated_ms) VALUES (?1, ?2, 1, ?3, ?4, ?5, ?5)");
    store_q_text(&q, 1, op->in->url);
    store_q_text_or_null(&q, 2, events);
    store_q_text_or_null(&q, 3, op->in->description);
    store_q_text(&q, 4, op->in->secret_sealed);
    store_q_int64(&q, 5, op->w->now_ms);
    status = run_change(&q, "creating a webhook endpoint", NULL, err);
    int64_t id = sqlite3_last_insert_rowid(c->db);
    if (status == PP_OK) {
        status = webhook_audit(tx, op->w, "webhook.create", id, op->in->url, err);
    }
    if (status == PP_OK) {
        status = webhook_get(c, STORE_STMT_WH_GET_TX, id, op->out, err);
    }
    return status;
}

enum pp_status store_sqlite_webhook_create(void *backend, const struct store_write_ctx *w,
                                           const struct store_webhook_create *in,
                                           struct pp_webhook *out, struct pp_err *err)
{
    struct op_create op = {.w = w, .in = in, .out = out};
    return webhook_write(backend, w, create_run, &op, err);
}

/* --- Update, delete, rotate --------------------------------------------------- */

struct op_update {
    const struct store_write_ctx *w;
    const struct store_webhook_update *in;
    struct pp_webhook *out;
};

static enum pp_status update_run(struct store_sqlite_tx *tx, void *arg, struct pp_err *err)
{
    struct store_conn *c = store_tx_conn(tx);
    struct op_update *op = arg;
    const struct store_webhook_update *in = op->in;
    char events[PP_EVENT_TYPES_TEXT_BYTES];
    store_event_types_text(in->events_mask, events, sizeof events);
    struct store_q q;
    /* Enabling again starts a clean record: no reason, not failing. */
    store_q_init(&q, c, STORE_STMT_WH_UPDATE,
                 "UPDATE webhook_endpoints SET url = coalesce(?2, url),"
                 " events = CASE WHEN ?3 THEN nullif(?4, '') ELSE events END,"
                 " enabled = coalesce(?5, enabled),"
                 " disabled_reason = CASE WHEN ?5 = 1 THEN NULL ELSE disabled_reason END,"
                 " failing_since_ms = CASE WHEN ?5 = 1 THEN NULL ELSE failing_since_ms END,"
                 " description = CASE WHEN ?6 IS NULL THEN description ELSE nullif(?6, '') END,"
                 " updated_ms = ?7 WHERE id = ?1 AND deleted_ms IS NULL");
    store_q_int64(&q, 1, in->id);
    store_q_text(&q, 2, in->url);
    store_q_int64(&q, 3, in->has_events);
    store_q_text(&q, 4, events);
    if (in->enabled >= 0) {
        store_q_int64(&q, 5, in->enabled);
    }
    store_q_text(&q, 6, in->description);
    store_q_int64(&q, 7, op->w->now_ms);
    enum pp_status status =
        run_change(&q, "updating a webhook endpoint", "webhook endpoint not found", err);
    if (status == PP_OK) {
        const char *detail = in->enabled == 0 ? "disabled" : in->enabled == 1 ? "enabled" : "";
        status = webhook_audit(tx, op->w, "webhook.update", in->id, detail, err);
    }
    if (status == PP_OK) {
        status = webhook_get(c, STORE_STMT_WH_GET_TX, in->id, op->out, err);
    }
    return status;
}

enum pp_status store_sqlite_webhook_update(void *backend, const struct store_write_ctx *w,
                                           const struct store_webhook_update *in,
                                           struct pp_webhook *out, struct pp_err *err)
{
    struct op_update op = {.w = w, .in = in, .out = out};
    return webhook_write(backend, w, update_run, &op, err);
}

struct op_simple {
    const struct store_write_ctx *w;
    int64_t id;
    const char *new_sealed;
    int64_t until_ms;
    struct pp_webhook *out;
    int64_t result;
};

static enum pp_status delete_run(struct store_sqlite_tx *tx, void *arg, struct pp_err *err)
{
    struct store_conn *c = store_tx_conn(tx);
    struct op_simple *op = arg;
    struct store_q q;
    store_q_init(&q, c, STORE_STMT_WH_DELETE,
                 "UPDATE webhook_endpoints SET deleted_ms = ?2, enabled = 0, updated_ms = ?2"
                 " WHERE id = ?1 AND deleted_ms IS NULL");
    store_q_int64(&q, 1, op->id);
    store_q_int64(&q, 2, op->w->now_ms);
    enum pp_status status =
        run_change(&q, "deleting a webhook endpoint", "webhook endpoint not found", err);
    if (status == PP_OK) {
        store_q_init(&q, c, STORE_STMT_WH_GIVE_UP,
                     "UPDATE webhook_deliveries SET state = 3, done_ms = ?2"
                     " WHERE endpoint_id = ?1 AND state = 1");
        store_q_int64(&q, 1, op->id);
        store_q_int64(&q, 2, op->w->now_ms);
        status = run_change(&q, "giving up deliveries", NULL, err);
    }
    if (status == PP_OK) {
        status = webhook_audit(tx, op->w, "webhook.delete", op->id, "", err);
    }
    return status;
}

enum pp_status store_sqlite_webhook_delete(void *backend, const struct store_write_ctx *w,
                                           int64_t id, struct pp_err *err)
{
    struct op_simple op = {.w = w, .id = id};
    return webhook_write(backend, w, delete_run, &op, err);
}

static enum pp_status rotate_run(struct store_sqlite_tx *tx, void *arg, struct pp_err *err)
{
    struct store_conn *c = store_tx_conn(tx);
    struct op_simple *op = arg;
    struct store_q q;
    store_q_init(&q, c, STORE_STMT_WH_ROTATE,
                 "UPDATE webhook_endpoints SET old_secret_sealed = secret_sealed,"
                 " old_secret_until_ms = ?3, secret_sealed = ?2, updated_ms = ?4"
                 " WHERE id = ?1 AND deleted_ms IS NULL");
    store_q_int64(&q, 1, op->id);
    store_q_text(&q, 2, op->new_sealed);
    store_q_int64(&q, 3, op->until_ms);
    store_q_int64(&q, 4, op->w->now_ms);
    enum pp_status status =
        run_change(&q, "rotating a webhook secret", "webhook endpoint not found", err);
    if (status == PP_OK) {
        status = webhook_audit(tx, op->w, "webhook.rotate_secret", op->id, "", err);
    }
    if (status == PP_OK) {
        status = webhook_get(c, STORE_STMT_WH_GET_TX, op->id, op->out, err);
    }
    return status;
}

enum pp_status store_sqlite_webhook_rotate(void *backend, const struct store_write_ctx *w,
                                           int64_t id, const char *new_sealed, int64_t old_until_ms,
                                           struct pp_webhook *out, struct pp_err *err)
{
    struct op_simple op = {
        .w = w, .id = id, .new_sealed = new_sealed, .until_ms = old_until_ms, .out = out};
    return webhook_write(backend, w, rotate_run, &op, err);
}

/* --- Test and replay ------------------------------------------------------------ */

/* One pending delivery of event_id to endpoint_id. */
static enum pp_status delivery_insert(struct store_sqlite_tx *tx, int64_t endpoint_id,
                                      int64_t event_id, int64_t now_ms, struct pp_err *err)
{
    struct store_q q;
    store_q_init(&q, tx->conn, STORE_STMT_WH_DELIVERY_INSERT,
                 "INSERT INTO webhook_deliveries (endpoint_id, event_id, payout_id, state,"
                 " attempts, next_ms, created_ms) VALUES (?1, ?2, NULL, 1, 0, ?3, ?3)");
    store_q_int64(&q, 1, endpoint_id);
    store_q_int64(&q, 2, event_id);
    store_q_int64(&q, 3, now_ms);
    enum pp_status status = run_change(&q, "queueing a delivery", NULL, err);
    if (status == PP_OK) {
        store_sqlite_outbox_touch(tx);
    }
    return status;
}

static enum pp_status test_run(struct store_sqlite_tx *tx, void *arg, struct pp_err *err)
{
    struct store_conn *c = store_tx_conn(tx);
    struct op_simple *op = arg;
    struct pp_webhook *w = pp_check_alloc(malloc(sizeof *w));
    enum pp_status status = webhook_get(c, STORE_STMT_WH_GET_TX, op->id, w, err);
    struct store_sqlite_event_row row = {
        .type = PP_EVENT_WEBHOOK_TEST,
        .sequence = 1,
        .created_ms = op->w->now_ms,
        .endpoint_id = op->id,
    };
    if (status == PP_OK) {
        status = store_sqlite_event_insert(c, &row, &op->result, err);
    }
    if (status == PP_OK) {
        status = delivery_insert(tx, op->id, op->result, op->w->now_ms, err);
    }
    if (status == PP_OK) {
        status = webhook_audit(tx, op->w, "webhook.test", op->id, "", err);
    }
    free(w);
    return status;
}

enum pp_status store_sqlite_webhook_test(void *backend, const struct store_write_ctx *w, int64_t id,
                                         int64_t *event_id_out, struct pp_err *err)
{
    struct op_simple op = {.w = w, .id = id};
    enum pp_status status = webhook_write(backend, w, test_run, &op, err);
    *event_id_out = status == PP_OK ? op.result : 0;
    return status;
}

/* The events a replay matches: of the types of endpoint ?1 (?5: its
** ",a,b," text or NULL), never webhook.test, and either after ?2 or within
** [?3, ?4]. Two shapes, so that the replay reads the id range or
** events_created instead of the whole feed, inside the writer's
** transaction. */
#define REPLAY_TYPES                                                                               \
    " FROM events WHERE type <> 'webhook.test'"                                                    \
    " AND (?5 IS NULL OR instr(?5, ',' || type || ',') > 0)"
#define REPLAY_AFTER REPLAY_TYPES " AND id > ?2"
#define REPLAY_WINDOW REPLAY_TYPES " AND created_ms BETWEEN ?3 AND ?4"

const char *store_sqlite_webhook_replay_sql(int after, int count, enum store_stmt *slot_out)
{
    /* The count stops one past the most a replay may queue (?7). */
    if (count) {
        *slot_out = after ? STORE_STMT_WH_REPLAY_COUNT_AFTER : STORE_STMT_WH_REPLAY_COUNT;
        return after ? "SELECT count(*) FROM (SELECT 1" REPLAY_AFTER " LIMIT ?7)"
                     : "SELECT count(*) FROM (SELECT 1" REPLAY_WINDOW " LIMIT ?7)";
    }
    *slot_out = after ? STORE_STMT_WH_REPLAY_INSERT_AFTER : STORE_STMT_WH_REPLAY_INSERT;
#define REPLAY_INSERT                                                                              \
    "INSERT INTO webhook_deliveries (endpoint_id, event_id, payout_id, state,"                     \
    " attempts, next_ms, created_ms) SELECT ?1, id, payout_id, 1, 0, ?6, ?6"
    return after ? REPLAY_INSERT REPLAY_AFTER " ORDER BY id"
                 : REPLAY_INSERT REPLAY_WINDOW " ORDER BY id";
#undef REPLAY_INSERT
}

struct op_replay {
    const struct store_write_ctx *w;
    const struct store_webhook_replay *in;
    int64_t queued;
};

static void replay_bind(struct store_q *q, const struct store_webhook_replay *in,
                        const char *events)
{
    store_q_int64(q, 1, in->id);
    store_q_int64(q, 2, in->after_id);
    store_q_int64(q, 3, in->from_ms);
    store_q_int64(q, 4, in->to_ms);
    store_q_text_or_null(q, 5, events);
}

static enum pp_status replay_run(struct store_sqlite_tx *tx, void *arg, struct pp_err *err)
{
    struct store_conn *c = store_tx_conn(tx);
    struct op_replay *op = arg;
    char events[PP_EVENT_TYPES_TEXT_BYTES];
    struct pp_webhook *w = pp_check_alloc(malloc(sizeof *w));
    struct store_q q;
    op->queued = 0;
    enum pp_status status = webhook_get(c, STORE_STMT_WH_GET_TX, op->in->id, w, err);
    if (status == PP_OK) {
        store_event_types_text(w->events_mask, events, sizeof events);
        enum store_stmt slot;
        const char *sql = store_sqlite_webhook_replay_sql(op->in->after_id > 0, 1, &slot);
        store_q_init(&q, c, slot, sql);
        replay_bind(&q, op->in, events);
        store_q_int64(&q, 7, PP_WEBHOOK_REPLAY_MAX + 1);
        if (store_q_step(&q) != SQLITE_ROW) {
            status = store_q_fail(&q, "counting events to replay", err);
        } else if (sqlite3_column_int64(q.stmt, 0) > PP_WEBHOOK_REPLAY_MAX) {
            status = pp_err_set(err, PP_INVALID_PARAMS,
                                "more than %d events match; a replay queues at most %d: ask for "
                                "a shorter period",
                                PP_WEBHOOK_REPLAY_MAX, PP_WEBHOOK_REPLAY_MAX);
        }
        store_q_reset(&q);
    }
    if (status == PP_OK) {
        enum store_stmt slot;
        const char *sql = store_sqlite_webhook_replay_sql(op->in->after_id > 0, 0, &slot);
        store_q_init(&q, c, slot, sql);
        replay_bind(&q, op->in, events);
        store_q_int64(&q, 6, op->w->now_ms);
        status = run_change(&q, "queueing a replay", NULL, err);
        op->queued = status == PP_OK ? sqlite3_changes(c->db) : 0;
    }
    if (status == PP_OK && op->queued > 0) {
        store_sqlite_outbox_touch(tx);
    }
    if (status == PP_OK) {
        char detail[64];
        snprintf(detail, sizeof detail, "%lld events queued", (long long)op->queued);
        status = webhook_audit(tx, op->w, "webhook.replay", op->in->id, detail, err);
    }
    free(w);
    return status;
}

enum pp_status store_sqlite_webhook_replay(void *backend, const struct store_write_ctx *w,
                                           const struct store_webhook_replay *in,
                                           int64_t *queued_out, struct pp_err *err)
{
    struct op_replay op = {.w = w, .in = in};
    enum pp_status status = webhook_write(backend, w, replay_run, &op, err);
    *queued_out = status == PP_OK ? op.queued : 0;
    return status;
}

/* --- Reads ---------------------------------------------------------------------- */

enum pp_status store_sqlite_webhooks_list(void *backend, struct pp_webhook *out, size_t cap,
                                          size_t *count_out, struct pp_err *err)
{
    struct store_sqlite *st = backend;
    struct store_conn *c = store_reader_acquire(st);
    struct store_q q;
    store_q_init(&q, c, STORE_STMT_WH_LIST,
                 "SELECT " WEBHOOK_COLUMNS " FROM webhook_endpoints WHERE deleted_ms IS NULL"
                 " ORDER BY id");
    enum pp_status status = PP_OK;
    size_t n = 0;
    int rc = store_q_step(&q);
    while (rc == SQLITE_ROW && n < cap) {
        if (webhook_read_row(&q, &out[n]) != 0) {
            status = pp_err_set(err, PP_INTERNAL, "storage error");
            break;
        }
        n++;
        rc = store_q_step(&q);
    }
    if (status == PP_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        status = store_q_fail(&q, "listing webhook endpoints", err);
    }
    store_q_reset(&q);
    store_reader_release(st, c);
    *count_out = status == PP_OK ? n : 0;
    return status;
}

enum pp_status store_sqlite_webhook_get(void *backend, int64_t id, struct pp_webhook *out,
                                        struct pp_err *err)
{
    struct store_sqlite *st = backend;
    struct store_conn *c = store_reader_acquire(st);
    enum pp_status status = webhook_get(c, STORE_STMT_WH_GET, id, out, err);
    store_reader_release(st, c);
    return status;
}

enum pp_status store_sqlite_webhook_attempts_list(void *backend, int64_t id,
                                                  struct pp_webhook_attempt *out, size_t cap,
                                                  size_t *count_out, struct pp_err *err)
{
    struct store_sqlite *st = backend;
    struct store_conn *c = store_reader_acquire(st);
    struct store_q q;
    store_q_init(&q, c, STORE_STMT_WH_ATTEMPTS,
                 "SELECT id, delivery_id, endpoint_id, event_id, at_ms, duration_ms,"
                 " http_status, error FROM webhook_attempts WHERE endpoint_id = ?1"
                 " ORDER BY id DESC LIMIT ?2");
    store_q_int64(&q, 1, id);
    store_q_int64(&q, 2, (int64_t)cap);
    enum pp_status status = PP_OK;
    size_t n = 0;
    int rc = store_q_step(&q);
    while (rc == SQLITE_ROW && n < cap) {
        struct pp_webhook_attempt *a = &out[n];
        a->id = sqlite3_column_int64(q.stmt, 0);
        a->delivery_id = sqlite3_column_int64(q.stmt, 1);
        a->endpoint_id = sqlite3_column_int64(q.stmt, 2);
        a->event_id = sqlite3_column_int64(q.stmt, 3);
        a->at_ms = sqlite3_column_int64(q.stmt, 4);
        a->duration_ms = sqlite3_column_int64(q.stmt, 5);
        a->http_status = sqlite3_column_int(q.stmt, 6);
        if (store_q_col_text(&q, 7, a->error, sizeof a->error) != 0) {
            status = pp_err_set(err, PP_INTERNAL, "storage error");
            break;
        }
        n++;
        rc = store_q_step(&q);
    }
    if (status == PP_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        status = store_q_fail(&q, "reading delivery attempts", err);
    }
    store_q_reset(&q);
    store_reader_release(st, c);
    *count_out = status == PP_OK ? n : 0;
    return status;
}
