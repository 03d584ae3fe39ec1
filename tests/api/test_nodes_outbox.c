/*
** This module tests the outbox of two servers sharing one PostgreSQL
** database (spec sections 9 and 10): one webhook endpoint (a receiver the
** test runs on a loopback port, counting what arrives by webhook-id),
** payouts created and cancelled through both nodes at once from several
** threads while both nodes' delivery workers run. Once the outbox has no
** pending delivery left, every event of the feed arrived exactly once
** (each delivery was claimed by one node at a time: none sent twice),
** nothing else arrived, and each cancelled payout's payout.created came
** before its payout.cancelled (the order rule holds across nodes).
**
** It runs only on PostgreSQL (label postgresql); without a cluster it fails.
*/
#include "harness.h"
#include "harness/db.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define NODES 2
#define THREADS 4
#define CREATES_PER_THREAD 6
/* Deliveries the receiver keeps (far more than the test makes). */
#define RECEIVED_MAX 512
#define ID_BYTES 32
/* Bytes of one request the receiver reads: headers and a payout event. */
#define REQUEST_BYTES_MAX (64 * 1024)
/* How long the test waits for the outbox to drain. */
#define DRAIN_TIMEOUT_MS 90000

static struct pp_server nodes[NODES];
static char *admin_token;
static char *api_key;

/* --- The receiver -------------------------------------------------------- */

static struct {
    int fd;
    int port;
    pthread_t thread;
    atomic_int stop;
    pthread_mutex_t mu;
    char ids[RECEIVED_MAX][ID_BYTES];
    size_t count;
} rx = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* The value of header name in the request head (NUL-terminated), into out. */
static int header_value(const char *head, const char *name, char *out, size_t out_size)
{
    size_t len = strlen(name);
    for (const char *line = strstr(head, "\r\n"); line != NULL; line = strstr(line, "\r\n")) {
        line += 2;
        if (strncasecmp(line, name, len) == 0 && line[len] == ':') {
            const char *v = line + len + 1;
            v += strspn(v, " ");
            size_t n = strcspn(v, "\r\n");
            if (n >= out_size) {
                return -1;
            }
            memcpy(out, v, n);
            out[n] = '\0';
            return 0;
        }
    }
    return -1;
}

/* Reads one request from fd, records its webhook-id, answers 200. */
static void receiver_serve(int fd, char *buf)
{
    size_t used = 0;
    char *end = NULL;
    while (end == NULL && used < REQUEST_BYTES_MAX - 1) {
        ssize_t n = read(fd, buf + used, REQUEST_BYTES_MAX - 1 - used);
        if (n <= 0) {
            return;
        }
        used += (size_t)n;
        buf[used] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    if (end == NULL) {
        return;
    }
    *end = '\0';
    char length[32], id[ID_BYTES];
    size_t body = header_value(buf, "content-length", length, sizeof length) == 0
                      ? (size_t)strtoul(length, NULL, 10)
                      : 0;
    size_t have = used - (size_t)(end + 4 - buf);
    while (have < body) {
        ssize_t n = read(fd, buf, REQUEST_BYTES_MAX);
        if (n <= 0) {
            return;
        }
        have += (size_t)n;
    }
    if (header_value(buf, "webhook-id", id, sizeof id) == 0) {
        pthread_mutex_lock(&rx.mu);
        if (rx.count < RECEIVED_MAX) {
            memcpy(rx.ids[rx.count++], id, sizeof id);
        }
        pthread_mutex_unlock(&rx.mu);
    }
    static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    ssize_t w = write(fd, ok, sizeof ok - 1);
    (void)w;
}

static void *receiver_main(void *arg)
{
    (void)arg;
    char *buf = malloc(REQUEST_BYTES_MAX);
    while (buf != NULL && !atomic_load(&rx.stop)) {
        struct pollfd p = {.fd = rx.fd, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0) {
            continue;
        }
        int c = accept(rx.fd, NULL, NULL);
        if (c >= 0) {
            receiver_serve(c, buf);
            close(c);
        }
    }
    free(buf);
    return NULL;
}

static int receiver_start(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    rx.fd = socket(AF_INET, SOCK_STREAM, 0);
    if (rx.fd < 0 || bind(rx.fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(rx.fd, 64) != 0 ||
        getsockname(rx.fd, (struct sockaddr *)&a, &len) != 0) {
        return -1;
    }
    rx.port = ntohs(a.sin_port);
    return pthread_create(&rx.thread, NULL, receiver_main, NULL) == 0 ? 0 : -1;
}

/* How many times id arrived. */
static size_t received(const char *id)
{
    size_t n = 0;
    pthread_mutex_lock(&rx.mu);
    for (size_t i = 0; i < rx.count; i++) {
        n += strcmp(rx.ids[i], id) == 0;
    }
    pthread_mutex_unlock(&rx.mu);
    return n;
}

/* Where id first arrived (RECEIVED_MAX when it did not). */
static size_t received_at(const char *id)
{
    size_t at = RECEIVED_MAX;
    pthread_mutex_lock(&rx.mu);
    for (size_t i = 0; i < rx.count && at == RECEIVED_MAX; i++) {
        at = strcmp(rx.ids[i], id) == 0 ? i : at;
    }
    pthread_mutex_unlock(&rx.mu);
    return at;
}

/* --- Setup ------------------------------------------------------------------ */

static int group_setup(void **state)
{
    (void)state;
    static const char *const args[] = {"--webhook-allow-cidrs", "127.0.0.0/8", "--webhook-retry-ms",
                                       "200,200,200,200,200", NULL};
    if (!pp_db_is_postgres()) {
        fprintf(stderr, "test_nodes_outbox: needs PP_TEST_BACKEND=postgresql (label postgresql)\n");
        return -1;
    }
    struct pp_server_opts first = {.args = args};
    if (receiver_start() != 0 || pp_server_start(&nodes[0], &first) != 0) {
        return -1;
    }
    struct pp_server_opts second = {.db_path = nodes[0].db_path, .args = args};
    if (pp_server_start(&nodes[1], &second) != 0) {
        return -1;
    }
    admin_token = pp_admin_login(&nodes[0]);
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
    atomic_store(&rx.stop, 1);
    pthread_join(rx.thread, NULL);
    close(rx.fd);
    free(admin_token);
    free(api_key);
    return 0;
}

/* --- The test --------------------------------------------------------------- */

static pthread_barrier_t barrier;
static long long created[THREADS][CREATES_PER_THREAD];

/* Creates through alternating nodes; cancels every second payout through
** the other node. Records the ids (0: a request failed). */
static void *payout_worker(void *arg)
{
    size_t t = *(size_t *)arg;
    CURL *h = curl_easy_init();
    pthread_barrier_wait(&barrier);
    for (size_t i = 0; i < CREATES_PER_THREAD; i++) {
        const struct pp_server *node = &nodes[(t + i) % NODES];
        char *body = pp_fmt("{\"amount\":1,\"currency\":\"CHF\","
                            "\"startDate\":\"2031-01-01T00:00:00Z\","
                            "\"endDate\":\"2031-06-01T00:00:00Z\",\"name\":\"Outbox\","
                            "\"description\":\"two workers\",\"userName\":\"o-%zu-%zu\","
                            "\"notification\":false}",
                            t, i);
        struct pp_resp *r = pp_request_post(node, h, "/api/payment/create", api_key, body);
        json_t *id =
            r != NULL && r->status == 200
                ? json_object_get(json_array_get(json_object_get(r->json, "payments"), 0), "id")
                : NULL;
        created[t][i] = json_is_integer(id) ? json_integer_value(id) : 0;
        pp_resp_free(r);
        free(body);
        if (created[t][i] != 0 && i % 2 == 1) {
            char *ids = pp_fmt("{\"ids\":[%lld]}", created[t][i]);
            const struct pp_server *other = &nodes[(t + i + 1) % NODES];
            pp_resp_free(pp_request_post(other, h, "/api/payment/cancel", api_key, ids));
            free(ids);
        }
    }
    curl_easy_cleanup(h);
    return NULL;
}

static long long metric(const struct pp_server *node, const char *name)
{
    struct pp_req req = {.path = "/metrics"};
    struct pp_resp *r = pp_call(node, &req);
    assert_int_equal(r->status, 200);
    const char *at = strstr(r->body, name);
    while (at != NULL && !(at == r->body || at[-1] == '\n')) {
        at = strstr(at + 1, name);
    }
    if (at == NULL) {
        fail_msg("no %s in /metrics", name);
    }
    long long v = atoll(at + strlen(name) + 1);
    pp_resp_free(r);
    return v;
}

/* The feed's events, oldest first (a new response: the caller frees it). */
static struct pp_resp *feed(void)
{
    struct pp_resp *r = pp_get(&nodes[0], "/api/events?size=500", api_key);
    assert_int_equal(r->status, 200);
    assert_true(json_is_array(json_object_get(r->json, "events")));
    return r;
}

static void test_each_event_once_over_two_workers(void **state)
{
    (void)state;
    char *hook = pp_fmt("{\"url\":\"http://127.0.0.1:%d/hook\"}", rx.port);
    struct pp_resp *r = pp_post(&nodes[0], "/api/webhooks", api_key, hook);
    assert_int_equal(r->status, 200);
    pp_resp_free(r);
    free(hook);
    pp_fund(&nodes[1], admin_token, "CHF", "100");
    pp_threads_run(THREADS, payout_worker, &barrier);
    for (size_t t = 0; t < THREADS; t++) {
        for (size_t i = 0; i < CREATES_PER_THREAD; i++) {
            assert_true(created[t][i] > 0);
        }
    }
    /* Drained: no delivery pending (the count is the database's, so either
    ** node answers for both). A delivery is recorded after its 2xx, so
    ** whatever was sent has arrived by then. */
    long long start = pp_now_ms();
    while (metric(&nodes[1], "payout_webhook_deliveries_pending") > 0) {
        assert_true(pp_now_ms() - start < DRAIN_TIMEOUT_MS);
        pp_sleep_ms(50);
    }
    struct pp_resp *events = feed();
    json_t *list = json_object_get(events->json, "events");
    size_t n = json_array_size(list);
    /* One deposit, every create, every second one cancelled. */
    assert_int_equal(n, 1 + THREADS * CREATES_PER_THREAD + THREADS * CREATES_PER_THREAD / 2);
    for (size_t i = 0; i < n; i++) {
        const char *id = json_string_value(json_object_get(json_array_get(list, i), "id"));
        assert_non_null(id);
        if (received(id) != 1) {
            fail_msg("%s arrived %zu times", id, received(id));
        }
    }
    pthread_mutex_lock(&rx.mu);
    size_t total = rx.count;
    pthread_mutex_unlock(&rx.mu);
    assert_int_equal(total, n);
    /* Per payout, created before cancelled (the order rule). */
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(list, i);
        if (strcmp(json_string_value(json_object_get(e, "type")), "payout.cancelled") != 0) {
            continue;
        }
        json_int_t pid = json_integer_value(json_object_get(json_object_get(e, "data"), "id"));
        for (size_t k = 0; k < i; k++) {
            json_t *c = json_array_get(list, k);
            if (json_integer_value(json_object_get(json_object_get(c, "data"), "id")) == pid &&
                strcmp(json_string_value(json_object_get(c, "type")), "payout.created") == 0) {
                assert_true(received_at(json_string_value(json_object_get(c, "id"))) <
                            received_at(json_string_value(json_object_get(e, "id"))));
            }
        }
    }
    pp_resp_free(events);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_event_once_over_two_workers),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
