/*
** This module implements the command line's commands as one table (name,
** help, whether it sets up the logs, the function) and the commands that
** are short enough to live here: `migrate`, `admin`, `check`, `version`
** and `help`; `serve` is cli/serve.c. It also prints the whole usage text.
** It parses no option (cli/options.c).
*/
#include "payout/cli/commands.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "payout/base/log.h"
#include "payout/cli/serve.h"
#include "payout/core/admins.h"
#include "payout/core/app.h"
#include "payout/core/ledger.h"
#include "payout/core/users.h"
#include "payout/limits.h"
#include "payout/sec/passwords.h"
#include "payout/sec/secrets.h"

struct cli_command {
    const char *name;
    const char *help;
    int sets_up; /* 1: set up the logs and password iterations before running */
    int (*run)(const struct cli_options *o);
};

static int command_migrate(const struct cli_options *o)
{
    struct pp_err err = {0};
    int applied = 0;
    if (core_app_migrate(o->db_path, &applied, &err) != PP_OK) {
        fprintf(stderr, "payout-panel: migrate failed: %s\n", err.message);
        return 1;
    }
    char name[PP_DB_PATH_BYTES_MAX];
    printf("%s: applied %d migration(s); schema version %d\n",
           cli_db_display(o->db_path, name, sizeof name), applied, core_app_schema_latest());
    return 0;
}

static int command_admin(const struct cli_options *o)
{
    struct pp_err err = {0};
    struct core_app *app = NULL;
    char generated[CORE_PASSWORD_TEXT_BYTES] = "";
    enum pp_role role = PP_ROLE_NONE;
    int created = 0;
    int rc = 1;
    if (o->email == NULL) {
        fputs("payout-panel: admin needs --email (or PAYOUT_ADMIN_EMAIL)\n", stderr);
        return 2;
    }
    if (o->role != NULL && !pp_role_parse(o->role, strlen(o->role), &role)) {
        fputs("payout-panel: --role must be admin, approver, operator or auditor\n", stderr);
        return 2;
    }
    const char *password = o->admin_password;
    struct pp_actor actor = {.kind = PP_ACTOR_ADMIN, .addr = "command line"};
    /* Without --role, exactly the admin command of before (an existing
    ** user keeps its role); with it, the user's role is set too. */
    if (core_app_open(o->db_path, 1, &app, &err) == PP_OK &&
        (role == PP_ROLE_NONE
             ? core_admin_set(app, &actor, o->email, password, generated, &created, &err)
             : core_user_set(app, &actor, o->email, role, password, generated, &created, &err)) ==
            PP_OK) {
        printf("%s %s %s", created ? "created" : "reset the password of",
               role != PP_ROLE_NONE ? "user" : "admin", o->email);
        if (role != PP_ROLE_NONE) {
            printf(" (role %s)", pp_role_name(role));
        }
        if (password == NULL) {
            printf(" with the generated password %s (shown once)", generated);
        }
        printf("\n");
        rc = 0;
    } else {
        fprintf(stderr, "payout-panel: admin failed: %s\n", err.message);
    }
    sec_wipe(generated, sizeof generated);
    core_app_close(app);
    return rc;
}

static void command_check_problem_print(void *ctx, const char *line)
{
    (void)ctx;
    printf("  %s\n", line);
}

static int command_check(const struct cli_options *o)
{
    struct pp_err err = {0};
    struct core_app *app = NULL;
    struct stat sb;
    int problems = 0;
    char name[PP_DB_PATH_BYTES_MAX];
    cli_db_display(o->db_path, name, sizeof name);
    /* A PostgreSQL database is there when it can be reached (below). */
    if (!cli_db_is_url(o->db_path) && stat(o->db_path, &sb) != 0) {
        fprintf(stderr, "payout-panel: no database at %s\n", name);
        return 2;
    }
    if (core_app_open(o->db_path, 1, &app, &err) != PP_OK ||
        core_ledger_check(app, command_check_problem_print, NULL, &problems, &err) != PP_OK) {
        fprintf(stderr, "payout-panel: check failed to run: %s\n", err.message);
        core_app_close(app);
        return 2;
    }
    core_app_close(app);
    if (problems > 0) {
        printf("%s: %d problem(s) found\n", name, problems);
        return 1;
    }
    printf("%s: ok (balances match the ledger and open payouts)\n", name);
    return 0;
}

static int command_version(const struct cli_options *o)
{
    (void)o;
    printf("payout-panel %s\n", PP_VERSION);
    return 0;
}

static int command_help(const struct cli_options *o)
{
    (void)o;
    cli_usage_print(stdout);
    return 0;
}

static const struct cli_command commands[] = {
    {"serve", "run the HTTP server (default)", 1, cli_serve_run},
    {"migrate", "apply pending database migrations and exit", 1, command_migrate},
    {"admin",
     "create a user (an admin unless --role) or reset its password (--email; password from "
     "PAYOUT_ADMIN_PASSWORD, or generated and printed once)",
     1, command_admin},
    {"check", "verify the ledger invariants; exit 1 with a report if broken", 1, command_check},
    {"version", "print the version", 0, command_version},
    {"help", "print this usage", 0, command_help},
};

#define COMMAND_COUNT (sizeof commands / sizeof commands[0])

/* Sets the log level and the access log's destination from o. 0 after a
** message on stderr. */
static int command_logs_set_up(const struct cli_options *o)
{
    static const char *const levels[] = {"debug", "info", "warn", "error"};
    int level = -1;
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
        if (strcmp(o->log_level, levels[i]) == 0) {
            level = (int)i;
        }
    }
    if (level < 0) {
        fprintf(stderr, "payout-panel: unknown log level '%s'\n", o->log_level);
        return 0;
    }
    pp_log_set_level((enum pp_log_level)level);
    if (strcmp(o->access_log, "off") == 0) {
        pp_log_set_access(NULL);
    } else if (strcmp(o->access_log, "stderr") != 0 && strcmp(o->access_log, "-") != 0) {
        FILE *f = fopen(o->access_log, "a");
        if (f == NULL) {
            fprintf(stderr, "payout-panel: cannot open access log %s: %s\n", o->access_log,
                    strerror(errno));
            return 0;
        }
        setvbuf(f, NULL, _IOLBF, 0);
        pp_log_set_access(f);
    }
    return 1;
}

void cli_usage_print(FILE *out)
{
    fputs("usage: payout-panel [", out);
    for (size_t i = 0; i < COMMAND_COUNT; i++) {
        fprintf(out, "%s%s", i > 0 ? "|" : "", commands[i].name);
    }
    fputs("] [options]\n", out);
    for (size_t i = 0; i < COMMAND_COUNT; i++) {
        cli_usage_line_print(out, commands[i].name, commands[i].help);
    }
    cli_options_usage_print(out);
}

int cli_command_run(const struct cli_options *o)
{
    const struct cli_command *cmd = NULL;
    for (size_t i = 0; i < COMMAND_COUNT; i++) {
        if (strcmp(o->command, commands[i].name) == 0) {
            cmd = &commands[i];
        }
    }
    /* An unknown command sets up the logs too, so a bad --log-level is
    ** reported first, whatever the command. */
    if (cmd == NULL || cmd->sets_up) {
        if (!command_logs_set_up(o)) {
            return 2;
        }
        sec_password_set_iterations((unsigned)o->password_iterations);
    }
    if (cmd == NULL) {
        fprintf(stderr, "payout-panel: unknown command '%s'\n", o->command);
        cli_usage_print(stderr);
        return 2;
    }
    return cmd->run(o);
}
