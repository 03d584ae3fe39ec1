/*
** This header declares how the PostgreSQL unit tests find the run's
** cluster: its URL, written by tests/pg/pg_cluster.sh to the file named by
** PP_TEST_PG_URL_FILE (ctest fixture pg).
*/
#ifndef PP_UNIT_PG_URL_H
#define PP_UNIT_PG_URL_H

#include <stddef.h>

/* Reads the cluster's URL into out. Returns 0, or -1 with a line naming
** test on stderr when there is none (the test then fails: a missing
** cluster never skips it). */
int unit_pg_url(const char *test, char *out, size_t out_size);

#endif /* PP_UNIT_PG_URL_H */
