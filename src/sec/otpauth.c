/*
** This module implements the otpauth:// setup URI of a two-factor secret
** (the "Key Uri Format" authenticator apps read from a QR code), with the
** percent-encoding of its label and issuer.
**
** It does not draw or keep the secret (sec/totp.c draws it, the caller
** seals and stores it) and does not check that the e-mail is valid: the
** users feature has done so before it gets here.
*/
#include "payout/sec/otpauth.h"

#include <string.h>

#include "payout/base/assert.h"
#include "payout/sec/base32.h"
#include "payout/sec/secrets.h"

/* The fixed parts; the issuer, e-mail and secret go between them. */
static const char uri_scheme[] = "otpauth://totp/";
static const char uri_secret[] = "?secret=";
static const char uri_issuer[] = "&issuer=";
static const char uri_tail[] = "&algorithm=SHA1&digits=6&period=30";

_Static_assert(PP_TOTP_DIGITS == 6 && PP_TOTP_STEP_S == 30,
               "uri_tail states the digits and period");
_Static_assert(sizeof uri_scheme + sizeof uri_secret + sizeof uri_issuer + sizeof uri_tail <= 128,
               "PP_OTPAUTH_URI_BYTES allows 128 bytes of fixed text");

/* A text appended to while the URI is built; asserts it never overflows,
** since PP_OTPAUTH_URI_BYTES is sized for the longest inputs. */
struct uri_out {
    char *p;
    size_t len;
    size_t size;
};

static void out_append(struct uri_out *o, const char *s, size_t n)
{
    PP_ASSERT(n < o->size - o->len);
    memcpy(o->p + o->len, s, n);
    o->len += n;
    o->p[o->len] = '\0';
}

/* 1 when byte c stays as it is: RFC 3986 unreserved, and '@', which a
** path segment and a query allow and which apps show as typed. */
static int keeps_literal(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~' || c == '@';
}

static void out_append_encoded(struct uri_out *o, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";

    for (const unsigned char *c = (const unsigned char *)s; *c != '\0'; c++) {
        if (keeps_literal(*c)) {
            out_append(o, (const char *)c, 1);
        } else {
            char escaped[3] = {'%', hex[*c >> 4], hex[*c & 0x0f]};
            out_append(o, escaped, sizeof escaped);
        }
    }
}

/* PP_OK when part is non-empty, at most max_bytes and free of ':'. */
static enum pp_status check_part(const char *part, size_t max_bytes, const char *what,
                                 struct pp_err *err)
{
    enum pp_status status = PP_OK;
    size_t len = strnlen(part, max_bytes + 1);
    if (len == 0 || len > max_bytes || memchr(part, ':', len) != NULL) {
        status = pp_err_set(err, PP_INVALID_PARAMS, "%s must be 1 to %zu bytes without ':'", what,
                            max_bytes);
    }
    return status;
}

enum pp_status sec_otpauth_uri_build(const char *issuer, const char *email, const uint8_t *secret,
                                     size_t secret_len, char *out, size_t out_size,
                                     struct pp_err *err)
{
    char secret_text[(PP_TOTP_SECRET_BYTES_MAX * 8 + 4) / 5 + 1];
    struct uri_out o = {out, 0, out_size};

    PP_ASSERT(issuer != NULL && email != NULL && out != NULL);
    PP_ASSERT(secret != NULL && secret_len >= 1 && secret_len <= PP_TOTP_SECRET_BYTES_MAX);
    PP_ASSERT(out_size >= PP_OTPAUTH_URI_BYTES);
    out[0] = '\0';
    enum pp_status status = check_part(issuer, PP_OTPAUTH_ISSUER_BYTES_MAX, "issuer", err);
    if (status == PP_OK) {
        status = check_part(email, PP_EMAIL_BYTES_MAX, "e-mail", err);
    }
    if (status != PP_OK) {
        goto done;
    }
    sec_base32_encode(secret, secret_len, secret_text, sizeof secret_text);
    out_append(&o, uri_scheme, sizeof uri_scheme - 1);
    out_append_encoded(&o, issuer);
    out_append(&o, ":", 1);
    out_append_encoded(&o, email);
    out_append(&o, uri_secret, sizeof uri_secret - 1);
    out_append(&o, secret_text, strlen(secret_text));
    out_append(&o, uri_issuer, sizeof uri_issuer - 1);
    out_append_encoded(&o, issuer);
    out_append(&o, uri_tail, sizeof uri_tail - 1);
done:
    sec_wipe(secret_text, sizeof secret_text);
    return status;
}
