/*
** This header declares the payout reports' storage: counts and sums of the
** payouts created in a period, grouped by project, currency, status,
** recipient or UTC day, and always by currency as well (sums of different
** currencies are never added up). One SQL aggregate per grouping, run on a
** read connection.
*/
#ifndef PAYOUT_STORE_REPORTS_H
#define PAYOUT_STORE_REPORTS_H

#include <stddef.h>
#include <stdint.h>

#include "payout/model.h"
#include "payout/status.h"
#include "payout/store/store.h"

enum store_report_by {
    STORE_REPORT_BY_PROJECT,
    STORE_REPORT_BY_CURRENCY,
    STORE_REPORT_BY_STATUS,
    STORE_REPORT_BY_RECIPIENT,
    STORE_REPORT_BY_DAY,
};

struct store_report_query {
    enum store_report_by by;
    int64_t from_ms;      /* created_ms >= from_ms */
    int64_t to_ms;        /* created_ms < to_ms */
    const char *currency; /* borrowed; NULL = every currency */
    int status;           /* enum pp_payout_status, or 0 = every status */
};

/* Room for a group key: a decimal id, a status name, "YYYY-MM-DD". */
#define STORE_REPORT_KEY_BYTES 24

/* One group of one currency. */
struct store_report_group {
    char key[STORE_REPORT_KEY_BYTES]; /* project or recipient id in decimal, currency,
                                      ** status name, or UTC day "YYYY-MM-DD" */
    int64_t id;                       /* project or recipient id; 0 for other groupings */
    char name[PP_PROJECT_NAME_BYTES_MAX + 1]; /* project name (BY_PROJECT), else "" */
    char currency[4];
    int64_t count;
    __int128 sum_minor; /* exact: the sum of many amounts may pass 2^63 */
};

/* Aggregates the payouts matching q into out[0..cap), ordered by key
** (ids numerically, status names and days as text) then currency;
** *count_out = groups written. More than cap groups: PP_INVALID_PARAMS
** ("narrow the period"), nothing usable in out. */
enum pp_status store_report_payouts(struct store *st, const struct store_report_query *q,
                                    struct store_report_group *out, size_t cap,
                                    size_t *count_out, struct pp_err *err);

#endif /* PAYOUT_STORE_REPORTS_H */
