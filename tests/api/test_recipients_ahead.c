/*
** This module tests the PostgreSQL writer's read ahead of recipients: the
** recipients a batch's payout creates name and the writer's cache does not
** know are read (and locked) in the round trip that opens the batch, so a
** create whose recipient is new, or stored but unknown to this process,
** costs no round trip of its own. On a database holding more recipients
** than the cache reads when it fills (PP_WRITER_WARM_RECIPIENTS), a fresh
** process knows only the newest ones. One list of creates then names new
** recipients, recipients the cache never read, and recipients of its own
** rows twice, and one new recipient named once with every field: every
** payout must go where the recipient rule says (a stored recipient found,
** a new one made once, holding what its rows gave it), the batch must make at most
** ROUND_TRIPS_MAX round trips (GET /metrics, payout_write_round_trips_total;
** looked up one by one it makes one per recipient: over 20), and `check`
** must pass. PostgreSQL only: SQLite's database is in the process.
*/
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* More recipients than the cache reads when it fills
** (PP_WRITER_WARM_RECIPIENTS, 8192, in include/payout/limits.h). */
#define OLD_RECIPIENTS 8208
/* Of them, the oldest this many: never read by the fresh process. */
#define OLD_NAMED 8
/* New recipients in the list, each named by two of its rows. */
#define NEW_NAMED 12
/* The round trips one batch of the list may make: the one that opens it
** (the lock row, the ids, the balance and the recipients read ahead), the
** one that sends its rows, COMMIT; one more for a write of the server's
** own (expiry, the outbox) that may run meanwhile. */
#define ROUND_TRIPS_MAX 4

static struct pp_server srv;
static struct pp_server next_srv;
static struct pp_server *cur = &srv;
static char *admin_token;
static char *api_key;

static const char *const funds[] = {"GBP", "100000", NULL};

static void before_stop(void)
{
    pp_server_destroy(&next_srv);
}

/* One create of a list: `ident` is the recipient's identifier fields. */
static void list_row(FILE *f, int first, const char *ident)
{
    fprintf(f,
            "%s{\"amount\":0.01,\"currency\":\"GBP\",\"startDate\":\"2031-01-01T00:00:00Z\","
            "\"endDate\":\"2031-06-01T00:00:00Z\",\"name\":\"Ahead\",\"description\":\"ahead\","
            "%s,\"notification\":false}",
            first ? "" : ",", ident);
}

/* Posts the list in buf (closed here) and answers its rows. */
static json_t *post_list(FILE *f, char **buf, size_t expect)
{
    fputs("]}", f);
    assert_int_equal(fclose(f), 0);
    struct pp_resp *r = pp_post(cur, "/api/payment/create-list", api_key, *buf);
    pp_assert_status(r, 200);
    json_t *rows = json_incref(json_object_get(r->json, "payments"));
    assert_int_equal(json_array_size(rows), expect);
    pp_resp_free(r);
    free(*buf);
    *buf = NULL;
    return rows;
}

/* The writer's round trips so far. */
static double round_trips(void)
{
    struct pp_req req = {.path = "/metrics"};
    struct pp_resp *r = pp_call(cur, &req);
    assert_int_equal(r->status, 200);
    const char *series = "\npayout_write_round_trips_total ";
    const char *at = strstr(r->body, series);
    if (at == NULL) {
        fail_msg("no payout_write_round_trips_total in:\n%.3000s", r->body);
    }
    double v = atof(at + strlen(series));
    pp_resp_free(r);
    return v;
}

static void test_recipients_read_ahead(void **state)
{
    (void)state;
    /* The old recipients, known by their phone number only. */
    long long oldest = pp_store_phone_recipients(cur, api_key, OLD_RECIPIENTS);

    /* A new process: its cache fills with the newest recipients only. Its
    ** first create fills it and makes the project and the balance hot. */
    assert_int_equal(pp_server_stop(cur), 0);
    pp_server_restart_signed_in(&next_srv, cur, NULL, &admin_token, &api_key);
    cur = &next_srv;
    pp_payout_create(cur, api_key,
                     "{\"amount\":0.01,\"currency\":\"GBP\",\"startDate\":\"2031-01-01T00:00:00Z\","
                     "\"endDate\":\"2031-06-01T00:00:00Z\",\"name\":\"Ahead\","
                     "\"description\":\"warm\",\"userName\":\"ahead-warm\",\"notification\":false}",
                     NULL);

    /* The list: each oldest recipient by its phone number with a new
    ** userName; each new recipient twice, by userName, then by its
    ** referenceId with the same userName. */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    fputs("{\"payments\":[", f);
    int rows = 0;
    for (int i = 0; i < OLD_NAMED; i++) {
        char ident[96];
        snprintf(ident, sizeof ident, "\"phoneNumber\":\"+4479%08d\",\"userName\":\"ahead-old-%d\"",
                 i, i);
        list_row(f, rows++ == 0, ident);
    }
    for (int i = 0; i < NEW_NAMED; i++) {
        char ident[160];
        snprintf(ident, sizeof ident,
                 "\"userName\":\"ahead-new-%d\",\"firstName\":\"First %d\","
                 "\"lastName\":\"Last %d\",\"email\":\"new-%d@example.test\"",
                 i, i, i, i);
        list_row(f, 0, ident);
        rows++;
        snprintf(ident, sizeof ident, "\"userName\":\"ahead-new-%d\",\"referenceId\":\"ref-%d\"", i,
                 i);
        list_row(f, 0, ident);
        rows++;
    }
    /* Last, a new recipient named once, with every field. */
    list_row(f, 0,
             "\"userName\":\"ahead-once\",\"phoneNumber\":\"+447700000001\","
             "\"referenceId\":\"ref-once\",\"firstName\":\"Once\",\"lastName\":\"Only\","
             "\"email\":\"once@example.test\"");
    rows++;
    double before = round_trips();
    json_t *made = post_list(f, &buf, (size_t)rows);
    double trips = round_trips() - before;

    /* The oldest recipients were found, and gained their userName. */
    for (int i = 0; i < OLD_NAMED; i++) {
        assert_int_equal(pp_json_int(json_array_get(made, (size_t)i), "recipientId"), oldest + i);
    }
    char *path = pp_fmt("/api/recipients/%lld", oldest + 3);
    struct pp_resp *r = pp_get(cur, path, api_key);
    pp_assert_status(r, 200);
    assert_string_equal(json_string_value(json_object_get(r->json, "userName")), "ahead-old-3");
    pp_resp_free(r);
    free(path);
    /* Each new recipient was made once: both its rows name the same one,
    ** newer than every old recipient, and each one its own. */
    long long seen[NEW_NAMED];
    for (int i = 0; i < NEW_NAMED; i++) {
        size_t at = OLD_NAMED + 2 * (size_t)i;
        seen[i] = pp_json_int(json_array_get(made, at), "recipientId");
        assert_int_equal(pp_json_int(json_array_get(made, at + 1), "recipientId"), seen[i]);
        assert_true(seen[i] > oldest + OLD_RECIPIENTS - 1);
        for (int j = 0; j < i; j++) {
            assert_int_not_equal(seen[j], seen[i]);
        }
    }
    long long once = pp_json_int(json_array_get(made, (size_t)rows - 1), "recipientId");
    json_decref(made);
    path = pp_fmt("/api/recipients/%lld", once);
    r = pp_get(cur, path, api_key);
    pp_assert_status(r, 200);
    static const char *const fields[][2] = {
        {"userName", "ahead-once"},  {"phoneNumber", "+447700000001"},
        {"referenceId", "ref-once"}, {"firstName", "Once"},
        {"lastName", "Only"},        {"email", "once@example.test"},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        const char *got = json_string_value(json_object_get(r->json, fields[i][0]));
        if (got == NULL || strcmp(got, fields[i][1]) != 0) {
            fail_msg("%s is %s, expected %s", fields[i][0], got != NULL ? got : "(none)",
                     fields[i][1]);
        }
    }
    pp_resp_free(r);
    free(path);
    /* The new recipient as its first row gave it, and its referenceId
    ** from the second. */
    path = pp_fmt("/api/recipients/%lld", seen[5]);
    r = pp_get(cur, path, api_key);
    pp_assert_status(r, 200);
    assert_string_equal(json_string_value(json_object_get(r->json, "userName")), "ahead-new-5");
    assert_string_equal(json_string_value(json_object_get(r->json, "firstName")), "First 5");
    assert_string_equal(json_string_value(json_object_get(r->json, "lastName")), "Last 5");
    assert_string_equal(json_string_value(json_object_get(r->json, "email")), "new-5@example.test");
    assert_string_equal(json_string_value(json_object_get(r->json, "referenceId")), "ref-5");
    pp_resp_free(r);
    free(path);

    if (trips < 1 || trips > ROUND_TRIPS_MAX) {
        fail_msg("the list made %g round trips to the database, expected 1 to %d", trips,
                 ROUND_TRIPS_MAX);
    }
    pp_stop_and_check(cur, "after the recipients read ahead");
}

static const struct pp_session session = {.srv = &srv,
                                          .admin_token = &admin_token,
                                          .api_key = &api_key,
                                          .funds = funds,
                                          .before_stop = before_stop};

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recipients_read_ahead),
    };
    return pp_session_run("api.recipients_ahead", tests, sizeof tests / sizeof tests[0], &session);
}
