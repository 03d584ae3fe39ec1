/*
** This module tests the read endpoints through the real server: the payout
** list walked with its cursor in every order field and both directions
** (each row exactly once, in order, total right), also while payouts are
** created between pages; offset pages agreeing with cursor pages; every
** filter against the test's own model of the payouts; total=false; cursor
** tampering and mismatches; a table of bad query parameters on every list
** (each a 400 envelope); recipients and projects (lists, filters, one
** record) whose totals equal the sums of their listed payouts; the ledger
** (paging, filters, and its deltas summing to the balances); readers
** walking lists while other threads create payouts; and the recipients and
** projects lists with stats=true, each item equal to its single record's
** answer (payouts in two currencies and three states, and rows without
** any payout).
*/
#include "harness.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define SEED_PAYOUTS 84
#define MODEL_MAX 1024
#define WALK_MAX 2048

static struct pp_server srv;
static char *admin_token;
static char *api_key;

/* What the test created. */
static struct {
    long long id;
    const char *currency;
    long long minor;
    int project;   /* 0..3 */
    int recipient; /* 0..6 */
    int day;       /* start day offset */
    int len;       /* window length in days */
    int cancelled;
    char created[32];
    long long project_id;
    long long recipient_id;
} model[MODEL_MAX];
static size_t model_count;

static const char *const currencies[] = {"GBP", "JPY", "BHD"};
static const long long amounts_minor[] = {100, 150, 100, 2500, 1, 100, 99999};

static const char *recipient_field(int k, char *out, size_t size)
{
    if (k < 4) {
        snprintf(out, size, "\"userName\":\"reads-user-%d\"", k);
    } else if (k < 6) {
        snprintf(out, size, "\"phoneNumber\":\"+4470000%d\"", k);
    } else {
        snprintf(out, size, "\"referenceId\":\"reads-ref-%d\"", k);
    }
    return out;
}

/* Creates payout number i of the model (through the API key). */
static void create_one(size_t i)
{
    assert_true(model_count < MODEL_MAX);
    char amount[32], who[64], body[512];
    const char *cur = currencies[i % 3];
    long long minor = amounts_minor[i % 7];
    int day = (int)(i % 5), len = 1 + (int)(i % 3);
    pp_format_minor(minor, pp_currency_decimals(cur), amount, sizeof amount);
    snprintf(body, sizeof body,
             "{\"amount\":%s,\"currency\":\"%s\",\"startDate\":\"2031-01-%02dT00:00:00Z\","
             "\"endDate\":\"2031-01-%02dT00:00:00Z\",\"name\":\"Reads project %zu\","
             "\"description\":\"payout %zu\",%s,\"notification\":%s}",
             amount, cur, 1 + day, 1 + day + len, i % 4, i,
             recipient_field((int)(i % 7), who, sizeof who), i % 2 ? "true" : "false");
    struct pp_resp *r = pp_post(&srv, "/api/payment/create", api_key, body);
    pp_assert_status(r, 200);
    json_t *p = json_array_get(json_object_get(r->json, "payments"), 0);
    size_t m = model_count++;
    model[m].id = pp_json_int(p, "id");
    model[m].currency = cur;
    model[m].minor = minor;
    model[m].project = (int)(i % 4);
    model[m].recipient = (int)(i % 7);
    model[m].day = day;
    model[m].len = len;
    model[m].project_id = pp_json_int(p, "projectId");
    model[m].recipient_id = pp_json_int(p, "recipientId");
    snprintf(model[m].created, sizeof model[m].created, "%s",
             json_string_value(json_object_get(p, "createdAt")));
    pp_resp_free(r);
}

static int after_start(void)
{
    for (size_t i = 0; i < 3; i++) {
        json_decref(pp_deposit(&srv, admin_token, currencies[i], "100000000"));
    }
    for (size_t i = 0; i < SEED_PAYOUTS; i++) {
        create_one(i);
    }
    /* Every fourth is cancelled. */
    char body[1024] = "{\"ids\":[";
    for (size_t i = 0; i < model_count; i += 4) {
        snprintf(body + strlen(body), sizeof body - strlen(body), "%s%lld", i ? "," : "",
                 model[i].id);
        model[i].cancelled = 1;
    }
    strcat(body, "]}");
    struct pp_resp *r = pp_post(&srv, "/api/payment/cancel", api_key, body);
    pp_assert_status(r, 200);
    assert_int_equal(pp_json_int(r->json, "success"), (SEED_PAYOUTS + 3) / 4);
    pp_resp_free(r);
    return 0;
}

/* --- Walking a list ---------------------------------------------------------------- */

struct walk {
    size_t n;
    long long ids[WALK_MAX];
    json_t *items[WALK_MAX];    /* new references */
    char amounts[WALK_MAX][32]; /* literal amount texts */
    long long total;
    size_t pages;
};

static void walk_free(struct walk *w)
{
    for (size_t i = 0; i < w->n; i++) {
        json_decref(w->items[i]);
    }
    w->n = 0;
}

/* Follows nextCursor from the first page of `path?query` (size per page)
** to the end, calling between() after each page. Checks the page members. */
static void walk(const char *path, const char *list, const char *query, int size,
                 void (*between)(void), struct walk *w)
{
    char cursor[128] = "";
    memset(w, 0, sizeof *w);
    w->total = -2;
    for (int page = 1; page < 1000; page++) {
        char *url = pp_fmt("%s?%s%ssize=%d%s%s", path, query, query[0] ? "&" : "", size,
                           cursor[0] ? "&cursor=" : "", cursor);
        struct pp_resp *r = pp_get(&srv, url, api_key);
        pp_assert_status(r, 200);
        json_t *items = json_object_get(r->json, list);
        assert_true(json_is_array(items));
        assert_true(json_array_size(items) <= (size_t)size);
        assert_int_equal(pp_json_int(r->json, "page"), page);
        assert_int_equal(pp_json_int(r->json, "size"), size);
        json_t *total = json_object_get(r->json, "total");
        if (w->total == -2) {
            w->total = json_is_null(total) ? -1 : json_integer_value(total);
        }
        for (size_t i = 0; i < json_array_size(items); i++) {
            assert_true(w->n < WALK_MAX);
            json_t *it = json_array_get(items, i);
            w->ids[w->n] = pp_json_int(it, "id");
            w->items[w->n] = json_incref(it);
            char path_in[64];
            snprintf(path_in, sizeof path_in, "%s[%zu].amount", list, i);
            if (pp_json_number_text(r->body, r->body_len, path_in, w->amounts[w->n], 32) == NULL) {
                w->amounts[w->n][0] = '\0';
            }
            w->n++;
        }
        w->pages++;
        int more = pp_next_cursor(r, cursor, sizeof cursor);
        if (more) {
            assert_int_equal(json_array_size(items), size);
        }
        pp_resp_free(r);
        free(url);
        if (!more) {
            return;
        }
        if (between != NULL) {
            between();
        }
    }
    fail_msg("walk of %s?%s did not end", path, query);
}

static void assert_no_repeats(const struct walk *w)
{
    for (size_t i = 0; i < w->n; i++) {
        for (size_t k = i + 1; k < w->n; k++) {
            if (w->ids[i] == w->ids[k]) {
                fail_msg("id %lld listed twice (rows %zu and %zu)", w->ids[i], i, k);
            }
        }
    }
}

static int walk_has(const struct walk *w, long long id)
{
    for (size_t i = 0; i < w->n; i++) {
        if (w->ids[i] == id) {
            return 1;
        }
    }
    return 0;
}

static int status_code(const char *name)
{
    static const char *const names[] = {"",         "UNAUTHORIZED", "READY",
                                        "RECEIVED", "CANCELLED",    "EXPIRED"};
    for (int i = 1; i <= 5; i++) {
        if (strcmp(name, names[i]) == 0) {
            return i;
        }
    }
    fail_msg("unknown status %s", name);
    return 0;
}

/* Compares rows a and b of w by the order field: <0, 0, >0. */
static int order_cmp(const struct walk *w, size_t a, size_t b, const char *field)
{
    const json_t *x = w->items[a], *y = w->items[b];
    if (strcmp(field, "id") == 0) {
        return 0;
    }
    if (strcmp(field, "amount") == 0) {
        long long mx = pp_amount_minor(
            w->amounts[a], pp_currency_decimals(json_string_value(json_object_get(x, "currency"))));
        long long my = pp_amount_minor(
            w->amounts[b], pp_currency_decimals(json_string_value(json_object_get(y, "currency"))));
        return (mx > my) - (mx < my);
    }
    const char *sx = json_string_value(json_object_get(x, field));
    const char *sy = json_string_value(json_object_get(y, field));
    if (strcmp(field, "status") == 0) {
        return status_code(sx) - status_code(sy);
    }
    return strcmp(sx, sy);
}

static void assert_ordered(const struct walk *w, const char *field, int desc)
{
    for (size_t i = 1; i < w->n; i++) {
        int c = order_cmp(w, i - 1, i, field);
        if (c == 0) {
            c = (w->ids[i - 1] > w->ids[i]) - (w->ids[i - 1] < w->ids[i]);
        }
        if (desc ? c <= 0 : c >= 0) {
            fail_msg("order %s %s broken at rows %zu/%zu (ids %lld, %lld)", field,
                     desc ? "desc" : "asc", i - 1, i, w->ids[i - 1], w->ids[i]);
        }
    }
}

static const char *const order_fields[] = {"id",        "createdAt", "updatedAt", "amount",
                                           "startDate", "endDate",   "status"};

static size_t inserted_during_walk;
static void insert_between_pages(void)
{
    create_one(model_count);
    inserted_during_walk++;
}

static void test_every_order_is_complete_and_stable(void **state)
{
    (void)state;
    static struct walk w;
    for (size_t f = 0; f < sizeof order_fields / sizeof order_fields[0]; f++) {
        for (int desc = 0; desc < 2; desc++) {
            size_t before = model_count;
            long long before_ids[MODEL_MAX];
            for (size_t i = 0; i < before; i++) {
                before_ids[i] = model[i].id;
            }
            char *q = pp_fmt("orderBy=%s&dir=%s", order_fields[f], desc ? "desc" : "asc");
            /* Quiet walk: exactly the model, in order. */
            walk("/api/payments", "payments", q, 9, NULL, &w);
            assert_int_equal(w.n, before);
            assert_int_equal(w.total, (long long)before);
            assert_no_repeats(&w);
            assert_ordered(&w, order_fields[f], desc);
            walk_free(&w);
            /* Inserts between pages: every earlier row once, none twice. */
            inserted_during_walk = 0;
            walk("/api/payments", "payments", q, 8, insert_between_pages, &w);
            assert_true(inserted_during_walk > 0);
            assert_no_repeats(&w);
            assert_ordered(&w, order_fields[f], desc);
            for (size_t i = 0; i < before; i++) {
                if (!walk_has(&w, before_ids[i])) {
                    fail_msg("%s: payout %lld missing after inserts", q, before_ids[i]);
                }
            }
            walk_free(&w);
            free(q);
        }
    }
}

/* page=N answers the same rows as the cursor's page N (nothing written). */
static void test_offset_pages_match_cursor(void **state)
{
    (void)state;
    static struct walk w;
    walk("/api/payments", "payments", "orderBy=amount&dir=desc", 10, NULL, &w);
    for (size_t page = 1; (page - 1) * 10 < w.n; page++) {
        char *url = pp_fmt("/api/payments?orderBy=amount&dir=desc&size=10&page=%zu", page);
        struct pp_resp *r = pp_get(&srv, url, api_key);
        pp_assert_status(r, 200);
        json_t *items = json_object_get(r->json, "payments");
        for (size_t i = 0; i < json_array_size(items); i++) {
            assert_int_equal(pp_json_int(json_array_get(items, i), "id"),
                             w.ids[(page - 1) * 10 + i]);
        }
        assert_int_equal(pp_json_int(r->json, "total"), (long long)w.n);
        /* Offset pages also hand out the cursor of the next page. */
        assert_true(json_is_string(json_object_get(r->json, "nextCursor")) == (page * 10 < w.n));
        pp_resp_free(r);
        free(url);
    }
    walk_free(&w);
}

/* --- Filters ------------------------------------------------------------------------- */

/* Start (or end) date text of day offset d: "2031-01-0D". */
static void day_text(int d, char *out, size_t size)
{
    snprintf(out, size, "2031-01-%02dT00:00:00Z", 1 + d);
}

typedef int (*model_pred)(size_t i, const void *arg);

/* Walks `query` and checks the rows are exactly the model rows matching pred. */
static void check_filter(const char *query, model_pred pred, const void *arg)
{
    static struct walk w;
    size_t want = 0;
    walk("/api/payments", "payments", query, 100, NULL, &w);
    assert_no_repeats(&w);
    for (size_t i = 0; i < model_count; i++) {
        int hit = pred(i, arg);
        want += (size_t)hit;
        if (hit != walk_has(&w, model[i].id)) {
            fail_msg("%s: payout %lld %s", query, model[i].id, hit ? "missing" : "not wanted");
        }
    }
    assert_int_equal(w.n, want);
    assert_int_equal(w.total, (long long)want);
    walk_free(&w);
}

static int p_status_ready(size_t i, const void *a)
{
    (void)a;
    return !model[i].cancelled;
}
static int p_status_both(size_t i, const void *a)
{
    (void)a;
    (void)i;
    return 1;
}
static int p_currency(size_t i, const void *a)
{
    return strcmp(model[i].currency, a) == 0;
}
static int p_project(size_t i, const void *a)
{
    return model[i].project_id == *(const long long *)a;
}
static int p_recipient(size_t i, const void *a)
{
    return model[i].recipient_id == *(const long long *)a;
}
static int p_ids(size_t i, const void *a)
{
    (void)a;
    return i % 5 == 2 && i < 60;
}
static int p_gbp_amount(size_t i, const void *a)
{
    (void)a;
    return strcmp(model[i].currency, "GBP") == 0 && model[i].minor >= 100 && model[i].minor <= 2500;
}
static int p_start(size_t i, const void *a)
{
    (void)a;
    return model[i].day >= 1 && model[i].day <= 3;
}
static int p_end(size_t i, const void *a)
{
    (void)a;
    return model[i].day + model[i].len >= 4;
}
static int p_created(size_t i, const void *a)
{
    return strcmp(model[i].created, a) >= 0;
}
static int p_none(size_t i, const void *a)
{
    (void)a;
    (void)i;
    return 0;
}
static int p_combo(size_t i, const void *a)
{
    (void)a;
    return !model[i].cancelled && strcmp(model[i].currency, "JPY") == 0 && model[i].day <= 2;
}

static void test_every_filter(void **state)
{
    (void)state;
    char q[1024], d1[32], d3[32];
    check_filter("status=READY", p_status_ready, NULL);
    check_filter("status=READY,CANCELLED&orderBy=status", p_status_both, NULL);
    check_filter("status=ready&orderBy=amount&dir=desc", p_status_ready, NULL);
    check_filter("currency=BHD&orderBy=endDate", p_currency, "BHD");
    check_filter("currency=JPY", p_currency, "JPY");
    snprintf(q, sizeof q, "projectId=%lld&orderBy=createdAt", model[1].project_id);
    check_filter(q, p_project, &model[1].project_id);
    snprintf(q, sizeof q, "recipientId=%lld", model[5].recipient_id);
    check_filter(q, p_recipient, &model[5].recipient_id);
    snprintf(q, sizeof q, "ids=");
    for (size_t i = 2; i < 60; i += 5) {
        snprintf(q + strlen(q), sizeof q - strlen(q), "%lld,", model[i].id);
    }
    /* Repeats and the order of ids do not matter. */
    snprintf(q + strlen(q), sizeof q - strlen(q), "%lld&dir=desc", model[2].id);
    check_filter(q, p_ids, NULL);
    check_filter("currency=GBP&amountMin=1&amountMax=25", p_gbp_amount, NULL);
    check_filter("currency=GBP&amountMin=1.00&amountMax=25.000&orderBy=amount", p_gbp_amount, NULL);
    day_text(1, d1, sizeof d1);
    day_text(3, d3, sizeof d3);
    snprintf(q, sizeof q, "startFrom=%s&startTo=%s&orderBy=startDate", d1, d3);
    check_filter(q, p_start, NULL);
    check_filter("endFrom=2031-01-05&orderBy=endDate&dir=desc", p_end, NULL);
    /* createdFrom at an existing payout's moment includes it (inclusive). */
    const char *mid = model[SEED_PAYOUTS / 2].created;
    snprintf(q, sizeof q, "createdFrom=%s", mid);
    check_filter(q, p_created, mid);
    snprintf(q, sizeof q, "createdFrom=%s&createdTo=%s", mid, mid);
    static struct walk w;
    walk("/api/payments", "payments", q, 50, NULL, &w);
    assert_true(w.n >= 1);
    for (size_t i = 0; i < w.n; i++) {
        pp_assert_json_str(w.items[i], "createdAt", mid);
    }
    walk_free(&w);
    check_filter("status=READY&currency=JPY&startTo=2031-01-03&orderBy=updatedAt", p_combo, NULL);
    check_filter("currency=GBP&amountMin=9999999", p_none, NULL);
}

static void test_total_false(void **state)
{
    (void)state;
    struct pp_resp *r = pp_get(&srv, "/api/payments?total=false&size=5&status=READY", api_key);
    pp_assert_status(r, 200);
    assert_true(json_is_null(json_object_get(r->json, "total")));
    assert_int_equal(json_array_size(json_object_get(r->json, "payments")), 5);
    assert_true(json_is_string(json_object_get(r->json, "nextCursor")));
    char *url = pp_fmt("/api/payments?total=false&size=5&status=READY&cursor=%s",
                       json_string_value(json_object_get(r->json, "nextCursor")));
    struct pp_resp *r2 = pp_get(&srv, url, api_key);
    pp_assert_status(r2, 200);
    assert_true(json_is_null(json_object_get(r2->json, "total")));
    assert_int_equal(pp_json_int(r2->json, "page"), 2);
    /* Asking for the total on a later page is fine too. */
    free(url);
    url = pp_fmt("/api/payments?total=true&size=5&status=READY&cursor=%s",
                 json_string_value(json_object_get(r->json, "nextCursor")));
    struct pp_resp *r3 = pp_get(&srv, url, api_key);
    pp_assert_status(r3, 200);
    assert_true(pp_json_int(r3->json, "total") > 5);
    pp_resp_free(r);
    pp_resp_free(r2);
    pp_resp_free(r3);
    free(url);
}

static void expect_400(const char *path, const char *word)
{
    struct pp_resp *r = pp_get(&srv, path, api_key);
    pp_assert_error(r, 400, "INVALID_PARAMS");
    const char *msg =
        json_string_value(json_object_get(json_object_get(r->json, "error"), "message"));
    if (word != NULL && strstr(msg, word) == NULL) {
        fail_msg("%s: message '%s' lacks '%s'", path, msg, word);
    }
    pp_resp_free(r);
}

static void test_cursor_tampering_and_mismatch(void **state)
{
    (void)state;
    struct pp_resp *r = pp_get(&srv, "/api/payments?size=3&orderBy=amount&currency=GBP", api_key);
    pp_assert_status(r, 200);
    char cur[128];
    snprintf(cur, sizeof cur, "%s", json_string_value(json_object_get(r->json, "nextCursor")));
    pp_resp_free(r);
    char *p;
    p = pp_fmt("/api/payments?size=3&orderBy=amount&currency=GBP&cursor=%s", cur);
    r = pp_get(&srv, p, api_key);
    pp_assert_status(r, 200);
    pp_resp_free(r);
    free(p);
    for (size_t i = 0; cur[i] != '\0'; i += 7) {
        char bad[128];
        snprintf(bad, sizeof bad, "%s", cur);
        bad[i] = bad[i] == 'x' ? 'y' : 'x';
        p = pp_fmt("/api/payments?size=3&orderBy=amount&currency=GBP&cursor=%s", bad);
        expect_400(p, "cursor is not a valid cursor");
        free(p);
    }
    static const struct {
        const char *query;
        const char *word;
    } mismatch[] = {
        {"orderBy=amount&currency=JPY", "other filters"},
        {"orderBy=amount", "other filters"},
        {"orderBy=amount&currency=GBP&status=READY", "other filters"},
        {"orderBy=id&currency=GBP", "another orderBy"},
        {"orderBy=amount&dir=desc&currency=GBP", "another orderBy"},
        {"orderBy=amount&currency=GBP&page=2", "page and cursor"},
    };
    for (size_t i = 0; i < sizeof mismatch / sizeof mismatch[0]; i++) {
        p = pp_fmt("/api/payments?%s&cursor=%s", mismatch[i].query, cur);
        expect_400(p, mismatch[i].word);
        free(p);
    }
    p = pp_fmt("/api/recipients?cursor=%s", cur);
    expect_400(p, "another list");
    free(p);
    p = pp_fmt("/api/payments/export?cursor=%s", cur);
    expect_400(p, "unknown query parameter");
    free(p);
}

/* Queries every list refuses, each with a word its message must say. */
static const struct {
    const char *path;
    const char *word;
} bad_queries[] = {
    {"/api/payments?foo=1", "unknown query parameter 'foo'"},
    {"/api/payments?size=0", "size"},
    {"/api/payments?size=101", "between 1 and 100"},
    {"/api/payments?size=abc", "size"},
    {"/api/payments?page=0", "page"},
    {"/api/payments?page=-3", "page"},
    {"/api/payments?page=100000", "nextCursor"},
    {"/api/payments?page", "needs a value"},
    {"/api/payments?size=5&size=6", "more than once"},
    {"/api/payments?orderBy=name", "orderBy"},
    {"/api/payments?dir=sideways", "dir"},
    {"/api/payments?status=PAID", "status"},
    {"/api/payments?status=", "needs a value"},
    {"/api/payments?currency=EURO", "ISO 4217"},
    {"/api/payments?projectId=x", "projectId"},
    {"/api/payments?recipientId=0", "recipientId"},
    {"/api/payments?ids=1,a", "ids"},
    {"/api/payments?amountMin=1", "currency"},
    {"/api/payments?currency=JPY&amountMax=0.5", "amountMax"},
    {"/api/payments?currency=GBP&amountMin=3&amountMax=2", "amountMin"},
    {"/api/payments?createdFrom=nope", "createdFrom"},
    {"/api/payments?createdFrom=2020-01-02&createdTo=2020-01-01", "createdFrom"},
    {"/api/payments?startFrom=2020-13-01", "startFrom"},
    {"/api/payments?endTo=2020-01-01T25:00:00Z", "endTo"},
    {"/api/payments?total=maybe", "total"},
    {"/api/payments?cursor=%%%", "cursor"},
    {"/api/recipients?status=READY", "unknown"},
    {"/api/recipients?orderBy=amount", "orderBy"},
    {"/api/recipients?size=1000", "size"},
    {"/api/recipients/abc", "recipient id"},
    {"/api/recipients/1?stats=true", "unknown"},
    {"/api/recipients?stats=yes", "stats must be true or false"},
    {"/api/recipients?stats=1", "stats"},
    {"/api/recipients?stats=", "needs a value"},
    {"/api/recipients?stats=true&stats=false", "more than once"},
    {"/api/projects?stats=TRUE", "stats must be true or false"},
    {"/api/projects?stats", "needs a value"},
    {"/api/projects?stats=false&stats=false", "more than once"},
    {"/api/projects?name=", "needs a value"},
    {"/api/projects?dir=up", "dir"},
    {"/api/projects/1?stats=yes", "stats"},
    {"/api/projects/1?stats=true&stats=false", "more than once"},
    {"/api/projects/1?foo=1", "unknown"},
    {"/api/projects/0", "project id"},
    {"/api/ledger?currency=gbp", "currency"},
    {"/api/ledger?from=2020-01-02&to=2020-01-01", "from"},
    {"/api/ledger?payoutId=-1", "payoutId"},
    {"/api/ledger?kind=block", "unknown"},
    {"/api/payments/export?page=1", "unknown"},
    {"/api/payments/export?status=NOPE", "status"},
};

static void test_bad_query_parameters(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_queries / sizeof bad_queries[0]; i++) {
        expect_400(bad_queries[i].path, bad_queries[i].word);
    }
    pp_expect_error(pp_get(&srv, "/api/recipients/999999", api_key), 404, "NOT_FOUND");
    pp_expect_error(pp_get(&srv, "/api/projects/999999?stats=true", api_key), 404, "NOT_FOUND");
    const char *paths[] = {"/api/payments",       "/api/recipients", "/api/recipients/1",
                           "/api/projects",       "/api/projects/1", "/api/ledger",
                           "/api/payments/export"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        pp_expect_error(pp_get(&srv, paths[i], NULL), 401, "UNAUTHORIZED");
        struct pp_resp *r = pp_get(&srv, paths[i], admin_token);
        assert_int_equal(r->status, 200);
        pp_resp_free(r);
    }
}

/* --- Recipients and projects --------------------------------------------------------- */

/* Sums (minor units) per "CUR/STATUS" of the payouts listed by query. */
struct sums {
    size_t n;
    char key[32][24];
    long long count[32];
    long long minor[32];
};

static void sums_of_list(const char *query, struct sums *s)
{
    static struct walk w;
    memset(s, 0, sizeof *s);
    walk("/api/payments", "payments", query, 100, NULL, &w);
    for (size_t i = 0; i < w.n; i++) {
        const char *cur = json_string_value(json_object_get(w.items[i], "currency"));
        char key[24];
        snprintf(key, sizeof key, "%s/%s", cur,
                 json_string_value(json_object_get(w.items[i], "status")));
        size_t k = 0;
        while (k < s->n && strcmp(s->key[k], key) != 0) {
            k++;
        }
        if (k == s->n) {
            assert_true(s->n < 32);
            snprintf(s->key[s->n++], sizeof s->key[0], "%s", key);
        }
        s->count[k]++;
        s->minor[k] += pp_amount_minor(w.amounts[i], pp_currency_decimals(cur));
    }
    walk_free(&w);
}

/* Checks a totals array (in r's body at `member`) against s. */
static void assert_totals(const struct pp_resp *r, const char *member, const struct sums *s)
{
    json_t *arr = json_object_get(r->json, member);
    assert_true(json_is_array(arr));
    assert_int_equal(json_array_size(arr), s->n);
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *t = json_array_get(arr, i);
        const char *cur = json_string_value(json_object_get(t, "currency"));
        char key[24], path[64], sum[32];
        snprintf(key, sizeof key, "%s/%s", cur, json_string_value(json_object_get(t, "status")));
        size_t k = 0;
        while (k < s->n && strcmp(s->key[k], key) != 0) {
            k++;
        }
        if (k == s->n) {
            fail_msg("totals list %s, which the payouts do not have", key);
        }
        assert_int_equal(pp_json_int(t, "count"), s->count[k]);
        snprintf(path, sizeof path, "%s[%zu].sum", member, i);
        assert_non_null(pp_json_number_text(r->body, r->body_len, path, sum, sizeof sum));
        assert_int_equal(pp_amount_minor(sum, pp_currency_decimals(cur)), s->minor[k]);
    }
}

static void test_recipients_and_their_totals(void **state)
{
    (void)state;
    static struct walk w;
    walk("/api/recipients", "recipients", "", 3, NULL, &w);
    assert_int_equal(w.n, 7);
    assert_int_equal(w.total, 7);
    assert_no_repeats(&w);
    for (size_t i = 0; i < w.n; i++) {
        long long id = w.ids[i];
        char *url = pp_fmt("/api/recipients/%lld", id);
        struct pp_resp *r = pp_get(&srv, url, api_key);
        pp_assert_status(r, 200);
        assert_int_equal(pp_json_int(r->json, "id"), id);
        struct sums s;
        char *q = pp_fmt("recipientId=%lld", id);
        sums_of_list(q, &s);
        assert_true(s.n > 0);
        assert_totals(r, "totals", &s);
        free(q);
        free(url);
        pp_resp_free(r);
    }
    walk_free(&w);
    /* Exact identifier filters. */
    walk("/api/recipients", "recipients", "userName=reads-user-2", 10, NULL, &w);
    assert_int_equal(w.n, 1);
    pp_assert_json_str(w.items[0], "userName", "reads-user-2");
    walk_free(&w);
    walk("/api/recipients", "recipients", "phoneNumber=%2B44700005", 10, NULL, &w);
    assert_int_equal(w.n, 1);
    pp_assert_json_str(w.items[0], "phoneNumber", "+44700005");
    assert_true(json_is_null(json_object_get(w.items[0], "userName")));
    walk_free(&w);
    walk("/api/recipients", "recipients", "referenceId=reads-ref-6&dir=desc", 10, NULL, &w);
    assert_int_equal(w.n, 1);
    walk_free(&w);
    walk("/api/recipients", "recipients", "userName=reads-user", 10, NULL, &w);
    assert_int_equal(w.n, 0);
    assert_int_equal(w.total, 0);
    walk_free(&w);
}

static void test_projects_and_their_stats(void **state)
{
    (void)state;
    static struct walk w;
    walk("/api/projects", "projects", "dir=desc", 2, NULL, &w);
    assert_int_equal(w.n, 4);
    assert_int_equal(w.total, 4);
    assert_true(w.ids[0] > w.ids[3]);
    for (size_t i = 0; i < w.n; i++) {
        char *url = pp_fmt("/api/projects/%lld?stats=true", w.ids[i]);
        struct pp_resp *r = pp_get(&srv, url, api_key);
        pp_assert_status(r, 200);
        pp_assert_date_out(json_string_value(json_object_get(r->json, "createdAt")));
        struct sums s;
        char *q = pp_fmt("projectId=%lld", w.ids[i]);
        sums_of_list(q, &s);
        assert_totals(r, "stats", &s);
        free(q);
        free(url);
        pp_resp_free(r);
        url = pp_fmt("/api/projects/%lld", w.ids[i]);
        r = pp_get(&srv, url, api_key);
        pp_assert_status(r, 200);
        assert_null(json_object_get(r->json, "stats"));
        free(url);
        pp_resp_free(r);
    }
    walk_free(&w);
    walk("/api/projects", "projects", "name=Reads%20project%202", 10, NULL, &w);
    assert_int_equal(w.n, 1);
    pp_assert_json_str(w.items[0], "name", "Reads project 2");
    walk_free(&w);
}

/* --- Ledger -------------------------------------------------------------------------- */

/* Sums (minor units) the available and blocked deltas of `cur` in the
** ledger list `query`, page by page. */
static void ledger_sums(const char *query, const char *cur, long long *avail, long long *blocked,
                        size_t *rows)
{
    char cursor[128] = "";
    *avail = *blocked = 0;
    *rows = 0;
    for (int page = 0; page < 1000; page++) {
        char *url =
            pp_fmt("/api/ledger?%s&size=50%s%s", query, cursor[0] ? "&cursor=" : "", cursor);
        struct pp_resp *r = pp_get(&srv, url, api_key);
        pp_assert_status(r, 200);
        json_t *items = json_object_get(r->json, "ledger");
        for (size_t i = 0; i < json_array_size(items); i++) {
            json_t *it = json_array_get(items, i);
            if (strcmp(json_string_value(json_object_get(it, "currency")), cur) != 0) {
                continue;
            }
            char path[64], t[32];
            snprintf(path, sizeof path, "ledger[%zu].available", i);
            assert_non_null(pp_json_number_text(r->body, r->body_len, path, t, sizeof t));
            *avail += pp_amount_minor(t, pp_currency_decimals(cur));
            snprintf(path, sizeof path, "ledger[%zu].blocked", i);
            assert_non_null(pp_json_number_text(r->body, r->body_len, path, t, sizeof t));
            *blocked += pp_amount_minor(t, pp_currency_decimals(cur));
            (*rows)++;
        }
        json_t *next = json_object_get(r->json, "nextCursor");
        int more = json_is_string(next);
        if (more) {
            snprintf(cursor, sizeof cursor, "%s", json_string_value(next));
        }
        pp_resp_free(r);
        free(url);
        if (!more) {
            return;
        }
    }
    fail_msg("ledger walk did not end");
}

static void test_ledger(void **state)
{
    (void)state;
    static struct walk w;
    walk("/api/ledger", "ledger", "", 17, NULL, &w);
    assert_no_repeats(&w);
    assert_int_equal(w.total, (long long)w.n);
    for (size_t i = 1; i < w.n; i++) {
        assert_true(w.ids[i - 1] < w.ids[i]);
    }
    /* The deltas of each currency add up to its balance. */
    struct pp_resp *b = pp_balances(&srv, api_key);
    json_t *bal = json_object_get(b->json, "balances");
    for (size_t c = 0; c < 3; c++) {
        const char *cur = currencies[c];
        long long avail, blocked;
        size_t rows, all_rows = 0;
        char *q = pp_fmt("currency=%s", cur);
        ledger_sums(q, cur, &avail, &blocked, &rows);
        for (size_t i = 0; i < w.n; i++) {
            all_rows +=
                strcmp(json_string_value(json_object_get(w.items[i], "currency")), cur) == 0;
        }
        assert_int_equal(rows, all_rows);
        for (size_t k = 0; k < json_array_size(bal); k++) {
            if (strcmp(json_string_value(json_object_get(json_array_get(bal, k), "currency")),
                       cur) == 0) {
                char path[64], t[32];
                snprintf(path, sizeof path, "balances[%zu].available", k);
                assert_non_null(pp_json_number_text(b->body, b->body_len, path, t, sizeof t));
                assert_int_equal(pp_amount_minor(t, pp_currency_decimals(cur)), avail);
                snprintf(path, sizeof path, "balances[%zu].blocked", k);
                assert_non_null(pp_json_number_text(b->body, b->body_len, path, t, sizeof t));
                assert_int_equal(pp_amount_minor(t, pp_currency_decimals(cur)), blocked);
            }
        }
        free(q);
    }
    pp_resp_free(b);
    /* A cancelled payout has its block and its release; an open one its block. */
    static struct walk p;
    char *q = pp_fmt("payoutId=%lld", model[0].id);
    walk("/api/ledger", "ledger", q, 10, NULL, &p);
    assert_int_equal(p.n, 2);
    pp_assert_json_str(p.items[0], "kind", "block");
    pp_assert_json_str(p.items[1], "kind", "release");
    assert_int_equal(pp_json_int(p.items[0], "payoutId"), model[0].id);
    walk_free(&p);
    free(q);
    q = pp_fmt("payoutId=%lld&dir=desc", model[1].id);
    walk("/api/ledger", "ledger", q, 10, NULL, &p);
    assert_int_equal(p.n, 1);
    walk_free(&p);
    free(q);
    /* from/to are inclusive moments. */
    const char *from = json_string_value(json_object_get(w.items[10], "at"));
    const char *to = json_string_value(json_object_get(w.items[w.n - 10], "at"));
    size_t want = 0;
    for (size_t i = 0; i < w.n; i++) {
        const char *at = json_string_value(json_object_get(w.items[i], "at"));
        want += strcmp(at, from) >= 0 && strcmp(at, to) <= 0;
    }
    q = pp_fmt("from=%s&to=%s", from, to);
    walk("/api/ledger", "ledger", q, 25, NULL, &p);
    assert_int_equal(p.n, want);
    assert_int_equal(p.total, (long long)want);
    walk_free(&p);
    free(q);
    walk_free(&w);
}

/* --- Reading while writing ----------------------------------------------------------- */

#define WRITERS 2
#define READERS 3
#define WRITES_PER_WRITER 40

static _Atomic int writers_running;
static _Atomic int thread_failures;
static char thread_failure[256];
static pthread_mutex_t failure_mu = PTHREAD_MUTEX_INITIALIZER;
static long long open_before[MODEL_MAX];
static size_t open_before_count;

static void thread_fail(const char *what, long status)
{
    pthread_mutex_lock(&failure_mu);
    if (thread_failures++ == 0) {
        snprintf(thread_failure, sizeof thread_failure, "%s (status %ld)", what, status);
    }
    pthread_mutex_unlock(&failure_mu);
}

static void *writer_main(void *arg)
{
    size_t t = (size_t)arg;
    CURL *h = curl_easy_init();
    for (size_t i = 0; i < WRITES_PER_WRITER; i++) {
        char body[512];
        snprintf(body, sizeof body,
                 "{\"amount\":%zu,\"currency\":\"JPY\",\"startDate\":\"2031-01-01\","
                 "\"endDate\":\"2031-01-09\",\"name\":\"Concurrent %zu\",\"description\":\"c\","
                 "\"userName\":\"concurrent-%zu\",\"notification\":false}",
                 100 + i % 3, t, t);
        struct pp_resp *r = pp_request_post(&srv, h, "/api/payment/create", api_key, body);
        if (r == NULL || r->status != 200) {
            thread_fail("a create failed", r != NULL ? r->status : 0);
        }
        pp_resp_free(r);
    }
    curl_easy_cleanup(h);
    writers_running--;
    return NULL;
}

/* One walk of the READY payouts; checks answers, repeats and that every
** payout open before the test is there. */
static void reader_walk(CURL *h, const char *order, long long *seen, size_t cap)
{
    char cursor[128] = "";
    size_t n = 0;
    for (int page = 0; page < 1000; page++) {
        char *url = pp_fmt("/api/payments?status=READY&orderBy=%s&size=20%s%s", order,
                           cursor[0] ? "&cursor=" : "", cursor);
        struct pp_req req = {.path = url, .token = api_key};
        struct pp_resp *r = pp_request(&srv, h, &req);
        free(url);
        if (r == NULL || r->status != 200 || r->json == NULL) {
            thread_fail("a list page failed", r != NULL ? r->status : 0);
            pp_resp_free(r);
            return;
        }
        json_t *items = json_object_get(r->json, "payments");
        for (size_t i = 0; i < json_array_size(items) && n < cap; i++) {
            long long id = json_integer_value(json_object_get(json_array_get(items, i), "id"));
            for (size_t k = 0; k < n; k++) {
                if (seen[k] == id) {
                    thread_fail("a payout was listed twice", 200);
                }
            }
            seen[n++] = id;
        }
        json_t *next = json_object_get(r->json, "nextCursor");
        int more = json_is_string(next);
        if (more) {
            snprintf(cursor, sizeof cursor, "%s", json_string_value(next));
        }
        pp_resp_free(r);
        if (!more) {
            break;
        }
    }
    for (size_t i = 0; i < open_before_count; i++) {
        int found = 0;
        for (size_t k = 0; k < n && !found; k++) {
            found = seen[k] == open_before[i];
        }
        if (!found) {
            thread_fail("a payout open before the walk was missing", 200);
        }
    }
}

static void *reader_main(void *arg)
{
    static const char *const orders[] = {"id", "amount&dir=desc", "createdAt", "status"};
    size_t t = (size_t)arg;
    CURL *h = curl_easy_init();
    long long *seen = malloc(WALK_MAX * sizeof *seen);
    for (int round = 0; round < 50 && (round < 2 || writers_running > 0); round++) {
        reader_walk(h, orders[(t + (size_t)round) % 4], seen, WALK_MAX);
    }
    free(seen);
    curl_easy_cleanup(h);
    return NULL;
}

static void test_reading_while_writing(void **state)
{
    (void)state;
    static struct walk w;
    walk("/api/payments", "payments", "status=READY", 100, NULL, &w);
    assert_true(w.n > 0 && w.n < MODEL_MAX);
    for (size_t i = 0; i < w.n; i++) {
        open_before[i] = w.ids[i];
    }
    open_before_count = w.n;
    walk_free(&w);
    pthread_t threads[WRITERS + READERS];
    writers_running = WRITERS;
    for (size_t i = 0; i < WRITERS; i++) {
        assert_int_equal(pthread_create(&threads[i], NULL, writer_main, (void *)i), 0);
    }
    for (size_t i = 0; i < READERS; i++) {
        assert_int_equal(pthread_create(&threads[WRITERS + i], NULL, reader_main, (void *)i), 0);
    }
    for (size_t i = 0; i < WRITERS + READERS; i++) {
        pthread_join(threads[i], NULL);
    }
    if (thread_failures > 0) {
        fail_msg("%d failures, first: %s", (int)thread_failures, thread_failure);
    }
    /* Afterwards, the list has every write. */
    walk("/api/payments", "payments", "status=READY", 100, NULL, &w);
    assert_int_equal(w.n, open_before_count + WRITERS * WRITES_PER_WRITER);
    assert_int_equal(w.total, (long long)w.n);
    walk_free(&w);
    pp_assert_check(srv.db_path, "at the end");
}

/* --- Lists with their rows' totals (stats=true) -------------------------------------- */

#define STATS_PAYOUTS 36
#define STATS_RECIPIENTS 4
#define STATS_PROJECTS 3

/* Adds a recipient and a project that have no payout. No request makes
** one (a payout's create makes both in its own transaction), so the
** sqlite3 tool writes them into the running server's database. */
static void insert_without_payouts(const char *user_name, const char *project)
{
    char *cmd = pp_fmt("sqlite3 -cmd '.timeout 5000' '%s' \"INSERT INTO recipients (user_name, "
                       "created_ms, updated_ms) VALUES ('%s', 1700000000000, 1700000000000); "
                       "INSERT INTO projects (name, created_ms) VALUES ('%s', 1700000000000)\"",
                       srv.db_path, user_name, project);
    int rc = system(cmd);
    free(cmd);
    if (rc != 0) {
        fail_msg("the sqlite3 tool could not write to %s (exit %d)", srv.db_path, rc);
    }
}

/* Payouts of STATS_RECIPIENTS recipients and STATS_PROJECTS projects of
** their own, in GBP and JPY, READY, CANCELLED and RECEIVED; their ids
** into ids. Not in the model: the test runs after the ones that use it. */
static void create_stats_payouts(long long ids[STATS_PAYOUTS])
{
    char cancel[1024] = "{\"ids\":[";
    for (int i = 0; i < STATS_PAYOUTS; i++) {
        /* Recipient r gets j = 0..8: currency j % 2, state j / 3. */
        int j = i / STATS_RECIPIENTS;
        const char *cur = j % 2 ? "JPY" : "GBP";
        char amount[32];
        pp_format_minor(100 + 37LL * i, pp_currency_decimals(cur), amount, sizeof amount);
        char *body = pp_fmt("{\"amount\":%s,\"currency\":\"%s\",\"startDate\":\"2020-01-01\","
                            "\"endDate\":\"2035-01-01\",\"name\":\"Stats project %d\","
                            "\"description\":\"stats %d\",\"userName\":\"stats-user-%d\","
                            "\"notification\":false}",
                            amount, cur, i % STATS_PROJECTS, i, i % STATS_RECIPIENTS);
        struct pp_resp *r = pp_post(&srv, "/api/payment/create", api_key, body);
        pp_assert_status(r, 200);
        ids[i] = pp_json_int(json_array_get(json_object_get(r->json, "payments"), 0), "id");
        pp_resp_free(r);
        free(body);
        if (j / 3 == 1) {
            snprintf(cancel + strlen(cancel), sizeof cancel - strlen(cancel), "%s%lld",
                     cancel[strlen(cancel) - 1] == '[' ? "" : ",", ids[i]);
        } else if (j / 3 == 2) {
            body = pp_fmt("{\"id\":%lld,\"reference\":\"stats %d\"}", ids[i], i);
            r = pp_post(&srv, "/api/payment/receive", api_key, body);
            pp_assert_status(r, 200);
            pp_resp_free(r);
            free(body);
        }
    }
    strcat(cancel, "]}");
    struct pp_resp *r = pp_post(&srv, "/api/payment/cancel", api_key, cancel);
    pp_assert_status(r, 200);
    assert_int_equal(pp_json_int(r->json, "success"), STATS_PAYOUTS / 3);
    pp_resp_free(r);
}

/* Walks `path` with stats=true (query, size per page) and checks every
** item against the single record's answer (GET `path`/{id}`single_query`),
** member for member, totals in the same order. Counts the items whose
** `member` is [] into *empty and the distinct currencies and states of the
** items named `prefix`* into cur_seen / status_seen (bit sets). */
static void check_stats_walk(const char *path, const char *list, const char *member,
                             const char *single_query, const char *query, int size,
                             const char *name_key, const char *prefix, size_t *empty,
                             unsigned *cur_seen, unsigned *status_seen)
{
    static struct walk w, plain;
    char *q = pp_fmt("stats=true%s%s", query[0] ? "&" : "", query);
    walk(path, list, q, size, NULL, &w);
    walk(path, list, query, size, NULL, &plain);
    assert_true(w.n >= 2);
    assert_int_equal(w.n, plain.n);
    assert_int_equal(w.total, plain.total);
    for (size_t i = 0; i < w.n; i++) {
        char *url = pp_fmt("%s/%lld%s", path, w.ids[i], single_query);
        struct pp_resp *r = pp_get(&srv, url, api_key);
        pp_assert_status(r, 200);
        if (!json_equal(w.items[i], r->json)) {
            fail_msg("%s?%s: item %lld differs from %s: %s", path, q, w.ids[i], url, r->body);
        }
        json_t *totals = json_object_get(w.items[i], member);
        assert_true(json_is_array(totals));
        *empty += json_array_size(totals) == 0;
        const char *name = json_string_value(json_object_get(w.items[i], name_key));
        for (size_t k = 0; name != NULL && strncmp(name, prefix, strlen(prefix)) == 0 &&
                           k < json_array_size(totals);
             k++) {
            json_t *t = json_array_get(totals, k);
            *cur_seen |= strcmp(json_string_value(json_object_get(t, "currency")), "GBP") ? 2u : 1u;
            *status_seen |= 1u << status_code(json_string_value(json_object_get(t, "status")));
        }
        /* Without its totals, the item is the plain list's item. */
        json_t *bare = json_deep_copy(w.items[i]);
        json_object_del(bare, member);
        assert_int_equal(w.ids[i], plain.ids[i]);
        assert_true(json_equal(bare, plain.items[i]));
        json_decref(bare);
        pp_resp_free(r);
        free(url);
    }
    walk_free(&w);
    walk_free(&plain);
    free(q);
}

/* Asserts that stats-user-k's totals (on a filtered page) are the sums of
** the payouts listed for it, per currency and status. */
static void assert_recipient_totals(int k)
{
    char *url = pp_fmt("/api/recipients?stats=true&userName=stats-user-%d", k);
    struct pp_resp *r = pp_get(&srv, url, api_key);
    pp_assert_status(r, 200);
    json_t *item = json_array_get(json_object_get(r->json, "recipients"), 0);
    char *q = pp_fmt("recipientId=%lld", pp_json_int(item, "id"));
    struct sums s;
    sums_of_list(q, &s);
    assert_int_equal(s.n, 6);
    json_t *totals = json_object_get(item, "totals");
    assert_int_equal(json_array_size(totals), s.n);
    for (size_t t = 0; t < s.n; t++) {
        json_t *one = json_array_get(totals, t);
        const char *cur = json_string_value(json_object_get(one, "currency"));
        char key[24], sum[32], path[64];
        snprintf(key, sizeof key, "%s/%s", cur, json_string_value(json_object_get(one, "status")));
        size_t m = 0;
        while (m < s.n && strcmp(s.key[m], key) != 0) {
            m++;
        }
        assert_true(m < s.n);
        assert_int_equal(pp_json_int(one, "count"), s.count[m]);
        snprintf(path, sizeof path, "recipients[0].totals[%zu].sum", t);
        assert_non_null(pp_json_number_text(r->body, r->body_len, path, sum, sizeof sum));
        assert_int_equal(pp_amount_minor(sum, pp_currency_decimals(cur)), s.minor[m]);
    }
    free(q);
    free(url);
    pp_resp_free(r);
}

static void test_lists_with_stats(void **state)
{
    (void)state;
    static long long ids[STATS_PAYOUTS];
    /* One row without payouts before the new ones and one after, so that a
    ** page has such rows first, in the middle and last in both directions. */
    insert_without_payouts("stats-lonely-1", "Stats lonely 1");
    create_stats_payouts(ids);
    insert_without_payouts("stats-lonely-2", "Stats lonely 2");
    static const struct {
        const char *query;
        int size;
    } walks[] = {{"", 3}, {"dir=desc", 4}, {"", 100}, {"total=false&dir=desc", 5}};
    for (size_t i = 0; i < sizeof walks / sizeof walks[0]; i++) {
        size_t empty = 0;
        unsigned cur_seen = 0, status_seen = 0;
        check_stats_walk("/api/recipients", "recipients", "totals", "", walks[i].query,
                         walks[i].size, "userName", "stats-user-", &empty, &cur_seen, &status_seen);
        assert_int_equal(empty, 2);
        assert_int_equal(cur_seen, 3u);
        assert_int_equal(status_seen, (1u << 2) | (1u << 3) | (1u << 4));
        empty = 0;
        cur_seen = status_seen = 0;
        check_stats_walk("/api/projects", "projects", "stats", "?stats=true", walks[i].query,
                         walks[i].size, "name", "Stats project ", &empty, &cur_seen, &status_seen);
        assert_int_equal(empty, 2);
        assert_int_equal(cur_seen, 3u);
        assert_int_equal(status_seen, (1u << 2) | (1u << 3) | (1u << 4));
    }
    /* The totals are the sums of the payouts themselves (not only what the
    ** single record says), and a filtered page carries them too. */
    for (int k = 0; k < STATS_RECIPIENTS; k++) {
        assert_recipient_totals(k);
    }
    /* stats=false and no stats are the same answer, byte for byte. */
    const char *const same[][2] = {
        {"/api/recipients?size=4&dir=desc", "/api/recipients?size=4&dir=desc&stats=false"},
        {"/api/projects?size=4", "/api/projects?stats=false&size=4"},
    };
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        struct pp_resp *a = pp_get(&srv, same[i][0], api_key);
        struct pp_resp *b = pp_get(&srv, same[i][1], api_key);
        pp_assert_status(a, 200);
        pp_assert_status(b, 200);
        assert_int_equal(a->body_len, b->body_len);
        assert_memory_equal(a->body, b->body, a->body_len);
        assert_null(strstr(a->body, "\"totals\""));
        assert_null(strstr(a->body, "\"stats\""));
        pp_resp_free(a);
        pp_resp_free(b);
    }
    pp_assert_check(srv.db_path, "at the end");
}

static const struct pp_session session = {
    .srv = &srv, .admin_token = &admin_token, .api_key = &api_key, .after_start = after_start};

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_filter),
        cmocka_unit_test(test_total_false),
        cmocka_unit_test(test_cursor_tampering_and_mismatch),
        cmocka_unit_test(test_bad_query_parameters),
        cmocka_unit_test(test_recipients_and_their_totals),
        cmocka_unit_test(test_projects_and_their_stats),
        cmocka_unit_test(test_ledger),
        cmocka_unit_test(test_offset_pages_match_cursor),
        cmocka_unit_test(test_every_order_is_complete_and_stable),
        cmocka_unit_test(test_reading_while_writing),
        /* Last: its payouts are not in the model the tests above compare with. */
        cmocka_unit_test(test_lists_with_stats),
    };
    return PP_SESSION_RUN(tests, &session);
}
