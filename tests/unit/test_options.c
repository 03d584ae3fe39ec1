/*
** This module implements the unit tests of cli/options: the defaults of
** every row, the bounds of every ranged row (both ends accepted, one past
** refused, non-numbers refused), the exact message of each check, the
** environment fallback (an empty variable is unset), the flag beating the
** variable, unknown flags and missing values, the order in which several
** failures are reported, the derived defaults (cores, a burst twice the
** rate), the usage text (every flag, variable and default, 79 columns),
** and the agreement of docs/operations.md's flag table with the option
** table, in both directions; the comparison itself is shown to fail on a
** doctored copy of the document.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "payout/cli/options.h"
#include "payout/limits.h"

#ifndef PP_OPERATIONS_DOC
#error "PP_OPERATIONS_DOC must name docs/operations.md (tests/CMakeLists.txt)"
#endif

#define ARGS_MAX 16
#define DOC_BYTES_MAX (256 * 1024)
#define DOC_CELLS 4
#define DOC_TOKENS_MAX 4
#define DOC_TOKEN_BYTES 64

/* Clears every variable of the table, so the parse sees only what a test sets. */
static int env_clear(void **state)
{
    (void)state;
    for (size_t i = 0; i < cli_option_count; i++) {
        if (cli_option_table[i].env != NULL) {
            unsetenv(cli_option_table[i].env);
        }
    }
    return 0;
}

/* Parses "payout-panel" followed by the NULL-terminated words. */
static enum pp_status parse(struct cli_options *o, struct pp_err *err, ...)
{
    char *argv[ARGS_MAX + 1] = {"payout-panel"};
    int argc = 1;
    va_list ap;
    va_start(ap, err);
    for (char *w = va_arg(ap, char *); w != NULL; w = va_arg(ap, char *)) {
        assert_true(argc < ARGS_MAX);
        argv[argc++] = w;
    }
    va_end(ap);
    pp_err_clear(err);
    return cli_options_parse(argc, argv, o, err);
}

static long long_at(const struct cli_options *o, const struct cli_option *opt)
{
    return *(const long *)(const void *)((const char *)o + opt->offset);
}

static const char *text_at(const struct cli_options *o, const struct cli_option *opt)
{
    return *(const char *const *)(const void *)((const char *)o + opt->offset);
}

static void test_table_is_sound(void **state)
{
    (void)state;
    assert_true(cli_option_count <= PP_CLI_OPTIONS_MAX);
    for (size_t i = 0; i < cli_option_count; i++) {
        const struct cli_option *a = &cli_option_table[i];
        assert_non_null(a->help);
        assert_true(a->flag != NULL || a->env != NULL);
        if (a->kind == CLI_VALUE_ACTION) {
            assert_non_null(a->command);
            assert_null(a->env);
        } else if (a->flag != NULL) {
            assert_non_null(a->value_name);
        }
        if (a->kind == CLI_VALUE_LONG) {
            assert_true(a->min <= a->max);
            assert_true(a->check != CLI_CHECK_NONE);
        }
        if (a->kind == CLI_VALUE_LONG && a->derived != CLI_DERIVED_CORES) {
            assert_true(a->min <= a->default_value && a->default_value <= a->max);
        }
        for (size_t j = i + 1; j < cli_option_count; j++) {
            const struct cli_option *b = &cli_option_table[j];
            assert_false(a->flag != NULL && b->flag != NULL && strcmp(a->flag, b->flag) == 0);
            /* One variable may feed a flag and an environment-only row
            ** (PAYOUT_ADMIN_EMAIL), never two flags. */
            assert_false(a->flag != NULL && b->flag != NULL && a->env != NULL && b->env != NULL &&
                         strcmp(a->env, b->env) == 0);
        }
    }
}

static void test_defaults(void **state)
{
    (void)state;
    struct cli_options o;
    struct pp_err err;
    assert_int_equal(parse(&o, &err, NULL), PP_OK);
    assert_string_equal(o.command, "serve");
    for (size_t i = 0; i < cli_option_count; i++) {
        const struct cli_option *opt = &cli_option_table[i];
        if (opt->kind == CLI_VALUE_TEXT && opt->default_text == NULL) {
            assert_null(text_at(&o, opt));
        } else if (opt->kind == CLI_VALUE_TEXT) {
            assert_string_equal(text_at(&o, opt), opt->default_text);
        } else if (opt->kind == CLI_VALUE_LONG && opt->derived != CLI_DERIVED_CORES) {
            assert_int_equal(long_at(&o, opt), opt->default_value);
        }
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    long threads_max = PP_READERS_MAX - PP_READERS_SPARE;
    assert_int_equal(o.threads,
                     cores > 0 ? (cores < threads_max ? cores : threads_max) : PP_THREADS_FALLBACK);
    /* A machine with more cores than --threads allows still starts. */
    assert_int_equal(cli_threads_default(64, threads_max), threads_max);
    assert_int_equal(cli_threads_default(threads_max + 1, threads_max), threads_max);
    assert_int_equal(cli_threads_default(threads_max, threads_max), threads_max);
    assert_int_equal(cli_threads_default(4, threads_max), 4);
    assert_int_equal(cli_threads_default(0, threads_max), PP_THREADS_FALLBACK);
    assert_int_equal(cli_threads_default(-1, threads_max), PP_THREADS_FALLBACK);
    /* The figures themselves, as docs/operations.md states them. */
    assert_int_equal(o.port, 5006);
    assert_string_equal(o.bind_addr, "127.0.0.1");
    assert_string_equal(o.db_path, "./var/payout.db");
    assert_int_equal(o.body_bytes_max, 1048576);
    assert_int_equal(o.rate_limit_per_s, 200);
    assert_int_equal(o.rate_burst, 400);
    assert_int_equal(o.idempotency_ttl_h, 24);
    assert_int_equal(o.password_iterations, 600000);
    assert_int_equal(o.stop_wait_s, 10);
    assert_string_equal(o.first_admin_email, "admin@localhost");
    assert_null(o.email);
    assert_null(o.admin_password);
}

/* Every ranged row: both ends accepted, one past either end and
** non-numbers refused, with a message that names the flag. */
static void test_every_range(void **state)
{
    (void)state;
    struct cli_options o;
    struct pp_err err;
    char text[32];
    for (size_t i = 0; i < cli_option_count; i++) {
        const struct cli_option *opt = &cli_option_table[i];
        if (opt->kind != CLI_VALUE_LONG) {
            continue;
        }
        const long good[] = {opt->min, opt->max};
        const long bad[] = {opt->min - 1, opt->max + 1};
        for (int k = 0; k < 2; k++) {
            snprintf(text, sizeof text, "%ld", good[k]);
            assert_int_equal(parse(&o, &err, opt->flag, text, NULL), PP_OK);
            assert_int_equal(long_at(&o, opt), good[k]);
            snprintf(text, sizeof text, "%ld", bad[k]);
            assert_int_equal(parse(&o, &err, opt->flag, text, NULL), PP_INVALID_PARAMS);
            assert_non_null(strstr(err.message, opt->flag));
        }
        const char *junk[] = {"", "x", "5x", "5 ", "1e3", "0x10", "99999999999999999999"};
        for (size_t k = 0; k < sizeof junk / sizeof junk[0]; k++) {
            assert_int_equal(parse(&o, &err, opt->flag, junk[k], NULL), PP_INVALID_PARAMS);
            assert_non_null(strstr(err.message, opt->flag));
        }
    }
}

/* The exact messages people and the API tests see. */
static void test_messages(void **state)
{
    (void)state;
    static const char *const cases[][3] = {
        {"--port", "65536", "--port, --threads or --body-max is out of range"},
        {"--threads", "15", "--port, --threads or --body-max is out of range"},
        {"--body-max", "1023", "--port, --threads or --body-max is out of range"},
        {"--expiry-interval-ms", "-1", "--expiry-interval-ms must be 0 to 86400000"},
        {"--password-iterations", "999", "--password-iterations must be 1000 to 10000000"},
        {"--conn-timeout-s", "3601",
         "--conn-timeout-s, --max-connections, --per-ip-connections or --header-timeout-s is out "
         "of range"},
        {"--max-connections", "0",
         "--conn-timeout-s, --max-connections, --per-ip-connections or --header-timeout-s is out "
         "of range"},
        {"--per-ip-connections", "65537",
         "--conn-timeout-s, --max-connections, --per-ip-connections or --header-timeout-s is out "
         "of range"},
        {"--header-timeout-s", "0",
         "--conn-timeout-s, --max-connections, --per-ip-connections or --header-timeout-s is out "
         "of range"},
        {"--rate-limit", "-1", "--rate-limit, --rate-burst or --idempotency-ttl-h is out of range"},
        {"--rate-burst", "0", "--rate-limit, --rate-burst or --idempotency-ttl-h is out of range"},
        {"--idempotency-ttl-h", "23",
         "--rate-limit, --rate-burst or --idempotency-ttl-h is out of range"},
        {"--stop-wait-s", "601", "--stop-wait-s must be 1 to 600"},
        {"--tls-cert", "a.pem", "--tls-cert and --tls-key go together"},
        {"--tls-key", "a.pem", "--tls-cert and --tls-key go together"},
    };
    struct cli_options o;
    struct pp_err err;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(parse(&o, &err, cases[i][0], cases[i][1], NULL), PP_INVALID_PARAMS);
        assert_string_equal(err.message, cases[i][2]);
    }
    assert_int_equal(parse(&o, &err, "--tls-cert", "c", "--tls-key", "k", NULL), PP_OK);
    assert_string_equal(o.tls_cert, "c");
    assert_string_equal(o.tls_key, "k");
}

static void test_db_path_length(void **state)
{
    (void)state;
    static char path[PP_DB_PATH_BYTES_MAX + 1];
    struct cli_options o;
    struct pp_err err;
    memset(path, 'a', PP_DB_PATH_BYTES_MAX);
    path[PP_DB_PATH_BYTES_MAX] = '\0';
    assert_int_equal(parse(&o, &err, "--db", path, NULL), PP_INVALID_PARAMS);
    assert_string_equal(err.message, "--db path is too long");
    path[PP_DB_PATH_BYTES_MAX - 1] = '\0';
    assert_int_equal(parse(&o, &err, "--db", path, NULL), PP_OK);
    assert_ptr_equal(o.db_path, path);
    path[PP_DB_PATH_BYTES_MAX - 1] = 'a';
    setenv("PAYOUT_DB", path, 1);
    assert_int_equal(parse(&o, &err, NULL), PP_INVALID_PARAMS);
    assert_string_equal(err.message, "--db path is too long");
    unsetenv("PAYOUT_DB");
}

static void test_env_fallback(void **state)
{
    (void)state;
    struct cli_options o;
    struct pp_err err;
    setenv("PAYOUT_PORT", "6001", 1);
    setenv("PAYOUT_DB", "/tmp/x.db", 1);
    setenv("PAYOUT_RATE_BURST", "9", 1);
    setenv("PAYOUT_ADMIN_PASSWORD", "twelve-bytes-or-more", 1);
    setenv("PAYOUT_ADMIN_EMAIL", "a@example.com", 1);
    setenv("PAYOUT_LOG_LEVEL", "", 1); /* empty counts as unset */
    assert_int_equal(parse(&o, &err, NULL), PP_OK);
    assert_int_equal(o.port, 6001);
    assert_string_equal(o.db_path, "/tmp/x.db");
    assert_int_equal(o.rate_burst, 9);
    assert_string_equal(o.admin_password, "twelve-bytes-or-more");
    assert_string_equal(o.email, "a@example.com");
    assert_string_equal(o.first_admin_email, "a@example.com");
    assert_string_equal(o.log_level, "info");
    /* A bad variable is refused like a bad flag. */
    setenv("PAYOUT_PASSWORD_ITERATIONS", "500", 1);
    assert_int_equal(parse(&o, &err, NULL), PP_INVALID_PARAMS);
    assert_string_equal(err.message, "--password-iterations must be 1000 to 10000000");
    setenv("PAYOUT_PASSWORD_ITERATIONS", "", 1);
    assert_int_equal(parse(&o, &err, NULL), PP_OK);
    assert_int_equal(o.password_iterations, 600000);
    env_clear(NULL);
}

static void test_flag_beats_env(void **state)
{
    (void)state;
    struct cli_options o;
    struct pp_err err;
    setenv("PAYOUT_PORT", "6001", 1);
    setenv("PAYOUT_BIND", "::1", 1);
    assert_int_equal(parse(&o, &err, "--port", "7002", "--bind", "10.0.0.1", NULL), PP_OK);
    assert_int_equal(o.port, 7002);
    assert_string_equal(o.bind_addr, "10.0.0.1");
    /* The variable a flag replaces is never checked. */
    setenv("PAYOUT_PORT", "not-a-port", 1);
    assert_int_equal(parse(&o, &err, "--port", "7003", NULL), PP_OK);
    assert_int_equal(o.port, 7003);
    assert_int_equal(parse(&o, &err, NULL), PP_INVALID_PARAMS);
    /* The last of a repeated flag wins. */
    assert_int_equal(parse(&o, &err, "--port", "1", "--port", "2", NULL), PP_OK);
    assert_int_equal(o.port, 2);
    env_clear(NULL);
}

static void test_unknown_and_missing(void **state)
{
    (void)state;
    struct cli_options o;
    struct pp_err err;
    assert_int_equal(parse(&o, &err, "--bogus", "1", NULL), PP_INVALID_PARAMS);
    assert_string_equal(err.message, "unknown option --bogus");
    assert_int_equal(parse(&o, &err, "check", "extra", "words", NULL), PP_INVALID_PARAMS);
    assert_string_equal(err.message, "unknown option extra");
    /* A last word without a value is incomplete, known flag or not. */
    assert_int_equal(parse(&o, &err, "--port", NULL), PP_INVALID_PARAMS);
    assert_string_equal(err.message, "--port needs a value");
    assert_int_equal(parse(&o, &err, "--db", "x", "--bogus", NULL), PP_INVALID_PARAMS);
    assert_string_equal(err.message, "--bogus needs a value");
    /* Variables are not flags: no row answers to the variable's name. */
    assert_int_equal(parse(&o, &err, "serve", "PAYOUT_ADMIN_PASSWORD", "x", NULL),
                     PP_INVALID_PARAMS);
    assert_string_equal(err.message, "unknown option PAYOUT_ADMIN_PASSWORD");
}

static void test_commands_and_actions(void **state)
{
    (void)state;
    struct cli_options o;
    struct pp_err err;
    assert_int_equal(parse(&o, &err, "migrate", "--db", "m.db", NULL), PP_OK);
    assert_string_equal(o.command, "migrate");
    assert_string_equal(o.db_path, "m.db");
    assert_int_equal(parse(&o, &err, "--help", NULL), PP_OK);
    assert_string_equal(o.command, "help");
    assert_int_equal(parse(&o, &err, "check", "-h", NULL), PP_OK);
    assert_string_equal(o.command, "help");
    assert_int_equal(parse(&o, &err, "--version", NULL), PP_OK);
    assert_string_equal(o.command, "version");
    /* An action ends the parse: what follows, or a bad value before it, is
    ** never looked at. */
    assert_int_equal(parse(&o, &err, "--help", "--bogus", NULL), PP_OK);
    assert_int_equal(parse(&o, &err, "--port", "99999", "--version", NULL), PP_OK);
    assert_string_equal(o.command, "version");
    /* ... but an action word in a value's place is that value. */
    assert_int_equal(parse(&o, &err, "--db", "--help", NULL), PP_OK);
    assert_string_equal(o.command, "serve");
    assert_string_equal(o.db_path, "--help");
}

/* Several failures: the first check in enum cli_check order is reported. */
static void test_check_order(void **state)
{
    (void)state;
    struct cli_options o;
    struct pp_err err;
    assert_int_equal(parse(&o, &err, "--rate-limit", "-1", "--port", "99999",
                           "--expiry-interval-ms", "-1", NULL),
                     PP_INVALID_PARAMS);
    assert_string_equal(err.message, "--expiry-interval-ms must be 0 to 86400000");
    assert_int_equal(parse(&o, &err, "--rate-limit", "-1", "--tls-cert", "c", NULL),
                     PP_INVALID_PARAMS);
    assert_string_equal(err.message, "--tls-cert and --tls-key go together");
    assert_int_equal(parse(&o, &err, "--tls-cert", "c", "--conn-timeout-s", "0", NULL),
                     PP_INVALID_PARAMS);
    assert_string_equal(err.message, "--conn-timeout-s, --max-connections, --per-ip-connections or "
                                     "--header-timeout-s is out of range");
}

static void test_burst_follows_rate(void **state)
{
    (void)state;
    struct cli_options o;
    struct pp_err err;
    assert_int_equal(parse(&o, &err, "--rate-limit", "10", NULL), PP_OK);
    assert_int_equal(o.rate_burst, 20);
    assert_int_equal(parse(&o, &err, "--rate-limit", "0", NULL), PP_OK);
    assert_int_equal(o.rate_limit_per_s, 0);
    assert_int_equal(o.rate_burst, 1);
    assert_int_equal(parse(&o, &err, "--rate-limit", "10", "--rate-burst", "5", NULL), PP_OK);
    assert_int_equal(o.rate_burst, 5);
    assert_int_equal(parse(&o, &err, "--rate-burst", "5", NULL), PP_OK);
    assert_int_equal(o.rate_limit_per_s, 200);
    assert_int_equal(o.rate_burst, 5);
    setenv("PAYOUT_RATE_LIMIT", "7", 1);
    assert_int_equal(parse(&o, &err, NULL), PP_OK);
    assert_int_equal(o.rate_burst, 14);
    env_clear(NULL);
}

static void test_usage_lists_everything(void **state)
{
    (void)state;
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    assert_non_null(out);
    cli_options_usage_print(out);
    fclose(out);
    for (const char *line = text; *line != '\0';) {
        size_t len = strcspn(line, "\n");
        assert_true(len < PP_USAGE_COLUMNS);
        line += len + (line[len] == '\n');
    }
    /* Searched with the wrapping undone: every run of blanks is one space. */
    size_t n = 0;
    for (size_t i = 0; text[i] != '\0'; i++) {
        int blank = text[i] == ' ' || text[i] == '\n';
        if (!blank || (n > 0 && text[n - 1] != ' ')) {
            text[n++] = blank ? ' ' : text[i];
        }
    }
    text[n] = '\0';
    char want[128];
    for (size_t i = 0; i < cli_option_count; i++) {
        const struct cli_option *opt = &cli_option_table[i];
        if (opt->flag != NULL) {
            assert_non_null(strstr(text, opt->flag));
        }
        if (opt->env != NULL) {
            snprintf(want, sizeof want, opt->flag != NULL ? "[%s]" : "%s", opt->env);
            assert_non_null(strstr(text, want));
        }
        if (opt->kind == CLI_VALUE_LONG && opt->default_text == NULL) {
            snprintf(want, sizeof want, "(default %ld)", opt->default_value);
            assert_non_null(strstr(text, want));
        }
        if (opt->default_text != NULL) {
            snprintf(want, sizeof want, "(default %s)", opt->default_text);
            assert_non_null(strstr(text, want));
        }
        if (opt->kind == CLI_VALUE_LONG) {
            snprintf(want, sizeof want, "(%ld..%ld)", opt->min, opt->max);
            assert_non_null(strstr(text, want));
        }
    }
    assert_non_null(strstr(text, "(default ./var/payout.db)"));
    assert_non_null(strstr(text, "(default number of cores)"));
    free(text);
}

/* --- docs/operations.md ------------------------------------------------ */

/* One row of the document's flag table: the backticked flags and
** variables, and the default and meaning cells as written. */
struct doc_row {
    char flags[DOC_TOKENS_MAX][DOC_TOKEN_BYTES];
    size_t flag_count;
    char env[DOC_TOKEN_BYTES]; /* "" when the cell has none */
    char cells[DOC_CELLS][512];
};

/* Copies the backticked words of cell that start with prefix (up to a
** space) into tokens; returns how many. */
static size_t doc_tokens(const char *cell, const char *prefix, char tokens[][DOC_TOKEN_BYTES],
                         size_t max)
{
    size_t n = 0;
    for (const char *p = strchr(cell, '`'); p != NULL && n < max; p = strchr(p, '`')) {
        const char *end = strchr(p + 1, '`');
        if (end == NULL) {
            break;
        }
        size_t len = strcspn(p + 1, " `");
        if (strncmp(p + 1, prefix, strlen(prefix)) == 0 && len < DOC_TOKEN_BYTES) {
            memcpy(tokens[n], p + 1, len);
            tokens[n++][len] = '\0';
        }
        p = end + 1;
    }
    return n;
}

/* Reads the table under "## Flags and environment" into rows; returns the
** row count (header and separator skipped). */
static size_t doc_rows_read(const char *md, struct doc_row *rows, size_t max)
{
    const char *p = strstr(md, "\n## Flags and environment\n");
    size_t n = 0;
    int in_table = 0;
    char env_tokens[1][DOC_TOKEN_BYTES];
    for (p = p != NULL ? strchr(p + 1, '\n') : NULL; p != NULL && *p != '\0' && n < max;) {
        p++;
        size_t len = strcspn(p, "\n");
        if (p[0] != '|') {
            if (in_table || strncmp(p, "## ", 3) == 0) {
                break;
            }
            p += len;
            continue;
        }
        in_table = 1;
        struct doc_row *r = &rows[n];
        memset(r, 0, sizeof *r);
        const char *c = p + 1;
        for (int k = 0; k < DOC_CELLS && c < p + len; k++) {
            size_t clen = strcspn(c, "|\n");
            snprintf(r->cells[k], sizeof r->cells[k], "%.*s", (int)clen, c);
            c += clen + 1;
        }
        if (strstr(r->cells[0], "---") == NULL && strstr(r->cells[0], " flag ") == NULL) {
            r->flag_count = doc_tokens(r->cells[0], "-", r->flags, DOC_TOKENS_MAX);
            if (doc_tokens(r->cells[1], "PAYOUT_", env_tokens, 1) == 1) {
                snprintf(r->env, sizeof r->env, "%s", env_tokens[0]);
            }
            n++;
        }
        p += len;
    }
    return n;
}

static int doc_row_has_flag(const struct doc_row *r, const char *flag)
{
    for (size_t k = 0; k < r->flag_count; k++) {
        if (strcmp(r->flags[k], flag) == 0) {
            return 1;
        }
    }
    return 0;
}

/* The document's row for opt: by flag, or for a variable without a flag,
** a row without flags naming that variable. NULL when there is none. */
static const struct doc_row *doc_row_find(const struct doc_row *rows, size_t n,
                                          const struct cli_option *opt)
{
    for (size_t i = 0; i < n; i++) {
        if (opt->flag != NULL ? doc_row_has_flag(&rows[i], opt->flag)
                              : rows[i].flag_count == 0 && strcmp(rows[i].env, opt->env) == 0) {
            return &rows[i];
        }
    }
    return NULL;
}

/* What one row of the document must say of opt. Returns problems found. */
static int doc_row_compare(const struct doc_row *r, const struct cli_option *opt)
{
    const char *name = opt->flag != NULL ? opt->flag : opt->env;
    char want[128];
    int problems = 0;
    if (strcmp(r->env, opt->env != NULL ? opt->env : "") != 0) {
        print_message("docs: %s has variable '%s', the table '%s'\n", name, r->env,
                      opt->env != NULL ? opt->env : "");
        problems++;
    }
    if (r->flag_count != (size_t)((opt->flag != NULL) + (opt->alias != NULL)) ||
        (opt->alias != NULL && !doc_row_has_flag(r, opt->alias))) {
        print_message("docs: %s is spelled differently in the document\n", name);
        problems++;
    }
    want[0] = '\0';
    if (opt->default_text != NULL) {
        /* A text default is a value in backticks, a described one is prose. */
        if (opt->kind == CLI_VALUE_TEXT) {
            snprintf(want, sizeof want, "`%s`", opt->default_text);
        } else {
            snprintf(want, sizeof want, "%s", opt->default_text);
        }
    } else if (opt->kind == CLI_VALUE_LONG) {
        snprintf(want, sizeof want, "`%ld`", opt->default_value);
    }
    if (want[0] != '\0' && strstr(r->cells[2], want) == NULL) {
        print_message("docs: %s default should say %s: %s\n", name, want, r->cells[2]);
        problems++;
    }
    if (opt->kind == CLI_VALUE_LONG) {
        snprintf(want, sizeof want, "%ld\u2013%ld", opt->min, opt->max);
        if (strstr(r->cells[3], want) == NULL) {
            print_message("docs: %s range should be %s\n", name, want);
            problems++;
        }
    }
    return problems;
}

/* Compares the document's flag table with the option table both ways;
** returns the number of disagreements (each printed). */
static int doc_compare(const char *md)
{
    static struct doc_row rows[64];
    size_t n = doc_rows_read(md, rows, 64);
    int problems = n == 0;
    for (size_t i = 0; i < cli_option_count; i++) {
        const struct cli_option *opt = &cli_option_table[i];
        const struct doc_row *r = doc_row_find(rows, n, opt);
        if (r == NULL) {
            print_message("docs: %s is missing\n", opt->flag != NULL ? opt->flag : opt->env);
            problems++;
        } else {
            problems += doc_row_compare(r, opt);
        }
    }
    for (size_t i = 0; i < n; i++) {
        int known = 0;
        for (size_t j = 0; j < cli_option_count; j++) {
            const struct cli_option *opt = &cli_option_table[j];
            known |= doc_row_find(&rows[i], 1, opt) != NULL;
        }
        if (!known) {
            print_message("docs: row '%s|%s' is not in the option table\n", rows[i].cells[0],
                          rows[i].cells[1]);
            problems++;
        }
    }
    return problems;
}

static char *doc_load(void)
{
    FILE *f = fopen(PP_OPERATIONS_DOC, "rb");
    assert_non_null(f);
    char *md = calloc(1, DOC_BYTES_MAX + 1);
    assert_non_null(md);
    size_t len = fread(md, 1, DOC_BYTES_MAX, f);
    fclose(f);
    assert_true(len > 0 && len < DOC_BYTES_MAX);
    return md;
}

/* Returns a new copy of md with the first `from` replaced by `to`. */
static char *doc_edit(const char *md, const char *from, const char *to)
{
    const char *at = strstr(md, from);
    assert_non_null(at);
    size_t size = strlen(md) - strlen(from) + strlen(to) + 1;
    char *out = malloc(size);
    assert_non_null(out);
    snprintf(out, size, "%.*s%s%s", (int)(at - md), md, to, at + strlen(from));
    return out;
}

static void test_docs_agree(void **state)
{
    (void)state;
    char *md = doc_load();
    assert_int_equal(doc_compare(md), 0);
    free(md);
}

/* The comparison fails when either side lacks a flag or a variable. */
static void test_docs_check_can_fail(void **state)
{
    (void)state;
    char *md = doc_load();
    static const char *const edits[][2] = {
        {"| `--port N` |", "| `--prot N` |"},             /* a flag missing in the docs */
        {"| `PAYOUT_PORT` |", "| `PAYOUT_PORTS` |"},      /* a variable renamed */
        {"| `PAYOUT_TLS_KEY` |", "| — |"},                /* a variable missing */
        {"| — | `PAYOUT_ADMIN_PASSWORD` |", "| — | — |"}, /* an env-only row lost */
        {"| `5006` |", "| `5007` |"},                     /* a default changed */
        {"0–65535", "0–65536"},                           /* a range changed */
        {"| `--help`, `-h` |", "| `--help` |"},           /* an alias missing */
        {"| `--version` |", "| `--frob N` | `PAYOUT_FROB` | `1` | x |\n| `--version` |"},
    };
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        char *bad = doc_edit(md, edits[i][0], edits[i][1]);
        if (doc_compare(bad) == 0) {
            fail_msg("the docs check missed: %s -> %s", edits[i][0], edits[i][1]);
        }
        free(bad);
    }
    free(md);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_is_sound),
        cmocka_unit_test_setup(test_defaults, env_clear),
        cmocka_unit_test_setup(test_every_range, env_clear),
        cmocka_unit_test_setup(test_messages, env_clear),
        cmocka_unit_test_setup(test_db_path_length, env_clear),
        cmocka_unit_test_setup(test_env_fallback, env_clear),
        cmocka_unit_test_setup(test_flag_beats_env, env_clear),
        cmocka_unit_test_setup(test_unknown_and_missing, env_clear),
        cmocka_unit_test_setup(test_commands_and_actions, env_clear),
        cmocka_unit_test_setup(test_check_order, env_clear),
        cmocka_unit_test_setup(test_burst_follows_rate, env_clear),
        cmocka_unit_test(test_usage_lists_everything),
        cmocka_unit_test(test_docs_agree),
        cmocka_unit_test(test_docs_check_can_fail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
