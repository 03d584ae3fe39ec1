/*
** This module tests the SQLite store's checkpointer (src/store/sqlite/checkpoint.c):
** committed pages reach the database file while the store serves, and the
** log stays bounded under a write load that never pauses, also while every
** reader idles on a read transaction it kept.
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

/* --- Checkpoints (checkpoint.c) ------------------------------------------------------- */

static long long file_bytes(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (long long)sb.st_size : 0;
}

enum { VALUE_BYTES = 60 * 1024 };

/* The log's bound plus one batch of VALUE_BYTES writes, in WAL frames of
** 4096 + 24 bytes. */
static long long log_bound(void)
{
    return (long long)(PP_WAL_CHECKPOINT_WRITER_PAGES + 64) * (4096 + 24);
}

/* Writes settings "<prefix>-<i>" of VALUE_BYTES each until about 1.3x the
** writer's log bound is written, without a pause; returns the largest size
** the log reached, *data_bytes_out the bytes written. */
static long long fill_log(struct fx *fx, const char *prefix, int *writes_out,
                          long long *data_bytes_out)
{
    const int writes = PP_WAL_CHECKPOINT_WRITER_PAGES * 4096 / VALUE_BYTES * 13 / 10;
    char *value = malloc(VALUE_BYTES + 1);
    assert_non_null(value);
    char wal[200];
    snprintf(wal, sizeof wal, "%s-wal", fx->path);
    long long wal_max = 0;
    for (int i = 0; i < writes; i++) {
        char key[32];
        snprintf(key, sizeof key, "%s-%d", prefix, i);
        memset(value, 'a' + i % 26, VALUE_BYTES);
        value[VALUE_BYTES] = '\0';
        assert_int_equal(put_setting(fx->st, key, value), PP_OK);
        long long w = file_bytes(wal);
        wal_max = w > wal_max ? w : wal_max;
    }
    free(value);
    *writes_out = writes;
    *data_bytes_out = (long long)writes * VALUE_BYTES;
    return wal_max;
}

/* While the store serves, committed pages reach the database file without
** anyone closing it (the checkpointer copies them), and a write load that
** never pauses keeps the log bounded: the writer restarts it once it holds
** PP_WAL_CHECKPOINT_WRITER_PAGES pages. Every value written reads back. */
static void test_checkpoints_while_serving(void **state)
{
    struct fx *fx = *state;
    int writes = 0;
    long long data_bytes = 0;
    assert_true(fill_log(fx, "ckpt", &writes, &data_bytes) <= log_bound());
    /* The checkpointer copies in the background: give it a moment. */
    for (int i = 0; i < 500 && file_bytes(fx->path) < data_bytes * 9 / 10; i++) {
        sleep_ms(10);
    }
    assert_true(file_bytes(fx->path) >= data_bytes * 9 / 10);
    struct pp_err err;
    pp_err_clear(&err);
    char *value = malloc(VALUE_BYTES + 1);
    assert_non_null(value);
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

/* Every reader keeps a read transaction from the start of the log
** (src/store/sqlite/db.c), then sits idle while the log fills far past the
** writer's bound: the checkpoints end those transactions, so the log still
** starts again and stays within the same bound. */
static void test_idle_readers_free_the_log(void **state)
{
    struct fx *fx = *state;
    struct store_sqlite *sq = fx_sqlite(fx->st);
    assert_int_equal(put_setting(fx->st, "first", "x"), PP_OK);
    struct store_conn *held[PP_READERS_MAX];
    unsigned n = sq->readers_count;
    for (unsigned i = 0; i < n; i++) {
        held[i] = store_reader_acquire(sq);
        sqlite3_stmt *s = NULL;
        assert_int_equal(
            sqlite3_prepare_v2(held[i]->db, "SELECT count(*) FROM settings", -1, &s, NULL),
            SQLITE_OK);
        assert_int_equal(sqlite3_step(s), SQLITE_ROW);
        sqlite3_finalize(s);
    }
    for (unsigned i = 0; i < n; i++) {
        assert_int_equal(held[i]->snap_open, 1);
        store_reader_release(sq, held[i]);
    }
    int writes = 0;
    long long data_bytes = 0;
    assert_true(fill_log(fx, "idle", &writes, &data_bytes) <= log_bound());
    char got[8];
    int found = 0;
    struct pp_err err;
    pp_err_clear(&err);
    assert_int_equal(store_setting_get(fx->st, "first", got, sizeof got, &found, &err), PP_OK);
    assert_int_equal(found, 1);
    assert_string_equal(got, "x");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_checkpoints_while_serving, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idle_readers_free_the_log, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
