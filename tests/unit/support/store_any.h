/*
** This header declares the fixture of the store's unit tests that run on
** both backends (test_store_money.c, test_store_people.c,
** test_store_outbox.c): a fresh store per test, reached only through the
** store interface (payout/store/). The backend is the run's choice:
** SQLite in a temporary directory, or, with PP_TEST_BACKEND=postgresql, a
** fresh database on the run's cluster (PP_TEST_PG_URL_FILE, ctest
** fixture pg). A missing cluster fails the test; it never falls back.
*/
#ifndef PP_UNIT_STORE_ANY_H
#define PP_UNIT_STORE_ANY_H

#include "payout/store/store.h"

struct any_fx {
    char dir[64];  /* SQLite: the temporary directory */
    char url[512]; /* what store_open was given */
    int pg;        /* 1: PostgreSQL */
    struct store *st;
};

/* 1 when the run asks for PostgreSQL (PP_TEST_BACKEND=postgresql). */
int any_is_pg(void);

/* Opens a fresh, migrated store (4 readers) into a struct any_fx in
** *state; any_teardown closes it (and removes SQLite's directory). */
int any_setup(void **state);

int any_teardown(void **state);

/* Closes fx->st and opens the same database again (what a restart does). */
void any_reopen(struct any_fx *fx);

#endif /* PP_UNIT_STORE_ANY_H */
