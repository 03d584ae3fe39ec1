/*
** This module implements the life of one request on libmicrohttpd: its
** state in *req_cls (an arena, the body, the route) from the first
** access-handler call to the completion callback, the body limit and the
** body deadline, turning the wire request into an api_request (query,
** token, content type, idempotency key), and running the handler: on a
** fiber of the worker for a route that only writes through the store
** (on_fiber), on the handler pool for any other that may wait for a
** commit. It does not own the daemon (server.c) or format answers
** (response.c).
**
** A fiber's request: the worker runs the handler on a fiber (its own
** stack); when the handler's write is queued the fiber parks, the worker
** suspends the connection and only then lets the write go to the writer
** (pp_fiber_release), so the writer's wake-up, which resumes the
** connection, always finds it suspended. libmicrohttpd then calls the
** access handler again on the same worker, which switches back into the
** fiber; the handler goes on from its write to its answer, which is sent
** at once. No thread sleeps per request, and the answer leaves the
** worker one hand-off after the commit.
**
** A request whose URL carries an escaped NUL byte ("%00" in the path or in
** a query key or value) is refused with 400 INVALID_PARAMS before routing:
** libmicrohttpd decodes it to a NUL that silently ends the string, so
** "/api/payments/1%00x" would otherwise be served as "/api/payments/1".
**
** The client address of a request is its TCP peer's, or behind a proxy
** in --trusted-proxies the one its X-Forwarded-For names (forwarded.c);
** it is found once, when the request's state is made, and everything
** after (rate limit, lockout, access log, audit) uses that one.
*/
#include "payout/http/request.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "payout/base/assert.h"
#include "payout/base/fiber.h"
#include "payout/base/log.h"
#include "payout/base/metrics.h"
#include "payout/http/access_log.h"
#include "payout/http/conn_guard.h"
#include "payout/http/forwarded.h"
#include "payout/http/framing.h"
#include "payout/http/panel.h"
#include "payout/http/response.h"
#include "payout/http/router.h"

enum offload_state { OFFLOAD_NONE, OFFLOAD_RUNNING, OFFLOAD_READY, OFFLOAD_DONE, OFFLOAD_PARKED };

static int request_id_acceptable(const char *id)
{
    size_t len = strlen(id);
    if (len == 0 || len > PP_REQUEST_ID_GIVEN_BYTES_MAX) {
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

/* The X-Forwarded-For lines of a request, the last PP_FORWARDED_LINES_MAX
** of them in order (a ring while they are collected). */
struct forwarded_lines {
    const char *ring[PP_FORWARDED_LINES_MAX];
    size_t seen;
};

static enum MHD_Result forwarded_collect(void *cls, enum MHD_ValueKind kind, const char *key,
                                         const char *value)
{
    struct forwarded_lines *f = cls;
    (void)kind;
    if (strcasecmp(key, "X-Forwarded-For") == 0) {
        f->ring[f->seen % PP_FORWARDED_LINES_MAX] = value != NULL ? value : "";
        f->seen++;
    }
    return MHD_YES;
}

/* The client address of conn: its TCP peer, or behind a trusted proxy
** (--trusted-proxies) the client its X-Forwarded-For names
** (http/forwarded.h). */
static void client_addr(const struct http_request_ctx *ctx, struct MHD_Connection *conn, char *out,
                        size_t size)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(out, size, "unknown");
    if (info == NULL || info->client_addr == NULL) {
        return;
    }
    const struct sockaddr *sa = info->client_addr;
    const uint8_t *addr = NULL;
    if (sa->sa_family == AF_INET) {
        addr = (const uint8_t *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
    } else if (sa->sa_family == AF_INET6) {
        addr = (const uint8_t *)&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
    } else {
        return;
    }
    struct forwarded_lines f = {{NULL}, 0};
    const char *lines[PP_FORWARDED_LINES_MAX];
    size_t count = 0;
    if (ctx->trusted_proxies != NULL && ctx->trusted_proxies->count > 0) {
        MHD_get_connection_values(conn, MHD_HEADER_KIND, forwarded_collect, &f);
        count = f.seen < PP_FORWARDED_LINES_MAX ? f.seen : PP_FORWARDED_LINES_MAX;
        for (size_t i = 0; i < count; i++) {
            lines[i] = f.ring[(f.seen - count + i) % PP_FORWARDED_LINES_MAX];
        }
    }
    (void)http_forwarded_client(ctx->trusted_proxies, sa->sa_family, addr, lines, count, out, size);
}

/* What *req_cls holds from the URI callback to the first access-handler
** call when the request target has an escaped NUL (http_request_uri_cb); only its
** address matters (aligned like any object, since it passes through a
** struct http_req pointer). NULL there means a clean target. */
static max_align_t url_nul_marker;

/* MHD_OPTION_URI_LOG_CALLBACK: runs once per request on the raw target,
** before libmicrohttpd unescapes it; the result becomes *req_cls. */
void *http_request_uri_cb(void *cls, const char *uri, struct MHD_Connection *conn)
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

static struct http_req *req_new(struct http_request_ctx *ctx, struct MHD_Connection *conn,
                                const char *method, const char *url, int url_nul)
{
    struct http_req *r = pp_check_alloc(calloc(1, sizeof *r));
    r->ctx = ctx;
    r->arena = pp_arena_create(PP_ARENA_CHUNK_BYTES);
    pp_buf_init(&r->body);
    clock_gettime(CLOCK_MONOTONIC, &r->started);
    r->method = pp_arena_strdup(r->arena, method);
    r->path = pp_arena_strndup(r->arena, url, strnlen(url, PP_PATH_BYTES_MAX + 1));
    const char *given = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id");
    if (given != NULL && request_id_acceptable(given)) {
        snprintf(r->request_id, sizeof r->request_id, "%s", given);
    } else {
        unsigned long n = atomic_fetch_add(&ctx->next_id, 1);
        snprintf(r->request_id, sizeof r->request_id, "%s-%08lx", ctx->id_prefix, n);
    }
    client_addr(ctx, conn, r->addr, sizeof r->addr);
    if (url_nul) {
        /* r->path is cut at the NUL: routing it would serve another URL. */
        r->route_status = PP_INVALID_PARAMS;
    } else {
        r->route_status =
            http_route_find(api_routes, api_routes_count, r->method, r->path, r->arena, &r->route,
                            r->params, &r->param_count, r->allow, sizeof r->allow);
    }
    atomic_fetch_add(&ctx->in_flight, 1);
    return r;
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
    /* The decoded sizes count past a NUL, strlen stops at it. http_request_uri_cb
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
    api_route_run(r->ctx->app, r->route, &r->off_req, &r->off_resp);
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
static int offload_submit(struct http_request_ctx *ctx, struct MHD_Connection *conn,
                          struct http_req *r, const struct api_request *req,
                          const struct api_response *resp)
{
    if (ctx->offload == NULL || !offload_wanted(r)) {
        return 0;
    }
    PP_ASSERT(r->ctx == ctx);
    r->conn = conn;
    r->off_req = *req;
    r->off_resp = *resp;
    r->job.run = offload_run;
    r->job.arg = r;
    return http_offload_submit(ctx->offload, &r->job, offload_suspend, r);
}

/* A parked fiber's wake-up: FIBER_WAITING until the writer wakes it
** (FIBER_WOKEN: the connection is resumed) or its connection ends first
** (FIBER_DETACHED: the writer posts fiber_done instead, and the ending
** connection runs the fiber to its end; see fiber_finish_detached). */
enum fiber_wake_state { FIBER_WAITING, FIBER_WOKEN, FIBER_DETACHED };

/* Runs on the fiber: the request's whole handler. */
static void fiber_main(void *arg)
{
    struct http_req *r = arg;
    api_route_run(r->ctx->app, r->route, &r->off_req, &r->off_resp);
}

/* Called by the writer once the parked write is over (any thread). */
static void fiber_wake(void *arg)
{
    struct http_req *r = arg;
    int expected = FIBER_WAITING;
    if (atomic_compare_exchange_strong(&r->fiber_wake, &expected, FIBER_WOKEN)) {
        MHD_resume_connection(r->conn);
    } else {
        PP_ASSERT(sem_post(&r->fiber_done) == 0);
    }
}

/* Switches into r's fiber (new or parked) and answers when the handler
** ended; when it parked at a write, suspends the connection and lets the
** write go. */
static enum MHD_Result fiber_step(struct MHD_Connection *conn, struct http_req *r)
{
    struct pp_fiber *f = r->fiber;
    r->fiber = NULL;
    if (pp_fiber_switch(f)) {
        enum MHD_Result ret = http_response_send(conn, r, &r->off_resp);
        api_response_free(&r->off_resp);
        atomic_store(&r->off_state, OFFLOAD_DONE);
        atomic_fetch_sub(&r->ctx->fibers, 1);
        return ret;
    }
    r->fiber = f;
    atomic_store(&r->off_state, OFFLOAD_PARKED);
    atomic_store(&r->fiber_wake, FIBER_WAITING);
    MHD_suspend_connection(conn);
    pp_fiber_release(f);
    return MHD_YES;
}

/* The connection of a parked fiber ended (the client went away after the
** writer resumed it, or the daemon is stopping): the handler still runs to
** its end, each further write waited for here, and its answer is dropped.
** A write is never abandoned while it is queued: its item lives on the
** fiber's stack. */
static void fiber_finish_detached(struct http_req *r)
{
    struct pp_fiber *f = r->fiber;
    r->fiber = NULL;
    int expected = FIBER_WAITING;
    if (!atomic_compare_exchange_strong(&r->fiber_wake, &expected, FIBER_DETACHED)) {
        PP_ASSERT(expected == FIBER_WOKEN);
        PP_ASSERT(sem_post(&r->fiber_done) == 0); /* already woken */
    }
    for (;;) {
        while (sem_wait(&r->fiber_done) != 0) {
            PP_ASSERT(errno == EINTR);
        }
        if (pp_fiber_switch(f)) {
            break;
        }
        atomic_store(&r->fiber_wake, FIBER_DETACHED);
        pp_fiber_release(f);
    }
    api_response_free(&r->off_resp);
    atomic_store(&r->off_state, OFFLOAD_DONE);
    atomic_fetch_sub(&r->ctx->fibers, 1);
}

/* A request for r's worker fiber: a route that says so, without an
** Idempotency-Key (a keyed request may wait for another with its key). */
static int fiber_wanted(const struct http_req *r, const struct api_request *req)
{
    return r->route != NULL && r->route->on_fiber && req->idempotency_key == NULL;
}

/* Starts r's handler on a fiber: its answer is sent now, or once its write
** is over. */
static enum MHD_Result fiber_start(struct http_request_ctx *ctx, struct MHD_Connection *conn,
                                   struct http_req *r, const struct api_request *req,
                                   const struct api_response *resp)
{
    r->conn = conn;
    r->ctx = ctx;
    r->off_req = *req;
    r->off_resp = *resp;
    PP_ASSERT(sem_init(&r->fiber_done, 0, 0) == 0);
    r->fiber_started = 1;
    atomic_fetch_add(&ctx->fibers, 1);
    r->fiber = pp_fiber_create(fiber_main, r, fiber_wake, r);
    return fiber_step(conn, r);
}

/* Sends the answer a pool thread prepared, once. */
static enum MHD_Result offload_answer(struct MHD_Connection *conn, struct http_req *r)
{
    enum MHD_Result ret = MHD_YES;
    if (atomic_load(&r->off_state) == OFFLOAD_READY) {
        ret = http_response_send(conn, r, &r->off_resp);
        api_response_free(&r->off_resp);
        atomic_store(&r->off_state, OFFLOAD_DONE);
    }
    return ret;
}

/* The answer to an escaped NUL in the path or the query. */
#define URL_NUL_MESSAGE "the URL must not contain a NUL byte (%00)"

/* 1 when r is the panel's (a file or the HTML shell) and was answered. */
static int panel_answered(struct MHD_Connection *conn, struct http_req *r, enum MHD_Result *ret)
{
    struct http_panel_answered a;
    if (r->route_status != PP_NOT_FOUND ||
        !http_panel_answer(conn, r->method, r->path, r->request_id, &a)) {
        return 0;
    }
    *ret = (enum MHD_Result)a.mhd_result;
    r->status = a.status;
    r->bytes_out = a.bytes_out;
    r->responded = 1;
    return 1;
}

static enum MHD_Result dispatch(struct http_request_ctx *ctx, struct MHD_Connection *conn,
                                struct http_req *r)
{
    enum MHD_Result panel_ret = MHD_NO;
    if (panel_answered(conn, r, &panel_ret)) {
        return panel_ret;
    }
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
    } else if (atomic_load(&ctx->stopping)) {
        /* Past the grace period no handler starts: the daemon is about to
        ** stop, and a write parked now would hold its connection. */
        api_error_respond(&resp, PP_UNAVAILABLE, "the server is stopping; retry the request");
    } else {
        req.token = request_token(conn);
        /* Either header present, even empty or malformed, means a token
        ** call: a session cookie then authenticates nothing. */
        req.auth_header =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "x-access-token") != NULL ||
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization") != NULL;
        req.cookie = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_COOKIE);
        req.csrf_token = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-CSRF-Token");
        req.secure = ctx->tls;
        req.content_type =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        req.idempotency_key = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Idempotency-Key");
        req.body = r->body.len > 0 ? r->body.data : NULL;
        req.body_len = r->body.len;
        if (ctx->offload != NULL && fiber_wanted(r, &req)) {
            return fiber_start(ctx, conn, r, &req, &resp);
        }
        if (offload_submit(ctx, conn, r, &req, &resp)) {
            return MHD_YES;
        }
        api_route_run(ctx->app, r->route, &req, &resp);
    }
    enum MHD_Result ret = http_response_send(conn, r, &resp);
    api_response_free(&resp);
    return ret;
}

/* The body limit of r's route. */
static size_t body_limit(const struct http_request_ctx *ctx, const struct http_req *r)
{
    if (r->route != NULL && r->route->body_bytes_max > 0) {
        return r->route->body_bytes_max;
    }
    return ctx->body_bytes_max;
}

/* 1 when the declared Content-Length is over the limit. */
static int declared_too_large(struct MHD_Connection *conn, size_t max)
{
    const char *cl =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
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

/* The first access-handler call, headers read and no body yet: refuses a
** request whose framing cannot be trusted (framing.c) and then closes the
** connection, so that no byte after it is read as another request. */
static enum MHD_Result first_call(struct http_request_ctx *ctx, struct MHD_Connection *conn,
                                  const char *version, struct http_req *r)
{
    http_conn_guard_headers_done(conn);
    struct http_framing framing;
    http_framing_check(conn, version, &framing);
    if (framing.status != PP_OK) {
        return http_response_error_close(conn, r, framing.status, framing.message);
    }
    if (declared_too_large(conn, body_limit(ctx, r))) {
        return http_response_error(conn, r, PP_PAYLOAD_TOO_LARGE,
                                   "request body is larger than the server accepts");
    }
    return MHD_YES;
}

enum MHD_Result http_request_access_cb(void *cls, struct MHD_Connection *conn, const char *url,
                                       const char *method, const char *version,
                                       const char *upload_data, size_t *upload_data_size,
                                       void **req_cls)
{
    struct http_request_ctx *ctx = cls;
    struct http_req *r = *req_cls;
    if (req_cls_unset(r)) {
        /* Answering on a later call keeps keep-alive working for bodiless
        ** requests (libmicrohttpd closes the connection otherwise). */
        *req_cls = req_new(ctx, conn, method, url, r != NULL);
        return first_call(ctx, conn, version, *req_cls);
    }
    if (*upload_data_size > 0) {
        size_t size = *upload_data_size;
        *upload_data_size = 0;
        if (elapsed_ms(r) > ctx->request_ms_max) {
            /* A client trickling its body: drop it instead of waiting. */
            pp_log(PP_LOG_WARN, "http: dropping %s: request body still arriving after %lld ms",
                   r->request_id, (long long)ctx->request_ms_max);
            return MHD_NO;
        }
        if (r->responded) {
            return MHD_YES;
        }
        if (r->body.len + size > body_limit(ctx, r)) {
            pp_buf_free(&r->body);
            return http_response_error(conn, r, PP_PAYLOAD_TOO_LARGE,
                                       "request body is larger than the server accepts");
        }
        pp_buf_append(&r->body, upload_data, size);
        return MHD_YES;
    }
    if (atomic_load(&r->off_state) == OFFLOAD_PARKED) {
        return fiber_step(conn, r);
    }
    if (atomic_load(&r->off_state) != OFFLOAD_NONE) {
        return offload_answer(conn, r);
    }
    if (r->responded) {
        return MHD_YES;
    }
    return dispatch(ctx, conn, r);
}

void http_request_completed_cb(void *cls, struct MHD_Connection *conn, void **req_cls,
                               enum MHD_RequestTerminationCode toe)
{
    struct http_request_ctx *ctx = cls;
    struct http_req *r = *req_cls;
    /* A kept-alive connection now waits for the next request's headers. */
    http_conn_guard_request_done(conn);
    if (req_cls_unset(r)) {
        *req_cls = NULL; /* ended before the access handler ran */
        return;
    }
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && !r->responded) {
        r->status = 0; /* the client went away or timed out before an answer */
    }
    http_access_log_write(r);
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    pp_metrics_request_observe(
        r->route != NULL ? (size_t)(r->route - api_routes) : api_routes_count, r->status,
        (double)(now.tv_sec - r->started.tv_sec) +
            (double)(now.tv_nsec - r->started.tv_nsec) / 1e9);
    if (atomic_load(&r->off_state) == OFFLOAD_PARKED) {
        fiber_finish_detached(r);
    }
    if (r->fiber_started) {
        sem_destroy(&r->fiber_done);
    }
    if (atomic_load(&r->off_state) == OFFLOAD_READY) {
        api_response_free(&r->off_resp); /* prepared, never sent */
    }
    pp_buf_free(&r->body);
    pp_arena_destroy(r->arena);
    free(r);
    *req_cls = NULL;
    atomic_fetch_sub(&ctx->in_flight, 1);
}
