/*
** This private header declares the part of the request pipeline
** (api/pipeline.c) that a handler calls itself: the log-in lockout, which
** must wait until the handler has read a well-formed credential (bad
** input is not a guess). The pipeline's entry point, api_route_run, is
** the HTTP layer's (payout/api/api.h).
*/
#ifndef PAYOUT_API_PIPELINE_H
#define PAYOUT_API_PIPELINE_H

#include "payout/api/api.h"
#include "payout/core/lockout.h"
#include "payout/status.h"

/* Reserves an attempt at log-in `which` for the caller's address: 0 when
** it may go ahead (then call api_login_settle), else -1 after answering
** 429 RATE_LIMITED with Retry-After into resp. */
int api_login_reserve(struct core_app *app, const struct api_request *req,
                      struct api_response *resp, enum core_login which);

/* Settles the reserved attempt with the log-in's outcome: only
** wrong_credential counts as a failure (for a user's sign-in, a wrong
** password and a wrong two-factor code alike); PP_OTP_REQUIRED neither
** counts nor forgets; success forgets the address, and bad input or a
** storage fault is not a guess. */
void api_login_settle(struct core_app *app, const struct api_request *req, enum core_login which,
                      enum pp_status status, enum pp_status wrong_credential);

/* The session cookie's name: "__Host-pp_session" under HTTPS (no other
** host of the domain can set it), "pp_session" over plain HTTP, where
** browsers refuse the __Host- prefix. */
const char *api_session_cookie_name(int secure);

#endif /* PAYOUT_API_PIPELINE_H */
