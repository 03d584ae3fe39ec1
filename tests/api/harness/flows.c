/*
** This module implements the flows the API tests share (harness/flows.h):
** signing in, enabling the integration, deposits and balances, lists and
** cursors, the session that starts a server with all of them (and runs a
** cmocka group around it), payouts, the audit count, `check`, and worker
** threads. Everything here asserts on the main thread, except the workers
** pp_threads_run starts.
*/
#include "harness/flows.h"
#include "harness/assert.h"
#include "harness/json.h"
#include "harness/logs.h"
#include "harness/process.h"
#include "harness/util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *take_string(const struct pp_resp *r, const char *key)
{
    const json_t *v = json_object_get(r->json, key);
    if (!json_is_string(v) || json_string_length(v) == 0) {
        fail_msg("%s: no non-empty string \"%s\" in %.2000s", r->what, key, r->body);
    }
    return strdup(json_string_value(v));
}

char *pp_admin_login(const struct pp_server *s)
{
    struct pp_resp *r =
        pp_post(s, "/api/admin/login", NULL,
                "{\"email\":\"" PP_ADMIN_EMAIL "\",\"password\":\"" PP_ADMIN_PASSWORD "\"}");
    pp_assert_status(r, 200);
    char *token = take_string(r, "token");
    pp_resp_free(r);
    pp_secret_note(PP_ADMIN_PASSWORD);
    pp_secret_note(token);
    return token;
}

char *pp_enable_integration(const struct pp_server *s, const char *admin_token)
{
    struct pp_resp *r =
        pp_put(s, "/api/admin/settings/api-integration", admin_token, "{\"enabled\":true}");
    pp_assert_status(r, 200);
    if (!json_is_true(json_object_get(r->json, "enabled"))) {
        fail_msg("enabling the integration answered %s", r->body);
    }
    char *password = take_string(r, "authenticationPassword");
    pp_resp_free(r);
    pp_secret_note(password);
    return password;
}

char *pp_authenticate(const struct pp_server *s, const char *password)
{
    json_t *body = json_pack("{s:s}", "apiKey", password);
    char *text = json_dumps(body, JSON_COMPACT);
    struct pp_resp *r = pp_post(s, "/api/authenticate", NULL, text);
    pp_assert_status(r, 200);
    char *token = take_string(r, "token");
    pp_resp_free(r);
    pp_secret_note(token);
    free(text);
    json_decref(body);
    return token;
}

json_t *pp_deposit(const struct pp_server *s, const char *admin_token, const char *currency,
                   const char *amount_text)
{
    char *body = pp_fmt("{\"currency\":\"%s\",\"amount\":%s,\"reference\":\"test deposit\"}",
                        currency, amount_text);
    struct pp_resp *r = pp_post(s, "/api/admin/funds/deposit", admin_token, body);
    pp_assert_status(r, 200);
    pp_assert_json_str(r->json, "currency", currency);
    json_t *out = json_incref(r->json);
    pp_resp_free(r);
    free(body);
    return out;
}

struct pp_resp *pp_balances(const struct pp_server *s, const char *token)
{
    struct pp_resp *r = pp_get(s, "/api/balances", token);
    pp_assert_status(r, 200);
    const json_t *list = json_object_get(r->json, "balances");
    if (!json_is_array(list)) {
        fail_msg("GET /api/balances: no \"balances\" array: %.2000s", r->body);
    }
    const char *previous = "";
    for (size_t i = 0; i < json_array_size(list); i++) {
        const json_t *b = json_array_get(list, i);
        const json_t *cur = json_object_get(b, "currency");
        if (!json_is_string(cur) || !json_is_number(json_object_get(b, "available")) ||
            !json_is_number(json_object_get(b, "blocked")) ||
            !json_is_number(json_object_get(b, "paidOut"))) {
            fail_msg("GET /api/balances: bad entry %zu: %.2000s", i, r->body);
        }
        if (strcmp(previous, json_string_value(cur)) >= 0) {
            fail_msg("GET /api/balances: not sorted by currency: %.2000s", r->body);
        }
        previous = json_string_value(cur);
    }
    return r;
}

void pp_assert_balance(const struct pp_resp *balances, const char *currency, const char *available,
                       const char *blocked, const char *paid_out)
{
    const json_t *list = json_object_get(balances->json, "balances");
    for (size_t i = 0; i < json_array_size(list); i++) {
        const json_t *cur = json_object_get(json_array_get(list, i), "currency");
        if (json_is_string(cur) && strcmp(json_string_value(cur), currency) == 0) {
            const char *keys[3] = {"available", "blocked", "paidOut"};
            const char *want[3] = {available, blocked, paid_out};
            for (int k = 0; k < 3; k++) {
                if (want[k] != NULL) {
                    char path[64];
                    snprintf(path, sizeof path, "balances[%zu].%s", i, keys[k]);
                    pp_assert_number_text(balances, path, want[k]);
                }
            }
            return;
        }
    }
    int all_zero = (available == NULL || strcmp(available, "0") == 0) &&
                   (blocked == NULL || strcmp(blocked, "0") == 0) &&
                   (paid_out == NULL || strcmp(paid_out, "0") == 0);
    if (!all_zero) {
        fail_msg("no %s balance in %.2000s", currency, balances->body);
    }
}

void pp_fund(const struct pp_server *s, const char *admin_token, const char *currency,
             const char *amount_text)
{
    json_decref(pp_deposit(s, admin_token, currency, amount_text));
}

void pp_assert_balance_now(const struct pp_server *s, const char *token, const char *currency,
                           const char *available, const char *blocked, const char *paid_out)
{
    struct pp_resp *b = pp_balances(s, token);
    pp_assert_balance(b, currency, available, blocked, paid_out);
    pp_resp_free(b);
}

long long pp_balance_minor(const struct pp_server *s, const char *token, const char *currency,
                           const char *field)
{
    struct pp_resp *b = pp_balances(s, token);
    const json_t *list = json_object_get(b->json, "balances");
    long long minor = 0;
    for (size_t i = 0; i < json_array_size(list); i++) {
        const json_t *cur = json_object_get(json_array_get(list, i), "currency");
        if (strcmp(json_string_value(cur), currency) == 0) {
            char path[64], text[64];
            snprintf(path, sizeof path, "balances[%zu].%s", i, field);
            if (pp_json_number_text(b->body, b->body_len, path, text, sizeof text) == NULL) {
                fail_msg("no %s in %.2000s", path, b->body);
            }
            minor = pp_amount_minor(text, pp_currency_decimals(currency));
        }
    }
    pp_resp_free(b);
    return minor;
}

size_t pp_list_count(const struct pp_server *s, const char *token, const char *path,
                     const char *key)
{
    struct pp_resp *r = pp_get(s, path, token);
    pp_assert_status(r, 200);
    const json_t *list = json_object_get(r->json, key);
    if (!json_is_array(list)) {
        fail_msg("%s: no \"%s\" array in %.2000s", r->what, key, r->body);
    }
    size_t n = json_array_size(list);
    pp_resp_free(r);
    return n;
}

int pp_next_cursor(const struct pp_resp *r, char *cursor, size_t cursor_size)
{
    const json_t *next = json_object_get(r->json, "nextCursor");
    if (!json_is_string(next)) {
        if (!json_is_null(next)) {
            fail_msg("%s: nextCursor is neither a string nor null: %.2000s", r->what, r->body);
        }
        return 0;
    }
    if ((size_t)snprintf(cursor, cursor_size, "%s", json_string_value(next)) >= cursor_size) {
        fail_msg("%s: nextCursor longer than %zu bytes", r->what, cursor_size);
    }
    return 1;
}

/* --- The session ----------------------------------------------------------------- */

int pp_session_start(const struct pp_session *ss)
{
    if (pp_server_start(ss->srv, ss->opts) != 0) {
        return -1;
    }
    int integration = ss->api_key != NULL || ss->password != NULL;
    if (ss->admin_token == NULL && !integration && ss->funds == NULL) {
        return 0; /* a bare server: nobody signs in */
    }
    char *admin_token = pp_admin_login(ss->srv);
    if (integration) {
        char *password = pp_enable_integration(ss->srv, admin_token);
        if (ss->api_key != NULL) {
            *ss->api_key = pp_authenticate(ss->srv, password);
        }
        if (ss->password != NULL) {
            *ss->password = password;
        } else {
            free(password);
        }
    }
    for (size_t i = 0; ss->funds != NULL && ss->funds[i] != NULL; i += 2) {
        pp_fund(ss->srv, admin_token, ss->funds[i], ss->funds[i + 1]);
    }
    if (ss->admin_token != NULL) {
        *ss->admin_token = admin_token;
    } else {
        free(admin_token);
    }
    return 0;
}

void pp_session_stop(const struct pp_session *ss)
{
    pp_server_destroy(ss->srv);
    char **owned[] = {ss->admin_token, ss->api_key, ss->password};
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++) {
        if (owned[i] != NULL) {
            free(*owned[i]);
            *owned[i] = NULL;
        }
    }
}

/* The session of the group that runs (one at a time). */
static const struct pp_session *running;

static int session_group_setup(void **state)
{
    (void)state;
    if (pp_session_start(running) != 0) {
        return -1;
    }
    return running->after_start != NULL ? running->after_start() : 0;
}

static int session_group_teardown(void **state)
{
    (void)state;
    if (running->before_stop != NULL) {
        running->before_stop();
    }
    pp_session_stop(running);
    return 0;
}

int pp_session_run(const char *name, const struct CMUnitTest *tests, size_t count,
                   const struct pp_session *ss)
{
    running = ss;
    int failed =
        _cmocka_run_group_tests(name, tests, count, session_group_setup, session_group_teardown);
    running = NULL;
    return failed;
}

void pp_server_restart_signed_in(struct pp_server *next, const struct pp_server *prev,
                                 const char *const *env, char **admin_token, char **api_key)
{
    struct pp_server_opts opts = {.db_path = prev->db_path, .env = env};
    assert_int_equal(pp_server_start(next, &opts), 0);
    free(*admin_token);
    *admin_token = pp_admin_login(next);
    free(*api_key);
    *api_key = strdup(*admin_token);
}

/* --- Payouts ----------------------------------------------------------------------- */

long long pp_store_phone_recipients(const struct pp_server *s, const char *token, int count)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    fputs("{\"payments\":[", f);
    for (int i = 0; i < count; i++) {
        fprintf(f,
                "%s{\"amount\":0.01,\"currency\":\"GBP\",\"startDate\":\"2031-01-01T00:00:00Z\","
                "\"endDate\":\"2031-06-01T00:00:00Z\",\"name\":\"Old\",\"description\":\"old\","
                "\"phoneNumber\":\"+4479%08d\",\"notification\":false}",
                i == 0 ? "" : ",", i);
    }
    fputs("]}", f);
    assert_int_equal(fclose(f), 0);
    struct pp_resp *r = pp_post(s, "/api/payment/create-list", token, buf);
    free(buf);
    pp_assert_status(r, 200);
    json_t *rows = json_object_get(r->json, "payments");
    assert_int_equal(json_array_size(rows), (size_t)count);
    long long oldest = pp_json_int(json_array_get(rows, 0), "recipientId");
    pp_resp_free(r);
    return oldest;
}

long long pp_payout_create(const struct pp_server *s, const char *token, const char *body,
                           const char *want_status)
{
    struct pp_resp *r = pp_post(s, "/api/payment/create", token, body);
    pp_assert_status(r, 200);
    const json_t *list = json_object_get(r->json, "payments");
    if (!json_is_array(list) || json_array_size(list) != 1) {
        fail_msg("create: \"payments\" is not a one-element array: %.2000s", r->body);
    }
    const json_t *p = json_array_get(list, 0);
    if (want_status != NULL) {
        pp_assert_json_str(p, "status", want_status);
    }
    long long id = pp_json_int(p, "id");
    pp_resp_free(r);
    return id;
}

struct pp_resp *pp_payout_get(const struct pp_server *s, const char *token, long long id)
{
    char *path = pp_fmt("/api/payments/%lld", id);
    struct pp_resp *r = pp_get(s, path, token);
    pp_assert_status(r, 200);
    if (pp_json_int(r->json, "id") != id) {
        fail_msg("%s answered another payout: %.2000s", r->what, r->body);
    }
    free(path);
    return r;
}

void pp_assert_payout_status(const struct pp_server *s, const char *token, long long id,
                             const char *status)
{
    struct pp_resp *r = pp_payout_get(s, token, id);
    pp_assert_json_str(r->json, "status", status);
    pp_resp_free(r);
}

void pp_payout_wait_status(const struct pp_server *s, const char *token, long long id,
                           const char *status, long timeout_ms)
{
    long long until = pp_now_ms() + timeout_ms;
    for (;;) {
        struct pp_resp *r = pp_payout_get(s, token, id);
        const char *now = json_string_value(json_object_get(r->json, "status"));
        int done = now != NULL && strcmp(now, status) == 0;
        if (!done && pp_now_ms() > until) {
            fail_msg("payout %lld is still %s after %ld ms: %.2000s", id, now, timeout_ms, r->body);
        }
        pp_resp_free(r);
        if (done) {
            return;
        }
        pp_sleep_ms(50);
    }
}

void pp_assert_success_count(const struct pp_server *s, const char *path, const char *token,
                             const char *body, long long n)
{
    struct pp_resp *r = pp_post(s, path, token, body);
    pp_assert_status(r, 200);
    if (json_object_size(r->json) != 1 || pp_json_int(r->json, "success") != n) {
        fail_msg("%s %s: expected {\"success\":%lld}, got %s", path, body, n, r->body);
    }
    pp_resp_free(r);
}

/* How many times id stands in the subject "payout:1,2,3" (0 for another
** subject). */
static long long subject_count(const char *subject, long long id)
{
    long long count = 0;
    if (subject == NULL || strncmp(subject, "payout:", 7) != 0) {
        return 0;
    }
    for (const char *p = subject + 7; *p != '\0';) {
        char *end = NULL;
        long long v = strtoll(p, &end, 10);
        count += v == id;
        p = *end == ',' ? end + 1 : end + strlen(end);
    }
    return count;
}

long long pp_audit_count(const struct pp_server *s, const char *admin_token, const char *action,
                         long long id, const char *actor_kind)
{
    long long count = 0;
    for (long long page = 1; page <= 1000; page++) {
        char *path = pp_fmt("/api/admin/audit?action=%s&size=100&page=%lld", action, page);
        struct pp_resp *r = pp_get(s, path, admin_token);
        pp_assert_status(r, 200);
        const json_t *list = json_object_get(r->json, "audit");
        assert_true(json_is_array(list));
        size_t n = json_array_size(list);
        for (size_t i = 0; i < n; i++) {
            const json_t *e = json_array_get(list, i);
            pp_assert_json_str(e, "action", action);
            pp_assert_json_str(json_object_get(e, "actor"), "kind", actor_kind);
            const char *subject = json_string_value(json_object_get(e, "subject"));
            count += id == 0 ? 1 : subject_count(subject, id);
        }
        pp_resp_free(r);
        free(path);
        if (n < 100) {
            break;
        }
    }
    return count;
}

/* --- Checks -------------------------------------------------------------------------- */

void pp_assert_check(const char *db_path, const char *when)
{
    char *out = NULL;
    int rc = pp_check(db_path, &out);
    if (rc != 0) {
        fail_msg("check (%s) exited %d: %s", when, rc, out != NULL ? out : "");
    }
    free(out);
}

void pp_stop_and_check(struct pp_server *s, const char *when)
{
    assert_int_equal(pp_server_stop(s), 0);
    pp_assert_check(s->db_path, when);
}

void pp_expect_error(struct pp_resp *r, long status, const char *type)
{
    pp_assert_error(r, status, type);
    pp_resp_free(r);
}

void pp_assert_get_errors(const struct pp_server *s, const char *token, const char *const *paths,
                          size_t n, long status, const char *type)
{
    for (size_t i = 0; i < n; i++) {
        pp_expect_error(pp_get(s, paths[i], token), status, type);
    }
}

/* --- Threads ----------------------------------------------------------------------- */

void pp_threads_run(size_t count, void *(*fn)(void *), pthread_barrier_t *barrier)
{
    pthread_t threads[PP_THREADS_MAX];
    size_t index[PP_THREADS_MAX];
    assert_true(count > 0 && count <= PP_THREADS_MAX);
    if (barrier != NULL) {
        assert_int_equal(pthread_barrier_init(barrier, NULL, (unsigned)count), 0);
    }
    for (size_t t = 0; t < count; t++) {
        index[t] = t;
        assert_int_equal(pthread_create(&threads[t], NULL, fn, &index[t]), 0);
    }
    for (size_t t = 0; t < count; t++) {
        pthread_join(threads[t], NULL);
    }
    if (barrier != NULL) {
        pthread_barrier_destroy(barrier);
    }
}
