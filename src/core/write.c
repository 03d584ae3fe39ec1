/*
** This module implements core_write_run, the one door of every core write,
** and the audit append that each write's callback makes. A write of a
** request that carries an Idempotency-Key gets the key's row in the same
** savepoint as its action (so a committed action always leaves its key and
** a rolled-back one never does), and the request is marked recorded once
** the commit is durable. It keeps no state of its own and knows no table:
** the transaction is the store's, the keyed request the thread's
** (idempotency.c).
*/
#include "payout/core/write.h"

#include <inttypes.h>
#include <stdio.h>

#include "internal.h"
#include "payout/base/assert.h"
#include "payout/core/dates.h"
#include "payout/core/idempotency.h"
#include "payout/store/audit.h"
#include "payout/store/idempotency.h"

#define AUDIT_SUBJECT_PAYOUT "payout:"

/* The action's callback with the key's row added to its transaction. */
struct keyed_write {
    core_write_fn fn;
    void *arg;
    const struct core_idem_request *r;
    int64_t now_ms;
};

static enum pp_status write_keyed(struct store_tx *tx, void *arg, struct pp_err *err)
{
    struct keyed_write *w = arg;
    enum pp_status st = w->fn(tx, w->arg, err);
    if (st == PP_OK) {
        /* Same savepoint: if this fails, the action is rolled back too. */
        st = store_tx_idem_insert(tx, w->r->scope, w->r->key, w->r->fingerprint, w->now_ms, err);
    }
    return st;
}

enum pp_status core_write_run(struct core_app *app, core_write_fn fn, void *arg, struct pp_err *err)
{
    /* A request with an Idempotency-Key records its key in the transaction
    ** of its first write (its action): see core/idempotency.h. */
    struct core_idem_request *r = core_idem_current();
    if (r == NULL || r->recorded) {
        return store_write(app->store, fn, arg, err);
    }
    PP_ASSERT(r->registered);
    struct keyed_write w = {.fn = fn, .arg = arg, .r = r, .now_ms = core_now_ms()};
    enum pp_status st = store_write(app->store, write_keyed, &w, err);
    if (st == PP_OK) {
        r->recorded = 1;
    }
    return st;
}

enum pp_status core_audit_append(struct store_tx *tx, const struct pp_actor *actor,
                                 const char *action, const char *subject, const char *detail,
                                 int64_t now_ms, struct pp_err *err)
{
    struct pp_audit a = {
        .actor = actor,
        .action = action,
        .subject = subject != NULL ? subject : "",
        .detail = detail != NULL ? detail : "",
        .at_ms = now_ms,
    };
    return store_tx_audit_append(tx, &a, err);
}

void core_audit_subject_format(int64_t id, char out[CORE_AUDIT_SUBJECT_BYTES])
{
    snprintf(out, CORE_AUDIT_SUBJECT_BYTES, AUDIT_SUBJECT_PAYOUT "%" PRId64, id);
}

void core_audit_subject_add(struct pp_buf *subject, int64_t id)
{
    if (subject->len == 0) {
        pp_buf_puts(subject, AUDIT_SUBJECT_PAYOUT);
        pp_buf_printf(subject, "%" PRId64, id);
    } else {
        pp_buf_printf(subject, ",%" PRId64, id);
    }
}
