/*
** This private header is what the files of src/store/ share: the store
** and connection structs, the per-connection cache of prepared statements
** (one enum entry per SQL statement of the layer), a small query helper
** that records the first SQLite failure, and error mapping. Nothing
** outside src/store/ includes it (the unit test does, to reach the raw
** connection when it provokes storage failures).
*/
#ifndef PAYOUT_STORE_INTERNAL_H
#define PAYOUT_STORE_INTERNAL_H

#include <pthread.h>
#include <semaphore.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "payout/limits.h"
#include "payout/store/events.h"
#include "payout/store/store.h"
#include "store/backend.h"
#include "store/idcache.h"
#include "store/queue.h"

/* Every statement the layer prepares. The SQL text sits next to its one use
** (store_q_init takes it); the enum only names the cache slot. */
enum store_stmt {
    /* writer.c: the batch transaction */
    STORE_STMT_BEGIN_IMMEDIATE,
    STORE_STMT_COMMIT,
    STORE_STMT_ROLLBACK,
    STORE_STMT_SAVEPOINT,
    STORE_STMT_ROLLBACK_TO,
    STORE_STMT_RELEASE,
    /* db.c */
    STORE_STMT_MIGRATION_VERSION,
    STORE_STMT_MIGRATION_INSERT,
    STORE_STMT_PING,
    STORE_STMT_READ_BEGIN,
    STORE_STMT_READ_END,
    /* projects.c */
    STORE_STMT_PROJECT_FIND,
    STORE_STMT_PROJECT_INSERT,
    /* recipients.c */
    STORE_STMT_RECIPIENT_BY_USER_NAME,
    STORE_STMT_RECIPIENT_BY_PHONE_NUMBER,
    STORE_STMT_RECIPIENT_BY_REFERENCE_ID,
    STORE_STMT_RECIPIENT_INSERT,
    STORE_STMT_RECIPIENT_UPDATE,
    /* payouts.c */
    STORE_STMT_PAYOUT_INSERT,
    STORE_STMT_PAYOUT_GET,
    STORE_STMT_PAYOUT_SET_STATUS,
    /* funds.c */
    STORE_STMT_BALANCE_GET,
    STORE_STMT_BALANCE_PUT,
    STORE_STMT_LEDGER_INSERT,
    STORE_STMT_BALANCES_LIST,
    /* settings.c */
    STORE_STMT_SETTING_GET,
    STORE_STMT_SETTING_PUT,
    /* admins.c */
    STORE_STMT_ADMIN_INSERT,
    STORE_STMT_ADMIN_SET_PASSWORD,
    STORE_STMT_ADMIN_FIND,
    STORE_STMT_ADMIN_GET,
    STORE_STMT_ADMIN_COUNT,
    /* audit.c */
    STORE_STMT_AUDIT_INSERT,
    /* reports.c: one aggregate per grouping */
    STORE_STMT_REPORT_BY_PROJECT,
    STORE_STMT_REPORT_BY_CURRENCY,
    STORE_STMT_REPORT_BY_STATUS,
    STORE_STMT_REPORT_BY_RECIPIENT,
    STORE_STMT_REPORT_BY_DAY,
    /* check.c */
    STORE_STMT_CHECK_CURRENCIES,
    STORE_STMT_CHECK_PAYOUTS,
    STORE_STMT_CHECK_INTEGRITY,
    STORE_STMT_CHECK_FOREIGN_KEYS,
    /* idempotency.c */
    STORE_STMT_IDEM_GET,
    STORE_STMT_IDEM_INSERT,
    STORE_STMT_IDEM_SET_RESPONSE,
    STORE_STMT_IDEM_PURGE,
    /* audit.c: reading */
    STORE_STMT_AUDIT_LIST,
    STORE_STMT_AUDIT_COUNT,
    STORE_STMT_AUDIT_LIST_ACTION,
    STORE_STMT_AUDIT_COUNT_ACTION,
    /* lifecycle.c */
    STORE_STMT_PAYOUTS_ENDED_LIST,
    STORE_STMT_PAYOUTS_OPEN_COUNT,
    /* reads.c: list statements cached per filter shape (any SQL, see
    ** store_conn.read_shape_keys), then the fixed read statements. */
    STORE_STMT_READ_SHAPE_FIRST,
    STORE_STMT_READ_SHAPE_LAST = STORE_STMT_READ_SHAPE_FIRST + PP_READ_SHAPES - 1,
    STORE_STMT_READ_DATA_VERSION,
    STORE_STMT_READ_ROLLBACK,
    STORE_STMT_READ_RECIPIENT_GET,
    STORE_STMT_READ_PROJECT_GET,
    STORE_STMT_READ_TOTALS_RECIPIENT,
    STORE_STMT_READ_TOTALS_PROJECT,
    /* reads.c: the totals of a page's rows (stats=true), by page direction */
    STORE_STMT_READ_PAGE_TOTALS_RECIPIENTS,
    STORE_STMT_READ_PAGE_TOTALS_RECIPIENTS_DESC,
    STORE_STMT_READ_PAGE_TOTALS_PROJECTS,
    STORE_STMT_READ_PAGE_TOTALS_PROJECTS_DESC,
    /* events and webhooks (events.c, webhooks.c) */
    STORE_STMT_EV_SEQ_PAYOUT,
    STORE_STMT_EV_SEQ_FUNDS,
    STORE_STMT_EV_INSERT,
    STORE_STMT_EV_FANOUT,
    STORE_STMT_EV_NOTIFY_INSERT,
    STORE_STMT_EV_GET,
    STORE_STMT_EV_PAGE,
    STORE_STMT_EV_PAGE_PAYOUT,
    STORE_STMT_EV_PAGE_TYPE,
    STORE_STMT_NOTIFY_OF_PAYOUT,
    STORE_STMT_NOTIFY_OF_PAYOUTS,
    STORE_STMT_NOTIFY_OF_RANGE,
    STORE_STMT_PAYOUT_GET_NOTED,
    STORE_STMT_NOTIFY_DUE,
    STORE_STMT_NOTIFY_NEXT,
    STORE_STMT_NOTIFY_UPDATE,
    STORE_STMT_WH_COUNT,
    STORE_STMT_WH_INSERT,
    STORE_STMT_WH_GET,
    STORE_STMT_WH_GET_TX,
    STORE_STMT_WH_LIST,
    STORE_STMT_WH_UPDATE,
    STORE_STMT_WH_DELETE,
    STORE_STMT_WH_GIVE_UP,
    STORE_STMT_WH_ROTATE,
    STORE_STMT_WH_DELIVERY_INSERT,
    STORE_STMT_WH_REPLAY_COUNT,
    STORE_STMT_WH_REPLAY_INSERT,
    STORE_STMT_WH_REPLAY_COUNT_AFTER,
    STORE_STMT_WH_REPLAY_INSERT_AFTER,
    STORE_STMT_WH_ATTEMPTS,
    STORE_STMT_WH_DUE,
    STORE_STMT_WH_NEXT,
    STORE_STMT_OUTBOX_DELIVERIES,
    STORE_STMT_OUTBOX_NOTIFICATIONS,
    STORE_STMT_WH_ATTEMPT_INSERT,
    STORE_STMT_WH_DELIVERY_SET,
    STORE_STMT_WH_FAILING_SET,
    STORE_STMT_WH_DISABLE,
    /* users.c and sessions.c: users and sessions */
    STORE_STMT_USER_GET,
    STORE_STMT_USER_FIND,
    STORE_STMT_USERS_LIST,
    STORE_STMT_USER_COUNT,
    STORE_STMT_USER_INSERT,
    STORE_STMT_USER_ADMINS_ENABLED,
    STORE_STMT_USER_REWRITE,
    STORE_STMT_USER_TWO_FACTOR,
    STORE_STMT_USER_SIGN_IN,
    STORE_STMT_SESSION_FIND,
    STORE_STMT_SESSION_FOLLOW,
    STORE_STMT_SESSION_DELETE_USER,
    STORE_STMT_SESSION_PURGE,
    STORE_STMT_SESSION_TRIM,
    STORE_STMT_SESSION_INSERT,
    STORE_STMT_SESSION_TOUCH,
    STORE_STMT_SESSION_DELETE,
    STORE_STMT_COUNT
};

/* reads.c: a total counted on a read connection, valid while the
** connection's PRAGMA data_version stays the same (no commit since). */
struct store_read_memo {
    int used;
    int64_t data_version;
    int64_t total;
    size_t key_len;
    unsigned char key[PP_READ_FILTER_KEY_BYTES + 8]; /* list kind + canonical filter */
};

/* One SQLite connection and its statement cache. Used by one thread at a
** time: the writer thread, or whoever holds it from the reader pool. */
struct store_conn {
    sqlite3 *db;
    /* Writer only: 1 between BEGIN and COMMIT/ROLLBACK of a batch. */
    int in_batch;
    /* Writer only: a storage-level failure hit the open batch; it can only
    ** be rolled back whole. broken_status is PP_UNAVAILABLE or PP_INTERNAL. */
    int broken;
    int broken_status;
    sqlite3_stmt *stmts[STORE_STMT_COUNT];
    /* reads.c: which shape each STORE_STMT_READ_SHAPE_* slot holds (0 =
    ** empty), the next slot to replace, and the memoised totals. */
    uint64_t read_shape_keys[PP_READ_SHAPES];
    unsigned read_shape_next;
    struct store_read_memo read_memo[PP_READ_TOTALS_MEMO];
    unsigned read_memo_next;
    /* Readers only (db.c): the read transaction kept open between uses,
    ** the writer's batch count and the monotonic time when it began, how
    ** many it has begun, and whether a statement failed since (set by
    ** store_q_fail on any connection; a reader's next use starts afresh). */
    int snap_open;
    uint64_t snap_batches;
    int64_t snap_ms;
    uint64_t snap_begun;
    int failed;
};

struct store_sqlite_tx;

/* A step of a write, run on the writer thread inside the batch's
** transaction: it uses only the store_sqlite_tx_* steps and its own arg,
** never blocks, and may run more than once for one store_sqlite_write
** (when a neighbour of its batch fails after writing, the writer rolls the
** batch back and runs it again, see writer.c), so it derives everything
** from its inputs and the database and leaves its outputs as its last run
** sets them. Returning non-PP_OK undoes everything it did. */
typedef enum pp_status (*store_sqlite_tx_fn)(struct store_sqlite_tx *tx, void *arg,
                                             struct pp_err *err);

/* A store_sqlite_write() call waiting for the writer, queued on the
** store's writer queue (store/queue.h: item first, so the writer turns an
** item back into its request). Lives on the caller's stack; the writer
** touches it only until it wakes the batch. */
struct store_req {
    struct store_queue_item item;
    store_sqlite_tx_fn fn;
    void *arg;
    struct store_write_guard *guard; /* the caller's, or NULL (payout/store/store.h) */
    enum pp_status status;
    struct pp_err err;
};

/* funds.c: a balance of the open batch, read at its first use in the
** batch and written once at its end (store_sqlite_batch_flush). */
struct store_balance_slot {
    struct pp_balance b;
    int dirty; /* changed since read: to be written */
};

struct store_balance_cache {
    struct store_balance_slot slots[PP_WRITER_BALANCES_MAX];
    size_t count;
};

struct store_sqlite {
    struct store_conn writer;
    struct store_conn readers[PP_READERS_MAX];
    unsigned readers_count;
    /* Indices of idle readers (a stack), guarded by readers_mu. */
    unsigned readers_idle[PP_READERS_MAX];
    unsigned readers_idle_count;
    pthread_mutex_t readers_mu;
    pthread_cond_t readers_cv;
    /* Batches the writer has finished, counted before it answers their
    ** requests: a reader whose transaction began at the same count sees
    ** every write answered so far (db.c). */
    _Atomic uint64_t batches_done;

    /* The writer's queue and thread (store/queue.h). */
    struct store_queue queue;
    /* The writer's own state (writer thread only): projects and
    ** recipients (idcache.c); the open batch's balances and, in careful
    ** mode, their copy at the open savepoint (funds.c); bumped by every
    ** change of a cached balance. */
    struct store_idcache idcache;
    struct store_balance_cache balances;
    struct store_balance_cache balances_saved;
    uint64_t balance_changes;

    /* The checkpointer (checkpoint.c): its connection, and the signal the
    ** writer's WAL hook raises, guarded by ckpt_mu. */
    struct store_conn ckpt;
    pthread_mutex_t ckpt_mu;
    int ckpt_signalled_frames;     /* log size at the last signal */
    unsigned ckpt_log_round;       /* counts restarts of the log */
    unsigned ckpt_wanted_round;    /* the round the last signal was for */
    unsigned ckpt_done_round;      /* the round of the last finished checkpoint */
    int ckpt_done_frames;          /* pages of the log it had copied */
    struct pp_ticker *ckpt_ticker; /* the checkpointer's thread; NULL when not started */

    /* events and webhooks (events.c): the outbox workers' wake-up, called
    ** by the writer after a batch that set outbox_added (writer thread
    ** only), and whether notifications are mailed or recorded skipped. */
    store_outbox_wake_fn outbox_wake;
    void *outbox_wake_ctx;
    int outbox_mail;
    int outbox_added;
};

/* What a write step holds: the writer's connection, mid-batch. */
struct store_sqlite_tx {
    struct store_sqlite *st;
    struct store_conn *conn;
};

/* --- Connections (db.c) ------------------------------------------------- */

/* The writer's connection after checking that the caller runs on the
** writer thread inside a batch (asserts otherwise). */
struct store_conn *store_tx_conn(struct store_sqlite_tx *tx);

/* Takes an idle read connection, waiting for one if all are busy, inside
** a read transaction: every statement until store_reader_release reads
** one snapshot, which holds every write answered before the call (kept
** from an earlier use when the writer has finished no batch since and it
** is younger than PP_READ_SNAPSHOT_KEEP_MS). Asserts when called from the
** writer thread (a callback must not read around its own transaction). */
struct store_conn *store_reader_acquire(struct store_sqlite *st);
/* The same, always in a new read transaction: for reads that must see the
** file as it is now, whoever changed it (the check, the health probe). */
struct store_conn *store_reader_acquire_fresh(struct store_sqlite *st);
void store_reader_release(struct store_sqlite *st, struct store_conn *c);

/* Ends the read transactions idle readers keep, so that a checkpoint can
** copy the whole log and the log can start again (checkpoint.c). */
void store_readers_settle(struct store_sqlite *st);

/* Runs the pending migrations on c (a read-write connection outside any
** transaction); *applied_out (may be NULL) = how many were applied. */
enum pp_status store_db_migrate(struct store_conn *c, int *applied_out, struct pp_err *err);

/* Finalizes c's cached statements and closes it. c->db NULL is a no-op. */
void store_conn_close(struct store_conn *c);

/* Opens a read-write connection with synchronous=FULL and nothing else of
** the writer's set-up (the checkpointer's). */
enum pp_status store_db_open_rw(const char *path, struct store_conn *c, struct pp_err *err);

/* --- Checkpoints (checkpoint.c) ------------------------------------------ */

/* Opens the checkpointer's connection to path, starts its thread and
** hands the writer's checkpoints to it. Call before the writer thread
** starts; stop it after the writer has stopped. */
enum pp_status store_checkpointer_start(struct store_sqlite *st, const char *path,
                                        struct pp_err *err);
/* Joins the thread and closes its connection; a no-op if not started. */
void store_checkpointer_stop(struct store_sqlite *st);

/* --- The VFS (walbuf.c) --------------------------------------------------- */

/* The name of the store's VFS (registered on first call, thread-safe): the
** platform's own, with the WAL's writes gathered until the next sync. */
const char *store_walbuf_vfs(void);

/* --- Writer (writer.c) -------------------------------------------------- */

/* Starts the writer thread of st. */
enum pp_status store_writer_start(struct store_sqlite *st, struct pp_err *err);
/* Lets the queue drain, then stops and joins the writer (if started). */
void store_writer_stop(struct store_sqlite *st);

/* --- Queries (query.c) -------------------------------------------------- */

/* SQLITE_BUSY/LOCKED/FULL/READONLY/IOERR/CANTOPEN -> PP_UNAVAILABLE, any
** other failure -> PP_INTERNAL. */
enum pp_status store_status_of(int rc);

/* One use of a cached statement. The first failure (prepare, bind or step)
** is kept in rc/xrc/msg and later calls do nothing. */
struct store_q {
    struct store_conn *conn;
    sqlite3_stmt *stmt;
    int rc;        /* SQLITE_OK until something fails */
    int xrc;       /* the extended result code of that failure */
    char msg[160]; /* sqlite3_errmsg() at that failure (never holds bound values) */
};

/* Takes statement id of c, preparing sql on first use. */
void store_q_init(struct store_q *q, struct store_conn *c, enum store_stmt id, const char *sql);
void store_q_int64(struct store_q *q, int idx, int64_t v);
/* Binds s (borrowed until store_q_reset); NULL binds NULL. */
void store_q_text(struct store_q *q, int idx, const char *s);
/* Binds s, but NULL or "" binds NULL. */
void store_q_text_or_null(struct store_q *q, int idx, const char *s);
/* Steps once: SQLITE_ROW, SQLITE_DONE, or the (recorded) failure. On the
** writer mid-batch it refuses to run once the batch is broken or the
** transaction is gone, so nothing ever runs outside the batch. */
int store_q_step(struct store_q *q);
/* Resets the statement and clears its bindings; always call it. */
void store_q_reset(struct store_q *q);
/* Logs q's failure with `what`, marks a mid-batch writer broken on a
** storage-level failure, sets err to a generic message; returns the status. */
enum pp_status store_q_fail(struct store_q *q, const char *what, struct pp_err *err);
/* Runs a statement that returns no row of interest (BEGIN, SAVEPOINT ...). */
enum pp_status store_q_exec(struct store_conn *c, enum store_stmt id, const char *sql,
                            const char *what, struct pp_err *err);
/* Copies text column col of the current row into out (NULL -> "").
** Returns 0, or -1 when it does not fit (out is then ""). */
int store_q_col_text(struct store_q *q, int col, char *out, size_t out_size);
/* The exact sum of an integer expression, as two result columns that
** store_q_col_sum joins: SQLite's sum() stops with "integer overflow" past
** 2^63 (a few thousand of the largest payouts), and total() is a double.
** Each part fits int64 for any realistic row count: |x / 10^9| < 10^6 for
** an amount, so that part overflows only past 9 * 10^12 rows, and
** |x % 10^9| < 10^9, past 9 * 10^9 rows. x is pasted twice: a column name
** or a simple expression. An empty group gives NULL, NULL, i.e. 0. */
#define STORE_SQL_SUM_EXACT(x) "sum((" x ") / 1000000000), sum((" x ") % 1000000000)"
/* Joins the two columns col, col + 1 of STORE_SQL_SUM_EXACT into the sum;
** exact (both parts truncate toward zero, so hi * 10^9 + lo is x's sum). */
__int128 store_q_col_sum(struct store_q *q, int col);
/* 1 when q failed on a constraint (UNIQUE, CHECK, FOREIGN KEY, trigger). */
int store_q_is_constraint(const struct store_q *q);

/* Binds v, but 0 binds NULL (for optional moments and ids). */
void store_q_int64_or_null(struct store_q *q, int idx, int64_t v);

/* The payout columns, in the order store_payout_read_row expects. */
#define STORE_PAYOUT_COLUMNS                                                                       \
    "id, project_id, recipient_id, currency, amount_minor, start_ms, end_ms, description,"         \
    " notification, status, created_ms, updated_ms, uuid, metadata, authorized_ms,"                \
    " received_ms, cancelled_ms, expired_ms, reference, created_by_user, authorized_by_user"
/* Number of columns in STORE_PAYOUT_COLUMNS. */
#define STORE_PAYOUT_COLUMN_COUNT 21

/* Fills *out from the current row of q, whose STORE_PAYOUT_COLUMNS start at
** column `first`. Returns 0, or -1 (logged) when the row breaks the schema. */
int store_payout_read_row(struct store_q *q, int first, struct pp_payout *out);

/* 1 when s is NUL-terminated within size bytes. */
int store_text_fits(const char *s, size_t size);
/* 1 when s is three upper-case ASCII letters. */
int store_currency_ok(const char *s);

/* --- The backend's operations ------------------------------------------
** One per public store function (same contract, SQLite's own handles),
** implemented by the modules of src/store/sqlite/ and gathered into
** store_sqlite_ops by ops.c. */

enum pp_status store_sqlite_open(const char *path, unsigned readers, struct store_sqlite **out,
                                 struct pp_err *err);
void store_sqlite_close(struct store_sqlite *st);
enum pp_status store_sqlite_migrate(const char *path, int *applied_out, struct pp_err *err);
int store_sqlite_schema_version_latest(void);
enum pp_status store_sqlite_tx_audit_append(struct store_sqlite_tx *tx, const struct pp_audit *a,
                                            struct pp_err *err);
enum pp_status store_sqlite_audit_list(struct store_sqlite *st, const struct pp_audit_filter *f,
                                       struct pp_audit_entry *out, size_t cap, size_t *count_out,
                                       int64_t *total_out, struct pp_err *err);
/* The SQL of the audit page (count 0) or of its total (count 1) for f,
** and its statement slot: by the action when f names one. */
const char *store_sqlite_audit_sql(const struct pp_audit_filter *f, int count,
                                   enum store_stmt *slot_out);
enum pp_status store_sqlite_idem_get(struct store_sqlite *st, const char *scope, const char *key,
                                     struct store_idem_row *out, int *found_out,
                                     struct pp_err *err);
enum pp_status store_sqlite_tx_idem_insert(struct store_sqlite_tx *tx, const char *scope,
                                           const char *key,
                                           const uint8_t fingerprint[STORE_IDEM_FINGERPRINT_BYTES],
                                           int64_t created_ms, struct pp_err *err);
enum pp_status store_sqlite_tx_idem_set_response(struct store_sqlite_tx *tx, const char *scope,
                                                 const char *key, unsigned status,
                                                 const char *content_type, const char *body,
                                                 size_t body_len, struct pp_err *err);
enum pp_status store_sqlite_tx_idem_purge(struct store_sqlite_tx *tx, int64_t before_ms,
                                          int64_t limit, int64_t *deleted_out, struct pp_err *err);
enum pp_status store_sqlite_payouts_ended_list(struct store_sqlite *st, int64_t now_ms,
                                               int64_t *ids_out, size_t cap, size_t *count_out,
                                               struct pp_err *err);
enum pp_status store_sqlite_payouts_open_count(struct store_sqlite *st, struct pp_open_count *out,
                                               size_t cap, size_t *count_out, struct pp_err *err);
enum pp_status store_sqlite_payouts_page(struct store_sqlite *st, const struct pp_payout_filter *f,
                                         const struct pp_page *page, pp_payout_fn fn, void *ctx,
                                         struct pp_page_info *info, struct pp_err *err);
enum pp_status store_sqlite_recipients_page(struct store_sqlite *st,
                                            const struct pp_recipient_filter *f,
                                            const struct pp_page *page, pp_recipient_fn fn,
                                            void *ctx, const struct pp_page_totals *totals,
                                            struct pp_page_info *info, struct pp_err *err);
enum pp_status store_sqlite_projects_page(struct store_sqlite *st,
                                          const struct pp_project_filter *f,
                                          const struct pp_page *page, pp_project_fn fn, void *ctx,
                                          const struct pp_page_totals *totals,
                                          struct pp_page_info *info, struct pp_err *err);
enum pp_status store_sqlite_ledger_page(struct store_sqlite *st, const struct pp_ledger_filter *f,
                                        const struct pp_page *page, pp_ledger_fn fn, void *ctx,
                                        struct pp_page_info *info, struct pp_err *err);
enum pp_status store_sqlite_recipient_get(struct store_sqlite *st, int64_t id,
                                          struct pp_recipient *out, struct pp_err *err);
enum pp_status store_sqlite_project_get(struct store_sqlite *st, int64_t id, struct pp_project *out,
                                        struct pp_err *err);
enum pp_status store_sqlite_payout_totals(struct store_sqlite *st, enum pp_totals_of of, int64_t id,
                                          pp_total_fn fn, void *ctx, struct pp_err *err);
enum pp_status store_sqlite_report_payouts(struct store_sqlite *st, const struct pp_report_query *q,
                                           struct pp_report_group *out, size_t cap,
                                           size_t *count_out, struct pp_err *err);
/* Runs fn(tx, arg, err) in the writer's next batch and waits until that
** batch's commit is durable. Returns fn's status when it failed; PP_OK
** once the commit is on disk; PP_UNAVAILABLE/PP_INTERNAL when the commit
** failed (fn's effects are then gone too). Safe from any thread but the
** writer's. The domain operations (writes.c) are built on it. */
enum pp_status store_sqlite_write(struct store_sqlite *st, store_sqlite_tx_fn fn, void *arg,
                                  struct pp_err *err);
enum pp_status store_sqlite_tx_project_ensure(struct store_sqlite_tx *tx, const char *name,
                                              int64_t now_ms, int64_t *id_out, struct pp_err *err);
enum pp_status store_sqlite_tx_recipient_find(struct store_sqlite_tx *tx, enum pp_ident which,
                                              const char *value, struct pp_recipient *out,
                                              int *found_out, struct pp_err *err);
enum pp_status store_sqlite_tx_recipient_save(struct store_sqlite_tx *tx, struct pp_recipient *r,
                                              int64_t now_ms, struct pp_err *err);
enum pp_status store_sqlite_tx_payout_insert(struct store_sqlite_tx *tx, struct pp_payout *p,
                                             struct pp_err *err);
enum pp_status store_sqlite_tx_payout_get(struct store_sqlite_tx *tx, int64_t id,
                                          struct pp_payout *out, struct pp_err *err);
/* by_user: the panel user authorizing (recorded when UNAUTHORIZED ->
** READY), 0 for none. */
enum pp_status store_sqlite_tx_payout_set_status(struct store_sqlite_tx *tx, int64_t id,
                                                 enum pp_payout_status to, int64_t now_ms,
                                                 const char *reference, int64_t by_user,
                                                 struct pp_err *err);
enum pp_status store_sqlite_tx_balance_get(struct store_sqlite_tx *tx, const char *currency,
                                           struct pp_balance *out, struct pp_err *err);
enum pp_status store_sqlite_tx_funds_move(struct store_sqlite_tx *tx, const struct pp_movement *m,
                                          struct pp_balance *after_out, struct pp_err *err);

/* The writer's per-batch state (funds.c: balances; idcache.c: projects and
** recipients), driven by writer.c at the batch's boundaries:
** store_sqlite_batch_begin when a batch transaction opens (again), mark and
** undo around a careful-mode request's savepoint, flush just before
** COMMIT (writes the batch's balances; a failure fails the batch), end
** after COMMIT (committed = 1) or after the batch was rolled back. */
struct store_batch_mark {
    size_t idcache;
};
void store_sqlite_batch_begin(struct store_sqlite *st);
void store_sqlite_batch_mark(struct store_sqlite *st, struct store_batch_mark *out);
void store_sqlite_batch_undo(struct store_sqlite *st, const struct store_batch_mark *mark);
enum pp_status store_sqlite_batch_flush(struct store_sqlite_tx *tx, struct pp_err *err);
void store_sqlite_batch_end(struct store_sqlite *st, int committed);
enum pp_status store_sqlite_tx_setting_put(struct store_sqlite_tx *tx, const char *key,
                                           const char *value, struct pp_err *err);
enum pp_status store_sqlite_tx_setting_get(struct store_sqlite_tx *tx, const char *key, char *out,
                                           size_t out_size, int *found_out, struct pp_err *err);
enum pp_status store_sqlite_tx_admin_insert(struct store_sqlite_tx *tx, const char *email,
                                            const char *password_hash, int64_t now_ms,
                                            int64_t *id_out, struct pp_err *err);
enum pp_status store_sqlite_tx_admin_set_password(struct store_sqlite_tx *tx, const char *email,
                                                  const char *password_hash, int64_t now_ms,
                                                  int64_t *id_out, struct pp_err *err);
/* writes.c: the domain operations (payout/store/store.h). */
enum pp_status store_sqlite_payouts_create(struct store_sqlite *st, const struct store_write_ctx *w,
                                           struct store_payout_new *rows, size_t count,
                                           store_recipient_rule_fn rule, int check_only,
                                           const char *audit_action, const char *audit_detail,
                                           struct pp_err *err);
enum pp_status store_sqlite_payouts_change(struct store_sqlite *st, const struct store_write_ctx *w,
                                           enum store_payout_change change, const int64_t *ids,
                                           size_t count, int64_t *done_out, struct pp_err *err);
enum pp_status store_sqlite_payout_receive(struct store_sqlite *st, const struct store_write_ctx *w,
                                           int64_t id, const char *reference,
                                           store_amount_text_fn amount_text, struct pp_payout *out,
                                           struct pp_err *err);
enum pp_status store_sqlite_funds_move(struct store_sqlite *st, const struct store_write_ctx *w,
                                       const struct pp_movement *m, const char *audit_action,
                                       const char *audit_detail, struct pp_balance *after_out,
                                       struct pp_err *err);
enum pp_status store_sqlite_settings_put(struct store_sqlite *st, const struct store_write_ctx *w,
                                         const struct store_setting *kv, size_t count,
                                         const char *audit_action, const char *audit_detail,
                                         struct pp_err *err);
enum pp_status store_sqlite_admin_upsert(struct store_sqlite *st, const struct store_write_ctx *w,
                                         const char *email, const char *password_hash,
                                         int *created_out, int64_t *id_out, struct pp_err *err);
enum pp_status store_sqlite_idem_answer_put(struct store_sqlite *st, const char *scope,
                                            const char *key, unsigned status,
                                            const char *content_type, const char *body,
                                            size_t body_len, struct pp_err *err);
enum pp_status store_sqlite_idem_purge(struct store_sqlite *st, int64_t before_ms, int64_t limit,
                                       int64_t *deleted_out, struct pp_err *err);
enum pp_status store_sqlite_payout_get(struct store_sqlite *st, int64_t id, struct pp_payout *out,
                                       struct pp_err *err);
enum pp_status store_sqlite_balances_list(struct store_sqlite *st, struct pp_balance *out,
                                          size_t cap, size_t *count_out, struct pp_err *err);
enum pp_status store_sqlite_settings_get(struct store_sqlite *st, struct store_setting_read *reads,
                                         size_t count, struct pp_err *err);
enum pp_status store_sqlite_admin_find(struct store_sqlite *st, const char *email,
                                       struct pp_admin *out, int *found_out, struct pp_err *err);
enum pp_status store_sqlite_admin_get(struct store_sqlite *st, int64_t id, struct pp_admin *out,
                                      struct pp_err *err);
enum pp_status store_sqlite_admin_count(struct store_sqlite *st, int64_t *count_out,
                                        struct pp_err *err);
int store_sqlite_ping(struct store_sqlite *st);
enum pp_status store_sqlite_check(struct store_sqlite *st, store_report_fn report, void *ctx,
                                  int *problems_out, struct pp_err *err);

/* SQLite only: the SQL a payout page with this filter shape and page runs (for EXPLAIN
** QUERY PLAN in benchmarks and tests): written into out (NUL-terminated,
** cut at out_size). part: 0 the page (or its tie part with a keyset on a
** field other than id), 1 the rest part, 2 the count. */
void store_sqlite_payouts_page_sql(const struct pp_payout_filter *f, const struct pp_page *page,
                                   int part, char *out, size_t out_size);

#endif /* PAYOUT_STORE_INTERNAL_H */
