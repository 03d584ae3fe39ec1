/*
** This module implements struct pp_err (first error wins) and the one
** table that maps each pp_status to its error-envelope type and HTTP code.
*/
#include "payout/status.h"

#include <stdio.h>
#include <string.h>

#include "payout/base/assert.h"

static const struct {
    const char *type;
    unsigned http;
} status_table[PP_STATUS_COUNT] = {
    [PP_OK] = {"OK", 200},
    [PP_INVALID_PARAMS] = {"INVALID_PARAMS", 400},
    [PP_BAD_CREDENTIALS] = {"INVALID_PARAMS", 401},
    [PP_INSUFFICIENT_FUNDS] = {"INSUFFICIENT_FUNDS", 422},
    [PP_UNAUTHORIZED] = {"UNAUTHORIZED", 401},
    [PP_FORBIDDEN] = {"FORBIDDEN", 403},
    [PP_NOT_FOUND] = {"NOT_FOUND", 404},
    [PP_METHOD_NOT_ALLOWED] = {"METHOD_NOT_ALLOWED", 405},
    [PP_CONFLICT] = {"CONFLICT", 409},
    [PP_PAYLOAD_TOO_LARGE] = {"PAYLOAD_TOO_LARGE", 413},
    [PP_UNSUPPORTED_MEDIA_TYPE] = {"UNSUPPORTED_MEDIA_TYPE", 415},
    [PP_RATE_LIMITED] = {"RATE_LIMITED", 429},
    [PP_INTERNAL] = {"INTERNAL", 500},
    [PP_UNAVAILABLE] = {"UNAVAILABLE", 503},
    [PP_OTP_REQUIRED] = {"OTP_REQUIRED", 401},
};

void pp_err_clear(struct pp_err *err)
{
    if (err != NULL) {
        err->status = PP_OK;
        err->message[0] = '\0';
    }
}

enum pp_status pp_err_set(struct pp_err *err, enum pp_status status, const char *fmt, ...)
{
    PP_ASSERT(status != PP_OK && status < PP_STATUS_COUNT);
    if (err != NULL && err->status == PP_OK) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
        err->status = status;
    }
    return status;
}

const char *pp_status_type(enum pp_status status)
{
    if ((unsigned)status >= PP_STATUS_COUNT) {
        return "INTERNAL";
    }
    return status_table[status].type;
}

unsigned pp_status_http(enum pp_status status)
{
    if ((unsigned)status >= PP_STATUS_COUNT) {
        return 500;
    }
    return status_table[status].http;
}
