/*
** This module implements pp_buf, a growable byte buffer that doubles its
** capacity, so building a body of n bytes copies each byte O(1) times.
*/
#include "payout/base/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payout/base/assert.h"

void pp_buf_init(struct pp_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void pp_buf_free(struct pp_buf *b)
{
    free(b->data);
    pp_buf_init(b);
}

void pp_buf_reset(struct pp_buf *b)
{
    b->len = 0;
    if (b->data != NULL) {
        b->data[0] = '\0';
    }
}

static void buf_reserve(struct pp_buf *b, size_t extra)
{
    PP_ASSERT(extra < (size_t)1 << 40);
    if (b->len + extra + 1 <= b->cap) {
        return;
    }
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1) {
        cap *= 2;
    }
    b->data = pp_check_alloc(realloc(b->data, cap));
    b->cap = cap;
}

void pp_buf_append(struct pp_buf *b, const void *data, size_t len)
{
    buf_reserve(b, len);
    if (len > 0) {
        memcpy(b->data + b->len, data, len);
    }
    b->len += len;
    b->data[b->len] = '\0';
}

void pp_buf_puts(struct pp_buf *b, const char *s)
{
    pp_buf_append(b, s, strlen(s));
}

void pp_buf_putc(struct pp_buf *b, char c)
{
    buf_reserve(b, 1);
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

void pp_buf_printf(struct pp_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    PP_ASSERT(n >= 0);
    if ((size_t)n < sizeof small) {
        pp_buf_append(b, small, (size_t)n);
        return;
    }
    buf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *pp_buf_take(struct pp_buf *b, size_t *len_out)
{
    buf_reserve(b, 0);
    char *p = b->data;
    if (len_out != NULL) {
        *len_out = b->len;
    }
    pp_buf_init(b);
    return p;
}
