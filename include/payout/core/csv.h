/*
** This header declares a small, strict CSV reader (RFC 4180) for list
** imports. It reads records one at a time from a mutable buffer and
** unescapes each field in place, so fields need no allocation: every field
** pointer it hands out points into the caller's buffer and lives as long
** as that buffer does.
**
** What it accepts: fields separated by ',', records ended by CRLF or LF
** (mixed is fine), fields in double quotes that may hold ',', '"' written
** as '""', CR and LF; an optional UTF-8 byte-order mark at the very start;
** a last record with or without a line ending. A line with no characters
** at all is not a record (so trailing empty lines are fine).
** What it refuses (PP_INVALID_PARAMS, message naming the line): text that
** is not UTF-8 or holds a NUL byte, a quote inside an unquoted field, text
** after a closing quote, an unterminated quoted field, a CR not followed by
** LF, and a record with more than fields_max fields. It does not know what
** the columns mean and does not check that records have the same number of
** fields (the caller reports ragged rows in its own words).
*/
#ifndef PAYOUT_CORE_CSV_H
#define PAYOUT_CORE_CSV_H

#include <stddef.h>

#include "payout/status.h"

struct core_csv {
    char *text;  /* borrowed, mutable; text[len] must be writable (a NUL) */
    size_t len;  /* bytes of text, without the NUL */
    size_t pos;  /* next byte to read */
    size_t line; /* 1-based line of text[pos] */
};

/* Prepares csv to read text[0..len), which the reader rewrites in place;
** text[len] must exist (a NUL). Skips a leading UTF-8 BOM. Checks the
** whole text once: PP_INVALID_PARAMS when it is not valid UTF-8 or holds a
** NUL byte (the message names the line). */
enum pp_status core_csv_init(struct core_csv *csv, char *text, size_t len, struct pp_err *err);

/* Reads the next record: fields[0..*count_out) point into the text, each
** NUL-terminated and unescaped (quotes removed, '""' -> '"'). An empty
** field is "". *line_out = the line the record starts on. At the end of
** the text: PP_OK with *count_out = 0. A syntax error (see above), or more
** than fields_max fields: PP_INVALID_PARAMS; the reader must not be used
** after an error. */
enum pp_status core_csv_next(struct core_csv *csv, char **fields, size_t fields_max,
                             size_t *count_out, size_t *line_out, struct pp_err *err);

#endif /* PAYOUT_CORE_CSV_H */
