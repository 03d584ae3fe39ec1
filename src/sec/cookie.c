/*
** This module implements the session cookie's texts: the Set-Cookie values
** that set and clear it, and a strict reader of one named cookie in a
** Cookie header (the rules, and why duplicates are refused, are in
** sec/cookie.h).
**
** It knows nothing of sessions: the value is an opaque text to it, which
** sec/session.c makes and checks. It allocates nothing and logs nothing.
*/
#include "payout/sec/cookie.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "payout/base/assert.h"

/* 1 when c may appear in a token (RFC 7230 §3.2.6 tchar). */
static int is_tchar(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* 1 when c is a cookie-octet (RFC 6265 §4.1.1): visible ASCII except
** '"', ',', ';' and '\'. */
static int is_cookie_octet(unsigned char c)
{
    return c >= 0x21 && c <= 0x7e && c != '"' && c != ',' && c != ';' && c != '\\';
}

/* 1 when s[0..len) is non-empty, at most max bytes, and every byte passes. */
static int all_pass(const char *s, size_t len, size_t max, int (*pass)(unsigned char))
{
    int ok = len > 0 && len <= max;
    for (size_t i = 0; ok && i < len; i++) {
        ok = pass((unsigned char)s[i]);
    }
    return ok;
}

/* Writes name=value and the attributes every variant shares. */
static void cookie_build(char *out, size_t out_size, const char *name, const char *value,
                         int secure, int64_t max_age_s)
{
    PP_ASSERT(out != NULL && out_size >= SEC_SET_COOKIE_BYTES);
    PP_ASSERT(name != NULL && all_pass(name, strlen(name), PP_COOKIE_NAME_BYTES_MAX, is_tchar));
    int n = snprintf(out, out_size, "%s=%s; Path=/; HttpOnly; SameSite=Strict%s; Max-Age=%" PRId64,
                     name, value, secure ? "; Secure" : "", max_age_s);
    PP_ASSERT(n > 0 && (size_t)n < out_size);
}

void sec_cookie_set_build(char *out, size_t out_size, const char *name, const char *value,
                          int secure, int64_t max_age_s)
{
    PP_ASSERT(value != NULL &&
              all_pass(value, strlen(value), PP_COOKIE_VALUE_BYTES_MAX, is_cookie_octet));
    PP_ASSERT(max_age_s >= 1 && max_age_s <= PP_COOKIE_MAX_AGE_S_MAX);
    cookie_build(out, out_size, name, value, secure, max_age_s);
}

void sec_cookie_clear_build(char *out, size_t out_size, const char *name, int secure)
{
    cookie_build(out, out_size, name, "", secure, 0);
}

/* Narrows [*start, *end) past spaces and tabs on both sides. */
static void trim(const char **start, const char **end)
{
    while (*start < *end && (**start == ' ' || **start == '\t')) {
        (*start)++;
    }
    while (*end > *start && ((*end)[-1] == ' ' || (*end)[-1] == '\t')) {
        (*end)--;
    }
}

/* 1 when header[0..len) holds a control character other than tab. */
static int has_control(const char *header, size_t len)
{
    int found = 0;
    for (size_t i = 0; !found && i < len; i++) {
        unsigned char c = (unsigned char)header[i];
        found = (c < 0x20 && c != '\t') || c == 0x7f;
    }
    return found;
}

/* Checks our cookie's raw value [v, end): strips one pair of quotes and
** requires cookie-octets. 1 and the bare value on success. */
static int value_accept(const char *v, const char *end, const char **value, size_t *value_len)
{
    if (end - v >= 2 && *v == '"' && end[-1] == '"') {
        v++;
        end--;
    }
    *value = v;
    *value_len = (size_t)(end - v);
    return all_pass(v, *value_len, PP_COOKIE_HEADER_BYTES_MAX, is_cookie_octet);
}

enum sec_cookie_found sec_cookie_find(const char *header, size_t len, const char *name,
                                      const char **value_out, size_t *value_len_out)
{
    enum sec_cookie_found found = SEC_COOKIE_ABSENT;
    const char *value = NULL;
    size_t value_len = 0;

    PP_ASSERT(name != NULL && name[0] != '\0');
    PP_ASSERT(header != NULL || len == 0);
    PP_ASSERT(value_out != NULL && value_len_out != NULL);
    size_t name_len = strlen(name);
    if (len == 0) {
        goto done;
    }
    if (len > PP_COOKIE_HEADER_BYTES_MAX || has_control(header, len)) {
        found = SEC_COOKIE_REFUSED;
        goto done;
    }
    /* Each turn consumes one ';'-separated piece, so the loop ends. */
    for (const char *p = header, *end = header + len; p < end;) {
        const char *semi = memchr(p, ';', (size_t)(end - p));
        const char *pair_end = semi != NULL ? semi : end;
        const char *eq = memchr(p, '=', (size_t)(pair_end - p));
        const char *n0 = p;
        const char *n1 = eq != NULL ? eq : p;
        trim(&n0, &n1);
        if (eq != NULL && (size_t)(n1 - n0) == name_len && memcmp(n0, name, name_len) == 0) {
            const char *v0 = eq + 1;
            const char *v1 = pair_end;
            trim(&v0, &v1);
            if (found != SEC_COOKIE_ABSENT || !value_accept(v0, v1, &value, &value_len)) {
                found = SEC_COOKIE_REFUSED;
                goto done;
            }
            found = SEC_COOKIE_FOUND;
        }
        p = semi != NULL ? semi + 1 : end;
    }
done:
    if (found != SEC_COOKIE_FOUND) {
        value = NULL;
        value_len = 0;
    }
    *value_out = value;
    *value_len_out = value_len;
    return found;
}
