/*
** This file tests the storage layer against real SQLite databases in a
** temporary directory: opening and migrations, file modes, every table's
** operations, the funds rules, the append-only ledger, the group-commit
** writer under concurrency (including callbacks that fail midway and
** batches that fail whole), store_check, and read-your-writes.
**
** Assertions run on the test's own threads only: callbacks run on the
** writer thread, so they record what they saw and the test checks later.
*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "payout/sec/secrets.h"
#include "payout/store/store.h"
#include "store/sqlite/internal.h"
#include "store/sqlite/migrations.h"
#include "support/tmpdir.h"

/* --- Fixture ---------------------------------------------------------------- */

struct fx {
    char dir[64];
    char path[128];
    struct store *st;
};

static int setup(void **state)
{
    struct fx *fx = calloc(1, sizeof *fx);
    if (fx == NULL || unit_tmpdir_create("pp_store_", "payout.db", fx->dir, sizeof fx->dir,
                                         fx->path, sizeof fx->path) != 0) {
        free(fx);
        return -1;
    }
    struct pp_err err;
    pp_err_clear(&err);
    if (store_open(fx->path, 4, &fx->st, &err) != PP_OK) {
        fprintf(stderr, "store_open: %s\n", err.message);
        return -1;
    }
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fx *fx = *state;
    store_close(fx->st);
    unit_tmpdir_destroy(fx->dir);
    free(fx);
    return 0;
}

/* --- Raw SQLite, as an operator (or an attacker) would use it --------------- */

static sqlite3 *raw_open(const char *path)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    return db;
}

static int64_t raw_int(const char *path, const char *sql)
{
    sqlite3 *db = raw_open(path);
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return v;
}

/* Runs sql; returns the result code and copies the message into msg. */
static int raw_exec(const char *path, const char *sql, char *msg, size_t msg_size)
{
    sqlite3 *db = raw_open(path);
    char *e = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &e);
    if (msg != NULL) {
        snprintf(msg, msg_size, "%s", e != NULL ? e : "");
    }
    sqlite3_free(e);
    sqlite3_close(db);
    return rc;
}

/* --- Write callbacks ------------------------------------------------------------ */

struct setting_arg {
    const char *key;
    const char *value;
    int fail_after; /* 1: write, then refuse */
};

static enum pp_status cb_setting_put(struct store_tx *tx, void *arg, struct pp_err *err)
{
    struct setting_arg *a = arg;
    enum pp_status s = store_tx_setting_put(tx, a->key, a->value, err);
    if (s == PP_OK && a->fail_after) {
        s = pp_err_set(err, PP_INVALID_PARAMS, "refused midway");
    }
    return s;
}

static enum pp_status put_setting(struct store *st, const char *key, const char *value)
{
    struct setting_arg a = {.key = key, .value = value};
    struct pp_err err;
    pp_err_clear(&err);
    return store_write(st, cb_setting_put, &a, &err);
}

struct move_arg {
    struct pp_movement m;
    struct pp_balance after;
    int ignore_error; /* 1: return PP_OK whatever the move said */
};

static enum pp_status cb_move(struct store_tx *tx, void *arg, struct pp_err *err)
{
    struct move_arg *a = arg;
    enum pp_status s = store_tx_funds_move(tx, &a->m, &a->after, err);
    return a->ignore_error ? PP_OK : s;
}

static struct pp_movement movement(const char *cur, enum pp_ledger_kind kind, int64_t amount,
                                   int64_t payout_id)
{
    struct pp_movement m = {.currency = cur, .kind = kind, .payout_id = payout_id, .at_ms = 1000};
    switch (kind) {
    case PP_LEDGER_DEPOSIT:
        m.d_available = amount;
        break;
    case PP_LEDGER_WITHDRAW:
        m.d_available = -amount;
        break;
    case PP_LEDGER_BLOCK:
        m.d_available = -amount;
        m.d_blocked = amount;
        break;
    case PP_LEDGER_RELEASE:
        m.d_available = amount;
        m.d_blocked = -amount;
        break;
    case PP_LEDGER_PAYOUT:
        m.d_blocked = -amount;
        m.d_paid_out = amount;
        break;
    }
    return m;
}

static enum pp_status move(struct store *st, const char *cur, enum pp_ledger_kind kind,
                           int64_t amount, int64_t payout_id, struct pp_balance *after,
                           struct pp_err *err)
{
    struct move_arg a = {.m = movement(cur, kind, amount, payout_id)};
    pp_err_clear(err);
    enum pp_status s = store_write(st, cb_move, &a, err);
    if (after != NULL) {
        *after = a.after;
    }
    return s;
}

/* Creates a READY payout the way core will: project, recipient, payout and
** its BLOCK in one callback. */
struct create_arg {
    const char *project;
    const char *user_name;
    const char *currency;
    int64_t amount;
    int64_t id_out;
};

static enum pp_status cb_create(struct store_tx *tx, void *arg, struct pp_err *err)
{
    struct create_arg *a = arg;
    struct pp_payout p;
    memset(&p, 0, sizeof p);
    struct pp_recipient r;
    memset(&r, 0, sizeof r);
    int found = 0;
    enum pp_status s = store_tx_project_ensure(tx, a->project, 1000, &p.project_id, err);
    if (s == PP_OK) {
        s = store_tx_recipient_find(tx, PP_IDENT_USER_NAME, a->user_name, &r, &found, err);
    }
    if (s == PP_OK && !found) {
        snprintf(r.user_name, sizeof r.user_name, "%s", a->user_name);
        s = store_tx_recipient_save(tx, &r, 1000, err);
    }
    p.recipient_id = r.id;
    snprintf(p.currency, sizeof p.currency, "%s", a->currency);
    p.amount_minor = a->amount;
    p.start_ms = 1000;
    p.end_ms = 2000;
    snprintf(p.description, sizeof p.description, "test payout");
    p.status = PP_PAYOUT_READY;
    p.created_ms = p.updated_ms = 1000;
    if (s == PP_OK) {
        s = sec_uuid_v7(1767225600000, p.uuid, err);
    }
    if (s == PP_OK) {
        s = store_tx_payout_insert(tx, &p, err);
    }
    struct pp_movement m = movement(a->currency, PP_LEDGER_BLOCK, a->amount, p.id);
    if (s == PP_OK) {
        s = store_tx_funds_move(tx, &m, NULL, err);
    }
    a->id_out = p.id;
    return s;
}

static enum pp_status create_payout(struct store *st, const char *cur, int64_t amount,
                                    int64_t *id_out, struct pp_err *err)
{
    struct create_arg a = {
        .project = "Project", .user_name = "bob", .currency = cur, .amount = amount};
    pp_err_clear(err);
    enum pp_status s = store_write(st, cb_create, &a, err);
    *id_out = a.id_out;
    return s;
}

/* Closes payout id as `to` (CANCELLED/EXPIRED release, RECEIVED pays out). */
struct close_arg {
    int64_t id;
    enum pp_payout_status to;
};

static enum pp_status cb_close(struct store_tx *tx, void *arg, struct pp_err *err)
{
    struct close_arg *a = arg;
    struct pp_payout p;
    enum pp_status s = store_tx_payout_get(tx, a->id, &p, err);
    if (s == PP_OK) {
        s = store_tx_payout_set_status(tx, a->id, a->to, 1500, NULL, err);
    }
    enum pp_ledger_kind kind = a->to == PP_PAYOUT_RECEIVED ? PP_LEDGER_PAYOUT : PP_LEDGER_RELEASE;
    struct pp_movement m = movement(p.currency, kind, p.amount_minor, a->id);
    if (s == PP_OK) {
        s = store_tx_funds_move(tx, &m, NULL, err);
    }
    return s;
}

static enum pp_status close_payout(struct store *st, int64_t id, enum pp_payout_status to)
{
    struct close_arg a = {.id = id, .to = to};
    struct pp_err err;
    pp_err_clear(&err);
    return store_write(st, cb_close, &a, &err);
}

static struct pp_balance balance_of(struct store *st, const char *cur)
{
    struct pp_balance list[256], b;
    size_t n = 0;
    memset(&b, 0, sizeof b);
    struct pp_err err;
    pp_err_clear(&err);
    assert_int_equal(store_balances_list(st, list, 256, &n, &err), PP_OK);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(list[i].currency, cur) == 0) {
            b = list[i];
        }
    }
    return b;
}

/* Collects store_check's lines. */
struct report {
    char text[8192];
    int lines;
};

static void collect(void *ctx, const char *line)
{
    struct report *r = ctx;
    size_t used = strlen(r->text);
    snprintf(r->text + used, sizeof r->text - used, "%s\n", line);
    r->lines++;
}

static int check_problems(struct store *st, struct report *r)
{
    int problems = -1;
    struct pp_err err;
    pp_err_clear(&err);
    memset(r, 0, sizeof *r);
    assert_int_equal(store_check(st, collect, r, &problems, &err), PP_OK);
    assert_int_equal(problems, r->lines);
    return problems;
}

/* --- Opening and migrations ------------------------------------------------- */

static void test_open_reopen(void **state)
{
    struct fx *fx = *state;
    struct pp_err err;
    pp_err_clear(&err);
    int latest = store_schema_version_latest();
    assert_true(latest >= 1);
    assert_int_equal(latest, store_migrations[store_migrations_count - 1].version);
    assert_true(store_ping(fx->st));
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM schema_migrations"),
                     store_migrations_count);
    assert_int_equal(raw_int(fx->path, "SELECT max(version) FROM schema_migrations"), latest);
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM pragma_journal_mode "
                                       "WHERE journal_mode = 'wal'"),
                     1);
    assert_int_equal(put_setting(fx->st, "kept", "yes"), PP_OK);

    store_close(fx->st);
    fx->st = NULL;
    assert_int_equal(store_open(fx->path, 2, &fx->st, &err), PP_OK);
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM schema_migrations"),
                     store_migrations_count);
    char value[16];
    int found = 0;
    assert_int_equal(store_setting_get(fx->st, "kept", value, sizeof value, &found, &err), PP_OK);
    assert_true(found);
    assert_string_equal(value, "yes");

    int applied = -1;
    assert_int_equal(store_migrate(fx->path, &applied, &err), PP_OK);
    assert_int_equal(applied, 0);
    char other[160];
    snprintf(other, sizeof other, "%s/other.db", fx->dir);
    assert_int_equal(store_migrate(other, &applied, &err), PP_OK);
    assert_int_equal(applied, store_migrations_count);
    assert_int_equal(store_migrate(other, &applied, &err), PP_OK);
    assert_int_equal(applied, 0);

    struct store *bad = NULL;
    assert_int_equal(store_open(fx->path, 0, &bad, &err), PP_INVALID_PARAMS);
    assert_null(bad);
    pp_err_clear(&err);
    assert_int_equal(store_open(fx->path, PP_READERS_MAX + 1, &bad, &err), PP_INVALID_PARAMS);
    store_close(NULL);
}

/* The backend is chosen by the database URL: a path or "sqlite:<path>" is
** SQLite (the same file either way); a PostgreSQL URL is refused with
** nothing opened or created. */
static void test_backend_by_url(void **state)
{
    struct fx *fx = *state;
    char url[200];
    snprintf(url, sizeof url, "sqlite:%s", fx->path);
    struct store *st = NULL;
    struct pp_err err;
    pp_err_clear(&err);
    assert_int_equal(put_setting(fx->st, "by-url", "1"), PP_OK);
    store_close(fx->st);
    fx->st = NULL;
    assert_int_equal(store_open(url, 1, &st, &err), PP_OK);
    char value[8] = "";
    int found = 0;
    assert_int_equal(store_setting_get(st, "by-url", value, sizeof value, &found, &err), PP_OK);
    assert_true(found);
    assert_string_equal(value, "1");
    store_close(st);

    static const char *const refused[] = {"postgres://localhost/payouts",
                                          "postgresql://u@db:5432/payouts"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        st = NULL;
        pp_err_clear(&err);
        assert_int_equal(store_open(refused[i], 1, &st, &err), PP_INVALID_PARAMS);
        assert_null(st);
        assert_non_null(strstr(err.message, "PostgreSQL"));
        int applied = -1;
        pp_err_clear(&err);
        assert_int_equal(store_migrate(refused[i], &applied, &err), PP_INVALID_PARAMS);
        assert_int_equal(applied, -1);
    }
}

static void test_newer_schema_refused(void **state)
{
    struct fx *fx = *state;
    store_close(fx->st);
    fx->st = NULL;
    assert_int_equal(raw_exec(fx->path,
                              "INSERT INTO schema_migrations (version, name, applied_at)"
                              " VALUES (9999, '9999_future', '2030-01-01T00:00:00Z')",
                              NULL, 0),
                     SQLITE_OK);
    struct pp_err err;
    pp_err_clear(&err);
    assert_int_not_equal(store_open(fx->path, 2, &fx->st, &err), PP_OK);
    assert_null(fx->st);
    assert_non_null(strstr(err.message, "newer"));
    pp_err_clear(&err);
    int applied = -1;
    assert_int_not_equal(store_migrate(fx->path, &applied, &err), PP_OK);
    assert_int_equal(applied, 0);
    assert_non_null(strstr(err.message, "9999"));
}

static void test_file_modes(void **state)
{
    struct fx *fx = *state;
    char path[256], dir[192], side[272];
    snprintf(dir, sizeof dir, "%s/a/b", fx->dir);
    snprintf(path, sizeof path, "%s/pp.db", dir);
    struct stat sb;
    assert_int_equal(stat(fx->path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);

    /* A umask that would leave the file unwritable and the directory
    ** unusable: the modes must still come out 0600 / 0700. */
    mode_t old = umask(0277);
    struct store *st = NULL;
    struct pp_err err;
    pp_err_clear(&err);
    enum pp_status s = store_open(path, 1, &st, &err);
    umask(old);
    assert_int_equal(s, PP_OK);
    assert_int_equal(put_setting(st, "k", "v"), PP_OK);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(stat(dir, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);
    snprintf(side, sizeof side, "%s-wal", path);
    assert_int_equal(stat(side, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    snprintf(side, sizeof side, "%s-shm", path);
    assert_int_equal(stat(side, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    store_close(st);

    /* A write-protected database is refused at open, not at the first write
    ** (unless we run as root, who may write anyway). */
    if (geteuid() != 0) {
        assert_int_equal(chmod(path, 0400), 0);
        pp_err_clear(&err);
        assert_int_equal(store_open(path, 1, &st, &err), PP_UNAVAILABLE);
        assert_null(st);
        assert_string_equal(err.message, "the database file is not writable");
    }
    /* An existing file left group-readable is tightened. */
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(store_open(path, 1, &st, &err), PP_OK);
    store_close(st);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
}

/* --- Recipients ---------------------------------------------------------------- */

struct recipient_arg {
    struct pp_recipient r;
    enum pp_ident which;
    const char *value;
    int found;
    struct pp_recipient out;
};

static enum pp_status cb_recipient_save(struct store_tx *tx, void *arg, struct pp_err *err)
{
    struct recipient_arg *a = arg;
    return store_tx_recipient_save(tx, &a->r, 1000, err);
}

static enum pp_status cb_recipient_find(struct store_tx *tx, void *arg, struct pp_err *err)
{
    struct recipient_arg *a = arg;
    return store_tx_recipient_find(tx, a->which, a->value, &a->out, &a->found, err);
}

static int find_recipient(struct store *st, enum pp_ident which, const char *value,
                          struct pp_recipient *out)
{
    struct recipient_arg a = {.which = which, .value = value};
    struct pp_err err;
    pp_err_clear(&err);
    assert_int_equal(store_write(st, cb_recipient_find, &a, &err), PP_OK);
    *out = a.out;
    return a.found;
}

static void test_recipients(void **state)
{
    struct fx *fx = *state;
    struct pp_err err;
    pp_err_clear(&err);
    struct recipient_arg a;
    memset(&a, 0, sizeof a);
    snprintf(a.r.user_name, sizeof a.r.user_name, "alice");
    snprintf(a.r.reference_id, sizeof a.r.reference_id, "R-1");
    snprintf(a.r.first_name, sizeof a.r.first_name, "Alice");
    assert_int_equal(store_write(fx->st, cb_recipient_save, &a, &err), PP_OK);
    int64_t alice = a.r.id;
    assert_true(alice > 0);

    struct pp_recipient r;
    assert_true(find_recipient(fx->st, PP_IDENT_USER_NAME, "alice", &r));
    assert_int_equal(r.id, alice);
    assert_string_equal(r.first_name, "Alice");
    assert_string_equal(r.phone_number, "");
    assert_true(find_recipient(fx->st, PP_IDENT_REFERENCE_ID, "R-1", &r));
    assert_int_equal(r.id, alice);
    assert_false(find_recipient(fx->st, PP_IDENT_USER_NAME, "Alice", &r)); /* exact match */
    assert_false(find_recipient(fx->st, PP_IDENT_PHONE_NUMBER, "", &r));
    assert_int_equal(r.id, 0);

    /* Update: add a phone and an e-mail, drop the first name. */
    a.r.first_name[0] = '\0';
    snprintf(a.r.phone_number, sizeof a.r.phone_number, "+441234");
    snprintf(a.r.email, sizeof a.r.email, "alice@example.com");
    assert_int_equal(store_write(fx->st, cb_recipient_save, &a, &err), PP_OK);
    assert_int_equal(a.r.id, alice);
    assert_true(find_recipient(fx->st, PP_IDENT_PHONE_NUMBER, "+441234", &r));
    assert_int_equal(r.id, alice);
    assert_string_equal(r.first_name, "");
    assert_string_equal(r.email, "alice@example.com");
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM recipients WHERE first_name IS NULL"),
                     1);

    /* Two recipients without a phone do not clash; a shared user name does. */
    struct recipient_arg b;
    memset(&b, 0, sizeof b);
    snprintf(b.r.user_name, sizeof b.r.user_name, "carol");
    assert_int_equal(store_write(fx->st, cb_recipient_save, &b, &err), PP_OK);
    int64_t carol = b.r.id;
    snprintf(b.r.reference_id, sizeof b.r.reference_id, "R-1");
    pp_err_clear(&err);
    assert_int_equal(store_write(fx->st, cb_recipient_save, &b, &err), PP_INVALID_PARAMS);
    assert_non_null(strstr(err.message, "referenceId"));
    memset(&b, 0, sizeof b);
    snprintf(b.r.user_name, sizeof b.r.user_name, "alice");
    pp_err_clear(&err);
    assert_int_equal(store_write(fx->st, cb_recipient_save, &b, &err), PP_INVALID_PARAMS);
    assert_non_null(strstr(err.message, "userName"));
    assert_int_equal(b.r.id, 0);
    /* No identifier at all is refused by the schema. */
    memset(&b, 0, sizeof b);
    snprintf(b.r.first_name, sizeof b.r.first_name, "Nobody");
    pp_err_clear(&err);
    assert_int_equal(store_write(fx->st, cb_recipient_save, &b, &err), PP_INVALID_PARAMS);
    /* Updating a recipient that does not exist. */
    memset(&b, 0, sizeof b);
    b.r.id = 999;
    snprintf(b.r.user_name, sizeof b.r.user_name, "ghost");
    pp_err_clear(&err);
    assert_int_equal(store_write(fx->st, cb_recipient_save, &b, &err), PP_NOT_FOUND);
    assert_true(find_recipient(fx->st, PP_IDENT_USER_NAME, "carol", &r));
    assert_int_equal(r.id, carol);
    assert_string_equal(r.reference_id, "");
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM recipients"), 2);
}

/* --- Payouts -------------------------------------------------------------------- */

struct project_arg {
    const char *name;
    int64_t id;
};

static enum pp_status cb_project(struct store_tx *tx, void *arg, struct pp_err *err)
{
    struct project_arg *a = arg;
    return store_tx_project_ensure(tx, a->name, 1000, &a->id, err);
}

struct status_arg {
    int64_t id;
    enum pp_payout_status to;
};

static enum pp_status cb_set_status(struct store_tx *tx, void *arg, struct pp_err *err)
{
    struct status_arg *a = arg;
    return store_tx_payout_set_status(tx, a->id, a->to, 5000, NULL, err);
}

struct payout_arg {
    struct pp_payout p;
};

static enum pp_status cb_payout_insert(struct store_tx *tx, void *arg, struct pp_err *err)
{
    struct payout_arg *a = arg;
    /* Each insert is a new payout: a fresh uuid, whatever was copied. */
    enum pp_status s = sec_uuid_v7(1767225600000, a->p.uuid, err);
    if (s != PP_OK) {
        return s;
    }
    return store_tx_payout_insert(tx, &a->p, err);
}

static void test_payouts(void **state)
{
    struct fx *fx = *state;
    struct pp_err err;
    pp_err_clear(&err);
    struct project_arg p1 = {.name = "Alpha"}, p2 = {.name = "Alpha"}, p3 = {.name = "alpha"};
    assert_int_equal(store_write(fx->st, cb_project, &p1, &err), PP_OK);
    assert_int_equal(store_write(fx->st, cb_project, &p2, &err), PP_OK);
    assert_int_equal(store_write(fx->st, cb_project, &p3, &err), PP_OK);
    assert_int_equal(p1.id, p2.id);
    assert_int_not_equal(p1.id, p3.id);
    struct project_arg empty = {.name = ""};
    assert_int_equal(store_write(fx->st, cb_project, &empty, &err), PP_INVALID_PARAMS);

    assert_int_equal(move(fx->st, "GBP", PP_LEDGER_DEPOSIT, 10000, 0, NULL, &err), PP_OK);
    int64_t id = 0;
    assert_int_equal(create_payout(fx->st, "GBP", 1234, &id, &err), PP_OK);
    assert_true(id > 0);

    struct pp_payout p;
    pp_err_clear(&err);
    assert_int_equal(store_payout_get(fx->st, id, &p, &err), PP_OK);
    assert_int_equal(p.id, id);
    assert_string_equal(p.currency, "GBP");
    assert_int_equal(p.amount_minor, 1234);
    assert_int_equal(p.start_ms, 1000);
    assert_int_equal(p.end_ms, 2000);
    assert_string_equal(p.description, "test payout");
    assert_int_equal(p.status, PP_PAYOUT_READY);
    assert_int_equal(p.notification, 0);

    struct status_arg sa = {.id = id, .to = PP_PAYOUT_RECEIVED};
    assert_int_equal(store_write(fx->st, cb_set_status, &sa, &err), PP_OK);
    assert_int_equal(store_payout_get(fx->st, id, &p, &err), PP_OK);
    assert_int_equal(p.status, PP_PAYOUT_RECEIVED);
    assert_int_equal(p.updated_ms, 5000);
    /* Final is final, whatever the caller thought it checked. */
    sa.to = PP_PAYOUT_READY;
    assert_int_equal(store_write(fx->st, cb_set_status, &sa, &err), PP_INTERNAL);
    pp_err_clear(&err);
    assert_int_equal(store_payout_get(fx->st, id, &p, &err), PP_OK);
    assert_int_equal(p.status, PP_PAYOUT_RECEIVED);

    sa.id = 424242;
    pp_err_clear(&err);
    assert_int_equal(store_write(fx->st, cb_set_status, &sa, &err), PP_NOT_FOUND);
    pp_err_clear(&err);
    assert_int_equal(store_payout_get(fx->st, 424242, &p, &err), PP_NOT_FOUND);
    assert_int_equal(err.status, PP_NOT_FOUND);
    assert_int_equal(p.id, 0);
    pp_err_clear(&err);
    assert_int_equal(store_payout_get(fx->st, id, &p, &err), PP_OK);
}

static void test_payouts_refused(void **state)
{
    struct fx *fx = *state;
    struct pp_err err;
    int64_t id = 0;
    assert_int_equal(move(fx->st, "GBP", PP_LEDGER_DEPOSIT, 10000, 0, NULL, &err), PP_OK);
    assert_int_equal(create_payout(fx->st, "GBP", 1234, &id, &err), PP_OK);
    struct pp_payout p;
    assert_int_equal(store_payout_get(fx->st, id, &p, &err), PP_OK);

    /* A bad currency, an unknown project, a window ending before it starts:
    ** refused, nothing written. */
    int64_t before = raw_int(fx->path, "SELECT count(*) FROM payouts");
    struct create_arg bad = {
        .project = "Alpha", .user_name = "bob", .currency = "gbp", .amount = 5};
    pp_err_clear(&err);
    assert_int_equal(store_write(fx->st, cb_create, &bad, &err), PP_INVALID_PARAMS);
    struct payout_arg raw = {.p = p};
    raw.p.project_id = 999999;
    pp_err_clear(&err);
    assert_int_equal(store_write(fx->st, cb_payout_insert, &raw, &err), PP_INVALID_PARAMS);
    assert_string_equal(err.message, "unknown project or recipient");
    raw.p = p;
    raw.p.status = PP_PAYOUT_READY;
    raw.p.end_ms = raw.p.start_ms;
    pp_err_clear(&err);
    assert_int_equal(store_write(fx->st, cb_payout_insert, &raw, &err), PP_INVALID_PARAMS);
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM payouts"), before);
    raw.p = p;
    raw.p.notification = 1;
    assert_int_equal(store_write(fx->st, cb_payout_insert, &raw, &err), PP_OK);
    assert_int_not_equal(raw.p.id, p.id);
    assert_int_equal(store_payout_get(fx->st, raw.p.id, &p, &err), PP_OK);
    assert_int_equal(p.notification, 1);
    char msg[256];
    assert_int_not_equal(raw_exec(fx->path, "DELETE FROM payouts", msg, sizeof msg), SQLITE_OK);
    assert_non_null(strstr(msg, "never deleted"));
    assert_int_not_equal(raw_exec(fx->path, "UPDATE payouts SET amount_minor = 1", msg, sizeof msg),
                         SQLITE_OK);
    assert_non_null(strstr(msg, "immutable"));
}

/* --- Funds -------------------------------------------------------------------------- */

static void test_funds(void **state)
{
    struct fx *fx = *state;
    struct pp_err err;
    struct pp_balance b;
    assert_int_equal(move(fx->st, "GBP", PP_LEDGER_DEPOSIT, 1000, 0, &b, &err), PP_OK);
    assert_string_equal(b.currency, "GBP");
    assert_int_equal(b.available, 1000);
    assert_int_equal(b.blocked, 0);

    int64_t p1 = 0, p2 = 0;
    assert_int_equal(create_payout(fx->st, "GBP", 400, &p1, &err), PP_OK);
    b = balance_of(fx->st, "GBP");
    assert_int_equal(b.available, 600);
    assert_int_equal(b.blocked, 400);

    /* Insufficient: refused, and nothing at all written (no payout either). */
    int64_t ledger_rows = raw_int(fx->path, "SELECT count(*) FROM ledger");
    int64_t payouts = raw_int(fx->path, "SELECT count(*) FROM payouts");
    int64_t dummy = 0;
    assert_int_equal(create_payout(fx->st, "GBP", 601, &dummy, &err), PP_INSUFFICIENT_FUNDS);
    assert_string_equal(err.message, "insufficient funds in GBP");
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM ledger"), ledger_rows);
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM payouts"), payouts);
    b = balance_of(fx->st, "GBP");
    assert_int_equal(b.available, 600);
    assert_int_equal(b.blocked, 400);
    assert_int_equal(move(fx->st, "USD", PP_LEDGER_WITHDRAW, 1, 0, NULL, &err),
                     PP_INSUFFICIENT_FUNDS);
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM balances WHERE currency = 'USD'"), 0);

    /* Release (cancel) and payout (receive). */
    assert_int_equal(close_payout(fx->st, p1, PP_PAYOUT_CANCELLED), PP_OK);
    b = balance_of(fx->st, "GBP");
    assert_int_equal(b.available, 1000);
    assert_int_equal(b.blocked, 0);
    assert_int_equal(create_payout(fx->st, "GBP", 300, &p2, &err), PP_OK);
    assert_int_equal(close_payout(fx->st, p2, PP_PAYOUT_RECEIVED), PP_OK);
    b = balance_of(fx->st, "GBP");
    assert_int_equal(b.available, 700);
    assert_int_equal(b.blocked, 0);
    assert_int_equal(b.paid_out, 300);

    /* Withdraw: only unblocked funds. */
    assert_int_equal(move(fx->st, "GBP", PP_LEDGER_WITHDRAW, 701, 0, NULL, &err),
                     PP_INSUFFICIENT_FUNDS);
    assert_int_equal(move(fx->st, "GBP", PP_LEDGER_WITHDRAW, 700, 0, &b, &err), PP_OK);
    assert_int_equal(b.available, 0);
    struct report r;
    assert_int_equal(check_problems(fx->st, &r), 0);
}

/* 10,000 received payouts of the largest amount, seeded by hand with their
** ledger rows: paid out is 9,999,999,999,999,990,000, past INT64_MAX, kept
** as 9 * 10^18 (paid_out_e18) + 999,999,999,999,990,000 (paid_out). */
static const char seed_paid_out_sql[] =
    "BEGIN;"
    "INSERT INTO projects (name, created_ms) VALUES ('seeded', 1000);"
    "INSERT INTO recipients (user_name, created_ms, updated_ms) VALUES ('seeded', 1000, 1000);"
    "WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)"
    " INSERT INTO payouts (project_id, recipient_id, currency, amount_minor, start_ms, end_ms,"
    " description, notification, status, created_ms, updated_ms, uuid)"
    " SELECT 1, 1, 'KRW', 999999999999999, 1000, 2000, 'seeded', 0, 3, 1000, 1000,"
    " printf('00000000-0000-4000-8000-%012d', i) FROM n;"
    "WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10)"
    " INSERT INTO ledger (at_ms, currency, kind, d_available, d_blocked, d_paid_out)"
    " SELECT 1000, 'KRW', 1, 999999999999999000, 0, 0 FROM n;"
    "INSERT INTO ledger (at_ms, currency, kind, d_available, d_blocked, d_paid_out, payout_id)"
    " SELECT 1000, 'KRW', 3, -999999999999999, 999999999999999, 0, id FROM payouts;"
    "INSERT INTO ledger (at_ms, currency, kind, d_available, d_blocked, d_paid_out, payout_id)"
    " SELECT 1000, 'KRW', 5, 0, -999999999999999, 999999999999999, id FROM payouts;"
    "INSERT INTO balances (currency, available, blocked, paid_out, paid_out_e18)"
    " VALUES ('KRW', 0, 0, 999999999999990000, 9);"
    "COMMIT;";

/* The lifetime paid-out figure has no bound: a receive past 10^18 - 1 (and
** past 2^63) is accepted and kept exactly, and check still compares it
** with the ledger, exactly. */
static void test_paid_out_past_int64(void **state)
{
    struct fx *fx = *state;
    struct pp_err err;
    char msg[256];
    const __int128 e18 = (__int128)1000000000000000000;
    assert_int_equal(raw_exec(fx->path, seed_paid_out_sql, msg, sizeof msg), SQLITE_OK);
    struct pp_balance b = balance_of(fx->st, "KRW");
    assert_true(b.paid_out == 9 * e18 + 999999999999990000);
    struct report r;
    if (check_problems(fx->st, &r) != 0) {
        fail_msg("check on the seed: %s", r.text);
    }
    /* One more receive: it used to be refused at 10^18 - 1. */
    int64_t id = 0;
    assert_int_equal(move(fx->st, "KRW", PP_LEDGER_DEPOSIT, PP_AMOUNT_MINOR_MAX, 0, NULL, &err),
                     PP_OK);
    assert_int_equal(create_payout(fx->st, "KRW", PP_AMOUNT_MINOR_MAX, &id, &err), PP_OK);
    assert_int_equal(close_payout(fx->st, id, PP_PAYOUT_RECEIVED), PP_OK);
    b = balance_of(fx->st, "KRW");
    assert_true(b.paid_out == 10 * e18 + 999999999989999); /* 10,000,999,999,999,989,999 */
    assert_int_equal(b.available, 0);
    assert_int_equal(b.blocked, 0);
    assert_int_equal(raw_int(fx->path, "SELECT paid_out_e18 FROM balances"), 10);
    assert_int_equal(raw_int(fx->path, "SELECT paid_out FROM balances"), 999999999989999);
    if (check_problems(fx->st, &r) != 0) {
        fail_msg("check after the receive: %s", r.text);
    }
    /* check still sees a paid-out figure that disagrees with the ledger. */
    assert_int_equal(raw_exec(fx->path, "UPDATE balances SET paid_out_e18 = 11", msg, sizeof msg),
                     SQLITE_OK);
    assert_int_equal(check_problems(fx->st, &r), 1);
    assert_non_null(
        strstr(r.text, "KRW: paid_out 11000999999999989999 != ledger sum 10000999999999989999"));
    /* And the schema refuses a negative carry. */
    assert_int_equal(raw_exec(fx->path, "UPDATE balances SET paid_out_e18 = -1", msg, sizeof msg),
                     SQLITE_CONSTRAINT);
}

static void test_funds_refused(void **state)
{
    struct fx *fx = *state;
    struct pp_err err;
    struct pp_balance b;
    assert_int_equal(move(fx->st, "GBP", PP_LEDGER_DEPOSIT, 700, 0, NULL, &err), PP_OK);
    assert_int_equal(move(fx->st, "GBP", PP_LEDGER_WITHDRAW, 700, 0, NULL, &err), PP_OK);

    /* Limits and malformed movements. */
    assert_int_equal(move(fx->st, "JPY", PP_LEDGER_DEPOSIT, PP_BALANCE_MINOR_MAX, 0, NULL, &err),
                     PP_OK);
    assert_int_equal(move(fx->st, "JPY", PP_LEDGER_DEPOSIT, 1, 0, NULL, &err), PP_INVALID_PARAMS);
    assert_int_equal(move(fx->st, "JPY", PP_LEDGER_DEPOSIT, INT64_MAX, 0, NULL, &err),
                     PP_INVALID_PARAMS);
    assert_int_equal(move(fx->st, "Gbp", PP_LEDGER_DEPOSIT, 1, 0, NULL, &err), PP_INVALID_PARAMS);
    assert_int_equal(move(fx->st, "GBP", PP_LEDGER_DEPOSIT, 0, 0, NULL, &err), PP_INTERNAL);
    assert_int_equal(move(fx->st, "GBP", PP_LEDGER_BLOCK, 5, 0, NULL, &err), PP_INTERNAL);

    /* A move whose ledger row is refused (unknown payout) changes no balance,
    ** even when the callback ignores the error and commits. */
    assert_int_equal(move(fx->st, "EUR", PP_LEDGER_DEPOSIT, 50, 0, NULL, &err), PP_OK);
    struct move_arg ma = {.m = movement("EUR", PP_LEDGER_BLOCK, 10, 987654), .ignore_error = 1};
    pp_err_clear(&err);
    assert_int_equal(store_write(fx->st, cb_move, &ma, &err), PP_OK);
    b = balance_of(fx->st, "EUR");
    assert_int_equal(b.available, 50);
    assert_int_equal(b.blocked, 0);

    /* Balances list: every currency, ordered by code. */
    struct pp_balance list[8];
    size_t n = 0;
    assert_int_equal(store_balances_list(fx->st, list, 8, &n, &err), PP_OK);
    assert_int_equal(n, 3);
    assert_string_equal(list[0].currency, "EUR");
    assert_string_equal(list[1].currency, "GBP");
    assert_string_equal(list[2].currency, "JPY");
    assert_int_equal(store_balances_list(fx->st, list, 2, &n, &err), PP_OK);
    assert_int_equal(n, 2);

    /* References and admins are stored, "" as NULL. */
    struct move_arg ref = {.m = movement("GBP", PP_LEDGER_DEPOSIT, 5, 0)};
    ref.m.reference = "wire 42";
    ref.m.admin_id = 7;
    assert_int_equal(store_write(fx->st, cb_move, &ref, &err), PP_OK);
    assert_int_equal(raw_int(fx->path, "SELECT admin_id FROM ledger WHERE reference = 'wire 42'"),
                     7);
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM ledger WHERE reference = ''"
                                       " OR admin_id = 0 OR payout_id = 0"),
                     0);

    struct report r;
    assert_int_equal(check_problems(fx->st, &r), 0);
}

static void test_ledger_append_only(void **state)
{
    struct fx *fx = *state;
    struct pp_err err;
    assert_int_equal(move(fx->st, "GBP", PP_LEDGER_DEPOSIT, 100, 0, NULL, &err), PP_OK);
    char msg[256];
    assert_int_equal(raw_exec(fx->path, "UPDATE ledger SET d_available = 1000000", msg, sizeof msg),
                     SQLITE_CONSTRAINT);
    assert_non_null(strstr(msg, "ledger is append-only"));
    assert_int_equal(raw_exec(fx->path, "DELETE FROM ledger", msg, sizeof msg), SQLITE_CONSTRAINT);
    assert_non_null(strstr(msg, "ledger is append-only"));
    /* A row of the wrong shape cannot even be appended by hand. */
    assert_int_equal(raw_exec(fx->path,
                              "INSERT INTO ledger (at_ms, currency, kind, d_available, d_blocked,"
                              " d_paid_out) VALUES (1, 'GBP', 1, 5, 5, 0)",
                              msg, sizeof msg),
                     SQLITE_CONSTRAINT);
    assert_int_equal(raw_exec(fx->path, "DELETE FROM balances", msg, sizeof msg),
                     SQLITE_CONSTRAINT);
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM ledger"), 1);
    assert_int_equal(raw_int(fx->path, "SELECT d_available FROM ledger"), 100);
}

/* --- Settings and admins ------------------------------------------------------------ */

struct setting_get_arg {
    char value[32];
    int found;
};

static enum pp_status cb_setting_get(struct store_tx *tx, void *arg, struct pp_err *err)
{
    struct setting_get_arg *a = arg;
    enum pp_status s = store_tx_setting_put(tx, "inside", "tx-value", err);
    if (s == PP_OK) {
        s = store_tx_setting_get(tx, "inside", a->value, sizeof a->value, &a->found, err);
    }
    return s;
}

static void test_settings(void **state)
{
    struct fx *fx = *state;
    struct pp_err err;
    pp_err_clear(&err);
    char value[64];
    int found = -1;
    assert_int_equal(store_setting_get(fx->st, "k", value, sizeof value, &found, &err), PP_OK);
    assert_int_equal(found, 0);
    assert_string_equal(value, "");
    assert_int_equal(put_setting(fx->st, "k", "v1"), PP_OK);
    assert_int_equal(store_setting_get(fx->st, "k", value, sizeof value, &found, &err), PP_OK);
    assert_int_equal(found, 1);
    assert_string_equal(value, "v1");
    assert_int_equal(put_setting(fx->st, "k", "a longer value"), PP_OK);
    assert_int_equal(store_setting_get(fx->st, "k", value, sizeof value, &found, &err), PP_OK);
    assert_string_equal(value, "a longer value");
    assert_int_equal(put_setting(fx->st, "empty", ""), PP_OK);
    assert_int_equal(store_setting_get(fx->st, "empty", value, sizeof value, &found, &err), PP_OK);
    assert_int_equal(found, 1);
    assert_string_equal(value, "");
    /* Truncation is an error, never a silently shortened secret. */
    assert_int_equal(store_setting_get(fx->st, "k", value, 4, &found, &err), PP_INTERNAL);
    assert_int_equal(found, 0);
    /* Inside a transaction, a callback sees its own write. */
    struct setting_get_arg a;
    memset(&a, 0, sizeof a);
    pp_err_clear(&err);
    assert_int_equal(store_write(fx->st, cb_setting_get, &a, &err), PP_OK);
    assert_int_equal(a.found, 1);
    assert_string_equal(a.value, "tx-value");
}

struct admin_arg {
    const char *email;
    const char *hash;
    int64_t id;
};

static enum pp_status cb_admin_insert(struct store_tx *tx, void *arg, struct pp_err *err)
{
    struct admin_arg *a = arg;
    return store_tx_admin_insert(tx, a->email, a->hash, 1000, &a->id, err);
}

static enum pp_status cb_admin_password(struct store_tx *tx, void *arg, struct pp_err *err)
{
    struct admin_arg *a = arg;
    return store_tx_admin_set_password(tx, a->email, a->hash, 2000, err);
}

static void test_admins(void **state)
{
    struct fx *fx = *state;
    struct pp_err err;
    pp_err_clear(&err);
    int64_t count = -1;
    assert_int_equal(store_admin_count(fx->st, &count, &err), PP_OK);
    assert_int_equal(count, 0);
    struct admin_arg a = {.email = "Admin@Example.com", .hash = "pbkdf2-sha256$1$aa$bb"};
    assert_int_equal(store_write(fx->st, cb_admin_insert, &a, &err), PP_OK);
    assert_true(a.id > 0);
    struct admin_arg dup = {.email = "admin@example.COM", .hash = "pbkdf2-sha256$1$cc$dd"};
    assert_int_equal(store_write(fx->st, cb_admin_insert, &dup, &err), PP_CONFLICT);
    assert_int_equal(store_admin_count(fx->st, &count, &(struct pp_err){0}), PP_OK);
    assert_int_equal(count, 1);

    struct pp_admin ad;
    int found = 0;
    pp_err_clear(&err);
    assert_int_equal(store_admin_find(fx->st, "ADMIN@example.com", &ad, &found, &err), PP_OK);
    assert_true(found);
    assert_int_equal(ad.id, a.id);
    assert_string_equal(ad.email, "Admin@Example.com");
    assert_string_equal(ad.password_hash, "pbkdf2-sha256$1$aa$bb");
    assert_int_equal(ad.token_generation, 0);
    assert_int_equal(store_admin_find(fx->st, "nobody@example.com", &ad, &found, &err), PP_OK);
    assert_false(found);

    struct admin_arg pw = {.email = "admin@EXAMPLE.com", .hash = "pbkdf2-sha256$1$ee$ff"};
    assert_int_equal(store_write(fx->st, cb_admin_password, &pw, &err), PP_OK);
    assert_int_equal(store_admin_get(fx->st, a.id, &ad, &err), PP_OK);
    assert_int_equal(ad.token_generation, 1);
    assert_string_equal(ad.password_hash, "pbkdf2-sha256$1$ee$ff");
    assert_int_equal(store_write(fx->st, cb_admin_password, &pw, &err), PP_OK);
    assert_int_equal(store_admin_get(fx->st, a.id, &ad, &err), PP_OK);
    assert_int_equal(ad.token_generation, 2);

    struct admin_arg ghost = {.email = "ghost@example.com", .hash = "x"};
    assert_int_equal(store_write(fx->st, cb_admin_password, &ghost, &err), PP_NOT_FOUND);
    pp_err_clear(&err);
    assert_int_equal(store_admin_get(fx->st, a.id + 100, &ad, &err), PP_NOT_FOUND);
    struct admin_arg blank = {.email = "", .hash = "x"};
    assert_int_equal(store_write(fx->st, cb_admin_insert, &blank, &err), PP_INVALID_PARAMS);
}

/* --- Group commit under concurrency ------------------------------------------------- */

#define GC_THREADS 8
#define GC_WRITES 200

struct gc_thread {
    struct store *st;
    int t;
    int ok;
    int failed;
    int wrong; /* results that contradict what the callback did */
};

struct gc_arg {
    char key[32];
    int fail_after;
};

/* Writes a setting and deposits 1 EUR cent, then maybe refuses. */
static enum pp_status cb_gc(struct store_tx *tx, void *arg, struct pp_err *err)
{
    struct gc_arg *a = arg;
    struct pp_movement m = movement("EUR", PP_LEDGER_DEPOSIT, 1, 0);
    enum pp_status s = store_tx_setting_put(tx, a->key, "1", err);
    if (s == PP_OK) {
        s = store_tx_funds_move(tx, &m, NULL, err);
    }
    if (s == PP_OK && a->fail_after) {
        s = pp_err_set(err, PP_INVALID_PARAMS, "refused after writing");
    }
    return s;
}

static void *gc_main(void *p)
{
    struct gc_thread *g = p;
    for (int i = 0; i < GC_WRITES; i++) {
        struct gc_arg a = {.fail_after = (i % 5) == 3};
        snprintf(a.key, sizeof a.key, "gc-%d-%d", g->t, i);
        struct pp_err err;
        pp_err_clear(&err);
        enum pp_status s = store_write(g->st, cb_gc, &a, &err);
        if (s == PP_OK && !a.fail_after) {
            g->ok++;
        } else if (s == PP_INVALID_PARAMS && a.fail_after &&
                   strcmp(err.message, "refused after writing") == 0) {
            g->failed++;
        } else {
            g->wrong++;
        }
    }
    return NULL;
}

static void test_group_commit(void **state)
{
    struct fx *fx = *state;
    pthread_t th[GC_THREADS];
    struct gc_thread g[GC_THREADS];
    for (int t = 0; t < GC_THREADS; t++) {
        g[t] = (struct gc_thread){.st = fx->st, .t = t};
        assert_int_equal(pthread_create(&th[t], NULL, gc_main, &g[t]), 0);
    }
    int ok = 0;
    for (int t = 0; t < GC_THREADS; t++) {
        pthread_join(th[t], NULL);
        assert_int_equal(g[t].wrong, 0);
        assert_int_equal(g[t].ok + g[t].failed, GC_WRITES);
        ok += g[t].ok;
    }
    assert_int_equal(ok, GC_THREADS * GC_WRITES * 4 / 5);
    /* Every success is there, every refused callback left no trace. */
    struct pp_err err;
    pp_err_clear(&err);
    for (int t = 0; t < GC_THREADS; t++) {
        for (int i = 0; i < GC_WRITES; i++) {
            char key[32], value[8];
            int found = -1;
            snprintf(key, sizeof key, "gc-%d-%d", t, i);
            assert_int_equal(store_setting_get(fx->st, key, value, sizeof value, &found, &err),
                             PP_OK);
            assert_int_equal(found, (i % 5) != 3);
        }
    }
    struct pp_balance b = balance_of(fx->st, "EUR");
    assert_int_equal(b.available, ok);
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM ledger"), ok);
    struct report r;
    assert_int_equal(check_problems(fx->st, &r), 0);
}

/* --- Whole-batch failures -------------------------------------------------------------- */

/* The SQLite backend behind st and tx (store/backend.h). */
static struct store_sqlite *sqlite_of(struct store *st)
{
    return st->backend;
}

static struct store_conn *conn_of(struct store_tx *tx)
{
    return ((struct store_sqlite_tx *)tx->tx)->conn;
}

static size_t queue_length(struct store *st)
{
    struct store_sqlite *sq = sqlite_of(st);
    size_t n = 0;
    pthread_mutex_lock(&sq->queue_mu);
    for (struct store_req *r = sq->head; r != NULL; r = r->next) {
        n++;
    }
    pthread_mutex_unlock(&sq->queue_mu);
    return n;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static atomic_int gate_entered;
static atomic_int gate_open;

/* Holds the writer (test only: callbacks must not block) so that the
** requests queued meanwhile form the next batch together. */
static enum pp_status cb_gate(struct store_tx *tx, void *arg, struct pp_err *err)
{
    (void)tx;
    (void)arg;
    (void)err;
    atomic_store(&gate_entered, 1);
    for (int i = 0; i < 10000 && !atomic_load(&gate_open); i++) {
        sleep_ms(1);
    }
    return PP_OK;
}

struct job {
    struct store *st;
    store_tx_fn fn;
    void *arg;
    enum pp_status status;
    struct pp_err err;
    pthread_t th;
};

static void *job_main(void *p)
{
    struct job *j = p;
    pp_err_clear(&j->err);
    j->status = store_write(j->st, j->fn, j->arg, &j->err);
    return NULL;
}

/* Runs jobs[0..n) as one batch, in order, behind the gate. */
static void run_as_one_batch(struct store *st, struct job *jobs, size_t n)
{
    struct job gate = {.st = st, .fn = cb_gate};
    atomic_store(&gate_entered, 0);
    atomic_store(&gate_open, 0);
    assert_int_equal(pthread_create(&gate.th, NULL, job_main, &gate), 0);
    while (!atomic_load(&gate_entered)) {
        sleep_ms(1);
    }
    for (size_t i = 0; i < n; i++) {
        jobs[i].st = st;
        assert_int_equal(pthread_create(&jobs[i].th, NULL, job_main, &jobs[i]), 0);
        while (queue_length(st) < i + 1) {
            sleep_ms(1);
        }
    }
    atomic_store(&gate_open, 1);
    pthread_join(gate.th, NULL);
    assert_int_equal(gate.status, PP_OK);
    for (size_t i = 0; i < n; i++) {
        pthread_join(jobs[i].th, NULL);
    }
}

/* Makes the database "full" for the writer, then writes a large value. */
static enum pp_status cb_disk_full(struct store_tx *tx, void *arg, struct pp_err *err)
{
    (void)arg;
    static char big[256 * 1024];
    memset(big, 'x', sizeof big - 1);
    sqlite3_exec(conn_of(tx)->db, "PRAGMA max_page_count = 1", NULL, NULL, NULL);
    enum pp_status s = store_tx_setting_put(tx, "big", big, err);
    /* A careless callback carries on: its later writes must not land either. */
    store_tx_setting_put(tx, "after-full", "1", &(struct pp_err){0});
    return s;
}

static enum pp_status cb_disk_ok(struct store_tx *tx, void *arg, struct pp_err *err)
{
    (void)arg;
    (void)err;
    sqlite3_exec(conn_of(tx)->db, "PRAGMA max_page_count = 1073741823", NULL, NULL, NULL);
    return PP_OK;
}

static atomic_int hook_armed;

static int commit_hook(void *arg)
{
    (void)arg;
    return atomic_exchange(&hook_armed, 0);
}

static enum pp_status cb_arm_commit_failure(struct store_tx *tx, void *arg, struct pp_err *err)
{
    atomic_store(&hook_armed, 1);
    sqlite3_commit_hook(conn_of(tx)->db, commit_hook, NULL);
    return cb_setting_put(tx, arg, err);
}

static void test_batch_all_or_nothing(void **state)
{
    struct fx *fx = *state;
    struct pp_err err;
    pp_err_clear(&err);
    assert_int_equal(move(fx->st, "GBP", PP_LEDGER_DEPOSIT, 100, 0, NULL, &err), PP_OK);

    /* 1. A storage failure in the middle of a batch fails the whole batch:
    ** the request before it that had succeeded, the one that broke it and
    ** those after it; a request that had failed on its own keeps its answer. */
    struct setting_arg s0 = {.key = "before", .value = "1"};
    struct setting_arg s1 = {.key = "refused", .value = "1", .fail_after = 1};
    struct setting_arg s3 = {.key = "after", .value = "1"};
    struct move_arg m4 = {.m = movement("GBP", PP_LEDGER_DEPOSIT, 5, 0)};
    struct job jobs[5] = {
        {.fn = cb_setting_put, .arg = &s0},
        {.fn = cb_setting_put, .arg = &s1},
        {.fn = cb_disk_full},
        {.fn = cb_setting_put, .arg = &s3},
        {.fn = cb_move, .arg = &m4},
    };
    run_as_one_batch(fx->st, jobs, 5);
    for (int i = 0; i < 5; i++) {
        if (i == 1) {
            assert_int_equal(jobs[i].status, PP_INVALID_PARAMS);
            assert_string_equal(jobs[i].err.message, "refused midway");
        } else {
            assert_int_equal(jobs[i].status, PP_UNAVAILABLE);
            assert_string_equal(jobs[i].err.message, "storage failure; nothing was written");
        }
    }
    assert_int_equal(store_write(fx->st, cb_disk_ok, NULL, &err), PP_OK);
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM settings"), 0);
    assert_int_equal(balance_of(fx->st, "GBP").available, 100);

    /* 2. A failed COMMIT fails every request of the batch. */
    struct setting_arg c1 = {.key = "c1", .value = "1"};
    struct setting_arg c2 = {.key = "c2", .value = "1"};
    struct setting_arg c3 = {.key = "c3", .value = "1", .fail_after = 1};
    struct move_arg c4 = {.m = movement("GBP", PP_LEDGER_WITHDRAW, 100, 0)};
    struct job more[4] = {
        {.fn = cb_setting_put, .arg = &c1},
        {.fn = cb_arm_commit_failure, .arg = &c2},
        {.fn = cb_setting_put, .arg = &c3},
        {.fn = cb_move, .arg = &c4},
    };
    run_as_one_batch(fx->st, more, 4);
    assert_int_equal(more[0].status, PP_INTERNAL);
    assert_int_equal(more[1].status, PP_INTERNAL);
    assert_int_equal(more[2].status, PP_INVALID_PARAMS); /* its own refusal stands */
    assert_string_equal(more[2].err.message, "refused midway");
    assert_int_equal(more[3].status, PP_INTERNAL);
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM settings"), 0);
    assert_int_equal(balance_of(fx->st, "GBP").available, 100);

    /* 3. The writer goes on normally afterwards. */
    assert_int_equal(put_setting(fx->st, "later", "1"), PP_OK);
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM settings"), 1);
    struct report r;
    assert_int_equal(check_problems(fx->st, &r), 0);
}

/* --- store_check ------------------------------------------------------------------------ */

static void test_check(void **state)
{
    struct fx *fx = *state;
    struct pp_err err;
    struct report r;
    assert_int_equal(check_problems(fx->st, &r), 0);
    assert_int_equal(move(fx->st, "GBP", PP_LEDGER_DEPOSIT, 1000, 0, NULL, &err), PP_OK);
    assert_int_equal(move(fx->st, "BHD", PP_LEDGER_DEPOSIT, 5000, 0, NULL, &err), PP_OK);
    int64_t ids[6];
    for (int i = 0; i < 6; i++) {
        assert_int_equal(create_payout(fx->st, i % 2 ? "GBP" : "BHD", 100 + i, &ids[i], &err),
                         PP_OK);
    }
    assert_int_equal(close_payout(fx->st, ids[0], PP_PAYOUT_CANCELLED), PP_OK);
    assert_int_equal(close_payout(fx->st, ids[1], PP_PAYOUT_RECEIVED), PP_OK);
    assert_int_equal(close_payout(fx->st, ids[2], PP_PAYOUT_EXPIRED), PP_OK);
    assert_int_equal(move(fx->st, "GBP", PP_LEDGER_WITHDRAW, 10, 0, NULL, &err), PP_OK);
    assert_int_equal(check_problems(fx->st, &r), 0);

    /* Someone edits a balance by hand. */
    assert_int_equal(raw_exec(fx->path,
                              "UPDATE balances SET blocked = blocked + 100 WHERE currency = 'GBP'",
                              NULL, 0),
                     SQLITE_OK);
    struct pp_balance b = balance_of(fx->st, "GBP");
    char want[128];
    assert_int_equal(check_problems(fx->st, &r), 2);
    snprintf(want, sizeof want, "GBP: blocked %lld != sum of open payouts %lld",
             (long long)b.blocked, (long long)b.blocked - 100);
    assert_non_null(strstr(r.text, want));
    snprintf(want, sizeof want, "GBP: blocked %lld != ledger sum %lld", (long long)b.blocked,
             (long long)b.blocked - 100);
    assert_non_null(strstr(r.text, want));
    assert_null(strstr(r.text, "BHD"));

    /* A ledger row nobody applied to the balance, and a payout whose block
    ** went missing (a BLOCK row for another payout stands in for it). */
    assert_int_equal(raw_exec(fx->path,
                              "INSERT INTO ledger (at_ms, currency, kind, d_available, d_blocked,"
                              " d_paid_out) VALUES (1, 'BHD', 1, 7, 0, 0)",
                              NULL, 0),
                     SQLITE_OK);
    char sql[256];
    snprintf(sql, sizeof sql,
             "INSERT INTO ledger (at_ms, currency, kind, d_available, d_blocked, d_paid_out,"
             " payout_id) VALUES (1, 'GBP', 3, -103, 103, 0, %lld)",
             (long long)ids[5]);
    assert_int_equal(raw_exec(fx->path, sql, NULL, 0), SQLITE_OK);
    assert_true(check_problems(fx->st, &r) >= 4);
    assert_non_null(strstr(r.text, "BHD: available"));
    snprintf(want, sizeof want, "payout %lld (READY): 2 block", (long long)ids[5]);
    assert_non_null(strstr(r.text, want));
}

/* --- Read-your-writes ------------------------------------------------------------------- */

struct ryw_thread {
    struct store *st;
    int t;
    int stale;
};

static void *ryw_main(void *p)
{
    struct ryw_thread *g = p;
    char key[16], value[16], got[16];
    snprintf(key, sizeof key, "ryw-%d", g->t);
    for (int i = 0; i < 150; i++) {
        snprintf(value, sizeof value, "%d", i);
        struct pp_err err;
        pp_err_clear(&err);
        int found = 0;
        if (put_setting(g->st, key, value) != PP_OK ||
            store_setting_get(g->st, key, got, sizeof got, &found, &err) != PP_OK || !found ||
            strcmp(got, value) != 0) {
            g->stale++;
        }
    }
    return NULL;
}

static void test_read_your_writes(void **state)
{
    struct fx *fx = *state;
    pthread_t th[6];
    struct ryw_thread g[6];
    for (int t = 0; t < 6; t++) {
        g[t] = (struct ryw_thread){.st = fx->st, .t = t};
        assert_int_equal(pthread_create(&th[t], NULL, ryw_main, &g[t]), 0);
    }
    for (int t = 0; t < 6; t++) {
        pthread_join(th[t], NULL);
        assert_int_equal(g[t].stale, 0);
    }
}

/* --- The WAL write buffer (walbuf.c) ------------------------------------------------------ */

static sqlite3 *walbuf_open_raw(const char *path)
{
    sqlite3 *db = NULL;
    assert_int_equal(
        sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, store_walbuf_vfs()),
        SQLITE_OK);
    return db;
}

static int64_t walbuf_count(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return v;
}

/* With synchronous=OFF SQLite never syncs the WAL, so only the commit-frame
** rule can make a commit readable: a second connection must see each
** commit at once. Transactions larger than the buffer (1 MiB) and than
** the platform's largest single write (128 KiB) land whole, and a file
** written through the buffer passes SQLite's own integrity check, also
** when reopened with the platform's VFS. */
static void test_walbuf_commits_are_readable(void **state)
{
    struct fx *fx = *state;
    char path[160];
    snprintf(path, sizeof path, "%s/walbuf.db", fx->dir);
    sqlite3 *w = walbuf_open_raw(path);
    sqlite3 *r = walbuf_open_raw(path);
    assert_int_equal(sqlite3_exec(w,
                                  "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;"
                                  " PRAGMA wal_autocheckpoint=0;"
                                  " CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB NOT NULL);",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    int64_t rows = 0;
    for (int round = 1; round <= 40; round++) {
        /* Rounds of 1 to 40 rows of 3 KiB: from one frame to ~160 KiB. */
        char sql[160];
        snprintf(sql, sizeof sql,
                 "INSERT INTO t (v) SELECT randomblob(3072) FROM generate_series(1, %d)", round);
        if (sqlite3_exec(w, sql, NULL, NULL, NULL) != SQLITE_OK) {
            /* No generate_series in this SQLite: a recursive CTE instead. */
            snprintf(sql, sizeof sql,
                     "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d)"
                     " INSERT INTO t (v) SELECT randomblob(3072) FROM n",
                     round);
            assert_int_equal(sqlite3_exec(w, sql, NULL, NULL, NULL), SQLITE_OK);
        }
        rows += round;
        assert_int_equal(walbuf_count(r, "SELECT count(*) FROM t"), rows);
    }
    /* One transaction of ~3 MiB of frames. */
    assert_int_equal(
        sqlite3_exec(w,
                     "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 700)"
                     " INSERT INTO t (v) SELECT randomblob(4000) FROM n",
                     NULL, NULL, NULL),
        SQLITE_OK);
    rows += 700;
    assert_int_equal(walbuf_count(r, "SELECT count(*) FROM t"), rows);
    assert_true(walbuf_count(r, "SELECT sum(length(v)) FROM t") ==
                (rows - 700) * 3072 + 700 * 4000);
    sqlite3_close(r);
    sqlite3_close(w);
    sqlite3 *plain = raw_open(path);
    assert_int_equal(walbuf_count(plain, "SELECT count(*) FROM t"), rows);
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_prepare_v2(plain, "PRAGMA integrity_check", -1, &stmt, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(stmt, 0), "ok");
    sqlite3_finalize(stmt);
    sqlite3_close(plain);
}

/* --- Checkpoints (checkpoint.c) ------------------------------------------------------- */

static long long file_bytes(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (long long)sb.st_size : 0;
}

/* While the store serves, committed pages reach the database file without
** anyone closing it (the checkpointer copies them), and a write load that
** never pauses keeps the log bounded: the writer restarts it once it holds
** PP_WAL_CHECKPOINT_WRITER_PAGES pages. Every value written reads back. */
static void test_checkpoints_while_serving(void **state)
{
    struct fx *fx = *state;
    enum { VALUE_BYTES = 60 * 1024 };
    /* About 1.3x the writer's bound, in pages of 4 KiB. */
    const int writes = PP_WAL_CHECKPOINT_WRITER_PAGES * 4096 / VALUE_BYTES * 13 / 10;
    char *value = malloc(VALUE_BYTES + 1);
    assert_non_null(value);
    char wal[200];
    snprintf(wal, sizeof wal, "%s-wal", fx->path);
    long long wal_max = 0;
    long long data_bytes = 0;
    for (int i = 0; i < writes; i++) {
        char key[32];
        snprintf(key, sizeof key, "ckpt-%d", i);
        memset(value, 'a' + i % 26, VALUE_BYTES);
        value[VALUE_BYTES] = '\0';
        assert_int_equal(put_setting(fx->st, key, value), PP_OK);
        data_bytes += VALUE_BYTES;
        long long w = file_bytes(wal);
        wal_max = w > wal_max ? w : wal_max;
    }
    /* The bound plus one batch of these writes, in WAL frames of 4096 + 24. */
    long long bound = (long long)(PP_WAL_CHECKPOINT_WRITER_PAGES + 64) * (4096 + 24);
    assert_true(wal_max <= bound);
    /* The checkpointer copies in the background: give it a moment. */
    for (int i = 0; i < 500 && file_bytes(fx->path) < data_bytes * 9 / 10; i++) {
        sleep_ms(10);
    }
    assert_true(file_bytes(fx->path) >= data_bytes * 9 / 10);
    struct pp_err err;
    pp_err_clear(&err);
    for (int i = 0; i < writes; i += writes / 7) {
        char key[32];
        int found = 0;
        snprintf(key, sizeof key, "ckpt-%d", i);
        assert_int_equal(store_setting_get(fx->st, key, value, VALUE_BYTES + 1, &found, &err),
                         PP_OK);
        assert_int_equal(found, 1);
        assert_int_equal(strlen(value), VALUE_BYTES);
        assert_int_equal(value[0], 'a' + i % 26);
    }
    free(value);
    struct report r;
    assert_int_equal(check_problems(fx->st, &r), 0);
}

/* --- Misuse ------------------------------------------------------------------------------- */

static enum pp_status cb_nested(struct store_tx *tx, void *arg, struct pp_err *err)
{
    (void)tx;
    return store_write(arg, cb_setting_put, &(struct setting_arg){.key = "x", .value = "y"}, err);
}

static void test_write_from_writer_asserts(void **state)
{
    struct fx *fx = *state;
    char path[160];
    snprintf(path, sizeof path, "%s/nested.db", fx->dir);
    /* No other threads across fork(): close the fixture's store first. */
    store_close(fx->st);
    fx->st = NULL;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct store *st = NULL;
        if (store_open(path, 1, &st, NULL) != PP_OK) {
            _exit(3);
        }
        store_write(st, cb_nested, st, NULL);
        _exit(0); /* not reached: the writer asserts */
    }
    int ws = 0;
    assert_int_equal(waitpid(pid, &ws, 0), pid);
    assert_true(WIFSIGNALED(ws));
    assert_int_equal(WTERMSIG(ws), SIGABRT);
}

/* --- Throughput: batching against one transaction per write ---------------------------- */

/* One thread waiting for each write makes one transaction per write; many
** threads writing at once share transactions (group commit). The test
** times both in the same run, alternating rounds so that a burst of load
** from elsewhere on the machine hits both alike, and asserts the ratio of
** their rates, not a time: batched writes must be at least TP_GAIN_MIN
** times as fast. The fsync per commit dominates both, so the measured gain
** is several times the bound (about 6-8x with 8 threads). */
#define TP_THREADS 16
#define TP_WRITES 40     /* per thread and round, batched */
#define TP_SEQ_WRITES 80 /* per round, one per transaction */
#define TP_ROUNDS 3
#define TP_GAIN_MIN 2.0

struct tp_thread {
    struct store *st;
    int round;
    int t;
    int failures;
};

static void *tp_main(void *p)
{
    struct tp_thread *g = p;
    for (int i = 0; i < TP_WRITES; i++) {
        char key[48];
        snprintf(key, sizeof key, "tp-%d-%d-%d", g->round, g->t, i);
        g->failures += put_setting(g->st, key, "v") != PP_OK;
    }
    return NULL;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Seconds that TP_SEQ_WRITES writes take from one thread. */
static double tp_one_per_transaction_s(struct store *st, int round)
{
    double t0 = now_s();
    for (int i = 0; i < TP_SEQ_WRITES; i++) {
        char key[48];
        snprintf(key, sizeof key, "seq-%d-%d", round, i);
        assert_int_equal(put_setting(st, key, "v"), PP_OK);
    }
    return now_s() - t0;
}

/* Seconds that TP_THREADS * TP_WRITES writes take from TP_THREADS threads. */
static double tp_batched_s(struct store *st, int round)
{
    pthread_t th[TP_THREADS];
    struct tp_thread g[TP_THREADS];
    double t0 = now_s();
    for (int t = 0; t < TP_THREADS; t++) {
        g[t] = (struct tp_thread){.st = st, .round = round, .t = t};
        assert_int_equal(pthread_create(&th[t], NULL, tp_main, &g[t]), 0);
    }
    for (int t = 0; t < TP_THREADS; t++) {
        pthread_join(th[t], NULL);
    }
    double took = now_s() - t0;
    for (int t = 0; t < TP_THREADS; t++) {
        assert_int_equal(g[t].failures, 0);
    }
    return took;
}

static void test_batching_beats_one_transaction_per_write(void **state)
{
    struct fx *fx = *state;
    double seq_s = 0, batched_s = 0;
    for (int round = 0; round < TP_ROUNDS; round++) {
        seq_s += tp_one_per_transaction_s(fx->st, round);
        batched_s += tp_batched_s(fx->st, round);
    }
    double seq_rate = TP_ROUNDS * TP_SEQ_WRITES / seq_s;
    double batched_rate = TP_ROUNDS * TP_THREADS * TP_WRITES / batched_s;
    double gain = batched_rate / seq_rate;
    print_message("store_write: one per transaction %.0f writes/s; %d threads batched %.0f "
                  "writes/s; gain %.1fx (at least %.1fx)\n",
                  seq_rate, TP_THREADS, batched_rate, gain, TP_GAIN_MIN);
    if (gain < TP_GAIN_MIN) {
        fail_msg("batched writes are only %.2fx as fast as one transaction per write", gain);
    }
    /* Every write landed. */
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM settings WHERE key LIKE 'tp-%' "
                                       "OR key LIKE 'seq-%'"),
                     TP_ROUNDS * (TP_SEQ_WRITES + TP_THREADS * TP_WRITES));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backend_by_url, setup, teardown),
        cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_modes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_walbuf_commits_are_readable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checkpoints_while_serving, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recipients, setup, teardown),
        cmocka_unit_test_setup_teardown(test_payouts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_payouts_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_funds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_paid_out_past_int64, setup, teardown),
        cmocka_unit_test_setup_teardown(test_funds_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ledger_append_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_settings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_admins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_all_or_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_your_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_from_writer_asserts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batching_beats_one_transaction_per_write, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
