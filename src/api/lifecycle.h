/*
** This private header declares the lifecycle endpoints of api/lifecycle.c
** (authorize, receive, the authorization policy setting) for the
** route table, the authorization object writer for the settings answer,
** and the metadata reader the payout-request reader uses.
*/
#ifndef PAYOUT_API_LIFECYCLE_H
#define PAYOUT_API_LIFECYCLE_H

#include <jansson.h>

#include "payout/api/api.h"
#include "payout/api/jsonw.h"
#include "payout/base/buf.h"
#include "payout/core/auth_policy.h"
#include "payout/core/bulk.h"
#include "payout/core/receive.h"
#include "payout/status.h"

void api_payment_authorize(struct core_app *app, struct api_request *req,
                           struct api_response *resp);
void api_payment_receive(struct core_app *app, struct api_request *req, struct api_response *resp);
void api_admin_authorization_put(struct core_app *app, struct api_request *req,
                                 struct api_response *resp);

/* Writes the policy as {"mode":"above","thresholds":{"GBP":100}}
** (thresholds in major units, by currency code). */
void api_write_authorization(struct jw *w, const struct core_auth_policy *p);

/* Checks a payout's "metadata" value (a flat JSON object: at most
** PP_METADATA_KEYS_MAX keys of 1..PP_METADATA_KEY_BYTES_MAX bytes; values
** string (<= PP_METADATA_STRING_BYTES_MAX bytes), number, boolean or null)
** and appends its compact text to out: keys in the order sent, integers as
** integers, reals as their shortest round-tripping decimal (always with a
** '.' or an exponent, so 1.0 stays a real), so every value reads back
** exactly as sent. PP_INVALID_PARAMS with the reason otherwise, also when
** the text exceeds PP_METADATA_BYTES_MAX bytes. */
enum pp_status api_metadata_compact(const json_t *value, struct pp_buf *out, struct pp_err *err);

#endif /* PAYOUT_API_LIFECYCLE_H */
