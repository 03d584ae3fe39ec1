/*
** This header declares the state a request keeps in libmicrohttpd's
** *req_cls from its first access-handler call to the completion callback
** (arena, body, route, answer figures), and what every request needs from
** the server that runs it. Plain data shared by request.c (which drives
** it), response.c (which answers) and access_log.c (which logs it), so
** that those two need not include request.h.
*/
#ifndef PAYOUT_HTTP_REQUEST_STATE_H
#define PAYOUT_HTTP_REQUEST_STATE_H

#include <arpa/inet.h>
#include <microhttpd.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "payout/api/api.h"
#include "payout/base/buf.h"
#include "payout/base/cidr.h"
#include "payout/http/offload.h"
#include "payout/limits.h"

/* What every request needs from the server that runs it. Owned by the
** server; the callbacks borrow it for the daemon's lifetime. */
struct http_request_ctx {
    struct core_app *app;         /* borrowed */
    size_t body_bytes_max;        /* --body-max: the default body limit */
    int64_t request_ms_max;       /* a request must be read within this (trickling) */
    struct http_offload *offload; /* runs the handlers that wait for a commit */
    atomic_long in_flight;        /* requests between first call and completion */
    atomic_int closing;           /* set at shutdown: new connections are refused, and
                                  ** every answer closes its connection */
    atomic_int stopping;          /* set once the grace period is over: a new request
                                  ** is answered 503 without running its handler */
    atomic_long fibers;           /* handlers alive on the workers' fibers */
    atomic_ulong next_id;         /* request-id counter */
    char id_prefix[9];            /* random per process: ids differ across restarts */
    int tls;                      /* 1 when the server speaks HTTPS (Secure cookies) */
    /* --trusted-proxies (borrowed; NULL or empty: the TCP peer is the
    ** client, X-Forwarded-For is never read). */
    const struct pp_cidr_list *trusted_proxies;
};

/* Per-request state, created on the first access-handler call. */
struct http_req {
    struct pp_arena *arena;
    struct pp_buf body;
    struct timespec started;
    char request_id[PP_REQUEST_ID_BYTES];
    char addr[INET6_ADDRSTRLEN];
    const char *method;
    const char *path;
    /* Routing, done on the first call (the body limit depends on the route).
    ** PP_INVALID_PARAMS when the URL holds an escaped NUL (not routed). */
    enum pp_status route_status;
    const struct api_route *route;
    const char *params[PP_ROUTE_PARAMS_MAX];
    size_t param_count;
    char allow[PP_ALLOW_BYTES];
    unsigned status;
    size_t bytes_out;
    int responded;
    /* A request run on the handler pool or on a fiber: its request and
    ** answer live here while the connection is suspended (see request.c,
    ** offload_submit and fiber_start). */
    struct http_job job;
    struct MHD_Connection *conn;
    struct http_request_ctx *ctx;
    struct api_request off_req;
    struct api_response off_resp;
    atomic_int off_state; /* enum offload_state in request.c */
    /* A request whose handler runs on a fiber of its worker (route
    ** on_fiber): the fiber while it is parked at a write, else NULL. */
    struct pp_fiber *fiber;
    /* Who wakes a parked fiber how (enum fiber_wake_state in request.c),
    ** and what a connection that ended under it waits on. */
    atomic_int fiber_wake;
    sem_t fiber_done;
    int fiber_started; /* fiber_done is initialised */
};

#endif /* PAYOUT_HTTP_REQUEST_STATE_H */
