/*
** This module proves crash safety: several client threads fire a burst of
** creates and cancels, the server is SIGKILLed in the middle of it, and
** restarted on the same database - over CYCLES cycles. After every kill:
** - every create answered 200 is there (GET by id) with its description,
**   amount and a status its answers allow (READY, or CANCELLED when the
**   cancel was answered or unanswered);
** - no create answered with an error (422 for an unaffordable amount) is
**   there: each request carries a unique description, and the database is
**   searched for it (sqlite3 tool, read-only, on the stopped server's file);
** - every row the burst left is one that was answered 200 or not answered
**   at all (a kill can land after the commit and before the answer);
** - `payout-panel check` passes.
** The figures (requests answered, rows verified, cycles) are printed.
*/
#include "harness.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CYCLES 6
#define THREADS 4
#define PER_THREAD_MAX 2000

enum outcome { OUT_NONE, OUT_OK, OUT_ERROR, OUT_UNANSWERED };

struct attempt {
    char desc[64];
    enum outcome create;
    long long id;
    enum outcome cancel; /* OUT_NONE when no cancel was sent */
    int cancelled;       /* cancel answered {"success":1} */
};

struct worker {
    int cycle;
    int index;
    struct attempt *attempts;
    size_t count;
};

static struct pp_server srv;
static char db_path[1200];
static char dir[1024];
static char *api_key;
static char *admin_token;
static volatile int stop_flag;
/* The burst is about crashes, not rate limits. */
static const char *const server_args[] = {"--rate-limit", "0", NULL};
static long long verified_rows, answered_ok, answered_error, unanswered;

static struct pp_resp *post(CURL *h, const char *path, const char *body)
{
    struct pp_req req = {.method = "POST",
                         .path = path,
                         .token = api_key,
                         .body = body,
                         .body_len = PP_STRLEN,
                         .no_retry_429 = 1};
    return pp_request(&srv, h, &req);
}

static void *burst(void *arg)
{
    struct worker *w = arg;
    CURL *h = curl_easy_init();
    for (size_t i = 0; i < PER_THREAD_MAX && !stop_flag; i++) {
        struct attempt *a = &w->attempts[w->count++];
        snprintf(a->desc, sizeof a->desc, "crash-c%d-t%d-n%zu", w->cycle, w->index, i);
        /* Every 7th asks for more than the balance: it must leave nothing. */
        const char *amount = i % 7 == 6 ? "9000000" : "0.01";
        char *body = pp_fmt("{\"amount\":%s,\"currency\":\"GBP\",\"startDate\":\"2018-01-01\","
                            "\"endDate\":\"2099-01-01\",\"name\":\"crash\",\"description\":\"%s\","
                            "\"userName\":\"crash-user\",\"notification\":false}",
                            amount, a->desc);
        struct pp_resp *r = post(h, "/api/payment/create", body);
        free(body);
        if (r == NULL || r->status == 0) {
            a->create = OUT_UNANSWERED;
            pp_resp_free(r);
            break;
        }
        if (r->status == 200) {
            a->create = OUT_OK;
            a->id = json_integer_value(
                json_object_get(json_array_get(json_object_get(r->json, "payments"), 0), "id"));
        } else {
            a->create = OUT_ERROR;
        }
        pp_resp_free(r);
        if (a->create == OUT_OK && i % 3 == 1) {
            char *cbody = pp_fmt("{\"ids\":[%lld]}", a->id);
            r = post(h, "/api/payment/cancel", cbody);
            free(cbody);
            if (r == NULL || r->status == 0) {
                a->cancel = OUT_UNANSWERED;
                pp_resp_free(r);
                break;
            }
            a->cancel = r->status == 200 ? OUT_OK : OUT_ERROR;
            a->cancelled =
                r->status == 200 && json_integer_value(json_object_get(r->json, "success")) == 1;
            pp_resp_free(r);
        }
    }
    curl_easy_cleanup(h);
    return NULL;
}

/* Every "id description" line of the payouts the bursts left, as text. */
static char *rows_in_db(void)
{
    char *cmd = pp_fmt("sqlite3 '%s' \"SELECT id || ' ' || description || ' ' || status FROM "
                       "payouts WHERE description LIKE 'crash-%%'\"",
                       db_path);
    FILE *f = popen(cmd, "r");
    free(cmd);
    assert_non_null(f);
    size_t cap = 1 << 16, len = 0;
    char *text = malloc(cap);
    size_t n;
    while ((n = fread(text + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len < 4096) {
            cap *= 2;
            text = realloc(text, cap);
        }
    }
    text[len] = '\0';
    if (pclose(f) != 0) {
        fail_msg("the sqlite3 tool could not read %s", db_path);
    }
    return text;
}

static const struct attempt *find_attempt(struct worker *workers, const char *desc)
{
    for (int t = 0; t < THREADS; t++) {
        for (size_t i = 0; i < workers[t].count; i++) {
            if (strcmp(workers[t].attempts[i].desc, desc) == 0) {
                return &workers[t].attempts[i];
            }
        }
    }
    return NULL;
}

/* Every row in the database must be an attempt answered 200 or unanswered. */
static void verify_rows(struct worker *workers, int cycle)
{
    char *rows = rows_in_db();
    char prefix[32];
    snprintf(prefix, sizeof prefix, "crash-c%d-", cycle);
    for (char *line = strtok(rows, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        long long id = 0;
        char desc[64] = "";
        if (sscanf(line, "%lld %63s", &id, desc) != 2 ||
            strncmp(desc, prefix, strlen(prefix)) != 0) {
            continue;
        }
        const struct attempt *a = find_attempt(workers, desc);
        if (a == NULL || a->create == OUT_ERROR || a->create == OUT_NONE) {
            fail_msg("cycle %d: payout %lld \"%s\" exists but its create was %s", cycle, id, desc,
                     a == NULL ? "never sent" : "answered with an error");
        }
        if (a->create == OUT_OK && a->id != id) {
            fail_msg("cycle %d: \"%s\" answered id %lld but is stored as %lld", cycle, desc, a->id,
                     id);
        }
    }
    free(rows);
}

/* Every create answered 200 is readable with the status its answers allow. */
static void verify_answered(struct worker *workers, int cycle)
{
    for (int t = 0; t < THREADS; t++) {
        for (size_t i = 0; i < workers[t].count; i++) {
            const struct attempt *a = &workers[t].attempts[i];
            if (a->create == OUT_OK) {
                answered_ok++;
            } else if (a->create == OUT_ERROR) {
                answered_error++;
            } else if (a->create == OUT_UNANSWERED) {
                unanswered++;
            }
            if (a->create != OUT_OK) {
                continue;
            }
            char path[64];
            snprintf(path, sizeof path, "/api/payments/%lld", a->id);
            struct pp_resp *r = pp_get(&srv, path, api_key);
            if (r->status != 200) {
                fail_msg("cycle %d: payout %lld (\"%s\") answered 200 is lost: GET -> %ld", cycle,
                         a->id, a->desc, r->status);
            }
            const json_t *p = json_object_get(r->json, "payments");
            p = p != NULL ? json_array_get(p, 0) : r->json;
            pp_assert_json_str(p, "description", a->desc);
            const char *status = json_string_value(json_object_get(p, "status"));
            int ok = status != NULL &&
                     (a->cancelled ? strcmp(status, "CANCELLED") == 0
                      : a->cancel == OUT_UNANSWERED
                          ? strcmp(status, "READY") == 0 || strcmp(status, "CANCELLED") == 0
                          : strcmp(status, "READY") == 0);
            if (!ok) {
                fail_msg("cycle %d: payout %lld has status %s, which its answers do not allow",
                         cycle, a->id, status != NULL ? status : "(none)");
            }
            verified_rows++;
            pp_resp_free(r);
        }
    }
}

/* Every server of the test runs on db_path, which group_setup fills in
** before the session starts. */
static const struct pp_server_opts server_opts = {.db_path = db_path, .args = server_args};

static void check_ok(int cycle)
{
    char when[32];
    snprintf(when, sizeof when, "cycle %d", cycle);
    pp_assert_check(db_path, when);
}

static void restart(void)
{
    pp_server_destroy(&srv);
    assert_int_equal(pp_server_start(&srv, &server_opts), 0);
}

static void test_sigkill_during_burst(void **state)
{
    (void)state;
    unsigned seed = (unsigned)pp_now_ms();
    for (int cycle = 0; cycle < CYCLES; cycle++) {
        struct worker workers[THREADS];
        pthread_t threads[THREADS];
        stop_flag = 0;
        for (int t = 0; t < THREADS; t++) {
            workers[t] =
                (struct worker){cycle, t, calloc(PER_THREAD_MAX, sizeof(struct attempt)), 0};
            pthread_create(&threads[t], NULL, burst, &workers[t]);
        }
        pp_sleep_ms(150 + (long)(rand_r(&seed) % 450));
        pp_server_kill(&srv);
        stop_flag = 1;
        for (int t = 0; t < THREADS; t++) {
            pthread_join(threads[t], NULL);
        }
        check_ok(cycle);
        verify_rows(workers, cycle);
        restart();
        verify_answered(workers, cycle);
        for (int t = 0; t < THREADS; t++) {
            free(workers[t].attempts);
        }
    }
    printf("crash safety: %d SIGKILL cycles survived; %lld creates answered 200 all present "
           "(%lld rows verified), %lld answered with an error all absent, %lld unanswered; "
           "check passed after every kill\n",
           CYCLES, answered_ok, verified_rows, answered_error, unanswered);
    assert_true(answered_ok > 0 && answered_error > 0);
}

static const char *const funds[] = {"GBP", "100000", NULL};
static const struct pp_session session = {.srv = &srv,
                                          .admin_token = &admin_token,
                                          .api_key = &api_key,
                                          .opts = &server_opts,
                                          .funds = funds};

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sigkill_during_burst),
    };
    /* The database outlives each server: keep it in a directory of ours. */
    if (pp_temp_dir_make(dir, sizeof dir) != 0) {
        return 1;
    }
    snprintf(db_path, sizeof db_path, "%s/payout.db", dir);
    int failed = PP_SESSION_RUN(tests, &session);
    pp_temp_dir_remove(dir);
    return failed;
}
