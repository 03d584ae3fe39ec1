/*
** This module implements the query-parameter engine of
** payout/core/query.h: finding a key in a query's table (the allowlist),
** refusing repeats and empty values in the route's wording, and one reader
** per value type that parses, range-checks and writes the value where the
** table says. Amounts are read by their owner (they need the currency's
** decimals), dates by core/dates, currencies by core/currencies.
**
** It does not know which parameters a list, report or audit query takes
** (their tables live with them) nor any check across parameters.
*/
#include "payout/core/query.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "payout/base/assert.h"
#include "payout/core/dates.h"
#include "payout/core/money.h"
#include "payout/limits.h"
#include "payout/model.h"

/* Digits of the largest positive id the lists accept: below INT64_MAX
** without an overflow check. */
#define POSITIVE_DIGITS_MAX 18
/* Longest list of statuses: the five names and commas, with room. */
#define STATUS_LIST_BYTES_MAX 128
/* Longest ids list: PP_READ_IDS_MAX ids of 18 digits and commas. */
#define IDS_TEXT_BYTES_MAX (PP_READ_IDS_MAX * 20)
/* A milliseconds day, for a bare day as the end of a period. */
#define DAY_MS (24LL * 3600 * 1000)

void core_query_init(struct core_query *q, const struct core_query_spec *spec, void *target)
{
    PP_ASSERT(spec->count <= CORE_QUERY_PARAMS_MAX);
    memset(q, 0, sizeof *q);
    q->spec = spec;
    q->target = target;
}

/* --- Value readers ------------------------------------------------------------- */

/* Where a parameter's value goes. */
static void *slot(const struct core_query *q, size_t offset)
{
    return (char *)q->target + offset;
}

static enum pp_status bad(const struct core_query_param *p, const char *own, struct pp_err *err)
{
    if (p->bad != NULL) {
        return pp_err_set(err, PP_INVALID_PARAMS, "%s", p->bad);
    }
    return pp_err_set(err, PP_INVALID_PARAMS, own, p->name);
}

int core_query_id_parse(const char *v, int64_t *out)
{
    size_t len = strlen(v);
    int ok = len > 0 && len <= POSITIVE_DIGITS_MAX && v[0] != '0';
    for (size_t i = 0; ok && i < len; i++) {
        ok = isdigit((unsigned char)v[i]);
    }
    if (ok) {
        *out = strtoll(v, NULL, 10);
    }
    return ok;
}

static enum pp_status read_positive(const struct core_query_param *p, const char *v, int64_t *out,
                                    struct pp_err *err)
{
    int64_t n = 0;
    if (!core_query_id_parse(v, &n)) {
        return bad(p, "%s must be a positive integer", err);
    }
    if (p->max > 0 && n > p->max) {
        return pp_err_set(err, PP_INVALID_PARAMS, "%s must be between 1 and %lld", p->name,
                          (long long)p->max);
    }
    *out = n;
    return PP_OK;
}

/* Decimal digits, leading zeros allowed, from 1 to max. */
static enum pp_status read_int(const struct core_query_param *p, const char *v, int64_t *out,
                               struct pp_err *err)
{
    int64_t max = p->max > 0 ? p->max : INT64_MAX;
    int64_t n = 0;
    int ok = v[0] != '\0';
    for (size_t i = 0; ok && v[i] != '\0'; i++) {
        int digit = v[i] - '0';
        ok = digit >= 0 && digit <= 9 && n <= (INT64_MAX - digit) / 10;
        n = ok ? n * 10 + digit : n;
    }
    if (!ok || n < 1 || n > max) {
        return pp_err_set(err, PP_INVALID_PARAMS, "%s must be an integer from 1 to %lld", p->name,
                          (long long)max);
    }
    *out = n;
    return PP_OK;
}

static enum pp_status read_bool(const struct core_query_param *p, const char *v, int *out,
                                struct pp_err *err)
{
    if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0) {
        return bad(p, "%s must be true or false", err);
    }
    *out = v[0] == 't';
    return PP_OK;
}

static enum pp_status read_text(const struct core_query_param *p, const char *v, char *out,
                                struct pp_err *err)
{
    size_t len = strlen(v);
    if (len > (size_t)p->max) {
        return pp_err_set(err, PP_INVALID_PARAMS, "%s is longer than %lld bytes", p->name,
                          (long long)p->max);
    }
    memcpy(out, v, len + 1);
    return PP_OK;
}

static enum pp_status read_text_ref(const struct core_query_param *p, const char *v,
                                    const char **out, struct pp_err *err)
{
    size_t len = strlen(v);
    if (len == 0 || len > (size_t)p->max) {
        return pp_err_set(err, PP_INVALID_PARAMS, "%s must be 1 to %lld characters", p->name,
                          (long long)p->max);
    }
    *out = v;
    return PP_OK;
}

static enum pp_status read_currency(const struct core_query_param *p, const char *v, char out[4],
                                    struct pp_err *err)
{
    if (core_currency_find(v, strlen(v)) == NULL) {
        return pp_err_set(err, PP_INVALID_PARAMS,
                          "%s '%.16s' is not a supported ISO 4217 currency code", p->name, v);
    }
    memcpy(out, v, 4);
    return PP_OK;
}

static enum pp_status read_date(const struct core_query_param *p, const char *v, int64_t *out,
                                struct pp_err *err)
{
    size_t len = strlen(v);
    enum pp_status st = core_date_parse(v, len, p->name, out, err);
    /* "2026-03-01" as the end of a period covers that whole day. */
    if (st == PP_OK && p->type == CORE_QUERY_DATE_END && len == 10) {
        *out += DAY_MS - 1;
    }
    return st;
}

static enum pp_status read_status(const struct core_query_param *p, const char *v, int *out,
                                  struct pp_err *err)
{
    enum pp_payout_status s;
    if (!pp_payout_status_parse(v, strlen(v), &s)) {
        return bad(p, "%s must be UNAUTHORIZED, READY, RECEIVED, CANCELLED or EXPIRED", err);
    }
    *out = (int)s;
    return PP_OK;
}

/* "READY" or "READY,cancelled" (names in any case) into a status mask. */
static enum pp_status read_statuses(const struct core_query_param *p, const char *v,
                                    unsigned *mask_out, struct pp_err *err)
{
    size_t len = strlen(v);
    unsigned mask = 0;
    if (len > STATUS_LIST_BYTES_MAX) {
        return pp_err_set(err, PP_INVALID_PARAMS, "%s is too long", p->name);
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
            return bad(p,
                       "%s must be a comma-separated list of UNAUTHORIZED, READY, RECEIVED, "
                       "CANCELLED, EXPIRED",
                       err);
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
static enum pp_status read_ids(const struct core_query_param *p, const char *v, int64_t *ids,
                               size_t *count_out, struct pp_err *err)
{
    static const char list_bad[] = "%s must be a comma-separated list of positive integers";
    size_t len = strlen(v);
    size_t n = 0;
    if (len > IDS_TEXT_BYTES_MAX) {
        return pp_err_set(err, PP_INVALID_PARAMS, "%s has more than %d ids", p->name,
                          PP_READ_IDS_MAX);
    }
    for (size_t start = 0; start <= len;) {
        const char *comma = memchr(v + start, ',', len - start);
        size_t end = comma != NULL ? (size_t)(comma - v) : len;
        char one[24];
        if (n == PP_READ_IDS_MAX) {
            return pp_err_set(err, PP_INVALID_PARAMS, "%s has more than %d ids", p->name,
                              PP_READ_IDS_MAX);
        }
        if (end - start >= sizeof one) {
            return bad(p, list_bad, err);
        }
        memcpy(one, v + start, end - start);
        one[end - start] = '\0';
        if (!core_query_id_parse(one, &ids[n])) {
            return bad(p, list_bad, err);
        }
        n++;
        start = end + 1;
    }
    qsort(ids, n, sizeof ids[0], id_compare);
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        if (kept == 0 || ids[kept - 1] != ids[i]) {
            ids[kept++] = ids[i];
        }
    }
    *count_out = kept;
    return PP_OK;
}

static enum pp_status read_choice(const struct core_query_param *p, const char *v, int *out,
                                  struct pp_err *err)
{
    PP_ASSERT(p->choices != NULL && p->bad != NULL);
    for (int i = 0; p->choices[i] != NULL; i++) {
        if (strcmp(v, p->choices[i]) == 0) {
            *out = i;
            return PP_OK;
        }
    }
    return bad(p, NULL, err);
}

/* Reads v (never NULL) as p's type into the target. */
static enum pp_status value_read(struct core_query *q, const struct core_query_param *p,
                                 const char *v, struct pp_err *err)
{
    void *out = slot(q, p->offset);
    switch (p->type) {
    case CORE_QUERY_POSITIVE:
        return read_positive(p, v, out, err);
    case CORE_QUERY_INT:
        return read_int(p, v, out, err);
    case CORE_QUERY_BOOL:
        return read_bool(p, v, out, err);
    case CORE_QUERY_TEXT:
        return read_text(p, v, out, err);
    case CORE_QUERY_TEXT_REF:
        return read_text_ref(p, v, out, err);
    case CORE_QUERY_RAW:
        *(const char **)out = v;
        return PP_OK;
    case CORE_QUERY_CURRENCY:
        return read_currency(p, v, out, err);
    case CORE_QUERY_DATE:
    case CORE_QUERY_DATE_END:
        return read_date(p, v, out, err);
    case CORE_QUERY_STATUS:
        return read_status(p, v, out, err);
    case CORE_QUERY_STATUSES:
        return read_statuses(p, v, out, err);
    case CORE_QUERY_IDS:
        return read_ids(p, v, out, slot(q, p->count_offset), err);
    case CORE_QUERY_CHOICE:
        return read_choice(p, v, out, err);
    }
    PP_ASSERT(0);
    return PP_INTERNAL;
}

/* Reads params[i]'s value and marks its flag. */
static enum pp_status param_read(struct core_query *q, size_t i, const char *value,
                                 struct pp_err *err)
{
    const struct core_query_param *p = &q->spec->params[i];
    enum pp_status st = value_read(q, p, value != NULL ? value : "", err);
    if (st == PP_OK && p->flag_offset != CORE_QUERY_NO_FLAG) {
        *(unsigned *)slot(q, p->flag_offset) |= p->flag;
    }
    return st;
}

/* --- The query ------------------------------------------------------------------- */

enum pp_status core_query_take(struct core_query *q, const char *key, const char *value,
                               struct pp_err *err)
{
    const struct core_query_spec *spec = q->spec;
    PP_ASSERT(key != NULL);
    size_t i = 0;
    while (i < spec->count && strcmp(spec->params[i].name, key) != 0) {
        i++;
    }
    if (i == spec->count) {
        return pp_err_set(err, PP_INVALID_PARAMS, spec->unknown, key);
    }
    const struct core_query_param *p = &spec->params[i];
    if ((q->seen & (1ull << i)) && p->repeat == CORE_QUERY_ONCE) {
        return pp_err_set(err, PP_INVALID_PARAMS, spec->repeated, p->name);
    }
    q->seen |= 1ull << i;
    if (spec->empty != NULL && (value == NULL || value[0] == '\0')) {
        return pp_err_set(err, PP_INVALID_PARAMS, spec->empty, p->name);
    }
    if (spec->order == CORE_QUERY_DECLARED) {
        q->deferred[i] = value;
        return PP_OK;
    }
    return param_read(q, i, value, err);
}

enum pp_status core_query_end(struct core_query *q, struct pp_err *err)
{
    const struct core_query_spec *spec = q->spec;
    enum pp_status st = PP_OK;
    for (size_t i = 0; i < spec->count && st == PP_OK; i++) {
        int given = (q->seen & (1ull << i)) != 0;
        if (!given && spec->params[i].required != NULL) {
            st = pp_err_set(err, PP_INVALID_PARAMS, "%s", spec->params[i].required);
        } else if (given && spec->order == CORE_QUERY_DECLARED) {
            st = param_read(q, i, q->deferred[i], err);
        }
    }
    return st;
}

int core_query_given(const struct core_query *q, const char *name)
{
    for (size_t i = 0; i < q->spec->count; i++) {
        if (strcmp(q->spec->params[i].name, name) == 0) {
            return (q->seen & (1ull << i)) != 0;
        }
    }
    return 0;
}
