/*
** This module implements the projects table: store_sqlite_tx_project_ensure finds
** a project by its exact (case-sensitive) name or creates it. Projects
** are never renamed or deleted, so the writer's cache (idcache.c) answers
** for a name it has seen without a statement.
**
** Reading and listing projects is the read side's (reads.c).
*/
#include <string.h>

#include "payout/base/assert.h"
#include "store/sqlite/internal.h"

static enum pp_status project_find(struct store_conn *c, const char *name, int64_t *id_out,
                                   int *found_out, struct pp_err *err)
{
    struct store_q q;
    store_q_init(&q, c, STORE_STMT_PROJECT_FIND, "SELECT id FROM projects WHERE name = ?1");
    store_q_text(&q, 1, name);
    enum pp_status status = PP_OK;
    int rc = store_q_step(&q);
    *found_out = rc == SQLITE_ROW;
    if (rc == SQLITE_ROW) {
        *id_out = sqlite3_column_int64(q.stmt, 0);
    } else if (rc != SQLITE_DONE) {
        status = store_q_fail(&q, "finding a project", err);
    }
    store_q_reset(&q);
    return status;
}

enum pp_status store_sqlite_tx_project_ensure(struct store_sqlite_tx *tx, const char *name,
                                              int64_t now_ms, int64_t *id_out, struct pp_err *err)
{
    struct store_conn *c = store_tx_conn(tx);
    PP_ASSERT(name != NULL && id_out != NULL);
    int found = 0;
    enum pp_status status = PP_OK;
    size_t len = strlen(name);
    if (len == 0 || len > PP_PROJECT_NAME_BYTES_MAX) {
        status = pp_err_set(err, PP_INVALID_PARAMS, "name must be 1 to %d bytes",
                            PP_PROJECT_NAME_BYTES_MAX);
        goto done;
    }
    if (store_idcache_get(&tx->st->idcache, STORE_IDCACHE_PROJECT, name, len, id_out, NULL, NULL)) {
        goto done;
    }
    status = project_find(c, name, id_out, &found, err);
    if (status == PP_OK && found) {
        store_idcache_put(&tx->st->idcache, STORE_IDCACHE_PROJECT, name, len, *id_out, NULL, 0);
    }
    if (status != PP_OK || found) {
        goto done;
    }
    struct store_q q;
    store_q_init(&q, c, STORE_STMT_PROJECT_INSERT,
                 "INSERT INTO projects (name, created_ms) VALUES (?1, ?2)");
    store_q_text(&q, 1, name);
    store_q_int64(&q, 2, now_ms);
    if (store_q_step(&q) == SQLITE_DONE) {
        *id_out = sqlite3_last_insert_rowid(c->db);
        store_idcache_put(&tx->st->idcache, STORE_IDCACHE_PROJECT, name, len, *id_out, NULL, 0);
    } else {
        status = store_q_fail(&q, "inserting a project", err);
    }
    store_q_reset(&q);
done:
    return status;
}
