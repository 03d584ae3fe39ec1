/*
** This module tests a graceful stop in the middle of a write load: many
** clients create payouts on kept-alive connections, and SIGTERM comes
** while their creates are parked at the writer on the workers' fibers
** (half of the clients send an Idempotency-Key, so theirs run on the
** handler pool). The server must answer what it started (each answer
** closing its connection, so the clients move on), refuse what comes
** after, never stop libmicrohttpd with a connection still suspended, and
** exit 0. Every create answered 200 must be there after a restart, and
** `check` must pass. It runs on both backends.
*/
#include "harness.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CLIENTS 16
#define IDS_MAX 100000
/* Answers before the signal: the load is on. */
#define ANSWERED_BEFORE_STOP 300

static struct pp_server srv;
static char *admin_token;
static char *api_key;

static const char *const funds[] = {"GBP", "100000", NULL};

struct client {
    pthread_t thread;
    int index;
    long long *ids; /* answered 200, in order */
    size_t id_count;
    int closed;      /* answers that closed their connection */
    int unavailable; /* 503: the server was stopping */
    long other;      /* the first other status, 0 if none */
    char other_body[256];
};

static atomic_long answered;

static void *client_run(void *arg)
{
    struct client *c = arg;
    CURL *handle = curl_easy_init();
    char body[512];
    for (int n = 0; c->id_count < IDS_MAX; n++) {
        snprintf(body, sizeof body,
                 "{\"amount\":1,\"currency\":\"GBP\",\"startDate\":\"2031-01-01T00:00:00Z\","
                 "\"endDate\":\"2031-06-01T00:00:00Z\",\"name\":\"Stop\","
                 "\"description\":\"client %d, %d\",\"userName\":\"stop-%d\","
                 "\"notification\":false}",
                 c->index, n, c->index);
        /* Odd clients send an Idempotency-Key: their creates run on the
        ** handler pool, the others' on the workers' fibers. */
        char key[96];
        snprintf(key, sizeof key, "Idempotency-Key: stop-%d-%d", c->index, n);
        const char *const keyed[] = {key, NULL};
        struct pp_resp *r = pp_request_post_with(&srv, handle, "/api/payment/create", api_key,
                                                 c->index % 2 ? keyed : NULL, body);
        long status = r != NULL ? r->status : 0;
        for (size_t i = 0; r != NULL && i < r->header_count; i++) {
            c->closed += strcasecmp(r->headers[i].name, "Connection") == 0 &&
                         strcasecmp(r->headers[i].value, "close") == 0;
        }
        if (status == 200) {
            const json_t *list = json_object_get(r->json, "payments");
            c->ids[c->id_count++] =
                (long long)json_integer_value(json_object_get(json_array_get(list, 0), "id"));
            atomic_fetch_add(&answered, 1);
        } else if (status == 503) {
            c->unavailable++;
        } else if (status != 0 && c->other == 0) {
            c->other = status;
            snprintf(c->other_body, sizeof c->other_body, "%s", r->body);
        }
        pp_resp_free(r);
        if (status == 0) {
            break; /* refused: the server is stopping or gone */
        }
    }
    curl_easy_cleanup(handle);
    return NULL;
}

static void test_sigterm_during_creates(void **state)
{
    (void)state;
    static struct client clients[CLIENTS];
    for (int i = 0; i < CLIENTS; i++) {
        clients[i] = (struct client){.index = i};
        clients[i].ids = calloc(IDS_MAX, sizeof *clients[i].ids);
        assert_non_null(clients[i].ids);
        assert_int_equal(pthread_create(&clients[i].thread, NULL, client_run, &clients[i]), 0);
    }
    for (int i = 0; i < 6000 && atomic_load(&answered) < ANSWERED_BEFORE_STOP; i++) {
        pp_sleep_ms(10);
    }
    long before = atomic_load(&answered);
    if (before < ANSWERED_BEFORE_STOP) {
        fail_msg("only %ld creates answered in 60 s: no load to stop under", before);
    }
    int code = pp_server_stop_sig(&srv, SIGTERM);
    int closed = 0;
    size_t total = 0;
    for (int i = 0; i < CLIENTS; i++) {
        assert_int_equal(pthread_join(clients[i].thread, NULL), 0);
        closed += clients[i].closed;
        total += clients[i].id_count;
        if (clients[i].other != 0) {
            fail_msg("client %d got %ld while the server stopped: %s", i, clients[i].other,
                     clients[i].other_body);
        }
    }
    /* 134 (SIGABRT) when libmicrohttpd was stopped with a parked create's
    ** connection still suspended. */
    if (code != 0) {
        fail_msg("the server exited %d on SIGTERM under load (%zu creates answered)", code, total);
    }
    if (closed == 0) {
        fail_msg("no answer closed its connection: the kept-alive clients were not told to go");
    }
    char *err = pp_file_read(srv.err_path, NULL);
    assert_non_null(err);
    if (strstr(err, "still in flight") != NULL || strstr(err, "unfinished") != NULL) {
        fail_msg("the stop did not drain: %.2000s", err);
    }
    free(err);

    /* Every create answered 200 is there after a restart; the books hold. */
    pp_assert_check(srv.db_path, "after SIGTERM under load");
    struct pp_server_opts opts = {.db_path = srv.db_path};
    struct pp_server again;
    assert_int_equal(pp_server_start(&again, &opts), 0);
    for (int i = 0; i < CLIENTS; i++) {
        for (size_t k = 0; k < clients[i].id_count; k++) {
            char path[64];
            snprintf(path, sizeof path, "/api/payments/%lld", clients[i].ids[k]);
            struct pp_resp *r = pp_get(&again, path, api_key);
            if (r->status != 200) {
                fail_msg("payout %lld was answered 200 before the stop but reads %ld after it",
                         clients[i].ids[k], r->status);
            }
            pp_resp_free(r);
        }
        free(clients[i].ids);
    }
    assert_int_equal(pp_server_stop(&again), 0);
    pp_server_destroy(&again);
    printf("SIGTERM after %ld creates: exit 0, %zu creates answered in all, %d answers closed "
           "their connection, every one of them read back\n",
           before, total, closed);
}

static const struct pp_session session = {
    .srv = &srv, .admin_token = &admin_token, .api_key = &api_key, .funds = funds};

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sigterm_during_creates),
    };
    return pp_session_run("api.stop_under_load", tests, sizeof tests / sizeof tests[0], &session);
}
