/*
** This module abuses the server the way slow and greedy clients do, over
** raw TCP sockets, against a server started with a 2-second connection
** timeout, 8 connections per client address and 40 in all:
** - an idle connection is closed after the timeout;
** - a client trickling its body (a byte every 0.5 s, each under the idle
**   timeout) is dropped at the request deadline (2 timeouts), and one
**   trickling slower than the timeout is dropped at the timeout;
** - headers larger than the per-connection memory (16 KiB) get 431: 100
**   KiB, and 20 KiB, while 12 KiB are served;
** - the 9th connection from one address is refused while other addresses
**   are served; the 41st connection overall is refused while 40 are busy
**   reading bodies, and the server serves again once the abusers are gone;
** - while 24 abusive connections sit idle or trickle, well-behaved clients
**   (other threads, keep-alive) are all served, with their latency printed
**   and bounded.
** Each abusive socket binds its own loopback address (127.0.4.x ...), all
** still on the loopback interface.
*/
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TIMEOUT_S 2
#define PER_IP 8
#define CONNS_MAX 40
#define GOOD_THREADS 4
#define GOOD_REQUESTS 40
#define ABUSERS 24

static struct pp_server srv;

static int raw_connect(const char *local)
{
    int fd = pp_raw_connect(&srv, local);
    if (fd < 0) {
        fail_msg("cannot connect from %s: %s", local, strerror(errno));
    }
    return fd;
}

/* Milliseconds until the server closes fd (read returns 0 or an error),
** reading and discarding whatever it sends; -1 if still open after
** limit_ms. */
static long ms_until_closed(int fd, long limit_ms)
{
    long long start = pp_now_ms();
    char buf[4096];
    for (;;) {
        long left = limit_ms - (long)(pp_now_ms() - start);
        if (left <= 0) {
            return -1;
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, (int)left) > 0) {
            ssize_t n = read(fd, buf, sizeof buf);
            if (n <= 0) {
                return (long)(pp_now_ms() - start);
            }
        }
    }
}

/* 1 when fd got an HTTP status line within limit_ms. */
static int got_http_answer(int fd, long limit_ms)
{
    char buf[256];
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, (int)limit_ms) <= 0) {
        return 0;
    }
    ssize_t n = read(fd, buf, sizeof buf - 1);
    return n > 9 && memcmp(buf, "HTTP/1.1 ", 9) == 0;
}

static void assert_served_from(const char *addr)
{
    struct pp_req req = {.method = "GET", .path = "/api/version", .local_addr = addr};
    struct pp_resp *r = pp_request(&srv, NULL, &req);
    assert_non_null(r);
    if (r->status != 200) {
        fail_msg("GET /api/version from %s: %ld (%s)", addr, r->status, r->error);
    }
    pp_resp_free(r);
}

static void test_idle_connection_closed(void **state)
{
    (void)state;
    int fd = raw_connect("127.0.4.1");
    long ms = ms_until_closed(fd, TIMEOUT_S * 1000 + 3000);
    close(fd);
    if (ms < 0 || ms < TIMEOUT_S * 1000 - 500) {
        fail_msg("an idle connection was closed after %ld ms (timeout %d s)", ms, TIMEOUT_S);
    }
    printf("idle connection closed after %ld ms\n", ms);
}

static const char trickle_head[] = "POST /api/payment/cancel HTTP/1.1\r\nHost: t\r\n"
                                   "Content-Type: application/json\r\nContent-Length: 200\r\n\r\n";

/* Sends the head, then one body byte every gap_ms; returns the ms from the
** first body byte until the server closed, or -1 if it never did. */
static long trickle(const char *local, long gap_ms, int *bytes_sent)
{
    int fd = raw_connect(local);
    assert_true(write(fd, trickle_head, sizeof trickle_head - 1) > 0);
    long long start = pp_now_ms();
    long closed = -1;
    *bytes_sent = 0;
    for (int i = 0; i < 200 && closed < 0; i++) {
        if (send(fd, "{", 1, MSG_NOSIGNAL) != 1) {
            closed = (long)(pp_now_ms() - start);
            break;
        }
        (*bytes_sent)++;
        long waited = ms_until_closed(fd, gap_ms);
        if (waited >= 0) {
            closed = (long)(pp_now_ms() - start);
        }
        if (pp_now_ms() - start > 20000) {
            break;
        }
    }
    close(fd);
    return closed;
}

static void test_trickling_body_dropped(void **state)
{
    (void)state;
    int sent = 0;
    long ms = trickle("127.0.4.2", 500, &sent);
    if (ms < 0 || ms > (long)TIMEOUT_S * 2 * 1000 + 2000) {
        fail_msg("a body trickled at 2 bytes/s was not dropped at the deadline (%ld ms, %d bytes)",
                 ms, sent);
    }
    printf("body trickled a byte per 500 ms: dropped after %ld ms and %d of 200 bytes\n", ms, sent);
    ms = trickle("127.0.4.3", 3000, &sent);
    if (ms < 0 || ms > TIMEOUT_S * 1000 + 2000) {
        fail_msg("a body trickled a byte per 3 s was not dropped at the idle timeout (%ld ms)", ms);
    }
    printf("body trickled a byte per 3 s: dropped after %ld ms\n", ms);
    assert_served_from("127.0.0.1");
}

static void test_oversized_headers_refused(void **state)
{
    (void)state;
    int fd = raw_connect("127.0.4.4");
    const char *head = "GET /api/version HTTP/1.1\r\nHost: t\r\nX-Fill: ";
    assert_true(write(fd, head, strlen(head)) > 0);
    char fill[1024];
    memset(fill, 'a', sizeof fill);
    int refused = 0;
    for (int i = 0; i < 100 && !refused; i++) {
        refused = send(fd, fill, sizeof fill, MSG_NOSIGNAL) != (ssize_t)sizeof fill;
    }
    /* The kernel may have taken every byte: wait for the answer. */
    struct pollfd p = {.fd = fd, .events = POLLIN};
    char buf[128] = "";
    if (poll(&p, 1, 3000) > 0 && read(fd, buf, sizeof buf - 1) > 0) {
        if (strstr(buf, " 431 ") == NULL) {
            fail_msg("oversized headers answered %.40s, expected 431", buf);
        }
        refused = 1;
    }
    close(fd);
    if (!refused) {
        fail_msg("100 KiB of headers were neither answered 431 nor cut off (limit 16 KiB)");
    }
    assert_served_from("127.0.0.1");
}

/* The status of GET /api/version sent from addr with n header lines of
** 1,000 bytes each (0: no answer within 3 s). */
static int status_with_headers(const char *addr, int n)
{
    size_t cap = 256 + (size_t)n * 1024;
    char *req = malloc(cap);
    assert_non_null(req);
    int len = snprintf(req, cap, "GET /api/version HTTP/1.1\r\nHost: t\r\n");
    for (int i = 0; i < n; i++) {
        len += snprintf(req + len, cap - (size_t)len, "X-Pad-%02d: ", i);
        memset(req + len, 'a', 1000 - 10);
        len += 1000 - 10;
        len += snprintf(req + len, cap - (size_t)len, "\r\n");
    }
    len += snprintf(req + len, cap - (size_t)len, "Connection: close\r\n\r\n");
    int fd = raw_connect(addr);
    /* The server may answer and close before it has read everything. */
    for (int at = 0; at < len;) {
        ssize_t w = send(fd, req + at, (size_t)(len - at), MSG_NOSIGNAL);
        if (w <= 0) {
            break;
        }
        at += (int)w;
    }
    free(req);
    struct pollfd p = {.fd = fd, .events = POLLIN};
    char buf[64] = "";
    int status = 0;
    if (poll(&p, 1, 3000) > 0 && read(fd, buf, sizeof buf - 1) > 12 &&
        strncmp(buf, "HTTP/1.1 ", 9) == 0) {
        status = atoi(buf + 9);
    }
    close(fd);
    return status;
}

/* The documented limit (16 KiB per connection for the request line and
** headers): 12 KiB of headers are served, 20 KiB are refused. */
static void test_header_limit_edges(void **state)
{
    (void)state;
    int under = status_with_headers("127.0.4.20", 12);
    if (under != 200) {
        fail_msg("12 KiB of headers were answered %d, expected 200", under);
    }
    int over = status_with_headers("127.0.4.21", 20);
    if (over != 431) {
        fail_msg("20 KiB of headers were answered %d, expected 431", over);
    }
    printf("12 KiB of headers: %d; 20 KiB: %d\n", under, over);
    assert_served_from("127.0.0.1");
}

static const char get_version[] = "GET /api/version HTTP/1.1\r\nHost: t\r\n\r\n";

/* Whether a new connection from addr is served a GET within wait_ms. */
static int new_connection_served(const char *addr, long wait_ms)
{
    int fd = raw_connect(addr);
    ssize_t w = send(fd, get_version, sizeof get_version - 1, MSG_NOSIGNAL);
    int answered = w > 0 && got_http_answer(fd, wait_ms);
    close(fd);
    return answered;
}

static void test_per_ip_limit(void **state)
{
    (void)state;
    int fds[PER_IP];
    for (int i = 0; i < PER_IP; i++) {
        fds[i] = raw_connect("127.0.4.5");
    }
    pp_sleep_ms(100);
    if (new_connection_served("127.0.4.5", 1500)) {
        fail_msg("connection %d from one address was served (limit %d)", PER_IP + 1, PER_IP);
    }
    /* The same address is not locked out by the limit on other addresses. */
    assert_served_from("127.0.0.2");
    /* The held connections still work. */
    assert_true(send(fds[0], get_version, sizeof get_version - 1, MSG_NOSIGNAL) > 0);
    assert_true(got_http_answer(fds[0], 2000));
    for (int i = 0; i < PER_IP; i++) {
        close(fds[i]);
    }
    pp_sleep_ms(200);
    assert_served_from("127.0.4.5");
}

/* The 40 connections are busy (their headers sent, their bodies awaited):
** connections still waiting for headers would make room for the 41st
** (test_slow_clients), busy ones do not. */
static void test_connection_limit(void **state)
{
    (void)state;
    int fds[CONNS_MAX];
    for (int i = 0; i < CONNS_MAX; i++) {
        char addr[32];
        snprintf(addr, sizeof addr, "127.0.5.%d", 1 + i / PER_IP);
        if (i >= CONNS_MAX - CONNS_MAX / 16) {
            /* Past the room kept for new clients a connection drops the
            ** oldest one still waiting for headers: let the server read
            ** every earlier head first. */
            pp_sleep_ms(100);
        }
        fds[i] = raw_connect(addr);
        assert_true(send(fds[i], trickle_head, sizeof trickle_head - 1, MSG_NOSIGNAL) > 0);
    }
    pp_sleep_ms(100);
    if (new_connection_served("127.0.6.1", 1200)) {
        fail_msg("connection %d was served (limit %d)", CONNS_MAX + 1, CONNS_MAX);
    }
    for (int i = 0; i < CONNS_MAX; i++) {
        close(fds[i]);
    }
    pp_sleep_ms(300);
    assert_served_from("127.0.6.1");
}

/* --- Good clients under abuse --------------------------------------------------- */

struct good {
    int ok;
    long long worst_ms;
    long long total_ms;
};

static void *good_worker(void *arg)
{
    struct good *g = arg;
    CURL *h = curl_easy_init();
    for (int i = 0; i < GOOD_REQUESTS; i++) {
        struct pp_req req = {.method = "GET", .path = "/api/version"};
        long long t0 = pp_now_ms();
        struct pp_resp *r = pp_request(&srv, h, &req);
        long long ms = pp_now_ms() - t0;
        g->ok += r != NULL && r->status == 200;
        g->worst_ms = ms > g->worst_ms ? ms : g->worst_ms;
        g->total_ms += ms;
        pp_resp_free(r);
        pp_sleep_ms(20);
    }
    curl_easy_cleanup(h);
    return NULL;
}

struct abuser {
    int index;
};

static void *abuser_worker(void *arg)
{
    struct abuser *a = arg;
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.7.%d", 1 + a->index / 4);
    int sent = 0;
    if (a->index % 2 == 0) {
        trickle(addr, 400, &sent);
    } else {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in me = {.sin_family = AF_INET};
        inet_pton(AF_INET, addr, &me.sin_addr);
        struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)srv.port)};
        inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
        if (fd >= 0 && bind(fd, (struct sockaddr *)&me, sizeof me) == 0 &&
            connect(fd, (struct sockaddr *)&to, sizeof to) == 0) {
            ms_until_closed(fd, 6000);
        }
        if (fd >= 0) {
            close(fd);
        }
    }
    return NULL;
}

static void test_good_clients_served_under_abuse(void **state)
{
    (void)state;
    pthread_t abusers[ABUSERS];
    struct abuser ab[ABUSERS];
    for (int i = 0; i < ABUSERS; i++) {
        ab[i].index = i;
        pthread_create(&abusers[i], NULL, abuser_worker, &ab[i]);
    }
    pp_sleep_ms(300);
    pthread_t goods[GOOD_THREADS];
    struct good g[GOOD_THREADS];
    memset(g, 0, sizeof g);
    for (int i = 0; i < GOOD_THREADS; i++) {
        pthread_create(&goods[i], NULL, good_worker, &g[i]);
    }
    int ok = 0;
    long long worst = 0, total = 0;
    for (int i = 0; i < GOOD_THREADS; i++) {
        pthread_join(goods[i], NULL);
        ok += g[i].ok;
        worst = g[i].worst_ms > worst ? g[i].worst_ms : worst;
        total += g[i].total_ms;
    }
    for (int i = 0; i < ABUSERS; i++) {
        pthread_join(abusers[i], NULL);
    }
    printf("under %d abusive connections: %d/%d good requests served, mean %.1f ms, worst %lld "
           "ms\n",
           ABUSERS, ok, GOOD_THREADS * GOOD_REQUESTS,
           (double)total / (GOOD_THREADS * GOOD_REQUESTS), worst);
    assert_int_equal(ok, GOOD_THREADS * GOOD_REQUESTS);
    assert_true(worst < 2000);
}

static const char *const server_args[] = {
    "--conn-timeout-s", "2", "--per-ip-connections", "8", "--max-connections", "40", NULL};
static const struct pp_server_opts server_opts = {.args = server_args};
static const struct pp_session session = {.srv = &srv, .opts = &server_opts};

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idle_connection_closed),
        cmocka_unit_test(test_trickling_body_dropped),
        cmocka_unit_test(test_oversized_headers_refused),
        cmocka_unit_test(test_header_limit_edges),
        cmocka_unit_test(test_per_ip_limit),
        cmocka_unit_test(test_connection_limit),
        cmocka_unit_test(test_good_clients_served_under_abuse),
    };
    return PP_SESSION_RUN(tests, &session);
}
