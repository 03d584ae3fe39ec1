/*
** This header declares the `serve` command: the HTTP server run until
** SIGTERM or SIGINT, with the first admin created on the first start.
*/
#ifndef PAYOUT_CLI_SERVE_H
#define PAYOUT_CLI_SERVE_H

#include "payout/cli/options.h"

/* Reads the TLS files, opens the database at o->db_path, creates the first
** admin when there is none (o->first_admin_email, o->admin_password),
** starts the background tasks and the server, prints the one
** "listening on …" line to stdout and waits for SIGTERM or SIGINT. Returns
** the exit code: 0 after a graceful stop, 1 when it could not start (with
** a message on stderr). */
int cli_serve_run(const struct cli_options *o);

#endif /* PAYOUT_CLI_SERVE_H */
