/*
** This module tests GET /api/reports/payouts through the real server.
**
** The test creates a known set of payouts (lists and single creates) in
** three batches a few milliseconds apart, across three projects, three
** currencies and several recipients, and cancels some. It keeps its own
** model of every payout (id, project, recipient, currency, amount in minor
** units, status, createdAt in ms) and computes every expected report from
** it: for each grouping (project, currency, status, recipient, day), with
** and without currency and status filters, and for periods whose bounds
** sit exactly on payouts' createdAt (from is inclusive, to exclusive), the
** server's groups must equal the model's exactly: same keys in the same
** order, same counts, same sums to the last digit. Also: the default
** period, and every kind of bad parameter.
*/
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct pp_server srv;
static char *admin_token;
static char *api_key;

#define START "2031-01-01T00:00:00Z"
#define END "2031-06-01T00:00:00Z"
#define DAY_MS (24LL * 3600 * 1000)

/* --- The model ------------------------------------------------------------------ */

struct payout {
    long long id, project, recipient;
    char currency[4];
    long long minor;
    int cancelled;
    long long created_ms;
};

#define PAYOUTS_MAX 64
static struct payout payouts[PAYOUTS_MAX];
static size_t payout_count;
static long long batch_start_ms[3]; /* createdAt of each batch's first payout */
static char project_names[PAYOUTS_MAX][32];

/* "YYYY-MM-DDTHH:MM:SS.mmmZ" -> ms since the epoch. */
static long long date_ms(const char *text)
{
    pp_assert_date_out(text);
    return pp_date_out_seconds(text) * 1000 + atoll(text + 20);
}

/* ms -> "YYYY-MM-DDTHH:MM:SS.mmmZ". */
static void date_text(long long ms, char *out, size_t size)
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    size_t n = strftime(out, size, "%Y-%m-%dT%H:%M:%S", &tm);
    assert_int_equal(n, 19);
    snprintf(out + n, size - n, ".%03dZ", (int)(ms % 1000));
}

/* Records every payout of a create or create-list answer. */
static void model_add(const struct pp_resp *r, const char *project_name)
{
    const json_t *list = json_object_get(r->json, "payments");
    for (size_t i = 0; i < json_array_size(list); i++) {
        const json_t *p = json_array_get(list, i);
        assert_true(payout_count < PAYOUTS_MAX);
        struct payout *m = &payouts[payout_count];
        m->id = pp_json_int(p, "id");
        m->project = pp_json_int(p, "projectId");
        m->recipient = pp_json_int(p, "recipientId");
        snprintf(m->currency, sizeof m->currency, "%s",
                 json_string_value(json_object_get(p, "currency")));
        char path[48], amount[32];
        snprintf(path, sizeof path, "payments[%zu].amount", i);
        assert_non_null(pp_json_number_text(r->body, r->body_len, path, amount, sizeof amount));
        m->minor = pp_amount_minor(amount, pp_currency_decimals(m->currency));
        m->created_ms = date_ms(json_string_value(json_object_get(p, "createdAt")));
        snprintf(project_names[m->project % PAYOUTS_MAX], sizeof project_names[0], "%s",
                 project_name);
        payout_count++;
    }
}

static void create_one(const char *amount, const char *currency, const char *project,
                       const char *user)
{
    char *body = pp_fmt("{\"amount\":%s,\"currency\":\"%s\",\"startDate\":\"" START
                        "\",\"endDate\":\"" END "\",\"name\":\"%s\",\"description\":\"r\","
                        "\"userName\":\"%s\",\"notification\":false}",
                        amount, currency, project, user);
    struct pp_resp *r = pp_post(&srv, "/api/payment/create", api_key, body);
    pp_assert_status(r, 200);
    model_add(r, project);
    pp_resp_free(r);
    free(body);
}

/* A list whose rows all name one project. rows: "amount currency user" */
static void create_list(const char *project, const char *const *rows, size_t n)
{
    char *body = strdup("{\"payments\":[");
    for (size_t i = 0; i < n; i++) {
        char amount[16], currency[4], user[32];
        assert_int_equal(sscanf(rows[i], "%15s %3s %31s", amount, currency, user), 3);
        char *next = pp_fmt("%s%s{\"amount\":%s,\"currency\":\"%s\",\"startDate\":\"" START
                            "\",\"endDate\":\"" END "\",\"name\":\"%s\",\"description\":\"r\","
                            "\"userName\":\"%s\",\"notification\":true}",
                            body, i ? "," : "", amount, currency, project, user);
        free(body);
        body = next;
    }
    char *full = pp_fmt("%s]}", body);
    struct pp_resp *r = pp_post(&srv, "/api/payment/create-list", api_key, full);
    pp_assert_status(r, 200);
    model_add(r, project);
    pp_resp_free(r);
    free(full);
    free(body);
}

static void cancel(long long id)
{
    char *body = pp_fmt("{\"ids\":[%lld]}", id);
    struct pp_resp *r = pp_post(&srv, "/api/payment/cancel", api_key, body);
    pp_assert_status(r, 200);
    assert_int_equal(pp_json_int(r->json, "success"), 1);
    for (size_t i = 0; i < payout_count; i++) {
        payouts[i].cancelled |= payouts[i].id == id;
    }
    pp_resp_free(r);
    free(body);
}

static const char *const funds[] = {"GBP", "1000", "EUR", "1000", "JPY", "100000", NULL};
/* --- Expected reports -------------------------------------------------------------- */

enum by { BY_PROJECT, BY_CURRENCY, BY_STATUS, BY_RECIPIENT, BY_DAY };
static const char *const by_names[] = {"project", "currency", "status", "recipient", "day"};

struct group {
    char key[32];
    long long id; /* numeric key for ids */
    char currency[4];
    long long count, minor;
};

static void key_of(const struct payout *p, enum by by, struct group *g)
{
    g->id = 0;
    switch (by) {
    case BY_PROJECT:
        g->id = p->project;
        snprintf(g->key, sizeof g->key, "%lld", p->project);
        break;
    case BY_RECIPIENT:
        g->id = p->recipient;
        snprintf(g->key, sizeof g->key, "%lld", p->recipient);
        break;
    case BY_CURRENCY:
        snprintf(g->key, sizeof g->key, "%s", p->currency);
        break;
    case BY_STATUS:
        snprintf(g->key, sizeof g->key, "%s", p->cancelled ? "CANCELLED" : "READY");
        break;
    case BY_DAY: {
        char text[32];
        date_text(p->created_ms, text, sizeof text);
        snprintf(g->key, sizeof g->key, "%.10s", text);
        break;
    }
    }
}

static int group_cmp(const void *a, const void *b)
{
    const struct group *x = a, *y = b;
    int c = x->id != y->id ? (x->id < y->id ? -1 : 1) : strcmp(x->key, y->key);
    return c != 0 ? c : strcmp(x->currency, y->currency);
}

/* The model's report: groups of the payouts with from <= created < to,
** matching currency (NULL: any) and status (NULL: any). */
static size_t expect(enum by by, long long from, long long to, const char *currency,
                     const char *status, struct group *out)
{
    size_t n = 0;
    for (size_t i = 0; i < payout_count; i++) {
        const struct payout *p = &payouts[i];
        const char *st = p->cancelled ? "CANCELLED" : "READY";
        if (p->created_ms < from || p->created_ms >= to ||
            (currency != NULL && strcmp(currency, p->currency) != 0) ||
            (status != NULL && strcmp(status, st) != 0)) {
            continue;
        }
        struct group g;
        key_of(p, by, &g);
        snprintf(g.currency, sizeof g.currency, "%s", p->currency);
        size_t k = 0;
        while (k < n && (strcmp(out[k].key, g.key) != 0 || strcmp(out[k].currency, g.currency))) {
            k++;
        }
        if (k == n) {
            g.count = 0;
            g.minor = 0;
            out[n++] = g;
        }
        out[k].count++;
        out[k].minor += p->minor;
    }
    qsort(out, n, sizeof *out, group_cmp);
    return n;
}

/* GETs the report and asserts it equals the model's. Returns the groups
** compared. */
static size_t assert_report(enum by by, long long from, long long to, const char *currency,
                            const char *status)
{
    char from_text[32], to_text[32];
    date_text(from, from_text, sizeof from_text);
    date_text(to, to_text, sizeof to_text);
    char *path = pp_fmt("/api/reports/payouts?groupBy=%s&from=%s&to=%s%s%s%s%s", by_names[by],
                        from_text, to_text, currency ? "&currency=" : "", currency ? currency : "",
                        status ? "&status=" : "", status ? status : "");
    struct pp_resp *r = pp_get(&srv, path, api_key);
    pp_assert_status(r, 200);
    pp_assert_json_str(r->json, "groupBy", by_names[by]);
    pp_assert_json_str(r->json, "from", from_text);
    pp_assert_json_str(r->json, "to", to_text);
    struct group want[PAYOUTS_MAX];
    size_t n = expect(by, from, to, currency, status, want);
    const json_t *groups = json_object_get(r->json, "groups");
    if (json_array_size(groups) != n) {
        fail_msg("%s: %zu groups, the model has %zu: %s", path, json_array_size(groups), n,
                 r->body);
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *g = json_array_get(groups, i);
        char sum_path[48], sum[32];
        pp_assert_json_str(g, "key", want[i].key);
        pp_assert_json_str(g, "currency", want[i].currency);
        assert_int_equal(pp_json_int(g, "count"), want[i].count);
        snprintf(sum_path, sizeof sum_path, "groups[%zu].sum", i);
        pp_format_minor(want[i].minor, pp_currency_decimals(want[i].currency), sum, sizeof sum);
        pp_assert_number_text(r, sum_path, sum);
        if (by == BY_PROJECT) {
            assert_int_equal(pp_json_int(g, "projectId"), want[i].id);
            pp_assert_json_str(g, "name", project_names[want[i].id % PAYOUTS_MAX]);
        } else if (by == BY_RECIPIENT) {
            assert_int_equal(pp_json_int(g, "recipientId"), want[i].id);
        } else {
            assert_null(json_object_get(g, "name"));
        }
    }
    pp_resp_free(r);
    free(path);
    return n;
}

/* --- Tests ---------------------------------------------------------------------------- */

static void test_build_known_set(void **state)
{
    (void)state;
    static const char *const batch1[] = {"10.5 GBP rr-1", "3 EUR rr-2", "0.01 GBP rr-2",
                                         "2500 JPY rr-3"};
    static const char *const batch3a[] = {"7.77 EUR rr-1", "1.23 EUR rr-4", "99 GBP rr-3"};
    static const char *const batch3b[] = {"0.5 GBP rr-4", "120 JPY rr-1"};
    create_list("Report A", batch1, 4);
    batch_start_ms[0] = payouts[0].created_ms;
    create_list("Report B", batch1 + 1, 2);
    pp_sleep_ms(20);
    size_t first2 = payout_count;
    create_one("4.44", "GBP", "Report C", "rr-5");
    batch_start_ms[1] = payouts[first2].created_ms;
    create_one("15", "JPY", "Report A", "rr-5");
    create_one("0.99", "EUR", "Report B", "rr-1");
    pp_sleep_ms(20);
    size_t first3 = payout_count;
    create_list("Report C", batch3a, 3);
    batch_start_ms[2] = payouts[first3].created_ms;
    create_list("Report A", batch3b, 2);
    /* Cancel some in every batch. */
    cancel(payouts[1].id);
    cancel(payouts[3].id);
    cancel(payouts[first2 + 1].id);
    cancel(payouts[first3].id);
    assert_true(batch_start_ms[0] < batch_start_ms[1] && batch_start_ms[1] < batch_start_ms[2]);
    pp_assert_check(srv.db_path, "at the end");
}

static void test_groups_match_payouts(void **state)
{
    (void)state;
    long long from = payouts[0].created_ms;
    long long to = payouts[payout_count - 1].created_ms + 1;
    for (int by = BY_PROJECT; by <= BY_DAY; by++) {
        assert_true(assert_report((enum by)by, from, to, NULL, NULL) >= 1);
        assert_report((enum by)by, from, to, "GBP", NULL);
        assert_report((enum by)by, from, to, NULL, "CANCELLED");
        assert_report((enum by)by, from, to, "EUR", "READY");
    }
    /* Sums per currency are never mixed: one group per key and currency
    ** (READY in GBP, EUR, JPY; CANCELLED in EUR, JPY; 3 projects in 7). */
    assert_int_equal(assert_report(BY_CURRENCY, from, to, NULL, NULL), 3);
    assert_int_equal(assert_report(BY_STATUS, from, to, NULL, NULL), 5);
    assert_int_equal(assert_report(BY_PROJECT, from, to, NULL, NULL), 7);
    /* A filter that matches nothing answers no groups. */
    assert_int_equal(assert_report(BY_PROJECT, from, to, "USD", NULL), 0);
}

/* Count and exact sum (minor units) of the payouts GET /api/payments lists
** for filter (already URL-safe) in [from, to), following every cursor. */
static void list_totals(const char *filter, const char *currency, long long from, long long to,
                        long long *count_out, long long *minor_out)
{
    char from_text[32], to_text[32];
    date_text(from, from_text, sizeof from_text);
    date_text(to - 1, to_text, sizeof to_text); /* the list's createdTo is inclusive */
    char *cursor = NULL;
    *count_out = 0;
    *minor_out = 0;
    for (int page = 0; page < 100; page++) {
        char *path =
            pp_fmt("/api/payments?%s&currency=%s&createdFrom=%s&createdTo=%s&size=7%s%s", filter,
                   currency, from_text, to_text, cursor ? "&cursor=" : "", cursor ? cursor : "");
        struct pp_resp *r = pp_get(&srv, path, api_key);
        pp_assert_status(r, 200);
        const json_t *list = json_object_get(r->json, "payments");
        for (size_t i = 0; i < json_array_size(list); i++) {
            char at[48], amount[32];
            snprintf(at, sizeof at, "payments[%zu].amount", i);
            assert_non_null(pp_json_number_text(r->body, r->body_len, at, amount, sizeof amount));
            *minor_out += pp_amount_minor(amount, pp_currency_decimals(currency));
            (*count_out)++;
        }
        const char *next = json_string_value(json_object_get(r->json, "nextCursor"));
        free(cursor);
        cursor = next != NULL ? strdup(next) : NULL;
        pp_resp_free(r);
        free(path);
        if (cursor == NULL) {
            return;
        }
    }
    fail_msg("the list of %s did not end within 100 pages", filter);
}

/* Every report group's count and sum equal those of the payouts the list
** endpoint gives for the same group, currency and period. */
static void test_report_equals_list(void **state)
{
    (void)state;
    static const enum by bys[] = {BY_PROJECT, BY_CURRENCY, BY_STATUS, BY_RECIPIENT};
    long long from = payouts[0].created_ms;
    long long to = payouts[payout_count - 1].created_ms + 1;
    char from_text[32], to_text[32];
    date_text(from, from_text, sizeof from_text);
    date_text(to, to_text, sizeof to_text);
    size_t compared = 0;
    for (size_t b = 0; b < sizeof bys / sizeof bys[0]; b++) {
        char *path = pp_fmt("/api/reports/payouts?groupBy=%s&from=%s&to=%s", by_names[bys[b]],
                            from_text, to_text);
        struct pp_resp *r = pp_get(&srv, path, api_key);
        pp_assert_status(r, 200);
        const json_t *groups = json_object_get(r->json, "groups");
        assert_true(json_array_size(groups) > 0);
        for (size_t i = 0; i < json_array_size(groups); i++) {
            const json_t *g = json_array_get(groups, i);
            const char *key = json_string_value(json_object_get(g, "key"));
            const char *currency = json_string_value(json_object_get(g, "currency"));
            char *filter = bys[b] == BY_PROJECT     ? pp_fmt("projectId=%s", key)
                           : bys[b] == BY_CURRENCY  ? pp_fmt("currency=%s", key)
                           : bys[b] == BY_RECIPIENT ? pp_fmt("recipientId=%s", key)
                                                    : pp_fmt("status=%s", key);
            if (bys[b] == BY_CURRENCY) {
                /* The currency is the group itself; list_totals adds it. */
                free(filter);
                filter = pp_fmt("dir=asc");
            }
            long long count = 0, minor = 0;
            list_totals(filter, currency, from, to, &count, &minor);
            char at[48], sum[32];
            snprintf(at, sizeof at, "groups[%zu].sum", i);
            assert_non_null(pp_json_number_text(r->body, r->body_len, at, sum, sizeof sum));
            if (pp_json_int(g, "count") != count ||
                pp_amount_minor(sum, pp_currency_decimals(currency)) != minor) {
                fail_msg("%s group %s %s: report %lld / %s, list %lld / %lld minor", path, key,
                         currency, pp_json_int(g, "count"), sum, count, minor);
            }
            compared++;
            free(filter);
        }
        pp_resp_free(r);
        free(path);
    }
    assert_true(compared >= 10);
}

static void test_period_boundaries(void **state)
{
    (void)state;
    long long t2 = batch_start_ms[1], t3 = batch_start_ms[2];
    for (int by = BY_PROJECT; by <= BY_DAY; by++) {
        /* from is inclusive, to exclusive, to the millisecond. */
        assert_report((enum by)by, t2, t3, NULL, NULL);
        assert_report((enum by)by, t2 + 1, t3, NULL, NULL);
        assert_report((enum by)by, t2, t3 + 1, NULL, NULL);
        assert_report((enum by)by, t2 - 1, t3 - 1, NULL, NULL);
    }
    /* The boundaries matter: the batch-3 payouts created at t3 are out of
    ** [t2, t3) and in [t2, t3 + 1). */
    struct group a[PAYOUTS_MAX], b[PAYOUTS_MAX];
    size_t na = expect(BY_CURRENCY, t2, t3, NULL, NULL, a);
    size_t nb = expect(BY_CURRENCY, t2, t3 + 1, NULL, NULL, b);
    long long count_a = 0, count_b = 0;
    for (size_t i = 0; i < na; i++) {
        count_a += a[i].count;
    }
    for (size_t i = 0; i < nb; i++) {
        count_b += b[i].count;
    }
    assert_int_equal(count_a, 3); /* the three single creates */
    assert_true(count_b > count_a);
    /* Whole UTC days: the day the first payout was made, and the day
    ** before it (empty). */
    long long day = payouts[0].created_ms / DAY_MS * DAY_MS;
    assert_report(BY_DAY, day, day + DAY_MS, NULL, NULL);
    assert_int_equal(assert_report(BY_DAY, day - DAY_MS, day, NULL, NULL), 0);
    /* A date without a time is midnight UTC. */
    char date[32];
    date_text(day, date, sizeof date);
    date[10] = '\0';
    char *path = pp_fmt("/api/reports/payouts?groupBy=currency&to=%s", date);
    struct pp_resp *r = pp_get(&srv, path, api_key);
    pp_assert_status(r, 200);
    char want_to[32];
    date_text(day, want_to, sizeof want_to);
    pp_assert_json_str(r->json, "to", want_to);
    assert_int_equal(json_array_size(json_object_get(r->json, "groups")), 0);
    pp_resp_free(r);
    free(path);
}

static void test_default_period(void **state)
{
    (void)state;
    struct pp_resp *r = pp_get(&srv, "/api/reports/payouts?groupBy=currency", admin_token);
    pp_assert_status(r, 200);
    const char *from = json_string_value(json_object_get(r->json, "from"));
    const char *to_text = json_string_value(json_object_get(r->json, "to"));
    assert_non_null(from);
    assert_non_null(to_text);
    char to[32];
    snprintf(to, sizeof to, "%s", to_text);
    long long from_ms = date_ms(from), to_ms = date_ms(to);
    /* The last 30 whole UTC days, today included. */
    assert_int_equal(to_ms % DAY_MS, 0);
    assert_int_equal(to_ms - from_ms, 30 * DAY_MS);
    long long now_ms = (long long)time(NULL) * 1000;
    assert_true(to_ms > now_ms - 60000 && to_ms <= now_ms + DAY_MS + 60000);
    pp_resp_free(r);
    assert_report(BY_CURRENCY, from_ms, to_ms, NULL, NULL);
    /* Only from: to is still the end of today. */
    char first[32];
    date_text(payouts[0].created_ms, first, sizeof first);
    char *path = pp_fmt("/api/reports/payouts?groupBy=project&from=%s", first);
    r = pp_get(&srv, path, api_key);
    pp_assert_status(r, 200);
    pp_assert_json_str(r->json, "to", to);
    struct group want[PAYOUTS_MAX];
    assert_int_equal(json_array_size(json_object_get(r->json, "groups")),
                     expect(BY_PROJECT, payouts[0].created_ms, to_ms, NULL, NULL, want));
    pp_resp_free(r);
    free(path);
}

static void test_bad_params(void **state)
{
    (void)state;
    static const char *const paths[] = {
        "/api/reports/payouts",
        "/api/reports/payouts?groupBy=",
        "/api/reports/payouts?groupBy=week",
        "/api/reports/payouts?groupBy=Project",
        "/api/reports/payouts?groupBy",
        "/api/reports/payouts?groupBy=day&groupBy=project",
        "/api/reports/payouts?groupBy=day&colour=red",
        "/api/reports/payouts?groupBy=day&from=yesterday",
        "/api/reports/payouts?groupBy=day&to=2031-02-30",
        "/api/reports/payouts?groupBy=day&from=2031-01-01&to=2031-01-01",
        "/api/reports/payouts?groupBy=day&from=2031-01-02&to=2031-01-01",
        "/api/reports/payouts?groupBy=day&currency=XXX",
        "/api/reports/payouts?groupBy=day&currency=gbp",
        "/api/reports/payouts?groupBy=day&status=PAID",
        "/api/reports/payouts?groupBy=day&status=ready",
    };
    pp_assert_get_errors(&srv, api_key, paths, sizeof paths / sizeof paths[0], 400,
                         "INVALID_PARAMS");
    pp_expect_error(pp_get(&srv, "/api/reports/payouts?groupBy=day", NULL), 401, "UNAUTHORIZED");
    struct pp_resp *r = pp_post(&srv, "/api/reports/payouts?groupBy=day", api_key, "{}");
    pp_assert_error(r, 405, "METHOD_NOT_ALLOWED");
    pp_assert_allow(r, "GET");
    pp_resp_free(r);
}

static const struct pp_session session = {
    .srv = &srv, .admin_token = &admin_token, .api_key = &api_key, .funds = funds};

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_known_set),    cmocka_unit_test(test_groups_match_payouts),
        cmocka_unit_test(test_report_equals_list), cmocka_unit_test(test_period_boundaries),
        cmocka_unit_test(test_default_period),     cmocka_unit_test(test_bad_params),
    };
    return pp_session_run("api.reports", tests, sizeof tests / sizeof tests[0], &session);
}
