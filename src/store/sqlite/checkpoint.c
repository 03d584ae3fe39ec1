/*
** This module implements the store's checkpoints: copying the pages that
** the write-ahead log holds back into the database file, so that the log
** can start again from its beginning.
**
** SQLite's own way (wal_autocheckpoint) copies them inside the COMMIT that
** crosses the threshold, on the writer thread: thousands of page writes
** and an fsync of the database file, during which every waiting request
** waits too. Here the writer's WAL hook only signals a checkpointer thread
** with a connection of its own, which copies while the writer goes on
** committing (WAL mode lets a passive checkpoint run beside a writer).
** The log is restarted by the writer's next transaction once everything
** in it has been copied. Under a write load that never pauses the
** checkpointer may not catch up; past PP_WAL_CHECKPOINT_WRITER_PAGES the
** writer checkpoints itself after its commit, as SQLite would, copying
** only what the checkpointer has not, so the log stays bounded.
**
** Durability does not change: a checkpoint copies committed pages only,
** and syncs the log before and the database file after (synchronous=FULL
** on both connections).
*/
#include <string.h>

#include "payout/base/assert.h"
#include "payout/base/log.h"
#include "payout/base/ticker.h"
#include "store/sqlite/internal.h"

/* Checkpoints on the writer's own connection, right after its commit. The
** read transactions idle readers keep (db.c) end before, so that it copies
** the whole log, and after, so that the writer's next transaction can
** start the log again (no reader may still hold a place in it). */
static void checkpoint_inline(struct store_sqlite *st, sqlite3 *db)
{
    int log_frames = 0;
    int copied = 0;
    store_readers_settle(st);
    int rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log_frames, &copied);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
        pp_log(PP_LOG_WARN, "store: checkpoint by the writer failed: %s", sqlite3_errstr(rc));
    }
    store_readers_settle(st);
}

/* Runs on the writer thread after each commit, outside the transaction;
** frames is the size of the log. */
static int checkpoint_hook(void *arg, sqlite3 *db, const char *schema, int frames)
{
    struct store_sqlite *st = arg;
    (void)schema;
    PP_ASSERT(pthread_mutex_lock(&st->ckpt_mu) == 0);
    if (frames < st->ckpt_signalled_frames) {
        /* The log started again: what the checkpointer last did was in
        ** the old one. */
        st->ckpt_signalled_frames = 0;
        st->ckpt_log_round++;
    }
    int done_this_round = st->ckpt_done_round == st->ckpt_log_round;
    int left = frames - st->ckpt_done_frames;
    int signal = frames < PP_WAL_CHECKPOINT_WRITER_PAGES &&
                 frames >= st->ckpt_signalled_frames + PP_WAL_AUTOCHECKPOINT_PAGES;
    if (signal) {
        /* Once per PP_WAL_AUTOCHECKPOINT_PAGES new pages, not after every
        ** commit: each checkpoint syncs the log and the database file, and
        ** back-to-back ones would compete with the commits for the disk. */
        st->ckpt_signalled_frames = frames;
        st->ckpt_wanted_round = st->ckpt_log_round;
    }
    pthread_mutex_unlock(&st->ckpt_mu);
    if (signal) {
        pp_ticker_wake(st->ckpt_ticker);
    }
    /* The log starts again only when the writer begins a transaction with
    ** every page of it copied, and the writer never pauses under load: so
    ** once the log is long and the checkpointer has copied nearly all of
    ** it, the writer copies the rest itself (a short pause), or at the
    ** bound, all that is left. */
    if (frames >= PP_WAL_CHECKPOINT_WRITER_PAGES ||
        (frames >= PP_WAL_CATCH_UP_FROM_PAGES && done_this_round &&
         left <= PP_WAL_CATCH_UP_PAGES_MAX)) {
        checkpoint_inline(st, db);
    }
    return SQLITE_OK;
}

/* One checkpoint pass on the checkpointer's own connection. */
static void checkpoint_run(void *arg)
{
    struct store_sqlite *st = arg;
    PP_ASSERT(pthread_mutex_lock(&st->ckpt_mu) == 0);
    unsigned round = st->ckpt_wanted_round;
    pthread_mutex_unlock(&st->ckpt_mu);
    int log_frames = 0;
    int copied = 0;
    /* As checkpoint_inline: no idle reader holds the log back. */
    store_readers_settle(st);
    int rc = sqlite3_wal_checkpoint_v2(st->ckpt.db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log_frames,
                                       &copied);
    store_readers_settle(st);
    /* BUSY: the writer is checkpointing itself right now. */
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
        pp_log(PP_LOG_WARN, "store: background checkpoint failed: %s", sqlite3_errstr(rc));
    }
    PP_ASSERT(pthread_mutex_lock(&st->ckpt_mu) == 0);
    if (rc == SQLITE_OK && round == st->ckpt_log_round) {
        st->ckpt_done_round = round;
        st->ckpt_done_frames = copied;
    }
    pthread_mutex_unlock(&st->ckpt_mu);
}

enum pp_status store_checkpointer_start(struct store_sqlite *st, const char *path,
                                        struct pp_err *err)
{
    PP_ASSERT(st->ckpt_ticker == NULL && st->writer.db != NULL);
    enum pp_status status = store_db_open_rw(path, &st->ckpt, err);
    if (status != PP_OK) {
        goto done;
    }
    PP_ASSERT(pthread_mutex_init(&st->ckpt_mu, NULL) == 0);
    /* Only woken by the WAL hook, never by a timer. */
    struct pp_ticker_options opts = {
        .name = "store checkpointer",
        .block_signals = 1,
        .run = checkpoint_run,
        .arg = st,
    };
    struct pp_err start_err = {0};
    if (pp_ticker_start(&opts, &st->ckpt_ticker, &start_err) != PP_OK) {
        status = pp_err_set(err, PP_INTERNAL, "storage error");
        pthread_mutex_destroy(&st->ckpt_mu);
        store_conn_close(&st->ckpt);
        goto done;
    }
    /* Replaces SQLite's automatic checkpoint on the writer's connection. */
    sqlite3_wal_hook(st->writer.db, checkpoint_hook, st);
done:
    return status;
}

void store_checkpointer_stop(struct store_sqlite *st)
{
    if (st->ckpt_ticker == NULL) {
        return;
    }
    /* Unhooked first, so that no commit can wake a ticker that is gone. */
    sqlite3_wal_hook(st->writer.db, NULL, NULL);
    pp_ticker_stop(st->ckpt_ticker);
    st->ckpt_ticker = NULL;
    store_conn_close(&st->ckpt);
    pthread_mutex_destroy(&st->ckpt_mu);
}
