/*
** This module tests what a node and its PostgreSQL database survive under
** load (spec section 10), two nodes on one database, eight client threads
** creating payouts through both, each with an Idempotency-Key of its own
** and retried with it (on either node) until it is answered 200:
** - SIGKILL of one node while requests are in flight on it: the other
**   serves on; every key ends with exactly one payout (nothing lost,
**   nothing doubled: the blocked funds are one per key), every payout a
**   200 announced is there, and `check` passes (no partial batch). A key
**   whose request committed on the killed node just before it died answers
**   409 "its answer was lost" on retry (docs/api.md): its payout stands
**   and is counted in the funds;
** - the database restarted under load (a fast shutdown cuts every
**   connection): requests are answered 503 meanwhile, then the nodes
**   reconnect by themselves and serve again; every key ends with exactly
**   one payout and `check` passes; once more with rate limiting on, so
**   that the shared counters' round trips meet the cut too;
** - a database that stops answering (every process of the cluster
**   stopped with SIGSTOP) while a create waits for the writer: SIGTERM
**   makes the node (--stop-wait-s 2) wait for it, then exit 1 with
**   "writes still unfinished"
**   (it cannot stop libmicrohttpd with the write's connection suspended),
**   and once the database answers again nothing of that write is there
**   and `check` passes;
** - a broken reference: an e-mail row naming no payout is refused by the
**   schema's triggers, and one written with them off is reported by
**   `check`.
** The database's faults run on a cluster of their own (tests/pg/pg_cluster.sh in a
** temporary directory), so the run's shared cluster is never restarted
** or stopped under the other tests; a test that fails before stopping
** its cluster has it stopped by its teardown (own_cluster_teardown).
**
** Worker threads never assert; the main thread checks afterwards. It runs
** only on PostgreSQL (label postgresql).
*/
#include "harness.h"
#include "harness/db.h"

#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define NODES 2
#define THREADS 8
#define KEYS_PER_THREAD 24
/* Attempts per key (100 ms apart at most): a bound, so a node that never
** recovers fails the test instead of hanging it. */
#define ATTEMPTS_MAX 600
/* Creates answered before the fault is set off. */
#define BEFORE_FAULT 40

static const char *const no_limits_env[] = {"PAYOUT_RATE_LIMIT=0", NULL};
/* A stop that waits 2 s for the requests in flight, 2 s for their writes. */
static const char *const short_stop_env[] = {"PAYOUT_RATE_LIMIT=0", "PAYOUT_STOP_WAIT_S=2", NULL};
/* Rate limiting on, too high to refuse anything: every request also
** takes from the shared counters (two round trips each) while the
** database goes away. */
static const char *const counted_env[] = {"PAYOUT_RATE_LIMIT=1000000", NULL};

static struct pp_server nodes[NODES];
static _Atomic int node_dead[NODES];
static char *admin_token;
static char *api_key;

static _Atomic int answered;
static _Atomic int unavailable; /* 503 answers */
static _Atomic int cut;         /* no answer (connection refused or cut) */
static long long ids[THREADS][KEYS_PER_THREAD];
static long statuses[THREADS][KEYS_PER_THREAD]; /* the last answer of each key */
/* 409 "its answer was lost": the node died after the commit and before
** storing the answer; the payout stands, and the key says so. */
static int answer_lost[THREADS][KEYS_PER_THREAD];

static void *worker(void *arg)
{
    size_t t = (size_t)(uintptr_t)arg;
    CURL *h = curl_easy_init();
    for (size_t i = 0; i < KEYS_PER_THREAD; i++) {
        char header[96];
        snprintf(header, sizeof header, "Idempotency-Key: fault-%zu-%zu", t, i);
        const char *const headers[] = {header, NULL};
        char *body = pp_fmt("{\"amount\":1,\"currency\":\"CHF\","
                            "\"startDate\":\"2031-01-01T00:00:00Z\","
                            "\"endDate\":\"2031-06-01T00:00:00Z\",\"name\":\"Faults\","
                            "\"description\":\"under load\",\"userName\":\"f-%zu-%zu\","
                            "\"notification\":false}",
                            t, i);
        for (int a = 0; a < ATTEMPTS_MAX; a++) {
            size_t n = (t + i + (size_t)a) % NODES;
            n = atomic_load(&node_dead[n]) ? 1 - n : n;
            struct pp_resp *r =
                pp_request_post_with(&nodes[n], h, "/api/payment/create", api_key, headers, body);
            /* No answer (refused, or cut mid-request) is -1. */
            statuses[t][i] = r != NULL && r->status != 0 ? r->status : -1;
            if (statuses[t][i] == -1) {
                atomic_fetch_add(&cut, 1);
            } else if (r->status == 503) {
                atomic_fetch_add(&unavailable, 1);
            } else if (r->status == 409 && r->body != NULL &&
                       strstr(r->body, "its answer was lost") != NULL) {
                answer_lost[t][i] = 1;
            } else if (r->status == 200) {
                json_t *p = json_array_get(json_object_get(r->json, "payments"), 0);
                ids[t][i] = json_integer_value(json_object_get(p, "id"));
            }
            pp_resp_free(r);
            if (statuses[t][i] == 200 || (statuses[t][i] != 503 && statuses[t][i] != -1)) {
                break;
            }
            pp_sleep_ms(100);
        }
        atomic_fetch_add(&answered, 1);
        free(body);
    }
    curl_easy_cleanup(h);
    return NULL;
}

/* Runs the workers, sets off fault() once BEFORE_FAULT keys are answered,
** waits for the workers. */
static void load_with(void (*fault)(void))
{
    pthread_t threads[THREADS];
    atomic_store(&answered, 0);
    atomic_store(&unavailable, 0);
    atomic_store(&cut, 0);
    memset(ids, 0, sizeof ids);
    memset(answer_lost, 0, sizeof answer_lost);
    for (size_t t = 0; t < THREADS; t++) {
        pthread_create(&threads[t], NULL, worker, (void *)(uintptr_t)t);
    }
    while (atomic_load(&answered) < BEFORE_FAULT) {
        pp_sleep_ms(5);
    }
    fault();
    for (size_t t = 0; t < THREADS; t++) {
        pthread_join(threads[t], NULL);
    }
}

/* Every key was answered 200 with a payout of its own (or, cut off by the
** SIGKILL after its commit, reports its answer lost), each payout answered
** is there (read through the node still up), and the funds are blocked
** exactly once per key: none lost, none doubled. */
static void exactly_once(const struct pp_server *alive, const char *deposited)
{
    int lost = 0;
    for (size_t t = 0; t < THREADS; t++) {
        for (size_t i = 0; i < KEYS_PER_THREAD; i++) {
            if (answer_lost[t][i] && statuses[t][i] == 409) {
                lost++;
                continue;
            }
            if (statuses[t][i] != 200) {
                fail_msg("key fault-%zu-%zu ended with %ld", t, i, statuses[t][i]);
            }
            for (size_t u = 0; u <= t; u++) {
                for (size_t j = 0; j < (u == t ? i : KEYS_PER_THREAD); j++) {
                    assert_true(ids[u][j] != ids[t][i]);
                }
            }
            pp_assert_payout_status(alive, api_key, ids[t][i], "READY");
        }
    }
    printf("keys whose answer was lost with a node (their payout stands): %d\n", lost);
    char blocked[16];
    snprintf(blocked, sizeof blocked, "%d", THREADS * KEYS_PER_THREAD);
    char available[16];
    snprintf(available, sizeof available, "%d", atoi(deposited) - THREADS * KEYS_PER_THREAD);
    pp_assert_balance_now(alive, admin_token, "CHF", available, blocked, "0");
    pp_assert_check(alive->db_path, "after the fault");
}

static void nodes_start(const char *db, const char *const *env)
{
    struct pp_server_opts opts = {.db_path = db, .env = env};
    assert_int_equal(pp_server_start(&nodes[0], &opts), 0);
    opts.db_path = nodes[0].db_path;
    assert_int_equal(pp_server_start(&nodes[1], &opts), 0);
    for (int n = 0; n < NODES; n++) {
        atomic_store(&node_dead[n], 0);
    }
    admin_token = pp_admin_login(&nodes[0]);
    char *password = pp_enable_integration(&nodes[0], admin_token);
    api_key = pp_authenticate(&nodes[1], password);
    free(password);
    pp_fund(&nodes[1], admin_token, "CHF", "1000");
}

static void nodes_stop(void)
{
    for (int n = 0; n < NODES; n++) {
        pp_server_destroy(&nodes[n]);
    }
    free(admin_token);
    free(api_key);
    admin_token = api_key = NULL;
}

static void kill_node0(void)
{
    atomic_store(&node_dead[0], 1);
    pp_server_kill(&nodes[0]);
}

static void test_sigkill_mid_batch(void **state)
{
    (void)state;
    nodes_start(NULL, no_limits_env);
    load_with(kill_node0);
    printf("SIGKILL of a node under load: %d request(s) cut off, %d answered 503, all %d keys "
           "once\n",
           atomic_load(&cut), atomic_load(&unavailable), THREADS * KEYS_PER_THREAD);
    exactly_once(&nodes[1], "1000");
    nodes_stop();
}

static char cluster_dir[1024];

/* Runs shell command line (free()d); returns its exit status, *out (may
** be NULL) its output with stderr (free()). */
static int shell_run(char *line, char **out)
{
    FILE *f = popen(line, "r");
    free(line);
    if (f == NULL) {
        return -1;
    }
    size_t cap = 4096, len = 0;
    char *buf = calloc(1, cap);
    size_t got;
    while (buf != NULL && (got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (len + 1 == cap) {
            char *bigger = realloc(buf, cap * 2);
            if (bigger == NULL) {
                break;
            }
            buf = bigger;
            cap *= 2;
        }
        buf[len] = '\0';
    }
    int rc = pclose(f);
    if (out != NULL) {
        *out = buf;
    } else {
        free(buf);
    }
    return rc;
}

/* Runs tests/pg/pg_cluster.sh cmd cluster_dir, as shell_run. */
static int cluster_run(const char *cmd, char **out)
{
    return shell_run(pp_fmt("'%s' %s '%s' 2>&1", PP_PG_CLUSTER_SH, cmd, cluster_dir), out);
}

/* Starts a cluster of the test's own in a fresh cluster_dir; returns its
** URI (free() it with own_cluster_stop). */
static char *own_cluster_start(void)
{
    assert_int_equal(pp_temp_dir_make(cluster_dir, sizeof cluster_dir), 0);
    char *url = NULL;
    assert_int_equal(cluster_run("start", &url), 0);
    assert_non_null(url);
    url[strcspn(url, "\n")] = '\0';
    return url;
}

static void own_cluster_stop(char *url)
{
    assert_int_equal(cluster_run("stop", NULL), 0);
    free(url);
    pp_temp_dir_remove(cluster_dir);
    cluster_dir[0] = '\0';
}

static void restart_database(void)
{
    char *out = NULL;
    int rc = cluster_run("restart", &out);
    if (rc != 0) {
        fprintf(stderr, "pg_cluster.sh restart failed (%d): %s\n", rc, out != NULL ? out : "");
    }
    free(out);
}

/* The database restarted under load, the nodes started with env. */
static void restart_under_load(const char *const *env)
{
    char *url = own_cluster_start();
    nodes_start(url, env);
    load_with(restart_database);
    printf("the database restarted under load (%s): %d answered 503, %d cut off, then all %d "
           "keys once\n",
           env[0], atomic_load(&unavailable), atomic_load(&cut), THREADS * KEYS_PER_THREAD);
    /* While it was down the nodes said so. */
    assert_true(atomic_load(&unavailable) > 0);
    exactly_once(&nodes[1], "1000");
    /* Both nodes serve again (each reconnected by itself). */
    for (int n = 0; n < NODES; n++) {
        struct pp_resp *r = pp_get(&nodes[n], "/api/balances", api_key);
        pp_assert_status(r, 200);
        pp_resp_free(r);
    }
    nodes_stop();
    own_cluster_stop(url);
}

static void test_database_restart_under_load(void **state)
{
    (void)state;
    restart_under_load(no_limits_env);
}

/* The same with every request counted in the shared rate counters: a
** counter's round trips cut off answer 503, never a half-saved count,
** and the read connections they ran on reconnect. */
static void test_database_restart_under_counted_load(void **state)
{
    (void)state;
    restart_under_load(counted_env);
}

/* Sends sig to every process of the test's own cluster: the postmaster
** (the first line of DATA/postmaster.pid) and its children. */
static void cluster_signal(int sig)
{
    char *pointer = pp_fmt("%s/cluster", cluster_dir);
    char *root = pp_file_read(pointer, NULL);
    assert_non_null(root);
    root[strcspn(root, "\n")] = '\0';
    char *pid_file = pp_fmt("%s/data/postmaster.pid", root);
    char *pids = pp_file_read(pid_file, NULL);
    assert_non_null(pids);
    long postmaster = strtol(pids, NULL, 10);
    assert_true(postmaster > 1);
    /* The postmaster first when stopping (it then starts no new child),
    ** last when continuing. */
    if (sig == SIGSTOP) {
        assert_int_equal(kill((pid_t)postmaster, sig), 0);
    }
    int children = 0;
    DIR *proc = opendir("/proc");
    assert_non_null(proc);
    struct dirent *d;
    while ((d = readdir(proc)) != NULL) {
        char *stat_path = pp_fmt("/proc/%s/stat", d->d_name);
        char *stat =
            d->d_name[0] >= '1' && d->d_name[0] <= '9' ? pp_file_read(stat_path, NULL) : NULL;
        const char *end = stat != NULL ? strrchr(stat, ')') : NULL;
        char state = 0;
        long ppid = 0;
        if (end != NULL && sscanf(end + 1, " %c %ld", &state, &ppid) == 2 && ppid == postmaster) {
            kill((pid_t)strtol(d->d_name, NULL, 10), sig);
            children++;
        }
        free(stat);
        free(stat_path);
    }
    closedir(proc);
    if (sig != SIGSTOP) {
        assert_int_equal(kill((pid_t)postmaster, sig), 0);
    }
    assert_true(children > 0);
    free(pids);
    free(pid_file);
    free(root);
    free(pointer);
}

static long stuck_status;
/* Set while every process of the test's own cluster is stopped. */
static int cluster_stopped;

/* A create without an Idempotency-Key (its handler waits on a fiber). */
static void *stuck_create(void *arg)
{
    (void)arg;
    CURL *h = curl_easy_init();
    struct pp_resp *r = pp_request_post_with(
        &nodes[0], h, "/api/payment/create", api_key, NULL,
        "{\"amount\":1,\"currency\":\"CHF\",\"startDate\":\"2031-01-01T00:00:00Z\","
        "\"endDate\":\"2031-06-01T00:00:00Z\",\"name\":\"Faults\",\"description\":\"stuck\","
        "\"userName\":\"stuck\",\"notification\":false}");
    stuck_status = r != NULL && r->status != 0 ? r->status : -1;
    pp_resp_free(r);
    curl_easy_cleanup(h);
    return NULL;
}

static void test_database_stops_answering(void **state)
{
    (void)state;
    char *url = own_cluster_start();
    nodes_start(url, short_stop_env);
    /* One create committed before: the writer's connection is up. */
    struct pp_resp *r = pp_post(&nodes[0], "/api/payment/create", api_key,
                                "{\"amount\":1,\"currency\":\"CHF\","
                                "\"startDate\":\"2031-01-01T00:00:00Z\","
                                "\"endDate\":\"2031-06-01T00:00:00Z\",\"name\":\"Faults\","
                                "\"description\":\"before\",\"userName\":\"before\","
                                "\"notification\":false}");
    pp_assert_status(r, 200);
    pp_resp_free(r);

    cluster_signal(SIGSTOP);
    cluster_stopped = 1;
    pthread_t thread;
    stuck_status = 0;
    pthread_create(&thread, NULL, stuck_create, NULL);
    /* Time for the create to reach the writer's queue (a few ms; this
    ** leaves room for a loaded machine and a sanitizer build). Sent
    ** after the SIGTERM instead, it would be refused and the node would
    ** exit 0, which fails the test rather than passing it. */
    pp_sleep_ms(2000);
    long long t0 = pp_now_ms();
    pid_t pid = nodes[0].pid;
    assert_int_equal(kill(pid, SIGTERM), 0);
    int wstatus = 0;
    pid_t got = 0;
    /* Two waits of --stop-wait-s (2 s): the requests in flight, then the
    ** writes; a bound well above both. */
    while ((got = waitpid(pid, &wstatus, WNOHANG)) == 0 && pp_now_ms() - t0 < 60000) {
        pp_sleep_ms(50);
    }
    double waited = (double)(pp_now_ms() - t0) / 1000.0;
    if (got == pid) {
        nodes[0].pid = 0;
    }
    cluster_signal(SIGCONT);
    cluster_stopped = 0;
    pthread_join(thread, NULL);
    printf("a database that stopped answering: the node exited %d after %.1f s\n",
           got > 0 && WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1, waited);
    assert_int_equal(got, pid);
    assert_true(WIFEXITED(wstatus));
    assert_int_equal(WEXITSTATUS(wstatus), 1);
    /* It waited for the write before it gave up. */
    assert_true(waited >= 4.0);
    char *err = pp_file_read(nodes[0].err_path, NULL);
    assert_non_null(err);
    assert_non_null(strstr(err, "1 writes still unfinished after 2 s"));
    free(err);
    /* The stuck create was never answered, and nothing of it is stored. */
    assert_int_equal(stuck_status, -1);
    pp_assert_balance_now(&nodes[1], admin_token, "CHF", "999", "1", "0");
    pp_assert_check(nodes[1].db_path, "after the database answered again");
    nodes_stop();
    own_cluster_stop(url);
}

/* Runs sql with psql on database url, as shell_run. */
static int psql_run(const char *url, const char *sql, char **out)
{
    const char *bin = getenv("PP_PG_BIN");
    return shell_run(pp_fmt("'%s/psql' -X -q -v ON_ERROR_STOP=1 '%s' -c \"%s\" 2>&1",
                            bin != NULL ? bin : "/usr/lib/postgresql/15/bin", url, sql),
                     out);
}

/* The references of payouts, ledger, events and e-mails are checked by
** triggers (migrations/postgres/0012_references.sql): a row naming no
** payout is refused, and one written with the triggers off (as a restore
** may) is reported by `check`, as SQLite's foreign_key_check does. */
static void test_broken_reference(void **state)
{
    (void)state;
    nodes_start(NULL, no_limits_env);
    long long id = pp_payout_create(&nodes[0], api_key,
                                    "{\"amount\":1,\"currency\":\"CHF\","
                                    "\"startDate\":\"2031-01-01T00:00:00Z\","
                                    "\"endDate\":\"2031-06-01T00:00:00Z\",\"name\":\"Faults\","
                                    "\"description\":\"named\",\"userName\":\"named\","
                                    "\"notification\":false}",
                                    "READY");
    assert_true(id > 0);
    pp_assert_check(nodes[0].db_path, "before the damage");
    /* Status 4 (skipped): the outbox leaves it alone. */
    char *insert = pp_fmt("INSERT INTO notifications (payout_id, kind, channel, status, next_ms,"
                          " created_ms, at_ms) VALUES (%lld, 1, 'email', 4, 0, 0, 0)",
                          id + 1000);
    char *out = NULL;
    assert_int_not_equal(psql_run(nodes[0].db_path, insert, &out), 0);
    assert_non_null(out);
    if (strstr(out, "a row of notifications names a payout that does not exist") == NULL) {
        fail_msg("psql: %s", out);
    }
    free(out);
    char *replica = pp_fmt("SET session_replication_role = replica; %s", insert);
    out = NULL;
    if (psql_run(nodes[0].db_path, replica, &out) != 0) {
        fail_msg("psql with the triggers off: %s", out != NULL ? out : "");
    }
    free(out);
    free(replica);
    free(insert);
    out = NULL;
    int rc = pp_check(nodes[0].db_path, &out);
    printf("check after a row naming no payout: exit %d\n%s", rc, out != NULL ? out : "");
    assert_int_not_equal(rc, 0);
    assert_non_null(out);
    assert_non_null(strstr(out, "foreign key violation: notifications row "));
    assert_non_null(strstr(out, " has no payouts"));
    free(out);
    nodes_stop();
}

/* After a test that started a cluster of its own: when it failed before
** stopping that cluster, its nodes and the cluster are stopped here, so
** that no PostgreSQL server outlives the run (nor stays stopped). */
static int own_cluster_teardown(void **state)
{
    (void)state;
    if (cluster_dir[0] == '\0') {
        return 0;
    }
    if (cluster_stopped) {
        cluster_signal(SIGCONT);
        cluster_stopped = 0;
    }
    if (nodes[0].dir[0] != '\0') {
        nodes_stop();
    }
    int rc = cluster_run("stop", NULL);
    pp_temp_dir_remove(cluster_dir);
    cluster_dir[0] = '\0';
    return rc == 0 ? 0 : -1;
}

static int group_setup(void **state)
{
    (void)state;
    if (!pp_db_is_postgres()) {
        fprintf(stderr, "test_pg_faults: needs PP_TEST_BACKEND=postgresql\n");
        return -1;
    }
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sigkill_mid_batch),
        cmocka_unit_test_teardown(test_database_restart_under_load, own_cluster_teardown),
        cmocka_unit_test_teardown(test_database_restart_under_counted_load, own_cluster_teardown),
        cmocka_unit_test_teardown(test_database_stops_answering, own_cluster_teardown),
        cmocka_unit_test(test_broken_reference),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
