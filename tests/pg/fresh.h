/*
** This header declares how a test gets a PostgreSQL database of its own
** on the run's cluster (tests/pg/pg_cluster.sh): the API harness for each
** server (tests/api/harness/db.c) and the store's unit tests for each test
** (tests/unit/support/store_any.c). The databases go when the cluster is
** stopped at the end of the run.
*/
#ifndef PP_TESTS_PG_FRESH_H
#define PP_TESTS_PG_FRESH_H

#include <stddef.h>

/* Creates database name (letters, digits, '_') on the cluster whose URL
** is cluster_url ("postgresql:///DB?host=..."), and writes that URL with
** name as its database into out. Returns 0, or -1 with a line on stderr
** starting with who. */
int pp_pg_fresh_database(const char *who, const char *cluster_url, const char *name, char *out,
                         size_t out_size);

#endif /* PP_TESTS_PG_FRESH_H */
