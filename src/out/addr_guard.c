/*
** This module implements the address guard of webhook deliveries: the
** judgement of one socket
** address against two tables of special-purpose ranges (IANA's IPv4 and
** IPv6 special-purpose registries, and everything outside IPv6's global
** unicast 2000::/3), with IPv6 forms that carry an IPv4 address judged as
** that IPv4 address. The --webhook-allow-cidrs list is parsed by
** base/cidr.c.
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

static enum out_addr_kind table_kind(const struct range *table, size_t count, const uint8_t *addr)
{
    for (size_t i = 0; i < count; i++) {
        if (pp_cidr_prefix_matches(addr, table[i].addr, table[i].prefix_bits)) {
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

static int allowed(const struct pp_cidr_list *allow, int family, const uint8_t addr[16])
{
    uint8_t v4[4];

    if (pp_cidr_list_contains(allow, family, addr)) {
        return 1;
    }
    return family == AF_INET6 && v6_embedded_v4(addr, v4) &&
           pp_cidr_list_contains(allow, AF_INET, v4);
}

enum pp_status out_addr_guard_check(const struct pp_cidr_list *allow, const struct sockaddr *sa,
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
