/*
** This header declares the check of a request's framing headers once
** libmicrohttpd has parsed them and before any of the body is read: the
** rules of RFC 9112 that keep a request from being read one way here and
** another way by a proxy in front (request smuggling), and the Host rule.
*/
#ifndef PAYOUT_HTTP_FRAMING_H
#define PAYOUT_HTTP_FRAMING_H

#include <microhttpd.h>

#include "payout/status.h"

struct http_framing {
    enum pp_status status; /* PP_OK, PP_INVALID_PARAMS (400) or PP_PAYLOAD_TOO_LARGE (413) */
    const char *message;   /* static; NULL when PP_OK */
};

/* Checks the headers of the request on conn (version as libmicrohttpd
** passes it, "HTTP/1.1"). Refused:
** - HTTP/1.1 (or later) without Host, or with several Host headers;
** - Transfer-Encoding together with Content-Length;
** - Transfer-Encoding other than one "chunked" (unknown, listed, repeated);
** - several Content-Length headers (equal or not), or a value that is not
**   one plain decimal number ("16, 16", "-1", "+16"): 400;
** - a Content-Length past 2^64-1: 413. */
void http_framing_check(struct MHD_Connection *conn, const char *version, struct http_framing *out);

#endif /* PAYOUT_HTTP_FRAMING_H */
