/*
** This module implements the bulk-list endpoints: POST
** /api/payment/create-list (a JSON array of create bodies) and POST
** /api/payment/import (the same list as text/csv). Both turn their rows
** into create requests, reporting each malformed row rather than stopping
** at the first, hand the list to core_list_create (one transaction, all
** or nothing) and answer either every payout in request order or the
** error envelope whose "errors" names every bad row. The rules of a list
** live in core/lists.c; the CSV syntax in core/csv.c.
*/
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lists.h"
#include "payout.h"
#include "payout/base/assert.h"
#include "payout/base/log.h"
#include "payout/core/csv.h"
#include "payout/core/dates.h"
#include "payout/core/lists.h"
#include "payout/core/money.h"
#include "payout/core/payouts.h"
#include "request.h"
#include "response.h"

/* --- Answers ------------------------------------------------------------ */

/* The created list: {"payments":[payout, ...]} in request order. The
** notifications of the payouts with `notification` on are read at once
** after the commit; if that read fails, those payouts answer null. */
static void write_created(struct core_app *app, struct api_request *req, struct api_response *resp,
                          const struct core_list_row *rows, size_t count, int64_t created_ms)
{
    struct jw w;
    struct pp_payout p;
    struct api_payouts_notes all;
    struct pp_err err = {0};
    int64_t *ids = pp_arena_calloc(req->arena, count, sizeof *ids);
    size_t told = 0;
    for (size_t i = 0; i < count; i++) {
        if (rows[i].req.notification) {
            ids[told++] = rows[i].id;
        }
    }
    if (api_payouts_notes_read(app, req->arena, ids, told, &all, &err) != PP_OK) {
        /* The write committed: its answer must still say so. */
        pp_log(PP_LOG_WARN, "created list: notifications not readable, answered as null: %s",
               err.message);
    }
    jw_init(&w, &resp->body);
    jw_object_begin(&w);
    jw_key(&w, "payments");
    jw_array_begin(&w);
    for (size_t i = 0; i < count; i++) {
        struct api_payout_notes notes = {1, 0, {{0}}};
        core_list_row_payout(&rows[i], created_ms, &p);
        if (p.notification) {
            api_payouts_notes_of(&all, p.id, &notes);
        }
        api_payout_write(&w, &p, &notes);
    }
    jw_array_end(&w);
    jw_object_end(&w);
}

/* The refused list: the error envelope whose "errors" holds one entry per
** bad row, {"index", ["line",] "message", "type"}. index_base is 0 for a
** JSON array, 1 for CSV data rows; lines (may be NULL) are CSV lines. */
static void write_refused(struct api_response *resp, const struct pp_err *summary,
                          const struct core_list_row *rows, size_t count, size_t index_base,
                          const size_t *lines)
{
    struct jw w;
    pp_buf_reset(&resp->body);
    resp->status = pp_status_http(summary->status);
    resp->content_type = "application/json";
    jw_init(&w, &resp->body);
    jw_object_begin(&w);
    jw_key(&w, "error");
    jw_object_begin(&w);
    jw_key(&w, "message");
    jw_string(&w, summary->message);
    jw_key(&w, "type");
    jw_string(&w, pp_status_type(summary->status));
    jw_object_end(&w);
    jw_key(&w, "errors");
    jw_array_begin(&w);
    for (size_t i = 0; i < count; i++) {
        const struct pp_err *e = &rows[i].err;
        if (e->status == PP_OK) {
            continue;
        }
        jw_object_begin(&w);
        jw_key(&w, "index");
        jw_int(&w, (int64_t)(i + index_base));
        if (lines != NULL) {
            jw_key(&w, "line");
            jw_int(&w, (int64_t)lines[i]);
        }
        jw_key(&w, "message");
        jw_string(&w, e->message);
        jw_key(&w, "type");
        jw_string(&w, pp_status_type(e->status));
        jw_object_end(&w);
    }
    jw_array_end(&w);
    jw_object_end(&w);
}

/* Creates the list and answers: the payouts, the rows' refusals, or a
** plain error (storage failure). */
static void list_run(struct core_app *app, struct api_request *req, struct api_response *resp,
                     struct core_list_row *rows, size_t count, size_t index_base,
                     const size_t *lines)
{
    struct pp_err err = {0};
    int64_t created_ms = 0;
    size_t bad = 0;
    enum pp_status st = core_list_create(app, rows, count, &req->actor, &created_ms, &bad, &err);
    if (st == PP_OK) {
        write_created(app, req, resp, rows, count, created_ms);
    } else if (bad > 0) {
        write_refused(resp, &err, rows, count, index_base, lines);
    } else {
        api_err_respond(resp, &err);
    }
}

/* --- JSON list ---------------------------------------------------------- */

/* Reads payments[i] into row (its first problem into row->err). */
static void json_row_read(json_t *item, struct pp_arena *arena, struct core_list_row *row)
{
    const char *key;
    json_t *value;
    memset(row, 0, sizeof *row);
    if (!json_is_object(item)) {
        pp_err_set(&row->err, PP_INVALID_PARAMS, "a row must be a JSON object");
        return;
    }
    json_object_foreach(item, key, value)
    {
        int known = 0;
        for (size_t k = 0; api_payout_request_fields[k] != NULL && !known; k++) {
            known = strcmp(key, api_payout_request_fields[k]) == 0;
        }
        if (!known) {
            pp_err_set(&row->err, PP_INVALID_PARAMS, "unknown field '%.64s'", key);
            return;
        }
    }
    api_payout_request_read(item, arena, &row->req, &row->err);
}

void api_payment_create_list(struct core_app *app, struct api_request *req,
                             struct api_response *resp)
{
    static const char *const allowed[] = {"payments", NULL};
    struct pp_err err = {0};
    json_t *body = api_body_read(req, allowed, 0, resp);
    if (body == NULL) {
        return;
    }
    json_t *list = json_object_get(body, "payments");
    size_t count = json_array_size(list);
    if (!json_is_array(list) || count == 0) {
        pp_err_set(&err, PP_INVALID_PARAMS, "payments must be a non-empty array of payouts");
    } else if (count > PP_LIST_ROWS_MAX) {
        pp_err_set(&err, PP_INVALID_PARAMS, "payments has %zu rows; a list holds at most %d", count,
                   PP_LIST_ROWS_MAX);
    }
    if (err.status != PP_OK) {
        api_err_respond(resp, &err);
        goto done;
    }
    struct core_list_row *rows = pp_arena_calloc(req->arena, count, sizeof *rows);
    for (size_t i = 0; i < count; i++) {
        json_row_read(json_array_get(list, i), req->arena, &rows[i]);
    }
    /* The rows borrow their strings from body: it lives until the answer. */
    list_run(app, req, resp, rows, count, 0, NULL);
done:
    json_decref(body);
}

/* --- CSV import --------------------------------------------------------- */

/* The columns of a list CSV: the create fields, every value as text. */
enum csv_col {
    COL_AMOUNT,
    COL_CURRENCY,
    COL_START_DATE,
    COL_END_DATE,
    COL_NAME,
    COL_DESCRIPTION,
    COL_USER_NAME,
    COL_PHONE_NUMBER,
    COL_REFERENCE_ID,
    COL_FIRST_NAME,
    COL_LAST_NAME,
    COL_EMAIL,
    COL_NOTIFICATION,
    COL_COUNT
};

static const char *const csv_col_names[COL_COUNT] = {
    "amount",      "currency",    "startDate", "endDate",  "name",  "description",  "userName",
    "phoneNumber", "referenceId", "firstName", "lastName", "email", "notification",
};

/* Columns every list needs (one identifier column is checked apart). */
static const enum csv_col csv_required[] = {
    COL_AMOUNT, COL_CURRENCY,    COL_START_DATE,   COL_END_DATE,
    COL_NAME,   COL_DESCRIPTION, COL_NOTIFICATION,
};

/* 1 when the declared content type is CSV ("text/csv", any case, optional
** parameters after ';'). */
static int content_type_is_csv(const char *ct)
{
    static const char csv[] = "text/csv";
    while (ct != NULL && (*ct == ' ' || *ct == '\t')) {
        ct++;
    }
    if (ct == NULL || strncasecmp(ct, csv, sizeof csv - 1) != 0) {
        return 0;
    }
    ct += sizeof csv - 1;
    while (*ct == ' ' || *ct == '\t') {
        ct++;
    }
    return *ct == '\0' || *ct == ';';
}

/* Maps the header's fields to columns: cols[i] = the column of field i. */
static enum pp_status csv_header_read(char **fields, size_t count, enum csv_col *cols,
                                      struct pp_err *err)
{
    int seen[COL_COUNT] = {0};
    for (size_t i = 0; i < count; i++) {
        size_t c = 0;
        while (c < COL_COUNT && strcmp(fields[i], csv_col_names[c]) != 0) {
            c++;
        }
        if (c == COL_COUNT) {
            return pp_err_set(err, PP_INVALID_PARAMS,
                              "CSV header: unknown column '%.64s' (columns are the create "
                              "fields, e.g. amount, currency, startDate)",
                              fields[i]);
        }
        if (seen[c]) {
            return pp_err_set(err, PP_INVALID_PARAMS, "CSV header: column '%s' appears twice",
                              csv_col_names[c]);
        }
        seen[c] = 1;
        cols[i] = (enum csv_col)c;
    }
    for (size_t r = 0; r < sizeof csv_required / sizeof csv_required[0]; r++) {
        if (!seen[csv_required[r]]) {
            return pp_err_set(err, PP_INVALID_PARAMS, "CSV header: the column '%s' is required",
                              csv_col_names[csv_required[r]]);
        }
    }
    if (!seen[COL_USER_NAME] && !seen[COL_PHONE_NUMBER] && !seen[COL_REFERENCE_ID]) {
        return pp_err_set(err, PP_INVALID_PARAMS,
                          "CSV header: one of the columns userName, phoneNumber or referenceId "
                          "is required");
    }
    return PP_OK;
}

/* A text cell: "" is not given. Out borrowed from the cell. */
static void cell_text(const char *v, const char *name, int required, size_t max_bytes,
                      const char **out, struct pp_err *err)
{
    size_t len = strlen(v);
    *out = "";
    if (len == 0) {
        if (required) {
            pp_err_set(err, PP_INVALID_PARAMS, "%s is required", name);
        }
    } else if (len > max_bytes) {
        pp_err_set(err, PP_INVALID_PARAMS, "%s is longer than %zu bytes", name, max_bytes);
    } else {
        *out = v;
    }
}

/* A text cell copied into out[out_size] (a recipient field). */
static void cell_copy(const char *v, const char *name, char *out, size_t out_size,
                      struct pp_err *err)
{
    const char *text = "";
    cell_text(v, name, 0, out_size - 1, &text, err);
    memcpy(out, text, strlen(text) + 1);
}

static void cell_date(const char *v, const char *name, int64_t *ms_out, struct pp_err *err)
{
    if (v[0] == '\0') {
        pp_err_set(err, PP_INVALID_PARAMS, "%s is required", name);
    } else {
        core_date_parse(v, strlen(v), name, ms_out, err);
    }
}

/* amount (exact decimal text, never a double) and currency. */
static void cell_money(const char *amount, const char *currency, struct core_payout_request *out,
                       struct pp_err *err)
{
    if (currency[0] == '\0') {
        pp_err_set(err, PP_INVALID_PARAMS, "currency is required");
        return;
    }
    out->currency = core_currency_find(currency, strlen(currency));
    if (out->currency == NULL) {
        pp_err_set(err, PP_INVALID_PARAMS,
                   "currency '%.16s' is not a supported ISO 4217 currency code", currency);
    } else if (amount[0] == '\0') {
        pp_err_set(err, PP_INVALID_PARAMS, "amount is required");
    } else if (core_money_parse(amount, strlen(amount), out->currency, "amount", &out->amount_minor,
                                err) == PP_OK &&
               out->amount_minor <= 0) {
        pp_err_set(err, PP_INVALID_PARAMS, "amount must be greater than zero");
    }
}

static void cell_bool(const char *v, const char *name, int *out, struct pp_err *err)
{
    if (v[0] == '\0') {
        pp_err_set(err, PP_INVALID_PARAMS, "%s is required", name);
    } else if (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0) {
        *out = 1;
    } else if (strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0) {
        *out = 0;
    } else {
        pp_err_set(err, PP_INVALID_PARAMS, "%s must be true, false, 1 or 0", name);
    }
}

/* Reads one data record's cells (v[col], "" for absent columns) into out;
** the first problem lands in err. Strings borrowed from the cells. */
static void csv_row_read(const char *const *v, struct core_payout_request *out, struct pp_err *err)
{
    struct pp_recipient *r = &out->recipient;
    memset(out, 0, sizeof *out);
    out->project_name = "";
    out->description = "";
    out->metadata = "";
    cell_money(v[COL_AMOUNT], v[COL_CURRENCY], out, err);
    cell_date(v[COL_START_DATE], "startDate", &out->start_ms, err);
    cell_date(v[COL_END_DATE], "endDate", &out->end_ms, err);
    cell_text(v[COL_NAME], "name", 1, PP_PROJECT_NAME_BYTES_MAX, &out->project_name, err);
    cell_text(v[COL_DESCRIPTION], "description", 1, PP_DESCRIPTION_BYTES_MAX, &out->description,
              err);
    cell_copy(v[COL_USER_NAME], "userName", r->user_name, sizeof r->user_name, err);
    cell_copy(v[COL_PHONE_NUMBER], "phoneNumber", r->phone_number, sizeof r->phone_number, err);
    cell_copy(v[COL_REFERENCE_ID], "referenceId", r->reference_id, sizeof r->reference_id, err);
    cell_copy(v[COL_FIRST_NAME], "firstName", r->first_name, sizeof r->first_name, err);
    cell_copy(v[COL_LAST_NAME], "lastName", r->last_name, sizeof r->last_name, err);
    cell_copy(v[COL_EMAIL], "email", r->email, sizeof r->email, err);
    cell_bool(v[COL_NOTIFICATION], "notification", &out->notification, err);
}

/* What an import holds while it reads. */
struct csv_import {
    struct core_csv csv;
    enum csv_col cols[PP_CSV_FIELDS_MAX];
    size_t col_count;
    struct core_list_row *rows;
    size_t *lines; /* the line each row starts on */
    size_t cap;    /* rows allocated */
    size_t count;  /* rows read */
};

/* Reads the data records into im->rows; a syntax error or too many rows
** fails the whole import. */
static enum pp_status csv_rows_read(struct csv_import *im, struct pp_err *err)
{
    enum pp_status st = PP_OK;
    char *fields[PP_CSV_FIELDS_MAX];
    size_t n = 0, line = 0;
    /* Bounded: past PP_LIST_ROWS_MAX rows the import fails. */
    for (size_t guard = 0; guard < (size_t)PP_LIST_ROWS_MAX + 2; guard++) {
        st = core_csv_next(&im->csv, fields, PP_CSV_FIELDS_MAX, &n, &line, err);
        if (st != PP_OK || n == 0) {
            break;
        }
        if (im->count == PP_LIST_ROWS_MAX) {
            st = pp_err_set(err, PP_INVALID_PARAMS, "the CSV has more than %d rows",
                            PP_LIST_ROWS_MAX);
            break;
        }
        PP_ASSERT(im->count < im->cap);
        struct core_list_row *row = &im->rows[im->count];
        im->lines[im->count++] = line;
        if (n != im->col_count) {
            pp_err_set(&row->err, PP_INVALID_PARAMS, "the row has %zu fields, the header %zu", n,
                       im->col_count);
            continue;
        }
        const char *v[COL_COUNT];
        for (size_t c = 0; c < COL_COUNT; c++) {
            v[c] = "";
        }
        for (size_t i = 0; i < n; i++) {
            v[im->cols[i]] = fields[i];
        }
        csv_row_read(v, &row->req, &row->err);
    }
    if (st == PP_OK && im->count == 0) {
        st = pp_err_set(err, PP_INVALID_PARAMS, "the CSV has a header but no rows");
    }
    return st;
}

/* Prepares im over a copy of the body: header read, rows allocated (one
** per line at most, so a pass to count them is not needed). */
static enum pp_status csv_import_open(struct csv_import *im, const struct api_request *req,
                                      struct pp_err *err)
{
    char *fields[PP_CSV_FIELDS_MAX];
    size_t n = 0, line = 0, lines = 1;
    char *text = pp_arena_alloc(req->arena, req->body_len + 1);
    memcpy(text, req->body, req->body_len);
    text[req->body_len] = '\0';
    for (size_t i = 0; i < req->body_len; i++) {
        lines += text[i] == '\n';
    }
    enum pp_status st = core_csv_init(&im->csv, text, req->body_len, err);
    if (st == PP_OK) {
        st = core_csv_next(&im->csv, fields, PP_CSV_FIELDS_MAX, &n, &line, err);
    }
    if (st == PP_OK && n == 0) {
        st = pp_err_set(err, PP_INVALID_PARAMS, "the CSV is empty; a header row is required");
    }
    if (st == PP_OK) {
        st = csv_header_read(fields, n, im->cols, err);
        im->col_count = n;
    }
    if (st == PP_OK) {
        im->cap = lines < PP_LIST_ROWS_MAX ? lines : PP_LIST_ROWS_MAX;
        im->rows = pp_arena_calloc(req->arena, im->cap, sizeof *im->rows);
        im->lines = pp_arena_calloc(req->arena, im->cap, sizeof *im->lines);
    }
    return st;
}

void api_payment_import(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    struct pp_err err = {0};
    struct csv_import *im = pp_arena_calloc(req->arena, 1, sizeof *im);
    if (!content_type_is_csv(req->content_type)) {
        pp_err_set(&err, PP_UNSUPPORTED_MEDIA_TYPE, "Content-Type must be text/csv");
    } else if (req->body_len == 0) {
        pp_err_set(&err, PP_INVALID_PARAMS, "request body is empty; a CSV list is required");
    } else if (csv_import_open(im, req, &err) == PP_OK) {
        csv_rows_read(im, &err);
    }
    if (err.status != PP_OK) {
        api_err_respond(resp, &err);
        return;
    }
    list_run(app, req, resp, im->rows, im->count, 1, im->lines);
}
