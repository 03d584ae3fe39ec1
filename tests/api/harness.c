/*
** This module implements the black-box API test harness declared in
** harness.h: the server child process (fork/exec, logs to files, the
** listening line), HTTP through libcurl, a raw JSON number scanner (so that
** "0.1" can be told from "0.10000000000000001", which parse to the same
** double), and the assertions and flows the API tests share.
**
** It does not link or include anything of the server: the binary is the
** only interface.
*/
#include "harness.h"

#include <ctype.h>
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
#include <time.h>
#include <unistd.h>

/* --- Small utilities -------------------------------------------------------- */

long long pp_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000LL + ts.tv_nsec / 1000000L;
}

void pp_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

char *pp_fmt(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *out = NULL;
    if (vasprintf(&out, fmt, ap) < 0) {
        out = NULL;
    }
    va_end(ap);
    if (out == NULL) {
        fprintf(stderr, "harness: out of memory\n");
        abort();
    }
    return out;
}

char *pp_file_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf != NULL) {
        if (n + 1 >= cap) {
            char *grown = realloc(buf, cap * 2);
            if (grown == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = grown;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        if (got == 0) {
            break;
        }
        n += got;
    }
    fclose(f);
    if (buf != NULL) {
        buf[n] = '\0';
        if (len != NULL) {
            *len = n;
        }
    }
    return buf;
}

static int mkdir_p(const char *path)
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

static const char *tmp_base(void)
{
    const char *base = getenv("PP_TEST_TMPDIR");
    return (base != NULL && base[0] != '\0') ? base : "/tmp";
}

static int make_temp_dir(char *out, size_t out_size)
{
    const char *base = tmp_base();
    if (mkdir_p(base) != 0) {
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

static void harness_init(void)
{
    curl_global_init(CURL_GLOBAL_ALL);
    atexit(kill_live_children);
    /* A server closing a connection must not kill the test with SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);
}

static void live_add(pid_t pid)
{
    for (int i = 0; i < LIVE_MAX; i++) {
        if (live_pids[i] == 0) {
            live_pids[i] = pid;
            return;
        }
    }
}

static void live_remove(pid_t pid)
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
static void child_env(const struct pp_server_opts *opts)
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

static void child_redirect(const char *out_path, const char *err_path)
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

static int wait_pid_ms(pid_t pid, long timeout_ms, int *status)
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

static int decode_status(int status)
{
    if (WIFEXITED(status)) {
        return WEXITSTATUS(status);
    }
    if (WIFSIGNALED(status)) {
        return 128 + WTERMSIG(status);
    }
    return -1;
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
    for (size_t i = 0; opts != NULL && opts->args != NULL && opts->args[i] != NULL && n < 94;
         i++) {
        argv[n++] = opts->args[i];
    }
    argv[n] = NULL;
    execvp(argv[0], (char *const *)argv);
    free(copy);
}

int pp_server_start(struct pp_server *s, const struct pp_server_opts *opts)
{
    pthread_once(&init_once, harness_init);
    memset(s, 0, sizeof *s);
    const char *bin = getenv("PP_SERVER_BIN");
    if (bin == NULL || bin[0] == '\0') {
        fprintf(stderr, "harness: PP_SERVER_BIN is not set\n");
        return -1;
    }
    if (make_temp_dir(s->dir, sizeof s->dir) != 0) {
        fprintf(stderr, "harness: cannot create a temp dir under %s\n", tmp_base());
        return -1;
    }
    s->owns_dir = 1;
    if (opts != NULL && opts->db_path != NULL) {
        snprintf(s->db_path, sizeof s->db_path, "%s", opts->db_path);
    } else {
        snprintf(s->db_path, sizeof s->db_path, "%s/payout.db", s->dir);
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
        child_redirect(s->out_path, s->err_path);
        child_env(opts);
        exec_server(bin, s, opts);
        _exit(127);
    }
    s->pid = pid;
    live_add(pid);

    const char *wrapper = getenv("PP_SERVER_WRAPPER");
    long long start_s = wrapper != NULL && wrapper[0] != '\0' ? PP_START_TIMEOUT_WRAPPED_S
                                                              : PP_START_TIMEOUT_S;
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
        } else if (waitpid(pid, &status, WNOHANG) == pid) {
            s->pid = 0;
            live_remove(pid);
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

int pp_server_stop_sig(struct pp_server *s, int sig)
{
    if (s->pid <= 0) {
        return -1;
    }
    pid_t pid = s->pid;
    kill(pid, sig);
    int status = 0;
    int rc = wait_pid_ms(pid, PP_STOP_TIMEOUT_S * 1000L, &status);
    if (rc == 1) {
        fprintf(stderr, "harness: server %d ignored signal %d, killing it\n", (int)pid, sig);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    s->pid = 0;
    live_remove(pid);
    if (rc != 0) {
        return -1;
    }
    int code = decode_status(status);
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
        live_remove(s->pid);
        s->pid = 0;
    }
}

/* Appends src to the open archive file out under a header line. */
static void archive_one(FILE *out, const char *label, const char *src)
{
    size_t len = 0;
    char *text = pp_file_read(src, &len);
    if (text != NULL) {
        fprintf(out, "==== %s %s ====\n", label, src);
        fwrite(text, 1, len, out);
        fputc('\n', out);
        free(text);
    }
}

static void archive_logs(const struct pp_server *s)
{
    if (s->dir[0] == '\0' || s->out_path[0] == '\0') {
        return;
    }
    char path[1200];
    static int seq;
    if (mkdir_p(pp_log_archive_dir()) != 0) {
        return;
    }
    snprintf(path, sizeof path, "%s/server-%d-%d.log", pp_log_archive_dir(), (int)getpid(),
             __atomic_fetch_add(&seq, 1, __ATOMIC_SEQ_CST));
    FILE *out = fopen(path, "w");
    if (out != NULL) {
        archive_one(out, "stdout", s->out_path);
        archive_one(out, "stderr", s->err_path);
        fclose(out);
    }
}

const char *pp_log_archive_dir(void)
{
    static char dir[600];
    snprintf(dir, sizeof dir, "%s/server-logs", tmp_base());
    return dir;
}

void pp_secret_note(const char *secret)
{
    pthread_once(&init_once, harness_init);
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    char path[700];
    if (secret == NULL || secret[0] == '\0') {
        return;
    }
    pthread_mutex_lock(&lock);
    if (mkdir_p(pp_log_archive_dir()) == 0) {
        snprintf(path, sizeof path, "%s/secrets.txt", pp_log_archive_dir());
        FILE *f = fopen(path, "a");
        if (f != NULL) {
            fprintf(f, "%s\n", secret);
            fclose(f);
        }
    }
    pthread_mutex_unlock(&lock);
}

void pp_server_destroy(struct pp_server *s)
{
    const char *wrapper = getenv("PP_SERVER_WRAPPER");
    if (s->pid > 0 && wrapper != NULL && wrapper[0] != '\0') {
        /* A wrapped server (valgrind) writes its report on a clean exit. */
        pp_server_stop(s);
    }
    pp_server_kill(s);
    archive_logs(s);
    if (s->owns_dir && s->dir[0] != '\0' && getenv("PP_KEEP_TMP") == NULL) {
        nftw(s->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    }
    s->dir[0] = '\0';
    s->owns_dir = 0;
}

int pp_run(const char *const *args, const char *const *env, char **output)
{
    pthread_once(&init_once, harness_init);
    if (output != NULL) {
        *output = NULL;
    }
    const char *bin = getenv("PP_SERVER_BIN");
    if (bin == NULL) {
        return -1;
    }
    char dir[512];
    if (make_temp_dir(dir, sizeof dir) != 0) {
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
        child_redirect(out_path, out_path);
        struct pp_server_opts opts = {.env = env, .no_admin_env = 1};
        child_env(&opts);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    live_add(pid);
    int status = 0;
    int rc = wait_pid_ms(pid, 60000, &status);
    if (rc == 1) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    live_remove(pid);
    if (output != NULL) {
        *output = pp_file_read(out_path, NULL);
    }
    if (getenv("PP_KEEP_TMP") == NULL) {
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    }
    return rc == 0 ? decode_status(status) : -1;
}

int pp_check(const char *db_path, char **output)
{
    const char *args[] = {"check", "--db", db_path, NULL};
    return pp_run(args, NULL, output);
}

/* --- HTTP --------------------------------------------------------------------- */

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct pp_resp *r = userdata;
    size_t n = size * nmemb;
    char *grown = realloc(r->body, r->body_len + n + 1);
    if (grown == NULL) {
        return 0;
    }
    r->body = grown;
    memcpy(r->body + r->body_len, data, n);
    r->body_len += n;
    r->body[r->body_len] = '\0';
    return n;
}

static void headers_clear(struct pp_resp *r)
{
    for (size_t i = 0; i < r->header_count; i++) {
        free(r->headers[i].name);
        free(r->headers[i].value);
    }
    r->header_count = 0;
}

static char *trimmed_copy(const char *start, const char *end)
{
    while (start < end && isspace((unsigned char)*start)) {
        start++;
    }
    while (end > start && isspace((unsigned char)end[-1])) {
        end--;
    }
    return strndup(start, (size_t)(end - start));
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct pp_resp *r = userdata;
    size_t n = size * nmemb;
    if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        /* A new status line (after a 100 Continue): start over. */
        headers_clear(r);
        return n;
    }
    const char *colon = memchr(data, ':', n);
    if (colon != NULL && r->header_count < PP_HEADERS_MAX) {
        r->headers[r->header_count].name = trimmed_copy(data, colon);
        r->headers[r->header_count].value = trimmed_copy(colon + 1, data + n);
        r->header_count++;
    }
    return n;
}

static int has_header(const char *const *headers, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; headers != NULL && headers[i] != NULL; i++) {
        if (strncasecmp(headers[i], name, len) == 0 && headers[i][len] == ':') {
            return 1;
        }
    }
    return 0;
}

static struct curl_slist *build_headers(const struct pp_req *req, int has_body)
{
    struct curl_slist *list = NULL;
    char line[4096];
    if (req->token != NULL) {
        snprintf(line, sizeof line, "x-access-token: %s", req->token);
        list = curl_slist_append(list, line);
    }
    if (req->bearer != NULL) {
        snprintf(line, sizeof line, "Authorization: Bearer %s", req->bearer);
        list = curl_slist_append(list, line);
    }
    if (!has_header(req->headers, "Content-Type")) {
        if (req->content_type == PP_NO_CONTENT_TYPE || (!has_body && req->content_type == NULL)) {
            /* An empty value makes curl drop its own default Content-Type. */
            list = curl_slist_append(list, "Content-Type:");
        } else {
            snprintf(line, sizeof line, "Content-Type: %s",
                     req->content_type != NULL ? req->content_type : "application/json");
            list = curl_slist_append(list, line);
        }
    }
    for (size_t i = 0; req->headers != NULL && req->headers[i] != NULL; i++) {
        list = curl_slist_append(list, req->headers[i]);
    }
    return list;
}

struct sent_hook {
    const struct pp_req *req;
    int fired;
};

static int on_debug(CURL *h, curl_infotype type, char *data, size_t size, void *userdata)
{
    (void)h;
    (void)data;
    (void)size;
    struct sent_hook *hook = userdata;
    if (type == CURLINFO_DATA_OUT && !hook->fired) {
        hook->fired = 1;
        hook->req->on_body_sent(hook->req->on_body_sent_arg);
    }
    return 0;
}

static struct pp_resp *request_once(const struct pp_server *s, CURL *h, const struct pp_req *req)
{
    struct pp_resp *r = calloc(1, sizeof *r);
    if (r == NULL) {
        return NULL;
    }
    const char *method = req->method != NULL ? req->method : "GET";
    snprintf(r->what, sizeof r->what, "%s %.140s", method, req->path);
    r->body = calloc(1, 1);
    char *url = pp_fmt("%s%s", s->base_url, req->path);

    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
    /* Under a wrapper (valgrind) a password hash alone takes tens of seconds. */
    const char *wrapper = getenv("PP_SERVER_WRAPPER");
    curl_easy_setopt(h, CURLOPT_TIMEOUT, wrapper != NULL && wrapper[0] != '\0' ? 900L : 60L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, r->error);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
    if (req->local_addr != NULL) {
        curl_easy_setopt(h, CURLOPT_INTERFACE, req->local_addr);
    }
    if (s->ca_file[0] != '\0') {
        curl_easy_setopt(h, CURLOPT_CAINFO, s->ca_file);
    }

    int has_body = req->body != NULL;
    if (has_body) {
        size_t len = req->body_len == PP_STRLEN ? strlen(req->body) : req->body_len;
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body);
        if (strcmp(method, "POST") != 0) {
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
        }
    } else if (strcmp(method, "GET") == 0) {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
    } else {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    }
    struct curl_slist *headers = build_headers(req, has_body);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    struct sent_hook hook = {req, 0};
    if (req->on_body_sent != NULL) {
        curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, on_debug);
        curl_easy_setopt(h, CURLOPT_DEBUGDATA, &hook);
        curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
    }

    CURLcode rc = curl_easy_perform(h);
    if (rc == CURLE_OK) {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
        json_error_t jerr;
        r->json = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    } else {
        r->status = 0;
        if (r->error[0] == '\0') {
            snprintf(r->error, sizeof r->error, "%s", curl_easy_strerror(rc));
        }
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(headers);
    free(url);
    return r;
}

struct pp_resp *pp_request(const struct pp_server *s, CURL *handle, const struct pp_req *req)
{
    pthread_once(&init_once, harness_init);
    CURL *h = handle != NULL ? handle : curl_easy_init();
    if (h == NULL) {
        return NULL;
    }
    struct pp_resp *r = NULL;
    for (int attempt = 0; attempt < 200; attempt++) {
        r = request_once(s, h, req);
        if (r == NULL || r->status != 429 || req->no_retry_429) {
            break;
        }
        /* Rate limiting is not what these tests exercise: wait and retry. */
        const char *after = pp_resp_header(r, "Retry-After");
        long ms = after != NULL ? atol(after) * 1000L : 100L;
        pp_resp_free(r);
        r = NULL;
        pp_sleep_ms(ms < 50 ? 50 : ms > 2000 ? 2000 : ms);
    }
    if (handle == NULL) {
        curl_easy_cleanup(h);
    }
    return r;
}

void pp_resp_free(struct pp_resp *r)
{
    if (r == NULL) {
        return;
    }
    headers_clear(r);
    json_decref(r->json);
    free(r->body);
    free(r);
}

const char *pp_resp_header(const struct pp_resp *r, const char *name)
{
    for (size_t i = 0; i < r->header_count; i++) {
        if (strcasecmp(r->headers[i].name, name) == 0) {
            return r->headers[i].value;
        }
    }
    return NULL;
}

struct pp_resp *pp_call(const struct pp_server *s, const struct pp_req *req)
{
    struct pp_resp *r = pp_request(s, NULL, req);
    assert_non_null(r);
    if (r->status == 0) {
        fail_msg("%s: no HTTP response: %s", r->what, r->error);
    }
    const char *rid = pp_resp_header(r, "X-Request-Id");
    if (rid == NULL || rid[0] == '\0') {
        fail_msg("%s -> %ld: missing or empty X-Request-Id header", r->what, r->status);
    }
    return r;
}

struct pp_resp *pp_get(const struct pp_server *s, const char *path, const char *token)
{
    struct pp_req req = {.method = "GET", .path = path, .token = token};
    return pp_call(s, &req);
}

struct pp_resp *pp_post(const struct pp_server *s, const char *path, const char *token,
                        const char *json)
{
    struct pp_req req = {
        .method = "POST", .path = path, .token = token, .body = json, .body_len = PP_STRLEN};
    return pp_call(s, &req);
}

struct pp_resp *pp_put(const struct pp_server *s, const char *path, const char *token,
                       const char *json)
{
    struct pp_req req = {
        .method = "PUT", .path = path, .token = token, .body = json, .body_len = PP_STRLEN};
    return pp_call(s, &req);
}

/* --- Raw JSON number scanner ------------------------------------------------- */

#define SCAN_DEPTH_MAX 32
#define SCAN_KEY_BYTES 128

struct scan_frame {
    int is_obj;
    int expect_key;
    long index;
    char key[SCAN_KEY_BYTES];
};

static void scan_path(const struct scan_frame *stack, int depth, char *out, size_t out_size)
{
    size_t used = 0;
    out[0] = '\0';
    for (int d = 0; d < depth && used < out_size; d++) {
        int n = stack[d].is_obj
                    ? snprintf(out + used, out_size - used, "%s%s", d > 0 ? "." : "", stack[d].key)
                    : snprintf(out + used, out_size - used, "[%ld]", stack[d].index);
        if (n < 0) {
            break;
        }
        used += (size_t)n;
    }
}

static size_t scan_string_end(const char *body, size_t len, size_t i)
{
    /* i points just after the opening quote; returns the closing quote. */
    while (i < len && body[i] != '"') {
        i += body[i] == '\\' ? 2 : 1;
    }
    return i;
}

const char *pp_json_number_text(const char *body, size_t len, const char *path, char *out,
                                size_t out_size)
{
    struct scan_frame stack[SCAN_DEPTH_MAX];
    int depth = 0;
    char here[512];
    size_t i = 0;
    while (i < len) {
        char c = body[i];
        struct scan_frame *top = depth > 0 ? &stack[depth - 1] : NULL;
        if (c == '{' || c == '[') {
            if (depth == SCAN_DEPTH_MAX) {
                return NULL;
            }
            memset(&stack[depth], 0, sizeof stack[depth]);
            stack[depth].is_obj = c == '{';
            stack[depth].expect_key = c == '{';
            depth++;
            i++;
        } else if (c == '}' || c == ']') {
            depth = depth > 0 ? depth - 1 : 0;
            i++;
        } else if (c == ',') {
            if (top != NULL && top->is_obj) {
                top->expect_key = 1;
            } else if (top != NULL) {
                top->index++;
            }
            i++;
        } else if (c == ':') {
            if (top != NULL) {
                top->expect_key = 0;
            }
            i++;
        } else if (c == '"') {
            size_t end = scan_string_end(body, len, i + 1);
            if (top != NULL && top->is_obj && top->expect_key) {
                size_t n = end - (i + 1);
                n = n < SCAN_KEY_BYTES - 1 ? n : SCAN_KEY_BYTES - 1;
                memcpy(top->key, body + i + 1, n);
                top->key[n] = '\0';
            }
            i = end + 1;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            size_t j = i;
            while (j < len && strchr("0123456789+-.eE", body[j]) != NULL) {
                j++;
            }
            scan_path(stack, depth, here, sizeof here);
            if (strcmp(here, path) == 0) {
                size_t n = j - i < out_size - 1 ? j - i : out_size - 1;
                memcpy(out, body + i, n);
                out[n] = '\0';
                return out;
            }
            i = j;
        } else {
            i++;
        }
    }
    return NULL;
}

/* --- Assertions ----------------------------------------------------------------- */

static int is_json_content_type(const struct pp_resp *r)
{
    const char *ct = pp_resp_header(r, "Content-Type");
    return ct != NULL && strncasecmp(ct, "application/json", 16) == 0 &&
           (ct[16] == '\0' || ct[16] == ';' || ct[16] == ' ');
}

void pp_assert_status(const struct pp_resp *r, long status)
{
    if (r->status != status) {
        fail_msg("%s: expected HTTP %ld, got %ld, body: %.2000s", r->what, status, r->status,
                 r->body);
    }
    if (status >= 200 && status < 300) {
        if (!json_is_object(r->json)) {
            fail_msg("%s: body is not a JSON object: %.2000s", r->what, r->body);
        }
        if (!is_json_content_type(r)) {
            const char *ct = pp_resp_header(r, "Content-Type");
            fail_msg("%s: Content-Type is %s, expected application/json", r->what,
                     ct != NULL ? ct : "(none)");
        }
    }
}

void pp_assert_error(const struct pp_resp *r, long status, const char *type)
{
    if (r->status != status) {
        fail_msg("%s: expected HTTP %ld %s, got %ld, body: %.2000s", r->what, status, type,
                 r->status, r->body);
    }
    const json_t *root = r->json;
    const json_t *error = json_object_get(root, "error");
    const json_t *errors = json_object_get(root, "errors");
    const json_t *message = json_object_get(error, "message");
    const json_t *jtype = json_object_get(error, "type");
    int ok = json_is_object(root) && json_object_size(root) == 2 && json_is_object(error) &&
             json_object_size(error) == 2 && json_is_string(message) &&
             json_string_length(message) > 0 && json_is_string(jtype) && json_is_array(errors) &&
             json_array_size(errors) == 0;
    if (!ok) {
        fail_msg("%s -> %ld: not the exact error envelope: %.2000s", r->what, r->status, r->body);
    }
    if (strcmp(json_string_value(jtype), type) != 0) {
        fail_msg("%s -> %ld: expected type %s, got %s (message: %s)", r->what, r->status, type,
                 json_string_value(jtype), json_string_value(message));
    }
    if (!is_json_content_type(r)) {
        fail_msg("%s -> %ld: error envelope not served as application/json", r->what, r->status);
    }
}

void pp_assert_number_text(const struct pp_resp *r, const char *path, const char *text)
{
    char got[128];
    if (pp_json_number_text(r->body, r->body_len, path, got, sizeof got) == NULL) {
        fail_msg("%s: no JSON number at %s in %.2000s", r->what, path, r->body);
    }
    if (strcmp(got, text) != 0) {
        fail_msg("%s: %s is %s, expected exactly %s", r->what, path, got, text);
    }
}

void pp_assert_allow(const struct pp_resp *r, const char *method)
{
    const char *allow = pp_resp_header(r, "Allow");
    if (allow == NULL) {
        fail_msg("%s -> %ld: no Allow header", r->what, r->status);
    }
    char copy[256];
    snprintf(copy, sizeof copy, "%s", allow);
    char *save = NULL;
    for (char *item = strtok_r(copy, ", ", &save); item != NULL;
         item = strtok_r(NULL, ", ", &save)) {
        if (strcmp(item, method) == 0) {
            return;
        }
    }
    fail_msg("%s: Allow header \"%s\" does not list %s", r->what, allow, method);
}

void pp_assert_date_out(const char *text)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
    int ok = text != NULL && strlen(text) == sizeof shape - 1;
    for (size_t i = 0; ok && i < sizeof shape - 1; i++) {
        ok = shape[i] == 'd' ? isdigit((unsigned char)text[i]) != 0 : text[i] == shape[i];
    }
    if (!ok) {
        fail_msg("date \"%s\" is not YYYY-MM-DDTHH:MM:SS.mmmZ", text != NULL ? text : "(null)");
    }
}

void pp_assert_json_str(const json_t *obj, const char *key, const char *value)
{
    const json_t *v = json_object_get(obj, key);
    if (!json_is_string(v)) {
        fail_msg("\"%s\" is not a string", key);
    }
    if (strcmp(json_string_value(v), value) != 0) {
        fail_msg("\"%s\" is \"%s\", expected \"%s\"", key, json_string_value(v), value);
    }
}

long long pp_json_int(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v)) {
        fail_msg("\"%s\" is not a JSON integer", key);
    }
    return (long long)json_integer_value(v);
}

/* --- Flows ------------------------------------------------------------------------ */

static char *take_string(const struct pp_resp *r, const char *key)
{
    const json_t *v = json_object_get(r->json, key);
    if (!json_is_string(v) || json_string_length(v) == 0) {
        fail_msg("%s: no non-empty string \"%s\" in %.2000s", r->what, key, r->body);
    }
    return strdup(json_string_value(v));
}

char *pp_admin_login(const struct pp_server *s)
{
    struct pp_resp *r =
        pp_post(s, "/api/admin/login", NULL,
                "{\"email\":\"" PP_ADMIN_EMAIL "\",\"password\":\"" PP_ADMIN_PASSWORD "\"}");
    pp_assert_status(r, 200);
    char *token = take_string(r, "token");
    pp_resp_free(r);
    pp_secret_note(PP_ADMIN_PASSWORD);
    pp_secret_note(token);
    return token;
}

char *pp_enable_integration(const struct pp_server *s, const char *admin_token)
{
    struct pp_resp *r =
        pp_put(s, "/api/admin/settings/api-integration", admin_token, "{\"enabled\":true}");
    pp_assert_status(r, 200);
    if (!json_is_true(json_object_get(r->json, "enabled"))) {
        fail_msg("enabling the integration answered %s", r->body);
    }
    char *password = take_string(r, "authenticationPassword");
    pp_resp_free(r);
    pp_secret_note(password);
    return password;
}

char *pp_authenticate(const struct pp_server *s, const char *password)
{
    json_t *body = json_pack("{s:s}", "apiKey", password);
    char *text = json_dumps(body, JSON_COMPACT);
    struct pp_resp *r = pp_post(s, "/api/authenticate", NULL, text);
    pp_assert_status(r, 200);
    char *token = take_string(r, "token");
    pp_resp_free(r);
    pp_secret_note(token);
    free(text);
    json_decref(body);
    return token;
}

json_t *pp_deposit(const struct pp_server *s, const char *admin_token, const char *currency,
                   const char *amount_text)
{
    char *body = pp_fmt("{\"currency\":\"%s\",\"amount\":%s,\"reference\":\"test deposit\"}",
                        currency, amount_text);
    struct pp_resp *r = pp_post(s, "/api/admin/funds/deposit", admin_token, body);
    pp_assert_status(r, 200);
    pp_assert_json_str(r->json, "currency", currency);
    json_t *out = json_incref(r->json);
    pp_resp_free(r);
    free(body);
    return out;
}

struct pp_resp *pp_balances(const struct pp_server *s, const char *token)
{
    struct pp_resp *r = pp_get(s, "/api/balances", token);
    pp_assert_status(r, 200);
    const json_t *list = json_object_get(r->json, "balances");
    if (!json_is_array(list)) {
        fail_msg("GET /api/balances: no \"balances\" array: %.2000s", r->body);
    }
    const char *previous = "";
    for (size_t i = 0; i < json_array_size(list); i++) {
        const json_t *b = json_array_get(list, i);
        const json_t *cur = json_object_get(b, "currency");
        if (!json_is_string(cur) || !json_is_number(json_object_get(b, "available")) ||
            !json_is_number(json_object_get(b, "blocked")) ||
            !json_is_number(json_object_get(b, "paidOut"))) {
            fail_msg("GET /api/balances: bad entry %zu: %.2000s", i, r->body);
        }
        if (strcmp(previous, json_string_value(cur)) >= 0) {
            fail_msg("GET /api/balances: not sorted by currency: %.2000s", r->body);
        }
        previous = json_string_value(cur);
    }
    return r;
}

void pp_assert_balance(const struct pp_resp *balances, const char *currency, const char *available,
                       const char *blocked, const char *paid_out)
{
    const json_t *list = json_object_get(balances->json, "balances");
    for (size_t i = 0; i < json_array_size(list); i++) {
        const json_t *cur = json_object_get(json_array_get(list, i), "currency");
        if (json_is_string(cur) && strcmp(json_string_value(cur), currency) == 0) {
            const char *keys[3] = {"available", "blocked", "paidOut"};
            const char *want[3] = {available, blocked, paid_out};
            for (int k = 0; k < 3; k++) {
                if (want[k] != NULL) {
                    char path[64];
                    snprintf(path, sizeof path, "balances[%zu].%s", i, keys[k]);
                    pp_assert_number_text(balances, path, want[k]);
                }
            }
            return;
        }
    }
    int all_zero = (available == NULL || strcmp(available, "0") == 0) &&
                   (blocked == NULL || strcmp(blocked, "0") == 0) &&
                   (paid_out == NULL || strcmp(paid_out, "0") == 0);
    if (!all_zero) {
        fail_msg("no %s balance in %.2000s", currency, balances->body);
    }
}

/* --- Formatting and JWT ----------------------------------------------------------- */

void pp_format_minor(long long minor, int decimals, char *out, size_t out_size)
{
    long long scale = 1;
    for (int i = 0; i < decimals; i++) {
        scale *= 10;
    }
    const char *sign = minor < 0 ? "-" : "";
    long long abs_minor = minor < 0 ? -minor : minor;
    long long whole = abs_minor / scale, frac = abs_minor % scale;
    if (frac == 0) {
        snprintf(out, out_size, "%s%lld", sign, whole);
        return;
    }
    char digits[32];
    size_t n = decimals > 0 && decimals < 30 ? (size_t)decimals : 0;
    digits[n] = '\0';
    for (size_t i = n; i > 0; i--) {
        digits[i - 1] = (char)('0' + frac % 10);
        frac /= 10;
    }
    while (n > 0 && digits[n - 1] == '0') {
        digits[--n] = '\0';
    }
    snprintf(out, out_size, "%s%lld.%s", sign, whole, digits);
}

static int b64url_value(char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    return c == '-' ? 62 : c == '_' ? 63 : -1;
}

static json_t *jwt_part(const char *token, int part)
{
    if (token == NULL) {
        return NULL;
    }
    const char *start = token;
    for (int i = 0; i < part; i++) {
        start = strchr(start, '.');
        if (start == NULL) {
            return NULL;
        }
        start++;
    }
    const char *end = strchr(start, '.');
    if (end == NULL) {
        return NULL;
    }
    size_t n = (size_t)(end - start);
    unsigned char *buf = malloc(n + 1);
    size_t out = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; buf != NULL && i < n; i++) {
        int v = b64url_value(start[i]);
        if (v < 0) {
            free(buf);
            return NULL;
        }
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[out++] = (unsigned char)((acc >> bits) & 0xFFu);
        }
    }
    json_t *j = buf != NULL ? json_loadb((const char *)buf, out, 0, NULL) : NULL;
    free(buf);
    return j;
}

json_t *pp_jwt_header(const char *token)
{
    return jwt_part(token, 0);
}

json_t *pp_jwt_payload(const char *token)
{
    return jwt_part(token, 1);
}

void pp_base64url(const unsigned char *in, size_t len, char *out, size_t out_size)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len && o + 1 < out_size; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 6 && o + 1 < out_size) {
            bits -= 6;
            out[o++] = alphabet[(acc >> bits) & 0x3Fu];
        }
    }
    if (bits > 0 && o + 1 < out_size) {
        out[o++] = alphabet[(acc << (6 - bits)) & 0x3Fu];
    }
    out[o] = '\0';
}

/* --- Payout objects ---------------------------------------------------------------- */

long long pp_date_out_seconds(const char *text)
{
    pp_assert_date_out(text);
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = atoi(text) - 1900;
    tm.tm_mon = atoi(text + 5) - 1;
    tm.tm_mday = atoi(text + 8);
    tm.tm_hour = atoi(text + 11);
    tm.tm_min = atoi(text + 14);
    tm.tm_sec = atoi(text + 17);
    return (long long)timegm(&tm);
}

static const char *str_field(const struct pp_resp *r, const json_t *item, const char *key)
{
    const json_t *v = json_object_get(item, key);
    if (!json_is_string(v)) {
        fail_msg("%s: payout field \"%s\" missing or not a string: %.2000s", r->what, key, r->body);
    }
    return json_string_value(v);
}

static void positive_int_field(const struct pp_resp *r, const json_t *item, const char *key)
{
    const json_t *v = json_object_get(item, key);
    if (!json_is_integer(v) || json_integer_value(v) <= 0) {
        fail_msg("%s: payout field \"%s\" missing or not a positive integer: %.2000s", r->what, key,
                 r->body);
    }
}

void pp_assert_payment(const struct pp_resp *r, const char *path, const json_t *item,
                       const struct pp_payment_want *want)
{
    if (!json_is_object(item)) {
        fail_msg("%s: no payout object at \"%s\": %.2000s", r->what, path, r->body);
    }
    char amount_path[128];
    snprintf(amount_path, sizeof amount_path, "%s%samount", path, path[0] != '\0' ? "." : "");
    if (!json_is_number(json_object_get(item, "amount"))) {
        fail_msg("%s: payout amount is not a JSON number: %.2000s", r->what, r->body);
    }
    pp_assert_number_text(r, amount_path, want->amount);
    positive_int_field(r, item, "id");
    positive_int_field(r, item, "recipientId");
    positive_int_field(r, item, "projectId");
    const struct {
        const char *key, *value;
    } strings[] = {{"currency", want->currency},
                   {"startDate", want->start_date},
                   {"endDate", want->end_date},
                   {"description", want->description},
                   {"status", want->status}};
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) {
        const char *got = str_field(r, item, strings[i].key);
        if (strings[i].value != NULL && strcmp(got, strings[i].value) != 0) {
            fail_msg("%s: payout %s is \"%s\", expected \"%s\"", r->what, strings[i].key, got,
                     strings[i].value);
        }
    }
    const json_t *notification = json_object_get(item, "notification");
    if (!json_is_boolean(notification) || json_is_true(notification) != (want->notification != 0)) {
        fail_msg("%s: payout notification is not %s: %.2000s", r->what,
                 want->notification ? "true" : "false", r->body);
    }
    const char *created = str_field(r, item, "createdAt");
    const char *updated = str_field(r, item, "updatedAt");
    long long now = (long long)time(NULL);
    long long created_s = pp_date_out_seconds(created);
    long long updated_s = pp_date_out_seconds(updated);
    if (created_s < now - 600 || created_s > now + 600) {
        fail_msg("%s: createdAt %s is not close to now", r->what, created);
    }
    if (strcmp(updated, created) < 0 || updated_s > now + 600) {
        fail_msg("%s: updatedAt %s is before createdAt %s or in the future", r->what, updated,
                 created);
    }
}
