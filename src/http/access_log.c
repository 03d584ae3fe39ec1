/*
** This module implements the access log: one JSON line per finished
** request, built with the API's JSON escaper so that a hostile path or
** request id cannot break the line. It logs method, path, status, timing
** and sizes only: never headers, query values or bodies (secrets travel
** there). It does not decide when a request is finished (request.c does).
*/
#include "payout/http/access_log.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "payout/api/jsonw.h"
#include "payout/base/log.h"

void http_access_log_write(const struct http_req *r)
{
    if (!pp_log_access_on()) {
        return; /* --access-log off: no line to build */
    }
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
    jw_escape(&line, r->method, strnlen(r->method, PP_LOG_METHOD_BYTES_MAX));
    pp_buf_puts(&line, "\",\"path\":\"");
    jw_escape(&line, r->path, strnlen(r->path, PP_LOG_PATH_BYTES_MAX));
    pp_buf_printf(&line, "\",\"status\":%u,\"ms\":%.3f,\"in\":%zu,\"out\":%zu}", r->status, ms,
                  r->body.len, r->bytes_out);
    pp_log_access(line.data, line.len);
    pp_buf_free(&line);
}
