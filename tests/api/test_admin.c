/*
** This module tests the admin side of the API against the real server:
** login, the API-integration settings (enable, rotate, disable and what
** each does to the authentication password and to API keys already
** issued), /api/authenticate, role separation (an integrator key on admin
** endpoints), deposits and their validation, that logs carry no secrets, and
** the `admin` subcommand that resets a password. The tests run in order on
** one server; later tests build on earlier ones.
*/
#include "harness.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct pp_server srv;
static struct pp_server srv2; /* restarted on the same database */
static char *admin_token;
static char *password; /* current authentication password */
static char *api_key;  /* a currently valid API key */

/* Every secret seen, to prove none reaches the logs. */
#define SECRETS_MAX 64
static char *secrets[SECRETS_MAX];
static size_t secret_count;

static const char *remember(char *secret)
{
    if (secret_count < SECRETS_MAX) {
        secrets[secret_count++] = strdup(secret);
    }
    return secret;
}

static int group_setup(void **state)
{
    (void)state;
    return pp_server_start(&srv, NULL);
}

static int group_teardown(void **state)
{
    (void)state;
    pp_server_destroy(&srv2);
    pp_server_destroy(&srv);
    free(admin_token);
    free(password);
    free(api_key);
    for (size_t i = 0; i < secret_count; i++) {
        free(secrets[i]);
    }
    return 0;
}

/* A request with an API key or admin token on an integrator endpoint. */
static long balances_status(const char *token)
{
    struct pp_resp *r = pp_get(&srv, "/api/balances", token);
    long status = r->status;
    if (status == 401) {
        pp_assert_error(r, 401, "UNAUTHORIZED");
    } else {
        pp_assert_status(r, 200);
    }
    pp_resp_free(r);
    return status;
}

static struct pp_resp *authenticate_raw(const char *body)
{
    return pp_post(&srv, "/api/authenticate", NULL, body);
}

static struct pp_resp *authenticate_with(const char *pw)
{
    char *body = pp_fmt("{\"apiKey\":\"%s\"}", pw);
    struct pp_resp *r = authenticate_raw(body);
    free(body);
    return r;
}

static json_t *get_integration(void)
{
    struct pp_resp *r = pp_get(&srv, "/api/admin/settings", admin_token);
    pp_assert_status(r, 200);
    json_t *integration = json_object_get(r->json, "apiIntegration");
    if (!json_is_object(integration)) {
        fail_msg("settings without an apiIntegration object: %s", r->body);
    }
    json_incref(integration);
    pp_resp_free(r);
    return integration;
}

/* Asserts r is the bare apiIntegration object with a 32-character password
** and returns a copy of the password. */
static char *integration_password(const struct pp_resp *r, int enabled)
{
    pp_assert_status(r, 200);
    if (json_object_get(r->json, "apiIntegration") != NULL) {
        fail_msg("%s: the apiIntegration object must be bare: %s", r->what, r->body);
    }
    const json_t *en = json_object_get(r->json, "enabled");
    const json_t *pw = json_object_get(r->json, "authenticationPassword");
    if (!json_is_boolean(en) || json_is_true(en) != (enabled != 0)) {
        fail_msg("%s: enabled is not %d: %s", r->what, enabled, r->body);
    }
    if (!json_is_string(pw) || json_string_length(pw) != 32) {
        fail_msg("%s: authenticationPassword is not 32 characters: %s", r->what, r->body);
    }
    return strdup(json_string_value(pw));
}

static void test_login_ok(void **state)
{
    (void)state;
    admin_token = pp_admin_login(&srv);
    remember(admin_token);
    json_t *header = pp_jwt_header(admin_token);
    json_t *payload = pp_jwt_payload(admin_token);
    assert_non_null(header);
    assert_non_null(payload);
    pp_assert_json_str(header, "alg", "HS256");
    assert_int_equal(pp_json_int(payload, "exp") - pp_json_int(payload, "iat"), 8 * 3600);
    json_decref(header);
    json_decref(payload);
    /* Admin tokens travel like API keys: x-access-token and Bearer. */
    assert_int_equal(balances_status(admin_token), 200);
    struct pp_req req = {.path = "/api/admin/settings", .bearer = admin_token};
    struct pp_resp *r = pp_call(&srv, &req);
    pp_assert_status(r, 200);
    pp_resp_free(r);
}

static void test_login_failures(void **state)
{
    (void)state;
    struct pp_resp *wrong_email =
        pp_post(&srv, "/api/admin/login", NULL,
                "{\"email\":\"nobody@example.test\",\"password\":\"" PP_ADMIN_PASSWORD "\"}");
    pp_assert_error(wrong_email, 401, "UNAUTHORIZED");
    struct pp_resp *wrong_password =
        pp_post(&srv, "/api/admin/login", NULL,
                "{\"email\":\"" PP_ADMIN_EMAIL "\",\"password\":\"wrong-password-123\"}");
    pp_assert_error(wrong_password, 401, "UNAUTHORIZED");
    /* The same answer for both, so that emails cannot be enumerated. */
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(wrong_email->json, "error"), "message")),
        json_string_value(
            json_object_get(json_object_get(wrong_password->json, "error"), "message")));
    pp_resp_free(wrong_email);
    pp_resp_free(wrong_password);

    static const char *const bad[] = {
        "{\"password\":\"" PP_ADMIN_PASSWORD "\"}",
        "{\"email\":\"" PP_ADMIN_EMAIL "\"}",
        "{}",
        "{\"email\":\"\",\"password\":\"" PP_ADMIN_PASSWORD "\"}",
        "{\"email\":\"" PP_ADMIN_EMAIL "\",\"password\":\"\"}",
        "{\"email\":1,\"password\":\"" PP_ADMIN_PASSWORD "\"}",
        "{\"email\":\"" PP_ADMIN_EMAIL "\",\"password\":null}",
        "{\"email\":\"" PP_ADMIN_EMAIL "\",\"password\":\"" PP_ADMIN_PASSWORD "\",\"x\":1}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pp_expect_error(pp_post(&srv, "/api/admin/login", NULL, bad[i]), 400, "INVALID_PARAMS");
    }
}

static void test_settings_initial(void **state)
{
    (void)state;
    struct pp_resp *r = pp_get(&srv, "/api/admin/settings", admin_token);
    pp_assert_status(r, 200);
    const json_t *integration = json_object_get(r->json, "apiIntegration");
    assert_true(json_is_object(integration));
    assert_true(json_is_false(json_object_get(integration, "enabled")));
    const json_t *pw = json_object_get(integration, "authenticationPassword");
    if (pw == NULL || !json_is_null(pw)) {
        fail_msg("authenticationPassword must be present and null: %s", r->body);
    }
    pp_resp_free(r);
    /* Never enabled: authenticate is refused like a wrong password. */
    pp_expect_error(authenticate_with("abc0123456789"), 401, "INVALID_PARAMS");
}

/* Asserts that every admin endpoint refuses token with status and type.
** The integration switch is sent switch_body: the opposite of its state, so
** that a request that got through would show. */
static void assert_admin_routes_refuse(const char *token, long status, const char *type,
                                       const char *switch_body)
{
    const struct {
        const char *method, *path, *body;
    } routes[] = {
        {"GET", "/api/admin/settings", NULL},
        {"PUT", "/api/admin/settings/api-integration", switch_body},
        {"POST", "/api/admin/settings/api-integration/rotate", NULL},
        {"POST", "/api/admin/funds/deposit", "{\"currency\":\"GBP\",\"amount\":1}"},
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        struct pp_req req = {.method = routes[i].method,
                             .path = routes[i].path,
                             .token = token,
                             .body = routes[i].body,
                             .body_len = PP_STRLEN};
        pp_expect_error(pp_call(&srv, &req), status, type);
    }
}

static void test_admin_endpoints_need_a_token(void **state)
{
    (void)state;
    const char *tokens[] = {NULL, "garbage", "a.b.c"};
    for (size_t i = 0; i < sizeof tokens / sizeof tokens[0]; i++) {
        assert_admin_routes_refuse(tokens[i], 401, "UNAUTHORIZED", "{\"enabled\":true}");
    }
    /* None of those changed anything. */
    json_t *integration = get_integration();
    assert_true(json_is_false(json_object_get(integration, "enabled")));
    json_decref(integration);
}

static void test_enable(void **state)
{
    (void)state;
    struct pp_resp *r =
        pp_put(&srv, "/api/admin/settings/api-integration", admin_token, "{\"enabled\":true}");
    password = integration_password(r, 1);
    remember(password);
    pp_resp_free(r);

    json_t *integration = get_integration();
    assert_true(json_is_true(json_object_get(integration, "enabled")));
    pp_assert_json_str(integration, "authenticationPassword", password);
    json_decref(integration);

    /* Enabling again keeps the password. */
    r = pp_put(&srv, "/api/admin/settings/api-integration", admin_token, "{\"enabled\":true}");
    char *again = integration_password(r, 1);
    assert_string_equal(again, password);
    free(again);
    pp_resp_free(r);
}

static void test_enable_validation(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "{\"enabled\":\"yes\"}",      "{\"enabled\":1}", "{}", "{\"enabled\":null}",
        "{\"enabled\":true,\"x\":1}", "[true]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pp_expect_error(pp_put(&srv, "/api/admin/settings/api-integration", admin_token, bad[i]),
                        400, "INVALID_PARAMS");
    }
    json_t *integration = get_integration();
    assert_true(json_is_true(json_object_get(integration, "enabled")));
    pp_assert_json_str(integration, "authenticationPassword", password);
    json_decref(integration);
}

static void test_authenticate(void **state)
{
    (void)state;
    api_key = pp_authenticate(&srv, password);
    remember(api_key);
    assert_int_equal(balances_status(api_key), 200);

    pp_expect_error(authenticate_with("wrong-password-0123456789abcdef"), 401, "INVALID_PARAMS");
    /* One character off. */
    char *near = strdup(password);
    near[31] = near[31] == 'a' ? 'b' : 'a';
    pp_expect_error(authenticate_with(near), 401, "INVALID_PARAMS");
    free(near);
    pp_expect_error(authenticate_raw("{\"apiKey\":\"\"}"), 400, "INVALID_PARAMS");
    pp_expect_error(authenticate_raw("{}"), 400, "INVALID_PARAMS");
    pp_expect_error(authenticate_raw("{\"apiKey\":null}"), 400, "INVALID_PARAMS");
    pp_expect_error(authenticate_raw("{\"apiKey\":1234567890}"), 400, "INVALID_PARAMS");
    char *extra = pp_fmt("{\"apiKey\":\"%s\",\"x\":1}", password);
    pp_expect_error(authenticate_raw(extra), 400, "INVALID_PARAMS");
    free(extra);
}

static void test_integrator_key_forbidden_on_admin_endpoints(void **state)
{
    (void)state;
    assert_admin_routes_refuse(api_key, 403, "FORBIDDEN", "{\"enabled\":false}");
    struct pp_req bearer = {.path = "/api/admin/settings", .bearer = api_key};
    pp_expect_error(pp_call(&srv, &bearer), 403, "FORBIDDEN");

    /* None of them took effect: the key still works, the password is the
    ** same, the integration is on, no funds arrived. */
    assert_int_equal(balances_status(api_key), 200);
    json_t *integration = get_integration();
    assert_true(json_is_true(json_object_get(integration, "enabled")));
    pp_assert_json_str(integration, "authenticationPassword", password);
    json_decref(integration);
    pp_assert_balance_now(&srv, admin_token, "GBP", "0", "0", "0");
}

static void rotate_and_check(const char *body)
{
    char *old_password = password;
    char *old_key = api_key;

    struct pp_resp *r =
        pp_post(&srv, "/api/admin/settings/api-integration/rotate", admin_token, body);
    password = integration_password(r, 1);
    remember(password);
    pp_resp_free(r);
    assert_string_not_equal(password, old_password);

    json_t *integration = get_integration();
    pp_assert_json_str(integration, "authenticationPassword", password);
    json_decref(integration);

    /* The key issued before the rotation is revoked; the old password is
    ** refused; the new one works. */
    assert_int_equal(balances_status(old_key), 401);
    pp_expect_error(authenticate_with(old_password), 401, "INVALID_PARAMS");
    api_key = pp_authenticate(&srv, password);
    remember(api_key);
    assert_int_equal(balances_status(api_key), 200);
    assert_int_equal(balances_status(old_key), 401);
    free(old_password);
    free(old_key);
}

static void test_rotate(void **state)
{
    (void)state;
    rotate_and_check(NULL); /* empty body */
    rotate_and_check("{}");
    /* A body with unknown fields is refused and rotates nothing. */
    pp_expect_error(
        pp_post(&srv, "/api/admin/settings/api-integration/rotate", admin_token, "{\"x\":1}"), 400,
        "INVALID_PARAMS");
    json_t *integration = get_integration();
    pp_assert_json_str(integration, "authenticationPassword", password);
    json_decref(integration);
    assert_int_equal(balances_status(api_key), 200);
}

static void test_disable_and_reenable(void **state)
{
    (void)state;
    char *key_before = api_key;
    api_key = NULL;

    struct pp_resp *r =
        pp_put(&srv, "/api/admin/settings/api-integration", admin_token, "{\"enabled\":false}");
    char *kept = integration_password(r, 0);
    assert_string_equal(kept, password); /* disabling keeps the password */
    free(kept);
    pp_resp_free(r);

    json_t *integration = get_integration();
    assert_true(json_is_false(json_object_get(integration, "enabled")));
    pp_assert_json_str(integration, "authenticationPassword", password);
    json_decref(integration);

    assert_int_equal(balances_status(key_before), 401);
    pp_expect_error(authenticate_with(password), 401, "INVALID_PARAMS");

    /* Re-enabling keeps the password and does not bring old keys back. */
    r = pp_put(&srv, "/api/admin/settings/api-integration", admin_token, "{\"enabled\":true}");
    char *same = integration_password(r, 1);
    assert_string_equal(same, password);
    free(same);
    pp_resp_free(r);
    assert_int_equal(balances_status(key_before), 401);
    api_key = pp_authenticate(&srv, password);
    remember(api_key);
    assert_int_equal(balances_status(api_key), 200);
    assert_int_equal(balances_status(key_before), 401);
    free(key_before);

    /* Switching on an integration that is on changes nothing: the key
    ** issued meanwhile keeps working, and so does the password. */
    r = pp_put(&srv, "/api/admin/settings/api-integration", admin_token, "{\"enabled\":true}");
    same = integration_password(r, 1);
    assert_string_equal(same, password);
    free(same);
    pp_resp_free(r);
    assert_int_equal(balances_status(api_key), 200);
}

/* Asserts what test_deposit leaves in a /api/balances answer b, and frees b. */
static void assert_deposited(struct pp_resp *b)
{
    pp_assert_balance(b, "BHD", "1.234", "0", "0");
    pp_assert_balance(b, "GBP", "10.85", "0", "0");
    pp_assert_balance(b, "JPY", "1000", "0", "0");
    pp_resp_free(b);
}

static void test_deposit(void **state)
{
    (void)state;
    struct pp_resp *r = pp_post(&srv, "/api/admin/funds/deposit", admin_token,
                                "{\"currency\":\"GBP\",\"amount\":10.5,\"reference\":\"wire 1\"}");
    pp_assert_balance_answer(r, "GBP", "10.5", "0", "0");
    pp_resp_free(r);

    /* Without a reference or with a null one; another currency. */
    static const struct {
        const char *body, *available;
    } more[] = {
        {"{\"currency\":\"GBP\",\"amount\":0.25}", "10.75"},
        {"{\"currency\":\"GBP\",\"amount\":0.1,\"reference\":null}", "10.85"},
        {"{\"currency\":\"BHD\",\"amount\":1.234}", "1.234"},
    };
    for (size_t i = 0; i < sizeof more / sizeof more[0]; i++) {
        r = pp_post(&srv, "/api/admin/funds/deposit", admin_token, more[i].body);
        pp_assert_status(r, 200);
        pp_assert_number_text(r, "available", more[i].available);
        pp_resp_free(r);
    }

    struct pp_req bearer = {.method = "POST",
                            .path = "/api/admin/funds/deposit",
                            .bearer = admin_token,
                            .body = "{\"currency\":\"JPY\",\"amount\":1000,\"reference\":\"y\"}",
                            .body_len = PP_STRLEN};
    r = pp_call(&srv, &bearer);
    pp_assert_status(r, 200);
    pp_assert_json_str(r->json, "currency", "JPY");
    pp_assert_number_text(r, "available", "1000");
    pp_resp_free(r);

    struct pp_resp *b = pp_balances(&srv, api_key);
    const json_t *list = json_object_get(b->json, "balances");
    assert_int_equal(json_array_size(list), 3);
    pp_assert_json_str(json_array_get(list, 0), "currency", "BHD");
    pp_assert_json_str(json_array_get(list, 1), "currency", "GBP");
    pp_assert_json_str(json_array_get(list, 2), "currency", "JPY");
    assert_deposited(b);
}

static void test_deposit_validation(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "{\"currency\":\"QQQ\",\"amount\":1}",
        "{\"currency\":\"gbp\",\"amount\":1}",
        "{\"currency\":\"\",\"amount\":1}",
        "{\"currency\":\"GBPX\",\"amount\":1}",
        "{\"currency\":826,\"amount\":1}",
        "{\"currency\":\"GBP\",\"amount\":-1}",
        "{\"currency\":\"GBP\",\"amount\":0}",
        "{\"currency\":\"GBP\",\"amount\":0.0}",
        "{\"currency\":\"GBP\",\"amount\":1.001}",
        "{\"currency\":\"JPY\",\"amount\":1.5}",
        "{\"currency\":\"BHD\",\"amount\":0.0001}",
        "{\"currency\":\"GBP\",\"amount\":\"10\"}",
        "{\"currency\":\"GBP\",\"amount\":true}",
        "{\"currency\":\"GBP\",\"amount\":null}",
        "{\"currency\":\"GBP\"}",
        "{\"amount\":1}",
        "{}",
        "{\"currency\":\"GBP\",\"amount\":1,\"reference\":5}",
        "{\"currency\":\"GBP\",\"amount\":1,\"note\":\"x\"}",
        "[{\"currency\":\"GBP\",\"amount\":1}]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct pp_resp *r = pp_post(&srv, "/api/admin/funds/deposit", admin_token, bad[i]);
        if (r->status != 400) {
            fail_msg("deposit %s: expected 400, got %ld %s", bad[i], r->status, r->body);
        }
        pp_expect_error(r, 400, "INVALID_PARAMS");
    }
    struct pp_resp *b = pp_balances(&srv, admin_token);
    assert_int_equal(json_array_size(json_object_get(b->json, "balances")), 3);
    assert_deposited(b);
}

/* Requests are logged (one JSON line each) without passwords or tokens. */
static void test_logs_have_no_secrets(void **state)
{
    (void)state;
    char *log = pp_file_read(srv.err_path, NULL);
    assert_non_null(log);
    if (strstr(log, PP_ADMIN_PASSWORD) != NULL) {
        fail_msg("the admin password appears in the server log");
    }
    for (size_t i = 0; i < secret_count; i++) {
        if (strstr(log, secrets[i]) != NULL) {
            fail_msg("a secret (%.6s...) appears in the server log", secrets[i]);
        }
        /* A JWT's signature alone is a secret too. */
        const char *sig = strrchr(secrets[i], '.');
        if (sig != NULL && strlen(sig) > 10 && strstr(log, sig + 1) != NULL) {
            fail_msg("a token signature appears in the server log");
        }
    }
    size_t json_lines = 0;
    char *save = NULL;
    for (char *line = strtok_r(log, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        json_t *j = json_loads(line, 0, NULL);
        json_lines += json_is_object(j) ? 1 : 0;
        json_decref(j);
    }
    /* Far more than 50 requests were made above. */
    if (json_lines < 50) {
        fail_msg("expected one JSON access-log line per request, found %zu", json_lines);
    }
    free(log);
}

/* `payout-panel admin` resets the admin's password (server stopped). */
static void test_admin_cli_reset(void **state)
{
    (void)state;
    assert_int_equal(pp_server_stop(&srv), 0);
    const char *args[] = {"admin", "--db", srv.db_path, "--email", PP_ADMIN_EMAIL, NULL};
    const char *short_env[] = {"PAYOUT_ADMIN_PASSWORD=short", NULL};
    char *out = NULL;
    int rc = pp_run(args, short_env, &out);
    if (rc == 0) {
        fail_msg("admin accepted a password under 12 bytes: %s", out != NULL ? out : "");
    }
    free(out);
    const char *env[] = {"PAYOUT_ADMIN_PASSWORD=a-brand-new-password-42", NULL};
    rc = pp_run(args, env, &out);
    if (rc != 0) {
        fail_msg("admin --email exited %d: %s", rc, out != NULL ? out : "");
    }
    free(out);

    struct pp_server_opts opts = {.db_path = srv.db_path, .no_admin_env = 1};
    assert_int_equal(pp_server_start(&srv2, &opts), 0);
    struct pp_resp *r =
        pp_post(&srv2, "/api/admin/login", NULL,
                "{\"email\":\"" PP_ADMIN_EMAIL "\",\"password\":\"a-brand-new-password-42\"}");
    pp_assert_status(r, 200);
    pp_resp_free(r);
    pp_expect_error(pp_post(&srv2, "/api/admin/login", NULL,
                            "{\"email\":\"" PP_ADMIN_EMAIL "\",\"password\":\"" PP_ADMIN_PASSWORD
                            "\"}"),
                    401, "UNAUTHORIZED");
    /* The deposits survived the restart. */
    char *token = NULL;
    r = pp_post(&srv2, "/api/admin/login", NULL,
                "{\"email\":\"" PP_ADMIN_EMAIL "\",\"password\":\"a-brand-new-password-42\"}");
    pp_assert_status(r, 200);
    token = strdup(json_string_value(json_object_get(r->json, "token")));
    pp_resp_free(r);
    pp_assert_balance_now(&srv2, token, "GBP", "10.85", "0", "0");
    free(token);
    pp_stop_and_check(&srv2, "at the end");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_login_ok),
        cmocka_unit_test(test_login_failures),
        cmocka_unit_test(test_settings_initial),
        cmocka_unit_test(test_admin_endpoints_need_a_token),
        cmocka_unit_test(test_enable),
        cmocka_unit_test(test_enable_validation),
        cmocka_unit_test(test_authenticate),
        cmocka_unit_test(test_integrator_key_forbidden_on_admin_endpoints),
        cmocka_unit_test(test_rotate),
        cmocka_unit_test(test_disable_and_reenable),
        cmocka_unit_test(test_deposit),
        cmocka_unit_test(test_deposit_validation),
        cmocka_unit_test(test_logs_have_no_secrets),
        cmocka_unit_test(test_admin_cli_reset),
    };
    return cmocka_run_group_tests_name("api.admin", tests, group_setup, group_teardown);
}
