/*
** This module implements the client address behind trusted proxies
** (payout/http/forwarded.h): the right-to-left walk over the
** X-Forwarded-For entries and the judgement of each against
** --trusted-proxies. It does not read headers (request.c collects the
** lines) or parse the ranges (base/cidr.c).
*/
#include "payout/http/forwarded.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "payout/base/assert.h"

/* An address: its family and bytes (4 or 16 used). */
struct fwd_addr {
    int family;
    uint8_t bytes[16];
};

/* Whether a lies in trusted, an IPv4-mapped IPv6 address as its IPv4. */
static int is_trusted(const struct pp_cidr_list *trusted, const struct fwd_addr *a)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (pp_cidr_list_contains(trusted, a->family, a->bytes)) {
        return 1;
    }
    return a->family == AF_INET6 && memcmp(a->bytes, mapped, sizeof mapped) == 0 &&
           pp_cidr_list_contains(trusted, AF_INET, a->bytes + 12);
}

static int is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* Reads the entry s[0..len) (spaces and tabs around it allowed) into a;
** 0 when it is not an IPv4 or IPv6 literal. */
static int entry_read(const char *s, size_t len, struct fwd_addr *a)
{
    char text[INET6_ADDRSTRLEN];
    while (len > 0 && is_space(s[0])) {
        s++;
        len--;
    }
    while (len > 0 && is_space(s[len - 1])) {
        len--;
    }
    if (len == 0 || len >= sizeof text) {
        return 0;
    }
    memcpy(text, s, len);
    text[len] = '\0';
    memset(a, 0, sizeof *a);
    a->family = memchr(text, ':', len) != NULL ? AF_INET6 : AF_INET;
    return inet_pton(a->family, text, a->bytes) == 1;
}

/* The result of walking the lines. */
enum walk_result { WALK_MALFORMED, WALK_CLIENT, WALK_ALL_TRUSTED };

/* Walks line from its last entry to its first; stops at the first entry
** outside trusted (*out, WALK_CLIENT) or a malformed one. Otherwise *out
** is the line's first entry (WALK_ALL_TRUSTED). */
static enum walk_result line_walk(const struct pp_cidr_list *trusted, const char *line,
                                  struct fwd_addr *out)
{
    size_t end = strlen(line);
    /* Bounded: each round consumes at least one byte (its comma). */
    for (;;) {
        size_t start = end;
        while (start > 0 && line[start - 1] != ',') {
            start--;
        }
        if (!entry_read(line + start, end - start, out)) {
            return WALK_MALFORMED;
        }
        if (!is_trusted(trusted, out)) {
            return WALK_CLIENT;
        }
        if (start == 0) {
            return WALK_ALL_TRUSTED;
        }
        end = start - 1;
    }
}

int http_forwarded_client(const struct pp_cidr_list *trusted, int family, const uint8_t *addr,
                          const char *const *lines, size_t line_count, char *out, size_t out_size)
{
    struct fwd_addr peer = {.family = family};
    struct fwd_addr client;
    enum walk_result r = WALK_MALFORMED;
    PP_ASSERT((family == AF_INET || family == AF_INET6) && addr != NULL && out_size > 0);
    PP_ASSERT(line_count <= PP_FORWARDED_LINES_MAX);
    memcpy(peer.bytes, addr, family == AF_INET ? 4 : 16);
    if (trusted != NULL && trusted->count > 0 && line_count > 0 && is_trusted(trusted, &peer)) {
        for (size_t i = line_count; i-- > 0;) {
            r = line_walk(trusted, lines[i], &client);
            if (r != WALK_ALL_TRUSTED) {
                break;
            }
        }
    }
    const struct fwd_addr *shown = r == WALK_MALFORMED ? &peer : &client;
    if (inet_ntop(shown->family, shown->bytes, out, (socklen_t)out_size) == NULL) {
        out[0] = '\0';
    }
    return r != WALK_MALFORMED;
}
