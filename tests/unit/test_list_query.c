/*
** This module implements the unit tests of core/list_query (the list
** queries, with the keyset cursor of core/cursor): the defaults, the
** allowlist per list kind, a data-driven table of refused parameters (each
** with a word its message must contain), every filter parsed into the
** store filter (statuses, ids sorted and de-duplicated, amounts in the
** currency's decimals, dates in every accepted form), the cross checks of
** core_list_query_finish, the page offset ceiling, and the keyset cursor:
** round trip, and refusal when altered, signed with another key, or used
** with another list, order, direction or filter set. It also checks that
** the SQL of the pages binds every value (no filter value ever appears in
** the SQL text), and which index SQLite reads for each order and filter of
** the payouts' list (the plans, on the real schema).
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payout/core/list_query.h"
#include "payout/store/reads.h"
#include "store/sqlite/internal.h"
#include "support/store_fixture.h"

static const uint8_t key_a[PP_JWT_KEY_BYTES] = {1, 2, 3, 4, 5};
static const uint8_t key_b[PP_JWT_KEY_BYTES] = {9, 9, 9};

/* Builds a query from "k=v&k=v" (a key without '=' has a NULL value) and
** finishes it with key_a. Returns the status; err holds the message. */
static enum pp_status build(struct core_list_query *q, enum core_list_kind kind, const char *qs,
                            struct pp_err *err)
{
    static char buf[4096];
    char *save = NULL;
    pp_err_clear(err);
    core_list_query_init(q, kind);
    snprintf(buf, sizeof buf, "%s", qs);
    for (char *pair = strtok_r(buf, "&", &save); pair != NULL; pair = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(pair, '=');
        if (eq != NULL) {
            *eq = '\0';
        }
        if (core_list_query_param(q, pair, eq != NULL ? eq + 1 : NULL, err) != PP_OK) {
            return err->status;
        }
    }
    return core_list_query_finish(q, key_a, err);
}

static void test_defaults(void **state)
{
    (void)state;
    struct core_list_query q;
    struct pp_err err;
    assert_int_equal(build(&q, CORE_LIST_PAYOUTS, "", &err), PP_OK);
    assert_int_equal(q.page.order, PP_ORDER_ID);
    assert_int_equal(q.page.desc, 0);
    assert_int_equal(q.page.limit, PP_PAGE_SIZE_DEFAULT);
    assert_int_equal(q.page.offset, 0);
    assert_int_equal(q.page.keyset, 0);
    assert_int_equal(q.page.want_total, 1);
    assert_int_equal(q.page_number, 1);
    assert_int_equal(q.payouts.used, 0);
    assert_int_equal(build(&q, CORE_LIST_EXPORT, "", &err), PP_OK);
    assert_int_equal(q.page.limit, PP_EXPORT_CHUNK_ROWS);
    assert_int_equal(q.page.want_total, 0);
}

static const struct {
    enum core_list_kind kind;
    const char *qs;
    const char *word; /* the message must contain it */
} refused[] = {
    {CORE_LIST_PAYOUTS, "foo=1", "unknown query parameter 'foo'"},
    {CORE_LIST_PAYOUTS, "userName=x", "unknown query parameter 'userName'"},
    {CORE_LIST_PAYOUTS, "Status=READY", "unknown"},
    {CORE_LIST_PAYOUTS, "size=2&size=3", "more than once"},
    {CORE_LIST_PAYOUTS, "size", "needs a value"},
    {CORE_LIST_PAYOUTS, "size=", "needs a value"},
    {CORE_LIST_PAYOUTS, "size=0", "size must be"},
    {CORE_LIST_PAYOUTS, "size=101", "between 1 and 100"},
    {CORE_LIST_PAYOUTS, "size=-1", "size must be"},
    {CORE_LIST_PAYOUTS, "size=1e2", "size must be"},
    {CORE_LIST_PAYOUTS, "size=010", "size must be"},
    {CORE_LIST_PAYOUTS, "page=0", "page must be"},
    {CORE_LIST_PAYOUTS, "page=abc", "page must be"},
    {CORE_LIST_PAYOUTS, "page=99999999999999999999", "page must be"},
    {CORE_LIST_PAYOUTS, "page=4002", "nextCursor"},
    {CORE_LIST_PAYOUTS, "total=yes", "total must be true or false"},
    {CORE_LIST_PAYOUTS, "orderBy=name", "orderBy must be one of"},
    {CORE_LIST_PAYOUTS, "orderBy=ID", "orderBy must be one of"},
    {CORE_LIST_PAYOUTS, "dir=up", "dir must be asc or desc"},
    {CORE_LIST_PAYOUTS, "status=PAID", "status must be"},
    {CORE_LIST_PAYOUTS, "status=READY,", "status must be"},
    {CORE_LIST_PAYOUTS, "status=,READY", "status must be"},
    {CORE_LIST_PAYOUTS, "currency=gbp", "ISO 4217"},
    {CORE_LIST_PAYOUTS, "currency=XXX", "ISO 4217"},
    {CORE_LIST_PAYOUTS, "projectId=0", "projectId must be a positive integer"},
    {CORE_LIST_PAYOUTS, "recipientId=1.5", "recipientId must be a positive integer"},
    {CORE_LIST_PAYOUTS, "ids=1,x", "ids must be"},
    {CORE_LIST_PAYOUTS, "ids=1,,2", "ids must be"},
    {CORE_LIST_PAYOUTS, "ids=-1", "ids must be"},
    {CORE_LIST_PAYOUTS, "amountMin=1", "need currency"},
    {CORE_LIST_PAYOUTS, "currency=JPY&amountMin=1.5", "amountMin"},
    {CORE_LIST_PAYOUTS, "currency=GBP&amountMax=abc", "amountMax"},
    {CORE_LIST_PAYOUTS, "currency=GBP&amountMax=-1", "amountMax"},
    {CORE_LIST_PAYOUTS, "currency=GBP&amountMin=5&amountMax=4.99", "not be greater"},
    {CORE_LIST_PAYOUTS, "createdFrom=yesterday", "createdFrom"},
    {CORE_LIST_PAYOUTS, "startTo=2018-02-30", "startTo"},
    {CORE_LIST_PAYOUTS, "createdFrom=2018-02-01&createdTo=2018-01-01", "createdFrom must not"},
    {CORE_LIST_PAYOUTS, "endFrom=2018-02-01&endTo=2018-01-01", "endFrom must not"},
    {CORE_LIST_PAYOUTS, "cursor=abc", "cursor is not a valid cursor"},
    {CORE_LIST_EXPORT, "page=1", "unknown query parameter 'page'"},
    {CORE_LIST_EXPORT, "size=10", "unknown query parameter 'size'"},
    {CORE_LIST_EXPORT, "cursor=x", "unknown query parameter 'cursor'"},
    {CORE_LIST_RECIPIENTS, "status=READY", "unknown"},
    {CORE_LIST_RECIPIENTS, "orderBy=amount", "orderBy must be id"},
    {CORE_LIST_PROJECTS, "name=", "needs a value"},
    {CORE_LIST_PROJECTS, "currency=GBP", "unknown"},
    {CORE_LIST_LEDGER, "from=2019-01-01&to=2018-01-01", "from must not be after to"},
    {CORE_LIST_LEDGER, "payoutId=abc", "payoutId"},
    {CORE_LIST_LEDGER, "userName=a", "unknown"},
};

static void test_refused(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        struct core_list_query q;
        struct pp_err err;
        enum pp_status st = build(&q, refused[i].kind, refused[i].qs, &err);
        if (st != PP_INVALID_PARAMS || strstr(err.message, refused[i].word) == NULL) {
            fail_msg("'%s' (kind %d): status %d, message '%s', wanted '%s'", refused[i].qs,
                     (int)refused[i].kind, (int)st, err.message, refused[i].word);
        }
    }
}

static void test_ids_over_limit(void **state)
{
    (void)state;
    char qs[2048] = "ids=";
    for (int i = 1; i <= PP_READ_IDS_MAX + 1; i++) {
        snprintf(qs + strlen(qs), sizeof qs - strlen(qs), i == 1 ? "%d" : ",%d", i);
    }
    struct core_list_query q;
    struct pp_err err;
    assert_int_equal(build(&q, CORE_LIST_PAYOUTS, qs, &err), PP_INVALID_PARAMS);
    assert_non_null(strstr(err.message, "more than 100 ids"));
    /* Exactly the limit is fine. */
    *strrchr(qs, ',') = '\0';
    assert_int_equal(build(&q, CORE_LIST_PAYOUTS, qs, &err), PP_OK);
    assert_int_equal(q.payouts.ids_count, PP_READ_IDS_MAX);
}

static void test_filters_parsed(void **state)
{
    (void)state;
    struct core_list_query q;
    struct pp_err err;
    assert_int_equal(build(&q, CORE_LIST_PAYOUTS,
                           "status=ready,CANCELLED&currency=GBP&projectId=7&recipientId=9"
                           "&ids=5,3,5,1&amountMin=1.50&amountMax=2&createdFrom=2018-01-01"
                           "&createdTo=2018-01-01T12:00:00%2B02:00&startFrom=Mon, 01 Jan 2018 "
                           "12:00:00 +0100&startTo=2019-01-01 00:00:00&endFrom=2018-01-01"
                           "&endTo=2030-01-01&orderBy=amount&dir=desc&size=100&page=3"
                           "&total=false",
                           &err),
                     PP_INVALID_PARAMS);
    /* '%2B' is not decoded here (the HTTP layer does it): the date is refused. */
    assert_non_null(strstr(err.message, "createdTo"));
    assert_int_equal(build(&q, CORE_LIST_PAYOUTS,
                           "status=ready,CANCELLED&currency=GBP&projectId=7&recipientId=9"
                           "&ids=5,3,5,1&amountMin=1.50&amountMax=2&createdFrom=2018-01-01"
                           "&createdTo=2018-01-01T12:00:00+02:00&startFrom=Mon, 01 Jan 2018 "
                           "12:00:00 +0100&startTo=2019-01-01 00:00:00&endFrom=2018-01-01"
                           "&endTo=2030-01-01&orderBy=amount&dir=desc&size=100&page=3"
                           "&total=false",
                           &err),
                     PP_OK);
    const struct pp_payout_filter *f = &q.payouts;
    assert_int_equal(f->used, PP_PF_ALL);
    assert_int_equal(f->status_mask, (1u << PP_PAYOUT_READY) | (1u << PP_PAYOUT_CANCELLED));
    assert_string_equal(f->currency, "GBP");
    assert_int_equal(f->project_id, 7);
    assert_int_equal(f->recipient_id, 9);
    assert_int_equal(f->ids_count, 3);
    assert_int_equal(f->ids[0], 1);
    assert_int_equal(f->ids[1], 3);
    assert_int_equal(f->ids[2], 5);
    assert_int_equal(f->amount_min, 150);
    assert_int_equal(f->amount_max, 200);
    assert_int_equal(f->created_from, 1514764800000LL);
    assert_int_equal(f->created_to, 1514764800000LL + 10LL * 3600 * 1000);
    assert_int_equal(f->start_from, 1514764800000LL + 11LL * 3600 * 1000);
    assert_int_equal(f->start_to, 1546300800000LL);
    assert_int_equal(q.page.order, PP_ORDER_AMOUNT);
    assert_int_equal(q.page.desc, 1);
    assert_int_equal(q.page.limit, 100);
    assert_int_equal(q.page.offset, 200);
    assert_int_equal(q.page.want_total, 0);
    assert_int_equal(q.page_number, 3);
}

static void test_other_lists_parsed(void **state)
{
    (void)state;
    struct core_list_query q;
    struct pp_err err;
    assert_int_equal(build(&q, CORE_LIST_RECIPIENTS,
                           "userName=ann&phoneNumber=+44 1&referenceId=42&dir=desc", &err),
                     PP_OK);
    assert_int_equal(q.recipients.used, PP_RF_USER_NAME | PP_RF_PHONE_NUMBER | PP_RF_REFERENCE_ID);
    assert_string_equal(q.recipients.phone_number, "+44 1");
    assert_int_equal(build(&q, CORE_LIST_PROJECTS, "name=Big, project&orderBy=id", &err), PP_OK);
    assert_int_equal(q.projects.has_name, 1);
    assert_string_equal(q.projects.name, "Big, project");
    assert_int_equal(
        build(&q, CORE_LIST_LEDGER, "currency=BHD&from=2018-01-01&to=2018-01-02&payoutId=4", &err),
        PP_OK);
    assert_int_equal(q.ledger.used, PP_LF_CURRENCY | PP_LF_FROM | PP_LF_TO | PP_LF_PAYOUT);
    assert_int_equal(q.ledger.payout_id, 4);
    assert_int_equal(q.ledger.to_ms - q.ledger.from_ms, 86400000LL);
}

static void test_page_offset_ceiling(void **state)
{
    (void)state;
    struct core_list_query q;
    struct pp_err err;
    /* 4001 pages of 25 skip exactly PP_PAGE_OFFSET_MAX rows. */
    assert_int_equal(build(&q, CORE_LIST_PAYOUTS, "page=4001&size=25", &err), PP_OK);
    assert_int_equal(q.page.offset, PP_PAGE_OFFSET_MAX);
    assert_int_equal(build(&q, CORE_LIST_PAYOUTS, "page=4002&size=25", &err), PP_INVALID_PARAMS);
    assert_int_equal(build(&q, CORE_LIST_PAYOUTS, "page=1001&size=100", &err), PP_OK);
    assert_int_equal(build(&q, CORE_LIST_PAYOUTS, "page=1002&size=100", &err), PP_INVALID_PARAMS);
}

/* Makes the cursor after (value, id) of the list "qs". */
static void cursor_of(enum core_list_kind kind, const char *qs, int64_t value, int64_t id,
                      const uint8_t *key, char *out)
{
    struct core_list_query q;
    struct pp_err err;
    assert_int_equal(build(&q, kind, qs, &err), PP_OK);
    core_list_cursor_encode(&q, key, value, id, out, PP_CURSOR_TEXT_BYTES);
}

static void test_cursor_round_trip(void **state)
{
    (void)state;
    char cur[PP_CURSOR_TEXT_BYTES];
    char qs[512];
    struct core_list_query q;
    struct pp_err err;
    const char *base = "status=READY&currency=GBP&orderBy=createdAt&dir=desc";
    cursor_of(CORE_LIST_PAYOUTS, base, -5, 123456789012LL, key_a, cur);
    assert_true(strlen(cur) < PP_CURSOR_TEXT_BYTES);
    for (const char *p = cur; *p != '\0'; p++) {
        assert_non_null(
            strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", *p));
    }
    /* Same filters in another order and another size: accepted. */
    snprintf(qs, sizeof qs,
             "dir=desc&orderBy=createdAt&currency=GBP&status=READY&size=7"
             "&cursor=%s",
             cur);
    assert_int_equal(build(&q, CORE_LIST_PAYOUTS, qs, &err), PP_OK);
    assert_int_equal(q.page.keyset, 1);
    assert_int_equal(q.page.after_value, -5);
    assert_int_equal(q.page.after_id, 123456789012LL);
    assert_int_equal(q.page.offset, 0);
    assert_int_equal(q.page.limit, 7);
    assert_int_equal(q.page_number, 2);
    /* The next cursor counts pages on. */
    char next[PP_CURSOR_TEXT_BYTES];
    core_list_cursor_encode(&q, key_a, 1, 2, next, sizeof next);
    snprintf(qs, sizeof qs, "%s&cursor=%s", base, next);
    assert_int_equal(build(&q, CORE_LIST_PAYOUTS, qs, &err), PP_OK);
    assert_int_equal(q.page_number, 3);
    /* The export shares the payout filters but not the cursor. */
    cursor_of(CORE_LIST_LEDGER, "currency=GBP", 9, 9, key_a, cur);
    snprintf(qs, sizeof qs, "currency=GBP&cursor=%s", cur);
    assert_int_equal(build(&q, CORE_LIST_LEDGER, qs, &err), PP_OK);
    assert_int_equal(build(&q, CORE_LIST_PAYOUTS, qs, &err), PP_INVALID_PARAMS);
    assert_non_null(strstr(err.message, "another list"));
}

static void test_cursor_refused(void **state)
{
    (void)state;
    char cur[PP_CURSOR_TEXT_BYTES];
    char qs[512];
    struct core_list_query q;
    struct pp_err err;
    const char *base = "status=READY&orderBy=amount";
    cursor_of(CORE_LIST_PAYOUTS, base, 100, 7, key_a, cur);
    static const struct {
        const char *params;
        const char *word;
    } mismatch[] = {
        {"status=READY", "another orderBy"},
        {"status=READY&orderBy=amount&dir=desc", "another orderBy"},
        {"status=CANCELLED&orderBy=amount", "other filters"},
        {"status=READY&orderBy=amount&currency=GBP", "other filters"},
        {"orderBy=amount", "other filters"},
        {"status=READY&orderBy=amount&page=2", "page and cursor"},
    };
    for (size_t i = 0; i < sizeof mismatch / sizeof mismatch[0]; i++) {
        snprintf(qs, sizeof qs, "%s&cursor=%s", mismatch[i].params, cur);
        assert_int_equal(build(&q, CORE_LIST_PAYOUTS, qs, &err), PP_INVALID_PARAMS);
        if (strstr(err.message, mismatch[i].word) == NULL) {
            fail_msg("%s: '%s'", mismatch[i].params, err.message);
        }
    }
    /* Every single-character change is caught. */
    size_t len = strlen(cur);
    for (size_t i = 0; i < len; i++) {
        char bad[PP_CURSOR_TEXT_BYTES];
        memcpy(bad, cur, len + 1);
        bad[i] = bad[i] == 'A' ? 'B' : 'A';
        snprintf(qs, sizeof qs, "%s&cursor=%s", base, bad);
        assert_int_equal(build(&q, CORE_LIST_PAYOUTS, qs, &err), PP_INVALID_PARAMS);
        assert_non_null(strstr(err.message, "not a valid cursor"));
    }
    /* Cut, extended, padded, or signed with another key. */
    const char *variants[] = {"%.20s", "%sA", "%s=", "%.53s+"};
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        char bad[PP_CURSOR_TEXT_BYTES + 8];
        snprintf(bad, sizeof bad, variants[i], cur);
        snprintf(qs, sizeof qs, "%s&cursor=%s", base, bad);
        assert_int_equal(build(&q, CORE_LIST_PAYOUTS, qs, &err), PP_INVALID_PARAMS);
    }
    cursor_of(CORE_LIST_PAYOUTS, base, 100, 7, key_b, cur);
    snprintf(qs, sizeof qs, "%s&cursor=%s", base, cur);
    assert_int_equal(build(&q, CORE_LIST_PAYOUTS, qs, &err), PP_INVALID_PARAMS);
}

/* No value of a filter ever reaches the SQL text: only '?N' parameters. */
static void test_sql_binds_values(void **state)
{
    (void)state;
    struct core_list_query q;
    struct pp_err err;
    assert_int_equal(build(&q, CORE_LIST_PAYOUTS,
                           "status=READY,EXPIRED&currency=GBP&projectId=777777&ids=888888"
                           "&recipientId=999999&orderBy=endDate&amountMin=123456&currency2=x",
                           &err),
                     PP_INVALID_PARAMS);
    assert_int_equal(build(&q, CORE_LIST_PAYOUTS,
                           "status=READY,EXPIRED&currency=GBP&projectId=777777&ids=888888"
                           "&recipientId=999999&orderBy=endDate&amountMin=123456",
                           &err),
                     PP_OK);
    q.page.keyset = 1;
    q.page.offset = 0;
    q.page.after_value = 555555;
    q.page.after_id = 444444;
    for (int part = 0; part < 3; part++) {
        char sql[8192];
        store_sqlite_payouts_page_sql(&q.payouts, &q.page, part, sql, sizeof sql);
        assert_null(strstr(sql, "GBP"));
        assert_null(strstr(sql, "777777"));
        assert_null(strstr(sql, "888888"));
        assert_null(strstr(sql, "999999"));
        assert_null(strstr(sql, "12345600"));
        assert_null(strstr(sql, "555555"));
        assert_null(strstr(sql, "444444"));
        assert_non_null(strstr(sql, "?"));
    }
}

/* One page's plan on the real schema: the SQL of part for query qs (a
** keyset page after row 10 of value 5 when keyset). */
static void payout_plan(const char *path, const char *qs, int keyset, int part, char *plan,
                        size_t plan_size)
{
    struct core_list_query q;
    struct pp_err err;
    assert_int_equal(build(&q, CORE_LIST_PAYOUTS, qs, &err), PP_OK);
    if (keyset) {
        q.page.keyset = 1;
        q.page.offset = 0;
        q.page.after_value = 5;
        q.page.after_id = 10;
    }
    char sql[8192];
    store_sqlite_payouts_page_sql(&q.payouts, &q.page, part, sql, sizeof sql);
    raw_plan(path, sql, plan, plan_size);
}

/* Which index serves which read of the payouts' list: every order, both
** ways, reads its own index in its order (never a sort of the matching
** rows, which would make a deep page cost the whole list), and every
** selective filter reads its index. This is what keeps each of the
** payouts' indexes. */
static void test_payout_plans(void **state)
{
    struct fx *fx = *state;
    static const struct {
        const char *qs;
        const char *index;
    } orders[] = {
        {"orderBy=createdAt", "payouts_created"}, {"orderBy=updatedAt", "payouts_updated"},
        {"orderBy=amount", "payouts_amount"},     {"orderBy=startDate", "payouts_start"},
        {"orderBy=endDate", "payouts_end"},       {"orderBy=status", "payouts_status"},
    };
    char plan[2048];
    char qs[128];
    for (size_t i = 0; i < sizeof orders / sizeof orders[0]; i++) {
        for (int desc = 0; desc <= 1; desc++) {
            snprintf(qs, sizeof qs, "%s&dir=%s", orders[i].qs, desc ? "desc" : "asc");
            /* The first page, and the rest of a keyset page (after its ties). */
            for (int keyset = 0; keyset <= 1; keyset++) {
                payout_plan(fx->path, qs, keyset, keyset ? 1 : 0, plan, sizeof plan);
                if (strstr(plan, orders[i].index) == NULL || strstr(plan, "TEMP B-TREE") != NULL) {
                    fail_msg("%s (keyset %d): plan %s", qs, keyset, plan);
                }
            }
        }
    }
    static const struct {
        const char *qs;
        const char *index;
    } filters[] = {
        {"recipientId=5", "payouts_recipient"},
        {"projectId=5", "payouts_project"},
        {"status=READY", "payouts_status"},
        /* The currency is checked row by row on the status's index:
        ** reading payouts_currency instead measured no faster. */
        {"currency=EUR&status=READY", "payouts_status"},
        {"orderBy=id", "INTEGER PRIMARY KEY"},
    };
    for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++) {
        payout_plan(fx->path, filters[i].qs, 1, 0, plan, sizeof plan);
        if (strstr(plan, filters[i].index) == NULL || strstr(plan, "TEMP B-TREE") != NULL) {
            fail_msg("%s: plan %s", filters[i].qs, plan);
        }
    }
    /* The total of a list filtered by currency counts payouts_currency
    ** alone (a covering index: no payout row read). */
    payout_plan(fx->path, "currency=EUR&status=READY", 0, 2, plan, sizeof plan);
    if (strstr(plan, "COVERING INDEX payouts_currency (currency=? AND status=?)") == NULL) {
        fail_msg("the total by currency and status: plan %s", plan);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_ids_over_limit),
        cmocka_unit_test(test_filters_parsed),
        cmocka_unit_test(test_other_lists_parsed),
        cmocka_unit_test(test_page_offset_ceiling),
        cmocka_unit_test(test_cursor_round_trip),
        cmocka_unit_test(test_cursor_refused),
        cmocka_unit_test(test_sql_binds_values),
        cmocka_unit_test_setup_teardown(test_payout_plans, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
