/*
** This header declares the command line's options: one table that names
** every flag with its environment variable, default, range and help, and
** the parser that table drives. The same table prints the option part of
** the usage text, and tests/unit/test_options.c checks docs/operations.md
** against it. The commands themselves are in cli/commands.h.
*/
#ifndef PAYOUT_CLI_OPTIONS_H
#define PAYOUT_CLI_OPTIONS_H

#include <stddef.h>
#include <stdio.h>

#include "payout/status.h"

/* Every setting of the command line, after parsing. Texts are borrowed
** from argv, the environment or the table's defaults; NULL is "unset". */
struct cli_options {
    const char *command; /* "serve" (default), "migrate", …, or "help"/"version" */
    const char *bind_addr;
    long port;
    const char *db_path;
    long threads;
    long body_bytes_max;
    const char *access_log;
    const char *metrics;   /* "on" or "off", checked by serve */
    const char *log_level; /* checked by the commands, not the parser */
    const char *email;     /* --email, for `admin` */
    long expiry_interval_ms;
    long conn_timeout_s;
    long stop_wait_s;
    long connections_max;
    long connections_per_ip_max;
    long header_timeout_s;
    const char *tls_cert; /* paths: both or neither */
    const char *tls_key;
    long rate_limit_per_s;
    long rate_burst;
    long idempotency_ttl_h;
    long password_iterations;
    const char *webhook_retry_ms;    /* checked by serve (payout/core/webhooks.h) */
    const char *webhook_allow_cidrs; /* NULL: none */
    const char *trusted_proxies;     /* NULL or "": X-Forwarded-For is never read */
    const char *smtp_url;            /* NULL: notifications are skipped */
    const char *smtp_from;
    const char *role; /* --role, for `admin`; NULL = admin when new, kept otherwise */
    long session_idle_s;
    long session_max_s;
    const char *secret_file; /* NULL = db_path + ".secret" */
    /* Environment only. */
    const char *first_admin_email; /* PAYOUT_ADMIN_EMAIL for the first start */
    const char *admin_password;    /* PAYOUT_ADMIN_PASSWORD, NULL = generate */
    const char *smtp_user;         /* PAYOUT_SMTP_USER */
    const char *smtp_password;     /* PAYOUT_SMTP_PASSWORD */
    const char *smtp_ca_file;      /* PAYOUT_SMTP_CA_FILE */
};

/* What an option's value is. */
enum cli_value_kind {
    CLI_VALUE_TEXT,   /* stored as given */
    CLI_VALUE_LONG,   /* a decimal integer in [min, max] */
    CLI_VALUE_ACTION, /* no value: the flag sets the command (--help, --version) */
};

/* The checks run after all values are in, in this order; the first that
** fails is reported, and its wording comes from its members:
** - a range check with one member: "--flag must be MIN to MAX";
** - a range check with several: "--a, --b or --c is out of range";
** - CLI_CHECK_TLS: its text options are given together or not at all;
** - CLI_CHECK_DB_PATH: its text is shorter than max bytes. */
enum cli_check {
    CLI_CHECK_NONE,
    CLI_CHECK_EXPIRY,
    CLI_CHECK_ITERATIONS,
    CLI_CHECK_LISTEN,
    CLI_CHECK_TRANSPORT,
    CLI_CHECK_TLS,
    CLI_CHECK_DB_PATH,
    CLI_CHECK_SERVICE,
    CLI_CHECK_SESSION,
    CLI_CHECK_STOP,
    CLI_CHECK_COUNT
};

/* Defaults that are worked out at parse time instead of written down. */
enum cli_derived {
    CLI_DERIVED_NONE,
    CLI_DERIVED_CORES, /* the number of cores, at most the option's max (cli_threads_default) */
    CLI_DERIVED_TWICE_RATE, /* twice the rate when only the rate is given (>= 1) */
};

/* One row of the table. */
struct cli_option {
    const char *flag;       /* "--port"; NULL for a variable without a flag */
    const char *alias;      /* another spelling ("-h"), or NULL */
    const char *value_name; /* "N" in the usage; NULL for an action */
    const char *env;        /* "PAYOUT_PORT"; NULL for a flag without one */
    enum cli_value_kind kind;
    const char *default_text; /* TEXT: the default (NULL: none); LONG:
                              ** shown instead of default_value when set */
    long default_value;       /* LONG */
    long min, max;            /* LONG: the range; TEXT in CLI_CHECK_DB_PATH: max bytes */
    enum cli_check check;
    enum cli_derived derived;
    const char *command; /* ACTION: the command it selects */
    size_t offset;       /* of its field in struct cli_options (not ACTION) */
    const char *help;    /* one phrase for the usage text */
};

/* The table, in the order of the usage text and docs/operations.md. */
extern const struct cli_option cli_option_table[];
extern const size_t cli_option_count;

/* Fills *out from the environment, then argv (the flag wins; an empty
** variable counts as unset). argv[1], when it does not start with '-', is
** the command (default "serve"). --help/-h and --version stop the parse at
** once and select the command "help" / "version" with no further check.
** PP_INVALID_PARAMS with a message (without the "payout-panel: " prefix)
** on an unknown flag, a flag without its value, or a failed check.
** out borrows from argv and the environment. */
enum pp_status cli_options_parse(int argc, char *const *argv, struct cli_options *out,
                                 struct pp_err *err);

/* Prints the options part of the usage text, generated from the table. */
void cli_options_usage_print(FILE *out);

/* The default worker-thread count on a machine with `cores` cores (<= 0:
** unknown, PP_THREADS_FALLBACK): one per core, but never above max (the
** --threads ceiling), so a large machine starts without --threads. */
long cli_threads_default(long cores, long max);

/* Prints head at the usage indent, then text wrapped to PP_USAGE_COLUMNS
** with continuation lines at PP_USAGE_HELP_COLUMN; head longer than the
** column puts text on the next line. */
void cli_usage_line_print(FILE *out, const char *head, const char *text);

/* 1 when db (the --db value) names a PostgreSQL database
** ("postgresql://" or "postgres://"), else 0 (an SQLite file). */
int cli_db_is_url(const char *db);

/* db as it may be printed: a PostgreSQL URL with its password (in the user
** part or a password= parameter) replaced by "***"; an SQLite path as it
** is. Written into out (NUL-terminated, cut at size); returns out. */
const char *cli_db_display(const char *db, char *out, size_t size);

#endif /* PAYOUT_CLI_OPTIONS_H */
