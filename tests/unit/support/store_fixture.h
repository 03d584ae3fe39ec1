/*
** This header declares the fixture the SQLite store's unit tests share
** (test_db.c, test_funds.c, test_writer.c, ...): a fresh store in its own
** temporary directory per test, raw SQLite access to its file as an
** operator would have, and write callbacks that set up settings, ledger
** moves and payouts, plus store_check's report.
*/
#ifndef PP_UNIT_STORE_FIXTURE_H
#define PP_UNIT_STORE_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "payout/store/store.h"
#include "store/sqlite/internal.h"

/* --- Fixture ---------------------------------------------------------------- */
struct fx {
    char dir[64];
    char path[128];
    struct store *st;
};

/* --- Write callbacks ------------------------------------------------------------ */
struct setting_arg {
    const char *key;
    const char *value;
    int fail_after; /* 1: write, then refuse */
};

struct move_arg {
    struct pp_movement m;
    struct pp_balance after;
    int ignore_error; /* 1: return PP_OK whatever the move said */
};

/* Creates a READY payout the way core will: project, recipient, payout and
** its BLOCK in one callback. */
struct create_arg {
    const char *project;
    const char *user_name;
    const char *currency;
    int64_t amount;
    int64_t id_out;
};

/* Closes payout id as `to` (CANCELLED/EXPIRED release, RECEIVED pays out). */
struct close_arg {
    int64_t id;
    enum pp_payout_status to;
};

/* Collects store_check's lines. */
struct report {
    char text[8192];
    int lines;
};

/* Opens a fresh store (4 readers) at <fresh tmpdir>/payout.db into a struct
** fx in *state; teardown closes it and removes the directory. */
int setup(void **state);

int teardown(void **state);

/* --- Raw SQLite, as an operator (or an attacker) would use it --------------- */
sqlite3 *raw_open(const char *path);

int64_t raw_int(const char *path, const char *sql);

/* Runs sql; returns the result code and copies the message into msg. */
int raw_exec(const char *path, const char *sql, char *msg, size_t msg_size);

/* The plan SQLite picks for sql on the database at path (EXPLAIN QUERY
** PLAN), its steps as one line: "SEARCH ... USING INDEX ...; ...". */
void raw_plan(const char *path, const char *sql, char *out, size_t out_size);

enum pp_status cb_setting_put(struct store_sqlite_tx *tx, void *arg, struct pp_err *err);

enum pp_status put_setting(struct store *st, const char *key, const char *value);

enum pp_status cb_move(struct store_sqlite_tx *tx, void *arg, struct pp_err *err);

struct pp_movement movement(const char *cur, enum pp_ledger_kind kind, int64_t amount,
                            int64_t payout_id);

enum pp_status move(struct store *st, const char *cur, enum pp_ledger_kind kind, int64_t amount,
                    int64_t payout_id, struct pp_balance *after, struct pp_err *err);

enum pp_status cb_create(struct store_sqlite_tx *tx, void *arg, struct pp_err *err);

enum pp_status create_payout(struct store *st, const char *cur, int64_t amount, int64_t *id_out,
                             struct pp_err *err);

enum pp_status cb_close(struct store_sqlite_tx *tx, void *arg, struct pp_err *err);

enum pp_status close_payout(struct store *st, int64_t id, enum pp_payout_status to);

struct pp_balance balance_of(struct store *st, const char *cur);

void collect(void *ctx, const char *line);

int check_problems(struct store *st, struct report *r);

/* The SQLite backend behind st (store/backend.h). */
struct store_sqlite *fx_sqlite(struct store *st);

/* Runs fn in the SQLite backend's writer of st (store_sqlite_write): the
** step-level tests drive the backend's own transaction steps. */
enum pp_status fx_write(struct store *st, store_sqlite_tx_fn fn, void *arg, struct pp_err *err);

/* Sleeps ms milliseconds. */
void sleep_ms(long ms);
#endif /* PP_UNIT_STORE_FIXTURE_H */
