/*
** This module implements the framing check of a request: it walks every
** header libmicrohttpd parsed (not just the first of a name, which is all
** MHD_lookup_connection_value sees) and refuses what RFC 9112 says a server
** must not guess at: several or listed Content-Length values (§6.3),
** Transfer-Encoding with Content-Length (§6.1), a transfer coding other
** than a lone "chunked", and a missing or doubled Host (§3.2).
**
** libmicrohttpd 0.9.75 frames a request by the first Content-Length header
** and reads the rest of the bytes as the next request; it takes any
** Transfer-Encoding over Content-Length, and reads a body of unknown coding
** until the connection closes. Those requests reach the access handler
** before their body, so the server refuses them there and closes the
** connection. A first Content-Length libmicrohttpd cannot read ("-1",
** "16, 16", 20 digits) it answers itself with an HTML 400 or 413 before any
** callback (docs/security.md says exactly what it sends); the same rules
** are checked here all the same, so that a libmicrohttpd that lets such a
** request through still gets it refused. It does not read bodies or know
** routes.
*/
#include "payout/http/framing.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

struct header_walk {
    unsigned host_count;
    unsigned te_count;
    unsigned cl_count;
    const char *te; /* the first Transfer-Encoding value */
    const char *cl; /* the first Content-Length value (the one libmicrohttpd read) */
    size_t cl_len;
};

static enum MHD_Result header_seen(void *cls, enum MHD_ValueKind kind, const char *key,
                                   size_t key_size, const char *value, size_t value_size)
{
    struct header_walk *w = cls;
    (void)kind;
    (void)key_size;
    if (strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0) {
        w->host_count++;
    } else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
        w->te = w->te_count++ == 0 ? value : w->te;
    } else if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
        if (w->cl_count++ == 0) {
            w->cl = value;
            w->cl_len = value_size;
        }
    }
    return MHD_YES;
}

/* 0 when text is one decimal number that fits 64 bits; 1 when it is not
** all digits (or empty); 2 when it is all digits but overflows. These are
** libmicrohttpd's own reading rules (MHD_str_to_uint64_n_). */
static int length_unreadable(const char *text, size_t len)
{
    uint64_t n = 0;
    if (len == 0) {
        return 1;
    }
    for (size_t i = 0; i < len; i++) {
        if (text[i] < '0' || text[i] > '9') {
            return 1;
        }
    }
    for (size_t i = 0; i < len; i++) {
        unsigned digit = (unsigned)(text[i] - '0');
        if (n > (UINT64_MAX - digit) / 10) {
            return 2;
        }
        n = n * 10 + digit;
    }
    return 0;
}

static void refuse(struct http_framing *out, enum pp_status status, const char *message)
{
    out->status = status;
    out->message = message;
}

/* The Content-Length rules; the first header is the one libmicrohttpd read. */
static void length_check(const struct header_walk *w, struct http_framing *out)
{
    int unreadable = length_unreadable(w->cl, w->cl_len);
    if (w->cl_count > 1) {
        refuse(out, PP_INVALID_PARAMS, "the request has more than one Content-Length header");
    } else if (unreadable == 2) {
        refuse(out, PP_PAYLOAD_TOO_LARGE, "request body is larger than the server accepts");
    } else if (unreadable == 1) {
        refuse(out, PP_INVALID_PARAMS, "Content-Length must be one decimal number of bytes");
    }
}

void http_framing_check(struct MHD_Connection *conn, const char *version, struct http_framing *out)
{
    struct header_walk w;
    memset(&w, 0, sizeof w);
    memset(out, 0, sizeof *out);
    out->status = PP_OK;
    MHD_get_connection_values_n(conn, MHD_HEADER_KIND, header_seen, &w);
    /* HTTP/1.0 (and 0.9) predate Host; every later version requires it. */
    int needs_host = strcmp(version, MHD_HTTP_VERSION_1_0) != 0 && strcmp(version, "HTTP/0.9") != 0;
    if (w.host_count > 1) {
        refuse(out, PP_INVALID_PARAMS, "the request has more than one Host header");
    } else if (w.host_count == 0 && needs_host) {
        refuse(out, PP_INVALID_PARAMS, "an HTTP/1.1 request must have a Host header");
    } else if (w.te_count > 0 && w.cl_count > 0) {
        /* libmicrohttpd read Transfer-Encoding and never parsed the length. */
        refuse(out, PP_INVALID_PARAMS, "the request has both Transfer-Encoding and Content-Length");
    } else if (w.te_count > 1 || (w.te_count == 1 && strcasecmp(w.te, "chunked") != 0)) {
        refuse(out, PP_INVALID_PARAMS, "the only transfer coding accepted is a lone chunked");
    } else if (w.cl_count > 0) {
        length_check(&w, out);
    }
}
