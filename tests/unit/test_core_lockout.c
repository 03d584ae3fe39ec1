/*
** This module implements the unit tests of core/lockout, the log-in
** lockouts an app keeps beside its rate limits: PP_LOGIN_FAILURES_MAX
** failures from one address lock it at that log-in only (the other log-in
** and other addresses go on), a success forgets the address, and two apps
** in one process keep separate counts (the tables belong to the app, not
** to the process).
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payout/core/lockout.h"
#include "payout/limits.h"
#include "support/tmpdir.h"

struct fixture {
    char dir[64];
    struct core_app *apps[2];
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    char db[2][96];
    if (fx == NULL || unit_tmpdir_create("pp_lockout_", "p0.db", fx->dir, sizeof fx->dir, db[0],
                                         sizeof db[0]) != 0) {
        free(fx);
        return -1;
    }
    snprintf(db[1], sizeof db[1], "%s/p1.db", fx->dir);
    for (int i = 0; i < 2; i++) {
        struct pp_err err = {0};
        if (core_app_open(db[i], 1, &fx->apps[i], &err) != PP_OK) {
            fprintf(stderr, "open: %s\n", err.message);
            return -1;
        }
    }
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    core_app_close(fx->apps[0]);
    core_app_close(fx->apps[1]);
    unit_tmpdir_destroy(fx->dir);
    free(fx);
    return 0;
}

/* Fails `n` attempts at `which` from addr; each must be allowed to try. */
static void fail_times(struct core_app *app, enum core_login which, const char *addr, int n)
{
    for (int i = 0; i < n; i++) {
        assert_int_equal(core_lockout_reserve(app, which, addr), 0);
        core_lockout_settle(app, which, addr, 0);
    }
}

static void test_locks_one_login_and_address(void **state)
{
    struct fixture *fx = *state;
    struct core_app *app = fx->apps[0];
    fail_times(app, CORE_LOGIN_ADMIN, "10.0.0.1", PP_LOGIN_FAILURES_MAX);
    int64_t wait_ms = core_lockout_reserve(app, CORE_LOGIN_ADMIN, "10.0.0.1");
    assert_true(wait_ms > 0 && wait_ms <= PP_LOGIN_LOCK_BASE_S * 1000);
    /* The other log-in, another address: untouched. */
    assert_int_equal(core_lockout_reserve(app, CORE_LOGIN_AUTHENTICATE, "10.0.0.1"), 0);
    core_lockout_settle(app, CORE_LOGIN_AUTHENTICATE, "10.0.0.1", 1);
    assert_int_equal(core_lockout_reserve(app, CORE_LOGIN_ADMIN, "10.0.0.2"), 0);
    core_lockout_settle(app, CORE_LOGIN_ADMIN, "10.0.0.2", 1);
}

static void test_success_forgets(void **state)
{
    struct fixture *fx = *state;
    struct core_app *app = fx->apps[0];
    fail_times(app, CORE_LOGIN_AUTHENTICATE, "10.0.0.3", PP_LOGIN_FAILURES_MAX - 1);
    assert_int_equal(core_lockout_reserve(app, CORE_LOGIN_AUTHENTICATE, "10.0.0.3"), 0);
    core_lockout_settle(app, CORE_LOGIN_AUTHENTICATE, "10.0.0.3", 1);
    /* The count starts again: as many failures again before a lock. */
    fail_times(app, CORE_LOGIN_AUTHENTICATE, "10.0.0.3", PP_LOGIN_FAILURES_MAX);
    assert_true(core_lockout_reserve(app, CORE_LOGIN_AUTHENTICATE, "10.0.0.3") > 0);
}

static void test_apps_apart(void **state)
{
    struct fixture *fx = *state;
    fail_times(fx->apps[0], CORE_LOGIN_ADMIN, "10.0.0.4", PP_LOGIN_FAILURES_MAX);
    assert_true(core_lockout_reserve(fx->apps[0], CORE_LOGIN_ADMIN, "10.0.0.4") > 0);
    assert_int_equal(core_lockout_reserve(fx->apps[1], CORE_LOGIN_ADMIN, "10.0.0.4"), 0);
    core_lockout_settle(fx->apps[1], CORE_LOGIN_ADMIN, "10.0.0.4", 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_locks_one_login_and_address, setup, teardown),
        cmocka_unit_test_setup_teardown(test_success_forgets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_apps_apart, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
