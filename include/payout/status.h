/*
** This header defines the outcome of every operation that can fail for a
** reason outside the program (bad input, missing row, storage fault):
** enum pp_status, and struct pp_err, a caller-owned error where the first
** error set wins. Programmer errors use PP_ASSERT (base/assert.h) instead.
*/
#ifndef PAYOUT_STATUS_H
#define PAYOUT_STATUS_H

#include <stdarg.h>

enum pp_status {
    PP_OK = 0,
    PP_INVALID_PARAMS,         /* 400: missing/empty/invalid value */
    PP_BAD_CREDENTIALS,        /* 401 INVALID_PARAMS: wrong authentication password */
    PP_INSUFFICIENT_FUNDS,     /* 422 */
    PP_UNAUTHORIZED,           /* 401: bad/missing/expired/revoked token, bad login */
    PP_FORBIDDEN,              /* 403: valid token, wrong role */
    PP_NOT_FOUND,              /* 404 */
    PP_METHOD_NOT_ALLOWED,     /* 405 */
    PP_CONFLICT,               /* 409 */
    PP_PAYLOAD_TOO_LARGE,      /* 413 */
    PP_UNSUPPORTED_MEDIA_TYPE, /* 415 */
    PP_RATE_LIMITED,           /* 429 */
    PP_INTERNAL,               /* 500: bug or storage fault; message is generic */
    PP_UNAVAILABLE,            /* 503: storage busy, full or read-only */
    PP_OTP_REQUIRED,           /* 401 OTP_REQUIRED: right password, two-factor code missing */
    PP_STATUS_COUNT
};

/* Room for one human-readable message. */
#define PP_ERR_MESSAGE_BYTES 256

struct pp_err {
    enum pp_status status; /* PP_OK while no error was set */
    char message[PP_ERR_MESSAGE_BYTES];
};

/* Resets err to "no error". err may be NULL (no-op). */
void pp_err_clear(struct pp_err *err);

/* Records an error unless one is already recorded (the first error wins)
** and returns status, so callers can write `return pp_err_set(err, ...)`.
** status must not be PP_OK. err may be NULL: then only status is returned. */
enum pp_status pp_err_set(struct pp_err *err, enum pp_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The error envelope's "type" for status ("INVALID_PARAMS", ...). Never NULL. */
const char *pp_status_type(enum pp_status status);

/* The HTTP status code for status (200 for PP_OK). */
unsigned pp_status_http(enum pp_status status);

#endif /* PAYOUT_STATUS_H */
