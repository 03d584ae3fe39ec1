/*
** This module implements the strict RFC 4180 CSV reader of
** payout/core/csv.h: a UTF-8 check of the whole text, then one record at a
** time, each field unescaped in place. Every loop moves forward through
** the text, so reading is linear and bounded by its length; there is no
** recursion and no allocation. It does not map columns to meanings (the
** list import does).
*/
#include <stdint.h>
#include <string.h>

#include "payout/base/assert.h"
#include "payout/core/csv.h"

/* Length of the valid UTF-8 sequence starting at s[0] (at most n bytes
** available), or 0 when it is not one: overlong forms, surrogates and code
** points past U+10FFFF are refused, as are NUL bytes. */
static size_t utf8_sequence(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t need = 0;
    uint32_t cp = 0;
    uint32_t min = 0;
    if (c == 0) {
        return 0;
    }
    if (c < 0x80) {
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2, cp = c & 0x1Fu, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3, cp = c & 0x0Fu, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4, cp = c & 0x07u, min = 0x10000;
    } else {
        return 0;
    }
    if (need > n) {
        return 0;
    }
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xC0u) != 0x80u) {
            return 0;
        }
        cp = (cp << 6) | (s[i] & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFFu || (cp >= 0xD800u && cp <= 0xDFFFu)) {
        return 0;
    }
    return need;
}

enum pp_status core_csv_init(struct core_csv *csv, char *text, size_t len, struct pp_err *err)
{
    PP_ASSERT(csv != NULL && text != NULL);
    static const char bom[] = "\xEF\xBB\xBF";
    const unsigned char *u = (const unsigned char *)text;
    enum pp_status st = PP_OK;
    size_t line = 1;
    csv->text = text;
    csv->len = len;
    csv->pos = len >= 3 && memcmp(text, bom, 3) == 0 ? 3 : 0;
    csv->line = 1;
    for (size_t i = csv->pos; i < len;) {
        size_t n = utf8_sequence(u + i, len - i);
        if (n == 0) {
            st = pp_err_set(err, PP_INVALID_PARAMS,
                            u[i] == 0 ? "CSV line %zu holds a NUL byte"
                                      : "CSV line %zu is not valid UTF-8",
                            line);
            break;
        }
        line += u[i] == '\n';
        i += n;
    }
    return st;
}

/* Reads a quoted field whose opening quote is at csv->pos, unescaping it
** to start at *w. On return csv->pos is just past the closing quote and *w
** just past the field's last byte. */
static enum pp_status read_quoted(struct core_csv *csv, char **w, struct pp_err *err)
{
    char *t = csv->text;
    size_t opened = csv->line;
    csv->pos++;
    while (csv->pos < csv->len) {
        char c = t[csv->pos];
        if (c == '"') {
            if (csv->pos + 1 < csv->len && t[csv->pos + 1] == '"') {
                *(*w)++ = '"';
                csv->pos += 2;
                continue;
            }
            csv->pos++;
            return PP_OK;
        }
        csv->line += c == '\n';
        *(*w)++ = c;
        csv->pos++;
    }
    return pp_err_set(err, PP_INVALID_PARAMS, "CSV line %zu: a quoted field is not closed", opened);
}

/* Reads an unquoted field up to its delimiter (not consumed). */
static enum pp_status read_plain(struct core_csv *csv, char **w, struct pp_err *err)
{
    char *t = csv->text;
    while (csv->pos < csv->len) {
        char c = t[csv->pos];
        if (c == ',' || c == '\n' || c == '\r') {
            break;
        }
        if (c == '"') {
            return pp_err_set(err, PP_INVALID_PARAMS,
                              "CSV line %zu: a quote inside an unquoted field (quote the whole "
                              "field and double the quote)",
                              csv->line);
        }
        csv->pos++;
    }
    *w = t + csv->pos;
    return PP_OK;
}

/* What ends a field. */
enum delim { DELIM_COMMA, DELIM_RECORD_END, DELIM_BAD };

/* Consumes the delimiter at csv->pos (',' or a line end or the end). */
static enum delim take_delimiter(struct core_csv *csv)
{
    char *t = csv->text;
    if (csv->pos >= csv->len) {
        return DELIM_RECORD_END;
    }
    char c = t[csv->pos];
    if (c == ',') {
        csv->pos++;
        return DELIM_COMMA;
    }
    if (c == '\n' || (c == '\r' && csv->pos + 1 < csv->len && t[csv->pos + 1] == '\n')) {
        csv->pos += c == '\r' ? 2 : 1;
        csv->line++;
        return DELIM_RECORD_END;
    }
    return DELIM_BAD;
}

/* Skips lines with no characters at all; 1 when the text is at its end. */
static int skip_blank_lines(struct core_csv *csv)
{
    const char *t = csv->text;
    while (csv->pos < csv->len) {
        if (t[csv->pos] == '\n') {
            csv->pos++;
        } else if (t[csv->pos] == '\r' && csv->pos + 1 < csv->len && t[csv->pos + 1] == '\n') {
            csv->pos += 2;
        } else {
            break;
        }
        csv->line++;
    }
    return csv->pos >= csv->len;
}

enum pp_status core_csv_next(struct core_csv *csv, char **fields, size_t fields_max,
                             size_t *count_out, size_t *line_out, struct pp_err *err)
{
    enum pp_status st = PP_OK;
    enum delim d = DELIM_COMMA;
    size_t n = 0;
    *count_out = 0;
    *line_out = csv->line;
    if (skip_blank_lines(csv)) {
        goto done;
    }
    *line_out = csv->line;
    while (st == PP_OK && d == DELIM_COMMA) {
        char *start = csv->text + csv->pos;
        char *w = start;
        int quoted = csv->pos < csv->len && *start == '"';
        st = quoted ? read_quoted(csv, &w, err) : read_plain(csv, &w, err);
        if (st != PP_OK) {
            break;
        }
        size_t at = csv->line;
        d = take_delimiter(csv);
        if (d == DELIM_BAD) {
            st = pp_err_set(err, PP_INVALID_PARAMS,
                            csv->text[csv->pos] == '\r'
                                ? "CSV line %zu: a CR that is not followed by LF"
                                : "CSV line %zu: text after a closing quote",
                            at);
            break;
        }
        /* Written only now: for an unquoted field w is where its delimiter
        ** was, and that delimiter has been read. */
        *w = '\0';
        if (n == fields_max) {
            st = pp_err_set(err, PP_INVALID_PARAMS, "CSV line %zu has more than %zu fields",
                            *line_out, fields_max);
            break;
        }
        fields[n++] = start;
    }
    if (st == PP_OK) {
        *count_out = n;
    }
done:
    return st;
}
