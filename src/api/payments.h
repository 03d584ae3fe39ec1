/*
** This private header shares the payout-request reader of payments.c with
** the other modules that create payouts from JSON (bulk lists).
*/
#ifndef PAYOUT_API_PAYMENTS_H
#define PAYOUT_API_PAYMENTS_H

#include <jansson.h>

#include "payout/core/payouts.h"
#include "payout/status.h"

/* The fields a create body (or one row of a list) may carry, NULL-ended. */
extern const char *const api_payout_request_fields[];

/* Reads a create body (already checked against api_payout_request_fields)
** into *out; the first problem lands in err. Strings in *out are borrowed
** from body, except the compact metadata text, which is allocated in
** arena. */
void api_payout_request_read(json_t *body, struct pp_arena *arena, struct core_payout_request *out,
                             struct pp_err *err);

#endif /* PAYOUT_API_PAYMENTS_H */
