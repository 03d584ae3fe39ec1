/*
** This header declares the request arena: a bump allocator whose memory all
** dies at once with pp_arena_destroy. Each HTTP request owns one, so
** handlers never free anything by hand. Not thread-safe: one owner at a
** time. Allocation failure aborts (see base/assert.h).
*/
#ifndef PAYOUT_BASE_ARENA_H
#define PAYOUT_BASE_ARENA_H

#include <stddef.h>

struct pp_arena;

/* New arena whose first chunk holds chunk_bytes. */
struct pp_arena *pp_arena_create(size_t chunk_bytes);
/* Frees the arena and everything allocated from it. NULL is a no-op. */
void pp_arena_destroy(struct pp_arena *arena);
/* bytes of uninitialised memory, aligned for any type, owned by the arena. */
void *pp_arena_alloc(struct pp_arena *arena, size_t bytes);
/* Zeroed memory for count elements of size bytes (overflow-checked). */
void *pp_arena_calloc(struct pp_arena *arena, size_t count, size_t size);
/* Copy of the first len bytes of s, NUL-terminated, owned by the arena. */
char *pp_arena_strndup(struct pp_arena *arena, const char *s, size_t len);
/* Copy of s (NUL-terminated), owned by the arena. */
char *pp_arena_strdup(struct pp_arena *arena, const char *s);
/* Total bytes handed out so far (for limits and tests). */
size_t pp_arena_used(const struct pp_arena *arena);

#endif /* PAYOUT_BASE_ARENA_H */
