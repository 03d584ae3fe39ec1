/*
** This module attacks the server with slow headers, over raw TCP sockets
** from many loopback addresses (127.0.10.x, 8 connections each, under the
** per-address limit), each connection sending its request line and then
** one header line every second, never the blank line that ends the
** headers. The server runs with 40 connections in all, 8 per address, a
** 2-second header deadline (given through PAYOUT_HEADER_TIMEOUT_S) and a
** 4-second idle timeout, which the trickle never lets fire:
** - while the attack holds the server full, a client from a fresh address
**   gets every answer (the oldest connection still without headers makes
**   room for it);
** - past the header deadline no attacking connection is still open,
**   whatever it keeps sending.
** It prints the figures: connections the attack held after the deadline
** and answers to the fresh client out of FRESH_TRIES.
*/
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CONNS_MAX "40"
#define PER_IP 8
#define HEADER_TIMEOUT_S 2
#define ADDRESSES 6 /* 48 attempts, more than the 40 the server takes */
#define ATTACKERS (ADDRESSES * PER_IP)
#define FRESH_TRIES 5
/* The attack lasts this long: well past the header deadline plus the
** guard's sweep, short of the 4 s idle timeout times the trickle. */
#define ATTACK_MS 6000

static struct pp_server srv;

struct attack {
    int fds[ATTACKERS];
    atomic_int stop;
    atomic_int open_after_deadline; /* still open HEADER_TIMEOUT_S*2 s in */
    long long started_ms;
};

/* 1 when fd is still open: no end of stream or error waiting on it. */
static int still_open(int fd)
{
    if (fd < 0) {
        return 0;
    }
    char buf[512];
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 0) <= 0) {
            return 1;
        }
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n <= 0) {
            return 0;
        }
    }
}

static int open_count(const struct attack *a)
{
    int n = 0;
    for (int i = 0; i < ATTACKERS; i++) {
        n += still_open(a->fds[i]);
    }
    return n;
}

/* One header line a second on every connection still open. */
static void *attack_main(void *arg)
{
    struct attack *a = arg;
    int measured = 0;
    for (int tick = 0; !atomic_load(&a->stop); tick++) {
        for (int i = 0; i < ATTACKERS; i++) {
            if (a->fds[i] >= 0 && still_open(a->fds[i])) {
                char line[64];
                int len = snprintf(line, sizeof line, "X-Slow-%d: %d\r\n", tick, i);
                send(a->fds[i], line, (size_t)len, MSG_NOSIGNAL);
            }
        }
        long long elapsed = pp_now_ms() - a->started_ms;
        if (!measured && elapsed > HEADER_TIMEOUT_S * 2000) {
            atomic_store(&a->open_after_deadline, open_count(a));
            measured = 1;
        }
        if (elapsed > ATTACK_MS) {
            break;
        }
        pp_sleep_ms(1000);
    }
    if (!measured) {
        atomic_store(&a->open_after_deadline, open_count(a));
    }
    return NULL;
}

/* One GET /api/version from a fresh address; 1 when answered 200. */
static int fresh_answered(int try)
{
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.11.%d", 1 + try);
    int fd = pp_raw_connect(&srv, addr);
    if (fd < 0) {
        return 0;
    }
    static const char get[] = "GET /api/version HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    int ok = 0;
    if (send(fd, get, sizeof get - 1, MSG_NOSIGNAL) == (ssize_t)(sizeof get - 1)) {
        char buf[256];
        struct pollfd p = {.fd = fd, .events = POLLIN};
        ssize_t n = poll(&p, 1, 1000) > 0 ? read(fd, buf, sizeof buf - 1) : 0;
        ok = n > 12 && memcmp(buf, "HTTP/1.1 200", 12) == 0;
    }
    close(fd);
    return ok;
}

static void test_slow_headers_leave_room_and_are_dropped(void **state)
{
    (void)state;
    static struct attack a;
    memset(&a, 0, sizeof a);
    a.started_ms = pp_now_ms();
    for (int i = 0; i < ATTACKERS; i++) {
        char addr[32];
        snprintf(addr, sizeof addr, "127.0.10.%d", 1 + i / PER_IP);
        a.fds[i] = pp_raw_connect(&srv, addr);
        if (a.fds[i] >= 0) {
            static const char line[] = "GET /api/version HTTP/1.1\r\n";
            send(a.fds[i], line, sizeof line - 1, MSG_NOSIGNAL);
        }
    }
    pp_sleep_ms(300);
    int held_full = open_count(&a);
    pthread_t attacker;
    pthread_create(&attacker, NULL, attack_main, &a);
    int answered = 0;
    for (int t = 0; t < FRESH_TRIES; t++) {
        answered += fresh_answered(t);
    }
    pthread_join(attacker, NULL);
    int held_after = atomic_load(&a.open_after_deadline);
    for (int i = 0; i < ATTACKERS; i++) {
        if (a.fds[i] >= 0) {
            close(a.fds[i]);
        }
    }
    printf("slow headers from %d addresses: %d of %d connections held at first, %d still held "
           "%d s in (header deadline %d s); a fresh client got %d of %d answers\n",
           ADDRESSES, held_full, ATTACKERS, held_after, HEADER_TIMEOUT_S * 2, HEADER_TIMEOUT_S,
           answered, FRESH_TRIES);
    assert_int_equal(answered, FRESH_TRIES);
    assert_int_equal(held_after, 0);
}

/* A kept-alive connection that answered a request gets a fresh deadline
** for the next one, and is served again within it. */
static void test_keep_alive_served_within_deadline(void **state)
{
    (void)state;
    int fd = pp_raw_connect(&srv, "127.0.12.1");
    assert_true(fd >= 0);
    static const char get[] = "GET /api/version HTTP/1.1\r\nHost: t\r\n\r\n";
    for (int i = 0; i < 3; i++) {
        assert_true(send(fd, get, sizeof get - 1, MSG_NOSIGNAL) == (ssize_t)(sizeof get - 1));
        char buf[1024];
        struct pollfd p = {.fd = fd, .events = POLLIN};
        assert_true(poll(&p, 1, 2000) > 0);
        ssize_t n = read(fd, buf, sizeof buf - 1);
        assert_true(n > 12 && memcmp(buf, "HTTP/1.1 200", 12) == 0);
        pp_sleep_ms(HEADER_TIMEOUT_S * 1000 / 2);
    }
    close(fd);
}

static const char *const server_args[] = {
    "--max-connections", CONNS_MAX, "--per-ip-connections", "8", "--conn-timeout-s", "4", NULL};
static const char *const server_env[] = {"PAYOUT_HEADER_TIMEOUT_S=2", NULL};
static const struct pp_server_opts server_opts = {.args = server_args, .env = server_env};
static const struct pp_session session = {.srv = &srv, .opts = &server_opts};

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slow_headers_leave_room_and_are_dropped),
        cmocka_unit_test(test_keep_alive_served_within_deadline),
    };
    return PP_SESSION_RUN(tests, &session);
}
