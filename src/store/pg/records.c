/*
** This module implements the PostgreSQL backend's reads of single records
** and short lists: a payout, the balances, a setting, an admin (by e-mail,
** compared in ASCII case as SQLite's NOCASE does, through the unique
** index on lower(email)), the admin count, an idempotency key, and the
** open payouts whose window has ended (for expiry, through the partial
** index payouts_open_end). Each is one prepared statement on a pooled
** read connection. It writes nothing.
*/
#include <stdlib.h>
#include <string.h>

#include "payout/base/assert.h"
#include "payout/base/log.h"
#include "payout/store/idempotency.h"
#include "payout/store/lifecycle.h"
#include "store/pg/internal.h"
#include "store/pg/outbox.h"

const struct store_pg_stmt_def store_pg_stmts_records[] = {
    {PG_STMT_PAYOUT_GET, "SELECT " PG_PAYOUT_COLUMNS " FROM payouts WHERE id = $1::bigint", 1},
    /* A payout and its e-mails in one statement (one snapshot): a row per
    ** notification, or one row with NULLs after the payout's columns. The
    ** notification's columns are renamed so that the payout's stay
    ** unambiguous. */
    {PG_STMT_PAYOUT_GET_NOTED,
     "SELECT " PG_PAYOUT_COLUMNS ", n.* FROM payouts LEFT JOIN LATERAL (SELECT id AS n_id,"
     " payout_id AS n_payout_id, kind AS n_kind, status AS n_status, attempts AS n_attempts,"
     " at_ms AS n_at_ms, last_error AS n_last_error FROM notifications"
     " WHERE payout_id = $1::bigint ORDER BY kind) n ON true WHERE payouts.id = $1::bigint",
     1},
    {PG_STMT_BALANCES_LIST,
     "SELECT currency, available, blocked, paid_out_e18::numeric * 1000000000000000000"
     " + paid_out FROM balances ORDER BY currency",
     0},
    /* Up to STORE_SETTINGS_READ_MAX keys; the unused ones are NULL. */
    {PG_STMT_SETTINGS_GET,
     "SELECT key, value FROM settings WHERE key IN ($1::text, $2::text, $3::text, $4::text)", 4},
    {PG_STMT_ADMIN_FIND,
     "SELECT id, email, password_hash, token_generation FROM admins"
     " WHERE lower(email) = lower($1::text)",
     1},
    {PG_STMT_ADMIN_GET,
     "SELECT id, email, password_hash, token_generation FROM admins WHERE id = $1::bigint", 1},
    {PG_STMT_ADMIN_COUNT, "SELECT count(*) FROM admins", 0},
    {PG_STMT_IDEM_GET,
     "SELECT encode(fingerprint, 'hex'), created_ms, status, content_type, body IS NOT NULL,"
     " body FROM idempotency WHERE scope = $1::text AND key = $2::text",
     2},
    {PG_STMT_PAYOUTS_ENDED,
     "SELECT id FROM payouts WHERE status IN (1, 2) AND end_ms < $1::bigint"
     " ORDER BY end_ms, id LIMIT $2::bigint",
     2},
    {PG_STMT_OUTBOX_DELIVERIES,
     "SELECT state, count(*) FROM webhook_deliveries WHERE state IN (1, 3) GROUP BY state", 0},
    {PG_STMT_OUTBOX_NOTIFICATIONS, "SELECT status, count(*) FROM notifications GROUP BY status", 0},
    {PG_STMT_PAYOUTS_OPEN_COUNT,
     "SELECT currency, count(*) FROM payouts WHERE status IN (1, 2)"
     " GROUP BY currency ORDER BY currency",
     0},
    {PG_STMT_COUNT, NULL, 0},
};

/* Runs fixed statement id on a read connection; *res is the caller's. */
static enum pp_status reader_query(struct store_pg *st, enum pg_stmt id, const struct pg_params *p,
                                   PGresult **res, const char *what, struct pp_err *err)
{
    struct pg_conn *c = NULL;
    *res = NULL;
    enum pp_status status = store_pg_reader_acquire(st, &c, err);
    if (status == PP_OK) {
        status = store_pg_run(c, id, p, res, NULL, what, err);
        store_pg_reader_release(st, c);
    }
    return status;
}

int store_pg_payout_read(const PGresult *r, int row, struct pp_payout *out)
{
    memset(out, 0, sizeof *out);
    out->id = pg_col_i64(r, row, 0);
    out->project_id = pg_col_i64(r, row, 1);
    out->recipient_id = pg_col_i64(r, row, 2);
    int bad = pg_col_text(r, row, 3, out->currency, sizeof out->currency);
    out->amount_minor = pg_col_i64(r, row, 4);
    out->start_ms = pg_col_i64(r, row, 5);
    out->end_ms = pg_col_i64(r, row, 6);
    bad |= pg_col_text(r, row, 7, out->description, sizeof out->description);
    out->notification = pg_col_i64(r, row, 8) != 0;
    int64_t s = pg_col_i64(r, row, 9);
    out->status = (enum pp_payout_status)s;
    out->created_ms = pg_col_i64(r, row, 10);
    out->updated_ms = pg_col_i64(r, row, 11);
    bad |= pg_col_text(r, row, 12, out->uuid, sizeof out->uuid);
    bad |= pg_col_text(r, row, 13, out->metadata, sizeof out->metadata);
    out->authorized_ms = pg_col_i64(r, row, 14);
    out->received_ms = pg_col_i64(r, row, 15);
    out->cancelled_ms = pg_col_i64(r, row, 16);
    out->expired_ms = pg_col_i64(r, row, 17);
    bad |= pg_col_text(r, row, 18, out->reference, sizeof out->reference);
    out->created_by_user = pg_col_i64(r, row, 19);
    out->authorized_by_user = pg_col_i64(r, row, 20);
    if (bad != 0 || s < PP_PAYOUT_UNAUTHORIZED || s > PP_PAYOUT_EXPIRED) {
        pp_log(PP_LOG_ERROR, "store: payout %lld violates the schema", (long long)out->id);
        return -1;
    }
    return 0;
}

/* Runs statement stmt (its only parameter payout id) and reads the payout
** from its first row into out (zeroed on failure); *res_out keeps the
** result for the caller's other columns (NULL when the query failed). */
static enum pp_status payout_query(struct store_pg *st, enum pg_stmt stmt, int64_t id,
                                   struct pp_payout *out, PGresult **res_out, struct pp_err *err)
{
    struct pg_params p;
    PGresult *res = NULL;
    pg_params_init(&p);
    pg_param_i64(&p, id);
    enum pp_status status = reader_query(st, stmt, &p, &res, "reading a payout", err);
    if (status == PP_OK && PQntuples(res) == 0) {
        status = pp_err_set(err, PP_NOT_FOUND, "payout %lld not found", (long long)id);
    } else if (status == PP_OK && store_pg_payout_read(res, 0, out) != 0) {
        status = pp_err_set(err, PP_INTERNAL, "storage error");
    }
    if (status != PP_OK) {
        memset(out, 0, sizeof *out);
    }
    *res_out = res;
    return status;
}

enum pp_status store_pg_payout_get(struct store_pg *st, int64_t id, struct pp_payout *out,
                                   struct pp_err *err)
{
    PP_ASSERT(out != NULL);
    PGresult *res = NULL;
    enum pp_status status = payout_query(st, PG_STMT_PAYOUT_GET, id, out, &res, err);
    PQclear(res);
    return status;
}

enum pp_status store_pg_payout_get_noted(struct store_pg *st, int64_t id, struct pp_payout *out,
                                         struct pp_notification *notes, size_t cap,
                                         size_t *count_out, struct pp_err *err)
{
    PP_ASSERT(out != NULL && count_out != NULL && (notes != NULL || cap == 0));
    PGresult *res = NULL;
    size_t n = 0;
    enum pp_status status = payout_query(st, PG_STMT_PAYOUT_GET_NOTED, id, out, &res, err);
    /* The payout's columns, then the notification's seven. */
    PP_ASSERT(status != PP_OK || PQnfields(res) == PG_OUTBOX_PAYOUT_COLUMN_COUNT + 7);
    /* Its e-mails, when it sends them (a NULL id: it has none yet). */
    for (int i = 0; status == PP_OK && out->notification && i < PQntuples(res) && n < cap; i++) {
        if (PQgetisnull(res, i, PG_OUTBOX_PAYOUT_COLUMN_COUNT)) {
            break;
        }
        if (store_pg_notification_read(res, i, PG_OUTBOX_PAYOUT_COLUMN_COUNT, &notes[n]) != 0) {
            status = pp_err_set(err, PP_INTERNAL, "storage error");
        } else {
            n++;
        }
    }
    PQclear(res);
    if (status != PP_OK) {
        memset(out, 0, sizeof *out);
    }
    *count_out = status == PP_OK ? n : 0;
    return status;
}

enum pp_status store_pg_balances_list(struct store_pg *st, struct pp_balance *out, size_t cap,
                                      size_t *count_out, struct pp_err *err)
{
    PP_ASSERT(count_out != NULL && (out != NULL || cap == 0));
    PGresult *res = NULL;
    size_t n = 0;
    enum pp_status status =
        reader_query(st, PG_STMT_BALANCES_LIST, NULL, &res, "listing balances", err);
    int rows = status == PP_OK ? PQntuples(res) : 0;
    for (int i = 0; i < rows && n < cap; i++) {
        struct pp_balance *b = &out[n];
        memset(b, 0, sizeof *b);
        if (pg_col_text(res, i, 0, b->currency, sizeof b->currency) != 0 ||
            pg_col_i128(res, i, 3, &b->paid_out) != 0) {
            pp_log(PP_LOG_ERROR, "store: a balance row breaks the schema");
            status = pp_err_set(err, PP_INTERNAL, "storage error");
            break;
        }
        b->available = pg_col_i64(res, i, 1);
        b->blocked = pg_col_i64(res, i, 2);
        n++;
    }
    if (status == PP_OK && (size_t)rows > cap) {
        pp_log(PP_LOG_WARN, "store: more than %zu balances; the list is cut", cap);
    }
    PQclear(res);
    *count_out = status == PP_OK ? n : 0;
    return status;
}

/* Copies the row of res (key, value) into the read asking for its key. */
static enum pp_status setting_row(const PGresult *res, int row, struct store_setting_read *reads,
                                  size_t count, struct pp_err *err)
{
    const char *key = PQgetvalue(res, row, 0);
    for (size_t i = 0; i < count; i++) {
        if (strcmp(reads[i].key, key) != 0) {
            continue;
        }
        if (pg_col_text(res, row, 1, reads[i].out, reads[i].out_size) != 0) {
            pp_log(PP_LOG_ERROR, "store: setting %s does not fit %zu bytes", key,
                   reads[i].out_size);
            return pp_err_set(err, PP_INTERNAL, "storage error");
        }
        reads[i].found = 1;
    }
    return PP_OK;
}

void store_pg_settings_params(struct pg_params *p, const struct store_setting_read *reads,
                              size_t count)
{
    PP_ASSERT(count >= 1 && count <= STORE_SETTINGS_READ_MAX);
    pg_params_init(p);
    for (size_t i = 0; i < STORE_SETTINGS_READ_MAX; i++) {
        if (i < count) {
            pg_param_text(p, reads[i].key);
        } else {
            pg_param_null(p);
        }
    }
}

enum pp_status store_pg_settings_take(const PGresult *res, struct store_setting_read *reads,
                                      size_t count, struct pp_err *err)
{
    enum pp_status status = PP_OK;
    for (int row = 0; status == PP_OK && row < PQntuples(res); row++) {
        status = setting_row(res, row, reads, count, err);
    }
    return status;
}

enum pp_status store_pg_settings_get(struct store_pg *st, struct store_setting_read *reads,
                                     size_t count, struct pp_err *err)
{
    struct pg_params p;
    PGresult *res = NULL;
    store_pg_settings_params(&p, reads, count);
    enum pp_status status =
        reader_query(st, PG_STMT_SETTINGS_GET, &p, &res, "reading settings", err);
    if (status == PP_OK) {
        status = store_pg_settings_take(res, reads, count, err);
    }
    PQclear(res);
    return status;
}

/* Reads an admin row of res (if any) into out. */
static enum pp_status admin_read(PGresult *res, struct pp_admin *out, int *found_out,
                                 struct pp_err *err)
{
    enum pp_status status = PP_OK;
    memset(out, 0, sizeof *out);
    *found_out = 0;
    if (PQntuples(res) == 1) {
        out->id = pg_col_i64(res, 0, 0);
        out->token_generation = pg_col_i64(res, 0, 3);
        if (pg_col_text(res, 0, 1, out->email, sizeof out->email) != 0 ||
            pg_col_text(res, 0, 2, out->password_hash, sizeof out->password_hash) != 0) {
            pp_log(PP_LOG_ERROR, "store: admin %lld has a field over its limit",
                   (long long)out->id);
            status = pp_err_set(err, PP_INTERNAL, "storage error");
            memset(out, 0, sizeof *out);
        } else {
            *found_out = 1;
        }
    }
    return status;
}

enum pp_status store_pg_admin_find(struct store_pg *st, const char *email, struct pp_admin *out,
                                   int *found_out, struct pp_err *err)
{
    PP_ASSERT(email != NULL && out != NULL && found_out != NULL);
    struct pg_params p;
    PGresult *res = NULL;
    pg_params_init(&p);
    pg_param_text(&p, email);
    *found_out = 0;
    memset(out, 0, sizeof *out);
    enum pp_status status = reader_query(st, PG_STMT_ADMIN_FIND, &p, &res, "reading an admin", err);
    if (status == PP_OK) {
        status = admin_read(res, out, found_out, err);
    }
    PQclear(res);
    return status;
}

enum pp_status store_pg_admin_get(struct store_pg *st, int64_t id, struct pp_admin *out,
                                  struct pp_err *err)
{
    PP_ASSERT(out != NULL);
    struct pg_params p;
    PGresult *res = NULL;
    int found = 0;
    pg_params_init(&p);
    pg_param_i64(&p, id);
    memset(out, 0, sizeof *out);
    enum pp_status status = reader_query(st, PG_STMT_ADMIN_GET, &p, &res, "reading an admin", err);
    if (status == PP_OK) {
        status = admin_read(res, out, &found, err);
    }
    if (status == PP_OK && !found) {
        status = pp_err_set(err, PP_NOT_FOUND, "admin %lld not found", (long long)id);
    }
    PQclear(res);
    return status;
}

enum pp_status store_pg_admin_count(struct store_pg *st, int64_t *count_out, struct pp_err *err)
{
    PP_ASSERT(count_out != NULL);
    PGresult *res = NULL;
    *count_out = 0;
    enum pp_status status =
        reader_query(st, PG_STMT_ADMIN_COUNT, NULL, &res, "counting admins", err);
    if (status == PP_OK) {
        *count_out = pg_col_i64(res, 0, 0);
    }
    PQclear(res);
    return status;
}

/* The value of one hex digit, or -1. */
static int hex_value(char ch)
{
    if (ch >= '0' && ch <= '9') {
        return ch - '0';
    }
    if (ch >= 'a' && ch <= 'f') {
        return ch - 'a' + 10;
    }
    return -1;
}

/* Fills out from the idempotency row of res; -1 when it breaks the schema. */
static int idem_read(const PGresult *res, struct store_idem_row *out)
{
    const char *fp = PQgetvalue(res, 0, 0);
    if ((size_t)PQgetlength(res, 0, 0) != 2 * STORE_IDEM_FINGERPRINT_BYTES) {
        return -1;
    }
    for (size_t i = 0; i < STORE_IDEM_FINGERPRINT_BYTES; i++) {
        int hi = hex_value(fp[2 * i]);
        int lo = hex_value(fp[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return -1;
        }
        out->fingerprint[i] = (uint8_t)(hi << 4 | lo);
    }
    out->created_ms = pg_col_i64(res, 0, 1);
    out->has_response = strcmp(PQgetvalue(res, 0, 4), "t") == 0;
    if (!out->has_response) {
        return 0;
    }
    out->status = (unsigned)pg_col_i64(res, 0, 2);
    if (pg_col_text(res, 0, 3, out->content_type, sizeof out->content_type) != 0) {
        return -1;
    }
    size_t len = 0;
    unsigned char *body = PQunescapeBytea((const unsigned char *)PQgetvalue(res, 0, 5), &len);
    if (body == NULL) {
        return -1;
    }
    out->body = pp_check_alloc(malloc(len + 1));
    memcpy(out->body, body, len);
    out->body[len] = '\0';
    out->body_len = len;
    PQfreemem(body);
    return 0;
}

enum pp_status store_pg_idem_get(struct store_pg *st, const char *scope, const char *key,
                                 struct store_idem_row *out, int *found_out, struct pp_err *err)
{
    PP_ASSERT(scope != NULL && key != NULL && out != NULL && found_out != NULL);
    memset(out, 0, sizeof *out);
    *found_out = 0;
    struct pg_params p;
    PGresult *res = NULL;
    pg_params_init(&p);
    pg_param_text(&p, scope);
    pg_param_text(&p, key);
    enum pp_status status =
        reader_query(st, PG_STMT_IDEM_GET, &p, &res, "reading an idempotency key", err);
    if (status == PP_OK && PQntuples(res) == 1) {
        if (idem_read(res, out) == 0) {
            *found_out = 1;
        } else {
            pp_log(PP_LOG_ERROR, "store: an idempotency row breaks the schema");
            status = pp_err_set(err, PP_INTERNAL, "storage error");
        }
    }
    PQclear(res);
    if (status != PP_OK) {
        free(out->body);
        memset(out, 0, sizeof *out);
    }
    return status;
}

enum pp_status store_pg_payouts_ended_list(struct store_pg *st, int64_t now_ms, int64_t *ids_out,
                                           size_t cap, size_t *count_out, struct pp_err *err)
{
    PP_ASSERT(ids_out != NULL && count_out != NULL && cap > 0 && cap <= INT32_MAX);
    struct pg_params p;
    PGresult *res = NULL;
    pg_params_init(&p);
    pg_param_i64(&p, now_ms);
    pg_param_i64(&p, (int64_t)cap);
    size_t n = 0;
    enum pp_status status =
        reader_query(st, PG_STMT_PAYOUTS_ENDED, &p, &res, "listing ended payouts", err);
    for (int i = 0; status == PP_OK && i < PQntuples(res) && n < cap; i++) {
        ids_out[n++] = pg_col_i64(res, i, 0);
    }
    PQclear(res);
    *count_out = status == PP_OK ? n : 0;
    return status;
}

enum pp_status store_pg_payouts_open_count(struct store_pg *st, struct pp_open_count *out,
                                           size_t cap, size_t *count_out, struct pp_err *err)
{
    PP_ASSERT(out != NULL && count_out != NULL && cap > 0);
    struct pg_params p;
    PGresult *res = NULL;
    pg_params_init(&p);
    size_t n = 0;
    enum pp_status status =
        reader_query(st, PG_STMT_PAYOUTS_OPEN_COUNT, &p, &res, "counting open payouts", err);
    for (int i = 0; status == PP_OK && i < PQntuples(res) && n < cap; i++) {
        if (pg_col_text(res, i, 0, out[n].currency, sizeof out[n].currency) != 0) {
            status = pp_err_set(err, PP_INTERNAL, "storage error");
            break;
        }
        out[n++].count = pg_col_i64(res, i, 1);
    }
    PQclear(res);
    *count_out = status == PP_OK ? n : 0;
    return status;
}

/* Counts of statement id, grouped by its first column (1..cap-1). */
static enum pp_status counts_by(struct store_pg *st, enum pg_stmt id, int64_t *counts, int cap,
                                struct pp_err *err)
{
    struct pg_params p;
    PGresult *res = NULL;
    pg_params_init(&p);
    enum pp_status status = reader_query(st, id, &p, &res, "counting the outbox", err);
    for (int i = 0; status == PP_OK && i < PQntuples(res); i++) {
        int64_t key = pg_col_i64(res, i, 0);
        if (key > 0 && key < cap) {
            counts[key] = pg_col_i64(res, i, 1);
        }
    }
    PQclear(res);
    return status;
}

enum pp_status store_pg_outbox_counts(void *backend, struct pp_outbox_counts *out,
                                      struct pp_err *err)
{
    int64_t states[4] = {0};
    memset(out, 0, sizeof *out);
    enum pp_status status = counts_by(backend, PG_STMT_OUTBOX_DELIVERIES, states, 4, err);
    if (status == PP_OK) {
        status = counts_by(backend, PG_STMT_OUTBOX_NOTIFICATIONS, out->notifications,
                           PP_NOTIFY_SKIPPED + 1, err);
    }
    out->deliveries_pending = states[1];
    out->deliveries_failed = states[3];
    return status;
}
