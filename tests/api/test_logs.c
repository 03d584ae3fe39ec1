/*
** This module checks that no server log of the whole test run holds a
** secret. The harness appends every server's stdout and stderr (the
** access log goes to stderr) to PP_TEST_TMPDIR/server-logs/ when the
** server is destroyed, and notes every password, authentication password
** and token the tests handled in secrets.txt there. ctest runs this test
** after every other API test (DEPENDS in tests/CMakeLists.txt); it greps
** each archived log for each noted secret and for anything that looks
** like a token ("eyJ", the base64 of '{"', and more of a base64url
** segment: token_like), then starts a server of its
** own, logs in, authenticates and fails a few log-ins, and checks that
** server's logs the same way, so the test proves something even when run
** alone. The archive is emptied afterwards so runs do not pile up.
*/
#include "harness.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SECRETS_MAX 20000

static char *secrets[SECRETS_MAX];
static size_t secret_count;
static size_t logs_scanned;
static size_t bytes_scanned;

static void load_secrets(void)
{
    char path[800];
    snprintf(path, sizeof path, "%s/secrets.txt", pp_log_archive_dir());
    char *text = pp_file_read(path, NULL);
    for (char *line = text; line != NULL && *line != '\0' && secret_count < SECRETS_MAX;) {
        char *nl = strchr(line, '\n');
        if (nl != NULL) {
            *nl = '\0';
        }
        /* Very short strings would match by chance; every real secret is long. */
        if (strlen(line) >= 12) {
            secrets[secret_count++] = strdup(line);
        }
        line = nl != NULL ? nl + 1 : NULL;
    }
    free(text);
}

/* 1 when c may be part of a token's base64url segment. */
static int base64url_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

/* The first thing in text that looks like a token: "eyJ" (the base64 of
** '{"') and base64url characters up to a '.' (a segment's end), or 16 of
** them at least. A temporary directory's random name that happens to hold
** "eyJ" (the archive's header lines name the server's files) is neither. */
static const char *token_like(const char *text)
{
    for (const char *at = strstr(text, "eyJ"); at != NULL; at = strstr(at + 1, "eyJ")) {
        size_t n = 3;
        while (base64url_char(at[n])) {
            n++;
        }
        if (at[n] == '.' || n >= 16) {
            return at;
        }
    }
    return NULL;
}

static void scan_text(const char *name, const char *text)
{
    const char *jwt = token_like(text);
    if (jwt != NULL) {
        fail_msg("%s holds something that looks like a token: %.80s", name, jwt);
    }
    for (size_t i = 0; i < secret_count; i++) {
        if (strstr(text, secrets[i]) != NULL) {
            fail_msg("%s holds a secret the tests used (%.6s...)", name, secrets[i]);
        }
    }
    if (strstr(text, PP_ADMIN_PASSWORD) != NULL) {
        fail_msg("%s holds the admin password", name);
    }
    logs_scanned++;
    bytes_scanned += strlen(text);
}

static void scan_archive(int remove_after)
{
    DIR *dir = opendir(pp_log_archive_dir());
    if (dir == NULL) {
        return;
    }
    for (struct dirent *d = readdir(dir); d != NULL; d = readdir(dir)) {
        if (strncmp(d->d_name, "server-", 7) != 0) {
            continue;
        }
        char path[1200];
        snprintf(path, sizeof path, "%s/%s", pp_log_archive_dir(), d->d_name);
        char *text = pp_file_read(path, NULL);
        if (text != NULL) {
            scan_text(d->d_name, text);
            free(text);
        }
        if (remove_after) {
            unlink(path);
        }
    }
    closedir(dir);
}

static void test_no_secret_in_any_log(void **state)
{
    (void)state;
    /* A run of our own, so there is always something to check. */
    struct pp_server srv;
    assert_int_equal(pp_server_start(&srv, NULL), 0);
    char *admin = pp_admin_login(&srv);
    char *password = pp_enable_integration(&srv, admin);
    char *key = pp_authenticate(&srv, password);
    struct pp_resp *r =
        pp_post(&srv, "/api/authenticate", NULL, "{\"apiKey\":\"wrong-password-logged-nowhere\"}");
    pp_resp_free(r);
    pp_secret_note("wrong-password-logged-nowhere");
    r = pp_post(&srv, "/api/admin/login", NULL,
                "{\"email\":\"" PP_ADMIN_EMAIL "\",\"password\":\"another-wrong-password\"}");
    pp_resp_free(r);
    pp_secret_note("another-wrong-password");
    r = pp_get(&srv, "/api/balances", key);
    pp_resp_free(r);
    r = pp_get(&srv, "/api/balances", "eyJforged.eyJforged.sig");
    pp_resp_free(r);
    pp_server_destroy(&srv);
    free(admin);
    free(password);
    free(key);

    load_secrets();
    assert_true(secret_count >= 5);
    scan_archive(1);
    char path[800];
    snprintf(path, sizeof path, "%s/secrets.txt", pp_log_archive_dir());
    unlink(path);
    printf("server logs: %zu files (%zu bytes) hold none of %zu secrets the tests used, and "
           "nothing token-like\n",
           logs_scanned, bytes_scanned, secret_count);
    assert_true(logs_scanned >= 1);
    for (size_t i = 0; i < secret_count; i++) {
        free(secrets[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_secret_in_any_log),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
