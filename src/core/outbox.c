/*
** This module implements the outbox's running part (spec section 9): the
** sealing key of endpoint secrets (derived from the server's master
** secret); the delivery
** worker, one thread that reads due deliveries, signs each (Standard
** Webhooks 1.0, both secrets during a rotation's overlap) and sends them
** concurrently through one libcurl multi handle (out/webhook_send.c), at
** most PP_WEBHOOK_INFLIGHT_MAX in all and PP_WEBHOOK_INFLIGHT_PER_ENDPOINT
** per endpoint, then records what each attempt came to through the
** writer, a batch at a time; and the mail thread, which sends due
** recipient notifications over SMTP.
**
** Both threads wake when a commit added work (the store calls
** outbox_wake after the commit) and on their timers (the next retry, at
** least every PP_WEBHOOK_POLL_MS). Delivery is at least once: a delivery
** is pending in the database until its result is recorded, so a crash
** between a 2xx and the record sends it again after the restart, and the
** receiver deduplicates by webhook-id. The order rule (a payout's event
** waits for its earlier ones at the same endpoint) is the store's query.
*/
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"
#include "payout/base/assert.h"
#include "payout/base/log.h"
#include "payout/core/dates.h"
#include "payout/core/money.h"
#include "payout/core/outbox.h"
#include "payout/out/addr_guard.h"
#include "payout/out/mail.h"
#include "payout/out/retry.h"
#include "payout/out/smtp.h"
#include "payout/out/webhook_send.h"
#include "payout/sec/seal.h"
#include "payout/sec/secrets.h"

/* The label of the key that seals webhook secrets (HKDF info). Changing it
** makes every stored endpoint secret unopenable. */
#define SEAL_LABEL_WEBHOOK "payout-panel webhook secret v1"
/* The context every sealed endpoint secret is bound to. */
#define SEAL_CONTEXT_WEBHOOK "webhook endpoint"

/* A delivery being sent. */
struct inflight {
    int used;
    struct pp_webhook_due due;
};

struct core_outbox {
    struct core_app *app;
    int has_key; /* 0: no master secret given, nothing can be sealed */
    struct sec_seal_key key;
    struct pp_cidr_list allow;
    struct out_retry_schedule schedule;
    core_event_render_fn render;
    uint64_t rand_state;
    atomic_int stopping;
    /* The delivery worker. */
    struct out_webhook_pool *pool;
    pthread_t deliver_thread;
    int deliver_started;
    struct inflight inflight[PP_WEBHOOK_INFLIGHT_MAX];
    size_t inflight_count;
    /* The mail thread; its wake-up flag under mail_mu. */
    pthread_t mail_thread;
    int mail_started;
    pthread_mutex_t mail_mu;
    pthread_cond_t mail_cv;
    int mail_wake;
    char smtp_url[PP_WEBHOOK_URL_BYTES_MAX + 1];
    char smtp_from[PP_EMAIL_BYTES_MAX + 1];
    char *smtp_user;
    char *smtp_password;
    char *smtp_ca_file;
};

/* --- The master secret and sealing ----------------------------------------------- */

enum pp_status core_outbox_seal_bound(struct core_app *app, const char *context, const char *secret,
                                      char out[PP_WEBHOOK_SEALED_BYTES], struct pp_err *err)
{
    if (app->outbox == NULL || !app->outbox->has_key) {
        return pp_err_set(err, PP_INTERNAL, "webhook secrets cannot be sealed: no master secret");
    }
    return sec_seal_encrypt(&app->outbox->key, context, (const uint8_t *)secret, strlen(secret),
                            out, PP_WEBHOOK_SEALED_BYTES, err);
}

enum pp_status core_outbox_open_bound(struct core_app *app, const char *context, const char *sealed,
                                      size_t sealed_len,
                                      char secret_out[SEC_WEBHOOK_SECRET_TEXT_BYTES * 2],
                                      struct pp_err *err)
{
    size_t len = 0;
    if (app->outbox == NULL || !app->outbox->has_key) {
        secret_out[0] = '\0';
        return pp_err_set(err, PP_INTERNAL, "webhook secrets cannot be opened: no master secret");
    }
    enum pp_status st =
        sec_seal_decrypt(&app->outbox->key, context, sealed, sealed_len, (uint8_t *)secret_out,
                         SEC_WEBHOOK_SECRET_TEXT_BYTES * 2 - 1, &len, err);
    secret_out[st == PP_OK ? len : 0] = '\0';
    return st;
}

enum pp_status core_outbox_seal(struct core_app *app, const char *secret,
                                char out[PP_WEBHOOK_SEALED_BYTES], struct pp_err *err)
{
    return core_outbox_seal_bound(app, SEAL_CONTEXT_WEBHOOK, secret, out, err);
}

enum pp_status core_outbox_open(struct core_app *app, const char *sealed,
                                char secret_out[SEC_WEBHOOK_SECRET_TEXT_BYTES * 2],
                                struct pp_err *err)
{
    return core_outbox_open_bound(app, SEAL_CONTEXT_WEBHOOK, sealed, strlen(sealed), secret_out,
                                  err);
}

/* --- Options -------------------------------------------------------------------- */

enum pp_status core_outbox_options_check(const struct core_outbox_options *o, struct pp_err *err)
{
    struct pp_cidr_list *allow = pp_check_alloc(malloc(sizeof *allow));
    struct out_retry_schedule schedule;
    enum pp_status st = pp_cidr_list_parse("--webhook-allow-cidrs",
                                           o->allow_cidrs ? o->allow_cidrs : "", allow, err);
    if (st == PP_OK && o->retry_ms != NULL) {
        st = out_retry_schedule_parse(o->retry_ms, &schedule, err);
    }
    if (st == PP_OK && o->smtp_url != NULL) {
        st = out_smtp_url_check(o->smtp_url, err);
        if (st == PP_OK && !out_mail_address_valid(o->smtp_from)) {
            st = pp_err_set(err, PP_INVALID_PARAMS,
                            "--smtp-from must be a plain e-mail address (with --smtp-url)");
        }
    }
    free(allow);
    return st;
}

/* --- The delivery worker ---------------------------------------------------------- */

static uint32_t outbox_rand(void *ctx)
{
    struct core_outbox *ob = ctx;
    /* xorshift64*: jitter needs spread, not secrecy. */
    ob->rand_state ^= ob->rand_state >> 12;
    ob->rand_state ^= ob->rand_state << 25;
    ob->rand_state ^= ob->rand_state >> 27;
    return (uint32_t)((ob->rand_state * 2685821657736338717ULL) >> 32);
}

static void outbox_wake(void *ctx)
{
    struct core_outbox *ob = ctx;
    if (ob->pool != NULL) {
        out_webhook_pool_wakeup(ob->pool);
    }
    if (ob->mail_started) {
        pthread_mutex_lock(&ob->mail_mu);
        ob->mail_wake = 1;
        pthread_cond_signal(&ob->mail_cv);
        pthread_mutex_unlock(&ob->mail_mu);
    }
}

/* The webhook-signature value for body under w's secrets at now_ms. */
static enum pp_status delivery_sign(struct core_outbox *ob, const struct pp_webhook *w,
                                    const char *msg_id, int64_t ts_s, const struct pp_buf *body,
                                    int64_t now_ms, char *out, size_t out_size, struct pp_err *err)
{
    char secret[SEC_WEBHOOK_SECRET_TEXT_BYTES * 2];
    char sig[SEC_WEBHOOK_SIGNATURE_BYTES];
    out[0] = '\0';
    enum pp_status st = core_outbox_open(ob->app, w->secret_sealed, secret, err);
    if (st == PP_OK) {
        st = sec_webhook_sign(secret, msg_id, ts_s, body->data, body->len, sig, err);
        snprintf(out, out_size, "%s", sig);
    }
    if (st == PP_OK && w->old_secret_sealed[0] != '\0' && w->old_secret_until_ms > now_ms) {
        st = core_outbox_open(ob->app, w->old_secret_sealed, secret, err);
        if (st == PP_OK) {
            st = sec_webhook_sign(secret, msg_id, ts_s, body->data, body->len, sig, err);
            size_t used = strlen(out);
            snprintf(out + used, out_size - used, " %s", sig);
        }
    }
    sec_wipe(secret, sizeof secret);
    return st;
}

/* Starts delivery d; PP_OK when it is in flight, else err says why (the
** caller records a failed attempt). */
static enum pp_status delivery_start(struct core_outbox *ob, const struct pp_webhook_due *d,
                                     struct pp_err *err)
{
    struct pp_event *ev = pp_check_alloc(malloc(sizeof *ev));
    struct pp_webhook *w = pp_check_alloc(malloc(sizeof *w));
    struct pp_buf body;
    char msg_id[PP_EVENT_ID_TEXT_BYTES];
    char signature[2 * SEC_WEBHOOK_SIGNATURE_BYTES + 2];
    int64_t now_ms = core_now_ms();
    pp_buf_init(&body);
    enum pp_status st = store_event_get(ob->app->store, d->event_id, ev, err);
    if (st == PP_OK) {
        st = store_webhook_get(ob->app->store, d->endpoint_id, w, err);
    }
    if (st == PP_OK) {
        ob->render(ev, &body);
        pp_event_id_format(ev->id, msg_id);
        st = delivery_sign(ob, w, msg_id, now_ms / 1000, &body, now_ms, signature, sizeof signature,
                           err);
    }
    if (st == PP_OK) {
        struct out_webhook_request r = {
            .tag = d->delivery_id,
            .url = w->url,
            .msg_id = msg_id,
            .timestamp_s = now_ms / 1000,
            .signature = signature,
            .body = body.data,
            .body_len = body.len,
        };
        st = out_webhook_pool_add(ob->pool, &r, err);
    }
    pp_buf_free(&body);
    free(w);
    free(ev);
    return st;
}

/* The result of an attempt of d that got http_status (0: none) and error. */
static void result_make(struct core_outbox *ob, const struct pp_webhook_due *d, int64_t at_ms,
                        int64_t duration_ms, int http_status, const char *error,
                        int64_t retry_after_ms, struct pp_webhook_result *r)
{
    struct out_retry_rand rand = {.next = outbox_rand, .ctx = ob};
    memset(r, 0, sizeof *r);
    r->delivery_id = d->delivery_id;
    r->endpoint_id = d->endpoint_id;
    r->event_id = d->event_id;
    r->at_ms = at_ms;
    r->duration_ms = duration_ms;
    r->http_status = http_status;
    /* Cut to the field, as the store keeps it. */
    snprintf(r->error, sizeof r->error, "%.*s", (int)(sizeof r->error - 1), error);
    unsigned attempts = d->attempts + 1;
    if (http_status >= 200 && http_status <= 299 && error[0] == '\0') {
        r->outcome = PP_WEBHOOK_DELIVERED;
    } else if (http_status == 410) {
        r->outcome = PP_WEBHOOK_GONE;
    } else if (out_retry_exhausted(&ob->schedule, attempts)) {
        r->outcome = PP_WEBHOOK_GIVEN_UP;
    } else {
        r->outcome = PP_WEBHOOK_RETRY;
        int64_t end_ms = at_ms + duration_ms;
        r->next_ms = out_retry_next_ms(&ob->schedule, attempts, end_ms, retry_after_ms, &rand);
    }
}

static void results_record(struct core_outbox *ob, const struct pp_webhook_result *r, size_t n)
{
    if (n == 0) {
        return;
    }
    struct pp_err err = {0};
    struct pp_actor system = {.kind = PP_ACTOR_SYSTEM};
    struct store_write_ctx w = {.actor = &system, .now_ms = core_now_ms(), .idem = NULL};
    if (store_webhook_results_record(ob->app->store, &w, r, n, &err) != PP_OK) {
        /* Left pending: they are sent again (at least once). */
        pp_log(PP_LOG_ERROR, "webhooks: recording %zu delivery results failed: %s", n, err.message);
    }
}

/* Starts the due deliveries that fit the limits; failures to start are
** recorded at once. *next_ms_out = when the next one falls due. */
static void deliveries_start(struct core_outbox *ob, int64_t *next_ms_out)
{
    struct pp_webhook_due due[PP_WEBHOOK_INFLIGHT_MAX];
    struct pp_webhook_result failed[PP_WEBHOOK_INFLIGHT_MAX];
    int64_t skip[PP_WEBHOOK_INFLIGHT_MAX];
    size_t skip_n = 0, n = 0, failed_n = 0;
    struct pp_err err = {0};
    *next_ms_out = INT64_MAX;
    for (size_t i = 0; i < PP_WEBHOOK_INFLIGHT_MAX; i++) {
        if (ob->inflight[i].used) {
            skip[skip_n++] = ob->inflight[i].due.delivery_id;
        }
    }
    size_t room = PP_WEBHOOK_INFLIGHT_MAX - ob->inflight_count;
    if (room == 0 || store_webhook_due_list(ob->app->store, core_now_ms(), skip, skip_n, due, room,
                                            &n, next_ms_out, &err) != PP_OK) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        size_t per_endpoint = 0, slot = PP_WEBHOOK_INFLIGHT_MAX;
        for (size_t k = 0; k < PP_WEBHOOK_INFLIGHT_MAX; k++) {
            per_endpoint +=
                ob->inflight[k].used && ob->inflight[k].due.endpoint_id == due[i].endpoint_id;
            slot = !ob->inflight[k].used && slot == PP_WEBHOOK_INFLIGHT_MAX ? k : slot;
        }
        /* A full endpoint waits: the transfer that frees its slot ends the
        ** worker's wait. */
        if (per_endpoint >= PP_WEBHOOK_INFLIGHT_PER_ENDPOINT || slot == PP_WEBHOOK_INFLIGHT_MAX) {
            continue;
        }
        int64_t at = core_now_ms();
        pp_err_clear(&err);
        if (delivery_start(ob, &due[i], &err) == PP_OK) {
            ob->inflight[slot].used = 1;
            ob->inflight[slot].due = due[i];
            ob->inflight_count++;
        } else {
            result_make(ob, &due[i], at, 0, 0, err.message, -1, &failed[failed_n++]);
        }
    }
    results_record(ob, failed, failed_n);
}

/* Collects finished transfers (waiting at most wait_ms) and records them. */
static void deliveries_collect(struct core_outbox *ob, int wait_ms)
{
    struct out_webhook_outcome done[PP_WEBHOOK_INFLIGHT_MAX];
    struct pp_webhook_result results[PP_WEBHOOK_INFLIGHT_MAX];
    size_t n = out_webhook_pool_run(ob->pool, wait_ms, done, PP_WEBHOOK_INFLIGHT_MAX);
    size_t m = 0;
    int64_t now = core_now_ms();
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < PP_WEBHOOK_INFLIGHT_MAX; k++) {
            struct inflight *f = &ob->inflight[k];
            if (f->used && f->due.delivery_id == done[i].tag) {
                result_make(ob, &f->due, now - done[i].duration_ms, done[i].duration_ms,
                            done[i].http_status, done[i].error, done[i].retry_after_ms,
                            &results[m++]);
                f->used = 0;
                ob->inflight_count--;
                break;
            }
        }
    }
    results_record(ob, results, m);
}

/* Names the calling thread name (ps, top and /proc show it) and lowers
** its priority by PP_OUTBOX_NICE (see limits.h); only this thread: on
** Linux a thread id is a target of setpriority(2). */
static void outbox_thread_nice(const char *name)
{
    pid_t tid = (pid_t)syscall(SYS_gettid);
    pthread_setname_np(pthread_self(), name);
    errno = 0;
    int now = getpriority(PRIO_PROCESS, (id_t)tid);
    if (errno != 0 || setpriority(PRIO_PROCESS, (id_t)tid, now + PP_OUTBOX_NICE) != 0) {
        pp_log(PP_LOG_WARN, "%s thread: cannot lower its priority: %s", name, strerror(errno));
    }
}

static void *deliver_main(void *arg)
{
    struct core_outbox *ob = arg;
    outbox_thread_nice("pp-deliver");
    while (!atomic_load(&ob->stopping)) {
        int64_t next_ms = INT64_MAX;
        deliveries_start(ob, &next_ms);
        int64_t wait = next_ms == INT64_MAX ? PP_WEBHOOK_POLL_MS : next_ms - core_now_ms();
        wait = wait < 0 ? 0 : wait > PP_WEBHOOK_POLL_MS ? PP_WEBHOOK_POLL_MS : wait;
        deliveries_collect(ob, (int)wait);
    }
    return NULL;
}

/* --- The mail thread ------------------------------------------------------------- */

/* Sends notification d; fills r. */
static void notify_send(struct core_outbox *ob, const struct pp_notify_due *d,
                        struct pp_notify_result *r)
{
    struct out_retry_rand rand = {.next = outbox_rand, .ctx = ob};
    struct pp_buf msg;
    struct pp_err err = {0};
    char amount[PP_AMOUNT_TEXT_BYTES];
    const struct core_currency *cur = core_currency_find(d->payout.currency, 3);
    core_money_format(d->payout.amount_minor, cur != NULL ? cur->exponent : 2, amount,
                      sizeof amount);
    struct out_mail_envelope env = {
        .from = ob->smtp_from, .to = d->email, .date_ms = core_now_ms()};
    struct out_mail_payout p = {
        .kind = d->n.kind == PP_NOTIFY_READY ? OUT_MAIL_READY : OUT_MAIL_RECEIVED,
        .uuid = d->payout.uuid,
        .amount = amount,
        .currency = d->payout.currency,
        .project = d->project,
        .description = d->payout.description,
        .start_ms = d->payout.start_ms,
        .end_ms = d->payout.end_ms,
    };
    memset(r, 0, sizeof *r);
    r->id = d->n.id;
    pp_buf_init(&msg);
    if (out_mail_compose(&env, &p, &msg, &err) != PP_OK) {
        r->status = PP_NOTIFY_FAILED;
        snprintf(r->error, sizeof r->error, "%s", err.message);
    } else {
        struct out_smtp_config config = {.url = ob->smtp_url,
                                         .user = ob->smtp_user,
                                         .password = ob->smtp_password,
                                         .ca_file = ob->smtp_ca_file};
        struct out_smtp_result res;
        out_smtp_send(&config, ob->smtp_from, d->email, msg.data, msg.len, &res);
        snprintf(r->error, sizeof r->error, "%s", res.outcome == OUT_SMTP_SENT ? "" : res.reply);
        unsigned attempts = d->n.attempts + 1;
        r->status =
            res.outcome == OUT_SMTP_SENT ? PP_NOTIFY_SENT
            : res.outcome == OUT_SMTP_PERMANENT || out_retry_exhausted(&ob->schedule, attempts)
                ? PP_NOTIFY_FAILED
                : PP_NOTIFY_PENDING;
        if (r->status == PP_NOTIFY_PENDING) {
            r->next_ms = out_retry_next_ms(&ob->schedule, attempts, core_now_ms(), -1, &rand);
        }
    }
    r->at_ms = core_now_ms();
    pp_buf_free(&msg);
}

/* Sends what is due; returns when the next one falls due. */
static int64_t notify_pass(struct core_outbox *ob)
{
    struct pp_notify_due *due = pp_check_alloc(calloc(PP_NOTIFY_BATCH, sizeof *due));
    struct pp_notify_result results[PP_NOTIFY_BATCH];
    struct pp_err err = {0};
    size_t n = 0;
    int64_t next_ms = INT64_MAX;
    if (store_notifications_due(ob->app->store, core_now_ms(), due, PP_NOTIFY_BATCH, &n, &next_ms,
                                &err) == PP_OK) {
        for (size_t i = 0; i < n && !atomic_load(&ob->stopping); i++) {
            notify_send(ob, &due[i], &results[i]);
            /* One record per message: a crash after a send repeats at most
            ** that one (the Message-ID is the same, so it reads as one). */
            if (store_notifications_record(ob->app->store, &results[i], 1, &err) != PP_OK) {
                pp_log(PP_LOG_ERROR, "notifications: recording a result failed: %s", err.message);
            }
        }
        if (n == PP_NOTIFY_BATCH) {
            next_ms = core_now_ms();
        }
    }
    free(due);
    return next_ms;
}

static void *mail_main(void *arg)
{
    struct core_outbox *ob = arg;
    outbox_thread_nice("pp-mail");
    while (!atomic_load(&ob->stopping)) {
        int64_t next_ms = notify_pass(ob);
        int64_t wait = next_ms == INT64_MAX ? PP_WEBHOOK_POLL_MS : next_ms - core_now_ms();
        wait = wait < 0 ? 0 : wait > PP_WEBHOOK_POLL_MS ? PP_WEBHOOK_POLL_MS : wait;
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += wait / 1000;
        until.tv_nsec += (wait % 1000) * 1000000;
        if (until.tv_nsec >= 1000000000) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000;
        }
        pthread_mutex_lock(&ob->mail_mu);
        while (!ob->mail_wake && !atomic_load(&ob->stopping) && wait > 0 &&
               pthread_cond_timedwait(&ob->mail_cv, &ob->mail_mu, &until) == 0) {
        }
        ob->mail_wake = 0;
        pthread_mutex_unlock(&ob->mail_mu);
    }
    return NULL;
}

/* --- Start and stop --------------------------------------------------------------- */

static char *dup_or_null(const char *s)
{
    return s != NULL && s[0] != '\0' ? pp_check_alloc(strdup(s)) : NULL;
}

/* Copies o into ob (the checks of core_outbox_options_check passed). */
static enum pp_status outbox_configure(struct core_outbox *ob, const struct core_outbox_options *o,
                                       struct pp_err *err)
{
    enum pp_status st = pp_cidr_list_parse("--webhook-allow-cidrs",
                                           o->allow_cidrs ? o->allow_cidrs : "", &ob->allow, err);
    out_retry_schedule_default(&ob->schedule);
    if (st == PP_OK && o->retry_ms != NULL) {
        st = out_retry_schedule_parse(o->retry_ms, &ob->schedule, err);
    }
    if (o->smtp_url != NULL) {
        snprintf(ob->smtp_url, sizeof ob->smtp_url, "%s", o->smtp_url);
        snprintf(ob->smtp_from, sizeof ob->smtp_from, "%s", o->smtp_from ? o->smtp_from : "");
    }
    ob->smtp_user = dup_or_null(o->smtp_user);
    ob->smtp_password = dup_or_null(o->smtp_password);
    ob->smtp_ca_file = dup_or_null(o->smtp_ca_file);
    ob->render = o->render;
    uint8_t seed[8];
    if (st == PP_OK) {
        st = sec_random_bytes(seed, sizeof seed, err);
        memcpy(&ob->rand_state, seed, sizeof seed);
        ob->rand_state |= 1;
    }
    return st;
}

/* Starts the threads of ob (o->workers). */
static enum pp_status outbox_threads_start(struct core_outbox *ob,
                                           const struct core_outbox_options *o, struct pp_err *err)
{
    enum pp_status st = out_global_init(err);
    if (st == PP_OK) {
        st = out_webhook_pool_create(&ob->allow, &ob->pool, err);
    }
    if (st == PP_OK && pthread_create(&ob->deliver_thread, NULL, deliver_main, ob) != 0) {
        st = pp_err_set(err, PP_INTERNAL, "cannot start the webhook delivery thread");
    }
    ob->deliver_started = st == PP_OK;
    if (st == PP_OK && o->smtp_url != NULL) {
        if (pthread_create(&ob->mail_thread, NULL, mail_main, ob) != 0) {
            st = pp_err_set(err, PP_INTERNAL, "cannot start the notification thread");
        }
        ob->mail_started = st == PP_OK;
    }
    return st;
}

enum pp_status core_outbox_start(struct core_app *app, const struct core_outbox_options *o,
                                 struct pp_err *err)
{
    PP_ASSERT(app->outbox == NULL && o->render != NULL);
    struct core_outbox *ob = pp_check_alloc(calloc(1, sizeof *ob));
    ob->app = app;
    atomic_init(&ob->stopping, 0);
    pthread_mutex_init(&ob->mail_mu, NULL);
    pthread_cond_init(&ob->mail_cv, NULL);
    app->outbox = ob;
    enum pp_status st = outbox_configure(ob, o, err);
    if (st == PP_OK && o->master != NULL) {
        st = sec_seal_key_derive(o->master, o->master_len, SEAL_LABEL_WEBHOOK, &ob->key, err);
        ob->has_key = st == PP_OK;
    }
    if (st == PP_OK) {
        store_outbox_configure(app->store, outbox_wake, ob, o->smtp_url != NULL);
    }
    if (st == PP_OK && o->workers) {
        st = outbox_threads_start(ob, o, err);
    }
    if (st != PP_OK) {
        core_outbox_stop(app);
    }
    return st;
}

int core_outbox_mail_on(const struct core_app *app)
{
    return app->outbox != NULL && app->outbox->smtp_url[0] != '\0';
}

void core_outbox_stop(struct core_app *app)
{
    struct core_outbox *ob = app->outbox;
    if (ob == NULL) {
        return;
    }
    atomic_store(&ob->stopping, 1);
    if (ob->deliver_started) {
        out_webhook_pool_wakeup(ob->pool);
        pthread_join(ob->deliver_thread, NULL);
    }
    if (ob->mail_started) {
        pthread_mutex_lock(&ob->mail_mu);
        pthread_cond_signal(&ob->mail_cv);
        pthread_mutex_unlock(&ob->mail_mu);
        pthread_join(ob->mail_thread, NULL);
    }
    /* The threads are gone; no commit of theirs can wake them any more. */
    store_outbox_configure(app->store, NULL, NULL, ob->smtp_url[0] != '\0');
    out_webhook_pool_destroy(ob->pool);
    sec_seal_key_wipe(&ob->key);
    if (ob->smtp_password != NULL) {
        sec_wipe(ob->smtp_password, strlen(ob->smtp_password));
    }
    free(ob->smtp_user);
    free(ob->smtp_password);
    free(ob->smtp_ca_file);
    pthread_mutex_destroy(&ob->mail_mu);
    pthread_cond_destroy(&ob->mail_cv);
    free(ob);
    app->outbox = NULL;
}

enum pp_status core_outbox_counts(struct core_app *app, struct pp_outbox_counts *out,
                                  struct pp_err *err)
{
    return store_outbox_counts(app->store, out, err);
}
