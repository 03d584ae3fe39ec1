/*
** This module implements the last step of a request: turning a struct
** api_response into a libmicrohttpd response (a buffer it frees, or a
** stream it pulls from the API's callback, sent chunked) with the headers
** every answer carries, and queuing it. It does not decide what to answer.
**
** HEAD is answered with GET's status and headers and no body: a buffered
** body is left to libmicrohttpd (it sends Content-Length and omits the
** bytes); a streamed one (CSV export) is never run, and its answer carries
** neither Content-Length nor chunked framing and closes the connection,
** since 0.9.75 would write a chunked terminator after a HEAD answer.
*/
#include "payout/http/response.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "payout/base/assert.h"

/* Streamed bodies: libmicrohttpd pulls, the API's stream callback fills. */
struct http_stream {
    long (*fn)(void *ctx, char *buf, size_t max);
    void *ctx;
    void (*free_fn)(void *ctx);
};

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct http_stream *s = cls;
    (void)pos;
    long n = s->fn(s->ctx, buf, max);
    if (n < 0) {
        return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    if (n == 0) {
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    return (ssize_t)n;
}

static void stream_done(void *cls)
{
    struct http_stream *s = cls;
    if (s->free_fn != NULL) {
        s->free_fn(s->ctx);
    }
    free(s);
}

/* The reader of a HEAD answer to a streamed GET: no body at all. */
static ssize_t stream_none(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)cls;
    (void)pos;
    (void)buf;
    (void)max;
    return MHD_CONTENT_READER_END_OF_STREAM;
}

/* HEAD of a streamed answer: the stream is dropped unread. */
static struct MHD_Response *make_head_of_stream(struct api_response *resp)
{
    if (resp->stream_free != NULL) {
        resp->stream_free(resp->stream_ctx);
    }
    resp->stream = NULL;
    resp->stream_ctx = NULL;
    resp->stream_free = NULL;
    struct MHD_Response *mr = MHD_create_response_from_callback(
        MHD_SIZE_UNKNOWN, PP_STREAM_BLOCK_BYTES, stream_none, NULL, NULL);
    if (mr != NULL) {
        /* No chunked framing (HTTP/1.1 status line kept): the end of the
        ** answer is the close of the connection. */
        MHD_set_response_options(mr, MHD_RF_HTTP_1_0_COMPATIBLE_STRICT, MHD_RO_END);
    }
    return mr;
}

/* The libmicrohttpd response for resp's body (taken over) or stream. */
static struct MHD_Response *make_body(struct api_response *resp, int head, size_t *len_out)
{
    *len_out = 0;
    if (resp->stream != NULL && head) {
        return make_head_of_stream(resp);
    }
    if (resp->stream != NULL) {
        struct http_stream *s = pp_check_alloc(malloc(sizeof *s));
        s->fn = resp->stream;
        s->ctx = resp->stream_ctx;
        s->free_fn = resp->stream_free;
        /* The stream now belongs to the response. */
        resp->stream = NULL;
        resp->stream_ctx = NULL;
        resp->stream_free = NULL;
        struct MHD_Response *mr = MHD_create_response_from_callback(
            MHD_SIZE_UNKNOWN, PP_STREAM_BLOCK_BYTES, stream_read, s, stream_done);
        if (mr == NULL) {
            stream_done(s);
        }
        return mr;
    }
    char *body = pp_buf_take(&resp->body, len_out);
    struct MHD_Response *mr =
        MHD_create_response_from_buffer(*len_out, body, MHD_RESPMEM_MUST_FREE);
    if (mr == NULL) {
        free(body);
    }
    return mr;
}

enum MHD_Result http_response_send(struct MHD_Connection *conn, struct http_req *r,
                                   struct api_response *resp)
{
    size_t len = 0;
    int head = strcmp(r->method, MHD_HTTP_METHOD_HEAD) == 0;
    struct MHD_Response *mr = make_body(resp, head, &len);
    if (mr == NULL) {
        return MHD_NO;
    }
    MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
    MHD_add_response_header(mr, "X-Request-Id", r->request_id);
    MHD_add_response_header(mr, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(mr, "X-Content-Type-Options", "nosniff");
    if (resp->allow[0] != '\0') {
        MHD_add_response_header(mr, MHD_HTTP_HEADER_ALLOW, resp->allow);
    }
    int close_set = 0;
    for (size_t i = 0; i < resp->header_count; i++) {
        MHD_add_response_header(mr, resp->headers[i].name, resp->headers[i].value);
        close_set |= strcasecmp(resp->headers[i].name, MHD_HTTP_HEADER_CONNECTION) == 0;
    }
    if (!close_set && r->ctx != NULL && atomic_load(&r->ctx->closing)) {
        /* Shutting down: the client's next request goes to a new
        ** connection (another node), so in-flight requests drain. */
        MHD_add_response_header(mr, MHD_HTTP_HEADER_CONNECTION, "close");
    }
    enum MHD_Result ret = MHD_queue_response(conn, resp->status, mr);
    MHD_destroy_response(mr);
    r->status = resp->status;
    r->bytes_out = head ? 0 : len;
    r->responded = 1;
    return ret;
}

enum MHD_Result http_response_error(struct MHD_Connection *conn, struct http_req *r,
                                    enum pp_status status, const char *message)
{
    struct api_response resp;
    api_response_init(&resp);
    api_error_respond(&resp, status, message);
    enum MHD_Result ret = http_response_send(conn, r, &resp);
    api_response_free(&resp);
    return ret;
}

enum MHD_Result http_response_error_close(struct MHD_Connection *conn, struct http_req *r,
                                          enum pp_status status, const char *message)
{
    struct api_response resp;
    api_response_init(&resp);
    api_error_respond(&resp, status, message);
    api_response_header_add(&resp, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ret = http_response_send(conn, r, &resp);
    api_response_free(&resp);
    return ret;
}
