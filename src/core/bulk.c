/*
** This module implements the bulk state changes of payouts over a list of
** ids: cancel (any open payout, releasing its funds), authorize
** (UNAUTHORIZED -> READY while the window is open) and expire (open and
** ended, releasing its funds). One runner does all three: in one
** transaction it re-reads each id (unknown ones and repeats fall out by
** eligibility), applies the change to the eligible ones and appends one
** audit entry naming them. It does not decide when expiry runs (expiry.c).
*/
#include "payout/core/bulk.h"

#include <inttypes.h>
#include <stdio.h>

#include "internal.h"
#include "payout/base/buf.h"
#include "payout/core/dates.h"
#include "payout/core/write.h"

/* A bulk state change: which payouts take part and what happens to each. */
struct bulk {
    const int64_t *ids;
    size_t count;
    int64_t now_ms;
    /* 1 when p (re-read inside the transaction) takes part. */
    int (*eligible)(const struct pp_payout *p, int64_t now_ms);
    /* Changes p inside the transaction. */
    enum pp_status (*apply)(struct store_tx *tx, const struct pp_payout *p, int64_t now_ms,
                            struct pp_err *err);
    const struct pp_actor *actor;
    const char *action; /* audit action, e.g. "payment.cancel" */
    int64_t done;       /* out: how many payouts changed */
};

/* Closes open payout p as `to` (CANCELLED or EXPIRED) at now_ms and
** releases its blocked funds (one RELEASE ledger row). */
static enum pp_status close_released(struct store_tx *tx, const struct pp_payout *p,
                                     enum pp_payout_status to, int64_t now_ms, struct pp_err *err)
{
    enum pp_status st = store_tx_payout_set_status(tx, p->id, to, now_ms, NULL, err);
    if (st == PP_OK) {
        struct pp_movement release = {
            .currency = p->currency,
            .kind = PP_LEDGER_RELEASE,
            .d_available = p->amount_minor,
            .d_blocked = -p->amount_minor,
            .payout_id = p->id,
            .at_ms = now_ms,
        };
        st = store_tx_funds_move(tx, &release, NULL, err);
    }
    return st;
}

static enum pp_status write_bulk(struct store_tx *tx, void *arg, struct pp_err *err)
{
    struct bulk *b = arg;
    enum pp_status st = PP_OK;
    struct pp_buf subject;
    pp_buf_init(&subject);
    b->done = 0;
    for (size_t i = 0; i < b->count && st == PP_OK; i++) {
        struct pp_payout p;
        struct pp_err miss = {0};
        enum pp_status got = store_tx_payout_get(tx, b->ids[i], &p, &miss);
        if (got == PP_NOT_FOUND || (got == PP_OK && !b->eligible(&p, b->now_ms))) {
            continue;
        }
        if (got != PP_OK) {
            st = pp_err_set(err, got, "%s", miss.message);
            break;
        }
        st = b->apply(tx, &p, b->now_ms, err);
        if (st == PP_OK) {
            core_audit_subject_add(&subject, p.id);
            b->done++;
        }
    }
    if (st == PP_OK && b->done > 0) {
        st = core_audit_append(tx, b->actor, b->action, subject.data, NULL, b->now_ms, err);
    }
    pp_buf_free(&subject);
    return st;
}

/* --- Cancel ------------------------------------------------------------ */

/* Cancel: any open payout, whatever its window. */
static int cancel_eligible(const struct pp_payout *p, int64_t now_ms)
{
    (void)now_ms;
    return pp_payout_status_is_open(p->status);
}

static enum pp_status cancel_apply(struct store_tx *tx, const struct pp_payout *p, int64_t now_ms,
                                   struct pp_err *err)
{
    return close_released(tx, p, PP_PAYOUT_CANCELLED, now_ms, err);
}

/* Runs b in one transaction; b->done = 0 when it failed. */
static enum pp_status bulk_run(struct core_app *app, struct bulk *b, struct pp_err *err)
{
    enum pp_status st = core_write_run(app, write_bulk, b, err);
    if (st != PP_OK) {
        b->done = 0;
    }
    return st;
}

enum pp_status core_payout_cancel(struct core_app *app, const int64_t *ids, size_t count,
                                  const struct pp_actor *actor, int64_t *cancelled_out,
                                  struct pp_err *err)
{
    struct bulk b = {
        .ids = ids,
        .count = count,
        .now_ms = core_now_ms(),
        .eligible = cancel_eligible,
        .apply = cancel_apply,
        .actor = actor,
        .action = "payment.cancel",
    };
    enum pp_status st = bulk_run(app, &b, err);
    *cancelled_out = b.done;
    return st;
}

/* --- Authorize --------------------------------------------------------- */

/* A payout whose window has ended is about to expire: authorizing it
** would make it READY for nothing. A repeat is READY by now. */
static int authorize_eligible(const struct pp_payout *p, int64_t now_ms)
{
    return p->status == PP_PAYOUT_UNAUTHORIZED && p->end_ms >= now_ms;
}

static enum pp_status authorize_apply(struct store_tx *tx, const struct pp_payout *p,
                                      int64_t now_ms, struct pp_err *err)
{
    return store_tx_payout_set_status(tx, p->id, PP_PAYOUT_READY, now_ms, NULL, err);
}

enum pp_status core_payout_authorize(struct core_app *app, const int64_t *ids, size_t count,
                                     const struct pp_actor *actor, int64_t *authorized_out,
                                     struct pp_err *err)
{
    struct bulk b = {
        .ids = ids,
        .count = count,
        .now_ms = core_now_ms(),
        .eligible = authorize_eligible,
        .apply = authorize_apply,
        .actor = actor,
        .action = "payment.authorize",
    };
    enum pp_status st = bulk_run(app, &b, err);
    *authorized_out = b.done;
    return st;
}

/* --- Expire ------------------------------------------------------------ */

/* The list was a snapshot: since then the payout may have been
** cancelled, received or expired by someone else. */
static int expire_eligible(const struct pp_payout *p, int64_t now_ms)
{
    return pp_payout_status_is_open(p->status) && p->end_ms < now_ms;
}

static enum pp_status expire_apply(struct store_tx *tx, const struct pp_payout *p, int64_t now_ms,
                                   struct pp_err *err)
{
    return close_released(tx, p, PP_PAYOUT_EXPIRED, now_ms, err);
}

enum pp_status core_payout_expire(struct core_app *app, const int64_t *ids, size_t count,
                                  int64_t now_ms, int64_t *expired_out, struct pp_err *err)
{
    static const struct pp_actor system_actor = {.kind = PP_ACTOR_SYSTEM};
    struct bulk b = {
        .ids = ids,
        .count = count,
        .now_ms = now_ms,
        .eligible = expire_eligible,
        .apply = expire_apply,
        .actor = &system_actor,
        .action = "payment.expire",
    };
    enum pp_status st = bulk_run(app, &b, err);
    *expired_out = b.done;
    return st;
}
