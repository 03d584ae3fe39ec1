/*
** This private header is the contract of idcache.c: a writer's cache of
** projects and recipients (see there). Both backends' writers use it.
*/
#ifndef PAYOUT_STORE_IDCACHE_H
#define PAYOUT_STORE_IDCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "payout/model.h"

/* What a key names. */
enum store_idcache_kind {
    STORE_IDCACHE_PROJECT = 1,  /* project name -> id */
    STORE_IDCACHE_RECIPIENT_BY, /* + enum pp_ident: identifier value -> recipient id */
    STORE_IDCACHE_RECIPIENT =
        16, /* recipient id (8 bytes) -> packed record (store_idcache_recipient_put) */
};

struct store_idcache_entry;

struct store_idcache {
    uint32_t *buckets; /* index + 1 of a chain's newest entry, 0 = empty */
    struct store_idcache_entry *entries;
    size_t count;     /* entries in use, in the order they were added */
    size_t committed; /* entries[0..committed) belong to committed batches */
    size_t bytes;     /* key and value bytes held */
};

/* Frees everything; the cache is empty and usable again. */
void store_idcache_clear(struct store_idcache *c);

/* The newest entry of (kind, key): 1 and *id_out, *value_out (borrowed,
** valid until the cache changes; NULL when none) and *value_len_out, or 0. */
int store_idcache_get(const struct store_idcache *c, unsigned kind, const void *key, size_t key_len,
                      int64_t *id_out, const void **value_out, size_t *value_len_out);

/* Adds (kind, key) -> id and a copy of value (may be NULL) as an entry of
** the open batch, newer than any other of that key. Does nothing when the
** cache is full (it is then emptied at the next batch boundary). */
void store_idcache_put(struct store_idcache *c, unsigned kind, const void *key, size_t key_len,
                       int64_t id, const void *value, size_t value_len);

/* A point to come back to: store_idcache_undo drops every entry added
** since (a request rolled back to its savepoint). */
size_t store_idcache_mark(const struct store_idcache *c);
void store_idcache_undo(struct store_idcache *c, size_t mark);

/* Caches recipient r (stored, with its id) as an entry of the open batch:
** its id -> its packed record (the six fields, each ending in NUL), and
** each identifier it has -> its id. */
void store_idcache_recipient_put(struct store_idcache *c, const struct pp_recipient *r);
/* The cached recipient whose identifier `which` is `value`: 1 and *out, or
** 0 (not cached, or the cached record no longer has that value: the
** recipient changed it since). What makes a cached record true is the
** backend's (idcache.c's opening). */
int store_idcache_recipient_find(const struct store_idcache *c, enum pp_ident which,
                                 const char *value, struct pp_recipient *out);

/* The batch committed: its entries are kept. */
void store_idcache_commit(struct store_idcache *c);
/* The batch rolled back: its entries are dropped. */
void store_idcache_abort(struct store_idcache *c);

#endif /* PAYOUT_STORE_IDCACHE_H */
