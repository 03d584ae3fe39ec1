/*
** This module tests the SQLite store's admins table (src/store/sqlite/admins.c): inserting
** admins and changing their passwords.
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

struct admin_arg {
    const char *email;
    const char *hash;
    int64_t id;
};

static enum pp_status cb_admin_insert(struct store_sqlite_tx *tx, void *arg, struct pp_err *err)
{
    struct admin_arg *a = arg;
    return store_sqlite_tx_admin_insert(tx, a->email, a->hash, 1000, &a->id, err);
}

static enum pp_status cb_admin_password(struct store_sqlite_tx *tx, void *arg, struct pp_err *err)
{
    struct admin_arg *a = arg;
    return store_sqlite_tx_admin_set_password(tx, a->email, a->hash, 2000, &a->id, err);
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
    assert_int_equal(fx_write(fx->st, cb_admin_insert, &a, &err), PP_OK);
    assert_true(a.id > 0);
    struct admin_arg dup = {.email = "admin@example.COM", .hash = "pbkdf2-sha256$1$cc$dd"};
    assert_int_equal(fx_write(fx->st, cb_admin_insert, &dup, &err), PP_CONFLICT);
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
    assert_int_equal(fx_write(fx->st, cb_admin_password, &pw, &err), PP_OK);
    assert_int_equal(pw.id, a.id); /* the admin whose password was set */
    assert_int_equal(store_admin_get(fx->st, a.id, &ad, &err), PP_OK);
    assert_int_equal(ad.token_generation, 1);
    assert_string_equal(ad.password_hash, "pbkdf2-sha256$1$ee$ff");
    assert_int_equal(fx_write(fx->st, cb_admin_password, &pw, &err), PP_OK);
    assert_int_equal(store_admin_get(fx->st, a.id, &ad, &err), PP_OK);
    assert_int_equal(ad.token_generation, 2);

    struct admin_arg ghost = {.email = "ghost@example.com", .hash = "x"};
    assert_int_equal(fx_write(fx->st, cb_admin_password, &ghost, &err), PP_NOT_FOUND);
    pp_err_clear(&err);
    assert_int_equal(store_admin_get(fx->st, a.id + 100, &ad, &err), PP_NOT_FOUND);
    struct admin_arg blank = {.email = "", .hash = "x"};
    assert_int_equal(fx_write(fx->st, cb_admin_insert, &blank, &err), PP_INVALID_PARAMS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_admins, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
