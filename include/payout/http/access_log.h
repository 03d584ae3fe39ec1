/*
** This header declares the access log: one JSON line per finished request
** (time, request id, client address, method, path, status, milliseconds,
** bytes in and out) written through pp_log_access. It never writes
** headers, query values or bodies, so no secret reaches the log.
*/
#ifndef PAYOUT_HTTP_ACCESS_LOG_H
#define PAYOUT_HTTP_ACCESS_LOG_H

#include "payout/http/request_state.h"

/* Writes r's line (r borrowed). Status 0 means no answer was sent. */
void http_access_log_write(const struct http_req *r);

#endif /* PAYOUT_HTTP_ACCESS_LOG_H */
