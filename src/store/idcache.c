/*
** This module implements the writer's cache of projects and recipients:
** keys (a project's name, a recipient's identifier, a recipient's id) to
** ids and small records, so that a create finds its project and recipient
** without a statement. Only the writer thread touches it. What makes a
** cached entry true is the backend's: on SQLite the writer is the one
** connection that writes projects and recipients, so every entry holds;
** on PostgreSQL other nodes write too, so projects (never renamed or
** deleted) hold for good and a cached recipient is checked again inside
** the batch (src/store/pg/changes.c).
**
** Entries live in one array in the order they were added, chained per
** hash bucket newest first, so a key's newest entry shadows older ones
** and the entries of the open batch are a suffix of the array. Dropping
** them (a request rolled back to its savepoint, a batch rolled back) walks
** that suffix backwards, each entry then being the head of its chain.
** Older shadowed entries stay until the cache is full; then it empties at
** the next batch boundary and fills again from the database.
**
** A recipient is cached as its packed record under its id, and its id
** under each identifier it has (store_idcache_recipient_put and _find,
** which both backends use). What a cached record means (and checking it
** still holds) is the business of the tables' files (sqlite/projects.c,
** sqlite/recipients.c, pg/changes.c).
*/
#include "store/idcache.h"

#include <stdlib.h>
#include <string.h>

#include "payout/base/assert.h"
#include "payout/limits.h"

/* A power of two, at least twice the entries: chains stay short. */
#define IDCACHE_BUCKETS (2u * PP_WRITER_ID_CACHE_ENTRIES)

struct store_idcache_entry {
    uint64_t hash;
    uint32_t next; /* index + 1 of the next older entry in the chain, 0 = end */
    uint32_t key_len;
    uint32_t value_len;
    unsigned kind;
    int64_t id;
    unsigned char *data; /* the key, then the value */
};

/* FNV-1a over the kind and the key. */
static uint64_t idcache_hash(unsigned kind, const void *key, size_t key_len)
{
    uint64_t h = 1469598103934665603ull ^ kind;
    h *= 1099511628211ull;
    const unsigned char *p = key;
    for (size_t i = 0; i < key_len; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

void store_idcache_clear(struct store_idcache *c)
{
    for (size_t i = 0; i < c->count; i++) {
        free(c->entries[i].data);
    }
    free(c->entries);
    free(c->buckets);
    memset(c, 0, sizeof *c);
}

int store_idcache_get(const struct store_idcache *c, unsigned kind, const void *key, size_t key_len,
                      int64_t *id_out, const void **value_out, size_t *value_len_out)
{
    if (c->buckets == NULL) {
        return 0;
    }
    uint64_t h = idcache_hash(kind, key, key_len);
    uint32_t at = c->buckets[h & (IDCACHE_BUCKETS - 1)];
    while (at != 0) {
        const struct store_idcache_entry *e = &c->entries[at - 1];
        if (e->hash == h && e->kind == kind && e->key_len == key_len &&
            memcmp(e->data, key, key_len) == 0) {
            *id_out = e->id;
            if (value_out != NULL) {
                *value_out = e->value_len > 0 ? e->data + key_len : NULL;
                *value_len_out = e->value_len;
            }
            return 1;
        }
        at = e->next;
    }
    return 0;
}

void store_idcache_put(struct store_idcache *c, unsigned kind, const void *key, size_t key_len,
                       int64_t id, const void *value, size_t value_len)
{
    size_t size = key_len + value_len;
    if (c->count >= PP_WRITER_ID_CACHE_ENTRIES || c->bytes + size > PP_WRITER_ID_CACHE_BYTES) {
        return;
    }
    if (c->buckets == NULL) {
        c->buckets = pp_check_alloc(calloc(IDCACHE_BUCKETS, sizeof *c->buckets));
        c->entries = pp_check_alloc(calloc(PP_WRITER_ID_CACHE_ENTRIES, sizeof *c->entries));
    }
    struct store_idcache_entry *e = &c->entries[c->count];
    e->hash = idcache_hash(kind, key, key_len);
    e->kind = kind;
    e->key_len = (uint32_t)key_len;
    e->value_len = (uint32_t)value_len;
    e->id = id;
    e->data = pp_check_alloc(malloc(size > 0 ? size : 1));
    memcpy(e->data, key, key_len);
    if (value_len > 0) {
        memcpy(e->data + key_len, value, value_len);
    }
    uint32_t *head = &c->buckets[e->hash & (IDCACHE_BUCKETS - 1)];
    e->next = *head;
    *head = (uint32_t)(c->count + 1);
    c->count++;
    c->bytes += size;
}

size_t store_idcache_mark(const struct store_idcache *c)
{
    return c->count;
}

void store_idcache_undo(struct store_idcache *c, size_t mark)
{
    PP_ASSERT(mark >= c->committed && mark <= c->count);
    while (c->count > mark) {
        struct store_idcache_entry *e = &c->entries[c->count - 1];
        uint32_t *head = &c->buckets[e->hash & (IDCACHE_BUCKETS - 1)];
        /* Added last, so still the head of its chain. */
        PP_ASSERT(*head == c->count);
        *head = e->next;
        c->bytes -= e->key_len + e->value_len;
        free(e->data);
        memset(e, 0, sizeof *e);
        c->count--;
    }
}

void store_idcache_commit(struct store_idcache *c)
{
    c->committed = c->count;
    if (c->count >= PP_WRITER_ID_CACHE_ENTRIES ||
        c->bytes + PP_WRITER_ID_CACHE_BYTES / 64 > PP_WRITER_ID_CACHE_BYTES) {
        /* Full: start again from the database rather than stop caching. */
        store_idcache_clear(c);
    }
}

void store_idcache_abort(struct store_idcache *c)
{
    store_idcache_undo(c, c->committed);
}

/* --- Recipients ------------------------------------------------------------ */

/* The fields of a recipient's packed record, in this order, each ending in
** NUL. */
#define IDCACHE_RECIPIENT_FIELDS 6

static char *idcache_recipient_field(struct pp_recipient *r, int i, size_t *size_out)
{
    char *const fields[IDCACHE_RECIPIENT_FIELDS] = {r->user_name,  r->phone_number, r->reference_id,
                                                    r->first_name, r->last_name,    r->email};
    const size_t sizes[IDCACHE_RECIPIENT_FIELDS] = {sizeof r->user_name,    sizeof r->phone_number,
                                                    sizeof r->reference_id, sizeof r->first_name,
                                                    sizeof r->last_name,    sizeof r->email};
    *size_out = sizes[i];
    return fields[i];
}

void store_idcache_recipient_put(struct store_idcache *c, const struct pp_recipient *r)
{
    PP_ASSERT(c != NULL && r != NULL && r->id > 0);
    struct pp_recipient copy = *r;
    char packed[sizeof copy];
    size_t len = 0;
    for (int i = 0; i < IDCACHE_RECIPIENT_FIELDS; i++) {
        size_t size;
        const char *f = idcache_recipient_field(&copy, i, &size);
        size_t n = strlen(f) + 1;
        memcpy(packed + len, f, n);
        len += n;
    }
    store_idcache_put(c, STORE_IDCACHE_RECIPIENT, &r->id, sizeof r->id, r->id, packed, len);
    for (int i = 0; i < PP_IDENT_COUNT; i++) {
        const char *value = pp_recipient_ident(r, (enum pp_ident)i);
        if (value[0] != '\0') {
            store_idcache_put(c, STORE_IDCACHE_RECIPIENT_BY + (unsigned)i, value, strlen(value),
                              r->id, NULL, 0);
        }
    }
}

int store_idcache_recipient_find(const struct store_idcache *c, enum pp_ident which,
                                 const char *value, struct pp_recipient *out)
{
    PP_ASSERT(c != NULL && value != NULL && out != NULL);
    int64_t id = 0;
    const void *packed = NULL;
    size_t len = 0;
    if (!store_idcache_get(c, STORE_IDCACHE_RECIPIENT_BY + (unsigned)which, value, strlen(value),
                           &id, NULL, NULL) ||
        !store_idcache_get(c, STORE_IDCACHE_RECIPIENT, &id, sizeof id, &id, &packed, &len)) {
        return 0;
    }
    memset(out, 0, sizeof *out);
    out->id = id;
    const char *p = packed;
    const char *end = p + len;
    for (int i = 0; i < IDCACHE_RECIPIENT_FIELDS; i++) {
        size_t size;
        char *f = idcache_recipient_field(out, i, &size);
        size_t n = strnlen(p, (size_t)(end - p));
        PP_ASSERT(p + n < end && n < size);
        memcpy(f, p, n + 1);
        p += n + 1;
    }
    return strcmp(pp_recipient_ident(out, which), value) == 0;
}
