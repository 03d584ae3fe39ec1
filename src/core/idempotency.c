/*
** This module implements idempotent requests (see
** payout/core/idempotency.h): the request fingerprint, the in-flight
** registry that makes concurrent requests with one key wait for each
** other, the thread-local "current request" that core_write_begin consults
** (write.c adds the key's row to the action's transaction), storing the
** answer (an answer that shows a secret, a webhook endpoint's on create or
** rotate-secret, is stored with that secret sealed and opened again on
** replay: a secret rests only sealed), and the purge of old keys with its
** background thread. On a database several servers share (store_shared)
** the purge runs only on the node holding the purge lease
** (payout/store/cluster.h), as expiry does (core/expiry.c): one node
** purges at a time whichever nodes are up; on SQLite the one server purges
** as before.
**
** It does not decide which routes are idempotent or what an answer looks
** like on the wire (api/response.c), nor store anything itself (store/).
*/
#include "payout/core/idempotency.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "payout/base/assert.h"
#include "payout/base/fiber.h"
#include "payout/base/log.h"
#include "payout/base/ticker.h"
#include "payout/core/dates.h"
#include "payout/core/outbox.h"
#include "payout/sec/digest.h"
#include "payout/sec/secrets.h"
#include "payout/sec/webhook_sign.h"
#include "payout/store/cluster.h"
#include "payout/store/idempotency.h"
#include "payout/store/store.h"

_Static_assert(CORE_IDEM_SCOPE_BYTES == STORE_IDEM_SCOPE_BYTES_MAX + 1, "scope sizes agree");
_Static_assert(CORE_IDEM_FINGERPRINT_BYTES == STORE_IDEM_FINGERPRINT_BYTES, "fingerprints agree");
_Static_assert(CORE_IDEM_CONTENT_TYPE_BYTES == STORE_IDEM_CONTENT_TYPE_BYTES_MAX + 1,
               "content types agree");

/* The name of the purge lease (payout/store/cluster.h). */
#define PURGE_LEASE "idempotency-purge"

struct core_idem {
    pthread_mutex_t mu;
    pthread_cond_t cv;                /* broadcast when a request unregisters */
    struct core_idem_request *flying; /* requests between begin and finish */
    int64_t ttl_ms;
    struct pp_ticker *purger; /* NULL while the purge is not running */
    /* On a shared database the purge runs only on the lease's holder. */
    int shared;
    char holder[STORE_LEASE_HOLDER_BYTES];
    _Atomic int running;    /* 1 while the purge thread runs (for /metrics) */
    _Atomic int held;       /* this node held the lease at its last round */
    _Atomic int64_t passes; /* purges this node ran */
};

static _Thread_local struct core_idem_request *current_request;

static void *current_request_addr(void)
{
    return &current_request;
}

struct core_idem *core_idem_create(void)
{
    /* A keyed request on a fiber keeps its key across its writes' parks
    ** (payout/base/fiber.h). */
    pp_fiber_local_register(current_request_addr);
    struct core_idem *idem = pp_check_alloc(calloc(1, sizeof *idem));
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_mutex_init(&idem->mu, NULL);
    pthread_cond_init(&idem->cv, &attr);
    pthread_condattr_destroy(&attr);
    idem->ttl_ms = (int64_t)PP_IDEMPOTENCY_TTL_H_DEFAULT * 3600 * 1000;
    return idem;
}

void core_idem_destroy(struct core_idem *idem)
{
    if (idem == NULL) {
        return;
    }
    PP_ASSERT(idem->purger == NULL && idem->flying == NULL);
    pthread_cond_destroy(&idem->cv);
    pthread_mutex_destroy(&idem->mu);
    free(idem);
}

int core_idem_key_valid(const char *key)
{
    size_t len = key != NULL ? strnlen(key, PP_IDEMPOTENCY_KEY_BYTES_MAX + 1) : 0;
    if (len == 0 || len > PP_IDEMPOTENCY_KEY_BYTES_MAX) {
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)key[i];
        if (c < 0x20 || c > 0x7e) {
            return 0;
        }
    }
    return 1;
}

void core_idem_prepare(struct core_idem_request *r, const struct pp_actor *actor, const char *key,
                       const char *method, const char *path, const char *body, size_t body_len)
{
    PP_ASSERT(core_idem_key_valid(key) && method != NULL && path != NULL);
    PP_ASSERT(body != NULL || body_len == 0);
    memset(r, 0, sizeof *r);
    if (actor->kind == PP_ACTOR_ADMIN) {
        snprintf(r->scope, sizeof r->scope, "admin:%" PRId64, actor->admin_id);
    } else {
        snprintf(r->scope, sizeof r->scope, "%s", pp_actor_kind_name(actor->kind));
    }
    snprintf(r->key, sizeof r->key, "%s", key);
    /* NUL separators: neither the method nor the path can contain one. */
    struct sec_bytes parts[] = {
        {method, strlen(method) + 1},
        {path, strlen(path) + 1},
        {body, body_len},
    };
    sec_sha256_parts(parts, sizeof parts / sizeof parts[0], r->fingerprint);
}

/* The registered request with r's scope and key, or NULL. idem->mu held. */
static struct core_idem_request *flying_find(struct core_idem *idem,
                                             const struct core_idem_request *r)
{
    for (struct core_idem_request *f = idem->flying; f != NULL; f = f->next) {
        if (strcmp(f->scope, r->scope) == 0 && strcmp(f->key, r->key) == 0) {
            return f;
        }
    }
    return NULL;
}

/* Waits until no request with r's key is in flight, then registers r.
** PP_CONFLICT when that takes longer than PP_IDEMPOTENCY_WAIT_S. */
static enum pp_status flying_register(struct core_idem *idem, struct core_idem_request *r,
                                      struct pp_err *err)
{
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += PP_IDEMPOTENCY_WAIT_S;
    enum pp_status st = PP_OK;
    pthread_mutex_lock(&idem->mu);
    while (flying_find(idem, r) != NULL) {
        if (pthread_cond_timedwait(&idem->cv, &idem->mu, &deadline) == ETIMEDOUT &&
            flying_find(idem, r) != NULL) {
            st = pp_err_set(err, PP_CONFLICT,
                            "a request with this Idempotency-Key is still in progress; "
                            "retry later");
            break;
        }
    }
    if (st == PP_OK) {
        r->next = idem->flying;
        idem->flying = r;
        r->registered = 1;
    }
    pthread_mutex_unlock(&idem->mu);
    return st;
}

static void flying_unregister(struct core_idem *idem, struct core_idem_request *r)
{
    pthread_mutex_lock(&idem->mu);
    struct core_idem_request **p = &idem->flying;
    while (*p != NULL && *p != r) {
        p = &(*p)->next;
    }
    PP_ASSERT(*p == r);
    *p = r->next;
    r->next = NULL;
    r->registered = 0;
    pthread_cond_broadcast(&idem->cv);
    pthread_mutex_unlock(&idem->mu);
}

/* Decides what a stored row means for r. */
static enum pp_status judge_row(const struct core_idem_request *r, struct store_idem_row *row,
                                enum core_idem_decision *decision, struct core_idem_answer *answer,
                                struct pp_err *err)
{
    if (memcmp(row->fingerprint, r->fingerprint, sizeof r->fingerprint) != 0) {
        return pp_err_set(err, PP_CONFLICT,
                          "this Idempotency-Key was already used with a different request");
    }
    if (!row->has_response) {
        return pp_err_set(err, PP_CONFLICT,
                          "the first request with this key completed but its answer was "
                          "lost; look the result up");
    }
    answer->status = row->status;
    snprintf(answer->content_type, sizeof answer->content_type, "%s", row->content_type);
    answer->body = row->body;
    answer->body_len = row->body_len;
    row->body = NULL;
    *decision = CORE_IDEM_REPLAY;
    return PP_OK;
}

/* --- An answer that shows a secret --------------------------------------------- */

/* A stored answer whose secret is sealed starts with a NUL (no answer
** body does: they are JSON or CSV text), then this tag, the secret's
** offset in the answer and the sealed text's length, and a newline; the
** answer follows with the sealed text in the secret's place. */
#define SEALED_TAG "pp-sealed-secret v1 "
/* The NUL, the tag, two sizes and their separators. */
#define SEALED_HEADER_BYTES (1 + sizeof SEALED_TAG + 2 * 20 + 2)

/* The context a sealed answer secret is bound to: its row. */
static void sealed_context(const char *scope, const char *key, char *out, size_t size)
{
    snprintf(out, size, "idempotent answer %s %s", scope, key);
}

/* The answer to store for r: answer's body with its secret sealed, in
** *stored (new, malloc). */
static enum pp_status answer_seal(struct core_app *app, const struct core_idem_request *r,
                                  const struct core_idem_answer *answer, char **stored,
                                  size_t *stored_len, struct pp_err *err)
{
    char context[CORE_IDEM_SCOPE_BYTES + PP_IDEMPOTENCY_KEY_BYTES_MAX + 32];
    char secret[SEC_WEBHOOK_SECRET_TEXT_BYTES * 2];
    char sealed[PP_WEBHOOK_SEALED_BYTES];
    PP_ASSERT(answer->secret_at + answer->secret_len <= answer->body_len &&
              answer->secret_len < sizeof secret);
    memcpy(secret, answer->body + answer->secret_at, answer->secret_len);
    secret[answer->secret_len] = '\0';
    sealed_context(r->scope, r->key, context, sizeof context);
    enum pp_status st = core_outbox_seal_bound(app, context, secret, sealed, err);
    sec_wipe(secret, sizeof secret);
    if (st != PP_OK) {
        return st;
    }
    size_t sealed_len = strlen(sealed);
    char header[SEALED_HEADER_BYTES];
    header[0] = '\0';
    int n = snprintf(header + 1, sizeof header - 1, SEALED_TAG "%zu %zu\n", answer->secret_at,
                     sealed_len);
    PP_ASSERT(n > 0 && (size_t)n < sizeof header - 1);
    size_t rest = answer->body_len - answer->secret_at - answer->secret_len;
    *stored_len = 1 + (size_t)n + answer->secret_at + sealed_len + rest;
    char *out = pp_check_alloc(malloc(*stored_len));
    char *p = out;
    memcpy(p, header, 1 + (size_t)n);
    p += 1 + (size_t)n;
    memcpy(p, answer->body, answer->secret_at);
    p += answer->secret_at;
    memcpy(p, sealed, sealed_len);
    p += sealed_len;
    memcpy(p, answer->body + answer->secret_at + answer->secret_len, rest);
    *stored = out;
    return PP_OK;
}

/* Reads a size and the character after it; 0 when there is none. */
static int sealed_size_read(const char **p, const char *end, char after, size_t *out)
{
    size_t v = 0;
    const char *q = *p;
    while (q < end && *q >= '0' && *q <= '9' && v <= PP_IDEMPOTENCY_RESPONSE_BYTES_MAX) {
        v = v * 10 + (size_t)(*q - '0');
        q++;
    }
    if (q == *p || q >= end || *q != after) {
        return 0;
    }
    *p = q + 1;
    *out = v;
    return 1;
}

/* When answer (a stored one, r's) has its secret sealed: replaces its body
** with the answer as first given, the secret opened. */
static enum pp_status answer_open(struct core_app *app, const struct core_idem_request *r,
                                  struct core_idem_answer *answer, struct pp_err *err)
{
    char context[CORE_IDEM_SCOPE_BYTES + PP_IDEMPOTENCY_KEY_BYTES_MAX + 32];
    char secret[SEC_WEBHOOK_SECRET_TEXT_BYTES * 2];
    const char *end = answer->body + answer->body_len;
    const char *p = answer->body + 1 + strlen(SEALED_TAG);
    size_t at = 0, sealed_len = 0;
    if (answer->body_len == 0 || answer->body[0] != '\0') {
        return PP_OK;
    }
    if (answer->body_len < 1 + strlen(SEALED_TAG) ||
        memcmp(answer->body + 1, SEALED_TAG, strlen(SEALED_TAG)) != 0 ||
        !sealed_size_read(&p, end, ' ', &at) || !sealed_size_read(&p, end, '\n', &sealed_len) ||
        at > (size_t)(end - p) || sealed_len > (size_t)(end - p) - at) {
        return pp_err_set(err, PP_INTERNAL, "a stored answer with a sealed secret is malformed");
    }
    sealed_context(r->scope, r->key, context, sizeof context);
    enum pp_status st = core_outbox_open_bound(app, context, p + at, sealed_len, secret, err);
    if (st != PP_OK) {
        return st;
    }
    size_t secret_len = strlen(secret);
    size_t rest = (size_t)(end - p) - at - sealed_len;
    char *body = pp_check_alloc(malloc(at + secret_len + rest + 1));
    memcpy(body, p, at);
    memcpy(body + at, secret, secret_len);
    memcpy(body + at + secret_len, p + at + sealed_len, rest);
    body[at + secret_len + rest] = '\0';
    sec_wipe(secret, sizeof secret);
    free(answer->body);
    answer->body = body;
    answer->body_len = at + secret_len + rest;
    return PP_OK;
}

enum pp_status core_idem_begin(struct core_app *app, struct core_idem_request *r,
                               enum core_idem_decision *decision, struct core_idem_answer *answer,
                               struct pp_err *err)
{
    struct store_idem_row row;
    int found = 0;
    memset(answer, 0, sizeof *answer);
    *decision = CORE_IDEM_EXECUTE;
    PP_ASSERT(!r->registered && !r->recorded);
    enum pp_status st = flying_register(app->idem, r, err);
    if (st != PP_OK) {
        return st;
    }
    /* Registered: any request with this key that finished before has
    ** committed its row, and none can start until we unregister. */
    st = store_idem_get(app->store, r->scope, r->key, &row, &found, err);
    if (st == PP_OK && found) {
        st = judge_row(r, &row, decision, answer, err);
        free(row.body);
    }
    if (st == PP_OK && *decision == CORE_IDEM_REPLAY) {
        st = answer_open(app, r, answer, err);
        if (st != PP_OK) {
            core_idem_answer_free(answer);
            *decision = CORE_IDEM_EXECUTE;
        }
    }
    if (st != PP_OK || *decision == CORE_IDEM_REPLAY) {
        flying_unregister(app->idem, r);
    }
    return st;
}

void core_idem_set_current(struct core_idem_request *r)
{
    current_request = r;
}

struct core_idem_request *core_idem_current(void)
{
    return current_request;
}

enum pp_status core_idem_finish(struct core_app *app, struct core_idem_request *r,
                                const struct core_idem_answer *answer, struct pp_err *err)
{
    enum pp_status st = PP_OK;
    PP_ASSERT(r->registered && current_request != r);
    if (r->recorded && answer != NULL) {
        char *stored = NULL;
        size_t stored_len = 0;
        if (answer->secret_len > 0) {
            /* The secret never rests in the clear: sealed, or no answer. */
            st = answer_seal(app, r, answer, &stored, &stored_len, err);
        }
        if (st == PP_OK) {
            st = store_idem_answer_put(app->store, r->scope, r->key, answer->status,
                                       answer->content_type, stored != NULL ? stored : answer->body,
                                       stored != NULL ? stored_len : answer->body_len, err);
        }
        free(stored);
        if (st != PP_OK) {
            /* The action stands; its key now reports the answer as lost. */
            pp_log(PP_LOG_WARN, "could not store the answer of an idempotent request: %s",
                   err != NULL ? err->message : "");
        }
    }
    flying_unregister(app->idem, r);
    return st;
}

void core_idem_answer_free(struct core_idem_answer *answer)
{
    free(answer->body);
    answer->body = NULL;
    answer->body_len = 0;
}

enum pp_status core_idem_purge(struct core_app *app, int64_t now_ms, int64_t *deleted_out,
                               struct pp_err *err)
{
    enum pp_status st = PP_OK;
    int64_t total = 0;
    pthread_mutex_lock(&app->idem->mu);
    int64_t before_ms = now_ms - app->idem->ttl_ms;
    pthread_mutex_unlock(&app->idem->mu);
    /* Bounded: a backlog larger than this waits for the next round. */
    for (int round = 0; round < 1000; round++) {
        int64_t deleted = 0;
        st = store_idem_purge(app->store, before_ms, PP_IDEMPOTENCY_PURGE_BATCH, &deleted, err);
        total += deleted;
        if (st != PP_OK || deleted < PP_IDEMPOTENCY_PURGE_BATCH) {
            break;
        }
    }
    *deleted_out = total;
    return st;
}

/* On a shared database: takes or renews the purge lease; 1 when this
** node is to purge. A change of holder is logged. */
static int purge_lease_take(struct core_app *app, struct core_idem *idem)
{
    struct pp_err err = {0};
    int held = 0;
    int64_t ttl_ms =
        (int64_t)PP_IDEMPOTENCY_PURGE_INTERVAL_S * 1000 * PP_IDEMPOTENCY_PURGE_LEASE_INTERVALS;
    if (store_lease_take(app->store, PURGE_LEASE, idem->holder, ttl_ms, &held, &err) != PP_OK) {
        pp_log(PP_LOG_WARN, "idempotency purge: cannot take the lease (retried next interval): %s",
               err.message);
        held = 0;
    }
    if (held != atomic_load(&idem->held)) {
        pp_log(PP_LOG_INFO, held ? "idempotency purge: this node now purges (lease taken)"
                                 : "idempotency purge: another node purges (lease not held)");
    }
    atomic_store(&idem->held, held);
    return held;
}

/* One purge pass (on a shared database only with the lease); failures are
** logged and retried next interval. */
static void purge_logged(void *arg)
{
    struct core_app *app = arg;
    struct pp_err err = {0};
    int64_t deleted = 0;
    if (app->idem->shared && !purge_lease_take(app, app->idem)) {
        return;
    }
    atomic_fetch_add(&app->idem->passes, 1);
    if (core_idem_purge(app, core_now_ms(), &deleted, &err) != PP_OK) {
        pp_log(PP_LOG_WARN, "idempotency purge failed: %s", err.message);
    } else if (deleted > 0) {
        pp_log(PP_LOG_INFO, "purged %" PRId64 " expired idempotency keys", deleted);
    }
}

enum pp_status core_idem_purger_start(struct core_app *app, int ttl_h, struct pp_err *err)
{
    struct core_idem *idem = app->idem;
    PP_ASSERT(ttl_h >= PP_IDEMPOTENCY_TTL_H_MIN && ttl_h <= PP_IDEMPOTENCY_TTL_H_MAX);
    PP_ASSERT(idem->purger == NULL);
    pthread_mutex_lock(&idem->mu);
    idem->ttl_ms = (int64_t)ttl_h * 3600 * 1000;
    pthread_mutex_unlock(&idem->mu);
    /* Set before the thread starts, which reads them. */
    idem->shared = store_shared(app->store);
    if (idem->shared) {
        /* Who holds the lease: this process, whatever its address. */
        enum pp_status st = sec_random_text(idem->holder, 32, err);
        if (st != PP_OK) {
            return st;
        }
    }
    struct pp_ticker_options opts = {
        .name = "idempotency purge",
        .interval_ms = (long)PP_IDEMPOTENCY_PURGE_INTERVAL_S * 1000,
        .run_at_start = 1,
        .run = purge_logged,
        .arg = app,
    };
    enum pp_status st = pp_ticker_start(&opts, &idem->purger, err);
    atomic_store(&idem->running, st == PP_OK);
    return st;
}

void core_idem_purger_stop(struct core_app *app)
{
    struct core_idem *idem = app->idem;
    if (idem == NULL) {
        return;
    }
    atomic_store(&idem->running, 0);
    pp_ticker_stop(idem->purger);
    idem->purger = NULL;
    if (idem->shared && atomic_load(&idem->held)) {
        /* Hand over at once rather than when the lease runs out. */
        struct pp_err err = {0};
        (void)store_lease_release(app->store, PURGE_LEASE, idem->holder, &err);
        atomic_store(&idem->held, 0);
    }
}

void core_idem_purge_stats(struct core_app *app, struct core_idem_purge_stats *out)
{
    struct core_idem *idem = app->idem;
    out->running = idem != NULL && atomic_load(&idem->running);
    out->shared = idem != NULL && idem->shared;
    out->lease_held = idem != NULL && atomic_load(&idem->held);
    out->passes = idem != NULL ? atomic_load(&idem->passes) : 0;
}
