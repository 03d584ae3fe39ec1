/*
** This module implements the bulk state changes of payouts over a list of
** ids: cancel (any open payout, releasing its funds), authorize
** (UNAUTHORIZED -> READY while the window is open) and expire (open and
** ended, releasing its funds). Each is one store operation
** (store_payouts_change), which re-reads every id inside its transaction,
** changes the eligible ones and appends one audit entry naming them. It
** does not decide when expiry runs (expiry.c).
*/
#include "payout/core/bulk.h"

#include "internal.h"
#include "payout/core/dates.h"
#include "write.h"

/* Runs change over ids by actor at now_ms; *done_out = 0 when it failed. */
static enum pp_status bulk_run(struct core_app *app, enum store_payout_change change,
                               const int64_t *ids, size_t count, const struct pp_actor *actor,
                               int64_t now_ms, int64_t *done_out, struct pp_err *err)
{
    struct core_write cw;
    core_write_begin(&cw, actor, now_ms);
    enum pp_status st =
        store_payouts_change(app->store, &cw.ctx, change, ids, count, done_out, err);
    core_write_end(&cw, st);
    return st;
}

enum pp_status core_payout_cancel(struct core_app *app, const int64_t *ids, size_t count,
                                  const struct pp_actor *actor, int64_t *cancelled_out,
                                  struct pp_err *err)
{
    return bulk_run(app, STORE_PAYOUT_CANCEL, ids, count, actor, core_now_ms(), cancelled_out, err);
}

enum pp_status core_payout_authorize(struct core_app *app, const int64_t *ids, size_t count,
                                     const struct pp_actor *actor, int64_t *authorized_out,
                                     struct pp_err *err)
{
    return bulk_run(app, STORE_PAYOUT_AUTHORIZE, ids, count, actor, core_now_ms(), authorized_out,
                    err);
}

enum pp_status core_payout_expire(struct core_app *app, const int64_t *ids, size_t count,
                                  int64_t now_ms, int64_t *expired_out, struct pp_err *err)
{
    static const struct pp_actor system_actor = {.kind = PP_ACTOR_SYSTEM};
    return bulk_run(app, STORE_PAYOUT_EXPIRE, ids, count, &system_actor, now_ms, expired_out, err);
}
