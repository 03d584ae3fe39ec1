/*
** This module tests several servers sharing one PostgreSQL database (spec
** §10), with requests spread over them:
** - two `migrate` commands on one empty database at once: both succeed,
**   the migrations are applied once;
** - 64 parallel creates, alternating between two nodes, against a balance
**   that affords exactly 10: exactly 10 succeed, the rest are refused for
**   funds, the balance is exact and `check` passes;
** - one Idempotency-Key sent to both nodes at once creates one payout;
** - a refused write fails alone in its node's batch: rounds of creates at
**   once over both nodes, two sharing a key (one per node: the second
**   writer's insert of the key is refused by the database while its
**   batch's statements are in flight), the others with keys of their own,
**   which all commit; the funds and `check` are exact;
** - an API key revoked through one node (rotating the authentication
**   password) is refused by the other at once, and so is an admin token
**   revoked by a password reset; with rate limiting off, where the check
**   rides on the write's own batch, the revoked key's creates (valid or
**   not), webhook, keyed create and admin-only call are refused (401) and
**   write nothing;
** - the authentication password enabled through one node works on the other;
** - the rate limit counts across both nodes: a bucket of 10 lets exactly
**   10 requests through, alternating between the nodes, then both refuse;
**   and an API key's requests take from the integration's bucket and
**   their address's together (one transaction): 10 from two addresses
**   empty it on both nodes, for a third address too; a revoked key's
**   requests (its check rides on that transaction) take nothing from it
**   and are told 401 even when it is empty;
** - the log-in lockout counts across both nodes: 10 wrong passwords spread
**   over both lock the address out on both (even the right password),
**   and the right password works through either once the lock runs out;
** - expiry runs on one node at a time (the holder of the expiry lease, as
**   /metrics shows: its passes go up, the other's do not), each payout
**   ending while both run expires once (one audit entry, funds released
**   once); SIGKILL of the holder lets the other node take the lease over
**   once it runs out, and it expires what ends next;
** - the idempotency purge runs on one node only (the holder of its lease:
**   the other node never purges);
** - a recipient a node's writer holds in its cache and another node
**   changed since is read again: the other node filled in its first
**   name, and the first node's create naming another first name leaves
**   it (a stored field is never overwritten), as it would on one node;
**   and when the other node filled in its phone number, the first node's
**   create giving another number is refused (400) and writes nothing;
** - a list's total follows every commit on either node: each node counts
**   once per snapshot and may answer a repeated page from that count, so
**   both are read several times after each create through either node.
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

#define BATCH_ROUNDS 6
#define BATCH_THREADS 8
static struct pp_resp *batch_answers[BATCH_THREADS];
static int batch_round;

static void *batch_worker(void *arg)
{
    size_t t = *(size_t *)arg;
    /* Threads 0 and 1 share a key and a body, one on each node. */
    size_t who = t < 2 ? 0 : t;
    char *key = pp_fmt("Idempotency-Key: batch-%d-%zu", batch_round, who);
    const char *headers[] = {key, NULL};
    char *body = pp_fmt("{\"amount\":1,\"currency\":\"DKK\",\"startDate\":\"2031-01-01T00:00:00Z\","
                        "\"endDate\":\"2031-06-01T00:00:00Z\",\"name\":\"Batch\","
                        "\"description\":\"round %d, %zu\",\"userName\":\"batch-%d-%zu\","
                        "\"notification\":false}",
                        batch_round, who, batch_round, who);
    CURL *h = curl_easy_init();
    pthread_barrier_wait(&barrier);
    batch_answers[t] =
        pp_request_post_with(&nodes[t % NODES], h, "/api/payment/create", api_key, headers, body);
    curl_easy_cleanup(h);
    free(body);
    free(key);
    return NULL;
}

/* The payout id of create t's answer, or 0 for the shared key's 409. */
static long long batch_answer_id(const struct pp_resp *r, size_t t)
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

static void test_refused_write_fails_alone(void **state)
{
    (void)state;
    pp_fund(&nodes[0], admin_token, "DKK", "100");
    for (batch_round = 1; batch_round <= BATCH_ROUNDS; batch_round++) {
        pp_threads_run(BATCH_THREADS, batch_worker, &barrier);
        long long ids[BATCH_THREADS] = {0};
        for (size_t t = 0; t < BATCH_THREADS; t++) {
            ids[t] = batch_answer_id(batch_answers[t], t);
            pp_resp_free(batch_answers[t]);
            batch_answers[t] = NULL;
        }
        assert_true(ids[0] != 0 || ids[1] != 0);
        if (ids[0] != 0 && ids[1] != 0) {
            assert_int_equal(ids[0], ids[1]);
        }
        for (size_t t = 2; t < BATCH_THREADS; t++) {
            assert_true(ids[t] > 0);
            for (size_t u = 0; u < t; u++) {
                assert_true(ids[u] != ids[t]);
            }
        }
    }
    /* BATCH_ROUNDS * 7 payouts of 1 DKK. */
    char *available = pp_fmt("%d", 100 - BATCH_ROUNDS * (BATCH_THREADS - 1));
    char *blocked = pp_fmt("%d", BATCH_ROUNDS * (BATCH_THREADS - 1));
    for (int n = 0; n < NODES; n++) {
        pp_assert_balance_now(&nodes[n], admin_token, "DKK", available, blocked, "0");
    }
    free(available);
    free(blocked);
    pp_assert_check(nodes[0].db_path, "after refused keys in batches over two nodes");
}

/* Reads the total of GET /api/payments?currency=NOK on node n. */
static long long nok_total(int n)
{
    struct pp_resp *r = pp_get(&nodes[n], "/api/payments?currency=NOK&size=5", api_key);
    assert_int_equal(r->status, 200);
    long long total = pp_json_int(r->json, "total");
    pp_resp_free(r);
    return total;
}

/* How often each node is asked for the total after each create: more
** than the node's read connections, so that some answer from a count
** they remember. */
#define TOTAL_READS 12

static void test_list_total_across_nodes(void **state)
{
    (void)state;
    pp_fund(&nodes[0], admin_token, "NOK", "100");
    for (int n = 0; n < NODES; n++) {
        for (int k = 0; k < TOTAL_READS; k++) {
            assert_int_equal(nok_total(n), 0);
        }
    }
    for (int i = 1; i <= 4; i++) {
        char *body = pp_fmt("{\"amount\":1,\"currency\":\"NOK\","
                            "\"startDate\":\"2031-01-01T00:00:00Z\","
                            "\"endDate\":\"2031-06-01T00:00:00Z\",\"name\":\"Total\","
                            "\"description\":\"counted\",\"userName\":\"total-%d\","
                            "\"notification\":false}",
                            i);
        pp_payout_create(&nodes[i % NODES], api_key, body, NULL);
        free(body);
        for (int n = 0; n < NODES; n++) {
            for (int k = 0; k < TOTAL_READS; k++) {
                assert_int_equal(nok_total(n), i);
            }
        }
    }
}

/* POSTs a create of 1 of currency on node n for userName user, with the
** JSON member extra (NULL: none) added; the response. */
static struct pp_resp *stale_post(int n, const char *currency, const char *user, const char *extra)
{
    char *body = pp_fmt("{\"amount\":1,\"currency\":\"%s\","
                        "\"startDate\":\"2031-01-01T00:00:00Z\","
                        "\"endDate\":\"2031-06-01T00:00:00Z\",\"name\":\"Stale\","
                        "\"description\":\"recipient\",\"userName\":\"%s\"%s%s,"
                        "\"notification\":false}",
                        currency, user, extra != NULL ? "," : "", extra != NULL ? extra : "");
    struct pp_resp *r = pp_post(&nodes[n], "/api/payment/create", api_key, body);
    free(body);
    return r;
}

/* Creates a payout of 1 HUF on node n for the recipient "stale", with
** firstName first (NULL: none); its recipient id. */
static long long stale_create(int n, const char *first)
{
    char *name = first != NULL ? pp_fmt("\"firstName\":\"%s\"", first) : NULL;
    struct pp_resp *r = stale_post(n, "HUF", "stale", name);
    pp_assert_status(r, 200);
    long long id =
        pp_json_int(json_array_get(json_object_get(r->json, "payments"), 0), "recipientId");
    pp_resp_free(r);
    free(name);
    return id;
}

/* Asserts that node n reads recipient id with firstName first. */
static void stale_assert_first_name(int n, long long id, const char *first)
{
    char *path = pp_fmt("/api/recipients/%lld", id);
    struct pp_resp *r = pp_get(&nodes[n], path, api_key);
    pp_assert_status(r, 200);
    const char *got = json_string_value(json_object_get(r->json, "firstName"));
    if (got == NULL || strcmp(got, first) != 0) {
        fail_msg("node %d reads recipient %lld as \"%s\", not \"%s\"", n, id,
                 got != NULL ? got : "(null)", first);
    }
    pp_resp_free(r);
    free(path);
}

static void test_recipient_changed_on_the_other_node(void **state)
{
    (void)state;
    pp_fund(&nodes[0], admin_token, "HUF", "100");
    /* Node 0's writer now holds the recipient, without a first name, in
    ** its cache. */
    long long id = stale_create(0, NULL);
    assert_true(id > 0);
    /* Node 1 fills the first name in. */
    assert_int_equal(stale_create(1, "Bea"), id);
    stale_assert_first_name(0, id, "Bea");
    /* Node 0's create sends another first name: by its cache the field is
    ** still empty, to be filled in; by the database it is taken, and a
    ** stored field is never overwritten. */
    assert_int_equal(stale_create(0, "Ann"), id);
    for (int n = 0; n < NODES; n++) {
        stale_assert_first_name(n, id, "Bea");
    }
    pp_assert_balance_now(&nodes[1], admin_token, "HUF", "97", "3", "0");
    pp_assert_check(nodes[0].db_path, "after a recipient changed on the other node");
}

/* Creates (or tries) a payout of 1 CZK on node n for userName
** "stale-phone" with phoneNumber phone (NULL: none); the response. */
static struct pp_resp *stale_phone_create(int n, const char *phone)
{
    char *number = phone != NULL ? pp_fmt("\"phoneNumber\":\"%s\"", phone) : NULL;
    struct pp_resp *r = stale_post(n, "CZK", "stale-phone", number);
    free(number);
    return r;
}

static void test_recipient_identifier_taken_on_the_other_node(void **state)
{
    (void)state;
    pp_fund(&nodes[0], admin_token, "CZK", "100");
    /* Node 0's writer holds the recipient, without a phone number. */
    struct pp_resp *r = stale_phone_create(0, NULL);
    pp_assert_status(r, 200);
    pp_resp_free(r);
    /* Node 1 fills one in. */
    r = stale_phone_create(1, "+447700900111");
    pp_assert_status(r, 200);
    pp_resp_free(r);
    /* Node 0 is sent another number for the same recipient: by its cache
    ** the field is empty; by the database the request gives an identifier
    ** whose value differs from the stored one, which is refused. */
    r = stale_phone_create(0, "+447700900222");
    pp_assert_error(r, 400, "INVALID_PARAMS");
    pp_resp_free(r);
    r = pp_get(&nodes[1], "/api/recipients?userName=stale-phone", api_key);
    pp_assert_status(r, 200);
    json_t *row = json_array_get(json_object_get(r->json, "recipients"), 0);
    assert_string_equal(json_string_value(json_object_get(row, "phoneNumber")), "+447700900111");
    pp_resp_free(r);
    /* The refused create wrote nothing: two payouts of 1 CZK. */
    pp_assert_balance_now(&nodes[0], admin_token, "CZK", "98", "2", "0");
    pp_assert_check(nodes[0].db_path, "after an identifier taken on the other node");
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

/* Two nodes with rate limiting off, where an API key's revocation is
** checked by a write's own batch (with the lock row) instead of a read of
** its own: a key rotated through one node is refused by the other's next
** write, which writes nothing; a refused body, a webhook and a keyed create
** with the revoked key answer 401 too. */
static const char *const open_env[] = {"PAYOUT_RATE_LIMIT=0", NULL};

#define OPEN_CREATE                                                                                \
    "{\"amount\":3,\"currency\":\"PLN\",\"startDate\":\"2031-01-01T00:00:00Z\","                   \
    "\"endDate\":\"2031-06-01T00:00:00Z\",\"name\":\"Open\",\"description\":\"ride\","             \
    "\"userName\":\"open-node\",\"notification\":false}"

static void test_revocation_in_the_write(void **state)
{
    (void)state;
    struct pp_server open[NODES];
    memset(open, 0, sizeof open);
    struct pp_server_opts opts = {.db_path = nodes[0].db_path, .env = open_env};
    for (int n = 0; n < NODES; n++) {
        assert_int_equal(pp_server_start(&open[n], &opts), 0);
    }
    pp_fund(&open[0], admin_token, "PLN", "100");
    /* The key holds: its write passes the check on either node. */
    for (int n = 0; n < NODES; n++) {
        assert_true(pp_payout_create(&open[n], api_key, OPEN_CREATE, "READY") > 0);
    }
    pp_assert_balance_now(&open[1], admin_token, "PLN", "94", "6", "0");
    size_t hooks = pp_list_count(&open[0], api_key, "/api/webhooks", "webhooks");
    static const char deposit[] = "{\"currency\":\"PLN\",\"amount\":1,\"reference\":\"no\"}";
    pp_expect_error(pp_post(&open[1], "/api/admin/funds/deposit", api_key, deposit), 403,
                    "FORBIDDEN");

    struct pp_resp *r =
        pp_post(&open[0], "/api/admin/settings/api-integration/rotate", admin_token, "{}");
    pp_assert_status(r, 200);
    char *password = strdup(json_string_value(json_object_get(r->json, "authenticationPassword")));
    pp_resp_free(r);
    for (int n = 0; n < NODES; n++) {
        /* Revoked through node 0: refused by both, nothing written. */
        r = pp_post(&open[n], "/api/payment/create", api_key, OPEN_CREATE);
        pp_assert_error_says(r, 401, "UNAUTHORIZED", "revoked");
        pp_resp_free(r);
        /* A read has no write to ride on: the key is read first. */
        pp_expect_error(pp_get(&open[n], "/api/balances", api_key), 401, "UNAUTHORIZED");
        /* A body the handler refuses before writing: still 401. */
        pp_expect_error(pp_post(&open[n], "/api/payment/create", api_key, "{\"amount\":"), 401,
                        "UNAUTHORIZED");
        pp_expect_error(pp_post(&open[n], "/api/webhooks", api_key,
                                "{\"url\":\"https://hooks.example.test/revoked\"}"),
                        401, "UNAUTHORIZED");
        /* Revoked is told before what the key may not do. */
        pp_expect_error(pp_post(&open[n], "/api/admin/funds/deposit", api_key, deposit), 401,
                        "UNAUTHORIZED");
        static const char *const keyed_header[] = {"Idempotency-Key: revoked-key", NULL};
        pp_expect_error(
            pp_post_with(&open[n], "/api/payment/create", api_key, keyed_header, OPEN_CREATE), 401,
            "UNAUTHORIZED");
    }
    pp_assert_balance_now(&open[1], admin_token, "PLN", "94", "6", "0");
    char *fresh = pp_authenticate(&open[1], password);
    free(password);
    assert_int_equal(pp_list_count(&open[1], fresh, "/api/webhooks", "webhooks"), hooks);
    assert_true(pp_payout_create(&open[0], fresh, OPEN_CREATE, "READY") > 0);
    pp_assert_balance_now(&open[1], admin_token, "PLN", "91", "9", "0");
    free(api_key);
    api_key = fresh;
    for (int n = 0; n < NODES; n++) {
        pp_server_destroy(&open[n]);
    }
    pp_assert_check(nodes[0].db_path, "after writes with a revoked key");
}

/* --- Counted across nodes ------------------------------------------------------ */

/* A bucket of 10 refilled at 1 a second, on two more nodes. */
static const char *const tight_env[] = {"PAYOUT_RATE_LIMIT=1", "PAYOUT_RATE_BURST=10", NULL};

static struct pp_resp *from(const struct pp_server *node, const char *method, const char *path,
                            const char *body, const char *addr)
{
    struct pp_req req = {.method = method,
                         .path = path,
                         .body = body,
                         .body_len = body != NULL ? PP_STRLEN : 0,
                         .no_retry_429 = 1,
                         .local_addr = addr};
    return pp_call(node, &req);
}

/* Two more nodes on the database, with the tight bucket. */
static void tight_start(struct pp_server tight[NODES])
{
    memset(tight, 0, NODES * sizeof tight[0]);
    struct pp_server_opts opts = {.db_path = nodes[0].db_path, .env = tight_env};
    for (int n = 0; n < NODES; n++) {
        assert_int_equal(pp_server_start(&tight[n], &opts), 0);
    }
}

static void tight_stop(struct pp_server tight[NODES])
{
    for (int n = 0; n < NODES; n++) {
        pp_server_destroy(&tight[n]);
    }
}

/* The i-th request of a rate-limit test, through node. */
typedef struct pp_resp *(*rate_send_fn)(const struct pp_server *node, int i);

/* Ten requests alternating between the nodes, all answered: the bucket's
** figures go down by one each time whichever node answers (a second's
** refill adds less than a token while they run; counted per node, each
** would show 5 taken). 1 when they ran within a second, so the bucket is
** empty now; 0 (said on stderr) when the machine was slower. */
static int ten_down(struct pp_server tight[NODES], rate_send_fn send, long long started_ms)
{
    for (int i = 0; i < 10; i++) {
        struct pp_resp *r = send(&tight[i % NODES], i);
        pp_assert_status(r, 200);
        assert_string_equal(pp_resp_header(r, "X-RateLimit-Limit"), "10");
        long remaining = atol(pp_resp_header(r, "X-RateLimit-Remaining"));
        if (pp_now_ms() - started_ms < 1000) {
            assert_int_equal(remaining, 9 - i);
        }
        pp_resp_free(r);
    }
    if (pp_now_ms() - started_ms >= 1000) {
        fprintf(stderr, "test_nodes: ten requests took over a second; the empty bucket is "
                        "checked by at_most_refill\n");
        return 0;
    }
    return 1;
}

/* However slow the machine: of 40 more requests, at most 10 plus the
** refill of the time spent get through. */
static void at_most_refill(struct pp_server tight[NODES], rate_send_fn send, long long started_ms)
{
    int allowed = 0;
    for (int i = 0; i < 40; i++) {
        struct pp_resp *r = send(&tight[i % NODES], i);
        allowed += r->status == 200;
        assert_true(r->status == 200 || r->status == 429);
        pp_resp_free(r);
    }
    long long elapsed_s = (pp_now_ms() - started_ms) / 1000 + 1;
    assert_true(allowed <= elapsed_s);
}

/* A public request from 127.0.4.1: the address's bucket only. */
static struct pp_resp *version_send(const struct pp_server *node, int i)
{
    (void)i;
    return from(node, "GET", "/api/version", NULL, "127.0.4.1");
}

static void test_rate_limit_across_nodes(void **state)
{
    (void)state;
    struct pp_server tight[NODES];
    tight_start(tight);
    long long started_ms = pp_now_ms();
    if (ten_down(tight, version_send, started_ms)) {
        /* The bucket is empty on both nodes. Counted per node, each would
        ** let five more through. */
        for (int n = 0; n < NODES; n++) {
            struct pp_resp *r = version_send(&tight[n], 0);
            pp_assert_error(r, 429, "RATE_LIMITED");
            pp_resp_free(r);
        }
    }
    at_most_refill(tight, version_send, started_ms);
    /* Another address has its own bucket. */
    struct pp_resp *r = from(&tight[1], "GET", "/api/version", NULL, "127.0.4.2");
    pp_assert_status(r, 200);
    pp_resp_free(r);
    tight_stop(tight);
}

/* A GET with the API key from addr through node (no retry on 429). */
static struct pp_resp *keyed_from(const struct pp_server *node, const char *addr)
{
    struct pp_req req = {.method = "GET",
                         .path = "/api/balances",
                         .token = api_key,
                         .no_retry_429 = 1,
                         .local_addr = addr};
    return pp_call(node, &req);
}

static const char *const keyed_addrs[2] = {"127.0.4.7", "127.0.4.8"};

/* A request with the API key, from one of two addresses by turns of two. */
static struct pp_resp *keyed_send(const struct pp_server *node, int i)
{
    return keyed_from(node, keyed_addrs[(i / 2) % 2]);
}

static void test_caller_bucket_across_nodes(void **state)
{
    (void)state;
    struct pp_server tight[NODES];
    tight_start(tight);
    long long started_ms = pp_now_ms();
    /* Each of the ten takes from its address's bucket (5 each) and from
    ** the integration's (10), in one transaction; the figures are the
    ** tighter bucket's, the integration's. */
    if (ten_down(tight, keyed_send, started_ms)) {
        /* The integration's bucket is empty on both nodes, from either
        ** address and from a third, whose own bucket is full... */
        const char *more[3] = {keyed_addrs[0], keyed_addrs[1], "127.0.4.9"};
        for (int k = 0; k < 3; k++) {
            struct pp_resp *r = keyed_from(&tight[k % NODES], more[k]);
            pp_assert_error(r, 429, "RATE_LIMITED");
            pp_resp_free(r);
        }
        /* ...while the addresses still have tokens of their own. */
        struct pp_resp *r = from(&tight[1], "GET", "/api/version", NULL, keyed_addrs[0]);
        pp_assert_status(r, 200);
        pp_resp_free(r);
    }
    at_most_refill(tight, keyed_send, started_ms);
    tight_stop(tight);
}

/* With rate limiting on, an API key's check rides on the rate counters'
** transaction. Once the integration's bucket is empty (right after the
** test above, or emptied here), a revoked key is still told it is revoked
** (401, not 429), on both nodes and for a GET as for a create: its
** requests take from their addresses' buckets only, as an unknown
** caller's would, and never from the integration's. */
static void test_revoked_key_takes_no_bucket(void **state)
{
    (void)state;
    struct pp_server tight[NODES];
    tight_start(tight);
    int empty = 0;
    for (int i = 0; i < 40 && !empty; i++) {
        char addr[32];
        snprintf(addr, sizeof addr, "127.0.5.%d", i + 1);
        struct pp_resp *r = keyed_from(&tight[i % NODES], addr);
        assert_true(r->status == 200 || r->status == 429);
        empty = r->status == 429;
        pp_resp_free(r);
    }
    assert_true(empty);
    struct pp_resp *r =
        pp_post(&tight[0], "/api/admin/settings/api-integration/rotate", admin_token, "{}");
    pp_assert_status(r, 200);
    char *password = strdup(json_string_value(json_object_get(r->json, "authenticationPassword")));
    pp_resp_free(r);
    for (int i = 0; i < 6; i++) {
        char addr[32];
        snprintf(addr, sizeof addr, "127.0.5.%d", 100 + i);
        r = keyed_from(&tight[i % NODES], addr);
        pp_assert_error_says(r, 401, "UNAUTHORIZED", "revoked");
        pp_resp_free(r);
    }
    struct pp_req create = {.method = "POST",
                            .path = "/api/payment/create",
                            .token = api_key,
                            .body = OPEN_CREATE,
                            .body_len = PP_STRLEN,
                            .no_retry_429 = 1,
                            .local_addr = "127.0.5.120"};
    r = pp_call(&tight[1], &create);
    pp_assert_error_says(r, 401, "UNAUTHORIZED", "revoked");
    pp_resp_free(r);
    free(api_key);
    api_key = pp_authenticate(&tight[1], password);
    free(password);
    tight_stop(tight);
}

static void test_lockout_across_nodes(void **state)
{
    (void)state;
    const char *wrong = "{\"email\":\"" PP_ADMIN_EMAIL "\",\"password\":\"wrong-password-1\"}";
    const char *right = "{\"email\":\"" PP_ADMIN_EMAIL "\",\"password\":\"" PP_ADMIN_PASSWORD "\"}";
    const char *addr = "127.0.4.3";
    /* Ten failures, five through each node (each node alone would not lock). */
    for (int i = 0; i < 10; i++) {
        pp_expect_error(from(&nodes[i % NODES], "POST", "/api/admin/login", wrong, addr), 401,
                        "UNAUTHORIZED");
    }
    long wait_s = 0;
    for (int n = 0; n < NODES; n++) {
        /* Locked on both nodes, even for the right password. */
        struct pp_resp *r = from(&nodes[n], "POST", "/api/admin/login", right, addr);
        pp_assert_error(r, 429, "RATE_LIMITED");
        const char *ra = pp_resp_header(r, "Retry-After");
        assert_non_null(ra);
        assert_true(atol(ra) >= 1 && atol(ra) <= 2);
        wait_s = atol(ra) > wait_s ? atol(ra) : wait_s;
        pp_resp_free(r);
    }
    /* Another address is not locked out. */
    struct pp_resp *r = from(&nodes[0], "POST", "/api/admin/login", right, "127.0.4.4");
    pp_assert_status(r, 200);
    pp_secret_note(json_string_value(json_object_get(r->json, "token")));
    pp_resp_free(r);
    /* Once the lock has run out the right password works on the other node,
    ** and the success forgets the failures on both. */
    pp_sleep_ms(wait_s * 1000 + 300);
    r = from(&nodes[1], "POST", "/api/admin/login", right, addr);
    pp_assert_status(r, 200);
    pp_secret_note(json_string_value(json_object_get(r->json, "token")));
    pp_resp_free(r);
    pp_expect_error(from(&nodes[0], "POST", "/api/admin/login", wrong, addr), 401, "UNAUTHORIZED");
}

/* --- Expiry once -------------------------------------------------------------- */

/* The value of the sample `name` (a line "name value") in node's /metrics. */
static long long metric(const struct pp_server *node, const char *name)
{
    struct pp_req req = {.path = "/metrics"};
    struct pp_resp *r = pp_call(node, &req);
    assert_int_equal(r->status, 200);
    size_t len = strlen(name);
    const char *line = r->body;
    long long v = -1;
    while (line != NULL && *line != '\0' && v < 0) {
        if (strncmp(line, name, len) == 0 && line[len] == ' ') {
            v = atoll(line + len + 1);
        }
        line = strchr(line, '\n');
        line = line != NULL ? line + 1 : NULL;
    }
    if (v < 0) {
        fail_msg("no %s in /metrics of port %d", name, node->port);
    }
    pp_resp_free(r);
    return v;
}

/* Waits (up to a minute) until exactly one of the running nodes holds the
** expiry lease; returns its index. */
static int lease_holder_wait(const int *running)
{
    for (int tries = 0; tries < 600; tries++) {
        int holders = 0, holder = -1;
        for (int n = 0; n < NODES; n++) {
            if (running[n] && metric(&nodes[n], "payout_expiry_lease_held") == 1) {
                holders++;
                holder = n;
            }
        }
        assert_true(holders <= 1);
        if (holders == 1) {
            return holder;
        }
        pp_sleep_ms(100);
    }
    fail_msg("no node took the expiry lease within a minute");
    return -1;
}

/* The idempotency purge runs on one node at a time: exactly one node
** holds its lease (waited for up to a minute: each node's first purge
** runs as it starts), has purged, and the other has not purged once. */
static void test_idempotency_purge_lease(void **state)
{
    (void)state;
    int holder = -1;
    for (int tries = 0; tries < 600 && holder < 0; tries++) {
        int holders = 0;
        for (int n = 0; n < NODES; n++) {
            if (metric(&nodes[n], "payout_idempotency_purge_lease_held") == 1) {
                holders++;
                holder = n;
            }
        }
        assert_true(holders <= 1);
        if (holder < 0) {
            pp_sleep_ms(100);
        }
    }
    if (holder < 0) {
        fail_msg("no node took the idempotency purge lease within a minute");
    }
    int other = 1 - holder;
    assert_true(metric(&nodes[holder], "payout_idempotency_purge_passes_total") >= 1);
    assert_int_equal(metric(&nodes[other], "payout_idempotency_purge_passes_total"), 0);
    assert_int_equal(metric(&nodes[other], "payout_idempotency_purge_lease_held"), 0);
}

/* Creates count EUR payouts of 1 ending end_ms, alternating over the
** running nodes; ids into ids[]. */
static void ending_create(const int *running, long long end_ms, long long *ids, int count)
{
    char start[32], end[32];
    pp_iso_at(pp_wall_ms() - 60000, start, sizeof start);
    pp_iso_at(end_ms, end, sizeof end);
    for (int i = 0; i < count; i++) {
        int n = i % NODES;
        n = running[n] ? n : 1 - n;
        char *body = pp_fmt("{\"amount\":1,\"currency\":\"EUR\",\"startDate\":\"%s\","
                            "\"endDate\":\"%s\",\"name\":\"Lease\",\"description\":\"d\","
                            "\"userName\":\"lease-%d\",\"notification\":false}",
                            start, end, i);
        ids[i] = pp_payout_create(&nodes[n], api_key, body, NULL);
        free(body);
    }
}

/* Every payout of ids[] is EXPIRED, by exactly one expiry (one audit
** entry); the funds are all back. */
static void expired_once(const struct pp_server *node, const long long *ids, int count,
                         const char *deposited)
{
    for (int i = 0; i < count; i++) {
        pp_payout_wait_status(node, api_key, ids[i], "EXPIRED", 30000);
        assert_int_equal(pp_audit_count(node, admin_token, "payment.expire", ids[i], "system"), 1);
    }
    pp_assert_balance_now(node, admin_token, "EUR", deposited, "0", "0");
    pp_assert_check(node->db_path, "after expiry over two nodes");
}

static void test_expiry_lease(void **state)
{
    (void)state;
    int running[NODES] = {1, 1};
    int holder = lease_holder_wait(running);
    int other = 1 - holder;
    /* Only the holder runs passes (one a second by default). */
    long long holder_before = metric(&nodes[holder], "payout_expiry_passes_total");
    long long other_before = metric(&nodes[other], "payout_expiry_passes_total");
    pp_sleep_ms(2500);
    assert_true(metric(&nodes[holder], "payout_expiry_passes_total") > holder_before);
    assert_int_equal(metric(&nodes[other], "payout_expiry_passes_total"), other_before);
    assert_int_equal(metric(&nodes[other], "payout_expiry_lease_held"), 0);

    /* Payouts created through both nodes, ending soon: each expires once. */
    long long ids[8];
    pp_fund(&nodes[0], admin_token, "EUR", "16");
    ending_create(running, pp_wall_ms() + 1500, ids, 8);
    expired_once(&nodes[other], ids, 8, "16");

    /* The holder dies without a word: the other takes the lease over once
    ** it runs out, and expires what ends next. */
    pp_server_kill(&nodes[holder]);
    running[holder] = 0;
    ending_create(running, pp_wall_ms() + 1000, ids, 8);
    assert_int_equal(lease_holder_wait(running), other);
    expired_once(&nodes[other], ids, 8, "16");
    assert_true(metric(&nodes[other], "payout_expiry_passes_total") > other_before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_migrate_at_once),
        cmocka_unit_test(test_parallel_creates_over_two_nodes),
        cmocka_unit_test(test_one_key_on_two_nodes),
        cmocka_unit_test(test_refused_write_fails_alone),
        cmocka_unit_test(test_list_total_across_nodes),
        cmocka_unit_test(test_recipient_changed_on_the_other_node),
        cmocka_unit_test(test_recipient_identifier_taken_on_the_other_node),
        cmocka_unit_test(test_revocation_across_nodes),
        cmocka_unit_test(test_revocation_in_the_write),
        cmocka_unit_test(test_rate_limit_across_nodes),
        cmocka_unit_test(test_caller_bucket_across_nodes),
        cmocka_unit_test(test_revoked_key_takes_no_bucket),
        cmocka_unit_test(test_lockout_across_nodes),
        cmocka_unit_test(test_idempotency_purge_lease),
        /* Last: it kills a node. */
        cmocka_unit_test(test_expiry_lease),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
