/*
** This module implements the PostgreSQL backend's webhook endpoints
** (migration 0010): the operations an admin or an integrator asks for
** (create, update, delete, rotate the secret, test, replay), each one
** step through the writer with its audit entry and, when the request has
** one, its Idempotency-Key row; and the reads of endpoints and of their
** delivery attempts. The rules are the SQLite backend's
** (src/store/sqlite/webhooks.c). An endpoint's id is the next after the
** largest, as SQLite gives it (safe under the writer's lock row, which
** also keeps the count of endpoints exact when several nodes create at
** once). A queued delivery is due at the database's clock.
**
** It does not sign, send or seal anything: secrets arrive sealed.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payout/base/assert.h"
#include "payout/base/log.h"
#include "store/event_types.h"
#include "store/pg/outbox.h"

#define WEBHOOK_COLUMNS                                                                            \
    "id, url, events, enabled, description, disabled_reason, secret_sealed,"                       \
    " old_secret_sealed, old_secret_until_ms, failing_since_ms, created_ms, updated_ms"

/* The events a replay matches: after $2 (when > 0) else within [$3, $4],
** of the types in $5 (the endpoint's ",a,b," text, NULL for every type),
** never webhook.test. */
#define REPLAY_TYPES                                                                               \
    " FROM events WHERE type <> 'webhook.test'"                                                    \
    " AND ($5::text IS NULL OR strpos($5::text, ',' || type || ',') > 0)"
/* Two shapes, as in SQLite's webhooks.c: the id range or events_created,
** never the whole feed. Each names every parameter, so that all four bind
** alike; the count stops one past the most a replay queues ($6). */
#define REPLAY_AFTER                                                                               \
    REPLAY_TYPES " AND id > $2::bigint AND $3::bigint IS NOT NULL AND $4::bigint IS NOT NULL"
#define REPLAY_WINDOW                                                                              \
    REPLAY_TYPES " AND created_ms BETWEEN $3::bigint AND $4::bigint AND $2::bigint IS NOT NULL"
#define REPLAY_COUNT(match)                                                                        \
    "SELECT count(*), $1::bigint FROM (SELECT 1" match " LIMIT $6::bigint) m"
#define REPLAY_INSERT(match)                                                                       \
    "INSERT INTO webhook_deliveries (endpoint_id, event_id, payout_id, state, attempts, next_ms,"  \
    " created_ms) SELECT $1::bigint, id, payout_id, 1, 0, " PG_OUTBOX_NOW_MS ", $6::bigint" match  \
    " ORDER BY id"

const struct store_pg_stmt_def store_pg_stmts_webhooks[] = {
    {PG_STMT_WH_COUNT, "SELECT count(*) FROM webhook_endpoints WHERE deleted_ms IS NULL", 0},
    {PG_STMT_WH_INSERT,
     "INSERT INTO webhook_endpoints (id, url, events, enabled, description, secret_sealed,"
     " created_ms, updated_ms) VALUES (" PG_NEXT_ID(
         "webhook_endpoints") ", $1::text, $2::text, 1, $3::text, $4::text, $5::bigint,"
                              " $5::bigint) RETURNING id",
     5},
    {PG_STMT_WH_GET,
     "SELECT " WEBHOOK_COLUMNS " FROM webhook_endpoints WHERE id = $1::bigint"
     " AND deleted_ms IS NULL",
     1},
    {PG_STMT_WH_LIST,
     "SELECT " WEBHOOK_COLUMNS " FROM webhook_endpoints WHERE deleted_ms IS NULL ORDER BY id", 0},
    /* Enabling again starts a clean record: no reason, not failing. */
    {PG_STMT_WH_UPDATE,
     "UPDATE webhook_endpoints SET url = coalesce($2::text, url),"
     " events = CASE WHEN $3::bigint = 1 THEN nullif($4::text, '') ELSE events END,"
     " enabled = coalesce($5::bigint, enabled),"
     " disabled_reason = CASE WHEN $5::bigint = 1 THEN NULL ELSE disabled_reason END,"
     " failing_since_ms = CASE WHEN $5::bigint = 1 THEN NULL ELSE failing_since_ms END,"
     " description = CASE WHEN $6::text IS NULL THEN description ELSE nullif($6::text, '') END,"
     " updated_ms = $7::bigint WHERE id = $1::bigint AND deleted_ms IS NULL",
     7},
    {PG_STMT_WH_DELETE,
     "UPDATE webhook_endpoints SET deleted_ms = $2::bigint, enabled = 0, updated_ms = $2::bigint"
     " WHERE id = $1::bigint AND deleted_ms IS NULL",
     2},
    {PG_STMT_WH_GIVE_UP,
     "UPDATE webhook_deliveries SET state = 3, done_ms = $2::bigint"
     " WHERE endpoint_id = $1::bigint AND state = 1",
     2},
    {PG_STMT_WH_ROTATE,
     "UPDATE webhook_endpoints SET old_secret_sealed = secret_sealed,"
     " old_secret_until_ms = $3::bigint, secret_sealed = $2::text, updated_ms = $4::bigint"
     " WHERE id = $1::bigint AND deleted_ms IS NULL",
     4},
    {PG_STMT_WH_REPLAY_COUNT, REPLAY_COUNT(REPLAY_WINDOW), 6},
    {PG_STMT_WH_REPLAY_INSERT, REPLAY_INSERT(REPLAY_WINDOW), 6},
    {PG_STMT_WH_REPLAY_COUNT_AFTER, REPLAY_COUNT(REPLAY_AFTER), 6},
    {PG_STMT_WH_REPLAY_INSERT_AFTER, REPLAY_INSERT(REPLAY_AFTER), 6},
    {PG_STMT_WH_ATTEMPTS,
     "SELECT id, delivery_id, endpoint_id, event_id, at_ms, duration_ms, http_status, error"
     " FROM webhook_attempts WHERE endpoint_id = $1::bigint ORDER BY id DESC LIMIT $2::bigint",
     2},
    {PG_STMT_COUNT, NULL, 0},
};

static int webhook_read(const PGresult *r, int row, struct pp_webhook *w)
{
    char events[PP_EVENT_TYPES_TEXT_BYTES];
    memset(w, 0, sizeof *w);
    w->id = pg_col_i64(r, row, 0);
    int bad = pg_col_text(r, row, 1, w->url, sizeof w->url);
    bad |= pg_col_text(r, row, 2, events, sizeof events);
    long mask = bad ? -1 : store_event_types_mask(events);
    bad |= mask < 0;
    w->events_mask = mask < 0 ? 0 : (unsigned)mask;
    w->enabled = pg_col_i64(r, row, 3) != 0;
    bad |= pg_col_text(r, row, 4, w->description, sizeof w->description);
    bad |= pg_col_text(r, row, 5, w->disabled_reason, sizeof w->disabled_reason);
    bad |= pg_col_text(r, row, 6, w->secret_sealed, sizeof w->secret_sealed);
    bad |= pg_col_text(r, row, 7, w->old_secret_sealed, sizeof w->old_secret_sealed);
    w->old_secret_until_ms = pg_col_i64(r, row, 8);
    w->failing_since_ms = pg_col_i64(r, row, 9);
    w->created_ms = pg_col_i64(r, row, 10);
    w->updated_ms = pg_col_i64(r, row, 11);
    if (bad) {
        pp_log(PP_LOG_ERROR, "store: webhook endpoint %lld violates the schema", (long long)w->id);
        return -1;
    }
    return 0;
}

/* Fills *out from the result of PG_STMT_WH_GET; PP_NOT_FOUND when empty. */
static enum pp_status webhook_from(const PGresult *res, int64_t id, struct pp_webhook *out,
                                   struct pp_err *err)
{
    if (PQntuples(res) == 0) {
        return pp_err_set(err, PP_NOT_FOUND, "webhook endpoint %lld not found", (long long)id);
    }
    if (webhook_read(res, 0, out) != 0) {
        return pp_err_set(err, PP_INTERNAL, "storage error");
    }
    return PP_OK;
}

/* Endpoint id (not deleted), read inside tx. */
static enum pp_status webhook_get_tx(struct pg_tx *tx, int64_t id, struct pp_webhook *out,
                                     struct pp_err *err)
{
    struct pg_params p;
    PGresult *res = NULL;
    pg_params_init(&p);
    pg_param_i64(&p, id);
    enum pp_status st =
        store_pg_tx_run(tx, PG_STMT_WH_GET, &p, &res, NULL, "reading a webhook endpoint", err);
    if (st == PP_OK) {
        st = webhook_from(res, id, out, err);
    }
    PQclear(res);
    return st;
}

/* Runs an UPDATE inside tx; PP_NOT_FOUND with `missing` when it changed
** no row (missing NULL: no row is fine). */
static enum pp_status run_change(struct pg_tx *tx, enum pg_stmt id, const struct pg_params *p,
                                 const char *what, const char *missing, int64_t *changed_out,
                                 struct pp_err *err)
{
    PGresult *res = NULL;
    enum pp_status st = store_pg_tx_run(tx, id, p, &res, NULL, what, err);
    int64_t changed = st == PP_OK ? strtoll(PQcmdTuples(res), NULL, 10) : 0;
    if (st == PP_OK && missing != NULL && changed == 0) {
        st = pp_err_set(err, PP_NOT_FOUND, "%s", missing);
    }
    if (changed_out != NULL) {
        *changed_out = changed;
    }
    PQclear(res);
    return st;
}

/* --- Create ---------------------------------------------------------------- */

struct op_create {
    const struct store_write_ctx *w;
    const struct store_webhook_create *in;
    struct pp_webhook *out;
};

static enum pp_status create_count(struct pg_tx *tx, struct pp_err *err)
{
    PGresult *res = NULL;
    enum pp_status st =
        store_pg_tx_run(tx, PG_STMT_WH_COUNT, NULL, &res, NULL, "counting webhook endpoints", err);
    if (st == PP_OK && pg_col_i64(res, 0, 0) >= PP_WEBHOOKS_MAX) {
        st = pp_err_set(err, PP_CONFLICT,
                        "there are %d webhook endpoints already (the most a panel keeps)",
                        PP_WEBHOOKS_MAX);
    }
    PQclear(res);
    return st;
}

static enum pp_status create_run(struct pg_tx *tx, void *arg, struct pp_err *err)
{
    struct op_create *op = arg;
    char events[PP_EVENT_TYPES_TEXT_BYTES];
    struct pg_params p;
    PGresult *res = NULL;
    int64_t id = 0;
    enum pp_status st = create_count(tx, err);
    if (st != PP_OK) {
        return st;
    }
    store_event_types_text(op->in->events_mask, events, sizeof events);
    pg_params_init(&p);
    pg_param_text(&p, op->in->url);
    pg_param_text_or_null(&p, events);
    pg_param_text_or_null(&p, op->in->description);
    pg_param_text(&p, op->in->secret_sealed);
    pg_param_i64(&p, op->w->now_ms);
    st = store_pg_tx_run(tx, PG_STMT_WH_INSERT, &p, &res, NULL, "creating a webhook endpoint", err);
    if (st == PP_OK) {
        id = pg_col_i64(res, 0, 0);
    }
    PQclear(res);
    if (st == PP_OK) {
        st = store_pg_outbox_audit(tx, op->w->actor, op->w->now_ms, "webhook.create", id,
                                   op->in->url, err);
    }
    if (st == PP_OK) {
        st = webhook_get_tx(tx, id, op->out, err);
    }
    return st;
}

enum pp_status store_pg_webhook_create(void *backend, const struct store_write_ctx *w,
                                       const struct store_webhook_create *in,
                                       struct pp_webhook *out, struct pp_err *err)
{
    struct op_create op = {.w = w, .in = in, .out = out};
    return store_pg_outbox_write(backend, w, create_run, &op, err);
}

/* --- Update, delete, rotate --------------------------------------------------- */

struct op_update {
    const struct store_write_ctx *w;
    const struct store_webhook_update *in;
    struct pp_webhook *out;
};

static enum pp_status update_run(struct pg_tx *tx, void *arg, struct pp_err *err)
{
    struct op_update *op = arg;
    const struct store_webhook_update *in = op->in;
    char events[PP_EVENT_TYPES_TEXT_BYTES];
    store_event_types_text(in->events_mask, events, sizeof events);
    struct pg_params p;
    pg_params_init(&p);
    pg_param_i64(&p, in->id);
    pg_param_text(&p, in->url);
    pg_param_i64(&p, in->has_events ? 1 : 0);
    pg_param_text(&p, events);
    if (in->enabled >= 0) {
        pg_param_i64(&p, in->enabled);
    } else {
        pg_param_null(&p);
    }
    pg_param_text(&p, in->description);
    pg_param_i64(&p, op->w->now_ms);
    enum pp_status st = run_change(tx, PG_STMT_WH_UPDATE, &p, "updating a webhook endpoint",
                                   "webhook endpoint not found", NULL, err);
    if (st == PP_OK) {
        const char *detail = in->enabled == 0 ? "disabled" : in->enabled == 1 ? "enabled" : "";
        st = store_pg_outbox_audit(tx, op->w->actor, op->w->now_ms, "webhook.update", in->id,
                                   detail, err);
    }
    if (st == PP_OK) {
        st = webhook_get_tx(tx, in->id, op->out, err);
    }
    return st;
}

enum pp_status store_pg_webhook_update(void *backend, const struct store_write_ctx *w,
                                       const struct store_webhook_update *in,
                                       struct pp_webhook *out, struct pp_err *err)
{
    struct op_update op = {.w = w, .in = in, .out = out};
    return store_pg_outbox_write(backend, w, update_run, &op, err);
}

struct op_simple {
    const struct store_write_ctx *w;
    int64_t id;
    const char *new_sealed;
    int64_t until_ms;
    struct pp_webhook *out;
    int64_t result;
};

static enum pp_status delete_run(struct pg_tx *tx, void *arg, struct pp_err *err)
{
    struct op_simple *op = arg;
    struct pg_params p;
    pg_params_init(&p);
    pg_param_i64(&p, op->id);
    pg_param_i64(&p, op->w->now_ms);
    enum pp_status st = run_change(tx, PG_STMT_WH_DELETE, &p, "deleting a webhook endpoint",
                                   "webhook endpoint not found", NULL, err);
    if (st == PP_OK) {
        st = run_change(tx, PG_STMT_WH_GIVE_UP, &p, "giving up deliveries", NULL, NULL, err);
    }
    if (st == PP_OK) {
        st = store_pg_outbox_audit(tx, op->w->actor, op->w->now_ms, "webhook.delete", op->id, "",
                                   err);
    }
    return st;
}

enum pp_status store_pg_webhook_delete(void *backend, const struct store_write_ctx *w, int64_t id,
                                       struct pp_err *err)
{
    struct op_simple op = {.w = w, .id = id};
    return store_pg_outbox_write(backend, w, delete_run, &op, err);
}

static enum pp_status rotate_run(struct pg_tx *tx, void *arg, struct pp_err *err)
{
    struct op_simple *op = arg;
    struct pg_params p;
    pg_params_init(&p);
    pg_param_i64(&p, op->id);
    pg_param_text(&p, op->new_sealed);
    pg_param_i64(&p, op->until_ms);
    pg_param_i64(&p, op->w->now_ms);
    enum pp_status st = run_change(tx, PG_STMT_WH_ROTATE, &p, "rotating a webhook secret",
                                   "webhook endpoint not found", NULL, err);
    if (st == PP_OK) {
        st = store_pg_outbox_audit(tx, op->w->actor, op->w->now_ms, "webhook.rotate_secret", op->id,
                                   "", err);
    }
    if (st == PP_OK) {
        st = webhook_get_tx(tx, op->id, op->out, err);
    }
    return st;
}

enum pp_status store_pg_webhook_rotate(void *backend, const struct store_write_ctx *w, int64_t id,
                                       const char *new_sealed, int64_t old_until_ms,
                                       struct pp_webhook *out, struct pp_err *err)
{
    struct op_simple op = {
        .w = w, .id = id, .new_sealed = new_sealed, .until_ms = old_until_ms, .out = out};
    return store_pg_outbox_write(backend, w, rotate_run, &op, err);
}

/* --- Test and replay ------------------------------------------------------------ */

static enum pp_status test_run(struct pg_tx *tx, void *arg, struct pp_err *err)
{
    struct op_simple *op = arg;
    struct pp_webhook *w = pp_check_alloc(malloc(sizeof *w));
    PGresult *res = NULL;
    op->result = 0;
    enum pp_status st = webhook_get_tx(tx, op->id, w, err);
    if (st == PP_OK) {
        struct pg_params p;
        pg_params_init(&p);
        pg_param_i64(&p, op->id);
        pg_param_i64(&p, op->w->now_ms);
        pg_param_i64(&p, store_pg_tx_id_next(tx, PG_IDS_EVENTS));
        st = store_pg_tx_run(tx, PG_STMT_EV_TEST, &p, &res, NULL, "queueing a test event", err);
    }
    if (st == PP_OK) {
        /* A WITH ... SELECT reports no changed rows; it wrote two. */
        tx->changes += 2;
        op->result = pg_col_i64(res, 0, 0);
    }
    PQclear(res);
    if (st == PP_OK) {
        st =
            store_pg_outbox_audit(tx, op->w->actor, op->w->now_ms, "webhook.test", op->id, "", err);
    }
    free(w);
    return st;
}

enum pp_status store_pg_webhook_test(void *backend, const struct store_write_ctx *w, int64_t id,
                                     int64_t *event_id_out, struct pp_err *err)
{
    struct op_simple op = {.w = w, .id = id};
    enum pp_status status = store_pg_outbox_write(backend, w, test_run, &op, err);
    *event_id_out = status == PP_OK ? op.result : 0;
    if (status == PP_OK) {
        store_pg_outbox_wake(backend);
    }
    return status;
}

struct op_replay {
    const struct store_write_ctx *w;
    const struct store_webhook_replay *in;
    int64_t queued;
};

static void replay_bind(struct pg_params *p, const struct store_webhook_replay *in,
                        const char *events)
{
    pg_params_init(p);
    pg_param_i64(p, in->id);
    pg_param_i64(p, in->after_id);
    pg_param_i64(p, in->from_ms);
    pg_param_i64(p, in->to_ms);
    pg_param_text_or_null(p, events);
}

/* Refuses a replay that matches more than PP_WEBHOOK_REPLAY_MAX events. */
static enum pp_status replay_count(struct pg_tx *tx, const struct store_webhook_replay *in,
                                   const char *events, struct pp_err *err)
{
    struct pg_params p;
    PGresult *res = NULL;
    replay_bind(&p, in, events);
    pg_param_i64(&p, PP_WEBHOOK_REPLAY_MAX + 1);
    enum pp_status st = store_pg_tx_run(
        tx, in->after_id > 0 ? PG_STMT_WH_REPLAY_COUNT_AFTER : PG_STMT_WH_REPLAY_COUNT, &p, &res,
        NULL, "counting events to replay", err);
    int64_t n = st == PP_OK ? pg_col_i64(res, 0, 0) : 0;
    if (st == PP_OK && n > PP_WEBHOOK_REPLAY_MAX) {
        st = pp_err_set(err, PP_INVALID_PARAMS,
                        "more than %d events match; a replay queues at most %d: ask for a "
                        "shorter period",
                        PP_WEBHOOK_REPLAY_MAX, PP_WEBHOOK_REPLAY_MAX);
    }
    PQclear(res);
    return st;
}

static enum pp_status replay_run(struct pg_tx *tx, void *arg, struct pp_err *err)
{
    struct op_replay *op = arg;
    char events[PP_EVENT_TYPES_TEXT_BYTES];
    struct pp_webhook *w = pp_check_alloc(malloc(sizeof *w));
    struct pg_params p;
    op->queued = 0;
    enum pp_status st = webhook_get_tx(tx, op->in->id, w, err);
    if (st == PP_OK) {
        store_event_types_text(w->events_mask, events, sizeof events);
        st = replay_count(tx, op->in, events, err);
    }
    if (st == PP_OK) {
        replay_bind(&p, op->in, events);
        pg_param_i64(&p, op->w->now_ms);
        st = run_change(
            tx, op->in->after_id > 0 ? PG_STMT_WH_REPLAY_INSERT_AFTER : PG_STMT_WH_REPLAY_INSERT,
            &p, "queueing a replay", NULL, &op->queued, err);
    }
    if (st == PP_OK) {
        char detail[64];
        snprintf(detail, sizeof detail, "%lld events queued", (long long)op->queued);
        st = store_pg_outbox_audit(tx, op->w->actor, op->w->now_ms, "webhook.replay", op->in->id,
                                   detail, err);
    }
    free(w);
    return st;
}

enum pp_status store_pg_webhook_replay(void *backend, const struct store_write_ctx *w,
                                       const struct store_webhook_replay *in, int64_t *queued_out,
                                       struct pp_err *err)
{
    struct op_replay op = {.w = w, .in = in};
    enum pp_status status = store_pg_outbox_write(backend, w, replay_run, &op, err);
    *queued_out = status == PP_OK ? op.queued : 0;
    if (status == PP_OK && op.queued > 0) {
        store_pg_outbox_wake(backend);
    }
    return status;
}

/* --- Reads ---------------------------------------------------------------------- */

enum pp_status store_pg_webhooks_list(void *backend, struct pp_webhook *out, size_t cap,
                                      size_t *count_out, struct pp_err *err)
{
    PGresult *res = NULL;
    size_t n = 0;
    enum pp_status status = store_pg_outbox_read(backend, PG_STMT_WH_LIST, NULL, &res,
                                                 "listing webhook endpoints", err);
    for (int i = 0; status == PP_OK && i < PQntuples(res) && n < cap; i++) {
        if (webhook_read(res, i, &out[n]) != 0) {
            status = pp_err_set(err, PP_INTERNAL, "storage error");
        } else {
            n++;
        }
    }
    PQclear(res);
    *count_out = status == PP_OK ? n : 0;
    return status;
}

enum pp_status store_pg_webhook_get(void *backend, int64_t id, struct pp_webhook *out,
                                    struct pp_err *err)
{
    struct pg_params p;
    PGresult *res = NULL;
    pg_params_init(&p);
    pg_param_i64(&p, id);
    enum pp_status status =
        store_pg_outbox_read(backend, PG_STMT_WH_GET, &p, &res, "reading a webhook endpoint", err);
    if (status == PP_OK) {
        status = webhook_from(res, id, out, err);
    }
    PQclear(res);
    return status;
}

enum pp_status store_pg_webhook_attempts_list(void *backend, int64_t id,
                                              struct pp_webhook_attempt *out, size_t cap,
                                              size_t *count_out, struct pp_err *err)
{
    struct pg_params p;
    PGresult *res = NULL;
    size_t n = 0;
    pg_params_init(&p);
    pg_param_i64(&p, id);
    pg_param_i64(&p, (int64_t)cap);
    enum pp_status status = store_pg_outbox_read(backend, PG_STMT_WH_ATTEMPTS, &p, &res,
                                                 "reading delivery attempts", err);
    for (int i = 0; status == PP_OK && i < PQntuples(res) && n < cap; i++) {
        struct pp_webhook_attempt *a = &out[n];
        memset(a, 0, sizeof *a);
        a->id = pg_col_i64(res, i, 0);
        a->delivery_id = pg_col_i64(res, i, 1);
        a->endpoint_id = pg_col_i64(res, i, 2);
        a->event_id = pg_col_i64(res, i, 3);
        a->at_ms = pg_col_i64(res, i, 4);
        a->duration_ms = pg_col_i64(res, i, 5);
        a->http_status = (int)pg_col_i64(res, i, 6);
        if (pg_col_text(res, i, 7, a->error, sizeof a->error) != 0) {
            status = pp_err_set(err, PP_INTERNAL, "storage error");
        } else {
            n++;
        }
    }
    PQclear(res);
    *count_out = status == PP_OK ? n : 0;
    return status;
}
