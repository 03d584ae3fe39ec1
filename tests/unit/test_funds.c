/*
** This module tests the SQLite store's funds rules and ledger (src/store/sqlite/funds.c):
** balances through deposits, blocks, releases and payouts, a lifetime
** paid-out figure past int64, the moves it refuses, and that the ledger is
** append-only.
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
    assert_int_equal(fx_write(fx->st, cb_move, &ma, &err), PP_OK);
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
    assert_int_equal(fx_write(fx->st, cb_move, &ref, &err), PP_OK);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_funds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_paid_out_past_int64, setup, teardown),
        cmocka_unit_test_setup_teardown(test_funds_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ledger_append_only, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
