/*
** This module tests the SQLite store's consistency check, store_check
** (src/store/sqlite/check.c): a consistent store reports nothing, and each
** kind of damage made by hand is reported.
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
    /* Read from the file as the check reads it (a store read may still see
    ** the moment before this edit from another connection, for up to
    ** PP_READ_SNAPSHOT_KEEP_MS). */
    long long blocked =
        (long long)raw_int(fx->path, "SELECT blocked FROM balances WHERE currency = 'GBP'");
    char want[128];
    assert_int_equal(check_problems(fx->st, &r), 2);
    snprintf(want, sizeof want, "GBP: blocked %lld != sum of open payouts %lld", blocked,
             blocked - 100);
    assert_non_null(strstr(r.text, want));
    snprintf(want, sizeof want, "GBP: blocked %lld != ledger sum %lld", blocked, blocked - 100);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_check, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
