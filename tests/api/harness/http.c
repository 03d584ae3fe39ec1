/*
** This module implements HTTP for the harness (harness/http.h): one
** request through libcurl (a caller's handle or a temporary one), the
** response's status, body, parsed JSON and headers, the retry on 429, and
** the main-thread shorthands that assert a response came back.
*/
#include "harness/http.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include "harness/internal.h"
#include "harness/util.h"
#include <cmocka.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

/* --- HTTP --------------------------------------------------------------------- */

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct pp_resp *r = userdata;
    size_t n = size * nmemb;
    char *grown = realloc(r->body, r->body_len + n + 1);
    if (grown == NULL) {
        return 0;
    }
    r->body = grown;
    memcpy(r->body + r->body_len, data, n);
    r->body_len += n;
    r->body[r->body_len] = '\0';
    return n;
}

static void headers_clear(struct pp_resp *r)
{
    for (size_t i = 0; i < r->header_count; i++) {
        free(r->headers[i].name);
        free(r->headers[i].value);
    }
    r->header_count = 0;
}

static char *trimmed_copy(const char *start, const char *end)
{
    while (start < end && isspace((unsigned char)*start)) {
        start++;
    }
    while (end > start && isspace((unsigned char)end[-1])) {
        end--;
    }
    return strndup(start, (size_t)(end - start));
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct pp_resp *r = userdata;
    size_t n = size * nmemb;
    if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        /* A new status line (after a 100 Continue): start over. */
        headers_clear(r);
        return n;
    }
    const char *colon = memchr(data, ':', n);
    if (colon != NULL && r->header_count < PP_HEADERS_MAX) {
        r->headers[r->header_count].name = trimmed_copy(data, colon);
        r->headers[r->header_count].value = trimmed_copy(colon + 1, data + n);
        r->header_count++;
    }
    return n;
}

static int has_header(const char *const *headers, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; headers != NULL && headers[i] != NULL; i++) {
        if (strncasecmp(headers[i], name, len) == 0 && headers[i][len] == ':') {
            return 1;
        }
    }
    return 0;
}

static struct curl_slist *build_headers(const struct pp_req *req, int has_body)
{
    struct curl_slist *list = NULL;
    char line[4096];
    if (req->token != NULL) {
        snprintf(line, sizeof line, "x-access-token: %s", req->token);
        list = curl_slist_append(list, line);
    }
    if (req->bearer != NULL) {
        snprintf(line, sizeof line, "Authorization: Bearer %s", req->bearer);
        list = curl_slist_append(list, line);
    }
    if (!has_header(req->headers, "Content-Type")) {
        if (req->content_type == PP_NO_CONTENT_TYPE || (!has_body && req->content_type == NULL)) {
            /* An empty value makes curl drop its own default Content-Type. */
            list = curl_slist_append(list, "Content-Type:");
        } else {
            snprintf(line, sizeof line, "Content-Type: %s",
                     req->content_type != NULL ? req->content_type : "application/json");
            list = curl_slist_append(list, line);
        }
    }
    for (size_t i = 0; req->headers != NULL && req->headers[i] != NULL; i++) {
        list = curl_slist_append(list, req->headers[i]);
    }
    return list;
}

struct sent_hook {
    const struct pp_req *req;
    int fired;
};

static int on_debug(CURL *h, curl_infotype type, char *data, size_t size, void *userdata)
{
    (void)h;
    (void)data;
    (void)size;
    struct sent_hook *hook = userdata;
    if (type == CURLINFO_DATA_OUT && !hook->fired) {
        hook->fired = 1;
        hook->req->on_body_sent(hook->req->on_body_sent_arg);
    }
    return 0;
}

/* Sets the method and the body (if any) of req on h. */
static void request_set_method(CURL *h, const struct pp_req *req, const char *method)
{
    if (req->body != NULL) {
        size_t len = req->body_len == PP_STRLEN ? strlen(req->body) : req->body_len;
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body);
        if (strcmp(method, "POST") != 0) {
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
        }
    } else if (strcmp(method, "GET") == 0) {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
    } else {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    }
}

static struct pp_resp *request_once(const struct pp_server *s, CURL *h, const struct pp_req *req)
{
    struct pp_resp *r = calloc(1, sizeof *r);
    if (r == NULL) {
        return NULL;
    }
    const char *method = req->method != NULL ? req->method : "GET";
    snprintf(r->what, sizeof r->what, "%s %.140s", method, req->path);
    r->body = calloc(1, 1);
    char *url = pp_fmt("%s%s", s->base_url, req->path);

    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
    /* Under a wrapper (valgrind) a password hash alone takes tens of seconds. */
    const char *wrapper = getenv("PP_SERVER_WRAPPER");
    curl_easy_setopt(h, CURLOPT_TIMEOUT, wrapper != NULL && wrapper[0] != '\0' ? 900L : 60L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, r->error);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
    if (req->local_addr != NULL) {
        curl_easy_setopt(h, CURLOPT_INTERFACE, req->local_addr);
    }
    if (s->ca_file[0] != '\0') {
        curl_easy_setopt(h, CURLOPT_CAINFO, s->ca_file);
    }

    int has_body = req->body != NULL;
    request_set_method(h, req, method);
    struct curl_slist *headers = build_headers(req, has_body);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    struct sent_hook hook = {req, 0};
    if (req->on_body_sent != NULL) {
        curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, on_debug);
        curl_easy_setopt(h, CURLOPT_DEBUGDATA, &hook);
        curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
    }

    CURLcode rc = curl_easy_perform(h);
    if (rc == CURLE_OK) {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
        json_error_t jerr;
        r->json = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    } else {
        r->status = 0;
        if (r->error[0] == '\0') {
            snprintf(r->error, sizeof r->error, "%s", curl_easy_strerror(rc));
        }
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(headers);
    free(url);
    return r;
}

struct pp_resp *pp_request(const struct pp_server *s, CURL *handle, const struct pp_req *req)
{
    harness_init();
    CURL *h = handle != NULL ? handle : curl_easy_init();
    if (h == NULL) {
        return NULL;
    }
    struct pp_resp *r = NULL;
    for (int attempt = 0; attempt < 200; attempt++) {
        r = request_once(s, h, req);
        if (r == NULL || r->status != 429 || req->no_retry_429) {
            break;
        }
        /* Rate limiting is not what these tests exercise: wait and retry. */
        const char *after = pp_resp_header(r, "Retry-After");
        long ms = after != NULL ? atol(after) * 1000L : 100L;
        pp_resp_free(r);
        r = NULL;
        pp_sleep_ms(ms < 50 ? 50 : ms > 2000 ? 2000 : ms);
    }
    if (handle == NULL) {
        curl_easy_cleanup(h);
    }
    return r;
}

struct pp_resp *pp_request_post(const struct pp_server *s, CURL *handle, const char *path,
                                const char *token, const char *body)
{
    struct pp_req req = {
        .method = "POST", .path = path, .token = token, .body = body, .body_len = PP_STRLEN};
    return pp_request(s, handle, &req);
}

struct pp_resp *pp_request_post_with(const struct pp_server *s, CURL *handle, const char *path,
                                     const char *token, const char *const *headers,
                                     const char *body)
{
    struct pp_req req = {.method = "POST",
                         .path = path,
                         .token = token,
                         .headers = headers,
                         .body = body,
                         .body_len = PP_STRLEN};
    return pp_request(s, handle, &req);
}

int pp_raw_connect(const struct pp_server *s, const char *local_addr)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return -1;
    }
    struct sockaddr_in me = {.sin_family = AF_INET};
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s->port)};
    if (inet_pton(AF_INET, local_addr, &me.sin_addr) != 1 ||
        inet_pton(AF_INET, "127.0.0.1", &to.sin_addr) != 1 ||
        bind(fd, (struct sockaddr *)&me, sizeof me) != 0 ||
        connect(fd, (struct sockaddr *)&to, sizeof to) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

void pp_resp_free(struct pp_resp *r)
{
    if (r == NULL) {
        return;
    }
    headers_clear(r);
    json_decref(r->json);
    free(r->body);
    free(r);
}

const char *pp_resp_header(const struct pp_resp *r, const char *name)
{
    for (size_t i = 0; i < r->header_count; i++) {
        if (strcasecmp(r->headers[i].name, name) == 0) {
            return r->headers[i].value;
        }
    }
    return NULL;
}

struct pp_resp *pp_call(const struct pp_server *s, const struct pp_req *req)
{
    struct pp_resp *r = pp_request(s, NULL, req);
    assert_non_null(r);
    if (r->status == 0) {
        fail_msg("%s: no HTTP response: %s", r->what, r->error);
    }
    const char *rid = pp_resp_header(r, "X-Request-Id");
    if (rid == NULL || rid[0] == '\0') {
        fail_msg("%s -> %ld: missing or empty X-Request-Id header", r->what, r->status);
    }
    return r;
}

struct pp_resp *pp_get(const struct pp_server *s, const char *path, const char *token)
{
    struct pp_req req = {.method = "GET", .path = path, .token = token};
    return pp_call(s, &req);
}

struct pp_resp *pp_post(const struct pp_server *s, const char *path, const char *token,
                        const char *json)
{
    struct pp_req req = {
        .method = "POST", .path = path, .token = token, .body = json, .body_len = PP_STRLEN};
    return pp_call(s, &req);
}

struct pp_resp *pp_post_with(const struct pp_server *s, const char *path, const char *token,
                             const char *const *headers, const char *json)
{
    struct pp_req req = {.method = "POST",
                         .path = path,
                         .token = token,
                         .headers = headers,
                         .body = json,
                         .body_len = PP_STRLEN};
    return pp_call(s, &req);
}

struct pp_resp *pp_put(const struct pp_server *s, const char *path, const char *token,
                       const char *json)
{
    struct pp_req req = {
        .method = "PUT", .path = path, .token = token, .body = json, .body_len = PP_STRLEN};
    return pp_call(s, &req);
}
