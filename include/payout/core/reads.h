/*
** This header declares the read side of the core: the query of a list
** (payouts, their CSV export, recipients, projects, ledger) built from
** query parameters one at a time with an allowlist, checked as a whole,
** and its keyset cursor; and the list, single-record and totals reads
** over the store (payout/store/reads.h).
**
** Cursor: base64url (no padding) of 40 bytes: version, list kind, order
** field, direction, page number, the order value and id of the last row
** of the previous page, 8 bytes of a hash of the canonical filter, and an
** 8-byte tag (SHA-256 under the server's key) over all of it. It is
** opaque to clients; a cursor that was altered, comes from another list,
** order, direction or filter set is PP_INVALID_PARAMS. A cursor grants
** nothing a client could not ask for with filters: it only says where a
** page starts.
**
** No HTTP, JSON or SQL here: parameters arrive as (key, value) text.
*/
#ifndef PAYOUT_CORE_READS_H
#define PAYOUT_CORE_READS_H

#include <stddef.h>
#include <stdint.h>

#include "payout/model/list.h"
#include "payout/status.h"

struct core_app;

enum core_list_kind {
    CORE_LIST_PAYOUTS = 1,
    CORE_LIST_EXPORT,     /* payouts as CSV: the payout filters and order, no paging */
    CORE_LIST_RECIPIENTS,
    CORE_LIST_PROJECTS,
    CORE_LIST_LEDGER,
};

struct core_list_query {
    enum core_list_kind kind;
    struct pp_payout_filter payouts;
    struct pp_recipient_filter recipients;
    struct pp_project_filter projects;
    struct pp_ledger_filter ledger;
    struct pp_page page;   /* ready for the store after core_list_query_finish */
    int64_t page_number;      /* 1-based: `page`, or the one the cursor continues to */
    size_t size;              /* page size */
    uint64_t seen;            /* parameters given so far (a repeat is refused) */
    int stats;                /* recipients, projects: 1 with stats=true (the rows' totals) */
    uint64_t filter_hash;     /* set by core_list_query_finish */
    /* Borrowed from the caller until core_list_query_finish returns. */
    const char *cursor_text;
    const char *amount_min_text;
    const char *amount_max_text;
};

/* Prepares q for a list of this kind: no filter, order by id ascending,
** page 1, size PP_PAGE_SIZE_DEFAULT, with a total. */
void core_list_query_init(struct core_list_query *q, enum core_list_kind kind);

/* Takes one query parameter. key must be one the kind accepts (see
** docs/api.md); value NULL means "key without '='". PP_INVALID_PARAMS with
** a message naming the parameter for: an unknown key, a repeated key, a
** missing or empty value, a value that does not parse or is out of range.
** value is borrowed until core_list_query_finish (amounts and the cursor
** are read there). */
enum pp_status core_list_query_param(struct core_list_query *q, const char *key,
                                     const char *value, struct pp_err *err);

/* Checks q as a whole and makes q->page ready: amounts need `currency`
** (they are parsed with its decimals), ranges must not be reversed,
** `page` and `cursor` exclude each other, `page` may not skip more than
** PP_PAGE_OFFSET_MAX rows, and a cursor must be intact (key is the
** PP_JWT_KEY_BYTES key its tag was made with) and made for the same list,
** order, direction and filters. PP_INVALID_PARAMS otherwise. */
enum pp_status core_list_query_finish(struct core_list_query *q, const uint8_t *key,
                                      struct pp_err *err);

/* The same with the server's key. */
enum pp_status core_list_query_check(struct core_app *app, struct core_list_query *q,
                                     struct pp_err *err);

/* Writes the cursor of the page after the row (value, id), which is page
** q->page_number, into out (PP_CURSOR_TEXT_BYTES). */
void core_list_cursor_encode(const struct core_list_query *q, const uint8_t *key, int64_t value,
                             int64_t id, char *out, size_t out_size);

/* The value of order field `order` of p (the id for PP_ORDER_ID). */
int64_t core_payout_order_value(const struct pp_payout *p, enum pp_order order);

struct core_list_result {
    size_t rows;           /* rows handed out */
    int more;              /* 1: another page follows */
    int64_t total;         /* rows matching the filter; -1 when not counted */
    int64_t last_value;    /* order value and id of the last row handed out */
    int64_t last_id;
    char next_cursor[PP_CURSOR_TEXT_BYTES]; /* "" when no page follows */
};

/* One page of the list q (after core_list_query_check) from the reader
** pool: fn(ctx, row) per row, *res filled (with the cursor of the next
** page). The export reads its chunks with core_payouts_list too, moving
** q->page's keyset along. Storage failures are PP_UNAVAILABLE/PP_INTERNAL. */
enum pp_status core_payouts_list(struct core_app *app, const struct core_list_query *q,
                                 pp_payout_fn fn, void *ctx, struct core_list_result *res,
                                 struct pp_err *err);
/* Recipients and projects: totals must be given exactly when q->stats is
** set; it then receives the payout totals of the page's rows after them
** (see store_recipients_page). */
enum pp_status core_recipients_list(struct core_app *app, const struct core_list_query *q,
                                    pp_recipient_fn fn, void *ctx,
                                    const struct pp_page_totals *totals,
                                    struct core_list_result *res, struct pp_err *err);
enum pp_status core_projects_list(struct core_app *app, const struct core_list_query *q,
                                  pp_project_fn fn, void *ctx,
                                  const struct pp_page_totals *totals,
                                  struct core_list_result *res, struct pp_err *err);
enum pp_status core_ledger_list(struct core_app *app, const struct core_list_query *q,
                                pp_ledger_fn fn, void *ctx, struct core_list_result *res,
                                struct pp_err *err);

/* One recipient / project; PP_NOT_FOUND if there is none. */
enum pp_status core_recipient_get(struct core_app *app, int64_t id, struct pp_recipient *out,
                                  struct pp_err *err);
enum pp_status core_project_get(struct core_app *app, int64_t id, struct pp_project *out,
                                struct pp_err *err);

/* Count and sum of the payouts of a recipient or project per currency and
** status (see store_payout_totals). */
enum pp_status core_payout_totals(struct core_app *app, enum pp_totals_of of, int64_t id,
                                  pp_total_fn fn, void *ctx, struct pp_err *err);

#endif /* PAYOUT_CORE_READS_H */
