/*
** This header is the storage contract, with the read headers beside it
** (reads.h, reports.h, audit.h, idempotency.h, lifecycle.h): the store's
** one public face, used by core only. All SQL of the server lives behind
** these functions; nothing above store/ sees a connection or a statement.
** Each call goes to the backend the database was opened with (store.c
** picks it by the URL; src/store/backend.h is the table of operations a
** backend fills); SQLite (src/store/sqlite/) is the one built in, and what
** follows describes it. A PostgreSQL backend keeps the same contract
** (docs/architecture.md).
**
** Writes: every change goes through store_write(), which hands a callback
** to the single writer thread. The writer gathers whatever callbacks are
** waiting (up to PP_WRITER_BATCH_MAX), opens one transaction, runs each
** (a callback that fails is undone alone and does not fail its
** neighbours), commits once with synchronous=FULL, and only then wakes
** each caller with its own result. So a PP_OK from store_write
** means the change is on disk, and a failed commit fails every callback of
** the batch. Callbacks use only the store_tx_* functions below.
**
** Reads: the store_* read functions take a connection from a pool of
** read-only connections (WAL lets them run beside the writer) and see
** every change whose store_write has returned.
**
** Errors: constraint-level refusals are PP_INVALID_PARAMS / PP_CONFLICT /
** PP_NOT_FOUND / PP_INSUFFICIENT_FUNDS as documented per function;
** SQLITE_BUSY/LOCKED/FULL/READONLY/IOERR are PP_UNAVAILABLE (503) and any
** other SQLite failure PP_INTERNAL (500), with a generic message (details
** go to the log, never to the client).
*/
#ifndef PAYOUT_STORE_STORE_H
#define PAYOUT_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "payout/model.h"
#include "payout/status.h"

struct store;
struct store_tx;

/* --- Opening and migrations -------------------------------------------- */

/* Opens the database at path: a file path or "sqlite:<path>" is SQLite; a
** "postgres://" or "postgresql://" URL is PP_INVALID_PARAMS (no such
** backend is built in). SQLite: creates the file with mode 0600 if missing,
** along with its parent directory, sets WAL, synchronous=FULL,
** foreign_keys=ON, busy_timeout, applies pending migrations, opens
** `readers` read connections (1..PP_READERS_MAX) and starts the writer
** thread. *out is new: release it with store_close. */
enum pp_status store_open(const char *path, unsigned readers, struct store **out,
                          struct pp_err *err);

/* Lets queued writes finish, stops the writer, closes every connection and
** frees st. NULL is a no-op. */
void store_close(struct store *st);

/* Opens path (creating it as store_open does), applies the pending
** migrations and closes it. *applied_out = how many were applied. */
enum pp_status store_migrate(const char *path, int *applied_out, struct pp_err *err);

/* The highest migration version compiled into the binary. */
int store_schema_version_latest(void);

/* --- Writes: domain operations ---------------------------------------------
**
** The shape every whole write operation takes (payout/store/users.h): it
** reads what it must, decides by the rule its comment states, writes its
** rows, its audit entry and (when w->idem is set) its Idempotency-Key row,
** and commits or vanishes as one. */

/* An Idempotency-Key to record with the operation, in its savepoint. */
struct store_idem_key {
    const char *scope;
    const char *key;
    const uint8_t *fingerprint; /* STORE_IDEM_FINGERPRINT_BYTES (store/idempotency.h) */
};

/* Who writes, when, and the key to record with the change (NULL: none). */
struct store_write_ctx {
    const struct pp_actor *actor;
    int64_t now_ms;
    const struct store_idem_key *idem;
};

/* --- Writes ------------------------------------------------------------- */

/* A write callback: runs on the writer thread inside the batch's
** transaction. It must only use store_tx_* calls and its own arg; it must
** not block or call store_write. Returning non-PP_OK undoes everything it
** did. It may be called more than once for one store_write (when another
** callback of its batch fails after writing, the writer rolls the batch
** back and runs it again, see writer.c), so it derives everything from
** its inputs and the database and leaves its outputs as its last run
** sets them. */
typedef enum pp_status (*store_tx_fn)(struct store_tx *tx, void *arg, struct pp_err *err);

/* Runs fn(tx, arg, err) in the next batch and waits until that batch's
** commit is durable. Returns fn's status when it failed; PP_OK once the
** commit is on disk; PP_UNAVAILABLE/PP_INTERNAL when the commit failed (fn's
** effects are then gone too). Safe from any thread but the writer's. */
enum pp_status store_write(struct store *st, store_tx_fn fn, void *arg, struct pp_err *err);

/* Creates the project named name (exact, case-sensitive match) unless it
** exists; *id_out = its id. */
enum pp_status store_tx_project_ensure(struct store_tx *tx, const char *name, int64_t now_ms,
                                       int64_t *id_out, struct pp_err *err);

/* Looks up the recipient whose identifier `which` equals value exactly.
** *found_out = 1 and *out filled, or *found_out = 0. */
enum pp_status store_tx_recipient_find(struct store_tx *tx, enum pp_ident which, const char *value,
                                       struct pp_recipient *out, int *found_out,
                                       struct pp_err *err);

/* Inserts r when r->id == 0 (then sets r->id), else rewrites the stored
** recipient r->id with r's fields. Empty strings are stored as NULL. A
** uniqueness clash on an identifier is PP_INVALID_PARAMS. */
enum pp_status store_tx_recipient_save(struct store_tx *tx, struct pp_recipient *r, int64_t now_ms,
                                       struct pp_err *err);

/* Inserts p (p->id ignored, then set to the new id). p->uuid is required;
** p->metadata "" and p->authorized_ms 0 store NULL. */
enum pp_status store_tx_payout_insert(struct store_tx *tx, struct pp_payout *p, struct pp_err *err);

/* Reads payout id inside the transaction. PP_NOT_FOUND if there is none. */
enum pp_status store_tx_payout_get(struct store_tx *tx, int64_t id, struct pp_payout *out,
                                   struct pp_err *err);

/* Sets payout id's status to `to` and updated_ms to now_ms, and records
** now_ms as the moment of the step (authorized_ms when UNAUTHORIZED ->
** READY, received_ms, cancelled_ms or expired_ms). reference (NULL = keep)
** is the payout reference of a received payout. PP_NOT_FOUND if there is
** no such payout. The caller has checked the transition. */
enum pp_status store_tx_payout_set_status(struct store_tx *tx, int64_t id, enum pp_payout_status to,
                                          int64_t now_ms, const char *reference,
                                          struct pp_err *err);

/* Reads the balance of currency (zeros when it has no row yet) inside the
** transaction; out->currency is set. */
enum pp_status store_tx_balance_get(struct store_tx *tx, const char *currency,
                                    struct pp_balance *out, struct pp_err *err);

/* Applies m's deltas to the balance of m->currency (the row is created at
** zero on first use) and appends one ledger row. If available or blocked
** would become negative: PP_INSUFFICIENT_FUNDS, nothing changed. If a figure
** would exceed PP_BALANCE_MINOR_MAX: PP_INVALID_PARAMS. *after_out (may be
** NULL) receives the balance after the move. */
enum pp_status store_tx_funds_move(struct store_tx *tx, const struct pp_movement *m,
                                   struct pp_balance *after_out, struct pp_err *err);

/* Sets settings[key] = value (insert or replace). */
enum pp_status store_tx_setting_put(struct store_tx *tx, const char *key, const char *value,
                                    struct pp_err *err);

/* Reads settings[key] inside the transaction (see store_setting_get). */
enum pp_status store_tx_setting_get(struct store_tx *tx, const char *key, char *out,
                                    size_t out_size, int *found_out, struct pp_err *err);

/* Inserts an admin; e-mail compared case-insensitively. PP_CONFLICT if one
** with that e-mail exists. *id_out = new id. */
enum pp_status store_tx_admin_insert(struct store_tx *tx, const char *email,
                                     const char *password_hash, int64_t now_ms, int64_t *id_out,
                                     struct pp_err *err);

/* Replaces the password hash of the admin with this e-mail and bumps its
** token_generation. PP_NOT_FOUND if there is no such admin. */
enum pp_status store_tx_admin_set_password(struct store_tx *tx, const char *email,
                                           const char *password_hash, int64_t now_ms,
                                           struct pp_err *err);

/* --- Reads -------------------------------------------------------------- */

/* PP_NOT_FOUND if there is no payout id. */
enum pp_status store_payout_get(struct store *st, int64_t id, struct pp_payout *out,
                                struct pp_err *err);

/* Every currency that has a balance row, ordered by code, into
** out[0..cap); *count_out = rows written (cap 256 covers ISO 4217). */
enum pp_status store_balances_list(struct store *st, struct pp_balance *out, size_t cap,
                                   size_t *count_out, struct pp_err *err);

/* settings[key] copied into out (NUL-terminated, truncation is
** PP_INTERNAL); *found_out = 0 and out = "" when absent. */
enum pp_status store_setting_get(struct store *st, const char *key, char *out, size_t out_size,
                                 int *found_out, struct pp_err *err);

/* The admin with this e-mail (case-insensitive); *found_out = 0 if none. */
enum pp_status store_admin_find(struct store *st, const char *email, struct pp_admin *out,
                                int *found_out, struct pp_err *err);

/* The admin with this id; PP_NOT_FOUND if none. */
enum pp_status store_admin_get(struct store *st, int64_t id, struct pp_admin *out,
                               struct pp_err *err);

/* How many admins exist. */
enum pp_status store_admin_count(struct store *st, int64_t *count_out, struct pp_err *err);

/* 1 if a trivial query on a read connection succeeds, else 0. */
int store_ping(struct store *st);

/* --- Invariants --------------------------------------------------------- */

/* Called once per discrepancy with one human-readable line. */
typedef void (*store_report_fn)(void *ctx, const char *line);

/* Verifies, for every currency seen in balances, ledger or payouts:
**  - balances.available == SUM(ledger.d_available),
**  - balances.blocked   == SUM(ledger.d_blocked),
**  - balances.paid_out_e18 * 10^18 + balances.paid_out == SUM(ledger.d_paid_out),
**  - balances.blocked   == SUM(amount of payouts in UNAUTHORIZED/READY),
**  - no figure is negative;
** plus: every open payout has exactly one BLOCK ledger row and no
** RELEASE/PAYOUT row, every closed one has one BLOCK and exactly one
** RELEASE or PAYOUT row, and PRAGMA integrity_check says "ok".
** Every sum is exact (128-bit), also past 2^63.
** Reports each failure through report(ctx, line); *problems_out = count. */
enum pp_status store_check(struct store *st, store_report_fn report, void *ctx, int *problems_out,
                           struct pp_err *err);

#endif /* PAYOUT_STORE_STORE_H */
