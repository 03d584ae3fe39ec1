/*
** This header declares the command line's commands: one table of them
** (serve, migrate, admin, check, version, help), the dispatch that runs
** the one struct cli_options names, and the whole usage text.
*/
#ifndef PAYOUT_CLI_COMMANDS_H
#define PAYOUT_CLI_COMMANDS_H

#include <stdio.h>

#include "payout/cli/options.h"

/* Runs o->command and returns the process's exit code: 0 on success, 1
** when the command failed (check: the invariants are broken), 2 on an
** unknown command, a bad log level or access log, or a command that could
** not run. Every command but help and version first sets up the logs and
** the password iterations from o. Messages go to stderr. */
int cli_command_run(const struct cli_options *o);

/* Prints the whole usage text: the commands, then the options. */
void cli_usage_print(FILE *out);

#endif /* PAYOUT_CLI_COMMANDS_H */
