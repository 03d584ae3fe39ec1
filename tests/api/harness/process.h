/*
** This header declares runs of the binary's other commands (`check`,
** `admin ...`) as short-lived children.
*/
#ifndef PP_HARNESS_PROCESS_H
#define PP_HARNESS_PROCESS_H

#include <stddef.h>

/* Creates a fresh directory under PP_TEST_TMPDIR (or /tmp) for a test's
** own files and writes its path into out. Returns 0 or -1. */
int pp_temp_dir_make(char *out, size_t out_size);
/* Removes dir and everything in it, unless PP_KEEP_TMP is set; "" is a
** no-op. */
void pp_temp_dir_remove(const char *dir);

/* Runs `$PP_SERVER_BIN check --db db_path`. Returns its exit code (or
** 128+signal, or -1 when it could not run); *output (may be NULL) receives
** its stdout+stderr (free()). */
int pp_check(const char *db_path, char **output);

/* Runs $PP_SERVER_BIN with argv (NULL-terminated, argv[0] not included)
** and extra env; same return as pp_check. */
int pp_run(const char *const *args, const char *const *env, char **output);

#endif /* PP_HARNESS_PROCESS_H */
