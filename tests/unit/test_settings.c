/*
** This module tests the SQLite store's settings table (src/store/sqlite/settings.c):
** writing a setting and reading it back, also inside the writing transaction.
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

/* --- Settings and admins ------------------------------------------------------------ */

struct setting_get_arg {
    char value[32];
    int found;
};

static enum pp_status cb_setting_get(struct store_sqlite_tx *tx, void *arg, struct pp_err *err)
{
    struct setting_get_arg *a = arg;
    enum pp_status s = store_sqlite_tx_setting_put(tx, "inside", "tx-value", err);
    if (s == PP_OK) {
        s = store_sqlite_tx_setting_get(tx, "inside", a->value, sizeof a->value, &a->found, err);
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
    assert_int_equal(fx_write(fx->st, cb_setting_get, &a, &err), PP_OK);
    assert_int_equal(a.found, 1);
    assert_string_equal(a.value, "tx-value");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_settings, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
