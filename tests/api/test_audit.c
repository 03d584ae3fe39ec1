/*
** This module tests the audit log through the real server: every admin
** action and every money action performed here (settings switch, rotate,
** deposit, create, cancel, and the first admin's creation) is found in
** GET /api/admin/audit with the right actor (kind and admin id), the ids
** it touched, its detail and the caller's address; the listing is newest
** first, paged without gaps or repeats, and filtered by action, actor
** kind, admin id and period; bad queries are 400, an API key is 403.
** Then the entries of bulk lists (create-list and the CSV import: one
** payment.create_list entry naming the id range and the total per
** currency, from the caller's own address; a refused list writes no entry
** at all), of the authorization policy (settings.authorization with the
** stored policy text) and of a password reset by `payout-panel admin`
** run against the live database (admin.password_reset, from the command
** line, which also revokes the admin's tokens at once).
*/
#include "harness.h"

#include <stdlib.h>
#include <string.h>

static struct pp_server srv;
static char *admin_token;
static char *api_key;
static long long admin_id;
static long long created_id;

static const char *const no_rate_env[] = {"PAYOUT_RATE_LIMIT=0", NULL};

static const struct pp_server_opts server_opts = {.env = no_rate_env};
/* The admin's id, from the token's subject. */
static int after_start(void)
{
    json_t *claims = pp_jwt_payload(admin_token);
    admin_id = atoll(json_string_value(json_object_get(claims, "sub")));
    json_decref(claims);
    return admin_id > 0 ? 0 : -1;
}

static void before_stop(void)
{
    free(api_key);
}

/* GET /api/admin/audit?query (200 asserted); new response. */
static struct pp_resp *audit(const char *query)
{
    char *path = pp_fmt("/api/admin/audit%s%s", query[0] ? "?" : "", query);
    struct pp_resp *r = pp_get(&srv, path, admin_token);
    free(path);
    pp_assert_status(r, 200);
    assert_true(json_is_array(json_object_get(r->json, "audit")));
    return r;
}

/* The newest entry with this action, asserted present; borrowed from r. */
static json_t *find(const struct pp_resp *r, const char *action)
{
    json_t *list = json_object_get(r->json, "audit");
    for (size_t i = 0; i < json_array_size(list); i++) {
        json_t *e = json_array_get(list, i);
        if (strcmp(json_string_value(json_object_get(e, "action")), action) == 0) {
            return e;
        }
    }
    fail_msg("no audit entry %s in %s", action, r->body);
    return NULL;
}

/* Asserts e's shape and actor; address "127.0.0.1" unless NULL (none). */
static void assert_entry(const json_t *e, const char *kind, long long admin, const char *address)
{
    assert_int_equal(json_object_size(e), 7);
    assert_true(pp_json_int(e, "id") > 0);
    pp_assert_date_out(json_string_value(json_object_get(e, "at")));
    json_t *actor = json_object_get(e, "actor");
    pp_assert_json_str(actor, "kind", kind);
    if (admin > 0) {
        assert_int_equal(pp_json_int(actor, "adminId"), admin);
    } else {
        assert_true(json_is_null(json_object_get(actor, "adminId")));
    }
    if (address != NULL) {
        pp_assert_json_str(e, "address", address);
    } else {
        assert_true(json_is_null(json_object_get(e, "address")));
    }
}

static void test_every_action_is_audited(void **state)
{
    (void)state;
    char *password = pp_enable_integration(&srv, admin_token);
    struct pp_resp *rot =
        pp_post(&srv, "/api/admin/settings/api-integration/rotate", admin_token, NULL);
    pp_assert_status(rot, 200);
    free(password);
    password = strdup(json_string_value(json_object_get(rot->json, "authenticationPassword")));
    api_key = pp_authenticate(&srv, password);
    json_decref(pp_deposit(&srv, admin_token, "GBP", "10"));
    struct pp_resp *c = pp_post(&srv, "/api/payment/create", api_key,
                                "{\"amount\":1.5,\"currency\":\"GBP\",\"startDate\":\"2020-01-01\","
                                "\"endDate\":\"2099-01-01\",\"name\":\"Audited\","
                                "\"description\":\"d\",\"userName\":\"aud\","
                                "\"notification\":false}");
    pp_assert_status(c, 200);
    created_id = pp_json_int(json_array_get(json_object_get(c->json, "payments"), 0), "id");
    char *ids = pp_fmt("{\"ids\":[%lld,999999]}", created_id);
    struct pp_resp *x = pp_post(&srv, "/api/payment/cancel", api_key, ids);
    pp_assert_status(x, 200);

    struct pp_resp *r = audit("size=100");
    char *subject = pp_fmt("payout:%lld", created_id);
    json_t *e = find(r, "settings.api_integration");
    assert_entry(e, "admin", admin_id, "127.0.0.1");
    pp_assert_json_str(e, "detail", "enabled");
    e = find(r, "settings.api_integration.rotate");
    assert_entry(e, "admin", admin_id, "127.0.0.1");
    e = find(r, "funds.deposit");
    assert_entry(e, "admin", admin_id, "127.0.0.1");
    /* The harness deposits with the reference "test deposit". */
    pp_assert_json_str(e, "detail", "10 GBP reference test deposit");
    e = find(r, "payment.create");
    assert_entry(e, "integrator", 0, "127.0.0.1");
    pp_assert_json_str(e, "subject", subject);
    pp_assert_json_str(e, "detail", "1.5 GBP");
    e = find(r, "payment.cancel");
    assert_entry(e, "integrator", 0, "127.0.0.1");
    pp_assert_json_str(e, "subject", subject); /* only what was cancelled */
    e = find(r, "admin.create");
    assert_entry(e, "system", 0, NULL);
    pp_assert_json_str(e, "subject", PP_ADMIN_EMAIL);
    /* Secrets never reach the log. */
    assert_null(strstr(r->body, password));
    assert_null(strstr(r->body, PP_ADMIN_PASSWORD));
    free(subject);
    free(ids);
    free(password);
    pp_resp_free(rot);
    pp_resp_free(c);
    pp_resp_free(x);
    pp_resp_free(r);
}

static void test_paging_is_complete_and_newest_first(void **state)
{
    (void)state;
    struct pp_resp *all = audit("size=100");
    json_t *list = json_object_get(all->json, "audit");
    long long total = pp_json_int(all->json, "total");
    assert_int_equal(total, (long long)json_array_size(list));
    assert_true(total >= 6);
    assert_int_equal(pp_json_int(all->json, "page"), 1);
    assert_int_equal(pp_json_int(all->json, "size"), 100);
    size_t seen = 0;
    for (long long page = 1; page <= (total + 1) / 2 + 1; page++) {
        char *q = pp_fmt("size=2&page=%lld", page);
        struct pp_resp *p = audit(q);
        free(q);
        assert_int_equal(pp_json_int(p->json, "total"), total);
        json_t *items = json_object_get(p->json, "audit");
        for (size_t i = 0; i < json_array_size(items); i++, seen++) {
            json_t *want = json_array_get(list, seen);
            assert_int_equal(pp_json_int(json_array_get(items, i), "id"), pp_json_int(want, "id"));
        }
        if (page > (total + 1) / 2) {
            assert_int_equal(json_array_size(items), 0); /* past the end: empty */
        }
        pp_resp_free(p);
    }
    assert_int_equal(seen, (size_t)total);
    for (size_t i = 1; i < json_array_size(list); i++) {
        assert_true(pp_json_int(json_array_get(list, i - 1), "id") >
                    pp_json_int(json_array_get(list, i), "id"));
    }
    struct pp_resp *dflt = audit("");
    assert_int_equal(pp_json_int(dflt->json, "size"), 20);
    pp_resp_free(dflt);
    pp_resp_free(all);
}

static void test_filters(void **state)
{
    (void)state;
    struct pp_resp *r = audit("action=payment.create");
    assert_int_equal(pp_json_int(r->json, "total"), 1);
    pp_resp_free(r);
    r = audit("actorKind=integrator");
    json_t *list = json_object_get(r->json, "audit");
    assert_int_equal(json_array_size(list), 2);
    for (size_t i = 0; i < json_array_size(list); i++) {
        pp_assert_json_str(json_object_get(json_array_get(list, i), "actor"), "kind", "integrator");
    }
    pp_resp_free(r);
    r = audit("actorKind=system");
    assert_int_equal(pp_json_int(r->json, "total"), 1);
    pp_resp_free(r);
    char *q = pp_fmt("actorKind=admin&adminId=%lld", admin_id);
    r = audit(q);
    /* sign-in, switch, rotate, deposit */
    assert_int_equal(pp_json_int(r->json, "total"), 4);
    pp_resp_free(r);
    free(q);
    r = audit("adminId=999");
    assert_int_equal(pp_json_int(r->json, "total"), 0);
    pp_resp_free(r);
    /* Periods: everything lies between 2020 and 2099; nothing before. */
    struct pp_resp *all = audit("");
    r = audit("from=2020-01-01&to=2099-12-31");
    assert_int_equal(pp_json_int(r->json, "total"), pp_json_int(all->json, "total"));
    pp_resp_free(r);
    r = audit("to=2020-01-01T00:00:00Z");
    assert_int_equal(pp_json_int(r->json, "total"), 0);
    pp_resp_free(r);
    r = audit("from=2099-01-01");
    assert_int_equal(pp_json_int(r->json, "total"), 0);
    pp_resp_free(r);
    /* The newest entry's own moment bounds exactly that entry. */
    const char *at = json_string_value(
        json_object_get(json_array_get(json_object_get(all->json, "audit"), 0), "at"));
    q = pp_fmt("from=%s&to=%s", at, at);
    r = audit(q);
    assert_true(pp_json_int(r->json, "total") >= 1);
    pp_resp_free(r);
    free(q);
    pp_resp_free(all);
}

static void test_bad_queries(void **state)
{
    (void)state;
    const char *bad[] = {"size=0",
                         "size=101",
                         "page=0",
                         "page=x",
                         "size=1.5",
                         "actorKind=robot",
                         "from=yesterday",
                         "to=2020-13-01",
                         "color=red",
                         "size=2&size=3",
                         "action=",
                         "adminId=-1",
                         "from=2021-01-01&to=2020-01-01"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *path = pp_fmt("/api/admin/audit?%s", bad[i]);
        pp_expect_error(pp_get(&srv, path, admin_token), 400, "INVALID_PARAMS");
        free(path);
    }
    pp_expect_error(pp_get(&srv, "/api/admin/audit", api_key), 403, "FORBIDDEN");
    pp_expect_error(pp_get(&srv, "/api/admin/audit", NULL), 401, "UNAUTHORIZED");
}

/* The total of GET /api/admin/audit?query. */
static long long audit_total(const char *query)
{
    struct pp_resp *r = audit(query);
    long long total = pp_json_int(r->json, "total");
    pp_resp_free(r);
    return total;
}

/* The id of the newest audit entry (0 when the log is empty). */
static long long audit_newest_id(void)
{
    struct pp_resp *r = audit("size=1");
    json_t *first = json_array_get(json_object_get(r->json, "audit"), 0);
    long long id = first != NULL ? pp_json_int(first, "id") : 0;
    pp_resp_free(r);
    return id;
}

/* The subject a list of payouts first..last is audited under. */
static char *list_subject(const struct pp_resp *r)
{
    json_t *list = json_object_get(r->json, "payments");
    assert_true(json_array_size(list) >= 1);
    long long first = pp_json_int(json_array_get(list, 0), "id");
    long long last = pp_json_int(json_array_get(list, json_array_size(list) - 1), "id");
    /* Ids of one list are consecutive, in request order. */
    assert_int_equal(last - first + 1, (long long)json_array_size(list));
    return first == last ? pp_fmt("payout:%lld", first) : pp_fmt("payout:%lld..%lld", first, last);
}

/* A create-list row in JSON. */
#define LIST_ROW(amount, currency, user)                                                           \
    "{\"amount\":" amount ",\"currency\":\"" currency "\",\"startDate\":\"2020-01-01\","           \
    "\"endDate\":\"2099-01-01\",\"name\":\"Listed\",\"description\":\"row\",\"userName\":\"" user  \
    "\",\"notification\":false}"

/* The newest payment.create_list entry, for the created list r: the
** entries of that action now number total; it is the integrator's, from
** address, names the list's ids and carries detail. */
static void assert_list_audited(const struct pp_resp *r, long long total, const char *address,
                                const char *detail)
{
    char *subject = list_subject(r);
    struct pp_resp *a = audit("action=payment.create_list");
    assert_int_equal(pp_json_int(a->json, "total"), total);
    json_t *e = find(a, "payment.create_list");
    assert_entry(e, "integrator", 0, address);
    pp_assert_json_str(e, "subject", subject);
    pp_assert_json_str(e, "detail", detail);
    pp_resp_free(a);
    free(subject);
}

static void test_create_list_is_audited_once(void **state)
{
    (void)state;
    json_decref(pp_deposit(&srv, admin_token, "USD", "100"));
    json_decref(pp_deposit(&srv, admin_token, "JPY", "5000"));
    long long creates = audit_total("action=payment.create");
    long long lists = audit_total("action=payment.create_list");
    struct pp_resp *r = pp_post(&srv, "/api/payment/create-list", api_key,
                                "{\"payments\":[" LIST_ROW("1.25", "USD", "l1") "," LIST_ROW(
                                    "700", "JPY", "l2") "," LIST_ROW("2.5", "USD", "l1") "]}");
    pp_assert_status(r, 200);
    /* The total per currency, in the order the list first names them. */
    assert_list_audited(r, lists + 1, "127.0.0.1", "3 payouts: 3.75 USD, 700 JPY");
    /* One entry for the list, none per row. */
    assert_int_equal(audit_total("action=payment.create"), creates);
    pp_resp_free(r);

    /* A list of one row names its one id. */
    r = pp_post(&srv, "/api/payment/create-list", api_key,
                "{\"payments\":[" LIST_ROW("0.01", "USD", "l3") "]}");
    pp_assert_status(r, 200);
    char *subject = list_subject(r);
    assert_null(strstr(subject, ".."));
    free(subject);
    assert_list_audited(r, lists + 2, "127.0.0.1", "1 payout: 0.01 USD");
    pp_resp_free(r);
}

/* Asserts r is a list refusal: status, error.type and n row errors. */
static void assert_list_refused(const struct pp_resp *r, long status, const char *type, size_t n)
{
    if (r->status != status) {
        fail_msg("%s: expected %ld, got %ld %s", r->what, status, r->status, r->body);
    }
    pp_assert_json_str(json_object_get(r->json, "error"), "type", type);
    assert_int_equal(json_array_size(json_object_get(r->json, "errors")), n);
}

/* POSTs the CSV rows (under the import's header line) to
** /api/payment/import with the API key, from local_addr (NULL: the
** default loopback address). */
static struct pp_resp *import_csv(const char *rows, const char *local_addr)
{
    char *body = pp_fmt("amount,currency,startDate,endDate,name,description,userName,"
                        "notification\n%s",
                        rows);
    struct pp_req req = {.method = "POST",
                         .path = "/api/payment/import",
                         .token = api_key,
                         .content_type = "text/csv",
                         .body = body,
                         .body_len = PP_STRLEN,
                         .local_addr = local_addr};
    struct pp_resp *r = pp_call(&srv, &req);
    free(body);
    return r;
}

static void test_refused_list_writes_no_audit(void **state)
{
    (void)state;
    long long total = audit_total("");
    long long newest = audit_newest_id();
    /* A row malformed before the transaction: the good rows are still
    ** written (to find their own refusals) and rolled back. */
    struct pp_resp *r = pp_post(&srv, "/api/payment/create-list", api_key,
                                "{\"payments\":[" LIST_ROW("1", "USD", "r1") "," LIST_ROW(
                                    "1.234", "USD", "r2") "," LIST_ROW("2", "USD", "r3") "]}");
    assert_list_refused(r, 400, "INVALID_PARAMS", 1);
    pp_resp_free(r);
    /* A row refused inside the transaction, after rows before it were
    ** written: more than the USD left. */
    r = pp_post(
        &srv, "/api/payment/create-list", api_key,
        "{\"payments\":[" LIST_ROW("1", "USD", "r1") "," LIST_ROW("5000", "USD", "r2") "]}");
    assert_list_refused(r, 422, "INSUFFICIENT_FUNDS", 1);
    pp_resp_free(r);
    /* The same through the CSV import. */
    r = import_csv("1,USD,2020-01-01,2099-01-01,Listed,row,r1,false\n"
                   "1,XXX,2020-01-01,2099-01-01,Listed,row,r2,false\n",
                   NULL);
    assert_list_refused(r, 400, "INVALID_PARAMS", 1);
    pp_resp_free(r);
    assert_int_equal(audit_total(""), total);
    assert_int_equal(audit_newest_id(), newest);
}

static void test_csv_import_is_audited_with_its_address(void **state)
{
    (void)state;
    long long lists = audit_total("action=payment.create_list");
    /* From another loopback address: the entry holds the caller's own. */
    struct pp_resp *r = import_csv("0.5,USD,2020-01-01,2099-01-01,Imported,a,i1,false\n"
                                   "100,JPY,2020-01-01,2099-01-01,Imported,b,i2,true\n"
                                   "0.25,USD,2020-01-01,2099-01-01,Imported,c,i1,false\n"
                                   "1,JPY,2020-01-01,2099-01-01,Imported,d,i2,true\n",
                                   "127.0.0.2");
    pp_assert_status(r, 200);
    assert_list_audited(r, lists + 1, "127.0.0.2", "4 payouts: 0.75 USD, 101 JPY");
    pp_resp_free(r);
}

static void test_authorization_policy_is_audited(void **state)
{
    (void)state;
    long long before = audit_total("action=settings.authorization");
    struct pp_resp *r = pp_put(&srv, "/api/admin/settings/authorization", admin_token,
                               "{\"mode\":\"above\",\"thresholds\":{\"USD\":100,\"BHD\":0.5}}");
    pp_assert_status(r, 200);
    pp_resp_free(r);
    r = pp_put(&srv, "/api/admin/settings/authorization", admin_token, "{\"mode\":\"off\"}");
    pp_assert_status(r, 200);
    pp_resp_free(r);
    /* Refused: no entry. */
    pp_expect_error(
        pp_put(&srv, "/api/admin/settings/authorization", admin_token, "{\"mode\":\"sometimes\"}"),
        400, "INVALID_PARAMS");
    struct pp_resp *a = audit("action=settings.authorization");
    assert_int_equal(pp_json_int(a->json, "total"), before + 2);
    json_t *list = json_object_get(a->json, "audit");
    /* Newest first; the detail is the stored policy: thresholds in minor
    ** units, sorted by currency. */
    json_t *off = json_array_get(list, 0);
    json_t *above = json_array_get(list, 1);
    assert_entry(off, "admin", admin_id, "127.0.0.1");
    pp_assert_json_str(off, "action", "settings.authorization");
    assert_true(json_is_null(json_object_get(off, "subject")));
    pp_assert_json_str(off, "detail", "off");
    assert_entry(above, "admin", admin_id, "127.0.0.1");
    pp_assert_json_str(above, "action", "settings.authorization");
    assert_true(json_is_null(json_object_get(above, "subject")));
    pp_assert_json_str(above, "detail", "above BHD=500,USD=10000");
    pp_resp_free(a);
}

/* Last: it revokes admin_token (and logs in again). */
static void test_cli_password_reset_is_audited(void **state)
{
    (void)state;
    long long before = audit_total("action=admin.password_reset");
    assert_int_equal(before, 0);
    /* Against the database the server is using, while it runs; the same
    ** password again, so that the harness can still log in. */
    const char *args[] = {"admin", "--db", srv.db_path, "--email", PP_ADMIN_EMAIL, NULL};
    const char *env[] = {"PAYOUT_ADMIN_PASSWORD=" PP_ADMIN_PASSWORD, NULL};
    char *out = NULL;
    int rc = pp_run(args, env, &out);
    if (rc != 0 || out == NULL ||
        strstr(out, "reset the password of admin " PP_ADMIN_EMAIL) == NULL) {
        fail_msg("admin --email exited %d: %s", rc, out != NULL ? out : "");
    }
    free(out);
    /* The reset revoked the running server's admin tokens at once. */
    pp_expect_error(pp_get(&srv, "/api/admin/audit", admin_token), 401, "UNAUTHORIZED");
    free(admin_token);
    admin_token = pp_admin_login(&srv);
    struct pp_resp *a = audit("action=admin.password_reset");
    assert_int_equal(pp_json_int(a->json, "total"), 1);
    json_t *e = find(a, "admin.password_reset");
    /* An operator at the machine: no admin account, no network address. */
    assert_entry(e, "admin", 0, "command line");
    pp_assert_json_str(e, "subject", PP_ADMIN_EMAIL);
    assert_true(json_is_null(json_object_get(e, "detail")));
    assert_null(strstr(a->body, PP_ADMIN_PASSWORD));
    pp_resp_free(a);
    /* It is the newest entry of the whole log but the log-in after it
    ** (every sign-in is audited, spec §7). */
    a = audit("size=2");
    pp_assert_json_str(json_array_get(json_object_get(a->json, "audit"), 0), "action",
                       "user.sign_in");
    pp_assert_json_str(json_array_get(json_object_get(a->json, "audit"), 1), "action",
                       "admin.password_reset");
    pp_resp_free(a);
}

/* The integration is enabled by the first test, as one of the audited actions. */
static const struct pp_session session = {.srv = &srv,
                                          .opts = &server_opts,
                                          .admin_token = &admin_token,
                                          .after_start = after_start,
                                          .before_stop = before_stop};

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_action_is_audited),
        cmocka_unit_test(test_paging_is_complete_and_newest_first),
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_bad_queries),
        cmocka_unit_test(test_create_list_is_audited_once),
        cmocka_unit_test(test_refused_list_writes_no_audit),
        cmocka_unit_test(test_csv_import_is_audited_with_its_address),
        cmocka_unit_test(test_authorization_policy_is_audited),
        cmocka_unit_test(test_cli_password_reset_is_audited),
    };
    return PP_SESSION_RUN(tests, &session);
}
