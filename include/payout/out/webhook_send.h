/*
** This header declares the sending side of webhook deliveries (spec
** section 9): a pool of concurrent guarded POSTs on one libcurl multi
** handle, driven by one thread (the delivery worker in core). Each
** request is a transfer with the address guard's options
** (payout/out/http_guard.h); its outcome is the HTTP status or what went
** wrong, the time it took and the receiver's Retry-After. The pool signs
** nothing and stores nothing: the caller gives it the finished headers.
*/
#ifndef PAYOUT_OUT_WEBHOOK_SEND_H
#define PAYOUT_OUT_WEBHOOK_SEND_H

#include <stddef.h>
#include <stdint.h>

#include "payout/limits.h"
#include "payout/out/addr_guard.h"
#include "payout/status.h"

struct out_webhook_pool;

/* One POST; every pointer borrowed for the call only (the pool copies). */
struct out_webhook_request {
    int64_t tag;           /* the caller's name for it (a delivery id) */
    const char *url;       /* http:// or https:// */
    const char *msg_id;    /* webhook-id */
    int64_t timestamp_s;   /* webhook-timestamp */
    const char *signature; /* webhook-signature: one or more "v1,..." joined by spaces */
    const char *body;
    size_t body_len;
};

/* What one POST came to. */
struct out_webhook_outcome {
    int64_t tag;
    int http_status; /* 0 when no answer came */
    /* "" for a 2xx; else the reason (refused address, timeout, oversized
    ** answer, "HTTP 500", ...), printable ASCII. */
    char error[PP_OUT_REASON_BYTES];
    int64_t retry_after_ms; /* the receiver's Retry-After, or -1 */
    int64_t duration_ms;
};

/* Initialises libcurl for the process (call once before any thread uses
** the out layer: SMTP and webhooks). PP_INTERNAL when libcurl fails. */
enum pp_status out_global_init(struct pp_err *err);

/* A new pool whose transfers are judged against allow (borrowed, must
** outlive the pool; NULL allows nothing but public addresses). */
enum pp_status out_webhook_pool_create(const struct pp_cidr_list *allow,
                                       struct out_webhook_pool **out, struct pp_err *err);

/* Ends every transfer and frees the pool. NULL is a no-op. */
void out_webhook_pool_destroy(struct out_webhook_pool *pool);

/* Starts r. PP_INTERNAL when libcurl refuses it (the caller records it as
** a failed attempt). Owner thread only. */
enum pp_status out_webhook_pool_add(struct out_webhook_pool *pool,
                                    const struct out_webhook_request *r, struct pp_err *err);

/* Transfers started and not yet collected. */
size_t out_webhook_pool_active(const struct out_webhook_pool *pool);

/* Moves the transfers along, waiting at most wait_ms for something to
** happen (or for out_webhook_pool_wakeup), then writes up to cap finished
** ones into out; returns how many. Owner thread only. */
size_t out_webhook_pool_run(struct out_webhook_pool *pool, int wait_ms,
                            struct out_webhook_outcome *out, size_t cap);

/* Ends a wait of out_webhook_pool_run early. Any thread. */
void out_webhook_pool_wakeup(struct out_webhook_pool *pool);

#endif /* PAYOUT_OUT_WEBHOOK_SEND_H */
