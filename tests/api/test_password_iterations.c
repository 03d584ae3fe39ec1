/*
** This module tests the operations setting --password-iterations /
** PAYOUT_PASSWORD_ITERATIONS: the PBKDF2 count of new admin password
** hashes. A server started with 1000 stores the first admin's hash with
** that count (read back with the sqlite3 tool) and logs in with it; a
** server started on the same database with the default count still logs
** the admin in (a stored hash carries its own count) and a password reset
** there is stored with the default; out-of-range values (flag and
** environment) are refused at start with exit code 2 and a message.
*/
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The iteration count of the admin's stored hash, read with sqlite3. */
static long stored_iterations(const char *db_path)
{
    char *cmd = pp_fmt("sqlite3 '%s' \"SELECT password_hash FROM admins WHERE email = '%s'\"",
                       db_path, PP_ADMIN_EMAIL);
    FILE *f = popen(cmd, "r");
    free(cmd);
    assert_non_null(f);
    char line[256] = "";
    char *got = fgets(line, sizeof line, f);
    if (pclose(f) != 0 || got == NULL) {
        fail_msg("the sqlite3 tool could not read %s", db_path);
    }
    long iterations = -1;
    if (sscanf(line, "pbkdf2-sha256$%ld$", &iterations) != 1) {
        fail_msg("stored hash is not pbkdf2-sha256$<iterations>$...");
    }
    return iterations;
}

static void test_low_count_for_tests_then_default(void **state)
{
    (void)state;
    /* The default must be the built-in one, whatever this run was given
    ** (make valgrind sets a low count for every server). */
    unsetenv("PAYOUT_PASSWORD_ITERATIONS");
    struct pp_server low = {0};
    static const char *const low_args[] = {"--password-iterations", "1000", NULL};
    struct pp_server_opts opts = {.args = low_args};
    assert_int_equal(pp_server_start(&low, &opts), 0);
    free(pp_admin_login(&low));
    assert_int_equal(pp_server_stop(&low), 0);
    assert_int_equal(stored_iterations(low.db_path), 1000);

    /* The same database with the default count: the stored hash still
    ** verifies; a reset stores the default count. */
    struct pp_server def = {0};
    struct pp_server_opts def_opts = {.db_path = low.db_path};
    assert_int_equal(pp_server_start(&def, &def_opts), 0);
    free(pp_admin_login(&def));
    assert_int_equal(pp_server_stop(&def), 0);
    const char *const reset_args[] = {"admin", "--db", low.db_path, NULL};
    const char *const reset_env[] = {"PAYOUT_ADMIN_EMAIL=" PP_ADMIN_EMAIL,
                                     "PAYOUT_ADMIN_PASSWORD=" PP_ADMIN_PASSWORD, NULL};
    char *out = NULL;
    int rc = pp_run(reset_args, reset_env, &out);
    if (rc != 0) {
        fail_msg("admin reset exited %d: %s", rc, out != NULL ? out : "");
    }
    free(out);
    assert_int_equal(stored_iterations(low.db_path), 600000);
    pp_server_destroy(&def);
    pp_server_destroy(&low);
}

static void test_out_of_range_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {"999", "0", "-1", "10000001", "x", "1000x", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *args[] = {"serve", "--password-iterations", bad[i], "--port", "0", NULL};
        char *out = NULL;
        int rc = pp_run(args, NULL, &out);
        if (rc != 2 || out == NULL ||
            strstr(out, "--password-iterations must be 1000 to") == NULL) {
            fail_msg("--password-iterations '%s': exit %d, output %s", bad[i], rc, out ? out : "");
        }
        free(out);
    }
    const char *const args[] = {"serve", "--port", "0", NULL};
    const char *const env[] = {"PAYOUT_PASSWORD_ITERATIONS=500", NULL};
    char *out = NULL;
    int rc = pp_run(args, env, &out);
    if (rc != 2 || out == NULL || strstr(out, "--password-iterations must be") == NULL) {
        fail_msg("PAYOUT_PASSWORD_ITERATIONS=500: exit %d, output %s", rc, out ? out : "");
    }
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_low_count_for_tests_then_default),
        cmocka_unit_test(test_out_of_range_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
