/*
** This module tests the payout lifecycle through the real server: the
** authorization policy (off, always, above per currency; its settings
** object, validation and persistence across a restart), bulk authorize and
** its counting rules, receive (funds blocked -> paid out, the payout
** reference, every refusal with its reason), withdraw of unblocked funds
** only, and payout metadata (an exact round trip of strings, integers and
** reals; bad shapes refused). Balances are compared with exact texts after
** every step, and `check` runs at the end, also after a restart.
**
** Every window here is open now (2020 to 2031) or in the future, so that
** expiry cannot move funds while the tests run. Tests run in order on one
** server; later ones build on earlier ones.
*/
#include "harness.h"
#include "harness/db.h"

#include <stdlib.h>
#include <string.h>

static struct pp_server srv;
static struct pp_server srv2;
static struct pp_server *cur = &srv;
static char *admin_token;
static char *api_key;

#define OPEN_START "2020-01-01T00:00:00Z"   /* a window open now ... */
#define OPEN_END "2031-01-01T00:00:00Z"     /* ... until 2031 */
#define FUTURE_START "2030-06-01T00:00:00Z" /* a window that has not started */

static void before_stop(void)
{
    pp_server_destroy(&srv2);
}

/* --- Helpers -------------------------------------------------------------------- */

/* Creates a payout that must succeed with status want; extra is more JSON
** members (", \"metadata\":{...}") or "". Returns its id. */
static long long create_in(const char *currency, const char *amount, const char *start,
                           const char *end, const char *extra, const char *want)
{
    char *body = pp_fmt("{\"amount\":%s,\"currency\":\"%s\",\"startDate\":\"%s\","
                        "\"endDate\":\"%s\",\"name\":\"Lifecycle\",\"description\":\"d\","
                        "\"userName\":\"life-user\",\"notification\":false%s}",
                        amount, currency, start, end, extra);
    struct pp_resp *r = pp_post(cur, "/api/payment/create", api_key, body);
    pp_assert_status(r, 200);
    const json_t *p = json_array_get(json_object_get(r->json, "payments"), 0);
    pp_assert_json_str(p, "status", want);
    pp_assert_number_text(r, "payments[0].amount", amount);
    long long id = pp_json_int(p, "id");
    pp_resp_free(r);
    free(body);
    return id;
}

static long long create(const char *currency, const char *amount, const char *want)
{
    return create_in(currency, amount, OPEN_START, OPEN_END, "", want);
}

static void set_policy(const char *json, const char *want_answer)
{
    struct pp_resp *r = pp_put(cur, "/api/admin/settings/authorization", admin_token, json);
    pp_assert_status(r, 200);
    if (strcmp(r->body, want_answer) != 0) {
        fail_msg("PUT authorization %s answered %s, expected %s", json, r->body, want_answer);
    }
    pp_resp_free(r);
}

/* Posts {"ids":ids_json} to path with token and expects {"success":n}. */
static void ids_expect(const char *path, const char *token, const char *ids_json, long long n)
{
    char *body = pp_fmt("{\"ids\":%s}", ids_json);
    pp_assert_success_count(cur, path, token, body, n);
    free(body);
}

static struct pp_resp *receive(const char *token, const char *body)
{
    return pp_post(cur, "/api/payment/receive", token, body);
}

/* Asserts that the balances now are exactly before's, and frees before. */
static void assert_balances_still(struct pp_resp *before, const char *when)
{
    struct pp_resp *after = pp_balances(cur, api_key);
    if (!json_equal(before->json, after->json)) {
        fail_msg("balances changed %s: %s -> %s", when, before->body, after->body);
    }
    pp_resp_free(before);
    pp_resp_free(after);
}

/* --- Authorization policy ----------------------------------------------------- */

static void test_policy_default_off(void **state)
{
    (void)state;
    struct pp_resp *r = pp_get(cur, "/api/admin/settings", admin_token);
    pp_assert_status(r, 200);
    const json_t *a = json_object_get(r->json, "authorization");
    pp_assert_json_str(a, "mode", "off");
    assert_true(json_is_object(json_object_get(a, "thresholds")));
    assert_int_equal(json_object_size(json_object_get(a, "thresholds")), 0);
    assert_true(json_is_object(json_object_get(r->json, "apiIntegration")));
    pp_resp_free(r);

    pp_fund(cur, admin_token, "GBP", "100000");
    pp_fund(cur, admin_token, "JPY", "100000");
    pp_fund(cur, admin_token, "USD", "10000");
    create("GBP", "999", "READY");
    pp_assert_balance_now(cur, api_key, "GBP", "99001", "999", "0");
}

static void test_policy_put_get(void **state)
{
    (void)state;
    set_policy("{\"mode\":\"above\",\"thresholds\":{\"GBP\":100,\"JPY\":5000,\"BHD\":0.5}}",
               "{\"mode\":\"above\",\"thresholds\":{\"BHD\":0.5,\"GBP\":100,\"JPY\":5000}}");
    struct pp_resp *r = pp_get(cur, "/api/admin/settings", admin_token);
    pp_assert_status(r, 200);
    pp_assert_json_str(json_object_get(r->json, "authorization"), "mode", "above");
    pp_assert_number_text(r, "authorization.thresholds.GBP", "100");
    pp_assert_number_text(r, "authorization.thresholds.BHD", "0.5");
    pp_assert_number_text(r, "authorization.thresholds.JPY", "5000");
    pp_resp_free(r);

    /* Decimals and a zero threshold; null thresholds means none. */
    set_policy("{\"mode\":\"always\",\"thresholds\":{\"GBP\":0.1,\"USD\":0}}",
               "{\"mode\":\"always\",\"thresholds\":{\"GBP\":0.1,\"USD\":0}}");
    set_policy("{\"mode\":\"off\",\"thresholds\":null}", "{\"mode\":\"off\",\"thresholds\":{}}");
    set_policy("{\"mode\":\"off\"}", "{\"mode\":\"off\",\"thresholds\":{}}");

    /* Admins only. */
    pp_expect_error(
        pp_put(cur, "/api/admin/settings/authorization", api_key, "{\"mode\":\"always\"}"), 403,
        "FORBIDDEN");
    pp_expect_error(pp_put(cur, "/api/admin/settings/authorization", NULL, "{\"mode\":\"always\"}"),
                    401, "UNAUTHORIZED");
    pp_expect_error(
        pp_post(cur, "/api/admin/settings/authorization", admin_token, "{\"mode\":\"always\"}"),
        405, "METHOD_NOT_ALLOWED");
    /* Nothing of that changed the policy. */
    create("GBP", "5000", "READY");
}

static void test_policy_bad_bodies(void **state)
{
    (void)state;
    set_policy("{\"mode\":\"above\",\"thresholds\":{\"GBP\":100}}",
               "{\"mode\":\"above\",\"thresholds\":{\"GBP\":100}}");
    static const struct {
        const char *body, *why;
    } bad[] = {
        {"{}", "mode"},
        {"{\"mode\":null}", "mode"},
        {"{\"mode\":\"\"}", "mode"},
        {"{\"mode\":\"sometimes\"}", "mode"},
        {"{\"mode\":\"ABOVE\"}", "mode"},
        {"{\"mode\":1}", "mode"},
        {"{\"mode\":\"above\",\"thresholds\":\"GBP=1\"}", "thresholds"},
        {"{\"mode\":\"above\",\"thresholds\":[100]}", "thresholds"},
        {"{\"mode\":\"above\",\"thresholds\":{\"XXX\":1}}", "XXX"},
        {"{\"mode\":\"above\",\"thresholds\":{\"gbp\":1}}", "gbp"},
        {"{\"mode\":\"above\",\"thresholds\":{\"\":1}}", "thresholds"},
        {"{\"mode\":\"above\",\"thresholds\":{\"GBP\":-1}}", "GBP"},
        {"{\"mode\":\"above\",\"thresholds\":{\"GBP\":\"100\"}}", "GBP"},
        {"{\"mode\":\"above\",\"thresholds\":{\"GBP\":0.001}}", "GBP"},
        {"{\"mode\":\"above\",\"thresholds\":{\"JPY\":1.5}}", "JPY"},
        {"{\"mode\":\"above\",\"thresholds\":{\"GBP\":true}}", "GBP"},
        {"{\"mode\":\"above\",\"thresholds\":{\"GBP\":null}}", "GBP"},
        {"{\"mode\":\"above\",\"thresholds\":{\"GBP\":{}}}", "GBP"},
        {"{\"mode\":\"above\",\"thresholds\":{\"GBP\":1e20}}", "GBP"},
        {"{\"mode\":\"above\",\"thresholds\":{\"GBP\":1},\"extra\":1}", "extra"},
        {"{\"mode\":\"above\",\"thresholds\":{\"GBP\":1,\"GBP\":2}}", "JSON"},
        {"[\"above\"]", "object"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct pp_resp *r =
            pp_put(cur, "/api/admin/settings/authorization", admin_token, bad[i].body);
        if (r->status != 400) {
            fail_msg("PUT authorization %s: expected 400, got %ld %s", bad[i].body, r->status,
                     r->body);
        }
        pp_assert_error_says(r, 400, "INVALID_PARAMS", bad[i].why);
        pp_resp_free(r);
    }
    struct pp_resp *r = pp_get(cur, "/api/admin/settings", admin_token);
    pp_assert_status(r, 200);
    pp_assert_json_str(json_object_get(r->json, "authorization"), "mode", "above");
    pp_assert_number_text(r, "authorization.thresholds.GBP", "100");
    assert_int_equal(
        json_object_size(json_object_get(json_object_get(r->json, "authorization"), "thresholds")),
        1);
    pp_resp_free(r);
}

static void test_policy_decides_status(void **state)
{
    (void)state;
    set_policy("{\"mode\":\"above\",\"thresholds\":{\"GBP\":100,\"JPY\":5000}}",
               "{\"mode\":\"above\",\"thresholds\":{\"GBP\":100,\"JPY\":5000}}");
    /* Strictly above the threshold of the payout's own currency. */
    create("GBP", "99.99", "READY");
    create("GBP", "100", "READY");
    long long available = pp_balance_minor(cur, api_key, "GBP", "available");
    long long blocked = pp_balance_minor(cur, api_key, "GBP", "blocked");
    long long paid_out = pp_balance_minor(cur, api_key, "GBP", "paidOut");
    long long above = create("GBP", "100.01", "UNAUTHORIZED");
    /* An UNAUTHORIZED payout blocks its funds like any other: 100.01 moves
    ** from available to blocked, to the cent. */
    assert_int_equal(pp_balance_minor(cur, api_key, "GBP", "available"), available - 10001);
    assert_int_equal(pp_balance_minor(cur, api_key, "GBP", "blocked"), blocked + 10001);
    assert_int_equal(pp_balance_minor(cur, api_key, "GBP", "paidOut"), paid_out);
    struct pp_resp *g = pp_payout_get(cur, api_key, above);
    assert_null(json_object_get(g->json, "authorizedAt"));
    pp_resp_free(g);
    create("JPY", "5000", "READY");
    create("JPY", "5001", "UNAUTHORIZED");
    /* No threshold for USD: never. */
    create("USD", "999", "READY");

    set_policy("{\"mode\":\"always\",\"thresholds\":{\"GBP\":100}}",
               "{\"mode\":\"always\",\"thresholds\":{\"GBP\":100}}");
    create("GBP", "0.01", "UNAUTHORIZED");
    create("USD", "1", "UNAUTHORIZED");
    create("JPY", "1", "UNAUTHORIZED");

    set_policy("{\"mode\":\"off\",\"thresholds\":{\"GBP\":100}}",
               "{\"mode\":\"off\",\"thresholds\":{\"GBP\":100}}");
    create("GBP", "1000", "READY");
    create("USD", "1", "READY");
}

/* --- Authorize ------------------------------------------------------------------- */

static void test_authorize_counting(void **state)
{
    (void)state;
    set_policy("{\"mode\":\"always\"}", "{\"mode\":\"always\",\"thresholds\":{}}");
    pp_fund(cur, admin_token, "BHD", "10");
    long long p1 = create("BHD", "1.5", "UNAUTHORIZED");
    long long p2 = create("BHD", "2", "UNAUTHORIZED");
    long long p3 = create("BHD", "0.25", "UNAUTHORIZED");
    long long p4 = create("BHD", "0.001", "UNAUTHORIZED");
    pp_assert_balance_now(cur, api_key, "BHD", "6.249", "3.751", "0");

    char *ids = pp_fmt("[%lld,%lld,999999999]", p1, p1);
    ids_expect("/api/payment/authorize", admin_token, ids, 1);
    free(ids);
    struct pp_resp *g = pp_payout_get(cur, api_key, p1);
    pp_assert_json_str(g->json, "status", "READY");
    const char *at = json_string_value(json_object_get(g->json, "authorizedAt"));
    assert_non_null(at);
    pp_assert_date_out(at);
    pp_resp_free(g);
    pp_assert_payout_status(cur, api_key, p2, "UNAUTHORIZED");

    /* A cancelled payout is not authorized again; repeats count once. */
    ids = pp_fmt("[%lld]", p4);
    ids_expect("/api/payment/cancel", api_key, ids, 1);
    ids_expect("/api/payment/authorize", admin_token, ids, 0);
    free(ids);
    pp_assert_payout_status(cur, api_key, p4, "CANCELLED");

    ids = pp_fmt("[%lld,%lld,%lld,%lld,%lld]", p3, p1, p2, p3, p4);
    ids_expect("/api/payment/authorize", admin_token, ids, 2);
    ids_expect("/api/payment/authorize", admin_token, ids, 0);
    free(ids);
    pp_assert_payout_status(cur, api_key, p2, "READY");
    pp_assert_payout_status(cur, api_key, p3, "READY");
    /* Authorizing moves no funds: they are blocked since create. */
    pp_assert_balance_now(cur, api_key, "BHD", "6.25", "3.75", "0");
    /* Each authorization is in the audit log once, by the admin. */
    assert_int_equal(pp_audit_count(cur, admin_token, "payment.authorize", p1, "admin"), 1);
    assert_int_equal(pp_audit_count(cur, admin_token, "payment.authorize", p2, "admin"), 1);
    assert_int_equal(pp_audit_count(cur, admin_token, "payment.authorize", p4, "admin"), 0);

    /* Admins only; ids like cancel's. */
    ids = pp_fmt("{\"ids\":[%lld]}", p1);
    pp_expect_error(pp_post(cur, "/api/payment/authorize", api_key, ids), 403, "FORBIDDEN");
    pp_expect_error(pp_post(cur, "/api/payment/authorize", NULL, ids), 401, "UNAUTHORIZED");
    free(ids);
    static const char *const bad[] = {
        "{}",
        "{\"ids\":[]}",
        "{\"ids\":null}",
        "{\"ids\":[0]}",
        "{\"ids\":[-1]}",
        "{\"ids\":[1.5]}",
        "{\"ids\":[\"1\"]}",
        "{\"ids\":1}",
        "{\"ids\":[1],\"x\":1}",
        "[1]",
        "not json",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pp_expect_error(pp_post(cur, "/api/payment/authorize", admin_token, bad[i]), 400,
                        "INVALID_PARAMS");
    }
    set_policy("{\"mode\":\"off\"}", "{\"mode\":\"off\",\"thresholds\":{}}");
}

/* Four eyes: a panel user never authorizes a payout they created; the
** payout names its creator and its authorizer. */
static void test_authorize_four_eyes(void **state)
{
    (void)state;
    set_policy("{\"mode\":\"always\"}", "{\"mode\":\"always\",\"thresholds\":{}}");
    pp_fund(cur, admin_token, "DKK", "100");
    json_t *claims = pp_jwt_payload(admin_token);
    long long admin_id = atoll(json_string_value(json_object_get(claims, "sub")));
    json_decref(claims);
    assert_true(admin_id > 0);

    /* Created with the admin's own token: the admin may not authorize it. */
    long long own =
        pp_payout_create(cur, admin_token,
                         "{\"amount\":3,\"currency\":\"DKK\",\"startDate\":\"" OPEN_START
                         "\",\"endDate\":\"" OPEN_END "\",\"name\":\"Four eyes\","
                         "\"description\":\"d\",\"userName\":\"four-eyes\","
                         "\"notification\":false}",
                         "UNAUTHORIZED");
    /* Created with the API key: any admin may authorize it. */
    long long by_key = create("DKK", "4", "UNAUTHORIZED");
    char *ids = pp_fmt("[%lld,%lld]", own, by_key);
    ids_expect("/api/payment/authorize", admin_token, ids, 1);
    ids_expect("/api/payment/authorize", admin_token, ids, 0);
    free(ids);

    struct pp_resp *g = pp_payout_get(cur, api_key, own);
    pp_assert_json_str(g->json, "status", "UNAUTHORIZED");
    assert_int_equal(pp_json_int(g->json, "createdByUserId"), admin_id);
    assert_null(json_object_get(g->json, "authorizedByUserId"));
    pp_resp_free(g);
    g = pp_payout_get(cur, api_key, by_key);
    pp_assert_json_str(g->json, "status", "READY");
    assert_null(json_object_get(g->json, "createdByUserId"));
    assert_int_equal(pp_json_int(g->json, "authorizedByUserId"), admin_id);
    pp_resp_free(g);
    assert_int_equal(pp_audit_count(cur, admin_token, "payment.authorize", own, "admin"), 0);
    assert_int_equal(pp_audit_count(cur, admin_token, "payment.authorize", by_key, "admin"), 1);
    /* Its funds stay blocked until someone else authorizes or it is cancelled. */
    pp_assert_balance_now(cur, api_key, "DKK", "93", "7", "0");
    set_policy("{\"mode\":\"off\"}", "{\"mode\":\"off\",\"thresholds\":{}}");
}

/* --- Receive --------------------------------------------------------------------- */

/* Receives a new CHF payout of 1 without a reference, by an admin, and one
** of 0.5 with an empty reference: both are stored without one. Returns the
** first one's id. */
static long long receive_without_reference(void)
{
    long long q = create("CHF", "1", "READY");
    char *body = pp_fmt("{\"id\":%lld}", q);
    struct pp_resp *r = receive(admin_token, body);
    pp_assert_status(r, 200);
    pp_assert_json_str(r->json, "status", "RECEIVED");
    assert_null(json_object_get(r->json, "reference"));
    pp_resp_free(r);
    free(body);
    long long q2 = create("CHF", "0.5", "READY");
    body = pp_fmt("{\"id\":%lld,\"reference\":\"\"}", q2);
    r = receive(api_key, body);
    pp_assert_status(r, 200);
    assert_null(json_object_get(r->json, "reference"));
    pp_resp_free(r);
    free(body);
    return q;
}

/* Fails unless item i of the payout list answered in list equals, as
** JSON, its payout's GET. Returns the item's notification count. */
static size_t item_is_its_get(const struct pp_resp *list, size_t i)
{
    const json_t *item = json_array_get(json_object_get(list->json, "payments"), i);
    struct pp_resp *one = pp_payout_get(cur, api_key, pp_json_int(item, "id"));
    pp_assert_status(one, 200);
    if (!json_equal(one->json, item)) {
        fail_msg("list item %zu and its GET differ:\n%s\n%s", i, list->body, one->body);
    }
    pp_resp_free(one);
    return json_array_size(json_object_get(item, "notifications"));
}

/* A list page whose rows have none, one and two notifications, listed
** out of id order (the page's notifications are read at once and matched
** to their rows): every item is byte for byte its payout's GET. received
** is a payout with both e-mails. */
static void page_notifications_check(long long received)
{
    static const char *const patches[] = {
        "\"userName\":\"page-told\",\"email\":\"page-told@example.test\",\"notification\":true",
        "\"userName\":\"page-quiet\",\"email\":\"page-quiet@example.test\","
        "\"notification\":false",
        "\"userName\":\"page-no-email\",\"notification\":true",
    };
    long long ids[4] = {received, 0, 0, 0};
    pp_fund(cur, admin_token, "CHF", "20");
    for (size_t i = 0; i < 3; i++) {
        /* Amounts fall as ids rise, so amount order is not id order. */
        char *body = pp_fmt("{\"amount\":%zu,\"currency\":\"CHF\",\"startDate\":\"%s\","
                            "\"endDate\":\"%s\",\"name\":\"Lifecycle\",\"description\":\"d\","
                            "%s}",
                            5 - i, OPEN_START, OPEN_END, patches[i]);
        ids[i + 1] = pp_payout_create(cur, api_key, body, NULL);
        free(body);
    }
    char *path = pp_fmt("/api/payments?ids=%lld,%lld,%lld,%lld&orderBy=amount&dir=asc", ids[0],
                        ids[1], ids[2], ids[3]);
    struct pp_resp *list = pp_get(cur, path, api_key);
    pp_assert_status(list, 200);
    const json_t *items = json_object_get(list->json, "payments");
    assert_int_equal(json_array_size(items), 4);
    size_t told = 0;
    for (size_t i = 0; i < 4; i++) {
        told += item_is_its_get(list, i);
    }
    /* received: 2, page-told: 1, the quiet one and the one without e-mail: 0. */
    assert_int_equal(told, 3);
    assert_int_equal(pp_json_int(json_array_get(items, 0), "id"), received);
    pp_resp_free(list);
    free(path);
    /* Ids far apart are read another way (not as one range of ids): the
    ** same answers. */
    long long gap[20];
    for (int i = 0; i < 20; i++) {
        char *body = pp_fmt("{\"amount\":0.01,\"currency\":\"CHF\",\"startDate\":\"%s\","
                            "\"endDate\":\"%s\",\"name\":\"Lifecycle\",\"description\":\"gap\","
                            "\"userName\":\"page-gap\",\"email\":\"gap@example.test\","
                            "\"notification\":true}",
                            OPEN_START, OPEN_END);
        gap[i] = pp_payout_create(cur, api_key, body, NULL);
        free(body);
    }
    path = pp_fmt("/api/payments?ids=%lld,%lld", received, gap[19]);
    list = pp_get(cur, path, api_key);
    pp_assert_status(list, 200);
    items = json_object_get(list->json, "payments");
    assert_int_equal(json_array_size(items), 2);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(item_is_its_get(list, i), i == 0 ? 2 : 1);
    }
    pp_resp_free(list);
    free(path);
    /* Ids close together are read as one range, whose other payouts'
    ** e-mails (nine here, more than the two ids' share) are skipped. */
    path = pp_fmt("/api/payments?ids=%lld,%lld", gap[0], gap[10]);
    list = pp_get(cur, path, api_key);
    pp_assert_status(list, 200);
    items = json_object_get(list->json, "payments");
    assert_int_equal(json_array_size(items), 2);
    for (size_t i = 0; i < 2; i++) {
        const json_t *notes = json_object_get(json_array_get(items, i), "notifications");
        assert_int_equal(json_array_size(notes), 1);
        pp_assert_json_str(json_array_get(notes, 0), "kind", "ready");
    }
    pp_resp_free(list);
    free(path);
}

/* A received payout with notification on: the receive answer ends with
** both e-mails (ready at creation, received now; skipped without
** --smtp-url), exactly as GET answers the payout afterwards. */
static void test_receive_notifications(void **state)
{
    (void)state;
    pp_fund(cur, admin_token, "CHF", "5");
    char *body = pp_fmt("{\"amount\":1,\"currency\":\"CHF\",\"startDate\":\"%s\","
                        "\"endDate\":\"%s\",\"name\":\"Lifecycle\",\"description\":\"d\","
                        "\"userName\":\"life-told\",\"email\":\"told@example.test\","
                        "\"notification\":true}",
                        OPEN_START, OPEN_END);
    long long id = pp_payout_create(cur, api_key, body, NULL);
    free(body);
    body = pp_fmt("{\"id\":%lld}", id);
    struct pp_resp *r = receive(api_key, body);
    free(body);
    pp_assert_status(r, 200);
    struct pp_payment_want want = {
        .amount = "1",
        .currency = "CHF",
        .start_date = "2020-01-01T00:00:00.000Z",
        .end_date = "2031-01-01T00:00:00.000Z",
        .description = "d",
        .notification = 1,
        .status = "RECEIVED",
    };
    pp_assert_payment(r, "", r->json, &want);
    const json_t *notes = json_object_get(r->json, "notifications");
    assert_int_equal(json_array_size(notes), 2);
    pp_assert_json_str(json_array_get(notes, 0), "kind", "ready");
    pp_assert_json_str(json_array_get(notes, 1), "kind", "received");
    pp_assert_json_str(json_array_get(notes, 1), "status", "skipped");
    struct pp_resp *g = pp_payout_get(cur, api_key, id);
    pp_assert_status(g, 200);
    if (strcmp(g->body, r->body) != 0) {
        fail_msg("the receive answer and GET differ:\n%s\n%s", r->body, g->body);
    }
    pp_resp_free(g);
    pp_resp_free(r);
    page_notifications_check(id);
}

static void test_receive_success(void **state)
{
    (void)state;
    pp_fund(cur, admin_token, "CHF", "10");
    long long p = create("CHF", "2.5", "READY");
    pp_assert_balance_now(cur, api_key, "CHF", "7.5", "2.5", "0");
    char *body = pp_fmt("{\"id\":%lld,\"reference\":\"bank transfer 42 \\u00e9\"}", p);
    struct pp_resp *r = receive(api_key, body);
    pp_assert_status(r, 200);
    struct pp_payment_want want = {
        .amount = "2.5",
        .currency = "CHF",
        .start_date = "2020-01-01T00:00:00.000Z",
        .end_date = "2031-01-01T00:00:00.000Z",
        .description = "d",
        .notification = 0,
        .status = "RECEIVED",
    };
    pp_assert_payment(r, "", r->json, &want);
    assert_int_equal(pp_json_int(r->json, "id"), p);
    pp_assert_json_str(r->json, "reference", "bank transfer 42 \xc3\xa9");
    const char *received_text = json_string_value(json_object_get(r->json, "receivedAt"));
    assert_non_null(received_text);
    pp_assert_date_out(received_text);
    char *received = strdup(received_text);
    pp_resp_free(r);
    free(body);
    pp_assert_balance_now(cur, api_key, "CHF", "7.5", "0", "2.5");
    assert_int_equal(pp_audit_count(cur, admin_token, "payment.receive", p, "integrator"), 1);

    /* The stored payout says the same. */
    r = pp_payout_get(cur, api_key, p);
    pp_assert_json_str(r->json, "status", "RECEIVED");
    pp_assert_json_str(r->json, "reference", "bank transfer 42 \xc3\xa9");
    pp_assert_json_str(r->json, "receivedAt", received);
    pp_resp_free(r);
    free(received);

    long long q = receive_without_reference();
    pp_assert_balance_now(cur, api_key, "CHF", "6", "0", "4");

    /* Twice: refused, nothing moves. */
    body = pp_fmt("{\"id\":%lld,\"reference\":\"again\"}", p);
    r = receive(api_key, body);
    pp_assert_error_says(r, 400, "INVALID_PARAMS", "already received");
    pp_resp_free(r);
    free(body);
    r = pp_payout_get(cur, api_key, p);
    pp_assert_json_str(r->json, "reference", "bank transfer 42 \xc3\xa9");
    pp_resp_free(r);
    /* A received payout cannot be cancelled. */
    body = pp_fmt("[%lld,%lld]", p, q);
    ids_expect("/api/payment/cancel", api_key, body, 0);
    free(body);
    pp_assert_balance_now(cur, api_key, "CHF", "6", "0", "4");
}

/* Unknown ids and bad bodies are refused (early is a receivable payout);
** a reference of exactly 200 bytes is taken, on a new SEK payout of 4. */
static void receive_bad_bodies(long long early)
{
    /* Unknown id; bad bodies. */
    struct pp_resp *r = receive(api_key, "{\"id\":999999999}");
    pp_assert_error(r, 404, "NOT_FOUND");
    pp_resp_free(r);
    char *long_ref = malloc(202);
    memset(long_ref, 'r', 201);
    long_ref[201] = '\0';
    char *too_long = pp_fmt("{\"id\":%lld,\"reference\":\"%s\"}", early, long_ref);
    char *ref_number = pp_fmt("{\"id\":%lld,\"reference\":5}", early);
    char *extra = pp_fmt("{\"id\":%lld,\"amount\":1}", early);
    const char *bad[] = {"{}",
                         "{\"id\":null}",
                         "{\"id\":0}",
                         "{\"id\":-3}",
                         "{\"id\":1.5}",
                         "{\"id\":\"1\"}",
                         "{\"id\":[1]}",
                         "{\"ids\":[1]}",
                         too_long,
                         ref_number,
                         extra,
                         "[]",
                         ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = receive(api_key, bad[i]);
        if (r->status != 400) {
            fail_msg("receive %s: expected 400, got %ld %s", bad[i], r->status, r->body);
        }
        pp_assert_error(r, 400, "INVALID_PARAMS");
        pp_resp_free(r);
    }
    /* Exactly 200 bytes is fine (checked on a receivable payout). */
    long_ref[200] = '\0';
    long long p200 = create("SEK", "4", "READY");
    char *body = pp_fmt("{\"id\":%lld,\"reference\":\"%s\"}", p200, long_ref);
    r = receive(api_key, body);
    pp_assert_status(r, 200);
    pp_assert_json_str(r->json, "reference", long_ref);
    pp_resp_free(r);
    free(body);
    free(long_ref);
    free(too_long);
    free(ref_number);
    free(extra);
    r = receive(NULL, "{\"id\":1}");
    pp_assert_error(r, 401, "UNAUTHORIZED");
    pp_resp_free(r);
}

static void test_receive_refusals(void **state)
{
    (void)state;
    pp_fund(cur, admin_token, "SEK", "100");
    /* Not authorized yet. */
    set_policy("{\"mode\":\"always\"}", "{\"mode\":\"always\",\"thresholds\":{}}");
    long long unauthorized = create("SEK", "1", "UNAUTHORIZED");
    set_policy("{\"mode\":\"off\"}", "{\"mode\":\"off\",\"thresholds\":{}}");
    char *body = pp_fmt("{\"id\":%lld}", unauthorized);
    struct pp_resp *r = receive(api_key, body);
    pp_assert_error_says(r, 400, "INVALID_PARAMS", "not authorized");
    pp_resp_free(r);
    /* Once authorized it can be received. */
    char *ids = pp_fmt("[%lld]", unauthorized);
    ids_expect("/api/payment/authorize", admin_token, ids, 1);
    free(ids);
    r = receive(api_key, body);
    pp_assert_status(r, 200);
    pp_assert_json_str(r->json, "status", "RECEIVED");
    const char *authorized = json_string_value(json_object_get(r->json, "authorizedAt"));
    assert_non_null(authorized);
    pp_assert_date_out(authorized);
    pp_resp_free(r);
    free(body);

    /* Cancelled. */
    long long cancelled = create("SEK", "2", "READY");
    ids = pp_fmt("[%lld]", cancelled);
    ids_expect("/api/payment/cancel", api_key, ids, 1);
    free(ids);
    body = pp_fmt("{\"id\":%lld}", cancelled);
    r = receive(api_key, body);
    pp_assert_error_says(r, 400, "INVALID_PARAMS", "cancelled");
    pp_resp_free(r);
    free(body);
    pp_assert_payout_status(cur, api_key, cancelled, "CANCELLED");

    /* Before its window. */
    long long early = create_in("SEK", "3", FUTURE_START, OPEN_END, "", "READY");
    body = pp_fmt("{\"id\":%lld,\"reference\":\"too early\"}", early);
    r = receive(api_key, body);
    pp_assert_error_says(r, 400, "INVALID_PARAMS", "before its startDate 2030-06-01T00:00:00.000Z");
    pp_resp_free(r);
    free(body);
    pp_assert_payout_status(cur, api_key, early, "READY");
    pp_assert_balance_now(cur, api_key, "SEK", "96", "3", "1");

    receive_bad_bodies(early);
    pp_assert_balance_now(cur, api_key, "SEK", "92", "3", "5");
}

/* --- Withdraw -------------------------------------------------------------------- */

static struct pp_resp *withdraw(const char *token, const char *body)
{
    return pp_post(cur, "/api/admin/funds/withdraw", token, body);
}

static void test_withdraw(void **state)
{
    (void)state;
    pp_fund(cur, admin_token, "NOK", "100");
    create("NOK", "30", "READY"); /* 30 blocked: not withdrawable */
    struct pp_resp *r =
        withdraw(admin_token, "{\"currency\":\"NOK\",\"amount\":10.5,\"reference\":\"to bank\"}");
    pp_assert_balance_answer(r, "NOK", "59.5", "30", "0");
    pp_resp_free(r);
    pp_assert_balance_now(cur, api_key, "NOK", "59.5", "30", "0");

    /* More than the available funds (blocked ones do not count): 422, nothing written. */
    r = withdraw(admin_token, "{\"currency\":\"NOK\",\"amount\":59.51}");
    pp_assert_error(r, 422, "INSUFFICIENT_FUNDS");
    pp_resp_free(r);
    r = withdraw(admin_token, "{\"currency\":\"NOK\",\"amount\":89.5}");
    pp_assert_error(r, 422, "INSUFFICIENT_FUNDS");
    pp_resp_free(r);
    r = withdraw(admin_token, "{\"currency\":\"PLN\",\"amount\":1}"); /* never funded */
    pp_assert_error(r, 422, "INSUFFICIENT_FUNDS");
    pp_resp_free(r);
    pp_assert_balance_now(cur, api_key, "NOK", "59.5", "30", "0");

    /* Exactly what is available. */
    r = withdraw(admin_token, "{\"currency\":\"NOK\",\"amount\":59.5}");
    pp_assert_status(r, 200);
    pp_assert_number_text(r, "available", "0");
    pp_assert_number_text(r, "blocked", "30");
    pp_resp_free(r);
    r = withdraw(admin_token, "{\"currency\":\"NOK\",\"amount\":0.01}");
    pp_assert_error(r, 422, "INSUFFICIENT_FUNDS");
    pp_resp_free(r);

    static const char *const bad[] = {
        "{}",
        "{\"currency\":\"NOK\"}",
        "{\"amount\":1}",
        "{\"currency\":\"NOK\",\"amount\":0}",
        "{\"currency\":\"NOK\",\"amount\":-1}",
        "{\"currency\":\"NOK\",\"amount\":\"1\"}",
        "{\"currency\":\"NOK\",\"amount\":0.001}",
        "{\"currency\":\"nok\",\"amount\":1}",
        "{\"currency\":\"XXX\",\"amount\":1}",
        "{\"currency\":\"NOK\",\"amount\":1,\"reference\":7}",
        "{\"currency\":\"NOK\",\"amount\":1,\"to\":\"me\"}",
        "[]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = withdraw(admin_token, bad[i]);
        if (r->status != 400) {
            fail_msg("withdraw %s: expected 400, got %ld %s", bad[i], r->status, r->body);
        }
        pp_assert_error(r, 400, "INVALID_PARAMS");
        pp_resp_free(r);
    }
    r = withdraw(api_key, "{\"currency\":\"NOK\",\"amount\":1}");
    pp_assert_error(r, 403, "FORBIDDEN");
    pp_resp_free(r);
    r = withdraw(NULL, "{\"currency\":\"NOK\",\"amount\":1}");
    pp_assert_error(r, 401, "UNAUTHORIZED");
    pp_resp_free(r);
    pp_fund(cur, admin_token, "NOK", "5");
    pp_assert_balance_now(cur, api_key, "NOK", "5", "30", "0");
    /* The two withdrawals are audited; the refused ones left no entry. */
    assert_int_equal(pp_audit_count(cur, admin_token, "funds.withdraw", 0, "admin"), 2);
}

/* --- Metadata -------------------------------------------------------------------- */

static void test_metadata_round_trip(void **state)
{
    (void)state;
    static const char meta[] =
        "{\"orderId\":\"A-1\",\"unicode\":\"Za\\u017c\\u00f3\\u0142\\u0107 \xe6\xbc\xa2 "
        "\xf0\x9f\x8e\x89\",\"quote\":\"a \\\"b\\\" \\\\ c\\n\",\"empty\":\"\","
        "\"int\":42,\"neg\":-7,\"zero\":0,\"big\":9007199254740993,"
        "\"max\":9223372036854775807,\"min\":-9223372036854775808,"
        "\"tenth\":0.1,\"third\":0.3333333333333333,\"pi\":3.141592653589793,"
        "\"one\":1.0,\"small\":1e-7,\"huge\":1.5e300,\"negreal\":-2.5,"
        "\"yes\":true,\"no\":false,\"nothing\":null}";
    char *extra = pp_fmt(",\"metadata\":%s", meta);
    char *body = pp_fmt("{\"amount\":1,\"currency\":\"GBP\",\"startDate\":\"" OPEN_START
                        "\",\"endDate\":\"" OPEN_END "\",\"name\":\"Meta\",\"description\":\"d\","
                        "\"referenceId\":77,\"notification\":true%s}",
                        extra);
    struct pp_resp *r = pp_post(cur, "/api/payment/create", api_key, body);
    pp_assert_status(r, 200);
    json_t *sent = json_loads(meta, 0, NULL);
    assert_non_null(sent);
    const json_t *p = json_array_get(json_object_get(r->json, "payments"), 0);
    const json_t *got = json_object_get(p, "metadata");
    if (!json_is_object(got) || !json_equal(got, sent)) {
        fail_msg("metadata came back as %s", r->body);
    }
    /* The literal texts: exact, never 0.10000000000000001, reals stay reals. */
    static const struct {
        const char *key, *text;
    } numbers[] = {
        {"int", "42"},
        {"neg", "-7"},
        {"zero", "0"},
        {"big", "9007199254740993"},
        {"max", "9223372036854775807"},
        {"min", "-9223372036854775808"},
        {"tenth", "0.1"},
        {"third", "0.3333333333333333"},
        {"pi", "3.141592653589793"},
        {"one", "1.0"},
        {"negreal", "-2.5"},
    };
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
        char path[64];
        snprintf(path, sizeof path, "payments[0].metadata.%s", numbers[i].key);
        pp_assert_number_text(r, path, numbers[i].text);
    }
    assert_true(json_is_real(json_object_get(got, "one")));
    assert_true(json_is_real(json_object_get(got, "small")));
    long long id = pp_json_int(p, "id");
    /* Keys in the order sent. */
    const char *first = strstr(r->body, "\"orderId\"");
    const char *last = strstr(r->body, "\"nothing\"");
    assert_true(first != NULL && last != NULL && first < last);
    pp_resp_free(r);

    /* GET answers the same object, with the same texts. */
    r = pp_payout_get(cur, api_key, id);
    if (!json_equal(json_object_get(r->json, "metadata"), sent)) {
        fail_msg("GET metadata: %s", r->body);
    }
    pp_assert_number_text(r, "metadata.tenth", "0.1");
    pp_assert_number_text(r, "metadata.big", "9007199254740993");
    pp_resp_free(r);
    json_decref(sent);
    free(body);
    free(extra);
}

/* An empty object stays {}; absent or null metadata is null; the limits
** themselves are accepted. */
static void test_metadata_empty_null_and_limits(void **state)
{
    (void)state;
    long long e = create_in("GBP", "1", OPEN_START, OPEN_END, ",\"metadata\":{}", "READY");
    struct pp_resp *r = pp_payout_get(cur, api_key, e);
    assert_true(json_is_object(json_object_get(r->json, "metadata")));
    assert_int_equal(json_object_size(json_object_get(r->json, "metadata")), 0);
    pp_resp_free(r);
    long long n = create_in("GBP", "1", OPEN_START, OPEN_END, ",\"metadata\":null", "READY");
    r = pp_payout_get(cur, api_key, n);
    assert_true(json_is_null(json_object_get(r->json, "metadata")));
    pp_resp_free(r);
    n = create("GBP", "1", "READY");
    r = pp_payout_get(cur, api_key, n);
    assert_true(json_is_null(json_object_get(r->json, "metadata")));
    pp_resp_free(r);

    /* The limits themselves are accepted: 32 keys, 40-byte keys, 500-byte
    ** strings. */
    char *big = strdup("{");
    for (int i = 0; i < 32; i++) {
        char *next = pp_fmt("%s%s\"k%d\":%d", big, i ? "," : "", i, i);
        free(big);
        big = next;
    }
    char *m = pp_fmt(",\"metadata\":%s}", big);
    create_in("GBP", "1", OPEN_START, OPEN_END, m, "READY");
    free(m);
    free(big);
    create_in("GBP", "1", OPEN_START, OPEN_END,
              ",\"metadata\":{\"k123456789012345678901234567890123456789\":1}", "READY");
    char s500[501];
    memset(s500, 's', 500);
    s500[500] = '\0';
    m = pp_fmt(",\"metadata\":{\"a\":\"%s\"}", s500);
    create_in("GBP", "1", OPEN_START, OPEN_END, m, "READY");
    free(m);
}

/* A create with this metadata is refused with a message about it. */
static void assert_metadata_refused(const char *metadata)
{
    char *extra = pp_fmt(",\"metadata\":%s", metadata);
    char *body = pp_fmt("{\"amount\":1,\"currency\":\"GBP\",\"startDate\":\"" OPEN_START
                        "\",\"endDate\":\"" OPEN_END "\",\"name\":\"Meta\","
                        "\"description\":\"d\",\"referenceId\":78,\"notification\":true%s}",
                        extra);
    struct pp_resp *r = pp_post(cur, "/api/payment/create", api_key, body);
    if (r->status != 400) {
        fail_msg("metadata %.80s: expected 400, got %ld %.300s", metadata, r->status, r->body);
    }
    pp_assert_error_says(r, 400, "INVALID_PARAMS", "metadata");
    pp_resp_free(r);
    free(body);
    free(extra);
}

static void test_metadata_bad(void **state)
{
    (void)state;
    struct pp_resp *before = pp_balances(cur, api_key);
    char s501[502], k41[42], s400[401];
    memset(s501, 's', 501);
    s501[501] = '\0';
    memset(k41, 'k', 41);
    k41[41] = '\0';
    memset(s400, 'x', 400);
    s400[400] = '\0';
    char *keys33 = strdup("{");
    for (int i = 0; i < 33; i++) {
        char *next = pp_fmt("%s%s\"k%d\":%d", keys33, i ? "," : "", i, i);
        free(keys33);
        keys33 = next;
    }
    char *with33 = pp_fmt("%s}", keys33);
    char *long_string = pp_fmt("{\"a\":\"%s\"}", s501);
    char *long_key = pp_fmt("{\"%s\":1}", k41);
    char *too_big = pp_fmt("{\"a\":\"%s\",\"b\":\"%s\",\"c\":\"%s\"}", s400, s400, s400);
    /* 0x01 is escaped as \u0001 (6 bytes) once compact: 200 of them pass the
    ** 500-byte string limit but not the 1024-byte total. */
    char esc[1300] = "";
    for (int i = 0; i < 200; i++) {
        strcat(esc, "\\u0001");
    }
    char *escaped = pp_fmt("{\"a\":\"%s\"}", esc);
    const char *bad[] = {"[]",
                         "[1,2]",
                         "\"text\"",
                         "42",
                         "true",
                         "{\"a\":{}}",
                         "{\"a\":{\"b\":1}}",
                         "{\"a\":[]}",
                         "{\"a\":[1]}",
                         "{\"\":1}",
                         with33,
                         long_string,
                         long_key,
                         too_big,
                         escaped};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_metadata_refused(bad[i]);
    }
    free(keys33);
    free(with33);
    free(long_string);
    free(long_key);
    free(too_big);
    free(escaped);
    /* Nothing was blocked by any of them. */
    assert_balances_still(before, "after the refused metadata");
}

/* --- Durability -------------------------------------------------------------------- */

static void test_check_and_restart(void **state)
{
    (void)state;
    set_policy("{\"mode\":\"above\",\"thresholds\":{\"GBP\":50}}",
               "{\"mode\":\"above\",\"thresholds\":{\"GBP\":50}}");
    struct pp_resp *before = pp_balances(cur, api_key);
    pp_assert_check(cur->db_path, "server running");
    pp_stop_and_check(&srv, "after SIGTERM");

    pp_server_restart_signed_in(&srv2, &srv, NULL, &admin_token, &api_key);
    cur = &srv2;
    /* The policy survived the restart and still decides. */
    struct pp_resp *r = pp_get(cur, "/api/admin/settings", admin_token);
    pp_assert_status(r, 200);
    pp_assert_json_str(json_object_get(r->json, "authorization"), "mode", "above");
    pp_assert_number_text(r, "authorization.thresholds.GBP", "50");
    pp_resp_free(r);
    assert_balances_still(before, "over the restart");
    create("GBP", "50.01", "UNAUTHORIZED");
    create("GBP", "50", "READY");
    pp_stop_and_check(&srv2, "after restart and SIGTERM");
}

static const struct pp_session session = {
    .srv = &srv, .admin_token = &admin_token, .api_key = &api_key, .before_stop = before_stop};

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy_default_off),
        cmocka_unit_test(test_policy_put_get),
        cmocka_unit_test(test_policy_bad_bodies),
        cmocka_unit_test(test_policy_decides_status),
        cmocka_unit_test(test_authorize_counting),
        cmocka_unit_test(test_authorize_four_eyes),
        cmocka_unit_test(test_receive_success),
        cmocka_unit_test(test_receive_notifications),
        cmocka_unit_test(test_receive_refusals),
        cmocka_unit_test(test_withdraw),
        cmocka_unit_test(test_metadata_round_trip),
        cmocka_unit_test(test_metadata_empty_null_and_limits),
        cmocka_unit_test(test_metadata_bad),
        cmocka_unit_test(test_check_and_restart),
    };
    return pp_session_run("api.lifecycle", tests, sizeof tests / sizeof tests[0], &session);
}
