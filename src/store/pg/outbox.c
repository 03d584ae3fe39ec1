/*
** This module implements the PostgreSQL backend's outbox pieces that
** events.c, webhooks.c and deliveries.c share: configuring the outbox
** (the workers' wake-up, whether mail is sent), the wake-up itself, the
** read helper, the idempotent write and the endpoints' audit entries.
**
** The wake-up. SQLite's writer wakes the workers after the commit of a
** batch that added work. This backend's writer (writer.c) knows no table
** and has no such hook, so the order is turned round: an append marks
** what it added (store_pg_outbox_added, on the writer thread, inside the
** batch) and wakes the workers at once; a worker that finds the mark
** clears it and first queues an empty write (store_pg_outbox_sync), which
** the writer runs only after the marked batch has ended, so the worker
** then reads committed rows. A worker woken by its timer finds no mark
** and reads at once. Other nodes' commits reach a node's workers through
** that timer (PP_WEBHOOK_POLL_MS): no LISTEN/NOTIFY, on which correctness
** could not rest (spec section 10).
**
** It sends nothing and holds no SQL of its own.
*/
#include <stdio.h>

#include "payout/base/assert.h"
#include "store/pg/outbox.h"

void store_pg_outbox_configure(void *backend, store_outbox_wake_fn fn, void *ctx, int mail)
{
    struct store_pg *st = backend;
    st->outbox_wake = fn;
    st->outbox_wake_ctx = ctx;
    st->outbox_mail = mail;
}

void store_pg_outbox_added(struct store_pg *st, int deliveries, int notifications)
{
    if (deliveries) {
        atomic_store(&st->outbox_deliveries_added, 1);
    }
    if (notifications) {
        atomic_store(&st->outbox_notifications_added, 1);
    }
    if ((deliveries || notifications) && st->outbox_wake != NULL) {
        st->outbox_wake(st->outbox_wake_ctx);
    }
}

void store_pg_outbox_wake(struct store_pg *st)
{
    if (st->outbox_wake != NULL) {
        st->outbox_wake(st->outbox_wake_ctx);
    }
}

static enum pp_status sync_step(struct pg_tx *tx, void *arg, struct pp_err *err)
{
    (void)tx, (void)arg, (void)err;
    return PP_OK;
}

enum pp_status store_pg_outbox_sync(struct store_pg *st, atomic_int *added, struct pp_err *err)
{
    if (!atomic_exchange(added, 0)) {
        return PP_OK;
    }
    /* Queued behind the marked batch: it returns once that one has ended. */
    enum pp_status status = store_pg_write(st, sync_step, NULL, err);
    if (status != PP_OK) {
        /* Looked at again on the next pass. */
        atomic_store(added, 1);
    }
    return status;
}

enum pp_status store_pg_outbox_read(struct store_pg *st, enum pg_stmt id, const struct pg_params *p,
                                    PGresult **res, const char *what, struct pp_err *err)
{
    struct pg_conn *c = NULL;
    *res = NULL;
    enum pp_status status = store_pg_reader_acquire(st, &c, err);
    if (status == PP_OK) {
        status = store_pg_run(c, id, p, res, NULL, what, err);
        store_pg_reader_release(st, c);
    }
    return status;
}

/* An operation's step with the request's Idempotency-Key row recorded in
** the same savepoint after it. */
struct keyed {
    store_pg_write_fn fn;
    void *arg;
    const struct store_write_ctx *w;
};

static enum pp_status keyed_run(struct pg_tx *tx, void *arg, struct pp_err *err)
{
    struct keyed *k = arg;
    enum pp_status st = k->fn(tx, k->arg, err);
    if (st == PP_OK) {
        const struct store_idem_key *idem = k->w->idem;
        st = store_pg_tx_idem_insert(tx, idem->scope, idem->key, idem->fingerprint, k->w->now_ms,
                                     err);
    }
    return st;
}

enum pp_status store_pg_outbox_write(struct store_pg *st, const struct store_write_ctx *w,
                                     store_pg_write_fn fn, void *arg, struct pp_err *err)
{
    if (w == NULL || w->idem == NULL) {
        return store_pg_write(st, fn, arg, err);
    }
    struct keyed k = {.fn = fn, .arg = arg, .w = w};
    return store_pg_write(st, keyed_run, &k, err);
}

enum pp_status store_pg_outbox_audit(struct pg_tx *tx, const struct pp_actor *actor, int64_t at_ms,
                                     const char *action, int64_t id, const char *detail,
                                     struct pp_err *err)
{
    static const struct pp_actor nobody = {.kind = PP_ACTOR_SYSTEM};
    char subject[40];
    snprintf(subject, sizeof subject, "webhook:%lld", (long long)id);
    struct pp_audit a = {
        .actor = actor != NULL ? actor : &nobody,
        .action = action,
        .subject = subject,
        .detail = detail != NULL ? detail : "",
        .at_ms = at_ms,
    };
    return store_pg_tx_audit_append(tx, &a, err);
}
