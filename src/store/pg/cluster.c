/*
** This module implements payout/store/cluster.h on PostgreSQL: shared
** counters and leases, on the database's clock.
**
** An update of one or several counters is one short transaction on a
** read connection, in two round trips (store_pg_trip): BEGIN with an
** upsert per key that creates its row at zero or locks it (and answers
** its values and the clock), in the order of the keys, and the read of
** the settings the calling thread's write guard names (payout/store/
** store.h: a guard that refuses saves nothing); then the callers'
** functions; then the updates with COMMIT. Every node's
** update of one key waits for the one before it, so a count is exact
** across nodes. A lease is one conditional upsert: it takes the row when
** it is free, has run out, or is already the caller's.
**
** It does not know what a counter means (core/service.c, core/lockout.c)
** nor what a lease guards (core/expiry.c).
*/
#include <stdlib.h>
#include <string.h>

#include "payout/base/assert.h"
#include "payout/store/cluster.h"
#include "store/pg/internal.h"

/* Milliseconds since the Unix epoch on the database's clock (the moment
** the statement runs, not the transaction's start). */
#define PG_NOW_MS "(extract(epoch FROM clock_timestamp()) * 1000)::bigint"

const struct store_pg_stmt_def store_pg_stmts_cluster[] = {
    {PG_STMT_COUNTER_LOCK,
     "INSERT INTO counters (key, touched_ms) VALUES ($1, " PG_NOW_MS ")"
     " ON CONFLICT (key) DO UPDATE SET touched_ms = EXCLUDED.touched_ms"
     " RETURNING v1, v2, v3, v4, v5, touched_ms",
     1},
    {PG_STMT_COUNTER_SAVE,
     "UPDATE counters SET v1 = $2, v2 = $3, v3 = $4, v4 = $5, v5 = $6 WHERE key = $1", 6},
    {PG_STMT_COUNTERS_PURGE,
     "DELETE FROM counters WHERE key IN (SELECT key FROM counters"
     " WHERE touched_ms < " PG_NOW_MS " - $1::bigint ORDER BY touched_ms LIMIT $2"
     " FOR UPDATE SKIP LOCKED)",
     2},
    {PG_STMT_LEASE_TAKE,
     "INSERT INTO leases AS l (name, holder, expires_ms)"
     " VALUES ($1, $2, " PG_NOW_MS " + $3::bigint)"
     " ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder,"
     " expires_ms = EXCLUDED.expires_ms"
     " WHERE l.holder = EXCLUDED.holder OR l.expires_ms <= EXCLUDED.expires_ms - $3::bigint"
     " RETURNING holder",
     3},
    {PG_STMT_LEASE_RELEASE, "UPDATE leases SET expires_ms = 0 WHERE name = $1 AND holder = $2", 2},
    {0, NULL, 0},
};

/* Runs one fixed statement on a read connection, outside any transaction. */
static enum pp_status cluster_run(struct store_pg *st, enum pg_stmt id, const struct pg_params *p,
                                  PGresult **res, const char *what, struct pp_err *err)
{
    struct pg_conn *c = NULL;
    enum pp_status status = store_pg_reader_acquire(st, &c, err);
    if (status == PP_OK) {
        status = store_pg_run(c, id, p, res, NULL, what, err);
        store_pg_reader_release(st, c);
    }
    return status;
}

/* The thread's write guard (payout/store/store.h), asked with the settings
** its step read in the first round trip: PP_OK when it holds (or there is
** none); else PP_UNAUTHORIZED with its refusal, and nothing is saved. */
static enum pp_status counters_guard(struct store_write_guard *g, const PGresult *res,
                                     struct pp_err *err)
{
    char values[STORE_GUARD_KEYS_MAX][STORE_GUARD_VALUE_BYTES];
    struct store_setting_read reads[STORE_GUARD_KEYS_MAX];
    if (g == NULL) {
        return PP_OK;
    }
    for (size_t i = 0; i < g->count; i++) {
        reads[i] = (struct store_setting_read){
            .key = g->keys[i], .out = values[i], .out_size = sizeof values[i]};
    }
    enum pp_status status = store_pg_settings_take(res, reads, g->count, err);
    if (status == PP_OK && !store_write_guard_apply(g, reads, err)) {
        status = PP_UNAUTHORIZED;
    }
    return status;
}

/* The counters' transaction on c in two round trips: BEGIN and the lock
** (or creation) of each row, in the order of their keys, with the read of
** the thread's guarded settings; then each fn on its row; then the saves
** and COMMIT. */
static enum pp_status counters_tx(struct pg_conn *c, const struct store_counter_call *calls,
                                  size_t n, struct pp_err *err)
{
    size_t order[STORE_COUNTERS_MAX];
    struct pg_params p[STORE_COUNTERS_MAX];
    PGresult *rows[STORE_COUNTERS_MAX] = {NULL};
    struct pg_trip_step steps[STORE_COUNTERS_MAX + 2];
    struct store_write_guard *guard = store_write_guard_pending();
    struct store_setting_read guard_keys[STORE_GUARD_KEYS_MAX];
    struct pg_params guard_params;
    PGresult *guard_res = NULL;
    for (size_t i = 0; i < n; i++) {
        size_t at = i;
        while (at > 0 && strcmp(calls[order[at - 1]].key, calls[i].key) > 0) {
            order[at] = order[at - 1];
            at--;
        }
        order[at] = i;
    }
    steps[0] =
        (struct pg_trip_step){PG_STMT_COUNT, "BEGIN", NULL, NULL, "beginning a counter update"};
    for (size_t k = 0; k < n; k++) {
        pg_params_init(&p[k]);
        pg_param_text(&p[k], calls[order[k]].key);
        steps[k + 1] =
            (struct pg_trip_step){PG_STMT_COUNTER_LOCK, NULL, &p[k], &rows[k], "locking a counter"};
    }
    size_t first = n + 1;
    if (guard != NULL) {
        for (size_t i = 0; i < guard->count; i++) {
            guard_keys[i] = (struct store_setting_read){.key = guard->keys[i]};
        }
        store_pg_settings_params(&guard_params, guard_keys, guard->count);
        steps[first++] = (struct pg_trip_step){PG_STMT_SETTINGS_GET, NULL, &guard_params,
                                               &guard_res, "reading the guarded settings"};
    }
    enum pp_status status = store_pg_trip(c, steps, first, err);
    for (size_t k = 0; k < n && status == PP_OK; k++) {
        if (PQntuples(rows[k]) != 1) {
            status = pp_err_set(err, PP_INTERNAL, "storage error");
        }
    }
    if (status == PP_OK) {
        status = counters_guard(guard, guard_res, err);
    }
    PQclear(guard_res);
    for (size_t k = 0; k < n && status == PP_OK; k++) {
        const struct store_counter_call *call = &calls[order[k]];
        int64_t v[STORE_COUNTER_VALUES];
        for (int i = 0; i < STORE_COUNTER_VALUES; i++) {
            v[i] = pg_col_i64(rows[k], 0, i);
        }
        call->fn(call->ctx, pg_col_i64(rows[k], 0, STORE_COUNTER_VALUES), v);
        pg_params_init(&p[k]);
        pg_param_text(&p[k], call->key);
        for (int i = 0; i < STORE_COUNTER_VALUES; i++) {
            pg_param_i64(&p[k], v[i]);
        }
        steps[k] =
            (struct pg_trip_step){PG_STMT_COUNTER_SAVE, NULL, &p[k], NULL, "saving a counter"};
    }
    for (size_t k = 0; k < n; k++) {
        PQclear(rows[k]);
    }
    if (status != PP_OK) {
        return status;
    }
    steps[n] = (struct pg_trip_step){PG_STMT_COUNT, "COMMIT", NULL, NULL, "saving a counter"};
    return store_pg_trip(c, steps, n + 1, err);
}

enum pp_status store_pg_counters_update(struct store_pg *st, const struct store_counter_call *calls,
                                        size_t n, struct pp_err *err)
{
    PP_ASSERT(calls != NULL && n >= 1 && n <= STORE_COUNTERS_MAX);
    struct pg_conn *c = NULL;
    enum pp_status status = store_pg_reader_acquire(st, &c, err);
    if (status != PP_OK) {
        return status;
    }
    status = counters_tx(c, calls, n, err);
    store_pg_read_end(c); /* rolls back whatever did not commit */
    store_pg_reader_release(st, c);
    return status;
}

enum pp_status store_pg_counters_purge(struct store_pg *st, int64_t idle_ms, int64_t limit,
                                       int64_t *deleted_out, struct pp_err *err)
{
    struct pg_params p;
    PGresult *res = NULL;
    pg_params_init(&p);
    pg_param_i64(&p, idle_ms);
    pg_param_i64(&p, limit);
    enum pp_status status =
        cluster_run(st, PG_STMT_COUNTERS_PURGE, &p, &res, "purging counters", err);
    if (deleted_out != NULL) {
        const char *n = status == PP_OK ? PQcmdTuples(res) : "";
        *deleted_out = n[0] != '\0' ? strtoll(n, NULL, 10) : 0;
    }
    PQclear(res);
    return status;
}

enum pp_status store_pg_lease_take(struct store_pg *st, const char *name, const char *holder,
                                   int64_t ttl_ms, int *held_out, struct pp_err *err)
{
    PP_ASSERT(name != NULL && holder != NULL && ttl_ms > 0);
    struct pg_params p;
    PGresult *res = NULL;
    pg_params_init(&p);
    pg_param_text(&p, name);
    pg_param_text(&p, holder);
    pg_param_i64(&p, ttl_ms);
    *held_out = 0;
    enum pp_status status = cluster_run(st, PG_STMT_LEASE_TAKE, &p, &res, "taking a lease", err);
    if (status == PP_OK) {
        *held_out = PQntuples(res) == 1;
    }
    PQclear(res);
    return status;
}

enum pp_status store_pg_lease_release(struct store_pg *st, const char *name, const char *holder,
                                      struct pp_err *err)
{
    struct pg_params p;
    pg_params_init(&p);
    pg_param_text(&p, name);
    pg_param_text(&p, holder);
    return cluster_run(st, PG_STMT_LEASE_RELEASE, &p, NULL, "releasing a lease", err);
}
