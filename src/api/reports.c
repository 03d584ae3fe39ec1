/*
** This module implements GET /api/reports/payouts: counts and sums of the
** payouts created in a period, grouped by project, currency, status,
** recipient or UTC day, one entry per group and currency. It declares
** the query for the query engine (core/query.h: groupBy required; from/to
** optional, defaulting to the last PP_REPORT_DAYS_DEFAULT whole UTC days
** up to and including today; optional currency and status filters) and
** writes the answer; the SQL lives in store/reports.c.
*/
#include <stddef.h>
#include <string.h>

#include "payout/core/dates.h"
#include "payout/core/query.h"
#include "payout/core/reports.h"
#include "reports.h"
#include "request.h"
#include "response.h"

#define DAY_MS (24LL * 3600 * 1000)

static const char *const report_by_names[] = {
    [STORE_REPORT_BY_PROJECT] = "project", [STORE_REPORT_BY_CURRENCY] = "currency",
    [STORE_REPORT_BY_STATUS] = "status",   [STORE_REPORT_BY_RECIPIENT] = "recipient",
    [STORE_REPORT_BY_DAY] = "day",         NULL,
};

/* What a report's query string reads into. */
struct report_query {
    struct store_report_query rq;
    char currency[4];
    unsigned given; /* REPORT_TO, REPORT_FROM */
};

enum { REPORT_TO = 1u << 0, REPORT_FROM = 1u << 1 };

#define AT(field) offsetof(struct report_query, field)

/* Every key is checked before any value, and the values are read in this
** order (groupBy first), so a report answers as it always has. */
static const struct core_query_param report_params[] = {
    {"groupBy", CORE_QUERY_CHOICE, 0, AT(rq.by), CORE_QUERY_NO_FLAG, 0, 0, report_by_names,
     "groupBy must be project, currency, status, recipient or day",
     "groupBy is required: project, currency, status, recipient or day", CORE_QUERY_ONCE},
    {"currency", CORE_QUERY_CURRENCY, 0, AT(currency), CORE_QUERY_NO_FLAG, 0, 0, NULL, NULL, NULL,
     CORE_QUERY_ONCE},
    {"status", CORE_QUERY_STATUS, 0, AT(rq.status), CORE_QUERY_NO_FLAG, 0, 0, NULL, NULL, NULL,
     CORE_QUERY_ONCE},
    {"to", CORE_QUERY_DATE, 0, AT(rq.to_ms), AT(given), REPORT_TO, 0, NULL, NULL, NULL,
     CORE_QUERY_ONCE},
    {"from", CORE_QUERY_DATE, 0, AT(rq.from_ms), AT(given), REPORT_FROM, 0, NULL, NULL, NULL,
     CORE_QUERY_ONCE},
};

static const struct core_query_spec report_spec = {
    report_params,
    sizeof report_params / sizeof report_params[0],
    "unknown query parameter '%.64s' (groupBy, from, to, currency, status)",
    "%s is given twice",
    "%s must not be empty",
    CORE_QUERY_DECLARED,
};

/* Reads the query into *rq, with the default period where none is given
** (to = the start of the next UTC day, from = to - PP_REPORT_DAYS_DEFAULT
** days). That from is before to is core_report_payouts' check. */
static enum pp_status report_query_read(const struct api_request *req,
                                        struct store_report_query *rq, struct pp_err *err)
{
    struct report_query q;
    memset(&q, 0, sizeof q);
    enum pp_status st = api_query_read(req, &report_spec, &q, err);
    if (!(q.given & REPORT_TO)) {
        q.rq.to_ms = (core_now_ms() / DAY_MS + 1) * DAY_MS;
    }
    if (!(q.given & REPORT_FROM)) {
        q.rq.from_ms = q.rq.to_ms - PP_REPORT_DAYS_DEFAULT * DAY_MS;
        q.rq.from_ms = q.rq.from_ms < 0 ? 0 : q.rq.from_ms; /* dates start in 1970 */
    }
    if (q.currency[0] != '\0') {
        q.rq.currency = core_currency_find(q.currency, 3)->code;
    }
    *rq = q.rq;
    return st;
}

static void write_group(struct jw *w, enum store_report_by by, const struct store_report_group *g)
{
    jw_object_begin(w);
    jw_key(w, "key");
    jw_string(w, g->key);
    if (by == STORE_REPORT_BY_PROJECT) {
        jw_key(w, "projectId");
        jw_int(w, g->id);
        jw_key(w, "name");
        jw_string(w, g->name);
    } else if (by == STORE_REPORT_BY_RECIPIENT) {
        jw_key(w, "recipientId");
        jw_int(w, g->id);
    }
    jw_key(w, "currency");
    jw_string(w, g->currency);
    jw_key(w, "count");
    jw_int(w, g->count);
    jw_key(w, "sum");
    api_amount_wide_write(w, g->sum_minor, g->currency);
    jw_object_end(w);
}

void api_reports_payouts(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    struct pp_err err = {0};
    struct store_report_query rq;
    size_t count = 0;
    /* Left uninitialised: only the pages a report fills are ever touched. */
    struct store_report_group *groups =
        pp_arena_alloc(req->arena, PP_REPORT_GROUPS_MAX * sizeof *groups);
    if (report_query_read(req, &rq, &err) == PP_OK) {
        core_report_payouts(app, &rq, groups, PP_REPORT_GROUPS_MAX, &count, &err);
    }
    if (err.status != PP_OK) {
        api_err_respond(resp, &err);
        return;
    }
    struct jw w;
    jw_init(&w, &resp->body);
    jw_object_begin(&w);
    jw_key(&w, "groupBy");
    jw_string(&w, report_by_names[rq.by]);
    jw_key(&w, "from");
    api_date_write(&w, rq.from_ms);
    jw_key(&w, "to");
    api_date_write(&w, rq.to_ms);
    if (rq.currency != NULL) {
        jw_key(&w, "currency");
        jw_string(&w, rq.currency);
    }
    if (rq.status != 0) {
        jw_key(&w, "status");
        jw_string(&w, pp_payout_status_name((enum pp_payout_status)rq.status));
    }
    jw_key(&w, "groups");
    jw_array_begin(&w);
    for (size_t i = 0; i < count; i++) {
        write_group(&w, rq.by, &groups[i]);
    }
    jw_array_end(&w);
    jw_object_end(&w);
}
