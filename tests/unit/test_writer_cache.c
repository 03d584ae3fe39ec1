/*
** This module tests the writer's own state in the SQLite store: the cache
** of projects and recipients (src/store/sqlite/idcache.c) and the
** balances a batch keeps in memory and writes once before COMMIT
** (src/store/sqlite/funds.c). What it proves: a request rolled back to its
** savepoint, and a batch rolled back whole, leave nothing in the cache (a
** later create finds no project or recipient that was never committed);
** a recipient found by an identifier it no longer has is not found; and
** the books stay exact (store_check) when creates, refusals after a write
** and refusals for funds share batches from many threads.
*/
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "payout/store/store.h"
#include "store/sqlite/internal.h"
#include "support/store_fixture.h"

/* Creates project "Ghost" and recipient "ghost", then refuses, or breaks
** the batch as a storage failure would. */
struct ghost_arg {
    int break_batch;
    int64_t project_id;
    int64_t recipient_id;
};

static enum pp_status cb_ghost(struct store_sqlite_tx *tx, void *arg, struct pp_err *err)
{
    struct ghost_arg *a = arg;
    struct pp_recipient r;
    memset(&r, 0, sizeof r);
    snprintf(r.user_name, sizeof r.user_name, "ghost");
    enum pp_status s = store_sqlite_tx_project_ensure(tx, "Ghost", 1000, &a->project_id, err);
    if (s == PP_OK) {
        s = store_sqlite_tx_recipient_save(tx, &r, 1000, err);
        a->recipient_id = r.id;
    }
    if (s == PP_OK && a->break_batch) {
        tx->conn->broken = 1;
        tx->conn->broken_status = PP_INTERNAL;
        return pp_err_set(err, PP_INTERNAL, "storage failure (test)");
    }
    return s == PP_OK ? pp_err_set(err, PP_INVALID_PARAMS, "refused after writing") : s;
}

static void ghost_then_create(struct fx *fx, int break_batch)
{
    struct pp_err err;
    pp_err_clear(&err);
    struct ghost_arg g = {.break_batch = break_batch};
    assert_int_not_equal(fx_write(fx->st, cb_ghost, &g, &err), PP_OK);
    assert_true(g.project_id > 0 && g.recipient_id > 0);
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM projects"), 0);
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM recipients"), 0);
    /* Same names again: had the cache kept the rolled-back ids, the payout
    ** would point at rows that do not exist (refused by the foreign keys). */
    assert_int_equal(move(fx->st, "EUR", PP_LEDGER_DEPOSIT, 500, 0, NULL, &err), PP_OK);
    struct create_arg c = {
        .project = "Ghost", .user_name = "ghost", .currency = "EUR", .amount = 200};
    assert_int_equal(fx_write(fx->st, cb_create, &c, &err), PP_OK);
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM projects WHERE name = 'Ghost'"), 1);
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM recipients WHERE user_name = 'ghost'"),
                     1);
    /* And once committed, the cached ids serve the next create. */
    assert_int_equal(fx_write(fx->st, cb_create, &c, &err), PP_OK);
    assert_int_equal(raw_int(fx->path, "SELECT count(DISTINCT project_id) FROM payouts"), 1);
    assert_int_equal(raw_int(fx->path, "SELECT count(DISTINCT recipient_id) FROM payouts"), 1);
    struct report rep;
    assert_int_equal(check_problems(fx->st, &rep), 0);
    struct pp_balance b = balance_of(fx->st, "EUR");
    assert_int_equal(b.available, 100);
    assert_int_equal(b.blocked, 400);
}

static void test_request_rolled_back_leaves_no_cache(void **state)
{
    ghost_then_create(*state, 0);
}

static void test_batch_rolled_back_leaves_no_cache(void **state)
{
    ghost_then_create(*state, 1);
}

/* Saves r (given id, or a new one) and returns its id. */
struct save_arg {
    struct pp_recipient r;
};

static enum pp_status cb_save(struct store_sqlite_tx *tx, void *arg, struct pp_err *err)
{
    struct save_arg *a = arg;
    return store_sqlite_tx_recipient_save(tx, &a->r, 1000, err);
}

struct find_arg {
    enum pp_ident which;
    const char *value;
    struct pp_recipient out;
    int found;
};

static enum pp_status cb_find(struct store_sqlite_tx *tx, void *arg, struct pp_err *err)
{
    struct find_arg *a = arg;
    return store_sqlite_tx_recipient_find(tx, a->which, a->value, &a->out, &a->found, err);
}

static int find(struct store *st, enum pp_ident which, const char *value, int64_t *id_out)
{
    struct pp_err err;
    pp_err_clear(&err);
    struct find_arg f = {.which = which, .value = value};
    assert_int_equal(fx_write(st, cb_find, &f, &err), PP_OK);
    *id_out = f.found ? f.out.id : 0;
    return f.found;
}

static void test_recipient_identifier_changed(void **state)
{
    struct fx *fx = *state;
    struct pp_err err;
    pp_err_clear(&err);
    struct save_arg x = {0};
    snprintf(x.r.user_name, sizeof x.r.user_name, "alice");
    snprintf(x.r.phone_number, sizeof x.r.phone_number, "+1555");
    assert_int_equal(fx_write(fx->st, cb_save, &x, &err), PP_OK);
    int64_t id = 0;
    assert_true(find(fx->st, PP_IDENT_USER_NAME, "alice", &id));
    assert_int_equal(id, x.r.id);
    /* alice becomes alicia: the cached "alice" must not find her. */
    snprintf(x.r.user_name, sizeof x.r.user_name, "alicia");
    snprintf(x.r.first_name, sizeof x.r.first_name, "Alicia");
    assert_int_equal(fx_write(fx->st, cb_save, &x, &err), PP_OK);
    assert_false(find(fx->st, PP_IDENT_USER_NAME, "alice", &id));
    assert_true(find(fx->st, PP_IDENT_USER_NAME, "alicia", &id));
    assert_int_equal(id, x.r.id);
    struct find_arg f = {.which = PP_IDENT_PHONE_NUMBER, .value = "+1555"};
    assert_int_equal(fx_write(fx->st, cb_find, &f, &err), PP_OK);
    assert_true(f.found);
    assert_string_equal(f.out.first_name, "Alicia");
    assert_string_equal(f.out.user_name, "alicia");
    /* Another recipient takes the old name: found as the new owner. */
    struct save_arg y = {0};
    snprintf(y.r.user_name, sizeof y.r.user_name, "alice");
    assert_int_equal(fx_write(fx->st, cb_save, &y, &err), PP_OK);
    assert_true(find(fx->st, PP_IDENT_USER_NAME, "alice", &id));
    assert_int_equal(id, y.r.id);
    assert_int_not_equal(y.r.id, x.r.id);
}

/* --- Balances of a batch, under concurrency ------------------------------ */

#define MIX_THREADS 8
#define MIX_ROUNDS 60
#define MIX_AMOUNT 7

struct mix_thread {
    struct store *st;
    int t;
    int created;
    int wrong;
};

/* Deposits 1 and refuses after writing: the batch's balance must come back. */
static enum pp_status cb_deposit_refused(struct store_sqlite_tx *tx, void *arg, struct pp_err *err)
{
    (void)arg;
    struct pp_movement m = movement("EUR", PP_LEDGER_DEPOSIT, 1, 0);
    enum pp_status s = store_sqlite_tx_funds_move(tx, &m, NULL, err);
    return s == PP_OK ? pp_err_set(err, PP_INVALID_PARAMS, "refused after writing") : s;
}

static void *mix_main(void *p)
{
    struct mix_thread *m = p;
    for (int i = 0; i < MIX_ROUNDS; i++) {
        struct pp_err err;
        pp_err_clear(&err);
        char user[32];
        snprintf(user, sizeof user, "mix-%d", i % 5);
        struct create_arg c = {
            .project = i % 2 ? "Mix A" : "Mix B", .user_name = user, .currency = "EUR"};
        switch (i % 3) {
        case 0:
            c.amount = MIX_AMOUNT;
            if (fx_write(m->st, cb_create, &c, &err) == PP_OK) {
                m->created++;
            } else if (err.status != PP_INSUFFICIENT_FUNDS) {
                m->wrong++;
            }
            break;
        case 1:
            m->wrong += fx_write(m->st, cb_deposit_refused, NULL, &err) != PP_INVALID_PARAMS;
            break;
        default:
            /* More than there ever is: refused for funds, before any write. */
            c.amount = 1000000;
            m->wrong += fx_write(m->st, cb_create, &c, &err) != PP_INSUFFICIENT_FUNDS;
            break;
        }
    }
    return NULL;
}

static void test_batch_balances_exact(void **state)
{
    struct fx *fx = *state;
    struct pp_err err;
    pp_err_clear(&err);
    /* Enough for 3/4 of the creates: the last ones are refused for funds. */
    int64_t creates = MIX_THREADS * ((MIX_ROUNDS + 2) / 3);
    int64_t deposit = MIX_AMOUNT * (creates * 3 / 4);
    assert_int_equal(move(fx->st, "EUR", PP_LEDGER_DEPOSIT, deposit, 0, NULL, &err), PP_OK);
    pthread_t tids[MIX_THREADS];
    struct mix_thread m[MIX_THREADS];
    for (int t = 0; t < MIX_THREADS; t++) {
        m[t] = (struct mix_thread){.st = fx->st, .t = t};
        assert_int_equal(pthread_create(&tids[t], NULL, mix_main, &m[t]), 0);
    }
    int created = 0;
    for (int t = 0; t < MIX_THREADS; t++) {
        assert_int_equal(pthread_join(tids[t], NULL), 0);
        assert_int_equal(m[t].wrong, 0);
        created += m[t].created;
    }
    assert_int_equal(created, deposit / MIX_AMOUNT);
    struct pp_balance b = balance_of(fx->st, "EUR");
    assert_int_equal(b.available, 0);
    assert_int_equal(b.blocked, deposit);
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM payouts"), created);
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM projects"), 2);
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM recipients"), 5);
    struct report rep;
    assert_int_equal(check_problems(fx->st, &rep), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_request_rolled_back_leaves_no_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_rolled_back_leaves_no_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recipient_identifier_changed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_balances_exact, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
