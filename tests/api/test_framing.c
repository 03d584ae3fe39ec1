/*
** This module tests how the server frames requests it must not trust, over
** raw TCP sockets (curl would never send these), RFC 9112 in hand:
** - two Content-Length headers, or a list, are refused with the 400
**   envelope and the connection is closed: the bytes after the first
**   length (a smuggled second request) are never answered (§6.3);
** - Transfer-Encoding with Content-Length is refused 400 and closed; an
**   unknown or non-final transfer coding (xchunked, "identity, chunked") is
**   refused at once and closed instead of hanging until the idle timeout;
** - a Content-Length that is not one plain decimal number ("16, 16", "-1",
**   "+16", absurdly large) gets the JSON envelope once (one status line)
**   and the connection is closed;
** - what libmicrohttpd answers by itself before any callback (an HTTP/2
**   preface, an absurd chunk size) is framed sanely: one status line, then
**   the connection is closed;
** - an HTTP/1.1 request without Host, or with two, is 400 (§3.2);
** - HEAD is answered like GET without a body on GET routes, and 405s list
**   HEAD in Allow wherever they list GET.
*/
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* How long a test waits for an answer and the close: far below the idle
** timeout the server runs with (30 s), so a hang is a failure. */
#define ANSWER_WAIT_MS 5000
#define CONN_TIMEOUT_S "30"

static struct pp_server srv;

struct raw_answer {
    char text[65536];
    size_t len;
    int closed; /* the server closed the connection within the wait */
};

static int raw_connect(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)srv.port)};
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    if (connect(fd, (struct sockaddr *)&to, sizeof to) != 0) {
        fail_msg("cannot connect: %s", strerror(errno));
    }
    return fd;
}

/* Reads what fd answers until the server closes it or wait_ms pass. */
static void raw_read(int fd, struct raw_answer *a, long wait_ms)
{
    long long start = pp_now_ms();
    a->len = 0;
    a->closed = 0;
    for (;;) {
        long left = wait_ms - (long)(pp_now_ms() - start);
        if (left <= 0) {
            break;
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, (int)left) <= 0) {
            continue;
        }
        ssize_t n = read(fd, a->text + a->len, sizeof a->text - 1 - a->len);
        if (n <= 0) {
            a->closed = 1;
            break;
        }
        a->len += (size_t)n;
    }
    a->text[a->len] = '\0';
}

/* Sends req (len bytes) on a new connection and reads the answer. */
static void raw_exchange(const char *req, size_t len, struct raw_answer *a, long wait_ms)
{
    int fd = raw_connect();
    assert_true(send(fd, req, len, MSG_NOSIGNAL) == (ssize_t)len);
    raw_read(fd, a, wait_ms);
    close(fd);
}

/* Status lines in the answer ("HTTP/1.x NNN" at the start of a line). */
static int status_lines(const struct raw_answer *a)
{
    int n = 0;
    for (size_t i = 0; i + 9 <= a->len; i++) {
        if ((i == 0 || a->text[i - 1] == '\n') && memcmp(a->text + i, "HTTP/1.", 7) == 0) {
            n++;
        }
    }
    return n;
}

static long first_status(const struct raw_answer *a)
{
    return a->len > 12 ? strtol(a->text + 9, NULL, 10) : 0;
}

/* The answer's header block value of name (case-insensitive), or NULL. */
static const char *answer_header(const struct raw_answer *a, const char *name, char *out,
                                 size_t size)
{
    const char *end = strstr(a->text, "\r\n\r\n");
    size_t nlen = strlen(name);
    for (const char *p = strstr(a->text, "\r\n"); p != NULL && p < end; p = strstr(p + 2, "\r\n")) {
        if (strncasecmp(p + 2, name, nlen) == 0 && p[2 + nlen] == ':') {
            const char *v = p + 3 + nlen;
            v += strspn(v, " ");
            snprintf(out, size, "%.*s", (int)strcspn(v, "\r"), v);
            return out;
        }
    }
    return NULL;
}

/* Asserts: exactly one answer, status, the error envelope of type, and the
** connection closed by the server. */
static void assert_refused(const char *what, const struct raw_answer *a, long status,
                           const char *type)
{
    if (status_lines(a) != 1 || first_status(a) != status) {
        fail_msg("%s: expected one answer %ld, got %d status lines:\n%s", what, status,
                 status_lines(a), a->text);
    }
    const char *body = strstr(a->text, "\r\n\r\n");
    json_error_t jerr;
    json_t *j = body != NULL ? json_loads(body + 4, 0, &jerr) : NULL;
    json_t *err = json_object_get(j, "error");
    const char *got = json_string_value(json_object_get(err, "type"));
    const char *msg = json_string_value(json_object_get(err, "message"));
    json_t *errors = json_object_get(j, "errors");
    if (got == NULL || strcmp(got, type) != 0 || msg == NULL || msg[0] == '\0' ||
        !json_is_array(errors) || json_array_size(errors) != 0 || json_object_size(j) != 2) {
        fail_msg("%s: not the %s envelope:\n%s", what, type, a->text);
    }
    json_decref(j);
    if (!a->closed) {
        fail_msg("%s: the connection stayed open after the refusal", what);
    }
}

/* A request with a body "{}" and then a smuggled second request. */
static void send_smuggle(const char *framing_headers, struct raw_answer *a)
{
    char *req = pp_fmt("POST /api/authenticate HTTP/1.1\r\nHost: t\r\n"
                       "Content-Type: application/json\r\n%s\r\n"
                       "{}\r\n0\r\n\r\nGET /api/version HTTP/1.1\r\nHost: t\r\n\r\n",
                       framing_headers);
    raw_exchange(req, strlen(req), a, ANSWER_WAIT_MS);
    free(req);
}

/* Sends each of the n framing header sets with a smuggled request behind
** it: each is refused with 400 INVALID_PARAMS and the smuggled request is
** never answered. */
static void assert_smuggling_refused(const char *const *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct raw_answer a;
        send_smuggle(cases[i], &a);
        assert_refused(cases[i], &a, 400, "INVALID_PARAMS");
        if (strstr(a.text, "\"version\"") != NULL) {
            fail_msg("%s: the smuggled request was answered:\n%s", cases[i], a.text);
        }
    }
}

static void test_two_content_lengths_refused(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "Content-Length: 2\r\nContent-Length: 40\r\n",
        "Content-Length: 40\r\nContent-Length: 2\r\n",
        "Content-Length: 2\r\nContent-Length: 2\r\n",
        "Content-Length: 2\r\ncontent-length: 40\r\n",
    };
    assert_smuggling_refused(cases, sizeof cases / sizeof cases[0]);
}

/* A listed Content-Length ("2, 40") libmicrohttpd refuses itself before any
** callback (docs/security.md): whatever it frames, the request is refused,
** the connection closed and the smuggled request never answered. */
static void test_listed_content_length_refused(void **state)
{
    (void)state;
    struct raw_answer a;
    send_smuggle("Content-Length: 2, 40\r\n", &a);
    if (first_status(&a) != 400 || !a.closed || strstr(a.text, "\"version\"") != NULL) {
        fail_msg("Content-Length: 2, 40: expected 400, a close and no second answer:\n%s", a.text);
    }
}

static void test_transfer_encoding_with_content_length_refused(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "Transfer-Encoding: chunked\r\nContent-Length: 2\r\n",
        "Content-Length: 2\r\nTransfer-Encoding: chunked\r\n",
        "Content-Length: 2\r\nTransfer-Encoding: identity\r\n",
    };
    assert_smuggling_refused(cases, sizeof cases / sizeof cases[0]);
}

static void test_unknown_transfer_coding_refused_at_once(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "Transfer-Encoding: xchunked\r\n",
        "Transfer-Encoding: identity, chunked\r\n",
        "Transfer-Encoding: chunked, gzip\r\n",
        "Transfer-Encoding: gzip\r\n",
        "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct raw_answer a;
        long long t0 = pp_now_ms();
        send_smuggle(cases[i], &a);
        assert_refused(cases[i], &a, 400, "INVALID_PARAMS");
        printf("%.*s: refused and closed after %lld ms\n", (int)strcspn(cases[i], "\r"), cases[i],
               pp_now_ms() - t0);
    }
}

/* A Content-Length libmicrohttpd reads (plain digits in 64 bits) but over
** the body limit: the envelope, once, and the close. */
static void test_large_content_length_one_envelope(void **state)
{
    (void)state;
    static const char *const values[] = {"9999999999999", "18446744073709551615"};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        char *req = pp_fmt("POST /api/authenticate HTTP/1.1\r\nHost: t\r\n"
                           "Content-Type: application/json\r\nContent-Length: %s\r\n\r\n{}",
                           values[i]);
        struct raw_answer a;
        raw_exchange(req, strlen(req), &a, ANSWER_WAIT_MS);
        char *what = pp_fmt("Content-Length: %s", values[i]);
        assert_refused(what, &a, 413, "PAYLOAD_TOO_LARGE");
        free(what);
        free(req);
    }
}

/* A Content-Length libmicrohttpd cannot read: it answers by itself before
** any callback, an HTML 400 (413 past 2^64), and closes. 0.9.75 writes its
** status line and headers twice (docs/security.md); what this asserts is
** what the server can hold: the refusal, the close, and nothing read after
** the head as another request. */
static void test_unreadable_content_length_refused(void **state)
{
    (void)state;
    static const struct {
        const char *value;
        long status;
    } cases[] = {
        {"16, 16", 400},
        {"-1", 400},
        {"+16", 400},
        {"0x10", 400},
        {"", 400},
        {"1 6", 400},
        {"99999999999999999999999", 413},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *req = pp_fmt("POST /api/authenticate HTTP/1.1\r\nHost: t\r\n"
                           "Content-Type: application/json\r\nContent-Length: %s\r\n\r\n"
                           "GET /api/version HTTP/1.1\r\nHost: t\r\n\r\n",
                           cases[i].value);
        struct raw_answer a;
        raw_exchange(req, strlen(req), &a, ANSWER_WAIT_MS);
        if (first_status(&a) != cases[i].status || !a.closed ||
            strstr(a.text, "\"version\"") != NULL) {
            fail_msg("Content-Length: %s: expected %ld, a close and no second answer:\n%s",
                     cases[i].value, cases[i].status, a.text);
        }
        printf("Content-Length: %s -> %ld from libmicrohttpd, %d status lines\n", cases[i].value,
               cases[i].status, status_lines(&a));
        free(req);
    }
}

/* Answers libmicrohttpd writes itself (docs/security.md lists them): one
** status line of the expected code, and the connection closed. */
static void test_library_answers_framed_once(void **state)
{
    (void)state;
    static const struct {
        const char *req;
        long status;
    } cases[] = {
        {"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505},
        {"GET /healthz HTTP/3.0\r\nHost: t\r\n\r\n", 505},
        {"POST /api/authenticate HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
         "FFFFFFFFFFFFFFFFFF\r\nab\r\n",
         413},
        {"POST /api/authenticate HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
         "zz\r\nab\r\n0\r\n\r\n",
         400},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct raw_answer a;
        raw_exchange(cases[i].req, strlen(cases[i].req), &a, ANSWER_WAIT_MS);
        if (status_lines(&a) != 1 || first_status(&a) != cases[i].status || !a.closed) {
            fail_msg("%.20s: expected one %ld and a close, got %d status lines (closed %d):\n%s",
                     cases[i].req, cases[i].status, status_lines(&a), a.closed, a.text);
        }
    }
}

static void test_host_required(void **state)
{
    (void)state;
    struct raw_answer a;
    static const char no_host[] = "GET /healthz HTTP/1.1\r\n\r\n";
    raw_exchange(no_host, sizeof no_host - 1, &a, ANSWER_WAIT_MS);
    assert_refused("HTTP/1.1 without Host", &a, 400, "INVALID_PARAMS");
    static const char two_hosts[] = "GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n";
    raw_exchange(two_hosts, sizeof two_hosts - 1, &a, ANSWER_WAIT_MS);
    assert_refused("two Host headers", &a, 400, "INVALID_PARAMS");
    /* HTTP/1.0 has no Host requirement. */
    static const char old[] = "GET /healthz HTTP/1.0\r\n\r\n";
    raw_exchange(old, sizeof old - 1, &a, ANSWER_WAIT_MS);
    if (status_lines(&a) != 1 || first_status(&a) != 200) {
        fail_msg("HTTP/1.0 without Host: expected 200, got:\n%s", a.text);
    }
}

/* HEAD on one connection, then GET: the HEAD answer has GET's status and
** headers and no body, so the GET that follows is framed right. */
static void assert_head_like_get(const char *path, const char *token)
{
    char *auth = token != NULL ? pp_fmt("x-access-token: %s\r\n", token) : pp_fmt("%s", "");
    char *req = pp_fmt("HEAD %s HTTP/1.1\r\nHost: t\r\n%s\r\nGET %s HTTP/1.1\r\nHost: t\r\n%s"
                       "Connection: close\r\n\r\n",
                       path, auth, path, auth);
    struct raw_answer a;
    raw_exchange(req, strlen(req), &a, ANSWER_WAIT_MS);
    if (status_lines(&a) != 2) {
        fail_msg("HEAD then GET %s: expected two answers:\n%s", path, a.text);
    }
    const char *second = strstr(a.text + 1, "\r\nHTTP/1.1 ");
    assert_non_null(second);
    long head_status = first_status(&a);
    long get_status = strtol(second + 11, NULL, 10);
    const char *head_end = strstr(a.text, "\r\n\r\n");
    if (head_status != get_status || head_end + 2 != second) {
        fail_msg("HEAD %s: status %ld (GET %ld) or a body was sent:\n%s", path, head_status,
                 get_status, a.text);
    }
    char type[128];
    if (answer_header(&a, "Content-Type", type, sizeof type) == NULL ||
        answer_header(&a, "X-Request-Id", type, sizeof type) == NULL) {
        fail_msg("HEAD %s: the answer lacks GET's headers:\n%s", path, a.text);
    }
    free(req);
    free(auth);
}

static void test_head_like_get(void **state)
{
    (void)state;
    char *admin = pp_admin_login(&srv);
    static const char *const public_paths[] = {"/healthz", "/readyz", "/api/version",
                                               "/api/openapi.json"};
    for (size_t i = 0; i < sizeof public_paths / sizeof public_paths[0]; i++) {
        assert_head_like_get(public_paths[i], NULL);
    }
    static const char *const private_paths[] = {
        "/api/status",     "/api/balances",     "/api/payments",       "/api/payments/1",
        "/api/recipients", "/api/recipients/1", "/api/projects",       "/api/projects/1",
        "/api/ledger",     "/api/admin/audit",  "/api/admin/settings", "/api/reports/payouts"};
    for (size_t i = 0; i < sizeof private_paths / sizeof private_paths[0]; i++) {
        assert_head_like_get(private_paths[i], admin);
        assert_head_like_get(private_paths[i], NULL); /* 401 alike */
    }
    /* The streamed export: headers only, then the close (no chunk). */
    char *head = pp_fmt(
        "HEAD /api/payments/export HTTP/1.1\r\nHost: t\r\nx-access-token: %s\r\n\r\n", admin);
    struct raw_answer a;
    raw_exchange(head, strlen(head), &a, ANSWER_WAIT_MS);
    const char *end = strstr(a.text, "\r\n\r\n");
    char type[128];
    if (status_lines(&a) != 1 || first_status(&a) != 200 || !a.closed || end == NULL ||
        end[4] != '\0' || answer_header(&a, "Content-Type", type, sizeof type) == NULL ||
        strncmp(type, "text/csv", 8) != 0) {
        fail_msg("HEAD /api/payments/export: expected 200 text/csv headers, no body, a close:\n%s",
                 a.text);
    }
    free(head);
    /* curl -I /healthz */
    CURL *h = curl_easy_init();
    assert_non_null(h);
    char *url = pp_fmt("%s/healthz", srv.base_url);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
    long status = 0;
    assert_int_equal(curl_easy_perform(h), CURLE_OK);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    assert_int_equal(status, 200);
    curl_easy_cleanup(h);
    free(url);
    free(admin);
}

static void test_allow_lists_head(void **state)
{
    (void)state;
    static const char *const paths[] = {"/healthz", "/api/version", "/api/balances"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        struct pp_req req = {.method = "DELETE", .path = paths[i]};
        struct pp_resp *r = pp_call(&srv, &req);
        pp_assert_error(r, 405, "METHOD_NOT_ALLOWED");
        pp_assert_allow(r, "GET");
        pp_assert_allow(r, "HEAD");
        pp_resp_free(r);
    }
    /* A POST-only route does not offer HEAD. */
    static const char head[] = "HEAD /api/authenticate HTTP/1.1\r\nHost: t\r\n\r\n";
    struct raw_answer a;
    raw_exchange(head, sizeof head - 1, &a, 1000);
    char allow[128];
    if (first_status(&a) != 405 || answer_header(&a, "Allow", allow, sizeof allow) == NULL ||
        strcmp(allow, "POST") != 0) {
        fail_msg("HEAD /api/authenticate: expected 405 with Allow: POST:\n%s", a.text);
    }
}

static const char *const server_args[] = {"--conn-timeout-s", CONN_TIMEOUT_S, NULL};
static const struct pp_server_opts server_opts = {.args = server_args};
static const struct pp_session session = {.srv = &srv, .opts = &server_opts};

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_content_lengths_refused),
        cmocka_unit_test(test_transfer_encoding_with_content_length_refused),
        cmocka_unit_test(test_unknown_transfer_coding_refused_at_once),
        cmocka_unit_test(test_listed_content_length_refused),
        cmocka_unit_test(test_large_content_length_one_envelope),
        cmocka_unit_test(test_unreadable_content_length_refused),
        cmocka_unit_test(test_library_answers_framed_once),
        cmocka_unit_test(test_host_required),
        cmocka_unit_test(test_head_like_get),
        cmocka_unit_test(test_allow_lists_head),
    };
    return PP_SESSION_RUN(tests, &session);
}
