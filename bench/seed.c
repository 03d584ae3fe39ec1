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
**       for SECONDS seconds; prints creates per second, and the CPU time
**       of the busiest thread (the store's writer) per create.
**
** It is a benchmark tool only, never part of the server or its tests. It
** uses core's private header on purpose: seeding a million rows through
** the public one-payout-per-commit API would take minutes.
*/
#include <dirent.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/internal.h"
#include "core/write.h"
#include "payout/base/assert.h"
#include "payout/core/app.h"
#include "payout/core/dates.h"
#include "payout/core/funds.h"
#include "payout/core/money.h"
#include "payout/core/payouts.h"
#include "payout/sec/secrets.h"
#include "payout/store/store.h"

/* Payouts per durable transaction while seeding. */
#define SEED_CHUNK 5000
#define SEED_RECIPIENTS 10000
#define SEED_PROJECTS 10
#define WRITERS_MAX 256

static const char *const currencies[] = {"GBP", "EUR", "USD"};

struct seed_chunk {
    int64_t first; /* sequence number of the chunk's first payout */
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

/* Writes payouts c->first.. as one store operation (one transaction, one
** audit entry), the same operation a bulk list uses. */
static enum pp_status seed_write_chunk(struct core_app *app, const struct seed_chunk *c,
                                       struct pp_err *err)
{
    size_t n = (size_t)c->count;
    struct core_payout_request *reqs = pp_check_alloc(calloc(n, sizeof *reqs));
    struct store_payout_new *news = pp_check_alloc(calloc(n, sizeof *news));
    char(*names)[2][64] = pp_check_alloc(calloc(n, sizeof *names));
    char(*uuids)[PP_UUID_TEXT_BYTES] = pp_check_alloc(calloc(n, sizeof *uuids));
    enum pp_status st = PP_OK;
    for (size_t i = 0; i < n && st == PP_OK; i++) {
        seed_request(c->first + (int64_t)i, &reqs[i], names[i][0], sizeof names[i][0], names[i][1],
                     sizeof names[i][1]);
        st = sec_uuid_v7(c->now_ms, uuids[i], err);
        if (st == PP_OK) {
            core_payout_new_fill(&reqs[i], PP_PAYOUT_READY, uuids[i], &news[i]);
        }
    }
    if (st == PP_OK) {
        char detail[64];
        snprintf(detail, sizeof detail, "%" PRId64 " payouts", c->count);
        struct core_write cw;
        core_write_begin(&cw, c->actor, c->now_ms);
        st = store_payouts_create(app->store, &cw.ctx, news, n, core_payout_recipient_rule, 0,
                                  "bench.seed", detail, err);
        core_write_end(&cw, st);
    }
    free(uuids);
    free(names);
    free(news);
    free(reqs);
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
        st = seed_write_chunk(app, &c, &err);
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
        seed_request(i, &req, project, sizeof project, desc, sizeof desc);
        /* Three identifiers, as the HTTP bench's creates send. */
        int64_t k = i++ % SEED_RECIPIENTS;
        snprintf(req.recipient.user_name, sizeof req.recipient.user_name, "seed-user-%" PRId64, k);
        snprintf(req.recipient.phone_number, sizeof req.recipient.phone_number, "+4470%08" PRId64,
                 k);
        if (core_payout_create(w->app, &req, &actor, &p, NULL, &err) == PP_OK) {
            atomic_fetch_add(&w->done, 1);
        } else {
            atomic_fetch_add(&w->failed, 1);
        }
    }
    return NULL;
}

/* CPU seconds (user + system) of this process's busiest thread, which in
** the writers run is the store's writer: its cost per create. */
static double busiest_thread_cpu_s(void)
{
    double best = 0;
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        char path[300];
        char line[1024];
        snprintf(path, sizeof path, "/proc/self/task/%s/stat", e->d_name);
        FILE *f = e->d_name[0] != '.' ? fopen(path, "r") : NULL;
        if (f != NULL && fgets(line, sizeof line, f) != NULL) {
            /* Fields 14 and 15 (utime, stime) follow the ")" of the name. */
            const char *p = strrchr(line, ')');
            unsigned long ut = 0, stm = 0;
            if (p != NULL && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
                                    &ut, &stm) == 2) {
                double cpu = (double)(ut + stm) / (double)sysconf(_SC_CLK_TCK);
                best = cpu > best ? cpu : best;
            }
        }
        if (f != NULL) {
            fclose(f);
        }
    }
    if (d != NULL) {
        closedir(d);
    }
    return best;
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
    double writer_s = busiest_thread_cpu_s();
    core_app_close(w.app);
    long done = atomic_load(&w.done);
    printf("writers=%ld creates=%ld failed=%ld seconds=%.2f rate=%.0f/s"
           " writer_cpu=%.2fs (%.1f us/create)\n",
           threads, done, atomic_load(&w.failed), s, (double)done / s, writer_s,
           done > 0 ? writer_s * 1e6 / (double)done : 0.0);
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
