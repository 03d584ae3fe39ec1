/*
** This module implements the settings table, a key/value store for the
** panel's configuration. Values may be secrets (the authentication
** password), so nothing here ever logs a value; keys are code constants
** and may be logged.
**
** What the keys mean is core's business.
*/
#include <string.h>

#include "payout/base/assert.h"
#include "payout/base/log.h"
#include "store/sqlite/internal.h"

enum pp_status store_sqlite_tx_setting_put(struct store_sqlite_tx *tx, const char *key,
                                           const char *value, struct pp_err *err)
{
    struct store_conn *c = store_tx_conn(tx);
    PP_ASSERT(key != NULL && key[0] != '\0' && value != NULL);
    struct store_q q;
    store_q_init(&q, c, STORE_STMT_SETTING_PUT,
                 "INSERT INTO settings (key, value) VALUES (?1, ?2)"
                 " ON CONFLICT (key) DO UPDATE SET value = excluded.value");
    store_q_text(&q, 1, key);
    store_q_text(&q, 2, value);
    enum pp_status status = PP_OK;
    if (store_q_step(&q) != SQLITE_DONE) {
        status = store_q_fail(&q, "writing a setting", err);
    }
    store_q_reset(&q);
    return status;
}

static enum pp_status setting_get(struct store_conn *c, const char *key, char *out, size_t out_size,
                                  int *found_out, struct pp_err *err)
{
    PP_ASSERT(key != NULL && out != NULL && out_size > 0 && found_out != NULL);
    struct store_q q;
    store_q_init(&q, c, STORE_STMT_SETTING_GET, "SELECT value FROM settings WHERE key = ?1");
    store_q_text(&q, 1, key);
    enum pp_status status = PP_OK;
    *found_out = 0;
    out[0] = '\0';
    int rc = store_q_step(&q);
    if (rc == SQLITE_ROW) {
        if (store_q_col_text(&q, 0, out, out_size) == 0) {
            *found_out = 1;
        } else {
            pp_log(PP_LOG_ERROR, "store: setting %s does not fit %zu bytes", key, out_size);
            status = pp_err_set(err, PP_INTERNAL, "storage error");
        }
    } else if (rc != SQLITE_DONE) {
        status = store_q_fail(&q, "reading a setting", err);
    }
    store_q_reset(&q);
    return status;
}

enum pp_status store_sqlite_tx_setting_get(struct store_sqlite_tx *tx, const char *key, char *out,
                                           size_t out_size, int *found_out, struct pp_err *err)
{
    return setting_get(store_tx_conn(tx), key, out, out_size, found_out, err);
}

/* One statement per setting on one read connection: only a shared
** database (PostgreSQL) reads settings per request. */
enum pp_status store_sqlite_settings_get(struct store_sqlite *st, struct store_setting_read *reads,
                                         size_t count, struct pp_err *err)
{
    struct store_conn *c = store_reader_acquire(st);
    enum pp_status status = PP_OK;
    for (size_t i = 0; i < count && status == PP_OK; i++) {
        status =
            setting_get(c, reads[i].key, reads[i].out, reads[i].out_size, &reads[i].found, err);
    }
    store_reader_release(st, c);
    return status;
}
