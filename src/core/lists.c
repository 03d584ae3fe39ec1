/*
** This module implements bulk lists of payouts (payout/core/lists.h): the
** domain check of every row, then one store operation
** (store_payouts_create, the same as a single create) that creates the
** rows in order, collects every row's refusal, and either commits the
** whole list with one audit entry or rolls all of it back. It does not parse
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
#include "payout/sec/secrets.h"
#include "write.h"

/* Distinct currencies one list can name: the ISO 4217 table has fewer. */
#define LIST_CURRENCIES_MAX 256

/* The sum per currency of a list's good rows, for its audit entry. */
struct list_sum {
    const struct core_currency *currency; /* borrowed from the static table */
    int64_t sum_minor;
};

/* The audit detail of a list whose good rows are rows[i] with a uuid:
** "N payouts: 1.00 USD, 2.00 EUR" (ending "..." past 440 bytes: the
** audit detail holds 512). */
static void list_detail(const struct core_list_row *rows, size_t count, size_t good,
                        struct pp_buf *detail)
{
    struct list_sum *sums = pp_check_alloc(calloc(LIST_CURRENCIES_MAX, sizeof *sums));
    size_t n = 0;
    for (size_t i = 0; i < count; i++) {
        if (rows[i].uuid[0] == '\0') {
            continue;
        }
        size_t k = 0;
        while (k < n && sums[k].currency != rows[i].req.currency) {
            k++;
        }
        if (k == n) {
            PP_ASSERT(n < LIST_CURRENCIES_MAX);
            sums[n++].currency = rows[i].req.currency;
        }
        sums[k].sum_minor += rows[i].req.amount_minor;
    }
    char amount[PP_AMOUNT_TEXT_BYTES];
    pp_buf_printf(detail, "%zu payout%s", good, good == 1 ? "" : "s");
    for (size_t k = 0; k < n; k++) {
        if (detail->len > 440) {
            pp_buf_puts(detail, ", ...");
            break;
        }
        core_money_format(sums[k].sum_minor, sums[k].currency->exponent, amount, sizeof amount);
        pp_buf_printf(detail, "%s %s %s", k == 0 ? ":" : ",", amount, sums[k].currency->code);
    }
    free(sums);
}

/* Writes the good rows (those with a uuid) as one store operation, all or
** nothing (only tried, when check_only); each row the store refuses gets
** its reason. *bad_out = rows
** refused by the store, *bad_funds_out = of which for funds. */
static enum pp_status list_write(struct core_app *app, struct core_list_row *rows, size_t count,
                                 int check_only, const struct pp_actor *actor, int64_t now_ms,
                                 size_t *bad_out, size_t *bad_funds_out, struct pp_err *err)
{
    struct store_payout_new *news = pp_check_alloc(calloc(count, sizeof *news));
    size_t good = 0;
    for (size_t i = 0; i < count; i++) {
        if (rows[i].uuid[0] != '\0') {
            core_payout_new_fill(&rows[i].req, rows[i].status, rows[i].uuid, &news[good++]);
        }
    }
    struct pp_buf detail;
    pp_buf_init(&detail);
    list_detail(rows, count, good, &detail);
    struct core_write cw;
    core_write_begin(&cw, actor, now_ms);
    struct pp_err tx_err = {0};
    enum pp_status st =
        store_payouts_create(app->store, &cw.ctx, news, good, core_payout_recipient_rule,
                             check_only, "payment.create_list", detail.data, &tx_err);
    core_write_end(&cw, check_only ? PP_INVALID_PARAMS : st); /* a check records no key */
    *bad_out = *bad_funds_out = 0;
    for (size_t i = 0, k = 0; i < count; i++) {
        if (rows[i].uuid[0] == '\0') {
            continue;
        }
        const struct store_payout_new *n = &news[k++];
        if (n->err.status != PP_OK) {
            rows[i].err = n->err;
            (*bad_out)++;
            *bad_funds_out += n->err.status == PP_INSUFFICIENT_FUNDS;
        } else if (st == PP_OK && !check_only) {
            rows[i].id = n->payout.id;
            rows[i].project_id = n->payout.project_id;
            rows[i].recipient_id = n->payout.recipient_id;
        }
    }
    if (st != PP_OK && *bad_out == 0) {
        /* Not a row's refusal: the storage failed. */
        pp_err_set(err, st, "%s", tx_err.message);
    } else {
        st = PP_OK; /* the rows' refusals, if any, are on the rows */
    }
    pp_buf_free(&detail);
    free(news);
    return st;
}

/* Checks the domain rules of every row not yet refused, and gives each
** good row its uuid and initial status. *bad_out = rows refused here,
** *bad_funds_out = of which for funds. */
static enum pp_status list_prepare(struct core_app *app, struct core_list_row *rows, size_t count,
                                   int64_t now_ms, size_t *bad_out, size_t *bad_funds_out,
                                   struct pp_err *err)
{
    enum pp_status st = PP_OK;
    *bad_out = *bad_funds_out = 0;
    for (size_t i = 0; i < count && st == PP_OK; i++) {
        struct core_list_row *row = &rows[i];
        row->uuid[0] = '\0';
        row->id = row->project_id = row->recipient_id = 0;
        if (row->err.status == PP_OK) {
            core_payout_validate(&row->req, &row->err);
        }
        if (row->err.status != PP_OK) {
            (*bad_out)++;
            *bad_funds_out += row->err.status == PP_INSUFFICIENT_FUNDS;
            continue;
        }
        row->status =
            core_auth_policy_initial_status(app, row->req.currency->code, row->req.amount_minor);
        st = sec_uuid_v7(now_ms, row->uuid, err);
    }
    return st;
}

enum pp_status core_list_create(struct core_app *app, struct core_list_row *rows, size_t count,
                                const struct pp_actor *actor, int64_t *created_ms_out,
                                size_t *bad_out, struct pp_err *err)
{
    *bad_out = 0;
    *created_ms_out = 0;
    if (count == 0 || count > PP_LIST_ROWS_MAX) {
        return pp_err_set(err, PP_INVALID_PARAMS, "a list holds 1 to %d rows, not %zu",
                          PP_LIST_ROWS_MAX, count);
    }
    int64_t now_ms = core_now_ms();
    size_t bad = 0, bad_funds = 0, bad_written = 0, bad_funds_written = 0;
    enum pp_status st = list_prepare(app, rows, count, now_ms, &bad, &bad_funds, err);
    /* Even when some rows are already refused, the others are written (and
    ** rolled back) to find their refusals too: one answer names all. */
    if (st == PP_OK && bad < count) {
        st = list_write(app, rows, count, bad > 0, actor, now_ms, &bad_written, &bad_funds_written,
                        err);
    }
    if (st != PP_OK) {
        return st;
    }
    bad += bad_written;
    bad_funds += bad_funds_written;
    *bad_out = bad;
    if (bad > 0) {
        return bad == bad_funds
                   ? pp_err_set(err, PP_INSUFFICIENT_FUNDS,
                                "%zu of %zu rows exceed the available funds", bad, count)
                   : pp_err_set(err, PP_INVALID_PARAMS, "%zu of %zu rows are invalid", bad, count);
    }
    *created_ms_out = now_ms;
    return PP_OK;
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
