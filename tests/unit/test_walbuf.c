/*
** This module tests the SQLite store's WAL write buffer (src/store/sqlite/walbuf.c): every
** commit is readable at once from a second connection, and files written
** through the buffer pass SQLite's integrity check.
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
#include "support/store_fixture.h"
#include "support/tmpdir.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_walbuf_commits_are_readable, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
