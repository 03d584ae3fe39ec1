/*
** This module tests the service endpoints and the rate limiter through the
** real server: /healthz and /readyz answer without a key and are never
** rate limited; /api/status needs a key and reports the caller's own
** rate-limit figures, which move as requests are made and match the
** X-RateLimit-* headers; every routed answer carries those headers (also
** errors); past the burst the server answers 429 RATE_LIMITED with
** Retry-After, and serves again once the window has refilled; with
** --rate-limit 0 there is no limit and no headers.
** /readyz answers 503 UNAVAILABLE while the database file cannot be read
** (a damaged page under the table it probes) and 200 again once the page
** is repaired, while /healthz stays 200 throughout (it uses the sqlite3
** tool to find that page, as test_faults does for its lock).
*/
#include "harness.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static struct pp_server srv;
static char *admin_token;

/* A slow bucket (1/s) of 6: the test sees every figure move. */
static const char *const tight_env[] = {"PAYOUT_RATE_LIMIT=1", "PAYOUT_RATE_BURST=6", NULL};

/* The admin signs in inside a test, as one of the counted requests. */
static void before_stop(void)
{
    free(admin_token);
}

/* A request that does not retry on 429. */
static struct pp_resp *once(const char *path, const char *token)
{
    struct pp_req req = {.path = path, .token = token, .no_retry_429 = 1};
    return pp_call(&srv, &req);
}

static long header_long(const struct pp_resp *r, const char *name)
{
    const char *v = pp_resp_header(r, name);
    if (v == NULL) {
        fail_msg("%s: no %s header (status %ld)", r->what, name, r->status);
    }
    return atol(v);
}

/* Waits until the address's bucket is full again (reset seconds). */
static void wait_full(const struct pp_resp *r)
{
    pp_sleep_ms(header_long(r, "X-RateLimit-Reset") * 1000 + 200);
}

static void test_health_is_public_and_unlimited(void **state)
{
    (void)state;
    /* Far more probes than the burst: never limited, never counted. */
    for (int i = 0; i < 20; i++) {
        struct pp_resp *h = once("/healthz", NULL);
        pp_assert_status(h, 200);
        assert_string_equal(h->body, "{\"status\":\"ok\"}");
        assert_null(pp_resp_header(h, "X-RateLimit-Limit"));
        pp_resp_free(h);
        struct pp_resp *r = once("/readyz", NULL);
        pp_assert_status(r, 200);
        assert_string_equal(r->body, "{\"status\":\"ready\"}");
        pp_resp_free(r);
    }
    struct pp_resp *v = once("/api/version", NULL);
    pp_assert_status(v, 200);
    assert_int_equal(header_long(v, "X-RateLimit-Limit"), 6);
    assert_int_equal(header_long(v, "X-RateLimit-Remaining"), 5); /* only this one counted */
    wait_full(v);
    pp_resp_free(v);
    /* Health endpoints take GET only. */
    pp_expect_error(pp_post(&srv, "/healthz", NULL, "{}"), 405, "METHOD_NOT_ALLOWED");
}

static void test_status_reports_the_callers_figures(void **state)
{
    (void)state;
    admin_token = pp_admin_login(&srv); /* one request: 5 left */
    struct pp_resp *unauth = once("/api/status", NULL);
    pp_assert_error(unauth, 401, "UNAUTHORIZED");
    /* Errors carry the figures too. (Logging in hashes a password, which
    ** takes a while: the bucket may have refilled a little meanwhile.) */
    long last = header_long(unauth, "X-RateLimit-Remaining");
    assert_true(last >= 3 && last <= 5);
    pp_resp_free(unauth);
    long first = -1;
    for (int i = 0; i < 3; i++) {
        struct pp_resp *s = once("/api/status", admin_token);
        pp_assert_status(s, 200);
        pp_assert_json_str(s->json, "status", "ok");
        json_t *rl = json_object_get(s->json, "ratelimit");
        assert_true(json_is_object(rl));
        assert_int_equal(json_object_size(rl), 3);
        long long limit = pp_json_int(rl, "limit");
        long long remaining = pp_json_int(rl, "remaining");
        long long reset = pp_json_int(rl, "reset");
        assert_int_equal(limit, 6);
        /* Each request takes a whole token; the refill adds a sliver. */
        assert_true(remaining <= last && remaining >= last - 1);
        first = first < 0 ? (long)remaining : first;
        assert_true(reset >= 1 && reset <= 6);
        /* The same figures as the headers of this very answer. */
        assert_int_equal(limit, header_long(s, "X-RateLimit-Limit"));
        assert_int_equal(remaining, header_long(s, "X-RateLimit-Remaining"));
        assert_int_equal(reset, header_long(s, "X-RateLimit-Reset"));
        last = (long)remaining;
        if (i == 2) {
            assert_true(remaining <=
                        first - 1); /* the third call is at least one below the first */
            wait_full(s);
        }
        pp_resp_free(s);
    }
}

static void test_429_after_the_burst_and_recovery(void **state)
{
    (void)state;
    int allowed = 0;
    struct pp_resp *limited = NULL;
    for (int i = 0; i < 20 && limited == NULL; i++) {
        struct pp_resp *r = once("/api/balances", admin_token);
        if (r->status == 429) {
            limited = r;
        } else {
            pp_assert_status(r, 200);
            assert_non_null(pp_resp_header(r, "X-RateLimit-Reset"));
            allowed++;
            pp_resp_free(r);
        }
    }
    assert_non_null(limited);
    /* The burst, plus at most one token refilled while the loop ran. */
    assert_true(allowed >= 6 && allowed <= 7);
    pp_assert_error(limited, 429, "RATE_LIMITED");
    long retry = header_long(limited, "Retry-After");
    assert_true(retry >= 1 && retry <= 2);
    assert_int_equal(header_long(limited, "X-RateLimit-Remaining"), 0);
    assert_int_equal(header_long(limited, "X-RateLimit-Limit"), 6);
    /* Refused requests do not run: not even authentication errors leak. */
    struct pp_resp *again = once("/api/balances", "not-a-token");
    pp_assert_error(again, 429, "RATE_LIMITED");
    pp_resp_free(again);
    /* After Retry-After, one more request is served. */
    pp_sleep_ms(retry * 1000 + 100);
    struct pp_resp *ok = once("/api/balances", admin_token);
    pp_assert_status(ok, 200);
    pp_resp_free(ok);
    /* Health stays up while the caller is limited. */
    struct pp_resp *h = once("/readyz", NULL);
    pp_assert_status(h, 200);
    pp_resp_free(h);
    /* The whole window later, the full burst is back. */
    wait_full(limited);
    struct pp_resp *full = once("/api/version", NULL);
    pp_assert_status(full, 200);
    assert_int_equal(header_long(full, "X-RateLimit-Remaining"), 5);
    pp_resp_free(full);
    pp_resp_free(limited);
}

/* A request from its own loopback address (a fresh address bucket). */
static struct pp_resp *from(const char *addr, const char *method, const char *path,
                            const char *token, const char *body)
{
    struct pp_req req = {.method = method,
                         .path = path,
                         .token = token,
                         .body = body,
                         .body_len = body != NULL ? PP_STRLEN : 0,
                         .local_addr = addr,
                         .no_retry_429 = 1};
    return pp_call(&srv, &req);
}

/* The integration's bucket is shared by all of its API keys: once one key
** has used it up, a key fetched anew (from other addresses, so that no
** address bucket is involved) is refused too. An admin has a bucket of
** their own. */
static void test_a_new_api_key_shares_the_integrations_bucket(void **state)
{
    (void)state;
    struct pp_resp *r = from("127.0.0.11", "PUT", "/api/admin/settings/api-integration",
                             admin_token, "{\"enabled\":true}");
    pp_assert_status(r, 200);
    char *password = strdup(json_string_value(json_object_get(r->json, "authenticationPassword")));
    pp_secret_note(password);
    pp_resp_free(r);
    char *body = pp_fmt("{\"apiKey\":\"%s\"}", password);
    r = from("127.0.0.12", "POST", "/api/authenticate", NULL, body);
    pp_assert_status(r, 200);
    char *key_a = strdup(json_string_value(json_object_get(r->json, "token")));
    pp_secret_note(key_a);
    pp_resp_free(r);
    int allowed = 0;
    for (int i = 0; i < 20; i++) {
        r = from("127.0.0.13", "GET", "/api/balances", key_a, NULL);
        int limited = r->status == 429;
        if (!limited) {
            pp_assert_status(r, 200);
            allowed++;
        }
        pp_resp_free(r);
        if (limited) {
            break;
        }
    }
    assert_true(allowed >= 6 && allowed <= 7);
    /* Keys issued in the same second are the same key: wait for another. */
    pp_sleep_ms(1100);
    r = from("127.0.0.14", "POST", "/api/authenticate", NULL, body);
    pp_assert_status(r, 200);
    char *key_b = strdup(json_string_value(json_object_get(r->json, "token")));
    pp_secret_note(key_b);
    pp_resp_free(r);
    assert_true(strcmp(key_a, key_b) != 0);
    /* Key B finds the bucket as key A left it (refilled by about one a
    ** second meanwhile), not a fresh one of 6. */
    int allowed_b = 0;
    for (int i = 0; i < 20; i++) {
        r = from("127.0.0.15", "GET", "/api/balances", key_b, NULL);
        int limited = r->status == 429;
        if (limited) {
            pp_assert_error(r, 429, "RATE_LIMITED");
        } else {
            pp_assert_status(r, 200);
            allowed_b++;
        }
        pp_resp_free(r);
        if (limited) {
            break;
        }
    }
    assert_true(allowed_b <= 2);
    r = from("127.0.0.16", "GET", "/api/balances", admin_token, NULL);
    pp_assert_status(r, 200);
    pp_resp_free(r);
    free(body);
    free(key_b);
    free(key_a);
    free(password);
}

static void test_rate_limit_off(void **state)
{
    (void)state;
    struct pp_server off;
    memset(&off, 0, sizeof off);
    const char *const env[] = {"PAYOUT_RATE_LIMIT=0", NULL};
    struct pp_server_opts opts = {.env = env};
    assert_int_equal(pp_server_start(&off, &opts), 0);
    for (int i = 0; i < 50; i++) {
        struct pp_req req = {.path = "/api/version", .no_retry_429 = 1};
        struct pp_resp *r = pp_call(&off, &req);
        pp_assert_status(r, 200);
        assert_null(pp_resp_header(r, "X-RateLimit-Limit"));
        pp_resp_free(r);
    }
    char *token = pp_admin_login(&off);
    struct pp_req req = {.path = "/api/status", .token = token};
    struct pp_resp *s = pp_call(&off, &req);
    pp_assert_status(s, 200);
    assert_true(json_is_null(json_object_get(s->json, "ratelimit")));
    pp_resp_free(s);
    free(token);
    pp_server_destroy(&off);
}

static void test_bad_flags_refused(void **state)
{
    (void)state;
    const char *const bad[][3] = {
        {"--rate-limit", "-1", NULL},          {"--rate-limit", "x", NULL},
        {"--rate-burst", "0", NULL},           {"--idempotency-ttl-h", "23", NULL},
        {"--idempotency-ttl-h", "8761", NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *args[] = {"serve", bad[i][0], bad[i][1], "--port", "0", NULL};
        char *out = NULL;
        int rc = pp_run(args, NULL, &out);
        if (rc != 2 || out == NULL || strstr(out, "out of range") == NULL) {
            fail_msg("%s %s: exit %d, output %s", bad[i][0], bad[i][1], rc, out ? out : "");
        }
        free(out);
    }
}

/* Runs the sqlite3 tool read-only on db with sql; new output (free()), the
** exit code in *rc. */
static char *sqlite_cli(const char *db, const char *sql, int *rc)
{
    char *cmd = pp_fmt("sqlite3 -readonly '%s' \"%s\" 2>&1", db, sql);
    FILE *p = popen(cmd, "r");
    free(cmd);
    assert_non_null(p);
    size_t cap = 4096, len = 0;
    char *out = calloc(1, cap);
    assert_non_null(out);
    size_t n;
    while (len + 1 < cap && (n = fread(out + len, 1, cap - 1 - len, p)) > 0) {
        len += n;
    }
    int status = pclose(p);
    *rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return out;
}

static long sqlite_cli_long(const char *db, const char *sql)
{
    int rc = 0;
    char *out = sqlite_cli(db, sql, &rc);
    char *end = NULL;
    long v = strtol(out, &end, 10);
    if (rc != 0 || end == out) {
        fail_msg("sqlite3 %s: exit %d: %s", sql, rc, out);
    }
    free(out);
    return v;
}

/* Asserts n answers of /readyz in a row: each 200 "ready", or each the
** 503 UNAVAILABLE envelope (the pool has several readers; every one must
** tell). /healthz stays 200 either way. */
static void assert_ready_n(const struct pp_server *s, int ready, int n)
{
    for (int i = 0; i < n; i++) {
        struct pp_req req = {.path = "/readyz"};
        struct pp_resp *r = pp_call(s, &req);
        if (ready) {
            pp_assert_status(r, 200);
            assert_string_equal(r->body, "{\"status\":\"ready\"}");
        } else {
            pp_assert_error(r, 503, "UNAVAILABLE");
        }
        pp_resp_free(r);
        req.path = "/healthz";
        r = pp_call(s, &req);
        pp_assert_status(r, 200);
        pp_resp_free(r);
    }
}

static void write_page(int fd, const unsigned char *page, long page_bytes, long offset)
{
    assert_int_equal(pwrite(fd, page, (size_t)page_bytes, offset), page_bytes);
    assert_int_equal(fdatasync(fd), 0);
}

/* /readyz reads a real table (schema_migrations). Its page is damaged on
** disk while the server runs (as a bad sector or a botched restore would):
** not ready. Repaired: ready again. */
static void test_readyz_unavailable_while_the_database_cannot_be_read(void **state)
{
    (void)state;
    struct pp_server first, s;
    memset(&first, 0, sizeof first);
    memset(&s, 0, sizeof s);
    const char *const env[] = {"PAYOUT_RATE_LIMIT=0", NULL};
    struct pp_server_opts opts = {.env = env};
    assert_int_equal(pp_server_start(&first, &opts), 0);
    /* Stopping checkpoints the WAL: every page is in the database file. */
    assert_int_equal(pp_server_stop(&first), 0);
    opts.db_path = first.db_path;
    assert_int_equal(pp_server_start(&s, &opts), 0);
    char *token = pp_admin_login(&s);
    assert_ready_n(&s, 1, 4);

    long page_bytes = sqlite_cli_long(s.db_path, "PRAGMA page_size");
    long root = sqlite_cli_long(s.db_path, "SELECT rootpage FROM sqlite_schema WHERE "
                                           "type='table' AND name='schema_migrations'");
    assert_true(page_bytes >= 512 && page_bytes <= 65536 && root >= 2);
    long offset = (root - 1) * page_bytes;
    unsigned char *saved = malloc((size_t)page_bytes);
    unsigned char *zeros = calloc(1, (size_t)page_bytes);
    assert_true(saved != NULL && zeros != NULL);
    int fd = open(s.db_path, O_RDWR);
    assert_true(fd >= 0);
    assert_int_equal(pread(fd, saved, (size_t)page_bytes, offset), page_bytes);
    write_page(fd, zeros, page_bytes, offset);
    /* The damage is real: SQLite itself cannot read the table. */
    int rc = 0;
    char *out = sqlite_cli(s.db_path, "SELECT max(version) FROM schema_migrations", &rc);
    if (rc == 0) {
        fail_msg("the zeroed page did not damage schema_migrations: %s", out);
    }
    free(out);
    /* A write (to other tables) makes the server's readers drop the pages
    ** they cached; from then on they read the file. */
    json_decref(pp_deposit(&s, token, "GBP", "1"));
    assert_ready_n(&s, 0, 8);

    write_page(fd, saved, page_bytes, offset);
    close(fd);
    json_decref(pp_deposit(&s, token, "GBP", "2"));
    assert_ready_n(&s, 1, 8);
    pp_assert_balance_now(&s, token, "GBP", "3", "0", "0");
    pp_stop_and_check(&s, "after the repair");
    free(token);
    free(saved);
    free(zeros);
    pp_server_destroy(&s);
    pp_server_destroy(&first);
}

static const struct pp_server_opts server_opts = {.env = tight_env};
static const struct pp_session session = {
    .srv = &srv, .opts = &server_opts, .before_stop = before_stop};

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_health_is_public_and_unlimited),
        cmocka_unit_test(test_status_reports_the_callers_figures),
        cmocka_unit_test(test_429_after_the_burst_and_recovery),
        cmocka_unit_test(test_a_new_api_key_shares_the_integrations_bucket),
        cmocka_unit_test(test_rate_limit_off),
        cmocka_unit_test(test_bad_flags_refused),
        cmocka_unit_test(test_readyz_unavailable_while_the_database_cannot_be_read),
    };
    return PP_SESSION_RUN(tests, &session);
}
