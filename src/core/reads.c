/*
** This module implements the reads of the core (payout/core/reads.h): a
** page of a list, run on the store with its query (core/list_query.c),
** becomes the rows handed to the caller and the cursor of the next page;
** and the single-record and totals reads.
**
** It does not parse queries (core/list_query.c, core/query.c), know HTTP or
** JSON (api/reads.c writes the answers) or SQL.
*/
#include <string.h>

#include "internal.h"
#include "payout/base/assert.h"
#include "payout/core/reads.h"

int64_t core_payout_order_value(const struct pp_payout *p, enum store_order order)
{
    switch (order) {
    case STORE_ORDER_ID:
        return p->id;
    case STORE_ORDER_CREATED:
        return p->created_ms;
    case STORE_ORDER_UPDATED:
        return p->updated_ms;
    case STORE_ORDER_AMOUNT:
        return p->amount_minor;
    case STORE_ORDER_START:
        return p->start_ms;
    case STORE_ORDER_END:
        return p->end_ms;
    case STORE_ORDER_STATUS:
        return (int64_t)p->status;
    case STORE_ORDER_COUNT:
        break;
    }
    PP_ASSERT(0);
    return 0;
}

/* --- Reads ---------------------------------------------------------------------------- */

/* Wraps a row callback to remember the last row handed out. */
struct track {
    void *fn;
    void *ctx;
    enum store_order order;
    int64_t last_value;
    int64_t last_id;
};

static void track_payout(void *ctx, const struct pp_payout *p)
{
    struct track *t = ctx;
    t->last_value = core_payout_order_value(p, t->order);
    t->last_id = p->id;
    ((store_payout_fn)t->fn)(t->ctx, p);
}

static void track_recipient(void *ctx, const struct pp_recipient *r)
{
    struct track *t = ctx;
    t->last_value = t->last_id = r->id;
    ((store_recipient_fn)t->fn)(t->ctx, r);
}

static void track_project(void *ctx, const struct store_project *p)
{
    struct track *t = ctx;
    t->last_value = t->last_id = p->id;
    ((store_project_fn)t->fn)(t->ctx, p);
}

static void track_ledger(void *ctx, const struct store_ledger_row *l)
{
    struct track *t = ctx;
    t->last_value = t->last_id = l->id;
    ((store_ledger_fn)t->fn)(t->ctx, l);
}

static void list_result(struct core_app *app, const struct core_list_query *q,
                        const struct track *t, const struct store_page_info *info,
                        struct core_list_result *res)
{
    memset(res, 0, sizeof *res);
    res->rows = info->rows;
    res->more = info->more;
    res->total = info->total;
    res->last_value = t->last_value;
    res->last_id = t->last_id;
    if (info->more && info->rows > 0) {
        core_list_cursor_encode(q, app->jwt_key, t->last_value, t->last_id, res->next_cursor,
                                sizeof res->next_cursor);
    }
}

enum pp_status core_payouts_list(struct core_app *app, const struct core_list_query *q,
                                 store_payout_fn fn, void *ctx, struct core_list_result *res,
                                 struct pp_err *err)
{
    PP_ASSERT(q->kind == CORE_LIST_PAYOUTS || q->kind == CORE_LIST_EXPORT);
    struct track t = {(void *)fn, ctx, q->page.order, 0, 0};
    struct store_page_info info;
    enum pp_status st =
        store_payouts_page(app->store, &q->payouts, &q->page, track_payout, &t, &info, err);
    list_result(app, q, &t, &info, res);
    return st;
}

enum pp_status core_recipients_list(struct core_app *app, const struct core_list_query *q,
                                    store_recipient_fn fn, void *ctx,
                                    const struct store_page_totals *totals,
                                    struct core_list_result *res, struct pp_err *err)
{
    PP_ASSERT(q->kind == CORE_LIST_RECIPIENTS && (totals != NULL) == (q->stats != 0));
    struct track t = {(void *)fn, ctx, STORE_ORDER_ID, 0, 0};
    struct store_page_info info;
    enum pp_status st = store_recipients_page(app->store, &q->recipients, &q->page, track_recipient,
                                              &t, totals, &info, err);
    list_result(app, q, &t, &info, res);
    return st;
}

enum pp_status core_projects_list(struct core_app *app, const struct core_list_query *q,
                                  store_project_fn fn, void *ctx,
                                  const struct store_page_totals *totals,
                                  struct core_list_result *res, struct pp_err *err)
{
    PP_ASSERT(q->kind == CORE_LIST_PROJECTS && (totals != NULL) == (q->stats != 0));
    struct track t = {(void *)fn, ctx, STORE_ORDER_ID, 0, 0};
    struct store_page_info info;
    enum pp_status st = store_projects_page(app->store, &q->projects, &q->page, track_project, &t,
                                            totals, &info, err);
    list_result(app, q, &t, &info, res);
    return st;
}

enum pp_status core_ledger_list(struct core_app *app, const struct core_list_query *q,
                                store_ledger_fn fn, void *ctx, struct core_list_result *res,
                                struct pp_err *err)
{
    PP_ASSERT(q->kind == CORE_LIST_LEDGER);
    struct track t = {(void *)fn, ctx, STORE_ORDER_ID, 0, 0};
    struct store_page_info info;
    enum pp_status st =
        store_ledger_page(app->store, &q->ledger, &q->page, track_ledger, &t, &info, err);
    list_result(app, q, &t, &info, res);
    return st;
}

enum pp_status core_recipient_get(struct core_app *app, int64_t id, struct pp_recipient *out,
                                  struct pp_err *err)
{
    return store_recipient_get(app->store, id, out, err);
}

enum pp_status core_project_get(struct core_app *app, int64_t id, struct store_project *out,
                                struct pp_err *err)
{
    return store_project_get(app->store, id, out, err);
}

enum pp_status core_payout_totals(struct core_app *app, enum store_totals_of of, int64_t id,
                                  store_total_fn fn, void *ctx, struct pp_err *err)
{
    return store_payout_totals(app->store, of, id, fn, ctx, err);
}
