/*
** Unit tests for route matching (http/router.c) against the real route
** table, the escaped-NUL check of a raw request target, and for the JSON
** writer (api/jsonw.c): data-driven cases.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "payout/api/jsonw.h"
#include "payout/http/router.h"

struct route_case {
    const char *method;
    const char *path;
    enum pp_status expect;
    const char *pattern; /* expected route pattern when PP_OK */
    const char *param;   /* expected first parameter, or NULL */
    const char *allow;   /* expected Allow for 405 */
};

static const struct route_case route_cases[] = {
    {"POST", "/api/authenticate", PP_OK, "/api/authenticate", NULL, NULL},
    {"POST", "/api/payment/create", PP_OK, "/api/payment/create", NULL, NULL},
    {"POST", "/api/payment/cancel", PP_OK, "/api/payment/cancel", NULL, NULL},
    {"GET", "/api/payments/17", PP_OK, "/api/payments/{id}", "17", NULL},
    {"GET", "/api/payments/abc", PP_OK, "/api/payments/{id}", "abc", NULL},
    {"GET", "/api/version", PP_OK, "/api/version", NULL, NULL},
    {"PUT", "/api/admin/settings/api-integration", PP_OK, "/api/admin/settings/api-integration",
     NULL, NULL},
    {"POST", "/api/admin/settings/api-integration/rotate", PP_OK,
     "/api/admin/settings/api-integration/rotate", NULL, NULL},
    {"GET", "/api/authenticate", PP_METHOD_NOT_ALLOWED, NULL, NULL, "POST"},
    {"DELETE", "/api/payments/1", PP_METHOD_NOT_ALLOWED, NULL, NULL, "GET, HEAD"},
    {"HEAD", "/api/payments/17", PP_OK, "/api/payments/{id}", "17", NULL},
    {"HEAD", "/api/authenticate", PP_METHOD_NOT_ALLOWED, NULL, NULL, "POST"},
    {"GET", "/api/admin/settings/api-integration", PP_METHOD_NOT_ALLOWED, NULL, NULL, "PUT"},
    {"get", "/api/version", PP_METHOD_NOT_ALLOWED, NULL, NULL, "GET, HEAD"},
    {"head", "/api/version", PP_METHOD_NOT_ALLOWED, NULL, NULL, "GET, HEAD"},
    {"GET", "/api/version/", PP_NOT_FOUND, NULL, NULL, NULL},
    {"GET", "/api//version", PP_NOT_FOUND, NULL, NULL, NULL},
    {"GET", "/api/payments", PP_OK, "/api/payments", NULL, NULL},
    /* The literal export route wins over {id}. */
    {"GET", "/api/payments/export", PP_OK, "/api/payments/export", NULL, NULL},
    {"POST", "/api/payments", PP_METHOD_NOT_ALLOWED, NULL, NULL, "GET, HEAD"},
    {"GET", "/api/payment", PP_NOT_FOUND, NULL, NULL, NULL},
    {"GET", "/api/payments/1/2", PP_NOT_FOUND, NULL, NULL, NULL},
    {"GET", "/", PP_NOT_FOUND, NULL, NULL, NULL},
    {"GET", "", PP_NOT_FOUND, NULL, NULL, NULL},
    {"GET", "api/version", PP_NOT_FOUND, NULL, NULL, NULL},
    {"GET", "/API/VERSION", PP_NOT_FOUND, NULL, NULL, NULL},
    {"GET", "/a/b/c/d/e/f/g/h/i/j/k", PP_NOT_FOUND, NULL, NULL, NULL},
};

static void test_route_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof route_cases / sizeof route_cases[0]; i++) {
        const struct route_case *c = &route_cases[i];
        struct pp_arena *arena = pp_arena_create(1024);
        const struct api_route *route = NULL;
        const char *params[PP_ROUTE_PARAMS_MAX] = {NULL};
        size_t nparams = 0;
        char allow[64];
        enum pp_status st = http_route_find(api_routes, api_routes_count, c->method, c->path, arena,
                                            &route, params, &nparams, allow, sizeof allow);
        assert_int_equal(st, c->expect);
        if (c->expect == PP_OK) {
            assert_non_null(route);
            assert_string_equal(route->pattern, c->pattern);
            if (c->param != NULL) {
                assert_int_equal(nparams, 1);
                assert_string_equal(params[0], c->param);
            } else {
                assert_int_equal(nparams, 0);
            }
        } else {
            assert_null(route);
        }
        if (c->allow != NULL) {
            assert_string_equal(allow, c->allow);
        }
        pp_arena_destroy(arena);
    }
}

static void test_long_path_refused(void **state)
{
    (void)state;
    char path[PP_PATH_BYTES_MAX + 16];
    memset(path, 'a', sizeof path - 1);
    path[0] = '/';
    path[sizeof path - 1] = '\0';
    struct pp_arena *arena = pp_arena_create(1024);
    const struct api_route *route = NULL;
    const char *params[PP_ROUTE_PARAMS_MAX];
    size_t nparams = 0;
    char allow[64];
    assert_int_equal(http_route_find(api_routes, api_routes_count, "GET", path, arena, &route,
                                     params, &nparams, allow, sizeof allow),
                     PP_NOT_FOUND);
    pp_arena_destroy(arena);
}

static void test_every_route_reachable(void **state)
{
    (void)state;
    for (size_t i = 0; i < api_routes_count; i++) {
        char path[256];
        snprintf(path, sizeof path, "%s", api_routes[i].pattern);
        /* Each {param} segment becomes "5"; the segments after it stay. */
        char *brace = strchr(path, '{');
        if (brace != NULL) {
            const char *close = strchr(api_routes[i].pattern + (brace - path), '}');
            assert_non_null(close);
            snprintf(brace, sizeof path - (size_t)(brace - path), "5%s", close + 1);
        }
        struct pp_arena *arena = pp_arena_create(1024);
        const struct api_route *route = NULL;
        const char *params[PP_ROUTE_PARAMS_MAX];
        size_t nparams = 0;
        char allow[64];
        assert_int_equal(http_route_find(api_routes, api_routes_count, api_routes[i].method, path,
                                         arena, &route, params, &nparams, allow, sizeof allow),
                         PP_OK);
        assert_ptr_equal(route, &api_routes[i]);
        pp_arena_destroy(arena);
    }
}

struct nul_case {
    const char *target;
    int has_nul;
};

/* What libmicrohttpd's %HH decoding turns into a NUL, and what it does not. */
static const struct nul_case nul_cases[] = {
    {"/api/version", 0},
    {"/api/version%00", 1},
    {"/api/payments/1%00x", 1},
    {"/api/ver%00sion", 1},
    {"%00", 1},
    {"/api/version?x=%00", 1},
    {"/api/version?%00=1", 1},
    {"/api/version?a=1&b=2%00", 1},
    {"/api/version?a%00b", 1},
    {"/a%%00", 1},  /* the first '%' is literal, the second decodes */
    {"/a%2500", 0}, /* "%25" is '%': decodes to the text "%00" */
    {"/a%0", 0},    /* cut escape: literal */
    {"/a%0?0", 0},  /* the '?' splits: no escape across it */
    {"/a%0g0", 0},
    {"/a%000", 1},
    {"/a%20%30%30", 0},    /* " 00" */
    {"/a%01%10%0a%a0", 0}, /* other control bytes are not NULs */
    {"/a?x=%", 0},
    {"/a?x=%%", 0},
    {"", 0},
};

static void test_url_nul(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof nul_cases / sizeof nul_cases[0]; i++) {
        if (http_url_has_nul(nul_cases[i].target) != nul_cases[i].has_nul) {
            fail_msg("http_url_has_nul(\"%s\") != %d", nul_cases[i].target, nul_cases[i].has_nul);
        }
    }
}

static void test_jsonw(void **state)
{
    (void)state;
    struct pp_buf b;
    struct jw w;
    pp_buf_init(&b);
    jw_init(&w, &b);
    jw_object_begin(&w);
    jw_key(&w, "a");
    jw_raw(&w, "0.1");
    jw_key(&w, "s");
    jw_string_n(&w, "q\"\\\n\x01z", 6);
    jw_key(&w, "arr");
    jw_array_begin(&w);
    jw_int(&w, -5);
    jw_bool(&w, 1);
    jw_null(&w);
    jw_object_begin(&w);
    jw_object_end(&w);
    jw_array_end(&w);
    jw_key(&w, "e");
    jw_array_begin(&w);
    jw_array_end(&w);
    jw_object_end(&w);
    assert_string_equal(
        b.data, "{\"a\":0.1,\"s\":\"q\\\"\\\\\\n\\u0001z\",\"arr\":[-5,true,null,{}],\"e\":[]}");
    pp_buf_free(&b);
}

static void test_error_envelope(void **state)
{
    (void)state;
    struct api_response resp;
    api_response_init(&resp);
    api_error_respond(&resp, PP_INSUFFICIENT_FUNDS, "not enough \"GBP\"");
    assert_int_equal(resp.status, 422);
    assert_string_equal(resp.body.data, "{\"error\":{\"message\":\"not enough \\\"GBP\\\"\","
                                        "\"type\":\"INSUFFICIENT_FUNDS\"},\"errors\":[]}");
    api_error_respond(&resp, PP_INTERNAL, "disk I/O error at /secret/path");
    assert_int_equal(resp.status, 500);
    assert_null(strstr(resp.body.data, "secret"));
    api_error_respond(&resp, PP_BAD_CREDENTIALS, "invalid authentication password");
    assert_int_equal(resp.status, 401);
    assert_non_null(strstr(resp.body.data, "\"INVALID_PARAMS\""));
    api_response_free(&resp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_route_table),
        cmocka_unit_test(test_long_path_refused),
        cmocka_unit_test(test_every_route_reachable),
        cmocka_unit_test(test_url_nul),
        cmocka_unit_test(test_jsonw),
        cmocka_unit_test(test_error_envelope),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
