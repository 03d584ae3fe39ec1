/*
** This module implements the store's SQLite VFS, "payout-walbuf": the
** platform's own VFS with one change, that writes to a write-ahead log are
** gathered in memory and reach the file in one write when SQLite next
** syncs, reads, sizes, truncates or closes it (or the buffer is full).
**
** Why: SQLite writes each WAL frame with two calls (a 24-byte header, then
** the page), so a group commit of 32 payout creates made ~200 write system
** calls before its one fsync, and system calls are dear on a virtual
** machine. The bytes, their order and the moment they must be durable do
** not change: every write that SQLite has issued before an xSync is on the
** file before that xSync runs. And a transaction's commit frame (a frame
** header whose "database size" field is not zero) is written out together
** with its page before that write call returns, so when SQLite then
** publishes the frames to other connections (in the shared-memory index)
** they are in the file, whatever the synchronous setting.
**
** What it does not do: it does not touch the database file, the shared
** memory index or any other file (those are opened by the platform VFS
** itself and keep its methods), and it never reorders writes: a write that
** does not continue the buffer flushes it first.
*/
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "payout/base/assert.h"
#include "payout/limits.h"
#include "store/sqlite/internal.h"

#define WALBUF_VFS_NAME "payout-walbuf"

/* A WAL file as this VFS opens it; the platform's file follows it. */
struct walbuf_file {
    sqlite3_file base;
    sqlite3_file *real;
    unsigned char *buf;    /* PP_WAL_WRITE_BUFFER_BYTES, allocated on the first write */
    sqlite3_int64 buf_off; /* file offset of buf[0] */
    size_t buf_len;
    int commit_pending; /* the last write was a commit frame's header */
};

/* SQLite writes each WAL frame as a 24-byte header, then the page. Bytes
** 4..7 of the header hold the database size after a commit, else zero. */
#define WALBUF_FRAME_HEADER_BYTES 24

static int walbuf_is_commit_header(const unsigned char *data, size_t n)
{
    return n == WALBUF_FRAME_HEADER_BYTES && (data[4] | data[5] | data[6] | data[7]) != 0;
}

/* The platform's unix VFS writes at most 128 KiB - 1 bytes per call (it
** masks the length), so gathered bytes go out in pieces of this size. */
#define WALBUF_PIECE_BYTES (64 * 1024)

static sqlite3_vfs walbuf_vfs;

/* Writes data[0..n) at offset through the platform's file, piece by piece. */
static int walbuf_write_through(struct walbuf_file *f, const unsigned char *data, size_t n,
                                sqlite3_int64 offset)
{
    int rc = SQLITE_OK;
    for (size_t done = 0; done < n && rc == SQLITE_OK;) {
        size_t piece = n - done < WALBUF_PIECE_BYTES ? n - done : WALBUF_PIECE_BYTES;
        rc = f->real->pMethods->xWrite(f->real, data + done, (int)piece,
                                       offset + (sqlite3_int64)done);
        done += piece;
    }
    return rc;
}

/* Writes out what is gathered. On failure the gathered bytes are dropped:
** SQLite fails the transaction they belonged to and never commits it. */
static int walbuf_flush(struct walbuf_file *f)
{
    int rc = SQLITE_OK;
    if (f->buf_len > 0) {
        rc = walbuf_write_through(f, f->buf, f->buf_len, f->buf_off);
        f->buf_len = 0;
    }
    return rc;
}

static int walbuf_close(sqlite3_file *file)
{
    struct walbuf_file *f = (struct walbuf_file *)file;
    int rc = walbuf_flush(f);
    int rc_close = f->real->pMethods->xClose(f->real);
    free(f->buf);
    f->buf = NULL;
    return rc != SQLITE_OK ? rc : rc_close;
}

static int walbuf_read(sqlite3_file *file, void *out, int amount, sqlite3_int64 offset)
{
    struct walbuf_file *f = (struct walbuf_file *)file;
    int rc = walbuf_flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xRead(f->real, out, amount, offset);
}

/* Gathers data[0..n) at offset: appends it when it continues the buffer,
** else flushes and starts the buffer anew (or writes through a piece too
** large for it, or when no buffer can be had). */
static int walbuf_gather(struct walbuf_file *f, const unsigned char *data, size_t n,
                         sqlite3_int64 offset)
{
    if (f->buf_len > 0 && offset == f->buf_off + (sqlite3_int64)f->buf_len &&
        n <= PP_WAL_WRITE_BUFFER_BYTES - f->buf_len) {
        memcpy(f->buf + f->buf_len, data, n);
        f->buf_len += n;
        return SQLITE_OK;
    }
    int rc = walbuf_flush(f);
    if (rc != SQLITE_OK) {
        return rc;
    }
    if (f->buf == NULL && n <= PP_WAL_WRITE_BUFFER_BYTES) {
        f->buf = malloc(PP_WAL_WRITE_BUFFER_BYTES);
    }
    if (f->buf == NULL || n > PP_WAL_WRITE_BUFFER_BYTES) {
        return walbuf_write_through(f, data, n, offset);
    }
    memcpy(f->buf, data, n);
    f->buf_off = offset;
    f->buf_len = n;
    return SQLITE_OK;
}

static int walbuf_write(sqlite3_file *file, const void *data, int amount, sqlite3_int64 offset)
{
    struct walbuf_file *f = (struct walbuf_file *)file;
    PP_ASSERT(amount >= 0);
    size_t n = (size_t)amount;
    int commit_page = f->commit_pending;
    f->commit_pending = walbuf_is_commit_header(data, n);
    int rc = walbuf_gather(f, data, n, offset);
    if (rc == SQLITE_OK && commit_page) {
        /* The commit frame is complete: out it goes, before SQLite can
        ** publish it to readers. */
        rc = walbuf_flush(f);
    }
    return rc;
}

static int walbuf_truncate(sqlite3_file *file, sqlite3_int64 size)
{
    struct walbuf_file *f = (struct walbuf_file *)file;
    int rc = walbuf_flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xTruncate(f->real, size);
}

static int walbuf_sync(sqlite3_file *file, int flags)
{
    struct walbuf_file *f = (struct walbuf_file *)file;
    int rc = walbuf_flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xSync(f->real, flags);
}

static int walbuf_file_size(sqlite3_file *file, sqlite3_int64 *size_out)
{
    struct walbuf_file *f = (struct walbuf_file *)file;
    int rc = walbuf_flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xFileSize(f->real, size_out);
}

static int walbuf_lock(sqlite3_file *file, int level)
{
    struct walbuf_file *f = (struct walbuf_file *)file;
    return f->real->pMethods->xLock(f->real, level);
}

static int walbuf_unlock(sqlite3_file *file, int level)
{
    struct walbuf_file *f = (struct walbuf_file *)file;
    return f->real->pMethods->xUnlock(f->real, level);
}

static int walbuf_check_reserved(sqlite3_file *file, int *out)
{
    struct walbuf_file *f = (struct walbuf_file *)file;
    return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int walbuf_file_control(sqlite3_file *file, int op, void *arg)
{
    struct walbuf_file *f = (struct walbuf_file *)file;
    /* A file control may read or size the file: it sees every write. */
    int rc = walbuf_flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xFileControl(f->real, op, arg);
}

static int walbuf_sector_size(sqlite3_file *file)
{
    struct walbuf_file *f = (struct walbuf_file *)file;
    return f->real->pMethods->xSectorSize(f->real);
}

static int walbuf_device_characteristics(sqlite3_file *file)
{
    struct walbuf_file *f = (struct walbuf_file *)file;
    return f->real->pMethods->xDeviceCharacteristics(f->real);
}

/* Version 1: SQLite maps shared memory and pages of the database file
** only, never of the WAL. */
static const sqlite3_io_methods walbuf_io = {
    .iVersion = 1,
    .xClose = walbuf_close,
    .xRead = walbuf_read,
    .xWrite = walbuf_write,
    .xTruncate = walbuf_truncate,
    .xSync = walbuf_sync,
    .xFileSize = walbuf_file_size,
    .xLock = walbuf_lock,
    .xUnlock = walbuf_unlock,
    .xCheckReservedLock = walbuf_check_reserved,
    .xFileControl = walbuf_file_control,
    .xSectorSize = walbuf_sector_size,
    .xDeviceCharacteristics = walbuf_device_characteristics,
};

static sqlite3_vfs *walbuf_real(void)
{
    return walbuf_vfs.pAppData;
}

static int walbuf_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags,
                       int *out_flags)
{
    (void)vfs;
    sqlite3_vfs *real = walbuf_real();
    if ((flags & SQLITE_OPEN_WAL) == 0) {
        /* Every other file is the platform's own, methods and all (the
        ** space SQLite allocated is larger than the platform needs). */
        return real->xOpen(real, name, file, flags, out_flags);
    }
    struct walbuf_file *f = (struct walbuf_file *)file;
    memset(f, 0, sizeof *f);
    f->real = (sqlite3_file *)(f + 1);
    int rc = real->xOpen(real, name, f->real, flags, out_flags);
    if (rc == SQLITE_OK) {
        f->base.pMethods = &walbuf_io;
    } else if (f->real->pMethods != NULL) {
        f->real->pMethods->xClose(f->real);
    }
    return rc;
}

/* The rest is the platform VFS's own. */
static int walbuf_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
    (void)vfs;
    return walbuf_real()->xDelete(walbuf_real(), name, sync_dir);
}

static int walbuf_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
    (void)vfs;
    return walbuf_real()->xAccess(walbuf_real(), name, flags, out);
}

static int walbuf_full_pathname(sqlite3_vfs *vfs, const char *name, int size, char *out)
{
    (void)vfs;
    return walbuf_real()->xFullPathname(walbuf_real(), name, size, out);
}

static void *walbuf_dl_open(sqlite3_vfs *vfs, const char *path)
{
    (void)vfs;
    return walbuf_real()->xDlOpen(walbuf_real(), path);
}

static void walbuf_dl_error(sqlite3_vfs *vfs, int size, char *out)
{
    (void)vfs;
    walbuf_real()->xDlError(walbuf_real(), size, out);
}

static void (*walbuf_dl_sym(sqlite3_vfs *vfs, void *handle, const char *symbol))(void)
{
    (void)vfs;
    return walbuf_real()->xDlSym(walbuf_real(), handle, symbol);
}

static void walbuf_dl_close(sqlite3_vfs *vfs, void *handle)
{
    (void)vfs;
    walbuf_real()->xDlClose(walbuf_real(), handle);
}

static int walbuf_randomness(sqlite3_vfs *vfs, int size, char *out)
{
    (void)vfs;
    return walbuf_real()->xRandomness(walbuf_real(), size, out);
}

static int walbuf_sleep(sqlite3_vfs *vfs, int microseconds)
{
    (void)vfs;
    return walbuf_real()->xSleep(walbuf_real(), microseconds);
}

static int walbuf_current_time(sqlite3_vfs *vfs, double *out)
{
    (void)vfs;
    return walbuf_real()->xCurrentTime(walbuf_real(), out);
}

static int walbuf_last_error(sqlite3_vfs *vfs, int size, char *out)
{
    (void)vfs;
    return walbuf_real()->xGetLastError(walbuf_real(), size, out);
}

static int walbuf_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
    (void)vfs;
    return walbuf_real()->xCurrentTimeInt64(walbuf_real(), out);
}

static void walbuf_register(void)
{
    sqlite3_vfs *real = sqlite3_vfs_find(NULL);
    /* The platform VFS must offer xCurrentTimeInt64 (version 2 or more). */
    PP_ASSERT(real != NULL && real->iVersion >= 2);
    walbuf_vfs = (sqlite3_vfs){
        .iVersion = 2,
        .szOsFile = (int)sizeof(struct walbuf_file) + real->szOsFile,
        .mxPathname = real->mxPathname,
        .zName = WALBUF_VFS_NAME,
        .pAppData = real,
        .xOpen = walbuf_open,
        .xDelete = walbuf_delete,
        .xAccess = walbuf_access,
        .xFullPathname = walbuf_full_pathname,
        .xDlOpen = walbuf_dl_open,
        .xDlError = walbuf_dl_error,
        .xDlSym = walbuf_dl_sym,
        .xDlClose = walbuf_dl_close,
        .xRandomness = walbuf_randomness,
        .xSleep = walbuf_sleep,
        .xCurrentTime = walbuf_current_time,
        .xGetLastError = walbuf_last_error,
        .xCurrentTimeInt64 = walbuf_current_time_int64,
    };
    PP_ASSERT(sqlite3_vfs_register(&walbuf_vfs, 0) == SQLITE_OK);
}

const char *store_walbuf_vfs(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    PP_ASSERT(pthread_once(&once, walbuf_register) == 0);
    return WALBUF_VFS_NAME;
}
