/*
** This header declares how the HTTP server puts an API answer on the wire:
** a buffered or streamed body handed to libmicrohttpd, with the headers
** every answer carries (Content-Type, X-Request-Id, Cache-Control:
** no-store, X-Content-Type-Options: nosniff, Allow for 405s) and the
** handler's own headers.
*/
#ifndef PAYOUT_HTTP_RESPONSE_H
#define PAYOUT_HTTP_RESPONSE_H

#include <microhttpd.h>

#include "payout/api/api.h"
#include "payout/http/request_state.h"
#include "payout/status.h"

/* Queues resp on conn for request r and records the status and size in r
** for the access log. resp's body or stream is taken over (resp must still
** be freed with api_response_free). MHD_NO when libmicrohttpd refuses it
** (the connection is then dropped). */
enum MHD_Result http_response_send(struct MHD_Connection *conn, struct http_req *r,
                                   struct api_response *resp);

/* Queues the error envelope for status with message (copied). */
enum MHD_Result http_response_error(struct MHD_Connection *conn, struct http_req *r,
                                    enum pp_status status, const char *message);

/* As http_response_error, with "Connection: close": libmicrohttpd closes
** the connection after the answer (for a request whose framing is refused,
** so that nothing after it is read as another request). */
enum MHD_Result http_response_error_close(struct MHD_Connection *conn, struct http_req *r,
                                          enum pp_status status, const char *message);

#endif /* PAYOUT_HTTP_RESPONSE_H */
