/*
** This header declares the guarded outbound HTTP request of webhook
** deliveries (spec §9, "Safety"): the options a libcurl easy handle needs
** so that it connects only to addresses the address guard accepts (judged
** in libcurl's open-socket callback, after name resolution, so a hostname
** that resolves to loopback and the decimal, hex and IPv4-mapped spellings
** of loopback are all refused), speaks only http and https, follows no
** redirect, takes no proxy from the environment, gives up after
** PP_WEBHOOK_TIMEOUT_MS and reads at most PP_WEBHOOK_ANSWER_BYTES_MAX of
** the answer.
**
** libcurl stays private to the out layer: the handle is passed as void *.
*/
#ifndef PAYOUT_OUT_HTTP_GUARD_H
#define PAYOUT_OUT_HTTP_GUARD_H

#include <stddef.h>

#include "payout/base/buf.h"
#include "payout/limits.h"
#include "payout/out/addr_guard.h"
#include "payout/status.h"

/* The state of one guarded transfer, owned by the caller, which must keep
** it alive (and at the same address) until the transfer ends. */
struct out_http_guard {
    const struct pp_cidr_list *allow; /* borrowed; NULL allows nothing */
    struct pp_buf answer; /* the answer's first bytes; free with out_http_guard_destroy */
    int answer_truncated; /* 1 when the answer was longer and reading stopped */
    int refused;          /* 1 when a connection was refused by the guard */
    char refused_reason[PP_OUT_REASON_BYTES]; /* the first refusal's reason, or "" */
};

/* Prepares guard (allow borrowed, may be NULL) and sets on the libcurl
** easy handle curl_easy (a CURL *, borrowed): the open-socket callback,
** protocols http and https only (also for redirects), no redirects, no
** proxy (neither the environment's nor any other), the timeout, no
** signals, and a write callback that keeps the answer in guard->answer up
** to PP_WEBHOOK_ANSWER_BYTES_MAX and then stops the transfer (libcurl then
** reports CURLE_WRITE_ERROR; answer_truncated tells why). The caller sets
** the URL, method, headers and body afterwards and must not replace these
** options. PP_INTERNAL when libcurl refuses an option (too old a libcurl). */
enum pp_status out_http_guard_setup(void *curl_easy, struct out_http_guard *guard,
                                    const struct pp_cidr_list *allow, struct pp_err *err);

/* Frees guard's answer. NULL is a no-op. */
void out_http_guard_destroy(struct out_http_guard *guard);

#endif /* PAYOUT_OUT_HTTP_GUARD_H */
