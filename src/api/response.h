/*
** This private header declares what handlers answer with besides the
** public envelope of payout/api/api.h (api/response.c): an error from a
** pp_err, and the writers of the values every answer uses (amounts, dates,
** balances).
*/
#ifndef PAYOUT_API_RESPONSE_H
#define PAYOUT_API_RESPONSE_H

#include "payout/api/api.h"
#include "payout/api/jsonw.h"
#include "payout/model.h"
#include "payout/status.h"

/* Answers err as the error envelope (err must hold an error). */
void api_err_respond(struct api_response *resp, const struct pp_err *err);

/* Writers of values; each writes one JSON value. */
void api_amount_write(struct jw *w, int64_t minor, const char *currency);
/* The same for a 128-bit figure (a sum of amounts, a lifetime total): the
** exact decimal, however large. */
void api_amount_wide_write(struct jw *w, __int128 minor, const char *currency);
void api_date_write(struct jw *w, int64_t ms);
void api_balance_write(struct jw *w, const struct pp_balance *b);

#endif /* PAYOUT_API_RESPONSE_H */
