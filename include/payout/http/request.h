/*
** This header declares the per-request side of the HTTP server: the three
** libmicrohttpd callbacks that drive a request (its state is
** payout/http/request_state.h) (the raw-URI check, the
** access handler and the completion callback). The daemon in server.c
** registers them with a struct http_request_ctx as their closure.
*/
#ifndef PAYOUT_HTTP_REQUEST_H
#define PAYOUT_HTTP_REQUEST_H

#include <microhttpd.h>
#include <stddef.h>

#include "payout/http/request_state.h"

/* MHD_OPTION_URI_LOG_CALLBACK: runs once per request on the raw target,
** before libmicrohttpd unescapes it; marks a target with an escaped NUL. */
void *http_request_uri_cb(void *cls, const char *uri, struct MHD_Connection *conn);

/* The access handler (cls: struct http_request_ctx). Creates the request
** state on the first call, gathers the body, dispatches to the API (on the
** handler pool for requests that may wait for a commit) and queues the
** answer. MHD_NO only to drop the connection. */
enum MHD_Result http_request_access_cb(void *cls, struct MHD_Connection *conn, const char *url,
                                       const char *method, const char *version,
                                       const char *upload_data, size_t *upload_data_size,
                                       void **req_cls);

/* MHD_OPTION_NOTIFY_COMPLETED (cls: struct http_request_ctx): writes the
** access-log line and frees the request state. */
void http_request_completed_cb(void *cls, struct MHD_Connection *conn, void **req_cls,
                               enum MHD_RequestTerminationCode toe);

#endif /* PAYOUT_HTTP_REQUEST_H */
