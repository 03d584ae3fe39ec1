/*
** Four eyes (spec §7) against the real server, with real users: a user
** never authorizes a payout they created (such ids are not counted, and
** the payout stays UNAUTHORIZED with its funds blocked); another admin or
** an approver authorizes it; an operator's payouts stay unauthorizable by
** that same user after a role change to approver; payouts created with
** the API key are authorizable by any admin or approver; the payout names
** its creator and its authorizer, and the audit log has each step once,
** by the acting user.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static struct pp_server srv;
static char *admin_token;
static char *api_key;
static int email_seq;

static const char *const funds[] = {"EUR", "1000", NULL};

/* A user of role signed in: its token (new) and id. */
static char *user_token(const char *role, long long *id)
{
    char email[64];
    snprintf(email, sizeof email, "four.eyes%d.%s@example.test", ++email_seq, role);
    char *body = pp_fmt("{\"email\":\"%s\",\"role\":\"%s\"}", email, role);
    struct pp_resp *r = pp_post(&srv, "/api/admin/users", admin_token, body);
    pp_assert_status(r, 200);
    *id = pp_json_int(r->json, "id");
    char *login = pp_fmt("{\"email\":\"%s\",\"password\":\"%s\"}", email,
                         json_string_value(json_object_get(r->json, "password")));
    pp_resp_free(r);
    free(body);
    r = pp_post(&srv, "/api/admin/login", NULL, login);
    pp_assert_status(r, 200);
    char *token = strdup(json_string_value(json_object_get(r->json, "token")));
    pp_resp_free(r);
    free(login);
    return token;
}

/* A new UNAUTHORIZED payout of amount EUR created with token. */
static long long create(const char *token, const char *amount)
{
    char *body =
        pp_fmt("{\"amount\":%s,\"currency\":\"EUR\",\"startDate\":\"2020-01-01T00:00:00Z\","
               "\"endDate\":\"2099-01-01T00:00:00Z\",\"name\":\"Four eyes\","
               "\"description\":\"d\",\"userName\":\"four-eyes\",\"notification\":false}",
               amount);
    long long id = pp_payout_create(&srv, token, body, "UNAUTHORIZED");
    free(body);
    return id;
}

static void authorize_expect(const char *token, long long id, long long n)
{
    char *body = pp_fmt("{\"ids\":[%lld]}", id);
    pp_assert_success_count(&srv, "/api/payment/authorize", token, body, n);
    free(body);
}

/* The payout's status, creator and authorizer (0: absent). */
static void assert_payout(long long id, const char *status, long long created_by,
                          long long authorized_by)
{
    struct pp_resp *g = pp_payout_get(&srv, api_key, id);
    pp_assert_json_str(g->json, "status", status);
    const json_t *c = json_object_get(g->json, "createdByUserId");
    const json_t *a = json_object_get(g->json, "authorizedByUserId");
    assert_int_equal(c != NULL ? json_integer_value(c) : 0, created_by);
    assert_int_equal(a != NULL ? json_integer_value(a) : 0, authorized_by);
    pp_resp_free(g);
}

static long long admin_id(void)
{
    json_t *claims = pp_jwt_payload(admin_token);
    long long id = atoll(json_string_value(json_object_get(claims, "sub")));
    json_decref(claims);
    return id;
}

static void test_own_payouts_need_someone_else(void **state)
{
    (void)state;
    long long first = admin_id();
    long long second_id = 0;
    long long approver_id = 0;
    char *second = user_token("admin", &second_id);
    char *approver = user_token("approver", &approver_id);

    /* The first admin's payout: refused to them, counted for the second. */
    long long p1 = create(admin_token, "10");
    authorize_expect(admin_token, p1, 0);
    assert_payout(p1, "UNAUTHORIZED", first, 0);
    pp_assert_balance_now(&srv, api_key, "EUR", "990", "10", "0");
    authorize_expect(second, p1, 1);
    assert_payout(p1, "READY", first, second_id);
    assert_int_equal(pp_audit_count(&srv, admin_token, "payment.authorize", p1, "admin"), 1);

    /* The second admin's payout: the approver authorizes it. */
    long long p2 = create(second, "20");
    authorize_expect(second, p2, 0);
    authorize_expect(approver, p2, 1);
    assert_payout(p2, "READY", second_id, approver_id);

    /* The API key's payouts: any admin or approver. */
    long long p3 = create(api_key, "1");
    long long p4 = create(api_key, "2");
    authorize_expect(approver, p3, 1);
    authorize_expect(admin_token, p4, 1);
    assert_payout(p3, "READY", 0, approver_id);
    assert_payout(p4, "READY", 0, first);
    pp_assert_balance_now(&srv, api_key, "EUR", "967", "33", "0");
    free(second);
    free(approver);
}

static void test_role_change_keeps_four_eyes(void **state)
{
    (void)state;
    long long op_id = 0;
    char *operator_token = user_token("operator", &op_id);
    long long p = create(operator_token, "5");
    /* Operators may not authorize at all. */
    char *body = pp_fmt("{\"ids\":[%lld]}", p);
    pp_expect_error(pp_post(&srv, "/api/payment/authorize", operator_token, body), 403,
                    "FORBIDDEN");
    /* Promoted to approver (which ends the old token): still not their own. */
    char *patch = pp_fmt("/api/admin/users/%lld", op_id);
    struct pp_req req = {.method = "PATCH",
                         .path = patch,
                         .token = admin_token,
                         .body = "{\"role\":\"approver\"}",
                         .body_len = PP_STRLEN};
    struct pp_resp *r = pp_call(&srv, &req);
    pp_assert_status(r, 200);
    pp_assert_json_str(r->json, "role", "approver");
    pp_resp_free(r);
    pp_expect_error(pp_post(&srv, "/api/payment/authorize", operator_token, body), 401,
                    "UNAUTHORIZED");
    /* Signed in again as approver: the payout is still theirs. */
    free(operator_token);
    req = (struct pp_req){.method = "POST",
                          .path = pp_fmt("/api/admin/users/%lld/reset-password", op_id),
                          .token = admin_token};
    r = pp_call(&srv, &req);
    pp_assert_status(r, 200);
    char *login = pp_fmt("{\"email\":\"%s\",\"password\":\"%s\"}",
                         json_string_value(json_object_get(r->json, "email")),
                         json_string_value(json_object_get(r->json, "password")));
    free((char *)req.path);
    pp_resp_free(r);
    r = pp_post(&srv, "/api/admin/login", NULL, login);
    pp_assert_status(r, 200);
    char *approver_token = strdup(json_string_value(json_object_get(r->json, "token")));
    pp_resp_free(r);
    pp_assert_success_count(&srv, "/api/payment/authorize", approver_token, body, 0);
    assert_payout(p, "UNAUTHORIZED", op_id, 0);
    pp_assert_success_count(&srv, "/api/payment/authorize", admin_token, body, 1);
    assert_payout(p, "READY", op_id, admin_id());
    free(approver_token);
    free(login);
    free(patch);
    free(body);
}

static int after_start(void)
{
    struct pp_resp *r =
        pp_put(&srv, "/api/admin/settings/authorization", admin_token, "{\"mode\":\"always\"}");
    int ok = r->status == 200;
    pp_resp_free(r);
    return ok ? 0 : -1;
}

int main(void)
{
    struct pp_session ss = {.srv = &srv,
                            .admin_token = &admin_token,
                            .api_key = &api_key,
                            .funds = funds,
                            .after_start = after_start};
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_own_payouts_need_someone_else),
        cmocka_unit_test(test_role_change_keeps_four_eyes),
    };
    return PP_SESSION_RUN(tests, &ss);
}
