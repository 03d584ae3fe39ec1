/*
** This module implements CIDR lists (payout/base/cidr.h): the strict
** parser of a comma-separated list of ranges, as the --webhook-allow-cidrs
** and --trusted-proxies flags take it, and the test whether an address
** lies in one of them. Pure functions: nothing is resolved or logged.
*/
#include "payout/base/cidr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "payout/base/assert.h"

int pp_cidr_prefix_matches(const uint8_t *addr, const uint8_t *net, unsigned prefix_bits)
{
    unsigned whole = prefix_bits / 8;
    unsigned rest = prefix_bits % 8;

    if (memcmp(addr, net, whole) != 0) {
        return 0;
    }
    if (rest == 0) {
        return 1;
    }
    uint8_t mask = (uint8_t)(0xffu << (8 - rest));
    return (addr[whole] & mask) == (net[whole] & mask);
}

int pp_cidr_list_contains(const struct pp_cidr_list *list, int family, const uint8_t *addr)
{
    PP_ASSERT(addr != NULL);
    if (list == NULL) {
        return 0;
    }
    for (size_t i = 0; i < list->count; i++) {
        const struct pp_cidr *c = &list->items[i];
        if (c->family == family && pp_cidr_prefix_matches(addr, c->addr, c->prefix_bits)) {
            return 1;
        }
    }
    return 0;
}

/* Longest entry: an IPv6 text, "/" and three digits. */
#define CIDR_TEXT_BYTES_MAX (INET6_ADDRSTRLEN + 4)

/* Reads a prefix length: decimal digits, no sign, no leading zero. */
static int prefix_parse(const char *p, unsigned max_bits, unsigned *bits)
{
    unsigned value = 0;
    size_t n = strlen(p);

    if (n == 0 || n > 3 || (p[0] == '0' && n > 1)) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return 0;
        }
        value = value * 10u + (unsigned)(p[i] - '0');
    }
    if (value > max_bits) {
        return 0;
    }
    *bits = value;
    return 1;
}

static int host_bits_zero(const uint8_t *addr, unsigned addr_bytes, unsigned prefix_bits)
{
    for (unsigned bit = prefix_bits; bit < addr_bytes * 8u; bit++) {
        if (addr[bit / 8] & (0x80u >> (bit % 8))) {
            return 0;
        }
    }
    return 1;
}

/* Masks addr down to its network, for the message naming what was meant. */
static void host_bits_clear(uint8_t *addr, unsigned addr_bytes, unsigned prefix_bits)
{
    for (unsigned bit = prefix_bits; bit < addr_bytes * 8u; bit++) {
        addr[bit / 8] = (uint8_t)(addr[bit / 8] & ~(0x80u >> (bit % 8)));
    }
}

static enum pp_status cidr_parse(const char *flag, const char *entry, size_t len,
                                 struct pp_cidr *out, struct pp_err *err)
{
    char text[CIDR_TEXT_BYTES_MAX + 1];
    char net[INET6_ADDRSTRLEN];

    if (len == 0) {
        return pp_err_set(err, PP_INVALID_PARAMS, "%s has an empty entry", flag);
    }
    if (len > CIDR_TEXT_BYTES_MAX) {
        return pp_err_set(err, PP_INVALID_PARAMS, "%s: entry too long", flag);
    }
    memcpy(text, entry, len);
    text[len] = '\0';
    char *slash = strchr(text, '/');
    if (slash == NULL) {
        return pp_err_set(err, PP_INVALID_PARAMS, "%s: \"%s\" needs a prefix length (\"/32\")",
                          flag, text);
    }
    *slash = '\0';
    memset(out, 0, sizeof *out);
    out->family = strchr(text, ':') != NULL ? AF_INET6 : AF_INET;
    unsigned bytes = out->family == AF_INET ? 4u : 16u;
    if (inet_pton(out->family, text, out->addr) != 1 ||
        !prefix_parse(slash + 1, bytes * 8u, &out->prefix_bits)) {
        *slash = '/';
        return pp_err_set(err, PP_INVALID_PARAMS, "%s: \"%s\" is not an IPv4 or IPv6 CIDR", flag,
                          text);
    }
    if (!host_bits_zero(out->addr, bytes, out->prefix_bits)) {
        host_bits_clear(out->addr, bytes, out->prefix_bits);
        (void)inet_ntop(out->family, out->addr, net, sizeof net);
        *slash = '/';
        return pp_err_set(err, PP_INVALID_PARAMS,
                          "%s: \"%s\" has host bits set; the network is %s/%u", flag, text, net,
                          out->prefix_bits);
    }
    return PP_OK;
}

enum pp_status pp_cidr_list_parse(const char *flag, const char *text, struct pp_cidr_list *out,
                                  struct pp_err *err)
{
    enum pp_status status = PP_OK;

    PP_ASSERT(flag != NULL && text != NULL && out != NULL);
    out->count = 0;
    size_t len = strlen(text);
    if (len > PP_CIDR_LIST_TEXT_BYTES_MAX) {
        status = pp_err_set(err, PP_INVALID_PARAMS, "%s is too long", flag);
        goto done;
    }
    const char *p = text;
    while (len > 0) {
        const char *comma = strchr(p, ',');
        size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);
        if (out->count == PP_CIDR_LIST_MAX) {
            status = pp_err_set(err, PP_INVALID_PARAMS, "%s has more than %d entries", flag,
                                PP_CIDR_LIST_MAX);
            goto done;
        }
        status = cidr_parse(flag, p, n, &out->items[out->count], err);
        if (status != PP_OK) {
            goto done;
        }
        out->count++;
        if (comma == NULL) {
            break;
        }
        p = comma + 1;
    }
done:
    if (status != PP_OK) {
        out->count = 0;
    }
    return status;
}
