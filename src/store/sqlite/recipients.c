/*
** This module implements the recipients table: looking a recipient up by
** one of its identifiers (userName, phoneNumber, referenceId; each unique,
** compared exactly) and saving one. Empty strings are stored as NULL, so
** "not set" never clashes with another recipient's "not set".
**
** The writer keeps the recipients it has read or saved in its cache
** (store_idcache_recipient_put, idcache.c): an identifier's value leads
** to a recipient id, the id to the recipient's newest record, and a
** record that no longer carries that value (the recipient changed it
** since) counts as a miss, so the table is asked. Every change of a recipient goes through
** store_sqlite_tx_recipient_save on the writer, which caches the new
** record.
**
** Deciding which recipient a payout goes to is core's business.
*/
#include <string.h>

#include "payout/base/assert.h"
#include "payout/base/log.h"
#include "store/sqlite/internal.h"

#define RECIPIENT_COLUMNS "id, user_name, phone_number, reference_id, first_name, last_name, email"

static int recipient_from_row(struct store_q *q, struct pp_recipient *r)
{
    r->id = sqlite3_column_int64(q->stmt, 0);
    return store_q_col_text(q, 1, r->user_name, sizeof r->user_name) |
           store_q_col_text(q, 2, r->phone_number, sizeof r->phone_number) |
           store_q_col_text(q, 3, r->reference_id, sizeof r->reference_id) |
           store_q_col_text(q, 4, r->first_name, sizeof r->first_name) |
           store_q_col_text(q, 5, r->last_name, sizeof r->last_name) |
           store_q_col_text(q, 6, r->email, sizeof r->email);
}

enum pp_status store_sqlite_tx_recipient_find(struct store_sqlite_tx *tx, enum pp_ident which,
                                              const char *value, struct pp_recipient *out,
                                              int *found_out, struct pp_err *err)
{
    struct store_conn *c = store_tx_conn(tx);
    PP_ASSERT(value != NULL && out != NULL && found_out != NULL);
    PP_ASSERT(which >= PP_IDENT_USER_NAME && which < PP_IDENT_COUNT);
    static const struct {
        enum store_stmt id;
        const char *sql;
    } by[PP_IDENT_COUNT] = {
        [PP_IDENT_USER_NAME] = {STORE_STMT_RECIPIENT_BY_USER_NAME,
                                "SELECT " RECIPIENT_COLUMNS
                                " FROM recipients WHERE user_name = ?1"},
        [PP_IDENT_PHONE_NUMBER] = {STORE_STMT_RECIPIENT_BY_PHONE_NUMBER,
                                   "SELECT " RECIPIENT_COLUMNS
                                   " FROM recipients WHERE phone_number = ?1"},
        [PP_IDENT_REFERENCE_ID] = {STORE_STMT_RECIPIENT_BY_REFERENCE_ID,
                                   "SELECT " RECIPIENT_COLUMNS
                                   " FROM recipients WHERE reference_id = ?1"},
    };
    *found_out = 0;
    memset(out, 0, sizeof *out);
    enum pp_status status = PP_OK;
    if (value[0] == '\0') {
        goto done; /* "not set" is stored as NULL and matches nothing */
    }
    if (store_idcache_recipient_find(&tx->st->idcache, which, value, out)) {
        *found_out = 1;
        goto done;
    }
    struct store_q q;
    store_q_init(&q, c, by[which].id, by[which].sql);
    store_q_text(&q, 1, value);
    int rc = store_q_step(&q);
    if (rc == SQLITE_ROW) {
        if (recipient_from_row(&q, out) != 0) {
            pp_log(PP_LOG_ERROR, "store: recipient %lld has a field over its limit",
                   (long long)out->id);
            status = pp_err_set(err, PP_INTERNAL, "storage error");
        } else {
            *found_out = 1;
            store_idcache_recipient_put(&tx->st->idcache, out);
        }
    } else if (rc != SQLITE_DONE) {
        status = store_q_fail(&q, "finding a recipient", err);
    }
    store_q_reset(&q);
done:
    if (*found_out == 0) {
        memset(out, 0, sizeof *out);
    }
    return status;
}

/* The API name of the identifier a UNIQUE refusal names, from SQLite's
** message ("UNIQUE constraint failed: recipients.user_name"). */
static const char *recipient_clash_name(const struct store_q *q)
{
    if (strstr(q->msg, "recipients.user_name") != NULL) {
        return "userName";
    }
    if (strstr(q->msg, "recipients.phone_number") != NULL) {
        return "phoneNumber";
    }
    if (strstr(q->msg, "recipients.reference_id") != NULL) {
        return "referenceId";
    }
    return "an identifier";
}

static void recipient_bind(struct store_q *q, const struct pp_recipient *r, int64_t now_ms)
{
    store_q_text_or_null(q, 2, r->user_name);
    store_q_text_or_null(q, 3, r->phone_number);
    store_q_text_or_null(q, 4, r->reference_id);
    store_q_text_or_null(q, 5, r->first_name);
    store_q_text_or_null(q, 6, r->last_name);
    store_q_text_or_null(q, 7, r->email);
    store_q_int64(q, 8, now_ms);
}

enum pp_status store_sqlite_tx_recipient_save(struct store_sqlite_tx *tx, struct pp_recipient *r,
                                              int64_t now_ms, struct pp_err *err)
{
    struct store_conn *c = store_tx_conn(tx);
    PP_ASSERT(r != NULL && r->id >= 0);
    PP_ASSERT(store_text_fits(r->user_name, sizeof r->user_name) &&
              store_text_fits(r->phone_number, sizeof r->phone_number) &&
              store_text_fits(r->reference_id, sizeof r->reference_id) &&
              store_text_fits(r->first_name, sizeof r->first_name) &&
              store_text_fits(r->last_name, sizeof r->last_name) &&
              store_text_fits(r->email, sizeof r->email));
    struct store_q q;
    if (r->id == 0) {
        store_q_init(&q, c, STORE_STMT_RECIPIENT_INSERT,
                     "INSERT INTO recipients (user_name, phone_number, reference_id, first_name,"
                     " last_name, email, created_ms, updated_ms)"
                     " VALUES (?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)");
    } else {
        store_q_init(&q, c, STORE_STMT_RECIPIENT_UPDATE,
                     "UPDATE recipients SET user_name = ?2, phone_number = ?3, reference_id = ?4,"
                     " first_name = ?5, last_name = ?6, email = ?7, updated_ms = ?8"
                     " WHERE id = ?1");
        store_q_int64(&q, 1, r->id);
    }
    recipient_bind(&q, r, now_ms);
    enum pp_status status = PP_OK;
    if (store_q_step(&q) != SQLITE_DONE) {
        if ((q.xrc == SQLITE_CONSTRAINT_UNIQUE || q.xrc == SQLITE_CONSTRAINT_PRIMARYKEY)) {
            status = pp_err_set(err, PP_INVALID_PARAMS, "%s already belongs to another recipient",
                                recipient_clash_name(&q));
        } else if (store_q_is_constraint(&q)) {
            status = pp_err_set(err, PP_INVALID_PARAMS,
                                "a recipient needs an identifier, and fields within their limits");
        } else {
            status = store_q_fail(&q, "saving a recipient", err);
        }
    } else if (r->id == 0) {
        r->id = sqlite3_last_insert_rowid(c->db);
    } else if (sqlite3_changes(c->db) == 0) {
        status = pp_err_set(err, PP_NOT_FOUND, "recipient %lld not found", (long long)r->id);
    }
    if (status == PP_OK) {
        store_idcache_recipient_put(&tx->st->idcache, r);
    }
    store_q_reset(&q);
    return status;
}
