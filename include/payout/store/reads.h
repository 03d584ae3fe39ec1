/*
** This header is the storage contract of the read side: pages of payouts,
** recipients, projects and ledger movements under a filter, in an order,
** either after an offset or after a keyset position (the last row of the
** previous page), with an optional total; single recipients and projects;
** and payout totals (count and sum per currency and status) of a recipient
** or a project, or of every row of a page of recipients or projects (one
** aggregate query per page).
**
** Everything runs on the reader pool. Each list request runs in one read
** transaction (its rows and its total come from one snapshot). The SQL of
** a list is assembled from a fixed set of fragments chosen by which
** filters are used (never from caller text), every value is bound, and the
** prepared statement is cached per connection by that shape, so a hot list
** never prepares again. Totals are remembered per connection until the
** next commit (PRAGMA data_version), so paging one list counts once.
**
** Rows are handed to a callback one at a time, while the reader is held:
** the callback must be quick and must not call the store.
*/
#ifndef PAYOUT_STORE_READS_H
#define PAYOUT_STORE_READS_H

#include <stddef.h>
#include <stdint.h>

#include "payout/limits.h"
#include "payout/model.h"
#include "payout/status.h"

struct store;

/* The order of a payout list. Every order ends with the id, in the same
** direction, so it is total. Recipients, projects and the ledger are
** ordered by id only. */
enum store_order {
    STORE_ORDER_ID = 0,
    STORE_ORDER_CREATED,
    STORE_ORDER_UPDATED,
    STORE_ORDER_AMOUNT,
    STORE_ORDER_START,
    STORE_ORDER_END,
    STORE_ORDER_STATUS,
    STORE_ORDER_COUNT
};

/* The filters of a payout list; `used` says which fields count. */
enum {
    STORE_PF_STATUS = 1u << 0,       /* status_mask */
    STORE_PF_CURRENCY = 1u << 1,     /* currency */
    STORE_PF_PROJECT = 1u << 2,      /* project_id */
    STORE_PF_RECIPIENT = 1u << 3,    /* recipient_id */
    STORE_PF_IDS = 1u << 4,          /* ids[0..ids_count) */
    STORE_PF_AMOUNT_MIN = 1u << 5,   /* amount_minor >= amount_min */
    STORE_PF_AMOUNT_MAX = 1u << 6,   /* amount_minor <= amount_max */
    STORE_PF_CREATED_FROM = 1u << 7, /* created_ms >= created_from ... */
    STORE_PF_CREATED_TO = 1u << 8,   /* ... <= created_to (both inclusive) */
    STORE_PF_START_FROM = 1u << 9,
    STORE_PF_START_TO = 1u << 10,
    STORE_PF_END_FROM = 1u << 11,
    STORE_PF_END_TO = 1u << 12,
    STORE_PF_ALL = (1u << 13) - 1u
};

/* Self-contained (no pointers), so it can be copied into a long-lived
** export stream. */
struct store_payout_filter {
    unsigned used;
    unsigned status_mask; /* bit (1u << status) for each wanted status */
    char currency[4];
    int64_t project_id;
    int64_t recipient_id;
    size_t ids_count;
    int64_t ids[PP_READ_IDS_MAX]; /* ascending, distinct, positive */
    int64_t amount_min;
    int64_t amount_max;
    int64_t created_from, created_to;
    int64_t start_from, start_to;
    int64_t end_from, end_to;
};

enum {
    STORE_RF_USER_NAME = 1u << 0,
    STORE_RF_PHONE_NUMBER = 1u << 1,
    STORE_RF_REFERENCE_ID = 1u << 2,
};

/* Recipients whose identifiers equal these exactly. */
struct store_recipient_filter {
    unsigned used;
    char user_name[PP_IDENT_BYTES_MAX + 1];
    char phone_number[PP_IDENT_BYTES_MAX + 1];
    char reference_id[PP_IDENT_BYTES_MAX + 1];
};

/* Projects; has_name: only the project with exactly this name. */
struct store_project_filter {
    int has_name;
    char name[PP_PROJECT_NAME_BYTES_MAX + 1];
};

enum {
    STORE_LF_CURRENCY = 1u << 0,
    STORE_LF_FROM = 1u << 1, /* at_ms >= from_ms */
    STORE_LF_TO = 1u << 2,   /* at_ms <= to_ms */
    STORE_LF_PAYOUT = 1u << 3,
};

struct store_ledger_filter {
    unsigned used;
    char currency[4];
    int64_t from_ms;
    int64_t to_ms;
    int64_t payout_id;
};

/* Which page. */
struct store_page {
    enum store_order order; /* STORE_ORDER_ID for everything but payouts */
    int desc;               /* 1: descending (both the order field and the id) */
    size_t limit;           /* rows wanted, >= 1 */
    int64_t offset;         /* rows skipped first (offset paging); 0 with a keyset */
    int keyset;             /* 1: the page starts right after (after_value, after_id) */
    int64_t after_value;    /* the order field's value of the previous page's last row */
    int64_t after_id;
    int want_total;         /* 1: count the rows matching the filter */
};

struct store_page_info {
    size_t rows;   /* rows handed to the callback (<= limit) */
    int more;      /* 1: at least one more row follows this page */
    int64_t total; /* rows matching the filter, or -1 when not counted */
};

struct store_project {
    int64_t id;
    char name[PP_PROJECT_NAME_BYTES_MAX + 1];
    int64_t created_ms;
};

struct store_ledger_row {
    int64_t id;
    int64_t at_ms;
    char currency[4];
    enum pp_ledger_kind kind;
    int64_t d_available;
    int64_t d_blocked;
    int64_t d_paid_out;
    int64_t payout_id; /* 0 when not about a payout */
    char reference[PP_REFERENCE_BYTES_MAX + 1];
};

/* Count and sum of some payouts of one currency in one status. */
struct store_total {
    char currency[4];
    enum pp_payout_status status;
    int64_t count;
    __int128 sum_minor; /* exact: the sum of many amounts may pass 2^63 */
};

/* Row callbacks: rows are borrowed for the call only. */
typedef void (*store_payout_fn)(void *ctx, const struct pp_payout *p);
typedef void (*store_recipient_fn)(void *ctx, const struct pp_recipient *r);
typedef void (*store_project_fn)(void *ctx, const struct store_project *p);
typedef void (*store_ledger_fn)(void *ctx, const struct store_ledger_row *l);
typedef void (*store_total_fn)(void *ctx, const struct store_total *t);
/* A total of the payouts of row `id` of a page (recipient or project). */
typedef void (*store_row_total_fn)(void *ctx, int64_t id, const struct store_total *t);

/* What a page of recipients or projects also reads: the payout totals of
** its rows, handed to fn(ctx, id, total) after the last row, from the same
** snapshot as the rows. */
struct store_page_totals {
    store_row_total_fn fn;
    void *ctx;
};

/* One page of payouts matching f, in page->order: fn(ctx, row) for each,
** *info filled. PP_UNAVAILABLE / PP_INTERNAL on storage failures (rows may
** have been handed out before). Asserts on a malformed page or filter. */
enum pp_status store_payouts_page(struct store *st, const struct store_payout_filter *f,
                                  const struct store_page *page, store_payout_fn fn, void *ctx,
                                  struct store_page_info *info, struct pp_err *err);

/* The same for recipients, projects and ledger movements (order by id).
**
** totals (recipients and projects; NULL: none, and the page runs exactly as
** without it): after the page's rows, in the same read transaction, ONE
** aggregate query over the payouts whose recipient (project) is one of the
** page's rows, through the payouts' recipient (project) index, calls
** totals->fn for each (row, currency, status) those payouts have: grouped
** by row in the page's order, then by currency and status, like
** store_payout_totals. A row without payouts gets no call; an empty page
** runs no query. page->limit must be at most PP_PAGE_SIZE_MAX then. */
enum pp_status store_recipients_page(struct store *st, const struct store_recipient_filter *f,
                                     const struct store_page *page, store_recipient_fn fn,
                                     void *ctx, const struct store_page_totals *totals,
                                     struct store_page_info *info, struct pp_err *err);
enum pp_status store_projects_page(struct store *st, const struct store_project_filter *f,
                                   const struct store_page *page, store_project_fn fn, void *ctx,
                                   const struct store_page_totals *totals,
                                   struct store_page_info *info, struct pp_err *err);
enum pp_status store_ledger_page(struct store *st, const struct store_ledger_filter *f,
                                 const struct store_page *page, store_ledger_fn fn, void *ctx,
                                 struct store_page_info *info, struct pp_err *err);

/* One recipient / project; PP_NOT_FOUND if there is none. */
enum pp_status store_recipient_get(struct store *st, int64_t id, struct pp_recipient *out,
                                   struct pp_err *err);
enum pp_status store_project_get(struct store *st, int64_t id, struct store_project *out,
                                 struct pp_err *err);

/* Whose payouts store_payout_totals sums. */
enum store_totals_of { STORE_TOTALS_RECIPIENT, STORE_TOTALS_PROJECT };

/* fn(ctx, total) for each (currency, status) that the payouts of recipient
** or project `id` have, ordered by currency then status. A sum beyond
** int64 is PP_INTERNAL (it cannot happen below PP_BALANCE_MINOR_MAX). */
enum pp_status store_payout_totals(struct store *st, enum store_totals_of of, int64_t id,
                                   store_total_fn fn, void *ctx, struct pp_err *err);

/* The canonical bytes of a payout filter (fields in a fixed order, unused
** ones as zeros): equal filters give equal bytes. Writes at most
** PP_READ_FILTER_KEY_BYTES into out and returns the length. The other
** lists' filters have their own. */
size_t store_payout_filter_key(const struct store_payout_filter *f, unsigned char *out);
size_t store_recipient_filter_key(const struct store_recipient_filter *f, unsigned char *out);
size_t store_project_filter_key(const struct store_project_filter *f, unsigned char *out);
size_t store_ledger_filter_key(const struct store_ledger_filter *f, unsigned char *out);

/* The SQL a payout page with this filter shape and page runs (for EXPLAIN
** QUERY PLAN in benchmarks and tests): written into out (NUL-terminated,
** cut at out_size). part: 0 the page (or its tie part with a keyset on a
** field other than id), 1 the rest part, 2 the count. */
void store_payouts_page_sql(const struct store_payout_filter *f, const struct store_page *page,
                            int part, char *out, size_t out_size);

#endif /* PAYOUT_STORE_READS_H */
