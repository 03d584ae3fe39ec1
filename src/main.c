/*
** This module implements the payout-panel program's entry point: it parses
** the command line (cli/options.c) and runs the command it names
** (cli/commands.c). Everything else lives in the layers below.
*/
#include <stdio.h>

#include "payout/cli/commands.h"
#include "payout/cli/options.h"

int main(int argc, char **argv)
{
    struct cli_options o;
    struct pp_err err = {0};
    if (cli_options_parse(argc, argv, &o, &err) != PP_OK) {
        fprintf(stderr, "payout-panel: %s\n", err.message);
        cli_usage_print(stderr);
        return 2;
    }
    return cli_command_run(&o);
}
