/*
** This module tests the SQLite store's pool of read connections
** (src/store/sqlite/db.c): a reader keeps its read transaction between
** uses while the writer finishes no batch, a write answered before a read
** is always seen by it, a change by another connection is seen once the
** kept transaction is PP_READ_SNAPSHOT_KEEP_MS old, and readers idle on
** old transactions never keep the log from starting again.
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

static void get_setting(struct store *st, const char *key, char *out, size_t size)
{
    struct pp_err err;
    int found = 0;
    pp_err_clear(&err);
    assert_int_equal(store_setting_get(st, key, out, size, &found, &err), PP_OK);
    if (!found) {
        out[0] = '\0';
    }
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Two reads with no write between them share one read transaction: the
** connection comes back with it still open, not begun again.
** Tried until one pair falls inside PP_READ_SNAPSHOT_KEEP_MS (a slow
** run, under valgrind, may take longer than that between the two). */
static void test_kept_between_reads(void **state)
{
    struct fx *fx = *state;
    struct store_sqlite *sq = fx_sqlite(fx->st);
    char got[64];
    assert_int_equal(put_setting(fx->st, "k", "one"), PP_OK);
    int pairs = 0;
    for (int i = 0; i < 100 && pairs == 0; i++) {
        int64_t t0 = mono_ms();
        get_setting(fx->st, "k", got, sizeof got);
        assert_string_equal(got, "one");
        struct store_conn *c = store_reader_acquire(sq);
        uint64_t begun = c->snap_begun;
        assert_int_equal(c->snap_open, 1);
        store_reader_release(sq, c);
        struct store_conn *again = store_reader_acquire(sq);
        int64_t t1 = mono_ms();
        if (t1 - t0 < PP_READ_SNAPSHOT_KEEP_MS - 2) {
            assert_ptr_equal(again, c);
            assert_int_equal(again->snap_open, 1);
            assert_int_equal(sqlite3_get_autocommit(again->db), 0);
            assert_int_equal(again->snap_begun, begun);
            pairs++;
        }
        store_reader_release(sq, again);
    }
    assert_int_equal(pairs, 1);
}

/* A read right after a write through the store sees it, every time, on a
** connection that kept its transaction from the read before. */
static void test_write_then_read(void **state)
{
    struct fx *fx = *state;
    char value[32];
    char got[64];
    for (int i = 0; i < 200; i++) {
        get_setting(fx->st, "counter", got, sizeof got);
        snprintf(value, sizeof value, "v%d", i);
        assert_int_equal(put_setting(fx->st, "counter", value), PP_OK);
        get_setting(fx->st, "counter", got, sizeof got);
        assert_string_equal(got, value);
    }
}

/* Another connection's change (the `admin` command in another process) is
** seen once the kept transaction is PP_READ_SNAPSHOT_KEEP_MS old; the
** check always reads the file as it is. */
static void test_other_connection_seen(void **state)
{
    struct fx *fx = *state;
    char got[64];
    char msg[200];
    assert_int_equal(put_setting(fx->st, "who", "store"), PP_OK);
    get_setting(fx->st, "who", got, sizeof got);
    assert_string_equal(got, "store");
    assert_int_equal(raw_exec(fx->path, "UPDATE settings SET value = 'by hand' WHERE key = 'who'",
                              msg, sizeof msg),
                     SQLITE_OK);
    sleep_ms(PP_READ_SNAPSHOT_KEEP_MS + 2);
    get_setting(fx->st, "who", got, sizeof got);
    assert_string_equal(got, "by hand");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_kept_between_reads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_then_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_connection_seen, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
