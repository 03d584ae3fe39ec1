/*
** This header declares the per-request side of the HTTP server: the state
** a request keeps in libmicrohttpd's *req_cls from its first access-handler
** call to the completion callback (arena, body, route, answer figures), and
** the three libmicrohttpd callbacks that drive it (the raw-URI check, the
** access handler and the completion callback). The daemon in server.c
** registers them with a struct http_request_ctx as their closure.
*/
#ifndef PAYOUT_HTTP_REQUEST_H
#define PAYOUT_HTTP_REQUEST_H

#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "payout/api/api.h"
#include "payout/base/buf.h"
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
    atomic_ulong next_id;         /* request-id counter */
    char id_prefix[9];            /* random per process: ids differ across restarts */
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
    /* A request run on the handler pool: its request and answer live here
    ** while the connection is suspended (see request.c, offload_submit). */
    struct http_job job;
    struct MHD_Connection *conn;
    struct http_request_ctx *ctx;
    struct api_request off_req;
    struct api_response off_resp;
    atomic_int off_state; /* enum offload_state in request.c */
};

/* MHD_OPTION_URI_LOG_CALLBACK: runs once per request on the raw target,
** before libmicrohttpd unescapes it; marks a target with an escaped NUL. */
void *http_request_uri_cb(void *cls, const char *uri, struct MHD_Connection *conn);

/* The access handler (cls: struct http_request_ctx). Creates the request
** state on the first call, gathers the body, dispatches to the API (on the
** handler pool for requests that may wait for a commit) and queues the
** answer. MHD_NO only to drop the connection. */
enum MHD_Result http_request_access_cb(void *cls, struct MHD_Connection *conn, const char *url,
                                       const char *method, const char *version,
                                       const char *upload_data, size_t *upload_data_size,
                                       void **req_cls);

/* MHD_OPTION_NOTIFY_COMPLETED (cls: struct http_request_ctx): writes the
** access-log line and frees the request state. */
void http_request_completed_cb(void *cls, struct MHD_Connection *conn, void **req_cls,
                               enum MHD_RequestTerminationCode toe);

#endif /* PAYOUT_HTTP_REQUEST_H */
