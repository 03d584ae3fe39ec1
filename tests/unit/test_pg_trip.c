/*
** Unit test of store_pg_trip (src/store/pg/conn.c): several statements in
** one round trip over libpq's pipeline mode, on the run's PostgreSQL
** cluster (PP_TEST_PG_URL_FILE, fixture pg; without it the test fails).
** It checks that every step's result reaches its caller, that the first
** failure is the one told and the steps after it give nothing, that the
** connection leaves pipeline mode either way (a plain statement runs
** after), that a transaction a trip opened stays open for the next trip
** and is rolled back by store_pg_read_end, and that a link cut under a
** trip answers PP_UNAVAILABLE and closes the connection. Only SQL text is
** run: no schema is needed.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store/pg/internal.h"
#include "support/pg_url.h"

static char url[1024];

static int group_setup(void **state)
{
    (void)state;
    return unit_pg_url("test_pg_trip", url, sizeof url);
}

static void conn_open(struct pg_conn *c)
{
    struct pp_err err = {0};
    memset(c, 0, sizeof *c);
    assert_int_equal(store_pg_conn_open(c, url, 0, &err), PP_OK);
}

/* A plain statement (outside pipeline mode) answers v on c. */
static void assert_plain(struct pg_conn *c, const char *sql, const char *v)
{
    struct pp_err err = {0};
    PGresult *res = NULL;
    assert_int_equal(store_pg_run_sql(c, sql, NULL, &res, NULL, "a plain read", &err), PP_OK);
    assert_string_equal(PQgetvalue(res, 0, 0), v);
    PQclear(res);
}

static void test_every_result_reaches_its_step(void **state)
{
    (void)state;
    struct pg_conn c;
    conn_open(&c);
    PGresult *a = NULL;
    PGresult *b = NULL;
    struct pg_params p;
    pg_params_init(&p);
    pg_param_text(&p, "seven");
    const struct pg_trip_step steps[] = {
        {PG_STMT_COUNT, "SELECT 41 + 1", NULL, &a, "first"},
        {PG_STMT_COUNT, "SELECT 'no result wanted'", NULL, NULL, "second"},
        {PG_STMT_COUNT, "SELECT $1::text || '!'", &p, &b, "third"},
    };
    struct pp_err err = {0};
    assert_int_equal(store_pg_trip(&c, steps, 3, &err), PP_OK);
    assert_non_null(a);
    assert_non_null(b);
    assert_string_equal(PQgetvalue(a, 0, 0), "42");
    assert_string_equal(PQgetvalue(b, 0, 0), "seven!");
    PQclear(a);
    PQclear(b);
    assert_int_equal(PQpipelineStatus(c.pg), PQ_PIPELINE_OFF);
    assert_plain(&c, "SELECT 'after'", "after");
    store_pg_conn_close(&c);
}

static void test_first_failure_is_told(void **state)
{
    (void)state;
    struct pg_conn c;
    conn_open(&c);
    PGresult *a = NULL;
    PGresult *c3 = NULL;
    const struct pg_trip_step steps[] = {
        {PG_STMT_COUNT, "SELECT 1", NULL, &a, "first"},
        {PG_STMT_COUNT, "SELECT 1 / 0", NULL, NULL, "dividing by zero"},
        {PG_STMT_COUNT, "SELECT 3", NULL, &c3, "third"},
    };
    struct pp_err err = {0};
    assert_int_equal(store_pg_trip(&c, steps, 3, &err), PP_INTERNAL);
    assert_int_equal(err.status, PP_INTERNAL);
    /* The step before the failure answered; the one after it was skipped. */
    assert_non_null(a);
    assert_string_equal(PQgetvalue(a, 0, 0), "1");
    PQclear(a);
    assert_null(c3);
    /* Out of pipeline mode and still connected: usable as it is. */
    assert_false(store_pg_conn_lost(&c));
    assert_int_equal(PQpipelineStatus(c.pg), PQ_PIPELINE_OFF);
    assert_plain(&c, "SELECT 'after'", "after");
    store_pg_conn_close(&c);
}

static void test_transaction_spans_trips(void **state)
{
    (void)state;
    struct pg_conn c;
    conn_open(&c);
    struct pp_err err = {0};
    const struct pg_trip_step open_tx[] = {
        {PG_STMT_COUNT, "BEGIN", NULL, NULL, "beginning"},
        {PG_STMT_COUNT, "CREATE TEMP TABLE trip_t (v int) ON COMMIT DROP", NULL, NULL, "a table"},
        {PG_STMT_COUNT, "INSERT INTO trip_t VALUES (5)", NULL, NULL, "a row"},
    };
    assert_int_equal(store_pg_trip(&c, open_tx, 3, &err), PP_OK);
    /* The transaction is still open: the next trip sees its row. */
    assert_int_equal(PQtransactionStatus(c.pg), PQTRANS_INTRANS);
    PGresult *res = NULL;
    const struct pg_trip_step read_tx[] = {
        {PG_STMT_COUNT, "SELECT v FROM trip_t", NULL, &res, "reading the row"},
    };
    assert_int_equal(store_pg_trip(&c, read_tx, 1, &err), PP_OK);
    assert_string_equal(PQgetvalue(res, 0, 0), "5");
    PQclear(res);
    /* A failure inside it leaves it aborted; store_pg_read_end rolls it
    ** back and the connection is idle again. */
    const struct pg_trip_step fail_tx[] = {
        {PG_STMT_COUNT, "SELECT v / 0 FROM trip_t", NULL, NULL, "dividing by zero"},
        {PG_STMT_COUNT, "COMMIT", NULL, NULL, "committing"},
    };
    assert_int_equal(store_pg_trip(&c, fail_tx, 2, &err), PP_INTERNAL);
    assert_int_equal(PQtransactionStatus(c.pg), PQTRANS_INERROR);
    store_pg_read_end(&c);
    assert_int_equal(PQtransactionStatus(c.pg), PQTRANS_IDLE);
    assert_plain(&c, "SELECT count(*) FROM pg_tables WHERE tablename = 'trip_t'", "0");
    store_pg_conn_close(&c);
}

static void test_cut_link_is_unavailable(void **state)
{
    (void)state;
    struct pg_conn c;
    struct pg_conn killer;
    conn_open(&c);
    conn_open(&killer);
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%d)", PQbackendPID(c.pg));
    assert_plain(&killer, sql, "t");
    store_pg_conn_close(&killer);
    PGresult *res = NULL;
    const struct pg_trip_step steps[] = {
        {PG_STMT_COUNT, "BEGIN", NULL, NULL, "beginning"},
        {PG_STMT_COUNT, "SELECT 1", NULL, &res, "reading"},
    };
    struct pp_err err = {0};
    assert_int_equal(store_pg_trip(&c, steps, 2, &err), PP_UNAVAILABLE);
    assert_int_equal(err.status, PP_UNAVAILABLE);
    assert_null(res);
    /* Closed, so its next use reconnects. */
    assert_true(store_pg_conn_lost(&c));
    store_pg_read_end(&c);
    store_pg_conn_close(&c);
    /* A trip on a connection that is already gone does not try. */
    assert_int_equal(store_pg_trip(&c, steps, 2, &err), PP_UNAVAILABLE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_result_reaches_its_step),
        cmocka_unit_test(test_first_failure_is_told),
        cmocka_unit_test(test_transaction_spans_trips),
        cmocka_unit_test(test_cut_link_is_unavailable),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
