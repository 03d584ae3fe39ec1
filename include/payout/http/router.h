/*
** This header declares route matching: finding the entry of the API's
** route table (api/api.h) for a method and a path, and the escaped-NUL
** check of a raw request target. Pure: no I/O, no
** libmicrohttpd, so it is unit-tested and fuzzed on its own.
*/
#ifndef PAYOUT_HTTP_ROUTER_H
#define PAYOUT_HTTP_ROUTER_H

#include <stddef.h>

#include "payout/api/api.h"

/* Matches path (no query string) against routes[0..count). HEAD matches
** the GET route of the path; Allow lists HEAD after every GET.
** - PP_OK: *route_out is the route; params[0..*param_count) point into
**   arena copies of the {name} segments, in order.
** - PP_METHOD_NOT_ALLOWED: some pattern matches the path but none with
**   this method; allow_out holds the allowed methods ("GET, HEAD, POST").
** - PP_NOT_FOUND: no pattern matches (also for paths over
**   PP_PATH_BYTES_MAX, empty segments and trailing slashes). */
enum pp_status http_route_find(const struct api_route *routes, size_t count, const char *method,
                               const char *path, struct pp_arena *arena,
                               const struct api_route **route_out, const char **params,
                               size_t *param_count, char *allow_out, size_t allow_size);

/* 1 when target (a raw request target: path and query, before any
** unescaping, NUL-terminated) holds an escape that decodes to a NUL byte
** ("%00"), in the path or in a query key or value; 0 otherwise. Such a
** NUL would silently end the decoded string ("/api/payments/1%00x" read as
** "/api/payments/1"), so the server refuses the request instead. */
int http_url_has_nul(const char *target);

#endif /* PAYOUT_HTTP_ROUTER_H */
