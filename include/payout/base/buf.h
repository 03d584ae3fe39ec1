/*
** This header declares pp_buf, a growable byte buffer used to build
** response bodies and log lines in one pass without repeated copying.
** Allocation failure aborts (see base/assert.h).
*/
#ifndef PAYOUT_BASE_BUF_H
#define PAYOUT_BASE_BUF_H

#include <stddef.h>

struct pp_buf {
    char *data; /* always NUL-terminated when len > 0 or after any append */
    size_t len;
    size_t cap;
};

/* An empty buffer; no allocation until the first append. */
void pp_buf_init(struct pp_buf *b);
/* Frees the buffer's memory and re-initialises it. */
void pp_buf_free(struct pp_buf *b);
/* Sets len to 0, keeps the memory. */
void pp_buf_reset(struct pp_buf *b);
void pp_buf_append(struct pp_buf *b, const void *data, size_t len);
void pp_buf_puts(struct pp_buf *b, const char *s);
void pp_buf_putc(struct pp_buf *b, char c);
void pp_buf_printf(struct pp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the heap memory to the caller (free() it) and re-initialises b.
** Never NULL: an empty buffer yields an allocated "". */
char *pp_buf_take(struct pp_buf *b, size_t *len_out);

#endif /* PAYOUT_BASE_BUF_H */
