/*
** This module implements the SQLite backend's side of the delivery
** worker (migration 0010): which deliveries are due, with the order rule
** of spec section 9 stated in SQL (a payout's event waits while an earlier
** delivery of the same payout to the same endpoint is pending), and the
** recording of a batch of attempt results in one transaction, with the
** rules that disable an endpoint: a 410 answer, or every attempt failing
** for PP_WEBHOOK_DISABLE_AFTER_MS since the last success.
*/
#include <stdio.h>
#include <string.h>

#include "payout/base/assert.h"
#include "payout/base/log.h"
#include "store/sqlite/outbox.h"

/* The earliest next_ms after now_ms of a pending delivery to an enabled
** endpoint (INT64_MAX when none). Deliveries already due but held back by
** the order rule are not counted: the result that frees them wakes the
** worker. */
static enum pp_status due_next(struct store_conn *c, int64_t now_ms, int64_t *next_out,
                               struct pp_err *err)
{
    struct store_q q;
    store_q_init(&q, c, STORE_STMT_WH_NEXT,
                 "SELECT min(d.next_ms) FROM webhook_deliveries d"
                 " JOIN webhook_endpoints e ON e.id = d.endpoint_id"
                 " WHERE d.state = 1 AND d.next_ms > ?1 AND e.enabled = 1");
    store_q_int64(&q, 1, now_ms);
    enum pp_status status = PP_OK;
    if (store_q_step(&q) == SQLITE_ROW) {
        *next_out = sqlite3_column_type(q.stmt, 0) == SQLITE_NULL ? INT64_MAX
                                                                  : sqlite3_column_int64(q.stmt, 0);
    } else {
        status = store_q_fail(&q, "reading the next delivery", err);
    }
    store_q_reset(&q);
    return status;
}

static int skipped(const int64_t *skip, size_t n, int64_t id)
{
    for (size_t i = 0; i < n; i++) {
        if (skip[i] == id) {
            return 1;
        }
    }
    return 0;
}

enum pp_status store_sqlite_webhook_due_list(void *backend, int64_t now_ms, const int64_t *skip,
                                             size_t skip_count, struct pp_webhook_due *out,
                                             size_t cap, size_t *count_out, int64_t *next_ms_out,
                                             struct pp_err *err)
{
    struct store_sqlite *st = backend;
    struct store_conn *c = store_reader_acquire(st);
    struct store_q q;
    store_q_init(&q, c, STORE_STMT_WH_DUE,
                 "SELECT d.id, d.endpoint_id, d.event_id, d.attempts FROM webhook_deliveries d"
                 " JOIN webhook_endpoints e ON e.id = d.endpoint_id"
                 " WHERE d.state = 1 AND d.next_ms <= ?1 AND e.enabled = 1"
                 " AND (d.payout_id IS NULL OR NOT EXISTS (SELECT 1 FROM webhook_deliveries o"
                 " WHERE o.state = 1 AND o.endpoint_id = d.endpoint_id"
                 " AND o.payout_id = d.payout_id AND o.event_id < d.event_id))"
                 " ORDER BY d.next_ms, d.id LIMIT ?2");
    store_q_int64(&q, 1, now_ms);
    store_q_int64(&q, 2, (int64_t)(cap + skip_count));
    enum pp_status status = PP_OK;
    size_t n = 0;
    int rc = store_q_step(&q);
    while (rc == SQLITE_ROW && n < cap) {
        int64_t id = sqlite3_column_int64(q.stmt, 0);
        if (!skipped(skip, skip_count, id)) {
            out[n].delivery_id = id;
            out[n].endpoint_id = sqlite3_column_int64(q.stmt, 1);
            out[n].event_id = sqlite3_column_int64(q.stmt, 2);
            out[n].attempts = (unsigned)sqlite3_column_int(q.stmt, 3);
            n++;
        }
        rc = store_q_step(&q);
    }
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        status = store_q_fail(&q, "reading due deliveries", err);
    }
    store_q_reset(&q);
    if (status == PP_OK) {
        status = due_next(c, now_ms, next_ms_out, err);
    }
    store_reader_release(st, c);
    *count_out = status == PP_OK ? n : 0;
    return status;
}

struct op_results {
    const struct store_write_ctx *w;
    const struct pp_webhook_result *results;
    size_t count;
};

static enum pp_status attempt_insert(struct store_conn *c, const struct pp_webhook_result *r,
                                     struct pp_err *err)
{
    struct store_q q;
    store_q_init(&q, c, STORE_STMT_WH_ATTEMPT_INSERT,
                 "INSERT INTO webhook_attempts (delivery_id, endpoint_id, event_id, at_ms,"
                 " duration_ms, http_status, error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    store_q_int64(&q, 1, r->delivery_id);
    store_q_int64(&q, 2, r->endpoint_id);
    store_q_int64(&q, 3, r->event_id);
    store_q_int64(&q, 4, r->at_ms);
    store_q_int64(&q, 5, r->duration_ms < 0 ? 0 : r->duration_ms);
    store_q_int64_or_null(&q, 6, r->http_status);
    store_q_text_or_null(&q, 7, r->error);
    enum pp_status status = PP_OK;
    if (store_q_step(&q) != SQLITE_DONE) {
        status = store_q_fail(&q, "recording an attempt", err);
    }
    store_q_reset(&q);
    return status;
}

/* The delivery's new state, and the endpoint's failing record; returns
** through *failing_since_out the endpoint's failing_since_ms after (0:
** not failing or gone). */
static enum pp_status delivery_update(struct store_conn *c, const struct pp_webhook_result *r,
                                      int64_t *failing_since_out, struct pp_err *err)
{
    int state = r->outcome == PP_WEBHOOK_DELIVERED ? 2 : r->outcome == PP_WEBHOOK_RETRY ? 1 : 3;
    int64_t end_ms = r->at_ms + (r->duration_ms < 0 ? 0 : r->duration_ms);
    struct store_q q;
    store_q_init(&q, c, STORE_STMT_WH_DELIVERY_SET,
                 "UPDATE webhook_deliveries SET state = ?2, attempts = attempts + 1,"
                 " next_ms = ?3, done_ms = ?4 WHERE id = ?1 AND state = 1");
    store_q_int64(&q, 1, r->delivery_id);
    store_q_int64(&q, 2, state);
    store_q_int64(&q, 3, state == 1 ? r->next_ms : end_ms);
    store_q_int64_or_null(&q, 4, state == 1 ? 0 : end_ms);
    enum pp_status status = PP_OK;
    if (store_q_step(&q) != SQLITE_DONE) {
        status = store_q_fail(&q, "recording a delivery", err);
    }
    store_q_reset(&q);
    if (status != PP_OK) {
        return status;
    }
    store_q_init(&q, c, STORE_STMT_WH_FAILING_SET,
                 "UPDATE webhook_endpoints SET failing_since_ms = CASE WHEN ?2 THEN NULL"
                 " ELSE coalesce(failing_since_ms, ?3) END WHERE id = ?1"
                 " RETURNING coalesce(failing_since_ms, 0)");
    store_q_int64(&q, 1, r->endpoint_id);
    store_q_int64(&q, 2, r->outcome == PP_WEBHOOK_DELIVERED);
    store_q_int64(&q, 3, r->at_ms);
    int rc = store_q_step(&q);
    *failing_since_out = rc == SQLITE_ROW ? sqlite3_column_int64(q.stmt, 0) : 0;
    if (rc == SQLITE_ROW) {
        rc = store_q_step(&q);
    }
    if (rc != SQLITE_DONE) {
        status = store_q_fail(&q, "recording an endpoint's failures", err);
    }
    store_q_reset(&q);
    return status;
}

/* Disables endpoint id with reason, and audits it as the system's act. */
static enum pp_status endpoint_disable(struct store_sqlite_tx *tx, const struct store_write_ctx *w,
                                       int64_t id, const char *reason, struct pp_err *err)
{
    struct store_q q;
    store_q_init(&q, tx->conn, STORE_STMT_WH_DISABLE,
                 "UPDATE webhook_endpoints SET enabled = 0, disabled_reason = ?2, updated_ms = ?3"
                 " WHERE id = ?1 AND enabled = 1");
    store_q_int64(&q, 1, id);
    store_q_text(&q, 2, reason);
    store_q_int64(&q, 3, w->now_ms);
    enum pp_status status = PP_OK;
    int changed = 0;
    if (store_q_step(&q) != SQLITE_DONE) {
        status = store_q_fail(&q, "disabling an endpoint", err);
    } else {
        changed = sqlite3_changes(tx->conn->db) > 0;
    }
    store_q_reset(&q);
    if (status == PP_OK && changed) {
        char subject[40];
        snprintf(subject, sizeof subject, "webhook:%lld", (long long)id);
        struct pp_audit a = {.actor = w->actor,
                             .action = "webhook.disable",
                             .subject = subject,
                             .detail = reason,
                             .at_ms = w->now_ms};
        status = store_sqlite_tx_audit_append(tx, &a, err);
    }
    return status;
}

static enum pp_status results_run(struct store_sqlite_tx *tx, void *arg, struct pp_err *err)
{
    struct store_conn *c = store_tx_conn(tx);
    const struct op_results *op = arg;
    enum pp_status status = PP_OK;
    for (size_t i = 0; i < op->count && status == PP_OK; i++) {
        const struct pp_webhook_result *r = &op->results[i];
        int64_t failing_since = 0;
        status = attempt_insert(c, r, err);
        if (status == PP_OK) {
            status = delivery_update(c, r, &failing_since, err);
        }
        if (status == PP_OK && r->outcome == PP_WEBHOOK_GONE) {
            status =
                endpoint_disable(tx, op->w, r->endpoint_id, "the endpoint answered 410 Gone", err);
        } else if (status == PP_OK && failing_since > 0 &&
                   r->at_ms - failing_since >= PP_WEBHOOK_DISABLE_AFTER_MS) {
            status =
                endpoint_disable(tx, op->w, r->endpoint_id, "every attempt failed for 5 days", err);
        }
    }
    /* A finished delivery may free the next event of its payout. */
    if (status == PP_OK && op->count > 0) {
        store_sqlite_outbox_touch(tx);
    }
    return status;
}

enum pp_status store_sqlite_webhook_results_record(void *backend, const struct store_write_ctx *w,
                                                   const struct pp_webhook_result *results,
                                                   size_t count, struct pp_err *err)
{
    struct op_results op = {.w = w, .results = results, .count = count};
    return store_sqlite_write(backend, results_run, &op, err);
}

/* Counts rows of sql, grouped by its first column (a state or status in
** 1..cap-1), into counts[]. */
static enum pp_status counts_by(struct store_conn *c, enum store_stmt id, const char *sql,
                                int64_t *counts, int cap, struct pp_err *err)
{
    struct store_q q;
    store_q_init(&q, c, id, sql);
    enum pp_status status = PP_OK;
    int rc = store_q_step(&q);
    while (rc == SQLITE_ROW) {
        int key = sqlite3_column_int(q.stmt, 0);
        if (key > 0 && key < cap) {
            counts[key] = sqlite3_column_int64(q.stmt, 1);
        }
        rc = store_q_step(&q);
    }
    if (rc != SQLITE_DONE) {
        status = store_q_fail(&q, "counting the outbox", err);
    }
    store_q_reset(&q);
    return status;
}

enum pp_status store_sqlite_outbox_counts(void *backend, struct pp_outbox_counts *out,
                                          struct pp_err *err)
{
    struct store_sqlite *st = backend;
    int64_t states[4] = {0};
    memset(out, 0, sizeof *out);
    struct store_conn *c = store_reader_acquire(st);
    enum pp_status status = counts_by(c, STORE_STMT_OUTBOX_DELIVERIES,
                                      "SELECT state, count(*) FROM webhook_deliveries"
                                      " WHERE state IN (1, 3) GROUP BY state",
                                      states, 4, err);
    if (status == PP_OK) {
        status = counts_by(c, STORE_STMT_OUTBOX_NOTIFICATIONS,
                           "SELECT status, count(*) FROM notifications GROUP BY status",
                           out->notifications, PP_NOTIFY_SKIPPED + 1, err);
    }
    store_reader_release(st, c);
    out->deliveries_pending = states[1];
    out->deliveries_failed = states[3];
    return status;
}
