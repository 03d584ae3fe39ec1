/*
** This header declares a small streaming JSON writer over pp_buf. Responses
** are written in one pass, and amounts go out as their exact decimal text
** (jansson would print doubles, turning 0.1 into 0.10000000000000001).
** Commas are managed by the writer; nesting is bounded by JW_DEPTH_MAX.
*/
#ifndef PAYOUT_API_JSONW_H
#define PAYOUT_API_JSONW_H

#include <stddef.h>
#include <stdint.h>

#include "payout/base/buf.h"

#define JW_DEPTH_MAX 8

struct jw {
    struct pp_buf *out; /* borrowed */
    int depth;
    int first[JW_DEPTH_MAX]; /* 1 until the level's first member is written */
    int after_key;           /* 1 right after a key: the value needs no comma */
};

void jw_init(struct jw *w, struct pp_buf *out);
void jw_object_begin(struct jw *w);
void jw_object_end(struct jw *w);
void jw_array_begin(struct jw *w);
void jw_array_end(struct jw *w);
void jw_key(struct jw *w, const char *key);
/* A key given as a string literal of printable ASCII without '"' or '\\'
** (the API's own member names): written as one piece, its length known
** when compiled. */
#define JW_KEY(w, key) jw_key_quoted((w), "\"" key "\":", sizeof(key) + 2)
/* text[0..len): a key already quoted and followed by its colon. */
void jw_key_quoted(struct jw *w, const char *text, size_t len);
/* A JSON string, escaped (control characters as \u00XX, '"' and '\\'); bytes
** that are not well-formed UTF-8 are written as \ufffd, so the output is
** always valid JSON. */
void jw_string(struct jw *w, const char *s);
void jw_string_n(struct jw *w, const char *s, size_t len);
void jw_int(struct jw *w, int64_t v);
void jw_bool(struct jw *w, int v);
void jw_null(struct jw *w);
/* Text that is already valid JSON (a formatted amount), written as is. */
void jw_raw(struct jw *w, const char *json);
void jw_raw_n(struct jw *w, const char *json, size_t len);

/* Appends s[0..len) JSON-escaped (without quotes) to out. */
void jw_escape(struct pp_buf *out, const char *s, size_t len);

#endif /* PAYOUT_API_JSONW_H */
