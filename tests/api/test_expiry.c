/*
** This module tests expiry and the races of the payout lifecycle through
** the real server: payouts whose endDate passes (READY and UNAUTHORIZED)
** become EXPIRED and their funds are released exactly once; a payout that
** ends while the server is stopped is EXPIRED as soon as the server is
** back (and not before: with expiry off it stays open, yet cannot be
** received or authorized after its endDate); and many threads
** authorizing, receiving and cancelling the same payouts, also right at
** the moment they expire, end with exactly one outcome per payout. The
** balances are exact and `check` passes after every round.
**
** Worker threads never assert (cmocka's failures longjmp); they record
** what each request answered, and the main thread checks afterwards.
*/
#include "harness.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FAST_EXPIRY "PAYOUT_EXPIRY_INTERVAL_MS=200"
#define RACE_PAYOUTS 48
#define THREADS 6

static struct pp_server srv;
static struct pp_server *cur = &srv;
static char *admin_token;
static char *api_key;
static struct pp_server restarts[4];
static size_t restart_count;

static const char *const fast_env[] = {FAST_EXPIRY, NULL};
static const struct pp_server_opts server_opts = {.env = fast_env};
static void before_stop(void)
{
    for (size_t i = 0; i < restart_count; i++) {
        pp_server_destroy(&restarts[i]);
    }
}

/* --- Helpers ------------------------------------------------------------------ */

static void set_policy(const char *json)
{
    struct pp_resp *r = pp_put(cur, "/api/admin/settings/authorization", admin_token, json);
    pp_assert_status(r, 200);
    pp_resp_free(r);
}

/* Creates a GBP payout with the window [start_ms, end_ms] (end_ms 0:
** 2031) that must answer status want. Returns its id. */
static long long create(const char *amount, long long start_ms, long long end_ms, const char *want)
{
    char start[32], end[32];
    pp_iso_at(start_ms, start, sizeof start);
    snprintf(end, sizeof end, "2031-01-01T00:00:00Z");
    if (end_ms != 0) {
        pp_iso_at(end_ms, end, sizeof end);
    }
    char *body = pp_fmt("{\"amount\":%s,\"currency\":\"GBP\",\"startDate\":\"%s\","
                        "\"endDate\":\"%s\",\"name\":\"Expiry\",\"description\":\"d\","
                        "\"userName\":\"expiry-user\",\"notification\":false}",
                        amount, start, end);
    long long id = pp_payout_create(cur, api_key, body, want);
    free(body);
    return id;
}

/* Asserts an EXPIRED payout's expiredAt is after its endDate. */
static void assert_expired_after_end(long long id)
{
    struct pp_resp *r = pp_payout_get(cur, api_key, id);
    pp_assert_json_str(r->json, "status", "EXPIRED");
    const char *end = json_string_value(json_object_get(r->json, "endDate"));
    const char *expired = json_string_value(json_object_get(r->json, "expiredAt"));
    assert_non_null(expired);
    pp_assert_date_out(expired);
    /* Same fixed-width UTC form: text order is time order. */
    if (strcmp(expired, end) <= 0) {
        fail_msg("payout %lld expired at %s, not after its endDate %s", id, expired, end);
    }
    assert_null(json_object_get(r->json, "receivedAt"));
    assert_null(json_object_get(r->json, "cancelledAt"));
    pp_resp_free(r);
}

static void receive_refused(long long id, const char *why)
{
    char *body = pp_fmt("{\"id\":%lld}", id);
    struct pp_resp *r = pp_post(cur, "/api/payment/receive", api_key, body);
    pp_assert_error_says(r, 400, "INVALID_PARAMS", why);
    pp_resp_free(r);
    free(body);
}

/* Starts the next server on the current one's (stopped) database and
** signs the admin in; the admin's token serves as the API key too. */
static void start_next(const char *const *env)
{
    assert_true(restart_count < sizeof restarts / sizeof restarts[0]);
    struct pp_server *next = &restarts[restart_count++];
    pp_server_restart_signed_in(next, cur, env, &admin_token, &api_key);
    cur = next;
}

/* Stops the current server and starts another on the same database. */
static void restart(const char *const *env)
{
    pp_stop_and_check(cur, "stopped");
    start_next(env);
}

/* --- Expiry ----------------------------------------------------------------------- */

static void test_expiry_releases_once(void **state)
{
    (void)state;
    json_t *b = pp_deposit(cur, admin_token, "GBP", "10");
    json_decref(b);
    set_policy("{\"mode\":\"above\",\"thresholds\":{\"GBP\":2.5}}");
    long long now = pp_wall_ms();
    long long end = now + 2000;
    long long ready = create("2", now - 60000, end, "READY");
    long long unauthorized = create("3", now - 60000, end, "UNAUTHORIZED");
    long long open = create("1", now - 60000, 0, "READY");
    pp_assert_balance_now(cur, api_key, "GBP", "4", "6", "0");

    pp_payout_wait_status(cur, api_key, ready, "EXPIRED", 10000);
    pp_payout_wait_status(cur, api_key, unauthorized, "EXPIRED", 10000);
    assert_expired_after_end(ready);
    assert_expired_after_end(unauthorized);
    pp_assert_payout_status(cur, api_key, open, "READY");
    pp_assert_balance_now(cur, api_key, "GBP", "9", "1", "0");
    assert_int_equal(pp_audit_count(cur, admin_token, "payment.expire", ready, "system"), 1);
    assert_int_equal(pp_audit_count(cur, admin_token, "payment.expire", unauthorized, "system"), 1);
    assert_int_equal(pp_audit_count(cur, admin_token, "payment.expire", open, "system"), 0);
    /* Several more passes: nothing is released twice. */
    pp_sleep_ms(1000);
    pp_assert_balance_now(cur, api_key, "GBP", "9", "1", "0");
    pp_assert_check(cur->db_path, "after expiry");

    /* An expired payout is final. */
    receive_refused(ready, "expired");
    char *ids = pp_fmt("{\"ids\":[%lld,%lld]}", ready, unauthorized);
    pp_assert_success_count(cur, "/api/payment/cancel", api_key, ids, 0);
    pp_assert_success_count(cur, "/api/payment/authorize", admin_token, ids, 0);
    free(ids);
    pp_assert_payout_status(cur, api_key, ready, "EXPIRED");
    pp_assert_balance_now(cur, api_key, "GBP", "9", "1", "0");
}

static void test_expiry_while_stopped(void **state)
{
    (void)state;
    long long now = pp_wall_ms();
    long long end = now + 3000;
    long long soon = create("2", now - 60000, end, "READY");
    pp_assert_balance_now(cur, api_key, "GBP", "7", "3", "0");
    assert_int_equal(pp_server_stop(cur), 0);
    if (pp_wall_ms() >= end) {
        fail_msg("the server took more than 3 s to stop; the test's premise is gone");
    }
    pp_assert_check(cur->db_path, "stopped before the endDate");
    pp_sleep_ms((long)(end - pp_wall_ms()) + 300);

    /* Back up: expired before the server even listens, funds released once. */
    start_next(fast_env);
    assert_expired_after_end(soon);
    pp_assert_balance_now(cur, api_key, "GBP", "9", "1", "0");
    pp_sleep_ms(600);
    pp_assert_balance_now(cur, api_key, "GBP", "9", "1", "0");
    pp_assert_check(cur->db_path, "after the restart");
}

static void test_expiry_off_then_on(void **state)
{
    (void)state;
    static const char *const off[] = {"PAYOUT_EXPIRY_INTERVAL_MS=0", NULL};
    restart(off);
    long long now = pp_wall_ms();
    long long ready = create("2", now - 60000, now + 800, "READY");
    long long unauthorized = create("3", now - 60000, now + 800, "UNAUTHORIZED");
    pp_assert_balance_now(cur, api_key, "GBP", "4", "6", "0");
    pp_sleep_ms(1300);
    /* Expiry is off: still open, funds still blocked... */
    pp_assert_payout_status(cur, api_key, ready, "READY");
    pp_assert_payout_status(cur, api_key, unauthorized, "UNAUTHORIZED");
    pp_assert_balance_now(cur, api_key, "GBP", "4", "6", "0");
    /* ... yet its window is over: it cannot be received or authorized. */
    receive_refused(ready, "after its endDate");
    char *ids = pp_fmt("{\"ids\":[%lld]}", unauthorized);
    pp_assert_success_count(cur, "/api/payment/authorize", admin_token, ids, 0);
    free(ids);
    pp_assert_payout_status(cur, api_key, unauthorized, "UNAUTHORIZED");
    pp_assert_check(cur->db_path, "open past their endDate");

    /* The default interval (no environment): expired at start. */
    restart(NULL);
    assert_expired_after_end(ready);
    assert_expired_after_end(unauthorized);
    pp_assert_balance_now(cur, api_key, "GBP", "9", "1", "0");
    pp_assert_check(cur->db_path, "expired after the restart");
    /* Fast expiry again for the races below. */
    restart(fast_env);
    set_policy("{\"mode\":\"off\"}");
}

/* --- Races ------------------------------------------------------------------------ */

enum race_kind { RACE_AUTHORIZE, RACE_RECEIVE, RACE_CANCEL };

static long long race_ids[RACE_PAYOUTS];
static atomic_int successes[3][RACE_PAYOUTS];
static atomic_int failures;        /* answers other than 200 and the expected refusals */
static long long race_start_ms[3]; /* wall clock when each kind starts */
static pthread_barrier_t barrier;

/* One request of kind for payout i; counts a success; 1 when the answer
** was one of the expected ones. */
static int race_one(CURL *h, enum race_kind kind, size_t i)
{
    static const char *const paths[] = {"/api/payment/authorize", "/api/payment/receive",
                                        "/api/payment/cancel"};
    char body[64];
    if (kind == RACE_RECEIVE) {
        snprintf(body, sizeof body, "{\"id\":%lld,\"reference\":\"race\"}", race_ids[i]);
    } else {
        snprintf(body, sizeof body, "{\"ids\":[%lld]}", race_ids[i]);
    }
    struct pp_resp *r =
        pp_request_post(cur, h, paths[kind], kind == RACE_RECEIVE ? api_key : admin_token, body);
    int ok = 0;
    if (r != NULL && r->status == 200) {
        if (kind == RACE_RECEIVE) {
            atomic_fetch_add(&successes[kind][i], 1);
            ok = 1;
        } else {
            json_int_t n = json_integer_value(json_object_get(r->json, "success"));
            atomic_fetch_add(&successes[kind][i], (int)n);
            ok = n == 0 || n == 1;
        }
    } else if (r != NULL && r->status == 400 && kind == RACE_RECEIVE) {
        ok = 1; /* refused: not authorized yet, closed, or past its window */
    }
    pp_resp_free(r);
    return ok;
}

static void *race_worker(void *arg)
{
    size_t t = *(size_t *)arg;
    enum race_kind kind = (enum race_kind)(t % 3);
    CURL *h = curl_easy_init();
    pthread_barrier_wait(&barrier);
    long long wait = race_start_ms[kind] - pp_wall_ms();
    if (wait > 0) {
        pp_sleep_ms((long)wait);
    }
    /* Each thread its own order; receivers go round twice. */
    size_t rounds = kind == RACE_RECEIVE ? 2 : 1;
    for (size_t round = 0; round < rounds; round++) {
        for (size_t k = 0; k < RACE_PAYOUTS; k++) {
            size_t i = (k * (t % 2 ? 7 : 11) + t * 5 + round * 3) % RACE_PAYOUTS;
            if (!race_one(h, kind, i)) {
                atomic_fetch_add(&failures, 1);
            }
        }
    }
    curl_easy_cleanup(h);
    return NULL;
}

static void run_race(void)
{
    memset(successes, 0, sizeof successes);
    atomic_store(&failures, 0);
    pp_threads_run(THREADS, race_worker, &barrier);
    assert_int_equal(atomic_load(&failures), 0);
}

/* Checks every race payout against the recorded successes: exactly one
** outcome each. Returns how many were received. */
static int race_outcomes(int may_expire, int *expired_out)
{
    int received = 0, expired = 0;
    for (size_t i = 0; i < RACE_PAYOUTS; i++) {
        int a = atomic_load(&successes[RACE_AUTHORIZE][i]);
        int rc = atomic_load(&successes[RACE_RECEIVE][i]);
        int c = atomic_load(&successes[RACE_CANCEL][i]);
        struct pp_resp *r = pp_payout_get(cur, api_key, race_ids[i]);
        const char *status = json_string_value(json_object_get(r->json, "status"));
        int is_expired = strcmp(status, "EXPIRED") == 0;
        if (a > 1 || rc + c + is_expired != 1 || (rc == 1) != (strcmp(status, "RECEIVED") == 0) ||
            (c == 1) != (strcmp(status, "CANCELLED") == 0) || (is_expired && !may_expire) ||
            (a == 1) != (json_object_get(r->json, "authorizedAt") != NULL)) {
            fail_msg("payout %lld: authorized %d, received %d, cancelled %d times, now %s",
                     race_ids[i], a, rc, c, r->body);
        }
        received += rc;
        expired += is_expired;
        pp_resp_free(r);
    }
    *expired_out = expired;
    return received;
}

static void test_race_authorize_receive_cancel(void **state)
{
    (void)state;
    /* 48 payouts of 0.25 GBP awaiting authorization. */
    json_t *b = pp_deposit(cur, admin_token, "GBP", "12");
    json_decref(b);
    pp_assert_balance_now(cur, api_key, "GBP", "21", "1", "0");
    set_policy("{\"mode\":\"always\"}");
    long long now = pp_wall_ms();
    for (size_t i = 0; i < RACE_PAYOUTS; i++) {
        race_ids[i] = create("0.25", now - 60000, 0, "UNAUTHORIZED");
    }
    set_policy("{\"mode\":\"off\"}");
    pp_assert_balance_now(cur, api_key, "GBP", "9", "13", "0");
    race_start_ms[RACE_AUTHORIZE] = race_start_ms[RACE_RECEIVE] = 0;
    race_start_ms[RACE_CANCEL] = pp_wall_ms() + 30; /* receivers get a head start */
    run_race();
    int expired = 0;
    int received = race_outcomes(0, &expired);
    print_message("authorize/receive/cancel race: %d received, %d cancelled\n", received,
                  RACE_PAYOUTS - received);
    char available[32], paid[32];
    pp_format_minor(900 + (RACE_PAYOUTS - received) * 25, 2, available, sizeof available);
    pp_format_minor(received * 25, 2, paid, sizeof paid);
    pp_assert_balance_now(cur, api_key, "GBP", available, "1", paid);
    pp_assert_check(cur->db_path, "after the authorize/receive/cancel race");
}

static void test_race_at_expiry(void **state)
{
    (void)state;
    struct pp_resp *before = pp_balances(cur, api_key);
    const json_t *gbp = json_array_get(json_object_get(before->json, "balances"), 0);
    pp_assert_json_str(gbp, "currency", "GBP");
    char available_text[32], paid_text[32];
    pp_json_number_text(before->body, before->body_len, "balances[0].available", available_text,
                        sizeof available_text);
    pp_json_number_text(before->body, before->body_len, "balances[0].paidOut", paid_text,
                        sizeof paid_text);
    pp_resp_free(before);
    long long available0 = (long long)(strtod(available_text, NULL) * 100 + 0.5);
    long long paid0 = (long long)(strtod(paid_text, NULL) * 100 + 0.5);
    assert_true(available0 >= RACE_PAYOUTS * 10);

    /* READY payouts of 0.1 GBP all ending 1.5 s from now. */
    long long now = pp_wall_ms();
    long long end = now + 1500;
    for (size_t i = 0; i < RACE_PAYOUTS; i++) {
        race_ids[i] = create("0.1", now - 60000, end, "READY");
    }
    /* Receivers start just before the end (a receive takes about a
    ** millisecond, so only some make it), cancellers a little after it;
    ** expiry (every 200 ms) competes with them for whatever is left. */
    race_start_ms[RACE_AUTHORIZE] = end - 100;
    race_start_ms[RACE_RECEIVE] = end - 20;
    race_start_ms[RACE_CANCEL] = end + 5;
    run_race();
    for (size_t i = 0; i < RACE_PAYOUTS; i++) {
        struct pp_resp *r = pp_payout_get(cur, api_key, race_ids[i]);
        const char *status = json_string_value(json_object_get(r->json, "status"));
        int open = strcmp(status, "READY") == 0;
        pp_resp_free(r);
        if (open) {
            pp_payout_wait_status(cur, api_key, race_ids[i], "EXPIRED", 5000);
        }
    }
    int expired = 0;
    int received = race_outcomes(1, &expired);
    /* Each expired payout is in the audit log exactly once, the others not. */
    for (size_t i = 0; i < RACE_PAYOUTS; i++) {
        struct pp_resp *r = pp_payout_get(cur, api_key, race_ids[i]);
        int is_expired =
            strcmp(json_string_value(json_object_get(r->json, "status")), "EXPIRED") == 0;
        pp_resp_free(r);
        assert_int_equal(pp_audit_count(cur, admin_token, "payment.expire", race_ids[i], "system"),
                         is_expired);
    }
    print_message("race at expiry: %d received, %d cancelled, %d expired\n", received,
                  RACE_PAYOUTS - received - expired, expired);
    char available[32], paid[32];
    pp_format_minor(available0 - received * 10, 2, available, sizeof available);
    pp_format_minor(paid0 + received * 10, 2, paid, sizeof paid);
    pp_assert_balance_now(cur, api_key, "GBP", available, "1", paid);
    pp_assert_check(cur->db_path, "after the race at expiry");
    pp_stop_and_check(cur, "after SIGTERM");
}

static const struct pp_session session = {.srv = &srv,
                                          .admin_token = &admin_token,
                                          .api_key = &api_key,
                                          .opts = &server_opts,
                                          .before_stop = before_stop};

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expiry_releases_once),
        cmocka_unit_test(test_expiry_while_stopped),
        cmocka_unit_test(test_expiry_off_then_on),
        cmocka_unit_test(test_race_authorize_receive_cancel),
        cmocka_unit_test(test_race_at_expiry),
    };
    return pp_session_run("api.expiry", tests, sizeof tests / sizeof tests[0], &session);
}
