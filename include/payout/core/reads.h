/*
** This header declares the reads of the core: a page of a list (payouts,
** their CSV export, recipients, projects, ledger) for a query of
** payout/core/list_query.h, with the cursor of the next page, and the
** single-record and totals reads over the store (payout/store/reads.h).
*/
#ifndef PAYOUT_CORE_READS_H
#define PAYOUT_CORE_READS_H

#include <stddef.h>
#include <stdint.h>

#include "payout/core/app.h"
#include "payout/core/list_query.h"
#include "payout/store/reads.h"

/* The value of order field `order` of p (the id for STORE_ORDER_ID). */
int64_t core_payout_order_value(const struct pp_payout *p, enum store_order order);

struct core_list_result {
    size_t rows;        /* rows handed out */
    int more;           /* 1: another page follows */
    int64_t total;      /* rows matching the filter; -1 when not counted */
    int64_t last_value; /* order value and id of the last row handed out */
    int64_t last_id;
    char next_cursor[PP_CURSOR_TEXT_BYTES]; /* "" when no page follows */
};

/* One page of the list q (after core_list_query_check) from the reader
** pool: fn(ctx, row) per row, *res filled (with the cursor of the next
** page). The export reads its chunks with core_payouts_list too, moving
** q->page's keyset along. Storage failures are PP_UNAVAILABLE/PP_INTERNAL. */
enum pp_status core_payouts_list(struct core_app *app, const struct core_list_query *q,
                                 store_payout_fn fn, void *ctx, struct core_list_result *res,
                                 struct pp_err *err);
/* Recipients and projects: totals must be given exactly when q->stats is
** set; it then receives the payout totals of the page's rows after them
** (see store_recipients_page). */
enum pp_status core_recipients_list(struct core_app *app, const struct core_list_query *q,
                                    store_recipient_fn fn, void *ctx,
                                    const struct store_page_totals *totals,
                                    struct core_list_result *res, struct pp_err *err);
enum pp_status core_projects_list(struct core_app *app, const struct core_list_query *q,
                                  store_project_fn fn, void *ctx,
                                  const struct store_page_totals *totals,
                                  struct core_list_result *res, struct pp_err *err);
enum pp_status core_ledger_list(struct core_app *app, const struct core_list_query *q,
                                store_ledger_fn fn, void *ctx, struct core_list_result *res,
                                struct pp_err *err);

/* One recipient / project; PP_NOT_FOUND if there is none. */
enum pp_status core_recipient_get(struct core_app *app, int64_t id, struct pp_recipient *out,
                                  struct pp_err *err);
enum pp_status core_project_get(struct core_app *app, int64_t id, struct store_project *out,
                                struct pp_err *err);

/* Count and sum of the payouts of a recipient or project per currency and
** status (see store_payout_totals). */
enum pp_status core_payout_totals(struct core_app *app, enum store_totals_of of, int64_t id,
                                  store_total_fn fn, void *ctx, struct pp_err *err);

#endif /* PAYOUT_CORE_READS_H */
