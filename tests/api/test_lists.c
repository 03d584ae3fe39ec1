/*
** This module tests bulk lists through the real server: POST
** /api/payment/create-list and POST /api/payment/import (CSV).
**
** What it proves: a good list creates every payout in request order with
** its own id and uniqueId and moves the balances exactly; a list with bad
** rows answers every bad row with its index (0-based for JSON, 1-based data
** row plus line for CSV) and reason, whether found before the transaction
** (types, currency, dates, unknown fields) or inside it (recipient
** conflicts, funds), and leaves nothing at all behind: not a payout, not a
** project, not a recipient, not a ledger row (the balances are unchanged,
** the next ids are the ones before the list, `check` passes). This holds
** for 10,000-row lists (JSON and CSV) whose last row is bad. Funds: a list
** that overspends names the first row that no longer fits and every later
** row of that currency; a list that uses the balance exactly succeeds.
** CSV: quotes, BOM, CRLF, embedded newlines and commas, header errors,
** syntax errors, content type. Concurrency: lists and single creates in
** parallel against a limited balance never overspend.
**
** Worker threads never assert (cmocka's failures longjmp); they record the
** responses and the main thread checks them.
*/
#include "harness.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct pp_server srv;
static char *admin_token;
static char *api_key;

#define START "2031-01-01T00:00:00Z"
#define END "2031-06-01T00:00:00Z"
#define BIG_ROWS 10000

/* CHF pays for the probes (see probe()); the tests fund the rest. */
static const char *const funds[] = {"CHF", "1000", NULL};
/* --- Helpers ------------------------------------------------------------------ */

/* A growable text (open_memstream). */
struct text {
    FILE *f;
    char *data;
    size_t len;
};

static void text_open(struct text *t)
{
    t->data = NULL;
    t->len = 0;
    t->f = open_memstream(&t->data, &t->len);
    assert_non_null(t->f);
}

/* Closes the stream; t->data stays (free()). */
static void text_close(struct text *t)
{
    assert_int_equal(fclose(t->f), 0);
    t->f = NULL;
}

/* One JSON row: amount as raw number text, extra (may be "") spliced in
** before the closing brace, e.g. ",\"phoneNumber\":\"1\"". */
static void json_row(struct text *t, int first, const char *amount, const char *currency,
                     const char *project, const char *user, const char *extra)
{
    fprintf(t->f,
            "%s{\"amount\":%s,\"currency\":\"%s\",\"startDate\":\"" START "\",\"endDate\":\"" END
            "\",\"name\":\"%s\",\"description\":\"list row\",\"userName\":\"%s\","
            "\"notification\":false%s}",
            first ? "" : ",", amount, currency, project, user, extra);
}

static struct pp_resp *post_list(const char *token, const char *body)
{
    return pp_post(&srv, "/api/payment/create-list", token, body);
}

static struct pp_resp *post_csv(const char *token, const char *content_type, const char *body,
                                size_t len)
{
    struct pp_req req = {.method = "POST",
                         .path = "/api/payment/import",
                         .token = token,
                         .content_type = content_type,
                         .body = body,
                         .body_len = len};
    return pp_call(&srv, &req);
}

/* A row error the answer must hold. line 0: no "line" expected. */
struct row_error {
    long long index;
    const char *type;
    long long line;
};

/* Asserts the list-refusal envelope: HTTP status, error.type, a message
** containing summary, and exactly the expected row errors in order. */
static void assert_row_errors(const struct pp_resp *r, long status, const char *type,
                              const char *summary, const struct row_error *want, size_t n)
{
    if (r->status != status) {
        fail_msg("%s: expected HTTP %ld, got %ld: %.1500s", r->what, status, r->status, r->body);
    }
    const json_t *error = json_object_get(r->json, "error");
    const json_t *errors = json_object_get(r->json, "errors");
    assert_true(json_is_object(r->json) && json_object_size(r->json) == 2);
    pp_assert_json_str(error, "type", type);
    const char *message = json_string_value(json_object_get(error, "message"));
    assert_non_null(message);
    if (summary != NULL && strstr(message, summary) == NULL) {
        fail_msg("%s: message \"%s\" lacks \"%s\"", r->what, message, summary);
    }
    if (!json_is_array(errors) || json_array_size(errors) != n) {
        fail_msg("%s: expected %zu row errors: %.1500s", r->what, n, r->body);
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(errors, i);
        if (pp_json_int(e, "index") != want[i].index) {
            fail_msg("%s: errors[%zu].index is %lld, want %lld: %.1500s", r->what, i,
                     pp_json_int(e, "index"), want[i].index, r->body);
        }
        pp_assert_json_str(e, "type", want[i].type);
        const char *m = json_string_value(json_object_get(e, "message"));
        assert_true(m != NULL && m[0] != '\0');
        if (want[i].line > 0) {
            assert_int_equal(pp_json_int(e, "line"), want[i].line);
        } else {
            assert_null(json_object_get(e, "line"));
        }
    }
}

/* What the next create gets: a probe payout (CHF 0.01, fresh project and
** recipient). Rows rolled back leave no ids behind, so two probes around
** a refused list must get consecutive ids of every kind. */
struct probe {
    long long id, project, recipient;
};

static struct probe probe(void)
{
    static int n;
    char *body = pp_fmt("{\"amount\":0.01,\"currency\":\"CHF\",\"startDate\":\"" START
                        "\",\"endDate\":\"" END "\",\"name\":\"probe-project-%d\","
                        "\"description\":\"probe\",\"userName\":\"probe-user-%d\","
                        "\"notification\":false}",
                        n, n);
    n++;
    struct pp_resp *r = pp_post(&srv, "/api/payment/create", api_key, body);
    pp_assert_status(r, 200);
    const json_t *p = json_array_get(json_object_get(r->json, "payments"), 0);
    struct probe out = {pp_json_int(p, "id"), pp_json_int(p, "projectId"),
                        pp_json_int(p, "recipientId")};
    pp_resp_free(r);
    free(body);
    return out;
}

static char *balances_text(void)
{
    struct pp_resp *b = pp_balances(&srv, api_key);
    char *copy = strdup(b->body);
    pp_resp_free(b);
    return copy;
}

/* Around a refused list: the state before it. */
struct before {
    struct probe probe;
    char *balances;
};

static struct before before_refusal(void)
{
    struct before b;
    b.probe = probe();
    b.balances = balances_text();
    return b;
}

/* Asserts that nothing at all was written since b. */
static void assert_nothing_written(struct before *b, const char *what)
{
    char *now = balances_text();
    if (strcmp(now, b->balances) != 0) {
        fail_msg("%s moved money: before %s, after %s", what, b->balances, now);
    }
    char *path = pp_fmt("/api/payments/%lld", b->probe.id + 1);
    pp_expect_error(pp_get(&srv, path, api_key), 404, "NOT_FOUND");
    struct probe after = probe();
    if (after.id != b->probe.id + 1 || after.project != b->probe.project + 1 ||
        after.recipient != b->probe.recipient + 1) {
        fail_msg("%s left rows behind: probe ids went from %lld/%lld/%lld to %lld/%lld/%lld", what,
                 b->probe.id, b->probe.project, b->probe.recipient, after.id, after.project,
                 after.recipient);
    }
    free(path);
    free(now);
    free(b->balances);
    pp_assert_check(srv.db_path, what);
}

/* --- JSON lists ----------------------------------------------------------------- */

/* Asserts row i of a created list's answer r: a READY payout of amount
** and currency with a uniqueId of its own, which GET answers the same.
** Returns its id. */
static long long assert_list_row(const struct pp_resp *r, size_t i, const char *amount,
                                 const char *currency)
{
    const json_t *list = json_object_get(r->json, "payments");
    char path[32];
    snprintf(path, sizeof path, "payments[%zu]", i);
    const json_t *p = json_array_get(list, i);
    struct pp_payment_want w = {.amount = amount,
                                .currency = currency,
                                .start_date = "2031-01-01T00:00:00.000Z",
                                .end_date = "2031-06-01T00:00:00.000Z",
                                .description = "list row",
                                .notification = 0,
                                .status = "READY"};
    pp_assert_payment(r, path, p, &w);
    long long id = pp_json_int(p, "id");
    const char *uuid = json_string_value(json_object_get(p, "uniqueId"));
    assert_true(uuid != NULL && strlen(uuid) == 36);
    for (size_t k = 0; k < i; k++) {
        assert_string_not_equal(
            uuid, json_string_value(json_object_get(json_array_get(list, k), "uniqueId")));
    }
    /* What GET answers is what the list answered. */
    struct pp_resp *g = pp_payout_get(&srv, api_key, id);
    pp_assert_payment(g, "", g->json, &w);
    pp_assert_json_str(g->json, "uniqueId", uuid);
    pp_resp_free(g);
    return id;
}

static void test_create_list_success(void **state)
{
    (void)state;
    pp_fund(&srv, admin_token, "GBP", "10");
    pp_fund(&srv, admin_token, "JPY", "1000");
    pp_fund(&srv, admin_token, "BHD", "2");
    struct text t;
    text_open(&t);
    fputs("{\"payments\":[", t.f);
    json_row(&t, 1, "1.5", "GBP", "L-A", "list-u1", "");
    json_row(&t, 0, "700", "JPY", "L-B", "list-u2", ",\"firstName\":\"Ann\"");
    json_row(&t, 0, "0.1", "GBP", "L-A", "list-u1", "");
    json_row(&t, 0, "1.234", "BHD", "L-C", "list-u3", ",\"referenceId\":42");
    fputs("]}", t.f);
    text_close(&t);
    struct pp_resp *r = post_list(api_key, t.data);
    pp_assert_status(r, 200);
    const json_t *list = json_object_get(r->json, "payments");
    assert_int_equal(json_array_size(list), 4);
    static const struct {
        const char *amount, *currency;
    } want[] = {{"1.5", "GBP"}, {"700", "JPY"}, {"0.1", "GBP"}, {"1.234", "BHD"}};
    long long first_id = 0;
    for (size_t i = 0; i < 4; i++) {
        long long id = assert_list_row(r, i, want[i].amount, want[i].currency);
        first_id = i == 0 ? id : first_id;
        assert_int_equal(id, first_id + (long long)i); /* in request order */
    }
    const json_t *p0 = json_array_get(list, 0), *p2 = json_array_get(list, 2);
    assert_int_equal(pp_json_int(p0, "recipientId"), pp_json_int(p2, "recipientId"));
    assert_int_equal(pp_json_int(p0, "projectId"), pp_json_int(p2, "projectId"));
    assert_int_not_equal(pp_json_int(p0, "projectId"),
                         pp_json_int(json_array_get(list, 1), "projectId"));
    pp_resp_free(r);
    free(t.data);
    struct pp_resp *b = pp_balances(&srv, api_key);
    pp_assert_balance(b, "GBP", "8.4", "1.6", "0");
    pp_assert_balance(b, "JPY", "300", "700", "0");
    pp_assert_balance(b, "BHD", "0.766", "1.234", "0");
    pp_resp_free(b);
    /* An admin token may send lists too. */
    text_open(&t);
    fputs("{\"payments\":[", t.f);
    json_row(&t, 1, "0.4", "GBP", "L-A", "list-u4", "");
    fputs("]}", t.f);
    text_close(&t);
    r = post_list(admin_token, t.data);
    pp_assert_status(r, 200);
    pp_resp_free(r);
    free(t.data);
    pp_assert_check(srv.db_path, "after a list");
}

/* A created list's payouts end with their notifications (read at once
** after the commit): each item is its payout's GET, the "ready" e-mail
** only where notification is on and the recipient has an e-mail. */
static void test_create_list_notifications(void **state)
{
    (void)state;
    static const char *const extra[] = {
        "\"userName\":\"list-told\",\"email\":\"told@example.test\",\"notification\":true",
        "\"userName\":\"list-no-email\",\"notification\":true",
        "\"userName\":\"list-quiet\",\"email\":\"quiet@example.test\",\"notification\":false",
    };
    pp_fund(&srv, admin_token, "GBP", "1");
    struct text t;
    text_open(&t);
    fputs("{\"payments\":[", t.f);
    for (size_t i = 0; i < 3; i++) {
        fprintf(t.f,
                "%s{\"amount\":0.1,\"currency\":\"GBP\",\"startDate\":\"" START
                "\",\"endDate\":\"" END "\",\"name\":\"L-N\",\"description\":\"list row\",%s}",
                i == 0 ? "" : ",", extra[i]);
    }
    fputs("]}", t.f);
    text_close(&t);
    struct pp_resp *r = post_list(api_key, t.data);
    pp_assert_status(r, 200);
    const json_t *list = json_object_get(r->json, "payments");
    assert_int_equal(json_array_size(list), 3);
    for (size_t i = 0; i < 3; i++) {
        const json_t *item = json_array_get(list, i);
        const json_t *notes = json_object_get(item, "notifications");
        assert_int_equal(json_array_size(notes), i == 0 ? 1 : 0);
        if (i == 0) {
            pp_assert_json_str(json_array_get(notes, 0), "kind", "ready");
            pp_assert_json_str(json_array_get(notes, 0), "status", "skipped");
        }
        struct pp_resp *one = pp_payout_get(&srv, api_key, pp_json_int(item, "id"));
        pp_assert_status(one, 200);
        if (!json_equal(one->json, item)) {
            fail_msg("created row %zu and its GET differ:\n%s\n%s", i, r->body, one->body);
        }
        pp_resp_free(one);
    }
    pp_resp_free(r);
    free(t.data);
}

static void test_list_body_errors(void **state)
{
    (void)state;
    static const char *const bodies[] = {
        "{}",
        "{\"payments\":[]}",
        "{\"payments\":{}}",
        "{\"payments\":null}",
        "{\"payments\":\"x\"}",
        "{\"payments\":[{}],\"extra\":1}",
        "[]",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        struct pp_resp *r = post_list(api_key, bodies[i]);
        pp_assert_error(r, 400, "INVALID_PARAMS");
        pp_resp_free(r);
    }
    struct pp_resp *r = post_list(NULL, "{\"payments\":[{}]}");
    pp_assert_error(r, 401, "UNAUTHORIZED");
    pp_resp_free(r);
    /* One row more than a list may hold: refused as a whole. */
    struct text t;
    text_open(&t);
    fputs("{\"payments\":[", t.f);
    for (int i = 0; i <= BIG_ROWS; i++) {
        fputs(i ? ",{}" : "{}", t.f);
    }
    fputs("]}", t.f);
    text_close(&t);
    r = post_list(api_key, t.data);
    pp_assert_error(r, 400, "INVALID_PARAMS");
    assert_non_null(strstr(r->body, "10000"));
    pp_resp_free(r);
    free(t.data);
}

static void test_list_bad_rows_all_reported(void **state)
{
    (void)state;
    json_decref(pp_deposit(&srv, admin_token, "GBP", "100"));
    /* Two recipients, to be named together by one row (a conflict only the
    ** transaction can see). */
    struct text t;
    text_open(&t);
    fputs("{\"payments\":[", t.f);
    json_row(&t, 1, "1", "GBP", "conflicts", "conf-a", "");
    json_row(&t, 0, "1", "GBP", "conflicts", "conf-b", ",\"phoneNumber\":\"+4400100\"");
    fputs("]}", t.f);
    text_close(&t);
    struct pp_resp *r = post_list(api_key, t.data);
    pp_assert_status(r, 200);
    pp_resp_free(r);
    free(t.data);

    struct before b = before_refusal();
    text_open(&t);
    fputs("{\"payments\":[", t.f);
    json_row(&t, 1, "1", "GBP", "bad-rows-new-project", "bad-rows-u0", ""); /* 0 good */
    json_row(&t, 0, "1", "XXX", "bad-rows", "bad-rows-u1", "");             /* 1 currency */
    json_row(&t, 0, "2", "GBP", "bad-rows-new-project", "bad-rows-u2", ""); /* 2 good */
    fputs(",{\"amount\":1,\"currency\":\"GBP\",\"startDate\":\"" END "\",\"endDate\":\"" START
          "\",\"name\":\"p\",\"description\":\"d\",\"userName\":\"u\",\"notification\":true}",
          t.f);                                                             /* 3 window */
    json_row(&t, 0, "1", "GBP", "bad-rows", "bad-rows-u4", ",\"bogus\":1"); /* 4 unknown */
    fputs(",7", t.f);                                                       /* 5 not an object */
    json_row(&t, 0, "1", "GBP", "bad-rows", "conf-a", ",\"phoneNumber\":\"+4400100\""); /* 6 */
    json_row(&t, 0, "\"1\"", "GBP", "bad-rows", "bad-rows-u7", "");         /* 7 string amount */
    json_row(&t, 0, "3", "GBP", "bad-rows-new-project", "bad-rows-u8", ""); /* 8 good */
    json_row(&t, 0, "1.001", "GBP", "bad-rows", "bad-rows-u9", "");         /* 9 decimals */
    fputs("]}", t.f);
    text_close(&t);
    r = post_list(api_key, t.data);
    static const struct row_error want[] = {
        {1, "INVALID_PARAMS", 0}, {3, "INVALID_PARAMS", 0}, {4, "INVALID_PARAMS", 0},
        {5, "INVALID_PARAMS", 0}, {6, "INVALID_PARAMS", 0}, {7, "INVALID_PARAMS", 0},
        {9, "INVALID_PARAMS", 0},
    };
    assert_row_errors(r, 400, "INVALID_PARAMS", "7 of 10 rows are invalid", want,
                      sizeof want / sizeof want[0]);
    assert_non_null(strstr(r->body, "endDate must be after startDate"));
    assert_non_null(strstr(r->body, "unknown field 'bogus'"));
    pp_resp_free(r);
    free(t.data);
    assert_nothing_written(&b, "a list with bad rows");
}

/* 10,000 rows, the last one invalid: 400 naming index 9999, nothing left
** (the 9,999 good rows are written in the transaction and rolled back). */
static void test_big_json_list_last_row_bad(void **state)
{
    (void)state;
    json_decref(pp_deposit(&srv, admin_token, "SEK", "100"));
    struct before b = before_refusal();
    struct text t;
    text_open(&t);
    fputs("{\"payments\":[", t.f);
    for (int i = 0; i < BIG_ROWS; i++) {
        char user[32], project[32];
        snprintf(user, sizeof user, "big-json-u%d", i);
        snprintf(project, sizeof project, "big-json-p%d", i % 50);
        json_row(&t, i == 0, "0.01", i == BIG_ROWS - 1 ? "SEX" : "SEK", project, user, "");
    }
    fputs("]}", t.f);
    text_close(&t);
    long long t0 = pp_now_ms();
    struct pp_resp *r = post_list(api_key, t.data);
    long long ms = pp_now_ms() - t0;
    static const struct row_error want[] = {{BIG_ROWS - 1, "INVALID_PARAMS", 0}};
    assert_row_errors(r, 400, "INVALID_PARAMS", "1 of 10000 rows are invalid", want, 1);
    print_message("10,000-row JSON list refused on its last row in %lld ms\n", ms);
    pp_resp_free(r);
    free(t.data);
    assert_nothing_written(&b, "a 10,000-row list with a bad last row");
}

/* A list sent twice with one Idempotency-Key is created once; the second
** answer is the first, byte for byte. */
static void test_list_idempotent_replay(void **state)
{
    (void)state;
    json_decref(pp_deposit(&srv, admin_token, "PLN", "10"));
    struct text t;
    text_open(&t);
    fputs("{\"payments\":[", t.f);
    json_row(&t, 1, "1", "PLN", "replay", "replay-u0", "");
    json_row(&t, 0, "2", "PLN", "replay", "replay-u1", "");
    fputs("]}", t.f);
    text_close(&t);
    static const char *const headers[] = {"Idempotency-Key: list-replay-1", NULL};
    struct pp_resp *first =
        pp_post_with(&srv, "/api/payment/create-list", api_key, headers, t.data);
    pp_assert_status(first, 200);
    struct pp_resp *again =
        pp_post_with(&srv, "/api/payment/create-list", api_key, headers, t.data);
    pp_assert_status(again, 200);
    assert_int_equal(first->body_len, again->body_len);
    assert_memory_equal(first->body, again->body, first->body_len);
    pp_resp_free(first);
    pp_resp_free(again);
    free(t.data);
    pp_assert_balance_now(&srv, api_key, "PLN", "7", "3", "0");
}

/* --- Funds ---------------------------------------------------------------------- */

static void test_overspending_list(void **state)
{
    (void)state;
    json_decref(pp_deposit(&srv, admin_token, "EUR", "10"));
    struct before b = before_refusal();
    struct text t;
    text_open(&t);
    fputs("{\"payments\":[", t.f);
    json_row(&t, 1, "4", "EUR", "spend", "spend-u0", "");   /* 0 fits: 6 left */
    json_row(&t, 0, "4", "EUR", "spend", "spend-u1", "");   /* 1 fits: 2 left */
    json_row(&t, 0, "1", "GBP", "spend", "spend-u2", "");   /* 2 other currency */
    json_row(&t, 0, "3", "EUR", "spend", "spend-u3", "");   /* 3 first that does not fit */
    json_row(&t, 0, "1", "EUR", "spend", "spend-u4", "");   /* 4 would fit alone */
    json_row(&t, 0, "1", "GBP", "spend", "spend-u5", "");   /* 5 other currency */
    json_row(&t, 0, "0.5", "EUR", "spend", "spend-u6", ""); /* 6 after the first */
    fputs("]}", t.f);
    text_close(&t);
    struct pp_resp *r = post_list(api_key, t.data);
    static const struct row_error want[] = {
        {3, "INSUFFICIENT_FUNDS", 0}, {4, "INSUFFICIENT_FUNDS", 0}, {6, "INSUFFICIENT_FUNDS", 0}};
    assert_row_errors(r, 422, "INSUFFICIENT_FUNDS", "3 of 7 rows", want, 3);
    pp_resp_free(r);
    free(t.data);
    assert_nothing_written(&b, "an overspending list");

    /* Funds refusals and invalid rows together: 400, each row its type. */
    b = before_refusal();
    text_open(&t);
    fputs("{\"payments\":[", t.f);
    json_row(&t, 1, "11", "EUR", "spend", "spend-u0", ""); /* over the balance */
    json_row(&t, 0, "1", "EUR", "spend", "", "");          /* no identifier */
    fputs("]}", t.f);
    text_close(&t);
    r = post_list(api_key, t.data);
    static const struct row_error mixed[] = {{0, "INSUFFICIENT_FUNDS", 0},
                                             {1, "INVALID_PARAMS", 0}};
    assert_row_errors(r, 400, "INVALID_PARAMS", "2 of 2 rows are invalid", mixed, 2);
    pp_resp_free(r);
    free(t.data);
    assert_nothing_written(&b, "a list with funds and invalid rows");
}

static void test_funds_exactly_sufficient(void **state)
{
    (void)state;
    pp_assert_balance_now(&srv, api_key, "EUR", "10", "0", "0");
    struct text t;
    text_open(&t);
    fputs("{\"payments\":[", t.f);
    json_row(&t, 1, "4", "EUR", "exact", "exact-u0", "");
    json_row(&t, 0, "4", "EUR", "exact", "exact-u1", "");
    json_row(&t, 0, "1.99", "EUR", "exact", "exact-u2", "");
    json_row(&t, 0, "0.01", "EUR", "exact", "exact-u3", "");
    fputs("]}", t.f);
    text_close(&t);
    struct pp_resp *r = post_list(api_key, t.data);
    pp_assert_status(r, 200);
    assert_int_equal(json_array_size(json_object_get(r->json, "payments")), 4);
    pp_resp_free(r);
    free(t.data);
    pp_assert_balance_now(&srv, api_key, "EUR", "0", "10", "0");
    /* Not one cent more. */
    text_open(&t);
    fputs("{\"payments\":[", t.f);
    json_row(&t, 1, "0.01", "EUR", "exact", "exact-u4", "");
    fputs("]}", t.f);
    text_close(&t);
    r = post_list(api_key, t.data);
    static const struct row_error want[] = {{0, "INSUFFICIENT_FUNDS", 0}};
    assert_row_errors(r, 422, "INSUFFICIENT_FUNDS", "1 of 1 rows", want, 1);
    pp_resp_free(r);
    free(t.data);
    pp_assert_check(srv.db_path, "after an exact list");
}

/* --- CSV import ----------------------------------------------------------------- */

static void test_import_content_type(void **state)
{
    (void)state;
    static const char csv[] = "amount,currency,startDate,endDate,name,description,userName,"
                              "notification\n1,GBP," START "," END ",ct,d,ct-u,false\n";
    static const char *const refused[] = {"application/json", "text/plain", "text/csvx",
                                          PP_NO_CONTENT_TYPE};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        struct pp_resp *r = post_csv(api_key, refused[i], csv, PP_STRLEN);
        pp_assert_error(r, 415, "UNSUPPORTED_MEDIA_TYPE");
        pp_resp_free(r);
    }
    struct pp_resp *r = post_csv(NULL, "text/csv", csv, PP_STRLEN);
    pp_assert_error(r, 401, "UNAUTHORIZED");
    pp_resp_free(r);
    r = post_csv(api_key, "Text/CSV; charset=utf-8", csv, PP_STRLEN);
    pp_assert_status(r, 200);
    pp_resp_free(r);
}

static void test_import_csv_success(void **state)
{
    (void)state;
    json_decref(pp_deposit(&srv, admin_token, "NOK", "100"));
    json_decref(pp_deposit(&srv, admin_token, "KRW", "5000"));
    /* BOM, CRLF, columns in another order, quotes, an embedded comma,
    ** quote and newline, optional columns left empty, a blank last line. */
    static const char csv[] =
        "\xEF\xBB\xBF"
        "description,amount,currency,startDate,endDate,name,userName,referenceId,email,"
        "notification\r\n"
        "\"plain, with comma\",0.1,NOK," START "," END ",CSV A,csv-u1,,,TRUE\r\n"
        "\"say \"\"hi\"\"\",1.50,NOK,2031-01-01," END ",\"CSV, B\",,ref-77,x@example.test,0\r\n"
        "\"two\nlines\",2500,KRW,\"Wed, 01 Jan 2031 00:00:00 +0000\"," END ",CSV A,csv-u1,,,"
        "false\r\n"
        "\r\n";
    struct pp_resp *r = post_csv(api_key, "text/csv", csv, PP_STRLEN);
    pp_assert_status(r, 200);
    const json_t *list = json_object_get(r->json, "payments");
    assert_int_equal(json_array_size(list), 3);
    static const struct {
        const char *amount, *currency, *description;
        int notification;
    } want[] = {{"0.1", "NOK", "plain, with comma", 1},
                {"1.5", "NOK", "say \"hi\"", 0},
                {"2500", "KRW", "two\nlines", 0}};
    for (size_t i = 0; i < 3; i++) {
        char path[32];
        snprintf(path, sizeof path, "payments[%zu]", i);
        struct pp_payment_want w = {.amount = want[i].amount,
                                    .currency = want[i].currency,
                                    .start_date = "2031-01-01T00:00:00.000Z",
                                    .end_date = "2031-06-01T00:00:00.000Z",
                                    .description = want[i].description,
                                    .notification = want[i].notification,
                                    .status = "READY"};
        pp_assert_payment(r, path, json_array_get(list, i), &w);
    }
    const json_t *p0 = json_array_get(list, 0), *p1 = json_array_get(list, 1),
                 *p2 = json_array_get(list, 2);
    assert_int_equal(pp_json_int(p0, "recipientId"), pp_json_int(p2, "recipientId"));
    assert_int_not_equal(pp_json_int(p0, "recipientId"), pp_json_int(p1, "recipientId"));
    assert_int_equal(pp_json_int(p0, "projectId"), pp_json_int(p2, "projectId"));
    assert_int_equal(pp_json_int(p1, "id"), pp_json_int(p0, "id") + 1);
    pp_resp_free(r);
    struct pp_resp *b = pp_balances(&srv, api_key);
    pp_assert_balance(b, "NOK", "98.4", "1.6", "0");
    pp_assert_balance(b, "KRW", "2500", "2500", "0");
    pp_resp_free(b);
    pp_assert_check(srv.db_path, "after an import");
}

static void test_import_bad_rows(void **state)
{
    (void)state;
    struct before b = before_refusal();
    static const char csv[] =
        "amount,currency,startDate,endDate,name,description,userName,notification\n" /* line 1 */
        "1,NOK," START "," END ",rows,good,rows-u1,true\n"                           /* 1: 2 */
        "1.234,NOK," START "," END ",rows,too many decimals,rows-u2,true\n"          /* 2: 3 */
        "1,NOKK," START "," END ",rows,\"spans\ntwo lines\",rows-u3,true\n"          /* 3: 4-5 */
        "1,NOK," START "," END ",rows,ragged\n"                                      /* 4: 6 */
        "1,NOK," START "," END ",rows,bad flag,rows-u5,yes\n"                        /* 5: 7 */
        "1,NOK," START ",,rows,no end,rows-u6,true\n"                                /* 6: 8 */
        "2,NOK," START "," END ",rows,good,rows-u7,false\n";                         /* 7: 9 */
    struct pp_resp *r = post_csv(api_key, "text/csv", csv, PP_STRLEN);
    static const struct row_error want[] = {{2, "INVALID_PARAMS", 3},
                                            {3, "INVALID_PARAMS", 4},
                                            {4, "INVALID_PARAMS", 6},
                                            {5, "INVALID_PARAMS", 7},
                                            {6, "INVALID_PARAMS", 8}};
    assert_row_errors(r, 400, "INVALID_PARAMS", "5 of 7 rows are invalid", want, 5);
    assert_non_null(strstr(r->body, "the row has 6 fields, the header 8"));
    assert_non_null(strstr(r->body, "endDate is required"));
    pp_resp_free(r);
    assert_nothing_written(&b, "an import with bad rows");
}

static void test_import_file_errors(void **state)
{
    (void)state;
    static const struct {
        const char *csv;
        size_t len;
        const char *message_has;
    } cases[] = {
        {"", 0, "empty"},
        {"\n\n", 0, "header row is required"},
        {"amount,currency,startDate,endDate,name,description,userName,notification\n", 0,
         "no rows"},
        {"amount,currency,startDate,endDate,name,description,userName,notification,colour\n", 0,
         "unknown column 'colour'"},
        {"amount,currency,startDate,endDate,name,description,userName,notification,amount\n", 0,
         "column 'amount' appears twice"},
        {"currency,startDate,endDate,name,description,userName,notification\n", 0,
         "column 'amount' is required"},
        {"amount,currency,startDate,endDate,name,description,firstName,notification\n", 0,
         "userName, phoneNumber or referenceId"},
        {"amount,currency,startDate,endDate,name,description,userName,notification\n"
         "1,GBP," START "," END ",x,y,z,true\n"
         "1,GBP," START "," END ",x,\"unterminated,z,true\n",
         0, "line 3: a quoted field is not closed"},
        {"amount,currency,startDate,endDate,name,description,userName,notification\n"
         "1,GBP," START "," END ",x,y\"z,z,true\n",
         0, "line 2: a quote inside an unquoted field"},
        {"amount,currency,startDate,endDate,name,description,userName,notification\n"
         "1,GBP," START "," END ",x,\xC3\x28,z,true\n",
         0, "line 2 is not valid UTF-8"},
        {"amount,currency\n1,GBP\0\n", 23, "NUL"},
    };
    struct before b = before_refusal();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].csv);
        struct pp_resp *r = post_csv(api_key, "text/csv", cases[i].csv, len);
        pp_assert_error(r, 400, "INVALID_PARAMS");
        if (strstr(r->body, cases[i].message_has) == NULL) {
            fail_msg("case %zu: message lacks \"%s\": %s", i, cases[i].message_has, r->body);
        }
        pp_resp_free(r);
    }
    assert_nothing_written(&b, "refused CSV files");
}

/* Appends one CSV data row of the big import. */
static void csv_big_row(struct text *t, int i)
{
    fprintf(t->f, "0.01,USD," START "," END ",big-csv-p%d,\"row %d, of many\",big-csv-u%d,0\r\n",
            i % 50, i, i);
}

/* 10,000 rows whose last one overspends (the funds cover 9,999): 422
** naming row 10000 on line 10001, nothing left; with one cent more the
** same file imports whole; 10,001 rows are refused as a whole. */
static void test_big_csv_import(void **state)
{
    (void)state;
    json_decref(pp_deposit(&srv, admin_token, "USD", "99.99"));
    struct text t;
    text_open(&t);
    fputs("amount,currency,startDate,endDate,name,description,userName,notification\r\n", t.f);
    for (int i = 0; i < BIG_ROWS; i++) {
        csv_big_row(&t, i);
    }
    text_close(&t);
    struct before b = before_refusal();
    long long t0 = pp_now_ms();
    struct pp_resp *r = post_csv(api_key, "text/csv", t.data, t.len);
    long long refused_ms = pp_now_ms() - t0;
    static const struct row_error want[] = {{BIG_ROWS, "INSUFFICIENT_FUNDS", BIG_ROWS + 1}};
    assert_row_errors(r, 422, "INSUFFICIENT_FUNDS", "1 of 10000 rows", want, 1);
    pp_resp_free(r);
    assert_nothing_written(&b, "a 10,000-row import with a bad last row");

    json_decref(pp_deposit(&srv, admin_token, "USD", "0.01"));
    t0 = pp_now_ms();
    r = post_csv(api_key, "text/csv", t.data, t.len);
    long long created_ms = pp_now_ms() - t0;
    pp_assert_status(r, 200);
    const json_t *list = json_object_get(r->json, "payments");
    assert_int_equal(json_array_size(list), BIG_ROWS);
    long long first = pp_json_int(json_array_get(list, 0), "id");
    for (size_t i = 0; i < BIG_ROWS; i++) {
        const json_t *p = json_array_get(list, i);
        assert_int_equal(pp_json_int(p, "id"), first + (long long)i);
        char want_desc[48];
        snprintf(want_desc, sizeof want_desc, "row %zu, of many", i);
        pp_assert_json_str(p, "description", want_desc);
    }
    pp_resp_free(r);
    print_message("10,000-row CSV import: refused in %lld ms, created in %lld ms\n", refused_ms,
                  created_ms);
    pp_assert_balance_now(&srv, api_key, "USD", "0", "100", "0");
    free(t.data);

    text_open(&t);
    fputs("amount,currency,startDate,endDate,name,description,userName,notification\r\n", t.f);
    for (int i = 0; i <= BIG_ROWS; i++) {
        csv_big_row(&t, i);
    }
    text_close(&t);
    r = post_csv(api_key, "text/csv", t.data, t.len);
    pp_assert_error(r, 400, "INVALID_PARAMS");
    assert_non_null(strstr(r->body, "more than 10000 rows"));
    pp_resp_free(r);
    free(t.data);
    pp_assert_check(srv.db_path, "after the big import");
}

/* --- Concurrency ------------------------------------------------------------------ */

#define THREADS 6
#define REQUESTS_PER_THREAD 8
#define LIST_ROWS 5 /* of AUD 1 each */
#define SINGLE "1.5"

static pthread_barrier_t barrier;
static struct pp_resp *answers[THREADS][REQUESTS_PER_THREAD];

/* Even threads send lists of LIST_ROWS x AUD 1, odd threads single
** creates of AUD 1.5: 3*8*5 + 3*8*1.5 = 156 against a balance of 100. */
static void *race_worker(void *arg)
{
    size_t t = *(size_t *)arg;
    CURL *h = curl_easy_init();
    pthread_barrier_wait(&barrier);
    for (size_t i = 0; i < REQUESTS_PER_THREAD; i++) {
        struct text body;
        text_open(&body);
        if (t % 2 == 0) {
            fputs("{\"payments\":[", body.f);
            for (int k = 0; k < LIST_ROWS; k++) {
                char user[48];
                snprintf(user, sizeof user, "race-%zu-%zu-%d", t, i, k);
                json_row(&body, k == 0, "1", "AUD", "race lists", user, "");
            }
            fputs("]}", body.f);
        } else {
            fprintf(body.f,
                    "{\"amount\":" SINGLE ",\"currency\":\"AUD\",\"startDate\":\"" START
                    "\",\"endDate\":\"" END "\",\"name\":\"race singles\",\"description\":\"r\","
                    "\"userName\":\"race-%zu-%zu\",\"notification\":false}",
                    t, i);
        }
        text_close(&body);
        struct pp_req req = {.method = "POST",
                             .path =
                                 t % 2 == 0 ? "/api/payment/create-list" : "/api/payment/create",
                             .token = api_key,
                             .body = body.data,
                             .body_len = PP_STRLEN};
        answers[t][i] = pp_request(&srv, h, &req);
        free(body.data);
    }
    curl_easy_cleanup(h);
    return NULL;
}

static void test_parallel_lists_and_creates(void **state)
{
    (void)state;
    json_decref(pp_deposit(&srv, admin_token, "AUD", "100"));
    pp_threads_run(THREADS, race_worker, &barrier);
    long long blocked_cents = 0;
    size_t lists_ok = 0, lists_refused = 0, singles_ok = 0, singles_refused = 0;
    for (size_t t = 0; t < THREADS; t++) {
        for (size_t i = 0; i < REQUESTS_PER_THREAD; i++) {
            struct pp_resp *r = answers[t][i];
            assert_non_null(r);
            if (r->status == 200) {
                size_t n = json_array_size(json_object_get(r->json, "payments"));
                assert_int_equal(n, t % 2 == 0 ? LIST_ROWS : 1);
                blocked_cents += t % 2 == 0 ? 100 * LIST_ROWS : 150;
                *(t % 2 == 0 ? &lists_ok : &singles_ok) += 1;
            } else if (t % 2 == 0) {
                /* A refused list: funds only, each refused row named. */
                assert_int_equal(r->status, 422);
                const json_t *errors = json_object_get(r->json, "errors");
                assert_true(json_array_size(errors) >= 1);
                lists_refused++;
            } else {
                pp_assert_error(r, 422, "INSUFFICIENT_FUNDS");
                singles_refused++;
            }
            pp_resp_free(r);
            answers[t][i] = NULL;
        }
    }
    print_message("race: %zu lists and %zu singles created, %zu and %zu refused\n", lists_ok,
                  singles_ok, lists_refused, singles_refused);
    assert_true(blocked_cents <= 10000);
    /* Refusals only once the balance could not cover the smallest
    ** request (1.5 for a single). */
    assert_true(lists_refused + singles_refused > 0);
    assert_true(10000 - blocked_cents < 500);
    char available[32], blocked[32];
    pp_format_minor(10000 - blocked_cents, 2, available, sizeof available);
    pp_format_minor(blocked_cents, 2, blocked, sizeof blocked);
    pp_assert_balance_now(&srv, api_key, "AUD", available, blocked, "0");
    pp_assert_check(srv.db_path, "after parallel lists and creates");
}

static const struct pp_session session = {
    .srv = &srv, .admin_token = &admin_token, .api_key = &api_key, .funds = funds};

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_list_success),
        cmocka_unit_test(test_create_list_notifications),
        cmocka_unit_test(test_list_body_errors),
        cmocka_unit_test(test_list_bad_rows_all_reported),
        cmocka_unit_test(test_big_json_list_last_row_bad),
        cmocka_unit_test(test_list_idempotent_replay),
        cmocka_unit_test(test_overspending_list),
        cmocka_unit_test(test_funds_exactly_sufficient),
        cmocka_unit_test(test_import_content_type),
        cmocka_unit_test(test_import_csv_success),
        cmocka_unit_test(test_import_bad_rows),
        cmocka_unit_test(test_import_file_errors),
        cmocka_unit_test(test_big_csv_import),
        cmocka_unit_test(test_parallel_lists_and_creates),
    };
    return pp_session_run("api.lists", tests, sizeof tests / sizeof tests[0], &session);
}
