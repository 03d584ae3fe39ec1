/*
** This module implements the command line's option table and the parser
** it drives: each flag is written once, with its environment variable,
** default, range, check and help, and that one row gives the environment
** fallback, the flag, the range check with its message, and the usage
** line. It does not run commands (cli/commands.c) and does not check the
** log level or open files: a value that needs the world to check is the
** command's to refuse.
*/
#include "payout/cli/options.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "payout/base/assert.h"
#include "payout/limits.h"

#define FIELD(name) offsetof(struct cli_options, name)

const struct cli_option cli_option_table[] = {
    {.flag = "--bind",
     .value_name = "ADDR",
     .env = "PAYOUT_BIND",
     .kind = CLI_VALUE_TEXT,
     .default_text = "127.0.0.1",
     .offset = FIELD(bind_addr),
     .help = "listen address, an IPv4 or IPv6 literal"},
    {.flag = "--port",
     .value_name = "N",
     .env = "PAYOUT_PORT",
     .kind = CLI_VALUE_LONG,
     .default_value = 5006,
     .min = 0,
     .max = PP_PORT_MAX,
     .check = CLI_CHECK_LISTEN,
     .offset = FIELD(port),
     .help = "listen port, 0 = any free port"},
    {.flag = "--db",
     .value_name = "PATH",
     .env = "PAYOUT_DB",
     .kind = CLI_VALUE_TEXT,
     .default_text = "./var/payout.db",
     .max = PP_DB_PATH_BYTES_MAX - 1,
     .check = CLI_CHECK_DB_PATH,
     .offset = FIELD(db_path),
     .help = "SQLite database file"},
    {.flag = "--threads",
     .value_name = "N",
     .env = "PAYOUT_THREADS",
     .kind = CLI_VALUE_LONG,
     .default_text = "number of cores",
     .min = 1,
     .max = PP_READERS_MAX - PP_READERS_SPARE,
     .check = CLI_CHECK_LISTEN,
     .derived = CLI_DERIVED_CORES,
     .offset = FIELD(threads),
     .help = "HTTP worker threads"},
    {.flag = "--body-max",
     .value_name = "BYTES",
     .env = "PAYOUT_BODY_MAX",
     .kind = CLI_VALUE_LONG,
     .default_value = PP_BODY_BYTES_DEFAULT,
     .min = PP_BODY_BYTES_MIN,
     .max = PP_BODY_BYTES_MAX,
     .check = CLI_CHECK_LISTEN,
     .offset = FIELD(body_bytes_max),
     .help = "largest request body"},
    {.flag = "--access-log",
     .value_name = "DEST",
     .env = "PAYOUT_ACCESS_LOG",
     .kind = CLI_VALUE_TEXT,
     .default_text = "stderr",
     .offset = FIELD(access_log),
     .help = "'stderr' (or '-'), 'off' or a file path"},
    {.flag = "--metrics",
     .value_name = "MODE",
     .env = "PAYOUT_METRICS",
     .kind = CLI_VALUE_TEXT,
     .default_text = "on",
     .offset = FIELD(metrics),
     .help = "'on' serves GET /metrics (Prometheus text), 'off' answers it 404"},
    {.flag = "--log-level",
     .value_name = "LEVEL",
     .env = "PAYOUT_LOG_LEVEL",
     .kind = CLI_VALUE_TEXT,
     .default_text = "info",
     .offset = FIELD(log_level),
     .help = "debug, info, warn or error"},
    {.flag = "--email",
     .value_name = "ADDR",
     .env = "PAYOUT_ADMIN_EMAIL",
     .kind = CLI_VALUE_TEXT,
     .offset = FIELD(email),
     .help = "admin e-mail for `admin`"},
    {.flag = "--expiry-interval-ms",
     .value_name = "MS",
     .env = "PAYOUT_EXPIRY_INTERVAL_MS",
     .kind = CLI_VALUE_LONG,
     .default_value = PP_EXPIRY_INTERVAL_MS_DEFAULT,
     .min = 0,
     .max = PP_EXPIRY_INTERVAL_MS_MAX,
     .check = CLI_CHECK_EXPIRY,
     .offset = FIELD(expiry_interval_ms),
     .help = "how often open payouts past their endDate are expired, 0 = never"},
    {.flag = "--conn-timeout-s",
     .value_name = "N",
     .env = "PAYOUT_CONN_TIMEOUT_S",
     .kind = CLI_VALUE_LONG,
     .default_value = PP_CONNECTION_TIMEOUT_S,
     .min = 1,
     .max = PP_CONNECTION_TIMEOUT_S_MAX,
     .check = CLI_CHECK_TRANSPORT,
     .offset = FIELD(conn_timeout_s),
     .help = "drop idle or trickling connections after N seconds"},
    {.flag = "--max-connections",
     .value_name = "N",
     .env = "PAYOUT_MAX_CONNECTIONS",
     .kind = CLI_VALUE_LONG,
     .default_value = PP_CONNECTIONS_MAX,
     .min = 1,
     .max = PP_CONNECTIONS_FLAG_MAX,
     .check = CLI_CHECK_TRANSPORT,
     .offset = FIELD(connections_max),
     .help = "simultaneous connections"},
    {.flag = "--per-ip-connections",
     .value_name = "N",
     .env = "PAYOUT_PER_IP_CONNECTIONS",
     .kind = CLI_VALUE_LONG,
     .default_value = PP_CONNECTIONS_PER_IP_MAX,
     .min = 1,
     .max = PP_CONNECTIONS_FLAG_MAX,
     .check = CLI_CHECK_TRANSPORT,
     .offset = FIELD(connections_per_ip_max),
     .help = "connections per client address"},
    {.flag = "--header-timeout-s",
     .value_name = "N",
     .env = "PAYOUT_HEADER_TIMEOUT_S",
     .kind = CLI_VALUE_LONG,
     .default_value = PP_HEADER_TIMEOUT_S,
     .min = 1,
     .max = PP_HEADER_TIMEOUT_S_MAX,
     .check = CLI_CHECK_TRANSPORT,
     .offset = FIELD(header_timeout_s),
     .help = "drop a connection whose request headers are not complete N seconds after it "
             "opened or its last answer"},
    {.flag = "--stop-wait-s",
     .value_name = "N",
     .env = "PAYOUT_STOP_WAIT_S",
     .kind = CLI_VALUE_LONG,
     .default_value = PP_SHUTDOWN_WAIT_S,
     .min = 1,
     .max = PP_SHUTDOWN_WAIT_S_MAX,
     .check = CLI_CHECK_STOP,
     .offset = FIELD(stop_wait_s),
     .help = "on SIGTERM, wait N seconds for requests in flight, then N for their writes"},
    {.flag = "--tls-cert",
     .value_name = "PEM",
     .env = "PAYOUT_TLS_CERT",
     .kind = CLI_VALUE_TEXT,
     .check = CLI_CHECK_TLS,
     .offset = FIELD(tls_cert),
     .help = "serve HTTPS with this certificate chain"},
    {.flag = "--tls-key",
     .value_name = "PEM",
     .env = "PAYOUT_TLS_KEY",
     .kind = CLI_VALUE_TEXT,
     .check = CLI_CHECK_TLS,
     .offset = FIELD(tls_key),
     .help = "... and this private key (mode 0600)"},
    {.flag = "--rate-limit",
     .value_name = "N",
     .env = "PAYOUT_RATE_LIMIT",
     .kind = CLI_VALUE_LONG,
     .default_value = PP_RATE_LIMIT_DEFAULT,
     .min = 0,
     .max = PP_RATE_LIMIT_MAX,
     .check = CLI_CHECK_SERVICE,
     .offset = FIELD(rate_limit_per_s),
     .help = "requests per second per API key and per client address, 0 = off"},
    {.flag = "--rate-burst",
     .value_name = "N",
     .env = "PAYOUT_RATE_BURST",
     .kind = CLI_VALUE_LONG,
     .default_value = PP_RATE_BURST_DEFAULT,
     .min = 1,
     .max = PP_RATE_BURST_MAX,
     .check = CLI_CHECK_SERVICE,
     .derived = CLI_DERIVED_TWICE_RATE,
     .offset = FIELD(rate_burst),
     .help = "requests allowed at once; twice --rate-limit when only that is given"},
    {.flag = "--trusted-proxies",
     .value_name = "CIDRS",
     .env = "PAYOUT_TRUSTED_PROXIES",
     .kind = CLI_VALUE_TEXT,
     .offset = FIELD(trusted_proxies),
     .help = "load balancers (comma-separated CIDRs) whose X-Forwarded-For names the client; "
             "unset: the TCP peer is the client"},
    {.flag = "--idempotency-ttl-h",
     .value_name = "N",
     .env = "PAYOUT_IDEMPOTENCY_TTL_H",
     .kind = CLI_VALUE_LONG,
     .default_value = PP_IDEMPOTENCY_TTL_H_DEFAULT,
     .min = PP_IDEMPOTENCY_TTL_H_MIN,
     .max = PP_IDEMPOTENCY_TTL_H_MAX,
     .check = CLI_CHECK_SERVICE,
     .offset = FIELD(idempotency_ttl_h),
     .help = "hours an Idempotency-Key and its answer are kept"},
    {.flag = "--password-iterations",
     .value_name = "N",
     .env = "PAYOUT_PASSWORD_ITERATIONS",
     .kind = CLI_VALUE_LONG,
     .default_value = PP_PBKDF2_ITERATIONS,
     .min = PP_PBKDF2_ITERATIONS_MIN,
     .max = PP_PBKDF2_ITERATIONS_MAX,
     .check = CLI_CHECK_ITERATIONS,
     .offset = FIELD(password_iterations),
     .help = "PBKDF2 iterations of new admin password hashes; lower only for test "
             "environments"},
    {.flag = "--webhook-retry-ms",
     .value_name = "LIST",
     .env = "PAYOUT_WEBHOOK_RETRY_MS",
     .kind = CLI_VALUE_TEXT,
     .offset = FIELD(webhook_retry_ms),
     .help = "waits between webhook and e-mail retries, comma-separated milliseconds; "
             "unset: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h"},
    {.flag = "--webhook-allow-cidrs",
     .value_name = "LIST",
     .env = "PAYOUT_WEBHOOK_ALLOW_CIDRS",
     .kind = CLI_VALUE_TEXT,
     .offset = FIELD(webhook_allow_cidrs),
     .help = "private or reserved ranges webhooks may connect to, e.g. 127.0.0.0/8"},
    {.flag = "--smtp-url",
     .value_name = "URL",
     .env = "PAYOUT_SMTP_URL",
     .kind = CLI_VALUE_TEXT,
     .offset = FIELD(smtp_url),
     .help = "smtp://host:port (STARTTLS when offered) or smtps://host:port for recipient "
             "e-mails; without it they are recorded as skipped"},
    {.flag = "--smtp-from",
     .value_name = "ADDR",
     .env = "PAYOUT_SMTP_FROM",
     .kind = CLI_VALUE_TEXT,
     .offset = FIELD(smtp_from),
     .help = "the sender of recipient e-mails (needed with --smtp-url)"},
    {.flag = "--role",
     .value_name = "ROLE",
     .env = "PAYOUT_ADMIN_ROLE",
     .kind = CLI_VALUE_TEXT,
     .offset = FIELD(role),
     .help = "role of the user `admin` creates or changes: admin (new users' default), "
             "approver, operator or auditor"},
    {.flag = "--session-idle-s",
     .value_name = "N",
     .env = "PAYOUT_SESSION_IDLE_S",
     .kind = CLI_VALUE_LONG,
     .default_value = PP_SESSION_IDLE_S_DEFAULT,
     .min = 1,
     .max = PP_SESSION_S_MAX,
     .check = CLI_CHECK_SESSION,
     .offset = FIELD(session_idle_s),
     .help = "a browser session ends after N seconds without a request"},
    {.flag = "--session-max-s",
     .value_name = "N",
     .env = "PAYOUT_SESSION_MAX_S",
     .kind = CLI_VALUE_LONG,
     .default_value = PP_SESSION_MAX_S_DEFAULT,
     .min = 1,
     .max = PP_SESSION_S_MAX,
     .check = CLI_CHECK_SESSION,
     .offset = FIELD(session_max_s),
     .help = "a browser session ends N seconds after sign-in, used or not"},
    {.flag = "--secret-file",
     .value_name = "PATH",
     .env = "PAYOUT_SECRET_FILE",
     .kind = CLI_VALUE_TEXT,
     .offset = FIELD(secret_file),
     .help = "the master secret that seals two-factor secrets (created with 32 random bytes, "
             "mode 0600, when missing); default: the database path plus .secret"},
    {.flag = "--help",
     .alias = "-h",
     .kind = CLI_VALUE_ACTION,
     .command = "help",
     .help = "print this usage and exit"},
    {.flag = "--version",
     .kind = CLI_VALUE_ACTION,
     .command = "version",
     .help = "print the version and exit"},
    {.env = "PAYOUT_ADMIN_EMAIL",
     .kind = CLI_VALUE_TEXT,
     .default_text = "admin@localhost",
     .offset = FIELD(first_admin_email),
     .help = "the first admin, created on the first start"},
    {.env = "PAYOUT_ADMIN_PASSWORD",
     .kind = CLI_VALUE_TEXT,
     .offset = FIELD(admin_password),
     .help = "the password of the first admin and of `admin` (at least 12 bytes); "
             "without it one is generated and printed once"},
    {.env = "PAYOUT_SMTP_USER",
     .kind = CLI_VALUE_TEXT,
     .offset = FIELD(smtp_user),
     .help = "the SMTP user name (AUTH) for --smtp-url"},
    {.env = "PAYOUT_SMTP_PASSWORD",
     .kind = CLI_VALUE_TEXT,
     .offset = FIELD(smtp_password),
     .help = "the SMTP password; never a flag, never logged"},
    {.env = "PAYOUT_SMTP_CA_FILE",
     .kind = CLI_VALUE_TEXT,
     .offset = FIELD(smtp_ca_file),
     .help = "PEM file of the certificates that sign the SMTP server's (default: the "
             "system's)"},
};

const size_t cli_option_count = sizeof cli_option_table / sizeof cli_option_table[0];

_Static_assert(sizeof cli_option_table / sizeof cli_option_table[0] <= PP_CLI_OPTIONS_MAX,
               "raise PP_CLI_OPTIONS_MAX");

static const char **option_text_field(struct cli_options *o, const struct cli_option *opt)
{
    return (const char **)(void *)((char *)o + opt->offset);
}

static long *option_long_field(struct cli_options *o, const struct cli_option *opt)
{
    return (long *)(void *)((char *)o + opt->offset);
}

/* The row spelled `flag` (or its alias); NULL when there is none. */
static const struct cli_option *option_find(const char *flag)
{
    for (size_t i = 0; i < cli_option_count; i++) {
        const struct cli_option *opt = &cli_option_table[i];
        if ((opt->flag != NULL && strcmp(opt->flag, flag) == 0) ||
            (opt->alias != NULL && strcmp(opt->alias, flag) == 0)) {
            return opt;
        }
    }
    return NULL;
}

/* The index of the row whose value lives at offset (a LONG or TEXT row). */
static size_t option_index_at(size_t offset)
{
    for (size_t i = 0; i < cli_option_count; i++) {
        if (cli_option_table[i].kind != CLI_VALUE_ACTION && cli_option_table[i].offset == offset) {
            return i;
        }
    }
    PP_ASSERT(!"no option row at this offset");
    return 0;
}

static int option_long_parse(const char *text, long min, long max, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < min || v > max) {
        return 0;
    }
    *out = v;
    return 1;
}

/* Writes the flags of the rows in check into buf as "--a, --b<last>--c". */
static size_t option_names_join(enum cli_check check, const char *last, char *buf, size_t size)
{
    size_t members = 0;
    for (size_t i = 0; i < cli_option_count; i++) {
        members += cli_option_table[i].check == check;
    }
    size_t k = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < cli_option_count; i++) {
        if (cli_option_table[i].check == check) {
            const char *sep = k == 0 ? "" : k + 1 == members ? last : ", ";
            size_t used = strlen(buf);
            snprintf(buf + used, size - used, "%s%s", sep, cli_option_table[i].flag);
            k++;
        }
    }
    return members;
}

/* The range check `check`: every LONG row in it that was given must parse
** within its range; the defaults and derived values are set before. */
static enum pp_status option_range_check(enum cli_check check, const char *const *texts,
                                         struct cli_options *o, struct pp_err *err)
{
    char names[PP_ERR_MESSAGE_BYTES];
    for (size_t i = 0; i < cli_option_count; i++) {
        const struct cli_option *opt = &cli_option_table[i];
        if (opt->check != check || texts[i] == NULL ||
            option_long_parse(texts[i], opt->min, opt->max, option_long_field(o, opt))) {
            continue;
        }
        if (option_names_join(check, " or ", names, sizeof names) == 1) {
            return pp_err_set(err, PP_INVALID_PARAMS, "%s must be %ld to %ld", opt->flag, opt->min,
                              opt->max);
        }
        return pp_err_set(err, PP_INVALID_PARAMS, "%s is out of range", names);
    }
    return PP_OK;
}

/* The text checks: CLI_CHECK_TLS (all given or none), CLI_CHECK_DB_PATH
** (at most max bytes). */
static enum pp_status option_text_check(enum cli_check check, const char *const *texts,
                                        struct cli_options *o, struct pp_err *err)
{
    char names[PP_ERR_MESSAGE_BYTES];
    size_t given = 0;
    for (size_t i = 0; i < cli_option_count; i++) {
        const struct cli_option *opt = &cli_option_table[i];
        if (opt->check != check) {
            continue;
        }
        given += texts[i] != NULL;
        const char *value = *option_text_field(o, opt);
        if (check == CLI_CHECK_DB_PATH && strlen(value) > (size_t)opt->max) {
            return pp_err_set(err, PP_INVALID_PARAMS, "%s path is too long", opt->flag);
        }
    }
    if (check == CLI_CHECK_TLS && given > 0 &&
        given < option_names_join(check, " and ", names, sizeof names)) {
        return pp_err_set(err, PP_INVALID_PARAMS, "%s go together", names);
    }
    return PP_OK;
}

/* Sets every value to its default (or derived default) and then to the
** text given, checks in enum cli_check order; the first failure wins. */
long cli_threads_default(long cores, long max)
{
    long n = cores > 0 ? cores : PP_THREADS_FALLBACK;
    return n > max ? max : n;
}

static enum pp_status options_values_set(const char *const *texts, struct cli_options *o,
                                         struct pp_err *err)
{
    enum pp_status st = PP_OK;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    for (size_t i = 0; i < cli_option_count; i++) {
        const struct cli_option *opt = &cli_option_table[i];
        if (opt->kind == CLI_VALUE_TEXT) {
            *option_text_field(o, opt) = texts[i] != NULL ? texts[i] : opt->default_text;
        } else if (opt->kind == CLI_VALUE_LONG) {
            *option_long_field(o, opt) = opt->derived == CLI_DERIVED_CORES
                                             ? cli_threads_default(cores, opt->max)
                                             : opt->default_value;
        }
    }
    for (int check = CLI_CHECK_NONE + 1; check < CLI_CHECK_COUNT && st == PP_OK; check++) {
        st = check == CLI_CHECK_TLS || check == CLI_CHECK_DB_PATH
                 ? option_text_check((enum cli_check)check, texts, o, err)
                 : option_range_check((enum cli_check)check, texts, o, err);
    }
    /* A burst left unset follows a rate that was given: twice it, and at
    ** least one request. */
    size_t rate = option_index_at(FIELD(rate_limit_per_s));
    size_t burst = option_index_at(FIELD(rate_burst));
    PP_ASSERT(cli_option_table[burst].derived == CLI_DERIVED_TWICE_RATE);
    if (st == PP_OK && texts[rate] != NULL && texts[burst] == NULL) {
        o->rate_burst = o->rate_limit_per_s > 0 ? 2 * o->rate_limit_per_s : 1;
    }
    return st;
}

/* The environment's values: a variable that is unset or empty is absent. */
static void options_env_read(const char **texts)
{
    for (size_t i = 0; i < cli_option_count; i++) {
        const char *env = cli_option_table[i].env;
        const char *v = env != NULL ? getenv(env) : NULL;
        texts[i] = v != NULL && v[0] != '\0' ? v : NULL;
    }
}

enum pp_status cli_options_parse(int argc, char *const *argv, struct cli_options *out,
                                 struct pp_err *err)
{
    const char *texts[PP_CLI_OPTIONS_MAX] = {0};
    enum pp_status st = PP_OK;
    memset(out, 0, sizeof *out);
    out->command = "serve";
    options_env_read(texts);
    int i = 1;
    if (argc > 1 && argv[1][0] != '-') {
        out->command = argv[1];
        i = 2;
    }
    for (; i < argc; i++) {
        const struct cli_option *opt = option_find(argv[i]);
        if (opt != NULL && opt->kind == CLI_VALUE_ACTION) {
            out->command = opt->command;
            goto done;
        }
        /* Every other flag takes a value, so a last word is refused as
        ** incomplete before it is looked up. */
        if (i + 1 >= argc) {
            st = pp_err_set(err, PP_INVALID_PARAMS, "%s needs a value", argv[i]);
            goto done;
        }
        if (opt == NULL) {
            st = pp_err_set(err, PP_INVALID_PARAMS, "unknown option %s", argv[i]);
            goto done;
        }
        texts[opt - cli_option_table] = argv[++i];
    }
    st = options_values_set(texts, out, err);
done:
    return st;
}

void cli_usage_line_print(FILE *out, const char *head, const char *text)
{
    int col = fprintf(out, "  %s", head);
    if (col >= PP_USAGE_HELP_COLUMN - 1) {
        fputc('\n', out);
        col = 0;
    }
    fprintf(out, "%*s", PP_USAGE_HELP_COLUMN - col, "");
    col = PP_USAGE_HELP_COLUMN;
    int line_start = 1;
    const char *p = text;
    while (*p != '\0') {
        int len = (int)strcspn(p, " ");
        if (!line_start && col + 1 + len > PP_USAGE_COLUMNS - 1) {
            fprintf(out, "\n%*s", PP_USAGE_HELP_COLUMN, "");
            col = PP_USAGE_HELP_COLUMN;
            line_start = 1;
        }
        col += fprintf(out, "%s%.*s", line_start ? "" : " ", len, p);
        line_start = 0;
        p += len;
        p += strspn(p, " ");
    }
    fputc('\n', out);
}

/* Appends to buf (size bytes, *used of them taken); a usage entry that
** does not fit PP_USAGE_ENTRY_BYTES is a programmer error. */
__attribute__((format(printf, 4, 5))) static void usage_append(char *buf, size_t size, size_t *used,
                                                               const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *used, size - *used, fmt, ap);
    va_end(ap);
    PP_ASSERT(n >= 0 && (size_t)n < size - *used);
    *used += (size_t)n;
}

/* One row's usage entry: its head ("--port N") and text (help, range,
** variable and default). */
static void option_usage_print(FILE *out, const struct cli_option *opt)
{
    char head[PP_USAGE_ENTRY_BYTES];
    char text[PP_USAGE_ENTRY_BYTES];
    size_t used = 0;
    if (opt->flag == NULL) {
        usage_append(head, sizeof head, &used, "%s", opt->env);
    } else {
        usage_append(head, sizeof head, &used, "%s", opt->flag);
        if (opt->alias != NULL) {
            usage_append(head, sizeof head, &used, ", %s", opt->alias);
        }
        if (opt->value_name != NULL) {
            usage_append(head, sizeof head, &used, " %s", opt->value_name);
        }
    }
    used = 0;
    usage_append(text, sizeof text, &used, "%s", opt->help);
    if (opt->kind == CLI_VALUE_LONG) {
        usage_append(text, sizeof text, &used, " (%ld..%ld)", opt->min, opt->max);
    }
    if (opt->flag != NULL && opt->env != NULL) {
        usage_append(text, sizeof text, &used, " [%s]", opt->env);
    }
    if (opt->default_text != NULL) {
        usage_append(text, sizeof text, &used, " (default %s)", opt->default_text);
    } else if (opt->kind == CLI_VALUE_LONG) {
        usage_append(text, sizeof text, &used, " (default %ld)", opt->default_value);
    }
    cli_usage_line_print(out, head, text);
}

void cli_options_usage_print(FILE *out)
{
    fputs("options (environment in brackets):\n", out);
    for (size_t i = 0; i < cli_option_count; i++) {
        if (cli_option_table[i].flag != NULL) {
            option_usage_print(out, &cli_option_table[i]);
        }
    }
    fputs("environment only:\n", out);
    for (size_t i = 0; i < cli_option_count; i++) {
        if (cli_option_table[i].flag == NULL) {
            option_usage_print(out, &cli_option_table[i]);
        }
    }
}

int cli_db_is_url(const char *db)
{
    return strncmp(db, "postgresql://", 13) == 0 || strncmp(db, "postgres://", 11) == 0;
}

const char *cli_db_display(const char *db, char *out, size_t size)
{
    size_t at = 0;
    const char *authority = cli_db_is_url(db) ? strstr(db, "://") + 3 : NULL;
    const char *host_end = authority != NULL ? authority + strcspn(authority, "/?") : NULL;
    const char *at_sign =
        authority != NULL ? memchr(authority, '@', (size_t)(host_end - authority)) : NULL;
    const char *colon =
        at_sign != NULL ? memchr(authority, ':', (size_t)(at_sign - authority)) : NULL;
    int hiding = 0;
    for (const char *p = db; *p != '\0' && at + 4 < size; p++) {
        if (p == colon) {
            memcpy(out + at, ":***", 4);
            at += 4;
            p = at_sign - 1;
            continue;
        }
        if (authority != NULL && p > host_end && strncmp(p, "password=", 9) == 0 &&
            (p[-1] == '?' || p[-1] == '&')) {
            memcpy(out + at, "password=***", 12 < size - at - 1 ? 12 : size - at - 1);
            at += 12 < size - at - 1 ? 12 : size - at - 1;
            hiding = 1;
            p += 8;
            continue;
        }
        if (hiding && *p != '&') {
            continue;
        }
        hiding = 0;
        out[at++] = *p;
    }
    out[at] = '\0';
    return out;
}
