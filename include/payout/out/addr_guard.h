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
** IPv4 address it carries. The list itself (struct pp_cidr_list) is
** base/cidr.h's. Pure functions: nothing is resolved or logged.
*/
#ifndef PAYOUT_OUT_ADDR_GUARD_H
#define PAYOUT_OUT_ADDR_GUARD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "payout/base/cidr.h"
#include "payout/limits.h"
#include "payout/status.h"

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
enum pp_status out_addr_guard_check(const struct pp_cidr_list *allow, const struct sockaddr *sa,
                                    size_t sa_len, char reason[PP_OUT_REASON_BYTES]);

#endif /* PAYOUT_OUT_ADDR_GUARD_H */
