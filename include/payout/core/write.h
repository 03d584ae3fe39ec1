/*
** This header declares the one door of every core write and the audit
** append that goes with it. Every module of core that changes something
** hands a callback to core_write_run, which runs it in the store's next
** group-commit transaction (see store_write) and, for a request that
** carries an Idempotency-Key, records that key in the same transaction
** (see payout/core/idempotency.h). Inside the callback, core_audit_append
** adds the action's audit entry, so the change and its record commit or
** vanish together.
*/
#ifndef PAYOUT_CORE_WRITE_H
#define PAYOUT_CORE_WRITE_H

#include <stdint.h>

#include "payout/base/buf.h"
#include "payout/model.h"
#include "payout/status.h"

struct core_app;
struct store_tx;

/* A write callback: the same contract as the store's (it runs on the
** writer thread, may run more than once, and only uses the transaction's
** calls). */
typedef enum pp_status (*core_write_fn)(struct store_tx *tx, void *arg, struct pp_err *err);

/* Runs fn(tx, arg, err) in one transaction and waits until it is durable.
** When the calling thread has a keyed request whose key is not recorded
** yet, the key's row is inserted in the same savepoint after fn and the
** request is marked recorded once the commit is durable. Same results as
** store_write. */
enum pp_status core_write_run(struct core_app *app, core_write_fn fn, void *arg,
                              struct pp_err *err);

/* Appends an audit entry for actor inside tx. subject and detail may be
** NULL (stored as ""). */
enum pp_status core_audit_append(struct store_tx *tx, const struct pp_actor *actor,
                                 const char *action, const char *subject, const char *detail,
                                 int64_t now_ms, struct pp_err *err);

/* Bytes of the audit subject of one payout, "payout:<id>", with its NUL. */
#define CORE_AUDIT_SUBJECT_BYTES 32

/* Writes the audit subject of payout id ("payout:12") into out. */
void core_audit_subject_format(int64_t id, char out[CORE_AUDIT_SUBJECT_BYTES]);

/* Adds payout id to the audit subject of several payouts: "payout:<id>"
** for the first, then ",<id>" for each next one ("payout:12,15"). */
void core_audit_subject_add(struct pp_buf *subject, int64_t id);

#endif /* PAYOUT_CORE_WRITE_H */
