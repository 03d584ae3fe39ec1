/*
** This header declares the HTTP server: libmicrohttpd with an internal
** thread pool on epoll, request bodies bounded, one access-log line per
** request, security headers on every response, and a graceful stop that
** lets in-flight requests finish. Transport defences live here too: a
** connection limit (total and per client address), a per-connection memory
** limit (request line and headers must fit), an idle/slow-request timeout
** that drops clients trickling a request, a total deadline for a request's
** headers with room kept for new clients when nearly full (conn_guard.h),
** and optional TLS.
*/
#ifndef PAYOUT_HTTP_SERVER_H
#define PAYOUT_HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "payout/base/cidr.h"
#include "payout/core/app.h"
#include "payout/status.h"

struct http_server_options {
    const char *bind_addr; /* IPv4 or IPv6 literal, e.g. "127.0.0.1" */
    uint16_t port;         /* 0 = any free port */
    size_t body_bytes_max; /* larger bodies get 413 */
    unsigned threads;      /* worker threads in the pool */
    /* Transport limits; 0 takes the limits.h default. */
    unsigned connections_max;        /* PP_CONNECTIONS_MAX: more are refused at accept */
    unsigned connections_per_ip_max; /* PP_CONNECTIONS_PER_IP_MAX per client address */
    unsigned conn_timeout_s;         /* PP_CONNECTION_TIMEOUT_S: idle or trickling -> closed */
    unsigned header_timeout_s;       /* PP_HEADER_TIMEOUT_S: headers not complete -> closed */
    unsigned stop_wait_s;            /* PP_SHUTDOWN_WAIT_S: each of http_server_stop's waits */
    /* HTTPS: both PEM texts (borrowed: they must outlive the server), or
    ** both NULL for plain HTTP. PP_UNAVAILABLE when libmicrohttpd has no
    ** TLS support or rejects the certificate or key. */
    const char *tls_cert_pem;
    const char *tls_key_pem;
    /* 1: count requests for GET /metrics (payout/base/metrics.h); 0: the
    ** route answers 404. */
    int metrics;
    /* --trusted-proxies (borrowed: it must outlive the server; NULL or
    ** empty: the TCP peer is every request's client): behind a proxy in
    ** these ranges the client is the one X-Forwarded-For names
    ** (payout/http/forwarded.h). */
    const struct pp_cidr_list *trusted_proxies;
};

struct http_server;

/* Starts serving app (borrowed: it must outlive the server). *out is new. */
enum pp_status http_server_start(struct core_app *app, const struct http_server_options *opts,
                                 struct http_server **out, struct pp_err *err);
/* The port actually bound. */
uint16_t http_server_port(const struct http_server *srv);
/* Stops accepting, waits up to stop_wait_s for in-flight requests to
** finish (and as long again for the writes they queued), stops the daemon
** and frees srv. NULL is a no-op. */
void http_server_stop(struct http_server *srv);

#endif /* PAYOUT_HTTP_SERVER_H */
