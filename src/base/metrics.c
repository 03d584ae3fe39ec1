/*
** This module implements the server's request and write-batch counters
** (payout/base/metrics.h) and their rendering in the Prometheus text
** format. The counters are fixed arrays of relaxed atomics, sized once at
** start: per route and status slot a count, per route a latency
** histogram; per batch a size and a commit-time histogram; the write
** batches' round trips to the database.
*/
#include "payout/base/metrics.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include "payout/base/assert.h"

/* The statuses counted by name; anything else is "other" (slot 0 is the
** client that left before an answer, status 0). */
static const unsigned status_slots[] = {0,   200, 201, 204, 206, 301, 304, 400, 401, 403, 404,
                                        405, 409, 411, 413, 415, 422, 429, 431, 500, 503};
#define STATUS_SLOTS (sizeof status_slots / sizeof status_slots[0] + 1) /* + other */

/* Latency bucket bounds in seconds (Prometheus' "le"), +Inf implied. */
static const double latency_le[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                    0.05,   0.1,   0.25,   0.5,   1,    2.5};
#define LATENCY_BUCKETS (sizeof latency_le / sizeof latency_le[0])

/* Batch size bucket bounds (operations) and commit-time bounds (seconds). */
static const double size_le[] = {1, 2, 4, 8, 16, 32, 64, 128, 256};
#define SIZE_BUCKETS (sizeof size_le / sizeof size_le[0])
static const double commit_le[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                   0.01,   0.025,   0.05,   0.1,   0.25,   1};
#define COMMIT_BUCKETS (sizeof commit_le / sizeof commit_le[0])

/* One histogram: a count per bucket (not cumulative), the sum in
** nanoseconds or units, and the count of observations. */
struct histogram {
    _Atomic uint64_t buckets[16]; /* up to 15 bounds and +Inf */
    _Atomic uint64_t sum_e9;      /* sum of the observed values times 10^9 */
    _Atomic uint64_t count;
};

_Static_assert(LATENCY_BUCKETS < 16 && SIZE_BUCKETS < 16 && COMMIT_BUCKETS < 16,
               "a histogram holds at most 15 bounds and +Inf");

struct route_metrics {
    _Atomic uint64_t by_status[STATUS_SLOTS];
    struct histogram latency;
};

static struct route_metrics *routes_m; /* routes_n + 1 slots */
static size_t routes_n;
static struct histogram batch_size;
static struct histogram batch_commit;
static atomic_uint_fast64_t round_trips;
static atomic_int_fast64_t write_queued;

enum pp_status pp_metrics_init(size_t routes, struct pp_err *err)
{
    if (routes_m != NULL) {
        return PP_OK;
    }
    routes_m = calloc(routes + 1, sizeof *routes_m);
    if (routes_m == NULL) {
        return pp_err_set(err, PP_INTERNAL, "out of memory for the metrics");
    }
    routes_n = routes;
    return PP_OK;
}

int pp_metrics_enabled(void)
{
    return routes_m != NULL;
}

static size_t status_slot(unsigned status)
{
    for (size_t i = 0; i < STATUS_SLOTS - 1; i++) {
        if (status_slots[i] == status) {
            return i;
        }
    }
    return STATUS_SLOTS - 1;
}

static void histogram_observe(struct histogram *h, const double *le, size_t n, double value)
{
    size_t b = 0;
    while (b < n && value > le[b]) {
        b++;
    }
    atomic_fetch_add_explicit(&h->buckets[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->sum_e9, (uint64_t)(value * 1e9), memory_order_relaxed);
    atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
}

void pp_metrics_request_observe(size_t route, unsigned status, double seconds)
{
    if (routes_m == NULL) {
        return;
    }
    struct route_metrics *m = &routes_m[route < routes_n ? route : routes_n];
    histogram_observe(&m->latency, latency_le, LATENCY_BUCKETS, seconds < 0 ? 0 : seconds);
    /* Last, released: whoever sees the count sees the latency too. */
    atomic_fetch_add_explicit(&m->by_status[status_slot(status)], 1, memory_order_release);
}

void pp_metrics_batch_observe(size_t size, double seconds)
{
    histogram_observe(&batch_size, size_le, SIZE_BUCKETS, (double)size);
    histogram_observe(&batch_commit, commit_le, COMMIT_BUCKETS, seconds < 0 ? 0 : seconds);
}

void pp_metrics_round_trips_add(uint64_t n)
{
    atomic_fetch_add_explicit(&round_trips, n, memory_order_relaxed);
}

void pp_metrics_write_queued_add(int64_t delta)
{
    atomic_fetch_add_explicit(&write_queued, delta, memory_order_relaxed);
}

void pp_metrics_label_escape(struct pp_buf *out, const char *value)
{
    for (const char *c = value; *c != '\0'; c++) {
        if (*c == '\\' || *c == '"') {
            pp_buf_printf(out, "\\%c", *c);
        } else if (*c == '\n') {
            pp_buf_puts(out, "\\n");
        } else {
            pp_buf_printf(out, "%c", *c);
        }
    }
}

void pp_metrics_write_help(struct pp_buf *out, const char *name, const char *type, const char *help)
{
    pp_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Writes histogram h as name_bucket/_sum/_count lines; labels is
** `key="value"` text (or "") that each line carries. */
static void histogram_write(struct pp_buf *out, const char *name, const char *labels,
                            const struct histogram *h, const double *le, size_t n)
{
    const char *sep = labels[0] != '\0' ? "," : "";
    uint64_t cumulative = 0;
    for (size_t b = 0; b <= n; b++) {
        cumulative += atomic_load_explicit(&h->buckets[b], memory_order_relaxed);
        pp_buf_printf(out, "%s_bucket{%s%sle=\"", name, labels, sep);
        if (b < n) {
            pp_buf_printf(out, "%g", le[b]);
        } else {
            pp_buf_puts(out, "+Inf");
        }
        pp_buf_printf(out, "\"} %llu\n", (unsigned long long)cumulative);
    }
    const char *open = labels[0] != '\0' ? "{" : "";
    const char *close = labels[0] != '\0' ? "}" : "";
    uint64_t sum = atomic_load_explicit(&h->sum_e9, memory_order_relaxed);
    uint64_t count = atomic_load_explicit(&h->count, memory_order_relaxed);
    pp_buf_printf(out, "%s_sum%s%s%s %llu.%09llu\n", name, open, labels, close,
                  (unsigned long long)(sum / 1000000000u), (unsigned long long)(sum % 1000000000u));
    pp_buf_printf(out, "%s_count%s%s%s %llu\n", name, open, labels, close,
                  (unsigned long long)count);
}

/* The route label text of slot i: `route="POST /api/payment/create"`. */
static void route_label(struct pp_buf *label, size_t i, pp_metrics_route_name_fn name_of, void *ctx)
{
    struct pp_buf name;
    pp_buf_init(&name);
    if (i < routes_n) {
        name_of(i, &name, ctx);
    } else {
        pp_buf_puts(&name, "other");
    }
    pp_buf_puts(label, "route=\"");
    pp_metrics_label_escape(label, name.data);
    pp_buf_puts(label, "\"");
    pp_buf_free(&name);
}

static void requests_write(struct pp_buf *out, pp_metrics_route_name_fn name_of, void *ctx)
{
    pp_metrics_write_help(out, "payout_http_requests_total", "counter",
                          "Finished HTTP requests by route and status (0: the client left).");
    for (size_t i = 0; i <= routes_n; i++) {
        struct pp_buf label;
        pp_buf_init(&label);
        route_label(&label, i, name_of, ctx);
        for (size_t s = 0; s < STATUS_SLOTS; s++) {
            uint64_t n = atomic_load_explicit(&routes_m[i].by_status[s], memory_order_acquire);
            if (n == 0) {
                continue;
            }
            pp_buf_printf(out, "payout_http_requests_total{%s,status=\"", label.data);
            if (s < STATUS_SLOTS - 1) {
                pp_buf_printf(out, "%u", status_slots[s]);
            } else {
                pp_buf_puts(out, "other");
            }
            pp_buf_printf(out, "\"} %llu\n", (unsigned long long)n);
        }
        pp_buf_free(&label);
    }
}

void pp_metrics_render(struct pp_buf *out, pp_metrics_route_name_fn name_of, void *ctx)
{
    if (routes_m == NULL) {
        return;
    }
    requests_write(out, name_of, ctx);
    pp_metrics_write_help(out, "payout_http_request_duration_seconds", "histogram",
                          "Time from the request's first byte to its answer, by route.");
    for (size_t i = 0; i <= routes_n; i++) {
        if (atomic_load_explicit(&routes_m[i].latency.count, memory_order_relaxed) == 0) {
            continue;
        }
        struct pp_buf label;
        pp_buf_init(&label);
        route_label(&label, i, name_of, ctx);
        histogram_write(out, "payout_http_request_duration_seconds", label.data,
                        &routes_m[i].latency, latency_le, LATENCY_BUCKETS);
        pp_buf_free(&label);
    }
    pp_metrics_write_help(out, "payout_write_batch_size", "histogram",
                          "Write operations per group-commit transaction.");
    histogram_write(out, "payout_write_batch_size", "", &batch_size, size_le, SIZE_BUCKETS);
    pp_metrics_write_help(out, "payout_write_batch_commit_seconds", "histogram",
                          "Time of a write batch from BEGIN to a durable COMMIT.");
    histogram_write(out, "payout_write_batch_commit_seconds", "", &batch_commit, commit_le,
                    COMMIT_BUCKETS);
    pp_metrics_write_help(out, "payout_write_round_trips_total", "counter",
                          "Round trips the write batches made to the database (PostgreSQL).");
    pp_buf_printf(out, "payout_write_round_trips_total %llu\n",
                  (unsigned long long)atomic_load_explicit(&round_trips, memory_order_relaxed));
    pp_metrics_write_help(out, "payout_write_queued", "gauge",
                          "Write requests waiting for the writer's next batch.");
    pp_buf_printf(out, "payout_write_queued %lld\n",
                  (long long)atomic_load_explicit(&write_queued, memory_order_relaxed));
}
