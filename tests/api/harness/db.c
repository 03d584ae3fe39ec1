/*
** This module implements the harness's choice of database
** (harness/db.h): a file per server, or a fresh PostgreSQL database per
** server (tests/pg/fresh.c on the run's cluster, named after the
** process and a counter), so every test starts empty on both
** backends. The databases go when the cluster is stopped at the end of
** the run (ctest fixture pg).
*/
#include "harness/db.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/util.h"
#include "pg/fresh.h"

int pp_db_is_postgres(void)
{
    const char *b = getenv("PP_TEST_BACKEND");
    return b != NULL && strcmp(b, "postgresql") == 0;
}

/* The cluster's URL from PP_TEST_PG_URL_FILE (new, free()), or NULL. */
static char *cluster_url(void)
{
    const char *file = getenv("PP_TEST_PG_URL_FILE");
    if (file == NULL || file[0] == '\0') {
        fprintf(stderr, "harness: PP_TEST_BACKEND=postgresql needs PP_TEST_PG_URL_FILE\n");
        return NULL;
    }
    char *url = pp_file_read(file, NULL);
    if (url == NULL) {
        fprintf(stderr, "harness: no PostgreSQL cluster (cannot read %s)\n", file);
        return NULL;
    }
    url[strcspn(url, "\n")] = '\0';
    return url;
}

int pp_db_fresh(const char *dir, char *out, size_t out_size)
{
    static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    static unsigned counter;
    if (!pp_db_is_postgres()) {
        snprintf(out, out_size, "%s/payout.db", dir);
        return 0;
    }
    char *url = cluster_url();
    if (url == NULL) {
        return -1;
    }
    pthread_mutex_lock(&mu);
    unsigned n = ++counter;
    pthread_mutex_unlock(&mu);
    char name[64];
    snprintf(name, sizeof name, "t%ld_%u", (long)getpid(), n);
    int rc = pp_pg_fresh_database("harness", url, name, out, out_size);
    free(url);
    return rc;
}
