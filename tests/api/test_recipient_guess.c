/*
** This module tests creates whose recipient the writer's cache does not
** know, on a database holding more recipients than the cache reads when
** it fills (PP_WRITER_WARM_RECIPIENTS). On PostgreSQL, once the database
** says a request's userName is new, the writer takes that request's other
** identifiers as new too and only checks it later in the batch; here the
** phoneNumber belongs to the oldest recipient, which the cache never
** read, so the check finds it, the fast run is void and the batch runs
** again carefully. The answer must be what the recipient rule says (the
** payout goes to the stored recipient, who gains the userName), the
** creates beside it in the batch must succeed, and `check` must pass. The
** list that stores the recipients is longer than one multi-row insert
** (PP_PG_BULK_ROWS_MAX), so it is sent in pieces. It runs on both
** backends, with the same assertions.
**
** Worker threads never assert; the main thread checks their answers.
*/
#include "harness.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* More recipients than the cache reads when it fills
** (PP_WRITER_WARM_RECIPIENTS, 8192, in include/payout/limits.h). */
#define OLD_RECIPIENTS 8208
#define THREADS 6

static struct pp_server srv;
static struct pp_server next_srv;
static struct pp_server *cur = &srv;
static char *admin_token;
static char *api_key;
static struct pp_resp *answers[THREADS];
static pthread_barrier_t barrier;

static const char *const funds[] = {"GBP", "100000", NULL};

static void before_stop(void)
{
    for (size_t t = 0; t < THREADS; t++) {
        pp_resp_free(answers[t]);
        answers[t] = NULL;
    }
    pp_server_destroy(&next_srv);
}

static void *create_worker(void *arg)
{
    size_t t = *(size_t *)arg;
    /* Thread 0: a new userName with the oldest recipient's phone number;
    ** the others: recipients of their own. */
    char *body = pp_fmt("{\"amount\":1,\"currency\":\"GBP\",\"startDate\":\"2031-01-01T00:00:00Z\","
                        "\"endDate\":\"2031-06-01T00:00:00Z\",\"name\":\"Guess\","
                        "\"description\":\"guess %zu\",\"userName\":\"guess-%zu\","
                        "%s\"notification\":true,\"email\":\"guess-%zu@example.test\"}",
                        t, t, t == 0 ? "\"phoneNumber\":\"+447900000000\"," : "", t);
    CURL *h = curl_easy_init();
    pthread_barrier_wait(&barrier);
    answers[t] = pp_request_post(cur, h, "/api/payment/create", api_key, body);
    curl_easy_cleanup(h);
    free(body);
    return NULL;
}

static void test_recipient_taken_as_new_is_found(void **state)
{
    (void)state;
    long long oldest = pp_store_phone_recipients(cur, api_key, OLD_RECIPIENTS);
    /* A new process: its cache fills with the newest recipients only. */
    assert_int_equal(pp_server_stop(cur), 0);
    pp_server_restart_signed_in(&next_srv, cur, NULL, &admin_token, &api_key);
    cur = &next_srv;
    pthread_t threads[THREADS];
    size_t ids[THREADS];
    assert_int_equal(pthread_barrier_init(&barrier, NULL, THREADS), 0);
    for (size_t t = 0; t < THREADS; t++) {
        ids[t] = t;
        assert_int_equal(pthread_create(&threads[t], NULL, create_worker, &ids[t]), 0);
    }
    for (size_t t = 0; t < THREADS; t++) {
        assert_int_equal(pthread_join(threads[t], NULL), 0);
    }
    pthread_barrier_destroy(&barrier);
    for (size_t t = 0; t < THREADS; t++) {
        assert_non_null(answers[t]);
        if (answers[t]->status == 0) {
            fail_msg("create %zu: no response: %s", t, answers[t]->error);
        }
        pp_assert_status(answers[t], 200);
    }
    /* The payout went to the stored recipient, who gained the userName. */
    json_t *row = json_array_get(json_object_get(answers[0]->json, "payments"), 0);
    assert_int_equal(pp_json_int(row, "recipientId"), oldest);
    char *path = pp_fmt("/api/recipients/%lld", oldest);
    struct pp_resp *r = pp_get(cur, path, api_key);
    pp_assert_status(r, 200);
    assert_string_equal(json_string_value(json_object_get(r->json, "userName")), "guess-0");
    assert_string_equal(json_string_value(json_object_get(r->json, "phoneNumber")),
                        "+447900000000");
    pp_resp_free(r);
    free(path);
    /* The stored recipient now has that userName: with the next oldest
    ** one's phone number it names two recipients. */
    pp_expect_error(
        pp_post(cur, "/api/payment/create", api_key,
                "{\"amount\":1,\"currency\":\"GBP\",\"startDate\":\"2031-01-01T00:00:00Z\","
                "\"endDate\":\"2031-06-01T00:00:00Z\",\"name\":\"Guess\","
                "\"description\":\"again\",\"userName\":\"guess-0\","
                "\"phoneNumber\":\"+447900000001\",\"notification\":false}"),
        400, "INVALID_PARAMS");
    pp_payout_create(cur, api_key,
                     "{\"amount\":1,\"currency\":\"GBP\",\"startDate\":\"2031-01-01T00:00:00Z\","
                     "\"endDate\":\"2031-06-01T00:00:00Z\",\"name\":\"Guess\","
                     "\"description\":\"same\",\"userName\":\"guess-0\","
                     "\"phoneNumber\":\"+447900000000\",\"notification\":false}",
                     NULL);
    pp_stop_and_check(cur, "after the guessed recipients");
}

static const struct pp_session session = {.srv = &srv,
                                          .admin_token = &admin_token,
                                          .api_key = &api_key,
                                          .funds = funds,
                                          .before_stop = before_stop};

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recipient_taken_as_new_is_found),
    };
    return pp_session_run("api.recipient_guess", tests, sizeof tests / sizeof tests[0], &session);
}
