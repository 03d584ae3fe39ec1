/*
** Panel users (spec §7) against the real server: user management and the
** last-admin rule, password rules, revocation of tokens and sessions on
** the very next request, browser sessions (cookie attributes, CSRF, a
** token header winning over the cookie, sign-out), two-factor sign-in
** (OTP_REQUIRED, drift of one step either way, a code used once, wrong
** codes counting toward the lockout), security.requireTwoFactor, and the
** audit entries of each, exactly once. TOTP codes are computed here with
** OpenSSL from the setup's base32 secret (RFC 6238).
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
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "harness.h"

static struct pp_server srv;
static char *admin_token;
static int email_seq;

/* --- Helpers ------------------------------------------------------------------ */

static struct pp_resp *call(const char *method, const char *path, const char *token,
                            const char *const *headers, const char *body, const char *from)
{
    struct pp_req req = {.method = method,
                         .path = path,
                         .token = token,
                         .headers = headers,
                         .body = body,
                         .body_len = body != NULL ? PP_STRLEN : 0,
                         .local_addr = from};
    return pp_call(&srv, &req);
}

/* A fresh user of role; its id into *id and its password (new) returned. */
static char *user_add(const char *role, long long *id, char *email, size_t email_size)
{
    snprintf(email, email_size, "user%d.%s@example.test", ++email_seq, role);
    char *body = pp_fmt("{\"email\":\"%s\",\"role\":\"%s\"}", email, role);
    struct pp_resp *r = pp_post(&srv, "/api/admin/users", admin_token, body);
    pp_assert_status(r, 200);
    pp_assert_json_str(r->json, "email", email);
    pp_assert_json_str(r->json, "role", role);
    assert_true(json_is_false(json_object_get(r->json, "disabled")));
    assert_true(json_is_false(json_object_get(r->json, "twoFactor")));
    assert_true(json_is_null(json_object_get(r->json, "lastSignInAt")));
    const char *password = json_string_value(json_object_get(r->json, "password"));
    assert_non_null(password);
    assert_int_equal(strlen(password), 24);
    *id = json_integer_value(json_object_get(r->json, "id"));
    char *out = strdup(password);
    pp_resp_free(r);
    free(body);
    return out;
}

static struct pp_resp *login(const char *email, const char *password, const char *otp,
                             const char *from)
{
    char *body = otp != NULL ? pp_fmt("{\"email\":\"%s\",\"password\":\"%s\",\"otp\":\"%s\"}",
                                      email, password, otp)
                             : pp_fmt("{\"email\":\"%s\",\"password\":\"%s\"}", email, password);
    struct pp_resp *r = call("POST", "/api/admin/login", NULL, NULL, body, from);
    free(body);
    return r;
}

static char *token_of(const char *email, const char *password, const char *otp)
{
    struct pp_resp *r = login(email, password, otp, NULL);
    pp_assert_status(r, 200);
    char *t = strdup(json_string_value(json_object_get(r->json, "token")));
    pp_resp_free(r);
    return t;
}

/* A browser session: "Cookie: pp_session=..." and "X-CSRF-Token: ..." lines. */
struct session {
    char cookie[128];
    char csrf[128];
    const char *headers[3];
};

static void session_open(const char *email, const char *password, const char *otp,
                         struct session *s)
{
    char *body = otp != NULL ? pp_fmt("{\"email\":\"%s\",\"password\":\"%s\",\"otp\":\"%s\"}",
                                      email, password, otp)
                             : pp_fmt("{\"email\":\"%s\",\"password\":\"%s\"}", email, password);
    struct pp_resp *r = call("POST", "/api/session", NULL, NULL, body, NULL);
    pp_assert_status(r, 200);
    const char *set = pp_resp_header(r, "Set-Cookie");
    assert_non_null(set);
    const char *semi = strchr(set, ';');
    assert_non_null(semi);
    snprintf(s->cookie, sizeof s->cookie, "Cookie: %.*s", (int)(semi - set), set);
    snprintf(s->csrf, sizeof s->csrf, "X-CSRF-Token: %s",
             json_string_value(json_object_get(r->json, "csrfToken")));
    s->headers[0] = s->cookie;
    s->headers[1] = s->csrf;
    s->headers[2] = NULL;
    pp_resp_free(r);
    free(body);
}

/* How many audit entries of action have exactly this subject. */
static long long audit_count(const char *action, const char *subject)
{
    long long n = 0;
    char *path = pp_fmt("/api/admin/audit?action=%s&size=100", action);
    struct pp_resp *r = pp_get(&srv, path, admin_token);
    pp_assert_status(r, 200);
    json_t *list = json_object_get(r->json, "audit");
    for (size_t i = 0; i < json_array_size(list); i++) {
        const char *s = json_string_value(json_object_get(json_array_get(list, i), "subject"));
        const char *d = json_string_value(json_object_get(json_array_get(list, i), "detail"));
        n += s != NULL && strcmp(s, subject) == 0;
        /* Never a password in the log. */
        assert_true(d == NULL || strstr(d, "correct-horse") == NULL);
    }
    pp_resp_free(r);
    free(path);
    return n;
}

static char *subject_of(long long id)
{
    return pp_fmt("user:%lld", id);
}

/* The RFC 6238 code of base32 secret at the wall clock plus `steps` steps. */
static void totp(const char *b32, int steps, char out[7])
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    unsigned char key[64];
    size_t n = 0;
    unsigned bits = 0;
    int have = 0;
    for (const char *p = b32; *p != '\0'; p++) {
        const char *at = strchr(alphabet, *p);
        assert_non_null(at);
        bits = (bits << 5) | (unsigned)(at - alphabet);
        have += 5;
        if (have >= 8) {
            key[n++] = (unsigned char)(bits >> (have - 8));
            have -= 8;
        }
    }
    uint64_t counter = (uint64_t)(pp_wall_ms() / 1000 / 30 + steps);
    unsigned char msg[8];
    for (int i = 7; i >= 0; i--) {
        msg[i] = (unsigned char)(counter & 0xff);
        counter >>= 8;
    }
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned mac_len = 0;
    HMAC(EVP_sha1(), key, (int)n, msg, sizeof msg, mac, &mac_len);
    int off = mac[mac_len - 1] & 0x0f;
    uint32_t v = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
                 ((uint32_t)mac[off + 2] << 8) | mac[off + 3];
    snprintf(out, 7, "%06u", v % 1000000u);
}

/* The step boundary must not pass between computing and sending a code:
** waits while fewer than 3 s are left in the current 30 s step. */
static void step_settle(void)
{
    while ((pp_wall_ms() / 1000) % 30 >= 27) {
        pp_sleep_ms(200);
    }
}

/* Turns two-factor on for the signed-in token; returns the secret (new). */
static char *two_factor_on(const char *token)
{
    struct pp_resp *r = pp_post(&srv, "/api/account/two-factor/setup", token, "{}");
    pp_assert_status(r, 200);
    char *secret = strdup(json_string_value(json_object_get(r->json, "secret")));
    const char *uri = json_string_value(json_object_get(r->json, "otpauthUri"));
    assert_non_null(uri);
    assert_non_null(strstr(uri, "otpauth://totp/payout-panel:"));
    assert_non_null(strstr(uri, secret));
    assert_int_equal(strlen(secret), 32);
    pp_resp_free(r);
    char code[7];
    step_settle();
    totp(secret, -1, code);
    char *body = pp_fmt("{\"code\":\"%s\"}", code);
    r = pp_post(&srv, "/api/account/two-factor/enable", token, body);
    pp_assert_status(r, 200);
    assert_true(json_is_true(json_object_get(r->json, "twoFactor")));
    pp_resp_free(r);
    free(body);
    return secret;
}

/* --- Management ----------------------------------------------------------------- */

static void test_user_management(void **state)
{
    (void)state;
    char email[128];
    long long id = 0;
    char *password = user_add("approver", &id, email, sizeof email);
    struct pp_resp *r = pp_get(&srv, "/api/admin/users", admin_token);
    pp_assert_status(r, 200);
    json_t *users = json_object_get(r->json, "users");
    int seen = 0;
    for (size_t i = 0; i < json_array_size(users); i++) {
        json_t *u = json_array_get(users, i);
        assert_null(json_object_get(u, "password"));
        seen += json_integer_value(json_object_get(u, "id")) == id;
    }
    assert_int_equal(seen, 1);
    pp_resp_free(r);
    /* The same e-mail in other case is taken; an unknown role is bad input. */
    for (char *p = email; *p != '\0'; p++) {
        *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    }
    char *body = pp_fmt("{\"email\":\"%s\",\"role\":\"auditor\"}", email);
    pp_expect_error(pp_post(&srv, "/api/admin/users", admin_token, body), 409, "CONFLICT");
    free(body);
    pp_expect_error(pp_post(&srv, "/api/admin/users", admin_token,
                            "{\"email\":\"new@example.test\",\"role\":\"root\"}"),
                    400, "INVALID_PARAMS");
    pp_expect_error(pp_post(&srv, "/api/admin/users", admin_token,
                            "{\"email\":\"no-at-sign\",\"role\":\"auditor\"}"),
                    400, "INVALID_PARAMS");
    /* The new user signs in and acts with its role. */
    char *token = token_of(email, password, NULL);
    pp_expect_error(
        pp_post(&srv, "/api/admin/funds/deposit", token, "{\"currency\":\"GBP\",\"amount\":1}"),
        403, "FORBIDDEN");
    r = pp_get(&srv, "/api/account", token);
    pp_assert_status(r, 200);
    pp_assert_json_str(r->json, "role", "approver");
    assert_true(json_is_string(json_object_get(r->json, "lastSignInAt")));
    pp_resp_free(r);
    char *subject = subject_of(id);
    assert_int_equal(audit_count("user.create", subject), 1);
    assert_int_equal(audit_count("user.sign_in", subject), 1);
    free(subject);
    free(token);
    free(password);
}

static void test_last_admin(void **state)
{
    (void)state;
    char email[128];
    long long id = 0;
    char *password = user_add("admin", &id, email, sizeof email);
    /* Two enabled admins: the new one may be demoted... */
    char *path = pp_fmt("/api/admin/users/%lld", id);
    struct pp_req req = {.method = "PATCH",
                         .path = path,
                         .token = admin_token,
                         .body = "{\"role\":\"approver\"}",
                         .body_len = PP_STRLEN};
    struct pp_resp *r = pp_call(&srv, &req);
    pp_assert_status(r, 200);
    pp_assert_json_str(r->json, "role", "approver");
    pp_resp_free(r);
    /* ... and then the first admin is the last one. */
    const char *bodies[] = {"{\"role\":\"operator\"}", "{\"disabled\":true}",
                            "{\"role\":\"auditor\",\"disabled\":true}"};
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        struct pp_req last = {.method = "PATCH",
                              .path = "/api/admin/users/1",
                              .token = admin_token,
                              .body = bodies[i],
                              .body_len = PP_STRLEN};
        r = pp_call(&srv, &last);
        pp_assert_error_says(r, 409, "CONFLICT", "last enabled admin");
        pp_resp_free(r);
    }
    struct pp_req empty = {
        .method = "PATCH", .path = path, .token = admin_token, .body = "{}", .body_len = PP_STRLEN};
    pp_expect_error(pp_call(&srv, &empty), 400, "INVALID_PARAMS");
    struct pp_req missing = {.method = "PATCH",
                             .path = "/api/admin/users/999999",
                             .token = admin_token,
                             .body = "{\"disabled\":true}",
                             .body_len = PP_STRLEN};
    pp_expect_error(pp_call(&srv, &missing), 404, "NOT_FOUND");
    /* The first admin still works. */
    r = pp_get(&srv, "/api/admin/settings", admin_token);
    pp_assert_status(r, 200);
    assert_true(
        json_is_false(json_object_get(json_object_get(r->json, "security"), "requireTwoFactor")));
    pp_resp_free(r);
    char *subject = subject_of(id);
    assert_int_equal(audit_count("user.update", subject), 1);
    free(subject);
    free(path);
    free(password);
}

/* Each change ends the user's token and session on the very next request. */
static void test_revocation(void **state)
{
    (void)state;
    static const char *const changes[] = {"disable", "role", "password", "two-factor"};
    for (size_t i = 0; i < sizeof changes / sizeof changes[0]; i++) {
        char email[128];
        long long id = 0;
        char *password = user_add("operator", &id, email, sizeof email);
        char *token = token_of(email, password, NULL);
        struct session s;
        session_open(email, password, NULL, &s);
        struct pp_resp *r = call("GET", "/api/balances", token, NULL, NULL, NULL);
        pp_assert_status(r, 200);
        pp_resp_free(r);
        r = call("GET", "/api/balances", NULL, s.headers, NULL, NULL);
        pp_assert_status(r, 200);
        pp_resp_free(r);
        char *path = NULL;
        const char *method = "POST";
        const char *body = "{}";
        if (strcmp(changes[i], "disable") == 0) {
            method = "PATCH", path = pp_fmt("/api/admin/users/%lld", id);
            body = "{\"disabled\":true}";
        } else if (strcmp(changes[i], "role") == 0) {
            method = "PATCH", path = pp_fmt("/api/admin/users/%lld", id);
            body = "{\"role\":\"auditor\"}";
        } else if (strcmp(changes[i], "password") == 0) {
            path = pp_fmt("/api/admin/users/%lld/reset-password", id);
        } else {
            path = pp_fmt("/api/admin/users/%lld/reset-two-factor", id);
        }
        r = call(method, path, admin_token, NULL, body, NULL);
        pp_assert_status(r, 200);
        if (strcmp(changes[i], "password") == 0) {
            const char *fresh = json_string_value(json_object_get(r->json, "password"));
            assert_non_null(fresh);
            assert_string_not_equal(fresh, password);
        }
        pp_resp_free(r);
        pp_expect_error(call("GET", "/api/balances", token, NULL, NULL, NULL), 401, "UNAUTHORIZED");
        pp_expect_error(call("GET", "/api/balances", NULL, s.headers, NULL, NULL), 401,
                        "UNAUTHORIZED");
        if (strcmp(changes[i], "disable") == 0) {
            /* A disabled user cannot sign in again either. */
            pp_expect_error(login(email, password, NULL, "127.0.6.1"), 401, "UNAUTHORIZED");
        }
        free(path);
        free(token);
        free(password);
    }
}

static void test_password_change(void **state)
{
    (void)state;
    char email[128];
    long long id = 0;
    char *password = user_add("auditor", &id, email, sizeof email);
    char *token = token_of(email, password, NULL);
    struct session s;
    session_open(email, password, NULL, &s);
    struct session other;
    session_open(email, password, NULL, &other);
    char *body = pp_fmt("{\"currentPassword\":\"wrong-password-1\",\"newPassword\":\"%s\"}",
                        "a-new-password-42");
    pp_expect_error(call("POST", "/api/account/password", token, NULL, body, NULL), 401,
                    "UNAUTHORIZED");
    free(body);
    body = pp_fmt("{\"currentPassword\":\"%s\",\"newPassword\":\"short\"}", password);
    pp_expect_error(call("POST", "/api/account/password", token, NULL, body, NULL), 400,
                    "INVALID_PARAMS");
    free(body);
    body = pp_fmt("{\"currentPassword\":\"%s\",\"newPassword\":\"%s\"}", password, password);
    pp_expect_error(call("POST", "/api/account/password", token, NULL, body, NULL), 400,
                    "INVALID_PARAMS");
    free(body);
    /* Changed from the browser: that session stays, every token and the
    ** other session end. */
    body = pp_fmt("{\"currentPassword\":\"%s\",\"newPassword\":\"a-new-password-42\"}", password);
    struct pp_resp *r = call("POST", "/api/account/password", NULL, s.headers, body, NULL);
    pp_assert_status(r, 200);
    pp_assert_json_str(r->json, "email", email);
    pp_resp_free(r);
    free(body);
    r = call("GET", "/api/session", NULL, s.headers, NULL, NULL);
    pp_assert_status(r, 200);
    pp_resp_free(r);
    pp_expect_error(call("GET", "/api/session", NULL, other.headers, NULL, NULL), 401,
                    "UNAUTHORIZED");
    pp_expect_error(call("GET", "/api/account", token, NULL, NULL, NULL), 401, "UNAUTHORIZED");
    pp_expect_error(login(email, password, NULL, "127.0.6.2"), 401, "UNAUTHORIZED");
    char *fresh = token_of(email, "a-new-password-42", NULL);
    char *subject = subject_of(id);
    assert_int_equal(audit_count("user.password_change", subject), 1);
    assert_int_equal(audit_count("user.sign_in_failed", subject), 1);
    free(subject);
    free(fresh);
    free(token);
    free(password);
}

/* --- Sessions ------------------------------------------------------------------------- */

static void test_session_cookie_and_csrf(void **state)
{
    (void)state;
    struct pp_resp *r =
        call("POST", "/api/session", NULL, NULL,
             "{\"email\":\"" PP_ADMIN_EMAIL "\",\"password\":\"" PP_ADMIN_PASSWORD "\"}", NULL);
    pp_assert_status(r, 200);
    const char *set = pp_resp_header(r, "Set-Cookie");
    assert_non_null(set);
    /* pp_session=<43 base64url characters>; then exactly the attributes. */
    assert_int_equal(strncmp(set, "pp_session=", 11), 0);
    const char *semi = strchr(set, ';');
    assert_int_equal(semi - set - 11, 43);
    assert_string_equal(semi, "; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200");
    pp_assert_json_str(json_object_get(r->json, "user"), "role", "admin");
    const char *csrf = json_string_value(json_object_get(r->json, "csrfToken"));
    assert_non_null(csrf);
    assert_int_equal(strlen(csrf), 43);
    pp_resp_free(r);
    struct session s;
    session_open(PP_ADMIN_EMAIL, PP_ADMIN_PASSWORD, NULL, &s);
    r = call("GET", "/api/session", NULL, s.headers, NULL, NULL);
    pp_assert_status(r, 200);
    assert_string_equal(json_string_value(json_object_get(r->json, "csrfToken")),
                        s.csrf + strlen("X-CSRF-Token: "));
    pp_resp_free(r);
    /* Without the CSRF token, or with a wrong one: 403 and nothing written. */
    long long before = pp_balance_minor(&srv, admin_token, "GBP", "available");
    const char *no_csrf[] = {s.cookie, NULL};
    const char *wrong_csrf[] = {s.cookie,
                                "X-CSRF-Token: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL};
    const char *deposit = "{\"currency\":\"GBP\",\"amount\":5}";
    r = call("POST", "/api/admin/funds/deposit", NULL, no_csrf, deposit, NULL);
    pp_assert_error_says(r, 403, "FORBIDDEN", "X-CSRF-Token");
    pp_resp_free(r);
    pp_expect_error(call("POST", "/api/admin/funds/deposit", NULL, wrong_csrf, deposit, NULL), 403,
                    "FORBIDDEN");
    pp_expect_error(call("DELETE", "/api/session", NULL, no_csrf, NULL, NULL), 403, "FORBIDDEN");
    assert_int_equal(pp_balance_minor(&srv, admin_token, "GBP", "available"), before);
    r = call("POST", "/api/admin/funds/deposit", NULL, s.headers, deposit, NULL);
    pp_assert_status(r, 200);
    pp_resp_free(r);
    assert_int_equal(pp_balance_minor(&srv, admin_token, "GBP", "available"), before + 500);
    /* A token header wins over the cookie, even a broken one. */
    const char *with_token[] = {s.cookie, s.csrf, "x-access-token: garbage", NULL};
    pp_expect_error(call("GET", "/api/balances", NULL, with_token, NULL, NULL), 401,
                    "UNAUTHORIZED");
    const char *with_bearer[] = {s.cookie, "Authorization: Basic YTpi", NULL};
    pp_expect_error(call("GET", "/api/balances", NULL, with_bearer, NULL, NULL), 401,
                    "UNAUTHORIZED");
    /* GET /api/session wants a session, not a token. */
    pp_expect_error(call("GET", "/api/session", admin_token, NULL, NULL, NULL), 401,
                    "UNAUTHORIZED");
    const char *bad_cookie[] = {"Cookie: pp_session=not-a-session-id", NULL};
    pp_expect_error(call("GET", "/api/session", NULL, bad_cookie, NULL, NULL), 401, "UNAUTHORIZED");
    /* Sign-out clears the cookie and ends the session. */
    r = call("DELETE", "/api/session", NULL, s.headers, NULL, NULL);
    pp_assert_status(r, 200);
    assert_int_equal(json_integer_value(json_object_get(r->json, "success")), 1);
    assert_string_equal(pp_resp_header(r, "Set-Cookie"),
                        "pp_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    pp_resp_free(r);
    pp_expect_error(call("GET", "/api/session", NULL, s.headers, NULL, NULL), 401, "UNAUTHORIZED");
    assert_int_equal(audit_count("session.sign_out", "user:1"), 1);
}

/* --- Two-factor ------------------------------------------------------------------------ */

static void test_two_factor(void **state)
{
    (void)state;
    char email[128];
    long long id = 0;
    char code[7];
    char *password = user_add("operator", &id, email, sizeof email);
    char *token = token_of(email, password, NULL);
    /* Enabling needs a setup first, and the right code. */
    pp_expect_error(pp_post(&srv, "/api/account/two-factor/enable", token, "{\"code\":\"123456\"}"),
                    409, "CONFLICT");
    struct pp_resp *r = pp_post(&srv, "/api/account/two-factor/setup", token, "{}");
    pp_assert_status(r, 200);
    char *secret = strdup(json_string_value(json_object_get(r->json, "secret")));
    pp_resp_free(r);
    step_settle();
    totp(secret, 2, code);
    char *body = pp_fmt("{\"code\":\"%s\"}", code);
    pp_expect_error(pp_post(&srv, "/api/account/two-factor/enable", token, body), 401,
                    "UNAUTHORIZED");
    free(body);
    totp(secret, -1, code);
    char enabling[7];
    memcpy(enabling, code, sizeof enabling);
    body = pp_fmt("{\"code\":\"%s\"}", code);
    r = pp_post(&srv, "/api/account/two-factor/enable", token, body);
    pp_assert_status(r, 200);
    assert_true(json_is_true(json_object_get(r->json, "twoFactor")));
    pp_resp_free(r);
    free(body);
    /* Signing in now needs the code: none, wrong, out of the window, used. */
    pp_expect_error(login(email, password, NULL, "127.0.7.1"), 401, "OTP_REQUIRED");
    pp_expect_error(login(email, password, "000000x", "127.0.7.1"), 400, "INVALID_PARAMS");
    step_settle();
    totp(secret, -2, code);
    pp_expect_error(login(email, password, code, "127.0.7.1"), 401, "UNAUTHORIZED");
    totp(secret, 2, code);
    pp_expect_error(login(email, password, code, "127.0.7.1"), 401, "UNAUTHORIZED");
    /* The enabling code itself (not recomputed: a step may have passed
    ** since), used once already. */
    pp_expect_error(login(email, password, enabling, "127.0.7.1"), 401, "UNAUTHORIZED");
    totp(secret, 0, code);
    r = login(email, password, code, "127.0.7.1");
    pp_assert_status(r, 200);
    pp_resp_free(r);
    pp_expect_error(login(email, password, code, "127.0.7.1"), 401, "UNAUTHORIZED");
    struct session s;
    totp(secret, 1, code);
    session_open(email, password, code, &s);
    /* A wrong password is refused before the code is looked at. */
    pp_expect_error(login(email, "wrong-password-here", NULL, "127.0.7.1"), 401, "UNAUTHORIZED");
    /* Disabling needs the password and a new code. */
    pp_expect_error(pp_post(&srv, "/api/account/two-factor/disable", token,
                            "{\"password\":\"wrong-password-1\",\"code\":\"123456\"}"),
                    401, "UNAUTHORIZED");
    char *subject = subject_of(id);
    assert_int_equal(audit_count("user.two_factor_setup", subject), 1);
    assert_int_equal(audit_count("user.two_factor_enable", subject), 1);
    assert_true(audit_count("user.sign_in_failed", subject) >= 5);
    /* An admin's reset turns it off and ends the token and the session. */
    char *path = pp_fmt("/api/admin/users/%lld/reset-two-factor", id);
    r = pp_post(&srv, path, admin_token, NULL);
    pp_assert_status(r, 200);
    assert_true(json_is_false(json_object_get(r->json, "twoFactor")));
    pp_resp_free(r);
    pp_expect_error(call("GET", "/api/account", token, NULL, NULL, NULL), 401, "UNAUTHORIZED");
    pp_expect_error(call("GET", "/api/account", NULL, s.headers, NULL, NULL), 401, "UNAUTHORIZED");
    assert_int_equal(audit_count("user.two_factor_reset", subject), 1);
    /* On again, then off by the user with password and code. */
    free(token);
    token = token_of(email, password, NULL);
    free(secret);
    secret = two_factor_on(token);
    step_settle();
    totp(secret, 0, code);
    body = pp_fmt("{\"password\":\"%s\",\"code\":\"%s\"}", password, code);
    r = pp_post(&srv, "/api/account/two-factor/disable", token, body);
    pp_assert_status(r, 200);
    assert_true(json_is_false(json_object_get(r->json, "twoFactor")));
    pp_resp_free(r);
    free(body);
    assert_int_equal(audit_count("user.two_factor_disable", subject), 1);
    free(subject);
    free(path);
    free(secret);
    free(token);
    free(password);
}

/* Wrong codes count toward the sign-in lockout of the address. */
static void test_wrong_codes_lock_out(void **state)
{
    (void)state;
    char email[128];
    long long id = 0;
    char *password = user_add("auditor", &id, email, sizeof email);
    char *token = token_of(email, password, NULL);
    char *secret = two_factor_on(token);
    /* Missing codes do not count... */
    for (int i = 0; i < 12; i++) {
        pp_expect_error(login(email, password, NULL, "127.0.8.1"), 401, "OTP_REQUIRED");
    }
    /* ... wrong ones do, until the address is locked out. */
    int locked = 0;
    for (int i = 0; i < 12 && !locked; i++) {
        struct pp_req req = {.method = "POST",
                             .path = "/api/admin/login",
                             .body = NULL,
                             .local_addr = "127.0.8.1",
                             .no_retry_429 = 1};
        char *body = pp_fmt("{\"email\":\"%s\",\"password\":\"%s\",\"otp\":\"%06d\"}", email,
                            password, 123450 + i);
        req.body = body;
        req.body_len = PP_STRLEN;
        struct pp_resp *r = pp_call(&srv, &req);
        if (r->status == 429) {
            pp_assert_error(r, 429, "RATE_LIMITED");
            locked = 1;
            assert_true(i >= 9);
        } else {
            pp_assert_error(r, 401, "UNAUTHORIZED");
        }
        pp_resp_free(r);
        free(body);
    }
    assert_true(locked);
    free(secret);
    free(token);
    free(password);
}

static void test_require_two_factor(void **state)
{
    (void)state;
    char email[128];
    char admin_email[128];
    long long id = 0;
    long long admin_id = 0;
    char *password = user_add("approver", &id, email, sizeof email);
    /* A second admin with two-factor on, to turn the setting off later. */
    char *admin_password = user_add("admin", &admin_id, admin_email, sizeof admin_email);
    char *admin2 = token_of(admin_email, admin_password, NULL);
    char *admin2_secret = two_factor_on(admin2);
    struct pp_resp *r =
        pp_put(&srv, "/api/admin/settings/security", admin_token, "{\"requireTwoFactor\":true}");
    pp_assert_status(r, 200);
    assert_true(json_is_true(json_object_get(r->json, "requireTwoFactor")));
    pp_resp_free(r);
    /* Signing in works; anything but setting two-factor up is 403. */
    char *token = token_of(email, password, NULL);
    r = pp_get(&srv, "/api/balances", token);
    pp_assert_error_says(r, 403, "FORBIDDEN", "two-factor");
    pp_resp_free(r);
    pp_expect_error(pp_get(&srv, "/api/balances", admin_token), 403, "FORBIDDEN");
    pp_expect_error(
        pp_put(&srv, "/api/admin/settings/security", admin_token, "{\"requireTwoFactor\":false}"),
        403, "FORBIDDEN");
    r = pp_get(&srv, "/api/account", token);
    pp_assert_status(r, 200);
    pp_resp_free(r);
    char *secret = two_factor_on(token);
    r = pp_get(&srv, "/api/balances", token);
    pp_assert_status(r, 200);
    pp_resp_free(r);
    r = pp_put(&srv, "/api/admin/settings/security", admin2, "{\"requireTwoFactor\":false}");
    pp_assert_status(r, 200);
    assert_true(json_is_false(json_object_get(r->json, "requireTwoFactor")));
    pp_resp_free(r);
    r = pp_get(&srv, "/api/balances", admin_token);
    pp_assert_status(r, 200);
    pp_resp_free(r);
    free(admin2_secret);
    free(admin2);
    free(admin_password);
    free(secret);
    free(token);
    free(password);
}

static int after_start(void)
{
    return 0;
}

int main(void)
{
    static const char *const funds[] = {"GBP", "1000", NULL};
    struct pp_session ss = {
        .srv = &srv, .admin_token = &admin_token, .funds = funds, .after_start = after_start};
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_user_management),
        cmocka_unit_test(test_last_admin),
        cmocka_unit_test(test_revocation),
        cmocka_unit_test(test_password_change),
        cmocka_unit_test(test_session_cookie_and_csrf),
        cmocka_unit_test(test_two_factor),
        cmocka_unit_test(test_wrong_codes_lock_out),
        cmocka_unit_test(test_require_two_factor),
    };
    return PP_SESSION_RUN(tests, &ss);
}
