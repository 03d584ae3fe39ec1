/*
** Unit test of the store's write guard (payout/store/store.h) on the
** SQLite backend: a guarded write runs only when its guard holds on the
** settings as the write's own transaction reads them; a refused one runs
** none of its callback and answers PP_UNAUTHORIZED with the guard's
** refusal; a key not stored reaches the test as NULL; once a write found
** the guard holding, the thread's later writes are not checked again; and
** guarded writes of many threads in one batch each get their own answer.
** (The PostgreSQL writer's guard, read once per batch with the lock row, is
** tested through the API by api_pg.test_nodes.)
*/
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "payout/store/store.h"
#include "store/sqlite/internal.h"
#include "support/store_fixture.h"

#define REFUSAL "the switch is off"

/* Holds when the first key's value equals the text of g->expected. */
static int holds_equal(const struct store_write_guard *g, const char *const *values)
{
    char want[24];
    snprintf(want, sizeof want, "%lld", (long long)g->expected);
    return values[0] != NULL && strcmp(values[0], want) == 0;
}

/* Holds when the first key is not stored. */
static int holds_absent(const struct store_write_guard *g, const char *const *values)
{
    (void)g;
    return values[0] == NULL;
}

static void guard_init(struct store_write_guard *g, const char *key, int64_t expected,
                       int (*holds)(const struct store_write_guard *, const char *const *))
{
    memset(g, 0, sizeof *g);
    g->keys[0] = key;
    g->count = 1;
    g->holds = holds;
    g->expected = expected;
    g->refusal = REFUSAL;
}

/* The stored value of key, or "" when none. */
static void setting(struct store *st, const char *key, char *out, size_t size)
{
    struct pp_err err = {0};
    int found = 0;
    assert_int_equal(store_setting_get(st, key, out, size, &found, &err), PP_OK);
    if (!found) {
        out[0] = '\0';
    }
}

/* Stores switch = 1 and sets g, which wants it so, as the thread's guard. */
static void guard_switch_on(struct fx *fx, struct store_write_guard *g)
{
    assert_int_equal(put_setting(fx->st, "switch", "1"), PP_OK);
    guard_init(g, "switch", 1, holds_equal);
    store_write_guard_set(g);
}

static void test_guard_holds(void **state)
{
    struct fx *fx = *state;
    char v[32];
    struct store_write_guard g;
    guard_switch_on(fx, &g);
    assert_int_equal(put_setting(fx->st, "x", "written"), PP_OK);
    store_write_guard_set(NULL);
    assert_int_equal(g.outcome, STORE_GUARD_HELD);
    setting(fx->st, "x", v, sizeof v);
    assert_string_equal(v, "written");
}

static void test_guard_refuses(void **state)
{
    struct fx *fx = *state;
    char v[32];
    assert_int_equal(put_setting(fx->st, "switch", "0"), PP_OK);
    assert_int_equal(put_setting(fx->st, "x", "before"), PP_OK);
    struct store_write_guard g;
    guard_init(&g, "switch", 1, holds_equal);
    store_write_guard_set(&g);
    struct setting_arg a = {.key = "x", .value = "after"};
    struct pp_err err = {0};
    assert_int_equal(fx_write(fx->st, cb_setting_put, &a, &err), PP_UNAUTHORIZED);
    assert_string_equal(err.message, REFUSAL);
    assert_int_equal(g.outcome, STORE_GUARD_REFUSED);
    /* Refused again: a refusal is no reason to stop checking. */
    assert_int_equal(put_setting(fx->st, "x", "later"), PP_UNAUTHORIZED);
    store_write_guard_set(NULL);
    setting(fx->st, "x", v, sizeof v);
    assert_string_equal(v, "before");
    /* Without the guard the same write runs. */
    assert_int_equal(put_setting(fx->st, "x", "after"), PP_OK);
    setting(fx->st, "x", v, sizeof v);
    assert_string_equal(v, "after");
}

static void test_guard_key_not_stored(void **state)
{
    struct fx *fx = *state;
    struct store_write_guard g;
    guard_init(&g, "never-stored", 0, holds_absent);
    store_write_guard_set(&g);
    assert_int_equal(put_setting(fx->st, "x", "1"), PP_OK);
    assert_int_equal(g.outcome, STORE_GUARD_HELD);
    /* And a guard that wants a value finds none. */
    guard_init(&g, "never-stored", 1, holds_equal);
    assert_int_equal(put_setting(fx->st, "x", "2"), PP_UNAUTHORIZED);
    store_write_guard_set(NULL);
}

static void test_guard_checked_once(void **state)
{
    struct fx *fx = *state;
    char v[32];
    struct store_write_guard g;
    guard_switch_on(fx, &g);
    /* Held by the first write, which turns the switch off itself: the
    ** thread's next write is not checked again. */
    assert_int_equal(put_setting(fx->st, "switch", "0"), PP_OK);
    assert_int_equal(put_setting(fx->st, "x", "second"), PP_OK);
    store_write_guard_set(NULL);
    setting(fx->st, "x", v, sizeof v);
    assert_string_equal(v, "second");
}

/* --- Many guarded writes at once -------------------------------------------------- */

#define WRITERS 16

struct writer_arg {
    struct store *st;
    pthread_barrier_t *barrier;
    int64_t expected;
    char key[16];
    enum pp_status status;
    enum store_guard_outcome outcome;
};

static void *guarded_writer(void *p)
{
    struct writer_arg *w = p;
    struct store_write_guard g;
    guard_init(&g, "switch", w->expected, holds_equal);
    store_write_guard_set(&g);
    pthread_barrier_wait(w->barrier);
    w->status = put_setting(w->st, w->key, "done");
    store_write_guard_set(NULL);
    w->outcome = g.outcome;
    return NULL;
}

static void test_guards_in_one_batch(void **state)
{
    struct fx *fx = *state;
    assert_int_equal(put_setting(fx->st, "switch", "7"), PP_OK);
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, WRITERS);
    struct writer_arg args[WRITERS];
    pthread_t threads[WRITERS];
    for (int i = 0; i < WRITERS; i++) {
        args[i] = (struct writer_arg){.st = fx->st, .barrier = &barrier, .expected = i % 2 ? 7 : 8};
        snprintf(args[i].key, sizeof args[i].key, "w%d", i);
        assert_int_equal(pthread_create(&threads[i], NULL, guarded_writer, &args[i]), 0);
    }
    for (int i = 0; i < WRITERS; i++) {
        pthread_join(threads[i], NULL);
    }
    pthread_barrier_destroy(&barrier);
    for (int i = 0; i < WRITERS; i++) {
        char v[32];
        setting(fx->st, args[i].key, v, sizeof v);
        if (i % 2) {
            assert_int_equal(args[i].status, PP_OK);
            assert_int_equal(args[i].outcome, STORE_GUARD_HELD);
            assert_string_equal(v, "done");
        } else {
            assert_int_equal(args[i].status, PP_UNAUTHORIZED);
            assert_int_equal(args[i].outcome, STORE_GUARD_REFUSED);
            assert_string_equal(v, "");
        }
    }
}

/* A test that failed half-way left its guard set, on a stack frame that
** is gone: the next test's writes must not read it. */
static int guard_teardown(void **state)
{
    store_write_guard_set(NULL);
    return teardown(state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_guard_holds, setup, guard_teardown),
        cmocka_unit_test_setup_teardown(test_guard_refuses, setup, guard_teardown),
        cmocka_unit_test_setup_teardown(test_guard_key_not_stored, setup, guard_teardown),
        cmocka_unit_test_setup_teardown(test_guard_checked_once, setup, guard_teardown),
        cmocka_unit_test_setup_teardown(test_guards_in_one_batch, setup, guard_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
