/*
** This module tests the client address behind a load balancer
** (--trusted-proxies, docs/deploy.md) through the real server:
** - with --trusted-proxies 127.0.0.0/8 (the test's own address, standing
**   in for haproxy), two X-Forwarded-For values get two rate-limit buckets,
**   and the access log and the audit entry name the forwarded client;
** - without the flag the same two values share the one bucket of the TCP
**   peer, and the access log names the peer.
** The buckets are read from X-RateLimit-Remaining with a burst of 1000 and
** one token a second: a fresh bucket answers 999, a used one less (a
** shared bucket could only look fresh after ten idle seconds).
*/
#include "harness.h"

#include <stdlib.h>
#include <string.h>

#define BURST "1000"

static const char *const trusted_args[] = {
    "--trusted-proxies", "127.0.0.0/8", "--rate-limit", "1", "--rate-burst", BURST, NULL};
static const char *const plain_args[] = {"--rate-limit", "1", "--rate-burst", BURST, NULL};

/* GET /api/version with X-Forwarded-For: forwarded; its
** X-RateLimit-Remaining. */
static long remaining_for(const struct pp_server *s, const char *forwarded)
{
    char *header = pp_fmt("X-Forwarded-For: %s", forwarded);
    const char *const headers[] = {header, NULL};
    struct pp_req req = {.path = "/api/version", .headers = headers, .no_retry_429 = 1};
    struct pp_resp *r = pp_call(s, &req);
    pp_assert_status(r, 200);
    const char *text = pp_resp_header(r, "X-RateLimit-Remaining");
    assert_non_null(text);
    long remaining = atol(text);
    pp_resp_free(r);
    free(header);
    return remaining;
}

/* Ten requests as forwarded; the remaining of the last. */
static long drain_ten(const struct pp_server *s, const char *forwarded)
{
    long last = 0;
    for (int i = 0; i < 10; i++) {
        last = remaining_for(s, forwarded);
    }
    return last;
}

/* Waits (up to 10 s) until s's access log has a line naming addr. */
static void access_log_names(const struct pp_server *s, const char *addr)
{
    char *needle = pp_fmt("\"addr\":\"%s\"", addr);
    int found = 0;
    for (int tries = 0; tries < 100 && !found; tries++) {
        char *log = pp_file_read(s->err_path, NULL);
        found = log != NULL && strstr(log, needle) != NULL;
        free(log);
        if (!found) {
            pp_sleep_ms(100);
        }
    }
    if (!found) {
        fail_msg("no access log line says %s", needle);
    }
    free(needle);
}

static void test_trusted_proxy_separate_buckets(void **state)
{
    (void)state;
    struct pp_server srv;
    memset(&srv, 0, sizeof srv);
    struct pp_server_opts opts = {.args = trusted_args};
    assert_int_equal(pp_server_start(&srv, &opts), 0);
    long first = drain_ten(&srv, "198.51.100.1");
    assert_true(first < 999);
    /* Another client behind the same proxy: a bucket of its own. */
    assert_int_equal(remaining_for(&srv, "198.51.100.2"), 999);
    /* The first one's bucket is still the used one; a trusted hop to its
    ** right (another proxy of 127.0.0.0/8) changes nothing. */
    assert_true(remaining_for(&srv, "198.51.100.1, 127.0.0.9") < 999);
    access_log_names(&srv, "198.51.100.2");

    /* The audit entry of a deposit names the forwarded client. */
    char *admin = pp_admin_login(&srv);
    const char *const headers[] = {"X-Forwarded-For: 203.0.113.77", NULL};
    struct pp_req deposit = {.method = "POST",
                             .path = "/api/admin/funds/deposit",
                             .token = admin,
                             .headers = headers,
                             .body =
                                 "{\"currency\":\"GBP\",\"amount\":1,\"reference\":\"proxied\"}",
                             .body_len = PP_STRLEN};
    struct pp_resp *r = pp_call(&srv, &deposit);
    pp_assert_status(r, 200);
    pp_resp_free(r);
    r = pp_get(&srv, "/api/admin/audit?action=funds.deposit", admin);
    pp_assert_status(r, 200);
    const json_t *entry = json_array_get(json_object_get(r->json, "audit"), 0);
    pp_assert_json_str(entry, "address", "203.0.113.77");
    pp_resp_free(r);
    free(admin);
    pp_server_destroy(&srv);
}

static void test_no_flag_one_bucket(void **state)
{
    (void)state;
    struct pp_server srv;
    memset(&srv, 0, sizeof srv);
    struct pp_server_opts opts = {.args = plain_args};
    assert_int_equal(pp_server_start(&srv, &opts), 0);
    long first = drain_ten(&srv, "198.51.100.1");
    assert_true(first < 999);
    /* X-Forwarded-For is not read: the peer's one bucket, already used. */
    assert_true(remaining_for(&srv, "198.51.100.2") < 999);
    access_log_names(&srv, "127.0.0.1");
    char *log = pp_file_read(srv.err_path, NULL);
    assert_non_null(log);
    assert_null(strstr(log, "198.51.100."));
    free(log);
    pp_server_destroy(&srv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trusted_proxy_separate_buckets),
        cmocka_unit_test(test_no_flag_one_bucket),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
