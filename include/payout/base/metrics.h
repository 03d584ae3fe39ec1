/*
** This header declares the server's own counters for GET /metrics (the
** Prometheus text format 0.0.4): requests by route and status with a
** latency histogram per route, and write batches (size and commit time).
** They live in base so that the layer that sees an event counts it (http
** a finished request, the store's writer a batch) and api renders them
** with the figures it asks core for. Counting is a few relaxed atomic
** additions: it never takes a lock on a request's path.
*/
#ifndef PAYOUT_BASE_METRICS_H
#define PAYOUT_BASE_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "payout/base/buf.h"
#include "payout/status.h"

/* Makes room for `routes` routes (route indexes 0..routes-1) plus one slot
** for requests that matched no route. Call once before serving; a second
** call is a no-op. PP_INTERNAL when out of memory. */
enum pp_status pp_metrics_init(size_t routes, struct pp_err *err);

/* Counts one finished request of route (routes = no route) with HTTP
** status (0 = the client left before an answer) that took seconds. */
void pp_metrics_request_observe(size_t route, unsigned status, double seconds);

/* Counts one committed (or failed) write batch of size operations whose
** commit took seconds. */
void pp_metrics_batch_observe(size_t size, double seconds);

/* Counts n round trips a write batch made to the database (PostgreSQL's
** writer; the SQLite database is in the process). */
void pp_metrics_round_trips_add(uint64_t n);

/* Moves the count of write requests queued for a writer and not yet taken
** into a batch by delta (the store's writer queue). */
void pp_metrics_write_queued_add(int64_t delta);

/* Appends the label of route i ("POST /api/payment/create") to out. */
typedef void (*pp_metrics_route_name_fn)(size_t route, struct pp_buf *out, void *ctx);

/* 1 once pp_metrics_init has run (the server counts), else 0. */
int pp_metrics_enabled(void);

/* Appends the request and batch families in the text format; name_of
** labels the routes, the slot of unmatched requests is "other". Nothing
** without pp_metrics_init. */
void pp_metrics_render(struct pp_buf *out, pp_metrics_route_name_fn name_of, void *ctx);

/* Appends the "# HELP" and "# TYPE" lines of family name (type "counter",
** "gauge" or "histogram"). */
void pp_metrics_write_help(struct pp_buf *out, const char *name, const char *type,
                           const char *help);

/* Appends a label value with \, " and newline escaped as the format says. */
void pp_metrics_label_escape(struct pp_buf *out, const char *value);

#endif /* PAYOUT_BASE_METRICS_H */
