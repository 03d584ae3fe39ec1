/*
** This module implements the funds of the panel: one balance row per
** currency (available, blocked, paid out) and the append-only ledger that
** explains every change of it. store_sqlite_tx_funds_move decides every refusal
** before it writes, then appends the ledger row and changes the balance.
** The writer is the only one to change balances, so a batch reads each
** balance it uses once, keeps it in memory (struct store_balance_cache)
** and writes it once, just before COMMIT (store_sqlite_batch_flush): a
** batch of creates in one currency updates its balance row once, not once
** per payout, and refusals are decided on the exact figure all the same.
** A failed write of it fails the whole batch (it is rolled back), so a
** balance never moves without its ledger rows. It takes no savepoint of
** its own: savepoints copy the pages they touch, and the writer already
** isolates each request (writer.c), putting the cached balances back when
** it rolls a request back to its savepoint.
**
** The lifetime paid-out figure is a 128-bit integer here, kept in two
** columns (migration 0007): paid_out, the figure modulo 10^18, and
** paid_out_e18, the whole 10^18s. Available and blocked are money that can
** still move and stay within PP_BALANCE_MINOR_MAX; the paid-out figure is a
** statistic, and a receive is never refused because of it.
**
** Which movement a payout operation needs is core's business; the ledger
** check is in check.c.
*/
#include <string.h>

#include "payout/base/assert.h"
#include "payout/base/log.h"
#include "store/sqlite/internal.h"

/* The unit of balances.paid_out_e18: one more than the largest paid_out. */
#define PAID_OUT_E18 ((__int128)PP_BALANCE_MINOR_MAX + 1)

/* The paid-out figure of the two columns starting at col of q's row. */
static __int128 paid_out_read(struct store_q *q, int col)
{
    __int128 e18 = sqlite3_column_int64(q->stmt, col + 1);
    return e18 * PAID_OUT_E18 + sqlite3_column_int64(q->stmt, col);
}

/* 1 when m's deltas have the shape of its kind (model.h), mirrored by the
** ledger table's CHECK. */
static int movement_shape_ok(const struct pp_movement *m)
{
    int about_payout = m->payout_id > 0;
    switch (m->kind) {
    case PP_LEDGER_DEPOSIT:
        return m->d_available > 0 && m->d_blocked == 0 && m->d_paid_out == 0 && !about_payout;
    case PP_LEDGER_WITHDRAW:
        return m->d_available < 0 && m->d_blocked == 0 && m->d_paid_out == 0 && !about_payout;
    case PP_LEDGER_BLOCK:
        return m->d_blocked > 0 && m->d_available == -m->d_blocked && m->d_paid_out == 0 &&
               about_payout;
    case PP_LEDGER_RELEASE:
        return m->d_blocked < 0 && m->d_available == -m->d_blocked && m->d_paid_out == 0 &&
               about_payout;
    case PP_LEDGER_PAYOUT:
        return m->d_blocked < 0 && m->d_paid_out == -m->d_blocked && m->d_available == 0 &&
               about_payout;
    }
    return 0;
}

/* The balance of b->currency from its row (zeros when it has none yet). */
static enum pp_status balance_read(struct store_conn *c, struct pp_balance *b, struct pp_err *err)
{
    struct store_q q;
    store_q_init(&q, c, STORE_STMT_BALANCE_GET,
                 "SELECT available, blocked, paid_out, paid_out_e18 FROM balances"
                 " WHERE currency = ?1");
    store_q_text(&q, 1, b->currency);
    enum pp_status status = PP_OK;
    int rc = store_q_step(&q);
    b->available = b->blocked = 0;
    b->paid_out = 0;
    if (rc == SQLITE_ROW) {
        b->available = sqlite3_column_int64(q.stmt, 0);
        b->blocked = sqlite3_column_int64(q.stmt, 1);
        b->paid_out = paid_out_read(&q, 2);
    } else if (rc != SQLITE_DONE) {
        status = store_q_fail(&q, "reading a balance", err);
    }
    store_q_reset(&q);
    return status;
}

static enum pp_status balance_write(struct store_conn *c, const struct pp_balance *b,
                                    struct pp_err *err);

/* Writes every changed balance of the batch's cache; they stay cached. */
static enum pp_status balances_write_out(struct store_sqlite *st, struct pp_err *err)
{
    enum pp_status status = PP_OK;
    struct store_balance_cache *bc = &st->balances;
    for (size_t i = 0; i < bc->count && status == PP_OK; i++) {
        if (bc->slots[i].dirty) {
            status = balance_write(&st->writer, &bc->slots[i].b, err);
            bc->slots[i].dirty = status != PP_OK;
        }
    }
    return status;
}

/* The batch's slot of `currency`, read from its row at its first use in
** the batch. Balances change only through the writer, so the slot stays
** true for the rest of the batch; it is written once, before COMMIT. */
static enum pp_status balance_slot(struct store_sqlite_tx *tx, const char *currency,
                                   struct store_balance_slot **out, struct pp_err *err)
{
    struct store_conn *c = store_tx_conn(tx);
    struct store_balance_cache *bc = &tx->st->balances;
    enum pp_status status = PP_OK;
    for (size_t i = 0; i < bc->count; i++) {
        if (memcmp(bc->slots[i].b.currency, currency, 4) == 0) {
            *out = &bc->slots[i];
            goto done;
        }
    }
    if (bc->count == PP_WRITER_BALANCES_MAX) {
        /* More currencies than slots: write them out and start over. */
        status = balances_write_out(tx->st, err);
        if (status != PP_OK) {
            goto done;
        }
        bc->count = 0;
    }
    struct store_balance_slot *s = &bc->slots[bc->count];
    memset(s, 0, sizeof *s);
    memcpy(s->b.currency, currency, 4);
    status = balance_read(c, &s->b, err);
    if (status == PP_OK) {
        bc->count++;
        *out = s;
    }
done:
    if (status != PP_OK) {
        *out = NULL;
    }
    return status;
}

enum pp_status store_sqlite_tx_balance_get(struct store_sqlite_tx *tx, const char *currency,
                                           struct pp_balance *out, struct pp_err *err)
{
    PP_ASSERT(out != NULL);
    memset(out, 0, sizeof *out);
    if (!store_currency_ok(currency)) {
        return pp_err_set(err, PP_INVALID_PARAMS, "currency must be 3 upper-case letters");
    }
    struct store_balance_slot *s = NULL;
    enum pp_status status = balance_slot(tx, currency, &s, err);
    if (status == PP_OK) {
        *out = s->b;
    }
    return status;
}

/* b plus m's deltas into *after, refusing negatives and overflows. The
** paid-out figure has no bound of its own: paid_out_e18 would pass
** INT64_MAX only after some 10^22 receives of the largest amount. */
static enum pp_status balance_apply(const struct pp_balance *b, const struct pp_movement *m,
                                    struct pp_balance *after, struct pp_err *err)
{
    enum pp_status status = PP_OK;
    *after = *b;
    if (__builtin_add_overflow(b->available, m->d_available, &after->available) ||
        __builtin_add_overflow(b->blocked, m->d_blocked, &after->blocked) ||
        __builtin_add_overflow(b->paid_out, m->d_paid_out, &after->paid_out)) {
        status = pp_err_set(err, PP_INVALID_PARAMS, "amount too large for the balance in %s",
                            b->currency);
    } else if (after->available < 0 || after->blocked < 0 || after->paid_out < 0) {
        status = pp_err_set(err, PP_INSUFFICIENT_FUNDS, "insufficient funds in %s", b->currency);
    } else if (after->available > PP_BALANCE_MINOR_MAX || after->blocked > PP_BALANCE_MINOR_MAX ||
               after->paid_out / PAID_OUT_E18 > INT64_MAX) {
        status = pp_err_set(err, PP_INVALID_PARAMS, "amount too large for the balance in %s",
                            b->currency);
    }
    return status;
}

static enum pp_status ledger_append(struct store_conn *c, const struct pp_movement *m,
                                    struct pp_err *err)
{
    struct store_q q;
    store_q_init(&q, c, STORE_STMT_LEDGER_INSERT,
                 "INSERT INTO ledger (at_ms, currency, kind, d_available, d_blocked, d_paid_out,"
                 " payout_id, reference, admin_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    store_q_int64(&q, 1, m->at_ms);
    store_q_text(&q, 2, m->currency);
    store_q_int64(&q, 3, (int64_t)m->kind);
    store_q_int64(&q, 4, m->d_available);
    store_q_int64(&q, 5, m->d_blocked);
    store_q_int64(&q, 6, m->d_paid_out);
    if (m->payout_id > 0) {
        store_q_int64(&q, 7, m->payout_id);
    }
    store_q_text_or_null(&q, 8, m->reference);
    if (m->admin_id > 0) {
        store_q_int64(&q, 9, m->admin_id);
    }
    enum pp_status status = PP_OK;
    if (store_q_step(&q) != SQLITE_DONE) {
        if (q.xrc == SQLITE_CONSTRAINT_FOREIGNKEY) {
            status = pp_err_set(err, PP_INVALID_PARAMS, "payout %lld not found",
                                (long long)m->payout_id);
        } else {
            status = store_q_fail(&q, "appending to the ledger", err);
        }
    }
    store_q_reset(&q);
    return status;
}

static enum pp_status balance_write(struct store_conn *c, const struct pp_balance *b,
                                    struct pp_err *err)
{
    struct store_q q;
    store_q_init(&q, c, STORE_STMT_BALANCE_PUT,
                 "INSERT INTO balances (currency, available, blocked, paid_out, paid_out_e18)"
                 " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (currency) DO UPDATE SET"
                 " available = excluded.available, blocked = excluded.blocked,"
                 " paid_out = excluded.paid_out, paid_out_e18 = excluded.paid_out_e18");
    PP_ASSERT(b->paid_out >= 0 && b->paid_out / PAID_OUT_E18 <= INT64_MAX);
    store_q_text(&q, 1, b->currency);
    store_q_int64(&q, 2, b->available);
    store_q_int64(&q, 3, b->blocked);
    store_q_int64(&q, 4, (int64_t)(b->paid_out % PAID_OUT_E18));
    store_q_int64(&q, 5, (int64_t)(b->paid_out / PAID_OUT_E18));
    enum pp_status status = PP_OK;
    if (store_q_step(&q) != SQLITE_DONE) {
        status = store_q_fail(&q, "writing a balance", err);
    }
    store_q_reset(&q);
    return status;
}

/* Checks what the caller passed: the refusals that need no database. */
static enum pp_status movement_check(const struct pp_movement *m, struct pp_err *err)
{
    enum pp_status status = PP_OK;
    if (!store_currency_ok(m->currency)) {
        status = pp_err_set(err, PP_INVALID_PARAMS, "currency must be 3 upper-case letters");
    } else if (m->reference != NULL && strlen(m->reference) > PP_REFERENCE_BYTES_MAX) {
        status = pp_err_set(err, PP_INVALID_PARAMS, "reference must be at most %d bytes",
                            PP_REFERENCE_BYTES_MAX);
    } else if (!movement_shape_ok(m) || m->admin_id < 0) {
        /* A bug upstream: refuse it before it reaches the books. */
        pp_log(PP_LOG_ERROR,
               "store: refused a %s movement in %s (%lld, %lld, %lld) for payout %lld",
               pp_ledger_kind_name(m->kind), m->currency, (long long)m->d_available,
               (long long)m->d_blocked, (long long)m->d_paid_out, (long long)m->payout_id);
        status = pp_err_set(err, PP_INTERNAL, "storage error");
    }
    return status;
}

enum pp_status store_sqlite_tx_funds_move(struct store_sqlite_tx *tx, const struct pp_movement *m,
                                          struct pp_balance *after_out, struct pp_err *err)
{
    struct store_conn *c = store_tx_conn(tx);
    PP_ASSERT(m != NULL);
    struct store_balance_slot *s = NULL;
    struct pp_balance after;
    enum pp_status status = movement_check(m, err);
    if (status == PP_OK) {
        status = balance_slot(tx, m->currency, &s, err);
    }
    if (status == PP_OK) {
        status = balance_apply(&s->b, m, &after, err);
    }
    if (status == PP_OK) {
        /* Refused rows (an unknown payout) are refused before any change. */
        status = ledger_append(c, m, err);
    }
    if (status == PP_OK) {
        /* The ledger row is in; its balance follows in the same batch:
        ** the slot is written before COMMIT, or the batch fails whole. */
        s->b = after;
        s->dirty = 1;
        tx->st->balance_changes++;
        if (after_out != NULL) {
            *after_out = after;
        }
    }
    return status;
}

/* --- The writer's batch state ------------------------------------------- */

void store_sqlite_batch_begin(struct store_sqlite *st)
{
    st->balances.count = 0;
    store_idcache_abort(&st->idcache);
}

void store_sqlite_batch_mark(struct store_sqlite *st, struct store_batch_mark *out)
{
    struct store_balance_cache *saved = &st->balances_saved;
    saved->count = st->balances.count;
    memcpy(saved->slots, st->balances.slots, st->balances.count * sizeof saved->slots[0]);
    out->idcache = store_idcache_mark(&st->idcache);
}

void store_sqlite_batch_undo(struct store_sqlite *st, const struct store_batch_mark *mark)
{
    /* ROLLBACK TO has put the rows back as they were at the mark (also
    ** any balance written out early since), so the copy is true again. */
    struct store_balance_cache *saved = &st->balances_saved;
    st->balances.count = saved->count;
    memcpy(st->balances.slots, saved->slots, saved->count * sizeof saved->slots[0]);
    store_idcache_undo(&st->idcache, mark->idcache);
}

enum pp_status store_sqlite_batch_flush(struct store_sqlite_tx *tx, struct pp_err *err)
{
    (void)store_tx_conn(tx);
    return balances_write_out(tx->st, err);
}

void store_sqlite_batch_end(struct store_sqlite *st, int committed)
{
    st->balances.count = 0;
    if (committed) {
        store_idcache_commit(&st->idcache);
    } else {
        store_idcache_abort(&st->idcache);
    }
}

enum pp_status store_sqlite_balances_list(struct store_sqlite *st, struct pp_balance *out,
                                          size_t cap, size_t *count_out, struct pp_err *err)
{
    PP_ASSERT(count_out != NULL && (out != NULL || cap == 0));
    struct store_conn *c = store_reader_acquire(st);
    struct store_q q;
    store_q_init(&q, c, STORE_STMT_BALANCES_LIST,
                 "SELECT currency, available, blocked, paid_out, paid_out_e18 FROM balances"
                 " ORDER BY currency");
    enum pp_status status = PP_OK;
    size_t n = 0;
    int rc = store_q_step(&q);
    while (rc == SQLITE_ROW && n < cap) {
        if (store_q_col_text(&q, 0, out[n].currency, sizeof out[n].currency) != 0) {
            pp_log(PP_LOG_ERROR, "store: a balance row has a malformed currency");
            status = pp_err_set(err, PP_INTERNAL, "storage error");
            break;
        }
        out[n].available = sqlite3_column_int64(q.stmt, 1);
        out[n].blocked = sqlite3_column_int64(q.stmt, 2);
        out[n].paid_out = paid_out_read(&q, 3);
        n++;
        rc = store_q_step(&q);
    }
    if (status == PP_OK && rc == SQLITE_ROW) {
        pp_log(PP_LOG_WARN, "store: more than %zu balances; the list is cut", cap);
    } else if (status == PP_OK && rc != SQLITE_DONE) {
        status = store_q_fail(&q, "listing balances", err);
    }
    store_q_reset(&q);
    store_reader_release(st, c);
    *count_out = status == PP_OK ? n : 0;
    return status;
}
