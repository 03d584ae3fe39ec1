/*
** This header declares the server child of the black-box API test harness:
** the real payout-panel binary ($PP_SERVER_BIN) started on an ephemeral
** loopback port with a fresh temp dir, stopped, killed and removed.
*/
#ifndef PP_HARNESS_SERVER_H
#define PP_HARNESS_SERVER_H

#include <sys/types.h>

/* Credentials the harness gives every server it starts (PAYOUT_ADMIN_*). */
#define PP_ADMIN_EMAIL "admin@example.test"
#define PP_ADMIN_PASSWORD "correct-horse-battery-staple"

/* The request body limit the server is configured with by default. */
#define PP_BODY_LIMIT_BYTES (1024u * 1024u)

/* Seconds the harness waits for the "listening on" line. A first start
** hashes the admin password (600,000 PBKDF2 rounds): about a second in a
** release build, but several under ASan, and many times that when the two
** cores are shared with other test processes (ctest -j), so the wait is
** generous; a server that never starts still fails, only later. */
#define PP_START_TIMEOUT_S 90
/* Seconds pp_server_stop waits for the exit after SIGTERM before SIGKILL. */
#define PP_STOP_TIMEOUT_S 20

struct pp_server {
    pid_t pid;           /* 0 when not running */
    int port;            /* parsed from the listening line */
    char dir[512];       /* fresh temp dir holding logs (and the db) */
    char db_path[1024];  /* the database the server uses */
    char out_path[1024]; /* child's stdout */
    char err_path[1024]; /* child's stderr */
    char base_url[64];   /* "http://127.0.0.1:PORT" */
    int owns_dir;        /* dir is removed by pp_server_destroy */
    char scheme[8];      /* "http", or "https" when the server said so */
    char ca_file[1024];  /* set by a test: CA for https (CURLOPT_CAINFO) */
};

struct pp_server_opts {
    /* NULL: a fresh database in the server's temp dir. */
    const char *db_path;
    /* Extra environment, "NAME=VALUE" strings, NULL-terminated; applied
    ** after the harness defaults (so they can override PAYOUT_ADMIN_*). */
    const char *const *env;
    /* Non-zero: pass bind/port/db through PAYOUT_BIND/PAYOUT_PORT/PAYOUT_DB
    ** instead of --bind/--port/--db. */
    int config_from_env;
    /* Non-zero: do not set PAYOUT_ADMIN_EMAIL/PAYOUT_ADMIN_PASSWORD. */
    int no_admin_env;
    /* Extra command-line arguments after the harness's own, NULL-terminated
    ** (e.g. {"--conn-timeout-s", "2", NULL}). */
    const char *const *args;
};

/* Environment the harness reads:
** PP_SERVER_WRAPPER  a command prefix for the server, split on spaces
**                    (e.g. "valgrind --error-exitcode=99 ..."); servers are
**                    then stopped with SIGTERM (not SIGKILL) by
**                    pp_server_destroy so that leak reports get written, and
**                    the start timeout is PP_START_TIMEOUT_WRAPPED_S.
** PP_TEST_TMPDIR     where temp dirs go; every server's stdout/stderr is
**                    also appended to PP_TEST_TMPDIR/server-logs/ when it is
**                    destroyed, for the log-secrets test (test_logs). */
#define PP_START_TIMEOUT_WRAPPED_S 180

/* Starts $PP_SERVER_BIN serve and waits for its listening line. opts may be
** NULL. Returns 0 on success; on failure prints the child's output, kills it
** and returns -1 (the caller asserts). The child is registered so that it
** is killed at exit even when a test aborts. */
int pp_server_start(struct pp_server *s, const struct pp_server_opts *opts);

/* Sends SIGTERM (or sig) and waits. Returns the exit code when the child
** exited normally, 128+signal when it was killed by a signal, -1 when it did
** not exit within PP_STOP_TIMEOUT_S (it is then SIGKILLed). */
int pp_server_stop(struct pp_server *s);
int pp_server_stop_sig(struct pp_server *s, int sig);

/* SIGKILLs the child (if running) and reaps it. */
void pp_server_kill(struct pp_server *s);

/* Kills the child if still running and removes the temp dir (unless
** PP_KEEP_TMP is set in the environment). Safe on a zeroed struct. */
void pp_server_destroy(struct pp_server *s);

#endif /* PP_HARNESS_SERVER_H */
