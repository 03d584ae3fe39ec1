/*
** This module implements the server child of the harness
** (harness/server.h): fork/exec of $PP_SERVER_BIN serve (under
** $PP_SERVER_WRAPPER when set), the listening line, stopping, killing and
** removing a server with its temp dir (its logs archived first).
*/
#include "harness/server.h"
#include "harness/db.h"
#include "harness/internal.h"
#include "harness/logs.h"
#include "harness/util.h"

#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static void print_file(const char *label, const char *path)
{
    char *text = pp_file_read(path, NULL);
    fprintf(stderr, "---- %s (%s) ----\n%s\n---- end ----\n", label, path,
            text != NULL ? text : "(unreadable)");
    free(text);
}

/* Looks for a complete line "listening on http://127.0.0.1:PORT" on the
** child's stdout. Returns the port, 0 while there is none yet, -1 when the
** line is malformed. (That it is the only line is test_http's business:
** here any other output must not hide every other test.) */
static int parse_listening(const char *out_path, int *tls)
{
    static const char prefix[] = "listening on http://";
    static const char loopback[] = "listening on http://127.0.0.1:";
    static const char tls_loopback[] = "listening on https://127.0.0.1:";
    char *text = pp_file_read(out_path, NULL);
    if (text == NULL) {
        return 0;
    }
    int port = 0;
    char *line = text;
    for (char *nl = strchr(line, '\n'); nl != NULL && port == 0; nl = strchr(line, '\n')) {
        *nl = '\0';
        if (strncmp(line, loopback, sizeof loopback - 1) == 0) {
            char *end = NULL;
            long p = strtol(line + sizeof loopback - 1, &end, 10);
            port = (end != NULL && *end == '\0' && p > 0 && p < 65536) ? (int)p : -1;
        } else if (strncmp(line, tls_loopback, sizeof tls_loopback - 1) == 0) {
            char *end = NULL;
            long p = strtol(line + sizeof tls_loopback - 1, &end, 10);
            port = (end != NULL && *end == '\0' && p > 0 && p < 65536) ? (int)p : -1;
            *tls = 1;
        } else if (strncmp(line, prefix, sizeof prefix - 1) == 0) {
            port = -1;
        }
        line = nl + 1;
    }
    free(text);
    return port;
}

/* Words of $PP_SERVER_WRAPPER (a new copy in *copy), or 0 words. */
static size_t wrapper_words(char **copy, const char **words, size_t max)
{
    const char *w = getenv("PP_SERVER_WRAPPER");
    size_t n = 0;
    *copy = NULL;
    if (w == NULL || w[0] == '\0') {
        return 0;
    }
    *copy = strdup(w);
    char *save = NULL;
    for (char *t = strtok_r(*copy, " ", &save); t != NULL && n < max;
         t = strtok_r(NULL, " ", &save)) {
        words[n++] = t;
    }
    return n;
}

/* Execs [wrapper...] bin serve [--bind ... --db ...] [opts->args...].
** Runs in the forked child only; returns only when exec failed. */
static void exec_server(const char *bin, const struct pp_server *s,
                        const struct pp_server_opts *opts)
{
    const char *argv[96];
    char *copy = NULL;
    size_t n = wrapper_words(&copy, argv, 32);
    argv[n++] = bin;
    argv[n++] = "serve";
    /* A PostgreSQL URL has no file to keep the master secret beside: every
    ** server of the run shares one (restarts included). */
    if (pp_db_is_postgres() && getenv("PAYOUT_SECRET_FILE") == NULL) {
        const char *tmp = getenv("PP_TEST_TMPDIR");
        char secret[1024];
        snprintf(secret, sizeof secret, "%s/pg-master.secret", tmp != NULL ? tmp : "/tmp");
        setenv("PAYOUT_SECRET_FILE", secret, 1);
    }
    if (opts != NULL && opts->config_from_env) {
        setenv("PAYOUT_BIND", "127.0.0.1", 1);
        setenv("PAYOUT_PORT", "0", 1);
        setenv("PAYOUT_DB", s->db_path, 1);
    } else {
        const char *std_args[] = {"--bind", "127.0.0.1", "--port", "0", "--db", s->db_path};
        for (size_t i = 0; i < 6; i++) {
            argv[n++] = std_args[i];
        }
    }
    for (size_t i = 0; opts != NULL && opts->args != NULL && opts->args[i] != NULL && n < 94; i++) {
        argv[n++] = opts->args[i];
    }
    argv[n] = NULL;
    execvp(argv[0], (char *const *)argv);
    free(copy);
}

/* Waits for s's listening line and fills port, scheme and base_url.
** Returns 0, or -1 (the output printed, the child killed) when the line is
** malformed, the child exited or the start timeout passed. */
static int server_wait_listening(struct pp_server *s)
{
    const char *wrapper = getenv("PP_SERVER_WRAPPER");
    long long start_s =
        wrapper != NULL && wrapper[0] != '\0' ? PP_START_TIMEOUT_WRAPPED_S : PP_START_TIMEOUT_S;
    long long deadline = pp_now_ms() + start_s * 1000LL;
    for (;;) {
        int tls = 0;
        int port = parse_listening(s->out_path, &tls);
        if (port > 0) {
            s->port = port;
            snprintf(s->scheme, sizeof s->scheme, "%s", tls ? "https" : "http");
            snprintf(s->base_url, sizeof s->base_url, "%s://127.0.0.1:%d", s->scheme, port);
            return 0;
        }
        int status = 0;
        const char *why = NULL;
        if (port < 0) {
            why = "the listening line is not \"listening on http://127.0.0.1:PORT\"";
        } else if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            harness_child_remove(s->pid);
            s->pid = 0;
            why = "the server exited before listening";
        } else if (pp_now_ms() > deadline) {
            why = "no listening line within the start timeout";
        }
        if (why != NULL) {
            fprintf(stderr, "harness: %s\n", why);
            print_file("server stdout", s->out_path);
            print_file("server stderr", s->err_path);
            pp_server_kill(s);
            return -1;
        }
        pp_sleep_ms(10);
    }
}

int pp_server_start(struct pp_server *s, const struct pp_server_opts *opts)
{
    harness_init();
    memset(s, 0, sizeof *s);
    const char *bin = getenv("PP_SERVER_BIN");
    if (bin == NULL || bin[0] == '\0') {
        fprintf(stderr, "harness: PP_SERVER_BIN is not set\n");
        return -1;
    }
    if (harness_temp_dir_make(s->dir, sizeof s->dir) != 0) {
        fprintf(stderr, "harness: cannot create a temp dir under %s\n", harness_tmp_base());
        return -1;
    }
    s->owns_dir = 1;
    if (opts != NULL && opts->db_path != NULL) {
        snprintf(s->db_path, sizeof s->db_path, "%s", opts->db_path);
    } else if (pp_db_fresh(s->dir, s->db_path, sizeof s->db_path) != 0) {
        return -1;
    }
    snprintf(s->out_path, sizeof s->out_path, "%s/stdout.log", s->dir);
    snprintf(s->err_path, sizeof s->err_path, "%s/stderr.log", s->dir);

    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        return -1;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) {
            _exit(125);
        }
        harness_child_redirect(s->out_path, s->err_path);
        harness_child_env(opts);
        exec_server(bin, s, opts);
        _exit(127);
    }
    s->pid = pid;
    harness_child_add(pid);
    return server_wait_listening(s);
}

int pp_server_stop_sig(struct pp_server *s, int sig)
{
    if (s->pid <= 0) {
        return -1;
    }
    pid_t pid = s->pid;
    kill(pid, sig);
    int status = 0;
    int rc = harness_pid_wait_ms(pid, PP_STOP_TIMEOUT_S * 1000L, &status);
    if (rc == 1) {
        fprintf(stderr, "harness: server %d ignored signal %d, killing it\n", (int)pid, sig);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    s->pid = 0;
    harness_child_remove(pid);
    if (rc != 0) {
        return -1;
    }
    int code = harness_exit_code(status);
    if (code != 0) {
        print_file("server stderr", s->err_path);
    }
    return code;
}

int pp_server_stop(struct pp_server *s)
{
    return pp_server_stop_sig(s, SIGTERM);
}

void pp_server_kill(struct pp_server *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
        harness_child_remove(s->pid);
        s->pid = 0;
    }
}

void pp_server_destroy(struct pp_server *s)
{
    const char *wrapper = getenv("PP_SERVER_WRAPPER");
    if (s->pid > 0 && wrapper != NULL && wrapper[0] != '\0') {
        /* A wrapped server (valgrind) writes its report on a clean exit. */
        pp_server_stop(s);
    }
    pp_server_kill(s);
    harness_logs_archive(s);
    if (s->owns_dir) {
        harness_tree_remove(s->dir);
    }
    s->dir[0] = '\0';
    s->owns_dir = 0;
}
