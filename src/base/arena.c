/*
** This module implements the request arena: a list of chunks, each bump-
** allocated; oversized requests get a chunk of their own. It does not
** support freeing single allocations: everything dies with the arena.
*/
#include "payout/base/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "payout/base/assert.h"

#define ARENA_ALIGN 16u

struct arena_chunk {
    struct arena_chunk *next;
    size_t size;
    size_t used;
    _Alignas(16) unsigned char data[];
};

struct pp_arena {
    struct arena_chunk *head;
    size_t chunk_bytes;
    size_t used_total;
};

static struct arena_chunk *chunk_new(size_t size)
{
    struct arena_chunk *c = pp_check_alloc(malloc(sizeof *c + size));
    c->next = NULL;
    c->size = size;
    c->used = 0;
    return c;
}

struct pp_arena *pp_arena_create(size_t chunk_bytes)
{
    PP_ASSERT(chunk_bytes >= 64);
    struct pp_arena *a = pp_check_alloc(malloc(sizeof *a));
    a->chunk_bytes = chunk_bytes;
    a->head = chunk_new(chunk_bytes);
    a->used_total = 0;
    return a;
}

void pp_arena_destroy(struct pp_arena *arena)
{
    if (arena == NULL) {
        return;
    }
    struct arena_chunk *c = arena->head;
    while (c != NULL) {
        struct arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    free(arena);
}

void *pp_arena_alloc(struct pp_arena *arena, size_t bytes)
{
    PP_ASSERT(arena != NULL);
    PP_ASSERT(bytes <= SIZE_MAX / 2);
    size_t need = (bytes + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (need == 0) {
        need = ARENA_ALIGN;
    }
    struct arena_chunk *c = arena->head;
    if (c->size - c->used < need) {
        /* A big allocation gets its own chunk behind the head, so the head's
        ** free space stays usable for the small ones that follow. */
        if (need > arena->chunk_bytes / 2) {
            struct arena_chunk *big = chunk_new(need);
            big->used = need;
            big->next = c->next;
            c->next = big;
            arena->used_total += need;
            return big->data;
        }
        c = chunk_new(arena->chunk_bytes);
        c->next = arena->head;
        arena->head = c;
    }
    void *p = c->data + c->used;
    c->used += need;
    arena->used_total += need;
    return p;
}

void *pp_arena_calloc(struct pp_arena *arena, size_t count, size_t size)
{
    PP_ASSERT(size == 0 || count <= SIZE_MAX / 2 / size);
    void *p = pp_arena_alloc(arena, count * size);
    memset(p, 0, count * size);
    return p;
}

char *pp_arena_strndup(struct pp_arena *arena, const char *s, size_t len)
{
    char *p = pp_arena_alloc(arena, len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *pp_arena_strdup(struct pp_arena *arena, const char *s)
{
    return pp_arena_strndup(arena, s, strlen(s));
}

size_t pp_arena_used(const struct pp_arena *arena)
{
    return arena->used_total;
}
