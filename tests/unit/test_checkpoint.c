/*
** This module tests the SQLite store's checkpointer (src/store/sqlite/checkpoint.c):
** committed pages reach the database file while the store serves, and the
** log stays bounded under a write load that never pauses.
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_checkpoints_while_serving, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
