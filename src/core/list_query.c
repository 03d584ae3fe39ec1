/*
** This module implements the list queries of payout/core/list_query.h:
** the parameters each list kind accepts, as tables for the query engine
** (core/query.c parses and range-checks every value), and the checks of a
** query as a whole: amounts read in the currency's decimals (core/money),
** ranges, page or cursor, the offset ceiling, and whether a cursor
** (core/cursor.c) was made for this very list, order and filters.
**
** It does not run the lists (core/reads.c does) nor know HTTP or SQL.
*/
#include "payout/core/list_query.h"

#include <string.h>

#include "internal.h"
#include "payout/base/assert.h"
#include "payout/core/cursor.h"
#include "payout/core/money.h"
#include "payout/sec/digest.h"

/* --- The parameters of each list ------------------------------------------------ */

#define AT(field) offsetof(struct core_list_query, field)
/* A parameter without a flag, and one that marks a filter's `used` bits. */
#define PARAM(name, type, max, field)                                                              \
    {                                                                                              \
        name, type, max, AT(field), CORE_QUERY_NO_FLAG, 0, 0, NULL, NULL, NULL, CORE_QUERY_ONCE    \
    }
#define FILTER(name, type, max, field, used, bit)                                                  \
    {                                                                                              \
        name, type, max, AT(field), AT(used), bit, 0, NULL, NULL, NULL, CORE_QUERY_ONCE            \
    }
#define CHOICE(name, field, choices, bad)                                                          \
    {                                                                                              \
        name, CORE_QUERY_CHOICE, 0, AT(field), CORE_QUERY_NO_FLAG, 0, 0, choices, bad, NULL,       \
            CORE_QUERY_ONCE                                                                        \
    }

static const char *const payout_orders[STORE_ORDER_COUNT + 1] = {
    "id", "createdAt", "updatedAt", "amount", "startDate", "endDate", "status", NULL,
};
static const char *const id_order[] = {"id", NULL};
static const char *const directions[] = {"asc", "desc", NULL};

#define PAGING                                                                                     \
    FILTER("page", CORE_QUERY_POSITIVE, 0, page_number, page_given, 1u),                           \
        PARAM("size", CORE_QUERY_POSITIVE, PP_PAGE_SIZE_MAX, size),                                \
        PARAM("cursor", CORE_QUERY_RAW, 0, cursor_text),                                           \
        PARAM("total", CORE_QUERY_BOOL, 0, page.want_total)
#define PAYOUT_ORDER                                                                               \
    CHOICE("orderBy", page.order, payout_orders,                                                   \
           "orderBy must be one of id, createdAt, updatedAt, amount, startDate, endDate, "         \
           "status"),                                                                              \
        CHOICE("dir", page.desc, directions, "dir must be asc or desc")
#define ID_ORDER                                                                                   \
    CHOICE("orderBy", page.order, id_order, "orderBy must be id"),                                 \
        CHOICE("dir", page.desc, directions, "dir must be asc or desc")
#define PAYOUT_FILTERS                                                                             \
    FILTER("status", CORE_QUERY_STATUSES, 0, payouts.status_mask, payouts.used, STORE_PF_STATUS),  \
        FILTER("currency", CORE_QUERY_CURRENCY, 0, payouts.currency, payouts.used,                 \
               STORE_PF_CURRENCY),                                                                 \
        FILTER("projectId", CORE_QUERY_POSITIVE, 0, payouts.project_id, payouts.used,              \
               STORE_PF_PROJECT),                                                                  \
        FILTER("recipientId", CORE_QUERY_POSITIVE, 0, payouts.recipient_id, payouts.used,          \
               STORE_PF_RECIPIENT),                                                                \
        {"ids",                                                                                    \
         CORE_QUERY_IDS,                                                                           \
         0,                                                                                        \
         AT(payouts.ids),                                                                          \
         AT(payouts.used),                                                                         \
         STORE_PF_IDS,                                                                             \
         AT(payouts.ids_count),                                                                    \
         NULL,                                                                                     \
         NULL,                                                                                     \
         NULL,                                                                                     \
         CORE_QUERY_ONCE},                                                                         \
        PARAM("amountMin", CORE_QUERY_RAW, 0, amount_min_text),                                    \
        PARAM("amountMax", CORE_QUERY_RAW, 0, amount_max_text),                                    \
        FILTER("createdFrom", CORE_QUERY_DATE, 0, payouts.created_from, payouts.used,              \
               STORE_PF_CREATED_FROM),                                                             \
        FILTER("createdTo", CORE_QUERY_DATE, 0, payouts.created_to, payouts.used,                  \
               STORE_PF_CREATED_TO),                                                               \
        FILTER("startFrom", CORE_QUERY_DATE, 0, payouts.start_from, payouts.used,                  \
               STORE_PF_START_FROM),                                                               \
        FILTER("startTo", CORE_QUERY_DATE, 0, payouts.start_to, payouts.used, STORE_PF_START_TO),  \
        FILTER("endFrom", CORE_QUERY_DATE, 0, payouts.end_from, payouts.used, STORE_PF_END_FROM),  \
        FILTER("endTo", CORE_QUERY_DATE, 0, payouts.end_to, payouts.used, STORE_PF_END_TO)

static const struct core_query_param payout_params[] = {PAGING, PAYOUT_ORDER, PAYOUT_FILTERS};
static const struct core_query_param export_params[] = {PAYOUT_ORDER, PAYOUT_FILTERS};
static const struct core_query_param recipient_params[] = {
    PAGING,
    ID_ORDER,
    FILTER("userName", CORE_QUERY_TEXT, PP_IDENT_BYTES_MAX, recipients.user_name, recipients.used,
           STORE_RF_USER_NAME),
    FILTER("phoneNumber", CORE_QUERY_TEXT, PP_IDENT_BYTES_MAX, recipients.phone_number,
           recipients.used, STORE_RF_PHONE_NUMBER),
    FILTER("referenceId", CORE_QUERY_TEXT, PP_IDENT_BYTES_MAX, recipients.reference_id,
           recipients.used, STORE_RF_REFERENCE_ID),
    PARAM("stats", CORE_QUERY_BOOL, 0, stats),
};
static const struct core_query_param project_params[] = {
    PAGING,
    ID_ORDER,
    FILTER("name", CORE_QUERY_TEXT, PP_PROJECT_NAME_BYTES_MAX, projects.name, projects.has_name,
           1u),
    PARAM("stats", CORE_QUERY_BOOL, 0, stats),
};
static const struct core_query_param ledger_params[] = {
    PAGING,
    ID_ORDER,
    FILTER("currency", CORE_QUERY_CURRENCY, 0, ledger.currency, ledger.used, STORE_LF_CURRENCY),
    FILTER("from", CORE_QUERY_DATE, 0, ledger.from_ms, ledger.used, STORE_LF_FROM),
    FILTER("to", CORE_QUERY_DATE, 0, ledger.to_ms, ledger.used, STORE_LF_TO),
    FILTER("payoutId", CORE_QUERY_POSITIVE, 0, ledger.payout_id, ledger.used, STORE_LF_PAYOUT),
};

#define SPEC(params)                                                                               \
    {                                                                                              \
        params, sizeof params / sizeof params[0], CORE_QUERY_UNKNOWN, CORE_QUERY_REPEATED,         \
            CORE_QUERY_EMPTY, CORE_QUERY_AS_GIVEN                                                  \
    }

static const struct core_query_spec list_specs[] = {
    [CORE_LIST_PAYOUTS] = SPEC(payout_params),       [CORE_LIST_EXPORT] = SPEC(export_params),
    [CORE_LIST_RECIPIENTS] = SPEC(recipient_params), [CORE_LIST_PROJECTS] = SPEC(project_params),
    [CORE_LIST_LEDGER] = SPEC(ledger_params),
};

_Static_assert(sizeof payout_params / sizeof payout_params[0] <= CORE_QUERY_PARAMS_MAX,
               "the payout list declares the most parameters");
_Static_assert(sizeof(enum store_order) == sizeof(int), "orderBy is read as an int choice");

void core_list_query_init(struct core_list_query *q, enum core_list_kind kind)
{
    PP_ASSERT(kind >= CORE_LIST_PAYOUTS && kind <= CORE_LIST_LEDGER);
    memset(q, 0, sizeof *q);
    q->kind = kind;
    q->page.order = STORE_ORDER_ID;
    q->page_number = 1;
    q->size = kind == CORE_LIST_EXPORT ? PP_EXPORT_CHUNK_ROWS : PP_PAGE_SIZE_DEFAULT;
    q->page.want_total = kind != CORE_LIST_EXPORT;
    core_query_init(&q->reader, &list_specs[kind], q);
}

enum pp_status core_list_query_param(struct core_list_query *q, const char *key, const char *value,
                                     struct pp_err *err)
{
    PP_ASSERT(q != NULL && key != NULL);
    /* q may have been copied since its init. */
    q->reader.target = q;
    return core_query_take(&q->reader, key, value, err);
}

/* --- The cursor ------------------------------------------------------------------- */

static uint64_t filter_hash(const struct core_list_query *q)
{
    unsigned char bytes[PP_READ_FILTER_KEY_BYTES];
    size_t len = 0;
    switch (q->kind) {
    case CORE_LIST_PAYOUTS:
    case CORE_LIST_EXPORT:
        len = store_payout_filter_key(&q->payouts, bytes);
        break;
    case CORE_LIST_RECIPIENTS:
        len = store_recipient_filter_key(&q->recipients, bytes);
        break;
    case CORE_LIST_PROJECTS:
        len = store_project_filter_key(&q->projects, bytes);
        break;
    case CORE_LIST_LEDGER:
        len = store_ledger_filter_key(&q->ledger, bytes);
        break;
    }
    uint8_t digest[SEC_SHA256_BYTES];
    uint64_t v = 0;
    sec_sha256(bytes, len, digest);
    for (int i = 7; i >= 0; i--) {
        v = (v << 8) | digest[i];
    }
    return v;
}

void core_list_cursor_encode(const struct core_list_query *q, const uint8_t *key, int64_t value,
                             int64_t id, char *out, size_t out_size)
{
    PP_ASSERT(q->page_number < INT32_MAX);
    struct core_cursor c = {
        .kind = (uint8_t)q->kind,
        .order = (uint8_t)q->page.order,
        .desc = (uint8_t)(q->page.desc != 0),
        .page = (uint32_t)(q->page_number + 1),
        .after_value = value,
        .after_id = id,
        .filter_hash = q->filter_hash,
    };
    core_cursor_encode(&c, key, out, out_size);
}

/* Starts q's page where its cursor says, once the cursor fits q. */
static enum pp_status cursor_apply(struct core_list_query *q, const uint8_t *key,
                                   struct pp_err *err)
{
    struct core_cursor c;
    if (core_cursor_decode(q->cursor_text, key, &c, err) != PP_OK) {
        return err->status;
    }
    if (c.kind != (uint8_t)q->kind) {
        return pp_err_set(err, PP_INVALID_PARAMS, "cursor belongs to another list");
    }
    if (c.order != (uint8_t)q->page.order || c.desc != (uint8_t)(q->page.desc != 0)) {
        return pp_err_set(err, PP_INVALID_PARAMS,
                          "cursor was made for another orderBy or dir; send the same order as "
                          "for the first page");
    }
    if (c.filter_hash != q->filter_hash) {
        return pp_err_set(err, PP_INVALID_PARAMS,
                          "cursor was made for other filters; send the same filters as for the "
                          "first page");
    }
    q->page_number = c.page;
    q->page.keyset = 1;
    q->page.after_value = c.after_value;
    q->page.after_id = c.after_id;
    return PP_OK;
}

/* --- The query as a whole ---------------------------------------------------------- */

static enum pp_status finish_amounts(struct core_list_query *q, struct pp_err *err)
{
    struct store_payout_filter *f = &q->payouts;
    if (q->amount_min_text == NULL && q->amount_max_text == NULL) {
        return PP_OK;
    }
    if (!(f->used & STORE_PF_CURRENCY)) {
        return pp_err_set(err, PP_INVALID_PARAMS,
                          "amountMin and amountMax need currency (amounts are read in its "
                          "decimals)");
    }
    const struct core_currency *cur = core_currency_find(f->currency, 3);
    PP_ASSERT(cur != NULL);
    const char *t = q->amount_min_text;
    if (t != NULL &&
        core_money_parse(t, strlen(t), cur, "amountMin", &f->amount_min, err) != PP_OK) {
        return err->status;
    }
    f->used |= t != NULL ? STORE_PF_AMOUNT_MIN : 0u;
    t = q->amount_max_text;
    if (t != NULL &&
        core_money_parse(t, strlen(t), cur, "amountMax", &f->amount_max, err) != PP_OK) {
        return err->status;
    }
    f->used |= t != NULL ? STORE_PF_AMOUNT_MAX : 0u;
    if (q->amount_min_text != NULL && q->amount_max_text != NULL && f->amount_min > f->amount_max) {
        return pp_err_set(err, PP_INVALID_PARAMS, "amountMin must not be greater than amountMax");
    }
    return PP_OK;
}

static enum pp_status finish_ranges(const struct core_list_query *q, struct pp_err *err)
{
    const struct store_payout_filter *f = &q->payouts;
    const struct store_ledger_filter *l = &q->ledger;
    const struct {
        unsigned both;
        int64_t from, to;
        const char *what;
        int ledger;
    } ranges[] = {
        {STORE_PF_CREATED_FROM | STORE_PF_CREATED_TO, f->created_from, f->created_to,
         "createdFrom must not be after createdTo", 0},
        {STORE_PF_START_FROM | STORE_PF_START_TO, f->start_from, f->start_to,
         "startFrom must not be after startTo", 0},
        {STORE_PF_END_FROM | STORE_PF_END_TO, f->end_from, f->end_to,
         "endFrom must not be after endTo", 0},
        {STORE_LF_FROM | STORE_LF_TO, l->from_ms, l->to_ms, "from must not be after to", 1},
    };
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
        unsigned used = ranges[i].ledger ? l->used : f->used;
        if ((used & ranges[i].both) == ranges[i].both && ranges[i].from > ranges[i].to) {
            return pp_err_set(err, PP_INVALID_PARAMS, "%s", ranges[i].what);
        }
    }
    return PP_OK;
}

/* The page: where the cursor says, or the offset of `page`. */
static enum pp_status finish_page(struct core_list_query *q, const uint8_t *key, struct pp_err *err)
{
    if (q->cursor_text != NULL) {
        if (q->page_given) {
            return pp_err_set(err, PP_INVALID_PARAMS, "page and cursor cannot be used together");
        }
        return cursor_apply(q, key, err);
    }
    if ((q->page_number - 1) > PP_PAGE_OFFSET_MAX / q->size) {
        return pp_err_set(err, PP_INVALID_PARAMS,
                          "page %lld skips more than %d rows; follow nextCursor to read deeper",
                          (long long)q->page_number, PP_PAGE_OFFSET_MAX);
    }
    q->page.offset = (q->page_number - 1) * q->size;
    return PP_OK;
}

enum pp_status core_list_query_finish(struct core_list_query *q, const uint8_t *key,
                                      struct pp_err *err)
{
    enum pp_status st = finish_amounts(q, err);
    if (st == PP_OK) {
        st = finish_ranges(q, err);
    }
    if (st != PP_OK) {
        goto done;
    }
    q->filter_hash = filter_hash(q);
    q->page.limit = (size_t)q->size;
    q->page.offset = 0;
    q->page.keyset = 0;
    if (q->kind == CORE_LIST_EXPORT) {
        q->page.want_total = 0;
        goto done;
    }
    st = finish_page(q, key, err);
done:
    q->cursor_text = NULL;
    q->amount_min_text = NULL;
    q->amount_max_text = NULL;
    return st;
}

enum pp_status core_list_query_check(struct core_app *app, struct core_list_query *q,
                                     struct pp_err *err)
{
    return core_list_query_finish(q, app->jwt_key, err);
}
