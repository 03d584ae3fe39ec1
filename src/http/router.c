/*
** This module implements route matching over the API's route table:
** segment-by-segment comparison where a "{name}" pattern segment matches
** any one non-empty path segment, HEAD served by the GET route (and listed
** beside GET in Allow), and the check of a raw request target for an
** escaped NUL byte. It does not dispatch or authenticate.
*/
#include "payout/http/router.h"

#include <stdio.h>
#include <string.h>

/* Splits a path "/a/b" into segments (pointers into a copy in the arena).
** Returns the segment count, or -1 for a path we never route. */
static int split_path(const char *path, struct pp_arena *arena, char **segs)
{
    size_t len = strlen(path);
    if (len == 0 || len > PP_PATH_BYTES_MAX || path[0] != '/') {
        return -1;
    }
    char *copy = pp_arena_strndup(arena, path + 1, len - 1);
    int n = 0;
    char *p = copy;
    for (;;) {
        char *slash = strchr(p, '/');
        if (n == PP_ROUTE_SEGMENTS_MAX) {
            return -1;
        }
        segs[n++] = p;
        if (slash == NULL) {
            break;
        }
        *slash = '\0';
        p = slash + 1;
    }
    for (int i = 0; i < n; i++) {
        if (segs[i][0] == '\0') {
            return -1;
        }
    }
    return n;
}

/* 1 when the pattern's segments match segs; collects parameter segments. */
static int pattern_match(const char *pattern, char *const *segs, int nsegs, const char **params,
                         size_t *param_count)
{
    const char *p = pattern + 1;
    size_t nparams = 0;
    for (int i = 0; i < nsegs; i++) {
        if (*p == '\0') {
            return 0;
        }
        const char *end = strchr(p, '/');
        size_t plen = end != NULL ? (size_t)(end - p) : strlen(p);
        if (p[0] == '{') {
            if (nparams == PP_ROUTE_PARAMS_MAX) {
                return 0;
            }
            params[nparams++] = segs[i];
        } else if (strlen(segs[i]) != plen || memcmp(segs[i], p, plen) != 0) {
            return 0;
        }
        p = end != NULL ? end + 1 : p + plen;
    }
    if (*p != '\0') {
        return 0;
    }
    *param_count = nparams;
    return 1;
}

static void allow_append(char *allow, size_t size, const char *method)
{
    size_t used = strlen(allow);
    if (strstr(allow, method) != NULL) {
        return;
    }
    snprintf(allow + used, size - used, "%s%s", used ? ", " : "", method);
}

static void allow_add(char *allow, size_t size, const char *method)
{
    allow_append(allow, size, method);
    if (strcmp(method, "GET") == 0) {
        allow_append(allow, size, "HEAD");
    }
}

enum pp_status http_route_find(const struct api_route *routes, size_t count, const char *method,
                               const char *path, struct pp_arena *arena,
                               const struct api_route **route_out, const char **params,
                               size_t *param_count, char *allow_out, size_t allow_size)
{
    char *segs[PP_ROUTE_SEGMENTS_MAX];
    const char *found_params[PP_ROUTE_PARAMS_MAX];
    size_t found_count = 0;
    int path_known = 0;
    allow_out[0] = '\0';
    *route_out = NULL;
    *param_count = 0;
    int nsegs = split_path(path, arena, segs);
    if (nsegs < 0) {
        return PP_NOT_FOUND;
    }
    /* HEAD is GET without the body (RFC 9110 §9.3.2): the same route. */
    const char *wanted = strcmp(method, "HEAD") == 0 ? "GET" : method;
    for (size_t i = 0; i < count; i++) {
        if (!pattern_match(routes[i].pattern, segs, nsegs, found_params, &found_count)) {
            continue;
        }
        path_known = 1;
        allow_add(allow_out, allow_size, routes[i].method);
        if (strcmp(routes[i].method, wanted) == 0) {
            *route_out = &routes[i];
            memcpy(params, found_params, found_count * sizeof *params);
            *param_count = found_count;
            return PP_OK;
        }
    }
    return path_known ? PP_METHOD_NOT_ALLOWED : PP_NOT_FOUND;
}

int http_url_has_nul(const char *target)
{
    /* libmicrohttpd's decoder reads '%' and two hex digits in one pass from
    ** the left and never takes a '%' as a digit: every '%' starts an escape
    ** candidate, and "%2500" (a literal "%00") is not a NUL. */
    for (const char *p = strchr(target, '%'); p != NULL; p = strchr(p + 1, '%')) {
        if (p[1] == '0' && p[2] == '0') {
            return 1;
        }
    }
    return 0;
}
