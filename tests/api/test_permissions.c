/*
** The permission matrix of spec §7 against the real server: every route of
** the route table (read from src/api/routes.c, so a new route is in the
** matrix at once) called by every kind of caller (no credentials, the API
** key, and a token of each role), each answered as the spec's table says:
** allowed (the handler runs: anything but 401 and 403), 403 FORBIDDEN
** naming the role, or 401. The expectations are this file's own copy of
** the spec's table, per permission name; a route whose permission is
** missing or unknown fails the test.
**
** Calls carry "{}" (or nothing) and put 999999 in place of an {id}, so an
** allowed call changes nothing that matters: bad input, an unknown user,
** a two-factor set-up left unfinished; the integration password is
** rotated by the admin's call to /rotate, so the API key is renewed before
** every route.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "harness.h"

#ifndef PP_ROUTES_FILE
#error "PP_ROUTES_FILE must name src/api/routes.c (tests/CMakeLists.txt)"
#endif

#define ROUTES_MAX 128

enum caller { NOBODY, API_KEY, ADMIN, APPROVER, OPERATOR, AUDITOR, CALLERS };
static const char *const caller_names[CALLERS] = {"nobody",   "API key",  "admin",
                                                  "approver", "operator", "auditor"};

/* What each caller gets: 'y' allowed, 'f' 403, 'u' 401. Spec §7's table. */
static const struct {
    const char *access;
    const char *answers; /* nobody, key, admin, approver, operator, auditor */
} expected[] = {
    {"API_ACCESS_PUBLIC", "yyyyyy"},
    {"API_ACCESS_INTEGRATOR", "uyyyyy"},
    {"API_ACCESS_AUDIT", "ufyyyy"},
    {"API_ACCESS_CREATE", "uyyfyf"},
    {"API_ACCESS_CANCEL", "uyyyyf"},
    {"API_ACCESS_AUTHORIZE", "ufyyff"},
    {"API_ACCESS_ADMIN", "ufyfff"},
    {"API_ACCESS_ACCOUNT", "ufyyyy"},
    {"API_ACCESS_ACCOUNT_SETUP", "ufyyyy"},
    {"API_ACCESS_SESSION", "uuuuuu"},
    /* Spec §9: webhooks are the API key's or an admin's. */
    {"API_ACCESS_WEBHOOKS", "uyyfff"},
};

struct route {
    char method[8];
    char pattern[128];
    char access[40];
};

static struct route routes[ROUTES_MAX];
static size_t route_count;
static struct pp_server srv;
static char *admin_token;
static char *tokens[CALLERS];

/* Reads every route of the route table: {"METHOD", "/path", handler,
** API_ACCESS_..., ...}, one per line or continued on the next (as
** clang-format wraps it). A route without a permission fails. */
static void routes_read(void)
{
    size_t len = 0;
    char *text = pp_file_read(PP_ROUTES_FILE, &len);
    assert_non_null(text);
    for (char *at = strstr(text, "\n"); at != NULL; at = strstr(at + 1, "\n")) {
        const char *line = at + 1;
        while (*line == ' ') {
            line++;
        }
        if (strncmp(line, "{\"", 2) != 0) {
            continue;
        }
        assert_true(route_count < ROUTES_MAX);
        struct route *r = &routes[route_count++];
        char handler[64];
        /* Each blank of the format skips any white space, new lines too. */
        int n = sscanf(line, "{\"%7[A-Z]\", \"%127[^\"]\", %63[^,], %39[A-Z_]", r->method,
                       r->pattern, handler, r->access);
        if (n != 4 || strncmp(r->access, "API_ACCESS_", 11) != 0) {
            fail_msg("route without a permission: %.120s", line);
        }
    }
    free(text);
    assert_true(route_count > 30);
}

static const char *answers_of(const struct route *r)
{
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        if (strcmp(expected[i].access, r->access) == 0) {
            return expected[i].answers;
        }
    }
    fail_msg("%s %s: permission %s is not in spec section 7's table here", r->method, r->pattern,
             r->access);
    return NULL;
}

/* The route's path with 999999 for each {param}. */
static void path_of(const struct route *r, char *out, size_t size)
{
    size_t o = 0;
    for (const char *p = r->pattern; *p != '\0' && o + 8 < size; p++) {
        if (*p == '{') {
            o += (size_t)snprintf(out + o, size - o, "999999");
            p = strchr(p, '}');
            assert_non_null(p);
        } else {
            out[o++] = *p;
        }
    }
    out[o] = '\0';
}

static char *sign_in_as(const char *role)
{
    char *body = pp_fmt("{\"email\":\"%s@example.test\",\"role\":\"%s\"}", role, role);
    struct pp_resp *r = pp_post(&srv, "/api/admin/users", admin_token, body);
    pp_assert_status(r, 200);
    char *login = pp_fmt("{\"email\":\"%s@example.test\",\"password\":\"%s\"}", role,
                         json_string_value(json_object_get(r->json, "password")));
    pp_resp_free(r);
    r = pp_post(&srv, "/api/admin/login", NULL, login);
    pp_assert_status(r, 200);
    char *token = strdup(json_string_value(json_object_get(r->json, "token")));
    pp_resp_free(r);
    free(login);
    free(body);
    return token;
}

/* A fresh API key (the previous route may have rotated the password). */
static void api_key_renew(void)
{
    char *password = pp_enable_integration(&srv, admin_token);
    free(tokens[API_KEY]);
    tokens[API_KEY] = pp_authenticate(&srv, password);
    free(password);
}

static void test_every_route_every_caller(void **state)
{
    (void)state;
    size_t checked = 0;
    for (size_t i = 0; i < route_count; i++) {
        const struct route *rt = &routes[i];
        const char *answers = answers_of(rt);
        char path[256];
        path_of(rt, path, sizeof path);
        api_key_renew();
        int has_body = strcmp(rt->method, "GET") != 0 && strcmp(rt->method, "DELETE") != 0;
        for (int c = NOBODY; c < CALLERS; c++) {
            struct pp_req req = {.method = rt->method,
                                 .path = path,
                                 .token = tokens[c],
                                 .body = has_body ? "{}" : NULL,
                                 .body_len = has_body ? PP_STRLEN : 0};
            struct pp_resp *r = pp_call(&srv, &req);
            char want = answers[c];
            if (want == 'y' && (r->status == 401 || r->status == 403)) {
                fail_msg("%s %s as %s: expected the handler to run, got %ld %s", rt->method,
                         rt->pattern, caller_names[c], r->status, r->body);
            } else if (want == 'f') {
                pp_assert_error(r, 403, "FORBIDDEN");
                const char *message = json_string_value(
                    json_object_get(json_object_get(r->json, "error"), "message"));
                char *who = c == API_KEY ? strdup("an API key may not")
                                         : pp_fmt("the %s role may not", caller_names[c]);
                if (message == NULL || strstr(message, who) == NULL) {
                    fail_msg("%s %s as %s: the 403 does not say who: %s", rt->method, rt->pattern,
                             caller_names[c], r->body);
                }
                free(who);
            } else if (want == 'u') {
                pp_assert_error(r, 401, "UNAUTHORIZED");
            }
            pp_resp_free(r);
            checked++;
        }
    }
    assert_int_equal(checked, route_count * CALLERS);
    printf("permission matrix: %zu routes x %d callers\n", route_count, (int)CALLERS);
}

/* A session acts with its user's role too (here: an auditor's). */
static void test_session_has_the_role(void **state)
{
    (void)state;
    struct pp_resp *r = pp_post(&srv, "/api/admin/users", admin_token,
                                "{\"email\":\"viewer@example.test\",\"role\":\"auditor\"}");
    pp_assert_status(r, 200);
    char *body = pp_fmt("{\"email\":\"viewer@example.test\",\"password\":\"%s\"}",
                        json_string_value(json_object_get(r->json, "password")));
    pp_resp_free(r);
    r = pp_post(&srv, "/api/session", NULL, body);
    pp_assert_status(r, 200);
    const char *set = pp_resp_header(r, "Set-Cookie");
    char cookie[160];
    char csrf[100];
    snprintf(cookie, sizeof cookie, "Cookie: %.*s", (int)(strchr(set, ';') - set), set);
    snprintf(csrf, sizeof csrf, "X-CSRF-Token: %s",
             json_string_value(json_object_get(r->json, "csrfToken")));
    pp_resp_free(r);
    const char *headers[] = {cookie, csrf, NULL};
    struct pp_req read = {.path = "/api/balances", .headers = headers};
    r = pp_call(&srv, &read);
    pp_assert_status(r, 200);
    pp_resp_free(r);
    struct pp_req cancel = {.method = "POST",
                            .path = "/api/payment/cancel",
                            .headers = headers,
                            .body = "{\"ids\":[1]}",
                            .body_len = PP_STRLEN};
    r = pp_call(&srv, &cancel);
    pp_assert_error_says(r, 403, "FORBIDDEN", "the auditor role may not cancel payouts");
    pp_resp_free(r);
    free(body);
}

static int after_start(void)
{
    routes_read();
    tokens[ADMIN] = strdup(admin_token);
    tokens[APPROVER] = sign_in_as("approver");
    tokens[OPERATOR] = sign_in_as("operator");
    tokens[AUDITOR] = sign_in_as("auditor");
    return 0;
}

static void before_stop(void)
{
    for (int c = 0; c < CALLERS; c++) {
        free(tokens[c]);
        tokens[c] = NULL;
    }
}

int main(void)
{
    struct pp_session ss = {.srv = &srv,
                            .admin_token = &admin_token,
                            .after_start = after_start,
                            .before_stop = before_stop};
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_route_every_caller),
        cmocka_unit_test(test_session_has_the_role),
    };
    return PP_SESSION_RUN(tests, &ss);
}
