/*
** This module tests the HTTP layer of the real server: unknown routes
** (404) and wrong methods (405 with Allow), the body limit (413, and a body
** of exactly the limit accepted), malformed, truncated, non-object and
** duplicate-key JSON, content types (415), X-Request-Id on every response,
** tokens (missing, garbage, forged, tampered, Bearer), the version endpoint
** and subcommand, configuration from the environment, and graceful
** shutdown (SIGTERM and SIGINT exit 0; a request in flight completes).
*/
#include "harness.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

static struct pp_server srv;
static struct pp_server srv_env;
static struct pp_server srv_stop;
static char *admin_token;
static char *api_key;

static const char *const funds[] = {"GBP", "100", NULL};
static void before_stop(void)
{
    pp_server_destroy(&srv_stop);
    pp_server_destroy(&srv_env);
}

static struct pp_resp *send_raw(const char *method, const char *path, const char *token,
                                const char *content_type, const char *body, size_t len)
{
    struct pp_req req = {.method = method,
                         .path = path,
                         .token = token,
                         .content_type = content_type,
                         .body = body,
                         .body_len = len};
    return pp_call(&srv, &req);
}

static void assert_alive(void)
{
    struct pp_resp *r = pp_get(&srv, "/api/version", NULL);
    pp_assert_status(r, 200);
    pp_resp_free(r);
}

static void assert_gbp_untouched(void)
{
    pp_assert_balance_now(&srv, api_key, "GBP", "100", "0", "0");
}

static void test_version(void **state)
{
    (void)state;
    struct pp_resp *r = pp_get(&srv, "/api/version", NULL);
    pp_assert_status(r, 200);
    pp_assert_json_str(r->json, "status", "ok");
    pp_assert_json_str(r->json, "version", "0.1.0");
    assert_int_equal(json_object_size(r->json), 2);
    pp_resp_free(r);

    const char *args[] = {"version", NULL};
    char *out = NULL;
    int rc = pp_run(args, NULL, &out);
    assert_int_equal(rc, 0);
    assert_non_null(out);
    if (strstr(out, "0.1.0") == NULL) {
        fail_msg("`payout-panel version` printed \"%s\"", out);
    }
    free(out);
}

static void test_not_found(void **state)
{
    (void)state;
    pp_expect_error(pp_get(&srv, "/api/nope", NULL), 404, "NOT_FOUND");
    pp_expect_error(pp_get(&srv, "/api/nope", admin_token), 404, "NOT_FOUND");
    pp_expect_error(pp_post(&srv, "/api/nope", admin_token, "{}"), 404, "NOT_FOUND");
    pp_expect_error(pp_get(&srv, "/nope", NULL), 404, "NOT_FOUND");
    pp_expect_error(pp_get(&srv, "/api/payment/create/extra", admin_token), 404, "NOT_FOUND");
    pp_expect_error(pp_get(&srv, "/api/admin/nope", admin_token), 404, "NOT_FOUND");
    pp_expect_error(pp_get(&srv, "/api/payments/1/extra", admin_token), 404, "NOT_FOUND");
}

static void test_method_not_allowed(void **state)
{
    (void)state;
    static const struct {
        const char *method, *path, *allow;
    } rows[] = {
        {"GET", "/api/payment/create", "POST"},
        {"GET", "/api/payment/cancel", "POST"},
        {"PUT", "/api/authenticate", "POST"},
        {"GET", "/api/admin/login", "POST"},
        {"DELETE", "/api/version", "GET"},
        {"POST", "/api/balances", "GET"},
        {"DELETE", "/api/payments/1", "GET"},
        {"GET", "/api/admin/settings/api-integration", "PUT"},
        {"GET", "/api/admin/settings/api-integration/rotate", "POST"},
        {"PATCH", "/api/admin/funds/deposit", "POST"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct pp_req req = {.method = rows[i].method, .path = rows[i].path, .token = admin_token};
        struct pp_resp *r = pp_call(&srv, &req);
        pp_assert_error(r, 405, "METHOD_NOT_ALLOWED");
        pp_assert_allow(r, rows[i].allow);
        pp_resp_free(r);
    }
}

static char *padded_body(const char *open, const char *close, size_t total)
{
    char *body = malloc(total + 1);
    assert_non_null(body);
    size_t open_len = strlen(open), close_len = strlen(close);
    memcpy(body, open, open_len);
    memset(body + open_len, ' ', total - open_len - close_len);
    memcpy(body + total - close_len, close, close_len);
    body[total] = '\0';
    return body;
}

static void test_payload_too_large(void **state)
{
    (void)state;
    /* Exactly the limit is still read (and refused for its content). */
    char *at_limit = padded_body("{\"ids\":[]", "}", PP_BODY_LIMIT_BYTES);
    pp_expect_error(
        send_raw("POST", "/api/payment/cancel", api_key, NULL, at_limit, PP_BODY_LIMIT_BYTES), 400,
        "INVALID_PARAMS");
    free(at_limit);

    size_t sizes[] = {PP_BODY_LIMIT_BYTES + 1, 4 * PP_BODY_LIMIT_BYTES};
    for (size_t i = 0; i < 2; i++) {
        char *body = padded_body("{\"ids\":[1]", "}", sizes[i]);
        pp_expect_error(send_raw("POST", "/api/payment/cancel", api_key, NULL, body, sizes[i]), 413,
                        "PAYLOAD_TOO_LARGE");
        pp_expect_error(send_raw("POST", "/api/authenticate", NULL, NULL, body, sizes[i]), 413,
                        "PAYLOAD_TOO_LARGE");
        free(body);
    }
    char *create = padded_body("{\"description\":\"", "\"}", PP_BODY_LIMIT_BYTES + 100);
    pp_expect_error(
        send_raw("POST", "/api/payment/create", api_key, NULL, create, PP_BODY_LIMIT_BYTES + 100),
        413, "PAYLOAD_TOO_LARGE");
    free(create);
    assert_alive();
    assert_gbp_untouched();
}

static const char *const malformed[] = {
    "{",
    "}",
    "{\"ids\":[1,2}",
    "{\"ids\":[1,2]",
    "{\"ids\":[1,2],",
    "{\"ids\"",
    "{\"ids\":",
    "{\"ids\" [1]}",
    "{\"a\":}",
    "{'ids':[1]}",
    "{ids:[1]}",
    "{\"ids\":[1]} x",
    "{\"ids\":[1]}{}",
    "{\"ids\":[01]}",
    "{\"ids\":[1,]}",
    "{\"ids\":[NaN]}",
    "{\"ids\":[1]}\"",
    "nul",
    "\"unterminated",
    "",
    " ",
};

static void test_malformed_json(void **state)
{
    (void)state;
    const struct {
        const char *path;
        const char *token;
    } targets[] = {
        {"/api/payment/cancel", NULL},      {"/api/payment/create", NULL},
        {"/api/authenticate", NULL},        {"/api/admin/login", NULL},
        {"/api/admin/funds/deposit", NULL},
    };
    for (size_t t = 0; t < sizeof targets / sizeof targets[0]; t++) {
        const char *token = strncmp(targets[t].path, "/api/admin/funds", 16) == 0 ? admin_token
                            : strncmp(targets[t].path, "/api/payment/", 13) == 0  ? api_key
                                                                                  : NULL;
        for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
            struct pp_resp *r =
                send_raw("POST", targets[t].path, token, NULL, malformed[i], PP_STRLEN);
            if (r->status != 400) {
                fail_msg("POST %s with body '%s': expected 400, got %ld %s", targets[t].path,
                         malformed[i], r->status, r->body);
            }
            pp_expect_error(r, 400, "INVALID_PARAMS");
        }
    }
    /* Invalid UTF-8 and a NUL byte inside a string. */
    static const char bad_utf8[] = "{\"apiKey\":\"\xff\xfe\"}";
    pp_expect_error(
        send_raw("POST", "/api/authenticate", NULL, NULL, bad_utf8, sizeof bad_utf8 - 1), 400,
        "INVALID_PARAMS");
    static const char with_nul[] = "{\"ids\":[1]}\0";
    pp_expect_error(
        send_raw("POST", "/api/payment/cancel", api_key, NULL, with_nul, sizeof with_nul - 1), 400,
        "INVALID_PARAMS");
    assert_alive();
    assert_gbp_untouched();
}

static void test_non_object_json(void **state)
{
    (void)state;
    static const char *const bodies[] = {
        "[]", "[1]", "1", "\"s\"", "null", "true", "[{\"ids\":[1]}]"};
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        pp_expect_error(
            send_raw("POST", "/api/payment/cancel", api_key, NULL, bodies[i], PP_STRLEN), 400,
            "INVALID_PARAMS");
        pp_expect_error(send_raw("POST", "/api/authenticate", NULL, NULL, bodies[i], PP_STRLEN),
                        400, "INVALID_PARAMS");
    }
}

static void test_duplicate_keys(void **state)
{
    (void)state;
    pp_expect_error(pp_post(&srv, "/api/payment/cancel", api_key, "{\"ids\":[1],\"ids\":[2]}"), 400,
                    "INVALID_PARAMS");
    pp_expect_error(pp_post(&srv, "/api/authenticate", NULL, "{\"apiKey\":\"a\",\"apiKey\":\"b\"}"),
                    400, "INVALID_PARAMS");
    pp_expect_error(pp_post(&srv, "/api/admin/funds/deposit", admin_token,
                            "{\"currency\":\"GBP\",\"amount\":1,\"amount\":2}"),
                    400, "INVALID_PARAMS");
    pp_expect_error(pp_post(&srv, "/api/payment/create", api_key,
                            "{\"amount\":1,\"currency\":\"GBP\",\"startDate\":\"2031-01-01\","
                            "\"endDate\":\"2031-01-02\",\"name\":\"dup\",\"description\":\"d\","
                            "\"userName\":\"dup\",\"notification\":true,\"amount\":2}"),
                    400, "INVALID_PARAMS");
    assert_gbp_untouched();
}

static void test_deep_nesting(void **state)
{
    (void)state;
    size_t depth = 100000;
    char *body = malloc(2 * depth + 16);
    assert_non_null(body);
    strcpy(body, "{\"ids\":");
    size_t n = strlen(body);
    memset(body + n, '[', depth);
    memset(body + n + depth, ']', depth);
    strcpy(body + n + 2 * depth, "}");
    pp_expect_error(send_raw("POST", "/api/payment/cancel", api_key, NULL, body, PP_STRLEN), 400,
                    "INVALID_PARAMS");
    memset(body, '[', depth);
    body[depth] = '\0';
    pp_expect_error(send_raw("POST", "/api/authenticate", NULL, NULL, body, PP_STRLEN), 400,
                    "INVALID_PARAMS");
    free(body);
    assert_alive();
}

static void test_content_type(void **state)
{
    (void)state;
    static const char body[] = "{\"ids\":[999999]}";
    static const char *const refused[] = {"text/plain", "application/x-www-form-urlencoded",
                                          "application/xml", "multipart/form-data; boundary=x",
                                          "text/json-ish"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        pp_expect_error(
            send_raw("POST", "/api/payment/cancel", api_key, refused[i], body, PP_STRLEN), 415,
            "UNSUPPORTED_MEDIA_TYPE");
    }
    pp_expect_error(
        send_raw("POST", "/api/authenticate", NULL, "text/plain", "{\"apiKey\":\"x\"}", PP_STRLEN),
        415, "UNSUPPORTED_MEDIA_TYPE");

    static const char *const accepted[] = {"application/json", "application/json; charset=utf-8",
                                           "application/json;charset=UTF-8", PP_NO_CONTENT_TYPE};
    for (size_t i = 0; i < sizeof accepted / sizeof accepted[0]; i++) {
        struct pp_resp *r =
            send_raw("POST", "/api/payment/cancel", api_key, accepted[i], body, PP_STRLEN);
        pp_assert_status(r, 200);
        assert_int_equal(pp_json_int(r->json, "success"), 0);
        pp_resp_free(r);
    }
}

static void test_request_ids(void **state)
{
    (void)state;
    struct pp_resp *a = pp_get(&srv, "/api/version", NULL);
    struct pp_resp *b = pp_get(&srv, "/api/version", NULL);
    struct pp_resp *c = pp_get(&srv, "/api/nope", NULL);
    struct pp_resp *d = pp_get(&srv, "/api/balances", NULL);
    const char *ids[] = {pp_resp_header(a, "X-Request-Id"), pp_resp_header(b, "X-Request-Id"),
                         pp_resp_header(c, "X-Request-Id"), pp_resp_header(d, "X-Request-Id")};
    for (size_t i = 0; i < 4; i++) {
        for (size_t k = i + 1; k < 4; k++) {
            if (strcmp(ids[i], ids[k]) == 0) {
                fail_msg("two requests share the X-Request-Id %s", ids[i]);
            }
        }
    }
    pp_resp_free(a);
    pp_resp_free(b);
    pp_resp_free(c);
    pp_resp_free(d);

    /* Several requests on one keep-alive connection, each with its own id. */
    CURL *h = curl_easy_init();
    assert_non_null(h);
    char previous[128] = "";
    for (int i = 0; i < 3; i++) {
        struct pp_req req = {.path = "/api/version"};
        struct pp_resp *r = pp_request(&srv, h, &req);
        assert_non_null(r);
        pp_assert_status(r, 200);
        const char *rid = pp_resp_header(r, "X-Request-Id");
        assert_non_null(rid);
        assert_true(rid[0] != '\0');
        assert_string_not_equal(rid, previous);
        snprintf(previous, sizeof previous, "%s", rid);
        pp_resp_free(r);
    }
    curl_easy_cleanup(h);
}

/* A token with the same header and signature but another payload. */
static char *tampered_payload(const char *token)
{
    json_t *payload = pp_jwt_payload(token);
    assert_non_null(payload);
    json_object_set_new(payload, "exp",
                        json_integer(json_integer_value(json_object_get(payload, "exp")) + 3600));
    char *text = json_dumps(payload, JSON_COMPACT);
    char encoded[2048];
    pp_base64url((const unsigned char *)text, strlen(text), encoded, sizeof encoded);
    const char *dot1 = strchr(token, '.');
    const char *dot2 = strchr(dot1 + 1, '.');
    char *out = pp_fmt("%.*s.%s%s", (int)(dot1 - token), token, encoded, dot2);
    free(text);
    json_decref(payload);
    return out;
}

/* An unsigned ("alg":"none") token carrying the real payload. */
static char *alg_none(const char *token)
{
    static const char header[] = "{\"alg\":\"none\",\"typ\":\"JWT\"}";
    char encoded[256];
    pp_base64url((const unsigned char *)header, sizeof header - 1, encoded, sizeof encoded);
    const char *dot1 = strchr(token, '.');
    const char *dot2 = strchr(dot1 + 1, '.');
    return pp_fmt("%s%.*s.", encoded, (int)(dot2 - dot1), dot1);
}

/* A route that needs a token, and a body it accepts. */
struct protected_route {
    const char *method, *path, *body;
};

/* Asserts that rt answers 401 UNAUTHORIZED to every one of bad_tokens (as
** x-access-token), to bad_bearer as a bearer token and to Basic
** credentials. */
static void assert_route_refuses(const struct protected_route *rt, const char *const *bad_tokens,
                                 size_t n, const char *bad_bearer)
{
    for (size_t t = 0; t < n; t++) {
        struct pp_req req = {.method = rt->method,
                             .path = rt->path,
                             .token = bad_tokens[t],
                             .body = rt->body,
                             .body_len = PP_STRLEN};
        struct pp_resp *r = pp_call(&srv, &req);
        if (r->status != 401) {
            fail_msg("%s %s with token #%zu: expected 401, got %ld %s", rt->method, rt->path, t,
                     r->status, r->body);
        }
        pp_expect_error(r, 401, "UNAUTHORIZED");
    }
    /* Bad tokens in the Authorization header too. */
    struct pp_req bearer = {.method = rt->method,
                            .path = rt->path,
                            .bearer = bad_bearer,
                            .body = rt->body,
                            .body_len = PP_STRLEN};
    pp_expect_error(pp_call(&srv, &bearer), 401, "UNAUTHORIZED");
    const char *basic[] = {"Authorization: Basic YWRtaW46YWRtaW4=", NULL};
    struct pp_req basic_req = {.method = rt->method,
                               .path = rt->path,
                               .headers = basic,
                               .body = rt->body,
                               .body_len = PP_STRLEN};
    pp_expect_error(pp_call(&srv, &basic_req), 401, "UNAUTHORIZED");
}

static void test_tokens(void **state)
{
    (void)state;
    static const struct protected_route protected_routes[] = {
        {"POST", "/api/payment/create", "{}"},
        {"POST", "/api/payment/cancel", "{\"ids\":[1]}"},
        {"GET", "/api/payments/1", NULL},
        {"GET", "/api/balances", NULL},
        {"GET", "/api/admin/settings", NULL},
        {"PUT", "/api/admin/settings/api-integration", "{\"enabled\":false}"},
        {"POST", "/api/admin/settings/api-integration/rotate", NULL},
        {"POST", "/api/admin/funds/deposit", "{\"currency\":\"GBP\",\"amount\":1}"},
    };
    char *bad_sig = strdup(api_key);
    char *last = bad_sig + strlen(bad_sig) - 2;
    *last = *last == 'A' ? 'B' : 'A';
    char *tampered = tampered_payload(api_key);
    char *tampered_admin = tampered_payload(admin_token);
    char *none = alg_none(admin_token);
    const char *bad_tokens[] = {NULL,    "garbage", "a.b.c", "Bearer x",
                                bad_sig, tampered,  none,    tampered_admin};
    for (size_t i = 0; i < sizeof protected_routes / sizeof protected_routes[0]; i++) {
        assert_route_refuses(&protected_routes[i], bad_tokens,
                             sizeof bad_tokens / sizeof bad_tokens[0], tampered_admin);
    }
    free(bad_sig);
    free(tampered);
    free(tampered_admin);
    free(none);
    assert_gbp_untouched();

    /* Bearer works for the integrator key. */
    struct pp_req bearer = {.path = "/api/balances", .bearer = api_key};
    struct pp_resp *r = pp_call(&srv, &bearer);
    pp_assert_status(r, 200);
    pp_resp_free(r);
    struct pp_req cancel = {.method = "POST",
                            .path = "/api/payment/cancel",
                            .bearer = api_key,
                            .body = "{\"ids\":[424242]}",
                            .body_len = PP_STRLEN};
    r = pp_call(&srv, &cancel);
    pp_assert_status(r, 200);
    assert_int_equal(pp_json_int(r->json, "success"), 0);
    pp_resp_free(r);
}

static void test_config_from_env(void **state)
{
    (void)state;
    struct pp_server_opts opts = {.config_from_env = 1};
    assert_int_equal(pp_server_start(&srv_env, &opts), 0);
    struct pp_resp *r = pp_get(&srv_env, "/api/version", NULL);
    pp_assert_status(r, 200);
    pp_resp_free(r);
    assert_int_equal(pp_server_stop_sig(&srv_env, SIGINT), 0);
    pp_assert_check(srv_env.db_path, "on the env-configured db");
}

struct inflight {
    const struct pp_server *server;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int sent;
    struct pp_resp *resp;
    long long answered_ms;
};

static void inflight_sent(void *arg)
{
    struct inflight *f = arg;
    pthread_mutex_lock(&f->lock);
    f->sent = 1;
    pthread_cond_signal(&f->cond);
    pthread_mutex_unlock(&f->lock);
}

static void *inflight_login(void *arg)
{
    struct inflight *f = arg;
    struct pp_req req = {.method = "POST",
                         .path = "/api/admin/login",
                         .body = "{\"email\":\"" PP_ADMIN_EMAIL
                                 "\",\"password\":\"" PP_ADMIN_PASSWORD "\"}",
                         .body_len = PP_STRLEN,
                         .on_body_sent = inflight_sent,
                         .on_body_sent_arg = f};
    f->resp = pp_request(f->server, NULL, &req);
    f->answered_ms = pp_now_ms();
    inflight_sent(f); /* in case the hook never fired */
    return NULL;
}

static void test_graceful_shutdown(void **state)
{
    (void)state;
    /* The built-in PBKDF2 count, whatever the run's (ctest gives the API
    ** tests' servers the lowest): the login must take long enough to be
    ** in flight at the signal. */
    static const char *const env[] = {"PAYOUT_PASSWORD_ITERATIONS=600000", NULL};
    struct pp_server_opts slow = {.env = env};
    assert_int_equal(pp_server_start(&srv_stop, &slow), 0);
    struct inflight f = {.server = &srv_stop};
    pthread_mutex_init(&f.lock, NULL);
    pthread_cond_init(&f.cond, NULL);
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, inflight_login, &f), 0);
    pthread_mutex_lock(&f.lock);
    while (!f.sent) {
        pthread_cond_wait(&f.cond, &f.lock);
    }
    pthread_mutex_unlock(&f.lock);
    /* The login (a 600k-iteration PBKDF2) is now being served. */
    pp_sleep_ms(40);
    long long signalled_ms = pp_now_ms();
    assert_int_equal(kill(srv_stop.pid, SIGTERM), 0);
    /* From the signal on, a new connection gets no answer (it is closed
    ** at once) while the login in flight still completes. */
    long long refused_ms = 0;
    for (int i = 0; i < 400 && refused_ms == 0; i++) {
        struct pp_req get = {.method = "GET", .path = "/api/version"};
        struct pp_resp *probe = pp_request(&srv_stop, NULL, &get);
        if (probe->status == 0) {
            refused_ms = pp_now_ms();
        } else {
            pp_sleep_ms(5);
        }
        pp_resp_free(probe);
    }
    assert_true(refused_ms > 0);
    int code = pp_server_stop_sig(&srv_stop, 0); /* already signalled: wait for the exit */
    pthread_join(thread, NULL);
    if (f.answered_ms < refused_ms) {
        fail_msg("the login answered before new connections were refused: nothing was in flight");
    }
    assert_non_null(f.resp);
    if (f.resp->status != 200) {
        fail_msg("the login in flight at SIGTERM got %ld (%s) %s", f.resp->status, f.resp->error,
                 f.resp->body);
    }
    assert_true(json_is_string(json_object_get(f.resp->json, "token")));
    if (f.answered_ms < signalled_ms) {
        fail_msg("the login answered before SIGTERM was sent: nothing was in flight");
    }
    assert_int_equal(code, 0);
    pp_resp_free(f.resp);

    /* Nothing acknowledged is lost, and SIGINT is graceful too. */
    struct pp_server_opts opts = {.db_path = srv_stop.db_path};
    struct pp_server again;
    assert_int_equal(pp_server_start(&again, &opts), 0);
    struct pp_resp *r = pp_get(&again, "/api/version", NULL);
    pp_assert_status(r, 200);
    pp_resp_free(r);
    int sigint_code = pp_server_stop_sig(&again, SIGINT);
    pp_server_destroy(&again);
    assert_int_equal(sigint_code, 0);
    pthread_mutex_destroy(&f.lock);
    pthread_cond_destroy(&f.cond);
}

/* The server's stdout is exactly the one listening line (diagnostics go to
** stderr), checked on the server test_graceful_shutdown stopped. */
static void test_stdout_single_line(void **state)
{
    (void)state;
    assert_true(srv_stop.port > 0);
    char *out = pp_file_read(srv_stop.out_path, NULL);
    char *want = pp_fmt("listening on http://127.0.0.1:%d\n", srv_stop.port);
    assert_non_null(out);
    assert_string_equal(out, want);
    free(out);
    free(want);
}

static const struct pp_session session = {.srv = &srv,
                                          .admin_token = &admin_token,
                                          .api_key = &api_key,
                                          .funds = funds,
                                          .before_stop = before_stop};

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_not_found),
        cmocka_unit_test(test_method_not_allowed),
        cmocka_unit_test(test_payload_too_large),
        cmocka_unit_test(test_malformed_json),
        cmocka_unit_test(test_non_object_json),
        cmocka_unit_test(test_duplicate_keys),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_content_type),
        cmocka_unit_test(test_request_ids),
        cmocka_unit_test(test_tokens),
        cmocka_unit_test(test_config_from_env),
        cmocka_unit_test(test_graceful_shutdown),
        cmocka_unit_test(test_stdout_single_line),
    };
    return pp_session_run("api.http", tests, sizeof tests / sizeof tests[0], &session);
}
