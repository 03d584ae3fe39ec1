/*
** This module implements the `serve` command: it reads the TLS files,
** opens the app, creates the first admin on the first start, starts the
** background tasks and the HTTP server, and waits for SIGTERM or SIGINT to
** stop gracefully. It parses no option (cli/options.c) and serves no
** request itself (http/).
*/
#include "payout/cli/serve.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "payout/api/events.h"
#include "payout/base/log.h"
#include "payout/core/admins.h"
#include "payout/core/app.h"
#include "payout/core/expiry.h"
#include "payout/core/outbox.h"
#include "payout/core/service.h"
#include "payout/http/server.h"
#include "payout/limits.h"
#include "payout/sec/secrets.h"

/* What a running server holds; everything is released by serve_close. */
struct serve_state {
    struct core_app *app;
    struct http_server *srv;
    char *tls_cert; /* PEM texts, NULL without TLS */
    char *tls_key;
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

/* The master secret of sealed webhook secrets: a file beside the SQLite
** database, "<db>.key" ("sqlite:" prefix left out). NULL for a PostgreSQL
** URL: that backend keeps no events or webhooks yet (docs/webhooks.md). */
static const char *serve_key_path(const char *db_path, char *out, size_t size)
{
    if (strncmp(db_path, "postgres://", 11) == 0 || strncmp(db_path, "postgresql://", 13) == 0) {
        return NULL;
    }
    const char *path = strncmp(db_path, "sqlite:", 7) == 0 ? db_path + 7 : db_path;
    snprintf(out, size, "%s.key", path);
    return out;
}

/* Starts the outbox (payout/core/webhooks.h): webhook deliveries and
** recipient e-mails. 0 after a message on stderr. */
static int serve_outbox_start(const struct cli_options *o, struct serve_state *s)
{
    struct pp_err err = {0};
    char key_path[PP_DB_PATH_BYTES_MAX + 8];
    struct core_outbox_options outbox = {
        .key_path = serve_key_path(o->db_path, key_path, sizeof key_path),
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
        core_outbox_start(s->app, &outbox, &err) != PP_OK) {
        fprintf(stderr, "payout-panel: %s\n", err.message);
        return 0;
    }
    return 1;
}

/* Everything before listening: TLS files, the app, the first admin, the
** background tasks. 0 after a message on stderr. */
static int serve_open(const struct cli_options *o, struct serve_state *s)
{
    struct pp_err err = {0};
    /* TLS material first: a bad path fails before anything is opened. */
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
    if (!serve_admin_bootstrap(s->app, o) || !serve_outbox_start(o, s)) {
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
        .tls_cert_pem = s->tls_cert,
        .tls_key_pem = s->tls_key,
        .metrics = strcmp(o->metrics, "on") == 0,
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
