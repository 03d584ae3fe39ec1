/*
** This module implements the address guard of webhook deliveries: the
** strict parser of --webhook-allow-cidrs and the judgement of one socket
** address against two tables of special-purpose ranges (IANA's IPv4 and
** IPv6 special-purpose registries, and everything outside IPv6's global
** unicast 2000::/3), with IPv6 forms that carry an IPv4 address judged as
** that IPv4 address.
**
** It does not resolve names or connect: the caller judges the address it
** is about to connect to (out/http_guard.c does so in libcurl's open-socket
** callback), which is what defeats DNS rebinding and the decimal, hex and
** IPv4-mapped spellings of loopback.
*/
#include "payout/out/addr_guard.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "payout/base/assert.h"

struct range {
    uint8_t addr[16];
    unsigned prefix_bits;
    enum out_addr_kind kind;
};

/* First match wins, so the narrower ranges come first (255.255.255.255
** before 240/4, 0.0.0.0 before 0/8). */
static const struct range v4_ranges[] = {
    {{0, 0, 0, 0}, 32, OUT_ADDR_UNSPECIFIED},
    {{0, 0, 0, 0}, 8, OUT_ADDR_RESERVED}, /* "this network" */
    {{10, 0, 0, 0}, 8, OUT_ADDR_PRIVATE},
    {{100, 64, 0, 0}, 10, OUT_ADDR_CGNAT},
    {{127, 0, 0, 0}, 8, OUT_ADDR_LOOPBACK},
    {{169, 254, 0, 0}, 16, OUT_ADDR_LINK_LOCAL},
    {{172, 16, 0, 0}, 12, OUT_ADDR_PRIVATE},
    {{192, 0, 0, 0}, 24, OUT_ADDR_RESERVED}, /* IETF protocol assignments */
    {{192, 0, 2, 0}, 24, OUT_ADDR_DOCUMENTATION},
    {{192, 88, 99, 0}, 24, OUT_ADDR_RESERVED}, /* 6to4 relay anycast */
    {{192, 168, 0, 0}, 16, OUT_ADDR_PRIVATE},
    {{198, 18, 0, 0}, 15, OUT_ADDR_RESERVED}, /* benchmarking */
    {{198, 51, 100, 0}, 24, OUT_ADDR_DOCUMENTATION},
    {{203, 0, 113, 0}, 24, OUT_ADDR_DOCUMENTATION},
    {{224, 0, 0, 0}, 4, OUT_ADDR_MULTICAST},
    {{255, 255, 255, 255}, 32, OUT_ADDR_BROADCAST},
    {{240, 0, 0, 0}, 4, OUT_ADDR_RESERVED},
};

/* IPv6 ranges that carry no IPv4 address; the carrying forms are handled
** before this table is read. */
static const struct range v6_ranges[] = {
    {{0}, 128, OUT_ADDR_UNSPECIFIED},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128, OUT_ADDR_LOOPBACK},
    {{0xfe, 0x80}, 10, OUT_ADDR_LINK_LOCAL},
    {{0xfe, 0xc0}, 10, OUT_ADDR_PRIVATE}, /* site-local, deprecated */
    {{0xfc}, 7, OUT_ADDR_PRIVATE},        /* unique local */
    {{0xff}, 8, OUT_ADDR_MULTICAST},
    {{0x20, 0x01, 0x0d, 0xb8}, 32, OUT_ADDR_DOCUMENTATION},
    {{0x3f, 0xff}, 20, OUT_ADDR_DOCUMENTATION},
    {{0x20, 0x01}, 23, OUT_ADDR_RESERVED}, /* IETF protocol assignments, Teredo */
};

static const char *const kind_names[OUT_ADDR_KIND_COUNT] = {
    [OUT_ADDR_PUBLIC] = "public",
    [OUT_ADDR_LOOPBACK] = "loopback",
    [OUT_ADDR_PRIVATE] = "private",
    [OUT_ADDR_LINK_LOCAL] = "link-local",
    [OUT_ADDR_CGNAT] = "carrier-grade NAT",
    [OUT_ADDR_MULTICAST] = "multicast",
    [OUT_ADDR_UNSPECIFIED] = "unspecified",
    [OUT_ADDR_BROADCAST] = "broadcast",
    [OUT_ADDR_DOCUMENTATION] = "documentation",
    [OUT_ADDR_RESERVED] = "reserved",
    [OUT_ADDR_NOT_IP] = "non-IP",
};

const char *out_addr_kind_name(enum out_addr_kind kind)
{
    if ((unsigned)kind >= OUT_ADDR_KIND_COUNT) {
        return "unknown";
    }
    return kind_names[kind];
}

static int prefix_matches(const uint8_t *addr, const uint8_t *net, unsigned prefix_bits)
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

static enum out_addr_kind table_kind(const struct range *table, size_t count, const uint8_t *addr)
{
    for (size_t i = 0; i < count; i++) {
        if (prefix_matches(addr, table[i].addr, table[i].prefix_bits)) {
            return table[i].kind;
        }
    }
    return OUT_ADDR_PUBLIC;
}

/* If the IPv6 address a6 carries an IPv4 address, copies it to v4 and
** returns 1: IPv4-mapped ::ffff:0:0/96, IPv4-compatible ::/96 (other than
** :: and ::1), NAT64 64:ff9b::/96 and 6to4 2002::/16. */
static int v6_embedded_v4(const uint8_t a6[16], uint8_t v4[4])
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const uint8_t zero[12] = {0};
    static const uint8_t nat64[12] = {0, 0x64, 0xff, 0x9b};

    if (memcmp(a6, mapped, 12) == 0 || memcmp(a6, nat64, 12) == 0) {
        memcpy(v4, a6 + 12, 4);
        return 1;
    }
    if (memcmp(a6, zero, 12) == 0) {
        static const uint8_t none[4] = {0, 0, 0, 0};
        static const uint8_t one[4] = {0, 0, 0, 1};
        if (memcmp(a6 + 12, none, 4) == 0 || memcmp(a6 + 12, one, 4) == 0) {
            return 0; /* :: and ::1 are IPv6's own */
        }
        memcpy(v4, a6 + 12, 4);
        return 1;
    }
    if (a6[0] == 0x20 && a6[1] == 0x02) {
        memcpy(v4, a6 + 2, 4);
        return 1;
    }
    return 0;
}

static enum out_addr_kind v6_kind(const uint8_t a6[16])
{
    uint8_t v4[4];

    if (v6_embedded_v4(a6, v4)) {
        return table_kind(v4_ranges, sizeof v4_ranges / sizeof v4_ranges[0], v4);
    }
    enum out_addr_kind kind = table_kind(v6_ranges, sizeof v6_ranges / sizeof v6_ranges[0], a6);
    if (kind == OUT_ADDR_PUBLIC && (a6[0] & 0xe0) != 0x20) {
        kind = OUT_ADDR_RESERVED; /* outside global unicast 2000::/3 */
    }
    return kind;
}

/* Reads sa into family and addr (4 or 16 bytes); 0 when it is not IP. */
static int sockaddr_read(const struct sockaddr *sa, size_t sa_len, int *family, uint8_t addr[16])
{
    if (sa == NULL) {
        return 0;
    }
    if (sa->sa_family == AF_INET && sa_len >= sizeof(struct sockaddr_in)) {
        struct sockaddr_in in4;
        memcpy(&in4, sa, sizeof in4);
        memcpy(addr, &in4.sin_addr, 4);
        *family = AF_INET;
        return 1;
    }
    if (sa->sa_family == AF_INET6 && sa_len >= sizeof(struct sockaddr_in6)) {
        struct sockaddr_in6 in6;
        memcpy(&in6, sa, sizeof in6);
        memcpy(addr, &in6.sin6_addr, 16);
        *family = AF_INET6;
        return 1;
    }
    return 0;
}

enum out_addr_kind out_addr_kind_of(const struct sockaddr *sa, size_t sa_len)
{
    int family = 0;
    uint8_t addr[16];

    if (!sockaddr_read(sa, sa_len, &family, addr)) {
        return OUT_ADDR_NOT_IP;
    }
    if (family == AF_INET) {
        return table_kind(v4_ranges, sizeof v4_ranges / sizeof v4_ranges[0], addr);
    }
    return v6_kind(addr);
}

int out_cidr_list_contains(const struct out_cidr_list *list, int family, const uint8_t *addr)
{
    PP_ASSERT(addr != NULL);
    if (list == NULL) {
        return 0;
    }
    for (size_t i = 0; i < list->count; i++) {
        const struct out_cidr *c = &list->items[i];
        if (c->family == family && prefix_matches(addr, c->addr, c->prefix_bits)) {
            return 1;
        }
    }
    return 0;
}

static int allowed(const struct out_cidr_list *allow, int family, const uint8_t addr[16])
{
    uint8_t v4[4];

    if (out_cidr_list_contains(allow, family, addr)) {
        return 1;
    }
    return family == AF_INET6 && v6_embedded_v4(addr, v4) &&
           out_cidr_list_contains(allow, AF_INET, v4);
}

enum pp_status out_addr_guard_check(const struct out_cidr_list *allow, const struct sockaddr *sa,
                                    size_t sa_len, char reason[PP_OUT_REASON_BYTES])
{
    enum pp_status status = PP_OK;
    int family = 0;
    uint8_t addr[16];
    char text[INET6_ADDRSTRLEN] = "";

    if (reason != NULL) {
        reason[0] = '\0';
    }
    enum out_addr_kind kind = out_addr_kind_of(sa, sa_len);
    if (kind == OUT_ADDR_NOT_IP) {
        status = PP_FORBIDDEN;
        if (reason != NULL) {
            snprintf(reason, PP_OUT_REASON_BYTES, "not an IPv4 or IPv6 address");
        }
        goto done;
    }
    (void)sockaddr_read(sa, sa_len, &family, addr);
    if (kind == OUT_ADDR_PUBLIC || allowed(allow, family, addr)) {
        goto done;
    }
    status = PP_FORBIDDEN;
    if (reason != NULL) {
        (void)inet_ntop(family, addr, text, sizeof text);
        snprintf(reason, PP_OUT_REASON_BYTES,
                 "%s is a %s address, not allowed by --webhook-allow-cidrs", text,
                 out_addr_kind_name(kind));
    }
done:
    return status;
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

static enum pp_status cidr_parse(const char *entry, size_t len, struct out_cidr *out,
                                 struct pp_err *err)
{
    char text[CIDR_TEXT_BYTES_MAX + 1];
    char net[INET6_ADDRSTRLEN];

    if (len == 0) {
        return pp_err_set(err, PP_INVALID_PARAMS, "--webhook-allow-cidrs has an empty entry");
    }
    if (len > CIDR_TEXT_BYTES_MAX) {
        return pp_err_set(err, PP_INVALID_PARAMS, "--webhook-allow-cidrs: entry too long");
    }
    memcpy(text, entry, len);
    text[len] = '\0';
    char *slash = strchr(text, '/');
    if (slash == NULL) {
        return pp_err_set(err, PP_INVALID_PARAMS,
                          "--webhook-allow-cidrs: \"%s\" needs a prefix length (\"/32\")", text);
    }
    *slash = '\0';
    memset(out, 0, sizeof *out);
    out->family = strchr(text, ':') != NULL ? AF_INET6 : AF_INET;
    unsigned bytes = out->family == AF_INET ? 4u : 16u;
    if (inet_pton(out->family, text, out->addr) != 1 ||
        !prefix_parse(slash + 1, bytes * 8u, &out->prefix_bits)) {
        *slash = '/';
        return pp_err_set(err, PP_INVALID_PARAMS,
                          "--webhook-allow-cidrs: \"%s\" is not an IPv4 or IPv6 CIDR", text);
    }
    if (!host_bits_zero(out->addr, bytes, out->prefix_bits)) {
        host_bits_clear(out->addr, bytes, out->prefix_bits);
        (void)inet_ntop(out->family, out->addr, net, sizeof net);
        *slash = '/';
        return pp_err_set(err, PP_INVALID_PARAMS,
                          "--webhook-allow-cidrs: \"%s\" has host bits set; the network is %s/%u",
                          text, net, out->prefix_bits);
    }
    return PP_OK;
}

enum pp_status out_cidr_list_parse(const char *text, struct out_cidr_list *out, struct pp_err *err)
{
    enum pp_status status = PP_OK;

    PP_ASSERT(text != NULL && out != NULL);
    out->count = 0;
    size_t len = strlen(text);
    if (len > PP_WEBHOOK_ALLOW_CIDRS_TEXT_BYTES_MAX) {
        status = pp_err_set(err, PP_INVALID_PARAMS, "--webhook-allow-cidrs is too long");
        goto done;
    }
    const char *p = text;
    while (len > 0) {
        const char *comma = strchr(p, ',');
        size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);
        if (out->count == PP_WEBHOOK_ALLOW_CIDRS_MAX) {
            status =
                pp_err_set(err, PP_INVALID_PARAMS, "--webhook-allow-cidrs has more than %d entries",
                           PP_WEBHOOK_ALLOW_CIDRS_MAX);
            goto done;
        }
        status = cidr_parse(p, n, &out->items[out->count], err);
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
