/*
** This module tests Idempotency-Key through the real server: a keyed
** create, cancel, deposit, settings switch and rotate are replayed byte
** for byte (same status, same body, content type) without running again;
** the same key with another body is 409 CONFLICT; keys are per caller;
** malformed keys are 400; 16 concurrent requests with one key create
** exactly one payout and all get the same answer; a replay still works
** after a restart; and a server SIGKILLed during a burst of keyed creates,
** restarted, and sent every key again ends with exactly one payout per
** key, the funds blocked exactly once, and `check` passing.
**
** Worker threads never assert; the main thread checks what they recorded.
*/
#include "harness.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static struct pp_server srv;
static struct pp_server srv2; /* restarts on srv's database */
static struct pp_server srv3; /* ... and again after srv2 is killed */
static const struct pp_server *cur = &srv;
static char *admin_token;
static char *api_key;
static struct pp_resp *first_create; /* kept for the replay after a restart */

/* Rate limiting is not what this suite exercises. */
static const char *const no_rate_env[] = {"PAYOUT_RATE_LIMIT=0", NULL};

static const char *const funds[] = {"GBP", "1000", NULL};
static const struct pp_server_opts server_opts = {.env = no_rate_env};
static void before_stop(void)
{
    pp_server_destroy(&srv2);
    pp_server_destroy(&srv3);
    pp_resp_free(first_create);
}

/* A keyed request on the main thread (asserting an answer came back). */
static struct pp_resp *keyed(const char *method, const char *path, const char *token,
                             const char *key, const char *body)
{
    char *header = pp_fmt("Idempotency-Key: %s", key);
    const char *headers[] = {header, NULL};
    struct pp_req req = {.method = method,
                         .path = path,
                         .token = token,
                         .headers = headers,
                         .body = body,
                         .body_len = body != NULL ? PP_STRLEN : 0};
    struct pp_resp *r = pp_call(cur, &req);
    free(header);
    return r;
}

/* Asserts b is a's replay: same status, content type and bytes. */
static void assert_replay(const struct pp_resp *a, const struct pp_resp *b)
{
    assert_int_equal(a->status, b->status);
    assert_string_equal(pp_resp_header(a, "Content-Type"), pp_resp_header(b, "Content-Type"));
    if (a->body_len != b->body_len || memcmp(a->body, b->body, a->body_len) != 0) {
        fail_msg("replay differs:\n first: %s\n again: %s", a->body, b->body);
    }
    assert_null(pp_resp_header(a, "Idempotent-Replayed"));
    assert_non_null(pp_resp_header(b, "Idempotent-Replayed"));
    assert_string_equal(pp_resp_header(b, "Idempotent-Replayed"), "true");
}

static char *create_body(const char *amount, const char *description)
{
    return pp_fmt("{\"amount\":%s,\"currency\":\"GBP\",\"startDate\":\"2020-01-01\","
                  "\"endDate\":\"2099-01-01\",\"name\":\"Idem project\",\"description\":\"%s\","
                  "\"userName\":\"idem-user\",\"notification\":false}",
                  amount, description);
}

static void test_create_replayed_byte_for_byte(void **state)
{
    (void)state;
    char *body = create_body("2.5", "replayed create");
    struct pp_resp *first = keyed("POST", "/api/payment/create", api_key, "create-1", body);
    pp_assert_status(first, 200);
    first_create = first;
    pp_assert_balance_now(cur, api_key, "GBP", "997.5", "2.5", NULL);
    for (int i = 0; i < 3; i++) {
        struct pp_resp *again = keyed("POST", "/api/payment/create", api_key, "create-1", body);
        assert_replay(first, again);
        pp_resp_free(again);
    }
    pp_assert_balance_now(cur, api_key, "GBP", "997.5", "2.5", NULL); /* created once */
    /* The same key with another body: 409, nothing created. */
    char *other = create_body("3", "replayed create");
    struct pp_resp *conflict = keyed("POST", "/api/payment/create", api_key, "create-1", other);
    pp_assert_error(conflict, 409, "CONFLICT");
    assert_non_null(strstr(conflict->body, "different request"));
    /* ... and on another path. */
    struct pp_resp *elsewhere =
        keyed("POST", "/api/payment/cancel", api_key, "create-1", "{\"ids\":[1]}");
    pp_assert_error(elsewhere, 409, "CONFLICT");
    pp_assert_balance_now(cur, api_key, "GBP", "997.5", "2.5", NULL);
    /* Without a key, the same body creates again. */
    struct pp_resp *unkeyed = pp_post(cur, "/api/payment/create", api_key, body);
    pp_assert_status(unkeyed, 200);
    pp_assert_balance_now(cur, api_key, "GBP", "995", "5", NULL);
    free(body);
    free(other);
    pp_resp_free(conflict);
    pp_resp_free(elsewhere);
    pp_resp_free(unkeyed);
}

static void test_cancel_and_deposit_replayed(void **state)
{
    (void)state;
    char *body = create_body("1", "to cancel");
    struct pp_resp *created = pp_post(cur, "/api/payment/create", api_key, body);
    pp_assert_status(created, 200);
    long long id = pp_json_int(json_array_get(json_object_get(created->json, "payments"), 0), "id");
    char *ids = pp_fmt("{\"ids\":[%lld]}", id);
    struct pp_resp *c1 = keyed("POST", "/api/payment/cancel", api_key, "cancel-1", ids);
    pp_assert_status(c1, 200);
    pp_assert_number_text(c1, "success", "1");
    struct pp_resp *c2 = keyed("POST", "/api/payment/cancel", api_key, "cancel-1", ids);
    assert_replay(c1, c2);
    pp_assert_number_text(c2, "success", "1"); /* not {"success":0} from a second run */
    /* Deposits. */
    const char *dep = "{\"currency\":\"GBP\",\"amount\":0.07,\"reference\":\"wire 1\"}";
    struct pp_resp *d1 = keyed("POST", "/api/admin/funds/deposit", admin_token, "dep-1", dep);
    pp_assert_status(d1, 200);
    struct pp_resp *d2 = keyed("POST", "/api/admin/funds/deposit", admin_token, "dep-1", dep);
    assert_replay(d1, d2);
    char avail[32];
    assert_non_null(pp_json_number_text(d1->body, d1->body_len, "available", avail, sizeof avail));
    struct pp_resp *b = pp_balances(cur, api_key);
    /* Deposited once: the balance is still the one the first answer showed. */
    pp_assert_balance(b, "GBP", avail, NULL, NULL);
    free(body);
    free(ids);
    pp_resp_free(created);
    pp_resp_free(c1);
    pp_resp_free(c2);
    pp_resp_free(d1);
    pp_resp_free(d2);
    pp_resp_free(b);
}

static void test_settings_replayed(void **state)
{
    (void)state;
    const char *on = "{\"enabled\":true}";
    struct pp_resp *s1 =
        keyed("PUT", "/api/admin/settings/api-integration", admin_token, "set-1", on);
    pp_assert_status(s1, 200);
    struct pp_resp *s2 =
        keyed("PUT", "/api/admin/settings/api-integration", admin_token, "set-1", on);
    assert_replay(s1, s2);
    struct pp_resp *r1 =
        keyed("POST", "/api/admin/settings/api-integration/rotate", admin_token, "rot-1", NULL);
    pp_assert_status(r1, 200);
    struct pp_resp *r2 =
        keyed("POST", "/api/admin/settings/api-integration/rotate", admin_token, "rot-1", NULL);
    assert_replay(r1, r2);
    /* Rotated once: the password in the answer is the current one. */
    struct pp_resp *settings = pp_get(cur, "/api/admin/settings", admin_token);
    pp_assert_status(settings, 200);
    const char *current = json_string_value(json_object_get(
        json_object_get(settings->json, "apiIntegration"), "authenticationPassword"));
    pp_assert_json_str(r1->json, "authenticationPassword", current);
    /* The rotation revoked the old API key: get a new one. */
    free(api_key);
    api_key = pp_authenticate(cur, current);
    pp_resp_free(s1);
    pp_resp_free(s2);
    pp_resp_free(r1);
    pp_resp_free(r2);
    pp_resp_free(settings);
}

static void test_keys_are_per_caller(void **state)
{
    (void)state;
    /* An admin's key and the integrator's key of the same name are apart. */
    const char *dep = "{\"currency\":\"JPY\",\"amount\":5}";
    struct pp_resp *d = keyed("POST", "/api/admin/funds/deposit", admin_token, "shared", dep);
    pp_assert_status(d, 200);
    char *body = create_body("0.01", "per caller");
    struct pp_resp *c = keyed("POST", "/api/payment/create", api_key, "shared", body);
    pp_assert_status(c, 200);
    assert_null(pp_resp_header(c, "Idempotent-Replayed"));
    free(body);
    pp_resp_free(d);
    pp_resp_free(c);
}

static void test_bad_keys(void **state)
{
    (void)state;
    char long_key[300];
    memset(long_key, 'x', 256);
    long_key[256] = '\0';
    char *too_long = pp_fmt("Idempotency-Key: %s", long_key);
    long_key[255] = '\0';
    char *longest = pp_fmt("Idempotency-Key: %s", long_key);
    const char *bad[] = {"Idempotency-Key;", too_long, "Idempotency-Key: caf\xc3\xa9",
                         "Idempotency-Key: a\x7f"
                         "b",
                         "Idempotency-Key: a\tb"};
    const char *dep = "{\"currency\":\"GBP\",\"amount\":1}";
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *headers[] = {bad[i], NULL};
        struct pp_resp *r =
            pp_post_with(cur, "/api/admin/funds/deposit", admin_token, headers, dep);
        pp_assert_error(r, 400, "INVALID_PARAMS");
        assert_non_null(strstr(r->body, "Idempotency-Key"));
        pp_resp_free(r);
    }
    /* 255 printable characters are fine. */
    const char *headers[] = {longest, NULL};
    struct pp_resp *ok = pp_post_with(cur, "/api/admin/funds/deposit", admin_token, headers, dep);
    pp_assert_status(ok, 200);
    pp_resp_free(ok);
    free(too_long);
    free(longest);
}

/* --- 16 concurrent requests with one key ------------------------------------- */

#define RACERS 16
static struct pp_resp *race_resp[RACERS];
static pthread_barrier_t barrier;
static char *race_body;

static void *racer(void *arg)
{
    size_t t = *(size_t *)arg;
    const char *headers[] = {"Idempotency-Key: race-1", NULL};
    pthread_barrier_wait(&barrier);
    race_resp[t] =
        pp_request_post_with(cur, NULL, "/api/payment/create", api_key, headers, race_body);
    return NULL;
}

static void test_concurrent_requests_one_key(void **state)
{
    (void)state;
    long long blocked_before = pp_balance_minor(cur, api_key, "GBP", "blocked");
    race_body = create_body("0.5", "raced");
    pp_threads_run(RACERS, racer, &barrier);
    int fresh = 0;
    for (size_t t = 0; t < RACERS; t++) {
        assert_non_null(race_resp[t]);
        pp_assert_status(race_resp[t], 200);
        assert_int_equal(race_resp[t]->body_len, race_resp[0]->body_len);
        assert_memory_equal(race_resp[t]->body, race_resp[0]->body, race_resp[0]->body_len);
        fresh += pp_resp_header(race_resp[t], "Idempotent-Replayed") == NULL;
    }
    assert_int_equal(fresh, 1); /* ran once, replayed fifteen times */
    /* Blocked grew by exactly one payout of 0.5. */
    assert_int_equal(pp_balance_minor(cur, api_key, "GBP", "blocked"), blocked_before + 50);
    for (size_t t = 0; t < RACERS; t++) {
        pp_resp_free(race_resp[t]);
        race_resp[t] = NULL;
    }
    free(race_body);
    pp_assert_check(srv.db_path, "after the race");
}

static void test_replay_after_restart(void **state)
{
    (void)state;
    assert_int_equal(pp_server_stop(&srv), 0);
    struct pp_server_opts opts = {.db_path = srv.db_path, .env = no_rate_env};
    assert_int_equal(pp_server_start(&srv2, &opts), 0);
    cur = &srv2;
    char *body = create_body("2.5", "replayed create");
    struct pp_resp *again = keyed("POST", "/api/payment/create", api_key, "create-1", body);
    assert_replay(first_create, again);
    free(body);
    pp_resp_free(again);
}

/* --- A crash during a burst of keyed creates ---------------------------------- */

#define CRASH_THREADS 6
#define CRASH_KEYS_PER_THREAD 40
#define CRASH_KEYS (CRASH_THREADS * CRASH_KEYS_PER_THREAD)
static atomic_int crash_ok;

static void *crash_worker(void *arg)
{
    size_t t = *(size_t *)arg;
    CURL *h = curl_easy_init();
    for (size_t i = 0; i < CRASH_KEYS_PER_THREAD; i++) {
        char *body = pp_fmt("{\"amount\":0.01,\"currency\":\"GBP\",\"startDate\":\"2020-01-01\","
                            "\"endDate\":\"2099-01-01\",\"name\":\"Crash\","
                            "\"description\":\"crash-%zu-%zu\",\"userName\":\"crash-user\","
                            "\"notification\":false}",
                            t, i);
        char *header = pp_fmt("Idempotency-Key: crash-%zu-%zu", t, i);
        const char *headers[] = {header, NULL};
        struct pp_resp *r =
            pp_request_post_with(cur, h, "/api/payment/create", api_key, headers, body);
        if (r != NULL && r->status == 200) {
            atomic_fetch_add(&crash_ok, 1);
        }
        pp_resp_free(r);
        free(header);
        free(body);
    }
    curl_easy_cleanup(h);
    return NULL;
}

/* Counts the payouts whose description is "crash-T-I", by walking ids. */
static void count_crash_payouts(int counts[CRASH_THREADS][CRASH_KEYS_PER_THREAD])
{
    int misses = 0;
    memset(counts, 0, sizeof(int) * CRASH_KEYS);
    for (long long id = 1; misses < 50; id++) {
        char *path = pp_fmt("/api/payments/%lld", id);
        struct pp_resp *r = pp_get(cur, path, api_key);
        free(path);
        if (r->status == 404) {
            misses++;
            pp_resp_free(r);
            continue;
        }
        pp_assert_status(r, 200);
        misses = 0;
        unsigned t = 0, i = 0;
        const char *d = json_string_value(json_object_get(r->json, "description"));
        if (d != NULL && sscanf(d, "crash-%u-%u", &t, &i) == 2) {
            assert_true(t < CRASH_THREADS && i < CRASH_KEYS_PER_THREAD);
            counts[t][i]++;
        }
        pp_resp_free(r);
    }
}

static void test_crash_during_keyed_burst(void **state)
{
    (void)state;
    long long blocked_before = pp_balance_minor(cur, api_key, "GBP", "blocked");
    pthread_t threads[CRASH_THREADS];
    size_t index[CRASH_THREADS];
    atomic_store(&crash_ok, 0);
    for (size_t t = 0; t < CRASH_THREADS; t++) {
        index[t] = t;
        assert_int_equal(pthread_create(&threads[t], NULL, crash_worker, &index[t]), 0);
    }
    /* Kill mid-burst: some creates answered, some in flight, some unsent. */
    for (int i = 0; i < 2000 && atomic_load(&crash_ok) < CRASH_KEYS / 4; i++) {
        pp_sleep_ms(1);
    }
    pp_server_kill(&srv2);
    for (size_t t = 0; t < CRASH_THREADS; t++) {
        pthread_join(threads[t], NULL);
    }
    int answered = atomic_load(&crash_ok);
    assert_true(answered > 0 && answered < CRASH_KEYS);
    struct pp_server_opts opts = {.db_path = srv.db_path, .env = no_rate_env};
    assert_int_equal(pp_server_start(&srv3, &opts), 0);
    cur = &srv3;
    pp_assert_check(srv.db_path, "after the crash");
    /* Retry every key: each ends with its payout, made once. */
    int replayed = 0, lost = 0, fresh = 0;
    for (size_t t = 0; t < CRASH_THREADS; t++) {
        for (size_t i = 0; i < CRASH_KEYS_PER_THREAD; i++) {
            char *body = pp_fmt("{\"amount\":0.01,\"currency\":\"GBP\",\"startDate\":"
                                "\"2020-01-01\",\"endDate\":\"2099-01-01\",\"name\":\"Crash\","
                                "\"description\":\"crash-%zu-%zu\",\"userName\":\"crash-user\","
                                "\"notification\":false}",
                                t, i);
            char *key = pp_fmt("crash-%zu-%zu", t, i);
            struct pp_resp *r = keyed("POST", "/api/payment/create", api_key, key, body);
            if (r->status == 409) {
                pp_assert_error(r, 409, "CONFLICT");
                assert_non_null(strstr(r->body, "answer was lost"));
                lost++;
            } else {
                pp_assert_status(r, 200);
                if (pp_resp_header(r, "Idempotent-Replayed") != NULL) {
                    replayed++;
                } else {
                    fresh++;
                }
            }
            pp_resp_free(r);
            free(key);
            free(body);
        }
    }
    print_message("crash: %d answered before the kill; retries: %d replayed, %d answer lost, "
                  "%d ran now\n",
                  answered, replayed, lost, fresh);
    assert_true(replayed >= answered);
    static int counts[CRASH_THREADS][CRASH_KEYS_PER_THREAD];
    count_crash_payouts(counts);
    for (size_t t = 0; t < CRASH_THREADS; t++) {
        for (size_t i = 0; i < CRASH_KEYS_PER_THREAD; i++) {
            if (counts[t][i] != 1) {
                fail_msg("key crash-%zu-%zu has %d payouts", t, i, counts[t][i]);
            }
        }
    }
    /* Funds were blocked once per key. */
    assert_int_equal(pp_balance_minor(cur, api_key, "GBP", "blocked"), blocked_before + CRASH_KEYS);
    pp_assert_check(srv.db_path, "after the retries");
}

static const struct pp_session session = {.srv = &srv,
                                          .admin_token = &admin_token,
                                          .api_key = &api_key,
                                          .opts = &server_opts,
                                          .funds = funds,
                                          .before_stop = before_stop};

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_replayed_byte_for_byte),
        cmocka_unit_test(test_cancel_and_deposit_replayed),
        cmocka_unit_test(test_settings_replayed),
        cmocka_unit_test(test_keys_are_per_caller),
        cmocka_unit_test(test_bad_keys),
        cmocka_unit_test(test_concurrent_requests_one_key),
        cmocka_unit_test(test_replay_after_restart),
        cmocka_unit_test(test_crash_during_keyed_burst),
    };
    return PP_SESSION_RUN(tests, &session);
}
