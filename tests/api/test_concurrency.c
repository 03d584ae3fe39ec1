/*
** This module tests the server under parallel requests: more creates than
** the funds can cover, fired at once from several threads (each with its
** own curl handle), must succeed exactly as often as the funds allow; the
** same recipient and project named in parallel must each be created once;
** parallel cancels of the same ids must cancel each payout exactly once;
** parallel deposits must all land. After each round the balances are exact
** and `check` passes.
**
** Worker threads never assert (cmocka's failures longjmp); they record
** every response, and the main thread checks them afterwards.
*/
#include "harness.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 6
#define CREATES_PER_THREAD 10
#define CREATES_TOTAL (THREADS * CREATES_PER_THREAD)
#define AFFORDABLE 20 /* K: payouts the deposit covers */
#define AMOUNT "1.25"
#define DEPOSIT "25"           /* AFFORDABLE * AMOUNT */
#define DEPOSITS_PER_THREAD 20 /* of 0.01 each */
#define CYCLES_PER_THREAD 8    /* create + cancel of 0.1 */

static struct pp_server srv;
static char *admin_token;
static char *api_key;

static struct pp_resp *creates[THREADS][CREATES_PER_THREAD];
static int create_shares_user[THREADS][CREATES_PER_THREAD];
static int create_shares_project[THREADS][CREATES_PER_THREAD];
static long long created_ids[CREATES_TOTAL];
static size_t created_count;

static pthread_barrier_t barrier;

static const char *const funds[] = {"GBP", DEPOSIT, NULL};
static void before_stop(void)
{
    for (size_t t = 0; t < THREADS; t++) {
        for (size_t i = 0; i < CREATES_PER_THREAD; i++) {
            pp_resp_free(creates[t][i]);
            creates[t][i] = NULL;
        }
    }
}

static void *create_worker(void *arg)
{
    size_t t = *(size_t *)arg;
    CURL *h = curl_easy_init();
    pthread_barrier_wait(&barrier);
    for (size_t i = 0; i < CREATES_PER_THREAD; i++) {
        int shared_user = i % 2 == 0;
        int shared_project = i % 3 == 0;
        char user[64], project[64];
        snprintf(user, sizeof user, "%s", shared_user ? "shared-recipient" : "");
        if (!shared_user) {
            snprintf(user, sizeof user, "u-%zu-%zu", t, i);
        }
        snprintf(project, sizeof project, "%s", shared_project ? "Race project" : "");
        if (!shared_project) {
            snprintf(project, sizeof project, "p-%zu-%zu", t, i);
        }
        char *body = pp_fmt("{\"amount\":" AMOUNT ",\"currency\":\"GBP\","
                            "\"startDate\":\"2031-01-01T00:00:00Z\","
                            "\"endDate\":\"2031-06-01T00:00:00Z\",\"name\":\"%s\","
                            "\"description\":\"race\",\"userName\":\"%s\",\"notification\":false}",
                            project, user);
        creates[t][i] = pp_request_post(&srv, h, "/api/payment/create", api_key, body);
        create_shares_user[t][i] = shared_user;
        create_shares_project[t][i] = shared_project;
        free(body);
    }
    curl_easy_cleanup(h);
    return NULL;
}

static void test_parallel_creates_respect_funds(void **state)
{
    (void)state;
    pp_threads_run(THREADS, create_worker, &barrier);

    size_t ok = 0, refused = 0;
    long long shared_recipient = 0, race_project = 0;
    for (size_t t = 0; t < THREADS; t++) {
        for (size_t i = 0; i < CREATES_PER_THREAD; i++) {
            struct pp_resp *r = creates[t][i];
            assert_non_null(r);
            if (r->status == 0) {
                fail_msg("create %zu/%zu: no response: %s", t, i, r->error);
            }
            const char *rid = pp_resp_header(r, "X-Request-Id");
            assert_true(rid != NULL && rid[0] != '\0');
            if (r->status == 422) {
                pp_assert_error(r, 422, "INSUFFICIENT_FUNDS");
                refused++;
                continue;
            }
            pp_assert_status(r, 200);
            const json_t *p = json_array_get(json_object_get(r->json, "payments"), 0);
            struct pp_payment_want want = {.amount = AMOUNT,
                                           .currency = "GBP",
                                           .start_date = "2031-01-01T00:00:00.000Z",
                                           .end_date = "2031-06-01T00:00:00.000Z",
                                           .description = "race",
                                           .notification = 0,
                                           .status = "READY"};
            pp_assert_payment(r, "payments[0]", p, &want);
            long long id = pp_json_int(p, "id");
            for (size_t k = 0; k < created_count; k++) {
                if (created_ids[k] == id) {
                    fail_msg("payout id %lld was given twice", id);
                }
            }
            created_ids[created_count++] = id;
            long long recipient = pp_json_int(p, "recipientId");
            long long project = pp_json_int(p, "projectId");
            if (create_shares_user[t][i]) {
                if (shared_recipient == 0) {
                    shared_recipient = recipient;
                }
                assert_int_equal(recipient, shared_recipient);
            }
            if (create_shares_project[t][i]) {
                if (race_project == 0) {
                    race_project = project;
                }
                assert_int_equal(project, race_project);
            }
            ok++;
        }
    }
    assert_int_equal(ok, AFFORDABLE);
    assert_int_equal(refused, CREATES_TOTAL - AFFORDABLE);
    pp_assert_balance_now(&srv, api_key, "GBP", "0", DEPOSIT, "0");
    pp_assert_check(srv.db_path, "after parallel creates");
}

static long long cancel_success[THREADS];

static void *cancel_worker(void *arg)
{
    size_t t = *(size_t *)arg;
    /* Every thread names every payout, each in its own order. */
    char body[4096];
    size_t used = (size_t)snprintf(body, sizeof body, "{\"ids\":[");
    for (size_t k = 0; k < created_count; k++) {
        size_t j = (k * 7 + t * 3) % created_count;
        used += (size_t)snprintf(body + used, sizeof body - used, "%s%lld", k > 0 ? "," : "",
                                 created_ids[j]);
    }
    snprintf(body + used, sizeof body - used, "]}");
    CURL *h = curl_easy_init();
    pthread_barrier_wait(&barrier);
    struct pp_resp *r = pp_request_post(&srv, h, "/api/payment/cancel", api_key, body);
    cancel_success[t] = -1;
    if (r != NULL && r->status == 200 && json_is_integer(json_object_get(r->json, "success"))) {
        cancel_success[t] = (long long)json_integer_value(json_object_get(r->json, "success"));
    } else if (r != NULL) {
        fprintf(stderr, "cancel thread %zu: %ld %s %s\n", t, r->status, r->error, r->body);
    }
    pp_resp_free(r);
    curl_easy_cleanup(h);
    return NULL;
}

static void test_parallel_cancels_count_once(void **state)
{
    (void)state;
    assert_int_equal(created_count, AFFORDABLE);
    pp_threads_run(THREADS, cancel_worker, &barrier);
    long long total = 0;
    for (size_t t = 0; t < THREADS; t++) {
        if (cancel_success[t] < 0) {
            fail_msg("cancel thread %zu failed", t);
        }
        total += cancel_success[t];
    }
    assert_int_equal(total, AFFORDABLE);
    for (size_t k = 0; k < created_count; k++) {
        char *path = pp_fmt("/api/payments/%lld", created_ids[k]);
        struct pp_resp *r = pp_get(&srv, path, api_key);
        pp_assert_status(r, 200);
        pp_assert_json_str(r->json, "status", "CANCELLED");
        pp_resp_free(r);
        free(path);
    }
    pp_assert_balance_now(&srv, api_key, "GBP", DEPOSIT, "0", "0");
    pp_assert_check(srv.db_path, "after parallel cancels");
}

static int deposit_failures[THREADS];

static void *deposit_worker(void *arg)
{
    size_t t = *(size_t *)arg;
    CURL *h = curl_easy_init();
    pthread_barrier_wait(&barrier);
    for (int i = 0; i < DEPOSITS_PER_THREAD; i++) {
        struct pp_req req = {.method = "POST",
                             .path = "/api/admin/funds/deposit",
                             .token = admin_token,
                             .body = "{\"currency\":\"GBP\",\"amount\":0.01}",
                             .body_len = PP_STRLEN};
        struct pp_resp *r = pp_request(&srv, h, &req);
        if (r == NULL || r->status != 200) {
            deposit_failures[t]++;
        }
        pp_resp_free(r);
    }
    curl_easy_cleanup(h);
    return NULL;
}

static void test_parallel_deposits_all_land(void **state)
{
    (void)state;
    pp_threads_run(THREADS, deposit_worker, &barrier);
    for (size_t t = 0; t < THREADS; t++) {
        assert_int_equal(deposit_failures[t], 0);
    }
    /* 25 + 6 * 20 * 0.01 */
    pp_assert_balance_now(&srv, api_key, "GBP", "26.2", "0", "0");
    pp_assert_check(srv.db_path, "after parallel deposits");
}

static int cycle_failures[THREADS];

static void *cycle_worker(void *arg)
{
    size_t t = *(size_t *)arg;
    CURL *h = curl_easy_init();
    pthread_barrier_wait(&barrier);
    for (int i = 0; i < CYCLES_PER_THREAD; i++) {
        char *body = pp_fmt("{\"amount\":0.1,\"currency\":\"GBP\",\"startDate\":\"2031-01-01\","
                            "\"endDate\":\"2031-02-01\",\"name\":\"cycle\",\"description\":\"c\","
                            "\"referenceId\":%zu,\"notification\":true}",
                            t * 1000 + (size_t)i);
        struct pp_resp *r = pp_request_post(&srv, h, "/api/payment/create", api_key, body);
        const json_t *p =
            r != NULL ? json_array_get(json_object_get(r->json, "payments"), 0) : NULL;
        if (r == NULL || r->status != 200 || !json_is_integer(json_object_get(p, "id"))) {
            cycle_failures[t]++;
        } else {
            char *ids =
                pp_fmt("{\"ids\":[%lld]}", (long long)json_integer_value(json_object_get(p, "id")));
            struct pp_req cancel = {.method = "POST",
                                    .path = "/api/payment/cancel",
                                    .token = api_key,
                                    .body = ids,
                                    .body_len = PP_STRLEN};
            struct pp_resp *c = pp_request(&srv, h, &cancel);
            if (c == NULL || c->status != 200 ||
                json_integer_value(json_object_get(c->json, "success")) != 1) {
                cycle_failures[t]++;
            }
            pp_resp_free(c);
            free(ids);
        }
        pp_resp_free(r);
        free(body);
    }
    curl_easy_cleanup(h);
    return NULL;
}

static void test_parallel_create_cancel_cycles(void **state)
{
    (void)state;
    pp_threads_run(THREADS, cycle_worker, &barrier);
    for (size_t t = 0; t < THREADS; t++) {
        assert_int_equal(cycle_failures[t], 0);
    }
    pp_assert_balance_now(&srv, api_key, "GBP", "26.2", "0", "0");
    pp_assert_check(srv.db_path, "after create/cancel cycles");
    pp_stop_and_check(&srv, "after SIGTERM");
}

static const struct pp_session session = {.srv = &srv,
                                          .admin_token = &admin_token,
                                          .api_key = &api_key,
                                          .funds = funds,
                                          .before_stop = before_stop};

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parallel_creates_respect_funds),
        cmocka_unit_test(test_parallel_cancels_count_once),
        cmocka_unit_test(test_parallel_deposits_all_land),
        cmocka_unit_test(test_parallel_create_cancel_cycles),
    };
    return pp_session_run("api.concurrency", tests, sizeof tests / sizeof tests[0], &session);
}
