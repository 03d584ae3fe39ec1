/*
** This module implements the connection guard. libmicrohttpd 0.9.75 has an
** idle timeout only: a client that sends one header line every few seconds
** is never idle, and staying under the per-address limit was enough to hold
** every connection slot. The guard keeps a list of the open connections
** (registered from libmicrohttpd's STARTED notification, in accept order)
** with the time each one began waiting for a request's headers, and:
** - a thread sweeps the list every PP_HEADER_SWEEP_MS and shuts down the
**   socket (shutdown(SHUT_RDWR), never close) of each connection still
**   waiting past the header deadline; libmicrohttpd then sees the end of
**   the stream and closes the connection itself;
** - when a connection arrives while fewer than connections_max /
**   PP_CONNECTIONS_RESERVE_DIV slots are free, the oldest connection still
**   waiting for headers is shut down the same way.
** A descriptor is only ever touched under the guard's lock, and an entry
** leaves the list under the same lock in the CLOSED notification, which
** libmicrohttpd calls before it closes the descriptor: a descriptor the
** guard shuts down is never one already reused by another connection.
** It does not read or write the sockets, and knows nothing of requests
** beyond "headers complete" and "request finished" (request.c tells it).
*/
#include "payout/http/conn_guard.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "payout/base/assert.h"
#include "payout/base/log.h"
#include "payout/limits.h"

struct guard_conn {
    struct http_conn_guard *guard;
    int fd;
    int waiting;      /* 1 while the connection waits for a request's headers */
    int shut;         /* 1 once the guard shut it down */
    int64_t since_ms; /* when the wait began (accept, or the last answer) */
    struct guard_conn *prev, *next;
};

struct http_conn_guard {
    pthread_mutex_t lock;
    pthread_cond_t wake; /* signalled to stop the sweeper */
    pthread_t sweeper;
    int stopping;
    int64_t header_timeout_ms;
    unsigned live_max; /* more live connections than this: drop the oldest waiting */
    unsigned live;     /* registered and not shut down */
    struct guard_conn *head, *tail;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Under the lock. */
static void conn_shut(struct http_conn_guard *g, struct guard_conn *c, const char *why)
{
    shutdown(c->fd, SHUT_RDWR);
    c->shut = 1;
    g->live--;
    pp_log(PP_LOG_WARN, "http: dropping a connection: %s", why);
}

static void *sweeper_main(void *arg)
{
    struct http_conn_guard *g = arg;
    pthread_mutex_lock(&g->lock);
    while (!g->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += (long)PP_HEADER_SWEEP_MS * 1000000L;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&g->wake, &g->lock, &until);
        int64_t now = now_ms();
        for (struct guard_conn *c = g->head; c != NULL; c = c->next) {
            if (c->waiting && !c->shut && now - c->since_ms > g->header_timeout_ms) {
                conn_shut(g, c, "request headers not complete within the header timeout");
            }
        }
    }
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

struct http_conn_guard *http_conn_guard_start(unsigned header_timeout_s, unsigned connections_max)
{
    PP_ASSERT(header_timeout_s > 0 && connections_max > 0);
    struct http_conn_guard *g = pp_check_alloc(calloc(1, sizeof *g));
    pthread_mutex_init(&g->lock, NULL);
    pthread_cond_init(&g->wake, NULL);
    g->header_timeout_ms = (int64_t)header_timeout_s * 1000;
    unsigned reserve = connections_max / PP_CONNECTIONS_RESERVE_DIV;
    g->live_max = connections_max - (reserve > 0 ? reserve : 1);
    int rc = pthread_create(&g->sweeper, NULL, sweeper_main, g);
    PP_ASSERT(rc == 0);
    return g;
}

void http_conn_guard_stop(struct http_conn_guard *g)
{
    if (g == NULL) {
        return;
    }
    pthread_mutex_lock(&g->lock);
    g->stopping = 1;
    pthread_cond_signal(&g->wake);
    pthread_mutex_unlock(&g->lock);
    pthread_join(g->sweeper, NULL);
    /* The daemon has stopped: it notified every close; free what is left
    ** all the same rather than trust that. */
    while (g->head != NULL) {
        struct guard_conn *c = g->head;
        g->head = c->next;
        free(c);
    }
    pthread_cond_destroy(&g->wake);
    pthread_mutex_destroy(&g->lock);
    free(g);
}

/* Under the lock: the oldest live connection waiting for headers, except c. */
static struct guard_conn *oldest_waiting(struct http_conn_guard *g, const struct guard_conn *c)
{
    struct guard_conn *oldest = NULL;
    for (struct guard_conn *o = g->head; o != NULL; o = o->next) {
        if (o != c && o->waiting && !o->shut &&
            (oldest == NULL || o->since_ms < oldest->since_ms)) {
            oldest = o;
        }
    }
    return oldest;
}

static void conn_register(struct http_conn_guard *g, struct MHD_Connection *conn,
                          void **socket_context)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    PP_ASSERT(info != NULL);
    struct guard_conn *c = pp_check_alloc(calloc(1, sizeof *c));
    c->guard = g;
    c->fd = info->connect_fd;
    c->waiting = 1;
    c->since_ms = now_ms();
    pthread_mutex_lock(&g->lock);
    c->prev = g->tail;
    if (g->tail != NULL) {
        g->tail->next = c;
    } else {
        g->head = c;
    }
    g->tail = c;
    g->live++;
    if (g->live > g->live_max) {
        struct guard_conn *victim = oldest_waiting(g, c);
        if (victim != NULL) {
            conn_shut(g, victim, "server nearly full: oldest connection still without headers");
        }
    }
    pthread_mutex_unlock(&g->lock);
    *socket_context = c;
}

static void conn_forget(struct guard_conn *c)
{
    struct http_conn_guard *g = c->guard;
    pthread_mutex_lock(&g->lock);
    if (c->prev != NULL) {
        c->prev->next = c->next;
    } else {
        g->head = c->next;
    }
    if (c->next != NULL) {
        c->next->prev = c->prev;
    } else {
        g->tail = c->prev;
    }
    if (!c->shut) {
        g->live--;
    }
    pthread_mutex_unlock(&g->lock);
    free(c);
}

void http_conn_guard_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                            enum MHD_ConnectionNotificationCode toe)
{
    struct http_conn_guard *g = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        conn_register(g, conn, socket_context);
    } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context != NULL) {
        conn_forget(*socket_context);
        *socket_context = NULL;
    }
}

/* Sets conn's waiting state (when the guard tracks it). */
static void conn_waiting_set(struct MHD_Connection *conn, int waiting)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    if (info == NULL || info->socket_context == NULL) {
        return;
    }
    struct guard_conn *c = info->socket_context;
    pthread_mutex_lock(&c->guard->lock);
    c->waiting = waiting;
    c->since_ms = now_ms();
    pthread_mutex_unlock(&c->guard->lock);
}

void http_conn_guard_headers_done(struct MHD_Connection *conn)
{
    conn_waiting_set(conn, 0);
}

void http_conn_guard_request_done(struct MHD_Connection *conn)
{
    conn_waiting_set(conn, 1);
}
