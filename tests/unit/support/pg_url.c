/*
** This module implements how the PostgreSQL unit tests find the run's
** cluster (see pg_url.h).
*/
#include "support/pg_url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int unit_pg_url(const char *test, char *out, size_t out_size)
{
    const char *file = getenv("PP_TEST_PG_URL_FILE");
    FILE *f = file != NULL ? fopen(file, "r") : NULL;
    int ok = f != NULL && fgets(out, (int)out_size, f) != NULL;
    if (f != NULL) {
        fclose(f);
    }
    if (!ok) {
        fprintf(stderr, "%s: no PostgreSQL URL in PP_TEST_PG_URL_FILE (%s)\n", test,
                file != NULL ? file : "unset");
        return -1;
    }
    out[strcspn(out, "\n")] = '\0';
    return 0;
}
