/*
** Unit test of the plans of the PostgreSQL payouts' list pages
** (src/store/pg/reads.c), on a fresh database of the run's cluster
** (PP_TEST_PG_URL_FILE, fixture pg; without it the test fails) with the
** real schema and 60,000 payouts spread unevenly over currencies,
** statuses, projects and recipients, analysed. Each statement is the one
** the reader prepares (store_pg_payouts_list_sql). PostgreSQL runs a
** prepared statement on plans made for its values (custom plans), or on
** one plan for all values (the generic plan) once that costs no more than
** the first five custom plans did. The tests:
**  - the generic plan of every order without a filter, and of the pages
**    by status, by currency and status, and of everything, reads the
**    index of its order in order: never a sort, never the whole table;
**  - through the store's reader, those pages run on their generic plan
**    after five (with the row count a parameter, PostgreSQL costs a
**    generic plan as if it read a tenth of the rows and plans every page
**    again, and planning took twice the page's execution);
**  - an owner's page (a recipient's, a project's), whose row count stays
**    a parameter, has a generic plan that reads the owner's index in order;
**  - the row count is written into the statement for those pages only;
**    any other filter keeps it a parameter, planned for its values.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "payout/core/list_query.h"
#include "payout/store/reads.h"
#include "payout/store/store.h"
#include "store/backend.h"
#include "store/pg/internal.h"
#include "support/pg_url.h"

static const uint8_t key[PP_JWT_KEY_BYTES] = {7, 1, 7};

static PGconn *db;
static struct store *st;

/* Runs sql on db; fails the test unless it succeeded. Returns the result. */
static PGresult *run(const char *sql)
{
    PGresult *r = PQexec(db, sql);
    ExecStatusType s = PQresultStatus(r);
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
        fail_msg("%s: %s", sql, PQerrorMessage(db));
    }
    return r;
}

static void run_clear(const char *sql)
{
    PQclear(run(sql));
}

/* url with its database name ("postgresql:///NAME?...") replaced by name. */
static void url_with_db(const char *url, const char *name, char *out, size_t out_size)
{
    const char *slash = strstr(url, ":///");
    const char *query = strchr(url, '?');
    assert_non_null(slash);
    assert_non_null(query);
    int n = snprintf(out, out_size, "%.*s:///%s%s", (int)(slash - url), url, name, query);
    assert_true(n > 0 && (size_t)n < out_size);
}

/* Payouts: three quarters in EUR, a fifth in GBP, the rest in USD; six in
** ten RECEIVED, two READY, one EXPIRED, one CANCELLED; project 1 holds
** half of them, the rest spread over 39 projects; 3,000 recipients. */
static const char seed_sql[] =
    "INSERT INTO projects (name, created_ms) SELECT 'project ' || g, 0"
    " FROM generate_series(1, 40) g;"
    "INSERT INTO recipients (user_name, created_ms, updated_ms) SELECT 'recipient ' || g, 0, 0"
    " FROM generate_series(1, 3000) g;"
    "INSERT INTO payouts (project_id, recipient_id, currency, amount_minor, start_ms, end_ms,"
    " description, notification, status, created_ms, updated_ms, uuid)"
    " SELECT CASE WHEN g % 2 = 0 THEN 1 ELSE 2 + g % 39 END, 1 + (g * 7) % 3000,"
    " CASE WHEN g / 10 % 20 < 15 THEN 'EUR' WHEN g / 10 % 20 < 19 THEN 'GBP' ELSE 'USD' END,"
    " 1 + (g * 7919) % 1000000, 1700000000000 + g * 1000, 1700086400000 + g * 1000 + g % 7,"
    " 'plan test', 0,"
    " CASE WHEN g % 10 < 6 THEN 3 WHEN g % 10 < 8 THEN 2 WHEN g % 10 = 8 THEN 5 ELSE 4 END,"
    " 1700000000000 + g * 1000, 1700000000000 + g * 1000 + (g % 13) * 1000,"
    " lpad(to_hex(g), 8, '0') || '-0000-7000-8000-000000000000'"
    " FROM generate_series(1, 60000) g;"
    /* Statistics of every row (300 rows a unit of the target), so that
    ** the plans do not depend on which rows ANALYZE sampled. */
    "SET default_statistics_target = 200;"
    "ANALYZE;";

static int group_setup(void **state)
{
    (void)state;
    char cluster[1024];
    if (unit_pg_url("test_pg_plans", cluster, sizeof cluster) != 0) {
        return -1;
    }
    char name[64];
    char url[1200];
    char sql[128];
    snprintf(name, sizeof name, "pp_plans_%ld", (long)getpid());
    db = PQconnectdb(cluster);
    assert_int_equal(PQstatus(db), CONNECTION_OK);
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", name);
    run_clear(sql);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
    run_clear(sql);
    PQfinish(db);
    url_with_db(cluster, name, url, sizeof url);
    struct pp_err err = {0};
    int applied = 0;
    assert_int_equal(store_migrate(url, &applied, &err), PP_OK);
    assert_true(applied >= 1);
    db = PQconnectdb(url);
    assert_int_equal(PQstatus(db), CONNECTION_OK);
    run_clear(seed_sql);
    /* One reader: every page below runs on the connection inspected. */
    assert_int_equal(store_open(url, 1, &st, &err), PP_OK);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    store_close(st);
    PQfinish(db);
    return 0;
}

/* The payouts' list query of qs ("k=v&k=v"); a keyset page after the row
** of id 30,000 (value 1,700,030,000,000) when keyset. */
static void query_of(const char *qs, int keyset, struct core_list_query *q)
{
    char buf[512];
    char *save = NULL;
    struct pp_err err = {0};
    core_list_query_init(q, CORE_LIST_PAYOUTS);
    snprintf(buf, sizeof buf, "%s", qs);
    for (char *pair = strtok_r(buf, "&", &save); pair != NULL; pair = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(pair, '=');
        assert_non_null(eq);
        *eq = '\0';
        assert_int_equal(core_list_query_param(q, pair, eq + 1, &err), PP_OK);
    }
    assert_int_equal(core_list_query_finish(q, key, &err), PP_OK);
    if (keyset) {
        q->page.keyset = 1;
        q->page.offset = 0;
        q->page.after_value = 1700030000000;
        q->page.after_id = 30000;
    }
}

/* Prepares the page statement of q as "page" on db; exec receives the
** statement that runs it with its parameters as SQL literals. */
static void prepare_page(const struct core_list_query *q, char *exec, size_t exec_size)
{
    struct pg_list_sql s;
    store_pg_payouts_list_sql(&q->payouts, &q->page, 0, &s);
    PGresult *r = PQprepare(db, "page", s.sql.data, 0, NULL);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        fail_msg("%s: %s", s.sql.data, PQerrorMessage(db));
    }
    PQclear(r);
    snprintf(exec, exec_size, "EXECUTE page");
    for (int i = 0; i < s.p.n; i++) {
        assert_non_null(s.p.values[i]);
        char *lit = PQescapeLiteral(db, s.p.values[i], strlen(s.p.values[i]));
        assert_non_null(lit);
        size_t used = strlen(exec);
        int n = snprintf(exec + used, exec_size - used, "%s%s%s", i == 0 ? "(" : ", ", lit,
                         i == s.p.n - 1 ? ")" : "");
        assert_true(n > 0 && (size_t)n < exec_size - used);
        PQfreemem(lit);
    }
    pp_buf_free(&s.sql);
}

/* The generic plan of qs's page (keyset: a keyset page), one line. */
static void generic_plan(const char *qs, int keyset, char *plan, size_t plan_size)
{
    struct core_list_query q;
    char exec[600];
    char sql[640];
    query_of(qs, keyset, &q);
    prepare_page(&q, exec, sizeof exec);
    run_clear("SET plan_cache_mode = force_generic_plan");
    snprintf(sql, sizeof sql, "EXPLAIN %s", exec);
    PGresult *r = run(sql);
    plan[0] = '\0';
    for (int i = 0; i < PQntuples(r); i++) {
        size_t used = strlen(plan);
        snprintf(plan + used, plan_size - used, "%s; ", PQgetvalue(r, i, 0));
    }
    PQclear(r);
    run_clear("RESET plan_cache_mode");
    run_clear("DEALLOCATE page");
}

/* Whether plan reads index in order: that index, no sort, no table scan. */
static int reads_in_order(const char *plan, const char *index)
{
    char using[96];
    snprintf(using, sizeof using, "using %s on payouts", index);
    return strstr(plan, using) != NULL && strstr(plan, "Sort") == NULL &&
           strstr(plan, "Seq Scan") == NULL;
}

/* A page's query string, and the index its plan must read in order. */
struct shape {
    const char *qs;
    const char *index;
};

static const struct shape orders[] = {
    {"orderBy=createdAt", "payouts_created"}, {"orderBy=updatedAt", "payouts_updated"},
    {"orderBy=amount", "payouts_amount"},     {"orderBy=startDate", "payouts_start"},
    {"orderBy=endDate", "payouts_end"},       {"orderBy=status", "payouts_status"},
};

/* Filters in id order; the page reads the index its lead column starts. */
static const struct shape filters[] = {
    {"status=READY", "payouts_status"},
    {"status=RECEIVED", "payouts_status"},
    {"currency=EUR&status=READY", "payouts_currency"},
    {"currency=USD&status=RECEIVED", "payouts_currency"},
    {"orderBy=id", "payouts_pkey"},
    {"orderBy=id&dir=desc", "payouts_pkey"},
};

/* An owner's pages (recipients hold 20 payouts each, projects 1,500 on
** average), each reading the owner's index. */
static const struct shape owners[] = {
    {"recipientId=5", "payouts_recipient"},
    {"projectId=5", "payouts_project"},
    {"recipientId=5&dir=desc", "payouts_recipient"},
};

static void test_generic_plans_read_in_order(void **state)
{
    (void)state;
    char plan[4096];
    char qs[128];
    for (size_t i = 0; i < sizeof orders / sizeof orders[0]; i++) {
        for (int desc = 0; desc <= 1; desc++) {
            snprintf(qs, sizeof qs, "%s&dir=%s", orders[i].qs, desc ? "desc" : "asc");
            for (int keyset = 0; keyset <= 1; keyset++) {
                generic_plan(qs, keyset, plan, sizeof plan);
                if (!reads_in_order(plan, orders[i].index)) {
                    fail_msg("%s (keyset %d): generic plan %s", qs, keyset, plan);
                }
            }
        }
    }
    for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++) {
        for (int keyset = 0; keyset <= 1; keyset++) {
            generic_plan(filters[i].qs, keyset, plan, sizeof plan);
            if (!reads_in_order(plan, filters[i].index)) {
                fail_msg("%s (keyset %d): generic plan %s", filters[i].qs, keyset, plan);
            }
        }
    }
    /* A page past the first by number (OFFSET) reads in order too. */
    generic_plan("currency=EUR&status=READY&page=3", 0, plan, sizeof plan);
    if (!reads_in_order(plan, "payouts_currency") || strstr(plan, "Limit") == NULL) {
        fail_msg("page 3: generic plan %s", plan);
    }
}

/* Rows a page hands over (the callback of store_payouts_page). */
static void count_row(void *ctx, const struct pp_payout *p)
{
    (void)p;
    (*(int *)ctx)++;
}

/* Reads qs's page (keyset: a keyset page) runs times through the store's
** reader, as the server does. */
static void read_pages(const char *qs, int keyset, int runs)
{
    struct core_list_query q;
    query_of(qs, keyset, &q);
    for (int i = 0; i < runs; i++) {
        struct pp_page_info info;
        struct pp_err err = {0};
        int rows = 0;
        assert_int_equal(store_payouts_page(st, &q.payouts, &q.page, count_row, &rows, &info, &err),
                         PP_OK);
        assert_int_equal((size_t)rows, info.rows);
        assert_true(rows >= 1 || keyset);
    }
}

/* The generic runs of the statement the store's reader prepared for qs's
** page (keyset: a keyset page): -1 when it holds none (unprepared). */
static long reader_generic_runs(const char *qs, int keyset)
{
    struct core_list_query q;
    struct pg_list_sql s;
    query_of(qs, keyset, &q);
    store_pg_payouts_list_sql(&q.payouts, &q.page, 0, &s);
    struct pg_conn *c = NULL;
    struct pp_err err = {0};
    assert_int_equal(store_pg_reader_acquire(st->backend, &c, &err), PP_OK);
    const char *values[1] = {s.sql.data};
    PGresult *r = PQexecParams(c->pg,
                               "SELECT generic_plans FROM pg_prepared_statements"
                               " WHERE statement = $1",
                               1, NULL, values, NULL, NULL, 0);
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    long n = PQntuples(r) == 1 ? strtol(PQgetvalue(r, 0, 0), NULL, 10) : -1;
    assert_true(PQntuples(r) <= 1);
    PQclear(r);
    store_pg_reader_release(st->backend, c);
    pp_buf_free(&s.sql);
    return n;
}

/* Pages by status, of everything, and in every order, first and keyset
** pages, are planned five times, then run on the generic plan. (Pages by
** currency and status here keep their custom plans: with three quarters
** of the payouts in EUR, PostgreSQL costs a plan made for EUR below the
** generic one.) */
static void test_pages_keep_their_generic_plan(void **state)
{
    (void)state;
    enum { RUNS = 10 };
    static const char *const first[] = {"status=READY", "orderBy=id", "orderBy=id&dir=desc"};
    for (size_t i = 0; i < sizeof first / sizeof first[0]; i++) {
        read_pages(first[i], 0, RUNS);
        long n = reader_generic_runs(first[i], 0);
        if (n < RUNS - 5) {
            fail_msg("%s: %ld of %d pages on the generic plan", first[i], n, RUNS);
        }
    }
    char qs[128];
    for (size_t i = 0; i < sizeof orders / sizeof orders[0]; i++) {
        for (int desc = 0; desc <= 1; desc++) {
            snprintf(qs, sizeof qs, "%s&dir=%s", orders[i].qs, desc ? "desc" : "asc");
            for (int keyset = 0; keyset <= 1; keyset++) {
                read_pages(qs, keyset, RUNS);
                long n = reader_generic_runs(qs, keyset);
                if (n < RUNS - 5) {
                    fail_msg("%s (keyset %d): %ld of %d pages on the generic plan", qs, keyset, n,
                             RUNS);
                }
            }
        }
    }
}

/* An owner's page keeps its row count a parameter, and then its generic
** plan reads the owner's index in order too. (With the count in the text,
** the generic plan of a recipient's page is made for a recipient of
** average size here, 20 payouts, which it reads whole and sorts: for a
** recipient with many payouts it would read and sort all of them.) */
static void test_owner_generic_plans_read_in_order(void **state)
{
    (void)state;
    char plan[4096];
    for (size_t i = 0; i < sizeof owners / sizeof owners[0]; i++) {
        for (int keyset = 0; keyset <= 1; keyset++) {
            generic_plan(owners[i].qs, keyset, plan, sizeof plan);
            if (!reads_in_order(plan, owners[i].index)) {
                fail_msg("%s (keyset %d): generic plan %s", owners[i].qs, keyset, plan);
            }
        }
    }
}

/* The row count is written into the statement only where the plan reads
** the same rows whatever the values; any other filter sends it, and the
** first page's OFFSET 0, as parameters, so that PostgreSQL plans the page
** for its values (as it did for every page before). */
static void test_row_count_written_where_one_plan_fits(void **state)
{
    (void)state;
    static const char *const one_plan[] = {
        "orderBy=id",
        "status=READY",
        "currency=USD&status=RECEIVED",
        "orderBy=amount&dir=desc",
    };
    static const char *const per_values[] = {
        "currency=EUR",
        "currency=USD&orderBy=amount",
        "status=READY&orderBy=createdAt",
        "status=READY,CANCELLED",
        "currency=EUR&status=READY&amountMin=1.00",
        "currency=EUR&status=READY&projectId=1",
        "recipientId=5",
        "projectId=1&orderBy=amount",
    };
    struct core_list_query q;
    struct pg_list_sql s;
    for (size_t i = 0; i < sizeof one_plan / sizeof one_plan[0]; i++) {
        query_of(one_plan[i], 0, &q);
        store_pg_payouts_list_sql(&q.payouts, &q.page, 0, &s);
        if (strstr(s.sql.data, " LIMIT 26") == NULL || strstr(s.sql.data, "OFFSET") != NULL) {
            fail_msg("%s: %s", one_plan[i], s.sql.data);
        }
        pp_buf_free(&s.sql);
    }
    for (size_t i = 0; i < sizeof per_values / sizeof per_values[0]; i++) {
        query_of(per_values[i], 0, &q);
        store_pg_payouts_list_sql(&q.payouts, &q.page, 0, &s);
        if (strstr(s.sql.data, " LIMIT $") == NULL || strstr(s.sql.data, " OFFSET $") == NULL) {
            fail_msg("%s: %s", per_values[i], s.sql.data);
        }
        pp_buf_free(&s.sql);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generic_plans_read_in_order),
        cmocka_unit_test(test_pages_keep_their_generic_plan),
        cmocka_unit_test(test_owner_generic_plans_read_in_order),
        cmocka_unit_test(test_row_count_written_where_one_plan_fits),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
