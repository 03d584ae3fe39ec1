/*
** This header declares the domain types of lists, shared by the layers
** that ask for a list (api, core) and the one that reads it (store): the
** orders, the filters of payouts, recipients, projects and ledger rows,
** which page, the rows a page hands out (projects and ledger rows; payouts
** and recipients are in payout/model.h), payout totals per currency and
** status, and the row callbacks. Plain data, no storage.
*/
#ifndef PAYOUT_MODEL_LIST_H
#define PAYOUT_MODEL_LIST_H

#include <stddef.h>
#include <stdint.h>

#include "payout/limits.h"
#include "payout/model.h"

/* The order of a payout list. Every order ends with the id, in the same
** direction, so it is total. Recipients, projects and the ledger are
** ordered by id only. */
enum pp_order {
    PP_ORDER_ID = 0,
    PP_ORDER_CREATED,
    PP_ORDER_UPDATED,
    PP_ORDER_AMOUNT,
    PP_ORDER_START,
    PP_ORDER_END,
    PP_ORDER_STATUS,
    PP_ORDER_COUNT
};

/* The filters of a payout list; `used` says which fields count. */
enum {
    PP_PF_STATUS = 1u << 0,       /* status_mask */
    PP_PF_CURRENCY = 1u << 1,     /* currency */
    PP_PF_PROJECT = 1u << 2,      /* project_id */
    PP_PF_RECIPIENT = 1u << 3,    /* recipient_id */
    PP_PF_IDS = 1u << 4,          /* ids[0..ids_count) */
    PP_PF_AMOUNT_MIN = 1u << 5,   /* amount_minor >= amount_min */
    PP_PF_AMOUNT_MAX = 1u << 6,   /* amount_minor <= amount_max */
    PP_PF_CREATED_FROM = 1u << 7, /* created_ms >= created_from ... */
    PP_PF_CREATED_TO = 1u << 8,   /* ... <= created_to (both inclusive) */
    PP_PF_START_FROM = 1u << 9,
    PP_PF_START_TO = 1u << 10,
    PP_PF_END_FROM = 1u << 11,
    PP_PF_END_TO = 1u << 12,
    PP_PF_ALL = (1u << 13) - 1u
};

/* Self-contained (no pointers), so it can be copied into a long-lived
** export stream. */
struct pp_payout_filter {
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
    PP_RF_USER_NAME = 1u << 0,
    PP_RF_PHONE_NUMBER = 1u << 1,
    PP_RF_REFERENCE_ID = 1u << 2,
};

/* Recipients whose identifiers equal these exactly. */
struct pp_recipient_filter {
    unsigned used;
    char user_name[PP_IDENT_BYTES_MAX + 1];
    char phone_number[PP_IDENT_BYTES_MAX + 1];
    char reference_id[PP_IDENT_BYTES_MAX + 1];
};

/* Projects; has_name: only the project with exactly this name. */
struct pp_project_filter {
    int has_name;
    char name[PP_PROJECT_NAME_BYTES_MAX + 1];
};

enum {
    PP_LF_CURRENCY = 1u << 0,
    PP_LF_FROM = 1u << 1, /* at_ms >= from_ms */
    PP_LF_TO = 1u << 2,   /* at_ms <= to_ms */
    PP_LF_PAYOUT = 1u << 3,
};

struct pp_ledger_filter {
    unsigned used;
    char currency[4];
    int64_t from_ms;
    int64_t to_ms;
    int64_t payout_id;
};

/* Which page. */
struct pp_page {
    enum pp_order order; /* PP_ORDER_ID for everything but payouts */
    int desc;            /* 1: descending (both the order field and the id) */
    size_t limit;        /* rows wanted, >= 1 */
    int64_t offset;      /* rows skipped first (offset paging); 0 with a keyset */
    int keyset;          /* 1: the page starts right after (after_value, after_id) */
    int64_t after_value; /* the order field's value of the previous page's last row */
    int64_t after_id;
    int want_total; /* 1: count the rows matching the filter */
};

struct pp_page_info {
    size_t rows;   /* rows handed to the callback (<= limit) */
    int more;      /* 1: at least one more row follows this page */
    int64_t total; /* rows matching the filter, or -1 when not counted */
};

struct pp_project {
    int64_t id;
    char name[PP_PROJECT_NAME_BYTES_MAX + 1];
    int64_t created_ms;
};

struct pp_ledger_row {
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
struct pp_total {
    char currency[4];
    enum pp_payout_status status;
    int64_t count;
    __int128 sum_minor; /* exact: the sum of many amounts may pass 2^63 */
};

/* Row callbacks: rows are borrowed for the call only. */
typedef void (*pp_payout_fn)(void *ctx, const struct pp_payout *p);
typedef void (*pp_recipient_fn)(void *ctx, const struct pp_recipient *r);
typedef void (*pp_project_fn)(void *ctx, const struct pp_project *p);
typedef void (*pp_ledger_fn)(void *ctx, const struct pp_ledger_row *l);
typedef void (*pp_total_fn)(void *ctx, const struct pp_total *t);
/* A total of the payouts of row `id` of a page (recipient or project). */
typedef void (*pp_row_total_fn)(void *ctx, int64_t id, const struct pp_total *t);

/* What a page of recipients or projects also reads: the payout totals of
** its rows, handed to fn(ctx, id, total) after the last row, from the same
** snapshot as the rows. */
struct pp_page_totals {
    pp_row_total_fn fn;
    void *ctx;
};

/* Whose payouts a total sums: a recipient's or a project's. */
enum pp_totals_of { PP_TOTALS_RECIPIENT, PP_TOTALS_PROJECT };

#endif /* PAYOUT_MODEL_LIST_H */
