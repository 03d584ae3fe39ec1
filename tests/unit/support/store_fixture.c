/*
** This module implements the fixture the SQLite store's unit tests share
** (see store_fixture.h). Helpers assert with cmocka, so they run on the
** test's own thread only.
*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "payout/sec/secrets.h"
#include "payout/store/store.h"
#include "support/store_fixture.h"
#include "support/tmpdir.h"

int setup(void **state)
{
    struct fx *fx = calloc(1, sizeof *fx);
    if (fx == NULL || unit_tmpdir_create("pp_store_", "payout.db", fx->dir, sizeof fx->dir,
                                         fx->path, sizeof fx->path) != 0) {
        free(fx);
        return -1;
    }
    struct pp_err err;
    pp_err_clear(&err);
    if (store_open(fx->path, 4, &fx->st, &err) != PP_OK) {
        fprintf(stderr, "store_open: %s\n", err.message);
        return -1;
    }
    *state = fx;
    return 0;
}

int teardown(void **state)
{
    struct fx *fx = *state;
    store_close(fx->st);
    unit_tmpdir_destroy(fx->dir);
    free(fx);
    return 0;
}

/* --- Raw SQLite, as an operator (or an attacker) would use it --------------- */
sqlite3 *raw_open(const char *path)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    return db;
}

int64_t raw_int(const char *path, const char *sql)
{
    sqlite3 *db = raw_open(path);
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return v;
}

/* Runs sql; returns the result code and copies the message into msg. */
int raw_exec(const char *path, const char *sql, char *msg, size_t msg_size)
{
    sqlite3 *db = raw_open(path);
    char *e = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &e);
    if (msg != NULL) {
        snprintf(msg, msg_size, "%s", e != NULL ? e : "");
    }
    sqlite3_free(e);
    sqlite3_close(db);
    return rc;
}

void raw_plan(const char *path, const char *sql, char *out, size_t out_size)
{
    sqlite3 *db = raw_open(path);
    char *text = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", sql);
    sqlite3_stmt *s = NULL;
    assert_non_null(text);
    assert_int_equal(sqlite3_prepare_v2(db, text, -1, &s, NULL), SQLITE_OK);
    out[0] = '\0';
    while (sqlite3_step(s) == SQLITE_ROW) {
        size_t used = strlen(out);
        snprintf(out + used, out_size - used, "%s; ", (const char *)sqlite3_column_text(s, 3));
    }
    sqlite3_finalize(s);
    sqlite3_free(text);
    sqlite3_close(db);
}

enum pp_status cb_setting_put(struct store_sqlite_tx *tx, void *arg, struct pp_err *err)
{
    struct setting_arg *a = arg;
    enum pp_status s = store_sqlite_tx_setting_put(tx, a->key, a->value, err);
    if (s == PP_OK && a->fail_after) {
        s = pp_err_set(err, PP_INVALID_PARAMS, "refused midway");
    }
    return s;
}

enum pp_status put_setting(struct store *st, const char *key, const char *value)
{
    struct setting_arg a = {.key = key, .value = value};
    struct pp_err err;
    pp_err_clear(&err);
    return fx_write(st, cb_setting_put, &a, &err);
}

enum pp_status cb_move(struct store_sqlite_tx *tx, void *arg, struct pp_err *err)
{
    struct move_arg *a = arg;
    enum pp_status s = store_sqlite_tx_funds_move(tx, &a->m, &a->after, err);
    return a->ignore_error ? PP_OK : s;
}

struct pp_movement movement(const char *cur, enum pp_ledger_kind kind, int64_t amount,
                            int64_t payout_id)
{
    struct pp_movement m = {.currency = cur, .kind = kind, .payout_id = payout_id, .at_ms = 1000};
    switch (kind) {
    case PP_LEDGER_DEPOSIT:
        m.d_available = amount;
        break;
    case PP_LEDGER_WITHDRAW:
        m.d_available = -amount;
        break;
    case PP_LEDGER_BLOCK:
        m.d_available = -amount;
        m.d_blocked = amount;
        break;
    case PP_LEDGER_RELEASE:
        m.d_available = amount;
        m.d_blocked = -amount;
        break;
    case PP_LEDGER_PAYOUT:
        m.d_blocked = -amount;
        m.d_paid_out = amount;
        break;
    }
    return m;
}

enum pp_status move(struct store *st, const char *cur, enum pp_ledger_kind kind, int64_t amount,
                    int64_t payout_id, struct pp_balance *after, struct pp_err *err)
{
    struct move_arg a = {.m = movement(cur, kind, amount, payout_id)};
    pp_err_clear(err);
    enum pp_status s = fx_write(st, cb_move, &a, err);
    if (after != NULL) {
        *after = a.after;
    }
    return s;
}

enum pp_status cb_create(struct store_sqlite_tx *tx, void *arg, struct pp_err *err)
{
    struct create_arg *a = arg;
    struct pp_payout p;
    memset(&p, 0, sizeof p);
    struct pp_recipient r;
    memset(&r, 0, sizeof r);
    int found = 0;
    enum pp_status s = store_sqlite_tx_project_ensure(tx, a->project, 1000, &p.project_id, err);
    if (s == PP_OK) {
        s = store_sqlite_tx_recipient_find(tx, PP_IDENT_USER_NAME, a->user_name, &r, &found, err);
    }
    if (s == PP_OK && !found) {
        snprintf(r.user_name, sizeof r.user_name, "%s", a->user_name);
        s = store_sqlite_tx_recipient_save(tx, &r, 1000, err);
    }
    p.recipient_id = r.id;
    snprintf(p.currency, sizeof p.currency, "%s", a->currency);
    p.amount_minor = a->amount;
    p.start_ms = 1000;
    p.end_ms = 2000;
    snprintf(p.description, sizeof p.description, "test payout");
    p.status = PP_PAYOUT_READY;
    p.created_ms = p.updated_ms = 1000;
    if (s == PP_OK) {
        s = sec_uuid_v7(1767225600000, p.uuid, err);
    }
    if (s == PP_OK) {
        s = store_sqlite_tx_payout_insert(tx, &p, err);
    }
    struct pp_movement m = movement(a->currency, PP_LEDGER_BLOCK, a->amount, p.id);
    if (s == PP_OK) {
        s = store_sqlite_tx_funds_move(tx, &m, NULL, err);
    }
    a->id_out = p.id;
    return s;
}

enum pp_status create_payout(struct store *st, const char *cur, int64_t amount, int64_t *id_out,
                             struct pp_err *err)
{
    struct create_arg a = {
        .project = "Project", .user_name = "bob", .currency = cur, .amount = amount};
    pp_err_clear(err);
    enum pp_status s = fx_write(st, cb_create, &a, err);
    *id_out = a.id_out;
    return s;
}

enum pp_status cb_close(struct store_sqlite_tx *tx, void *arg, struct pp_err *err)
{
    struct close_arg *a = arg;
    struct pp_payout p;
    enum pp_status s = store_sqlite_tx_payout_get(tx, a->id, &p, err);
    if (s == PP_OK) {
        s = store_sqlite_tx_payout_set_status(tx, a->id, a->to, 1500, NULL, 0, err);
    }
    enum pp_ledger_kind kind = a->to == PP_PAYOUT_RECEIVED ? PP_LEDGER_PAYOUT : PP_LEDGER_RELEASE;
    struct pp_movement m = movement(p.currency, kind, p.amount_minor, a->id);
    if (s == PP_OK) {
        s = store_sqlite_tx_funds_move(tx, &m, NULL, err);
    }
    return s;
}

enum pp_status close_payout(struct store *st, int64_t id, enum pp_payout_status to)
{
    struct close_arg a = {.id = id, .to = to};
    struct pp_err err;
    pp_err_clear(&err);
    return fx_write(st, cb_close, &a, &err);
}

struct pp_balance balance_of(struct store *st, const char *cur)
{
    struct pp_balance list[256], b;
    size_t n = 0;
    memset(&b, 0, sizeof b);
    struct pp_err err;
    pp_err_clear(&err);
    assert_int_equal(store_balances_list(st, list, 256, &n, &err), PP_OK);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(list[i].currency, cur) == 0) {
            b = list[i];
        }
    }
    return b;
}

void collect(void *ctx, const char *line)
{
    struct report *r = ctx;
    size_t used = strlen(r->text);
    snprintf(r->text + used, sizeof r->text - used, "%s\n", line);
    r->lines++;
}

int check_problems(struct store *st, struct report *r)
{
    int problems = -1;
    struct pp_err err;
    pp_err_clear(&err);
    memset(r, 0, sizeof *r);
    assert_int_equal(store_check(st, collect, r, &problems, &err), PP_OK);
    assert_int_equal(problems, r->lines);
    return problems;
}

void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

struct store_sqlite *fx_sqlite(struct store *st)
{
    return st->backend;
}

enum pp_status fx_write(struct store *st, store_sqlite_tx_fn fn, void *arg, struct pp_err *err)
{
    return store_sqlite_write(st->backend, fn, arg, err);
}
