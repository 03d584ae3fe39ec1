/*
** This module tests idempotent requests at the core (core/idempotency.c
** with core_write and a real database): keys are validated; scopes and
** fingerprints tell callers and requests apart; a request that wrote
** commits its key with its action and is replayed byte for byte; a key
** whose answer was never stored (the crash window between the action and
** its answer) is refused with CONFLICT, also after reopening the
** database, and never runs again; a request that failed before writing
** leaves no key; a different request with the key is CONFLICT; a
** concurrent request with the key waits and replays; the purge keeps keys
** for the TTL and removes them after.
*/
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "payout/core/app.h"
#include "payout/core/dates.h"
#include "payout/core/funds.h"
#include "payout/core/idempotency.h"
#include "payout/core/money.h"
#include "payout/core/payouts.h"
#include "support/tmpdir.h"

struct fixture {
    char dir[64];
    char db[128];
    struct core_app *app;
};

static const struct pp_actor admin1 = {.kind = PP_ACTOR_ADMIN, .admin_id = 1, .addr = "10.0.0.1"};
static const struct pp_actor admin2 = {.kind = PP_ACTOR_ADMIN, .admin_id = 2, .addr = "10.0.0.2"};
static const struct pp_actor integrator = {.kind = PP_ACTOR_INTEGRATOR, .addr = "10.0.0.3"};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    struct pp_err err = {0};
    if (fx == NULL || unit_tmpdir_create("pp_idem_", "p.db", fx->dir, sizeof fx->dir, fx->db,
                                         sizeof fx->db) != 0) {
        free(fx);
        return -1;
    }
    if (core_app_open(fx->db, 2, &fx->app, &err) != PP_OK) {
        fprintf(stderr, "open: %s\n", err.message);
        return -1;
    }
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    core_app_close(fx->app);
    unit_tmpdir_destroy(fx->dir);
    free(fx);
    return 0;
}

static int64_t gbp_available(struct core_app *app)
{
    struct pp_balance b[8];
    size_t n = 0;
    struct pp_err err = {0};
    assert_int_equal(core_balances_list(app, b, 8, &n, &err), PP_OK);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(b[i].currency, "GBP") == 0) {
            return b[i].available;
        }
    }
    return 0;
}

/* One keyed deposit: begin, and when told to execute, the deposit as the
** current request, then finish storing answer_text (NULL: no answer).
** Returns begin's status; *decision and *answer as core_idem_begin. */
static enum pp_status keyed_deposit(struct core_app *app, const struct pp_actor *actor,
                                    const char *key, const char *body, int64_t minor,
                                    const char *answer_text, enum core_idem_decision *decision,
                                    struct core_idem_answer *answer, struct pp_err *err)
{
    struct core_idem_request r;
    core_idem_prepare(&r, actor, key, "POST", "/api/admin/funds/deposit", body, strlen(body));
    enum pp_status st = core_idem_begin(app, &r, decision, answer, err);
    if (st != PP_OK || *decision == CORE_IDEM_REPLAY) {
        return st;
    }
    struct pp_balance after;
    struct pp_err action_err = {0};
    core_idem_set_current(&r);
    enum pp_status done = core_funds_deposit(app, core_currency_find("GBP", 3), minor, NULL, actor,
                                             &after, &action_err);
    core_idem_set_current(NULL);
    assert_int_equal(r.recorded, done == PP_OK);
    struct core_idem_answer a = {.status = done == PP_OK ? 200 : 400};
    snprintf(a.content_type, sizeof a.content_type, "application/json");
    a.body = (char *)answer_text;
    a.body_len = answer_text != NULL ? strlen(answer_text) : 0;
    struct pp_err finish_err = {0};
    assert_int_equal(core_idem_finish(app, &r, answer_text != NULL ? &a : NULL, &finish_err),
                     PP_OK);
    return st;
}

static void test_key_validation(void **state)
{
    (void)state;
    char long_key[PP_IDEMPOTENCY_KEY_BYTES_MAX + 2];
    memset(long_key, 'k', sizeof long_key);
    long_key[PP_IDEMPOTENCY_KEY_BYTES_MAX] = '\0';
    assert_true(core_idem_key_valid(long_key));
    long_key[PP_IDEMPOTENCY_KEY_BYTES_MAX] = 'k';
    long_key[PP_IDEMPOTENCY_KEY_BYTES_MAX + 1] = '\0';
    assert_false(core_idem_key_valid(long_key));
    assert_true(core_idem_key_valid("a"));
    assert_true(core_idem_key_valid("order 42 / retry ~!"));
    assert_false(core_idem_key_valid(""));
    assert_false(core_idem_key_valid(NULL));
    assert_false(core_idem_key_valid("tab\there"));
    assert_false(core_idem_key_valid("nl\n"));
    assert_false(core_idem_key_valid("del\x7f"));
    assert_false(core_idem_key_valid("caf\xc3\xa9"));
}

static void test_scope_and_fingerprint(void **state)
{
    (void)state;
    struct core_idem_request a, b;
    core_idem_prepare(&a, &admin1, "k", "POST", "/x", "{}", 2);
    assert_string_equal(a.scope, "admin:1");
    core_idem_prepare(&b, &integrator, "k", "POST", "/x", "{}", 2);
    assert_string_equal(b.scope, "integrator");
    assert_memory_equal(a.fingerprint, b.fingerprint, sizeof a.fingerprint);
    core_idem_prepare(&b, &admin1, "k", "PUT", "/x", "{}", 2);
    assert_memory_not_equal(a.fingerprint, b.fingerprint, sizeof a.fingerprint);
    core_idem_prepare(&b, &admin1, "k", "POST", "/y", "{}", 2);
    assert_memory_not_equal(a.fingerprint, b.fingerprint, sizeof a.fingerprint);
    core_idem_prepare(&b, &admin1, "k", "POST", "/x", "{ }", 3);
    assert_memory_not_equal(a.fingerprint, b.fingerprint, sizeof a.fingerprint);
    /* Boundaries count: "/x" + "a" is not "/xa" + "". */
    core_idem_prepare(&a, &admin1, "k", "POST", "/x", "a", 1);
    core_idem_prepare(&b, &admin1, "k", "POST", "/xa", NULL, 0);
    assert_memory_not_equal(a.fingerprint, b.fingerprint, sizeof a.fingerprint);
}

static void test_replay_byte_for_byte(void **state)
{
    struct fixture *fx = *state;
    enum core_idem_decision d;
    struct core_idem_answer ans;
    struct pp_err err = {0};
    const char *text = "{\"currency\":\"GBP\",\"available\":1.5}";
    assert_int_equal(
        keyed_deposit(fx->app, &admin1, "dep-1", "{\"a\":1}", 150, text, &d, &ans, &err), PP_OK);
    assert_int_equal(d, CORE_IDEM_EXECUTE);
    assert_int_equal(gbp_available(fx->app), 150);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(
            keyed_deposit(fx->app, &admin1, "dep-1", "{\"a\":1}", 150, "other", &d, &ans, &err),
            PP_OK);
        assert_int_equal(d, CORE_IDEM_REPLAY);
        assert_int_equal(ans.status, 200);
        assert_string_equal(ans.content_type, "application/json");
        assert_int_equal(ans.body_len, strlen(text));
        assert_memory_equal(ans.body, text, ans.body_len);
        core_idem_answer_free(&ans);
    }
    assert_int_equal(gbp_available(fx->app), 150);
    /* Another admin's key of the same name is theirs alone. */
    assert_int_equal(
        keyed_deposit(fx->app, &admin2, "dep-1", "{\"a\":1}", 150, text, &d, &ans, &err), PP_OK);
    assert_int_equal(d, CORE_IDEM_EXECUTE);
    assert_int_equal(gbp_available(fx->app), 300);
    /* An empty answer body is stored and replayed as empty. */
    assert_int_equal(keyed_deposit(fx->app, &admin1, "dep-empty", "{}", 1, "", &d, &ans, &err),
                     PP_OK);
    assert_int_equal(keyed_deposit(fx->app, &admin1, "dep-empty", "{}", 1, "x", &d, &ans, &err),
                     PP_OK);
    assert_int_equal(d, CORE_IDEM_REPLAY);
    assert_int_equal(ans.body_len, 0);
    core_idem_answer_free(&ans);
}

static void test_different_request_conflicts(void **state)
{
    struct fixture *fx = *state;
    enum core_idem_decision d;
    struct core_idem_answer ans;
    struct pp_err err = {0};
    assert_int_equal(keyed_deposit(fx->app, &admin1, "k", "{\"a\":1}", 100, "{}", &d, &ans, &err),
                     PP_OK);
    err = (struct pp_err){0};
    assert_int_equal(keyed_deposit(fx->app, &admin1, "k", "{\"a\":2}", 200, "{}", &d, &ans, &err),
                     PP_CONFLICT);
    assert_non_null(strstr(err.message, "different request"));
    assert_int_equal(gbp_available(fx->app), 100);
}

static void test_lost_answer_is_conflict_never_rerun(void **state)
{
    struct fixture *fx = *state;
    enum core_idem_decision d;
    struct core_idem_answer ans;
    struct pp_err err = {0};
    /* The action commits with its key; the answer is never stored (as when
    ** the server dies between the two writes). */
    assert_int_equal(keyed_deposit(fx->app, &admin1, "lost", "{}", 700, NULL, &d, &ans, &err),
                     PP_OK);
    assert_int_equal(d, CORE_IDEM_EXECUTE);
    assert_int_equal(gbp_available(fx->app), 700);
    for (int round = 0; round < 2; round++) {
        err = (struct pp_err){0};
        assert_int_equal(keyed_deposit(fx->app, &admin1, "lost", "{}", 700, "{}", &d, &ans, &err),
                         PP_CONFLICT);
        assert_string_equal(err.message, "the first request with this key completed but its "
                                         "answer was lost; look the result up");
        assert_int_equal(gbp_available(fx->app), 700);
        /* The same after a restart. */
        core_app_close(fx->app);
        assert_int_equal(core_app_open(fx->db, 2, &fx->app, &err), PP_OK);
    }
}

static void test_failed_request_leaves_no_key(void **state)
{
    struct fixture *fx = *state;
    enum core_idem_decision d;
    struct core_idem_answer ans;
    struct pp_err err = {0};
    /* Refused before writing (amount 0): no key, so a retry runs. */
    assert_int_equal(
        keyed_deposit(fx->app, &admin1, "retry", "{}", 0, "{\"error\":1}", &d, &ans, &err), PP_OK);
    assert_int_equal(d, CORE_IDEM_EXECUTE);
    assert_int_equal(
        keyed_deposit(fx->app, &admin1, "retry", "{}", 5, "{\"ok\":1}", &d, &ans, &err), PP_OK);
    assert_int_equal(d, CORE_IDEM_EXECUTE);
    assert_int_equal(gbp_available(fx->app), 5);
    /* A payout refused for want of funds is rolled back with its key. */
    struct core_payout_request req = {
        .currency = core_currency_find("GBP", 3),
        .amount_minor = 1000,
        .start_ms = 1514808000000,
        .end_ms = 1514894400000,
        .project_name = "P",
        .description = "d",
        .metadata = "",
    };
    snprintf(req.recipient.user_name, sizeof req.recipient.user_name, "u");
    struct core_idem_request r;
    struct pp_payout p;
    core_idem_prepare(&r, &integrator, "pay", "POST", "/api/payment/create", "{}", 2);
    assert_int_equal(core_idem_begin(fx->app, &r, &d, &ans, &err), PP_OK);
    core_idem_set_current(&r);
    err = (struct pp_err){0};
    assert_int_equal(core_payout_create(fx->app, &req, &integrator, &p, NULL, &err),
                     PP_INSUFFICIENT_FUNDS);
    core_idem_set_current(NULL);
    assert_false(r.recorded);
    assert_int_equal(core_idem_finish(fx->app, &r, NULL, &err), PP_OK);
    assert_int_equal(core_idem_begin(fx->app, &r, &d, &ans, &err), PP_OK);
    assert_int_equal(d, CORE_IDEM_EXECUTE);
    assert_int_equal(core_idem_finish(fx->app, &r, NULL, &err), PP_OK);
}

struct waiter {
    struct core_app *app;
    enum pp_status st;
    enum core_idem_decision d;
    struct core_idem_answer ans;
    int done;
    pthread_mutex_t mu;
};

static void *wait_main(void *arg)
{
    struct waiter *w = arg;
    struct core_idem_request r;
    struct pp_err err = {0};
    core_idem_prepare(&r, &admin1, "busy", "POST", "/p", "{}", 2);
    w->st = core_idem_begin(w->app, &r, &w->d, &w->ans, &err);
    if (w->st == PP_OK && w->d == CORE_IDEM_EXECUTE) {
        core_idem_finish(w->app, &r, NULL, &err);
    }
    pthread_mutex_lock(&w->mu);
    w->done = 1;
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

static void test_concurrent_request_waits_then_replays(void **state)
{
    struct fixture *fx = *state;
    struct core_idem_request r;
    enum core_idem_decision d;
    struct core_idem_answer ans;
    struct pp_err err = {0};
    core_idem_prepare(&r, &admin1, "busy", "POST", "/p", "{}", 2);
    assert_int_equal(core_idem_begin(fx->app, &r, &d, &ans, &err), PP_OK);
    assert_int_equal(d, CORE_IDEM_EXECUTE);
    struct waiter w = {.app = fx->app};
    pthread_mutex_init(&w.mu, NULL);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, wait_main, &w), 0);
    struct timespec pause = {0, 200 * 1000 * 1000};
    nanosleep(&pause, NULL);
    pthread_mutex_lock(&w.mu);
    int early = w.done;
    pthread_mutex_unlock(&w.mu);
    assert_false(early); /* it waits for us */
    struct pp_balance after;
    core_idem_set_current(&r);
    assert_int_equal(
        core_funds_deposit(fx->app, core_currency_find("GBP", 3), 9, NULL, &admin1, &after, &err),
        PP_OK);
    core_idem_set_current(NULL);
    struct core_idem_answer a = {.status = 201, .body = "done", .body_len = 4};
    snprintf(a.content_type, sizeof a.content_type, "text/plain");
    assert_int_equal(core_idem_finish(fx->app, &r, &a, &err), PP_OK);
    pthread_join(t, NULL);
    assert_int_equal(w.st, PP_OK);
    assert_int_equal(w.d, CORE_IDEM_REPLAY);
    assert_int_equal(w.ans.status, 201);
    assert_string_equal(w.ans.content_type, "text/plain");
    assert_memory_equal(w.ans.body, "done", 4);
    core_idem_answer_free(&w.ans);
    pthread_mutex_destroy(&w.mu);
    assert_int_equal(gbp_available(fx->app), 9);
}

static void test_purge_keeps_the_ttl(void **state)
{
    struct fixture *fx = *state;
    enum core_idem_decision d;
    struct core_idem_answer ans;
    struct pp_err err = {0};
    int64_t deleted = -1;
    assert_int_equal(keyed_deposit(fx->app, &admin1, "old", "{}", 1, "{}", &d, &ans, &err), PP_OK);
    int64_t now = core_now_ms();
    const int64_t hour = 3600 * 1000;
    assert_int_equal(core_idem_purge(fx->app, now + 23 * hour, &deleted, &err), PP_OK);
    assert_int_equal(deleted, 0);
    assert_int_equal(keyed_deposit(fx->app, &admin1, "old", "{}", 1, "{}", &d, &ans, &err), PP_OK);
    assert_int_equal(d, CORE_IDEM_REPLAY);
    core_idem_answer_free(&ans);
    assert_int_equal(core_idem_purge(fx->app, now + 25 * hour, &deleted, &err), PP_OK);
    assert_int_equal(deleted, 1);
    /* Gone: the key may be used afresh. */
    assert_int_equal(keyed_deposit(fx->app, &admin1, "old", "{}", 1, "{}", &d, &ans, &err), PP_OK);
    assert_int_equal(d, CORE_IDEM_EXECUTE);
    assert_int_equal(gbp_available(fx->app), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_validation),
        cmocka_unit_test(test_scope_and_fingerprint),
        cmocka_unit_test_setup_teardown(test_replay_byte_for_byte, setup, teardown),
        cmocka_unit_test_setup_teardown(test_different_request_conflicts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lost_answer_is_conflict_never_rerun, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_request_leaves_no_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_request_waits_then_replays, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_purge_keeps_the_ttl, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
