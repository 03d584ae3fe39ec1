/*
** This module implements the payout-panel command line: `serve` (the
** default), `migrate`, `admin`, `check` and `version`, their flags and
** environment variables, the first-admin bootstrap, and signal handling
** for graceful shutdown. Everything else lives in the layers below.
*/
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "payout/base/log.h"
#include "payout/core/admins.h"
#include "payout/core/app.h"
#include "payout/core/expiry.h"
#include "payout/core/ledger.h"
#include "payout/core/service.h"
#include "payout/http/server.h"
#include "payout/limits.h"
#include "payout/sec/passwords.h"
#include "payout/sec/secrets.h"

struct options {
    const char *command;
    const char *bind_addr;
    long port;
    const char *db_path;
    long threads;
    long body_max;
    const char *access_log;
    const char *log_level;
    const char *email;
    /* Service: raw texts until parse_service, then the values. */
    const char *rate_limit_text;
    const char *rate_burst_text;
    const char *idem_ttl_text;
    struct core_service_options service;
    long expiry_interval_ms;
    long conn_timeout_s;
    long header_timeout_s;
    long connections_max;
    long connections_per_ip_max;
    const char *tls_cert;
    const char *tls_key;
    long password_iterations;
};

static void usage(FILE *out)
{
    fputs("usage: payout-panel [serve|migrate|admin|check|version] [options]\n"
          "  serve    run the HTTP server (default)\n"
          "  migrate  apply pending database migrations and exit\n"
          "  admin    create an admin or reset its password (--email; password from\n"
          "           PAYOUT_ADMIN_PASSWORD, or generated and printed once)\n"
          "  check    verify the ledger invariants; exit 1 with a report if broken\n"
          "  version  print the version\n"
          "options (environment in brackets):\n"
          "  --bind ADDR         listen address [PAYOUT_BIND] (default 127.0.0.1)\n"
          "  --port N            listen port, 0 = any free port [PAYOUT_PORT] (default 5006)\n"
          "  --db PATH           SQLite database [PAYOUT_DB] (default ./var/payout.db)\n"
          "  --threads N         HTTP worker threads [PAYOUT_THREADS] (default: cores)\n"
          "  --body-max BYTES    largest request body [PAYOUT_BODY_MAX] (default 1048576)\n"
          "  --access-log DEST   'stderr', 'off' or a file path [PAYOUT_ACCESS_LOG]\n"
          "  --log-level LEVEL   debug, info, warn or error [PAYOUT_LOG_LEVEL]\n"
          "  --email ADDR        admin e-mail for `admin` [PAYOUT_ADMIN_EMAIL]\n"
          "  --expiry-interval-ms MS  how often open payouts past their endDate are\n"
          "                      expired, 0 = never [PAYOUT_EXPIRY_INTERVAL_MS] (default 1000)\n"
          "  --conn-timeout-s N  drop idle or trickling connections after N seconds\n"
          "                      [PAYOUT_CONN_TIMEOUT_S] (default 15)\n"
          "  --header-timeout-s N  drop a connection whose request headers are not\n"
          "                      complete N seconds after it opened or its last answer\n"
          "                      [PAYOUT_HEADER_TIMEOUT_S] (default 10)\n"
          "  --max-connections N simultaneous connections [PAYOUT_MAX_CONNECTIONS] (1024)\n"
          "  --per-ip-connections N  connections per client address\n"
          "                      [PAYOUT_PER_IP_CONNECTIONS] (default 64)\n"
          "  --tls-cert PEM      serve HTTPS with this certificate chain [PAYOUT_TLS_CERT]\n"
          "  --tls-key PEM       ... and this private key (mode 0600) [PAYOUT_TLS_KEY]\n"
          "  --rate-limit N      requests per second per API key and per client address,\n"
          "                      0 = off [PAYOUT_RATE_LIMIT] (default 200)\n"
          "  --rate-burst N      requests allowed at once [PAYOUT_RATE_BURST]\n"
          "                      (default 400, or twice --rate-limit when that is given)\n"
          "  --idempotency-ttl-h N  hours an Idempotency-Key and its answer are kept,\n"
          "                      24..8760 [PAYOUT_IDEMPOTENCY_TTL_H] (default 24)\n"
          "  --password-iterations N  PBKDF2 iterations of new admin password hashes,\n"
          "                      1000..10000000; lower only for test environments\n"
          "                      [PAYOUT_PASSWORD_ITERATIONS] (default 600000)\n",
          out);
}

static const char *env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v != NULL && v[0] != '\0' ? v : fallback;
}

static int parse_long(const char *text, long min, long max, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < min || v > max) {
        return 0;
    }
    *out = v;
    return 1;
}

static int parse_transport(struct options *o, const char *conn_timeout, const char *conns,
                           const char *per_ip, const char *header_timeout);
static int parse_service(struct options *o);

/* Fills o from the environment, then the command line. 0 on a bad flag. */
static int parse_options(int argc, char **argv, struct options *o)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    const char *port = env_or("PAYOUT_PORT", "5006");
    const char *threads = env_or("PAYOUT_THREADS", NULL);
    const char *body = env_or("PAYOUT_BODY_MAX", NULL);
    const char *expiry = env_or("PAYOUT_EXPIRY_INTERVAL_MS", NULL);
    const char *iterations = env_or("PAYOUT_PASSWORD_ITERATIONS", NULL);
    o->rate_limit_text = env_or("PAYOUT_RATE_LIMIT", NULL);
    o->rate_burst_text = env_or("PAYOUT_RATE_BURST", NULL);
    o->idem_ttl_text = env_or("PAYOUT_IDEMPOTENCY_TTL_H", NULL);
    const char *conn_timeout = env_or("PAYOUT_CONN_TIMEOUT_S", NULL);
    const char *header_timeout = env_or("PAYOUT_HEADER_TIMEOUT_S", NULL);
    const char *conns = env_or("PAYOUT_MAX_CONNECTIONS", NULL);
    const char *per_ip = env_or("PAYOUT_PER_IP_CONNECTIONS", NULL);
    o->tls_cert = env_or("PAYOUT_TLS_CERT", NULL);
    o->tls_key = env_or("PAYOUT_TLS_KEY", NULL);
    o->command = "serve";
    o->bind_addr = env_or("PAYOUT_BIND", "127.0.0.1");
    o->db_path = env_or("PAYOUT_DB", "./var/payout.db");
    o->access_log = env_or("PAYOUT_ACCESS_LOG", "stderr");
    o->log_level = env_or("PAYOUT_LOG_LEVEL", "info");
    o->email = env_or("PAYOUT_ADMIN_EMAIL", NULL);
    int i = 1;
    if (argc > 1 && argv[1][0] != '-') {
        o->command = argv[1];
        i = 2;
    }
    for (; i < argc; i++) {
        const char *flag = argv[i];
        if (strcmp(flag, "--help") == 0 || strcmp(flag, "-h") == 0) {
            o->command = "help";
            return 1;
        }
        if (strcmp(flag, "--version") == 0) {
            o->command = "version";
            return 1;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "payout-panel: %s needs a value\n", flag);
            return 0;
        }
        const char *v = argv[++i];
        if (strcmp(flag, "--bind") == 0) {
            o->bind_addr = v;
        } else if (strcmp(flag, "--port") == 0) {
            port = v;
        } else if (strcmp(flag, "--db") == 0) {
            o->db_path = v;
        } else if (strcmp(flag, "--threads") == 0) {
            threads = v;
        } else if (strcmp(flag, "--body-max") == 0) {
            body = v;
        } else if (strcmp(flag, "--access-log") == 0) {
            o->access_log = v;
        } else if (strcmp(flag, "--log-level") == 0) {
            o->log_level = v;
        } else if (strcmp(flag, "--email") == 0) {
            o->email = v;
        } else if (strcmp(flag, "--expiry-interval-ms") == 0) {
            expiry = v;
        } else if (strcmp(flag, "--conn-timeout-s") == 0) {
            conn_timeout = v;
        } else if (strcmp(flag, "--header-timeout-s") == 0) {
            header_timeout = v;
        } else if (strcmp(flag, "--max-connections") == 0) {
            conns = v;
        } else if (strcmp(flag, "--per-ip-connections") == 0) {
            per_ip = v;
        } else if (strcmp(flag, "--tls-cert") == 0) {
            o->tls_cert = v;
        } else if (strcmp(flag, "--rate-limit") == 0) {
            o->rate_limit_text = v;
        } else if (strcmp(flag, "--rate-burst") == 0) {
            o->rate_burst_text = v;
        } else if (strcmp(flag, "--idempotency-ttl-h") == 0) {
            o->idem_ttl_text = v;
        } else if (strcmp(flag, "--tls-key") == 0) {
            o->tls_key = v;
        } else if (strcmp(flag, "--password-iterations") == 0) {
            iterations = v;
        } else {
            fprintf(stderr, "payout-panel: unknown option %s\n", flag);
            return 0;
        }
    }
    o->expiry_interval_ms = PP_EXPIRY_INTERVAL_MS_DEFAULT;
    if (expiry != NULL &&
        !parse_long(expiry, 0, PP_EXPIRY_INTERVAL_MS_MAX, &o->expiry_interval_ms)) {
        fprintf(stderr, "payout-panel: --expiry-interval-ms must be 0 to %ld\n",
                PP_EXPIRY_INTERVAL_MS_MAX);
        return 0;
    }
    o->password_iterations = PP_PBKDF2_ITERATIONS;
    if (iterations != NULL && !parse_long(iterations, PP_PBKDF2_ITERATIONS_MIN,
                                          PP_PBKDF2_ITERATIONS_MAX, &o->password_iterations)) {
        fprintf(stderr, "payout-panel: --password-iterations must be %u to %u\n",
                PP_PBKDF2_ITERATIONS_MIN, PP_PBKDF2_ITERATIONS_MAX);
        return 0;
    }
    o->threads = cores > 0 ? cores : 2;
    o->body_max = PP_BODY_BYTES_DEFAULT;
    if (!parse_long(port, 0, 65535, &o->port) ||
        (threads != NULL && !parse_long(threads, 1, PP_READERS_MAX - 2, &o->threads)) ||
        (body != NULL && !parse_long(body, 1024, PP_BODY_BYTES_MAX, &o->body_max))) {
        fprintf(stderr, "payout-panel: --port, --threads or --body-max is out of range\n");
        return 0;
    }
    return parse_transport(o, conn_timeout, conns, per_ip, header_timeout) && parse_service(o);
}

/* The service flags of parse_options (rate limits, idempotency TTL): 0 when
** one is out of range. A burst left unset is twice the rate. */
static int parse_service(struct options *o)
{
    long rate = PP_RATE_LIMIT_DEFAULT;
    long burst = PP_RATE_BURST_DEFAULT;
    long ttl = PP_IDEMPOTENCY_TTL_H_DEFAULT;
    if ((o->rate_limit_text != NULL &&
         !parse_long(o->rate_limit_text, 0, PP_RATE_LIMIT_MAX, &rate)) ||
        (o->rate_burst_text != NULL &&
         !parse_long(o->rate_burst_text, 1, PP_RATE_BURST_MAX, &burst)) ||
        (o->idem_ttl_text != NULL &&
         !parse_long(o->idem_ttl_text, PP_IDEMPOTENCY_TTL_H_MIN, PP_IDEMPOTENCY_TTL_H_MAX, &ttl))) {
        fprintf(stderr, "payout-panel: --rate-limit, --rate-burst or --idempotency-ttl-h is "
                        "out of range\n");
        return 0;
    }
    if (o->rate_limit_text != NULL && o->rate_burst_text == NULL) {
        burst = rate > 0 ? 2 * rate : 1;
    }
    o->service.rate_per_s = (uint32_t)rate;
    o->service.rate_burst = (uint32_t)burst;
    o->service.idempotency_ttl_h = (int)ttl;
    return 1;
}

/* The transport flags of parse_options: 0 when one is out of range. */
static int parse_transport(struct options *o, const char *conn_timeout, const char *conns,
                           const char *per_ip, const char *header_timeout)
{
    o->conn_timeout_s = PP_CONNECTION_TIMEOUT_S;
    o->header_timeout_s = PP_HEADER_TIMEOUT_S;
    o->connections_max = PP_CONNECTIONS_MAX;
    o->connections_per_ip_max = PP_CONNECTIONS_PER_IP_MAX;
    if ((conn_timeout != NULL && !parse_long(conn_timeout, 1, 3600, &o->conn_timeout_s)) ||
        (conns != NULL && !parse_long(conns, 1, 65536, &o->connections_max)) ||
        (per_ip != NULL && !parse_long(per_ip, 1, 65536, &o->connections_per_ip_max)) ||
        (header_timeout != NULL &&
         !parse_long(header_timeout, 1, PP_HEADER_TIMEOUT_S_MAX, &o->header_timeout_s))) {
        fprintf(stderr, "payout-panel: --conn-timeout-s, --max-connections, "
                        "--per-ip-connections or --header-timeout-s is out of range\n");
        return 0;
    }
    if ((o->tls_cert == NULL) != (o->tls_key == NULL)) {
        fprintf(stderr, "payout-panel: --tls-cert and --tls-key go together\n");
        return 0;
    }
    if (strlen(o->db_path) >= PP_DB_PATH_BYTES_MAX) {
        fprintf(stderr, "payout-panel: --db path is too long\n");
        return 0;
    }
    return 1;
}

static int setup_logging(const struct options *o)
{
    static const char *const levels[] = {"debug", "info", "warn", "error"};
    int level = -1;
    for (int i = 0; i < 4; i++) {
        if (strcmp(o->log_level, levels[i]) == 0) {
            level = i;
        }
    }
    if (level < 0) {
        fprintf(stderr, "payout-panel: unknown log level '%s'\n", o->log_level);
        return 0;
    }
    pp_log_set_level((enum pp_log_level)level);
    if (strcmp(o->access_log, "off") == 0) {
        pp_log_set_access(NULL);
    } else if (strcmp(o->access_log, "stderr") != 0 && strcmp(o->access_log, "-") != 0) {
        FILE *f = fopen(o->access_log, "a");
        if (f == NULL) {
            fprintf(stderr, "payout-panel: cannot open access log %s: %s\n", o->access_log,
                    strerror(errno));
            return 0;
        }
        setvbuf(f, NULL, _IOLBF, 0);
        pp_log_set_access(f);
    }
    return 1;
}

/* On first start, creates the first admin from the environment. */
static int bootstrap_admin(struct core_app *app)
{
    struct pp_err err = {0};
    int64_t count = 0;
    if (core_admin_count(app, &count, &err) != PP_OK) {
        fprintf(stderr, "payout-panel: %s\n", err.message);
        return 0;
    }
    if (count > 0) {
        return 1;
    }
    const char *email = env_or("PAYOUT_ADMIN_EMAIL", "admin@localhost");
    const char *password = env_or("PAYOUT_ADMIN_PASSWORD", NULL);
    char generated[PP_ADMIN_PASSWORD_GENERATED_CHARS + 1] = "";
    int created = 0;
    struct pp_actor actor = {.kind = PP_ACTOR_SYSTEM};
    if (core_admin_set(app, &actor, email, password, generated, &created, &err) != PP_OK) {
        fprintf(stderr, "payout-panel: cannot create the first admin: %s\n", err.message);
        return 0;
    }
    if (password == NULL) {
        fprintf(stderr,
                "created admin %s with the generated password %s (shown once; reset it with "
                "`payout-panel admin`)\n",
                email, generated);
    } else {
        fprintf(stderr, "created admin %s from PAYOUT_ADMIN_EMAIL/PAYOUT_ADMIN_PASSWORD\n", email);
    }
    sec_wipe(generated, sizeof generated);
    return 1;
}

/* Largest PEM file read for --tls-cert/--tls-key (a long chain is ~10 KiB). */
#define TLS_PEM_BYTES_MAX (256 * 1024)

/* Reads a whole PEM file into new heap memory (free()); NULL after a
** message on stderr. Warns when a private key is readable by others. */
static char *pem_read(const char *path, int is_key)
{
    char *text = NULL;
    struct stat sb;
    FILE *f = fopen(path, "rb");
    if (f == NULL || fstat(fileno(f), &sb) != 0 || sb.st_size <= 0 ||
        sb.st_size > TLS_PEM_BYTES_MAX) {
        fprintf(stderr, "payout-panel: cannot read %s (missing, empty or over %d bytes)\n", path,
                TLS_PEM_BYTES_MAX);
        goto done;
    }
    if (is_key && (sb.st_mode & 077) != 0) {
        fprintf(stderr, "payout-panel: warning: TLS key %s is readable by others (chmod 600)\n",
                path);
    }
    size_t size = (size_t)sb.st_size;
    text = calloc(1, size + 1);
    if (text == NULL || fread(text, 1, size, f) != size) {
        fprintf(stderr, "payout-panel: cannot read %s\n", path);
        free(text);
        text = NULL;
    }
done:
    if (f != NULL) {
        fclose(f);
    }
    return text;
}

static int cmd_serve(const struct options *o)
{
    struct pp_err err = {0};
    struct core_app *app = NULL;
    struct http_server *srv = NULL;
    sigset_t sigs;
    int sig = 0;
    int rc = 1;
    char *tls_cert = NULL;
    char *tls_key = NULL;
    /* Block the stop signals in every thread; main waits for them below. */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* TLS material first: a bad path fails before anything is opened. */
    if (o->tls_cert != NULL && ((tls_cert = pem_read(o->tls_cert, 0)) == NULL ||
                                (tls_key = pem_read(o->tls_key, 1)) == NULL)) {
        goto done;
    }
    if (core_app_open(o->db_path, (unsigned)o->threads + 2, &app, &err) != PP_OK) {
        fprintf(stderr, "payout-panel: cannot open %s: %s\n", o->db_path, err.message);
        goto done;
    }
    if (!bootstrap_admin(app)) {
        goto done;
    }
    /* Before listening: payouts that ended while the server was stopped are
    ** expired (and their funds released) before anyone can see them open. */
    if (core_service_start(app, &o->service, &err) != PP_OK ||
        core_expiry_start(app, o->expiry_interval_ms, &err) != PP_OK) {
        fprintf(stderr, "payout-panel: %s\n", err.message);
        goto done;
    }
    struct http_server_options hopts = {
        .bind_addr = o->bind_addr,
        .port = (uint16_t)o->port,
        .body_bytes_max = (size_t)o->body_max,
        .threads = (unsigned)o->threads,
        .connections_max = (unsigned)o->connections_max,
        .connections_per_ip_max = (unsigned)o->connections_per_ip_max,
        .conn_timeout_s = (unsigned)o->conn_timeout_s,
        .header_timeout_s = (unsigned)o->header_timeout_s,
        .tls_cert_pem = tls_cert,
        .tls_key_pem = tls_key,
    };
    if (http_server_start(app, &hopts, &srv, &err) != PP_OK) {
        fprintf(stderr, "payout-panel: %s\n", err.message);
        goto done;
    }
    const char *scheme = tls_cert != NULL ? "https" : "http";
    const char *fmt =
        strchr(o->bind_addr, ':') ? "listening on %s://[%s]:%u\n" : "listening on %s://%s:%u\n";
    printf(fmt, scheme, o->bind_addr, (unsigned)http_server_port(srv));
    fflush(stdout);
    sigwait(&sigs, &sig);
    pp_log(PP_LOG_INFO, "received %s, finishing in-flight requests",
           sig == SIGTERM ? "SIGTERM" : "SIGINT");
    rc = 0;
done:
    http_server_stop(srv);
    core_app_close(app);
    if (tls_key != NULL) {
        sec_wipe(tls_key, strlen(tls_key));
    }
    free(tls_key);
    free(tls_cert);
    if (rc == 0) {
        pp_log(PP_LOG_INFO, "stopped");
    }
    return rc;
}

static int cmd_migrate(const struct options *o)
{
    struct pp_err err = {0};
    int applied = 0;
    if (core_app_migrate(o->db_path, &applied, &err) != PP_OK) {
        fprintf(stderr, "payout-panel: migrate failed: %s\n", err.message);
        return 1;
    }
    printf("%s: applied %d migration(s); schema version %d\n", o->db_path, applied,
           core_app_schema_latest());
    return 0;
}

static int cmd_admin(const struct options *o)
{
    struct pp_err err = {0};
    struct core_app *app = NULL;
    char generated[PP_ADMIN_PASSWORD_GENERATED_CHARS + 1] = "";
    int created = 0;
    int rc = 1;
    if (o->email == NULL) {
        fputs("payout-panel: admin needs --email (or PAYOUT_ADMIN_EMAIL)\n", stderr);
        return 2;
    }
    const char *password = env_or("PAYOUT_ADMIN_PASSWORD", NULL);
    struct pp_actor actor = {.kind = PP_ACTOR_ADMIN, .addr = "command line"};
    if (core_app_open(o->db_path, 1, &app, &err) == PP_OK &&
        core_admin_set(app, &actor, o->email, password, generated, &created, &err) == PP_OK) {
        printf("%s admin %s", created ? "created" : "reset the password of", o->email);
        if (password == NULL) {
            printf(" with the generated password %s (shown once)", generated);
        }
        printf("\n");
        rc = 0;
    } else {
        fprintf(stderr, "payout-panel: admin failed: %s\n", err.message);
    }
    sec_wipe(generated, sizeof generated);
    core_app_close(app);
    return rc;
}

static void print_problem(void *ctx, const char *line)
{
    (void)ctx;
    printf("  %s\n", line);
}

static int cmd_check(const struct options *o)
{
    struct pp_err err = {0};
    struct core_app *app = NULL;
    struct stat sb;
    int problems = 0;
    if (stat(o->db_path, &sb) != 0) {
        fprintf(stderr, "payout-panel: no database at %s\n", o->db_path);
        return 2;
    }
    if (core_app_open(o->db_path, 1, &app, &err) != PP_OK ||
        core_ledger_check(app, print_problem, NULL, &problems, &err) != PP_OK) {
        fprintf(stderr, "payout-panel: check failed to run: %s\n", err.message);
        core_app_close(app);
        return 2;
    }
    core_app_close(app);
    if (problems > 0) {
        printf("%s: %d problem(s) found\n", o->db_path, problems);
        return 1;
    }
    printf("%s: ok (balances match the ledger and open payouts)\n", o->db_path);
    return 0;
}

int main(int argc, char **argv)
{
    struct options o;
    if (!parse_options(argc, argv, &o)) {
        usage(stderr);
        return 2;
    }
    if (strcmp(o.command, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(o.command, "version") == 0) {
        printf("payout-panel %s\n", PP_VERSION);
        return 0;
    }
    if (!setup_logging(&o)) {
        return 2;
    }
    sec_password_set_iterations((unsigned)o.password_iterations);
    if (strcmp(o.command, "serve") == 0) {
        return cmd_serve(&o);
    }
    if (strcmp(o.command, "migrate") == 0) {
        return cmd_migrate(&o);
    }
    if (strcmp(o.command, "admin") == 0) {
        return cmd_admin(&o);
    }
    if (strcmp(o.command, "check") == 0) {
        return cmd_check(&o);
    }
    fprintf(stderr, "payout-panel: unknown command '%s'\n", o.command);
    usage(stderr);
    return 2;
}
