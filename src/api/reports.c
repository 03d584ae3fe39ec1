/*
** This module implements GET /api/reports/payouts: counts and sums of the
** payouts created in a period, grouped by project, currency, status,
** recipient or UTC day, one entry per group and currency. It reads and
** checks the query (groupBy required; from/to optional, defaulting to the
** last PP_REPORT_DAYS_DEFAULT whole UTC days up to and including today;
** optional currency and status filters) and writes the answer; the SQL
** lives in store/reports.c.
*/
#include <string.h>

#include "internal.h"
#include "lists.h"
#include "payout/core/dates.h"
#include "payout/core/reports.h"

#define DAY_MS (24LL * 3600 * 1000)

static const char *const report_by_names[] = {
    [PP_REPORT_BY_PROJECT] = "project",
    [PP_REPORT_BY_CURRENCY] = "currency",
    [PP_REPORT_BY_STATUS] = "status",
    [PP_REPORT_BY_RECIPIENT] = "recipient",
    [PP_REPORT_BY_DAY] = "day",
};
#define REPORT_BY_COUNT (sizeof report_by_names / sizeof report_by_names[0])

/* The query parameters a report reads. */
struct report_params {
    const char *group_by;
    const char *from;
    const char *to;
    const char *currency;
    const char *status;
};

/* Collects the query into p: unknown, repeated or value-less parameters
** are PP_INVALID_PARAMS. */
static enum pp_status params_read(const struct api_request *req, struct report_params *p,
                                  struct pp_err *err)
{
    static const char *const names[] = {"groupBy", "from", "to", "currency", "status"};
    const char **slots[] = {&p->group_by, &p->from, &p->to, &p->currency, &p->status};
    memset(p, 0, sizeof *p);
    for (size_t i = 0; i < req->query_count; i++) {
        const struct api_param *q = &req->query[i];
        size_t k = 0;
        while (k < sizeof names / sizeof names[0] && strcmp(q->key, names[k]) != 0) {
            k++;
        }
        if (k == sizeof names / sizeof names[0]) {
            return pp_err_set(err, PP_INVALID_PARAMS,
                              "unknown query parameter '%.64s' (groupBy, from, to, currency, "
                              "status)",
                              q->key);
        }
        if (*slots[k] != NULL) {
            return pp_err_set(err, PP_INVALID_PARAMS, "%s is given twice", names[k]);
        }
        if (q->value == NULL || q->value[0] == '\0') {
            return pp_err_set(err, PP_INVALID_PARAMS, "%s must not be empty", names[k]);
        }
        *slots[k] = q->value;
    }
    return PP_OK;
}

/* The period: dates as given, or the defaults (to = the start of the next
** UTC day, from = to - PP_REPORT_DAYS_DEFAULT days). */
static enum pp_status period_read(const struct report_params *p, struct pp_report_query *rq,
                                  struct pp_err *err)
{
    enum pp_status st = PP_OK;
    if (p->to != NULL) {
        st = core_date_parse(p->to, strlen(p->to), "to", &rq->to_ms, err);
    } else {
        rq->to_ms = (core_now_ms() / DAY_MS + 1) * DAY_MS;
    }
    if (st == PP_OK && p->from != NULL) {
        st = core_date_parse(p->from, strlen(p->from), "from", &rq->from_ms, err);
    } else if (st == PP_OK) {
        rq->from_ms = rq->to_ms - PP_REPORT_DAYS_DEFAULT * DAY_MS;
        rq->from_ms = rq->from_ms < 0 ? 0 : rq->from_ms; /* dates start in 1970 */
    }
    if (st == PP_OK && rq->from_ms >= rq->to_ms) {
        st = pp_err_set(err, PP_INVALID_PARAMS, "from must be before to");
    }
    return st;
}

static enum pp_status query_read(const struct api_request *req, struct pp_report_query *rq,
                                 struct pp_err *err)
{
    struct report_params p;
    enum pp_status st = params_read(req, &p, err);
    memset(rq, 0, sizeof *rq);
    if (st == PP_OK && p.group_by == NULL) {
        st = pp_err_set(err, PP_INVALID_PARAMS,
                        "groupBy is required: project, currency, status, recipient or day");
    }
    if (st == PP_OK) {
        size_t by = 0;
        while (by < REPORT_BY_COUNT && strcmp(p.group_by, report_by_names[by]) != 0) {
            by++;
        }
        rq->by = (enum pp_report_by)by;
        if (by == REPORT_BY_COUNT) {
            st = pp_err_set(err, PP_INVALID_PARAMS,
                            "groupBy must be project, currency, status, recipient or day");
        }
    }
    if (st == PP_OK && p.currency != NULL) {
        const struct core_currency *cur = core_currency_find(p.currency, strlen(p.currency));
        if (cur == NULL) {
            st = pp_err_set(err, PP_INVALID_PARAMS,
                            "currency '%.16s' is not a supported ISO 4217 currency code",
                            p.currency);
        } else {
            rq->currency = cur->code;
        }
    }
    if (st == PP_OK && p.status != NULL) {
        enum pp_payout_status s;
        if (!pp_payout_status_parse(p.status, strlen(p.status), &s)) {
            st = pp_err_set(err, PP_INVALID_PARAMS,
                            "status must be UNAUTHORIZED, READY, RECEIVED, CANCELLED or EXPIRED");
        } else {
            rq->status = (int)s;
        }
    }
    if (st == PP_OK) {
        st = period_read(&p, rq, err);
    }
    return st;
}

static void write_group(struct jw *w, enum pp_report_by by, const struct pp_report_group *g)
{
    jw_object_begin(w);
    jw_key(w, "key");
    jw_string(w, g->key);
    if (by == PP_REPORT_BY_PROJECT) {
        jw_key(w, "projectId");
        jw_int(w, g->id);
        jw_key(w, "name");
        jw_string(w, g->name);
    } else if (by == PP_REPORT_BY_RECIPIENT) {
        jw_key(w, "recipientId");
        jw_int(w, g->id);
    }
    jw_key(w, "currency");
    jw_string(w, g->currency);
    jw_key(w, "count");
    jw_int(w, g->count);
    jw_key(w, "sum");
    api_write_amount_wide(w, g->sum_minor, g->currency);
    jw_object_end(w);
}

void api_reports_payouts(struct core_app *app, struct api_request *req,
                         struct api_response *resp)
{
    struct pp_err err = {0};
    struct pp_report_query rq;
    size_t count = 0;
    /* Left uninitialised: only the pages a report fills are ever touched. */
    struct pp_report_group *groups =
        pp_arena_alloc(req->arena, PP_REPORT_GROUPS_MAX * sizeof *groups);
    if (query_read(req, &rq, &err) == PP_OK) {
        core_report_payouts(app, &rq, groups, PP_REPORT_GROUPS_MAX, &count, &err);
    }
    if (err.status != PP_OK) {
        api_respond_err(resp, &err);
        return;
    }
    struct jw w;
    jw_init(&w, &resp->body);
    jw_object_begin(&w);
    jw_key(&w, "groupBy");
    jw_string(&w, report_by_names[rq.by]);
    jw_key(&w, "from");
    api_write_date(&w, rq.from_ms);
    jw_key(&w, "to");
    api_write_date(&w, rq.to_ms);
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
