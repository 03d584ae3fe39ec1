/*
** This module tests the seed document's own examples against the real
** server, field for field: authenticate, create payout (the seed's request
** with its typographic quotes fixed and currency GBP), cancel with
** {"ids":[1,2,3]}, and the error envelope. The tests run in order on one
** fresh server and database; later tests build on earlier ones.
**
** The seed's window (2018) has ended long ago: its payout is READY at
** creation and expiry closes it within about a second, returning its
** funds. The cancel part therefore works on the seed's request with a
** future window (2031), created right after it.
*/
#include "harness.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct pp_server srv;
static char *admin_token;
static char *auth_password;
static char *api_key;

/* The seed's create example, quotes fixed, PLN -> GBP. */
static const char seed_create_body[] =
    "{ \"amount\": 1, \"currency\": \"GBP\", \"startDate\": \"2018-01-01 12:00:00\", "
    "\"endDate\": \"2018-01-02 00:00:00\", \"name\": \"Project name\", \"description\": "
    "\"Payment description\", \"userName\": \"tester\", \"phoneNumber\": \"123456789\", "
    "\"referenceId\": 1, \"firstName\": \"test\", \"lastName\": \"tester\", \"email\": "
    "\"test@test.test\", \"notification\": true}";

static const struct pp_payment_want seed_payment = {
    .amount = "1",
    .currency = "GBP",
    .start_date = "2018-01-01T12:00:00.000Z",
    .end_date = "2018-01-02T00:00:00.000Z",
    .description = "Payment description",
    .notification = 1,
    .status = "READY",
};

/* The same request with a window in the future (2031), so it stays open. */
static const char future_create_body[] =
    "{ \"amount\": 1, \"currency\": \"GBP\", \"startDate\": \"2031-01-01 12:00:00\", "
    "\"endDate\": \"2031-01-02 00:00:00\", \"name\": \"Project name\", \"description\": "
    "\"Payment description\", \"userName\": \"tester\", \"phoneNumber\": \"123456789\", "
    "\"referenceId\": 1, \"firstName\": \"test\", \"lastName\": \"tester\", \"email\": "
    "\"test@test.test\", \"notification\": true}";

static const struct pp_payment_want future_payment = {
    .amount = "1",
    .currency = "GBP",
    .start_date = "2031-01-01T12:00:00.000Z",
    .end_date = "2031-01-02T00:00:00.000Z",
    .description = "Payment description",
    .notification = 1,
    .status = "READY",
};

static void before_stop(void)
{
    free(api_key);
}

/* curl -X POST /api/authenticate -H "accept: application/json"
**      -H "Content-Type: application/json" -d "{ \"apiKey\": \"...\"}" */
static void test_seed_authenticate(void **state)
{
    (void)state;
    char *body = pp_fmt("{ \"apiKey\": \"%s\"}", auth_password);
    const char *headers[] = {"accept: application/json", NULL};
    struct pp_resp *r = pp_post_with(&srv, "/api/authenticate", NULL, headers, body);
    pp_assert_status(r, 200);
    const json_t *token = json_object_get(r->json, "token");
    assert_true(json_is_string(token));
    api_key = strdup(json_string_value(token));

    /* An HS256 JWT valid for 24 hours from issue. */
    json_t *header = pp_jwt_header(api_key);
    json_t *payload = pp_jwt_payload(api_key);
    assert_non_null(header);
    assert_non_null(payload);
    pp_assert_json_str(header, "alg", "HS256");
    long long iat = pp_json_int(payload, "iat");
    long long exp = pp_json_int(payload, "exp");
    assert_int_equal(exp - iat, 24 * 3600);
    long long now = (long long)time(NULL);
    assert_true(iat >= now - 600 && iat <= now + 600);
    json_decref(header);
    json_decref(payload);
    pp_resp_free(r);
    free(body);
}

static struct pp_resp *seed_create(const char *body)
{
    const char *headers[] = {"accept: application/json", NULL};
    return pp_post_with(&srv, "/api/payment/create", api_key, headers, body);
}

/* Without funds the seed's request is refused with INSUFFICIENT_FUNDS. */
/* What a fresh database holds of each kind: nothing. */
static void assert_nothing_stored(const char *when)
{
    static const struct {
        const char *path, *key;
    } lists[] = {{"/api/projects", "projects"},
                 {"/api/recipients", "recipients"},
                 {"/api/payments", "payments"},
                 {"/api/ledger", "ledger"},
                 {"/api/balances", "balances"}};
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        size_t n = pp_list_count(&srv, api_key, lists[i].path, lists[i].key);
        if (n != 0) {
            fail_msg("%s: %s lists %zu %s", when, lists[i].path, n, lists[i].key);
        }
    }
}

/* Without funds the seed's request is refused with INSUFFICIENT_FUNDS, and
** nothing of it is written: no project, recipient, payout or ledger row,
** and no balance. */
static void test_seed_create_without_funds(void **state)
{
    (void)state;
    assert_nothing_stored("before the refused create");
    struct pp_resp *r = seed_create(seed_create_body);
    pp_assert_error(r, 422, "INSUFFICIENT_FUNDS");
    pp_resp_free(r);
    assert_nothing_stored("after the refused create");
    pp_assert_check(srv.db_path, "after the refused create");
}

static void test_seed_create(void **state)
{
    (void)state;
    json_t *balance = pp_deposit(&srv, admin_token, "GBP", "10");
    json_decref(balance);

    struct pp_resp *r = seed_create(seed_create_body);
    pp_assert_status(r, 200);
    const json_t *payments = json_object_get(r->json, "payments");
    assert_true(json_is_array(payments));
    assert_int_equal(json_array_size(payments), 1);
    const json_t *p = json_array_get(payments, 0);
    pp_assert_payment(r, "payments[0]", p, &seed_payment);
    /* A fresh database: the seed's ids (and nothing was written by the
    ** refused request before). */
    assert_int_equal(pp_json_int(p, "id"), 1);
    assert_int_equal(pp_json_int(p, "recipientId"), 1);
    assert_int_equal(pp_json_int(p, "projectId"), 1);
    pp_resp_free(r);

    /* Its window ended in 2018: expiry closes it and its funds return. */
    long long until = pp_now_ms() + 10000;
    for (;;) {
        struct pp_resp *g = pp_get(&srv, "/api/payments/1", api_key);
        pp_assert_status(g, 200);
        int expired = strcmp(json_string_value(json_object_get(g->json, "status")), "EXPIRED") == 0;
        if (!expired && pp_now_ms() > until) {
            fail_msg("the seed's 2018 payout was not expired within 10 s: %s", g->body);
        }
        pp_resp_free(g);
        if (expired) {
            break;
        }
        pp_sleep_ms(50);
    }
    pp_assert_balance_now(&srv, api_key, "GBP", "10", "0", "0");

    /* The same request with a future window: blocked and open. */
    r = seed_create(future_create_body);
    pp_assert_status(r, 200);
    p = json_array_get(json_object_get(r->json, "payments"), 0);
    pp_assert_payment(r, "payments[0]", p, &future_payment);
    assert_int_equal(pp_json_int(p, "id"), 2);
    assert_int_equal(pp_json_int(p, "recipientId"), 1);
    assert_int_equal(pp_json_int(p, "projectId"), 1);
    pp_resp_free(r);

    pp_assert_balance_now(&srv, api_key, "GBP", "9", "1", "0");
}

static void test_seed_get_by_id(void **state)
{
    (void)state;
    struct pp_resp *r = pp_get(&srv, "/api/payments/1", api_key);
    pp_assert_status(r, 200);
    struct pp_payment_want expired = seed_payment;
    expired.status = "EXPIRED";
    pp_assert_payment(r, "", r->json, &expired);
    assert_int_equal(pp_json_int(r->json, "id"), 1);
    assert_int_equal(pp_json_int(r->json, "recipientId"), 1);
    assert_int_equal(pp_json_int(r->json, "projectId"), 1);
    pp_assert_date_out(json_string_value(json_object_get(r->json, "expiredAt")));
    pp_resp_free(r);

    r = pp_get(&srv, "/api/payments/2", api_key);
    pp_assert_status(r, 200);
    pp_assert_payment(r, "", r->json, &future_payment);
    assert_int_equal(pp_json_int(r->json, "id"), 2);
    pp_resp_free(r);
}

/* The seed's error example: a required field that is empty. */
static void test_seed_error_envelope(void **state)
{
    (void)state;
    char *body = strdup(seed_create_body);
    char *desc = strstr(body, "\"Payment description\"");
    assert_non_null(desc);
    memcpy(desc, "\"\"                   ", 21); /* same length, now "" */
    struct pp_resp *r = seed_create(body);
    pp_assert_error(r, 400, "INVALID_PARAMS");
    pp_resp_free(r);
    free(body);

    /* Nothing was blocked by the refused request. */
    pp_assert_balance_now(&srv, api_key, "GBP", "9", "1", "0");
}

static struct pp_resp *seed_cancel(void)
{
    const char *headers[] = {"accept: application/json", NULL};
    struct pp_req req = {.method = "POST",
                         .path = "/api/payment/cancel",
                         .token = api_key,
                         .headers = headers,
                         .body = "{ \"ids\": [1,2,3]}",
                         .body_len = PP_STRLEN};
    return pp_call(&srv, &req);
}

/* {"ids":[1,2,3]}: payout 2 is cancelled; 1 has expired and 3 does not
** exist, so neither counts. */
static void test_seed_cancel(void **state)
{
    (void)state;
    struct pp_resp *r = seed_cancel();
    pp_assert_status(r, 200);
    assert_int_equal(pp_json_int(r->json, "success"), 1);
    pp_assert_number_text(r, "success", "1");
    pp_resp_free(r);

    struct pp_resp *g = pp_get(&srv, "/api/payments/2", api_key);
    pp_assert_status(g, 200);
    struct pp_payment_want cancelled = future_payment;
    cancelled.status = "CANCELLED";
    pp_assert_payment(g, "", g->json, &cancelled);
    pp_resp_free(g);
    g = pp_get(&srv, "/api/payments/1", api_key);
    pp_assert_status(g, 200);
    pp_assert_json_str(g->json, "status", "EXPIRED");
    pp_resp_free(g);

    pp_assert_balance_now(&srv, api_key, "GBP", "10", "0", "0");
}

static void test_seed_cancel_again(void **state)
{
    (void)state;
    struct pp_resp *r = seed_cancel();
    pp_assert_status(r, 200);
    assert_int_equal(pp_json_int(r->json, "success"), 0);
    pp_resp_free(r);

    pp_assert_balance_now(&srv, api_key, "GBP", "10", "0", "0");
}

/* The seed flow again after the cancel: the same recipient and project are
** found again (ids 1), the payout is new (id 3). */
static void test_seed_create_again(void **state)
{
    (void)state;
    struct pp_resp *r = seed_create(seed_create_body);
    pp_assert_status(r, 200);
    const json_t *p = json_array_get(json_object_get(r->json, "payments"), 0);
    pp_assert_payment(r, "payments[0]", p, &seed_payment);
    assert_int_equal(pp_json_int(p, "id"), 3);
    assert_int_equal(pp_json_int(p, "recipientId"), 1);
    assert_int_equal(pp_json_int(p, "projectId"), 1);
    pp_resp_free(r);
}

static void test_seed_check_and_shutdown(void **state)
{
    (void)state;
    pp_assert_check(srv.db_path, "server running");
    pp_stop_and_check(&srv, "after SIGTERM");
}

/* The integration is enabled; the tests sign in with its password. */
static const struct pp_session session = {.srv = &srv,
                                          .admin_token = &admin_token,
                                          .password = &auth_password,
                                          .before_stop = before_stop};

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_authenticate),
        cmocka_unit_test(test_seed_create_without_funds),
        cmocka_unit_test(test_seed_create),
        cmocka_unit_test(test_seed_get_by_id),
        cmocka_unit_test(test_seed_error_envelope),
        cmocka_unit_test(test_seed_cancel),
        cmocka_unit_test(test_seed_cancel_again),
        cmocka_unit_test(test_seed_create_again),
        cmocka_unit_test(test_seed_check_and_shutdown),
    };
    return pp_session_run("api.seed", tests, sizeof tests / sizeof tests[0], &session);
}
