/*
** This module implements the unit tests of http/panel.c and of the table
** cmake/embed_ui.cmake generates: which requests are the panel's (a file
** under /ui/<build hash>/, the HTML shell for "/" and client-side routes)
** and which stay the API's (/api/…, /healthz, /readyz, /metrics, other
** methods, other builds' hashes, unsafe paths); the built-in files (types
** agreeing with the disk table, ETags, gzip forms, the shell naming this
** build's files, the vendored modules with their licences); If-None-Match
** and Accept-Encoding as RFC 9110 reads them. The answers on the wire
** are tested in a real browser by tests/ui/.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "payout/http/panel.h"

#define H "0123456789abcdef"

struct lookup_case {
    const char *method;
    const char *path;
    enum http_panel_kind kind;
    const char *rel; /* expected rel_path, NULL for NONE */
};

static const struct lookup_case lookup_cases[] = {
    /* The shell: "/" and every client-side route. */
    {"GET", "/", HTTP_PANEL_SHELL, HTTP_PANEL_SHELL_FILE},
    {"HEAD", "/", HTTP_PANEL_SHELL, HTTP_PANEL_SHELL_FILE},
    {"GET", "/payouts", HTTP_PANEL_SHELL, HTTP_PANEL_SHELL_FILE},
    {"GET", "/payouts/12", HTTP_PANEL_SHELL, HTTP_PANEL_SHELL_FILE},
    {"GET", "/settings/", HTTP_PANEL_SHELL, HTTP_PANEL_SHELL_FILE},
    {"GET", "/sign-in", HTTP_PANEL_SHELL, HTTP_PANEL_SHELL_FILE},
    {"GET", "/overview", HTTP_PANEL_SHELL, HTTP_PANEL_SHELL_FILE},
    {"GET", "/lists", HTTP_PANEL_SHELL, HTTP_PANEL_SHELL_FILE},
    {"GET", "/funds", HTTP_PANEL_SHELL, HTTP_PANEL_SHELL_FILE},
    {"GET", "/reports", HTTP_PANEL_SHELL, HTTP_PANEL_SHELL_FILE},
    {"GET", "/audit-log", HTTP_PANEL_SHELL, HTTP_PANEL_SHELL_FILE},
    {"GET", "/users/3", HTTP_PANEL_SHELL, HTTP_PANEL_SHELL_FILE},
    {"GET", "/webhooks", HTTP_PANEL_SHELL, HTTP_PANEL_SHELL_FILE},
    {"GET", "/account", HTTP_PANEL_SHELL, HTTP_PANEL_SHELL_FILE},
    /* Unknown addresses are the API's 404 (spec §2), look-alikes too. */
    {"GET", "/nope", HTTP_PANEL_NONE, NULL},
    {"GET", "/payoutsx", HTTP_PANEL_NONE, NULL},
    {"GET", "/Payouts", HTTP_PANEL_NONE, NULL},
    {"GET", "/apis", HTTP_PANEL_NONE, NULL},
    {"GET", "/uifoo", HTTP_PANEL_NONE, NULL},
    {"GET", "/HEALTHZ", HTTP_PANEL_NONE, NULL},
    {"GET", "/healthzx", HTTP_PANEL_NONE, NULL},
    {"GET", "/metricsx", HTTP_PANEL_NONE, NULL},
    /* Files under this build's hash. */
    {"GET", "/ui/" H "/app.js", HTTP_PANEL_FILE, "app.js"},
    {"HEAD", "/ui/" H "/style.css", HTTP_PANEL_FILE, "style.css"},
    {"GET", "/ui/" H "/vendor/preact.js", HTTP_PANEL_FILE, "vendor/preact.js"},
    {"GET", "/ui/" H "/a-b_c.d/e.js", HTTP_PANEL_FILE, "a-b_c.d/e.js"},
    /* API paths are never the panel's: they keep the API's 404 envelope. */
    {"GET", "/api", HTTP_PANEL_NONE, NULL},
    {"GET", "/api/", HTTP_PANEL_NONE, NULL},
    {"GET", "/api/nothing", HTTP_PANEL_NONE, NULL},
    {"GET", "/api/payments/1", HTTP_PANEL_NONE, NULL},
    {"GET", "/healthz", HTTP_PANEL_NONE, NULL},
    {"GET", "/readyz", HTTP_PANEL_NONE, NULL},
    {"GET", "/metrics", HTTP_PANEL_NONE, NULL},
    {"GET", "/metrics/x", HTTP_PANEL_NONE, NULL},
    /* Only GET and HEAD. */
    {"POST", "/", HTTP_PANEL_NONE, NULL},
    {"POST", "/payouts", HTTP_PANEL_NONE, NULL},
    {"DELETE", "/ui/" H "/app.js", HTTP_PANEL_NONE, NULL},
    {"OPTIONS", "/", HTTP_PANEL_NONE, NULL},
    /* A path with an extension outside /ui/ is no route: 404. */
    {"GET", "/favicon.ico", HTTP_PANEL_NONE, NULL},
    {"GET", "/index.html", HTTP_PANEL_NONE, NULL},
    {"GET", "/payouts/export.csv", HTTP_PANEL_NONE, NULL},
    {"GET", "/payouts/1.5", HTTP_PANEL_NONE, NULL},
    /* Another build's hash, no hash, or a path that is not safe. */
    {"GET", "/ui", HTTP_PANEL_NONE, NULL},
    {"GET", "/ui/", HTTP_PANEL_NONE, NULL},
    {"GET", "/ui/app.js", HTTP_PANEL_NONE, NULL},
    {"GET", "/ui/fedcba9876543210/app.js", HTTP_PANEL_NONE, NULL},
    {"GET", "/ui/" H "0/app.js", HTTP_PANEL_NONE, NULL},
    {"GET", "/ui/" H "/", HTTP_PANEL_NONE, NULL},
    {"GET", "/ui/" H, HTTP_PANEL_NONE, NULL},
    {"GET", "/ui/" H "/../" H "/app.js", HTTP_PANEL_NONE, NULL},
    {"GET", "/ui/" H "/vendor/../app.js", HTTP_PANEL_NONE, NULL},
    {"GET", "/ui/" H "/.hidden", HTTP_PANEL_NONE, NULL},
    {"GET", "/ui/" H "//app.js", HTTP_PANEL_NONE, NULL},
    {"GET", "/ui/" H "/vendor/", HTTP_PANEL_NONE, NULL},
    {"GET", "/ui/" H "/a b.js", HTTP_PANEL_NONE, NULL},
    {"GET", "/ui/" H "/a\\b.js", HTTP_PANEL_NONE, NULL},
    {"GET", "/ui/" H "/1/2/3/4/5/6/7/8/9.js", HTTP_PANEL_NONE, NULL},
    {"GET", "", HTTP_PANEL_NONE, NULL},
    {"GET", "*", HTTP_PANEL_NONE, NULL},
};

static void panel_lookup_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof lookup_cases / sizeof lookup_cases[0]; i++) {
        const struct lookup_case *c = &lookup_cases[i];
        struct http_panel_hit hit;
        http_panel_lookup(c->method, c->path, H, &hit);
        if (hit.kind != c->kind) {
            fail_msg("%s %s: kind %d, want %d", c->method, c->path, (int)hit.kind, (int)c->kind);
        }
        if (c->rel == NULL) {
            assert_null(hit.rel_path);
        } else {
            assert_non_null(hit.rel_path);
            assert_string_equal(hit.rel_path, c->rel);
        }
    }
}

static void panel_lookup_long_path(void **state)
{
    (void)state;
    char path[600];
    struct http_panel_hit hit;
    /* The longest relative path served, and one byte more. */
    int n = snprintf(path, sizeof path, "/ui/" H "/");
    memset(path + n, 'a', 256 - 3);
    memcpy(path + n + 256 - 3, ".js", 4);
    http_panel_lookup("GET", path, H, &hit);
    assert_int_equal(hit.kind, HTTP_PANEL_FILE);
    memset(path + n, 'a', 257 - 3);
    memcpy(path + n + 257 - 3, ".js", 4);
    http_panel_lookup("GET", path, H, &hit);
    assert_int_equal(hit.kind, HTTP_PANEL_NONE);
}

/* The disk hash names files only when serving from disk, and the built-in
** hash only then from the table. */
static void panel_lookup_hashes(void **state)
{
    (void)state;
    char path[128];
    struct http_panel_hit hit;
    http_panel_lookup("GET", "/ui/" HTTP_PANEL_DISK_HASH "/app.js", HTTP_PANEL_DISK_HASH, &hit);
    assert_int_equal(hit.kind, HTTP_PANEL_FILE);
    http_panel_lookup("GET", "/ui/" HTTP_PANEL_DISK_HASH "/app.js", http_panel_build_hash, &hit);
    assert_int_equal(hit.kind, HTTP_PANEL_NONE);
    snprintf(path, sizeof path, "/ui/%s/app.js", http_panel_build_hash);
    http_panel_lookup("GET", path, http_panel_build_hash, &hit);
    assert_int_equal(hit.kind, HTTP_PANEL_FILE);
    assert_string_equal(hit.rel_path, "app.js");
}

static int is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return 0;
        }
    }
    return 1;
}

static void panel_files_table(void **state)
{
    (void)state;
    assert_int_equal(strlen(http_panel_build_hash), 16);
    assert_true(is_hex(http_panel_build_hash, 16));
    assert_true(http_panel_files_count >= 8);
    for (size_t i = 0; i < http_panel_files_count; i++) {
        const struct http_panel_file *f = &http_panel_files[i];
        const char *type = http_panel_content_type(f->path);
        assert_non_null(type);
        assert_string_equal(f->content_type, type); /* CMake's table agrees with C's */
        assert_ptr_equal(http_panel_file_find(f->path), f);
        /* Strong ETags: 32 hex digits quoted, the gzip one distinct. */
        assert_int_equal(strlen(f->etag), 34);
        assert_true(f->etag[0] == '"' && f->etag[33] == '"' && is_hex(f->etag + 1, 32));
        assert_int_equal(strncmp(f->etag_gzip, f->etag, 33), 0);
        assert_string_equal(f->etag_gzip + 33, "-gz\"");
        assert_true(f->data_len > 0);
        assert_int_equal(f->data[f->data_len], 0);
        if (f->gzip != NULL) {
            assert_true(f->gzip_len > 18 && f->gzip_len < f->data_len);
            assert_int_equal(f->gzip[0], 0x1f);
            assert_int_equal(f->gzip[1], 0x8b);
            /* gzip -n: no time stamp, so the build is reproducible. */
            assert_int_equal(f->gzip[4] | f->gzip[5] | f->gzip[6] | f->gzip[7], 0);
        } else {
            assert_int_equal(f->gzip_len, 0);
        }
    }
    assert_null(http_panel_file_find("nothing.js"));
    assert_null(http_panel_file_find(""));
}

/* The shell names this build's files and holds no inline script or style. */
static void panel_shell_names_build(void **state)
{
    (void)state;
    const struct http_panel_file *shell = http_panel_file_find(HTTP_PANEL_SHELL_FILE);
    assert_non_null(shell);
    const char *html = (const char *)shell->data;
    static const char *const named[] = {"app.js", "style.css", "icon.svg"};
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++) {
        char want[96];
        snprintf(want, sizeof want, "\"/ui/%s/%s\"", http_panel_build_hash, named[i]);
        assert_non_null(strstr(html, want));
        assert_non_null(http_panel_file_find(named[i]));
    }
    assert_null(strstr(html, "__UI__"));
    assert_non_null(strstr(html, "<script type=\"module\" src=\""));
    assert_null(strstr(html, "<script>"));
    assert_null(strstr(html, "<style"));
    assert_null(strstr(html, "style=\""));
    assert_null(strstr(html, "onload="));
}

static void panel_vendored_modules(void **state)
{
    (void)state;
    static const char *const files[] = {
        "vendor/preact.js",       "vendor/preact-hooks.js",    "vendor/htm.js",
        "vendor/uqr.js",          "vendor/preact-LICENSE.txt", "vendor/htm-LICENSE.txt",
        "vendor/uqr-LICENSE.txt",
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        const struct http_panel_file *f = http_panel_file_find(files[i]);
        if (f == NULL) {
            fail_msg("%s is not built in (npm run vendor)", files[i]);
        }
    }
    /* The browser has no bare module names: hooks import the vendored file. */
    const struct http_panel_file *hooks = http_panel_file_find("vendor/preact-hooks.js");
    assert_non_null(strstr((const char *)hooks->data, "from\"./preact.js\""));
}

static void panel_content_types(void **state)
{
    (void)state;
    assert_string_equal(http_panel_content_type("a.js"), "text/javascript; charset=utf-8");
    assert_string_equal(http_panel_content_type("x/a.CSS"), "text/css; charset=utf-8");
    assert_string_equal(http_panel_content_type("index.html"), "text/html; charset=utf-8");
    assert_string_equal(http_panel_content_type("i.svg"), "image/svg+xml");
    assert_null(http_panel_content_type("a.exe"));
    assert_null(http_panel_content_type("noext"));
    assert_null(http_panel_content_type("dir.js/noext"));
}

struct match_case {
    const char *header;
    int want;
};

static void panel_etag_match_table(void **state)
{
    (void)state;
    static const struct match_case cases[] = {
        {NULL, 0},
        {"", 0},
        {"\"abc\"", 1},
        {"\"abc-gz\"", 1},
        {"W/\"abc\"", 1},
        {"\"x\", \"abc\"", 1},
        {"\"x\",W/\"abc-gz\" ", 1},
        {"*", 1},
        {"\"ab\"", 0},
        {"\"abcd\"", 0},
        {"abc", 0},
        {"\"x\", \"y\"", 0},
        {" , ,", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int got = http_panel_etag_matches(cases[i].header, "\"abc\"", "\"abc-gz\"");
        if (got != cases[i].want) {
            fail_msg("If-None-Match %s: %d, want %d", cases[i].header ? cases[i].header : "(none)",
                     got, cases[i].want);
        }
    }
    assert_false(http_panel_etag_matches("\"abc\"", NULL, NULL));
}

static void panel_gzip_table(void **state)
{
    (void)state;
    static const struct match_case cases[] = {
        {NULL, 0},
        {"", 0},
        {"gzip", 1},
        {"GZIP", 1},
        {"x-gzip", 1},
        {"gzip, deflate, br", 1},
        {"br, gzip;q=0.8", 1},
        {"deflate, br", 0},
        {"identity", 0},
        {"gzip;q=0", 0},
        {"gzip; q=0.000", 0},
        {"gzip;q=0.001", 1},
        {"*", 1},
        {"*;q=0", 0},
        {"*, gzip;q=0", 0},
        {"gzip;q=0, *", 0},
        {"gzipx", 0},
        {"xgzip", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int got = http_panel_accepts_gzip(cases[i].header);
        if (got != cases[i].want) {
            fail_msg("Accept-Encoding %s: %d, want %d",
                     cases[i].header ? cases[i].header : "(none)", got, cases[i].want);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(panel_lookup_table),      cmocka_unit_test(panel_lookup_long_path),
        cmocka_unit_test(panel_lookup_hashes),     cmocka_unit_test(panel_files_table),
        cmocka_unit_test(panel_shell_names_build), cmocka_unit_test(panel_vendored_modules),
        cmocka_unit_test(panel_content_types),     cmocka_unit_test(panel_etag_match_table),
        cmocka_unit_test(panel_gzip_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
