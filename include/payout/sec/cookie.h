/*
** This header declares the session cookie's two texts (spec §7): the
** Set-Cookie value the server sends, and the reading of one named cookie
** out of a request's Cookie header.
**
** Set-Cookie, exactly:
**     <name>=<value>; Path=/; HttpOnly; SameSite=Strict[; Secure]; Max-Age=<s>
** and to clear it:
**     <name>=; Path=/; HttpOnly; SameSite=Strict[; Secure]; Max-Age=0
** "; Secure" is written when the server speaks HTTPS. Under HTTPS a name
** starting with "__Host-" also keeps other hosts of the domain from
** setting a cookie of the same name.
**
** Reading (RFC 6265 §4.2 and §5.4, strict for our cookie, lenient for the
** rest): the header is split at ';'; spaces and tabs around each pair and
** around '=' are ignored; names compare exactly (case matters). Pairs of
** other names, and pieces without '=', are skipped without further checks,
** so another application's odd cookie on the same host locks nobody out.
** Our cookie's value may be wrapped in double quotes (removed) and must
** then be non-empty cookie-octets (no space, '"', ',', ';', '\' or control
** character). If the name appears more than once the header is refused,
** never first- or last-wins: duplicates mean another cookie of our name
** was planted (by a sibling subdomain or over plain HTTP, with a longer
** Path so the browser sends it first), and picking either one could sign
** the person in as someone else. A header over PP_COOKIE_HEADER_BYTES_MAX
** or holding a control character other than tab is refused as a whole.
*/
#ifndef PAYOUT_SEC_COOKIE_H
#define PAYOUT_SEC_COOKIE_H

#include <stddef.h>
#include <stdint.h>

#include "payout/limits.h"

/* Room for any Set-Cookie value the builders write, NUL included: name,
** value, the attributes (under 64 bytes) and a 20-digit Max-Age. */
#define SEC_SET_COOKIE_BYTES (PP_COOKIE_NAME_BYTES_MAX + PP_COOKIE_VALUE_BYTES_MAX + 96)

/* What sec_cookie_find found. */
enum sec_cookie_found {
    SEC_COOKIE_ABSENT = 0,  /* no cookie of that name (or no header) */
    SEC_COOKIE_FOUND = 1,   /* exactly one, well-formed */
    SEC_COOKIE_REFUSED = 2, /* malformed, duplicated, or a bad header */
};

/* Writes the Set-Cookie value for name = value into out (out_size at least
** SEC_SET_COOKIE_BYTES). secure != 0 adds "; Secure". Both texts come from
** the server, so their form is asserted: name a non-empty RFC 7230 token of
** at most PP_COOKIE_NAME_BYTES_MAX, value non-empty cookie-octets of at
** most PP_COOKIE_VALUE_BYTES_MAX, max_age_s 1..PP_COOKIE_MAX_AGE_S_MAX. */
void sec_cookie_set_build(char *out, size_t out_size, const char *name, const char *value,
                          int secure, int64_t max_age_s);

/* Writes the Set-Cookie value that makes the browser drop cookie `name`
** (same attributes, empty value, Max-Age=0) into out (as above). */
void sec_cookie_clear_build(char *out, size_t out_size, const char *name, int secure);

/* Looks for the cookie `name` (NUL-terminated, borrowed) in the Cookie
** header value header[0..len) (untrusted, borrowed; NULL with len 0 when
** the request has none), by the rules above. On SEC_COOKIE_FOUND,
** *value_out and *value_len_out give its value without quotes, borrowed
** from header; otherwise they are set to NULL and 0. A refused header
** authenticates nothing: the caller answers as for no session. */
enum sec_cookie_found sec_cookie_find(const char *header, size_t len, const char *name,
                                      const char **value_out, size_t *value_len_out);

#endif /* PAYOUT_SEC_COOKIE_H */
