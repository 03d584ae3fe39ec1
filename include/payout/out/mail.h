/*
** This header declares the composition of a recipient notification e-mail
** (spec §9): one RFC 5322 message, multipart/alternative with a text/plain
** and a text/html part (UTF-8, quoted-printable), naming the amount and
** currency, the project, the description and the window in UTC, and
** nothing secret.
**
** Header safety: no input byte below 0x20 (CR and LF among them) or DEL
** reaches the message as such; such characters become spaces in every
** value, invalid UTF-8 becomes U+FFFD, a Subject that is not short plain
** ASCII is sent as RFC 2047 encoded-words folded below 78 characters, and
** the addresses, payout id, amount and currency are validated, not
** cleaned. Every value in the HTML part is HTML-escaped.
*/
#ifndef PAYOUT_OUT_MAIL_H
#define PAYOUT_OUT_MAIL_H

#include <stdint.h>

#include "payout/base/buf.h"
#include "payout/limits.h"
#include "payout/status.h"

enum out_mail_kind {
    OUT_MAIL_READY,    /* the payout became READY: it may be received */
    OUT_MAIL_RECEIVED, /* the payout was received */
};

/* What the message says; every pointer borrowed and NUL-terminated. */
struct out_mail_payout {
    enum out_mail_kind kind;
    const char *uuid;        /* the payout's uniqueId: 36 characters of hex and '-' */
    const char *amount;      /* as the API shows it: digits and one optional '.' */
    const char *currency;    /* three capital letters */
    const char *project;     /* the project's name, 1..PP_PROJECT_NAME_BYTES_MAX bytes */
    const char *description; /* "" for none, at most PP_DESCRIPTION_BYTES_MAX bytes */
    int64_t start_ms;        /* the window, Unix ms */
    int64_t end_ms;
};

/* Who sends to whom, and when; addresses borrowed. */
struct out_mail_envelope {
    const char *from; /* --smtp-from: a valid address (out_mail_address_valid) */
    const char *to;   /* the recipient's e-mail: a valid address */
    int64_t date_ms;  /* the Date header, Unix ms */
};

/* Appends the whole message to out (CRLF line ends, ending in CRLF, no
** NUL) and returns PP_OK. The Message-ID is
** <payout-{uuid}-{ready|received}@{domain of from}>, the same for the same
** payout and kind, so a message sent twice is recognisably one.
** PP_INVALID_PARAMS, with a message naming the field, for an invalid
** address, uuid, amount or currency, or a project or description over its
** limit; out is then unchanged. */
enum pp_status out_mail_compose(const struct out_mail_envelope *env,
                                const struct out_mail_payout *payout, struct pp_buf *out,
                                struct pp_err *err);

/* A conservative check of an address for From, To and the SMTP envelope:
** local@domain, at most PP_EMAIL_BYTES_MAX bytes; the local part a
** dot-atom of letters, digits and !#$%&'*+/=?^_`{|}~- (no quoting, no
** leading, trailing or double dot, at most 64 bytes); the domain two or
** more labels of letters, digits and '-' (not first or last, at most 63
** bytes each), the last not all digits; no IP literals, no non-ASCII.
** Returns 1 when valid. addr may be NULL (invalid). */
int out_mail_address_valid(const char *addr);

#endif /* PAYOUT_OUT_MAIL_H */
