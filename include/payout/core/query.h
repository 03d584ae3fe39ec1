/*
** This header declares the one query-parameter engine of the server: every
** list, report and audit query is a table of the parameters it accepts
** (struct core_query_param: name, type, range, where the value goes,
** repeatable or not), and this engine reads a request's (key, value) pairs
** against that table: an unknown or repeated key, a missing or malformed
** value is PP_INVALID_PARAMS with a message naming the parameter.
**
** Routes that word the structural refusals differently (unknown, repeated,
** empty) say so in their struct core_query_spec, so every answer stays as
** clients know it. Checks across parameters (ranges, amounts that need a
** currency, page against cursor) belong to the query's owner
** (core/list_query.c, core/reports.c, core/audit.c).
**
** No HTTP here: parameters arrive as text, NULL for a key without '='.
*/
#ifndef PAYOUT_CORE_QUERY_H
#define PAYOUT_CORE_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "payout/status.h"

/* Most parameters one query declares (bits of a uint64_t seen mask, and
** the slots of values read after every key, struct core_query). */
#define CORE_QUERY_PARAMS_MAX 32

/* The types of values and what each writes at the parameter's offset. */
enum core_query_type {
    /* int64_t: 1 to 18 digits, no sign, no leading zero, at most max
    ** ("%s must be a positive integer", "%s must be between 1 and max"). */
    CORE_QUERY_POSITIVE,
    /* int64_t: decimal digits (leading zeros allowed) from 1 to max
    ** ("%s must be an integer from 1 to max"). */
    CORE_QUERY_INT,
    CORE_QUERY_BOOL,     /* int: "true" 1, "false" 0 */
    CORE_QUERY_TEXT,     /* char[max + 1]: a copy of at most max bytes */
    CORE_QUERY_TEXT_REF, /* const char *: borrowed, 1 to max bytes */
    CORE_QUERY_RAW,      /* const char *: borrowed, read by the query's owner */
    CORE_QUERY_CURRENCY, /* char[4]: a supported ISO 4217 code */
    CORE_QUERY_DATE,     /* int64_t ms: any date core_date_parse accepts */
    CORE_QUERY_DATE_END, /* the same, but a bare day means its last millisecond */
    CORE_QUERY_STATUS,   /* int: one payout status name, exactly */
    CORE_QUERY_STATUSES, /* unsigned: mask of a comma list of names, any case */
    CORE_QUERY_IDS,      /* int64_t[PP_READ_IDS_MAX] sorted and distinct; size_t count */
    CORE_QUERY_CHOICE,   /* int: the index of the value in choices */
};

/* No flag word to mark (struct core_query_param.flag_offset). */
#define CORE_QUERY_NO_FLAG ((size_t)-1)

/* param.repeat: may the key come more than once (each value is read in
** turn; the last one stays)? */
enum core_query_repeat { CORE_QUERY_ONCE = 0, CORE_QUERY_REPEATABLE };

struct core_query_param {
    const char *name;
    enum core_query_type type;
    int64_t max;                /* POSITIVE, INT: largest value (0: no limit); TEXT*: bytes */
    size_t offset;              /* where the value goes in the target */
    size_t flag_offset;         /* an unsigned flag word in the target, or CORE_QUERY_NO_FLAG */
    unsigned flag;              /* bits or-ed into it once the value is read */
    size_t count_offset;        /* IDS: where the size_t count goes */
    const char *const *choices; /* CHOICE: the accepted values, NULL-ended */
    const char *bad;            /* the whole message for a bad value; NULL: the type's own */
    const char *required;       /* the message when it is missing; NULL: optional */
    enum core_query_repeat repeat;
};

/* When the values are read. */
enum core_query_order {
    CORE_QUERY_AS_GIVEN, /* each value as its key arrives, in the request's order */
    CORE_QUERY_DECLARED, /* every key first, then the values in the table's order */
};

struct core_query_spec {
    const struct core_query_param *params;
    size_t count; /* <= CORE_QUERY_PARAMS_MAX */
    /* printf formats: `unknown` takes the key, the others the name. `empty`
    ** NULL: an empty or missing value goes to its type, which refuses it. */
    const char *unknown;
    const char *repeated;
    const char *empty;
    enum core_query_order order;
};

/* The wording of the list endpoints, which the audit log and the single
** records share where they can. */
#define CORE_QUERY_UNKNOWN "unknown query parameter '%.64s'"
#define CORE_QUERY_REPEATED "query parameter %s is given more than once"
#define CORE_QUERY_EMPTY "query parameter %s needs a value"

/* One query being read into target. */
struct core_query {
    const struct core_query_spec *spec;
    void *target;
    uint64_t seen;                               /* bit i: params[i] was given */
    const char *deferred[CORE_QUERY_PARAMS_MAX]; /* CORE_QUERY_DECLARED: the texts */
};

/* Starts reading a query of spec into target (borrowed; the values are
** written into it at the declared offsets). */
void core_query_init(struct core_query *q, const struct core_query_spec *spec, void *target);

/* Takes one parameter (value NULL: no '='). value is borrowed for as long
** as a RAW or TEXT_REF parameter is used. PP_INVALID_PARAMS for an unknown
** key, a repeat of a CORE_QUERY_ONCE key, an empty value (when spec->empty
** is set) or, when values are read as given, a bad value. */
enum pp_status core_query_take(struct core_query *q, const char *key, const char *value,
                               struct pp_err *err);

/* Ends the reading: with CORE_QUERY_DECLARED reads the values now, in the
** table's order; then a missing required parameter is refused. */
enum pp_status core_query_end(struct core_query *q, struct pp_err *err);

/* The id syntax of lists and paths: 1 to 18 digits, no sign, no leading
** zero (so below INT64_MAX). 1 and *out set when text is one, else 0. */
int core_query_id_parse(const char *text, int64_t *out);

/* 1 when the parameter called name was given. */
int core_query_given(const struct core_query *q, const char *name);

#endif /* PAYOUT_CORE_QUERY_H */
