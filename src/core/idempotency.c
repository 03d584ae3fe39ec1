/*
** This module implements idempotent requests (see
** payout/core/idempotency.h): the request fingerprint, the in-flight
** registry that makes concurrent requests with one key wait for each
** other, the thread-local "current request" that core_write_begin consults
** (write.c adds the key's row to the action's transaction), storing the
** answer, and the purge of old keys with its background thread.
**
** It does not decide which routes are idempotent or what an answer looks
** like on the wire (api/response.c), nor store anything itself (store/).
*/
#include "payout/core/idempotency.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "payout/base/assert.h"
#include "payout/base/log.h"
#include "payout/base/ticker.h"
#include "payout/core/dates.h"
#include "payout/sec/digest.h"
#include "payout/store/idempotency.h"

_Static_assert(CORE_IDEM_SCOPE_BYTES == STORE_IDEM_SCOPE_BYTES_MAX + 1, "scope sizes agree");
_Static_assert(CORE_IDEM_FINGERPRINT_BYTES == STORE_IDEM_FINGERPRINT_BYTES, "fingerprints agree");
_Static_assert(CORE_IDEM_CONTENT_TYPE_BYTES == STORE_IDEM_CONTENT_TYPE_BYTES_MAX + 1,
               "content types agree");

struct core_idem {
    pthread_mutex_t mu;
    pthread_cond_t cv;                /* broadcast when a request unregisters */
    struct core_idem_request *flying; /* requests between begin and finish */
    int64_t ttl_ms;
    struct pp_ticker *purger; /* NULL while the purge is not running */
};

static _Thread_local struct core_idem_request *current_request;

struct core_idem *core_idem_create(void)
{
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
        st = store_idem_answer_put(app->store, r->scope, r->key, answer->status,
                                   answer->content_type, answer->body, answer->body_len, err);
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

/* One purge pass; failures are logged and retried next interval. */
static void purge_logged(void *arg)
{
    struct core_app *app = arg;
    struct pp_err err = {0};
    int64_t deleted = 0;
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
    struct pp_ticker_options opts = {
        .name = "idempotency purge",
        .interval_ms = (long)PP_IDEMPOTENCY_PURGE_INTERVAL_S * 1000,
        .run_at_start = 1,
        .run = purge_logged,
        .arg = app,
    };
    return pp_ticker_start(&opts, &idem->purger, err);
}

void core_idem_purger_stop(struct core_app *app)
{
    struct core_idem *idem = app->idem;
    if (idem == NULL) {
        return;
    }
    pp_ticker_stop(idem->purger);
    idem->purger = NULL;
}
