/*
** This module tests HTTPS: a self-signed certificate for 127.0.0.1 is made
** at test time with the openssl command-line tool, the server is started
** with --tls-cert/--tls-key, and libcurl talks to it verifying the
** certificate (CURLOPT_CAINFO): version, log-in and a bad-input envelope
** over TLS, the security headers on every answer, plain HTTP on the TLS
** port refused, and a certificate the client does not trust refused. A
** missing key file is refused at start with a clear message.
*/
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static struct pp_server srv;
static char dir[1024];
static char cert[1200];
static char key[1200];

static void make_certificate(void)
{
    assert_int_equal(pp_temp_dir_make(dir, sizeof dir), 0);
    snprintf(cert, sizeof cert, "%s/cert.pem", dir);
    snprintf(key, sizeof key, "%s/key.pem", dir);
    char *cmd = pp_fmt("umask 077 && openssl req -x509 -newkey rsa:2048 -nodes "
                       "-keyout '%s' -out '%s' -days 1 -subj /CN=127.0.0.1 "
                       "-addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1",
                       key, cert);
    int rc = system(cmd);
    free(cmd);
    if (rc != 0) {
        fail_msg("the openssl tool could not make a test certificate");
    }
}

static void assert_headers(const struct pp_resp *r)
{
    const char *cc = pp_resp_header(r, "Cache-Control");
    const char *ns = pp_resp_header(r, "X-Content-Type-Options");
    assert_non_null(cc);
    assert_non_null(ns);
    assert_string_equal(cc, "no-store");
    assert_string_equal(ns, "nosniff");
}

static void test_https_serves(void **state)
{
    (void)state;
    assert_string_equal(srv.scheme, "https");
    struct pp_resp *r = pp_get(&srv, "/api/version", NULL);
    pp_assert_status(r, 200);
    assert_headers(r);
    pp_resp_free(r);
    char *token = pp_admin_login(&srv);
    r = pp_post(&srv, "/api/admin/funds/deposit", token, "{\"currency\":\"GBP\",\"amount\":0}");
    pp_assert_error(r, 400, "INVALID_PARAMS");
    assert_headers(r);
    pp_resp_free(r);
    free(token);
}

static void test_plain_http_refused(void **state)
{
    (void)state;
    struct pp_server plain = srv;
    snprintf(plain.base_url, sizeof plain.base_url, "http://127.0.0.1:%d", srv.port);
    struct pp_req req = {.method = "GET", .path = "/api/version"};
    struct pp_resp *r = pp_request(&plain, NULL, &req);
    assert_non_null(r);
    if (r->status == 200) {
        fail_msg("plain HTTP on the TLS port was served");
    }
    pp_resp_free(r);
}

static void test_untrusted_certificate_refused(void **state)
{
    (void)state;
    struct pp_server untrusted = srv;
    untrusted.ca_file[0] = '\0';
    struct pp_req req = {.method = "GET", .path = "/api/version"};
    struct pp_resp *r = pp_request(&untrusted, NULL, &req);
    assert_non_null(r);
    assert_int_equal(r->status, 0); /* the client refuses the handshake */
    pp_resp_free(r);
}

static void test_key_file_missing(void **state)
{
    (void)state;
    char *missing = pp_fmt("%s/nope.pem", dir);
    char *db = pp_fmt("%s/never.db", dir);
    const char *args[] = {"serve",      "--port", "0",         "--db",  db,
                          "--tls-cert", cert,     "--tls-key", missing, NULL};
    char *out = NULL;
    int rc = pp_run(args, NULL, &out);
    if (rc == 0 || out == NULL || strstr(out, "cannot read") == NULL) {
        fail_msg("serve with a missing key exited %d: %s", rc, out != NULL ? out : "");
    }
    free(out);
    struct stat sb;
    assert_int_not_equal(stat(db, &sb), 0); /* nothing was opened or created */
    free(db);
    free(missing);
}

static int group_setup(void **state)
{
    (void)state;
    make_certificate();
    struct stat sb;
    if (stat(key, &sb) != 0 || (sb.st_mode & 077) != 0) {
        return -1;
    }
    const char *args[] = {"--tls-cert", cert, "--tls-key", key, NULL};
    struct pp_server_opts opts = {.args = args};
    if (pp_server_start(&srv, &opts) != 0) {
        return -1;
    }
    snprintf(srv.ca_file, sizeof srv.ca_file, "%.1000s", cert);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    pp_server_destroy(&srv);
    pp_temp_dir_remove(dir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_https_serves),
        cmocka_unit_test(test_plain_http_refused),
        cmocka_unit_test(test_untrusted_certificate_refused),
        cmocka_unit_test(test_key_file_missing),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
