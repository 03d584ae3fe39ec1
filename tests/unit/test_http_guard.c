/*
** This module implements the integration tests of out/http_guard.c: a
** tiny HTTP server started by the test on 127.0.0.1 (a thread answering
** "/" with 200, "/redirect" with a 302 and "/big" with 200 KiB), and a
** libcurl handle set up by the guard talking to it. Without an allowlist
** the connection is refused with a reason naming loopback, also for the
** decimal and hex spellings of 127.0.0.1, for [::ffff:127.0.0.1] and for
** localhost, and the server sees no request; with 127.0.0.0/8 the request
** goes through, a 302 is not followed, a large answer is cut at 64 KiB, a
** proxy from the environment is ignored, and file:// is refused.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "payout/out/http_guard.h"

#define BIG_BYTES (200u * 1024u)

static int listen_fd = -1;
static unsigned short port;
static pthread_t server_thread;
static int requests_seen; /* written by the server thread, read after joins of transfers */
static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;

static void send_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n <= 0) {
            return; /* the client stopped reading: expected for /big */
        }
        data += n;
        len -= (size_t)n;
    }
}

static void answer(int fd, const char *request)
{
    if (strncmp(request, "GET /redirect ", 14) == 0) {
        const char *r = "HTTP/1.1 302 Found\r\nLocation: /\r\nContent-Length: 0\r\n"
                        "Connection: close\r\n\r\n";
        send_all(fd, r, strlen(r));
    } else if (strncmp(request, "GET /big ", 9) == 0) {
        char head[128];
        int n = snprintf(head, sizeof head,
                         "HTTP/1.1 200 OK\r\nContent-Length: %u\r\nConnection: close\r\n\r\n",
                         BIG_BYTES);
        send_all(fd, head, (size_t)n);
        char *body = malloc(BIG_BYTES);
        memset(body, 'x', BIG_BYTES);
        send_all(fd, body, BIG_BYTES);
        free(body);
    } else {
        const char *r = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello";
        send_all(fd, r, strlen(r));
    }
}

static void *server_main(void *arg)
{
    (void)arg;
    for (;;) {
        int fd = accept(listen_fd, NULL, NULL);
        if (fd < 0) {
            return NULL; /* the listening socket was shut down */
        }
        char request[2048] = "";
        size_t len = 0;
        while (len < sizeof request - 1 && strstr(request, "\r\n\r\n") == NULL) {
            ssize_t n = recv(fd, request + len, sizeof request - 1 - len, 0);
            if (n <= 0) {
                break;
            }
            len += (size_t)n;
            request[len] = '\0';
        }
        request[len] = '\0';
        pthread_mutex_lock(&seen_lock);
        requests_seen++;
        pthread_mutex_unlock(&seen_lock);
        answer(fd, request);
        close(fd);
    }
}

static int seen(void)
{
    pthread_mutex_lock(&seen_lock);
    int n = requests_seen;
    pthread_mutex_unlock(&seen_lock);
    return n;
}

static int server_start(void **state)
{
    (void)state;
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sin;

    listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&sin, sizeof sin) != 0 ||
        listen(listen_fd, 16) != 0 || getsockname(listen_fd, (struct sockaddr *)&sin, &len) != 0) {
        return -1;
    }
    port = ntohs(sin.sin_port);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return pthread_create(&server_thread, NULL, server_main, NULL) == 0 ? 0 : -1;
}

static int server_stop(void **state)
{
    (void)state;
    shutdown(listen_fd, SHUT_RDWR);
    pthread_join(server_thread, NULL);
    close(listen_fd);
    curl_global_cleanup();
    return 0;
}

struct result {
    CURLcode code;
    long http_status;
    struct out_http_guard guard;
    char effective_url[256];
};

/* GETs http://<host>:<port><path> through the guard; allow_text NULL
** means no allowlist. The caller destroys r->guard. */
static void get(const char *host, const char *path, const char *allow_text, struct result *r)
{
    static struct pp_cidr_list allow;
    char url[256];
    char *effective = NULL;

    memset(r, 0, sizeof *r);
    if (allow_text != NULL) {
        assert_int_equal(pp_cidr_list_parse("--webhook-allow-cidrs", allow_text, &allow, NULL),
                         PP_OK);
    }
    snprintf(url, sizeof url, "http://%s:%u%s", host, port, path);
    CURL *curl = curl_easy_init();
    assert_non_null(curl);
    assert_int_equal(out_http_guard_setup(curl, &r->guard, allow_text ? &allow : NULL, NULL),
                     PP_OK);
    assert_int_equal(curl_easy_setopt(curl, CURLOPT_URL, url), CURLE_OK);
    r->code = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r->http_status);
    curl_easy_getinfo(curl, CURLINFO_EFFECTIVE_URL, &effective);
    snprintf(r->effective_url, sizeof r->effective_url, "%s", effective ? effective : "");
    curl_easy_cleanup(curl);
}

static void refused_as_loopback(const char *host, const char *addr_text)
{
    struct result r;
    char want[PP_OUT_REASON_BYTES];
    int before = seen();

    get(host, "/", NULL, &r);
    assert_int_equal(r.code, CURLE_COULDNT_CONNECT);
    assert_int_equal(r.guard.refused, 1);
    snprintf(want, sizeof want, "%s is a loopback address, not allowed by --webhook-allow-cidrs",
             addr_text);
    assert_string_equal(r.guard.refused_reason, want);
    assert_int_equal(r.guard.answer.len, 0);
    assert_int_equal(seen(), before);
    out_http_guard_destroy(&r.guard);
}

static void http_refused_without_allowlist(void **state)
{
    (void)state;
    refused_as_loopback("127.0.0.1", "127.0.0.1");
    refused_as_loopback("2130706433", "127.0.0.1");
    refused_as_loopback("0x7f000001", "127.0.0.1");
    refused_as_loopback("[::ffff:127.0.0.1]", "::ffff:127.0.0.1");
}

/* localhost resolves to 127.0.0.1 and/or ::1: whichever comes first is
** refused as loopback, and the server sees nothing. */
static void http_localhost_refused(void **state)
{
    (void)state;
    struct result r;
    int before = seen();

    get("localhost", "/", NULL, &r);
    assert_int_equal(r.code, CURLE_COULDNT_CONNECT);
    assert_int_equal(r.guard.refused, 1);
    assert_non_null(strstr(r.guard.refused_reason, " is a loopback address"));
    assert_int_equal(seen(), before);
    out_http_guard_destroy(&r.guard);
}

static void http_allowed_with_allowlist(void **state)
{
    (void)state;
    struct result r;
    int before = seen();

    get("127.0.0.1", "/", "127.0.0.0/8", &r);
    assert_int_equal(r.code, CURLE_OK);
    assert_int_equal(r.http_status, 200);
    assert_int_equal(r.guard.refused, 0);
    assert_string_equal(r.guard.refused_reason, "");
    assert_int_equal(r.guard.answer.len, 5);
    assert_memory_equal(r.guard.answer.data, "hello", 5);
    assert_int_equal(r.guard.answer_truncated, 0);
    assert_int_equal(seen(), before + 1);
    out_http_guard_destroy(&r.guard);
    /* The numeric spellings reach the same server once allowed. */
    get("2130706433", "/", "127.0.0.0/8", &r);
    assert_int_equal(r.code, CURLE_OK);
    assert_int_equal(r.http_status, 200);
    out_http_guard_destroy(&r.guard);
}

static void http_redirect_not_followed(void **state)
{
    (void)state;
    struct result r;
    char want[256];
    int before = seen();

    get("127.0.0.1", "/redirect", "127.0.0.0/8", &r);
    assert_int_equal(r.code, CURLE_OK);
    assert_int_equal(r.http_status, 302);
    snprintf(want, sizeof want, "http://127.0.0.1:%u/redirect", port);
    assert_string_equal(r.effective_url, want);
    assert_int_equal(seen(), before + 1);
    out_http_guard_destroy(&r.guard);
}

static void http_answer_cut_at_limit(void **state)
{
    (void)state;
    struct result r;

    get("127.0.0.1", "/big", "127.0.0.0/8", &r);

    assert_int_equal(r.code, CURLE_WRITE_ERROR);
    assert_int_equal(r.http_status, 200);
    assert_int_equal(r.guard.answer.len, PP_WEBHOOK_ANSWER_BYTES_MAX);
    assert_int_equal(r.guard.answer_truncated, 1);
    assert_int_equal(r.guard.answer.data[0], 'x');
    assert_int_equal(r.guard.answer.data[PP_WEBHOOK_ANSWER_BYTES_MAX - 1], 'x');
    out_http_guard_destroy(&r.guard);
}

/* A proxy named by the environment (a TEST-NET address nobody answers on)
** is not used: the request reaches the server directly. */
static void http_environment_proxy_ignored(void **state)
{
    (void)state;
    struct result r;

    setenv("http_proxy", "http://192.0.2.1:9", 1);
    setenv("HTTP_PROXY", "http://192.0.2.1:9", 1);
    setenv("ALL_PROXY", "http://192.0.2.1:9", 1);
    get("127.0.0.1", "/", "127.0.0.0/8", &r);
    unsetenv("http_proxy");
    unsetenv("HTTP_PROXY");
    unsetenv("ALL_PROXY");
    assert_int_equal(r.code, CURLE_OK);
    assert_int_equal(r.http_status, 200);
    out_http_guard_destroy(&r.guard);
}

static void http_other_protocols_refused(void **state)
{
    (void)state;
    static const char *const urls[] = {"file:///etc/passwd", "ftp://127.0.0.1/", "gopher://x/",
                                       "dict://127.0.0.1/"};
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
        struct out_http_guard guard;
        CURL *curl = curl_easy_init();
        assert_non_null(curl);
        assert_int_equal(out_http_guard_setup(curl, &guard, NULL, NULL), PP_OK);
        assert_int_equal(curl_easy_setopt(curl, CURLOPT_URL, urls[i]), CURLE_OK);
        assert_int_equal(curl_easy_perform(curl), CURLE_UNSUPPORTED_PROTOCOL);
        assert_int_equal(guard.answer.len, 0);
        curl_easy_cleanup(curl);
        out_http_guard_destroy(&guard);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(http_refused_without_allowlist),
        cmocka_unit_test(http_localhost_refused),
        cmocka_unit_test(http_allowed_with_allowlist),
        cmocka_unit_test(http_redirect_not_followed),
        cmocka_unit_test(http_answer_cut_at_limit),
        cmocka_unit_test(http_environment_proxy_ignored),
        cmocka_unit_test(http_other_protocols_refused),
    };
    return cmocka_run_group_tests(tests, server_start, server_stop);
}
