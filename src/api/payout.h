/*
** This private header declares the JSON of a payout (api/payout.c): the
** create request's fields and their reader, the metadata object, and the
** payout record writer.
*/
#ifndef PAYOUT_API_PAYOUT_H
#define PAYOUT_API_PAYOUT_H

#include <jansson.h>

#include "payout/api/jsonw.h"
#include "payout/base/arena.h"
#include "payout/base/buf.h"
#include "payout/core/app.h"
#include "payout/core/payouts.h"
#include "payout/model.h"
#include "payout/model/event.h"
#include "payout/status.h"

/* The fields a create body (or one row of a list) may carry, NULL-ended. */
extern const char *const api_payout_request_fields[];

/* Reads a create body (already checked against api_payout_request_fields)
** into *out; the first problem lands in err. Strings in *out are borrowed
** from body, except the compact metadata text, which is allocated in
** arena. */
void api_payout_request_read(json_t *body, struct pp_arena *arena, struct core_payout_request *out,
                             struct pp_err *err);

/* Checks a payout's "metadata" value (a flat JSON object: at most
** PP_METADATA_KEYS_MAX keys of 1..PP_METADATA_KEY_BYTES_MAX bytes; values
** string (<= PP_METADATA_STRING_BYTES_MAX bytes), number, boolean or null)
** and appends its compact text to out: keys in the order sent, integers as
** integers, reals as their shortest round-tripping decimal (always with a
** '.' or an exponent, so 1.0 stays a real), so every value reads back
** exactly as sent. PP_INVALID_PARAMS with the reason otherwise, also when
** the text exceeds PP_METADATA_BYTES_MAX bytes. */
enum pp_status api_metadata_compact(const json_t *value, struct pp_buf *out, struct pp_err *err);

/* Writes p as the payout object of every answer. */
void api_payout_write(struct jw *w, const struct pp_payout *p);

/* The same with its "notifications" (spec section 9), as GET
** /api/payments/{id} answers it. */
void api_payout_notified_write(struct jw *w, const struct pp_payout *p,
                               const struct pp_notification *notes, size_t count);

#endif /* PAYOUT_API_PAYOUT_H */
