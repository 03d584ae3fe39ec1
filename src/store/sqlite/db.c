/*
** This module implements opening and closing the store: creating the
** database file (mode 0600, parent directory 0700) before SQLite sees it,
** the read-write connection and its pragmas (WAL, synchronous=FULL,
** foreign keys, busy timeout), the migrations compiled into the binary,
** the pool of read-only connections, and store_sqlite_ping.
**
** It does not run writes (writer.c) or know any table but
** schema_migrations.
*/
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "payout/base/assert.h"
#include "payout/base/log.h"
#include "store/sqlite/internal.h"
#include "store/sqlite/migrations.h"

#define DB_FILE_MODE 0600
#define DB_DIR_MODE 0700

int store_sqlite_schema_version_latest(void)
{
    return store_migrations_count > 0 ? store_migrations[store_migrations_count - 1].version : 0;
}

/* Creates every missing directory above path (mode 0700, umask aside). */
static enum pp_status db_make_parents(const char *path, struct pp_err *err)
{
    char dir[PP_DB_PATH_BYTES_MAX + 1];
    snprintf(dir, sizeof dir, "%s", path);
    enum pp_status status = PP_OK;
    for (size_t i = 1; dir[i] != '\0'; i++) {
        if (dir[i] != '/') {
            continue;
        }
        dir[i] = '\0';
        if (mkdir(dir, DB_DIR_MODE) == 0) {
            if (chmod(dir, DB_DIR_MODE) != 0) {
                pp_log(PP_LOG_WARN, "store: chmod %s: %s", dir, strerror(errno));
            }
        } else if (errno != EEXIST) {
            pp_log(PP_LOG_ERROR, "store: mkdir %s: %s", dir, strerror(errno));
            status = pp_err_set(err, PP_UNAVAILABLE, "cannot create the database directory");
            goto done;
        }
        dir[i] = '/';
    }
done:
    return status;
}

/* Makes sure path exists as a file of mode 0600 before SQLite opens it, so
** the secrets it will hold are never readable by others, whatever umask. */
static enum pp_status db_prepare_file(const char *path, struct pp_err *err)
{
    enum pp_status status = PP_OK;
    int fd = -1;
    size_t len = strlen(path);
    /* ":memory:" and "file:" URIs would not be the file created here (and
    ** an in-memory database cannot be shared with the readers). */
    if (len == 0 || len > PP_DB_PATH_BYTES_MAX || path[0] == ':' ||
        strncmp(path, "file:", 5) == 0) {
        status = pp_err_set(err, PP_INVALID_PARAMS, "invalid database path");
        goto done;
    }
    status = db_make_parents(path, err);
    if (status != PP_OK) {
        goto done;
    }
    fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, DB_FILE_MODE);
    int created = fd >= 0;
    if (fd < 0 && errno == EEXIST) {
        fd = open(path, O_RDONLY | O_CLOEXEC);
    }
    if (fd < 0) {
        pp_log(PP_LOG_ERROR, "store: open %s: %s", path, strerror(errno));
        status = pp_err_set(err, PP_UNAVAILABLE, "cannot create or open the database file");
        goto done;
    }
    /* A new file gets exactly 0600 (umask aside); an existing one loses any
    ** group/other bits but keeps what its owner chose for themselves. */
    struct stat sb;
    if (fstat(fd, &sb) == 0) {
        mode_t want = created ? DB_FILE_MODE : (sb.st_mode & DB_FILE_MODE);
        if ((sb.st_mode & 0777) != want && fchmod(fd, want) != 0) {
            pp_log(PP_LOG_WARN, "store: chmod %s: %s", path, strerror(errno));
        }
    }
done:
    if (fd >= 0) {
        close(fd);
    }
    return status;
}

/* SQLite gives -wal and -shm the main file's mode; this makes sure. */
static void db_chmod_sidecars(const char *path)
{
    static const char *const suffixes[] = {"-wal", "-shm"};
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        char side[PP_DB_PATH_BYTES_MAX + 8];
        snprintf(side, sizeof side, "%s%s", path, suffixes[i]);
        if (chmod(side, DB_FILE_MODE) != 0 && errno != ENOENT) {
            pp_log(PP_LOG_WARN, "store: chmod 0600 %s: %s", side, strerror(errno));
        }
    }
}

static enum pp_status db_fail(sqlite3 *db, int rc, const char *what, struct pp_err *err)
{
    pp_log(PP_LOG_ERROR, "store: %s failed: %s (%d): %s", what, sqlite3_errstr(rc),
           db != NULL ? sqlite3_extended_errcode(db) : rc,
           db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    enum pp_status status = store_status_of(rc);
    return pp_err_set(err, status, "%s",
                      status == PP_UNAVAILABLE ? "storage is unavailable" : "storage error");
}

/* Runs a pragma that answers one row and checks the answer. */
static enum pp_status db_pragma(sqlite3 *db, const char *sql, const char *want, struct pp_err *err)
{
    sqlite3_stmt *stmt = NULL;
    enum pp_status status = PP_OK;
    int rc = sqlite3_prepare_v2(db, sql, -1, &stmt, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(stmt);
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        status = db_fail(db, rc, sql, err);
        goto done;
    }
    const unsigned char *got = rc == SQLITE_ROW ? sqlite3_column_text(stmt, 0) : NULL;
    if (want != NULL && (got == NULL || strcmp((const char *)got, want) != 0)) {
        pp_log(PP_LOG_ERROR, "store: %s answered %s, not %s", sql,
               got != NULL ? (const char *)got : "nothing", want);
        status = pp_err_set(err, PP_INTERNAL, "storage error");
    }
done:
    sqlite3_finalize(stmt);
    return status;
}

/* Speed settings of the read-write connection; none of them weakens
** durability (synchronous=FULL and the WAL stay as they are):
** - cache_size keeps the hot index pages across batches.
** - wal_autocheckpoint: fewer, larger checkpoints in a WAL that is reused
**   (a serving store hands them to its checkpointer, checkpoint.c).
** The statement journal of savepoints (careful batches, writer.c) keeps
** SQLite's defaults (memory up to 64 KiB, then a temporary file):
** temp_store=MEMORY makes a big savepoint (a whole list of payouts)
** quadratic, because the in-memory journal walks its chunk list on every
** statement's truncation, and a larger SQLITE_CONFIG_STMTJRNL_SPILL failed
** with SQLITE_FULL on spilling in SQLite 3.40 (seen at 256 KiB). */
static enum pp_status db_tune_writer(sqlite3 *db, struct pp_err *err)
{
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA cache_size=-%d", PP_WRITER_CACHE_KIB);
    enum pp_status status = db_pragma(db, sql, NULL, err);
    if (status == PP_OK) {
        snprintf(sql, sizeof sql, "PRAGMA wal_autocheckpoint=%d", PP_WAL_AUTOCHECKPOINT_PAGES);
        status = db_pragma(db, sql, NULL, err);
    }
    return status;
}

static pthread_once_t db_config_once = PTHREAD_ONCE_INIT;

/* Process-wide SQLite settings, before its first connection. Memory
** statistics off: with them on, every allocation of every connection takes
** one global mutex (the writer's statements allocate on each step; off,
** its CPU per create fell 12-16% in alternated runs). Nothing here reads
** them. A process that set SQLite up before (a test) keeps its settings. */
static void db_config(void)
{
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static enum pp_status db_open_conn(const char *path, int flags, struct store_conn *c,
                                   struct pp_err *err)
{
    memset(c, 0, sizeof *c);
    pthread_once(&db_config_once, db_config);
    int rc = sqlite3_open_v2(path, &c->db, flags | SQLITE_OPEN_NOMUTEX, store_walbuf_vfs());
    enum pp_status status = PP_OK;
    if (rc != SQLITE_OK) {
        status = db_fail(c->db, rc, "open", err);
        goto done;
    }
    sqlite3_extended_result_codes(c->db, 1);
    rc = sqlite3_busy_timeout(c->db, PP_DB_BUSY_TIMEOUT_MS);
    if (rc != SQLITE_OK) {
        status = db_fail(c->db, rc, "busy_timeout", err);
    }
done:
    if (status != PP_OK) {
        store_conn_close(c);
    }
    return status;
}

enum pp_status store_db_open_rw(const char *path, struct store_conn *c, struct pp_err *err)
{
    enum pp_status status = db_open_conn(path, SQLITE_OPEN_READWRITE, c, err);
    if (status == PP_OK) {
        status = db_pragma(c->db, "PRAGMA synchronous=FULL", NULL, err);
    }
    if (status == PP_OK) {
        status = db_pragma(c->db, "PRAGMA synchronous", "2", err);
    }
    if (status != PP_OK) {
        store_conn_close(c);
    }
    return status;
}

/* Opens the read-write connection with the pragmas every writer needs. */
static enum pp_status db_open_writer(const char *path, struct store_conn *c, struct pp_err *err)
{
    enum pp_status status = PP_OK;
    /* STRICT tables need 3.37; the connections are used from many threads. */
    if (sqlite3_libversion_number() < 3037000 || !sqlite3_threadsafe()) {
        pp_log(PP_LOG_ERROR, "store: SQLite %s (threadsafe=%d) is too old or single-threaded",
               sqlite3_libversion(), sqlite3_threadsafe());
        status = pp_err_set(err, PP_INTERNAL, "SQLite 3.37 or later, thread-safe, is required");
        goto done;
    }
    status = db_prepare_file(path, err);
    if (status == PP_OK) {
        status = db_open_conn(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, c, err);
    }
    if (status != PP_OK) {
        goto done;
    }
    /* SQLite quietly opens a write-protected file read-only; every write
    ** would then fail, so refuse now with a clear reason. */
    if (sqlite3_db_readonly(c->db, "main") != 0) {
        pp_log(PP_LOG_ERROR, "store: %s is not writable", path);
        status = pp_err_set(err, PP_UNAVAILABLE, "the database file is not writable");
        goto done;
    }
    /* Refuses writes to sqlite_schema and other footguns of raw SQL. */
    sqlite3_db_config(c->db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
    status = db_pragma(c->db, "PRAGMA journal_mode=WAL", "wal", err);
    if (status == PP_OK) {
        status = db_pragma(c->db, "PRAGMA synchronous=FULL", NULL, err);
    }
    if (status == PP_OK) {
        status = db_pragma(c->db, "PRAGMA synchronous", "2", err);
    }
    if (status == PP_OK) {
        status = db_pragma(c->db, "PRAGMA foreign_keys=ON", NULL, err);
    }
    if (status == PP_OK) {
        status = db_pragma(c->db, "PRAGMA foreign_keys", "1", err);
    }
    if (status == PP_OK) {
        status = db_tune_writer(c->db, err);
    }
    if (status == PP_OK) {
        db_chmod_sidecars(path);
    }
done:
    if (status != PP_OK) {
        store_conn_close(c);
    }
    return status;
}

void store_conn_close(struct store_conn *c)
{
    if (c == NULL || c->db == NULL) {
        return;
    }
    for (size_t i = 0; i < STORE_STMT_COUNT; i++) {
        sqlite3_finalize(c->stmts[i]);
        c->stmts[i] = NULL;
    }
    int rc = sqlite3_close(c->db);
    if (rc != SQLITE_OK) {
        pp_log(PP_LOG_ERROR, "store: close failed: %s", sqlite3_errstr(rc));
    }
    c->db = NULL;
}

/* --- Migrations ----------------------------------------------------------- */

static enum pp_status db_version(struct store_conn *c, int64_t *version_out, struct pp_err *err)
{
    struct store_q q;
    store_q_init(&q, c, STORE_STMT_MIGRATION_VERSION,
                 "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    enum pp_status status = PP_OK;
    if (store_q_step(&q) == SQLITE_ROW) {
        *version_out = sqlite3_column_int64(q.stmt, 0);
    } else {
        status = store_q_fail(&q, "reading the schema version", err);
    }
    store_q_reset(&q);
    return status;
}

/* Runs m's SQL and records it, inside the caller's transaction. */
static enum pp_status db_apply_sql(struct store_conn *c, const struct store_migration *m,
                                   struct pp_err *err)
{
    enum pp_status status = PP_OK;
    char *errmsg = NULL;
    /* Constant SQL compiled into the binary; no value is ever formatted in. */
    int rc = sqlite3_exec(c->db, m->sql, NULL, NULL, &errmsg);
    if (rc != SQLITE_OK) {
        pp_log(PP_LOG_ERROR, "store: migration %s failed: %s", m->name,
               errmsg != NULL ? errmsg : sqlite3_errstr(rc));
        status = pp_err_set(err, store_status_of(rc), "migration %s failed", m->name);
        goto done;
    }
    char now[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
    struct store_q q;
    store_q_init(&q, c, STORE_STMT_MIGRATION_INSERT,
                 "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)");
    store_q_int64(&q, 1, m->version);
    store_q_text(&q, 2, m->name);
    store_q_text(&q, 3, now);
    if (store_q_step(&q) != SQLITE_DONE) {
        status = store_q_fail(&q, "recording a migration", err);
    }
    store_q_reset(&q);
done:
    sqlite3_free(errmsg);
    return status;
}

/* Applies migration m in its own transaction, unless a concurrent migrator
** already did. *applied_out = 1 when this call applied it. */
static enum pp_status db_apply(struct store_conn *c, const struct store_migration *m,
                               int *applied_out, struct pp_err *err)
{
    int64_t version = 0;
    *applied_out = 0;
    enum pp_status status =
        store_q_exec(c, STORE_STMT_BEGIN_IMMEDIATE, "BEGIN IMMEDIATE", "begin migration", err);
    if (status == PP_OK) {
        status = db_version(c, &version, err);
    }
    if (status == PP_OK && version < m->version) {
        status = db_apply_sql(c, m, err);
    }
    if (status == PP_OK) {
        status = store_q_exec(c, STORE_STMT_COMMIT, "COMMIT", "commit migration", err);
        *applied_out = status == PP_OK && version < m->version;
    }
    if (status != PP_OK && !sqlite3_get_autocommit(c->db)) {
        store_q_exec(c, STORE_STMT_ROLLBACK, "ROLLBACK", "roll back migration", NULL);
    }
    return status;
}

enum pp_status store_db_migrate(struct store_conn *c, int *applied_out, struct pp_err *err)
{
    int applied = 0;
    int64_t version = 0;
    int latest = store_sqlite_schema_version_latest();
    char *errmsg = NULL;
    enum pp_status status = PP_OK;
    int rc = sqlite3_exec(c->db,
                          "CREATE TABLE IF NOT EXISTS schema_migrations ("
                          "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                          "applied_at TEXT NOT NULL) STRICT",
                          NULL, NULL, &errmsg);
    if (rc != SQLITE_OK) {
        pp_log(PP_LOG_ERROR, "store: creating schema_migrations: %s",
               errmsg != NULL ? errmsg : sqlite3_errstr(rc));
        status = db_fail(c->db, rc, "creating schema_migrations", err);
        goto done;
    }
    status = db_version(c, &version, err);
    if (status != PP_OK) {
        goto done;
    }
    if (version > latest) {
        pp_log(PP_LOG_ERROR, "store: database schema version %lld is newer than this binary's %d",
               (long long)version, latest);
        status = pp_err_set(err, PP_INTERNAL,
                            "database schema version %lld is newer than this binary supports "
                            "(%d); refusing to use it",
                            (long long)version, latest);
        goto done;
    }
    for (int i = 0; i < store_migrations_count; i++) {
        const struct store_migration *m = &store_migrations[i];
        PP_ASSERT(i == 0 || m->version > store_migrations[i - 1].version);
        if (m->version <= version) {
            continue;
        }
        int one = 0;
        status = db_apply(c, m, &one, err);
        if (status != PP_OK) {
            goto done;
        }
        if (one) {
            pp_log(PP_LOG_INFO, "store: applied migration %s", m->name);
        }
        applied += one;
    }
done:
    sqlite3_free(errmsg);
    if (applied_out != NULL) {
        *applied_out = applied;
    }
    return status;
}

enum pp_status store_sqlite_migrate(const char *path, int *applied_out, struct pp_err *err)
{
    PP_ASSERT(path != NULL);
    struct store_conn c;
    memset(&c, 0, sizeof c);
    int applied = 0;
    enum pp_status status = db_open_writer(path, &c, err);
    if (status == PP_OK) {
        status = store_db_migrate(&c, &applied, err);
    }
    store_conn_close(&c);
    if (applied_out != NULL) {
        *applied_out = applied;
    }
    return status;
}

/* --- The store ------------------------------------------------------------ */

static struct store_sqlite *store_new(void)
{
    struct store_sqlite *st = pp_check_alloc(calloc(1, sizeof *st));
    PP_ASSERT(pthread_mutex_init(&st->readers_mu, NULL) == 0);
    PP_ASSERT(pthread_cond_init(&st->readers_cv, NULL) == 0);
    store_queue_init(&st->queue);
    return st;
}

static enum pp_status store_open_readers(struct store_sqlite *st, const char *path,
                                         unsigned readers, struct pp_err *err)
{
    enum pp_status status = PP_OK;
    for (unsigned i = 0; i < readers; i++) {
        status = db_open_conn(path, SQLITE_OPEN_READONLY, &st->readers[i], err);
        if (status != PP_OK) {
            break;
        }
        st->readers_idle[i] = i;
        st->readers_count = i + 1;
        st->readers_idle_count = i + 1;
    }
    return status;
}

enum pp_status store_sqlite_open(const char *path, unsigned readers, struct store_sqlite **out,
                                 struct pp_err *err)
{
    PP_ASSERT(path != NULL && out != NULL);
    *out = NULL;
    struct store_sqlite *st = NULL;
    enum pp_status status = PP_OK;
    if (readers < 1 || readers > PP_READERS_MAX) {
        status =
            pp_err_set(err, PP_INVALID_PARAMS, "readers must be between 1 and %d", PP_READERS_MAX);
        goto done;
    }
    st = store_new();
    status = db_open_writer(path, &st->writer, err);
    if (status == PP_OK) {
        status = store_db_migrate(&st->writer, NULL, err);
    }
    /* Readers come after the writer set WAL, so they find the -shm. */
    if (status == PP_OK) {
        status = store_open_readers(st, path, readers, err);
    }
    if (status == PP_OK) {
        status = store_checkpointer_start(st, path, err);
    }
    if (status == PP_OK) {
        status = store_writer_start(st, err);
    }
done:
    if (status == PP_OK) {
        *out = st;
    } else {
        store_sqlite_close(st);
    }
    return status;
}

void store_sqlite_close(struct store_sqlite *st)
{
    if (st == NULL) {
        return;
    }
    store_writer_stop(st);
    store_checkpointer_stop(st);
    PP_ASSERT(st->readers_idle_count == st->readers_count);
    store_readers_settle(st);
    /* Readers first: the last connection to close checkpoints the WAL, and
    ** only the read-write one can. */
    for (unsigned i = 0; i < st->readers_count; i++) {
        store_conn_close(&st->readers[i]);
    }
    store_conn_close(&st->writer);
    store_idcache_clear(&st->idcache);
    store_queue_destroy(&st->queue);
    pthread_cond_destroy(&st->readers_cv);
    pthread_mutex_destroy(&st->readers_mu);
    free(st);
}

/* --- Reader pool ---------------------------------------------------------- */

/* A reader's read transaction is kept open while it waits in the pool, as
** long as the writer finishes no batch: SQLite then has nothing new to
** show, and a GET no longer pays for taking and dropping the log's read
** lock and the file's shared lock (fcntl calls) each time. The writer
** counts its batches before it answers them, so a read that starts after
** an answer sees a new count and begins afresh: no request can read
** older data than it could before. Kept transactions also end after
** PP_READ_SNAPSHOT_KEEP_MS (changes by another process), after a failed
** statement, and when a checkpoint needs the log free
** (store_readers_settle). */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Ends c's read transaction, if one is open. */
static void reader_end(struct store_conn *c)
{
    if (!sqlite3_get_autocommit(c->db)) {
        store_q_exec(c, STORE_STMT_READ_END, "COMMIT", "end a read", NULL);
    }
    if (!sqlite3_get_autocommit(c->db)) {
        store_q_exec(c, STORE_STMT_READ_ROLLBACK, "ROLLBACK", "roll back a read", NULL);
    }
    c->snap_open = 0;
    c->failed = 0;
}

/* Opens c's read transaction unless the one it keeps may serve (never
** when fresh is set). BEGIN is deferred: the snapshot is taken by the
** first statement, after the count was read, so it holds at least every
** batch counted. */
static void reader_begin(struct store_sqlite *st, struct store_conn *c, int fresh)
{
    uint64_t batches = atomic_load_explicit(&st->batches_done, memory_order_acquire);
    int64_t now = mono_ms();
    if (!fresh && c->snap_open && !c->failed && !sqlite3_get_autocommit(c->db) &&
        c->snap_batches == batches && now - c->snap_ms < PP_READ_SNAPSHOT_KEEP_MS) {
        return;
    }
    reader_end(c);
    /* Fails only short of memory; each statement then reads on its own. */
    if (store_q_exec(c, STORE_STMT_READ_BEGIN, "BEGIN", "begin a read", NULL) == PP_OK) {
        c->snap_open = 1;
        c->snap_batches = batches;
        c->snap_ms = now;
        c->snap_begun++;
    }
}

static struct store_conn *reader_take(struct store_sqlite *st, int fresh)
{
    PP_ASSERT(st != NULL);
    PP_ASSERT(!store_queue_on_writer(&st->queue));
    PP_ASSERT(pthread_mutex_lock(&st->readers_mu) == 0);
    while (st->readers_idle_count == 0) {
        pthread_cond_wait(&st->readers_cv, &st->readers_mu);
    }
    unsigned i = st->readers_idle[--st->readers_idle_count];
    pthread_mutex_unlock(&st->readers_mu);
    reader_begin(st, &st->readers[i], fresh);
    return &st->readers[i];
}

struct store_conn *store_reader_acquire(struct store_sqlite *st)
{
    return reader_take(st, 0);
}

struct store_conn *store_reader_acquire_fresh(struct store_sqlite *st)
{
    return reader_take(st, 1);
}

void store_reader_release(struct store_sqlite *st, struct store_conn *c)
{
    PP_ASSERT(c >= st->readers && c < st->readers + st->readers_count);
    if (c->failed || sqlite3_get_autocommit(c->db)) {
        reader_end(c);
    }
    PP_ASSERT(pthread_mutex_lock(&st->readers_mu) == 0);
    PP_ASSERT(st->readers_idle_count < st->readers_count);
    st->readers_idle[st->readers_idle_count++] = (unsigned)(c - st->readers);
    pthread_cond_signal(&st->readers_cv);
    pthread_mutex_unlock(&st->readers_mu);
}

void store_readers_settle(struct store_sqlite *st)
{
    PP_ASSERT(pthread_mutex_lock(&st->readers_mu) == 0);
    for (unsigned k = 0; k < st->readers_idle_count; k++) {
        struct store_conn *c = &st->readers[st->readers_idle[k]];
        if (c->snap_open) {
            reader_end(c);
        }
    }
    pthread_mutex_unlock(&st->readers_mu);
}

struct store_conn *store_tx_conn(struct store_sqlite_tx *tx)
{
    PP_ASSERT(tx != NULL && tx->st != NULL && tx->conn == &tx->st->writer);
    PP_ASSERT(store_queue_on_writer(&tx->st->queue));
    PP_ASSERT(tx->conn->in_batch);
    return tx->conn;
}

int store_sqlite_ping(struct store_sqlite *st)
{
    struct store_conn *c = store_reader_acquire_fresh(st);
    struct store_q q;
    /* A real table, read from the file: "SELECT 1" would answer without
    ** touching it, and so would pages this connection still caches. */
    sqlite3_db_release_memory(c->db);
    store_q_init(&q, c, STORE_STMT_PING, "SELECT max(version) FROM schema_migrations");
    int ok = store_q_step(&q) == SQLITE_ROW && sqlite3_column_int(q.stmt, 0) >= 1;
    store_q_reset(&q);
    store_reader_release(st, c);
    return ok;
}
