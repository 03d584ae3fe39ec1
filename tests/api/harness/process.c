/*
** This module implements the child processes of the harness
** (harness/process.h, harness/internal.h): the one-time set-up (curl,
** SIGPIPE), temp directories, the registry that kills every child at exit,
** the child's environment and output files, waiting with a timeout, and
** runs of the binary's other commands (`check`, `admin ...`).
**
** Starting a server is harness/server.c; this file knows no HTTP.
*/
#include "harness/process.h"
#include "harness/internal.h"
#include "harness/util.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int harness_dir_make(const char *path)
{
    char tmp[1024];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp) {
        return -1;
    }
    for (char *p = tmp + 1; *p != '\0'; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST) {
                return -1;
            }
            *p = '/';
        }
    }
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST) {
        return -1;
    }
    return 0;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void harness_tree_remove(const char *dir)
{
    if (dir[0] != '\0' && getenv("PP_KEEP_TMP") == NULL) {
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    }
}

const char *harness_tmp_base(void)
{
    const char *base = getenv("PP_TEST_TMPDIR");
    return (base != NULL && base[0] != '\0') ? base : "/tmp";
}

int harness_temp_dir_make(char *out, size_t out_size)
{
    const char *base = harness_tmp_base();
    if (harness_dir_make(base) != 0) {
        return -1;
    }
    if (snprintf(out, out_size, "%s/pp-api-XXXXXX", base) >= (int)out_size) {
        return -1;
    }
    return mkdtemp(out) == NULL ? -1 : 0;
}

/* --- Child registry: every server is killed at exit ------------------------- */

#define LIVE_MAX 64
static pid_t live_pids[LIVE_MAX];
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void kill_live_children(void)
{
    for (int i = 0; i < LIVE_MAX; i++) {
        if (live_pids[i] > 0) {
            kill(live_pids[i], SIGKILL);
            waitpid(live_pids[i], NULL, 0);
            live_pids[i] = 0;
        }
    }
}

static void harness_init_run(void)
{
    curl_global_init(CURL_GLOBAL_ALL);
    atexit(kill_live_children);
    /* A server closing a connection must not kill the test with SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);
}

void harness_init(void)
{
    pthread_once(&init_once, harness_init_run);
}

void harness_child_add(pid_t pid)
{
    for (int i = 0; i < LIVE_MAX; i++) {
        if (live_pids[i] == 0) {
            live_pids[i] = pid;
            return;
        }
    }
}

void harness_child_remove(pid_t pid)
{
    for (int i = 0; i < LIVE_MAX; i++) {
        if (live_pids[i] == pid) {
            live_pids[i] = 0;
        }
    }
}

/* --- Child processes ---------------------------------------------------------- */

/* Applies the child's environment: clear inherited PAYOUT_*, then defaults,
** then the caller's extras. Runs in the forked child only. */
void harness_child_env(const struct pp_server_opts *opts)
{
    unsetenv("PAYOUT_BIND");
    unsetenv("PAYOUT_PORT");
    unsetenv("PAYOUT_DB");
    unsetenv("PAYOUT_ADMIN_EMAIL");
    unsetenv("PAYOUT_ADMIN_PASSWORD");
    if (opts == NULL || !opts->no_admin_env) {
        setenv("PAYOUT_ADMIN_EMAIL", PP_ADMIN_EMAIL, 1);
        setenv("PAYOUT_ADMIN_PASSWORD", PP_ADMIN_PASSWORD, 1);
    }
    if (opts != NULL && opts->env != NULL) {
        for (size_t i = 0; opts->env[i] != NULL; i++) {
            putenv(strdup(opts->env[i]));
        }
    }
}

void harness_child_redirect(const char *out_path, const char *err_path)
{
    int in = open("/dev/null", O_RDONLY);
    int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = err_path == out_path ? out : open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0 || err < 0) {
        _exit(126);
    }
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
}

int harness_pid_wait_ms(pid_t pid, long timeout_ms, int *status)
{
    long long deadline = pp_now_ms() + timeout_ms;
    for (;;) {
        pid_t got = waitpid(pid, status, WNOHANG);
        if (got == pid) {
            return 0;
        }
        if (got < 0 && errno != EINTR) {
            return -1;
        }
        if (pp_now_ms() > deadline) {
            return 1;
        }
        pp_sleep_ms(5);
    }
}

int harness_exit_code(int status)
{
    if (WIFEXITED(status)) {
        return WEXITSTATUS(status);
    }
    if (WIFSIGNALED(status)) {
        return 128 + WTERMSIG(status);
    }
    return -1;
}

int pp_temp_dir_make(char *out, size_t out_size)
{
    return harness_temp_dir_make(out, out_size);
}

void pp_temp_dir_remove(const char *dir)
{
    harness_tree_remove(dir);
}

int pp_run(const char *const *args, const char *const *env, char **output)
{
    harness_init();
    if (output != NULL) {
        *output = NULL;
    }
    const char *bin = getenv("PP_SERVER_BIN");
    if (bin == NULL) {
        return -1;
    }
    char dir[512];
    if (harness_temp_dir_make(dir, sizeof dir) != 0) {
        return -1;
    }
    char out_path[600];
    snprintf(out_path, sizeof out_path, "%s/output.log", dir);
    const char *argv[32];
    size_t argc = 0;
    argv[argc++] = bin;
    for (size_t i = 0; args[i] != NULL && argc < 31; i++) {
        argv[argc++] = args[i];
    }
    argv[argc] = NULL;

    pid_t pid = fork();
    if (pid < 0) {
        return -1;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        harness_child_redirect(out_path, out_path);
        struct pp_server_opts opts = {.env = env, .no_admin_env = 1};
        harness_child_env(&opts);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    harness_child_add(pid);
    int status = 0;
    int rc = harness_pid_wait_ms(pid, 60000, &status);
    if (rc == 1) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    harness_child_remove(pid);
    if (output != NULL) {
        *output = pp_file_read(out_path, NULL);
    }
    harness_tree_remove(dir);
    return rc == 0 ? harness_exit_code(status) : -1;
}

int pp_check(const char *db_path, char **output)
{
    const char *args[] = {"check", "--db", db_path, NULL};
    return pp_run(args, NULL, output);
}
