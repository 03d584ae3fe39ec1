/*
** This module implements the read endpoints: the payout list (filters,
** order, offset pages or keyset cursor, total), recipients (list, one with
** its payout totals), projects (list, one with optional stats) and the
** ledger. Query parameters go through core_list_query_param, an allowlist
** per list; answers are written straight from the store's rows into the
** response with the JSON writer (no intermediate copies).
*/
#include <string.h>

#include "internal.h"
#include "reads.h"

int api_list_query(struct core_app *app, const struct api_request *req, enum core_list_kind kind,
                   struct core_list_query *q, struct api_response *resp)
{
    struct pp_err err = {0};
    core_list_query_init(q, kind);
    for (size_t i = 0; i < req->query_count && err.status == PP_OK; i++) {
        core_list_query_param(q, req->query[i].key, req->query[i].value, &err);
    }
    if (err.status == PP_OK) {
        core_list_query_check(app, q, &err);
    }
    if (err.status != PP_OK) {
        api_respond_err(resp, &err);
        return 0;
    }
    return 1;
}

/* Refuses every query parameter but the allowed ones (NULL-terminated);
** answers the 400 itself and returns 0. */
static int query_only(const struct api_request *req, const char *const *allowed,
                      struct api_response *resp)
{
    for (size_t i = 0; i < req->query_count; i++) {
        int ok = 0;
        for (size_t k = 0; allowed[k] != NULL && !ok; k++) {
            ok = strcmp(req->query[i].key, allowed[k]) == 0;
        }
        if (!ok) {
            struct pp_err err = {0};
            pp_err_set(&err, PP_INVALID_PARAMS, "unknown query parameter '%.64s'",
                       req->query[i].key);
            api_respond_err(resp, &err);
            return 0;
        }
    }
    return 1;
}

/* The members every page answer ends with. */
static void write_page_tail(struct jw *w, const struct core_list_query *q,
                            const struct core_list_result *res)
{
    jw_key(w, "page");
    jw_int(w, q->page_number);
    jw_key(w, "size");
    jw_int(w, (int64_t)q->size);
    jw_key(w, "total");
    if (res->total >= 0) {
        jw_int(w, res->total);
    } else {
        jw_null(w);
    }
    jw_key(w, "nextCursor");
    if (res->next_cursor[0] != '\0') {
        jw_string(w, res->next_cursor);
    } else {
        jw_null(w);
    }
}

static void write_text_or_null(struct jw *w, const char *key, const char *text)
{
    jw_key(w, key);
    if (text[0] != '\0') {
        jw_string(w, text);
    } else {
        jw_null(w);
    }
}

static void row_payout(void *ctx, const struct pp_payout *p)
{
    api_write_payout(ctx, p);
}

void api_payments_list(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    struct core_list_query q;
    struct core_list_result res;
    struct pp_err err = {0};
    struct jw w;
    if (!api_list_query(app, req, CORE_LIST_PAYOUTS, &q, resp)) {
        return;
    }
    jw_init(&w, &resp->body);
    jw_object_begin(&w);
    jw_key(&w, "payments");
    jw_array_begin(&w);
    if (core_payouts_list(app, &q, row_payout, &w, &res, &err) != PP_OK) {
        api_respond_err(resp, &err);
        return;
    }
    jw_array_end(&w);
    write_page_tail(&w, &q, &res);
    jw_object_end(&w);
}

/* --- Recipients --------------------------------------------------------------- */

static void write_recipient_fields(struct jw *w, const struct pp_recipient *r)
{
    jw_key(w, "id");
    jw_int(w, r->id);
    write_text_or_null(w, "userName", r->user_name);
    write_text_or_null(w, "phoneNumber", r->phone_number);
    write_text_or_null(w, "referenceId", r->reference_id);
    write_text_or_null(w, "firstName", r->first_name);
    write_text_or_null(w, "lastName", r->last_name);
    write_text_or_null(w, "email", r->email);
}

static void row_recipient(void *ctx, const struct pp_recipient *r)
{
    struct jw *w = ctx;
    jw_object_begin(w);
    write_recipient_fields(w, r);
    jw_object_end(w);
}

void api_recipients_list(struct core_app *app, struct api_request *req,
                         struct api_response *resp)
{
    struct core_list_query q;
    struct core_list_result res;
    struct pp_err err = {0};
    struct jw w;
    if (!api_list_query(app, req, CORE_LIST_RECIPIENTS, &q, resp)) {
        return;
    }
    jw_init(&w, &resp->body);
    jw_object_begin(&w);
    jw_key(&w, "recipients");
    jw_array_begin(&w);
    if (core_recipients_list(app, &q, row_recipient, &w, &res, &err) != PP_OK) {
        api_respond_err(resp, &err);
        return;
    }
    jw_array_end(&w);
    write_page_tail(&w, &q, &res);
    jw_object_end(&w);
}

static void row_total(void *ctx, const struct store_total *t)
{
    struct jw *w = ctx;
    jw_object_begin(w);
    jw_key(w, "currency");
    jw_string(w, t->currency);
    jw_key(w, "status");
    jw_string(w, pp_payout_status_name(t->status));
    jw_key(w, "count");
    jw_int(w, t->count);
    jw_key(w, "sum");
    api_write_amount(w, t->sum_minor, t->currency);
    jw_object_end(w);
}

void api_recipient_get(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    static const char *const allowed[] = {NULL};
    struct pp_err err = {0};
    struct pp_recipient r;
    int64_t id = 0;
    struct jw w;
    if (!query_only(req, allowed, resp)) {
        return;
    }
    if (api_parse_id(req->path_params[0], "recipient id", &id, &err) == PP_OK) {
        core_recipient_get(app, id, &r, &err);
    }
    if (err.status != PP_OK) {
        api_respond_err(resp, &err);
        return;
    }
    jw_init(&w, &resp->body);
    jw_object_begin(&w);
    write_recipient_fields(&w, &r);
    jw_key(&w, "totals");
    jw_array_begin(&w);
    if (core_payout_totals(app, STORE_TOTALS_RECIPIENT, id, row_total, &w, &err) != PP_OK) {
        api_respond_err(resp, &err);
        return;
    }
    jw_array_end(&w);
    jw_object_end(&w);
}

/* --- Projects ----------------------------------------------------------------- */

static void write_project_fields(struct jw *w, const struct store_project *p)
{
    jw_key(w, "id");
    jw_int(w, p->id);
    jw_key(w, "name");
    jw_string(w, p->name);
    jw_key(w, "createdAt");
    api_write_date(w, p->created_ms);
}

static void row_project(void *ctx, const struct store_project *p)
{
    struct jw *w = ctx;
    jw_object_begin(w);
    write_project_fields(w, p);
    jw_object_end(w);
}

void api_projects_list(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    struct core_list_query q;
    struct core_list_result res;
    struct pp_err err = {0};
    struct jw w;
    if (!api_list_query(app, req, CORE_LIST_PROJECTS, &q, resp)) {
        return;
    }
    jw_init(&w, &resp->body);
    jw_object_begin(&w);
    jw_key(&w, "projects");
    jw_array_begin(&w);
    if (core_projects_list(app, &q, row_project, &w, &res, &err) != PP_OK) {
        api_respond_err(resp, &err);
        return;
    }
    jw_array_end(&w);
    write_page_tail(&w, &q, &res);
    jw_object_end(&w);
}

/* Reads the optional stats=true|false of GET /api/projects/{id}. */
static enum pp_status project_stats_param(const struct api_request *req, int *stats,
                                          struct pp_err *err)
{
    *stats = 0;
    for (size_t i = 0; i < req->query_count; i++) {
        const char *v = req->query[i].value;
        if (strcmp(req->query[i].key, "stats") != 0) {
            return pp_err_set(err, PP_INVALID_PARAMS, "unknown query parameter '%.64s'",
                              req->query[i].key);
        }
        if (i > 0) {
            return pp_err_set(err, PP_INVALID_PARAMS, "query parameter stats is given more than once");
        }
        if (v == NULL || (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)) {
            return pp_err_set(err, PP_INVALID_PARAMS, "stats must be true or false");
        }
        *stats = v[0] == 't';
    }
    return PP_OK;
}

void api_project_get(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    struct pp_err err = {0};
    struct store_project p;
    int64_t id = 0;
    int stats = 0;
    struct jw w;
    if (project_stats_param(req, &stats, &err) == PP_OK &&
        api_parse_id(req->path_params[0], "project id", &id, &err) == PP_OK) {
        core_project_get(app, id, &p, &err);
    }
    if (err.status != PP_OK) {
        api_respond_err(resp, &err);
        return;
    }
    jw_init(&w, &resp->body);
    jw_object_begin(&w);
    write_project_fields(&w, &p);
    if (stats) {
        jw_key(&w, "stats");
        jw_array_begin(&w);
        if (core_payout_totals(app, STORE_TOTALS_PROJECT, id, row_total, &w, &err) != PP_OK) {
            api_respond_err(resp, &err);
            return;
        }
        jw_array_end(&w);
    }
    jw_object_end(&w);
}

/* --- Ledger ------------------------------------------------------------------- */

static void row_ledger(void *ctx, const struct store_ledger_row *l)
{
    struct jw *w = ctx;
    jw_object_begin(w);
    jw_key(w, "id");
    jw_int(w, l->id);
    jw_key(w, "at");
    api_write_date(w, l->at_ms);
    jw_key(w, "currency");
    jw_string(w, l->currency);
    jw_key(w, "kind");
    jw_string(w, pp_ledger_kind_name(l->kind));
    jw_key(w, "available");
    api_write_amount(w, l->d_available, l->currency);
    jw_key(w, "blocked");
    api_write_amount(w, l->d_blocked, l->currency);
    jw_key(w, "paidOut");
    api_write_amount(w, l->d_paid_out, l->currency);
    jw_key(w, "payoutId");
    if (l->payout_id > 0) {
        jw_int(w, l->payout_id);
    } else {
        jw_null(w);
    }
    write_text_or_null(w, "reference", l->reference);
    jw_object_end(w);
}

void api_ledger_list(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    struct core_list_query q;
    struct core_list_result res;
    struct pp_err err = {0};
    struct jw w;
    if (!api_list_query(app, req, CORE_LIST_LEDGER, &q, resp)) {
        return;
    }
    jw_init(&w, &resp->body);
    jw_object_begin(&w);
    jw_key(&w, "ledger");
    jw_array_begin(&w);
    if (core_ledger_list(app, &q, row_ledger, &w, &res, &err) != PP_OK) {
        api_respond_err(resp, &err);
        return;
    }
    jw_array_end(&w);
    write_page_tail(&w, &q, &res);
    jw_object_end(&w);
}
