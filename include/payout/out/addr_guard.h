/*
** This header declares the address guard of outbound webhook deliveries
** (spec §9, "Safety"): the --webhook-allow-cidrs list and the judgement of
** one socket address, the one libcurl is about to connect to.
**
** An address is refused when it lies in a range that is not the public
** internet: loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7,
** fec0::/10), link-local (169.254/16, fe80::/10), carrier-grade NAT
** (100.64/10), multicast, unspecified, broadcast, documentation and the
** other IANA special-purpose ranges, and in IPv6 everything outside the
** global unicast 2000::/3. IPv6 forms that carry an IPv4 address are judged
** as that IPv4 address: IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible
** (::a.b.c.d), NAT64 (64:ff9b::/96) and 6to4 (2002:AABB:CCDD::/48).
** A refused address passes when the allowlist contains it, or contains the
** IPv4 address it carries. Pure functions: nothing is resolved or logged.
*/
#ifndef PAYOUT_OUT_ADDR_GUARD_H
#define PAYOUT_OUT_ADDR_GUARD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "payout/limits.h"
#include "payout/status.h"

/* One range: family AF_INET or AF_INET6, the network address with every
** host bit zero (addr[0..4) for IPv4), and the prefix length. */
struct out_cidr {
    int family;
    unsigned prefix_bits;
    uint8_t addr[16];
};

/* A parsed --webhook-allow-cidrs value; count 0 allows nothing. */
struct out_cidr_list {
    size_t count;
    struct out_cidr items[PP_WEBHOOK_ALLOW_CIDRS_MAX];
};

/* What kind of address one is; OUT_ADDR_PUBLIC is the only kind allowed
** without the allowlist. */
enum out_addr_kind {
    OUT_ADDR_PUBLIC = 0,
    OUT_ADDR_LOOPBACK,
    OUT_ADDR_PRIVATE,
    OUT_ADDR_LINK_LOCAL,
    OUT_ADDR_CGNAT,
    OUT_ADDR_MULTICAST,
    OUT_ADDR_UNSPECIFIED,
    OUT_ADDR_BROADCAST,
    OUT_ADDR_DOCUMENTATION,
    OUT_ADDR_RESERVED,
    OUT_ADDR_NOT_IP, /* a family other than AF_INET / AF_INET6, or a short length */
    OUT_ADDR_KIND_COUNT
};

/* Parses text, comma-separated CIDRs ("127.0.0.0/8,::1/128"), into out.
** Strict: every entry is an address inet_pton reads (dotted decimal for
** IPv4, no leading zeros), "/", and a prefix length in decimal (0..32 or
** 0..128, no sign, no leading zero); no spaces, no empty entries, at most
** PP_WEBHOOK_ALLOW_CIDRS_MAX entries. An entry with host bits set
** ("127.0.0.1/8") is refused, not masked: it names a host and a network at
** once, and the message names the network meant. The empty text is an
** empty list. text borrowed, NUL-terminated. PP_INVALID_PARAMS with a
** message naming the entry; on failure out->count is 0. */
enum pp_status out_cidr_list_parse(const char *text, struct out_cidr_list *out, struct pp_err *err);

/* Whether the address family/addr (AF_INET: 4 bytes, AF_INET6: 16, in
** network order) lies in one of list's ranges. */
int out_cidr_list_contains(const struct out_cidr_list *list, int family, const uint8_t *addr);

/* The kind of the address sa (sa_len bytes, borrowed: a struct sockaddr_in
** or sockaddr_in6 from getaddrinfo or libcurl's open-socket callback). */
enum out_addr_kind out_addr_kind_of(const struct sockaddr *sa, size_t sa_len);

/* "loopback", "private", ... for the reason texts. Never NULL. */
const char *out_addr_kind_name(enum out_addr_kind kind);

/* Judges sa: PP_OK when it is public, or refused but contained in allow
** (borrowed; NULL is an empty list) either as itself or as the IPv4
** address it carries. Otherwise PP_FORBIDDEN, and reason (may be NULL)
** receives e.g. "127.0.0.1 is a loopback address, not allowed by
** --webhook-allow-cidrs". On PP_OK reason is "". */
enum pp_status out_addr_guard_check(const struct out_cidr_list *allow, const struct sockaddr *sa,
                                    size_t sa_len, char reason[PP_OUT_REASON_BYTES]);

#endif /* PAYOUT_OUT_ADDR_GUARD_H */
