/*
** This module tests GET /metrics through the real server: every line of
** the answer is valid Prometheus text (a # HELP / # TYPE comment or
** `name{labels} value`); the request counters count exactly the requests
** (once the server has finished them)
** this test made, by route and status (unmatched ones as route "other");
** each route's latency histogram counts as many requests as its counters,
** with cumulative buckets ending at +Inf; the write-batch histograms saw
** the writes; the gauges show the open payouts and the blocked funds per
** currency as the balances do; nothing secret (the admin's token, the API
** key, the integration password) appears; and a server started with
** --metrics off answers 404.
*/
#include "harness.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct pp_server srv;
static char *admin_token;
static char *api_key;
static char *password;

static const char *const no_rate_env[] = {"PAYOUT_RATE_LIMIT=0", NULL};
static const struct pp_server_opts server_opts = {.env = no_rate_env};
static const char *const funds[] = {"GBP", "100", "JPY", "5000", NULL};

static struct pp_resp *scrape(const struct pp_server *s)
{
    struct pp_req req = {.path = "/metrics"};
    return pp_call(s, &req);
}

/* The value of the sample line that starts with `series ` (exact name and
** labels), or -1 when there is none. */
static double sample(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *line = text; line != NULL && *line != '\0';) {
        if (strncmp(line, series, n) == 0 && line[n] == ' ') {
            return atof(line + n + 1);
        }
        line = strchr(line, '\n');
        line = line != NULL ? line + 1 : NULL;
    }
    return -1;
}

static void assert_sample(const char *text, const char *series, double want)
{
    double got = sample(text, series);
    if (got != want) {
        fail_msg("%s is %g, expected %g in:\n%.3000s", series, got, want, text);
    }
}

/* Every line is a comment or `name{labels} value`; TYPE names a known type. */
static void assert_text_format(const char *text)
{
    regex_t sample_re;
    regex_t comment_re;
    assert_int_equal(regcomp(&sample_re,
                             "^[a-zA-Z_:][a-zA-Z0-9_:]*(\\{[a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\]|"
                             "\\\\.)*\"(,[a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\]|\\\\.)*\")*\\})? "
                             "-?[0-9]+(\\.[0-9]+)?$",
                             REG_EXTENDED | REG_NOSUB),
                     0);
    assert_int_equal(regcomp(&comment_re,
                             "^# (HELP [a-z_]+ .+|TYPE [a-z_]+ (counter|gauge|histogram))$",
                             REG_EXTENDED | REG_NOSUB),
                     0);
    char *copy = strdup(text);
    size_t lines = 0;
    for (char *save = NULL, *line = strtok_r(copy, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        lines++;
        regex_t *re = line[0] == '#' ? &comment_re : &sample_re;
        if (regexec(re, line, 0, NULL, 0) != 0) {
            fail_msg("not Prometheus text: %s", line);
        }
    }
    assert_true(lines > 10);
    assert_int_equal(text[strlen(text) - 1], '\n');
    free(copy);
    regfree(&sample_re);
    regfree(&comment_re);
}

static long long create(const char *currency, const char *amount)
{
    char *body = pp_fmt("{\"amount\":%s,\"currency\":\"%s\",\"startDate\":\"2020-01-01T00:00:00Z\","
                        "\"endDate\":\"2099-01-01T00:00:00Z\",\"name\":\"Metrics\","
                        "\"description\":\"d\",\"userName\":\"metrics-user\","
                        "\"notification\":false}",
                        amount, currency);
    long long id = pp_payout_create(&srv, api_key, body, "READY");
    free(body);
    return id;
}

static void test_metrics_count_what_happened(void **state)
{
    (void)state;
    /* Requests made by the session so far are counted too: start from a
    ** scrape and count the difference. */
    struct pp_resp *before = scrape(&srv);
    assert_int_equal(before->status, 200);
    double creates_before =
        sample(before->body, "payout_http_requests_total{route=\"POST /api/payment/create\","
                             "status=\"200\"}");
    double batches_before = sample(before->body, "payout_write_batch_size_count");
    assert_true(batches_before >= 2); /* the session's deposits */
    pp_resp_free(before);

    long long a = create("GBP", "10");
    create("GBP", "2.5");
    /* A recipient with an e-mail who wants notifications, on a server
    ** without --smtp-url: the notification is recorded as skipped. */
    long long notified = pp_payout_create(
        &srv, api_key,
        "{\"amount\":1,\"currency\":\"GBP\",\"startDate\":\"2020-01-01T00:00:00Z\","
        "\"endDate\":\"2099-01-01T00:00:00Z\",\"name\":\"Metrics\",\"description\":\"d\","
        "\"userName\":\"metrics-mail\",\"email\":\"someone@example.test\","
        "\"notification\":true}",
        "READY");
    char *cancel_notified = pp_fmt("{\"ids\":[%lld]}", notified);
    pp_assert_success_count(&srv, "/api/payment/cancel", api_key, cancel_notified, 1);
    free(cancel_notified);
    create("JPY", "700");
    char *ids = pp_fmt("{\"ids\":[%lld]}", a);
    pp_assert_success_count(&srv, "/api/payment/cancel", api_key, ids, 1);
    free(ids);
    pp_expect_error(pp_get(&srv, "/api/payments/999999", api_key), 404, "NOT_FOUND");
    pp_expect_error(pp_get(&srv, "/api/payments/1", NULL), 401, "UNAUTHORIZED");
    pp_expect_error(pp_get(&srv, "/no/such/route", NULL), 404, "NOT_FOUND");

    /* A request is counted when the server has finished it, which may be
    ** just after its client read the answer, on another thread: wait until
    ** the last ones are counted. */
    double creates_expected = (creates_before < 0 ? 0 : creates_before) + 4;
    const struct {
        const char *series;
        double want;
    } last[] = {
        {"payout_http_requests_total{route=\"other\",status=\"404\"}", 1},
        {"payout_http_requests_total{route=\"GET /api/payments/{id}\",status=\"401\"}", 1},
        {"payout_http_requests_total{route=\"GET /api/payments/{id}\",status=\"404\"}", 1},
        {"payout_http_requests_total{route=\"POST /api/payment/cancel\",status=\"200\"}", 2},
        {"payout_http_requests_total{route=\"POST /api/payment/create\",status=\"200\"}",
         creates_expected},
    };
    struct pp_resp *r = scrape(&srv);
    for (size_t k = 0, tries = 0; k < sizeof last / sizeof last[0] && tries < 100;) {
        if (sample(r->body, last[k].series) >= last[k].want) {
            k++;
            continue;
        }
        pp_resp_free(r);
        pp_sleep_ms(20);
        r = scrape(&srv);
        tries++;
    }
    assert_int_equal(r->status, 200);
    const char *ct = pp_resp_header(r, "Content-Type");
    assert_non_null(ct);
    assert_string_equal(ct, "text/plain; version=0.0.4; charset=utf-8");
    assert_text_format(r->body);
    assert_sample(r->body,
                  "payout_http_requests_total{route=\"POST /api/payment/create\",status=\"200\"}",
                  creates_expected);
    assert_sample(r->body,
                  "payout_http_requests_total{route=\"POST /api/payment/cancel\",status=\"200\"}",
                  2);
    assert_sample(r->body,
                  "payout_http_requests_total{route=\"GET /api/payments/{id}\",status=\"404\"}", 1);
    assert_sample(r->body,
                  "payout_http_requests_total{route=\"GET /api/payments/{id}\",status=\"401\"}", 1);
    assert_true(sample(r->body, "payout_http_requests_total{route=\"other\",status=\"404\"}") >= 1);
    /* The histogram of a route counts its requests; +Inf holds them all. */
    assert_sample(r->body,
                  "payout_http_request_duration_seconds_count{route=\"POST /api/payment/create\"}",
                  creates_expected);
    assert_sample(r->body,
                  "payout_http_request_duration_seconds_bucket{route=\"POST /api/payment/create\","
                  "le=\"+Inf\"}",
                  creates_expected);
    /* Six writes (four creates, two cancels) in at least one more batch. */
    double batches = sample(r->body, "payout_write_batch_size_count");
    assert_true(batches >= batches_before + 1 && batches <= batches_before + 6);
    assert_true(sample(r->body, "payout_write_batch_size_sum") >= 6);
    /* The gauges: open payouts and what they block. */
    assert_sample(r->body, "payout_open_payouts{currency=\"GBP\"}", 1);
    assert_sample(r->body, "payout_open_payouts{currency=\"JPY\"}", 1);
    assert_sample(r->body, "payout_blocked_amount{currency=\"GBP\"}", 2.5);
    assert_sample(r->body, "payout_blocked_amount{currency=\"JPY\"}", 700);
    pp_assert_balance_now(&srv, api_key, "GBP", "97.5", "2.5", "0");
    /* The outbox: no webhook endpoint, one notification recorded skipped. */
    assert_sample(r->body, "payout_webhook_deliveries_pending", 0);
    assert_sample(r->body, "payout_webhook_deliveries_failed", 0);
    assert_sample(r->body, "payout_notifications{status=\"skipped\"}", 1);
    assert_sample(r->body, "payout_notifications{status=\"sent\"}", 0);
    /* Nothing secret. */
    assert_null(strstr(r->body, admin_token));
    assert_null(strstr(r->body, api_key));
    assert_null(strstr(r->body, password));
    pp_resp_free(r);
}

/* The idempotency purge ran at start on the one server there is, which
** holds its lease (on PostgreSQL it took it; on SQLite it needs none). */
static void test_idempotency_purge_runs(void **state)
{
    (void)state;
    double passes = -1;
    for (int tries = 0; tries < 100 && passes < 1; tries++) {
        struct pp_resp *r = scrape(&srv);
        assert_int_equal(r->status, 200);
        passes = sample(r->body, "payout_idempotency_purge_passes_total");
        if (passes >= 1) {
            assert_sample(r->body, "payout_idempotency_purge_lease_held", 1);
        }
        pp_resp_free(r);
        if (passes < 1) {
            pp_sleep_ms(100);
        }
    }
    if (passes < 1) {
        fail_msg("the idempotency purge did not run within 10 s (passes %g)", passes);
    }
}

static void test_metrics_off(void **state)
{
    (void)state;
    static const char *const off_args[] = {"--metrics", "off", NULL};
    static const struct pp_server_opts off_opts = {.args = off_args};
    struct pp_server off;
    memset(&off, 0, sizeof off);
    assert_int_equal(pp_server_start(&off, &off_opts), 0);
    pp_expect_error(scrape(&off), 404, "NOT_FOUND");
    /* Any other value is refused at start. */
    static const char *const bad_args[] = {"--metrics", "yes", NULL};
    static const struct pp_server_opts bad_opts = {.args = bad_args};
    struct pp_server bad;
    memset(&bad, 0, sizeof bad);
    assert_int_not_equal(pp_server_start(&bad, &bad_opts), 0);
    pp_server_destroy(&bad);
    assert_int_equal(pp_server_stop(&off), 0);
    pp_server_destroy(&off);
}

static const struct pp_session session = {.srv = &srv,
                                          .opts = &server_opts,
                                          .admin_token = &admin_token,
                                          .api_key = &api_key,
                                          .password = &password,
                                          .funds = funds};

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metrics_count_what_happened),
        cmocka_unit_test(test_idempotency_purge_runs),
        cmocka_unit_test(test_metrics_off),
    };
    return pp_session_run("api.metrics", tests, sizeof tests / sizeof tests[0], &session);
}
