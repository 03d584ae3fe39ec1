/*
** This header declares the HTTP server: libmicrohttpd with an internal
** thread pool on epoll, request bodies bounded, one access-log line per
** request, security headers on every response, and a graceful stop that
** lets in-flight requests finish.
*/
#ifndef PAYOUT_HTTP_SERVER_H
#define PAYOUT_HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "payout/core/app.h"
#include "payout/status.h"

struct http_server_options {
    const char *bind_addr; /* IPv4 or IPv6 literal, e.g. "127.0.0.1" */
    uint16_t port;         /* 0 = any free port */
    size_t body_bytes_max; /* larger bodies get 413 */
    unsigned threads;      /* worker threads in the pool */
};

struct http_server;

/* Starts serving app (borrowed: it must outlive the server). *out is new. */
enum pp_status http_server_start(struct core_app *app, const struct http_server_options *opts,
                                 struct http_server **out, struct pp_err *err);
/* The port actually bound. */
uint16_t http_server_port(const struct http_server *srv);
/* Stops accepting, waits up to PP_SHUTDOWN_WAIT_S for in-flight requests
** to finish, stops the daemon and frees srv. NULL is a no-op. */
void http_server_stop(struct http_server *srv);

#endif /* PAYOUT_HTTP_SERVER_H */
