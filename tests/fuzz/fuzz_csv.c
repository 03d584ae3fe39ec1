/*
** This module implements the fuzz target of the CSV reader (core/csv.c)
** used by list imports. The input is the CSV text. Properties: the
** reader stops (records <= bytes + 1); every field points into the
** caller's buffer and ends there; line numbers start at 1 and never go
** back; a refusal has a message naming a line; and the records read,
** written back out with every field quoted, read again as exactly the
** same records (the writer's escaping and the reader agree).
*/
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "payout/core/csv.h"
#include "payout/limits.h"

struct records {
    char **fields;  /* every field of every record, in order */
    size_t *counts; /* fields per record */
    size_t nfields;
    size_t nrecords;
};

/* Reads all of text[0..len) (modified in place) into r. Returns the status. */
static enum pp_status read_all(char *text, size_t len, struct records *r)
{
    struct core_csv csv;
    struct pp_err err = {0};
    size_t last_line = 1;
    enum pp_status st = core_csv_init(&csv, text, len, &err);
    for (size_t guard = 0; st == PP_OK && guard <= len + 1; guard++) {
        char *fields[PP_CSV_FIELDS_MAX];
        size_t count = 0;
        size_t line = 0;
        st = core_csv_next(&csv, fields, PP_CSV_FIELDS_MAX, &count, &line, &err);
        if (st != PP_OK || count == 0) {
            break;
        }
        FUZZ_CHECK(count <= PP_CSV_FIELDS_MAX && line >= last_line);
        last_line = line;
        for (size_t i = 0; i < count; i++) {
            FUZZ_CHECK(fields[i] >= text && fields[i] <= text + len);
            FUZZ_CHECK(fields[i] + strlen(fields[i]) <= text + len);
            r->fields[r->nfields++] = fields[i];
        }
        r->counts[r->nrecords++] = count;
    }
    FUZZ_CHECK(r->nrecords <= len + 1);
    if (st != PP_OK) {
        FUZZ_CHECK(st == PP_INVALID_PARAMS && strstr(err.message, "line") != NULL);
    }
    return st;
}

/* Writes r as CSV with every field quoted; returns new memory (free()). */
static char *write_all(const struct records *r, size_t *len_out)
{
    size_t cap = 1;
    for (size_t i = 0; i < r->nfields; i++) {
        cap += 2 * strlen(r->fields[i]) + 3;
    }
    cap += r->nrecords * 2;
    char *out = malloc(cap);
    size_t len = 0;
    size_t f = 0;
    FUZZ_CHECK(out != NULL);
    for (size_t rec = 0; rec < r->nrecords; rec++) {
        for (size_t i = 0; i < r->counts[rec]; i++, f++) {
            out[len++] = i > 0 ? ',' : '"';
            if (i > 0) {
                out[len++] = '"';
            }
            for (const char *p = r->fields[f]; *p != '\0'; p++) {
                if (*p == '"') {
                    out[len++] = '"';
                }
                out[len++] = *p;
            }
            out[len++] = '"';
        }
        out[len++] = (rec % 2) ? '\n' : '\r';
        if (!(rec % 2)) {
            out[len++] = '\n';
        }
    }
    FUZZ_CHECK(len < cap);
    out[len] = '\0';
    *len_out = len;
    return out;
}

static void records_init(struct records *r, size_t len)
{
    memset(r, 0, sizeof *r);
    r->fields = calloc(2 * len + 4, sizeof *r->fields);
    r->counts = calloc(len + 2, sizeof *r->counts);
    FUZZ_CHECK(r->fields != NULL && r->counts != NULL);
}

static void records_free(struct records *r)
{
    free(r->fields);
    free(r->counts);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    struct records first;
    FUZZ_CHECK(text != NULL);
    memcpy(text, data, size);
    text[size] = '\0';
    records_init(&first, size);
    if (read_all(text, size, &first) == PP_OK) {
        size_t len = 0;
        char *again = write_all(&first, &len);
        struct records second;
        records_init(&second, len);
        FUZZ_CHECK(read_all(again, len, &second) == PP_OK);
        FUZZ_CHECK(second.nrecords == first.nrecords && second.nfields == first.nfields);
        for (size_t i = 0; i < first.nrecords; i++) {
            FUZZ_CHECK(first.counts[i] == second.counts[i]);
        }
        for (size_t i = 0; i < first.nfields; i++) {
            FUZZ_CHECK(strcmp(first.fields[i], second.fields[i]) == 0);
        }
        records_free(&second);
        free(again);
    }
    records_free(&first);
    free(text);
    return 0;
}
