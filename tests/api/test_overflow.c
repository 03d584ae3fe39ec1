/*
** This module tests, through the real server, the figures that pass 2^63
** and what an unauthenticated caller may learn from /api/authenticate:
**
** - totals: 9,300 payouts of 999,999,999,999,999 KRW (the largest amount),
**   created in lists of 100 and cancelled so that 100 deposits fund them
**   all, sum to 9,299,999,999,999,990,700, past INT64_MAX. Every report
**   grouping, the recipients and projects lists with stats=true and the
**   single recipient and project answer 200 with that exact sum (it used
**   to be 500 "integer overflow", forever); `check` passes.
** - lifetime paid out: a database seeded (with the sqlite3 tool, the
**   server stopped) with 1,000 received payouts of the largest amount, so
**   paid out is 999,999,999,999,999,000 KRW, just under the old 10^18 - 1
**   bound; two more receives must succeed (each used to be 400 "amount too
**   large for the balance", forever), the balance must say the exact
**   figure, also after a restart, and `check` must pass.
** - /api/authenticate answers a wrong password the same way whether the
**   integration is enabled or not.
**
** The sums are read as the literal number text of the answer: jansson
** cannot hold an integer past 2^63, so each such answer is also parsed with
** JSON_DECODE_INT_AS_REAL to show that it is well-formed JSON.
*/
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The largest amount (PP_AMOUNT_MINOR_MAX); KRW has no decimals. */
#define BIG "999999999999999"
#define LIST_ROWS 100
#define LISTS 93
/* LIST_ROWS * LISTS * 999,999,999,999,999 > INT64_MAX (9,223,372,036,854,775,807). */
#define BIG_TOTAL "9299999999999990700"
#define BIG_COUNT (LIST_ROWS * LISTS)

static const char *const server_args[] = {"--rate-limit", "1000000", "--rate-burst", "10000000",
                                          NULL};

/* Asserts a 200 JSON answer that holds numbers jansson cannot read as
** integers: well-formed JSON all the same. */
static void assert_ok_wide(const struct pp_resp *r)
{
    if (r->status != 200) {
        fail_msg("%s: expected 200, got %ld: %.2000s", r->what, r->status, r->body);
    }
    const char *ct = pp_resp_header(r, "Content-Type");
    assert_true(ct != NULL && strncmp(ct, "application/json", 16) == 0);
    json_error_t jerr;
    json_t *j = json_loadb(r->body, r->body_len, JSON_DECODE_INT_AS_REAL, &jerr);
    if (!json_is_object(j)) {
        fail_msg("%s: not a JSON object (%s): %.2000s", r->what, jerr.text, r->body);
    }
    json_decref(j);
}

/* Decimal text of a non-negative integer without sign or point -> value. */
static unsigned __int128 wide_of(const char *text)
{
    unsigned __int128 v = 0;
    assert_true(text[0] != '\0');
    for (const char *p = text; *p != '\0'; p++) {
        assert_true(*p >= '0' && *p <= '9');
        v = v * 10 + (unsigned)(*p - '0');
    }
    return v;
}

/* --- Totals past 2^63 ------------------------------------------------------------ */

/* Creates LIST_ROWS payouts of BIG KRW in one list and cancels them. */
static void create_and_cancel(const struct pp_server *s, const char *api_key)
{
    char *row = pp_fmt("{\"amount\":%s,\"currency\":\"KRW\",\"startDate\":\"2031-01-01\","
                       "\"endDate\":\"2031-06-01\",\"name\":\"overflow project\","
                       "\"description\":\"big\",\"userName\":\"overflow-user\","
                       "\"notification\":false}",
                       BIG);
    size_t row_len = strlen(row);
    char *body = malloc(32 + LIST_ROWS * (row_len + 1));
    assert_non_null(body);
    size_t n = (size_t)sprintf(body, "{\"payments\":[");
    for (int i = 0; i < LIST_ROWS; i++) {
        n += (size_t)sprintf(body + n, "%s%s", i == 0 ? "" : ",", row);
    }
    sprintf(body + n, "]}");
    struct pp_resp *r = pp_post(s, "/api/payment/create-list", api_key, body);
    pp_assert_status(r, 200);
    const json_t *list = json_object_get(r->json, "payments");
    assert_int_equal(json_array_size(list), LIST_ROWS);
    char *ids = malloc(LIST_ROWS * 24 + 16);
    assert_non_null(ids);
    n = (size_t)sprintf(ids, "{\"ids\":[");
    for (size_t i = 0; i < LIST_ROWS; i++) {
        n += (size_t)sprintf(ids + n, "%s%lld", i == 0 ? "" : ",",
                             pp_json_int(json_array_get(list, i), "id"));
    }
    sprintf(ids + n, "]}");
    pp_resp_free(r);
    r = pp_post(s, "/api/payment/cancel", api_key, ids);
    pp_assert_status(r, 200);
    assert_int_equal(pp_json_int(r->json, "success"), LIST_ROWS);
    pp_resp_free(r);
    free(ids);
    free(body);
    free(row);
}

/* Every group of a report: their counts and exact sums add up to all the
** payouts. (The day grouping may split them at a UTC midnight.) */
static void assert_report(const struct pp_server *s, const char *api_key, const char *by,
                          size_t groups_want)
{
    char *path = pp_fmt("/api/reports/payouts?groupBy=%s", by);
    struct pp_resp *r = pp_get(s, path, api_key);
    assert_ok_wide(r);
    unsigned __int128 sum = 0;
    long long count = 0;
    size_t g = 0;
    for (;; g++) {
        char p[64], text[64];
        snprintf(p, sizeof p, "groups[%zu].sum", g);
        if (pp_json_number_text(r->body, r->body_len, p, text, sizeof text) == NULL) {
            break;
        }
        sum += wide_of(text);
        snprintf(p, sizeof p, "groups[%zu].count", g);
        assert_non_null(pp_json_number_text(r->body, r->body_len, p, text, sizeof text));
        count += atoll(text);
    }
    if (groups_want > 0) {
        assert_int_equal(g, groups_want);
        pp_assert_number_text(r, "groups[0].sum", BIG_TOTAL);
    }
    assert_true(g >= 1);
    assert_int_equal(count, BIG_COUNT);
    assert_true(sum == wide_of(BIG_TOTAL));
    pp_resp_free(r);
    free(path);
}

/* GET path answers 200 with BIG_COUNT payouts summing to BIG_TOTAL at
** prefix ("totals[0]", "recipients[0].totals[0]", ...). */
static void assert_totals(const struct pp_server *s, const char *api_key, const char *path,
                          const char *prefix)
{
    struct pp_resp *r = pp_get(s, path, api_key);
    assert_ok_wide(r);
    char p[96], count[24];
    snprintf(p, sizeof p, "%s.sum", prefix);
    pp_assert_number_text(r, p, BIG_TOTAL);
    snprintf(p, sizeof p, "%s.count", prefix);
    snprintf(count, sizeof count, "%d", BIG_COUNT);
    pp_assert_number_text(r, p, count);
    pp_resp_free(r);
}

static void test_totals_past_int64(void **state)
{
    (void)state;
    struct pp_server srv;
    char *admin = NULL, *api_key = NULL;
    const struct pp_server_opts opts = {.args = server_args};
    const struct pp_session session = {
        .srv = &srv, .opts = &opts, .admin_token = &admin, .api_key = &api_key};
    assert_int_equal(pp_session_start(&session), 0);
    for (int i = 0; i < LIST_ROWS; i++) {
        json_decref(pp_deposit(&srv, admin, "KRW", BIG));
    }
    for (int i = 0; i < LISTS; i++) {
        create_and_cancel(&srv, api_key);
    }
    static const char *const bys[] = {"project", "currency", "status", "recipient"};
    for (size_t i = 0; i < sizeof bys / sizeof bys[0]; i++) {
        assert_report(&srv, api_key, bys[i], 1);
    }
    assert_report(&srv, api_key, "day", 0);
    /* The one project and the one recipient, listed and alone. */
    struct pp_resp *r = pp_get(&srv, "/api/projects", api_key);
    pp_assert_status(r, 200);
    long long project = pp_json_int(json_array_get(json_object_get(r->json, "projects"), 0), "id");
    pp_resp_free(r);
    r = pp_get(&srv, "/api/recipients", api_key);
    pp_assert_status(r, 200);
    long long recipient =
        pp_json_int(json_array_get(json_object_get(r->json, "recipients"), 0), "id");
    pp_resp_free(r);
    assert_totals(&srv, api_key, "/api/recipients?stats=true", "recipients[0].totals[0]");
    assert_totals(&srv, api_key, "/api/projects?stats=true", "projects[0].stats[0]");
    char *path = pp_fmt("/api/recipients/%lld", recipient);
    assert_totals(&srv, api_key, path, "totals[0]");
    free(path);
    path = pp_fmt("/api/projects/%lld?stats=true", project);
    assert_totals(&srv, api_key, path, "stats[0]");
    free(path);
    /* Nothing is left blocked; the books balance. */
    pp_assert_balance_now(&srv, api_key, "KRW", "99999999999999900", "0", "0");
    pp_assert_check(srv.db_path, "after the totals");
    pp_session_stop(&session);
}

/* --- Lifetime paid out past 10^18 - 1 ---------------------------------------------- */

/* 1,000 received payouts of BIG KRW with their ledger rows (one deposit,
** a block and a payout each) and the balance they leave: everything the
** check compares agrees. */
static const char seed_sql[] =
    "BEGIN;\n"
    "INSERT INTO projects (name, created_ms) VALUES ('seeded', 1700000000000);\n"
    "INSERT INTO recipients (user_name, created_ms, updated_ms)"
    " VALUES ('seeded-user', 1700000000000, 1700000000000);\n"
    "WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)"
    " INSERT INTO payouts (project_id, recipient_id, currency, amount_minor, start_ms, end_ms,"
    " description, notification, status, created_ms, updated_ms, uuid, received_ms)"
    " SELECT (SELECT id FROM projects WHERE name = 'seeded'),"
    " (SELECT id FROM recipients WHERE user_name = 'seeded-user'), 'KRW', " BIG ","
    " 1700000000000, 1900000000000, 'seeded', 0, 3, 1700000000000, 1700000000000,"
    " printf('00000000-0000-4000-8000-%012d', i), 1700000000000 FROM n;\n"
    "INSERT INTO ledger (at_ms, currency, kind, d_available, d_blocked, d_paid_out)"
    " VALUES (1700000000000, 'KRW', 1, 999999999999999000, 0, 0);\n"
    "INSERT INTO ledger (at_ms, currency, kind, d_available, d_blocked, d_paid_out, payout_id)"
    " SELECT 1700000000000, 'KRW', 3, -" BIG ", " BIG ", 0, id FROM payouts"
    " WHERE description = 'seeded';\n"
    "INSERT INTO ledger (at_ms, currency, kind, d_available, d_blocked, d_paid_out, payout_id)"
    " SELECT 1700000000000, 'KRW', 5, 0, -" BIG ", " BIG ", id FROM payouts"
    " WHERE description = 'seeded';\n"
    "INSERT INTO balances (currency, available, blocked, paid_out)"
    " VALUES ('KRW', 0, 0, 999999999999999000);\n"
    "COMMIT;\n";

/* Creates one READY payout of BIG KRW and receives it. */
static void create_and_receive(const struct pp_server *s, const char *api_key)
{
    long long id =
        pp_payout_create(s, api_key,
                         "{\"amount\":" BIG ",\"currency\":\"KRW\",\"startDate\":\"2020-01-01\","
                         "\"endDate\":\"9999-01-01\",\"name\":\"paid out\",\"description\":"
                         "\"big\",\"userName\":\"paid-out-user\",\"notification\":false}",
                         "READY");
    char *body = pp_fmt("{\"id\":%lld,\"reference\":\"past the old bound\"}", id);
    struct pp_resp *r = pp_post(s, "/api/payment/receive", api_key, body);
    pp_assert_status(r, 200);
    pp_resp_free(r);
    free(body);
}

/* The balances answer says KRW available 0, blocked 0, paid out `paid`. */
static void assert_paid_out(const struct pp_server *s, const char *api_key, const char *paid)
{
    struct pp_resp *r = pp_get(s, "/api/balances", api_key);
    assert_ok_wide(r);
    pp_assert_number_text(r, "balances[0].available", "0");
    pp_assert_number_text(r, "balances[0].blocked", "0");
    pp_assert_number_text(r, "balances[0].paidOut", paid);
    pp_resp_free(r);
}

static void test_paid_out_past_old_bound(void **state)
{
    (void)state;
    struct pp_server srv;
    char dir[1024], db_path[1200];
    /* The database outlives each server: keep it in a directory of ours. */
    assert_int_equal(pp_temp_dir_make(dir, sizeof dir), 0);
    snprintf(db_path, sizeof db_path, "%s/payout.db", dir);
    const struct pp_server_opts opts = {.db_path = db_path, .args = server_args};
    char *admin = NULL, *api_key = NULL;
    const struct pp_session session = {
        .srv = &srv, .opts = &opts, .admin_token = &admin, .api_key = &api_key};
    /* A first run makes the schema; the seed goes in while no server runs. */
    assert_int_equal(pp_server_start(&srv, &opts), 0);
    pp_server_destroy(&srv);
    char *seed_path = pp_fmt("%s/seed.sql", dir);
    FILE *f = fopen(seed_path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(seed_sql, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
    char *cmd = pp_fmt("sqlite3 -bail '%s' < '%s'", db_path, seed_path);
    if (system(cmd) != 0) {
        fail_msg("the sqlite3 tool could not seed %s", db_path);
    }
    free(cmd);
    free(seed_path);
    pp_assert_check(db_path, "on the seed");

    assert_int_equal(pp_session_start(&session), 0);
    assert_paid_out(&srv, api_key, "999999999999999000");
    /* The first receive passes 10^18 - 1, the second starts past it. */
    json_decref(pp_deposit(&srv, admin, "KRW", BIG));
    create_and_receive(&srv, api_key);
    assert_paid_out(&srv, api_key, "1000999999999998999");
    json_decref(pp_deposit(&srv, admin, "KRW", BIG));
    create_and_receive(&srv, api_key);
    assert_paid_out(&srv, api_key, "1001999999999998998");
    /* The report of received payouts says the same figure. */
    struct pp_resp *r = pp_get(&srv,
                               "/api/reports/payouts?groupBy=currency&status=RECEIVED"
                               "&from=2020-01-01&to=9999-01-01",
                               api_key);
    assert_ok_wide(r);
    pp_assert_number_text(r, "groups[0].count", "1002");
    pp_assert_number_text(r, "groups[0].sum", "1001999999999998998");
    pp_resp_free(r);
    pp_session_stop(&session);

    /* What was written is read back the same after a restart. */
    assert_int_equal(pp_session_start(&session), 0);
    assert_paid_out(&srv, api_key, "1001999999999998998");
    pp_session_stop(&session);
    pp_assert_check(db_path, "after the restart");
    pp_temp_dir_remove(dir);
}

/* --- /api/authenticate tells nothing about the integration ------------------------ */

/* POST /api/authenticate with apiKey from its own loopback address (the
** log-in lockout counts per address). */
static struct pp_resp *authenticate(const struct pp_server *s, const char *password,
                                    const char *addr)
{
    char *body = pp_fmt("{\"apiKey\":\"%s\"}", password);
    struct pp_req req = {.method = "POST",
                         .path = "/api/authenticate",
                         .body = body,
                         .body_len = PP_STRLEN,
                         .local_addr = addr};
    struct pp_resp *r = pp_call(s, &req);
    free(body);
    return r;
}

static void test_authenticate_says_nothing_of_the_integration(void **state)
{
    (void)state;
    struct pp_server srv;
    char *admin = NULL, *password = NULL;
    const struct pp_session session = {.srv = &srv, .admin_token = &admin, .password = &password};
    assert_int_equal(pp_session_start(&session), 0);
    struct pp_resp *wrong = authenticate(&srv, "not the password", "127.0.4.1");
    pp_assert_error(wrong, 401, "INVALID_PARAMS");
    struct pp_resp *r =
        pp_put(&srv, "/api/admin/settings/api-integration", admin, "{\"enabled\":false}");
    pp_assert_status(r, 200);
    pp_resp_free(r);
    /* Disabled: a wrong password and the last right one answer exactly like
    ** a wrong password did while it was enabled. */
    const char *tries[] = {"not the password", password};
    for (size_t i = 0; i < 2; i++) {
        r = authenticate(&srv, tries[i], i == 0 ? "127.0.4.2" : "127.0.4.3");
        pp_assert_error(r, 401, "INVALID_PARAMS");
        if (strcmp(r->body, wrong->body) != 0) {
            fail_msg("disabled integration answers %s, a wrong password %s", r->body, wrong->body);
        }
        pp_resp_free(r);
    }
    pp_resp_free(wrong);
    pp_session_stop(&session);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_totals_past_int64),
        cmocka_unit_test(test_paid_out_past_old_bound),
        cmocka_unit_test(test_authenticate_says_nothing_of_the_integration),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
