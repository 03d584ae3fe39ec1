/*
** This module implements the libcurl side of the webhook address guard:
** the options of one guarded request, the open-socket callback that judges
** each address libcurl is about to connect to, and the write callback that
** stops reading an answer at PP_WEBHOOK_ANSWER_BYTES_MAX.
**
** It does not build the request (URL, headers, body, signature) and does
** not interpret the answer; the delivery worker does. Judging at connect
** time rather than when a URL is saved is the point: the address libcurl
** resolved is the one judged, so DNS answers that change between save and
** send cannot slip past.
*/
#include "payout/out/http_guard.h"

#include <string.h>
#include <sys/socket.h>

#include <curl/curl.h>

#include "payout/base/assert.h"

static curl_socket_t guard_open_socket(void *clientp, curlsocktype purpose,
                                       struct curl_sockaddr *address)
{
    struct out_http_guard *guard = clientp;
    char reason[PP_OUT_REASON_BYTES];

    if (purpose != CURLSOCKTYPE_IPCXN) {
        return CURL_SOCKET_BAD;
    }
    if (out_addr_guard_check(guard->allow, &address->addr, address->addrlen, reason) != PP_OK) {
        /* The first refusal is kept: with several addresses (happy
        ** eyeballs) the first names what the host resolved to first. */
        if (!guard->refused) {
            memcpy(guard->refused_reason, reason, sizeof reason);
        }
        guard->refused = 1;
        return CURL_SOCKET_BAD;
    }
    return socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

static size_t guard_write(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct out_http_guard *guard = userdata;
    size_t len = size * nmemb;
    size_t room = PP_WEBHOOK_ANSWER_BYTES_MAX - guard->answer.len;

    if (len > room) {
        pp_buf_append(&guard->answer, data, room);
        guard->answer_truncated = 1;
        return room; /* short: libcurl stops the transfer */
    }
    pp_buf_append(&guard->answer, data, len);
    return len;
}

/* Every option whose absence would weaken the guard; one failing fails all. */
/* Every option whose absence would weaken the guard; one failing fails all.
** Returns how many libcurl refused. */
static unsigned guard_options(CURL *curl, struct out_http_guard *guard)
{
    unsigned failed = 0;

#define GUARD_SET(opt, val) (failed += curl_easy_setopt(curl, opt, val) != CURLE_OK)
    GUARD_SET(CURLOPT_OPENSOCKETFUNCTION, guard_open_socket);
    GUARD_SET(CURLOPT_OPENSOCKETDATA, guard);
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85.0 */
    GUARD_SET(CURLOPT_PROTOCOLS_STR, "http,https");
    GUARD_SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
    GUARD_SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
    GUARD_SET(CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    GUARD_SET(CURLOPT_FOLLOWLOCATION, 0L);
    GUARD_SET(CURLOPT_MAXREDIRS, 0L);
    /* "" disables the environment's http_proxy and friends; NOPROXY "*"
    ** makes sure no proxy applies to any host. */
    GUARD_SET(CURLOPT_PROXY, "");
    GUARD_SET(CURLOPT_NOPROXY, "*");
    GUARD_SET(CURLOPT_TIMEOUT_MS, PP_WEBHOOK_TIMEOUT_MS);
    GUARD_SET(CURLOPT_NOSIGNAL, 1L);
    GUARD_SET(CURLOPT_WRITEFUNCTION, guard_write);
    GUARD_SET(CURLOPT_WRITEDATA, guard);
#undef GUARD_SET
    return failed;
}

enum pp_status out_http_guard_setup(void *curl_easy, struct out_http_guard *guard,
                                    const struct pp_cidr_list *allow, struct pp_err *err)
{
    enum pp_status status = PP_OK;

    PP_ASSERT(curl_easy != NULL && guard != NULL);
    memset(guard, 0, sizeof *guard);
    pp_buf_init(&guard->answer);
    guard->allow = allow;
    if (guard_options(curl_easy, guard) != 0) {
        status = pp_err_set(err, PP_INTERNAL, "libcurl refused a webhook safety option");
    }
    return status;
}

void out_http_guard_destroy(struct out_http_guard *guard)
{
    if (guard == NULL) {
        return;
    }
    pp_buf_free(&guard->answer);
}
