/*
** This header declares how a request's client address is found behind
** load balancers (--trusted-proxies): only when the TCP peer lies in one
** of the trusted ranges is its X-Forwarded-For believed, and then only as
** far as trusted proxies vouch for it. The entries are walked from the
** right (the last proxy's entry is the rightmost), skipping addresses in
** the trusted ranges; the first one outside them is the client. When every
** entry is trusted, the leftmost is. Entries a client wrote itself lie
** left of the first untrusted entry and are never read.
**
** The client address feeds everything that knows a request's address: the
** rate limit, the log-in lockout, the access log and the audit entries.
** A pure function: nothing here reads a socket or logs.
*/
#ifndef PAYOUT_HTTP_FORWARDED_H
#define PAYOUT_HTTP_FORWARDED_H

#include <stddef.h>
#include <stdint.h>

#include "payout/base/cidr.h"

/* Writes the client address of a request as text (inet_ntop's, at most
** out_size bytes with the NUL; INET6_ADDRSTRLEN always fits) into out.
** The peer is family (AF_INET or AF_INET6) and addr (4 or 16 bytes,
** network order); an IPv4-mapped IPv6 peer or entry (::ffff:a.b.c.d) is
** judged as its IPv4 address. lines[0..line_count) are the values of the
** request's X-Forwarded-For header lines in the order they came (borrowed;
** each a comma-separated list of IPv4 or IPv6 literals, spaces and tabs
** around an entry allowed), of which only the last PP_FORWARDED_LINES_MAX
** are given. Returns 1 when the client came from the header; 0 when out
** holds the peer: trusted NULL or empty, a peer outside it, no header, or
** a malformed header (an entry that is empty, not an address literal,
** with a port or brackets, or too long, met before the client was found). */
int http_forwarded_client(const struct pp_cidr_list *trusted, int family, const uint8_t *addr,
                          const char *const *lines, size_t line_count, char *out, size_t out_size);

#endif /* PAYOUT_HTTP_FORWARDED_H */
