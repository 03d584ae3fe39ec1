/*
** This header declares CIDR lists: a flag's comma-separated ranges
** ("127.0.0.0/8,::1/128"), parsed strictly once at start, and the test
** whether an address lies in one of them. --webhook-allow-cidrs (the
** ranges webhook deliveries may reach, out/addr_guard.h) and
** --trusted-proxies (the load balancers whose X-Forwarded-For is
** believed, http/forwarded.h) both take one. Pure functions: nothing is
** resolved or logged.
*/
#ifndef PAYOUT_BASE_CIDR_H
#define PAYOUT_BASE_CIDR_H

#include <stddef.h>
#include <stdint.h>

#include "payout/limits.h"
#include "payout/status.h"

/* One range: family AF_INET or AF_INET6, the network address with every
** host bit zero (addr[0..4) for IPv4), and the prefix length. */
struct pp_cidr {
    int family;
    unsigned prefix_bits;
    uint8_t addr[16];
};

/* A parsed list; count 0 contains nothing. */
struct pp_cidr_list {
    size_t count;
    struct pp_cidr items[PP_CIDR_LIST_MAX];
};

/* Parses text, comma-separated CIDRs ("127.0.0.0/8,::1/128"), into out.
** Strict: every entry is an address inet_pton reads (dotted decimal for
** IPv4, no leading zeros), "/", and a prefix length in decimal (0..32 or
** 0..128, no sign, no leading zero); no spaces, no empty entries, at most
** PP_CIDR_LIST_MAX entries. An entry with host bits set ("127.0.0.1/8") is
** refused, not masked: it names a host and a network at once, and the
** message names the network meant. The empty text is an empty list. flag
** (the option's name, for the messages) and text borrowed, NUL-terminated.
** PP_INVALID_PARAMS with a message naming the flag and the entry; on
** failure out->count is 0. */
enum pp_status pp_cidr_list_parse(const char *flag, const char *text, struct pp_cidr_list *out,
                                  struct pp_err *err);

/* Whether the address family/addr (AF_INET: 4 bytes, AF_INET6: 16, in
** network order) lies in one of list's ranges. list NULL: 0. */
int pp_cidr_list_contains(const struct pp_cidr_list *list, int family, const uint8_t *addr);

/* Whether the first prefix_bits bits of addr and net agree. */
int pp_cidr_prefix_matches(const uint8_t *addr, const uint8_t *net, unsigned prefix_bits);

#endif /* PAYOUT_BASE_CIDR_H */
