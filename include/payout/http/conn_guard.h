/*
** This header declares the connection guard: it keeps track of every open
** connection of the daemon (libmicrohttpd's connection notifications) and
** whether it is waiting for a request's headers, and it drops (shuts the
** socket down) a connection that has not sent complete headers within the
** header deadline, whatever trickles in; and, once the server is nearly
** full, the oldest connection still waiting for headers each time a new
** one arrives, so that a new client always finds room.
*/
#ifndef PAYOUT_HTTP_CONN_GUARD_H
#define PAYOUT_HTTP_CONN_GUARD_H

#include <microhttpd.h>

struct http_conn_guard;

/* Starts the guard and its sweeping thread: header_timeout_s (> 0) is the
** deadline, connections_max the daemon's limit. New; aborts when the
** thread cannot be started. */
struct http_conn_guard *http_conn_guard_start(unsigned header_timeout_s, unsigned connections_max);

/* Stops the thread and frees the guard. Only once the daemon is stopped
** (no connection is left). NULL is a no-op. */
void http_conn_guard_stop(struct http_conn_guard *g);

/* MHD_OPTION_NOTIFY_CONNECTION (cls: the guard): registers a connection on
** STARTED (its entry is the socket context) and forgets it on CLOSED,
** which libmicrohttpd calls before it closes the descriptor. */
void http_conn_guard_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                            enum MHD_ConnectionNotificationCode toe);

/* The headers of a request on conn are complete (the first access-handler
** call): its deadline no longer applies. */
void http_conn_guard_headers_done(struct MHD_Connection *conn);

/* The request on conn is finished: the connection waits for the headers of
** the next one, with a fresh deadline. */
void http_conn_guard_request_done(struct MHD_Connection *conn);

#endif /* PAYOUT_HTTP_CONN_GUARD_H */
