/*
** This header declares the query of a list (payouts, their CSV export,
** recipients, projects, ledger): its parameters declared as data for the
** query engine (payout/core/query.h), one table per list kind, and the
** checks of the query as a whole (amounts need a currency, ranges not
** reversed, page or cursor, the deepest offset page, a cursor that fits).
** A cursor is payout/core/cursor.h's; this module seals and checks it.
**
** No HTTP, JSON or SQL here: parameters arrive as (key, value) text.
*/
#ifndef PAYOUT_CORE_LIST_QUERY_H
#define PAYOUT_CORE_LIST_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "payout/core/app.h"
#include "payout/core/query.h"
#include "payout/store/reads.h"

enum core_list_kind {
    CORE_LIST_PAYOUTS = 1,
    CORE_LIST_EXPORT, /* payouts as CSV: the payout filters and order, no paging */
    CORE_LIST_RECIPIENTS,
    CORE_LIST_PROJECTS,
    CORE_LIST_LEDGER,
};

struct core_list_query {
    enum core_list_kind kind;
    struct store_payout_filter payouts;
    struct store_recipient_filter recipients;
    struct store_project_filter projects;
    struct store_ledger_filter ledger;
    struct store_page page;   /* ready for the store after core_list_query_finish */
    int64_t page_number;      /* 1-based: `page`, or the one the cursor continues to */
    int64_t size;             /* page size */
    unsigned page_given;      /* 1: `page` was given */
    int stats;                /* recipients, projects: 1 with stats=true (the rows' totals) */
    uint64_t filter_hash;     /* set by core_list_query_finish */
    struct core_query reader; /* the parameters read so far (until the finish) */
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
enum pp_status core_list_query_param(struct core_list_query *q, const char *key, const char *value,
                                     struct pp_err *err);

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

#endif /* PAYOUT_CORE_LIST_QUERY_H */
