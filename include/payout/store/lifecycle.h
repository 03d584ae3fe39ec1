/*
** This header declares the storage the payout lifecycle needs beyond
** store.h: finding the open payouts whose window has ended, for expiry.
** The status changes and funds moves themselves are store.h's
** store_payouts_change (STORE_PAYOUT_EXPIRE).
*/
#ifndef PAYOUT_STORE_LIFECYCLE_H
#define PAYOUT_STORE_LIFECYCLE_H

#include <stddef.h>
#include <stdint.h>

#include "payout/model.h"
#include "payout/status.h"

struct store;

/* The ids of up to cap open (UNAUTHORIZED or READY) payouts whose end_ms is
** before now_ms, earliest end first, read from the reader pool through the
** partial index payouts_open_end (so the cost follows the number of ended
** payouts, not the table). ids_out[0..*count_out). A snapshot: the caller
** re-reads each payout inside its write transaction before acting. */
enum pp_status store_payouts_ended_list(struct store *st, int64_t now_ms, int64_t *ids_out,
                                        size_t cap, size_t *count_out, struct pp_err *err);

/* How many payouts are open (UNAUTHORIZED or READY) per currency that has
** any, ordered by currency, into out[0..cap); *count_out = rows written.
** For GET /metrics. */
enum pp_status store_payouts_open_count(struct store *st, struct pp_open_count *out, size_t cap,
                                        size_t *count_out, struct pp_err *err);

#endif /* PAYOUT_STORE_LIFECYCLE_H */
