/*
** This module tests the SQLite store's opening and migrations (src/store/sqlite/db.c):
** reopening a database, choosing the backend by the database URL, refusing
** a schema newer than the program, and the modes of the files it creates.
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
** SQLite (the same file either way); a PostgreSQL URL is PostgreSQL's
** (an unreachable server: unavailable, nothing opened). */
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

    /* A PostgreSQL URL goes to the PostgreSQL backend: with no server
    ** there, the store is unavailable, says so, and nothing is opened. */
    static const char *const refused[] = {"postgres://localhost:1/payouts",
                                          "postgresql://u@127.0.0.1:1/payouts"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        st = NULL;
        pp_err_clear(&err);
        assert_int_equal(store_open(refused[i], 1, &st, &err), PP_UNAVAILABLE);
        assert_null(st);
        assert_non_null(strstr(err.message, "PostgreSQL"));
        int applied = -1;
        pp_err_clear(&err);
        assert_int_equal(store_migrate(refused[i], &applied, &err), PP_UNAVAILABLE);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backend_by_url, setup, teardown),
        cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_modes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
