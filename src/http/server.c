/*
** This module implements the HTTP server on libmicrohttpd: the daemon
** (internal thread pool on epoll), per-request state in *req_cls freed in
** the completion callback, body accumulation with the size limit, turning
** the wire request into an api_request, responses with the common headers,
** the access log, and graceful stop. It is the only module that includes
** microhttpd.h. Routing is in router.c; handlers are in api/.
**
** A request whose URL carries an escaped NUL byte ("%00" in the path or in
** a query key or value) is refused with 400 INVALID_PARAMS before routing:
** libmicrohttpd decodes it to a NUL that silently ends the string, so
** "/api/payments/1%00x" would otherwise be served as "/api/payments/1".
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
#include "payout/api/jsonw.h"
#include "payout/base/assert.h"
#include "payout/base/log.h"
#include "payout/http/offload.h"
#include "payout/http/router.h"

struct http_server {
    struct MHD_Daemon *daemon;
    struct core_app *app;
    size_t body_bytes_max;
    int64_t request_ms_max; /* a request must be read within this (trickling) */
    uint16_t port;
    atomic_long in_flight;
    atomic_ulong next_id;
    char id_prefix[9];
    struct http_offload *offload; /* runs the handlers that wait for a commit */
};

/* Per-request state, created on the first access-handler call. */
struct http_req {
    struct pp_arena *arena;
    struct pp_buf body;
    struct timespec started;
    char request_id[72];
    char addr[INET6_ADDRSTRLEN];
    const char *method;
    const char *path;
    /* Routing, done on the first call (the body limit depends on the route).
    ** PP_INVALID_PARAMS when the URL holds an escaped NUL (not routed). */
    enum pp_status route_status;
    const struct api_route *route;
    const char *params[PP_ROUTE_PARAMS_MAX];
    size_t param_count;
    char allow[64];
    unsigned status;
    size_t bytes_out;
    int responded;
    /* A request run on the handler pool: its request and answer live here
    ** while the connection is suspended (see offload_submit). */
    struct http_job job;
    struct MHD_Connection *conn;
    struct http_server *srv;
    struct api_request off_req;
    struct api_response off_resp;
    atomic_int off_state; /* enum offload_state */
};

enum offload_state { OFFLOAD_NONE, OFFLOAD_RUNNING, OFFLOAD_READY, OFFLOAD_DONE };

static int request_id_acceptable(const char *id)
{
    size_t len = strlen(id);
    if (len == 0 || len > 64) {
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        char c = id[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '_' || c == '.';
        if (!ok) {
            return 0;
        }
    }
    return 1;
}

static void client_addr(struct MHD_Connection *conn, char *out, size_t size)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(out, size, "unknown");
    if (info == NULL || info->client_addr == NULL) {
        return;
    }
    const struct sockaddr *sa = info->client_addr;
    if (sa->sa_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
                  (socklen_t)size);
    } else if (sa->sa_family == AF_INET6) {
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
                  (socklen_t)size);
    }
}

/* What *req_cls holds from the URI callback to the first access-handler
** call when the request target has an escaped NUL (on_uri); only its
** address matters (aligned like any object, since it passes through a
** struct http_req pointer). NULL there means a clean target. */
static max_align_t url_nul_marker;

/* MHD_OPTION_URI_LOG_CALLBACK: runs once per request on the raw target,
** before libmicrohttpd unescapes it; the result becomes *req_cls. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls;
    (void)conn;
    return http_url_has_nul(uri) ? &url_nul_marker : NULL;
}

/* 1 when *req_cls holds no request state yet (first access-handler call,
** or the request ended before reaching it). */
static int req_cls_unset(const void *req_cls)
{
    return req_cls == NULL || req_cls == &url_nul_marker;
}

static struct http_req *req_new(struct http_server *srv, struct MHD_Connection *conn,
                                const char *method, const char *url, int url_nul)
{
    struct http_req *r = pp_check_alloc(calloc(1, sizeof *r));
    r->arena = pp_arena_create(PP_ARENA_CHUNK_BYTES);
    pp_buf_init(&r->body);
    clock_gettime(CLOCK_MONOTONIC, &r->started);
    r->method = pp_arena_strdup(r->arena, method);
    r->path = pp_arena_strndup(r->arena, url, strnlen(url, PP_PATH_BYTES_MAX + 1));
    const char *given = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id");
    if (given != NULL && request_id_acceptable(given)) {
        snprintf(r->request_id, sizeof r->request_id, "%s", given);
    } else {
        unsigned long n = atomic_fetch_add(&srv->next_id, 1);
        snprintf(r->request_id, sizeof r->request_id, "%s-%08lx", srv->id_prefix, n);
    }
    client_addr(conn, r->addr, sizeof r->addr);
    if (url_nul) {
        /* r->path is cut at the NUL: routing it would serve another URL. */
        r->route_status = PP_INVALID_PARAMS;
    } else {
        r->route_status = http_route_find(api_routes, api_routes_count, r->method, r->path,
                                          r->arena, &r->route, r->params, &r->param_count,
                                          r->allow, sizeof r->allow);
    }
    atomic_fetch_add(&srv->in_flight, 1);
    return r;
}

/* Queues resp on conn with the headers every answer carries. */
/* Streamed bodies: libmicrohttpd pulls, the API's stream callback fills. */
struct http_stream {
    long (*fn)(void *ctx, char *buf, size_t max);
    void *ctx;
    void (*free_fn)(void *ctx);
    struct http_req *req;
};

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct http_stream *s = cls;
    (void)pos;
    long n = s->fn(s->ctx, buf, max);
    if (n < 0) {
        return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    if (n == 0) {
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    return (ssize_t)n;
}

static void stream_done(void *cls)
{
    struct http_stream *s = cls;
    if (s->free_fn != NULL) {
        s->free_fn(s->ctx);
    }
    free(s);
}

/* The libmicrohttpd response for resp's body (taken over) or stream. */
static struct MHD_Response *make_body(struct api_response *resp, size_t *len_out)
{
    *len_out = 0;
    if (resp->stream != NULL) {
        struct http_stream *s = pp_check_alloc(malloc(sizeof *s));
        s->fn = resp->stream;
        s->ctx = resp->stream_ctx;
        s->free_fn = resp->stream_free;
        /* The stream now belongs to the response. */
        resp->stream = NULL;
        resp->stream_ctx = NULL;
        resp->stream_free = NULL;
        struct MHD_Response *mr = MHD_create_response_from_callback(
            MHD_SIZE_UNKNOWN, 32 * 1024, stream_read, s, stream_done);
        if (mr == NULL) {
            stream_done(s);
        }
        return mr;
    }
    char *body = pp_buf_take(&resp->body, len_out);
    struct MHD_Response *mr = MHD_create_response_from_buffer(*len_out, body,
                                                              MHD_RESPMEM_MUST_FREE);
    if (mr == NULL) {
        free(body);
    }
    return mr;
}

static enum MHD_Result send_response(struct MHD_Connection *conn, struct http_req *r,
                                     struct api_response *resp)
{
    size_t len = 0;
    struct MHD_Response *mr = make_body(resp, &len);
    if (mr == NULL) {
        return MHD_NO;
    }
    MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
    MHD_add_response_header(mr, "X-Request-Id", r->request_id);
    MHD_add_response_header(mr, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(mr, "X-Content-Type-Options", "nosniff");
    if (resp->allow[0] != '\0') {
        MHD_add_response_header(mr, MHD_HTTP_HEADER_ALLOW, resp->allow);
    }
    for (size_t i = 0; i < resp->header_count; i++) {
        MHD_add_response_header(mr, resp->headers[i].name, resp->headers[i].value);
    }
    enum MHD_Result ret = MHD_queue_response(conn, resp->status, mr);
    MHD_destroy_response(mr);
    r->status = resp->status;
    r->bytes_out = len;
    r->responded = 1;
    return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *conn, struct http_req *r,
                                  enum pp_status status, const char *message)
{
    struct api_response resp;
    api_response_init(&resp);
    api_error_respond(&resp, status, message);
    enum MHD_Result ret = send_response(conn, r, &resp);
    api_response_free(&resp);
    return ret;
}

struct query_walk {
    struct api_request *req;
    int overflow;
    int nul; /* a key or value holds a NUL byte */
};

static enum MHD_Result collect_query(void *cls, enum MHD_ValueKind kind, const char *key,
                                     size_t key_size, const char *value, size_t value_size)
{
    struct query_walk *walk = cls;
    (void)kind;
    /* The decoded sizes count past a NUL, strlen stops at it. on_uri
    ** already refuses "%00"; this holds whatever the decoder does. */
    if (strlen(key) != key_size || (value != NULL && strlen(value) != value_size)) {
        walk->nul = 1;
        return MHD_NO;
    }
    if (walk->req->query_count == PP_QUERY_PARAMS_MAX) {
        walk->overflow = 1;
        return MHD_NO;
    }
    walk->req->query[walk->req->query_count].key = key;
    walk->req->query[walk->req->query_count].value = value;
    walk->req->query_count++;
    return MHD_YES;
}

/* The API key: x-access-token, else "Authorization: Bearer <token>". */
static const char *request_token(struct MHD_Connection *conn)
{
    const char *token = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "x-access-token");
    if (token != NULL) {
        return token;
    }
    const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    if (auth != NULL && strncasecmp(auth, "Bearer ", 7) == 0) {
        auth += 7;
        while (*auth == ' ') {
            auth++;
        }
        return auth;
    }
    return NULL;
}

/* Requests that may wait for a commit (every method but GET and HEAD) go
** to the handler pool, so that the epoll workers keep serving while they
** wait, and so that concurrent writes meet in one group commit. */
static int offload_wanted(const struct http_req *r)
{
    return r->route != NULL && strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0;
}

/* Runs on a pool thread: the handler, then the connection goes back to
** libmicrohttpd, which calls on_request again to send the answer. */
static void offload_run(void *arg)
{
    struct http_req *r = arg;
    api_route_run(r->srv->app, r->route, &r->off_req, &r->off_resp);
    atomic_store(&r->off_state, OFFLOAD_READY);
    MHD_resume_connection(r->conn);
}

/* Called under the pool's lock before the job is queued. */
static void offload_suspend(void *arg)
{
    struct http_req *r = arg;
    atomic_store(&r->off_state, OFFLOAD_RUNNING);
    MHD_suspend_connection(r->conn);
}

/* Hands r (with req and resp, copied) to the pool. 1 when it went; 0 when
** the pool is stopping and the caller must run the handler itself. */
static int offload_submit(struct http_server *srv, struct MHD_Connection *conn,
                          struct http_req *r, const struct api_request *req,
                          const struct api_response *resp)
{
    if (srv->offload == NULL || !offload_wanted(r)) {
        return 0;
    }
    r->conn = conn;
    r->srv = srv;
    r->off_req = *req;
    r->off_resp = *resp;
    r->job.run = offload_run;
    r->job.arg = r;
    return http_offload_submit(srv->offload, &r->job, offload_suspend, r);
}

/* Sends the answer a pool thread prepared, once. */
static enum MHD_Result offload_answer(struct MHD_Connection *conn, struct http_req *r)
{
    enum MHD_Result ret = MHD_YES;
    if (atomic_load(&r->off_state) == OFFLOAD_READY) {
        ret = send_response(conn, r, &r->off_resp);
        api_response_free(&r->off_resp);
        atomic_store(&r->off_state, OFFLOAD_DONE);
    }
    return ret;
}

/* The answer to an escaped NUL in the path or the query. */
#define URL_NUL_MESSAGE "the URL must not contain a NUL byte (%00)"

static enum MHD_Result dispatch(struct http_server *srv, struct MHD_Connection *conn,
                                struct http_req *r)
{
    struct api_request req;
    struct api_response resp;
    memset(&req, 0, sizeof req);
    api_response_init(&resp);
    req.arena = r->arena;
    req.method = r->method;
    req.path = r->path;
    req.client_addr = r->addr;
    memcpy(req.path_params, r->params, sizeof req.path_params);
    req.path_param_count = r->param_count;
    snprintf(resp.allow, sizeof resp.allow, "%s", r->allow);
    struct query_walk walk = {&req, 0, 0};
    if (r->route_status == PP_INVALID_PARAMS) {
        api_error_respond(&resp, PP_INVALID_PARAMS, URL_NUL_MESSAGE);
    } else if (r->route_status == PP_NOT_FOUND) {
        api_error_respond(&resp, PP_NOT_FOUND, "no such endpoint");
    } else if (r->route_status == PP_METHOD_NOT_ALLOWED) {
        api_error_respond(&resp, PP_METHOD_NOT_ALLOWED, "method not allowed for this endpoint");
    } else if (MHD_get_connection_values_n(conn, MHD_GET_ARGUMENT_KIND, collect_query, &walk),
               walk.nul) {
        api_error_respond(&resp, PP_INVALID_PARAMS, URL_NUL_MESSAGE);
    } else if (walk.overflow) {
        api_error_respond(&resp, PP_INVALID_PARAMS, "too many query parameters");
    } else {
        req.token = request_token(conn);
        req.content_type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                       MHD_HTTP_HEADER_CONTENT_TYPE);
        req.idempotency_key = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                          "Idempotency-Key");
        req.body = r->body.len > 0 ? r->body.data : NULL;
        req.body_len = r->body.len;
        if (offload_submit(srv, conn, r, &req, &resp)) {
            return MHD_YES;
        }
        api_route_run(srv->app, r->route, &req, &resp);
    }
    enum MHD_Result ret = send_response(conn, r, &resp);
    api_response_free(&resp);
    return ret;
}

/* The body limit of r's route. */
static size_t body_limit(const struct http_server *srv, const struct http_req *r)
{
    if (r->route != NULL && r->route->body_bytes_max > 0) {
        return r->route->body_bytes_max;
    }
    return srv->body_bytes_max;
}

/* 1 when the declared Content-Length is over the limit. */
static int declared_too_large(struct MHD_Connection *conn, size_t max)
{
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl == NULL) {
        return 0;
    }
    char *end = NULL;
    unsigned long long n = strtoull(cl, &end, 10);
    return end != cl && n > max;
}

/* Milliseconds since r's first access-handler call. */
static int64_t elapsed_ms(const struct http_req *r)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)(now.tv_sec - r->started.tv_sec) * 1000 +
           (now.tv_nsec - r->started.tv_nsec) / 1000000;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **req_cls)
{
    struct http_server *srv = cls;
    struct http_req *r = *req_cls;
    (void)version;
    if (req_cls_unset(r)) {
        /* Answering on a later call keeps keep-alive working for bodiless
        ** requests (libmicrohttpd closes the connection otherwise). */
        *req_cls = req_new(srv, conn, method, url, r != NULL);
        if (declared_too_large(conn, body_limit(srv, *req_cls))) {
            return send_error(conn, *req_cls, PP_PAYLOAD_TOO_LARGE,
                              "request body is larger than the server accepts");
        }
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        size_t size = *upload_data_size;
        *upload_data_size = 0;
        if (elapsed_ms(r) > srv->request_ms_max) {
            /* A client trickling its body: drop it instead of waiting. */
            pp_log(PP_LOG_WARN, "http: dropping %s: request body still arriving after %lld ms",
                   r->request_id, (long long)srv->request_ms_max);
            return MHD_NO;
        }
        if (r->responded) {
            return MHD_YES;
        }
        if (r->body.len + size > body_limit(srv, r)) {
            pp_buf_free(&r->body);
            return send_error(conn, r, PP_PAYLOAD_TOO_LARGE,
                              "request body is larger than the server accepts");
        }
        pp_buf_append(&r->body, upload_data, size);
        return MHD_YES;
    }
    if (atomic_load(&r->off_state) != OFFLOAD_NONE) {
        return offload_answer(conn, r);
    }
    if (r->responded) {
        return MHD_YES;
    }
    return dispatch(srv, conn, r);
}

static void access_log(const struct http_req *r)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double ms = (double)(now.tv_sec - r->started.tv_sec) * 1e3 +
                (double)(now.tv_nsec - r->started.tv_nsec) / 1e6;
    char ts[32];
    time_t wall = time(NULL);
    struct tm tm;
    gmtime_r(&wall, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    struct pp_buf line;
    pp_buf_init(&line);
    pp_buf_printf(&line, "{\"ts\":\"%s\",\"rid\":\"", ts);
    jw_escape(&line, r->request_id, strlen(r->request_id));
    pp_buf_printf(&line, "\",\"addr\":\"%s\",\"method\":\"", r->addr);
    jw_escape(&line, r->method, strnlen(r->method, 16));
    pp_buf_puts(&line, "\",\"path\":\"");
    jw_escape(&line, r->path, strnlen(r->path, 256));
    pp_buf_printf(&line, "\",\"status\":%u,\"ms\":%.3f,\"in\":%zu,\"out\":%zu}", r->status, ms,
                  r->body.len, r->bytes_out);
    pp_log_access(line.data, line.len);
    pp_buf_free(&line);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct http_server *srv = cls;
    struct http_req *r = *req_cls;
    (void)conn;
    if (req_cls_unset(r)) {
        *req_cls = NULL; /* ended before the access handler ran */
        return;
    }
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && !r->responded) {
        r->status = 0; /* the client went away or timed out before an answer */
    }
    access_log(r);
    if (atomic_load(&r->off_state) == OFFLOAD_READY) {
        api_response_free(&r->off_resp); /* prepared, never sent */
    }
    pp_buf_free(&r->body);
    pp_arena_destroy(r->arena);
    free(r);
    *req_cls = NULL;
    atomic_fetch_sub(&srv->in_flight, 1);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    (void)cls;
    vsnprintf(msg, sizeof msg, fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    pp_log(PP_LOG_WARN, "http: %s", msg);
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
    unsigned per_ip = opts->connections_per_ip_max > 0 ? opts->connections_per_ip_max
                                                       : PP_CONNECTIONS_PER_IP_MAX;
    unsigned timeout_s = opts->conn_timeout_s > 0 ? opts->conn_timeout_s : PP_CONNECTION_TIMEOUT_S;
    items[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, (intptr_t)conns, NULL};
    items[n++] = (struct MHD_OptionItem){MHD_OPTION_PER_IP_CONNECTION_LIMIT, (intptr_t)per_ip,
                                         NULL};
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
    struct http_server *srv = pp_check_alloc(calloc(1, sizeof *srv));
    srv->app = app;
    srv->body_bytes_max = opts->body_bytes_max;
    srv->request_ms_max = (int64_t)(opts->conn_timeout_s > 0 ? opts->conn_timeout_s
                                                              : PP_CONNECTION_TIMEOUT_S) *
                          PP_REQUEST_TIMEOUTS_MAX * 1000;
    uint32_t rnd = 0;
    if (getrandom(&rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
        rnd = (uint32_t)getpid();
    }
    snprintf(srv->id_prefix, sizeof srv->id_prefix, "%08x", rnd);
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG |
                     MHD_ALLOW_SUSPEND_RESUME | (ipv6 ? MHD_USE_IPv6 : 0);
    struct MHD_OptionItem extra[HTTP_EXTRA_OPTIONS_MAX];
    size_t n = transport_options(opts, extra);
    if (opts->tls_cert_pem != NULL) {
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
            free(srv);
            return pp_err_set(err, PP_UNAVAILABLE,
                              "this libmicrohttpd was built without TLS support");
        }
        flags |= MHD_USE_TLS;
    }
    extra[n] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    /* The logger comes first so that errors in later options are logged. */
    srv->offload = http_offload_start(PP_HANDLER_THREADS_MAX);
    srv->daemon = MHD_start_daemon(
        flags, opts->port, NULL, NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
        NULL, MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL, MHD_OPTION_SOCK_ADDR, &ss,
        MHD_OPTION_THREAD_POOL_SIZE, opts->threads, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
        srv, MHD_OPTION_ARRAY, extra, MHD_OPTION_END);
    if (srv->daemon == NULL) {
        http_offload_stop(srv->offload);
        free(srv);
        return pp_err_set(err, PP_UNAVAILABLE, "cannot listen on %s port %u", opts->bind_addr,
                          (unsigned)opts->port);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon,
                                                           MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info != NULL ? info->port : opts->port;
    *out = srv;
    return PP_OK;
}

uint16_t http_server_port(const struct http_server *srv)
{
    return srv->port;
}

void http_server_stop(struct http_server *srv)
{
    if (srv == NULL) {
        return;
    }
    MHD_socket fd = MHD_quiesce_daemon(srv->daemon);
    if (fd != MHD_INVALID_SOCKET) {
        close(fd);
    }
    for (int i = 0; i < PP_SHUTDOWN_WAIT_S * 100 && atomic_load(&srv->in_flight) > 0; i++) {
        struct timespec ten_ms = {0, 10 * 1000 * 1000};
        nanosleep(&ten_ms, NULL);
    }
    if (atomic_load(&srv->in_flight) > 0) {
        pp_log(PP_LOG_WARN, "stopping with %ld requests still in flight",
               atomic_load(&srv->in_flight));
    }
    /* Every suspended connection must be resumed before the daemon stops:
    ** the pool finishes what it holds first. */
    http_offload_stop(srv->offload);
    srv->offload = NULL;
    MHD_stop_daemon(srv->daemon);
    free(srv);
}
