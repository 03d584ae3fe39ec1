/*
** This module tests how the PostgreSQL writer's batch takes in the
** requests that queued while it waited for its turn at the lock row (the
** row every node's writer takes, one batch at a time): it holds the lock
** once for all of them, instead of leaving them to a batch of their own
** and another turn. The test holds the lock row itself, from its own
** connection to the server's database, as a writer of another node would.
** One create goes first, and its batch waits for the lock (seen in
** pg_stat_activity); JOINED more creates are then sent, and once /metrics
** shows all of them queued (payout_write_queued) the lock is let go. They
** must all commit in ONE batch of JOINED + 1 (or more: a write of the
** server's own may join too): payout_write_batch_size gains one batch
** above the bucket of JOINED, where the batch that took only the first
** create and the batch after it would each stay within it.
**
** The server is a fresh process on a database holding more recipients
** than its cache reads when it fills (PP_WRITER_WARM_RECIPIENTS), as in
** test_recipients_ahead: it does not know the oldest ones. Among the late
** creates are two such recipients, a new recipient named twice and the
** first create's new recipient: each must be found or made once, and
** `check` must pass. The late creates' recipients are read ahead in one
** round trip, as the first create's are: the batch makes at most
** ROUND_TRIPS_MAX round trips (GET /metrics,
** payout_write_round_trips_total; looked up one by one, the unknown ones
** take one each). PostgreSQL only.
*/
#include "harness.h"
#include "harness/db.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Creates sent while the batch waits; the size bucket at or above it
** (payout_write_batch_size's le="8") must hold a batch of JOINED alone. */
#define JOINED 8
#define BUCKET "8"
#define CREATES (JOINED + 1)
#define WAIT_MS 20000
/* The round trips of the batch: the one that opens it (the lock row, the
** ids, the balance, the first create's recipient read ahead), the one
** that reads the late creates' recipients, the one that sends its rows,
** COMMIT; one more for a write of the server's own that may run after. */
#define ROUND_TRIPS_MAX 5
/* More recipients than the cache reads when it fills
** (PP_WRITER_WARM_RECIPIENTS, 8192, in include/payout/limits.h). */
#define OLD_RECIPIENTS 8208

static struct pp_server srv;
static struct pp_server next_srv;
static struct pp_server *cur = &srv;
static char *admin_token;
static char *api_key;

static const char *const funds[] = {"GBP", "1000", NULL};

static struct pp_resp *answers[CREATES];

static void before_stop(void)
{
    pp_server_destroy(&next_srv);
}

/* The recipient fields of create i: creates 1 and 2 name the two oldest
** recipients by their phone number (unknown to the fresh process), create
** 3 the first create's new recipient, creates 5 and 6 one new recipient;
** the others a new recipient each. Equal text: the same recipient. */
static void recipient_of(size_t i, char *out, size_t out_size)
{
    if (i == 1 || i == 2) {
        snprintf(out, out_size, "\"phoneNumber\":\"+4479%08zu\"", i - 1);
    } else {
        snprintf(out, out_size, "\"userName\":\"turn-%zu\"", i == 3 ? 0 : i == 6 ? 5 : i);
    }
}

static void *create_worker(void *arg)
{
    size_t i = *(size_t *)arg;
    char who[64];
    recipient_of(i, who, sizeof who);
    char *body = pp_fmt("{\"amount\":1,\"currency\":\"GBP\",\"startDate\":\"2031-01-01T00:00:00Z\","
                        "\"endDate\":\"2031-06-01T00:00:00Z\",\"name\":\"Turn\","
                        "\"description\":\"lock turn %zu\",%s,\"notification\":false}",
                        i, who);
    CURL *h = curl_easy_init();
    answers[i] = pp_request_post(cur, h, "/api/payment/create", api_key, body);
    curl_easy_cleanup(h);
    free(body);
    return NULL;
}

/* The value of series (a line start, "name " or "name{labels} ") in the
** server's /metrics. */
static double metric(const char *series)
{
    struct pp_req req = {.path = "/metrics"};
    struct pp_resp *r = pp_call(cur, &req);
    assert_int_equal(r->status, 200);
    char *line = pp_fmt("\n%s", series);
    const char *at = strstr(r->body, line);
    if (at == NULL) {
        fail_msg("no %s in /metrics:\n%.3000s", series, r->body);
    }
    double v = atof(at + strlen(line));
    free(line);
    pp_resp_free(r);
    return v;
}

/* Batches larger than JOINED so far. */
static double batches_above(void)
{
    return metric("payout_write_batch_size_count ") -
           metric("payout_write_batch_size_bucket{le=\"" BUCKET "\"} ");
}

static PGresult *sql(PGconn *pg, const char *text, ExecStatusType want)
{
    PGresult *res = PQexec(pg, text);
    if (PQresultStatus(res) != want) {
        fail_msg("%s: %s", text, PQerrorMessage(pg));
    }
    return res;
}

/* Sleeps 10 ms. */
static void nap(void)
{
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
}

/* Stores OLD_RECIPIENTS recipients (0.01 GBP each) known by their phone
** number, then restarts the server: the new process's cache holds the
** newest ones only. Returns the oldest one's id. */
static long long old_recipients(void)
{
    long long oldest = pp_store_phone_recipients(cur, api_key, OLD_RECIPIENTS);
    assert_int_equal(pp_server_stop(cur), 0);
    pp_server_restart_signed_in(&next_srv, cur, NULL, &admin_token, &api_key);
    cur = &next_srv;
    return oldest;
}

static void test_late_requests_join_the_waiting_batch(void **state)
{
    (void)state;
    long long oldest = old_recipients();
    /* The project and the balance known to the writer. */
    pp_payout_create(cur, api_key,
                     "{\"amount\":1,\"currency\":\"GBP\",\"startDate\":\"2031-01-01T00:00:00Z\","
                     "\"endDate\":\"2031-06-01T00:00:00Z\",\"name\":\"Turn\","
                     "\"description\":\"warm\",\"userName\":\"turn-warm\","
                     "\"notification\":false}",
                     NULL);
    PGconn *pg = PQconnectdb(cur->db_path);
    if (PQstatus(pg) != CONNECTION_OK) {
        fail_msg("cannot connect to %s: %s", cur->db_path, PQerrorMessage(pg));
    }
    PQclear(sql(pg, "BEGIN", PGRES_COMMAND_OK));
    PQclear(sql(pg, "SELECT id FROM schema_lock WHERE id = 1 FOR UPDATE", PGRES_TUPLES_OK));
    double above = batches_above();
    double sum = metric("payout_write_batch_size_sum ");
    double trips = metric("payout_write_round_trips_total ");

    pthread_t threads[CREATES];
    size_t index[CREATES];
    index[0] = 0;
    assert_int_equal(pthread_create(&threads[0], NULL, create_worker, &index[0]), 0);
    /* The first create's batch waits for the lock row. */
    int waiting = 0;
    for (int ms = 0; ms < WAIT_MS && !waiting; ms += 10) {
        PGresult *res = sql(pg,
                            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                            " AND datname = current_database() AND pid <> pg_backend_pid()",
                            PGRES_TUPLES_OK);
        waiting = atoi(PQgetvalue(res, 0, 0)) > 0;
        PQclear(res);
        if (!waiting) {
            nap();
        }
    }
    assert_true(waiting);
    for (size_t i = 1; i < CREATES; i++) {
        index[i] = i;
        assert_int_equal(pthread_create(&threads[i], NULL, create_worker, &index[i]), 0);
    }
    double queued = 0;
    for (int ms = 0; ms < WAIT_MS && queued < JOINED; ms += 10) {
        queued = metric("payout_write_queued ");
        if (queued < JOINED) {
            nap();
        }
    }
    assert_true(queued >= JOINED);
    /* Nothing committed while the lock was held. */
    assert_true(metric("payout_write_batch_size_sum ") == sum);
    PQclear(sql(pg, "ROLLBACK", PGRES_COMMAND_OK));
    for (size_t i = 0; i < CREATES; i++) {
        assert_int_equal(pthread_join(threads[i], NULL), 0);
    }
    PQfinish(pg);

    long long recipient[CREATES];
    for (size_t i = 0; i < CREATES; i++) {
        assert_non_null(answers[i]);
        pp_assert_status(answers[i], 200);
        json_t *p = json_array_get(json_object_get(answers[i]->json, "payments"), 0);
        recipient[i] = pp_json_int(p, "recipientId");
        pp_resp_free(answers[i]);
        answers[i] = NULL;
    }
    assert_true(batches_above() == above + 1);
    assert_true(metric("payout_write_batch_size_sum ") >= sum + CREATES);
    assert_int_equal((int)metric("payout_write_queued "), 0);
    trips = metric("payout_write_round_trips_total ") - trips;
    if (trips > ROUND_TRIPS_MAX) {
        fail_msg("the batch made %g round trips to the database, expected at most %d", trips,
                 ROUND_TRIPS_MAX);
    }
    /* The old recipients were found; a recipient named twice is one
    ** recipient, and the others each their own. */
    assert_int_equal(recipient[1], oldest);
    assert_int_equal(recipient[2], oldest + 1);
    for (size_t i = 0; i < CREATES; i++) {
        for (size_t j = 0; j < i; j++) {
            char a[64];
            char b[64];
            recipient_of(i, a, sizeof a);
            recipient_of(j, b, sizeof b);
            if (strcmp(a, b) == 0) {
                assert_int_equal(recipient[i], recipient[j]);
            } else {
                assert_int_not_equal(recipient[i], recipient[j]);
            }
        }
        if (i != 1 && i != 2) {
            assert_true(recipient[i] > oldest + OLD_RECIPIENTS - 1);
        }
    }
    /* 1000 funded; 82.08 for the old recipients' payouts, 10 for these. */
    pp_assert_balance_now(cur, admin_token, "GBP", "907.92", "92.08", "0");
    pp_stop_and_check(cur, "after a batch that waited for the lock row");
}

static const struct pp_session session = {.srv = &srv,
                                          .admin_token = &admin_token,
                                          .api_key = &api_key,
                                          .funds = funds,
                                          .before_stop = before_stop};

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_late_requests_join_the_waiting_batch),
    };
    if (!pp_db_is_postgres()) {
        fprintf(stderr, "test_lock_turn: needs PP_TEST_BACKEND=postgresql (label postgresql)\n");
        return 1;
    }
    return pp_session_run("api.lock_turn", tests, sizeof tests / sizeof tests[0], &session);
}
