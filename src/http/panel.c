/*
** This module implements serving the panel: the browser files of src/ui/
** built into the binary (the table cmake/embed_ui.cmake generates), or
** read from the directory PAYOUT_UI_DIR names for working on them without
** rebuilding. Long-lived files live under /ui/<build hash>/ and are cached
** for a year (a new build has a new hash); the HTML shell answers "/" and
** each screen's address (a client-side route: /payouts, /payouts/12)
** with no-cache, so a new build is picked up at the next load. Built-in answers carry a strong ETag
*per representation,
** answer 304 to a matching If-None-Match, and come gzip-compressed (made
** at build time) when the browser accepts it. Every answer carries the
** panel's security headers: a Content-Security-Policy allowing no inline
** script or style and no other origin, frame denial, nosniff, no referrer.
**
** It does not render anything: the shell is a static file and every
** screen takes its data from the API. It never claims an API path
** (/api, /api/…, /healthz, /readyz, /metrics): those keep the API's 404
** envelope, and so do a file that does not exist and an address that is
** no screen's (spec §2: an unknown route is 404).
*/
#include "payout/http/panel.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "payout/base/assert.h"
#include "payout/base/buf.h"
#include "payout/base/log.h"
#include "payout/limits.h"

#define PANEL_CSP                                                                                  \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "              \
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; "                   \
    "frame-ancestors 'none'"
#define PANEL_CACHE_IMMUTABLE "public, max-age=31536000, immutable"
#define PANEL_CACHE_REVALIDATE "no-cache"

/* Content types by extension; cmake/embed_ui.cmake has the same list. */
static const struct {
    const char *ext;
    const char *type;
} panel_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".json", "application/json"},
    {".txt", "text/plain; charset=utf-8"},
    {".csv", "text/csv; charset=utf-8"},
    {".woff2", "font/woff2"},
};

const char *http_panel_content_type(const char *rel_path)
{
    const char *dot = strrchr(rel_path, '.');
    const char *slash = strrchr(rel_path, '/');
    const char *type = NULL;
    if (dot != NULL && (slash == NULL || dot > slash)) {
        for (size_t i = 0; i < sizeof panel_types / sizeof panel_types[0]; i++) {
            if (strcasecmp(dot, panel_types[i].ext) == 0) {
                type = panel_types[i].type;
                break;
            }
        }
    }
    return type;
}

/* 1 when path is name or lies below it ("/api" and "/api/x", not "/apix"). */
static int path_under(const char *path, const char *name)
{
    size_t n = strlen(name);
    return strncmp(path, name, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static int path_is_api(const char *path)
{
    static const char *const api_roots[] = {"/api", "/healthz", "/readyz", "/metrics"};
    int api = 0;
    for (size_t i = 0; i < sizeof api_roots / sizeof api_roots[0] && !api; i++) {
        api = path_under(path, api_roots[i]);
    }
    return api;
}

/* The first segments of the panel's client-side routes, one per screen of
** spec §8 (src/ui/app.js has the same table): "/payouts", "/payouts/12",
** "/settings" answer the shell; "/nope" stays the API's 404 (§2: unknown
** route). A new screen adds its address here and in app.js. */
static const char *const panel_routes[] = {
    "/sign-in",   "/overview", "/payouts", "/lists",    "/funds",   "/reports",
    "/audit-log", "/settings", "/users",   "/webhooks", "/account",
};

static int path_is_route(const char *path)
{
    int route = strcmp(path, "/") == 0;
    for (size_t i = 0; i < sizeof panel_routes / sizeof panel_routes[0] && !route; i++) {
        route = path_under(path, panel_routes[i]);
    }
    /* "/payouts/export.csv" names a file, not a screen. */
    return route && strchr(strrchr(path, '/'), '.') == NULL;
}

/* 1 when rel is a relative path the panel may serve: segments of letters,
** digits, '.', '_' and '-', none empty or starting with '.', bounded. */
static int rel_path_safe(const char *rel)
{
    size_t len = strnlen(rel, PP_PANEL_PATH_BYTES_MAX + 1);
    size_t segments = 1;
    int safe = len > 0 && len <= PP_PANEL_PATH_BYTES_MAX && rel[len - 1] != '/';
    for (size_t i = 0; i < len && safe; i++) {
        char c = rel[i];
        int seg_start = i == 0 || rel[i - 1] == '/';
        if (c == '/') {
            segments++;
        }
        /* "..", hidden files and empty segments are refused with the rest. */
        safe = !(seg_start && (c == '.' || c == '/')) &&
               ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '_' || c == '-' || c == '/');
    }
    return safe && segments <= PP_PANEL_PATH_SEGMENTS_MAX;
}

void http_panel_lookup(const char *method, const char *path, const char *hash,
                       struct http_panel_hit *hit)
{
    PP_ASSERT(method != NULL && path != NULL && hash != NULL && hit != NULL);
    hit->kind = HTTP_PANEL_NONE;
    hit->rel_path = NULL;
    size_t hash_len = strlen(hash);
    if ((strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) || path[0] != '/' ||
        path_is_api(path)) {
        goto done;
    }
    if (path_under(path, "/ui")) {
        /* Another build's hash or a bad path stays NONE: the API's 404. */
        const char *h = path + 3;
        if (h[0] == '/' && strncmp(h + 1, hash, hash_len) == 0 && h[1 + hash_len] == '/' &&
            rel_path_safe(h + 2 + hash_len)) {
            hit->kind = HTTP_PANEL_FILE;
            hit->rel_path = h + 2 + hash_len;
        }
    } else if (path_is_route(path)) {
        hit->kind = HTTP_PANEL_SHELL;
        hit->rel_path = HTTP_PANEL_SHELL_FILE;
    }
done:
    return;
}

const struct http_panel_file *http_panel_file_find(const char *rel_path)
{
    const struct http_panel_file *found = NULL;
    for (size_t i = 0; i < http_panel_files_count; i++) {
        if (strcmp(http_panel_files[i].path, rel_path) == 0) {
            found = &http_panel_files[i];
            break;
        }
    }
    return found;
}

/* The next comma-separated element of *list, trimmed, as [*start, *end);
** 0 at the end of the list. */
static int list_next(const char **list, const char **start, const char **end)
{
    const char *p = *list;
    while (*p == ' ' || *p == '\t' || *p == ',') {
        p++;
    }
    const char *e = p;
    while (*e != '\0' && *e != ',') {
        e++;
    }
    *list = e;
    *start = p;
    while (e > p && (e[-1] == ' ' || e[-1] == '\t')) {
        e--;
    }
    *end = e;
    return *p != '\0';
}

static int tag_equals(const char *start, const char *end, const char *etag)
{
    return etag != NULL && (size_t)(end - start) == strlen(etag) &&
           strncmp(start, etag, (size_t)(end - start)) == 0;
}

int http_panel_etag_matches(const char *if_none_match, const char *etag_a, const char *etag_b)
{
    const char *list = if_none_match;
    const char *start = NULL;
    const char *end = NULL;
    int matched = 0;
    /* A header is bounded by the HTTP layer's limits, so is this loop. */
    while (list != NULL && !matched && list_next(&list, &start, &end)) {
        if (end - start >= 2 && start[0] == 'W' && start[1] == '/') {
            start += 2;
        }
        matched = (end - start == 1 && *start == '*') || tag_equals(start, end, etag_a) ||
                  tag_equals(start, end, etag_b);
    }
    return matched;
}

/* 1 when a coding's parameters [p, end) hold q=0 (0, 0.0, 0.000). */
static int q_is_zero(const char *p, const char *end)
{
    const char *q = NULL;
    for (const char *s = p; s + 1 < end; s++) {
        if ((s[0] == 'q' || s[0] == 'Q') && s[1] == '=') {
            q = s + 2;
        }
    }
    int zero = q != NULL && q < end && *q == '0';
    if (zero) {
        q++;
        if (q < end && *q == '.') {
            q++;
        }
        while (q < end && *q == '0') {
            q++;
        }
        while (q < end && (*q == ' ' || *q == '\t')) {
            q++;
        }
        zero = q == end;
    }
    return zero;
}

int http_panel_accepts_gzip(const char *accept_encoding)
{
    const char *list = accept_encoding;
    const char *start = NULL;
    const char *end = NULL;
    int gzip = -1; /* -1: not named; else 1 accepted, 0 refused (q=0) */
    int star = -1;
    while (list != NULL && list_next(&list, &start, &end)) {
        const char *semi = memchr(start, ';', (size_t)(end - start));
        const char *name_end = semi != NULL ? semi : end;
        while (name_end > start && (name_end[-1] == ' ' || name_end[-1] == '\t')) {
            name_end--;
        }
        size_t n = (size_t)(name_end - start);
        int accepted = !(semi != NULL && q_is_zero(semi, end));
        if ((n == 4 && strncasecmp(start, "gzip", 4) == 0) ||
            (n == 6 && strncasecmp(start, "x-gzip", 6) == 0)) {
            gzip = accepted;
        } else if (n == 1 && *start == '*') {
            star = accepted;
        }
    }
    /* A coding named outright wins over "*" (RFC 9110, 12.5.3). */
    return gzip >= 0 ? gzip : star == 1;
}

/* Adds the headers every panel answer carries. */
static void add_common_headers(struct MHD_Response *mr, const char *request_id)
{
    MHD_add_response_header(mr, "Content-Security-Policy", PANEL_CSP);
    MHD_add_response_header(mr, "X-Frame-Options", "DENY");
    MHD_add_response_header(mr, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(mr, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(mr, "X-Request-Id", request_id);
}

static void queue(struct MHD_Connection *conn, unsigned status, struct MHD_Response *mr, size_t len,
                  struct http_panel_answered *out)
{
    out->mhd_result = MHD_queue_response(conn, status, mr);
    out->status = status;
    out->bytes_out = len;
    MHD_destroy_response(mr);
}

/* Answers a built-in file: 304, gzip or raw. */
static int answer_builtin(struct MHD_Connection *conn, const struct http_panel_file *f,
                          int immutable, const char *request_id, struct http_panel_answered *out)
{
    const char *inm =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
    const char *ae =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
    int gz = f->gzip != NULL && http_panel_accepts_gzip(ae);
    int not_modified = http_panel_etag_matches(inm, f->etag, f->etag_gzip);
    size_t len = not_modified ? 0 : gz ? f->gzip_len : f->data_len;
    const void *data = gz ? (const void *)f->gzip : (const void *)f->data;
    struct MHD_Response *mr =
        MHD_create_response_from_buffer(len, (void *)(uintptr_t)data, MHD_RESPMEM_PERSISTENT);
    if (mr == NULL) {
        out->mhd_result = MHD_NO; /* drops the connection: nothing to answer with */
        goto done;
    }
    add_common_headers(mr, request_id);
    MHD_add_response_header(mr, MHD_HTTP_HEADER_CACHE_CONTROL,
                            immutable ? PANEL_CACHE_IMMUTABLE : PANEL_CACHE_REVALIDATE);
    MHD_add_response_header(mr, MHD_HTTP_HEADER_ETAG, gz ? f->etag_gzip : f->etag);
    if (f->gzip != NULL) {
        MHD_add_response_header(mr, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
    }
    if (!not_modified) {
        MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, f->content_type);
        if (gz) {
            MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
        }
    }
    queue(conn, not_modified ? MHD_HTTP_NOT_MODIFIED : MHD_HTTP_OK, mr, len, out);
done:
    return 1;
}

/* Reads dir/rel whole into buf; 0 when it is missing, not a regular file
** or larger than PP_PANEL_FILE_BYTES_MAX. */
static int disk_read(const char *dir, const char *rel, struct pp_buf *buf)
{
    char path[PATH_MAX];
    int ok = 0;
    int fd = -1;
    struct stat st;
    if (snprintf(path, sizeof path, "%s/%s", dir, rel) >= (int)sizeof path) {
        goto done;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        st.st_size > PP_PANEL_FILE_BYTES_MAX) {
        goto done;
    }
    char chunk[16384];
    ssize_t n = 0;
    while ((n = read(fd, chunk, sizeof chunk)) > 0 || (n < 0 && errno == EINTR)) {
        if (n > 0) {
            pp_buf_append(buf, chunk, (size_t)n);
        }
        if (buf->len > (size_t)PP_PANEL_FILE_BYTES_MAX) {
            goto done; /* grew while being read */
        }
    }
    ok = n == 0;
done:
    if (fd >= 0) {
        close(fd);
    }
    return ok;
}

/* The shell read from disk names its files under /ui/dev/. */
static void shell_fill(struct pp_buf *in, struct pp_buf *out)
{
    static const char placeholder[] = "__UI__";
    const char *p = in->data;
    const char *end = in->data + in->len;
    while (p < end) {
        const char *hit = memmem(p, (size_t)(end - p), placeholder, sizeof placeholder - 1);
        if (hit == NULL) {
            pp_buf_append(out, p, (size_t)(end - p));
            break;
        }
        pp_buf_append(out, p, (size_t)(hit - p));
        pp_buf_puts(out, "/ui/" HTTP_PANEL_DISK_HASH);
        p = hit + sizeof placeholder - 1;
    }
}

/* Answers a file read from dir afresh; 0 when there is no such file. */
static int answer_disk(struct MHD_Connection *conn, const char *dir,
                       const struct http_panel_hit *hit, const char *request_id,
                       struct http_panel_answered *out)
{
    struct pp_buf raw;
    struct pp_buf body;
    int answered = 0;
    const char *type = http_panel_content_type(hit->rel_path);
    pp_buf_init(&raw);
    pp_buf_init(&body);
    if (type == NULL || !disk_read(dir, hit->rel_path, &raw)) {
        goto done;
    }
    if (hit->kind == HTTP_PANEL_SHELL) {
        shell_fill(&raw, &body);
    } else {
        pp_buf_append(&body, raw.data, raw.len);
    }
    size_t len = 0;
    char *data = pp_buf_take(&body, &len);
    struct MHD_Response *mr = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
    answered = 1;
    if (mr == NULL) {
        free(data);
        out->mhd_result = MHD_NO;
        goto done;
    }
    add_common_headers(mr, request_id);
    MHD_add_response_header(mr, MHD_HTTP_HEADER_CACHE_CONTROL, PANEL_CACHE_REVALIDATE);
    MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    queue(conn, MHD_HTTP_OK, mr, len, out);
done:
    pp_buf_free(&raw);
    pp_buf_free(&body);
    return answered;
}

int http_panel_answer(struct MHD_Connection *conn, const char *method, const char *path,
                      const char *request_id, struct http_panel_answered *out)
{
    const char *dir = getenv(HTTP_PANEL_DIR_ENV);
    int from_disk = dir != NULL && dir[0] != '\0';
    struct http_panel_hit hit;
    int answered = 0;
    out->mhd_result = MHD_NO;
    out->status = 0;
    out->bytes_out = 0;
    http_panel_lookup(method, path, from_disk ? HTTP_PANEL_DISK_HASH : http_panel_build_hash, &hit);
    if (hit.kind == HTTP_PANEL_NONE) {
        goto done;
    }
    if (from_disk) {
        answered = answer_disk(conn, dir, &hit, request_id, out);
        goto done;
    }
    const struct http_panel_file *f = http_panel_file_find(hit.rel_path);
    if (f != NULL) {
        answered = answer_builtin(conn, f, hit.kind == HTTP_PANEL_FILE, request_id, out);
    }
done:
    return answered;
}
