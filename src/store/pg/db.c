/*
** This module implements opening and closing the PostgreSQL backend, its
** migrations and store_pg_ping.
**
** Migrations run under a lock row, so any number of processes may migrate
** (or start serving) one database at once: each makes sure the bookkeeping
** tables exist (CREATE TABLE IF NOT EXISTS; two creating them at the same
** moment may clash on the catalog, which is retried), then, in ONE
** transaction, locks the row of schema_lock (SELECT ... FOR UPDATE: the
** others wait there), reads the version, applies every pending migration
** and records it, and commits. PostgreSQL's DDL is transactional, so a
** process that dies half-way leaves nothing behind, and the next one in
** line finds the version already current. No advisory lock and no
** LISTEN/NOTIFY: distributed engines on the PostgreSQL wire lack them.
**
** It does not run writes or reads of the domain (the other modules).
*/
#include <stdlib.h>
#include <string.h>

#include "payout/base/assert.h"
#include "payout/base/log.h"
#include "store/pg/internal.h"
#include "store/sqlite/migrations.h"

extern const struct store_migration store_pg_migrations[];
extern const int store_pg_migrations_count;

/* Attempts at creating the bookkeeping tables when another process
** creates them at the same moment (a catalog clash, never a real error). */
#define PG_BOOTSTRAP_ATTEMPTS 5

const struct store_pg_stmt_def store_pg_stmts_db[] = {
    {PG_STMT_PING, "SELECT max(version) FROM schema_migrations", 0},
    {PG_STMT_VERSION, "SELECT COALESCE(max(version), 0) FROM schema_migrations", 0},
    {PG_STMT_COUNT, NULL, 0},
};

int store_pg_schema_version_latest(void)
{
    return store_pg_migrations_count > 0
               ? store_pg_migrations[store_pg_migrations_count - 1].version
               : 0;
}

static enum pp_status db_bootstrap(struct pg_conn *c, struct pp_err *err)
{
    static const char sql[] =
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY,"
        " name TEXT COLLATE \"C\" NOT NULL, applied_at TEXT COLLATE \"C\" NOT NULL);"
        "CREATE TABLE IF NOT EXISTS schema_lock (id BIGINT PRIMARY KEY CHECK (id = 1));"
        "INSERT INTO schema_lock (id) VALUES (1) ON CONFLICT (id) DO NOTHING";
    enum pp_status status = PP_OK;
    for (int attempt = 1; attempt <= PG_BOOTSTRAP_ATTEMPTS; attempt++) {
        enum pg_fail fail = PG_FAIL_NONE;
        struct pp_err e;
        pp_err_clear(&e);
        status = store_pg_run_sql(c, sql, NULL, NULL, &fail, "creating schema_migrations", &e);
        if (status == PP_OK) {
            break;
        }
        if (fail == PG_FAIL_TRANSIENT || attempt == PG_BOOTSTRAP_ATTEMPTS) {
            if (e.status == PP_OK) {
                pp_log(PP_LOG_ERROR, "store: creating schema_migrations was refused");
                pp_err_set(&e, PP_INTERNAL, "storage error");
            }
            status = pp_err_set(err, e.status, "%s", e.message);
            break;
        }
    }
    return status;
}

/* Applies every migration newer than the recorded version; runs inside the
** transaction that holds the lock row. */
static enum pp_status db_apply_pending(struct pg_conn *c, int *applied, struct pp_err *err)
{
    PGresult *res = NULL;
    int latest = store_pg_schema_version_latest();
    enum pp_status status =
        store_pg_run_sql(c, "SELECT COALESCE(max(version), 0) FROM schema_migrations", NULL, &res,
                         NULL, "reading the schema version", err);
    if (status != PP_OK) {
        return status;
    }
    int64_t version = pg_col_i64(res, 0, 0);
    PQclear(res);
    if (version > latest) {
        pp_log(PP_LOG_ERROR, "store: database schema version %lld is newer than this binary's %d",
               (long long)version, latest);
        return pp_err_set(err, PP_INTERNAL,
                          "database schema version %lld is newer than this binary supports "
                          "(%d); refusing to use it",
                          (long long)version, latest);
    }
    for (int i = 0; i < store_pg_migrations_count && status == PP_OK; i++) {
        const struct store_migration *m = &store_pg_migrations[i];
        PP_ASSERT(i == 0 || m->version > store_pg_migrations[i - 1].version);
        if (m->version <= version) {
            continue;
        }
        status = store_pg_run_sql(c, m->sql, NULL, NULL, NULL, m->name, err);
        if (status == PP_OK) {
            struct pg_params p;
            pg_params_init(&p);
            pg_param_i64(&p, m->version);
            pg_param_text(&p, m->name);
            status = store_pg_run_sql(c,
                                      "INSERT INTO schema_migrations (version, name, applied_at)"
                                      " VALUES ($1::bigint, $2::text, now()::text)",
                                      &p, NULL, NULL, "recording a migration", err);
        }
        if (status == PP_OK) {
            pp_log(PP_LOG_INFO, "store: applied migration %s", m->name);
            (*applied)++;
        }
    }
    return status;
}

enum pp_status store_pg_migrate_conn(struct pg_conn *c, int *applied_out, struct pp_err *err)
{
    int applied = 0;
    enum pp_status status = db_bootstrap(c, err);
    if (status == PP_OK) {
        status = store_pg_run_sql(c, "BEGIN", NULL, NULL, NULL, "beginning the migrations", err);
    }
    if (status == PP_OK) {
        /* Every other migrator waits here until this transaction ends. */
        status = store_pg_run_sql(c, "SELECT id FROM schema_lock WHERE id = 1 FOR UPDATE", NULL,
                                  NULL, NULL, "locking the migrations", err);
    }
    if (status == PP_OK) {
        status = db_apply_pending(c, &applied, err);
    }
    if (status == PP_OK) {
        status = store_pg_run_sql(c, "COMMIT", NULL, NULL, NULL, "committing the migrations", err);
    }
    if (status != PP_OK) {
        store_pg_read_end(c);
        applied = 0;
    }
    if (applied_out != NULL) {
        *applied_out = applied;
    }
    return status;
}

enum pp_status store_pg_migrate(const char *url, int *applied_out, struct pp_err *err)
{
    struct pg_conn c;
    memset(&c, 0, sizeof c);
    enum pp_status status = store_pg_conn_open(&c, url, 0, err);
    if (status == PP_OK) {
        status = store_pg_migrate_conn(&c, applied_out, err);
    }
    store_pg_conn_close(&c);
    return status;
}

enum pp_status store_pg_open(const char *url, unsigned readers, struct store_pg **out,
                             struct pp_err *err)
{
    PP_ASSERT(readers >= 1 && readers <= PP_READERS_MAX);
    struct store_pg *st = pp_check_alloc(calloc(1, sizeof *st));
    st->conninfo = pp_check_alloc(strdup(url));
    pthread_mutex_init(&st->readers_mu, NULL);
    pthread_cond_init(&st->readers_cv, NULL);
    store_queue_init(&st->queue);
    *out = NULL;
    enum pp_status status = store_pg_conn_open(&st->writer, url, 0, err);
    if (status == PP_OK) {
        status = store_pg_migrate_conn(&st->writer, NULL, err);
    }
    if (status == PP_OK) {
        status = store_pg_conn_prepare(&st->writer, err);
    }
    for (unsigned i = 0; i < readers && status == PP_OK; i++) {
        status = store_pg_conn_open(&st->readers[i], url, 1, err);
        st->readers_idle[i] = i;
        st->readers_count = i + 1;
        st->readers_idle_count = i + 1;
    }
    if (status == PP_OK) {
        status = store_pg_writer_start(st, err);
    }
    if (status != PP_OK) {
        store_pg_close(st);
        return status;
    }
    *out = st;
    return status;
}

void store_pg_close(struct store_pg *st)
{
    if (st == NULL) {
        return;
    }
    store_pg_writer_stop(st);
    store_pg_bulk_free(st);
    store_pg_recipients_ahead_free(st);
    store_pg_conn_close(&st->writer);
    for (unsigned i = 0; i < st->readers_count; i++) {
        store_pg_conn_close(&st->readers[i]);
    }
    store_queue_destroy(&st->queue);
    pthread_mutex_destroy(&st->readers_mu);
    pthread_cond_destroy(&st->readers_cv);
    free(st->conninfo);
    free(st);
}

int store_pg_ping(struct store_pg *st)
{
    struct pg_conn *c = NULL;
    struct pp_err err;
    pp_err_clear(&err);
    if (store_pg_reader_acquire(st, &c, &err) != PP_OK) {
        return 0;
    }
    enum pp_status status = store_pg_run(c, PG_STMT_PING, NULL, NULL, NULL, "ping", &err);
    store_pg_reader_release(st, c);
    return status == PP_OK;
}
