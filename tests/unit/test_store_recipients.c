/*
** This module tests the SQLite store's recipients table (src/store/sqlite/recipients.c):
** saving recipients and finding them by each identifier. (test_recipients.c
** tests core/recipients.)
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

/* --- Recipients ---------------------------------------------------------------- */

struct recipient_arg {
    struct pp_recipient r;
    enum pp_ident which;
    const char *value;
    int found;
    struct pp_recipient out;
};

static enum pp_status cb_recipient_save(struct store_sqlite_tx *tx, void *arg, struct pp_err *err)
{
    struct recipient_arg *a = arg;
    return store_sqlite_tx_recipient_save(tx, &a->r, 1000, err);
}

static enum pp_status cb_recipient_find(struct store_sqlite_tx *tx, void *arg, struct pp_err *err)
{
    struct recipient_arg *a = arg;
    return store_sqlite_tx_recipient_find(tx, a->which, a->value, &a->out, &a->found, err);
}

static int find_recipient(struct store *st, enum pp_ident which, const char *value,
                          struct pp_recipient *out)
{
    struct recipient_arg a = {.which = which, .value = value};
    struct pp_err err;
    pp_err_clear(&err);
    assert_int_equal(fx_write(st, cb_recipient_find, &a, &err), PP_OK);
    *out = a.out;
    return a.found;
}

static void test_recipients(void **state)
{
    struct fx *fx = *state;
    struct pp_err err;
    pp_err_clear(&err);
    struct recipient_arg a;
    memset(&a, 0, sizeof a);
    snprintf(a.r.user_name, sizeof a.r.user_name, "alice");
    snprintf(a.r.reference_id, sizeof a.r.reference_id, "R-1");
    snprintf(a.r.first_name, sizeof a.r.first_name, "Alice");
    assert_int_equal(fx_write(fx->st, cb_recipient_save, &a, &err), PP_OK);
    int64_t alice = a.r.id;
    assert_true(alice > 0);

    struct pp_recipient r;
    assert_true(find_recipient(fx->st, PP_IDENT_USER_NAME, "alice", &r));
    assert_int_equal(r.id, alice);
    assert_string_equal(r.first_name, "Alice");
    assert_string_equal(r.phone_number, "");
    assert_true(find_recipient(fx->st, PP_IDENT_REFERENCE_ID, "R-1", &r));
    assert_int_equal(r.id, alice);
    assert_false(find_recipient(fx->st, PP_IDENT_USER_NAME, "Alice", &r)); /* exact match */
    assert_false(find_recipient(fx->st, PP_IDENT_PHONE_NUMBER, "", &r));
    assert_int_equal(r.id, 0);

    /* Update: add a phone and an e-mail, drop the first name. */
    a.r.first_name[0] = '\0';
    snprintf(a.r.phone_number, sizeof a.r.phone_number, "+441234");
    snprintf(a.r.email, sizeof a.r.email, "alice@example.com");
    assert_int_equal(fx_write(fx->st, cb_recipient_save, &a, &err), PP_OK);
    assert_int_equal(a.r.id, alice);
    assert_true(find_recipient(fx->st, PP_IDENT_PHONE_NUMBER, "+441234", &r));
    assert_int_equal(r.id, alice);
    assert_string_equal(r.first_name, "");
    assert_string_equal(r.email, "alice@example.com");
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM recipients WHERE first_name IS NULL"),
                     1);

    /* Two recipients without a phone do not clash; a shared user name does. */
    struct recipient_arg b;
    memset(&b, 0, sizeof b);
    snprintf(b.r.user_name, sizeof b.r.user_name, "carol");
    assert_int_equal(fx_write(fx->st, cb_recipient_save, &b, &err), PP_OK);
    int64_t carol = b.r.id;
    snprintf(b.r.reference_id, sizeof b.r.reference_id, "R-1");
    pp_err_clear(&err);
    assert_int_equal(fx_write(fx->st, cb_recipient_save, &b, &err), PP_INVALID_PARAMS);
    assert_non_null(strstr(err.message, "referenceId"));
    memset(&b, 0, sizeof b);
    snprintf(b.r.user_name, sizeof b.r.user_name, "alice");
    pp_err_clear(&err);
    assert_int_equal(fx_write(fx->st, cb_recipient_save, &b, &err), PP_INVALID_PARAMS);
    assert_non_null(strstr(err.message, "userName"));
    assert_int_equal(b.r.id, 0);
    /* No identifier at all is refused by the schema. */
    memset(&b, 0, sizeof b);
    snprintf(b.r.first_name, sizeof b.r.first_name, "Nobody");
    pp_err_clear(&err);
    assert_int_equal(fx_write(fx->st, cb_recipient_save, &b, &err), PP_INVALID_PARAMS);
    /* Updating a recipient that does not exist. */
    memset(&b, 0, sizeof b);
    b.r.id = 999;
    snprintf(b.r.user_name, sizeof b.r.user_name, "ghost");
    pp_err_clear(&err);
    assert_int_equal(fx_write(fx->st, cb_recipient_save, &b, &err), PP_NOT_FOUND);
    assert_true(find_recipient(fx->st, PP_IDENT_USER_NAME, "carol", &r));
    assert_int_equal(r.id, carol);
    assert_string_equal(r.reference_id, "");
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM recipients"), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_recipients, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
