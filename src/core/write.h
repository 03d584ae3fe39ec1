/*
** This private header of core declares the one door of every core write: the write
** context that each module of core hands to a store operation with its
** data. It says who acts and when, and, for a request that carries an
** Idempotency-Key whose key is not recorded yet, that key, which the store
** records in the same savepoint as the operation (see
** payout/core/idempotency.h). The operations themselves, with their audit
** entries, are the store's (payout/store/store.h).
*/
#ifndef PAYOUT_CORE_WRITE_H
#define PAYOUT_CORE_WRITE_H

#include <stdint.h>

#include "payout/model.h"
#include "payout/status.h"
#include "payout/store/store.h"

struct core_idem_request;

/* One write's context, filled by core_write_begin. */
struct core_write {
    struct store_write_ctx ctx;  /* what the store operation is handed */
    struct store_idem_key key;   /* ctx.idem points here when it is set */
    struct core_idem_request *r; /* the keyed request, or NULL */
};

/* Starts a write by actor at now_ms: cw->ctx carries the calling thread's
** keyed request's key when it has one not yet recorded. */
void core_write_begin(struct core_write *cw, const struct pp_actor *actor, int64_t now_ms);

/* Ends the write begun in cw with the operation's status: on PP_OK the
** keyed request is marked recorded (its key committed with the change). */
void core_write_end(struct core_write *cw, enum pp_status status);

#endif /* PAYOUT_CORE_WRITE_H */
