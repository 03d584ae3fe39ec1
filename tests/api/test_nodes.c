/*
** This module tests several servers sharing one PostgreSQL database (spec
** §10), with requests spread over them:
** - two `migrate` commands on one empty database at once: both succeed,
**   the migrations are applied once;
** - 64 parallel creates, alternating between two nodes, against a balance
**   that affords exactly 10: exactly 10 succeed, the rest are refused for
**   funds, the balance is exact and `check` passes;
** - one Idempotency-Key sent to both nodes at once creates one payout;
** - an API key revoked through one node (rotating the authentication
**   password) is refused by the other at once, and so is an admin token
**   revoked by a password reset;
** - the authentication password enabled through one node works on the other.
**
** It runs only on PostgreSQL (label postgresql); without a cluster it fails.
*/
#include "harness.h"
#include "harness/db.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define NODES 2
#define THREADS 8
#define CREATES_PER_THREAD 8
#define AFFORDABLE 10

static struct pp_server nodes[NODES];
static char *admin_token;
static char *api_key;

static int group_setup(void **state)
{
    (void)state;
    if (!pp_db_is_postgres()) {
        fprintf(stderr, "test_nodes: needs PP_TEST_BACKEND=postgresql (ctest label postgresql)\n");
        return -1;
    }
    if (pp_server_start(&nodes[0], NULL) != 0) {
        return -1;
    }
    /* The second node on the first one's database. */
    struct pp_server_opts opts = {.db_path = nodes[0].db_path};
    if (pp_server_start(&nodes[1], &opts) != 0) {
        return -1;
    }
    admin_token = pp_admin_login(&nodes[0]);
    /* Enabled through node 0, used through node 1. */
    char *password = pp_enable_integration(&nodes[0], admin_token);
    api_key = pp_authenticate(&nodes[1], password);
    free(password);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    for (int i = 0; i < NODES; i++) {
        pp_server_destroy(&nodes[i]);
    }
    free(admin_token);
    free(api_key);
    return 0;
}

static pthread_barrier_t barrier;
static const char *const *migrate_args;
static int migrate_rc[2];
static char *migrate_out[2];

static void *migrate_worker(void *arg)
{
    size_t t = *(size_t *)arg;
    pthread_barrier_wait(&barrier);
    migrate_rc[t] = pp_run(migrate_args, NULL, &migrate_out[t]);
    return NULL;
}

/* 1: migrate failed; 2: it applied nothing; 3: it applied migrations. */
static int migrate_outcome(int code, const char *out)
{
    if (code != 0 || out == NULL) {
        return 1;
    }
    return strstr(out, "applied 0 migration") != NULL ? 2 : 3;
}

static void test_migrate_at_once(void **state)
{
    (void)state;
    char dir[1024], url[2048];
    assert_int_equal(pp_temp_dir_make(dir, sizeof dir), 0);
    assert_int_equal(pp_db_fresh(dir, url, sizeof url), 0);
    const char *args[] = {"migrate", "--db", url, NULL};
    /* Two processes at once: one applies, the other waits on the lock row
    ** and then finds nothing to apply. */
    migrate_args = args;
    pp_threads_run(2, migrate_worker, &barrier);
    for (int i = 0; i < 2; i++) {
        if (migrate_outcome(migrate_rc[i], migrate_out[i]) == 1) {
            fail_msg("migrate %d failed: %s", i, migrate_out[i] != NULL ? migrate_out[i] : "");
        }
    }
    assert_int_equal((migrate_outcome(migrate_rc[0], migrate_out[0]) == 3) +
                         (migrate_outcome(migrate_rc[1], migrate_out[1]) == 3),
                     1);
    for (int i = 0; i < 2; i++) {
        free(migrate_out[i]);
        migrate_out[i] = NULL;
    }
    pp_temp_dir_remove(dir);
}

static struct pp_resp *creates[THREADS][CREATES_PER_THREAD];

static void *create_worker(void *arg)
{
    size_t t = *(size_t *)arg;
    CURL *h = curl_easy_init();
    pthread_barrier_wait(&barrier);
    for (size_t i = 0; i < CREATES_PER_THREAD; i++) {
        const struct pp_server *node = &nodes[(t + i) % NODES];
        char *body = pp_fmt("{\"amount\":1,\"currency\":\"CHF\","
                            "\"startDate\":\"2031-01-01T00:00:00Z\","
                            "\"endDate\":\"2031-06-01T00:00:00Z\",\"name\":\"Nodes\","
                            "\"description\":\"two nodes\",\"userName\":\"n-%zu-%zu\","
                            "\"notification\":false}",
                            t, i);
        creates[t][i] = pp_request_post(node, h, "/api/payment/create", api_key, body);
        free(body);
    }
    curl_easy_cleanup(h);
    return NULL;
}

static void test_parallel_creates_over_two_nodes(void **state)
{
    (void)state;
    pp_fund(&nodes[1], admin_token, "CHF", "10");
    pp_threads_run(THREADS, create_worker, &barrier);
    size_t ok = 0, refused = 0;
    for (size_t t = 0; t < THREADS; t++) {
        for (size_t i = 0; i < CREATES_PER_THREAD; i++) {
            struct pp_resp *r = creates[t][i];
            assert_non_null(r);
            if (r->status == 422) {
                pp_assert_error(r, 422, "INSUFFICIENT_FUNDS");
                refused++;
            } else {
                pp_assert_status(r, 200);
                ok++;
            }
            pp_resp_free(r);
            creates[t][i] = NULL;
        }
    }
    assert_int_equal(ok, AFFORDABLE);
    assert_int_equal(refused, THREADS * CREATES_PER_THREAD - AFFORDABLE);
    for (int n = 0; n < NODES; n++) {
        pp_assert_balance_now(&nodes[n], admin_token, "CHF", "0", "10", "0");
    }
    pp_assert_check(nodes[0].db_path, "after creates over two nodes");
}

struct keyed {
    const struct pp_server *node;
    struct pp_resp *resp;
};
static struct keyed keyed[NODES];

static void *keyed_worker(void *arg)
{
    size_t t = *(size_t *)arg;
    static const char *const headers[] = {"Idempotency-Key: two-nodes-one-payout", NULL};
    CURL *h = curl_easy_init();
    pthread_barrier_wait(&barrier);
    keyed[t].resp = pp_request_post_with(keyed[t].node, h, "/api/payment/create", api_key, headers,
                                         "{\"amount\":2,\"currency\":\"SEK\","
                                         "\"startDate\":\"2031-01-01T00:00:00Z\","
                                         "\"endDate\":\"2031-06-01T00:00:00Z\",\"name\":\"Keyed\","
                                         "\"description\":\"once\",\"userName\":\"keyed\","
                                         "\"notification\":false}");
    curl_easy_cleanup(h);
    return NULL;
}

static void test_one_key_on_two_nodes(void **state)
{
    (void)state;
    pp_fund(&nodes[0], admin_token, "SEK", "100");
    for (size_t i = 0; i < NODES; i++) {
        keyed[i].node = &nodes[i];
    }
    pp_threads_run(NODES, keyed_worker, &barrier);
    long long id = 0;
    for (size_t i = 0; i < NODES; i++) {
        struct pp_resp *r = keyed[i].resp;
        assert_non_null(r);
        if (r->status == 200) {
            long long got =
                pp_json_int(json_array_get(json_object_get(r->json, "payments"), 0), "id");
            assert_true(id == 0 || got == id);
            id = got;
        } else {
            /* The other node saw the key taken (in progress, or used). */
            pp_assert_error(r, 409, "CONFLICT");
        }
        pp_resp_free(r);
    }
    assert_true(id > 0);
    /* One payout: 2 SEK blocked, not 4. */
    pp_assert_balance_now(&nodes[1], admin_token, "SEK", "98", "2", "0");
    pp_assert_check(nodes[0].db_path, "after one key on two nodes");
}

static void test_revocation_across_nodes(void **state)
{
    (void)state;
    struct pp_resp *r = pp_get(&nodes[0], "/api/balances", api_key);
    pp_assert_status(r, 200);
    pp_resp_free(r);
    /* Rotated through node 1: the key is revoked on node 0 at once. */
    r = pp_post(&nodes[1], "/api/admin/settings/api-integration/rotate", admin_token, "{}");
    pp_assert_status(r, 200);
    const char *password = json_string_value(json_object_get(r->json, "authenticationPassword"));
    assert_non_null(password);
    char *fresh = pp_authenticate(&nodes[0], password);
    pp_resp_free(r);
    pp_expect_error(pp_get(&nodes[0], "/api/balances", api_key), 401, "UNAUTHORIZED");
    r = pp_get(&nodes[1], "/api/balances", fresh);
    pp_assert_status(r, 200);
    pp_resp_free(r);
    free(api_key);
    api_key = fresh;

    /* An admin token revoked by a password reset (the admin command, as an
    ** operator would run it) is refused by both nodes. */
    r = pp_get(&nodes[1], "/api/admin/audit", admin_token);
    pp_assert_status(r, 200);
    pp_resp_free(r);
    const char *args[] = {"admin", "--db", nodes[0].db_path, "--email", PP_ADMIN_EMAIL, NULL};
    const char *env[] = {"PAYOUT_ADMIN_PASSWORD=" PP_ADMIN_PASSWORD, NULL};
    char *out = NULL;
    assert_int_equal(pp_run(args, env, &out), 0);
    free(out);
    for (int n = 0; n < NODES; n++) {
        pp_expect_error(pp_get(&nodes[n], "/api/admin/audit", admin_token), 401, "UNAUTHORIZED");
    }
    free(admin_token);
    admin_token = pp_admin_login(&nodes[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_migrate_at_once),
        cmocka_unit_test(test_parallel_creates_over_two_nodes),
        cmocka_unit_test(test_one_key_on_two_nodes),
        cmocka_unit_test(test_revocation_across_nodes),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
