/*
** This module implements the webhook sending pool (payout/out/
** webhook_send.h): one libcurl multi handle, one easy handle per POST with
** the guard's options, Standard Webhooks headers, and the collection of
** each transfer's outcome (status, reason, duration, Retry-After). Nothing
** here logs, signs or retries: the delivery worker decides.
*/
#include "payout/out/webhook_send.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "payout/base/assert.h"
#include "payout/out/http_guard.h"
#include "payout/out/retry.h"

/* One transfer: its handle, the guard state libcurl writes into, the
** headers and the body it sends. */
struct transfer {
    int64_t tag;
    CURL *easy;
    struct curl_slist *headers;
    char *body;
    struct out_http_guard guard;
    int64_t started_ms;
    int64_t retry_after_ms;
    struct transfer *next;
};

struct out_webhook_pool {
    CURLM *multi;
    const struct pp_cidr_list *allow;
    struct transfer *head;
    size_t active;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum pp_status out_global_init(struct pp_err *err)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        return pp_err_set(err, PP_INTERNAL, "libcurl could not be initialised");
    }
    return PP_OK;
}

enum pp_status out_webhook_pool_create(const struct pp_cidr_list *allow,
                                       struct out_webhook_pool **out, struct pp_err *err)
{
    struct out_webhook_pool *pool = pp_check_alloc(calloc(1, sizeof *pool));
    pool->allow = allow;
    pool->multi = curl_multi_init();
    if (pool->multi == NULL) {
        free(pool);
        *out = NULL;
        return pp_err_set(err, PP_INTERNAL, "libcurl could not make a multi handle");
    }
    curl_multi_setopt(pool->multi, CURLMOPT_MAXCONNECTS, (long)PP_WEBHOOK_INFLIGHT_MAX);
    *out = pool;
    return PP_OK;
}

static void transfer_free(struct out_webhook_pool *pool, struct transfer *t)
{
    curl_multi_remove_handle(pool->multi, t->easy);
    curl_easy_cleanup(t->easy);
    curl_slist_free_all(t->headers);
    out_http_guard_destroy(&t->guard);
    free(t->body);
    free(t);
}

void out_webhook_pool_destroy(struct out_webhook_pool *pool)
{
    if (pool == NULL) {
        return;
    }
    while (pool->head != NULL) {
        struct transfer *t = pool->head;
        pool->head = t->next;
        transfer_free(pool, t);
    }
    curl_multi_cleanup(pool->multi);
    free(pool);
}

/* Reads Retry-After from the answer's headers. */
static size_t header_read(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct transfer *t = userdata;
    size_t len = size * nmemb;
    static const char name[] = "retry-after:";
    if (len > sizeof name - 1 && len < sizeof name + PP_WEBHOOK_RETRY_AFTER_TEXT_BYTES_MAX &&
        strncasecmp(data, name, sizeof name - 1) == 0) {
        char value[PP_WEBHOOK_RETRY_AFTER_TEXT_BYTES_MAX + 1];
        size_t vlen = len - (sizeof name - 1);
        memcpy(value, data + sizeof name - 1, vlen);
        value[vlen] = '\0';
        value[strcspn(value, "\r\n")] = '\0';
        int64_t wait = -1;
        if (out_retry_after_parse(value, now_ms(), &wait) == PP_OK) {
            t->retry_after_ms = wait;
        }
    }
    return len;
}

/* Adds "name: value" to t's headers; 0 when out of memory. */
static int header_add(struct transfer *t, const char *name, const char *value)
{
    char line[PP_RESPONSE_HEADER_VALUE_BYTES + 64];
    snprintf(line, sizeof line, "%s: %s", name, value);
    struct curl_slist *h = curl_slist_append(t->headers, line);
    if (h == NULL) {
        return 0;
    }
    t->headers = h;
    return 1;
}

enum pp_status out_webhook_pool_add(struct out_webhook_pool *pool,
                                    const struct out_webhook_request *r, struct pp_err *err)
{
    struct transfer *t = pp_check_alloc(calloc(1, sizeof *t));
    char stamp[24];
    enum pp_status status = PP_OK;
    t->tag = r->tag;
    t->retry_after_ms = -1;
    t->easy = curl_easy_init();
    t->body = pp_check_alloc(malloc(r->body_len + 1));
    memcpy(t->body, r->body, r->body_len);
    t->body[r->body_len] = '\0';
    snprintf(stamp, sizeof stamp, "%lld", (long long)r->timestamp_s);
    if (t->easy == NULL || out_http_guard_setup(t->easy, &t->guard, pool->allow, err) != PP_OK ||
        !header_add(t, "Content-Type", "application/json") ||
        !header_add(t, "webhook-id", r->msg_id) || !header_add(t, "webhook-timestamp", stamp) ||
        !header_add(t, "webhook-signature", r->signature) || !header_add(t, "Expect", "") ||
        curl_easy_setopt(t->easy, CURLOPT_URL, r->url) != CURLE_OK ||
        curl_easy_setopt(t->easy, CURLOPT_POST, 1L) != CURLE_OK ||
        curl_easy_setopt(t->easy, CURLOPT_POSTFIELDS, t->body) != CURLE_OK ||
        curl_easy_setopt(t->easy, CURLOPT_POSTFIELDSIZE, (long)r->body_len) != CURLE_OK ||
        curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, t->headers) != CURLE_OK ||
        curl_easy_setopt(t->easy, CURLOPT_USERAGENT, "payout-panel-webhooks/" PP_VERSION) !=
            CURLE_OK ||
        curl_easy_setopt(t->easy, CURLOPT_HEADERFUNCTION, header_read) != CURLE_OK ||
        curl_easy_setopt(t->easy, CURLOPT_HEADERDATA, t) != CURLE_OK ||
        curl_easy_setopt(t->easy, CURLOPT_PRIVATE, t) != CURLE_OK ||
        curl_multi_add_handle(pool->multi, t->easy) != CURLM_OK) {
        status = err->status != PP_OK ? err->status
                                      : pp_err_set(err, PP_INTERNAL, "libcurl refused the request");
        if (t->easy != NULL) {
            curl_easy_cleanup(t->easy);
        }
        curl_slist_free_all(t->headers);
        out_http_guard_destroy(&t->guard);
        free(t->body);
        free(t);
        return status;
    }
    t->started_ms = now_ms();
    t->next = pool->head;
    pool->head = t;
    pool->active++;
    return PP_OK;
}

size_t out_webhook_pool_active(const struct out_webhook_pool *pool)
{
    return pool->active;
}

/* The outcome of finished transfer t whose libcurl result is rc. */
static void outcome_fill(struct transfer *t, CURLcode rc, struct out_webhook_outcome *o)
{
    long code = 0;
    memset(o, 0, sizeof *o);
    o->tag = t->tag;
    o->retry_after_ms = t->retry_after_ms;
    o->duration_ms = now_ms() - t->started_ms;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &code);
    if (t->guard.refused) {
        snprintf(o->error, sizeof o->error, "%s", t->guard.refused_reason);
    } else if (t->guard.answer_truncated) {
        o->http_status = (int)code;
        snprintf(o->error, sizeof o->error, "the answer was longer than %u bytes",
                 PP_WEBHOOK_ANSWER_BYTES_MAX);
    } else if (rc == CURLE_OPERATION_TIMEDOUT) {
        snprintf(o->error, sizeof o->error, "no answer within %ld ms", PP_WEBHOOK_TIMEOUT_MS);
    } else if (rc != CURLE_OK) {
        snprintf(o->error, sizeof o->error, "%s", curl_easy_strerror(rc));
    } else {
        o->http_status = (int)code;
        if (code < 200 || code > 299) {
            snprintf(o->error, sizeof o->error, "HTTP %ld", code);
        }
    }
    if (o->http_status < 100 || o->http_status > 599) {
        o->http_status = 0;
    }
}

/* Unlinks t from the pool's list. */
static void transfer_unlink(struct out_webhook_pool *pool, struct transfer *t)
{
    struct transfer **p = &pool->head;
    while (*p != NULL && *p != t) {
        p = &(*p)->next;
    }
    PP_ASSERT(*p == t);
    *p = t->next;
    pool->active--;
}

size_t out_webhook_pool_run(struct out_webhook_pool *pool, int wait_ms,
                            struct out_webhook_outcome *out, size_t cap)
{
    int running = 0;
    curl_multi_perform(pool->multi, &running);
    curl_multi_poll(pool->multi, NULL, 0, wait_ms, NULL);
    curl_multi_perform(pool->multi, &running);
    size_t n = 0;
    int left = 0;
    CURLMsg *msg;
    while (n < cap && (msg = curl_multi_info_read(pool->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE) {
            continue;
        }
        struct transfer *t = NULL;
        CURLcode rc = msg->data.result;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
        PP_ASSERT(t != NULL);
        outcome_fill(t, rc, &out[n++]);
        transfer_unlink(pool, t);
        transfer_free(pool, t);
    }
    return n;
}

void out_webhook_pool_wakeup(struct out_webhook_pool *pool)
{
    curl_multi_wakeup(pool->multi);
}
