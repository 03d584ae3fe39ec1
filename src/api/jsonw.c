/*
** This module implements the streaming JSON writer of api/jsonw.h.
*/
#include "payout/api/jsonw.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "payout/base/assert.h"

void jw_init(struct jw *w, struct pp_buf *out)
{
    w->out = out;
    w->depth = 0;
    w->first[0] = 1;
    w->after_key = 0;
}

/* Writes the comma a new value or key needs at the current level. */
static void jw_sep(struct jw *w)
{
    if (w->after_key) {
        w->after_key = 0;
        return;
    }
    if (!w->first[w->depth]) {
        pp_buf_putc(w->out, ',');
    }
    w->first[w->depth] = 0;
}

static void jw_open(struct jw *w, char c)
{
    jw_sep(w);
    PP_ASSERT(w->depth + 1 < JW_DEPTH_MAX);
    pp_buf_putc(w->out, c);
    w->depth++;
    w->first[w->depth] = 1;
}

static void jw_close(struct jw *w, char c)
{
    PP_ASSERT(w->depth > 0 && !w->after_key);
    w->depth--;
    pp_buf_putc(w->out, c);
}

void jw_object_begin(struct jw *w)
{
    jw_open(w, '{');
}

void jw_object_end(struct jw *w)
{
    jw_close(w, '}');
}

void jw_array_begin(struct jw *w)
{
    jw_open(w, '[');
}

void jw_array_end(struct jw *w)
{
    jw_close(w, ']');
}

/* Bytes of the well-formed UTF-8 sequence at s[0..len) (s[0] >= 0x80),
** or 0 when it is not one (overlong, surrogate, over U+10FFFF, cut). */
static size_t utf8_sequence(const unsigned char *s, size_t len)
{
    unsigned char c = s[0];
    size_t n = c >= 0xC2 && c <= 0xDF   ? 2
               : c >= 0xE0 && c <= 0xEF ? 3
               : c >= 0xF0 && c <= 0xF4 ? 4
                                        : 0;
    unsigned char lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
    unsigned char hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
    if (n == 0 || n > len || s[1] < lo || s[1] > hi) {
        return 0;
    }
    for (size_t i = 2; i < n; i++) {
        if (s[i] < 0x80 || s[i] > 0xBF) {
            return 0;
        }
    }
    return n;
}

/* Eight bytes at a time: a byte of each. */
#define JW_ONES 0x0101010101010101ULL
#define JW_HIGHS 0x8080808080808080ULL

/* Nonzero when one of the eight bytes in x needs a look of its own: a
** control byte (< 0x20), '"', '\\' or a byte of a multi-byte character
** (>= 0x80). Each test sets the high bit of a byte it finds (the classic
** "has a byte less than n" / "has a zero byte" words); a byte >= 0x80
** already has it. */
static uint64_t jw_special8(uint64_t x)
{
    uint64_t quote = x ^ (JW_ONES * (unsigned char)'"');
    uint64_t backslash = x ^ (JW_ONES * (unsigned char)'\\');
    uint64_t control = (x - JW_ONES * 0x20u) & ~x;
    uint64_t q = (quote - JW_ONES) & ~quote;
    uint64_t b = (backslash - JW_ONES) & ~backslash;
    return (control | q | b | x) & JW_HIGHS;
}

void jw_escape(struct pp_buf *out, const char *s, size_t len)
{
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        /* Runs of plain text are skipped a word at a time. */
        while (i + 8 <= len) {
            uint64_t x;
            memcpy(&x, s + i, sizeof x);
            if (jw_special8(x) != 0) {
                break;
            }
            i += 8;
        }
        if (i >= len) {
            break;
        }
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80) {
            /* Valid UTF-8 is copied; anything else (say a message that cut
            ** a character in two) becomes U+FFFD, so the JSON stays valid. */
            size_t n = utf8_sequence((const unsigned char *)s + i, len - i);
            if (n > 0) {
                i += n - 1;
                continue;
            }
            pp_buf_append(out, s + start, i - start);
            pp_buf_puts(out, "\\ufffd");
            start = i + 1;
            continue;
        }
        if (c >= 0x20 && c != '"' && c != '\\') {
            continue;
        }
        pp_buf_append(out, s + start, i - start);
        char esc[8];
        switch (c) {
        case '"':
            memcpy(esc, "\\\"", 3);
            break;
        case '\\':
            memcpy(esc, "\\\\", 3);
            break;
        case '\n':
            memcpy(esc, "\\n", 3);
            break;
        case '\r':
            memcpy(esc, "\\r", 3);
            break;
        case '\t':
            memcpy(esc, "\\t", 3);
            break;
        default:
            snprintf(esc, sizeof esc, "\\u%04x", c);
            break;
        }
        pp_buf_puts(out, esc);
        start = i + 1;
    }
    pp_buf_append(out, s + start, len - start);
}

/* Longest key written in one piece (the API's keys are all shorter). */
#define JW_KEY_PLAIN_MAX 48

/* 1 when s[0..len) goes into a JSON string as it is: printable ASCII
** without '"' and '\\'. */
static int jw_plain(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') {
            return 0;
        }
    }
    return 1;
}

void jw_key_quoted(struct jw *w, const char *text, size_t len)
{
    jw_sep(w);
    pp_buf_append(w->out, text, len);
    w->after_key = 1;
}

void jw_key(struct jw *w, const char *key)
{
    size_t len = strlen(key);
    if (len <= JW_KEY_PLAIN_MAX && jw_plain(key, len)) {
        /* "key": in one append (keys are mostly the API's own names). */
        char text[JW_KEY_PLAIN_MAX + 3];
        text[0] = '"';
        memcpy(text + 1, key, len);
        memcpy(text + 1 + len, "\":", 2);
        jw_key_quoted(w, text, len + 3);
        return;
    }
    jw_sep(w);
    pp_buf_putc(w->out, '"');
    jw_escape(w->out, key, len);
    pp_buf_append(w->out, "\":", 2);
    w->after_key = 1;
}

void jw_string_n(struct jw *w, const char *s, size_t len)
{
    jw_sep(w);
    pp_buf_putc(w->out, '"');
    jw_escape(w->out, s, len);
    pp_buf_putc(w->out, '"');
}

void jw_string(struct jw *w, const char *s)
{
    jw_string_n(w, s, strlen(s));
}

void jw_int(struct jw *w, int64_t v)
{
    /* Decimal digits, last first, then the sign (INT64_MIN included: its
    ** magnitude is taken as unsigned). */
    char text[24];
    size_t at = sizeof text;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        text[--at] = (char)('0' + u % 10u);
        u /= 10u;
    } while (u != 0);
    if (v < 0) {
        text[--at] = '-';
    }
    jw_sep(w);
    pp_buf_append(w->out, text + at, sizeof text - at);
}

void jw_bool(struct jw *w, int v)
{
    jw_sep(w);
    pp_buf_puts(w->out, v ? "true" : "false");
}

void jw_null(struct jw *w)
{
    jw_sep(w);
    pp_buf_puts(w->out, "null");
}

void jw_raw(struct jw *w, const char *json)
{
    jw_raw_n(w, json, strlen(json));
}

void jw_raw_n(struct jw *w, const char *json, size_t len)
{
    jw_sep(w);
    pp_buf_append(w->out, json, len);
}
