/*
** This module tests that walking GET /api/payments page by page, by
** cursor, returns exactly the payouts of the filter, in order, each once,
** for the filter shapes a backend may read through an index of its own
** (one status; a currency with one status; a project; a recipient; and
** with them a currency alone, two statuses, and nothing) in both
** directions, with the total of the filter on every page. The payouts
** are made here: 30, in two currencies, three recipients and two
** projects, a third of them cancelled. It runs on both backends (the
** exhaustive list tests of test_reads seed SQLite's file directly).
*/
#include "harness.h"

#include <stdlib.h>
#include <string.h>

#define PAYOUTS 30
#define PAGE_SIZE 4

static struct pp_server srv;
static char *admin_token;
static char *api_key;

static const char *const funds[] = {"EUR", "1000", "USD", "1000", NULL};

/* What the test made, to filter here. */
static struct made {
    long long id;
    const char *currency;
    long long project_id;
    long long recipient_id;
    int cancelled;
} made[PAYOUTS];

static int make_payouts(void)
{
    for (int i = 0; i < PAYOUTS; i++) {
        made[i].currency = i % 3 == 0 ? "USD" : "EUR";
        char *body =
            pp_fmt("{\"amount\":1,\"currency\":\"%s\",\"startDate\":\"2031-01-01T00:00:00Z\","
                   "\"endDate\":\"2031-06-01T00:00:00Z\",\"name\":\"walk-p%d\","
                   "\"description\":\"walk\",\"userName\":\"walk-r%d\","
                   "\"notification\":false}",
                   made[i].currency, i % 2, i % 3 == 1 ? 1 : i % 5);
        made[i].id = pp_payout_create(&srv, api_key, body, NULL);
        free(body);
        struct pp_resp *g = pp_payout_get(&srv, api_key, made[i].id);
        made[i].project_id = pp_json_int(g->json, "projectId");
        made[i].recipient_id = pp_json_int(g->json, "recipientId");
        pp_resp_free(g);
    }
    for (int i = 0; i < PAYOUTS; i += 3) {
        char *body = pp_fmt("{\"ids\":[%lld]}", made[i + 1].id);
        pp_assert_success_count(&srv, "/api/payment/cancel", api_key, body, 1);
        free(body);
        made[i + 1].cancelled = 1;
    }
    return 0;
}

/* A filter: its query and the test of a payout against it. */
struct shape {
    const char *name;
    char query[128];
    int status;             /* 0 any, 1 READY only, 2 CANCELLED only, 3 both named */
    const char *currency;   /* NULL: any */
    long long project_id;   /* 0: any */
    long long recipient_id; /* 0: any */
};

static int shape_has(const struct shape *s, const struct made *m)
{
    return (s->status == 0 || s->status == 3 || (s->status == 1) == !m->cancelled) &&
           (s->currency == NULL || strcmp(s->currency, m->currency) == 0) &&
           (s->project_id == 0 || s->project_id == m->project_id) &&
           (s->recipient_id == 0 || s->recipient_id == m->recipient_id);
}

/* Walks shape s in direction desc and compares with what was made. */
static void walk_shape(const struct shape *s, int desc)
{
    long long want[PAYOUTS];
    size_t n_want = 0;
    for (int k = 0; k < PAYOUTS; k++) {
        int i = desc ? PAYOUTS - 1 - k : k;
        if (shape_has(s, &made[i])) {
            want[n_want++] = made[i].id;
        }
    }
    assert_true(n_want > 0);
    long long got[PAYOUTS + 1];
    size_t n_got = 0;
    char cursor[128] = "";
    for (int pages = 0; pages <= PAYOUTS; pages++) {
        char *path = pp_fmt("/api/payments?%s&size=%d&orderBy=id&dir=%s%s%s", s->query, PAGE_SIZE,
                            desc ? "desc" : "asc", cursor[0] ? "&cursor=" : "", cursor);
        struct pp_resp *r = pp_get(&srv, path, api_key);
        assert_int_equal(r->status, 200);
        if (pp_json_int(r->json, "total") != (long long)n_want) {
            fail_msg("%s (%s): total %lld, want %zu", s->name, desc ? "desc" : "asc",
                     pp_json_int(r->json, "total"), n_want);
        }
        json_t *rows = json_object_get(r->json, "payments");
        for (size_t k = 0; k < json_array_size(rows) && n_got <= PAYOUTS; k++) {
            got[n_got++] = pp_json_int(json_array_get(rows, k), "id");
        }
        int more = pp_next_cursor(r, cursor, sizeof cursor);
        pp_resp_free(r);
        free(path);
        if (!more) {
            break;
        }
    }
    if (n_got != n_want) {
        fail_msg("%s (%s): %zu payouts walked, want %zu", s->name, desc ? "desc" : "asc", n_got,
                 n_want);
    }
    for (size_t k = 0; k < n_want; k++) {
        if (got[k] != want[k]) {
            fail_msg("%s (%s): row %zu is payout %lld, want %lld", s->name, desc ? "desc" : "asc",
                     k, got[k], want[k]);
        }
    }
}

static void test_walks_of_every_shape(void **state)
{
    (void)state;
    long long project = made[1].project_id;
    long long recipient = made[1].recipient_id;
    struct shape shapes[] = {
        {"one status", "status=READY", 1, NULL, 0, 0},
        {"a currency with one status", "status=CANCELLED&currency=EUR", 2, "EUR", 0, 0},
        {"a currency with the other status", "status=READY&currency=USD", 1, "USD", 0, 0},
        {"a project", "", 0, NULL, project, 0},
        {"a project with one status", "", 1, NULL, project, 0},
        {"a recipient", "", 0, NULL, 0, recipient},
        {"a recipient in a currency with one status", "", 2, "EUR", 0, recipient},
        {"a currency alone", "currency=USD", 0, "USD", 0, 0},
        {"two statuses", "status=READY,CANCELLED", 3, NULL, 0, 0},
        {"nothing", "total=true", 0, NULL, 0, 0},
    };
    snprintf(shapes[3].query, sizeof shapes[3].query, "projectId=%lld", project);
    snprintf(shapes[4].query, sizeof shapes[4].query, "projectId=%lld&status=READY", project);
    snprintf(shapes[5].query, sizeof shapes[5].query, "recipientId=%lld", recipient);
    snprintf(shapes[6].query, sizeof shapes[6].query,
             "recipientId=%lld&currency=EUR&status=CANCELLED", recipient);
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        walk_shape(&shapes[i], 0);
        walk_shape(&shapes[i], 1);
    }
}

static const struct pp_session session = {.srv = &srv,
                                          .admin_token = &admin_token,
                                          .api_key = &api_key,
                                          .funds = funds,
                                          .after_start = make_payouts};

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_walks_of_every_shape),
    };
    return pp_session_run("api.list_walks", tests, sizeof tests / sizeof tests[0], &session);
}
