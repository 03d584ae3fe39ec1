/*
** This header declares which database the harness's servers store in:
** SQLite (a file in the server's temp dir, the default) or, when
** PP_TEST_BACKEND=postgresql, a fresh PostgreSQL database per server in
** the test run's cluster (tests/pg/pg_cluster.sh, whose URL is read from
** the file PP_TEST_PG_URL_FILE). A PostgreSQL run without a reachable
** cluster fails; it never falls back to SQLite.
*/
#ifndef PP_HARNESS_DB_H
#define PP_HARNESS_DB_H

#include <stddef.h>

/* 1 when the servers store in PostgreSQL (PP_TEST_BACKEND=postgresql). */
int pp_db_is_postgres(void);

/* Writes into out the database a new server of dir uses: dir/payout.db,
** or the URL of a freshly created PostgreSQL database. Returns 0, or -1
** (printed) when PostgreSQL was asked for and cannot be used. */
int pp_db_fresh(const char *dir, char *out, size_t out_size);

#endif /* PP_HARNESS_DB_H */
