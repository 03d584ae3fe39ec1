/*
** This module implements bulk lists of payouts (payout/core/lists.h): the
** domain check of every row, then one transaction that creates the rows
** in order through core_payout_write_create (the same path as a single
** create), collects every row's refusal, and either commits the whole
** list with one audit entry or rolls all of it back. It does not parse
** JSON or CSV (api/lists.c does) and knows no SQL.
*/
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "payout/base/assert.h"
#include "payout/base/buf.h"
#include "payout/core/auth_policy.h"
#include "payout/core/dates.h"
#include "payout/core/lists.h"
#include "payout/core/payouts.h"
#include "payout/core/write.h"
#include "payout/sec/secrets.h"

/* Distinct currencies one list can name: the ISO 4217 table has fewer. */
#define LIST_CURRENCIES_MAX 256

/* What the transaction keeps per currency of the list. */
struct list_currency {
    const struct core_currency *currency; /* borrowed from the static table */
    int overspent;                        /* a row of it did not fit */
    int64_t sum_minor;                    /* of the rows written */
};

struct list_op {
    struct core_list_row *rows;
    size_t count;
    const struct pp_actor *actor;
    int64_t now_ms;
    size_t bad;                /* out: rows refused (before and in the transaction) */
    size_t bad_funds;          /* out: of which for funds */
    size_t bad_prepared;       /* rows refused before the transaction */
    size_t bad_funds_prepared; /* of which for funds */
    struct list_currency currencies[LIST_CURRENCIES_MAX];
    size_t currency_count;
};

/* The entry of cur in op (added on first use). */
static struct list_currency *list_currency_of(struct list_op *op, const struct core_currency *cur)
{
    for (size_t i = 0; i < op->currency_count; i++) {
        if (op->currencies[i].currency == cur) {
            return &op->currencies[i];
        }
    }
    PP_ASSERT(op->currency_count < LIST_CURRENCIES_MAX);
    struct list_currency *c = &op->currencies[op->currency_count++];
    c->currency = cur;
    c->overspent = 0;
    c->sum_minor = 0;
    return c;
}

/* The audit entry of a created list: the id range (ids of one transaction
** on the one writer are consecutive) and the total per currency. */
static enum pp_status list_audit(struct store_tx *tx, const struct list_op *op, struct pp_err *err)
{
    char subject[64];
    char amount[PP_AMOUNT_TEXT_BYTES];
    struct pp_buf detail;
    int64_t first = op->rows[0].id;
    int64_t last = op->rows[op->count - 1].id;
    if (first == last) {
        snprintf(subject, sizeof subject, "payout:%" PRId64, first);
    } else {
        snprintf(subject, sizeof subject, "payout:%" PRId64 "..%" PRId64, first, last);
    }
    pp_buf_init(&detail);
    pp_buf_printf(&detail, "%zu payout%s", op->count, op->count == 1 ? "" : "s");
    for (size_t i = 0; i < op->currency_count; i++) {
        const struct list_currency *c = &op->currencies[i];
        /* The audit detail holds 512 bytes; a list naming dozens of
        ** currencies ends with "...". */
        if (detail.len > 440) {
            pp_buf_puts(&detail, ", ...");
            break;
        }
        core_money_format(c->sum_minor, c->currency->exponent, amount, sizeof amount);
        pp_buf_printf(&detail, "%s %s %s", i == 0 ? ":" : ",", amount, c->currency->code);
    }
    enum pp_status st = core_audit_append(tx, op->actor, "payment.create_list", subject,
                                          detail.data, op->now_ms, err);
    pp_buf_free(&detail);
    return st;
}

/* Writes one good row; records a refusal on the row. Returns PP_OK for a
** written or refused row, or a storage failure that ends the list. */
static enum pp_status write_row(struct store_tx *tx, struct list_op *op, struct core_list_row *row,
                                struct pp_err *err)
{
    struct list_currency *c = list_currency_of(op, row->req.currency);
    if (c->overspent) {
        pp_err_set(&row->err, PP_INSUFFICIENT_FUNDS,
                   "insufficient funds in %s: an earlier %s row of this list already exceeds "
                   "the available balance",
                   c->currency->code, c->currency->code);
        op->bad++;
        op->bad_funds++;
        return PP_OK;
    }
    struct pp_payout p;
    enum pp_status st =
        core_payout_write_create(tx, &row->req, row->status, row->uuid, op->now_ms, &p, &row->err);
    if (st == PP_OK) {
        row->id = p.id;
        row->project_id = p.project_id;
        row->recipient_id = p.recipient_id;
        c->sum_minor += p.amount_minor;
    } else if (st == PP_INVALID_PARAMS || st == PP_INSUFFICIENT_FUNDS) {
        op->bad++;
        if (st == PP_INSUFFICIENT_FUNDS) {
            c->overspent = 1;
            op->bad_funds++;
        }
        st = PP_OK;
    } else {
        pp_err_set(err, st, "%s", row->err.message);
    }
    return st;
}

/* Starts the transaction's bookkeeping afresh, so that the callback is
** correct however often the writer runs it. Rows refused before the
** transaction have no uuid. */
static void list_reset(struct list_op *op)
{
    op->bad = op->bad_prepared;
    op->bad_funds = op->bad_funds_prepared;
    op->currency_count = 0;
    for (size_t i = 0; i < op->count; i++) {
        struct core_list_row *row = &op->rows[i];
        if (row->uuid[0] != '\0') {
            pp_err_clear(&row->err);
            row->id = row->project_id = row->recipient_id = 0;
        }
    }
}

static enum pp_status write_list(struct store_tx *tx, void *arg, struct pp_err *err)
{
    struct list_op *op = arg;
    enum pp_status st = PP_OK;
    list_reset(op);
    for (size_t i = 0; i < op->count && st == PP_OK; i++) {
        if (op->rows[i].uuid[0] != '\0') {
            st = write_row(tx, op, &op->rows[i], err);
        }
    }
    if (st == PP_OK && op->bad > 0) {
        /* Rolls back every row written so far (also when the only bad rows
        ** were refused before the transaction: then this was a dry run to
        ** find the rest); the caller reports the rows. */
        st = pp_err_set(err, PP_INVALID_PARAMS, "the list has bad rows");
    } else if (st == PP_OK) {
        st = list_audit(tx, op, err);
    }
    return st;
}

/* Checks the domain rules of every row not yet refused, and gives each
** good row its uuid and initial status. Counts the bad rows in op. */
static enum pp_status list_prepare(struct core_app *app, struct list_op *op, struct pp_err *err)
{
    enum pp_status st = PP_OK;
    for (size_t i = 0; i < op->count && st == PP_OK; i++) {
        struct core_list_row *row = &op->rows[i];
        row->uuid[0] = '\0';
        if (row->err.status == PP_OK) {
            core_payout_validate(&row->req, &row->err);
        }
        if (row->err.status != PP_OK) {
            op->bad_prepared++;
            op->bad_funds_prepared += row->err.status == PP_INSUFFICIENT_FUNDS;
            continue;
        }
        row->status =
            core_auth_policy_initial_status(app, row->req.currency->code, row->req.amount_minor);
        st = sec_uuid_v7(op->now_ms, row->uuid, err);
    }
    op->bad = op->bad_prepared;
    op->bad_funds = op->bad_funds_prepared;
    return st;
}

enum pp_status core_list_create(struct core_app *app, struct core_list_row *rows, size_t count,
                                const struct pp_actor *actor, int64_t *created_ms_out,
                                size_t *bad_out, struct pp_err *err)
{
    enum pp_status st = PP_OK;
    *bad_out = 0;
    *created_ms_out = 0;
    if (count == 0 || count > PP_LIST_ROWS_MAX) {
        return pp_err_set(err, PP_INVALID_PARAMS, "a list holds 1 to %d rows, not %zu",
                          PP_LIST_ROWS_MAX, count);
    }
    struct list_op *op = pp_check_alloc(calloc(1, sizeof *op));
    op->rows = rows;
    op->count = count;
    op->actor = actor;
    op->now_ms = core_now_ms();
    st = list_prepare(app, op, err);
    /* Even when some rows are already refused, the others are written (and
    ** rolled back) to find their refusals too: one answer names all. */
    if (st == PP_OK && op->bad_prepared < count) {
        struct pp_err tx_err = {0};
        st = core_write_run(app, write_list, op, &tx_err);
        if (st == PP_INVALID_PARAMS && op->bad > 0) {
            st = PP_OK; /* the rows' refusals, reported below */
        } else if (st != PP_OK) {
            /* Not a row's refusal: the storage failed. */
            pp_err_set(err, st, "%s", tx_err.message);
            goto done;
        }
    }
    if (st != PP_OK) {
        goto done;
    }
    *bad_out = op->bad;
    if (op->bad > 0) {
        st =
            op->bad == op->bad_funds
                ? pp_err_set(err, PP_INSUFFICIENT_FUNDS,
                             "%zu of %zu rows exceed the available funds", op->bad, count)
                : pp_err_set(err, PP_INVALID_PARAMS, "%zu of %zu rows are invalid", op->bad, count);
    } else {
        *created_ms_out = op->now_ms;
    }
done:
    free(op);
    return st;
}

void core_list_row_payout(const struct core_list_row *row, int64_t created_ms,
                          struct pp_payout *out)
{
    const struct core_payout_request *req = &row->req;
    PP_ASSERT(row->id > 0);
    memset(out, 0, sizeof *out);
    out->id = row->id;
    out->project_id = row->project_id;
    out->recipient_id = row->recipient_id;
    memcpy(out->currency, req->currency->code, sizeof out->currency);
    out->amount_minor = req->amount_minor;
    out->start_ms = req->start_ms;
    out->end_ms = req->end_ms;
    snprintf(out->description, sizeof out->description, "%s", req->description);
    snprintf(out->metadata, sizeof out->metadata, "%s", req->metadata ? req->metadata : "");
    snprintf(out->uuid, sizeof out->uuid, "%s", row->uuid);
    out->notification = req->notification != 0;
    out->status = row->status;
    out->created_ms = created_ms;
    out->updated_ms = created_ms;
}
