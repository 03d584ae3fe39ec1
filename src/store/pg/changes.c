/*
** This module implements the steps the PostgreSQL backend's write
** operations are made of, each run inside the writer's batch transaction:
** projects (INSERT ... ON CONFLICT, so two nodes naming one new project at
** once get one row), recipients (found by one identifier; a uniqueness
** clash is the caller's error), payouts (insert, read with a row lock,
** status change), settings (upsert), admins, the audit append, and
** idempotency keys (INSERT ... ON CONFLICT DO NOTHING: of two nodes taking
** one key at once, one inserts and the other finds it taken, after the
** first commits). Funds are funds.c.
**
** A refusal by the schema aborts the request's part of the transaction in
** PostgreSQL, so a step that meets one always fails its request (the
** writer then undoes it alone). Decisions are the caller's.
**
** The round trips: a new row takes its id from the writer
** (store_pg_tx_id_next), so nothing waits for an insert's answer; inserts
** (gathered for the batch's multi-row inserts, bulk.c), status changes,
** recipient updates, audit entries and idempotency keys are sent without
** waiting (queued in the fast run's pipeline, their failures found at the
** next sync, which voids the fast run: the careful run then tells each
** refusal to its own request). In the fast run,
** projects and recipients come from the writer's cache (store_pg.idcache)
** when it has them: a project's id holds for good (projects are never
** renamed or deleted); a cached recipient is checked in the same pipeline
** (PG_STMT_RECIPIENT_CHECK: the row must still hold exactly what the
** cache says, once per recipient and batch), so a change made by another
** node voids the fast run instead of being missed.
**
** An identifier the cache does not know was, most often, read ahead: the
** writer reads (and locks) the recipients of every payout create of the
** batch by the identifiers its cache does not know, in the round trip that
** takes the lock row (PG_STMT_RECIPIENTS_AHEAD; up to
** PP_PG_RECIPIENTS_AHEAD_MAX identifiers). A recipient found goes into the
** cache, checked for the batch; an identifier not found is new, for
** certain: no other writer stores a recipient while this batch holds the
** lock row, and one this batch stored since is in the cache. So a new
** recipient, or one this node never read, costs no round trip of its own.
**
** An identifier neither known nor read ahead (beyond the limit) is looked
** up, unless it can be guessed. When the cache was filled with every
** stored recipient (store_pg_tx_cache_warm read fewer than it asked for),
** it is taken as new, and the read that would have said so is queued
** instead, expecting no row: a recipient another node stored since voids
** the fast run (and from then on the node asks about every identifier it
** does not know: store_pg.recipients_elsewhere; nodes that share
** recipients would otherwise void batch after batch). An identifier of a
** request whose recipient the database has just said is new (an earlier
** identifier of it was not found) is taken as new the same way. The
** careful run neither reads nor fills the cache, nor reads ahead, nor
** guesses.
*/
#include <stdlib.h>
#include <string.h>

#include "payout/base/assert.h"
#include "payout/base/log.h"
#include "store/pg/internal.h"

#define RECIPIENT_COLUMNS "id, user_name, phone_number, reference_id, first_name, last_name, email"

const struct store_pg_stmt_def store_pg_stmts_changes[] = {
    /* DO UPDATE (not NOTHING) so that RETURNING gives the id either way; the
    ** row is locked until the batch commits. */
    {PG_STMT_PROJECT_FIND, "SELECT id FROM projects WHERE name = $1::text", 1},
    /* Plain inserts: the find before ran under the writers' lock row, so
    ** a clash is a bug and must not pass unseen. */
    {PG_STMT_PROJECT_INSERT,
     "INSERT INTO projects (id, name, created_ms) VALUES ($3::bigint, $1::text, $2::bigint)", 3},
    {PG_STMT_RECIPIENT_BY_USER_NAME,
     "SELECT " RECIPIENT_COLUMNS " FROM recipients WHERE user_name = $1::text FOR UPDATE", 1},
    {PG_STMT_RECIPIENT_BY_PHONE_NUMBER,
     "SELECT " RECIPIENT_COLUMNS " FROM recipients WHERE phone_number = $1::text FOR UPDATE", 1},
    {PG_STMT_RECIPIENT_BY_REFERENCE_ID,
     "SELECT " RECIPIENT_COLUMNS " FROM recipients WHERE reference_id = $1::text FOR UPDATE", 1},
    {PG_STMT_RECIPIENT_INSERT,
     "INSERT INTO recipients (id, user_name, phone_number, reference_id, first_name, last_name,"
     " email, created_ms, updated_ms) VALUES ($8::bigint, $1::text, $2::text, $3::text,"
     " $4::text, $5::text, $6::text, $7::bigint, $7::bigint)",
     8},
    {PG_STMT_RECIPIENT_UPDATE,
     "UPDATE recipients SET user_name = $1::text, phone_number = $2::text,"
     " reference_id = $3::text, first_name = $4::text, last_name = $5::text, email = $6::text,"
     " updated_ms = $7::bigint WHERE id = $8::bigint",
     8},
    {PG_STMT_RECIPIENT_CHECK,
     "SELECT 1 FROM recipients WHERE id = $1::bigint AND user_name IS NOT DISTINCT FROM $2::text"
     " AND phone_number IS NOT DISTINCT FROM $3::text"
     " AND reference_id IS NOT DISTINCT FROM $4::text AND first_name IS NOT DISTINCT FROM $5::text"
     " AND last_name IS NOT DISTINCT FROM $6::text AND email IS NOT DISTINCT FROM $7::text",
     7},
    {PG_STMT_RECIPIENTS_WARM,
     "SELECT " RECIPIENT_COLUMNS " FROM recipients ORDER BY id DESC LIMIT $1::bigint", 1},
    /* The recipients read ahead, locked as a find locks them. */
    {PG_STMT_RECIPIENTS_AHEAD,
     "SELECT " RECIPIENT_COLUMNS " FROM recipients WHERE user_name = ANY($1::text[])"
     " OR phone_number = ANY($2::text[]) OR reference_id = ANY($3::text[]) FOR UPDATE",
     3},
    {PG_STMT_PROJECTS_WARM, "SELECT id, name FROM projects ORDER BY id DESC LIMIT $1::bigint", 1},
    {PG_STMT_TX_PAYOUT_INSERT,
     "INSERT INTO payouts (id, project_id, recipient_id, currency, amount_minor, start_ms,"
     " end_ms, description, notification, status, created_ms, updated_ms, uuid, metadata,"
     " authorized_ms, created_by_user) VALUES ($16::bigint, $1::bigint, $2::bigint, $3::text,"
     " $4::bigint, $5::bigint, $6::bigint, $7::text, $8::bigint, $9::bigint, $10::bigint,"
     " $11::bigint, $12::text, $13::text, $14::bigint, $15::bigint)",
     16},
    {PG_STMT_TX_PAYOUT_GET,
     "SELECT " PG_PAYOUT_COLUMNS " FROM payouts WHERE id = $1::bigint FOR UPDATE", 1},
    {PG_STMT_TX_PAYOUT_SET_STATUS,
     "UPDATE payouts SET status = $2::bigint, updated_ms = $3::bigint,"
     " authorized_ms = CASE WHEN $2::bigint = 2 AND status = 1 THEN $3::bigint"
     "  ELSE authorized_ms END,"
     " authorized_by_user = CASE WHEN $2::bigint = 2 AND status = 1 THEN $5::bigint"
     "  ELSE authorized_by_user END,"
     " received_ms = CASE WHEN $2::bigint = 3 THEN $3::bigint ELSE received_ms END,"
     " cancelled_ms = CASE WHEN $2::bigint = 4 THEN $3::bigint ELSE cancelled_ms END,"
     " expired_ms = CASE WHEN $2::bigint = 5 THEN $3::bigint ELSE expired_ms END,"
     " reference = COALESCE($4::text, reference) WHERE id = $1::bigint",
     5},
    {PG_STMT_SETTING_PUT,
     "INSERT INTO settings (key, value) VALUES ($1::text, $2::text)"
     " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
     2},
    {PG_STMT_ADMIN_INSERT,
     "INSERT INTO admins (id, email, password_hash, token_generation, created_ms, updated_ms)"
     " VALUES (" PG_NEXT_ID("admins") ", $1::text, $2::text, 0, $3::bigint, $3::bigint)"
                                      " ON CONFLICT DO NOTHING RETURNING id",
     3},
    {PG_STMT_ADMIN_SET_PASSWORD,
     "UPDATE admins SET password_hash = $2::text, token_generation = token_generation + 1,"
     " updated_ms = $3::bigint WHERE lower(email) = lower($1::text) RETURNING id",
     3},
    {PG_STMT_AUDIT_INSERT,
     "INSERT INTO audit (id, at_ms, actor_kind, admin_id, addr, action, subject, detail)"
     " VALUES ($8::bigint, $1::bigint, $2::bigint, $3::bigint, $4::text, $5::text, $6::text,"
     " $7::text)",
     8},
    /* A key taken is a unique refusal (not DO NOTHING): queued, nothing
    ** needs to read its answer; of two nodes taking one key at once, the
    ** second waits for the first to commit, then is refused. */
    {PG_STMT_IDEM_INSERT,
     "INSERT INTO idempotency (scope, key, fingerprint, created_ms)"
     " VALUES ($1::text, $2::text, $3::bytea, $4::bigint)",
     4},
    {PG_STMT_IDEM_SET_RESPONSE,
     "UPDATE idempotency SET status = $3::bigint, content_type = $4::text, body = $5::bytea"
     " WHERE scope = $1::text AND key = $2::text AND status IS NULL",
     5},
    {PG_STMT_IDEM_PURGE,
     "DELETE FROM idempotency WHERE (scope, key) IN (SELECT scope, key FROM idempotency"
     " WHERE created_ms < $1::bigint LIMIT $2::bigint FOR UPDATE SKIP LOCKED)",
     2},
    {PG_STMT_COUNT, NULL, 0},
};

/* The number of rows the statement of res changed. */
static int64_t changed(const PGresult *res)
{
    const char *t = PQcmdTuples((PGresult *)res);
    return t[0] != '\0' ? strtoll(t, NULL, 10) : 0;
}

enum pp_status store_pg_tx_project_ensure(struct pg_tx *tx, const char *name, int64_t now_ms,
                                          int64_t *id_out, struct pp_err *err)
{
    PP_ASSERT(name != NULL && id_out != NULL);
    size_t len = strlen(name);
    if (len == 0 || len > PP_PROJECT_NAME_BYTES_MAX) {
        return pp_err_set(err, PP_INVALID_PARAMS, "name must be 1 to %d bytes",
                          PP_PROJECT_NAME_BYTES_MAX);
    }
    struct store_idcache *cache = &tx->st->idcache;
    if (tx->pipelined &&
        store_idcache_get(cache, STORE_IDCACHE_PROJECT, name, len, id_out, NULL, NULL)) {
        return PP_OK;
    }
    struct pg_params p;
    PGresult *res = NULL;
    pg_params_init(&p);
    pg_param_text(&p, name);
    /* A plain read first: the project exists nearly always, and a read
    ** writes no row version. */
    enum pp_status status =
        store_pg_tx_run(tx, PG_STMT_PROJECT_FIND, &p, &res, NULL, "finding a project", err);
    if (status == PP_OK && PQntuples(res) == 1) {
        *id_out = pg_col_i64(res, 0, 0);
    } else if (status == PP_OK) {
        int64_t id = store_pg_tx_id_next(tx, PG_IDS_PROJECTS);
        pg_param_i64(&p, now_ms);
        pg_param_i64(&p, id);
        status =
            store_pg_tx_send(tx, PG_STMT_PROJECT_INSERT, &p, 1, NULL, "inserting a project", err);
        *id_out = id;
    }
    PQclear(res);
    if (status == PP_OK && tx->pipelined) {
        store_idcache_put(cache, STORE_IDCACHE_PROJECT, name, len, *id_out, NULL, 0);
    }
    return status;
}

/* --- The recipient cache ---------------------------------------------------- */

/* Notes that recipient id is known to hold in this batch: 1 when it
** already was (a full set forgets nothing and notes nothing more). */
static int recipient_checked(struct pg_tx *tx, int64_t id)
{
    size_t slot =
        (size_t)(((uint64_t)id * 0x9E3779B97F4A7C15ull) >> 32) % PP_PG_RECIPIENT_CHECKS_MAX;
    for (size_t probe = 0; probe < PP_PG_RECIPIENT_CHECKS_MAX; probe++) {
        int64_t *at = &tx->recipients_checked[(slot + probe) % PP_PG_RECIPIENT_CHECKS_MAX];
        if (*at == id) {
            return 1;
        }
        if (*at == 0) {
            *at = id;
            return 0;
        }
    }
    return 0;
}

enum pp_status store_pg_tx_cache_warm(struct pg_tx *tx, struct pp_err *err)
{
    PP_ASSERT(tx->pipelined);
    struct pg_params p;
    PGresult *res = NULL;
    tx->st->idcache_complete = 0;
    pg_params_init(&p);
    pg_param_i64(&p, PP_WRITER_WARM_PROJECTS);
    enum pp_status status =
        store_pg_tx_run(tx, PG_STMT_PROJECTS_WARM, &p, &res, NULL, "reading projects", err);
    for (int i = 0; status == PP_OK && i < PQntuples(res); i++) {
        const char *name = PQgetvalue(res, i, 1);
        store_idcache_put(&tx->st->idcache, STORE_IDCACHE_PROJECT, name, strlen(name),
                          pg_col_i64(res, i, 0), NULL, 0);
    }
    PQclear(res);
    res = NULL;
    pg_params_init(&p);
    pg_param_i64(&p, PP_WRITER_WARM_RECIPIENTS);
    if (status == PP_OK) {
        status =
            store_pg_tx_run(tx, PG_STMT_RECIPIENTS_WARM, &p, &res, NULL, "reading recipients", err);
    }
    /* Fewer than asked: the cache now holds every recipient stored. */
    tx->st->idcache_complete = status == PP_OK && PQntuples(res) < PP_WRITER_WARM_RECIPIENTS;
    for (int i = 0; status == PP_OK && i < PQntuples(res); i++) {
        struct pp_recipient r;
        if (store_pg_recipient_row(res, i, &r) == 0) {
            store_idcache_recipient_put(&tx->st->idcache, &r);
        }
    }
    PQclear(res);
    return status;
}

/* --- The recipients read ahead ------------------------------------------------- */

/* The slot of (which, value) in tx's set of identifiers read ahead: the
** one holding it, or the empty one where it would go; NULL when the set
** is full and does not hold it. */
static struct pg_ident_ahead *ahead_slot(struct pg_tx *tx, enum pp_ident which, const char *value)
{
    enum { SLOTS = 2 * PP_PG_RECIPIENTS_AHEAD_MAX };
    uint64_t h = 1469598103934665603ull ^ (uint64_t)which;
    for (const char *c = value; *c != '\0'; c++) {
        h = (h ^ (unsigned char)*c) * 1099511628211ull;
    }
    for (size_t probe = 0; probe < SLOTS; probe++) {
        struct pg_ident_ahead *at = &tx->recipients_ahead[(h + probe) % SLOTS];
        if (at->value == NULL || (at->which == which && strcmp(at->value, value) == 0)) {
            return at;
        }
    }
    return NULL;
}

/* The entry of (which, value) when it was read ahead in this batch. */
static const struct pg_ident_ahead *ahead_find(struct pg_tx *tx, enum pp_ident which,
                                               const char *value)
{
    if (tx->recipients_ahead_count == 0) {
        return NULL;
    }
    const struct pg_ident_ahead *at = ahead_slot(tx, which, value);
    return at != NULL && at->value != NULL ? at : NULL;
}

int store_pg_tx_recipients_ahead_params(struct pg_tx *tx, struct pg_req *const *batch, size_t n,
                                        struct pg_params *p)
{
    struct pp_buf *lists = tx->st->recipients_ahead_lists;
    for (int w = 0; w < PP_IDENT_COUNT; w++) {
        pp_buf_reset(&lists[w]);
    }
    size_t added = 0;
    for (size_t i = 0; i < n; i++) {
        const struct store_write_recipients *named = batch[i]->recipients;
        for (size_t r = 0; named != NULL && r < named->count; r++) {
            for (int w = 0; w < PP_IDENT_COUNT; w++) {
                const char *value = pp_recipient_ident(named->rows[r].recipient, (enum pp_ident)w);
                int64_t id = 0;
                if (value[0] == '\0' || tx->recipients_ahead_count == PP_PG_RECIPIENTS_AHEAD_MAX ||
                    store_idcache_get(&tx->st->idcache, STORE_IDCACHE_RECIPIENT_BY + (unsigned)w,
                                      value, strlen(value), &id, NULL, NULL)) {
                    continue; /* known to the cache, checked as the create runs */
                }
                struct pg_ident_ahead *at = ahead_slot(tx, (enum pp_ident)w, value);
                if (at->value == NULL) {
                    *at = (struct pg_ident_ahead){.value = value, .which = (enum pp_ident)w};
                    tx->recipients_ahead_count++;
                    added++;
                    store_pg_array_text_add(&lists[w], value);
                }
            }
        }
    }
    if (added == 0) {
        return 0;
    }
    pg_params_init(p);
    for (int w = 0; w < PP_IDENT_COUNT; w++) {
        if (lists[w].len == 0) {
            pp_buf_putc(&lists[w], '{');
        }
        pp_buf_putc(&lists[w], '}');
        pg_param_text(p, lists[w].data);
    }
    return 1;
}

enum pp_status store_pg_tx_recipients_ahead_take(struct pg_tx *tx, const PGresult *res,
                                                 struct pp_err *err)
{
    for (int i = 0; i < PQntuples(res); i++) {
        struct pp_recipient r;
        if (store_pg_recipient_row(res, i, &r) != 0) {
            return pp_err_set(err, PP_INTERNAL, "storage error");
        }
        /* Read in this batch: no check needed in it. */
        store_idcache_recipient_put(&tx->st->idcache, &r);
        recipient_checked(tx, r.id);
        for (int w = 0; w < PP_IDENT_COUNT; w++) {
            const char *value = pp_recipient_ident(&r, (enum pp_ident)w);
            struct pg_ident_ahead *at =
                value[0] != '\0' ? ahead_slot(tx, (enum pp_ident)w, value) : NULL;
            if (at != NULL && at->value != NULL) {
                at->found = 1;
            }
        }
    }
    return PP_OK;
}

void store_pg_recipients_ahead_free(struct store_pg *st)
{
    for (int w = 0; w < PP_IDENT_COUNT; w++) {
        pp_buf_free(&st->recipients_ahead_lists[w]);
    }
}

/* Queues the check that recipient r, taken from the cache, still is what
** the database holds (once per recipient and batch). */
static enum pp_status recipient_check(struct pg_tx *tx, const struct pp_recipient *r,
                                      struct pp_err *err)
{
    if (recipient_checked(tx, r->id)) {
        return PP_OK;
    }
    struct pg_params p;
    pg_params_init(&p);
    pg_param_i64(&p, r->id);
    pg_param_text_or_null(&p, r->user_name);
    pg_param_text_or_null(&p, r->phone_number);
    pg_param_text_or_null(&p, r->reference_id);
    pg_param_text_or_null(&p, r->first_name);
    pg_param_text_or_null(&p, r->last_name);
    pg_param_text_or_null(&p, r->email);
    return store_pg_tx_send(tx, PG_STMT_RECIPIENT_CHECK, &p, 1, NULL, "checking a recipient", err);
}

enum pp_status store_pg_tx_recipient_find(struct pg_tx *tx, enum pp_ident which, const char *value,
                                          struct pp_recipient *out, int *found_out,
                                          struct pp_err *err)
{
    PP_ASSERT(value != NULL && out != NULL && found_out != NULL);
    PP_ASSERT(which >= PP_IDENT_USER_NAME && which < PP_IDENT_COUNT);
    static const enum pg_stmt by[PP_IDENT_COUNT] = {
        [PP_IDENT_USER_NAME] = PG_STMT_RECIPIENT_BY_USER_NAME,
        [PP_IDENT_PHONE_NUMBER] = PG_STMT_RECIPIENT_BY_PHONE_NUMBER,
        [PP_IDENT_REFERENCE_ID] = PG_STMT_RECIPIENT_BY_REFERENCE_ID,
    };
    *found_out = 0;
    memset(out, 0, sizeof *out);
    if (value[0] == '\0') {
        return PP_OK; /* "not set" is stored as NULL and matches nothing */
    }
    if (tx->pipelined && store_idcache_recipient_find(&tx->st->idcache, which, value, out)) {
        *found_out = 1;
        tx->recipient_new_req = 0;
        return recipient_check(tx, out, err);
    }
    memset(out, 0, sizeof *out);
    const struct pg_ident_ahead *ahead = tx->pipelined ? ahead_find(tx, which, value) : NULL;
    if (ahead != NULL && !ahead->found) {
        /* Read ahead under the lock row and not found: no one stored it
        ** before the batch, and a recipient the batch stored since would
        ** be in the cache. */
        tx->recipient_new_req = tx->req + 1;
        tx->recipient_new_which = which;
        return PP_OK;
    }
    struct pg_params p;
    PGresult *res = NULL;
    pg_params_init(&p);
    pg_param_text(&p, value);
    /* The cache holds every recipient this node knows of, or the database
    ** just said that an earlier identifier of this request's recipient
    ** is new (so is the recipient, most likely: its other identifiers
    ** are taken as new too): not in the cache, not stored, unless a
    ** recipient the cache does not know holds it, which the queued read
    ** (no row expected) finds, voiding the fast run. */
    int guess = (tx->st->idcache_complete && !tx->st->recipients_elsewhere) ||
                (tx->recipient_new_req == tx->req + 1 && which > tx->recipient_new_which);
    int64_t id = 0;
    if (tx->pipelined && guess &&
        !store_idcache_get(&tx->st->idcache, STORE_IDCACHE_RECIPIENT_BY + (unsigned)which, value,
                           strlen(value), &id, NULL, NULL)) {
        tx->recipient_new_which = which;
        return store_pg_tx_send(tx, by[which], &p, 0, NULL, "checking a recipient is new", err);
    }
    tx->recipient_new_req = 0;
    enum pp_status status =
        store_pg_tx_run(tx, by[which], &p, &res, NULL, "finding a recipient", err);
    if (status == PP_OK && PQntuples(res) == 0) {
        tx->recipient_new_req = tx->req + 1;
        tx->recipient_new_which = which;
    } else if (status == PP_OK && PQntuples(res) == 1) {
        if (store_pg_recipient_row(res, 0, out) != 0) {
            status = pp_err_set(err, PP_INTERNAL, "storage error");
        } else {
            *found_out = 1;
            if (tx->pipelined) {
                /* Read in this batch: no check needed in it. */
                store_idcache_recipient_put(&tx->st->idcache, out);
                recipient_checked(tx, out->id);
            }
        }
    }
    PQclear(res);
    return status;
}

/* The API name of the identifier a unique refusal names. */
static const char *recipient_clash_name(const char *constraint)
{
    if (strstr(constraint, "user_name") != NULL) {
        return "userName";
    }
    if (strstr(constraint, "phone_number") != NULL) {
        return "phoneNumber";
    }
    if (strstr(constraint, "reference_id") != NULL) {
        return "referenceId";
    }
    return "an identifier";
}

enum pp_status store_pg_tx_recipient_save(struct pg_tx *tx, struct pp_recipient *r, int64_t now_ms,
                                          struct pp_err *err)
{
    PP_ASSERT(r != NULL && r->id >= 0);
    struct pg_params p;
    PGresult *res = NULL;
    enum pg_fail fail = PG_FAIL_NONE;
    pg_params_init(&p);
    pg_param_text_or_null(&p, r->user_name);
    pg_param_text_or_null(&p, r->phone_number);
    pg_param_text_or_null(&p, r->reference_id);
    pg_param_text_or_null(&p, r->first_name);
    pg_param_text_or_null(&p, r->last_name);
    pg_param_text_or_null(&p, r->email);
    pg_param_i64(&p, now_ms);
    int64_t id = r->id != 0 ? r->id : store_pg_tx_id_next(tx, PG_IDS_RECIPIENTS);
    pg_param_i64(&p, id);
    enum pp_status status;
    if (r->id == 0) {
        /* In the fast run, gathered for the batch's multi-row insert. */
        status = store_pg_tx_insert(tx, PG_BULK_RECIPIENTS, PG_STMT_RECIPIENT_INSERT, &p, &fail,
                                    "inserting a recipient", err);
    } else if (tx->pipelined) {
        /* Queued: the recipient changed was read in this batch, so a clash
        ** or a recipient gone voids the fast run, and the careful run tells
        ** the request why. After the gathered rows: it may be one of them. */
        store_pg_tx_bulk_flush(tx);
        status =
            store_pg_tx_send(tx, PG_STMT_RECIPIENT_UPDATE, &p, 1, &fail, "saving a recipient", err);
    } else {
        status = store_pg_tx_run(tx, PG_STMT_RECIPIENT_UPDATE, &p, &res, &fail,
                                 "saving a recipient", err);
    }
    if (fail == PG_FAIL_UNIQUE) {
        status = pp_err_set(err, PP_INVALID_PARAMS, "%s already belongs to another recipient",
                            recipient_clash_name(tx->conn->constraint));
    } else if (fail == PG_FAIL_CONSTRAINT) {
        status = pp_err_set(err, PP_INVALID_PARAMS,
                            "a recipient needs an identifier, and fields within their limits");
    } else if (status == PP_OK && res != NULL && changed(res) == 0) {
        status = pp_err_set(err, PP_NOT_FOUND, "recipient %lld not found", (long long)r->id);
    } else if (status == PP_OK) {
        r->id = id;
        if (tx->pipelined) {
            /* Written by this batch: no check needed in it (a check could
            ** even go before its gathered insert). */
            store_idcache_recipient_put(&tx->st->idcache, r);
            recipient_checked(tx, id);
        }
    }
    PQclear(res);
    return status;
}

enum pp_status store_pg_tx_payout_insert(struct pg_tx *tx, struct pp_payout *p, struct pp_err *err)
{
    PP_ASSERT(p != NULL && strlen(p->uuid) == PP_UUID_TEXT_BYTES - 1);
    if (!store_pg_currency_ok(p->currency)) {
        return pp_err_set(err, PP_INVALID_PARAMS, "currency must be 3 upper-case letters");
    }
    struct pg_params q;
    enum pg_fail fail = PG_FAIL_NONE;
    pg_params_init(&q);
    pg_param_i64(&q, p->project_id);
    pg_param_i64(&q, p->recipient_id);
    pg_param_text(&q, p->currency);
    pg_param_i64(&q, p->amount_minor);
    pg_param_i64(&q, p->start_ms);
    pg_param_i64(&q, p->end_ms);
    pg_param_text(&q, p->description);
    pg_param_i64(&q, p->notification);
    pg_param_i64(&q, (int64_t)p->status);
    pg_param_i64(&q, p->created_ms);
    pg_param_i64(&q, p->updated_ms);
    pg_param_text(&q, p->uuid);
    pg_param_text_or_null(&q, p->metadata);
    pg_param_i64_or_null(&q, p->authorized_ms);
    pg_param_i64_or_null(&q, p->created_by_user);
    int64_t id = store_pg_tx_id_next(tx, PG_IDS_PAYOUTS);
    pg_param_i64(&q, id);
    enum pp_status status = store_pg_tx_insert(tx, PG_BULK_PAYOUTS, PG_STMT_TX_PAYOUT_INSERT, &q,
                                               &fail, "inserting a payout", err);
    if (fail == PG_FAIL_CONSTRAINT && strstr(tx->conn->constraint, "fkey") != NULL) {
        status = pp_err_set(err, PP_INVALID_PARAMS, "unknown project or recipient");
    } else if (fail == PG_FAIL_CONSTRAINT || fail == PG_FAIL_UNIQUE) {
        pp_log(PP_LOG_WARN, "store: payout refused by the schema: %s", tx->conn->constraint);
        status = pp_err_set(err, PP_INVALID_PARAMS, "payout fields out of range");
    } else if (status == PP_OK) {
        p->id = id;
    }
    return status;
}

enum pp_status store_pg_tx_payout_get(struct pg_tx *tx, int64_t id, struct pp_payout *out,
                                      struct pp_err *err)
{
    PP_ASSERT(out != NULL);
    struct pg_params p;
    PGresult *res = NULL;
    pg_params_init(&p);
    pg_param_i64(&p, id);
    enum pp_status status =
        store_pg_tx_run(tx, PG_STMT_TX_PAYOUT_GET, &p, &res, NULL, "reading a payout", err);
    if (status == PP_OK && PQntuples(res) == 0) {
        status = pp_err_set(err, PP_NOT_FOUND, "payout %lld not found", (long long)id);
    } else if (status == PP_OK && store_pg_payout_read(res, 0, out) != 0) {
        status = pp_err_set(err, PP_INTERNAL, "storage error");
    }
    PQclear(res);
    if (status != PP_OK) {
        memset(out, 0, sizeof *out);
    }
    return status;
}

enum pp_status store_pg_tx_payout_set_status(struct pg_tx *tx, int64_t id, enum pp_payout_status to,
                                             int64_t now_ms, const char *reference, int64_t by_user,
                                             struct pp_err *err)
{
    PP_ASSERT(to >= PP_PAYOUT_UNAUTHORIZED && to <= PP_PAYOUT_EXPIRED);
    struct pg_params p;
    PGresult *res = NULL;
    enum pg_fail fail = PG_FAIL_NONE;
    pg_params_init(&p);
    pg_param_i64(&p, id);
    pg_param_i64(&p, (int64_t)to);
    pg_param_i64(&p, now_ms);
    pg_param_text_or_null(&p, reference);
    pg_param_i64_or_null(&p, by_user);
    /* Fast run: queued, one row expected (the caller read and locked it). */
    enum pp_status status = tx->pipelined
                                ? store_pg_tx_send(tx, PG_STMT_TX_PAYOUT_SET_STATUS, &p, 1, &fail,
                                                   "changing a payout's status", err)
                                : store_pg_tx_run(tx, PG_STMT_TX_PAYOUT_SET_STATUS, &p, &res, &fail,
                                                  "changing a payout's status", err);
    if (fail == PG_FAIL_CONSTRAINT || fail == PG_FAIL_UNIQUE) {
        /* The caller checks transitions; the schema refusing one is a bug. */
        pp_log(PP_LOG_ERROR, "store: payout %lld -> %s refused: %s", (long long)id,
               pp_payout_status_name(to), tx->conn->constraint);
        status = pp_err_set(err, PP_INTERNAL, "storage error");
    } else if (status == PP_OK && res != NULL && changed(res) == 0) {
        status = pp_err_set(err, PP_NOT_FOUND, "payout %lld not found", (long long)id);
    }
    PQclear(res);
    return status;
}

enum pp_status store_pg_tx_setting_put(struct pg_tx *tx, const char *key, const char *value,
                                       struct pp_err *err)
{
    PP_ASSERT(key != NULL && key[0] != '\0' && value != NULL);
    struct pg_params p;
    pg_params_init(&p);
    pg_param_text(&p, key);
    pg_param_text(&p, value);
    return store_pg_tx_run(tx, PG_STMT_SETTING_PUT, &p, NULL, NULL, "writing a setting", err);
}

enum pp_status store_pg_tx_setting_get(struct pg_tx *tx, const char *key, char *out,
                                       size_t out_size, int *found_out, struct pp_err *err)
{
    PP_ASSERT(key != NULL && out != NULL && out_size > 0 && found_out != NULL);
    struct store_setting_read r = {.key = key, .out = out, .out_size = out_size};
    struct pg_params p;
    PGresult *res = NULL;
    store_pg_settings_params(&p, &r, 1);
    out[0] = '\0';
    enum pp_status status =
        store_pg_tx_run(tx, PG_STMT_SETTINGS_GET, &p, &res, NULL, "reading a setting", err);
    if (status == PP_OK) {
        status = store_pg_settings_take(res, &r, 1, err);
    }
    PQclear(res);
    *found_out = r.found;
    return status;
}

static enum pp_status admin_check(const char *email, const char *password_hash, struct pp_err *err)
{
    size_t email_len = strlen(email);
    size_t hash_len = strlen(password_hash);
    if (email_len == 0 || email_len > PP_EMAIL_BYTES_MAX) {
        return pp_err_set(err, PP_INVALID_PARAMS, "email must be 1 to %d bytes",
                          PP_EMAIL_BYTES_MAX);
    }
    if (hash_len == 0 || hash_len >= PP_PASSWORD_HASH_TEXT_BYTES) {
        return pp_err_set(err, PP_INVALID_PARAMS, "password hash must be 1 to %d bytes",
                          PP_PASSWORD_HASH_TEXT_BYTES - 1);
    }
    return PP_OK;
}

enum pp_status store_pg_tx_admin_insert(struct pg_tx *tx, const char *email,
                                        const char *password_hash, int64_t now_ms, int64_t *id_out,
                                        struct pp_err *err)
{
    PP_ASSERT(email != NULL && password_hash != NULL && id_out != NULL);
    enum pp_status status = admin_check(email, password_hash, err);
    if (status != PP_OK) {
        return status;
    }
    struct pg_params p;
    PGresult *res = NULL;
    pg_params_init(&p);
    pg_param_text(&p, email);
    pg_param_text(&p, password_hash);
    pg_param_i64(&p, now_ms);
    status = store_pg_tx_run(tx, PG_STMT_ADMIN_INSERT, &p, &res, NULL, "inserting an admin", err);
    if (status == PP_OK && PQntuples(res) == 0) {
        status = pp_err_set(err, PP_CONFLICT, "an admin with this e-mail exists");
    } else if (status == PP_OK) {
        *id_out = pg_col_i64(res, 0, 0);
    }
    PQclear(res);
    return status;
}

enum pp_status store_pg_tx_admin_set_password(struct pg_tx *tx, const char *email,
                                              const char *password_hash, int64_t now_ms,
                                              int64_t *id_out, struct pp_err *err)
{
    PP_ASSERT(email != NULL && password_hash != NULL);
    enum pp_status status = admin_check(email, password_hash, err);
    if (status != PP_OK) {
        return status;
    }
    struct pg_params p;
    PGresult *res = NULL;
    pg_params_init(&p);
    pg_param_text(&p, email);
    pg_param_text(&p, password_hash);
    pg_param_i64(&p, now_ms);
    status = store_pg_tx_run(tx, PG_STMT_ADMIN_SET_PASSWORD, &p, &res, NULL,
                             "changing an admin's password", err);
    if (status == PP_OK && PQntuples(res) == 0) {
        status = pp_err_set(err, PP_NOT_FOUND, "no admin with this e-mail");
    } else if (status == PP_OK) {
        *id_out = pg_col_i64(res, 0, 0);
    }
    PQclear(res);
    return status;
}

/* s, or a copy in out cut with "..." (never inside a UTF-8 sequence). */
static const char *fit_text(const char *s, char *out, size_t size)
{
    size_t len = strlen(s);
    if (len < size) {
        return s;
    }
    size_t keep = size - 4;
    while (keep > 0 && ((unsigned char)s[keep] & 0xC0) == 0x80) {
        keep--;
    }
    memcpy(out, s, keep);
    memcpy(out + keep, "...", 4);
    return out;
}

enum pp_status store_pg_tx_audit_append(struct pg_tx *tx, const struct pp_audit *a,
                                        struct pp_err *err)
{
    PP_ASSERT(a != NULL && a->actor != NULL && a->action != NULL && a->action[0] != '\0');
    char subject[PP_AUDIT_SUBJECT_BYTES_MAX + 1];
    char detail[PP_AUDIT_DETAIL_BYTES_MAX + 1];
    struct pg_params p;
    pg_params_init(&p);
    pg_param_i64(&p, a->at_ms);
    pg_param_i64(&p, (int64_t)a->actor->kind);
    pg_param_i64_or_null(&p, a->actor->admin_id);
    pg_param_text_or_null(&p, a->actor->addr);
    pg_param_text(&p, a->action);
    pg_param_text_or_null(&p, fit_text(a->subject ? a->subject : "", subject, sizeof subject));
    pg_param_text_or_null(&p, fit_text(a->detail ? a->detail : "", detail, sizeof detail));
    pg_param_i64(&p, store_pg_tx_id_next(tx, PG_IDS_AUDIT));
    return store_pg_tx_insert(tx, PG_BULK_AUDIT, PG_STMT_AUDIT_INSERT, &p, NULL,
                              "appending to the audit log", err);
}

enum pp_status store_pg_tx_idem_insert(struct pg_tx *tx, const char *scope, const char *key,
                                       const uint8_t fingerprint[STORE_IDEM_FINGERPRINT_BYTES],
                                       int64_t created_ms, struct pp_err *err)
{
    PP_ASSERT(scope != NULL && key != NULL && fingerprint != NULL);
    struct pg_params p;
    pg_params_init(&p);
    pg_param_text(&p, scope);
    pg_param_text(&p, key);
    pg_param_bytes(&p, fingerprint, STORE_IDEM_FINGERPRINT_BYTES);
    pg_param_i64(&p, created_ms);
    enum pg_fail fail = PG_FAIL_NONE;
    enum pp_status status = store_pg_tx_insert(tx, PG_BULK_IDEM, PG_STMT_IDEM_INSERT, &p, &fail,
                                               "recording an idempotency key", err);
    if (fail == PG_FAIL_UNIQUE) {
        status = pp_err_set(err, PP_CONFLICT,
                            "this Idempotency-Key was already used by another request");
    } else if (fail == PG_FAIL_CONSTRAINT) {
        pp_log(PP_LOG_ERROR, "store: an idempotency key was refused: %s", tx->conn->constraint);
        status = pp_err_set(err, PP_INTERNAL, "storage error");
    }
    return status;
}

enum pp_status store_pg_tx_idem_set_response(struct pg_tx *tx, const char *scope, const char *key,
                                             unsigned status_code, const char *content_type,
                                             const char *body, size_t body_len, struct pp_err *err)
{
    PP_ASSERT(scope != NULL && key != NULL && status_code >= 100 && status_code <= 599);
    PP_ASSERT(content_type != NULL && content_type[0] != '\0');
    struct pg_params p;
    PGresult *res = NULL;
    pg_params_init(&p);
    pg_param_text(&p, scope);
    pg_param_text(&p, key);
    pg_param_i64(&p, (int64_t)status_code);
    pg_param_text(&p, content_type);
    pg_param_bytes(&p, body, body_len);
    enum pp_status status = store_pg_tx_run(tx, PG_STMT_IDEM_SET_RESPONSE, &p, &res, NULL,
                                            "storing an idempotent answer", err);
    if (status == PP_OK && changed(res) == 0) {
        status = pp_err_set(err, PP_NOT_FOUND, "the idempotency key is gone");
    }
    PQclear(res);
    return status;
}

enum pp_status store_pg_tx_idem_purge(struct pg_tx *tx, int64_t before_ms, int64_t limit,
                                      int64_t *deleted_out, struct pp_err *err)
{
    PP_ASSERT(limit > 0 && deleted_out != NULL);
    struct pg_params p;
    PGresult *res = NULL;
    pg_params_init(&p);
    pg_param_i64(&p, before_ms);
    pg_param_i64(&p, limit);
    *deleted_out = 0;
    enum pp_status status =
        store_pg_tx_run(tx, PG_STMT_IDEM_PURGE, &p, &res, NULL, "purging idempotency keys", err);
    if (status == PP_OK) {
        *deleted_out = changed(res);
    }
    PQclear(res);
    return status;
}
