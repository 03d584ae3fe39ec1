/*
** This module implements bench-seed, the benchmark's helper that talks to
** the store directly (no HTTP), in two modes:
**
**   bench-seed seed DB COUNT
**       Fills DB with COUNT payouts for the list benchmarks, fast: it
**       deposits exactly what they block, then creates them through the
**       same core_payout_write_create that every create and list uses
**       (project, recipient, payout, ledger block row), SEED_CHUNK per
**       durable transaction, with one audit entry per chunk. The ledger
**       invariants hold afterwards (`payout-panel check` passes).
**       Payouts cycle over 3 currencies (GBP, EUR, USD), 10 projects and
**       10,000 recipients; all are READY, with windows ending after 2035.
**
**   bench-seed writers DB THREADS SECONDS
**       The store's own ceiling for durable creates: THREADS threads call
**       core_payout_create (one payout per store_write, group commit)
**       for SECONDS seconds; prints creates per second.
**
** It is a benchmark tool only, never part of the server or its tests. It
** uses core's private header on purpose: seeding a million rows through
** the public one-payout-per-commit API would take minutes.
*/
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "payout/core/app.h"
#include "payout/core/dates.h"
#include "payout/core/funds.h"
#include "payout/core/money.h"
#include "payout/core/payouts.h"
#include "payout/core/write.h"
#include "payout/sec/secrets.h"

/* Payouts per durable transaction while seeding. */
#define SEED_CHUNK 5000
#define SEED_RECIPIENTS 10000
#define SEED_PROJECTS 10
#define WRITERS_MAX 256

static const char *const currencies[] = {"GBP", "EUR", "USD"};

struct seed_chunk {
    int64_t first;     /* sequence number of the chunk's first payout */
    int64_t count;
    int64_t now_ms;
    const struct pp_actor *actor;
};

/* Fills req (strings in the caller's buffers) for payout number i. */
static void seed_request(int64_t i, struct core_payout_request *req, char *project, size_t psize,
                         char *desc, size_t dsize)
{
    int64_t k = i % SEED_RECIPIENTS;
    memset(req, 0, sizeof *req);
    req->currency = core_currency_find(currencies[i % 3], 3);
    req->amount_minor = 100 + (i % 997) * 13;
    /* Windows from 2026-01-01 over ~3 years, each 10 years long, so that
    ** none expires (the server expires open payouts past their endDate). */
    req->start_ms = 1767225600000LL + (i % 1000) * 86400000LL;
    req->end_ms = req->start_ms + 3650LL * 86400000LL;
    snprintf(project, psize, "Seed project %" PRId64, i % SEED_PROJECTS);
    snprintf(desc, dsize, "Seeded payout %" PRId64, i);
    req->project_name = project;
    req->description = desc;
    req->metadata = "";
    req->notification = (int)(i % 2);
    snprintf(req->recipient.reference_id, sizeof req->recipient.reference_id, "seed-%" PRId64, k);
}

static enum pp_status seed_write_chunk(struct store_tx *tx, void *arg, struct pp_err *err)
{
    struct seed_chunk *c = arg;
    enum pp_status st = PP_OK;
    for (int64_t i = c->first; i < c->first + c->count && st == PP_OK; i++) {
        struct core_payout_request req;
        struct pp_payout p;
        char project[64];
        char desc[64];
        char uuid[PP_UUID_TEXT_BYTES];
        seed_request(i, &req, project, sizeof project, desc, sizeof desc);
        st = sec_uuid_v7(c->now_ms, uuid, err);
        if (st == PP_OK) {
            st = core_payout_write_create(tx, &req, PP_PAYOUT_READY, uuid, c->now_ms, &p, err);
        }
    }
    if (st == PP_OK) {
        char detail[64];
        snprintf(detail, sizeof detail, "%" PRId64 " payouts", c->count);
        st = core_audit_append(tx, c->actor, "bench.seed", NULL, detail, c->now_ms, err);
    }
    return st;
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Deposits, in each currency, what payouts 0..count-1 will block. */
static enum pp_status seed_fund(struct core_app *app, int64_t count, const struct pp_actor *actor,
                                struct pp_err *err)
{
    int64_t need[3] = {0, 0, 0};
    for (int64_t i = 0; i < count; i++) {
        need[i % 3] += 100 + (i % 997) * 13;
    }
    enum pp_status st = PP_OK;
    for (int c = 0; c < 3 && st == PP_OK; c++) {
        struct pp_balance after;
        if (need[c] > 0) {
            st = core_funds_deposit(app, core_currency_find(currencies[c], 3), need[c],
                                    "bench seed", actor, &after, err);
        }
    }
    return st;
}

static int cmd_seed(const char *db, int64_t count)
{
    struct pp_err err = {0};
    struct core_app *app = NULL;
    struct pp_actor actor = {.kind = PP_ACTOR_SYSTEM};
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    enum pp_status st = core_app_open(db, 1, &app, &err);
    if (st == PP_OK) {
        st = seed_fund(app, count, &actor, &err);
    }
    for (int64_t first = 0; first < count && st == PP_OK; first += SEED_CHUNK) {
        struct seed_chunk c = {
            .first = first,
            .count = count - first < SEED_CHUNK ? count - first : SEED_CHUNK,
            .now_ms = core_now_ms(),
            .actor = &actor,
        };
        st = core_write_run(app, seed_write_chunk, &c, &err);
    }
    core_app_close(app);
    if (st != PP_OK) {
        fprintf(stderr, "bench-seed: %s\n", err.message);
        return 1;
    }
    double s = seconds_since(&t0);
    printf("seeded %" PRId64 " payouts in %.1f s (%.0f/s)\n", count, s, (double)count / s);
    return 0;
}

struct writers {
    struct core_app *app;
    atomic_int stop;
    atomic_long done;
    atomic_long failed;
};

static void *writer_loop(void *arg)
{
    struct writers *w = arg;
    struct pp_actor actor = {.kind = PP_ACTOR_SYSTEM};
    int64_t i = 0;
    while (!atomic_load(&w->stop)) {
        struct core_payout_request req;
        struct pp_payout p;
        struct pp_err err = {0};
        char project[64];
        char desc[64];
        seed_request(i++, &req, project, sizeof project, desc, sizeof desc);
        if (core_payout_create(w->app, &req, &actor, &p, &err) == PP_OK) {
            atomic_fetch_add(&w->done, 1);
        } else {
            atomic_fetch_add(&w->failed, 1);
        }
    }
    return NULL;
}

static int cmd_writers(const char *db, long threads, long seconds)
{
    struct pp_err err = {0};
    struct writers w;
    memset(&w, 0, sizeof w);
    struct pp_actor actor = {.kind = PP_ACTOR_SYSTEM};
    pthread_t tids[WRITERS_MAX];
    struct pp_balance after;
    if (core_app_open(db, 1, &w.app, &err) != PP_OK ||
        core_funds_deposit(w.app, core_currency_find("GBP", 3), PP_AMOUNT_MINOR_MAX, "bench",
                           &actor, &after, &err) != PP_OK ||
        core_funds_deposit(w.app, core_currency_find("EUR", 3), PP_AMOUNT_MINOR_MAX, "bench",
                           &actor, &after, &err) != PP_OK ||
        core_funds_deposit(w.app, core_currency_find("USD", 3), PP_AMOUNT_MINOR_MAX, "bench",
                           &actor, &after, &err) != PP_OK) {
        fprintf(stderr, "bench-seed: %s\n", err.message);
        core_app_close(w.app);
        return 1;
    }
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 0; i < threads; i++) {
        pthread_create(&tids[i], NULL, writer_loop, &w);
    }
    struct timespec span = {seconds, 0};
    nanosleep(&span, NULL);
    atomic_store(&w.stop, 1);
    for (long i = 0; i < threads; i++) {
        pthread_join(tids[i], NULL);
    }
    double s = seconds_since(&t0);
    core_app_close(w.app);
    printf("writers=%ld creates=%ld failed=%ld seconds=%.2f rate=%.0f/s\n", threads,
           atomic_load(&w.done), atomic_load(&w.failed), s, (double)atomic_load(&w.done) / s);
    return atomic_load(&w.failed) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "seed") == 0) {
        long long count = strtoll(argv[3], NULL, 10);
        if (count > 0 && count <= 100000000) {
            return cmd_seed(argv[2], (int64_t)count);
        }
    }
    if (argc == 5 && strcmp(argv[1], "writers") == 0) {
        long threads = strtol(argv[3], NULL, 10);
        long seconds = strtol(argv[4], NULL, 10);
        if (threads > 0 && threads <= WRITERS_MAX && seconds > 0 && seconds <= 3600) {
            return cmd_writers(argv[2], threads, seconds);
        }
    }
    fputs("usage: bench-seed seed DB COUNT | bench-seed writers DB THREADS SECONDS\n", stderr);
    return 2;
}
