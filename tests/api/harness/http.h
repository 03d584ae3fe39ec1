/*
** This header declares HTTP for the API tests: one request and its
** response through libcurl, and the main-thread shorthands.
**
** Threads: pp_request() is safe from several threads at once (each thread
** its own CURL handle); pp_call, pp_get, pp_post and pp_put assert, so
** they run on the test's main thread (cmocka's failures longjmp).
*/
#ifndef PP_HARNESS_HTTP_H
#define PP_HARNESS_HTTP_H

#include <stddef.h>

#include <curl/curl.h>
#include <jansson.h>

#include "harness/server.h"

/* One HTTP request. Fields left zero take defaults. */
struct pp_req {
    const char *method;         /* "GET", "POST", "PUT", ... (default GET) */
    const char *path;           /* "/api/version" */
    const char *token;          /* sent as x-access-token when non-NULL */
    const char *bearer;         /* sent as Authorization: Bearer when non-NULL */
    const char *content_type;   /* with a body: default "application/json";
                                ** PP_NO_CONTENT_TYPE sends none */
    const char *const *headers; /* extra "Name: value" lines, NULL-terminated */
    const char *body;           /* raw body, or NULL for none */
    size_t body_len;            /* bytes of body; (size_t)-1: strlen(body) */
    int no_retry_429;           /* do not retry on 429 (rate limit) */
    /* Called (on the calling thread) once the request body has been handed
    ** to the socket, e.g. to signal a request now in flight. */
    void (*on_body_sent)(void *arg);
    void *on_body_sent_arg;
    /* Local address to send from (CURLOPT_INTERFACE, e.g. "127.0.0.2": still
    ** loopback, but another client address for the server). */
    const char *local_addr;
};

#define PP_NO_CONTENT_TYPE ((const char *)1)
#define PP_STRLEN ((size_t)-1)

#define PP_HEADERS_MAX 64

struct pp_header {
    char *name;
    char *value;
};

struct pp_resp {
    long status; /* HTTP status, 0 on transport failure */
    char *body;  /* NUL-terminated */
    size_t body_len;
    json_t *json; /* parsed body (rejecting duplicate keys),
                  ** NULL when not JSON */
    struct pp_header headers[PP_HEADERS_MAX];
    size_t header_count;
    char error[CURL_ERROR_SIZE]; /* transport error text */
    char what[160];              /* "METHOD PATH", for messages */
};

/* Sends req; never asserts; thread-safe. handle may be NULL (a temporary
** handle is used) or a caller-owned easy handle reused for keep-alive.
** Retries (with a short sleep) while the server answers 429, unless
** req->no_retry_429. Returns a new response (pp_resp_free) or NULL when out
** of memory; a transport failure is a response with status 0. */
struct pp_resp *pp_request(const struct pp_server *s, CURL *handle, const struct pp_req *req);

/* pp_request of a POST of the JSON text body (NUL-terminated) to path with
** token (may be NULL); thread-safe, never asserts. */
struct pp_resp *pp_request_post(const struct pp_server *s, CURL *handle, const char *path,
                                const char *token, const char *body);

/* As pp_request_post, with extra header lines ("Name: value", NULL-
** terminated; headers may be NULL). */
struct pp_resp *pp_request_post_with(const struct pp_server *s, CURL *handle, const char *path,
                                     const char *token, const char *const *headers,
                                     const char *body);

/* A raw TCP connection to s from the loopback address local_addr (e.g.
** "127.0.4.1", another client address for the server). Returns the
** socket, or -1 with errno set; never asserts, thread-safe. */
int pp_raw_connect(const struct pp_server *s, const char *local_addr);

/* As pp_request, on the main thread: asserts that a response came back and
** that it carries a non-empty X-Request-Id header. */
struct pp_resp *pp_call(const struct pp_server *s, const struct pp_req *req);

/* Shorthands for pp_call with a JSON body (NULL: no body). */
struct pp_resp *pp_get(const struct pp_server *s, const char *path, const char *token);
struct pp_resp *pp_post(const struct pp_server *s, const char *path, const char *token,
                        const char *json);
struct pp_resp *pp_put(const struct pp_server *s, const char *path, const char *token,
                       const char *json);

/* pp_post with extra header lines (as pp_request_post_with), on the main
** thread. */
struct pp_resp *pp_post_with(const struct pp_server *s, const char *path, const char *token,
                             const char *const *headers, const char *json);

void pp_resp_free(struct pp_resp *r);

/* The value of the first header named name (case-insensitive), borrowed, or
** NULL. */
const char *pp_resp_header(const struct pp_resp *r, const char *name);

#endif /* PP_HARNESS_HTTP_H */
