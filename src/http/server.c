/*
** This module implements the HTTP daemon on libmicrohttpd: its start (an
** internal thread pool on epoll, the transport limits: connections in all
** and per address, per-connection memory, idle timeout, optional TLS) and
** its graceful stop, which lets in-flight requests finish. It does not
** handle requests: request.c does (per-request state, dispatch), with
** response.c (answers) and access_log.c; routing is in router.c, handlers
** are in api/. Only the http/ modules include microhttpd.h.
*/
#include "payout/http/server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "payout/api/api.h"
#include "payout/base/assert.h"
#include "payout/base/log.h"
#include "payout/base/metrics.h"
#include "payout/http/conn_guard.h"
#include "payout/http/offload.h"
#include "payout/http/request.h"

struct http_server {
    struct MHD_Daemon *daemon;
    uint16_t port;
    unsigned stop_wait_s;          /* each wait of http_server_stop */
    struct http_request_ctx ctx;   /* the closure of the request callbacks */
    struct http_conn_guard *guard; /* header deadline, room for new clients */
};

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    const struct http_request_ctx *ctx = cls;
    char msg[PP_HTTP_LOG_MESSAGE_BYTES];
    vsnprintf(msg, sizeof msg, fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    /* While stopping, the accept policy refuses every new connection and
    ** libmicrohttpd words that as a limit reached: expected, not a warning. */
    int refused = atomic_load(&ctx->closing) && strstr(msg, "connection limit") != NULL;
    pp_log(refused ? PP_LOG_INFO : PP_LOG_WARN, "http: %s%s", msg,
           refused ? " (the server is stopping)" : "");
}

/* Fills *ss from the literal address and port; returns its length or 0. */
static socklen_t make_addr(const char *bind_addr, uint16_t port, struct sockaddr_storage *ss,
                           int *ipv6)
{
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, bind_addr, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons(port);
        *ipv6 = 0;
        return sizeof *in4;
    }
    if (inet_pton(AF_INET6, bind_addr, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        *ipv6 = 1;
        return sizeof *in6;
    }
    return 0;
}

/* Room for the transport options below plus the terminator. */
#define HTTP_EXTRA_OPTIONS_MAX 8

/* Fills items with the connection limits, timeout and TLS material of opts
** (0 means the limits.h default); returns how many were written. */
static size_t transport_options(const struct http_server_options *opts,
                                struct MHD_OptionItem *items)
{
    size_t n = 0;
    unsigned conns = opts->connections_max > 0 ? opts->connections_max : PP_CONNECTIONS_MAX;
    unsigned per_ip =
        opts->connections_per_ip_max > 0 ? opts->connections_per_ip_max : PP_CONNECTIONS_PER_IP_MAX;
    unsigned timeout_s = opts->conn_timeout_s > 0 ? opts->conn_timeout_s : PP_CONNECTION_TIMEOUT_S;
    items[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, (intptr_t)conns, NULL};
    items[n++] =
        (struct MHD_OptionItem){MHD_OPTION_PER_IP_CONNECTION_LIMIT, (intptr_t)per_ip, NULL};
    items[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)timeout_s, NULL};
    items[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                                         (intptr_t)PP_CONNECTION_MEMORY_BYTES, NULL};
    if (opts->tls_cert_pem != NULL && opts->tls_key_pem != NULL) {
        /* libmicrohttpd copies neither: the PEM text must outlive the daemon. */
        items[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0,
                                             (void *)(uintptr_t)opts->tls_key_pem};
        items[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0,
                                             (void *)(uintptr_t)opts->tls_cert_pem};
    }
    PP_ASSERT(n < HTTP_EXTRA_OPTIONS_MAX);
    return n;
}

/* A new server for app and opts, not started. */
static struct http_server *server_new(struct core_app *app, const struct http_server_options *opts)
{
    struct http_server *srv = pp_check_alloc(calloc(1, sizeof *srv));
    srv->ctx.app = app;
    srv->stop_wait_s = opts->stop_wait_s > 0 ? opts->stop_wait_s : PP_SHUTDOWN_WAIT_S;
    srv->ctx.body_bytes_max = opts->body_bytes_max;
    srv->ctx.tls = opts->tls_cert_pem != NULL && opts->tls_key_pem != NULL;
    srv->ctx.trusted_proxies = opts->trusted_proxies;
    srv->ctx.request_ms_max =
        (int64_t)(opts->conn_timeout_s > 0 ? opts->conn_timeout_s : PP_CONNECTION_TIMEOUT_S) *
        PP_REQUEST_TIMEOUTS_MAX * 1000;
    uint32_t rnd = 0;
    if (getrandom(&rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
        rnd = (uint32_t)getpid();
    }
    snprintf(srv->ctx.id_prefix, sizeof srv->ctx.id_prefix, "%08x", rnd);
    srv->guard = http_conn_guard_start(
        opts->header_timeout_s > 0 ? opts->header_timeout_s : PP_HEADER_TIMEOUT_S,
        opts->connections_max > 0 ? opts->connections_max : PP_CONNECTIONS_MAX);
    return srv;
}

/* Frees a server whose daemon is stopped or never started. */
static void server_free(struct http_server *srv)
{
    http_offload_stop(srv->ctx.offload);
    http_conn_guard_stop(srv->guard);
    free(srv);
}

/* libmicrohttpd's accept policy: once the server is closing, a new
** connection is closed at once (see http_server_stop). */
static enum MHD_Result server_accept_cb(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    (void)addr;
    (void)addrlen;
    const struct http_request_ctx *ctx = cls;
    return atomic_load(&ctx->closing) ? MHD_NO : MHD_YES;
}

enum pp_status http_server_start(struct core_app *app, const struct http_server_options *opts,
                                 struct http_server **out, struct pp_err *err)
{
    struct sockaddr_storage ss;
    int ipv6 = 0;
    *out = NULL;
    if (make_addr(opts->bind_addr, opts->port, &ss, &ipv6) == 0) {
        return pp_err_set(err, PP_INVALID_PARAMS, "bind address '%s' is not an IP address",
                          opts->bind_addr);
    }
    if (opts->metrics && pp_metrics_init(api_routes_count, err) != PP_OK) {
        return err->status;
    }
    struct http_server *srv = server_new(app, opts);
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG |
                     MHD_ALLOW_SUSPEND_RESUME | (ipv6 ? MHD_USE_IPv6 : 0);
    struct MHD_OptionItem extra[HTTP_EXTRA_OPTIONS_MAX];
    size_t n = transport_options(opts, extra);
    if (opts->tls_cert_pem != NULL) {
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
            server_free(srv);
            return pp_err_set(err, PP_UNAVAILABLE,
                              "this libmicrohttpd was built without TLS support");
        }
        flags |= MHD_USE_TLS;
    }
    extra[n] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    /* The logger comes first so that errors in later options are logged. */
    srv->ctx.offload = http_offload_start(PP_HANDLER_THREADS_MAX);
    srv->daemon = MHD_start_daemon(
        flags, opts->port, server_accept_cb, &srv->ctx, http_request_access_cb, &srv->ctx,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, &srv->ctx, MHD_OPTION_URI_LOG_CALLBACK,
        http_request_uri_cb, NULL, MHD_OPTION_SOCK_ADDR, &ss, MHD_OPTION_THREAD_POOL_SIZE,
        opts->threads, MHD_OPTION_NOTIFY_COMPLETED, http_request_completed_cb, &srv->ctx,
        MHD_OPTION_NOTIFY_CONNECTION, http_conn_guard_notify, srv->guard, MHD_OPTION_ARRAY, extra,
        MHD_OPTION_END);
    if (srv->daemon == NULL) {
        server_free(srv);
        return pp_err_set(err, PP_UNAVAILABLE, "cannot listen on %s port %u", opts->bind_addr,
                          (unsigned)opts->port);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info != NULL ? info->port : opts->port;
    *out = srv;
    return PP_OK;
}

uint16_t http_server_port(const struct http_server *srv)
{
    return srv->port;
}

/* Waits, wait_s seconds at most, until *count is 0; returns what is
** left. */
static long server_wait_zero(atomic_long *count, unsigned wait_s)
{
    for (unsigned i = 0; i < wait_s * 100u && atomic_load(count) > 0; i++) {
        struct timespec ten_ms = {0, 10 * 1000 * 1000};
        nanosleep(&ten_ms, NULL);
    }
    return atomic_load(count);
}

/* Waits until no handler is alive on a worker's fiber. A write that has
** not ended within stop_wait_s means the store is stuck (a disk
** that no longer answers): the process then exits without stopping the
** daemon. Nothing is half-written either way: each queued write commits
** whole or not at all, and its client, unanswered, retries. */
static void server_fibers_wait(struct http_server *srv)
{
    long left = server_wait_zero(&srv->ctx.fibers, srv->stop_wait_s);
    if (left > 0) {
        pp_log(PP_LOG_ERROR, "%ld writes still unfinished after %u s: exiting without them", left,
               srv->stop_wait_s);
        _exit(EXIT_FAILURE);
    }
}

void http_server_stop(struct http_server *srv)
{
    if (srv == NULL) {
        return;
    }
    /* New connections are closed as they arrive from here on; the listen
    ** socket itself closes with the daemon below. Not MHD_quiesce_daemon:
    ** on an epoll daemon with its own threads it races with a worker that
    ** removes the listen socket from its epoll set at the same moment,
    ** and libmicrohttpd (0.9.75, Debian 12) then aborts the process
    ** ("Failed to remove listen FD from epoll set"), seen under load at
    ** SIGTERM. */
    atomic_store(&srv->ctx.closing, 1);
    long in_flight = server_wait_zero(&srv->ctx.in_flight, srv->stop_wait_s);
    /* From here no handler starts. A handler on a worker's fiber holds its
    ** connection suspended while its write is queued, and libmicrohttpd
    ** must not stop with a suspended connection (it aborts the process):
    ** the writer still runs, so each such handler ends once its write has
    ** committed or failed. */
    atomic_store(&srv->ctx.stopping, 1);
    if (in_flight > 0) {
        pp_log(PP_LOG_WARN,
               "stopping with %ld requests still in flight (a write already queued still "
               "finishes; the others are cut off)",
               in_flight);
    }
    server_fibers_wait(srv);
    /* Every suspended connection must be resumed before the daemon stops:
    ** the pool finishes what it holds first. */
    http_offload_stop(srv->ctx.offload);
    srv->ctx.offload = NULL;
    MHD_stop_daemon(srv->daemon);
    server_free(srv);
}
