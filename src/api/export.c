/*
** This module implements GET /api/payments/export: the payout list (the
** same filters and order as GET /api/payments, no paging) as CSV, streamed
** through the HTTP layer's stream hook. Rows are read in keyset chunks of
** PP_EXPORT_CHUNK_ROWS, each on a reader taken for that chunk only, so a
** slow download never holds a database connection and memory stays at
** one chunk whatever the number of rows. Rows written while an export
** runs may or may not appear in it (each chunk is its own snapshot); no
** row appears twice and none that existed at the start is missed.
**
** CSV (RFC 4180): a header row, then one row per payout, CRLF line ends,
** fields quoted when they hold ',', '"', CR or LF (quotes doubled). A
** field that begins with '=', '+', '-', '@', TAB or CR gets a leading
** apostrophe so that spreadsheets do not run it as a formula. Columns:
** see export_columns (documented in docs/api.md; stable, only appended to).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "payout/base/assert.h"
#include "payout/core/dates.h"
#include "reads.h"
#include "response.h"

static const char export_header[] =
    "id,uniqueId,status,amount,currency,startDate,endDate,createdAt,updatedAt,projectId,"
    "recipientId,description,notification,reference,receivedAt,cancelledAt,expiredAt,"
    "authorizedAt\r\n";

struct export_stream {
    struct core_app *app;
    struct core_list_query q; /* its page moves along the keyset chunk by chunk */
    struct pp_buf csv;        /* the current chunk's text */
    size_t pos;               /* bytes of csv already handed out */
    int last_chunk;           /* 1: no rows after the current chunk */
};

/* Appends one field (with its leading comma unless first). */
static void csv_field(struct pp_buf *b, const char *s, int first)
{
    if (!first) {
        pp_buf_putc(b, ',');
    }
    int formula =
        s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r';
    int quote = strpbrk(s, ",\"\r\n") != NULL;
    if (quote) {
        pp_buf_putc(b, '"');
    }
    if (formula) {
        pp_buf_putc(b, '\'');
    }
    for (const char *p = s; *p != '\0'; p++) {
        if (*p == '"') {
            pp_buf_putc(b, '"');
        }
        pp_buf_putc(b, *p);
    }
    if (quote) {
        pp_buf_putc(b, '"');
    }
}

static void csv_date(struct pp_buf *b, int64_t ms)
{
    char text[PP_DATE_TEXT_BYTES] = "";
    if (ms != 0) {
        core_date_format(ms, text, sizeof text);
    }
    csv_field(b, text, 0);
}

static void csv_int(struct pp_buf *b, int64_t v, int first)
{
    char text[24];
    snprintf(text, sizeof text, "%lld", (long long)v);
    csv_field(b, text, first);
}

static void export_row(void *ctx, const struct pp_payout *p)
{
    struct pp_buf *b = ctx;
    char amount[PP_AMOUNT_TEXT_BYTES];
    const struct core_currency *cur = core_currency_find(p->currency, strlen(p->currency));
    core_money_format(p->amount_minor, cur != NULL ? cur->exponent : 0, amount, sizeof amount);
    csv_int(b, p->id, 1);
    csv_field(b, p->uuid, 0);
    csv_field(b, pp_payout_status_name(p->status), 0);
    csv_field(b, amount, 0);
    csv_field(b, p->currency, 0);
    csv_date(b, p->start_ms);
    csv_date(b, p->end_ms);
    csv_date(b, p->created_ms);
    csv_date(b, p->updated_ms);
    csv_int(b, p->project_id, 0);
    csv_int(b, p->recipient_id, 0);
    csv_field(b, p->description, 0);
    csv_field(b, p->notification ? "true" : "false", 0);
    csv_field(b, p->reference, 0);
    csv_date(b, p->received_ms);
    csv_date(b, p->cancelled_ms);
    csv_date(b, p->expired_ms);
    csv_date(b, p->authorized_ms);
    pp_buf_puts(b, "\r\n");
}

/* Reads the next chunk of rows into s->csv (appending). */
static enum pp_status export_chunk(struct export_stream *s, struct pp_err *err)
{
    struct core_list_result res;
    enum pp_status st = core_payouts_list(s->app, &s->q, export_row, &s->csv, &res, err);
    if (st == PP_OK) {
        s->last_chunk = !res.more;
        s->q.page.keyset = 1;
        s->q.page.offset = 0;
        s->q.page.after_value = res.last_value;
        s->q.page.after_id = res.last_id;
    }
    return st;
}

static long export_read(void *ctx, char *buf, size_t max)
{
    struct export_stream *s = ctx;
    long n = 0;
    if (s->pos == s->csv.len && !s->last_chunk) {
        struct pp_err err = {0};
        pp_buf_reset(&s->csv);
        s->pos = 0;
        if (export_chunk(s, &err) != PP_OK) {
            /* The status line is gone; dropping the connection tells the
            ** client the file is incomplete. The store logged the cause. */
            n = -1;
            goto done;
        }
    }
    size_t left = s->csv.len - s->pos;
    size_t take = left < max ? left : max;
    memcpy(buf, s->csv.data + s->pos, take);
    s->pos += take;
    n = (long)take;
done:
    return n;
}

static void export_free(void *ctx)
{
    struct export_stream *s = ctx;
    if (s != NULL) {
        pp_buf_free(&s->csv);
        free(s);
    }
}

void api_payments_export(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    struct pp_err err = {0};
    struct export_stream *s = pp_check_alloc(calloc(1, sizeof *s));
    s->app = app;
    pp_buf_init(&s->csv);
    if (!api_list_query_read(app, req, CORE_LIST_EXPORT, &s->q, resp)) {
        export_free(s);
        return;
    }
    pp_buf_puts(&s->csv, export_header);
    /* The first chunk is read now, so that a storage failure is still an
    ** error envelope rather than a cut download. */
    if (export_chunk(s, &err) != PP_OK) {
        export_free(s);
        api_err_respond(resp, &err);
        return;
    }
    resp->content_type = "text/csv; charset=utf-8";
    api_response_header_add(resp, "Content-Disposition", "attachment; filename=\"payments.csv\"");
    resp->stream = export_read;
    resp->stream_ctx = s;
    resp->stream_free = export_free;
}
