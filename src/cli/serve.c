/*
** This module implements the `serve` command: it reads the TLS files,
** opens the app, creates the first admin on the first start, starts the
** background tasks and the HTTP server, and waits for SIGTERM or SIGINT to
** stop gracefully. It parses no option (cli/options.c) and serves no
** request itself (http/).
*/
#include "payout/cli/serve.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "payout/api/events.h"
#include "payout/base/cidr.h"
#include "payout/base/log.h"
#include "payout/core/admins.h"
#include "payout/core/app.h"
#include "payout/core/expiry.h"
#include "payout/core/outbox.h"
#include "payout/core/service.h"
#include "payout/core/users.h"
#include "payout/http/server.h"
#include "payout/limits.h"
#include "payout/sec/secrets.h"

/* What a running server holds; everything is released by serve_close. */
struct serve_state {
    struct core_app *app;
    struct http_server *srv;
    char *tls_cert; /* PEM texts, NULL without TLS */
    char *tls_key;
    struct pp_cidr_list trusted_proxies; /* --trusted-proxies; empty: none */
};

/* On first start, creates the first admin from the environment. */
static int serve_admin_bootstrap(struct core_app *app, const struct cli_options *o)
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
    const char *email = o->first_admin_email;
    const char *password = o->admin_password;
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

/* Reads a whole PEM file into new heap memory (free()); NULL after a
** message on stderr. Warns when a private key is readable by others. */
static char *serve_pem_read(const char *path, int is_key)
{
    char *text = NULL;
    struct stat sb;
    FILE *f = fopen(path, "rb");
    if (f == NULL || fstat(fileno(f), &sb) != 0 || sb.st_size <= 0 ||
        sb.st_size > PP_TLS_PEM_BYTES_MAX) {
        fprintf(stderr, "payout-panel: cannot read %s (missing, empty or over %d bytes)\n", path,
                PP_TLS_PEM_BYTES_MAX);
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

/* Starts the outbox (payout/core/outbox.h): webhook deliveries and
** recipient e-mails; master[0..master_len) (none: NULL) seals webhook
** secrets. 0 after a message on stderr. */
static int serve_outbox_start(const struct cli_options *o, struct core_app *app,
                              const uint8_t *master, size_t master_len)
{
    struct pp_err err = {0};
    struct core_outbox_options outbox = {
        .master = master,
        .master_len = master_len,
        .allow_cidrs = o->webhook_allow_cidrs,
        .retry_ms = o->webhook_retry_ms,
        .smtp_url = o->smtp_url,
        .smtp_from = o->smtp_from,
        .smtp_user = o->smtp_user,
        .smtp_password = o->smtp_password,
        .smtp_ca_file = o->smtp_ca_file,
        .workers = 1,
        .render = api_event_render,
    };
    if (core_outbox_options_check(&outbox, &err) != PP_OK ||
        core_outbox_start(app, &outbox, &err) != PP_OK) {
        fprintf(stderr, "payout-panel: %s\n", err.message);
        return 0;
    }
    return 1;
}

/* Creates the master secret at path with PP_SEAL_MASTER_BYTES_MIN random
** bytes and mode 0600, atomically: written to a private file first, then
** linked into place, so a server starting beside this one reads either no
** file or the whole secret. 1 when path exists afterwards (made here or by
** another). */
static int serve_secret_create(const char *path)
{
    struct pp_err err = {0};
    uint8_t fresh[PP_SEAL_MASTER_BYTES_MIN];
    char tmp[PP_DB_PATH_BYTES_MAX + 32];
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
    int ok = 0;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
        ok = sec_random_bytes(fresh, sizeof fresh, &err) == PP_OK &&
             write(fd, fresh, sizeof fresh) == (ssize_t)sizeof fresh && fsync(fd) == 0;
        close(fd);
        ok = ok && (link(tmp, path) == 0 || errno == EEXIST);
        unlink(tmp);
    }
    sec_wipe(fresh, sizeof fresh);
    return ok;
}

/* Reads the master secret at path into out (PP_SEAL_MASTER_BYTES_MAX),
** *len_out its length, creating it first when it does not exist. 0 after
** a message on stderr. */
static int serve_secret_load(const char *path, uint8_t *out, size_t *len_out)
{
    struct stat sb;
    int ok = 0;
    if (access(path, F_OK) != 0 && !serve_secret_create(path)) {
        fprintf(stderr, "payout-panel: cannot create the master secret %s: %s\n", path,
                strerror(errno));
        return 0;
    }
    FILE *f = fopen(path, "rb");
    if (f == NULL || fstat(fileno(f), &sb) != 0 || sb.st_size < PP_SEAL_MASTER_BYTES_MIN ||
        sb.st_size > PP_SEAL_MASTER_BYTES_MAX) {
        fprintf(stderr, "payout-panel: cannot read the master secret %s (%d to %d bytes)\n", path,
                PP_SEAL_MASTER_BYTES_MIN, PP_SEAL_MASTER_BYTES_MAX);
    } else {
        if ((sb.st_mode & 077) != 0) {
            fprintf(stderr,
                    "payout-panel: warning: master secret %s is readable by others (chmod 600)\n",
                    path);
        }
        *len_out = (size_t)sb.st_size;
        ok = fread(out, 1, *len_out, f) == *len_out;
    }
    if (f != NULL) {
        fclose(f);
    }
    return ok;
}

/* Configures the panel users (session clocks, the master secret) and
** starts the outbox with the same master secret. */
static int serve_users_configure(const struct cli_options *o, struct core_app *app)
{
    struct pp_err err = {0};
    char path[PP_DB_PATH_BYTES_MAX + sizeof ".secret"];
    uint8_t master[PP_SEAL_MASTER_BYTES_MAX];
    size_t master_len = 0;
    const char *db = strncmp(o->db_path, "sqlite:", 7) == 0 ? o->db_path + 7 : o->db_path;
    int url = strstr(o->db_path, "://") != NULL;
    snprintf(path, sizeof path, "%s%s", o->secret_file != NULL ? o->secret_file : db,
             o->secret_file != NULL ? "" : ".secret");
    if (o->secret_file == NULL && url) {
        /* No file beside a database URL: two-factor sign-in stays off. */
        fprintf(stderr, "payout-panel: warning: no --secret-file with a database URL: two-factor "
                        "sign-in is unavailable\n");
        struct core_users_options clocks = {.session_idle_s = o->session_idle_s,
                                            .session_max_s = o->session_max_s};
        return core_users_configure(app, &clocks, &err) == PP_OK &&
               serve_outbox_start(o, app, NULL, 0);
    }
    int ok = serve_secret_load(path, master, &master_len);
    struct core_users_options users = {
        .session_idle_s = o->session_idle_s,
        .session_max_s = o->session_max_s,
        .master = master,
        .master_len = master_len,
    };
    if (ok && core_users_configure(app, &users, &err) != PP_OK) {
        fprintf(stderr, "payout-panel: %s\n", err.message);
        ok = 0;
    }
    ok = ok && serve_outbox_start(o, app, master, master_len);
    sec_wipe(master, sizeof master);
    return ok;
}

/* Everything before listening: TLS files, the app, the first admin, the
** background tasks. 0 after a message on stderr. */
static int serve_open(const struct cli_options *o, struct serve_state *s)
{
    struct pp_err err = {0};
    /* Flags first: a bad value fails before anything is opened. */
    if (pp_cidr_list_parse("--trusted-proxies", o->trusted_proxies ? o->trusted_proxies : "",
                           &s->trusted_proxies, &err) != PP_OK) {
        fprintf(stderr, "payout-panel: %s\n", err.message);
        return 0;
    }
    /* TLS material next: a bad path fails before anything is opened. */
    if (o->tls_cert != NULL && ((s->tls_cert = serve_pem_read(o->tls_cert, 0)) == NULL ||
                                (s->tls_key = serve_pem_read(o->tls_key, 1)) == NULL)) {
        return 0;
    }
    if (core_app_open(o->db_path, (unsigned)(o->threads + PP_READERS_SPARE), &s->app, &err) !=
        PP_OK) {
        char name[PP_DB_PATH_BYTES_MAX];
        fprintf(stderr, "payout-panel: cannot open %s: %s\n",
                cli_db_display(o->db_path, name, sizeof name), err.message);
        return 0;
    }
    if (!serve_admin_bootstrap(s->app, o) || !serve_users_configure(o, s->app)) {
        return 0;
    }
    struct core_service_options service = {
        .rate_per_s = (uint32_t)o->rate_limit_per_s,
        .rate_burst = (uint32_t)o->rate_burst,
        .idempotency_ttl_h = (int)o->idempotency_ttl_h,
    };
    /* Before listening: payouts that ended while the server was stopped are
    ** expired (and their funds released) before anyone can see them open. */
    if (core_service_start(s->app, &service, &err) != PP_OK ||
        core_expiry_start(s->app, o->expiry_interval_ms, &err) != PP_OK) {
        fprintf(stderr, "payout-panel: %s\n", err.message);
        return 0;
    }
    return 1;
}

/* Starts the HTTP server and prints the one "listening on" line. */
static int serve_listen(const struct cli_options *o, struct serve_state *s)
{
    struct pp_err err = {0};
    if (strcmp(o->metrics, "on") != 0 && strcmp(o->metrics, "off") != 0) {
        fprintf(stderr, "payout-panel: --metrics must be 'on' or 'off', not '%s'\n", o->metrics);
        return 0;
    }

    struct http_server_options hopts = {
        .bind_addr = o->bind_addr,
        .port = (uint16_t)o->port,
        .body_bytes_max = (size_t)o->body_bytes_max,
        .threads = (unsigned)o->threads,
        .connections_max = (unsigned)o->connections_max,
        .connections_per_ip_max = (unsigned)o->connections_per_ip_max,
        .conn_timeout_s = (unsigned)o->conn_timeout_s,
        .header_timeout_s = (unsigned)o->header_timeout_s,
        .stop_wait_s = (unsigned)o->stop_wait_s,
        .tls_cert_pem = s->tls_cert,
        .tls_key_pem = s->tls_key,
        .metrics = strcmp(o->metrics, "on") == 0,
        .trusted_proxies = &s->trusted_proxies,
    };
    if (http_server_start(s->app, &hopts, &s->srv, &err) != PP_OK) {
        fprintf(stderr, "payout-panel: %s\n", err.message);
        return 0;
    }
    const char *scheme = s->tls_cert != NULL ? "https" : "http";
    const char *fmt =
        strchr(o->bind_addr, ':') ? "listening on %s://[%s]:%u\n" : "listening on %s://%s:%u\n";
    printf(fmt, scheme, o->bind_addr, (unsigned)http_server_port(s->srv));
    fflush(stdout);
    return 1;
}

/* Stops the server (letting in-flight requests finish) and frees s. */
static void serve_close(struct serve_state *s)
{
    http_server_stop(s->srv);
    core_app_close(s->app);
    if (s->tls_key != NULL) {
        sec_wipe(s->tls_key, strlen(s->tls_key));
    }
    free(s->tls_key);
    free(s->tls_cert);
}

int cli_serve_run(const struct cli_options *o)
{
    struct serve_state s = {0};
    sigset_t sigs;
    int sig = 0;
    int rc = 1;
    /* Block the stop signals in every thread; this one waits for them. */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (!serve_open(o, &s) || !serve_listen(o, &s)) {
        goto done;
    }
    sigwait(&sigs, &sig);
    pp_log(PP_LOG_INFO, "received %s, finishing in-flight requests",
           sig == SIGTERM ? "SIGTERM" : "SIGINT");
    rc = 0;
done:
    serve_close(&s);
    if (rc == 0) {
        pp_log(PP_LOG_INFO, "stopped");
    }
    return rc;
}
