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
** Writes: every change is one domain operation below (store_payouts_create,
** store_payouts_change, store_payout_receive, store_funds_move,
** store_settings_put, store_admin_upsert, and the idempotency answer and
** purge of idempotency.h), handed over as plain data. The backend's single
** writer gathers whatever operations are waiting (up to
** PP_WRITER_BATCH_MAX), runs them in one transaction (an operation that
** fails is undone alone and does not fail its neighbours), commits once
** with synchronous=FULL, and only then wakes each caller with its own
** result. So a PP_OK from a write means the change is on disk, and a
** failed commit fails every operation of the batch.
**
** Reads: the store_* read functions take a connection from a pool of
** read-only connections (WAL lets them run beside the writer) and see
** every change whose write has returned.
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
#include "payout/model/event.h"
#include "payout/status.h"

struct store;

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
** Each write below is one whole operation: it reads what it must, decides by
** the rule its comment states, writes its rows, its audit entry and (when
** w->idem is set) its Idempotency-Key row, and commits or vanishes as one.
** The backend batches operations queued by many threads into one
** transaction (group commit) and undoes a failing operation alone; a PP_OK
** means the change is durable. Callers pass plain data: nothing above the
** store composes transaction steps, so a backend may pipeline a batch. */

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

/* --- Writes: a guard ---------------------------------------------------------
**
** A guard makes the calling thread's next write conditional on stored
** settings read inside that write's own batch, so that a check which would
** otherwise cost a read of its own (on PostgreSQL, a round trip per
** request: an API key's revocation) rides on the write. The writer reads
** guard->keys (on PostgreSQL once per batch for every guarded write in it,
** in the round trip that opens the batch), asks holds() and, when it says
** no, refuses the write with PP_UNAUTHORIZED and guard->refusal, running
** none of it. Once a write found the guard holding (outcome), the thread's
** later writes are not checked again: one check per request, as one read
** before it would be. A write that never ran leaves outcome unchecked.
** A shared counters update (store_counters_update, payout/store/
** cluster.h) is guarded alike: the settings are read in the round trip
** that locks the counters, and a refusal saves none of them. */

#define STORE_GUARD_KEYS_MAX 2
/* A guarded setting's value must fit this size (a longer one fails the
** write as a storage error). */
#define STORE_GUARD_VALUE_BYTES 64

enum store_guard_outcome { STORE_GUARD_UNCHECKED, STORE_GUARD_HELD, STORE_GUARD_REFUSED };

struct store_write_guard {
    const char *keys[STORE_GUARD_KEYS_MAX];
    size_t count; /* 1..STORE_GUARD_KEYS_MAX */
    /* Pure, on the writer thread: 1 when the write may go on. values[i]
    ** is keys[i]'s stored value, NULL when it is not stored. */
    int (*holds)(const struct store_write_guard *g, const char *const *values);
    int64_t expected; /* holds' own */
    const char *refusal;
    /* Set by the writer; the caller reads it once its write returned. */
    enum store_guard_outcome outcome;
};

/* Sets the calling thread's guard (NULL: none) for its writes from now on,
** on every backend. The caller keeps g alive until it clears it. */
void store_write_guard_set(struct store_write_guard *g);

/* The rule that picks a new payout's recipient from the stored ones its
** identifiers point at (found[i] or NULL per enum pp_ident): pure, no I/O;
** see core_recipient_resolve, the one the server passes. */
typedef enum pp_status (*store_recipient_rule_fn)(const struct pp_recipient *given,
                                                  const struct pp_recipient *const *found,
                                                  struct pp_recipient *out, int *changed_out,
                                                  struct pp_err *err);

/* One payout to create. payout carries currency, amount_minor, start_ms,
** end_ms, description, metadata, uuid, notification and status (the
** initial one); the store sets id, project_id, recipient_id, created_ms,
** updated_ms and created_by_user (the actor's admin_id for an admin). */
struct store_payout_new {
    const char *project_name;
    const struct pp_recipient *recipient; /* given fields, id 0 */
    struct pp_payout payout;              /* in as above; out: the stored payout */
    struct pp_err err;                    /* out: why this row was refused */
    /* out: 1 when the payout's "ready" e-mail was recorded with it
    ** (`notification` on, READY, a recipient with an e-mail), so its
    ** answer needs no read to show it. */
    int ready_notice;
};

/* Creates rows[0..count) in order, all or nothing: for each, the project
** by exact name (created if new), the recipient by `rule`, the payout, its
** funds block (available -> blocked, one BLOCK ledger row). A row whose
** amount exceeds its currency's available funds is refused with
** PP_INSUFFICIENT_FUNDS ("insufficient funds in XXX"), and so is every later
** row of that currency in the call; a recipient clash is PP_INVALID_PARAMS.
** When any row is refused, nothing is written, every row is tried (each
** refused row has its err set) and the status is that of the first refused
** row with its message. On success one audit entry (action, detail given;
** subject "payout:<first>" or "payout:<first>..<last>") is appended.
** check_only: every row is tried the same way, then everything is undone;
** PP_OK then means every row would have been created. */
enum pp_status store_payouts_create(struct store *st, const struct store_write_ctx *w,
                                    struct store_payout_new *rows, size_t count,
                                    store_recipient_rule_fn rule, int check_only,
                                    const char *audit_action, const char *audit_detail,
                                    struct pp_err *err);

/* A change of many payouts by id. */
enum store_payout_change {
    /* Any open payout: CANCELLED, funds released (RELEASE ledger row). */
    STORE_PAYOUT_CANCEL,
    /* UNAUTHORIZED with end_ms >= now -> READY, authorized_by_user = the
    ** acting panel user; never a payout whose created_by_user is the acting
    ** panel user (four eyes). */
    STORE_PAYOUT_AUTHORIZE,
    /* Open with end_ms < now: EXPIRED, funds released. */
    STORE_PAYOUT_EXPIRE,
};

/* Applies `change` to each of ids[0..count) that is eligible when re-read
** inside the transaction (unknown ids, repeats and ineligible payouts are
** skipped); *done_out = how many changed. When any did, one audit entry
** (action "payment.cancel" / "payment.authorize" / "payment.expire",
** subject "payout:<id>,<id>...") is appended. */
enum pp_status store_payouts_change(struct store *st, const struct store_write_ctx *w,
                                    enum store_payout_change change, const int64_t *ids,
                                    size_t count, int64_t *done_out, struct pp_err *err);

/* Formats amount_minor of currency as the audit detail shows it ("12.50
** USD"): the core's rule, passed in so the store knows no exponents. */
typedef void (*store_amount_text_fn)(const char *currency, int64_t amount_minor, char *out,
                                     size_t out_size);

/* Receives payout id: only when it is READY and start_ms <= now <= end_ms,
** it becomes RECEIVED with `reference` (NULL or "": none) and its amount
** moves from blocked to paid out (one PAYOUT ledger row), audited as
** "payment.receive" with the amount as `amount_text` writes it. *out is
** the payout after the change; when the payout is not receivable the
** status is PP_CONFLICT, nothing is written, and *out is the payout as it
** stands (the caller explains why). PP_NOT_FOUND when there is no payout id. */
enum pp_status store_payout_receive(struct store *st, const struct store_write_ctx *w, int64_t id,
                                    const char *reference, store_amount_text_fn amount_text,
                                    struct pp_payout *out, struct pp_err *err);

/* Applies m's deltas to the balance of m->currency (the row is created at
** zero on first use), appends one ledger row and the audit entry (action,
** detail). If available or blocked would become negative:
** PP_INSUFFICIENT_FUNDS, nothing changed. If a figure would exceed
** PP_BALANCE_MINOR_MAX: PP_INVALID_PARAMS. *after_out (may be NULL)
** receives the balance after the move. */
enum pp_status store_funds_move(struct store *st, const struct store_write_ctx *w,
                                const struct pp_movement *m, const char *audit_action,
                                const char *audit_detail, struct pp_balance *after_out,
                                struct pp_err *err);

/* One setting to write. */
struct store_setting {
    const char *key;
    const char *value;
};

/* Sets settings[kv[i].key] = kv[i].value for i < count (insert or
** replace) and, when audit_action is not NULL, appends that audit entry
** with audit_detail. */
enum pp_status store_settings_put(struct store *st, const struct store_write_ctx *w,
                                  const struct store_setting *kv, size_t count,
                                  const char *audit_action, const char *audit_detail,
                                  struct pp_err *err);

/* Sets the admin with this e-mail's password hash, or creates the admin
** (e-mail compared case-insensitively) when there is none; a password set
** bumps its token_generation. *created_out = 1 when created; *id_out = its
** id. Audited as "admin.create" or "admin.password_reset" with the e-mail. */
enum pp_status store_admin_upsert(struct store *st, const struct store_write_ctx *w,
                                  const char *email, const char *password_hash, int *created_out,
                                  int64_t *id_out, struct pp_err *err);

/* --- Reads -------------------------------------------------------------- */

/* PP_NOT_FOUND if there is no payout id. */
enum pp_status store_payout_get(struct store *st, int64_t id, struct pp_payout *out,
                                struct pp_err *err);

/* The same with the payout's notifications (ordered by kind) into
** notes[0..cap), *count_out of them, read together (one read on SQLite). */
enum pp_status store_payout_get_noted(struct store *st, int64_t id, struct pp_payout *out,
                                      struct pp_notification *notes, size_t cap, size_t *count_out,
                                      struct pp_err *err);

/* Every currency that has a balance row, ordered by code, into
** out[0..cap); *count_out = rows written (cap 256 covers ISO 4217). */
enum pp_status store_balances_list(struct store *st, struct pp_balance *out, size_t cap,
                                   size_t *count_out, struct pp_err *err);

/* settings[key] copied into out (NUL-terminated, truncation is
** PP_INTERNAL); *found_out = 0 and out = "" when absent. */
enum pp_status store_setting_get(struct store *st, const char *key, char *out, size_t out_size,
                                 int *found_out, struct pp_err *err);

/* One setting for store_settings_get: key in, the rest out as for
** store_setting_get. */
struct store_setting_read {
    const char *key;
    char *out;
    size_t out_size;
    int found;
};

/* Most settings one store_settings_get reads. */
#define STORE_SETTINGS_READ_MAX 4

/* Reads several settings (count 1..STORE_SETTINGS_READ_MAX) as
** store_setting_get does each, in one look-up: one statement and one
** round trip on PostgreSQL, where a server reads its key's settings per
** request. */
enum pp_status store_settings_get(struct store *st, struct store_setting_read *reads, size_t count,
                                  struct pp_err *err);

/* The admin with this e-mail (case-insensitive); *found_out = 0 if none. */
enum pp_status store_admin_find(struct store *st, const char *email, struct pp_admin *out,
                                int *found_out, struct pp_err *err);

/* The admin with this id; PP_NOT_FOUND if none. */
enum pp_status store_admin_get(struct store *st, int64_t id, struct pp_admin *out,
                               struct pp_err *err);

/* How many admins exist. */
enum pp_status store_admin_count(struct store *st, int64_t *count_out, struct pp_err *err);

/* 1 when other processes may write this database at the same time (a
** PostgreSQL database shared by several servers): then what a server
** keeps in memory of the settings must be read again per request. 0 for
** SQLite, whose one server is the only writer. */
int store_shared(struct store *st);

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
