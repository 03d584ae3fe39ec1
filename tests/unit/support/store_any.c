/*
** This module implements the fixture of the store's unit tests that run
** on both backends (see store_any.h). A PostgreSQL store gets a database
** of its own (tests/pg/fresh.c, named after the process and a counter);
** the databases go when the run's cluster is stopped.
*/
#include "support/store_any.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "pg/fresh.h"
#include "support/pg_url.h"
#include "support/tmpdir.h"

int any_is_pg(void)
{
    const char *b = getenv("PP_TEST_BACKEND");
    return b != NULL && strcmp(b, "postgresql") == 0;
}

/* A fresh database on the run's cluster: its URL into out. */
static int any_pg_fresh(char *out, size_t out_size)
{
    static unsigned counter;
    char cluster[512];
    if (unit_pg_url("store_any", cluster, sizeof cluster) != 0) {
        return -1;
    }
    char name[64];
    snprintf(name, sizeof name, "u%ld_%u", (long)getpid(), ++counter);
    return pp_pg_fresh_database("store_any", cluster, name, out, out_size);
}

int any_setup(void **state)
{
    struct any_fx *fx = calloc(1, sizeof *fx);
    if (fx == NULL) {
        return -1;
    }
    fx->pg = any_is_pg();
    int rc = fx->pg ? any_pg_fresh(fx->url, sizeof fx->url)
                    : unit_tmpdir_create("pp_any_", "payout.db", fx->dir, sizeof fx->dir, fx->url,
                                         sizeof fx->url);
    struct pp_err err;
    pp_err_clear(&err);
    if (rc != 0 || store_open(fx->url, 4, &fx->st, &err) != PP_OK) {
        fprintf(stderr, "store_any: cannot open a fresh %s store: %s\n",
                fx->pg ? "PostgreSQL" : "SQLite", err.message);
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

int any_teardown(void **state)
{
    struct any_fx *fx = *state;
    store_close(fx->st);
    if (!fx->pg) {
        unit_tmpdir_destroy(fx->dir);
    }
    free(fx);
    return 0;
}

void any_reopen(struct any_fx *fx)
{
    store_close(fx->st);
    fx->st = NULL;
    struct pp_err err;
    pp_err_clear(&err);
    assert_int_equal(store_open(fx->url, 4, &fx->st, &err), PP_OK);
}
