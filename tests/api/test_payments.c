/*
** This module tests payouts through the real server: create (every date
** form, every identifier kind, exact amounts in currencies with 0, 2 and 3
** decimals), a data-driven table of invalid create bodies, insufficient
** funds leaving no trace, recipient and project matching, cancel counting,
** GET by id, balances after every step, and the ledger `check` while the
** server runs, after SIGTERM and after a restart.
**
** The test keeps its own model of every payout and of the balances (in
** minor units) and compares the server's figures with it after each test.
** All windows except one lie in the future, so that expiry cannot move
** funds while the test runs; the one past window uses a currency (USD)
** the model does not track, and the test waits until expiry has closed it
** (EXPIRED, its funds back) before going on.
*/
#include "harness.h"
#include "harness/db.h"

#include <stdlib.h>
#include <string.h>

static struct pp_server srv;
static struct pp_server srv2;
static struct pp_server *cur = &srv; /* the server the helpers talk to */
static char *admin_token;
static char *api_key;

/* --- The model ---------------------------------------------------------------- */

struct currency_model {
    const char *code;
    int decimals;
    long long available; /* minor units */
    long long blocked;
};

static struct currency_model model[] = {
    {"BHD", 3, 0, 0},
    {"GBP", 2, 0, 0},
    {"JPY", 0, 0, 0},
};
#define MODEL_COUNT (sizeof model / sizeof model[0])

#define PAYOUTS_MAX 512
static struct {
    long long id;
    struct currency_model *currency; /* NULL: not tracked */
    long long minor;
    int open;
    int expired; /* closed by expiry rather than cancelled */
} payouts[PAYOUTS_MAX];
static size_t payout_count;

static long long max_payout_id, max_recipient_id, max_project_id;

static struct currency_model *model_find(const char *code)
{
    for (size_t i = 0; i < MODEL_COUNT; i++) {
        if (strcmp(model[i].code, code) == 0) {
            return &model[i];
        }
    }
    return NULL;
}

static void deposit(const char *currency, const char *amount_text)
{
    json_t *b = pp_deposit(cur, admin_token, currency, amount_text);
    json_decref(b);
    struct currency_model *m = model_find(currency);
    if (m != NULL) {
        m->available += pp_amount_minor(amount_text, m->decimals);
    }
}

static void assert_model_balances(void)
{
    struct pp_resp *b = pp_balances(cur, api_key);
    for (size_t i = 0; i < MODEL_COUNT; i++) {
        char available[32], blocked[32];
        pp_format_minor(model[i].available, model[i].decimals, available, sizeof available);
        pp_format_minor(model[i].blocked, model[i].decimals, blocked, sizeof blocked);
        pp_assert_balance(b, model[i].code, available, blocked, "0");
    }
    pp_resp_free(b);
}

/* --- Bodies ------------------------------------------------------------------- */

static const char base_fields[] =
    "{\"currency\":\"GBP\",\"startDate\":\"2031-01-01T00:00:00Z\","
    "\"endDate\":\"2031-02-01T00:00:00Z\",\"name\":\"Payments project\","
    "\"description\":\"Payment description\",\"userName\":\"base-user\",\"notification\":true}";

/* A create body: the base fields, with patch (JSON object text, NULL for
** none) merged over them, then the comma-separated keys in drop removed,
** then "amount" spliced in as raw text (NULL: no amount). New string. */
static char *make_body(const char *amount_text, const char *patch, const char *drop)
{
    json_t *body = json_loads(base_fields, 0, NULL);
    assert_non_null(body);
    if (patch != NULL) {
        json_t *p = json_loads(patch, 0, NULL);
        if (!json_is_object(p)) {
            fail_msg("bad patch in the test: %s", patch);
        }
        json_object_update(body, p);
        json_decref(p);
    }
    if (drop != NULL) {
        char keys[256];
        snprintf(keys, sizeof keys, "%s", drop);
        char *save = NULL;
        for (char *k = strtok_r(keys, ",", &save); k != NULL; k = strtok_r(NULL, ",", &save)) {
            json_object_del(body, k);
        }
    }
    char *text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(body);
    if (amount_text == NULL) {
        return text;
    }
    char *out =
        pp_fmt("{\"amount\":%s%s%s", amount_text, strcmp(text, "{}") == 0 ? "" : ",", text + 1);
    free(text);
    return out;
}

static struct pp_resp *create(const char *amount_text, const char *patch, const char *drop)
{
    char *body = make_body(amount_text, patch, drop);
    struct pp_resp *r = pp_post(cur, "/api/payment/create", api_key, body);
    free(body);
    return r;
}

/* Creates a payout that must succeed, checks the answer against the body
** and the model, records it; returns the payout object (new reference).
** want_amount is the exact text the answer must carry; the dates are
** checked when start_out/end_out are given. */
static json_t *create_ok_as(const char *token, const char *amount_text, const char *patch,
                            const char *drop, const char *want_amount, const char *start_out,
                            const char *end_out)
{
    char *body = make_body(amount_text, patch, drop);
    struct pp_resp *r = pp_post(cur, "/api/payment/create", token, body);
    json_t *sent = json_loads(body, 0, NULL);
    free(body);
    pp_assert_status(r, 200);
    const json_t *list = json_object_get(r->json, "payments");
    if (!json_is_array(list) || json_array_size(list) != 1) {
        fail_msg("create: \"payments\" is not a one-element array: %s", r->body);
    }
    const json_t *p = json_array_get(list, 0);
    struct pp_payment_want want = {
        .amount = want_amount,
        .currency = json_string_value(json_object_get(sent, "currency")),
        .start_date = start_out,
        .end_date = end_out,
        .description = json_string_value(json_object_get(sent, "description")),
        .notification = json_is_true(json_object_get(sent, "notification")),
        .status = "READY",
    };
    pp_assert_payment(r, "payments[0]", p, &want);

    long long id = pp_json_int(p, "id");
    if (id <= max_payout_id) {
        fail_msg("payout id %lld is not above every earlier id %lld", id, max_payout_id);
    }
    max_payout_id = id;
    long long rid = pp_json_int(p, "recipientId"), pid = pp_json_int(p, "projectId");
    max_recipient_id = rid > max_recipient_id ? rid : max_recipient_id;
    max_project_id = pid > max_project_id ? pid : max_project_id;

    assert_true(payout_count < PAYOUTS_MAX);
    struct currency_model *m = model_find(want.currency);
    payouts[payout_count].id = id;
    payouts[payout_count].currency = m;
    payouts[payout_count].minor = m != NULL ? pp_amount_minor(want_amount, m->decimals) : 0;
    payouts[payout_count].open = 1;
    if (m != NULL) {
        m->available -= payouts[payout_count].minor;
        m->blocked += payouts[payout_count].minor;
    }
    payout_count++;

    json_t *out = json_deep_copy(p);
    json_decref(sent);
    pp_resp_free(r);
    return out;
}

static json_t *create_ok(const char *amount_text, const char *patch, const char *drop,
                         const char *want_amount)
{
    return create_ok_as(api_key, amount_text, patch, drop, want_amount, NULL, NULL);
}

static long long create_id(const char *patch)
{
    json_t *p = create_ok("1", patch, NULL, "1");
    long long id = pp_json_int(p, "id");
    json_decref(p);
    return id;
}

static long long recipient_of(const char *patch, const char *drop)
{
    json_t *p = create_ok("1", patch, drop, "1");
    long long rid = pp_json_int(p, "recipientId");
    json_decref(p);
    return rid;
}

/* Creates a payout with a brand-new project and recipient and checks that
** all three ids are the next ones: proves that nothing was written since. */
static void assert_nothing_written(const char *project, const char *user)
{
    long long payout = max_payout_id, recipient = max_recipient_id, proj = max_project_id;
    char *patch = pp_fmt("{\"name\":\"%s\",\"userName\":\"%s\"}", project, user);
    json_t *p = create_ok("1", patch, NULL, "1");
    assert_int_equal(pp_json_int(p, "id"), payout + 1);
    assert_int_equal(pp_json_int(p, "recipientId"), recipient + 1);
    assert_int_equal(pp_json_int(p, "projectId"), proj + 1);
    json_decref(p);
    free(patch);
}

/* Cancels ids (JSON array text) and expects `expected` cancellations, which
** must also be what the model predicts; updates the model. */
static void cancel_expect(const char *token, const char *ids_json, long long expected)
{
    json_t *ids = json_loads(ids_json, 0, NULL);
    assert_true(json_is_array(ids));
    long long predicted = 0;
    for (size_t i = 0; i < json_array_size(ids); i++) {
        long long id = (long long)json_integer_value(json_array_get(ids, i));
        for (size_t k = 0; k < payout_count; k++) {
            if (payouts[k].id == id && payouts[k].open) {
                payouts[k].open = 0;
                predicted++;
                if (payouts[k].currency != NULL) {
                    payouts[k].currency->available += payouts[k].minor;
                    payouts[k].currency->blocked -= payouts[k].minor;
                }
            }
        }
    }
    assert_int_equal(predicted, expected);
    char *body = pp_fmt("{\"ids\":%s}", ids_json);
    struct pp_resp *r = pp_post(cur, "/api/payment/cancel", token, body);
    pp_assert_status(r, 200);
    if (json_object_size(r->json) != 1 || pp_json_int(r->json, "success") != expected) {
        fail_msg("cancel %s: expected {\"success\":%lld}, got %s", ids_json, expected, r->body);
    }
    pp_resp_free(r);
    free(body);
    json_decref(ids);
}

/* For table-driven refusals: checks that r is a 400 INVALID_PARAMS
** envelope. When the server accepted the body instead, reports it, undoes
** the payout (cancel) so that the model stays right for the tests that
** follow, and returns 0. */
static int refused_400(struct pp_resp *r, const char *label)
{
    if (r->status == 400) {
        pp_assert_error(r, 400, "INVALID_PARAMS");
        return 1;
    }
    print_error("%s: expected 400 INVALID_PARAMS, got %ld %s\n", label, r->status, r->body);
    const json_t *p = json_array_get(json_object_get(r->json, "payments"), 0);
    if (r->status == 200 && json_is_integer(json_object_get(p, "id"))) {
        long long id = pp_json_int(p, "id");
        long long rid = pp_json_int(p, "recipientId"), pid = pp_json_int(p, "projectId");
        max_payout_id = id > max_payout_id ? id : max_payout_id;
        max_recipient_id = rid > max_recipient_id ? rid : max_recipient_id;
        max_project_id = pid > max_project_id ? pid : max_project_id;
        char *body = pp_fmt("{\"ids\":[%lld]}", id);
        struct pp_resp *c = pp_post(cur, "/api/payment/cancel", api_key, body);
        pp_assert_status(c, 200);
        assert_int_equal(pp_json_int(c->json, "success"), 1);
        pp_resp_free(c);
        free(body);
    }
    return 0;
}

/* --- Fixture -------------------------------------------------------------------- */

static int after_start(void)
{
    deposit("GBP", "1000000");
    deposit("JPY", "10000000");
    deposit("BHD", "1000");
    return 0;
}

static void before_stop(void)
{
    pp_server_destroy(&srv2);
}

/* --- Tests ------------------------------------------------------------------------ */

static void test_create_date_formats(void **state)
{
    (void)state;
    static const struct {
        const char *start, *end, *start_out, *end_out;
    } rows[] = {
        {"2031-01-01 12:00:00", "2031-01-02 00:00:00", "2031-01-01T12:00:00.000Z",
         "2031-01-02T00:00:00.000Z"},
        {"2031-01-01T12:00:00Z", "2031-01-02T00:00:00.000Z", "2031-01-01T12:00:00.000Z",
         "2031-01-02T00:00:00.000Z"},
        {"2031-01-01T12:00:00+02:00", "2031-01-01T23:30:00-01:30", "2031-01-01T10:00:00.000Z",
         "2031-01-02T01:00:00.000Z"},
        {"2031-01-01", "2031-01-02", "2031-01-01T00:00:00.000Z", "2031-01-02T00:00:00.000Z"},
        {"Wed, 01 Jan 2031 12:00:00 +0100", "Thu, 02 Jan 2031 00:00:00 GMT",
         "2031-01-01T11:00:00.000Z", "2031-01-02T00:00:00.000Z"},
        {"01 Jan 2031 12:00:00 +0000", "02 Jan 2031 12:00:00 +0000", "2031-01-01T12:00:00.000Z",
         "2031-01-02T12:00:00.000Z"},
        {"2031-01-01T00:00:00Z", "Thu, 02 Jan 2031 00:00:00 +0000", "2031-01-01T00:00:00.000Z",
         "2031-01-02T00:00:00.000Z"},
        /* The end's local text is earlier, but in UTC it is 30 minutes later. */
        {"2031-01-01T00:30:00+01:00", "2031-01-01T00:00:00Z", "2030-12-31T23:30:00.000Z",
         "2031-01-01T00:00:00.000Z"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char *patch = pp_fmt("{\"startDate\":\"%s\",\"endDate\":\"%s\",\"userName\":\"dates\"}",
                             rows[i].start, rows[i].end);
        json_t *p =
            create_ok_as(api_key, "1", patch, NULL, "1", rows[i].start_out, rows[i].end_out);
        json_decref(p);
        free(patch);
    }
    assert_model_balances();
}

/* A window that already ended is accepted and READY at creation; expiry
** then closes it within about a second and returns its funds. */
static void test_create_past_window(void **state)
{
    (void)state;
    json_t *b = pp_deposit(cur, admin_token, "USD", "5");
    json_decref(b);
    json_t *p = create_ok_as(api_key, "1",
                             "{\"currency\":\"USD\",\"startDate\":\"2018-01-01 12:00:00\","
                             "\"endDate\":\"2018-01-02 00:00:00\",\"userName\":\"past\"}",
                             NULL, "1", "2018-01-01T12:00:00.000Z", "2018-01-02T00:00:00.000Z");
    char *path = pp_fmt("/api/payments/%lld", pp_json_int(p, "id"));
    json_decref(p);
    long long until = pp_now_ms() + 10000;
    for (;;) {
        struct pp_resp *r = pp_get(cur, path, api_key);
        pp_assert_status(r, 200);
        int expired = strcmp(json_string_value(json_object_get(r->json, "status")), "EXPIRED") == 0;
        if (!expired && pp_now_ms() > until) {
            fail_msg("the past-window payout was not expired within 10 s: %s", r->body);
        }
        pp_resp_free(r);
        if (expired) {
            break;
        }
        pp_sleep_ms(50);
    }
    free(path);
    payouts[payout_count - 1].open = 0;
    payouts[payout_count - 1].expired = 1;
    pp_assert_balance_now(cur, api_key, "USD", "5", "0", "0");
}

static void test_create_identifiers(void **state)
{
    (void)state;
    long long by_user = recipient_of("{\"userName\":\"ident-user\"}", NULL);
    assert_int_equal(recipient_of("{\"userName\":\"ident-user\"}", NULL), by_user);

    long long by_phone = recipient_of("{\"phoneNumber\":\"+447700900001\"}", "userName");
    assert_int_not_equal(by_phone, by_user);
    assert_int_equal(recipient_of("{\"phoneNumber\":\"+447700900001\"}", "userName"), by_phone);

    /* referenceId as an integer and as the same text: one recipient. */
    long long by_ref = recipient_of("{\"referenceId\":4242}", "userName");
    assert_int_not_equal(by_ref, by_user);
    assert_int_not_equal(by_ref, by_phone);
    assert_int_equal(recipient_of("{\"referenceId\":\"4242\"}", "userName"), by_ref);
    assert_int_equal(recipient_of("{\"referenceId\":4242}", "userName"), by_ref);

    long long by_text_ref = recipient_of("{\"referenceId\":\"ref-abc\"}", "userName");
    assert_int_not_equal(by_text_ref, by_ref);
    assert_int_equal(recipient_of("{\"referenceId\":\"ref-abc\"}", "userName"), by_text_ref);

    /* Optional personal data, and null for optional fields. */
    long long full = recipient_of("{\"userName\":\"ident-full\",\"firstName\":\"Ada\","
                                  "\"lastName\":\"Lovelace\",\"email\":\"ada@example.test\"}",
                                  NULL);
    assert_int_not_equal(full, by_user);
    assert_int_equal(recipient_of("{\"userName\":\"ident-full\",\"firstName\":null,"
                                  "\"lastName\":null,\"email\":null,\"phoneNumber\":null}",
                                  NULL),
                     full);

    /* One recipient known by all three identifiers, found by each. */
    long long trio = recipient_of(
        "{\"userName\":\"trio\",\"phoneNumber\":\"+447700900099\",\"referenceId\":99}", NULL);
    assert_int_equal(recipient_of("{\"phoneNumber\":\"+447700900099\"}", "userName"), trio);
    assert_int_equal(recipient_of("{\"referenceId\":\"99\"}", "userName"), trio);
    assert_int_equal(recipient_of("{\"userName\":\"trio\",\"referenceId\":99}", NULL), trio);
    assert_int_equal(
        recipient_of("{\"userName\":\"trio\",\"phoneNumber\":\"+447700900099\",\"referenceId\":"
                     "\"99\"}",
                     NULL),
        trio);
    assert_model_balances();
}

static void test_create_amounts(void **state)
{
    (void)state;
    static const struct {
        const char *currency, *in, *out;
    } rows[] = {
        {"GBP", "0.1", "0.1"},     {"GBP", "1.50", "1.5"},    {"GBP", "2.0", "2"},
        {"GBP", "1e-2", "0.01"},   {"GBP", "0.29", "0.29"},   {"GBP", "123456.78", "123456.78"},
        {"GBP", "7", "7"},         {"JPY", "500", "500"},     {"JPY", "1", "1"},
        {"BHD", "1.234", "1.234"}, {"BHD", "0.001", "0.001"}, {"BHD", "10.5", "10.5"},
        {"BHD", "2.100", "2.1"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char *patch = pp_fmt("{\"currency\":\"%s\",\"userName\":\"amounts\"}", rows[i].currency);
        json_t *p = create_ok(rows[i].in, patch, NULL, rows[i].out);
        json_decref(p);
        free(patch);
    }
    /* notification false and a non-ASCII description are echoed. */
    json_t *p = create_ok("1",
                          "{\"notification\":false,\"description\":\"Zahlung f\\u00fcr "
                          "\\u00c4rger \\u2713\"}",
                          NULL, "1");
    pp_assert_json_str(p, "description", "Zahlung f\xc3\xbcr \xc3\x84rger \xe2\x9c\x93");
    assert_true(json_is_false(json_object_get(p, "notification")));
    json_decref(p);
    /* An admin token may create too. */
    p = create_ok_as(admin_token, "1", NULL, NULL, "1", NULL, NULL);
    json_decref(p);
    assert_model_balances();
}

static void test_create_projects(void **state)
{
    (void)state;
    json_t *a1 = create_ok("1", "{\"name\":\"Project A\"}", NULL, "1");
    json_t *a2 = create_ok("1", "{\"name\":\"Project A\",\"userName\":\"other\"}", NULL, "1");
    json_t *b1 = create_ok("1", "{\"name\":\"Project B\"}", NULL, "1");
    assert_int_equal(pp_json_int(a1, "projectId"), pp_json_int(a2, "projectId"));
    assert_int_not_equal(pp_json_int(a1, "projectId"), pp_json_int(b1, "projectId"));
    assert_int_equal(pp_json_int(a1, "recipientId"), pp_json_int(b1, "recipientId"));
    assert_int_not_equal(pp_json_int(a1, "recipientId"), pp_json_int(a2, "recipientId"));
    json_decref(a1);
    json_decref(a2);
    json_decref(b1);
}

static const struct {
    const char *label;
    const char *amount; /* raw JSON text, NULL: absent */
    const char *patch;
    const char *drop;
} bad_creates[] = {
    {"missing amount", NULL, NULL, NULL},
    {"missing currency", "1", NULL, "currency"},
    {"missing startDate", "1", NULL, "startDate"},
    {"missing endDate", "1", NULL, "endDate"},
    {"missing name", "1", NULL, "name"},
    {"missing description", "1", NULL, "description"},
    {"missing notification", "1", NULL, "notification"},
    {"no identifier", "1", NULL, "userName"},
    {"amount as string", "\"1\"", NULL, NULL},
    {"amount zero", "0", NULL, NULL},
    {"amount zero with decimals", "0.00", NULL, NULL},
    {"amount negative", "-1", NULL, NULL},
    {"amount negative cent", "-0.01", NULL, NULL},
    {"amount 3 decimals in GBP", "1.001", NULL, NULL},
    {"amount 1e-3 in GBP", "1e-3", NULL, NULL},
    {"amount decimals in JPY", "1.5", "{\"currency\":\"JPY\"}", NULL},
    {"amount 4 decimals in BHD", "1.2345", "{\"currency\":\"BHD\"}", NULL},
    {"amount true", "true", NULL, NULL},
    {"amount null", "null", NULL, NULL},
    {"amount object", "{}", NULL, NULL},
    {"amount array", "[1]", NULL, NULL},
    {"currency lower case", "1", "{\"currency\":\"gbp\"}", NULL},
    {"currency unknown", "1", "{\"currency\":\"QQQ\"}", NULL},
    {"currency empty", "1", "{\"currency\":\"\"}", NULL},
    {"currency number", "1", "{\"currency\":826}", NULL},
    {"currency null", "1", "{\"currency\":null}", NULL},
    {"startDate garbage", "1", "{\"startDate\":\"not a date\"}", NULL},
    {"startDate empty", "1", "{\"startDate\":\"\"}", NULL},
    {"startDate month 13", "1", "{\"startDate\":\"2031-13-01T00:00:00Z\"}", NULL},
    {"startDate 30 February", "1", "{\"startDate\":\"2031-02-30T00:00:00Z\"}", NULL},
    {"startDate hour 25", "1", "{\"startDate\":\"2031-01-01T25:00:00Z\"}", NULL},
    {"startDate number", "1", "{\"startDate\":1924992000}", NULL},
    {"startDate null", "1", "{\"startDate\":null}", NULL},
    {"endDate garbage", "1", "{\"endDate\":\"tomorrow\"}", NULL},
    {"endDate before startDate", "1",
     "{\"startDate\":\"2031-02-01T00:00:00Z\",\"endDate\":\"2031-01-01T00:00:00Z\"}", NULL},
    {"endDate equal to startDate", "1",
     "{\"startDate\":\"2031-01-01T00:00:00Z\",\"endDate\":\"2031-01-01T00:00:00Z\"}", NULL},
    {"endDate equal to startDate in another zone", "1",
     "{\"startDate\":\"2031-01-01T01:00:00+01:00\",\"endDate\":\"2031-01-01T00:00:00Z\"}", NULL},
    {"name empty", "1", "{\"name\":\"\"}", NULL},
    {"name number", "1", "{\"name\":5}", NULL},
    {"name null", "1", "{\"name\":null}", NULL},
    {"description empty", "1", "{\"description\":\"\"}", NULL},
    {"description number", "1", "{\"description\":1}", NULL},
    {"description null", "1", "{\"description\":null}", NULL},
    {"notification string", "1", "{\"notification\":\"true\"}", NULL},
    {"notification number", "1", "{\"notification\":1}", NULL},
    {"notification null", "1", "{\"notification\":null}", NULL},
    {"userName empty", "1", "{\"userName\":\"\"}", NULL},
    {"userName number", "1", "{\"userName\":5}", NULL},
    {"phoneNumber number", "1", "{\"phoneNumber\":123456789}", "userName"},
    {"phoneNumber empty", "1", "{\"phoneNumber\":\"\"}", "userName"},
    {"referenceId real", "1", "{\"referenceId\":1.5}", "userName"},
    {"referenceId boolean", "1", "{\"referenceId\":true}", "userName"},
    {"referenceId empty", "1", "{\"referenceId\":\"\"}", "userName"},
    {"referenceId object", "1", "{\"referenceId\":{}}", "userName"},
    {"identifiers all null", "1", "{\"userName\":null,\"phoneNumber\":null,\"referenceId\":null}",
     NULL},
    {"firstName number", "1", "{\"firstName\":5}", NULL},
    {"lastName number", "1", "{\"lastName\":5}", NULL},
    {"email number", "1", "{\"email\":5}", NULL},
    {"unknown field", "1", "{\"foo\":\"bar\"}", NULL},
    {"field in the wrong case", "1", "{\"Currency\":\"GBP\"}", NULL},
    {"recipientId is not an input", "1", "{\"recipientId\":1}", NULL},
    {"status is not an input", "1", "{\"status\":\"RECEIVED\"}", NULL},
};

static void test_create_bad_bodies(void **state)
{
    (void)state;
    size_t accepted = 0;
    for (size_t i = 0; i < sizeof bad_creates / sizeof bad_creates[0]; i++) {
        /* A new project and recipient each time: none of them may appear. */
        json_t *p = json_loads(bad_creates[i].patch != NULL ? bad_creates[i].patch : "{}", 0, NULL);
        assert_non_null(p);
        if (json_object_get(p, "name") == NULL) {
            json_object_set_new(p, "name", json_string("ghost project"));
        }
        if (json_object_get(p, "userName") == NULL &&
            (bad_creates[i].drop == NULL || strcmp(bad_creates[i].drop, "userName") != 0)) {
            json_object_set_new(p, "userName", json_string("ghost user"));
        }
        char *patch = json_dumps(p, JSON_COMPACT);
        json_decref(p);
        struct pp_resp *r = create(bad_creates[i].amount, patch, bad_creates[i].drop);
        char *label = pp_fmt("bad create \"%s\" (%s)", bad_creates[i].label, patch);
        accepted += refused_400(r, label) ? 0 : 1;
        free(label);
        pp_resp_free(r);
        free(patch);
    }
    assert_model_balances();
    if (accepted > 0) {
        fail_msg("%zu invalid create bodies were not refused with 400 (listed above)", accepted);
    }
    assert_nothing_written("ghost project", "ghost user");
    assert_model_balances();
}

static void test_insufficient_funds_leaves_no_trace(void **state)
{
    (void)state;
    char amount[64];
    struct currency_model *gbp = model_find("GBP");
    struct currency_model *jpy = model_find("JPY");

    /* A currency never funded. */
    struct pp_resp *r =
        create("1", "{\"currency\":\"EUR\",\"name\":\"broke\",\"userName\":\"broke\"}", NULL);
    pp_assert_error(r, 422, "INSUFFICIENT_FUNDS");
    pp_resp_free(r);

    /* One minor unit more than available. */
    pp_format_minor(gbp->available + 1, 2, amount, sizeof amount);
    r = create(amount, "{\"name\":\"broke\",\"userName\":\"broke\",\"phoneNumber\":\"+4400\"}",
               NULL);
    pp_assert_error(r, 422, "INSUFFICIENT_FUNDS");
    pp_resp_free(r);
    pp_format_minor(jpy->available + 1, 0, amount, sizeof amount);
    r = create(amount, "{\"currency\":\"JPY\",\"name\":\"broke\",\"referenceId\":777}", "userName");
    pp_assert_error(r, 422, "INSUFFICIENT_FUNDS");
    pp_resp_free(r);

    assert_model_balances();
    pp_assert_check(cur->db_path, "at the end");
    /* No project "broke", no recipient "broke", no payout were written. */
    assert_nothing_written("broke", "broke");

    /* Exactly the available amount is fine; then one unit more is not. */
    struct currency_model *bhd = model_find("BHD");
    pp_format_minor(bhd->available, 3, amount, sizeof amount);
    json_t *p = create_ok(amount, "{\"currency\":\"BHD\",\"userName\":\"all-in\"}", NULL, amount);
    long long all_in = pp_json_int(p, "id");
    json_decref(p);
    assert_int_equal(bhd->available, 0);
    r = create("0.001", "{\"currency\":\"BHD\",\"userName\":\"all-in\"}", NULL);
    pp_assert_error(r, 422, "INSUFFICIENT_FUNDS");
    pp_resp_free(r);
    assert_model_balances();
    /* Cancelling brings the funds back and allows the payout again. */
    char *ids = pp_fmt("[%lld]", all_in);
    cancel_expect(api_key, ids, 1);
    free(ids);
    p = create_ok("0.001", "{\"currency\":\"BHD\",\"userName\":\"all-in\"}", NULL, "0.001");
    json_decref(p);
    assert_model_balances();
}

static void test_recipient_matching(void **state)
{
    (void)state;
    size_t accepted = 0;
    long long dave =
        recipient_of("{\"userName\":\"dave\",\"phoneNumber\":\"+447700900555\"}", NULL);
    assert_int_equal(recipient_of("{\"phoneNumber\":\"+447700900555\"}", "userName"), dave);
    assert_int_equal(recipient_of("{\"userName\":\"dave\"}", NULL), dave);
    long long erin = recipient_of("{\"userName\":\"erin\",\"referenceId\":\"E-1\"}", NULL);
    long long frank = recipient_of("{\"phoneNumber\":\"+447700900777\"}", "userName");
    assert_int_not_equal(dave, erin);
    assert_int_not_equal(erin, frank);

    static const char *const conflicts[] = {
        /* Matched by one identifier, another differs from the stored one. */
        "{\"userName\":\"dave\",\"phoneNumber\":\"+447700900556\"}",
        "{\"userName\":\"not-dave\",\"phoneNumber\":\"+447700900555\"}",
        "{\"userName\":\"erin\",\"referenceId\":\"E-2\"}",
        "{\"userName\":\"erin\",\"referenceId\":12345}",
        /* Identifiers of two different existing recipients. */
        "{\"userName\":\"dave\",\"referenceId\":\"E-1\"}",
        "{\"userName\":\"erin\",\"phoneNumber\":\"+447700900777\"}",
        "{\"phoneNumber\":\"+447700900555\",\"referenceId\":\"E-1\"}",
        "{\"userName\":\"ident-user\",\"phoneNumber\":\"+447700900001\"}",
        "{\"userName\":\"ident-user\",\"referenceId\":4242}",
        "{\"userName\":\"dave\",\"phoneNumber\":\"+447700900777\",\"referenceId\":\"E-1\"}",
    };
    for (size_t i = 0; i < sizeof conflicts / sizeof conflicts[0]; i++) {
        json_t *p = json_loads(conflicts[i], 0, NULL);
        assert_non_null(p);
        json_object_set_new(p, "name", json_string("matching ghost"));
        const char *drop = json_object_get(p, "userName") != NULL ? NULL : "userName";
        char *patch = json_dumps(p, JSON_COMPACT);
        json_decref(p);
        struct pp_resp *r = create("1", patch, drop);
        char *label = pp_fmt("create with %s", conflicts[i]);
        accepted += refused_400(r, label) ? 0 : 1;
        free(label);
        pp_resp_free(r);
        free(patch);
    }
    if (accepted > 0) {
        fail_msg("%zu conflicting identifier sets were not refused with 400 (listed above)",
                 accepted);
    }
    /* The refused requests changed nobody: each is still found as before. */
    assert_int_equal(
        recipient_of("{\"userName\":\"dave\",\"phoneNumber\":\"+447700900555\"}", NULL), dave);
    assert_int_equal(recipient_of("{\"referenceId\":\"E-1\"}", "userName"), erin);
    assert_int_equal(recipient_of("{\"phoneNumber\":\"+447700900777\"}", "userName"), frank);
    assert_model_balances();
    assert_nothing_written("matching ghost", "matching ghost user");
}

static void test_cancel_counting(void **state)
{
    (void)state;
    long long p1 = create_id("{\"userName\":\"canceller\"}");
    long long p2 = create_id("{\"userName\":\"canceller\",\"currency\":\"JPY\"}");
    long long p3 = create_id("{\"userName\":\"canceller\",\"currency\":\"BHD\"}");
    assert_model_balances();
    char *ids = pp_fmt("[%lld,%lld,999999999]", p1, p1);
    cancel_expect(api_key, ids, 1);
    free(ids);
    pp_assert_payout_status(cur, api_key, p1, "CANCELLED");
    pp_assert_payout_status(cur, api_key, p2, "READY");
    assert_model_balances();

    ids = pp_fmt("[%lld,%lld,%lld]", p1, p2, p3);
    cancel_expect(api_key, ids, 2);
    cancel_expect(api_key, ids, 0);
    free(ids);
    pp_assert_payout_status(cur, api_key, p2, "CANCELLED");
    pp_assert_payout_status(cur, api_key, p3, "CANCELLED");
    cancel_expect(api_key, "[999999998]", 0);
    assert_model_balances();

    /* Invalid id arrays are refused as a whole: p4 stays READY. */
    long long p4 = create_id("{\"userName\":\"canceller\"}");
    const char *bad_fmt[] = {
        "{}",
        "{\"ids\":[]}",
        "{\"ids\":null}",
        "{\"ids\":\"%lld\"}",
        "{\"ids\":%lld}",
        "{\"ids\":[0]}",
        "{\"ids\":[-1]}",
        "{\"ids\":[1.5]}",
        "{\"ids\":[\"%lld\"]}",
        "{\"ids\":[true]}",
        "{\"ids\":[null]}",
        "{\"ids\":[[%lld]]}",
        "{\"ids\":[{}]}",
        "{\"ids\":[%lld],\"x\":1}",
        "{\"ids\":[%lld,0]}",
        "{\"ids\":[%lld,-5]}",
        "{\"ids\":[%lld,\"x\"]}",
        "{\"id\":[%lld]}",
        "[%lld]",
    };
    for (size_t i = 0; i < sizeof bad_fmt / sizeof bad_fmt[0]; i++) {
        char *body =
            strstr(bad_fmt[i], "%lld") != NULL ? pp_fmt(bad_fmt[i], p4) : strdup(bad_fmt[i]);
        struct pp_resp *r = pp_post(cur, "/api/payment/cancel", api_key, body);
        if (r->status != 400) {
            fail_msg("cancel %s: expected 400, got %ld %s", body, r->status, r->body);
        }
        pp_assert_error(r, 400, "INVALID_PARAMS");
        pp_resp_free(r);
        free(body);
    }
    pp_assert_payout_status(cur, api_key, p4, "READY");
    assert_model_balances();
    /* An admin token may cancel too. */
    ids = pp_fmt("[%lld]", p4);
    cancel_expect(admin_token, ids, 1);
    free(ids);
    pp_assert_payout_status(cur, api_key, p4, "CANCELLED");
    assert_model_balances();
}

static void test_get_by_id(void **state)
{
    (void)state;
    json_t *created =
        create_ok("12.34", "{\"userName\":\"getter\",\"notification\":false}", NULL, "12.34");
    long long id = pp_json_int(created, "id");
    char *path = pp_fmt("/api/payments/%lld", id);
    const char *tokens[] = {api_key, admin_token};
    for (size_t t = 0; t < 2; t++) {
        struct pp_resp *r = pp_get(cur, path, tokens[t]);
        pp_assert_status(r, 200);
        static const char *const keys[] = {
            "amount",       "id",     "currency",    "startDate", "endDate",   "description",
            "notification", "status", "recipientId", "projectId", "updatedAt", "createdAt"};
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            if (!json_equal(json_object_get(r->json, keys[k]), json_object_get(created, keys[k]))) {
                fail_msg("GET %s: \"%s\" differs from the create answer: %s", path, keys[k],
                         r->body);
            }
        }
        pp_assert_number_text(r, "amount", "12.34");
        pp_resp_free(r);
    }
    json_decref(created);

    static const char *const bad[] = {"/api/payments/abc", "/api/payments/0",
                                      "/api/payments/-1",  "/api/payments/1.5",
                                      "/api/payments/1a",  "/api/payments/0x10"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pp_expect_error(pp_get(cur, bad[i], api_key), 400, "INVALID_PARAMS");
    }
    char *unknown = pp_fmt("/api/payments/%lld", max_payout_id + 1000);
    pp_expect_error(pp_get(cur, unknown, api_key), 404, "NOT_FOUND");
    free(unknown);
    pp_expect_error(pp_get(cur, path, NULL), 401, "UNAUTHORIZED");
    pp_expect_error(pp_get(cur, path, "not-a-token"), 401, "UNAUTHORIZED");
    free(path);
}

/* The GET of payout id, as the list answers it too: the single answer's
** bytes are one item of GET /api/payments?ids=id. Returns the single
** answer's JSON (new). */
static json_t *payout_read_twice(long long id)
{
    struct pp_resp *one = pp_payout_get(cur, api_key, id);
    pp_assert_status(one, 200);
    char *path = pp_fmt("/api/payments?ids=%lld", id);
    struct pp_resp *list = pp_get(cur, path, api_key);
    pp_assert_status(list, 200);
    const json_t *items = json_object_get(list->json, "payments");
    assert_int_equal(json_array_size(items), 1);
    if (strstr(list->body, one->body) == NULL) {
        fail_msg("GET /api/payments/%lld and the list differ:\n%s\n%s", id, one->body, list->body);
    }
    json_t *out = json_deep_copy(one->json);
    free(path);
    pp_resp_free(list);
    pp_resp_free(one);
    return out;
}

/* Every payout object ends with its "notifications" (spec section 9): the
** create answer, the single GET and the list say the same, [] for a payout
** without notification, the "ready" e-mail (recorded as skipped: the test
** server has no --smtp-url) for one with it and a recipient e-mail. */
static void test_notifications_on_every_answer(void **state)
{
    (void)state;
    json_t *quiet = create_ok("1.5",
                              "{\"userName\":\"quiet\",\"email\":\"quiet@example.test\","
                              "\"notification\":false}",
                              NULL, "1.5");
    json_t *told = create_ok("2.5",
                             "{\"userName\":\"told\",\"email\":\"told@example.test\","
                             "\"notification\":true}",
                             NULL, "2.5");
    json_t *no_email =
        create_ok("3.5", "{\"userName\":\"no-email\",\"notification\":true}", NULL, "3.5");
    assert_int_equal(json_array_size(json_object_get(quiet, "notifications")), 0);
    assert_int_equal(json_array_size(json_object_get(no_email, "notifications")), 0);
    const json_t *notes = json_object_get(told, "notifications");
    assert_int_equal(json_array_size(notes), 1);
    const json_t *n = json_array_get(notes, 0);
    pp_assert_json_str(n, "kind", "ready");
    pp_assert_json_str(n, "channel", "email");
    pp_assert_json_str(n, "status", "skipped");
    json_t *created[] = {quiet, told, no_email};
    for (size_t i = 0; i < 3; i++) {
        json_t *read = payout_read_twice(pp_json_int(created[i], "id"));
        if (!json_equal(read, created[i])) {
            char *a = json_dumps(created[i], JSON_COMPACT | JSON_PRESERVE_ORDER);
            char *b = json_dumps(read, JSON_COMPACT | JSON_PRESERVE_ORDER);
            fail_msg("the create answer and GET differ:\n%s\n%s", a, b);
        }
        json_decref(read);
        json_decref(created[i]);
    }
}

static void test_balances_after_create_and_cancel(void **state)
{
    (void)state;
    struct currency_model *gbp = model_find("GBP");
    long long available = gbp->available, blocked = gbp->blocked;
    json_t *p = create_ok("2.5", "{\"userName\":\"balancer\"}", NULL, "2.5");
    assert_int_equal(gbp->available, available - 250);
    assert_int_equal(gbp->blocked, blocked + 250);
    assert_model_balances();
    char *ids = pp_fmt("[%lld]", pp_json_int(p, "id"));
    cancel_expect(api_key, ids, 1);
    free(ids);
    json_decref(p);
    assert_int_equal(gbp->available, available);
    assert_int_equal(gbp->blocked, blocked);
    assert_model_balances();
    /* Protected like every integrator endpoint. */
    pp_expect_error(pp_get(cur, "/api/balances", NULL), 401, "UNAUTHORIZED");
    pp_expect_error(pp_post(cur, "/api/payment/create", NULL, "{}"), 401, "UNAUTHORIZED");
    pp_expect_error(pp_post(cur, "/api/payment/cancel", NULL, "{\"ids\":[1]}"), 401,
                    "UNAUTHORIZED");
}

static void test_check_running_stopped_restarted(void **state)
{
    (void)state;
    pp_assert_check(cur->db_path, "server running");
    pp_stop_and_check(&srv, "after SIGTERM");

    /* Everything acknowledged survived: the same balances and payouts. */
    pp_server_restart_signed_in(&srv2, &srv, NULL, &admin_token, &api_key);
    cur = &srv2;
    assert_model_balances();
    for (size_t i = 0; i < payout_count; i++) {
        pp_assert_payout_status(cur, api_key, payouts[i].id,
                                payouts[i].open      ? "READY"
                                : payouts[i].expired ? "EXPIRED"
                                                     : "CANCELLED");
    }
    pp_stop_and_check(&srv2, "after restart and SIGTERM");
}

static const struct pp_session session = {.srv = &srv,
                                          .admin_token = &admin_token,
                                          .api_key = &api_key,
                                          .after_start = after_start,
                                          .before_stop = before_stop};

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_date_formats),
        cmocka_unit_test(test_create_past_window),
        cmocka_unit_test(test_create_identifiers),
        cmocka_unit_test(test_create_amounts),
        cmocka_unit_test(test_create_projects),
        cmocka_unit_test(test_create_bad_bodies),
        cmocka_unit_test(test_insufficient_funds_leaves_no_trace),
        cmocka_unit_test(test_recipient_matching),
        cmocka_unit_test(test_cancel_counting),
        cmocka_unit_test(test_get_by_id),
        cmocka_unit_test(test_notifications_on_every_answer),
        cmocka_unit_test(test_balances_after_create_and_cancel),
        cmocka_unit_test(test_check_running_stopped_restarted),
    };
    return pp_session_run("api.payments", tests, sizeof tests / sizeof tests[0], &session);
}
