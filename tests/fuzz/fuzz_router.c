/*
** This module implements the fuzz target of route matching
** (http/router.c) over the real route table. The input is
** "METHOD PATH" (no space: the whole input is a GET path). Properties:
** - PP_OK: the route has this method, its parameters are non-empty
**   segments without '/', and the pattern with the parameters put back is
**   exactly the path;
** - PP_METHOD_NOT_ALLOWED: the Allow list is non-empty and does not list
**   the method;
** - otherwise PP_NOT_FOUND, with nothing handed out.
** And for the escaped-NUL check (http_url_has_nul) of PATH taken as a raw
** request target: it says 1 exactly when decoding the path, or any query
** key or value, the way libmicrohttpd does (%HH in one pass, split at the
** first '?', then at '&' and the first '=') yields a NUL byte.
*/
#include <string.h>

#include "fuzz.h"
#include "payout/http/router.h"

/* Rebuilds the path the route matched from its pattern and parameters. */
static void check_rebuilt(const struct api_route *route, const char **params, size_t count,
                          const char *path)
{
    char rebuilt[PP_PATH_BYTES_MAX + 1];
    size_t used = 0;
    size_t next = 0;
    const char *p = route->pattern;
    rebuilt[0] = '\0';
    while (*p != '\0') {
        const char *part = p;
        size_t part_len = 1;
        if (*p == '{') {
            FUZZ_CHECK(next < count);
            part = params[next++];
            part_len = strlen(part);
            FUZZ_CHECK(part_len > 0 && strchr(part, '/') == NULL);
            p = strchr(p, '}');
            FUZZ_CHECK(p != NULL);
        }
        FUZZ_CHECK(used + part_len <= PP_PATH_BYTES_MAX);
        memcpy(rebuilt + used, part, part_len);
        used += part_len;
        p++;
    }
    rebuilt[used] = '\0';
    FUZZ_CHECK(next == count);
    FUZZ_CHECK(strcmp(rebuilt, path) == 0);
}

/* 1 when list ("GET, POST") holds item as a whole entry. */
static int allow_lists(const char *list, const char *item)
{
    size_t len = strlen(item);
    for (const char *p = list; p != NULL && *p != '\0';) {
        const char *comma = strstr(p, ", ");
        size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);
        if (n == len && memcmp(p, item, n) == 0) {
            return 1;
        }
        p = comma != NULL ? comma + 2 : NULL;
    }
    return 0;
}

static int hex_digit(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int hex_value(char c)
{
    return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* Decodes s in place as libmicrohttpd's MHD_http_unescape does; 1 when the
** result holds a NUL before its end. */
static int decodes_to_nul(char *s)
{
    char *w = s;
    for (const char *r = s; *r != '\0';) {
        if (r[0] == '%' && hex_digit(r[1]) && hex_digit(r[2])) {
            *w++ = (char)(hex_value(r[1]) * 16 + hex_value(r[2]));
            r += 3;
        } else {
            *w++ = *r++;
        }
    }
    size_t len = (size_t)(w - s);
    *w = '\0';
    return strlen(s) != len;
}

/* The reference for http_url_has_nul: split target like libmicrohttpd and
** decode each part. */
static int reference_has_nul(const char *target, struct pp_arena *arena)
{
    char *copy = pp_arena_strdup(arena, target);
    char *query = strchr(copy, '?');
    if (query != NULL) {
        *query++ = '\0';
    }
    int nul = decodes_to_nul(copy);
    for (char *part = query; part != NULL && !nul;) {
        char *amp = strchr(part, '&');
        if (amp != NULL) {
            *amp++ = '\0';
        }
        char *eq = strchr(part, '=');
        if (eq != NULL) {
            *eq++ = '\0';
        }
        nul = decodes_to_nul(part) || (eq != NULL && decodes_to_nul(eq));
        part = amp;
    }
    return nul;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pp_arena *arena = pp_arena_create(PP_ARENA_CHUNK_BYTES);
    char *text = pp_arena_strndup(arena, (const char *)data, size);
    char *space = strchr(text, ' ');
    const char *method = "GET";
    const char *path = text;
    if (space != NULL) {
        *space = '\0';
        method = text;
        path = space + 1;
    }
    FUZZ_CHECK(http_url_has_nul(path) == reference_has_nul(path, arena));
    const struct api_route *route = NULL;
    const char *params[PP_ROUTE_PARAMS_MAX];
    size_t count = 99;
    char allow[64];
    enum pp_status st = http_route_find(api_routes, api_routes_count, method, path, arena, &route,
                                        params, &count, allow, sizeof allow);
    if (st == PP_OK) {
        FUZZ_CHECK(route != NULL && strcmp(route->method, method) == 0);
        FUZZ_CHECK(count <= PP_ROUTE_PARAMS_MAX);
        check_rebuilt(route, params, count, path);
    } else if (st == PP_METHOD_NOT_ALLOWED) {
        FUZZ_CHECK(route == NULL && allow[0] != '\0' && !allow_lists(allow, method));
    } else {
        FUZZ_CHECK(st == PP_NOT_FOUND && route == NULL && count == 0 && allow[0] == '\0');
    }
    pp_arena_destroy(arena);
    return 0;
}
