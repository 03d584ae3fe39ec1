/*
** This module implements the read side of the core (payout/core/reads.h):
** list queries from query parameters (an allowlist per list kind; every
** value parsed and range-checked here, amounts with core/money, dates with
** core/dates), the keyset cursor, and the reads that pass them to the
** store, turning the store's rows into a page with the cursor of the next.
**
** It does not know HTTP or JSON (api/reads.c writes the answers) or SQL.
*/
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "payout/base/assert.h"
#include "payout/core/dates.h"
#include "payout/core/money.h"
#include "payout/core/reads.h"
#include "payout/sec/digest.h"

#define CURSOR_VERSION 1
#define CURSOR_PAYLOAD_BYTES 32
#define CURSOR_TAG_BYTES 8
#define CURSOR_BYTES (CURSOR_PAYLOAD_BYTES + CURSOR_TAG_BYTES)
/* Longest list of statuses: the five names and commas, with room. */
#define STATUS_LIST_BYTES_MAX 128
/* Longest ids list: 100 ids of 18 digits and commas. */
#define IDS_TEXT_BYTES_MAX (PP_READ_IDS_MAX * 20)

/* The query parameters, each with the lists that accept it. */
enum qp {
    QP_PAGE, QP_SIZE, QP_CURSOR, QP_TOTAL, QP_ORDER_BY, QP_DIR,
    QP_STATUS, QP_CURRENCY, QP_PROJECT_ID, QP_RECIPIENT_ID, QP_IDS,
    QP_AMOUNT_MIN, QP_AMOUNT_MAX, QP_CREATED_FROM, QP_CREATED_TO,
    QP_START_FROM, QP_START_TO, QP_END_FROM, QP_END_TO,
    QP_USER_NAME, QP_PHONE_NUMBER, QP_REFERENCE_ID, QP_NAME,
    QP_FROM, QP_TO, QP_PAYOUT_ID, QP_STATS, QP_COUNT
};

#define K_PAY (1u << CORE_LIST_PAYOUTS)
#define K_EXP (1u << CORE_LIST_EXPORT)
#define K_REC (1u << CORE_LIST_RECIPIENTS)
#define K_PRJ (1u << CORE_LIST_PROJECTS)
#define K_LED (1u << CORE_LIST_LEDGER)
#define K_PAGED (K_PAY | K_REC | K_PRJ | K_LED)
#define K_ALL (K_PAGED | K_EXP)

static const struct {
    const char *name;
    unsigned kinds;
} params[QP_COUNT] = {
    [QP_PAGE] = {"page", K_PAGED},
    [QP_SIZE] = {"size", K_PAGED},
    [QP_CURSOR] = {"cursor", K_PAGED},
    [QP_TOTAL] = {"total", K_PAGED},
    [QP_ORDER_BY] = {"orderBy", K_ALL},
    [QP_DIR] = {"dir", K_ALL},
    [QP_STATUS] = {"status", K_PAY | K_EXP},
    [QP_CURRENCY] = {"currency", K_PAY | K_EXP | K_LED},
    [QP_PROJECT_ID] = {"projectId", K_PAY | K_EXP},
    [QP_RECIPIENT_ID] = {"recipientId", K_PAY | K_EXP},
    [QP_IDS] = {"ids", K_PAY | K_EXP},
    [QP_AMOUNT_MIN] = {"amountMin", K_PAY | K_EXP},
    [QP_AMOUNT_MAX] = {"amountMax", K_PAY | K_EXP},
    [QP_CREATED_FROM] = {"createdFrom", K_PAY | K_EXP},
    [QP_CREATED_TO] = {"createdTo", K_PAY | K_EXP},
    [QP_START_FROM] = {"startFrom", K_PAY | K_EXP},
    [QP_START_TO] = {"startTo", K_PAY | K_EXP},
    [QP_END_FROM] = {"endFrom", K_PAY | K_EXP},
    [QP_END_TO] = {"endTo", K_PAY | K_EXP},
    [QP_USER_NAME] = {"userName", K_REC},
    [QP_PHONE_NUMBER] = {"phoneNumber", K_REC},
    [QP_REFERENCE_ID] = {"referenceId", K_REC},
    [QP_NAME] = {"name", K_PRJ},
    [QP_FROM] = {"from", K_LED},
    [QP_TO] = {"to", K_LED},
    [QP_PAYOUT_ID] = {"payoutId", K_LED},
    [QP_STATS] = {"stats", K_REC | K_PRJ},
};

static const char *const order_names[PP_ORDER_COUNT] = {
    "id", "createdAt", "updatedAt", "amount", "startDate", "endDate", "status",
};

void core_list_query_init(struct core_list_query *q, enum core_list_kind kind)
{
    PP_ASSERT(kind >= CORE_LIST_PAYOUTS && kind <= CORE_LIST_LEDGER);
    memset(q, 0, sizeof *q);
    q->kind = kind;
    q->page.order = PP_ORDER_ID;
    q->page_number = 1;
    q->size = kind == CORE_LIST_EXPORT ? PP_EXPORT_CHUNK_ROWS : PP_PAGE_SIZE_DEFAULT;
    q->page.want_total = kind != CORE_LIST_EXPORT;
}

/* --- Values ------------------------------------------------------------------ */

/* A positive decimal integer of at most 18 digits, no sign or spaces. */
static enum pp_status parse_positive(const char *key, const char *v, int64_t *out,
                                     struct pp_err *err)
{
    size_t len = strlen(v);
    int ok = len > 0 && len <= 18 && v[0] != '0';
    for (size_t i = 0; ok && i < len; i++) {
        ok = isdigit((unsigned char)v[i]);
    }
    if (!ok) {
        return pp_err_set(err, PP_INVALID_PARAMS, "%s must be a positive integer", key);
    }
    *out = strtoll(v, NULL, 10);
    return PP_OK;
}

static enum pp_status parse_bool(const char *key, const char *v, int *out, struct pp_err *err)
{
    if (strcmp(v, "true") == 0) {
        *out = 1;
    } else if (strcmp(v, "false") == 0) {
        *out = 0;
    } else {
        return pp_err_set(err, PP_INVALID_PARAMS, "%s must be true or false", key);
    }
    return PP_OK;
}

static enum pp_status parse_text(const char *key, const char *v, size_t max, char *out,
                                 struct pp_err *err)
{
    size_t len = strlen(v);
    if (len > max) {
        return pp_err_set(err, PP_INVALID_PARAMS, "%s is longer than %zu bytes", key, max);
    }
    memcpy(out, v, len + 1);
    return PP_OK;
}

static enum pp_status parse_currency(const char *key, const char *v, char out[4],
                                     struct pp_err *err)
{
    if (core_currency_find(v, strlen(v)) == NULL) {
        return pp_err_set(err, PP_INVALID_PARAMS,
                          "%s '%.16s' is not a supported ISO 4217 currency code", key, v);
    }
    memcpy(out, v, 4);
    return PP_OK;
}

static enum pp_status parse_date(const char *key, const char *v, int64_t *out, struct pp_err *err)
{
    return core_date_parse(v, strlen(v), key, out, err);
}

/* "READY" or "READY,CANCELLED" (names in any case) into a status mask. */
static enum pp_status parse_statuses(const char *key, const char *v, unsigned *mask_out,
                                     struct pp_err *err)
{
    size_t len = strlen(v);
    unsigned mask = 0;
    if (len > STATUS_LIST_BYTES_MAX) {
        return pp_err_set(err, PP_INVALID_PARAMS, "%s is too long", key);
    }
    for (size_t start = 0; start <= len;) {
        const char *comma = memchr(v + start, ',', len - start);
        size_t end = comma != NULL ? (size_t)(comma - v) : len;
        char name[16];
        size_t n = end - start;
        enum pp_payout_status s;
        for (size_t i = 0; i < n && i < sizeof name; i++) {
            name[i] = (char)toupper((unsigned char)v[start + i]);
        }
        if (n == 0 || n >= sizeof name || !pp_payout_status_parse(name, n, &s)) {
            return pp_err_set(err, PP_INVALID_PARAMS,
                              "%s must be a comma-separated list of UNAUTHORIZED, READY, "
                              "RECEIVED, CANCELLED, EXPIRED",
                              key);
        }
        mask |= 1u << s;
        start = end + 1;
    }
    *mask_out = mask;
    return PP_OK;
}

static int id_compare(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a;
    int64_t y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* "1,2,3": up to PP_READ_IDS_MAX positive ids, kept sorted and distinct. */
static enum pp_status parse_ids(const char *key, const char *v, struct pp_payout_filter *f,
                                struct pp_err *err)
{
    size_t len = strlen(v);
    size_t n = 0;
    if (len > IDS_TEXT_BYTES_MAX) {
        return pp_err_set(err, PP_INVALID_PARAMS, "%s has more than %d ids", key, PP_READ_IDS_MAX);
    }
    for (size_t start = 0; start <= len;) {
        const char *comma = memchr(v + start, ',', len - start);
        size_t end = comma != NULL ? (size_t)(comma - v) : len;
        char one[24];
        if (n == PP_READ_IDS_MAX) {
            return pp_err_set(err, PP_INVALID_PARAMS, "%s has more than %d ids", key,
                              PP_READ_IDS_MAX);
        }
        if (end - start >= sizeof one) {
            return pp_err_set(err, PP_INVALID_PARAMS,
                              "%s must be a comma-separated list of positive integers", key);
        }
        memcpy(one, v + start, end - start);
        one[end - start] = '\0';
        if (parse_positive(key, one, &f->ids[n], NULL) != PP_OK) {
            return pp_err_set(err, PP_INVALID_PARAMS,
                              "%s must be a comma-separated list of positive integers", key);
        }
        n++;
        start = end + 1;
    }
    qsort(f->ids, n, sizeof f->ids[0], id_compare);
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        if (kept == 0 || f->ids[kept - 1] != f->ids[i]) {
            f->ids[kept++] = f->ids[i];
        }
    }
    f->ids_count = kept;
    return PP_OK;
}

static enum pp_status parse_order(const char *key, const char *v, enum core_list_kind kind,
                                  enum pp_order *out, struct pp_err *err)
{
    int last = kind == CORE_LIST_PAYOUTS || kind == CORE_LIST_EXPORT ? PP_ORDER_COUNT : 1;
    for (int i = 0; i < last; i++) {
        if (strcmp(v, order_names[i]) == 0) {
            *out = (enum pp_order)i;
            return PP_OK;
        }
    }
    if (last == 1) {
        return pp_err_set(err, PP_INVALID_PARAMS, "%s must be id", key);
    }
    return pp_err_set(err, PP_INVALID_PARAMS,
                      "%s must be one of id, createdAt, updatedAt, amount, startDate, endDate, "
                      "status",
                      key);
}

/* --- Parameters ------------------------------------------------------------------ */

/* The paging and order parameters. */
static enum pp_status param_paging(struct core_list_query *q, enum qp id, const char *key,
                                   const char *v, struct pp_err *err)
{
    int64_t n = 0;
    enum pp_status st = PP_OK;
    switch (id) {
    case QP_PAGE:
        st = parse_positive(key, v, &n, err);
        q->page_number = n;
        break;
    case QP_SIZE:
        st = parse_positive(key, v, &n, err);
        if (st == PP_OK && n > PP_PAGE_SIZE_MAX) {
            st = pp_err_set(err, PP_INVALID_PARAMS, "%s must be between 1 and %d", key,
                            PP_PAGE_SIZE_MAX);
        }
        q->size = (size_t)n;
        break;
    case QP_CURSOR:
        q->cursor_text = v;
        break;
    case QP_TOTAL:
        st = parse_bool(key, v, &q->page.want_total, err);
        break;
    case QP_ORDER_BY:
        st = parse_order(key, v, q->kind, &q->page.order, err);
        break;
    case QP_DIR:
        if (strcmp(v, "asc") == 0 || strcmp(v, "desc") == 0) {
            q->page.desc = v[0] == 'd';
        } else {
            st = pp_err_set(err, PP_INVALID_PARAMS, "%s must be asc or desc", key);
        }
        break;
    default:
        PP_ASSERT(0);
    }
    return st;
}

/* A date parameter of the payout filter: which field and bit. */
static enum pp_status param_payout_date(struct pp_payout_filter *f, enum qp id,
                                        const char *key, const char *v, struct pp_err *err)
{
    static const struct {
        enum qp id;
        unsigned bit;
        size_t offset;
    } dates[] = {
        {QP_CREATED_FROM, PP_PF_CREATED_FROM, offsetof(struct pp_payout_filter, created_from)},
        {QP_CREATED_TO, PP_PF_CREATED_TO, offsetof(struct pp_payout_filter, created_to)},
        {QP_START_FROM, PP_PF_START_FROM, offsetof(struct pp_payout_filter, start_from)},
        {QP_START_TO, PP_PF_START_TO, offsetof(struct pp_payout_filter, start_to)},
        {QP_END_FROM, PP_PF_END_FROM, offsetof(struct pp_payout_filter, end_from)},
        {QP_END_TO, PP_PF_END_TO, offsetof(struct pp_payout_filter, end_to)},
    };
    for (size_t i = 0; i < sizeof dates / sizeof dates[0]; i++) {
        if (dates[i].id == id) {
            int64_t ms = 0;
            enum pp_status st = parse_date(key, v, &ms, err);
            if (st == PP_OK) {
                memcpy((char *)f + dates[i].offset, &ms, sizeof ms);
                f->used |= dates[i].bit;
            }
            return st;
        }
    }
    PP_ASSERT(0);
    return PP_INTERNAL;
}

static enum pp_status param_payouts(struct core_list_query *q, enum qp id, const char *key,
                                    const char *v, struct pp_err *err)
{
    struct pp_payout_filter *f = &q->payouts;
    enum pp_status st = PP_OK;
    switch (id) {
    case QP_STATUS:
        st = parse_statuses(key, v, &f->status_mask, err);
        f->used |= PP_PF_STATUS;
        break;
    case QP_CURRENCY:
        st = parse_currency(key, v, f->currency, err);
        f->used |= PP_PF_CURRENCY;
        break;
    case QP_PROJECT_ID:
        st = parse_positive(key, v, &f->project_id, err);
        f->used |= PP_PF_PROJECT;
        break;
    case QP_RECIPIENT_ID:
        st = parse_positive(key, v, &f->recipient_id, err);
        f->used |= PP_PF_RECIPIENT;
        break;
    case QP_IDS:
        st = parse_ids(key, v, f, err);
        f->used |= PP_PF_IDS;
        break;
    case QP_AMOUNT_MIN:
        q->amount_min_text = v;
        break;
    case QP_AMOUNT_MAX:
        q->amount_max_text = v;
        break;
    default:
        st = param_payout_date(f, id, key, v, err);
    }
    return st;
}

static enum pp_status param_others(struct core_list_query *q, enum qp id, const char *key,
                                   const char *v, struct pp_err *err)
{
    struct pp_recipient_filter *r = &q->recipients;
    struct pp_ledger_filter *l = &q->ledger;
    enum pp_status st = PP_OK;
    switch (id) {
    case QP_USER_NAME:
        st = parse_text(key, v, PP_IDENT_BYTES_MAX, r->user_name, err);
        r->used |= PP_RF_USER_NAME;
        break;
    case QP_PHONE_NUMBER:
        st = parse_text(key, v, PP_IDENT_BYTES_MAX, r->phone_number, err);
        r->used |= PP_RF_PHONE_NUMBER;
        break;
    case QP_REFERENCE_ID:
        st = parse_text(key, v, PP_IDENT_BYTES_MAX, r->reference_id, err);
        r->used |= PP_RF_REFERENCE_ID;
        break;
    case QP_NAME:
        st = parse_text(key, v, PP_PROJECT_NAME_BYTES_MAX, q->projects.name, err);
        q->projects.has_name = 1;
        break;
    case QP_CURRENCY:
        st = parse_currency(key, v, l->currency, err);
        l->used |= PP_LF_CURRENCY;
        break;
    case QP_FROM:
        st = parse_date(key, v, &l->from_ms, err);
        l->used |= PP_LF_FROM;
        break;
    case QP_TO:
        st = parse_date(key, v, &l->to_ms, err);
        l->used |= PP_LF_TO;
        break;
    case QP_PAYOUT_ID:
        st = parse_positive(key, v, &l->payout_id, err);
        l->used |= PP_LF_PAYOUT;
        break;
    case QP_STATS:
        st = parse_bool(key, v, &q->stats, err);
        break;
    default:
        PP_ASSERT(0);
    }
    return st;
}

enum pp_status core_list_query_param(struct core_list_query *q, const char *key,
                                     const char *value, struct pp_err *err)
{
    PP_ASSERT(q != NULL && key != NULL);
    int id = 0;
    while (id < QP_COUNT && (strcmp(params[id].name, key) != 0 ||
                             (params[id].kinds & (1u << q->kind)) == 0)) {
        id++;
    }
    if (id == QP_COUNT) {
        return pp_err_set(err, PP_INVALID_PARAMS, "unknown query parameter '%.64s'", key);
    }
    if (q->seen & (1ull << id)) {
        return pp_err_set(err, PP_INVALID_PARAMS, "query parameter %s is given more than once",
                          key);
    }
    q->seen |= 1ull << id;
    if (value == NULL || value[0] == '\0') {
        return pp_err_set(err, PP_INVALID_PARAMS, "query parameter %s needs a value", key);
    }
    if (id <= QP_DIR) {
        return param_paging(q, (enum qp)id, key, value, err);
    }
    if (q->kind == CORE_LIST_PAYOUTS || q->kind == CORE_LIST_EXPORT) {
        return param_payouts(q, (enum qp)id, key, value, err);
    }
    return param_others(q, (enum qp)id, key, value, err);
}

/* --- The cursor ---------------------------------------------------------------------- */

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void put_u64(uint8_t *out, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        out[i] = (uint8_t)(v >> (8 * i));
    }
}

static uint64_t get_u64(const uint8_t *in)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) {
        v = (v << 8) | in[i];
    }
    return v;
}

/* The tag of a cursor payload under key. */
static void cursor_tag(const uint8_t *key, const uint8_t *payload, uint8_t tag[CURSOR_TAG_BYTES])
{
    static const char domain[] = "payout-panel list cursor v1";
    struct sec_bytes parts[] = {
        {domain, sizeof domain},
        {key, PP_JWT_KEY_BYTES},
        {payload, CURSOR_PAYLOAD_BYTES},
    };
    uint8_t digest[SEC_SHA256_BYTES];
    sec_sha256_parts(parts, sizeof parts / sizeof parts[0], digest);
    memcpy(tag, digest, CURSOR_TAG_BYTES);
}

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
    sec_sha256(bytes, len, digest);
    return get_u64(digest);
}

void core_list_cursor_encode(const struct core_list_query *q, const uint8_t *key, int64_t value,
                             int64_t id, char *out, size_t out_size)
{
    uint8_t raw[CURSOR_BYTES];
    PP_ASSERT(out_size >= PP_CURSOR_TEXT_BYTES && q->page_number < INT32_MAX);
    memset(raw, 0, sizeof raw);
    raw[0] = CURSOR_VERSION;
    raw[1] = (uint8_t)q->kind;
    raw[2] = (uint8_t)q->page.order;
    raw[3] = (uint8_t)(q->page.desc != 0);
    uint32_t next_page = (uint32_t)(q->page_number + 1);
    for (int i = 0; i < 4; i++) {
        raw[4 + i] = (uint8_t)(next_page >> (8 * i));
    }
    put_u64(raw + 8, (uint64_t)value);
    put_u64(raw + 16, (uint64_t)id);
    put_u64(raw + 24, q->filter_hash);
    cursor_tag(key, raw, raw + CURSOR_PAYLOAD_BYTES);
    size_t n = 0;
    for (size_t i = 0; i < CURSOR_BYTES; i += 3) {
        uint32_t chunk = (uint32_t)raw[i] << 16;
        size_t have = CURSOR_BYTES - i < 3 ? CURSOR_BYTES - i : 3;
        chunk |= have > 1 ? (uint32_t)raw[i + 1] << 8 : 0;
        chunk |= have > 2 ? (uint32_t)raw[i + 2] : 0;
        for (size_t k = 0; k < have + 1; k++) {
            out[n++] = b64url[(chunk >> (18 - 6 * k)) & 63];
        }
    }
    out[n] = '\0';
}

/* Strict base64url (no padding) of exactly CURSOR_BYTES; 0 on any flaw. */
static int cursor_decode_raw(const char *text, uint8_t raw[CURSOR_BYTES])
{
    size_t len = strlen(text);
    if (len != (CURSOR_BYTES * 4 + 2) / 3) {
        return 0;
    }
    uint32_t acc = 0;
    int bits = 0;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        const char *p = strchr(b64url, text[i]);
        if (text[i] == '\0' || p == NULL) {
            return 0;
        }
        acc = (acc << 6) | (uint32_t)(p - b64url);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            raw[n++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1u;
        }
    }
    /* The unused low bits of the last character must be zero (canonical). */
    return n == CURSOR_BYTES && acc == 0;
}

static enum pp_status cursor_apply(struct core_list_query *q, const uint8_t *key,
                                   struct pp_err *err)
{
    uint8_t raw[CURSOR_BYTES];
    uint8_t tag[CURSOR_TAG_BYTES];
    if (!cursor_decode_raw(q->cursor_text, raw)) {
        return pp_err_set(err, PP_INVALID_PARAMS, "cursor is not a valid cursor");
    }
    cursor_tag(key, raw, tag);
    if (memcmp(tag, raw + CURSOR_PAYLOAD_BYTES, CURSOR_TAG_BYTES) != 0 ||
        raw[0] != CURSOR_VERSION) {
        return pp_err_set(err, PP_INVALID_PARAMS, "cursor is not a valid cursor");
    }
    if (raw[1] != (uint8_t)q->kind) {
        return pp_err_set(err, PP_INVALID_PARAMS, "cursor belongs to another list");
    }
    if (raw[2] != (uint8_t)q->page.order || raw[3] != (uint8_t)(q->page.desc != 0)) {
        return pp_err_set(err, PP_INVALID_PARAMS,
                          "cursor was made for another orderBy or dir; send the same order as "
                          "for the first page");
    }
    if (get_u64(raw + 24) != q->filter_hash) {
        return pp_err_set(err, PP_INVALID_PARAMS,
                          "cursor was made for other filters; send the same filters as for the "
                          "first page");
    }
    uint32_t page = (uint32_t)raw[4] | (uint32_t)raw[5] << 8 | (uint32_t)raw[6] << 16 |
                    (uint32_t)raw[7] << 24;
    q->page_number = page;
    q->page.keyset = 1;
    q->page.after_value = (int64_t)get_u64(raw + 8);
    q->page.after_id = (int64_t)get_u64(raw + 16);
    return PP_OK;
}

/* --- The query as a whole ---------------------------------------------------------------- */

static enum pp_status finish_amounts(struct core_list_query *q, struct pp_err *err)
{
    struct pp_payout_filter *f = &q->payouts;
    if (q->amount_min_text == NULL && q->amount_max_text == NULL) {
        return PP_OK;
    }
    if (!(f->used & PP_PF_CURRENCY)) {
        return pp_err_set(err, PP_INVALID_PARAMS,
                          "amountMin and amountMax need currency (amounts are read in its "
                          "decimals)");
    }
    const struct core_currency *cur = core_currency_find(f->currency, 3);
    PP_ASSERT(cur != NULL);
    const char *t = q->amount_min_text;
    if (t != NULL && core_money_parse(t, strlen(t), cur, "amountMin", &f->amount_min, err) != PP_OK) {
        return err->status;
    }
    f->used |= t != NULL ? PP_PF_AMOUNT_MIN : 0u;
    t = q->amount_max_text;
    if (t != NULL && core_money_parse(t, strlen(t), cur, "amountMax", &f->amount_max, err) != PP_OK) {
        return err->status;
    }
    f->used |= t != NULL ? PP_PF_AMOUNT_MAX : 0u;
    if (q->amount_min_text != NULL && q->amount_max_text != NULL && f->amount_min > f->amount_max) {
        return pp_err_set(err, PP_INVALID_PARAMS, "amountMin must not be greater than amountMax");
    }
    return PP_OK;
}

static enum pp_status finish_ranges(const struct core_list_query *q, struct pp_err *err)
{
    const struct pp_payout_filter *f = &q->payouts;
    const struct pp_ledger_filter *l = &q->ledger;
    const struct {
        unsigned both;
        int64_t from, to;
        const char *what;
        int ledger;
    } ranges[] = {
        {PP_PF_CREATED_FROM | PP_PF_CREATED_TO, f->created_from, f->created_to,
         "createdFrom must not be after createdTo", 0},
        {PP_PF_START_FROM | PP_PF_START_TO, f->start_from, f->start_to,
         "startFrom must not be after startTo", 0},
        {PP_PF_END_FROM | PP_PF_END_TO, f->end_from, f->end_to,
         "endFrom must not be after endTo", 0},
        {PP_LF_FROM | PP_LF_TO, l->from_ms, l->to_ms, "from must not be after to", 1},
    };
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
        unsigned used = ranges[i].ledger ? l->used : f->used;
        if ((used & ranges[i].both) == ranges[i].both && ranges[i].from > ranges[i].to) {
            return pp_err_set(err, PP_INVALID_PARAMS, "%s", ranges[i].what);
        }
    }
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
    q->page.limit = q->size;
    q->page.offset = 0;
    q->page.keyset = 0;
    if (q->kind == CORE_LIST_EXPORT) {
        q->page.want_total = 0;
        goto done;
    }
    if (q->cursor_text != NULL) {
        if (q->seen & (1ull << QP_PAGE)) {
            st = pp_err_set(err, PP_INVALID_PARAMS, "page and cursor cannot be used together");
        } else {
            st = cursor_apply(q, key, err);
        }
        goto done;
    }
    if ((q->page_number - 1) > PP_PAGE_OFFSET_MAX / (int64_t)q->size) {
        st = pp_err_set(err, PP_INVALID_PARAMS,
                        "page %lld skips more than %d rows; follow nextCursor to read deeper",
                        (long long)q->page_number, PP_PAGE_OFFSET_MAX);
        goto done;
    }
    q->page.offset = (q->page_number - 1) * (int64_t)q->size;
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

int64_t core_payout_order_value(const struct pp_payout *p, enum pp_order order)
{
    switch (order) {
    case PP_ORDER_ID:
        return p->id;
    case PP_ORDER_CREATED:
        return p->created_ms;
    case PP_ORDER_UPDATED:
        return p->updated_ms;
    case PP_ORDER_AMOUNT:
        return p->amount_minor;
    case PP_ORDER_START:
        return p->start_ms;
    case PP_ORDER_END:
        return p->end_ms;
    case PP_ORDER_STATUS:
        return (int64_t)p->status;
    case PP_ORDER_COUNT:
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
    enum pp_order order;
    int64_t last_value;
    int64_t last_id;
};

static void track_payout(void *ctx, const struct pp_payout *p)
{
    struct track *t = ctx;
    t->last_value = core_payout_order_value(p, t->order);
    t->last_id = p->id;
    ((pp_payout_fn)t->fn)(t->ctx, p);
}

static void track_recipient(void *ctx, const struct pp_recipient *r)
{
    struct track *t = ctx;
    t->last_value = t->last_id = r->id;
    ((pp_recipient_fn)t->fn)(t->ctx, r);
}

static void track_project(void *ctx, const struct pp_project *p)
{
    struct track *t = ctx;
    t->last_value = t->last_id = p->id;
    ((pp_project_fn)t->fn)(t->ctx, p);
}

static void track_ledger(void *ctx, const struct pp_ledger_row *l)
{
    struct track *t = ctx;
    t->last_value = t->last_id = l->id;
    ((pp_ledger_fn)t->fn)(t->ctx, l);
}

static void list_result(struct core_app *app, const struct core_list_query *q,
                        const struct track *t, const struct pp_page_info *info,
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
                                 pp_payout_fn fn, void *ctx, struct core_list_result *res,
                                 struct pp_err *err)
{
    PP_ASSERT(q->kind == CORE_LIST_PAYOUTS || q->kind == CORE_LIST_EXPORT);
    struct track t = {(void *)fn, ctx, q->page.order, 0, 0};
    struct pp_page_info info;
    enum pp_status st = store_payouts_page(app->store, &q->payouts, &q->page, track_payout, &t,
                                           &info, err);
    list_result(app, q, &t, &info, res);
    return st;
}

enum pp_status core_recipients_list(struct core_app *app, const struct core_list_query *q,
                                    pp_recipient_fn fn, void *ctx,
                                    const struct pp_page_totals *totals,
                                    struct core_list_result *res, struct pp_err *err)
{
    PP_ASSERT(q->kind == CORE_LIST_RECIPIENTS && (totals != NULL) == (q->stats != 0));
    struct track t = {(void *)fn, ctx, PP_ORDER_ID, 0, 0};
    struct pp_page_info info;
    enum pp_status st = store_recipients_page(app->store, &q->recipients, &q->page, track_recipient,
                                              &t, totals, &info, err);
    list_result(app, q, &t, &info, res);
    return st;
}

enum pp_status core_projects_list(struct core_app *app, const struct core_list_query *q,
                                  pp_project_fn fn, void *ctx,
                                  const struct pp_page_totals *totals,
                                  struct core_list_result *res, struct pp_err *err)
{
    PP_ASSERT(q->kind == CORE_LIST_PROJECTS && (totals != NULL) == (q->stats != 0));
    struct track t = {(void *)fn, ctx, PP_ORDER_ID, 0, 0};
    struct pp_page_info info;
    enum pp_status st = store_projects_page(app->store, &q->projects, &q->page, track_project, &t,
                                            totals, &info, err);
    list_result(app, q, &t, &info, res);
    return st;
}

enum pp_status core_ledger_list(struct core_app *app, const struct core_list_query *q,
                                pp_ledger_fn fn, void *ctx, struct core_list_result *res,
                                struct pp_err *err)
{
    PP_ASSERT(q->kind == CORE_LIST_LEDGER);
    struct track t = {(void *)fn, ctx, PP_ORDER_ID, 0, 0};
    struct pp_page_info info;
    enum pp_status st = store_ledger_page(app->store, &q->ledger, &q->page, track_ledger, &t,
                                          &info, err);
    list_result(app, q, &t, &info, res);
    return st;
}

enum pp_status core_recipient_get(struct core_app *app, int64_t id, struct pp_recipient *out,
                                  struct pp_err *err)
{
    return store_recipient_get(app->store, id, out, err);
}

enum pp_status core_project_get(struct core_app *app, int64_t id, struct pp_project *out,
                                struct pp_err *err)
{
    return store_project_get(app->store, id, out, err);
}

enum pp_status core_payout_totals(struct core_app *app, enum pp_totals_of of, int64_t id,
                                  pp_total_fn fn, void *ctx, struct pp_err *err)
{
    return store_payout_totals(app->store, of, id, fn, ctx, err);
}
