/*
** This header declares runs of the binary's other commands (`check`,
** `admin ...`) as short-lived children.
*/
#ifndef PP_HARNESS_PROCESS_H
#define PP_HARNESS_PROCESS_H

/* Runs `$PP_SERVER_BIN check --db db_path`. Returns its exit code (or
** 128+signal, or -1 when it could not run); *output (may be NULL) receives
** its stdout+stderr (free()). */
int pp_check(const char *db_path, char **output);

/* Runs $PP_SERVER_BIN with argv (NULL-terminated, argv[0] not included)
** and extra env; same return as pp_check. */
int pp_run(const char *const *args, const char *const *env, char **output);

#endif /* PP_HARNESS_PROCESS_H */
