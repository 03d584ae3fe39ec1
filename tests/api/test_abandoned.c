/*
** This module tests creates whose clients go away while the server is
** still writing them: each round sends a whole create on many raw
** connections at once and closes them all before any answer can come, so
** that the handlers (run on the epoll workers' fibers) are parked at their
** write when their connections end. The server must finish every one of
** them (each payout is written whole or not at all), keep serving, and
** `check` must pass after it stops. It runs on both backends.
*/
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define ROUNDS 20
#define CONNECTIONS 32

static struct pp_server srv;
static char *admin_token;
static char *api_key;

static const char *const funds[] = {"GBP", "100000", NULL};

/* Waits (20 s at most) until the server answers a new connection again:
** the abandoned ones hold their places under the per-address connection
** limit until their handlers end (slower under the sanitizers). 1 when it
** answered; a server that died never does. With handle (not NULL), the
** connection it answered on stays open in handle for the next request:
** a new one could still find the limit reached, since the server frees a
** closed connection's place only once it has seen the close. */
static int served_again(CURL *handle)
{
    const struct pp_req req = {.method = "GET", .path = "/healthz"};
    for (int i = 0; i < 400; i++) {
        struct pp_resp *r = pp_request(&srv, handle, &req);
        long status = r != NULL ? r->status : 0;
        pp_resp_free(r);
        if (status == 200) {
            return 1;
        }
        pp_sleep_ms(50);
    }
    return 0;
}

/* Sends one whole create on fd; 0 when every byte went. */
static int send_create(int fd, int round, int i)
{
    char body[512];
    char request[1024];
    int body_len =
        snprintf(body, sizeof body,
                 "{\"amount\":1,\"currency\":\"GBP\",\"startDate\":\"2031-01-01T00:00:00Z\","
                 "\"endDate\":\"2031-06-01T00:00:00Z\",\"name\":\"Abandoned\","
                 "\"description\":\"round %d, %d\",\"userName\":\"gone-%d\","
                 "\"email\":\"gone-%d@example.test\",\"notification\":true}",
                 round, i, i, i);
    int len = snprintf(request, sizeof request,
                       "POST /api/payment/create HTTP/1.1\r\nHost: t\r\n"
                       "Content-Type: application/json\r\nx-access-token: %s\r\n"
                       "Content-Length: %d\r\n\r\n%s",
                       api_key, body_len, body);
    if (len <= 0 || (size_t)len >= sizeof request) {
        return -1;
    }
    return send(fd, request, (size_t)len, MSG_NOSIGNAL) == len ? 0 : -1;
}

static void test_creates_abandoned_mid_write(void **state)
{
    (void)state;
    int fds[CONNECTIONS];
    for (int round = 0; round < ROUNDS; round++) {
        for (int i = 0; i < CONNECTIONS; i++) {
            fds[i] = pp_raw_connect(&srv, "127.0.0.1");
            assert_true(fds[i] >= 0);
        }
        for (int i = 0; i < CONNECTIONS; i++) {
            assert_int_equal(send_create(fds[i], round, i), 0);
        }
        /* Long enough for the server to read them, too short for a commit
        ** of them all to be answered. */
        pp_sleep_ms(1 + round % 3);
        for (int i = 0; i < CONNECTIONS; i++) {
            close(fds[i]);
        }
        assert_true(served_again(NULL));
    }
    /* Still serving: a create through a connection that waits for it (the
    ** one the server answered last, kept open). */
    CURL *h = curl_easy_init();
    assert_non_null(h);
    assert_true(served_again(h));
    struct pp_resp *r =
        pp_request_post(&srv, h, "/api/payment/create", api_key,
                        "{\"amount\":2,\"currency\":\"GBP\","
                        "\"startDate\":\"2031-01-01T00:00:00Z\","
                        "\"endDate\":\"2031-06-01T00:00:00Z\",\"name\":\"Abandoned\","
                        "\"description\":\"after\",\"userName\":\"stayed\","
                        "\"notification\":false}");
    curl_easy_cleanup(h);
    pp_assert_status(r, 200);
    assert_true(pp_json_int(json_array_get(json_object_get(r->json, "payments"), 0), "id") > 0);
    pp_resp_free(r);
    pp_assert_check(srv.db_path, "after abandoned creates, running");
    pp_stop_and_check(&srv, "after abandoned creates");
}

static const struct pp_session session = {
    .srv = &srv, .admin_token = &admin_token, .api_key = &api_key, .funds = funds};

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_creates_abandoned_mid_write),
    };
    return pp_session_run("api.abandoned", tests, sizeof tests / sizeof tests[0], &session);
}
