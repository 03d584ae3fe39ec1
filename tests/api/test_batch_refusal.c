/*
** This module tests that a create whose Idempotency-Key another create
** holds at the same moment never fails its neighbours in the writer's
** batch, on one node. Each round fires creates at once from several
** threads: two of them carry the same key and body (one payout: the other
** answer is that payout again, or 409 while it is in flight), the others
** keys of their own, which must all succeed; the funds and `check` must
** say exactly that. It runs on both backends. (Two nodes, where the
** database itself refuses the second key inside a pipelined batch, are
** test_nodes' test_refused_write_fails_alone.)
**
** Worker threads never assert; the main thread checks their answers.
*/
#include "harness.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 8
#define ROUNDS 6
#define PER_ROUND (THREADS - 1) /* payouts a round makes: the shared key makes one */

static struct pp_server srv;
static char *admin_token;
static char *api_key;
static struct pp_resp *answers[THREADS];
static int round_no;
static pthread_barrier_t barrier;

static const char *const funds[] = {"NOK", "1000", NULL};

static void before_stop(void)
{
    for (size_t t = 0; t < THREADS; t++) {
        pp_resp_free(answers[t]);
        answers[t] = NULL;
    }
}

static void *keyed_worker(void *arg)
{
    size_t t = *(size_t *)arg;
    /* Threads 0 and 1 share a key (and a body); the others have their own. */
    size_t who = t < 2 ? 0 : t;
    char *key = pp_fmt("Idempotency-Key: batch-%d-%zu", round_no, who);
    const char *headers[] = {key, NULL};
    char *body = pp_fmt("{\"amount\":1,\"currency\":\"NOK\",\"startDate\":\"2031-01-01T00:00:00Z\","
                        "\"endDate\":\"2031-06-01T00:00:00Z\",\"name\":\"Batch refusal\","
                        "\"description\":\"round %d, %zu\",\"userName\":\"batch-%d-%zu\","
                        "\"notification\":false}",
                        round_no, who, round_no, who);
    CURL *h = curl_easy_init();
    pthread_barrier_wait(&barrier);
    answers[t] = pp_request_post_with(&srv, h, "/api/payment/create", api_key, headers, body);
    curl_easy_cleanup(h);
    free(body);
    free(key);
    return NULL;
}

/* The id of the payout answer r made (200), else 0 after checking it is
** the shared key's 409. */
static long long answer_id(const struct pp_resp *r, size_t t)
{
    assert_non_null(r);
    if (r->status == 0) {
        fail_msg("create %zu: no response: %s", t, r->error);
    }
    if (t < 2 && r->status == 409) {
        pp_assert_error(r, 409, "CONFLICT");
        return 0;
    }
    pp_assert_status(r, 200);
    return pp_json_int(json_array_get(json_object_get(r->json, "payments"), 0), "id");
}

static void test_refused_key_fails_alone(void **state)
{
    (void)state;
    for (round_no = 1; round_no <= ROUNDS; round_no++) {
        pp_threads_run(THREADS, keyed_worker, &barrier);
        long long ids[THREADS] = {0};
        for (size_t t = 0; t < THREADS; t++) {
            ids[t] = answer_id(answers[t], t);
            pp_resp_free(answers[t]);
            answers[t] = NULL;
        }
        /* The shared key: one payout, answered once or twice. */
        assert_true(ids[0] != 0 || ids[1] != 0);
        if (ids[0] != 0 && ids[1] != 0) {
            assert_int_equal(ids[0], ids[1]);
        }
        /* Every neighbour committed, each its own payout. */
        for (size_t t = 2; t < THREADS; t++) {
            assert_true(ids[t] > 0);
            for (size_t u = 0; u < t; u++) {
                assert_true(ids[u] != ids[t]);
            }
        }
    }
    /* ROUNDS * PER_ROUND payouts of 1 NOK: blocked, the rest available. */
    char *available = pp_fmt("%d", 1000 - ROUNDS * PER_ROUND);
    char *blocked = pp_fmt("%d", ROUNDS * PER_ROUND);
    pp_assert_balance_now(&srv, api_key, "NOK", available, blocked, "0");
    free(available);
    free(blocked);
    pp_assert_check(srv.db_path, "after refused keys in batches");
}

static const struct pp_session session = {.srv = &srv,
                                          .admin_token = &admin_token,
                                          .api_key = &api_key,
                                          .funds = funds,
                                          .before_stop = before_stop};

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refused_key_fails_alone),
    };
    return pp_session_run("api.batch_refusal", tests, sizeof tests / sizeof tests[0], &session);
}
