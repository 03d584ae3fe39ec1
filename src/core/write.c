/*
** This module implements core_write_begin/end, the one door of every core
** write: the store operation's context (actor, moment) with the
** Idempotency-Key of the thread's keyed request, when that key is not
** recorded yet, so a committed action always leaves its key and a
** rolled-back one never does; the request is marked recorded once the
** operation is durable. It keeps no state of its own and knows no table:
** the keyed request is the thread's (idempotency.c).
*/
#include "write.h"

#include "internal.h"
#include "payout/base/assert.h"
#include "payout/core/idempotency.h"

void core_write_begin(struct core_write *cw, const struct pp_actor *actor, int64_t now_ms)
{
    cw->ctx.actor = actor;
    cw->ctx.now_ms = now_ms;
    cw->ctx.idem = NULL;
    cw->r = core_idem_current();
    if (cw->r != NULL && cw->r->recorded) {
        cw->r = NULL;
    }
    if (cw->r != NULL) {
        PP_ASSERT(cw->r->registered);
        cw->key.scope = cw->r->scope;
        cw->key.key = cw->r->key;
        cw->key.fingerprint = cw->r->fingerprint;
        cw->ctx.idem = &cw->key;
    }
}

void core_write_end(struct core_write *cw, enum pp_status status)
{
    if (cw->r != NULL && status == PP_OK) {
        cw->r->recorded = 1;
    }
}
