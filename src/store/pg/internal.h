/*
** This private header is what the files of src/store/pg/ (the PostgreSQL
** backend, libpq) share: the backend and connection structs, the table of
** fixed statements (prepared on every connection when it connects and
** again after a reconnect), the parameter builder (every value is a bound
** parameter, sent as text or, for bytes, binary), one call that runs a
** statement and maps its failure to pp_status, and column readers.
** Nothing outside src/store/pg/ includes it.
*/
#ifndef PAYOUT_STORE_PG_INTERNAL_H
#define PAYOUT_STORE_PG_INTERNAL_H

#include <libpq-fe.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "payout/base/buf.h"
#include "payout/limits.h"
#include "payout/store/audit.h"
#include "payout/store/cluster.h"
#include "payout/store/idempotency.h"
#include "payout/store/store.h"
#include "payout/store/users.h"
#include "store/backend.h"
#include "store/idcache.h"
#include "store/queue.h"

/* Every fixed statement of the backend; its SQL sits in the module that
** uses it (one store_pg_stmt_def table per module, gathered by conn.c). */
enum pg_stmt {
    /* db.c */
    PG_STMT_PING,
    PG_STMT_VERSION,
    /* records.c */
    PG_STMT_PAYOUT_GET,
    PG_STMT_PAYOUT_GET_NOTED,
    PG_STMT_BALANCES_LIST,
    PG_STMT_SETTINGS_GET,
    PG_STMT_ADMIN_FIND,
    PG_STMT_ADMIN_GET,
    PG_STMT_ADMIN_COUNT,
    PG_STMT_IDEM_GET,
    PG_STMT_PAYOUTS_ENDED,
    PG_STMT_PAYOUTS_OPEN_COUNT,
    PG_STMT_OUTBOX_DELIVERIES,
    PG_STMT_OUTBOX_NOTIFICATIONS,
    /* reads.c */
    PG_STMT_RECIPIENT_GET,
    PG_STMT_PROJECT_GET,
    PG_STMT_TOTALS_RECIPIENT,
    PG_STMT_TOTALS_PROJECT,
    PG_STMT_PAGE_TOTALS_RECIPIENTS,
    PG_STMT_PAGE_TOTALS_RECIPIENTS_DESC,
    PG_STMT_PAGE_TOTALS_PROJECTS,
    PG_STMT_PAGE_TOTALS_PROJECTS_DESC,
    /* reports.c */
    PG_STMT_REPORT_BY_PROJECT,
    PG_STMT_REPORT_BY_CURRENCY,
    PG_STMT_REPORT_BY_STATUS,
    PG_STMT_REPORT_BY_RECIPIENT,
    PG_STMT_REPORT_BY_DAY,
    /* audit.c */
    PG_STMT_AUDIT_COUNT,
    PG_STMT_AUDIT_LIST,
    /* check.c */
    PG_STMT_CHECK_CURRENCIES,
    PG_STMT_CHECK_PAYOUTS,
    PG_STMT_CHECK_REFERENCES,
    /* changes.c: the steps of the write operations */
    PG_STMT_PROJECT_FIND,
    PG_STMT_PROJECT_INSERT,
    PG_STMT_RECIPIENT_BY_USER_NAME,
    PG_STMT_RECIPIENT_BY_PHONE_NUMBER,
    PG_STMT_RECIPIENT_BY_REFERENCE_ID,
    PG_STMT_RECIPIENT_INSERT,
    PG_STMT_RECIPIENT_UPDATE,
    PG_STMT_RECIPIENT_CHECK,
    PG_STMT_RECIPIENTS_WARM,
    PG_STMT_RECIPIENTS_AHEAD,
    PG_STMT_PROJECTS_WARM,
    PG_STMT_TX_PAYOUT_INSERT,
    PG_STMT_TX_PAYOUT_GET,
    PG_STMT_TX_PAYOUT_SET_STATUS,
    PG_STMT_SETTING_PUT,
    PG_STMT_ADMIN_INSERT,
    PG_STMT_ADMIN_SET_PASSWORD,
    PG_STMT_AUDIT_INSERT,
    PG_STMT_IDEM_INSERT,
    PG_STMT_IDEM_SET_RESPONSE,
    PG_STMT_IDEM_PURGE,
    /* funds.c */
    PG_STMT_BALANCE_LOCK,
    PG_STMT_BALANCE_LOCK_AHEAD,
    PG_STMT_BALANCE_MOVE,
    PG_STMT_BALANCE_CREATE,
    PG_STMT_BALANCE_SET,
    PG_STMT_LEDGER_INSERT,
    /* writer.c */
    PG_STMT_WRITE_LOCK,
    PG_STMT_WRITE_IDS,
    /* bulk.c: one multi-row insert per table and batch */
    PG_STMT_BULK_RECIPIENTS,
    PG_STMT_BULK_PAYOUTS,
    PG_STMT_BULK_LEDGER,
    PG_STMT_BULK_EVENTS,
    PG_STMT_BULK_NOTIFICATIONS,
    PG_STMT_BULK_AUDIT,
    PG_STMT_BULK_IDEM,
    /* users.c: users and sessions */
    PG_STMT_USER_GET,
    PG_STMT_USER_GET_FOR_UPDATE,
    PG_STMT_USER_FIND,
    PG_STMT_USERS_LIST,
    PG_STMT_USER_COUNT,
    PG_STMT_USER_ADMINS_ENABLED,
    PG_STMT_USER_INSERT,
    PG_STMT_USER_REWRITE,
    PG_STMT_USER_TWO_FACTOR,
    PG_STMT_USER_SIGN_IN,
    PG_STMT_SESSION_FIND,
    PG_STMT_SESSION_FOLLOW,
    PG_STMT_SESSION_DELETE_USER,
    PG_STMT_SESSION_PURGE,
    PG_STMT_SESSION_TRIM,
    PG_STMT_SESSION_INSERT,
    PG_STMT_SESSION_TOUCH,
    PG_STMT_SESSION_DELETE,
    /* cluster.c: shared counters and leases */
    PG_STMT_COUNTER_LOCK,
    PG_STMT_COUNTER_SAVE,
    PG_STMT_COUNTERS_PURGE,
    PG_STMT_LEASE_TAKE,
    PG_STMT_LEASE_RELEASE,
    /* events.c: the outbox's appends, the feed, notifications of a payout */
    PG_STMT_EV_TEST,
    PG_STMT_EV_PAGE,
    PG_STMT_EV_PAGE_PAYOUT,
    PG_STMT_EV_PAGE_TYPE,
    PG_STMT_EV_GET,
    PG_STMT_NOTIFY_OF_PAYOUT,
    /* webhooks.c: endpoints, replay, attempts */
    PG_STMT_WH_COUNT,
    PG_STMT_WH_INSERT,
    PG_STMT_WH_GET,
    PG_STMT_WH_LIST,
    PG_STMT_WH_UPDATE,
    PG_STMT_WH_DELETE,
    PG_STMT_WH_GIVE_UP,
    PG_STMT_WH_ROTATE,
    PG_STMT_WH_REPLAY_COUNT,
    PG_STMT_WH_REPLAY_INSERT,
    PG_STMT_WH_REPLAY_COUNT_AFTER,
    PG_STMT_WH_REPLAY_INSERT_AFTER,
    PG_STMT_WH_ATTEMPTS,
    /* deliveries.c: the delivery and mail workers' side */
    PG_STMT_WH_CLAIM,
    PG_STMT_WH_NEXT,
    PG_STMT_WH_ATTEMPT_INSERT,
    PG_STMT_WH_DELIVERY_SET,
    PG_STMT_WH_FAILING_SET,
    PG_STMT_WH_DISABLE,
    PG_STMT_NOTIFY_CLAIM,
    PG_STMT_NOTIFY_NEXT,
    PG_STMT_NOTIFY_UPDATE,
    PG_STMT_COUNT
};

/* One fixed statement: its slot, its SQL ($1 ... parameters) and how many
** parameters it takes. */
struct store_pg_stmt_def {
    enum pg_stmt id;
    const char *sql;
    int params;
};

/* The tables of the modules (each ends with an entry whose sql is NULL). */
extern const struct store_pg_stmt_def store_pg_stmts_db[];
extern const struct store_pg_stmt_def store_pg_stmts_records[];
extern const struct store_pg_stmt_def store_pg_stmts_reads[];
extern const struct store_pg_stmt_def store_pg_stmts_reports[];
extern const struct store_pg_stmt_def store_pg_stmts_audit[];
extern const struct store_pg_stmt_def store_pg_stmts_check[];
extern const struct store_pg_stmt_def store_pg_stmts_changes[];
extern const struct store_pg_stmt_def store_pg_stmts_funds[];
extern const struct store_pg_stmt_def store_pg_stmts_writer[];
extern const struct store_pg_stmt_def store_pg_stmts_bulk[];
extern const struct store_pg_stmt_def store_pg_stmts_users[];
extern const struct store_pg_stmt_def store_pg_stmts_cluster[];
extern const struct store_pg_stmt_def store_pg_stmts_events[];
extern const struct store_pg_stmt_def store_pg_stmts_webhooks[];
extern const struct store_pg_stmt_def store_pg_stmts_deliveries[];
/* The id of a new row of table: the next after the largest (the primary
** key's index answers it at once), never the identity sequence's, so ids
** are what SQLite gives: a rolled-back insert leaves no gap and the ids of
** one list are consecutive. Safe because every write batch holds the lock
** row (writer.c): one node writes at a time. The tables of enum pg_ids
** take their ids from the writer instead (store_pg_tx_id_next), which
** reads their largest ids once per batch: every insert into those tables
** must go through it. */
#define PG_NEXT_ID(table) "(SELECT COALESCE(max(id), 0) + 1 FROM " table ")"

/* The tables whose new ids the writer hands out (store_pg_tx_id_next). */
enum pg_ids {
    PG_IDS_PAYOUTS,
    PG_IDS_LEDGER,
    PG_IDS_AUDIT,
    PG_IDS_RECIPIENTS,
    PG_IDS_PROJECTS,
    PG_IDS_EVENTS,
    PG_IDS_COUNT
};

/* The tables the fast run inserts into with one statement per batch
** (bulk.c), in the order their statements are sent: a table's rows may
** refer to rows of a table before it (a payout to its recipient; a ledger
** row, an event or a notification to its payout). */
enum pg_bulk {
    PG_BULK_RECIPIENTS,
    PG_BULK_PAYOUTS,
    PG_BULK_LEDGER,
    PG_BULK_EVENTS,
    PG_BULK_NOTIFICATIONS,
    PG_BULK_AUDIT,
    PG_BULK_IDEM,
    PG_BULK_COUNT
};

/* The most columns a multi-row insert has (payouts). */
#define PG_BULK_COLUMNS_MAX 16

/* The rows one table's multi-row insert holds so far: each column as the
** text of an array literal being built ("{v1,v2"; closed when sent). */
struct pg_bulk_rows {
    size_t rows;
    struct pp_buf cols[PG_BULK_COLUMNS_MAX];
};

/* One libpq connection. Used by one thread at a time (the writer, or who
** holds it from the read pool). pg NULL: not connected (the next use
** connects, and prepares every fixed statement again). */
/* Room for the text of a read snapshot (pg_current_snapshot) a count is
** remembered with; a longer one (many writes in flight) is not remembered. */
#define PG_SNAPSHOT_TEXT_BYTES 128

struct pg_conn {
    PGconn *pg;
    /* reads.c: the list statements prepared on this connection, by SQL
    ** text (named "l<slot>"); forgotten on reconnect. */
    char *shape_sql[PP_READ_SHAPES];
    unsigned shape_next;
    /* reads.c: list counts, each with its statement (text and parameters)
    ** and the snapshot it was counted in; forgotten on reconnect. */
    struct pg_count_memo {
        char *key; /* NULL: unused */
        size_t key_len;
        char snapshot[PG_SNAPSHOT_TEXT_BYTES];
        int64_t total;
    } count_memo[PP_READ_TOTALS_MEMO];
    unsigned count_memo_next;
    /* The constraint named by the last refusal (PG_FAIL_CONSTRAINT/UNIQUE). */
    char constraint[64];
};

/* A write waiting for the writer (writer.c); lives on its caller's stack. */
struct pg_tx;
typedef enum pp_status (*store_pg_write_fn)(struct pg_tx *tx, void *arg, struct pp_err *err);
struct pg_req {
    struct store_queue_item item; /* first: the writer queue's (store/queue.h) */
    store_pg_write_fn fn;
    void *arg;
    enum pp_status status;
    struct pp_err err;
    struct store_write_guard *guard; /* the caller's, or NULL (payout/store/store.h) */
    /* The payout creates' rows it names, or NULL (store/backend.h). */
    const struct store_write_recipients *recipients;
};

struct store_pg {
    char *conninfo; /* the URL as given (never logged: it may hold a password) */
    /* The writer: its connection, its queue and thread (store/queue.h). */
    struct pg_conn writer;
    struct store_queue queue;
    struct pg_conn readers[PP_READERS_MAX];
    unsigned readers_count;
    unsigned readers_idle[PP_READERS_MAX];
    unsigned readers_idle_count;
    pthread_mutex_t readers_mu;
    pthread_cond_t readers_cv;
    /* The writer's projects and recipients (changes.c; writer thread only).
    ** Projects are never renamed or deleted, so a committed entry holds
    ** for good; a recipient may change on another node, so each one taken
    ** from it is checked again in the batch (PG_STMT_RECIPIENT_CHECK). */
    struct store_idcache idcache;
    /* The cache was filled since it last emptied (writer.c), and then
    ** with every recipient stored (changes.c). */
    int idcache_warm;
    int idcache_complete;
    /* The currencies whose balance the last committed batch used
    ** (funds.c): the next batch reads and locks them in its first round
    ** trip. */
    char balances_ahead[PP_PG_BALANCES_AHEAD_MAX][4];
    size_t balances_ahead_count;
    /* A recipient taken as new was found stored (another node stores
    ** recipients too): from then on this node asks the database about
    ** every identifier its cache does not know (changes.c). */
    int recipients_elsewhere;
    uint64_t batch_no; /* the batch running (recipients checked in it) */
    /* The rows the fast run's batch will insert with one statement per
    ** table (bulk.c; writer thread only; the memory is kept between
    ** batches and freed when the writer stops). */
    struct pg_bulk_rows bulk[PG_BULK_COUNT];
    /* The text[] literals of the identifiers a batch reads ahead, one per
    ** identifier (changes.c; kept and freed as bulk is). */
    struct pp_buf recipients_ahead_lists[PP_IDENT_COUNT];
    /* The writer's profile, logged when it stops (writer.c). */
    struct pg_writer_profile {
        /* joined: requests taken into a batch once its lock row was held. */
        uint64_t batches, requests, joined, round_trips, careful, lock_ns, commit_ns, total_ns;
    } profile;
    /* outbox.c: the outbox's wake-up and whether mail is sent (set before
    ** serving), and what the writer's batches added since the workers last
    ** looked (outbox.h). */
    store_outbox_wake_fn outbox_wake;
    void *outbox_wake_ctx;
    int outbox_mail;
    atomic_int outbox_deliveries_added;
    atomic_int outbox_notifications_added;
};

/* --- Connections (conn.c) ------------------------------------------------ */

/* Connects c to conninfo and, when prepare, prepares every fixed statement
** on it (the schema must be migrated). A server older than PostgreSQL 15
** is refused (PP_INTERNAL); PP_UNAVAILABLE when the server cannot be
** reached. On failure c->pg stays NULL. */
enum pp_status store_pg_conn_open(struct pg_conn *c, const char *conninfo, int prepare,
                                  struct pp_err *err);
/* Prepares every fixed statement on the connected c. */
enum pp_status store_pg_conn_prepare(struct pg_conn *c, struct pp_err *err);
/* Closes c (a no-op when not connected) and forgets its statements. */
void store_pg_conn_close(struct pg_conn *c);
/* 1 when c's connection is gone (the next use must reconnect). */
int store_pg_conn_lost(const struct pg_conn *c);

/* Takes an idle read connection (waiting for one), connected: a lost one
** reconnects first. PP_UNAVAILABLE (c released again) when that fails. */
enum pp_status store_pg_reader_acquire(struct store_pg *st, struct pg_conn **out,
                                       struct pp_err *err);
/* Gives c back; a connection whose link broke is closed, to reconnect on
** its next use. */
void store_pg_reader_release(struct store_pg *st, struct pg_conn *c);

/* --- Parameters --------------------------------------------------------- */

#define PG_PARAMS_MAX 24
#define PG_PARAM_NUM_BYTES 48

/* The parameters of one statement, in order ($1, $2, ...). Numbers are
** formatted into num[]; texts and bytes are borrowed until the statement
** ran. */
struct pg_params {
    int n;
    const char *values[PG_PARAMS_MAX];
    int lengths[PG_PARAMS_MAX];
    int formats[PG_PARAMS_MAX];
    char num[PG_PARAMS_MAX][PG_PARAM_NUM_BYTES];
};

void pg_params_init(struct pg_params *p);
void pg_param_i64(struct pg_params *p, int64_t v);
/* 0 binds NULL (optional ids and moments). */
void pg_param_i64_or_null(struct pg_params *p, int64_t v);
/* s borrowed; NULL binds NULL. */
void pg_param_text(struct pg_params *p, const char *s);
/* NULL or "" binds NULL. */
void pg_param_text_or_null(struct pg_params *p, const char *s);
void pg_param_null(struct pg_params *p);
/* len bytes at b, sent in binary (for BYTEA). */
void pg_param_bytes(struct pg_params *p, const void *b, size_t len);
/* The ids as a bigint[] literal ("{1,2,3}"), written into buf (borrowed). */
void pg_param_i64_array(struct pg_params *p, const int64_t *v, size_t n, char *buf,
                        size_t buf_size);

/* --- Running statements ------------------------------------------------- */

/* How a failed statement is classified. */
enum pg_fail {
    PG_FAIL_NONE = 0,
    PG_FAIL_CONSTRAINT, /* a CHECK, unique or foreign key, or a trigger refused it */
    PG_FAIL_UNIQUE,     /* a unique key (a subset of constraint) */
    PG_FAIL_TRANSIENT,  /* serialization failure, deadlock, lost link, shutdown ... */
    PG_FAIL_OTHER
};

/* Runs fixed statement id with p (NULL: none) on c and waits for its
** result. PP_OK: *res_out (may be NULL: then cleared) is the result, the
** caller PQclear()s it. Else: logged with `what` (never the values), err
** set to a generic message, *fail_out (may be NULL) says why:
** PP_UNAVAILABLE for a transient failure, PP_INTERNAL for the rest. A
** constraint with fail_out given is the caller's to explain: then the
** return is PP_INVALID_PARAMS, nothing logged and err untouched. */
enum pp_status store_pg_run(struct pg_conn *c, enum pg_stmt id, const struct pg_params *p,
                            PGresult **res_out, enum pg_fail *fail_out, const char *what,
                            struct pp_err *err);
/* The same for SQL text run once (unnamed), with p or no parameters (NULL):
** BEGIN, COMMIT, the migrations. */
enum pp_status store_pg_run_sql(struct pg_conn *c, const char *sql, const struct pg_params *p,
                                PGresult **res_out, enum pg_fail *fail_out, const char *what,
                                struct pp_err *err);
/* Sends fixed statement id (or, with id PG_STMT_COUNT, the SQL text sql)
** with p (NULL: none) in c's pipeline without waiting: 1, or 0 when it
** could not be sent (the link is gone). p is copied. */
int store_pg_send(struct pg_conn *c, enum pg_stmt id, const char *sql, const struct pg_params *p);
/* Classifies a finished result (PGRES_COMMAND_OK / TUPLES_OK are NONE). */
enum pg_fail store_pg_fail_of(const struct pg_conn *c, const PGresult *res);
/* Logs a failed res and sets err; returns PP_UNAVAILABLE or PP_INTERNAL. */
enum pp_status store_pg_fail(const struct pg_conn *c, const PGresult *res, const char *what,
                             struct pp_err *err);

/* Takes the result of a statement just run on c (res may be NULL: out of
** memory or a lost link): PP_OK with *res_out set when it succeeded, else
** as store_pg_run. Always consumes res. */
enum pp_status store_pg_result(struct pg_conn *c, PGresult *res, PGresult **res_out,
                               enum pg_fail *fail_out, const char *what, struct pp_err *err);

/* One statement of a round trip (store_pg_trip): fixed statement id, or
** with id PG_STMT_COUNT the SQL text sql, with p (NULL: none); its result
** into *res_out (NULL: cleared), `what` for the log. */
struct pg_trip_step {
    enum pg_stmt id;
    const char *sql;
    const struct pg_params *p;
    PGresult **res_out;
    const char *what;
};

/* Runs steps[0..n) on c in ONE round trip: sent in libpq's pipeline mode
** with one sync, then every result read in order. PP_OK when every step
** succeeded; else the first failure, as store_pg_run reports it (the
** server skips the steps after it). Leaves pipeline mode before it
** returns; a connection whose results cannot be read to the sync is
** closed, to reconnect on its next use. A transaction a step opened stays
** open (the caller ends it: store_pg_read_end rolls back). */
enum pp_status store_pg_trip(struct pg_conn *c, const struct pg_trip_step *steps, size_t n,
                             struct pp_err *err);

/* How a read transaction begins: one snapshot for all its statements. */
#define PG_READ_BEGIN_SQL "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"

/* Opens a read transaction (REPEATABLE READ, READ ONLY: a page and its
** total see one snapshot), and ends it whatever happened. */
enum pp_status store_pg_read_begin(struct pg_conn *c, struct pp_err *err);
void store_pg_read_end(struct pg_conn *c);
/* Reads row i of r (id, user_name, phone_number, reference_id, first_name,
** last_name, email) into out (reads.c); -1, logged, when a field does not
** fit its buffer. */
int store_pg_recipient_row(const PGresult *r, int i, struct pp_recipient *out);

/* Room for a bigint[] literal of PP_READ_IDS_MAX (or a page of) ids. */
#define PG_ID_ARRAY_BYTES (PP_READ_IDS_MAX * 21 + 3)
#define PG_STATUS_ARRAY_BYTES 32

/* A list statement being put together (reads.c): its text and its
** parameters, which may point into statuses and ids. */
struct pg_list_sql {
    struct pp_buf sql;
    struct pg_params p;
    /* The column an id-ordered page is ordered by first (where_payouts):
    ** NULL, or a column the filter fixes to one value whose (column, ...,
    ** id) index gives the matches in id order. */
    const char *lead;
    /* 1 when the statement is an id-ordered page, the only one that needs
    ** a lead (a count and the other orders keep plain equalities, which
    ** the planner weighs with the column's statistics). */
    int lead_wanted;
    /* 1 when the lead's index holds every condition of the filter (one
    ** status, or a currency and one status), so that the rows it reads
    ** are all matches whatever the values (see list_build). */
    int lead_covers;
    char statuses[PG_STATUS_ARRAY_BYTES];
    char ids[PG_ID_ARRAY_BYTES];
};

struct pp_payout_filter;
struct pp_page;
/* The statement a payouts' list page of f and page runs (count 1: its
** count), as the reader prepares it, for tests of its plans. Release
** q->sql with pp_buf_free. */
void store_pg_payouts_list_sql(const struct pp_payout_filter *f, const struct pp_page *page,
                               int count, struct pg_list_sql *q);

/* --- Writes (writer.c) -------------------------------------------------- */

/* A statement sent in the writer's pipeline whose result is read at the
** next sync (writer.c). */
struct pg_queued {
    enum pg_stmt id; /* PG_STMT_COUNT: SQL text (BEGIN, COMMIT) */
    const char *what;
    size_t req;            /* the request of the batch that sent it */
    int64_t rows_expected; /* -1: any */
    int bulk;              /* 1 + the enum pg_bulk of a multi-row insert, else 0 */
    size_t bulk_rows;      /* its rows */
    PGresult **keep;       /* a read whose rows are kept here, unchecked; or NULL */
};

/* The settings the batch's guarded writes ask about (payout/store/store.h),
** read once in the round trip that opens the batch. */
struct pg_guard_reads {
    PGresult *res; /* the read's rows, until parsed */
    size_t count;  /* keys read: 0 when no request of the batch has a guard */
    size_t first;  /* the first key of the read in flight (keys before it are read) */
    const char *keys[STORE_SETTINGS_READ_MAX];
    struct store_setting_read reads[STORE_SETTINGS_READ_MAX];
    char values[STORE_SETTINGS_READ_MAX][STORE_GUARD_VALUE_BYTES];
};

/* A balance the batch holds in memory (funds.c): read and locked at its
** first use in the batch, changed there, written back once at its end. */
struct pg_balance_slot {
    struct pp_balance b;
    int present; /* the row exists (else b is zeros and nothing is locked) */
    int dirty;   /* b differs from the row: written at the end of the batch */
    int used;    /* a request of the batch asked for it (not only read ahead) */
};

/* What the batch keeps in memory and a failed request must give back:
** the next ids, the balances. */
struct pg_batch_state {
    int64_t last_id[PG_IDS_COUNT]; /* the largest id of each table so far */
    size_t balances_count;
    struct pg_balance_slot balances[PP_WRITER_BALANCES_MAX];
};

/* What a write callback holds: the writer's connection inside the batch's
** transaction. */
struct pg_tx {
    struct store_pg *st;
    struct pg_conn *conn;
    /* A statement failed: the transaction (or the request's savepoint) is
    ** aborted; nothing more runs until the writer rolls it back. */
    int failed;
    /* The failure cannot be undone by a savepoint (lost link, shutdown,
    ** serialization failure): the whole batch goes; broken_status says how. */
    int broken;
    enum pp_status broken_status;
    /* Rows this request changed, or statements it queued (a failed request
    ** that changed none needs no undo). */
    int64_t changes;
    /* The request running now (its place in the batch). */
    size_t req;
    /* The fast run: statements whose results nothing waits for are queued
    ** in the connection's pipeline and read at the next sync; the careful
    ** run (one savepoint per request) runs each statement alone. */
    int pipelined;
    size_t queued;
    struct pg_queued queue[PP_PG_PIPELINE_QUEUED_MAX];
    /* A queued statement failed or changed an unexpected number of rows:
    ** the fast run is void and the batch runs again carefully. */
    int queue_failed;
    /* The batch's ids and balances. */
    struct pg_batch_state state;
    /* Recipients taken from the writer's cache and checked in this batch
    ** (an open-addressing set of ids, 0 = empty; changes.c). */
    int64_t recipients_checked[PP_PG_RECIPIENT_CHECKS_MAX];
    /* 1 + the request whose recipient the database said is new (its
    ** identifier recipient_new_which was not found), else 0 (changes.c). */
    size_t recipient_new_req;
    enum pp_ident recipient_new_which;
    /* Round trips to the server in this batch (the writer's profile). */
    uint64_t round_trips;
    struct pg_guard_reads guards;
    /* The balances read ahead (funds.c), until taken. */
    PGresult *ahead_res;
    /* The recipient identifiers read ahead in the round trip that opened
    ** the batch (changes.c): an open-addressing set (value NULL = empty).
    ** One found names a recipient now in the writer's cache; one not
    ** found was stored by no one before the batch, and whatever the
    ** batch stores with it is in the cache. */
    struct pg_ident_ahead {
        const char *value; /* borrowed from the request's rows */
        enum pp_ident which;
        int found;
    } recipients_ahead[2 * PP_PG_RECIPIENTS_AHEAD_MAX];
    size_t recipients_ahead_count;
    PGresult *recipients_ahead_res; /* its rows, until taken */
};

/* Runs fn(tx, arg, err) in the next batch and waits until that batch has
** committed (store.h's store_write contract; fn may run more than once). */
enum pp_status store_pg_write(struct store_pg *st, store_pg_write_fn fn, void *arg,
                              struct pp_err *err);
/* Starts and stops the writer thread (stop lets the queue drain). */
enum pp_status store_pg_writer_start(struct store_pg *st, struct pp_err *err);
void store_pg_writer_stop(struct store_pg *st);

/* Runs fixed statement id inside tx, as store_pg_run; refuses to run once
** a statement of the request failed. A constraint with fail_out given is
** PP_INVALID_PARAMS for the caller to explain (the request must then fail:
** PostgreSQL has aborted its savepoint). */
enum pp_status store_pg_tx_run(struct pg_tx *tx, enum pg_stmt id, const struct pg_params *p,
                               PGresult **res_out, enum pg_fail *fail_out, const char *what,
                               struct pp_err *err);
/* Runs fixed statement id inside tx when nothing needs its result now: in
** the fast run it is queued in the pipeline (PP_OK at once; a failure, or
** a row count other than rows_expected when that is >= 0, is found at the
** next sync and voids the fast run, so the batch runs again carefully),
** in the careful run it runs at once as store_pg_tx_run, a row count
** other than rows_expected then being PP_INTERNAL. fail_out as there:
** always PG_FAIL_NONE when queued. p is copied. */
enum pp_status store_pg_tx_send(struct pg_tx *tx, enum pg_stmt id, const struct pg_params *p,
                                int64_t rows_expected, enum pg_fail *fail_out, const char *what,
                                struct pp_err *err);
/* The id of the next new row of `table` in this batch (consecutive; a
** request that fails gives its ids back). */
int64_t store_pg_tx_id_next(struct pg_tx *tx, enum pg_ids table);
/* Queues statement id with p in the fast run's pipeline (as
** store_pg_tx_send; bulk is 1 + the enum pg_bulk of a multi-row insert of
** bulk_rows rows, whose answer store_pg_bulk_took reads, else 0). PP_OK,
** or the failure that broke the batch. */
enum pp_status store_pg_tx_queue(struct pg_tx *tx, enum pg_stmt id, const struct pg_params *p,
                                 int64_t rows_expected, int bulk, size_t bulk_rows,
                                 const char *what);

/* --- Multi-row inserts (bulk.c) ------------------------------------------- */

/* Inserts one row into table t inside tx. p holds the row's values in the
** order of the single-row statement `single` (bulk.c's statements take
** their arrays in that order). In the fast run the row joins the batch's
** multi-row insert into t (sent at the next sync, or sooner when
** PP_PG_BULK_ROWS_MAX rows wait: a failure voids the fast run as a queued
** statement's does); in the careful run `single` runs at once as
** store_pg_tx_send (rows_expected 1), or, with single PG_STMT_COUNT, the
** multi-row insert runs with this one row. fail_out as store_pg_tx_send. */
enum pp_status store_pg_tx_insert(struct pg_tx *tx, enum pg_bulk t, enum pg_stmt single,
                                  const struct pg_params *p, enum pg_fail *fail_out,
                                  const char *what, struct pp_err *err);
/* Queues every table's waiting rows, one statement per table in the order
** of enum pg_bulk (writer.c: before a statement whose answer is needed and
** before COMMIT; changes.c: before a recipient's update). */
void store_pg_tx_bulk_flush(struct pg_tx *tx);
/* 1 when the rows waiting for multi-row inserts must be sent before
** statement id runs (it may read them, or change what they read): every
** statement but the reads of tables those rows neither fill nor read. */
int store_pg_bulk_before(enum pg_stmt id);
/* Reads the answer of a multi-row insert into t of `rows` rows (its
** outbox wake-ups); -1 when the answer is not what it should be. */
int store_pg_bulk_took(struct pg_tx *tx, enum pg_bulk t, size_t rows, const PGresult *res);
/* Drops every waiting row (a new batch); _free also frees the memory. */
void store_pg_bulk_reset(struct store_pg *st);
void store_pg_bulk_free(struct store_pg *st);
/* Appends text v to the array literal in b as one quoted element (a
** backslash before each '"' and '\'), with the '{' or ',' before it. */
void store_pg_array_text_add(struct pp_buf *b, const char *v);

/* Fills the writer's empty cache with the newest projects and recipients
** (changes.c; the fast run's first batch after the cache emptied). */
enum pp_status store_pg_tx_cache_warm(struct pg_tx *tx, struct pp_err *err);
/* Queues the write of every balance the batch changed (writer.c calls it
** once, after the last request). */
enum pp_status store_pg_tx_balances_flush(struct pg_tx *tx, struct pp_err *err);
/* The balances read ahead: fills p with the currencies the last committed
** batch used, written into list (PG_BALANCES_AHEAD_LIST_BYTES, which p
** points into: keep it until the statement is sent); 0 when there are
** none (nothing to read). */
#define PG_BALANCES_AHEAD_LIST_BYTES (2 + PP_PG_BALANCES_AHEAD_MAX * 4)
int store_pg_balances_ahead_params(const struct store_pg *st, char *list, struct pg_params *p);
/* Takes the rows of PG_STMT_BALANCE_LOCK_AHEAD as the batch's first slots
** (read and locked). PP_INTERNAL when a row cannot be read. */
enum pp_status store_pg_tx_balances_ahead_take(struct pg_tx *tx, const PGresult *res,
                                               struct pp_err *err);
/* After a commit: remembers the currencies whose balance tx's requests
** used, for the next batch. */
void store_pg_balances_ahead_note(struct store_pg *st, const struct pg_tx *tx);
/* The recipients read ahead: notes in tx the identifiers of the payout
** creates of batch[0..n) that the writer's cache does not know and tx
** has not noted yet (up to PP_PG_RECIPIENTS_AHEAD_MAX in a batch) and
** binds them in p as the text[] parameters of PG_STMT_RECIPIENTS_AHEAD (p
** points into st's lists: send it before the next call); 0 when there
** are none. */
int store_pg_tx_recipients_ahead_params(struct pg_tx *tx, struct pg_req *const *batch, size_t n,
                                        struct pg_params *p);
/* Takes the rows of PG_STMT_RECIPIENTS_AHEAD: into the writer's cache,
** checked for this batch, their identifiers noted as found. PP_INTERNAL
** when a row cannot be read. */
enum pp_status store_pg_tx_recipients_ahead_take(struct pg_tx *tx, const PGresult *res,
                                                 struct pp_err *err);
/* Frees st's lists (the writer stopped). */
void store_pg_recipients_ahead_free(struct store_pg *st);

/* The steps write operations are made of (changes.c, funds.c), with the
** contracts of the store_tx_* functions of the same name in store.h, run
** inside tx. */
enum pp_status store_pg_tx_project_ensure(struct pg_tx *tx, const char *name, int64_t now_ms,
                                          int64_t *id_out, struct pp_err *err);
enum pp_status store_pg_tx_recipient_find(struct pg_tx *tx, enum pp_ident which, const char *value,
                                          struct pp_recipient *out, int *found_out,
                                          struct pp_err *err);
enum pp_status store_pg_tx_recipient_save(struct pg_tx *tx, struct pp_recipient *r, int64_t now_ms,
                                          struct pp_err *err);
enum pp_status store_pg_tx_payout_insert(struct pg_tx *tx, struct pp_payout *p, struct pp_err *err);
/* Reads payout id and locks its row until the batch commits (FOR UPDATE:
** another node changing it at once waits, then sees the change). */
enum pp_status store_pg_tx_payout_get(struct pg_tx *tx, int64_t id, struct pp_payout *out,
                                      struct pp_err *err);
/* by_user: the panel user authorizing (recorded when UNAUTHORIZED ->
** READY), 0 for none. */
enum pp_status store_pg_tx_payout_set_status(struct pg_tx *tx, int64_t id, enum pp_payout_status to,
                                             int64_t now_ms, const char *reference, int64_t by_user,
                                             struct pp_err *err);
/* Reads the balance of currency and locks its row (creating it at zero on
** first use) until the batch commits. */
enum pp_status store_pg_tx_balance_get(struct pg_tx *tx, const char *currency,
                                       struct pp_balance *out, struct pp_err *err);
enum pp_status store_pg_tx_funds_move(struct pg_tx *tx, const struct pp_movement *m,
                                      struct pp_balance *after_out, struct pp_err *err);
enum pp_status store_pg_tx_setting_put(struct pg_tx *tx, const char *key, const char *value,
                                       struct pp_err *err);
enum pp_status store_pg_tx_setting_get(struct pg_tx *tx, const char *key, char *out,
                                       size_t out_size, int *found_out, struct pp_err *err);
enum pp_status store_pg_tx_admin_insert(struct pg_tx *tx, const char *email,
                                        const char *password_hash, int64_t now_ms, int64_t *id_out,
                                        struct pp_err *err);
enum pp_status store_pg_tx_admin_set_password(struct pg_tx *tx, const char *email,
                                              const char *password_hash, int64_t now_ms,
                                              int64_t *id_out, struct pp_err *err);
enum pp_status store_pg_tx_audit_append(struct pg_tx *tx, const struct pp_audit *a,
                                        struct pp_err *err);
enum pp_status store_pg_tx_idem_insert(struct pg_tx *tx, const char *scope, const char *key,
                                       const uint8_t fingerprint[STORE_IDEM_FINGERPRINT_BYTES],
                                       int64_t created_ms, struct pp_err *err);
enum pp_status store_pg_tx_idem_set_response(struct pg_tx *tx, const char *scope, const char *key,
                                             unsigned status, const char *content_type,
                                             const char *body, size_t body_len, struct pp_err *err);
enum pp_status store_pg_tx_idem_purge(struct pg_tx *tx, int64_t before_ms, int64_t limit,
                                      int64_t *deleted_out, struct pp_err *err);

/* --- Columns ------------------------------------------------------------ */

int64_t pg_col_i64(const PGresult *r, int row, int col);
/* An exact numeric (a sum of bigints) as a 128-bit integer; NULL is 0.
** Returns 0, or -1 when the text is not an integer that fits. */
int pg_col_i128(const PGresult *r, int row, int col, __int128 *out);
/* Copies text column col into out (NULL -> ""); -1 when it does not fit. */
int pg_col_text(const PGresult *r, int row, int col, char *out, size_t out_size);

/* The payout columns, in the order store_pg_payout_read expects. */
#define PG_PAYOUT_COLUMNS                                                                          \
    "id, project_id, recipient_id, currency, amount_minor, start_ms, end_ms, description,"         \
    " notification, status, created_ms, updated_ms, uuid, metadata, authorized_ms,"                \
    " received_ms, cancelled_ms, expired_ms, reference, created_by_user, authorized_by_user"
/* Fills *out from row `row` of r; -1 (logged) when it breaks the schema. */
int store_pg_payout_read(const PGresult *r, int row, struct pp_payout *out);

/* 1 when s is three upper-case ASCII letters. */
int store_pg_currency_ok(const char *s);

/* --- The backend's operations (same contracts as the public functions) -- */

enum pp_status store_pg_open(const char *url, unsigned readers, struct store_pg **out,
                             struct pp_err *err);
void store_pg_close(struct store_pg *st);
enum pp_status store_pg_migrate(const char *url, int *applied_out, struct pp_err *err);
/* Runs the pending migrations on c under the lock row. */
enum pp_status store_pg_migrate_conn(struct pg_conn *c, int *applied_out, struct pp_err *err);
int store_pg_schema_version_latest(void);
int store_pg_ping(struct store_pg *st);

/* cluster.c: payout/store/cluster.h */
enum pp_status store_pg_counters_update(struct store_pg *st, const struct store_counter_call *calls,
                                        size_t n, struct pp_err *err);
enum pp_status store_pg_counters_purge(struct store_pg *st, int64_t idle_ms, int64_t limit,
                                       int64_t *deleted_out, struct pp_err *err);
enum pp_status store_pg_lease_take(struct store_pg *st, const char *name, const char *holder,
                                   int64_t ttl_ms, int *held_out, struct pp_err *err);
enum pp_status store_pg_lease_release(struct store_pg *st, const char *name, const char *holder,
                                      struct pp_err *err);

enum pp_status store_pg_audit_list(struct store_pg *st, const struct pp_audit_filter *f,
                                   struct pp_audit_entry *out, size_t cap, size_t *count_out,
                                   int64_t *total_out, struct pp_err *err);
enum pp_status store_pg_idem_get(struct store_pg *st, const char *scope, const char *key,
                                 struct store_idem_row *out, int *found_out, struct pp_err *err);
enum pp_status store_pg_outbox_counts(void *backend, struct pp_outbox_counts *out,
                                      struct pp_err *err);
enum pp_status store_pg_payouts_open_count(struct store_pg *st, struct pp_open_count *out,
                                           size_t cap, size_t *count_out, struct pp_err *err);
enum pp_status store_pg_payouts_ended_list(struct store_pg *st, int64_t now_ms, int64_t *ids_out,
                                           size_t cap, size_t *count_out, struct pp_err *err);
enum pp_status store_pg_payouts_page(struct store_pg *st, const struct pp_payout_filter *f,
                                     const struct pp_page *page, pp_payout_fn fn, void *ctx,
                                     struct pp_page_info *info, struct pp_err *err);
enum pp_status store_pg_recipients_page(struct store_pg *st, const struct pp_recipient_filter *f,
                                        const struct pp_page *page, pp_recipient_fn fn, void *ctx,
                                        const struct pp_page_totals *totals,
                                        struct pp_page_info *info, struct pp_err *err);
enum pp_status store_pg_projects_page(struct store_pg *st, const struct pp_project_filter *f,
                                      const struct pp_page *page, pp_project_fn fn, void *ctx,
                                      const struct pp_page_totals *totals,
                                      struct pp_page_info *info, struct pp_err *err);
enum pp_status store_pg_ledger_page(struct store_pg *st, const struct pp_ledger_filter *f,
                                    const struct pp_page *page, pp_ledger_fn fn, void *ctx,
                                    struct pp_page_info *info, struct pp_err *err);
enum pp_status store_pg_recipient_get(struct store_pg *st, int64_t id, struct pp_recipient *out,
                                      struct pp_err *err);
enum pp_status store_pg_project_get(struct store_pg *st, int64_t id, struct pp_project *out,
                                    struct pp_err *err);
enum pp_status store_pg_payout_totals(struct store_pg *st, enum pp_totals_of of, int64_t id,
                                      pp_total_fn fn, void *ctx, struct pp_err *err);
enum pp_status store_pg_report_payouts(struct store_pg *st, const struct pp_report_query *q,
                                       struct pp_report_group *out, size_t cap, size_t *count_out,
                                       struct pp_err *err);
/* A payout and its notifications (at most cap, by kind) in one statement. */
enum pp_status store_pg_payout_get_noted(struct store_pg *st, int64_t id, struct pp_payout *out,
                                         struct pp_notification *notes, size_t cap,
                                         size_t *count_out, struct pp_err *err);
enum pp_status store_pg_payout_get(struct store_pg *st, int64_t id, struct pp_payout *out,
                                   struct pp_err *err);
enum pp_status store_pg_balances_list(struct store_pg *st, struct pp_balance *out, size_t cap,
                                      size_t *count_out, struct pp_err *err);
enum pp_status store_pg_settings_get(struct store_pg *st, struct store_setting_read *reads,
                                     size_t count, struct pp_err *err);
/* The parameters of PG_STMT_SETTINGS_GET for reads[0..count), and the
** values of its result copied into them (found set for each one read). */
void store_pg_settings_params(struct pg_params *p, const struct store_setting_read *reads,
                              size_t count);
enum pp_status store_pg_settings_take(const PGresult *res, struct store_setting_read *reads,
                                      size_t count, struct pp_err *err);
enum pp_status store_pg_admin_find(struct store_pg *st, const char *email, struct pp_admin *out,
                                   int *found_out, struct pp_err *err);
enum pp_status store_pg_admin_get(struct store_pg *st, int64_t id, struct pp_admin *out,
                                  struct pp_err *err);
enum pp_status store_pg_admin_count(struct store_pg *st, int64_t *count_out, struct pp_err *err);
enum pp_status store_pg_check(struct store_pg *st, store_report_fn report, void *ctx,
                              int *problems_out, struct pp_err *err);

/* The domain write operations (writes.c). */
enum pp_status store_pg_payouts_create(struct store_pg *st, const struct store_write_ctx *w,
                                       struct store_payout_new *rows, size_t count,
                                       store_recipient_rule_fn rule, int check_only,
                                       const char *audit_action, const char *audit_detail,
                                       struct pp_err *err);
enum pp_status store_pg_payouts_change(struct store_pg *st, const struct store_write_ctx *w,
                                       enum store_payout_change change, const int64_t *ids,
                                       size_t count, int64_t *done_out, struct pp_err *err);
enum pp_status store_pg_payout_receive(struct store_pg *st, const struct store_write_ctx *w,
                                       int64_t id, const char *reference,
                                       store_amount_text_fn amount_text, struct pp_payout *out,
                                       struct pp_err *err);
enum pp_status store_pg_funds_move(struct store_pg *st, const struct store_write_ctx *w,
                                   const struct pp_movement *m, const char *audit_action,
                                   const char *audit_detail, struct pp_balance *after_out,
                                   struct pp_err *err);
enum pp_status store_pg_settings_put(struct store_pg *st, const struct store_write_ctx *w,
                                     const struct store_setting *kv, size_t count,
                                     const char *audit_action, const char *audit_detail,
                                     struct pp_err *err);
enum pp_status store_pg_admin_upsert(struct store_pg *st, const struct store_write_ctx *w,
                                     const char *email, const char *password_hash, int *created_out,
                                     int64_t *id_out, struct pp_err *err);
enum pp_status store_pg_idem_answer_put(struct store_pg *st, const char *scope, const char *key,
                                        unsigned status, const char *content_type, const char *body,
                                        size_t body_len, struct pp_err *err);
enum pp_status store_pg_idem_purge(struct store_pg *st, int64_t before_ms, int64_t limit,
                                   int64_t *deleted_out, struct pp_err *err);

/* users.c: users and sessions (payout/store/users.h). */
enum pp_status store_pg_user_get(struct store_pg *st, int64_t id, struct pp_user *out,
                                 struct pp_err *err);
enum pp_status store_pg_user_find(struct store_pg *st, const char *email, struct pp_user *out,
                                  int *found_out, struct pp_err *err);
enum pp_status store_pg_users_list(struct store_pg *st, struct pp_user *out, size_t cap,
                                   size_t *count_out, struct pp_err *err);
enum pp_status store_pg_session_find(struct store_pg *st, const char *id_hash,
                                     struct pp_session *session_out, struct pp_user *user_out,
                                     int *found_out, struct pp_err *err);
enum pp_status store_pg_user_create(struct store_pg *st, const struct store_write_ctx *w,
                                    const struct store_user_create *in, struct pp_user *out,
                                    int *created_out, struct pp_err *err);
enum pp_status store_pg_user_update(struct store_pg *st, const struct store_write_ctx *w,
                                    const struct store_user_update *in, struct pp_user *out,
                                    struct pp_err *err);
enum pp_status store_pg_user_password_set(struct store_pg *st, const struct store_write_ctx *w,
                                          const struct store_user_password *in, struct pp_user *out,
                                          struct pp_err *err);
enum pp_status store_pg_user_two_factor(struct store_pg *st, const struct store_write_ctx *w,
                                        const struct store_user_two_factor *in, struct pp_user *out,
                                        struct pp_err *err);
enum pp_status store_pg_user_sign_in(struct store_pg *st, const struct store_write_ctx *w,
                                     const struct store_user_sign_in *in, struct pp_err *err);
enum pp_status store_pg_user_sign_in_failed(struct store_pg *st, const struct store_write_ctx *w,
                                            const struct store_sign_in_failure *in,
                                            struct pp_err *err);
enum pp_status store_pg_session_touch(struct store_pg *st, const struct store_write_ctx *w,
                                      const char *id_hash, struct pp_err *err);
enum pp_status store_pg_session_end(struct store_pg *st, const struct store_write_ctx *w,
                                    const char *id_hash, struct pp_err *err);

#endif /* PAYOUT_STORE_PG_INTERNAL_H */
