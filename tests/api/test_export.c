/*
** This module tests GET /api/payments/export through the real server: the
** headers and the header row; that the CSV of a filtered, ordered list
** (parsed here with a strict RFC 4180 reader) holds exactly the rows of
** the same list read through GET /api/payments, field for field, across
** several export chunks; quoting of commas, quotes and line breaks; the
** apostrophe in front of cells that a spreadsheet would run as formulas;
** bad parameters answered with the JSON error envelope; and an export
** taken while other threads create payouts.
*/
#include "harness.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define BULK_THREADS 4
#define BULK_PER_THREAD 300 /* 1,200 payouts: the export reads them in 3 chunks */
#define ROWS_MAX 4096
#define COLUMNS 18

static struct pp_server srv;
static char *admin_token;
static char *api_key;

static const char header_row[] =
    "id,uniqueId,status,amount,currency,startDate,endDate,createdAt,updatedAt,projectId,"
    "recipientId,description,notification,reference,receivedAt,cancelledAt,expiredAt,"
    "authorizedAt";

/* Descriptions that need quoting or a formula guard, and what the cell must hold. */
static const struct {
    const char *json; /* as written in the create body */
    const char *cell; /* the parsed CSV cell */
} tricky[] = {
    {"plain text", "plain text"},
    {"a,b", "a,b"},
    {"say \\\"hi\\\"", "say \"hi\""},
    {"line1\\nline2", "line1\nline2"},
    {"line1\\r\\nline2", "line1\r\nline2"},
    {"=1+2", "'=1+2"},
    {"+cmd", "'+cmd"},
    {"-2", "'-2"},
    {"@SUM(A1:A9)", "'@SUM(A1:A9)"},
    {"\\tTAB", "'\tTAB"},
    {"=HYPERLINK(\\\"x\\\",\\\"y\\\"), z", "'=HYPERLINK(\"x\",\"y\"), z"},
    {"caf\\u00e9 \\u2713", "caf\xc3\xa9 \xe2\x9c\x93"},
    {"mid=dle", "mid=dle"},
};
#define TRICKY_COUNT (sizeof tricky / sizeof tricky[0])
static long long tricky_ids[TRICKY_COUNT];

static long long create(CURL *h, const char *currency, const char *amount, const char *desc,
                        const char *user, int day)
{
    char body[1024];
    snprintf(body, sizeof body,
             "{\"amount\":%s,\"currency\":\"%s\",\"startDate\":\"2031-02-%02d\","
             "\"endDate\":\"2031-03-01\",\"name\":\"Export project %d\",\"description\":\"%s\","
             "\"userName\":\"%s\",\"notification\":%s}",
             amount, currency, 1 + day % 20, day % 3, desc, user, day % 2 ? "true" : "false");
    struct pp_resp *r = pp_request_post(&srv, h, "/api/payment/create", api_key, body);
    long long id = 0;
    if (r != NULL && r->status == 200) {
        id = json_integer_value(
            json_object_get(json_array_get(json_object_get(r->json, "payments"), 0), "id"));
    }
    pp_resp_free(r);
    return id;
}

static _Atomic int bulk_failures;

static void *bulk_main(void *arg)
{
    size_t t = (size_t)arg;
    CURL *h = curl_easy_init();
    static const char *const amounts[] = {"1", "2.5", "0.01", "1", "100"};
    for (size_t i = 0; i < BULK_PER_THREAD; i++) {
        char user[32];
        snprintf(user, sizeof user, "export-%zu", (t * 7 + i) % 23);
        int gbp = i % 4 != 0;
        if (create(h, gbp ? "GBP" : "JPY", gbp ? amounts[i % 5] : "250", "bulk, row", user,
                   (int)i) == 0) {
            bulk_failures++;
        }
    }
    curl_easy_cleanup(h);
    return NULL;
}

static void run_bulk(void)
{
    pthread_t th[BULK_THREADS];
    for (size_t i = 0; i < BULK_THREADS; i++) {
        assert_int_equal(pthread_create(&th[i], NULL, bulk_main, (void *)i), 0);
    }
    for (size_t i = 0; i < BULK_THREADS; i++) {
        pthread_join(th[i], NULL);
    }
    assert_int_equal(bulk_failures, 0);
}

static const char *const funds[] = {"GBP", "10000000", "JPY", "10000000", NULL};
static int after_start(void)
{
    for (size_t i = 0; i < TRICKY_COUNT; i++) {
        tricky_ids[i] = create(NULL, "GBP", "3.3", tricky[i].json, "export-tricky", (int)i);
        if (tricky_ids[i] == 0) {
            fprintf(stderr, "creating the payout with description %s failed\n", tricky[i].json);
            return -1;
        }
    }
    run_bulk();
    /* Some cancelled payouts, for the status filter and cancelledAt. */
    char body[2048] = "{\"ids\":[";
    for (long long id = 20; id < 400; id += 9) {
        snprintf(body + strlen(body), sizeof body - strlen(body), "%s%lld", id > 20 ? "," : "", id);
    }
    strcat(body, "]}");
    struct pp_resp *r = pp_post(&srv, "/api/payment/cancel", api_key, body);
    pp_assert_status(r, 200);
    pp_resp_free(r);
    return 0;
}

/* --- A strict CSV reader ------------------------------------------------------------ */

struct csv {
    size_t rows;
    char **cells; /* rows * COLUMNS, new strings */
};

static void csv_free(struct csv *c)
{
    for (size_t i = 0; i < c->rows * COLUMNS; i++) {
        free(c->cells[i]);
    }
    free(c->cells);
    memset(c, 0, sizeof *c);
}

/* Parses text (after the header line) into c; fails on any RFC 4180 flaw,
** a record without CRLF, or a record that is not COLUMNS fields. */
static void csv_parse(const char *text, size_t len, struct csv *c)
{
    size_t pos = 0;
    memset(c, 0, sizeof *c);
    c->cells = calloc(ROWS_MAX * COLUMNS, sizeof *c->cells);
    while (pos < len) {
        assert_true(c->rows < ROWS_MAX);
        for (size_t f = 0; f < COLUMNS; f++) {
            char *cell = malloc(len - pos + 1);
            size_t n = 0;
            if (text[pos] == '"') {
                for (pos++;; pos++) {
                    assert_true(pos < len);
                    if (text[pos] == '"' && pos + 1 < len && text[pos + 1] == '"') {
                        cell[n++] = '"';
                        pos++;
                    } else if (text[pos] == '"') {
                        pos++;
                        break;
                    } else {
                        cell[n++] = text[pos];
                    }
                }
            } else {
                while (pos < len && text[pos] != ',' && text[pos] != '\r') {
                    if (text[pos] == '"' || text[pos] == '\n') {
                        fail_msg("bare quote or LF in an unquoted field at byte %zu", pos);
                    }
                    cell[n++] = text[pos++];
                }
            }
            cell[n] = '\0';
            c->cells[c->rows * COLUMNS + f] = cell;
            if (f + 1 < COLUMNS) {
                if (pos >= len || text[pos] != ',') {
                    fail_msg("record %zu has %zu fields, not %d", c->rows + 1, f + 1, COLUMNS);
                }
                pos++;
            }
        }
        if (pos + 1 >= len + 1 || text[pos] != '\r' || text[pos + 1] != '\n') {
            fail_msg("record %zu does not end with CRLF", c->rows + 1);
        }
        pos += 2;
        c->rows++;
    }
}

static const char *cell(const struct csv *c, size_t row, size_t col)
{
    return c->cells[row * COLUMNS + col];
}

/* GETs the export of query and parses it; checks the headers and the
** header row. */
static void export_get(const char *query, struct csv *c)
{
    char *url = pp_fmt("/api/payments/export%s%s", query[0] ? "?" : "", query);
    struct pp_req req = {.path = url, .token = api_key};
    struct pp_resp *r = pp_call(&srv, &req);
    if (r->status != 200) {
        fail_msg("%s: status %ld: %s", url, r->status, r->body);
    }
    assert_string_equal(pp_resp_header(r, "Content-Type"), "text/csv; charset=utf-8");
    assert_non_null(strstr(pp_resp_header(r, "Content-Disposition"), "attachment"));
    size_t hl = strlen(header_row);
    assert_true(r->body_len >= hl + 2);
    assert_memory_equal(r->body, header_row, hl);
    assert_memory_equal(r->body + hl, "\r\n", 2);
    csv_parse(r->body + hl + 2, r->body_len - hl - 2, c);
    pp_resp_free(r);
    free(url);
}

/* --- The list, for comparison --------------------------------------------------------- */

struct row {
    json_t *item;
    char amount[32];
};

static size_t list_all(const char *query, struct row *rows, size_t cap)
{
    char cursor[128] = "";
    size_t n = 0;
    for (int page = 0; page < 1000; page++) {
        char *url = pp_fmt("/api/payments?size=100%s%s%s%s", query[0] ? "&" : "", query,
                           cursor[0] ? "&cursor=" : "", cursor);
        struct pp_resp *r = pp_get(&srv, url, api_key);
        pp_assert_status(r, 200);
        json_t *items = json_object_get(r->json, "payments");
        for (size_t i = 0; i < json_array_size(items); i++) {
            assert_true(n < cap);
            char path[64];
            rows[n].item = json_incref(json_array_get(items, i));
            snprintf(path, sizeof path, "payments[%zu].amount", i);
            assert_non_null(pp_json_number_text(r->body, r->body_len, path, rows[n].amount, 32));
            n++;
        }
        int more = pp_next_cursor(r, cursor, sizeof cursor);
        pp_resp_free(r);
        free(url);
        if (!more) {
            break;
        }
    }
    return n;
}

/* The JSON member as its CSV cell: "" when absent, formula-guarded. */
static void json_cell(const json_t *item, const char *key, char *out, size_t size)
{
    json_t *v = json_object_get(item, key);
    out[0] = '\0';
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        int guard = strchr("=+-@\t\r", s[0]) != NULL && s[0] != '\0';
        snprintf(out, size, "%s%s", guard ? "'" : "", s);
    } else if (json_is_integer(v)) {
        snprintf(out, size, "%lld", (long long)json_integer_value(v));
    } else if (json_is_boolean(v)) {
        snprintf(out, size, "%s", json_is_true(v) ? "true" : "false");
    }
}

static void assert_export_equals_list(const char *query)
{
    static struct row rows[ROWS_MAX];
    static const char *const keys[COLUMNS] = {
        "id",           "uniqueId",  "status",     "amount",      "currency",    "startDate",
        "endDate",      "createdAt", "updatedAt",  "projectId",   "recipientId", "description",
        "notification", "reference", "receivedAt", "cancelledAt", "expiredAt",   "authorizedAt"};
    struct csv c;
    size_t n = list_all(query, rows, ROWS_MAX);
    export_get(query, &c);
    if (c.rows != n) {
        fail_msg("%s: the export has %zu rows, the list %zu", query, c.rows, n);
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < COLUMNS; k++) {
            char want[1200];
            if (k == 3) {
                snprintf(want, sizeof want, "%s", rows[i].amount);
            } else {
                json_cell(rows[i].item, keys[k], want, sizeof want);
            }
            if (strcmp(cell(&c, i, k), want) != 0) {
                fail_msg("%s: row %zu %s is '%s', the list says '%s'", query, i, keys[k],
                         cell(&c, i, k), want);
            }
        }
        json_decref(rows[i].item);
    }
    csv_free(&c);
}

static void test_export_equals_list(void **state)
{
    (void)state;
    assert_export_equals_list("");
    assert_export_equals_list("status=READY&orderBy=amount&dir=desc");
    assert_export_equals_list("currency=JPY&orderBy=createdAt");
    assert_export_equals_list("status=CANCELLED&orderBy=updatedAt&dir=desc");
    assert_export_equals_list("currency=GBP&amountMin=1&amountMax=2.5&orderBy=status");
    assert_export_equals_list("startFrom=2031-02-05&startTo=2031-02-10&orderBy=startDate");
    assert_export_equals_list("recipientId=3&orderBy=endDate&dir=desc");
    assert_export_equals_list("status=EXPIRED");
}

static void test_quoting_and_formula_guard(void **state)
{
    (void)state;
    char q[512] = "ids=";
    for (size_t i = 0; i < TRICKY_COUNT; i++) {
        snprintf(q + strlen(q), sizeof q - strlen(q), "%s%lld", i ? "," : "", tricky_ids[i]);
    }
    struct csv c;
    export_get(q, &c);
    assert_int_equal(c.rows, TRICKY_COUNT);
    for (size_t i = 0; i < TRICKY_COUNT; i++) {
        assert_int_equal(atoll(cell(&c, i, 0)), tricky_ids[i]);
        if (strcmp(cell(&c, i, 11), tricky[i].cell) != 0) {
            fail_msg("description %zu: '%s', wanted '%s'", i, cell(&c, i, 11), tricky[i].cell);
        }
        assert_string_equal(cell(&c, i, 3), "3.3");
        assert_string_equal(cell(&c, i, 2), "READY");
        assert_string_equal(cell(&c, i, 15), "");
    }
    csv_free(&c);
    /* The raw text: quotes doubled, fields with commas quoted. */
    char *url = pp_fmt("/api/payments/export?ids=%lld,%lld", tricky_ids[1], tricky_ids[2]);
    struct pp_req req = {.path = url, .token = api_key};
    struct pp_resp *r = pp_call(&srv, &req);
    assert_int_equal(r->status, 200);
    assert_non_null(strstr(r->body, ",\"a,b\","));
    assert_non_null(strstr(r->body, ",\"say \"\"hi\"\"\","));
    pp_resp_free(r);
    free(url);
}

static void test_empty_export_and_errors(void **state)
{
    (void)state;
    struct csv c;
    export_get("currency=GBP&amountMin=999999", &c);
    assert_int_equal(c.rows, 0);
    csv_free(&c);
    static const char *const bad[] = {
        "/api/payments/export?page=2",
        "/api/payments/export?size=10",
        "/api/payments/export?total=false",
        "/api/payments/export?format=xlsx",
        "/api/payments/export?amountMax=5",
        "/api/payments/export?orderBy=description",
        "/api/payments/export?status=READY&status=CANCELLED",
    };
    pp_assert_get_errors(&srv, api_key, bad, sizeof bad / sizeof bad[0], 400, "INVALID_PARAMS");
    pp_expect_error(pp_get(&srv, "/api/payments/export", NULL), 401, "UNAUTHORIZED");
}

/* --- Exporting while writing ------------------------------------------------------------ */

static _Atomic int writing;

static int id_cmp(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

static void *writer_main(void *arg)
{
    (void)arg;
    CURL *h = curl_easy_init();
    for (int i = 0; i < 200 && writing; i++) {
        if (create(h, "GBP", "1", "during export", "export-writer", i) == 0) {
            bulk_failures++;
        }
    }
    curl_easy_cleanup(h);
    return NULL;
}

static void test_export_while_writing(void **state)
{
    (void)state;
    static struct row rows[ROWS_MAX];
    size_t before = list_all("orderBy=amount", rows, ROWS_MAX);
    pthread_t th[2];
    writing = 1;
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(pthread_create(&th[i], NULL, writer_main, NULL), 0);
    }
    for (int round = 0; round < 3; round++) {
        struct csv c;
        export_get("orderBy=amount", &c);
        assert_true(c.rows >= before);
        for (size_t i = 0; i < before; i++) {
            long long id = json_integer_value(json_object_get(rows[i].item, "id"));
            size_t hits = 0;
            for (size_t k = 0; k < c.rows; k++) {
                hits += atoll(cell(&c, k, 0)) == id;
            }
            if (hits != 1) {
                fail_msg("payout %lld appears %zu times in an export", id, hits);
            }
        }
        /* No payout twice, also among those written during the export. */
        long long *ids = calloc(c.rows + 1, sizeof *ids);
        for (size_t k = 0; k < c.rows; k++) {
            ids[k] = atoll(cell(&c, k, 0));
        }
        qsort(ids, c.rows, sizeof *ids, id_cmp);
        for (size_t k = 1; k < c.rows; k++) {
            if (ids[k] == ids[k - 1]) {
                fail_msg("payout %lld appears twice in an export", ids[k]);
            }
        }
        free(ids);
        csv_free(&c);
    }
    writing = 0;
    for (size_t i = 0; i < 2; i++) {
        pthread_join(th[i], NULL);
    }
    assert_int_equal(bulk_failures, 0);
    for (size_t i = 0; i < before; i++) {
        json_decref(rows[i].item);
    }
    pp_assert_check(srv.db_path, "at the end");
}

static const struct pp_session session = {.srv = &srv,
                                          .admin_token = &admin_token,
                                          .api_key = &api_key,
                                          .funds = funds,
                                          .after_start = after_start};

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_export_equals_list),
        cmocka_unit_test(test_quoting_and_formula_guard),
        cmocka_unit_test(test_empty_export_and_errors),
        cmocka_unit_test(test_export_while_writing),
    };
    return PP_SESSION_RUN(tests, &session);
}
