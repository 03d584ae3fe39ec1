/*
** This module implements the funds on PostgreSQL: one balance row per
** currency and the append-only ledger, inside the writer's transaction.
**
** Every batch holds the writers' lock row (writer.c), so while it runs no
** other node moves funds. A balance is read and locked (FOR UPDATE) at
** its first use in a batch, or in the batch's first round trip when the
** batch before used it (a hot balance: one round trip less while the
** lock row is held), and then kept in the batch's memory
** (struct pg_balance_slot): each move is checked against the exact
** running figure and applied there, its ledger row is queued in the
** pipeline, and the row is written once, at the end of the batch
** (store_pg_tx_balances_flush), with the figures the ledger rows add up
** to; CHECK (available >= 0) and the other CHECKs of the table stay the
** last defence. A request that fails gives its moves back (the writer
** restores the slots). A batch touching more than PP_WRITER_BALANCES_MAX
** currencies moves the others with ONE conditional update each,
** "available = available + d WHERE available + d >= 0 ...", which changes
** nothing when the figure would go negative or past its bound (the
** refusal is then explained from a plain read). The ledger row follows in
** the same transaction. The lifetime paid-out figure is kept in two columns
** (migration 0007): paid_out modulo 10^18 and paid_out_e18, the carried
** 10^18s; it is read as one exact numeric.
**
** Which movement a payout operation needs is core's business; the check
** of the books is check.c.
*/
#include <string.h>

#include "payout/base/assert.h"
#include "payout/base/log.h"
#include "store/pg/internal.h"

#define PAID_OUT_WHOLE "paid_out_e18::numeric * 1000000000000000000 + paid_out"

const struct store_pg_stmt_def store_pg_stmts_funds[] = {
    {PG_STMT_BALANCE_LOCK,
     "SELECT available, blocked, " PAID_OUT_WHOLE " FROM balances WHERE currency = $1::text"
     " FOR UPDATE",
     1},
    /* The hot balances, read and locked ahead (the lock row orders every
    ** batch, so their order here cannot meet another batch's). */
    {PG_STMT_BALANCE_LOCK_AHEAD,
     "SELECT currency, available, blocked, " PAID_OUT_WHOLE
     " FROM balances WHERE currency = ANY($1::text[]) FOR UPDATE",
     1},
    {PG_STMT_BALANCE_MOVE,
     "UPDATE balances SET available = available + $2::bigint, blocked = blocked + $3::bigint,"
     " paid_out = (paid_out + $4::bigint) % 1000000000000000000,"
     " paid_out_e18 = paid_out_e18 + (paid_out + $4::bigint) / 1000000000000000000"
     " WHERE currency = $1::text"
     " AND available + $2::bigint BETWEEN 0 AND 999999999999999999"
     " AND blocked + $3::bigint BETWEEN 0 AND 999999999999999999"
     " RETURNING available, blocked, " PAID_OUT_WHOLE,
     4},
    {PG_STMT_BALANCE_SET,
     "UPDATE balances SET available = $2::bigint, blocked = $3::bigint, paid_out = $4::bigint,"
     " paid_out_e18 = $5::bigint WHERE currency = $1::text",
     5},
    {PG_STMT_BALANCE_CREATE,
     "INSERT INTO balances (currency, available, blocked, paid_out, paid_out_e18)"
     " VALUES ($1::text, 0, 0, 0, 0) ON CONFLICT (currency) DO NOTHING",
     1},
    {PG_STMT_LEDGER_INSERT,
     "INSERT INTO ledger (id, at_ms, currency, kind, d_available, d_blocked, d_paid_out,"
     " payout_id, reference, admin_id) VALUES ($10::bigint, $1::bigint, $2::text,"
     " $3::bigint, $4::bigint, $5::bigint, $6::bigint, $7::bigint, $8::text, $9::bigint)",
     10},
    {PG_STMT_COUNT, NULL, 0},
};

/* 1 when m's deltas have the shape of its kind (the ledger's CHECK). */
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

/* Reads row 0 of a balance statement (available, blocked, paid out). */
static int balance_row(const PGresult *res, struct pp_balance *b)
{
    b->available = pg_col_i64(res, 0, 0);
    b->blocked = pg_col_i64(res, 0, 1);
    return pg_col_i128(res, 0, 2, &b->paid_out);
}

int store_pg_balances_ahead_params(const struct store_pg *st, char *list, struct pg_params *p)
{
    /* A text[] literal: currency codes are three capital letters. */
    size_t at = 0;
    if (st->balances_ahead_count == 0) {
        return 0;
    }
    list[at++] = '{';
    for (size_t i = 0; i < st->balances_ahead_count; i++) {
        memcpy(list + at, st->balances_ahead[i], 3);
        at += 3;
        list[at++] = i + 1 < st->balances_ahead_count ? ',' : '}';
    }
    list[at] = '\0';
    pg_params_init(p);
    pg_param_text(p, list);
    return 1;
}

enum pp_status store_pg_tx_balances_ahead_take(struct pg_tx *tx, const PGresult *res,
                                               struct pp_err *err)
{
    struct pg_batch_state *bs = &tx->state;
    PP_ASSERT(bs->balances_count == 0);
    for (int row = 0; row < PQntuples(res) && bs->balances_count < PP_WRITER_BALANCES_MAX; row++) {
        struct pg_balance_slot *slot = &bs->balances[bs->balances_count];
        memset(slot, 0, sizeof *slot);
        const char *currency = PQgetvalue(res, row, 0);
        if (!store_pg_currency_ok(currency)) {
            return pp_err_set(err, PP_INTERNAL, "storage error");
        }
        memcpy(slot->b.currency, currency, 4);
        slot->b.available = pg_col_i64(res, row, 1);
        slot->b.blocked = pg_col_i64(res, row, 2);
        if (pg_col_i128(res, row, 3, &slot->b.paid_out) != 0) {
            return pp_err_set(err, PP_INTERNAL, "storage error");
        }
        slot->present = 1;
        bs->balances_count++;
    }
    return PP_OK;
}

void store_pg_balances_ahead_note(struct store_pg *st, const struct pg_tx *tx)
{
    size_t n = 0;
    for (size_t i = 0; i < tx->state.balances_count && n < PP_PG_BALANCES_AHEAD_MAX; i++) {
        const struct pg_balance_slot *slot = &tx->state.balances[i];
        if (slot->used && slot->present) {
            memcpy(st->balances_ahead[n++], slot->b.currency, 4);
        }
    }
    st->balances_ahead_count = n;
}

/* Reads and locks the balance of b->currency (zeros, no lock and
** *found_out 0 when it has no row; found_out may be NULL). */
static enum pp_status balance_lock(struct pg_tx *tx, struct pp_balance *b, int *found_out,
                                   struct pp_err *err)
{
    struct pg_params p;
    PGresult *res = NULL;
    pg_params_init(&p);
    pg_param_text(&p, b->currency);
    b->available = b->blocked = 0;
    b->paid_out = 0;
    enum pp_status status =
        store_pg_tx_run(tx, PG_STMT_BALANCE_LOCK, &p, &res, NULL, "reading a balance", err);
    if (status == PP_OK && PQntuples(res) == 1 && balance_row(res, b) != 0) {
        status = pp_err_set(err, PP_INTERNAL, "storage error");
    }
    if (found_out != NULL) {
        *found_out = status == PP_OK && PQntuples(res) == 1;
    }
    PQclear(res);
    return status;
}

/* The batch's slot of currency, read and locked now when it has none yet
** (*out NULL and PP_OK: every slot is taken, the caller goes to the row). */
static enum pp_status slot_get(struct pg_tx *tx, const char *currency, struct pg_balance_slot **out,
                               struct pp_err *err)
{
    struct pg_batch_state *bs = &tx->state;
    *out = NULL;
    for (size_t i = 0; i < bs->balances_count; i++) {
        if (memcmp(bs->balances[i].b.currency, currency, 4) == 0) {
            *out = &bs->balances[i];
            (*out)->used = 1;
            return PP_OK;
        }
    }
    if (bs->balances_count == PP_WRITER_BALANCES_MAX) {
        return PP_OK;
    }
    struct pg_balance_slot slot;
    memset(&slot, 0, sizeof slot);
    memcpy(slot.b.currency, currency, 4);
    slot.used = 1;
    enum pp_status status = balance_lock(tx, &slot.b, &slot.present, err);
    if (status == PP_OK) {
        bs->balances[bs->balances_count] = slot;
        *out = &bs->balances[bs->balances_count++];
    }
    return status;
}

enum pp_status store_pg_tx_balance_get(struct pg_tx *tx, const char *currency,
                                       struct pp_balance *out, struct pp_err *err)
{
    PP_ASSERT(out != NULL);
    memset(out, 0, sizeof *out);
    if (!store_pg_currency_ok(currency)) {
        return pp_err_set(err, PP_INVALID_PARAMS, "currency must be 3 upper-case letters");
    }
    memcpy(out->currency, currency, sizeof out->currency);
    struct pg_balance_slot *slot = NULL;
    enum pp_status status = slot_get(tx, currency, &slot, err);
    if (status == PP_OK && slot != NULL) {
        *out = slot->b;
    } else if (status == PP_OK) {
        status = balance_lock(tx, out, NULL, err);
    }
    return status;
}

/* The refusal a move that changed no row meets, from the balance b. */
static enum pp_status move_refusal(const struct pp_balance *b, const struct pp_movement *m,
                                   struct pp_err *err)
{
    __int128 available = (__int128)b->available + m->d_available;
    __int128 blocked = (__int128)b->blocked + m->d_blocked;
    if (available < 0 || blocked < 0) {
        return pp_err_set(err, PP_INSUFFICIENT_FUNDS, "insufficient funds in %s", m->currency);
    }
    if (available > PP_BALANCE_MINOR_MAX || blocked > PP_BALANCE_MINOR_MAX) {
        return pp_err_set(err, PP_INVALID_PARAMS, "amount too large for the balance in %s",
                          m->currency);
    }
    return PP_OK;
}

/* Applies m to its balance row: PP_OK with *after set, or the refusal. A
** currency without a row gets one at zero first. */
static enum pp_status balance_move(struct pg_tx *tx, const struct pp_movement *m,
                                   struct pp_balance *after, struct pp_err *err)
{
    struct pg_params p;
    enum pp_status status = PP_OK;
    for (int attempt = 0; attempt < 2 && status == PP_OK; attempt++) {
        PGresult *res = NULL;
        pg_params_init(&p);
        pg_param_text(&p, m->currency);
        pg_param_i64(&p, m->d_available);
        pg_param_i64(&p, m->d_blocked);
        pg_param_i64(&p, m->d_paid_out);
        status = store_pg_tx_run(tx, PG_STMT_BALANCE_MOVE, &p, &res, NULL, "moving funds", err);
        if (status == PP_OK && PQntuples(res) == 1) {
            status = balance_row(res, after) == 0 ? PP_OK
                                                  : pp_err_set(err, PP_INTERNAL, "storage error");
            PQclear(res);
            return status;
        }
        PQclear(res);
        if (status != PP_OK) {
            break;
        }
        /* No row changed: refused, or the currency has no row yet. */
        struct pp_balance b;
        memset(&b, 0, sizeof b);
        memcpy(b.currency, m->currency, sizeof b.currency);
        status = balance_lock(tx, &b, NULL, err);
        if (status == PP_OK) {
            status = move_refusal(&b, m, err);
        }
        if (status == PP_OK) {
            pg_params_init(&p);
            pg_param_text(&p, m->currency);
            status = store_pg_tx_run(tx, PG_STMT_BALANCE_CREATE, &p, NULL, NULL,
                                     "creating a balance", err);
        }
    }
    if (status == PP_OK) {
        pp_log(PP_LOG_ERROR, "store: a move in %s changed no balance row", m->currency);
        status = pp_err_set(err, PP_INTERNAL, "storage error");
    }
    return status;
}

/* Applies m to the batch's slot of its currency (the row is written at
** the end of the batch), creating the row at zero first when it has none. */
static enum pp_status slot_move(struct pg_tx *tx, struct pg_balance_slot *slot,
                                const struct pp_movement *m, struct pp_err *err)
{
    enum pp_status status = move_refusal(&slot->b, m, err);
    if (status == PP_OK && !slot->present) {
        struct pg_params p;
        pg_params_init(&p);
        pg_param_text(&p, m->currency);
        status =
            store_pg_tx_run(tx, PG_STMT_BALANCE_CREATE, &p, NULL, NULL, "creating a balance", err);
        if (status == PP_OK) {
            status = balance_lock(tx, &slot->b, &slot->present, err);
        }
        if (status == PP_OK && !slot->present) {
            pp_log(PP_LOG_ERROR, "store: the balance of %s was not created", m->currency);
            status = pp_err_set(err, PP_INTERNAL, "storage error");
        }
        if (status == PP_OK) {
            status = move_refusal(&slot->b, m, err);
        }
    }
    if (status == PP_OK) {
        slot->b.available += m->d_available;
        slot->b.blocked += m->d_blocked;
        slot->b.paid_out += m->d_paid_out;
        slot->dirty = 1;
    }
    return status;
}

enum pp_status store_pg_tx_balances_flush(struct pg_tx *tx, struct pp_err *err)
{
    enum pp_status status = PP_OK;
    const __int128 e18 = (__int128)1000000000000000000;
    for (size_t i = 0; i < tx->state.balances_count && status == PP_OK; i++) {
        struct pg_balance_slot *slot = &tx->state.balances[i];
        if (!slot->dirty) {
            continue;
        }
        PP_ASSERT(slot->present && slot->b.paid_out >= 0);
        struct pg_params p;
        pg_params_init(&p);
        pg_param_text(&p, slot->b.currency);
        pg_param_i64(&p, slot->b.available);
        pg_param_i64(&p, slot->b.blocked);
        pg_param_i64(&p, (int64_t)(slot->b.paid_out % e18));
        pg_param_i64(&p, (int64_t)(slot->b.paid_out / e18));
        status = store_pg_tx_send(tx, PG_STMT_BALANCE_SET, &p, 1, NULL, "writing a balance", err);
        slot->dirty = 0;
    }
    return status;
}

static enum pp_status ledger_append(struct pg_tx *tx, const struct pp_movement *m,
                                    struct pp_err *err)
{
    struct pg_params p;
    enum pg_fail fail = PG_FAIL_NONE;
    pg_params_init(&p);
    pg_param_i64(&p, m->at_ms);
    pg_param_text(&p, m->currency);
    pg_param_i64(&p, (int64_t)m->kind);
    pg_param_i64(&p, m->d_available);
    pg_param_i64(&p, m->d_blocked);
    pg_param_i64(&p, m->d_paid_out);
    pg_param_i64_or_null(&p, m->payout_id > 0 ? m->payout_id : 0);
    pg_param_text_or_null(&p, m->reference);
    pg_param_i64_or_null(&p, m->admin_id > 0 ? m->admin_id : 0);
    pg_param_i64(&p, store_pg_tx_id_next(tx, PG_IDS_LEDGER));
    enum pp_status status = store_pg_tx_insert(tx, PG_BULK_LEDGER, PG_STMT_LEDGER_INSERT, &p, &fail,
                                               "appending to the ledger", err);
    if (fail == PG_FAIL_CONSTRAINT && strstr(tx->conn->constraint, "payout") != NULL) {
        status =
            pp_err_set(err, PP_INVALID_PARAMS, "payout %lld not found", (long long)m->payout_id);
    } else if (fail == PG_FAIL_CONSTRAINT || fail == PG_FAIL_UNIQUE) {
        pp_log(PP_LOG_ERROR, "store: a ledger row was refused: %s", tx->conn->constraint);
        status = pp_err_set(err, PP_INTERNAL, "storage error");
    }
    return status;
}

enum pp_status store_pg_tx_funds_move(struct pg_tx *tx, const struct pp_movement *m,
                                      struct pp_balance *after_out, struct pp_err *err)
{
    PP_ASSERT(m != NULL);
    struct pp_balance after;
    memset(&after, 0, sizeof after);
    enum pp_status status = PP_OK;
    if (!store_pg_currency_ok(m->currency)) {
        return pp_err_set(err, PP_INVALID_PARAMS, "currency must be 3 upper-case letters");
    }
    if (m->reference != NULL && strlen(m->reference) > PP_REFERENCE_BYTES_MAX) {
        return pp_err_set(err, PP_INVALID_PARAMS, "reference must be at most %d bytes",
                          PP_REFERENCE_BYTES_MAX);
    }
    if (!movement_shape_ok(m) || m->admin_id < 0) {
        pp_log(PP_LOG_ERROR, "store: refused a %s movement in %s for payout %lld",
               pp_ledger_kind_name(m->kind), m->currency, (long long)m->payout_id);
        return pp_err_set(err, PP_INTERNAL, "storage error");
    }
    memcpy(after.currency, m->currency, sizeof after.currency);
    struct pg_balance_slot *slot = NULL;
    status = slot_get(tx, m->currency, &slot, err);
    if (status == PP_OK && slot != NULL) {
        status = slot_move(tx, slot, m, err);
        after = slot->b;
    } else if (status == PP_OK) {
        status = balance_move(tx, m, &after, err);
    }
    if (status == PP_OK) {
        status = ledger_append(tx, m, err);
    }
    if (status == PP_OK && after_out != NULL) {
        *after_out = after;
    }
    return status;
}
