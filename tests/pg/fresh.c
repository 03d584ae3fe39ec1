/*
** This module implements a fresh PostgreSQL database for a test (see
** fresh.h): CREATE DATABASE through libpq on the run's cluster.
*/
#include "pg/fresh.h"

#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>

int pp_pg_fresh_database(const char *who, const char *cluster_url, const char *name, char *out,
                         size_t out_size)
{
    const char *slash = strstr(cluster_url, ":///");
    const char *query = strchr(cluster_url, '?');
    if (slash == NULL || query == NULL || query < slash) {
        fprintf(stderr, "%s: unexpected cluster URL %s\n", who, cluster_url);
        return -1;
    }
    int n = snprintf(out, out_size, "%.*s:///%s%s", (int)(slash - cluster_url), cluster_url, name,
                     query);
    if (n <= 0 || (size_t)n >= out_size) {
        fprintf(stderr, "%s: the database URL does not fit\n", who);
        return -1;
    }
    PGconn *pg = PQconnectdb(cluster_url);
    int rc = 0;
    if (PQstatus(pg) != CONNECTION_OK) {
        fprintf(stderr, "%s: cannot reach the PostgreSQL cluster: %s\n", who, PQerrorMessage(pg));
        rc = -1;
    } else {
        char sql[128];
        snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
        PGresult *res = PQexec(pg, sql);
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            fprintf(stderr, "%s: %s failed: %s\n", who, sql, PQerrorMessage(pg));
            rc = -1;
        }
        PQclear(res);
    }
    PQfinish(pg);
    return rc;
}
