/*
** This module implements the PostgreSQL backend's side of the delivery
** worker and of the mail thread (migration 0010), for any number of nodes
** on one database.
**
** Claiming. Every node runs its own workers, and each event must go to
** each endpoint from one node at a time (spec section 10). A worker takes
** what is due with one statement on a read connection, outside the
** writer: it locks the due rows with FOR UPDATE SKIP LOCKED (a row another
** node is claiming at that moment is skipped, never waited for) and moves
** their next_ms PP_WEBHOOK_CLAIM_MS ahead (PP_NOTIFY_CLAIM_MS for
** notifications), so no other node finds them due while this one sends.
** Each look renews the claims of the deliveries still in flight (the
** worker names them); recording the attempt sets next_ms again (the
** retry) or ends the row; a node that dies mid-send leaves its claims to
** the others once they run out. The claim also keeps the per-endpoint limit
** (PP_WEBHOOK_INFLIGHT_PER_ENDPOINT, counting the deliveries the caller
** has in flight), so nothing is claimed that the worker would not start.
** The order rule of spec section 9 (a payout's event waits while an
** earlier delivery of the same payout to the same endpoint is pending) is
** in the same statement: a claimed row stays pending.
**
** Time. "Due" is judged by the database's clock (PG_OUTBOX_NOW_MS), one
** clock for all nodes: new rows are due at it, a claim runs out on it,
** and a retry is stored as the database's time plus the delay the worker
** chose (its next_ms less its own now). The next moment handed back to a
** worker is turned into its own clock the same way.
**
** Results are recorded through the writer, a batch in one transaction,
** with the rules that disable an endpoint (a 410 answer, or every attempt
** failing for PP_WEBHOOK_DISABLE_AFTER_MS) as in SQLite.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payout/base/assert.h"
#include "payout/base/log.h"
#include "store/pg/outbox.h"

/* Bytes of a bigint[] literal of PP_WEBHOOK_INFLIGHT_MAX ids. */
#define SKIP_TEXT_BYTES (PP_WEBHOOK_INFLIGHT_MAX * 21 + 3)

const struct store_pg_stmt_def store_pg_stmts_deliveries[] = {
    /* $1 the ids in flight here (their claims are renewed), $2 how many
    ** to claim, $3 the per-endpoint limit, $4 the claim's length. */
    {PG_STMT_WH_CLAIM,
     "WITH renew AS (UPDATE webhook_deliveries SET next_ms = " PG_OUTBOX_NOW_MS " + $4::bigint"
     " WHERE id = ANY ($1::bigint[]) AND state = 1 RETURNING id),"
     " busy AS (SELECT endpoint_id, count(*) AS n FROM webhook_deliveries"
     " WHERE id = ANY ($1::bigint[]) GROUP BY endpoint_id),"
     " due AS (SELECT d.id, d.next_ms, coalesce(b.n, 0) + row_number() OVER"
     " (PARTITION BY d.endpoint_id ORDER BY d.next_ms, d.id) AS load"
     " FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id"
     " LEFT JOIN busy b ON b.endpoint_id = d.endpoint_id"
     " WHERE d.state = 1 AND d.next_ms <= " PG_OUTBOX_NOW_MS " AND e.enabled = 1"
     " AND d.id <> ALL ($1::bigint[])"
     " AND (d.payout_id IS NULL OR NOT EXISTS (SELECT 1 FROM webhook_deliveries o"
     " WHERE o.state = 1 AND o.endpoint_id = d.endpoint_id"
     " AND o.payout_id = d.payout_id AND o.event_id < d.event_id))),"
     " picked AS (SELECT id FROM due WHERE load <= $3::bigint ORDER BY next_ms, id"
     " LIMIT $2::bigint),"
     " locked AS (SELECT d.id, d.next_ms FROM webhook_deliveries d JOIN picked USING (id)"
     " WHERE d.state = 1 AND d.next_ms <= " PG_OUTBOX_NOW_MS " FOR UPDATE OF d SKIP LOCKED),"
     " claimed AS (UPDATE webhook_deliveries d SET next_ms = " PG_OUTBOX_NOW_MS " + $4::bigint"
     " FROM locked WHERE d.id = locked.id"
     " RETURNING d.id, d.endpoint_id, d.event_id, d.attempts, locked.next_ms AS due_ms)"
     " SELECT id, endpoint_id, event_id, attempts FROM claimed ORDER BY due_ms, id",
     4},
    /* How far (ms, on the database's clock) the next pending delivery to an
    ** enabled endpoint is; NULL when none. */
    {PG_STMT_WH_NEXT,
     "SELECT min(d.next_ms) - " PG_OUTBOX_NOW_MS " FROM webhook_deliveries d"
     " JOIN webhook_endpoints e ON e.id = d.endpoint_id"
     " WHERE d.state = 1 AND d.next_ms > " PG_OUTBOX_NOW_MS " AND e.enabled = 1",
     0},
    {PG_STMT_WH_ATTEMPT_INSERT,
     "INSERT INTO webhook_attempts (delivery_id, endpoint_id, event_id, at_ms, duration_ms,"
     " http_status, error) VALUES ($1::bigint, $2::bigint, $3::bigint, $4::bigint, $5::bigint,"
     " $6::bigint, $7::text)",
     7},
    /* $2 the new state; $3 the delay of a retry (ms from now, on the
    ** database's clock) or NULL; $4 the end of the attempt. */
    {PG_STMT_WH_DELIVERY_SET,
     "UPDATE webhook_deliveries SET state = $2::bigint, attempts = attempts + 1,"
     " next_ms = coalesce(" PG_OUTBOX_NOW_MS " + $3::bigint, $4::bigint),"
     " done_ms = CASE WHEN $2::bigint = 1 THEN NULL ELSE $4::bigint END"
     " WHERE id = $1::bigint AND state = 1",
     4},
    {PG_STMT_WH_FAILING_SET,
     "UPDATE webhook_endpoints SET failing_since_ms = CASE WHEN $2::bigint = 1 THEN NULL"
     " ELSE coalesce(failing_since_ms, $3::bigint) END WHERE id = $1::bigint"
     " RETURNING coalesce(failing_since_ms, 0)",
     3},
    {PG_STMT_WH_DISABLE,
     "UPDATE webhook_endpoints SET enabled = 0, disabled_reason = $2::text,"
     " updated_ms = $3::bigint WHERE id = $1::bigint AND enabled = 1",
     3},
    /* $1 how many to claim, $2 the claim's length. */
    {PG_STMT_NOTIFY_CLAIM,
     "WITH locked AS (SELECT n.id, n.next_ms FROM notifications n"
     " WHERE n.status = 1 AND n.next_ms <= " PG_OUTBOX_NOW_MS " ORDER BY n.next_ms, n.id"
     " LIMIT $1::bigint FOR UPDATE SKIP LOCKED),"
     " claimed AS (UPDATE notifications n SET next_ms = " PG_OUTBOX_NOW_MS " + $2::bigint"
     " FROM locked WHERE n.id = locked.id"
     " RETURNING n.id, n.payout_id, n.kind, n.status, n.attempts, n.at_ms, n.last_error,"
     " locked.next_ms AS due_ms)"
     " SELECT " PG_OUTBOX_PAYOUT_COLUMNS_P ", c.id, c.payout_id, c.kind, c.status, c.attempts,"
     " c.at_ms, c.last_error, pr.name, r.email FROM claimed c"
     " JOIN payouts p ON p.id = c.payout_id JOIN recipients r ON r.id = p.recipient_id"
     " JOIN projects pr ON pr.id = p.project_id ORDER BY c.due_ms, c.id",
     2},
    {PG_STMT_NOTIFY_NEXT,
     "SELECT min(next_ms) - " PG_OUTBOX_NOW_MS " FROM notifications"
     " WHERE status = 1 AND next_ms > " PG_OUTBOX_NOW_MS,
     0},
    /* $3 the delay of a retry (ms from now, on the database's clock) or
    ** NULL; $4 when the send ended. */
    {PG_STMT_NOTIFY_UPDATE,
     "UPDATE notifications SET status = $2::bigint, attempts = attempts + 1,"
     " next_ms = coalesce(" PG_OUTBOX_NOW_MS " + $3::bigint, $4::bigint), at_ms = $4::bigint,"
     " last_error = $5::text WHERE id = $1::bigint AND status = 1",
     5},
    {PG_STMT_COUNT, NULL, 0},
};

/* *next_ms_out = now_ms + the delay in column 0 of a WH_NEXT/NOTIFY_NEXT
** result (INT64_MAX when NULL): the database's distance, the caller's clock. */
static enum pp_status next_read(struct store_pg *st, enum pg_stmt id, int64_t now_ms,
                                int64_t *next_ms_out, struct pp_err *err)
{
    PGresult *res = NULL;
    enum pp_status status = store_pg_outbox_read(st, id, NULL, &res, "reading the next due", err);
    *next_ms_out = INT64_MAX;
    if (status == PP_OK && !PQgetisnull(res, 0, 0)) {
        int64_t in_ms = pg_col_i64(res, 0, 0);
        *next_ms_out = now_ms + (in_ms < 0 ? 0 : in_ms);
    }
    PQclear(res);
    return status;
}

enum pp_status store_pg_webhook_due_list(void *backend, int64_t now_ms, const int64_t *skip,
                                         size_t skip_count, struct pp_webhook_due *out, size_t cap,
                                         size_t *count_out, int64_t *next_ms_out,
                                         struct pp_err *err)
{
    struct store_pg *st = backend;
    char skip_text[SKIP_TEXT_BYTES];
    struct pg_params p;
    PGresult *res = NULL;
    size_t n = 0;
    PP_ASSERT(skip_count <= PP_WEBHOOK_INFLIGHT_MAX && cap <= PP_WEBHOOK_INFLIGHT_MAX);
    *next_ms_out = INT64_MAX;
    enum pp_status status = store_pg_outbox_sync(st, &st->outbox_deliveries_added, err);
    if (status == PP_OK && cap > 0) {
        pg_params_init(&p);
        pg_param_i64_array(&p, skip, skip_count, skip_text, sizeof skip_text);
        pg_param_i64(&p, (int64_t)cap);
        pg_param_i64(&p, PP_WEBHOOK_INFLIGHT_PER_ENDPOINT);
        pg_param_i64(&p, PP_WEBHOOK_CLAIM_MS);
        status =
            store_pg_outbox_read(st, PG_STMT_WH_CLAIM, &p, &res, "claiming due deliveries", err);
    }
    for (int i = 0; status == PP_OK && res != NULL && i < PQntuples(res) && n < cap; i++) {
        out[n].delivery_id = pg_col_i64(res, i, 0);
        out[n].endpoint_id = pg_col_i64(res, i, 1);
        out[n].event_id = pg_col_i64(res, i, 2);
        out[n].attempts = (unsigned)pg_col_i64(res, i, 3);
        n++;
    }
    PQclear(res);
    if (status == PP_OK) {
        status = next_read(st, PG_STMT_WH_NEXT, now_ms, next_ms_out, err);
    }
    /* A claimed delivery that is not handed back (a failure after the
    ** claim) is sent once its claim runs out. */
    *count_out = status == PP_OK ? n : 0;
    return status;
}

/* --- Recording results --------------------------------------------------- */

struct op_results {
    const struct store_write_ctx *w;
    const struct pp_webhook_result *results;
    size_t count;
};

static enum pp_status attempt_insert(struct pg_tx *tx, const struct pp_webhook_result *r,
                                     struct pp_err *err)
{
    struct pg_params p;
    pg_params_init(&p);
    pg_param_i64(&p, r->delivery_id);
    pg_param_i64(&p, r->endpoint_id);
    pg_param_i64(&p, r->event_id);
    pg_param_i64(&p, r->at_ms);
    pg_param_i64(&p, r->duration_ms < 0 ? 0 : r->duration_ms);
    pg_param_i64_or_null(&p, r->http_status);
    pg_param_text_or_null(&p, r->error);
    return store_pg_tx_run(tx, PG_STMT_WH_ATTEMPT_INSERT, &p, NULL, NULL, "recording an attempt",
                           err);
}

/* The delivery's new state, and the endpoint's failing record; returns
** through *failing_since_out the endpoint's failing_since_ms after (0:
** not failing). now_ms: the recording node's clock, against which a
** retry's next_ms is a delay. */
static enum pp_status delivery_update(struct pg_tx *tx, const struct pp_webhook_result *r,
                                      int64_t now_ms, int64_t *failing_since_out,
                                      struct pp_err *err)
{
    int state = r->outcome == PP_WEBHOOK_DELIVERED ? 2 : r->outcome == PP_WEBHOOK_RETRY ? 1 : 3;
    int64_t end_ms = r->at_ms + (r->duration_ms < 0 ? 0 : r->duration_ms);
    struct pg_params p;
    PGresult *res = NULL;
    pg_params_init(&p);
    pg_param_i64(&p, r->delivery_id);
    pg_param_i64(&p, state);
    if (state == 1) {
        pg_param_i64(&p, r->next_ms > now_ms ? r->next_ms - now_ms : 0);
    } else {
        pg_param_null(&p);
    }
    pg_param_i64(&p, end_ms);
    enum pp_status st =
        store_pg_tx_run(tx, PG_STMT_WH_DELIVERY_SET, &p, NULL, NULL, "recording a delivery", err);
    if (st == PP_OK) {
        pg_params_init(&p);
        pg_param_i64(&p, r->endpoint_id);
        pg_param_i64(&p, r->outcome == PP_WEBHOOK_DELIVERED);
        pg_param_i64(&p, r->at_ms);
        st = store_pg_tx_run(tx, PG_STMT_WH_FAILING_SET, &p, &res, NULL,
                             "recording an endpoint's failures", err);
    }
    *failing_since_out = st == PP_OK && PQntuples(res) == 1 ? pg_col_i64(res, 0, 0) : 0;
    PQclear(res);
    return st;
}

/* Disables endpoint id with reason, and audits it as the system's act. */
static enum pp_status endpoint_disable(struct pg_tx *tx, const struct store_write_ctx *w,
                                       int64_t id, const char *reason, struct pp_err *err)
{
    struct pg_params p;
    PGresult *res = NULL;
    pg_params_init(&p);
    pg_param_i64(&p, id);
    pg_param_text(&p, reason);
    pg_param_i64(&p, w->now_ms);
    enum pp_status st =
        store_pg_tx_run(tx, PG_STMT_WH_DISABLE, &p, &res, NULL, "disabling an endpoint", err);
    int changed = st == PP_OK && strtoll(PQcmdTuples(res), NULL, 10) > 0;
    PQclear(res);
    if (changed) {
        st = store_pg_outbox_audit(tx, w->actor, w->now_ms, "webhook.disable", id, reason, err);
    }
    return st;
}

static enum pp_status results_run(struct pg_tx *tx, void *arg, struct pp_err *err)
{
    const struct op_results *op = arg;
    enum pp_status st = PP_OK;
    for (size_t i = 0; i < op->count && st == PP_OK; i++) {
        const struct pp_webhook_result *r = &op->results[i];
        int64_t failing_since = 0;
        st = attempt_insert(tx, r, err);
        if (st == PP_OK) {
            st = delivery_update(tx, r, op->w->now_ms, &failing_since, err);
        }
        if (st == PP_OK && r->outcome == PP_WEBHOOK_GONE) {
            st = endpoint_disable(tx, op->w, r->endpoint_id, "the endpoint answered 410 Gone", err);
        } else if (st == PP_OK && failing_since > 0 &&
                   r->at_ms - failing_since >= PP_WEBHOOK_DISABLE_AFTER_MS) {
            st =
                endpoint_disable(tx, op->w, r->endpoint_id, "every attempt failed for 5 days", err);
        }
    }
    return st;
}

enum pp_status store_pg_webhook_results_record(void *backend, const struct store_write_ctx *w,
                                               const struct pp_webhook_result *results,
                                               size_t count, struct pp_err *err)
{
    struct op_results op = {.w = w, .results = results, .count = count};
    enum pp_status status = store_pg_write(backend, results_run, &op, err);
    /* A finished delivery may free the next event of its payout. */
    if (status == PP_OK && count > 0) {
        store_pg_outbox_wake(backend);
    }
    return status;
}

/* --- Notifications ---------------------------------------------------------- */

enum pp_status store_pg_notifications_due(void *backend, int64_t now_ms, struct pp_notify_due *out,
                                          size_t cap, size_t *count_out, int64_t *next_ms_out,
                                          struct pp_err *err)
{
    struct store_pg *st = backend;
    struct pg_params p;
    PGresult *res = NULL;
    size_t n = 0;
    *next_ms_out = INT64_MAX;
    enum pp_status status = store_pg_outbox_sync(st, &st->outbox_notifications_added, err);
    if (status == PP_OK) {
        pg_params_init(&p);
        pg_param_i64(&p, (int64_t)cap);
        pg_param_i64(&p, PP_NOTIFY_CLAIM_MS);
        status = store_pg_outbox_read(st, PG_STMT_NOTIFY_CLAIM, &p, &res,
                                      "claiming due notifications", err);
    }
    for (int i = 0; status == PP_OK && i < PQntuples(res) && n < cap; i++) {
        struct pp_notify_due *d = &out[n];
        memset(d, 0, sizeof *d);
        if (store_pg_payout_read(res, i, &d->payout) != 0 ||
            store_pg_notification_read(res, i, PG_OUTBOX_PAYOUT_COLUMN_COUNT, &d->n) != 0 ||
            pg_col_text(res, i, PG_OUTBOX_PAYOUT_COLUMN_COUNT + 7, d->project, sizeof d->project) !=
                0 ||
            pg_col_text(res, i, PG_OUTBOX_PAYOUT_COLUMN_COUNT + 8, d->email, sizeof d->email) !=
                0) {
            status = pp_err_set(err, PP_INTERNAL, "storage error");
        } else {
            n++;
        }
    }
    PQclear(res);
    if (status == PP_OK) {
        status = next_read(st, PG_STMT_NOTIFY_NEXT, now_ms, next_ms_out, err);
    }
    *count_out = status == PP_OK ? n : 0;
    return status;
}

struct notify_record {
    const struct pp_notify_result *results;
    size_t count;
};

static enum pp_status notify_record_run(struct pg_tx *tx, void *arg, struct pp_err *err)
{
    const struct notify_record *r = arg;
    enum pp_status st = PP_OK;
    for (size_t i = 0; i < r->count && st == PP_OK; i++) {
        const struct pp_notify_result *res = &r->results[i];
        struct pg_params p;
        pg_params_init(&p);
        pg_param_i64(&p, res->id);
        pg_param_i64(&p, (int64_t)res->status);
        if (res->status == PP_NOTIFY_PENDING) {
            /* The sender chose next_ms on its clock, at_ms being its now. */
            pg_param_i64(&p, res->next_ms > res->at_ms ? res->next_ms - res->at_ms : 0);
        } else {
            pg_param_null(&p);
        }
        pg_param_i64(&p, res->at_ms);
        pg_param_text_or_null(&p, res->error);
        st = store_pg_tx_run(tx, PG_STMT_NOTIFY_UPDATE, &p, NULL, NULL, "recording a notification",
                             err);
    }
    return st;
}

enum pp_status store_pg_notifications_record(void *backend, const struct pp_notify_result *results,
                                             size_t count, struct pp_err *err)
{
    struct notify_record r = {.results = results, .count = count};
    return store_pg_write(backend, notify_record_run, &r, err);
}
