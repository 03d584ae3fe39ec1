/*
** This header declares bulk lists of payouts: one call creates a whole
** list, all or nothing, in ONE transaction, and reports every bad row.
** The rows come from a JSON array or a CSV import (api/lists.c); here they
** are plain create requests.
**
** How a list is judged: rows the caller already found malformed (their err
** is set) are kept as they are; every other row must pass the domain rules
** of a single create (core_payout_validate). Then the valid rows are
** written, in order, inside one transaction; failures there (a recipient
** conflict, funds) are recorded on their row and the writing goes on, so
** that one answer names every bad row. If any row is bad the transaction
** is rolled back: nothing at all is written (no project, recipient,
** payout, ledger or audit row).
**
** Funds: the rows of one currency are blocked one after the other against
** the available balance. The first row that no longer fits and every
** later row of that currency are PP_INSUFFICIENT_FUNDS, also those that
** would fit on their own, because the list as a whole overspends there.
*/
#ifndef PAYOUT_CORE_LISTS_H
#define PAYOUT_CORE_LISTS_H

#include <stddef.h>
#include <stdint.h>

#include "payout/core/payouts.h"
#include "payout/model.h"
#include "payout/status.h"

struct core_app;

/* One row of a list: the request in, its outcome out. */
struct core_list_row {
    struct core_payout_request req; /* in; strings borrowed from the caller */
    /* in/out: a row the caller found malformed arrives with err set; core
    ** sets PP_INVALID_PARAMS or PP_INSUFFICIENT_FUNDS for the rows it
    ** refuses. PP_OK = the row is good. */
    struct pp_err err;
    /* out, when the whole list was created: */
    int64_t id;
    int64_t project_id;
    int64_t recipient_id;
    enum pp_payout_status status;
    char uuid[PP_UUID_TEXT_BYTES];
};

/* Creates rows[0..count) (1..PP_LIST_ROWS_MAX) as payouts in one
** transaction with one audit entry ("payment.create_list").
** Returns:
**   PP_OK: every row was created; each row's id, parties, status and uuid
**          are set, *created_ms_out is the creation moment of all of them.
**   PP_INVALID_PARAMS or PP_INSUFFICIENT_FUNDS (the latter only when every
**          bad row is a funds refusal): nothing was written; each bad row
**          carries its reason, *bad_out counts them and err summarises
**          ("3 of 500 rows are invalid").
**   anything else (storage failure): nothing was written; err says why;
**          the rows' errors are incomplete.
** A count of 0 or over PP_LIST_ROWS_MAX is PP_INVALID_PARAMS (*bad_out 0). */
enum pp_status core_list_create(struct core_app *app, struct core_list_row *rows, size_t count,
                                const struct pp_actor *actor, int64_t *created_ms_out,
                                size_t *bad_out, struct pp_err *err);

/* The payout object row i became (for answers): its request's fields plus
** what core_list_create set. row must have been created. */
void core_list_row_payout(const struct core_list_row *row, int64_t created_ms,
                          struct pp_payout *out);

#endif /* PAYOUT_CORE_LISTS_H */
