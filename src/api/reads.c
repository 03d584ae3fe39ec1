/*
** This module implements the read endpoints: the payout list (filters,
** order, offset pages or keyset cursor, total), recipients (list, one with
** its payout totals), projects (list, one with optional stats) and the
** ledger. Query parameters go through core_list_query_param, an allowlist
** per list; answers are written straight from the store's rows into the
** response with the JSON writer (no intermediate copies), except for a
** recipients or projects page with stats=true: its rows (at most a page)
** wait in the request arena until their payout totals, read for the whole
** page at once, arrive. A payout page's rows with `notification` on get
** their notifications spliced in once the page is read (payouts_page).
*/
#include <stdlib.h>
#include <string.h>

#include "payout.h"
#include "payout/base/assert.h"
#include "reads.h"
#include "request.h"
#include "response.h"

int api_list_query_read(struct core_app *app, const struct api_request *req,
                        enum core_list_kind kind, struct core_list_query *q,
                        struct api_response *resp)
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
        api_err_respond(resp, &err);
        return 0;
    }
    return 1;
}

/* GET /api/recipients/{id} takes no query parameter. */
static const struct core_query_spec recipient_get_spec = {
    NULL, 0, CORE_QUERY_UNKNOWN, CORE_QUERY_REPEATED, NULL, CORE_QUERY_AS_GIVEN,
};

/* GET /api/projects/{id} takes stats=true|false; an empty value is judged
** as a boolean. */
static const struct core_query_param project_get_params[] = {
    {"stats", CORE_QUERY_BOOL, 0, 0, CORE_QUERY_NO_FLAG, 0, 0, NULL, NULL, NULL, CORE_QUERY_ONCE},
};
static const struct core_query_spec project_get_spec = {
    project_get_params, 1, CORE_QUERY_UNKNOWN, CORE_QUERY_REPEATED, NULL, CORE_QUERY_AS_GIVEN,
};

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

/* --- The payout page and its notifications --------------------------------- */

/* A payout page being written. The rows arrive while the page's reader is
** held, so a row with `notification` on is written with an empty
** "notifications" array and its place noted; once the page is read, the
** notifications of all those rows are read at once and spliced into
** those places. */
struct payouts_page {
    struct jw *w;
    size_t cap; /* the page size */
    size_t count;
    size_t *at;  /* cap of them: offsets in the body right after a row's "notifications":[ */
    int64_t *id; /* cap of them: those rows' payout ids, in body order */
};

static void row_payout(void *ctx, const struct pp_payout *p)
{
    struct payouts_page *page = ctx;
    static const struct api_payout_notes none = {1, 0, {{0}}};
    if (!p->notification) {
        api_payout_write(page->w, p, &none);
        return;
    }
    PP_ASSERT(page->count < page->cap);
    page->at[page->count] = api_payout_placeholder_write(page->w, p);
    page->id[page->count] = p->id;
    page->count++;
}

/* Reads the notifications of the page's noted rows (one read) and splices
** them into body. On a storage failure body is left as it was and err
** says why. */
static enum pp_status page_notes_fill(struct core_app *app, struct pp_arena *arena,
                                      const struct payouts_page *page, struct pp_buf *body,
                                      struct pp_err *err)
{
    struct api_payouts_notes all;
    struct pp_buf out;
    size_t from = 0;
    if (page->count == 0) {
        return PP_OK;
    }
    enum pp_status st = api_payouts_notes_read(app, arena, page->id, page->count, &all, err);
    if (st != PP_OK) {
        return st;
    }
    pp_buf_init(&out);
    for (size_t i = 0; i < page->count; i++) {
        struct api_payout_notes row;
        api_payouts_notes_of(&all, page->id[i], &row);
        pp_buf_append(&out, body->data + from, page->at[i] - from);
        api_payout_notes_items_write(&out, &row);
        from = page->at[i];
    }
    pp_buf_append(&out, body->data + from, body->len - from);
    pp_buf_free(body);
    *body = out;
    return PP_OK;
}

void api_payments_list(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    struct core_list_query q;
    struct core_list_result res;
    struct pp_err err = {0};
    struct jw w;
    if (!api_list_query_read(app, req, CORE_LIST_PAYOUTS, &q, resp)) {
        return;
    }
    struct payouts_page page = {&w, (size_t)q.size, 0, NULL, NULL};
    page.at = pp_arena_calloc(req->arena, page.cap, sizeof *page.at);
    page.id = pp_arena_calloc(req->arena, page.cap, sizeof *page.id);
    jw_init(&w, &resp->body);
    jw_object_begin(&w);
    jw_key(&w, "payments");
    jw_array_begin(&w);
    if (core_payouts_list(app, &q, row_payout, &page, &res, &err) != PP_OK) {
        api_err_respond(resp, &err);
        return;
    }
    jw_array_end(&w);
    write_page_tail(&w, &q, &res);
    jw_object_end(&w);
    if (page_notes_fill(app, req->arena, &page, &resp->body, &err) != PP_OK) {
        api_err_respond(resp, &err);
    }
}

static void row_total(void *ctx, const struct pp_total *t)
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
    api_amount_wide_write(w, t->sum_minor, t->currency);
    jw_object_end(w);
}

/* --- Pages with their rows' totals (stats=true) ------------------------------- */

/* The rows of a recipients or projects page, kept until the totals of the
** whole page arrive (grouped by row, in the page's order), then written
** one by one: each item is the row's fields and `member`, its totals, in
** exactly the shape of the single record's answer ([] without payouts). */
struct totals_page {
    struct jw *w;
    const char *member; /* "totals" or "stats" */
    void (*write_fields)(struct jw *w, const void *row);
    size_t row_bytes;
    size_t cap;          /* the page size */
    size_t count;        /* rows kept */
    unsigned char *rows; /* cap rows of row_bytes */
    int64_t *ids;        /* their ids */
    size_t next;         /* rows written so far */
    int open;            /* 1: row next-1 is inside `member` */
};

static void totals_page_init(struct totals_page *tp, struct pp_arena *arena, struct jw *w,
                             const char *member, void (*write_fields)(struct jw *, const void *),
                             size_t row_bytes, size_t cap)
{
    PP_ASSERT(cap >= 1 && cap <= PP_PAGE_SIZE_MAX);
    memset(tp, 0, sizeof *tp);
    tp->w = w;
    tp->member = member;
    tp->write_fields = write_fields;
    tp->row_bytes = row_bytes;
    tp->cap = cap;
    tp->rows = pp_arena_calloc(arena, cap, row_bytes);
    tp->ids = pp_arena_calloc(arena, cap, sizeof tp->ids[0]);
}

static void totals_page_keep(struct totals_page *tp, int64_t id, const void *row)
{
    /* The store hands out at most the page size (q->size) rows. */
    PP_ASSERT(tp->count < tp->cap);
    memcpy(tp->rows + tp->count * tp->row_bytes, row, tp->row_bytes);
    tp->ids[tp->count++] = id;
}

/* Writes the next row up to inside its totals array. */
static void totals_page_open(struct totals_page *tp)
{
    PP_ASSERT(!tp->open && tp->next < tp->count);
    jw_object_begin(tp->w);
    tp->write_fields(tp->w, tp->rows + tp->next * tp->row_bytes);
    jw_key(tp->w, tp->member);
    jw_array_begin(tp->w);
    tp->next++;
    tp->open = 1;
}

static void totals_page_close(struct totals_page *tp)
{
    if (tp->open) {
        jw_array_end(tp->w);
        jw_object_end(tp->w);
        tp->open = 0;
    }
}

static void row_page_total(void *ctx, int64_t id, const struct pp_total *t)
{
    struct totals_page *tp = ctx;
    if (!tp->open || tp->ids[tp->next - 1] != id) {
        totals_page_close(tp);
        /* Rows before this one have no payouts. */
        while (tp->next < tp->count && tp->ids[tp->next] != id) {
            totals_page_open(tp);
            totals_page_close(tp);
        }
        /* The store groups by the page's rows, in its order. */
        PP_ASSERT(tp->next < tp->count);
        totals_page_open(tp);
    }
    row_total(tp->w, t);
}

/* Writes the rows after the last one with payouts. */
static void totals_page_finish(struct totals_page *tp)
{
    totals_page_close(tp);
    while (tp->next < tp->count) {
        totals_page_open(tp);
        totals_page_close(tp);
    }
}

/* --- Recipients and projects: fields and single records ------------------------ */

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

void api_recipient_get(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    struct pp_err err = {0};
    struct pp_recipient r;
    int64_t id = 0;
    struct jw w;
    if (api_query_read(req, &recipient_get_spec, NULL, &err) == PP_OK &&
        api_id_parse(req->path_params[0], "recipient id", &id, &err) == PP_OK) {
        core_recipient_get(app, id, &r, &err);
    }
    if (err.status != PP_OK) {
        api_err_respond(resp, &err);
        return;
    }
    jw_init(&w, &resp->body);
    jw_object_begin(&w);
    write_recipient_fields(&w, &r);
    jw_key(&w, "totals");
    jw_array_begin(&w);
    if (core_payout_totals(app, PP_TOTALS_RECIPIENT, id, row_total, &w, &err) != PP_OK) {
        api_err_respond(resp, &err);
        return;
    }
    jw_array_end(&w);
    jw_object_end(&w);
}

static void write_project_fields(struct jw *w, const struct pp_project *p)
{
    jw_key(w, "id");
    jw_int(w, p->id);
    jw_key(w, "name");
    jw_string(w, p->name);
    jw_key(w, "createdAt");
    api_date_write(w, p->created_ms);
}

void api_project_get(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    struct pp_err err = {0};
    struct pp_project p;
    int64_t id = 0;
    int stats = 0;
    struct jw w;
    if (api_query_read(req, &project_get_spec, &stats, &err) == PP_OK &&
        api_id_parse(req->path_params[0], "project id", &id, &err) == PP_OK) {
        core_project_get(app, id, &p, &err);
    }
    if (err.status != PP_OK) {
        api_err_respond(resp, &err);
        return;
    }
    jw_init(&w, &resp->body);
    jw_object_begin(&w);
    write_project_fields(&w, &p);
    if (stats) {
        jw_key(&w, "stats");
        jw_array_begin(&w);
        if (core_payout_totals(app, PP_TOTALS_PROJECT, id, row_total, &w, &err) != PP_OK) {
            api_err_respond(resp, &err);
            return;
        }
        jw_array_end(&w);
    }
    jw_object_end(&w);
}

/* --- Recipients and projects: one list handler, a table per list ------------- */

/* Where a row goes: straight into the answer, or into the page kept for
** its totals (stats=true). */
struct row_sink {
    const struct row_list *list;
    struct jw *w;
    struct totals_page *tp; /* NULL without stats */
};

/* A list of rows that may carry their payout totals. */
struct row_list {
    enum core_list_kind kind;
    const char *member; /* the answer's array */
    const char *totals; /* each item's totals array with stats=true */
    size_t row_bytes;
    void (*write_fields)(struct jw *w, const void *row);
    enum pp_status (*run)(struct core_app *app, const struct core_list_query *q,
                          struct row_sink *sink, const struct pp_page_totals *totals,
                          struct core_list_result *res, struct pp_err *err);
};

static void sink_row(struct row_sink *sink, int64_t id, const void *row)
{
    if (sink->tp != NULL) {
        totals_page_keep(sink->tp, id, row);
        return;
    }
    jw_object_begin(sink->w);
    sink->list->write_fields(sink->w, row);
    jw_object_end(sink->w);
}

static void recipient_row(void *ctx, const struct pp_recipient *r)
{
    sink_row(ctx, r->id, r);
}

static void project_row(void *ctx, const struct pp_project *p)
{
    sink_row(ctx, p->id, p);
}

static void write_recipient_row(struct jw *w, const void *row)
{
    write_recipient_fields(w, row);
}

static void write_project_row(struct jw *w, const void *row)
{
    write_project_fields(w, row);
}

static enum pp_status recipients_run(struct core_app *app, const struct core_list_query *q,
                                     struct row_sink *sink, const struct pp_page_totals *totals,
                                     struct core_list_result *res, struct pp_err *err)
{
    return core_recipients_list(app, q, recipient_row, sink, totals, res, err);
}

static enum pp_status projects_run(struct core_app *app, const struct core_list_query *q,
                                   struct row_sink *sink, const struct pp_page_totals *totals,
                                   struct core_list_result *res, struct pp_err *err)
{
    return core_projects_list(app, q, project_row, sink, totals, res, err);
}

/* Each item with stats=true as the single record answers it: GET
** /api/recipients/{id} and GET /api/projects/{id}?stats=true. */
static const struct row_list recipients_list = {
    CORE_LIST_RECIPIENTS,        "recipients",        "totals",
    sizeof(struct pp_recipient), write_recipient_row, recipients_run,
};
static const struct row_list projects_list = {
    CORE_LIST_PROJECTS,        "projects",        "stats",
    sizeof(struct pp_project), write_project_row, projects_run,
};

static void row_list_answer(struct core_app *app, struct api_request *req,
                            struct api_response *resp, const struct row_list *list)
{
    struct core_list_query q;
    struct core_list_result res;
    struct pp_err err = {0};
    struct totals_page tp;
    struct jw w;
    struct row_sink sink = {list, &w, NULL};
    if (!api_list_query_read(app, req, list->kind, &q, resp)) {
        return;
    }
    jw_init(&w, &resp->body);
    jw_object_begin(&w);
    jw_key(&w, list->member);
    jw_array_begin(&w);
    if (q.stats) {
        struct pp_page_totals totals = {row_page_total, &tp};
        totals_page_init(&tp, req->arena, &w, list->totals, list->write_fields, list->row_bytes,
                         (size_t)q.size);
        sink.tp = &tp;
        if (list->run(app, &q, &sink, &totals, &res, &err) == PP_OK) {
            totals_page_finish(&tp);
        }
    } else {
        list->run(app, &q, &sink, NULL, &res, &err);
    }
    if (err.status != PP_OK) {
        api_err_respond(resp, &err);
        return;
    }
    jw_array_end(&w);
    write_page_tail(&w, &q, &res);
    jw_object_end(&w);
}

void api_recipients_list(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    row_list_answer(app, req, resp, &recipients_list);
}

void api_projects_list(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    row_list_answer(app, req, resp, &projects_list);
}

/* --- Ledger ------------------------------------------------------------------- */

static void row_ledger(void *ctx, const struct pp_ledger_row *l)
{
    struct jw *w = ctx;
    jw_object_begin(w);
    jw_key(w, "id");
    jw_int(w, l->id);
    jw_key(w, "at");
    api_date_write(w, l->at_ms);
    jw_key(w, "currency");
    jw_string(w, l->currency);
    jw_key(w, "kind");
    jw_string(w, pp_ledger_kind_name(l->kind));
    jw_key(w, "available");
    api_amount_write(w, l->d_available, l->currency);
    jw_key(w, "blocked");
    api_amount_write(w, l->d_blocked, l->currency);
    jw_key(w, "paidOut");
    api_amount_write(w, l->d_paid_out, l->currency);
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
    if (!api_list_query_read(app, req, CORE_LIST_LEDGER, &q, resp)) {
        return;
    }
    jw_init(&w, &resp->body);
    jw_object_begin(&w);
    jw_key(&w, "ledger");
    jw_array_begin(&w);
    if (core_ledger_list(app, &q, row_ledger, &w, &res, &err) != PP_OK) {
        api_err_respond(resp, &err);
        return;
    }
    jw_array_end(&w);
    write_page_tail(&w, &q, &res);
    jw_object_end(&w);
}
