/*
** This header is private to the harness: what its modules share about
** child processes and temp directories (process.c) and the log archive
** (logs.c). Tests never include it.
*/
#ifndef PP_HARNESS_INTERNAL_H
#define PP_HARNESS_INTERNAL_H

#include <stddef.h>
#include <sys/types.h>

#include "harness/server.h"

/* Initialises curl, the exit-time kill of every child and SIGPIPE, once. */
void harness_init(void);

/* PP_TEST_TMPDIR, or /tmp (borrowed). */
const char *harness_tmp_base(void);
/* mkdir -p path (mode 0755). Returns 0 or -1. */
int harness_dir_make(const char *path);
/* Creates a fresh harness_tmp_base()/pp-api-XXXXXX into out; 0 or -1. */
int harness_temp_dir_make(char *out, size_t out_size);
/* rm -rf dir, unless PP_KEEP_TMP is set or dir is "". */
void harness_tree_remove(const char *dir);

/* The registry of live children, all SIGKILLed at exit. */
void harness_child_add(pid_t pid);
void harness_child_remove(pid_t pid);
/* In a forked child: stdin from /dev/null, stdout and stderr to files
** (err_path == out_path: one file); clears inherited PAYOUT_* and applies
** the harness defaults and opts->env. */
void harness_child_redirect(const char *out_path, const char *err_path);
void harness_child_env(const struct pp_server_opts *opts);
/* Waits up to timeout_ms for pid: 0 reaped (*status set), 1 still
** running, -1 waitpid failed. */
int harness_pid_wait_ms(pid_t pid, long timeout_ms, int *status);
/* A wait status as an exit code: the code, 128+signal, or -1. */
int harness_exit_code(int status);

/* Appends s's stdout and stderr to the log archive (logs.c). */
void harness_logs_archive(const struct pp_server *s);

#endif /* PP_HARNESS_INTERNAL_H */
