/*
** This header declares the context of a store write operation (who acts,
** when, and the request's Idempotency-Key when it carries one). It stands
** in until the store's domain-operation interface declares it in
** payout/store/store.h, and then goes.
*/
#ifndef PAYOUT_STORE_WRITE_CTX_H
#define PAYOUT_STORE_WRITE_CTX_H

#include <stdint.h>

#include "payout/model.h"

struct store_idem_key;

struct store_write_ctx {
    const struct pp_actor *actor;
    int64_t now_ms;
    const struct store_idem_key *idem;
};

#endif /* PAYOUT_STORE_WRITE_CTX_H */
