/*
** This module implements the benchmark's ceiling server: the least a
** libmicrohttpd server can do per request on this machine, configured
** like payout-panel's own daemon (internal thread pool of one thread per
** core, epoll, the same connection limit and timeout). It answers
**   GET  /static  a constant JSON document (no allocation per request);
**   POST /echo    a JSON body parsed with jansson (duplicate keys
**                 refused, like the real server) and dumped back.
** Anything else is 404. It has no database, no tokens and no logging:
** whatever payout-panel does beyond this is the cost of being a payout
** server, which is what the ratios in `make bench` measure.
**
** It is a benchmark tool only and is not part of the product or its tests.
** Usage: ceiling PORT  (binds 127.0.0.1; prints "listening on ..." once
** ready; stops on SIGINT or SIGTERM).
*/
#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The same figures as include/payout/limits.h, kept literal so that this
** file builds with nothing but libmicrohttpd and jansson. */
#define CEILING_BODY_BYTES_MAX (64u * 1024u)
#define CEILING_CONNECTIONS_MAX 1024u
#define CEILING_CONNECTION_TIMEOUT_S 15u
#define CEILING_CONNECTION_MEMORY_BYTES (16u * 1024u)

static const char static_body[] = "{\"status\":\"ok\",\"version\":\"0.0.0\",\"ceiling\":true}";

/* *req_cls of a GET between its first and second call. */
static int first_call_marker;

/* Per-request state for POST: the body collected so far. */
struct upload {
    size_t len;
    char data[CEILING_BODY_BYTES_MAX];
};

static enum MHD_Result answer(struct MHD_Connection *conn, unsigned status, const char *body,
                              size_t len, enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, mode);
    if (r == NULL) {
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result echo(struct MHD_Connection *conn, const struct upload *up)
{
    json_error_t jerr;
    json_t *doc = json_loadb(up->data, up->len, JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL || !json_is_object(doc)) {
        json_decref(doc);
        static const char bad[] =
            "{\"error\":{\"message\":\"bad JSON\",\"type\":\"INVALID_PARAMS\"}}";
        return answer(conn, MHD_HTTP_BAD_REQUEST, bad, sizeof bad - 1, MHD_RESPMEM_PERSISTENT);
    }
    char *out = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (out == NULL) {
        return MHD_NO;
    }
    return answer(conn, MHD_HTTP_OK, out, strlen(out), MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    (void)cls;
    (void)version;
    if (strcmp(method, "GET") == 0 && strcmp(url, "/static") == 0) {
        /* Answering on the first call would make libmicrohttpd close the
        ** connection (no keep-alive); payout-panel answers on the second
        ** call too (src/http/server.c). */
        if (*req_cls == NULL) {
            *req_cls = &first_call_marker;
            return MHD_YES;
        }
        *req_cls = NULL;
        return answer(conn, MHD_HTTP_OK, static_body, sizeof static_body - 1,
                      MHD_RESPMEM_PERSISTENT);
    }
    if (strcmp(method, "POST") != 0 || strcmp(url, "/echo") != 0) {
        static const char nf[] =
            "{\"error\":{\"message\":\"no such endpoint\",\"type\":\"NOT_FOUND\"}}";
        return answer(conn, MHD_HTTP_NOT_FOUND, nf, sizeof nf - 1, MHD_RESPMEM_PERSISTENT);
    }
    struct upload *up = *req_cls;
    if (up == NULL) {
        up = malloc(sizeof *up);
        if (up == NULL) {
            return MHD_NO;
        }
        up->len = 0;
        *req_cls = up;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        if (n > sizeof up->data - up->len) {
            return MHD_NO;
        }
        memcpy(up->data + up->len, upload_data, n);
        up->len += n;
        *upload_data_size = 0;
        return MHD_YES;
    }
    return echo(conn, up);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    if (*req_cls != &first_call_marker) {
        free(*req_cls);
    }
    *req_cls = NULL;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fputs("usage: ceiling PORT\n", stderr);
        return 2;
    }
    long port = strtol(argv[1], NULL, 10);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (port <= 0 || port > 65535) {
        fputs("ceiling: bad port\n", stderr);
        return 2;
    }
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC, (uint16_t)port, NULL, NULL, on_request, NULL,
        MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(cores > 0 ? cores : 2),
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_CONNECTION_LIMIT,
        CEILING_CONNECTIONS_MAX, MHD_OPTION_CONNECTION_TIMEOUT, CEILING_CONNECTION_TIMEOUT_S,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CEILING_CONNECTION_MEMORY_BYTES,
        MHD_OPTION_END);
    if (d == NULL) {
        fprintf(stderr, "ceiling: cannot listen on 127.0.0.1:%ld\n", port);
        return 1;
    }
    printf("listening on http://127.0.0.1:%ld\n", port);
    fflush(stdout);
    int sig = 0;
    sigwait(&sigs, &sig);
    MHD_stop_daemon(d);
    return 0;
}
