/*
** This header declares the domain types of payout reports: the grouping,
** the query (a period of creation, optionally one currency or status) and
** one group of one currency (a count and a sum: sums of different
** currencies are never added up). Plain data, no storage.
*/
#ifndef PAYOUT_MODEL_REPORT_H
#define PAYOUT_MODEL_REPORT_H

#include <stdint.h>

#include "payout/limits.h"
#include "payout/model.h"

enum pp_report_by {
    PP_REPORT_BY_PROJECT,
    PP_REPORT_BY_CURRENCY,
    PP_REPORT_BY_STATUS,
    PP_REPORT_BY_RECIPIENT,
    PP_REPORT_BY_DAY,
};

struct pp_report_query {
    enum pp_report_by by;
    int64_t from_ms;      /* created_ms >= from_ms */
    int64_t to_ms;        /* created_ms < to_ms */
    const char *currency; /* borrowed; NULL = every currency */
    int status;           /* enum pp_payout_status, or 0 = every status */
};

/* Room for a group key: a decimal id, a status name, "YYYY-MM-DD". */
#define PP_REPORT_KEY_BYTES 24

/* One group of one currency. */
struct pp_report_group {
    char key[PP_REPORT_KEY_BYTES];            /* project or recipient id in decimal, currency,
                                               ** status name, or UTC day "YYYY-MM-DD" */
    int64_t id;                               /* project or recipient id; 0 for other groupings */
    char name[PP_PROJECT_NAME_BYTES_MAX + 1]; /* project name (BY_PROJECT), else "" */
    char currency[4];
    int64_t count;
    __int128 sum_minor; /* exact: the sum of many amounts may pass 2^63 */
};

#endif /* PAYOUT_MODEL_REPORT_H */
