/*
** This module implements the unit tests of core/query, the one
** query-parameter engine: a table of parameters of every type reads a
** query into a struct (each value where its entry says, flags marked),
** every type's refusals and their messages, the structural refusals in a
** spec's own wording (unknown, repeated, empty), a repeatable parameter,
** values read as given against values read in the table's order with a
** required parameter, and core_query_given.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "payout/core/query.h"
#include "payout/limits.h"
#include "payout/model.h"

struct target {
    unsigned used;
    int64_t n;
    int64_t count;
    int flag;
    char text[9];
    const char *ref;
    const char *raw;
    char currency[4];
    int64_t from_ms;
    int64_t to_ms;
    int status;
    unsigned statuses;
    size_t ids_count;
    int64_t ids[PP_READ_IDS_MAX];
    int choice;
    int64_t again;
};

#define AT(f) offsetof(struct target, f)
#define P(name, type, max, field, bit)                                                             \
    {                                                                                              \
        name, type, max, AT(field), AT(used), bit, 0, NULL, NULL, NULL, CORE_QUERY_ONCE            \
    }

static const char *const colours[] = {"red", "green", "blue", NULL};

static const struct core_query_param params[] = {
    P("n", CORE_QUERY_POSITIVE, 50, n, 1u << 0),
    P("count", CORE_QUERY_INT, 1000, count, 1u << 1),
    P("flag", CORE_QUERY_BOOL, 0, flag, 1u << 2),
    P("text", CORE_QUERY_TEXT, 8, text, 1u << 3),
    P("ref", CORE_QUERY_TEXT_REF, 4, ref, 1u << 4),
    P("raw", CORE_QUERY_RAW, 0, raw, 1u << 5),
    P("currency", CORE_QUERY_CURRENCY, 0, currency, 1u << 6),
    P("from", CORE_QUERY_DATE, 0, from_ms, 1u << 7),
    P("to", CORE_QUERY_DATE_END, 0, to_ms, 1u << 8),
    P("status", CORE_QUERY_STATUS, 0, status, 1u << 9),
    P("statuses", CORE_QUERY_STATUSES, 0, statuses, 1u << 10),
    {"ids", CORE_QUERY_IDS, 0, AT(ids), AT(used), 1u << 11, AT(ids_count), NULL, NULL, NULL,
     CORE_QUERY_ONCE},
    {"colour", CORE_QUERY_CHOICE, 0, AT(choice), CORE_QUERY_NO_FLAG, 0, 0, colours,
     "colour must be red, green or blue", NULL, CORE_QUERY_ONCE},
    {"again", CORE_QUERY_POSITIVE, 0, AT(again), CORE_QUERY_NO_FLAG, 0, 0, NULL, NULL, NULL,
     CORE_QUERY_REPEATABLE},
};

static const struct core_query_spec as_given = {
    params,
    sizeof params / sizeof params[0],
    CORE_QUERY_UNKNOWN,
    CORE_QUERY_REPEATED,
    CORE_QUERY_EMPTY,
    CORE_QUERY_AS_GIVEN,
};

/* Reads "k=v&k" (a key without '=' has a NULL value) into t with spec. */
static enum pp_status read_qs(const struct core_query_spec *spec, const char *qs, struct target *t,
                              struct pp_err *err)
{
    static char buf[4096];
    struct core_query q;
    char *save = NULL;
    enum pp_status st = PP_OK;
    memset(t, 0, sizeof *t);
    pp_err_clear(err);
    core_query_init(&q, spec, t);
    snprintf(buf, sizeof buf, "%s", qs);
    for (char *pair = strtok_r(buf, "&", &save); pair != NULL && st == PP_OK;
         pair = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(pair, '=');
        if (eq != NULL) {
            *eq = '\0';
        }
        st = core_query_take(&q, pair, eq != NULL ? eq + 1 : NULL, err);
    }
    return st == PP_OK ? core_query_end(&q, err) : st;
}

static void refused(const struct core_query_spec *spec, const char *qs, const char *message)
{
    struct target t;
    struct pp_err err;
    /* A message ending in "..." is a prefix (date messages go on with the reason). */
    size_t len = strlen(message);
    size_t cmp = len > 3 && strcmp(message + len - 3, "...") == 0 ? len - 3 : len + 1;
    if (read_qs(spec, qs, &t, &err) != PP_INVALID_PARAMS ||
        strncmp(err.message, message, cmp) != 0) {
        fail_msg("%s: got status %d \"%s\", expected \"%s\"", qs, (int)err.status, err.message,
                 message);
    }
}

static void test_values(void **state)
{
    (void)state;
    struct target t;
    struct pp_err err;
    assert_int_equal(read_qs(&as_given,
                             "n=50&count=007&flag=true&text=abcdefgh&ref=abcd&raw=%20x"
                             "&currency=JPY&from=2026-03-01&to=2026-03-01&status=READY"
                             "&statuses=ready,Cancelled&ids=5,3,5,1&colour=blue",
                             &t, &err),
                     PP_OK);
    assert_int_equal(t.n, 50);
    assert_int_equal(t.count, 7);
    assert_int_equal(t.flag, 1);
    assert_string_equal(t.text, "abcdefgh");
    assert_string_equal(t.ref, "abcd");
    assert_string_equal(t.raw, "%20x");
    assert_string_equal(t.currency, "JPY");
    /* A bare day as the end of a period covers the whole day. */
    assert_int_equal(t.to_ms - t.from_ms, 24LL * 3600 * 1000 - 1);
    assert_int_equal(t.status, PP_PAYOUT_READY);
    assert_int_equal(t.statuses, (1u << PP_PAYOUT_READY) | (1u << PP_PAYOUT_CANCELLED));
    assert_int_equal(t.ids_count, 3);
    assert_int_equal(t.ids[0], 1);
    assert_int_equal(t.ids[1], 3);
    assert_int_equal(t.ids[2], 5);
    assert_int_equal(t.choice, 2);
    assert_int_equal(t.used, (1u << 12) - 1u);
    /* Nothing given: nothing written, no flag. */
    assert_int_equal(read_qs(&as_given, "", &t, &err), PP_OK);
    assert_int_equal(t.used, 0);
    assert_int_equal(read_qs(&as_given, "flag=false&to=2026-03-01T10:00:00Z", &t, &err), PP_OK);
    assert_int_equal(t.flag, 0);
    assert_int_equal(t.to_ms % 1000, 0);
}

static void test_type_refusals(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"n=0", "n must be a positive integer"},
        {"n=05", "n must be a positive integer"},
        {"n=-1", "n must be a positive integer"},
        {"n=1234567890123456789", "n must be a positive integer"},
        {"n=51", "n must be between 1 and 50"},
        {"count=0", "count must be an integer from 1 to 1000"},
        {"count=1001", "count must be an integer from 1 to 1000"},
        {"count=1x", "count must be an integer from 1 to 1000"},
        {"count=99999999999999999999", "count must be an integer from 1 to 1000"},
        {"flag=yes", "flag must be true or false"},
        {"text=abcdefghi", "text is longer than 8 bytes"},
        {"ref=abcde", "ref must be 1 to 4 characters"},
        {"currency=XXX", "currency 'XXX' is not a supported ISO 4217 currency code"},
        {"status=ready", "status must be UNAUTHORIZED, READY, RECEIVED, CANCELLED or EXPIRED"},
        {"statuses=READY,,CANCELLED",
         "statuses must be a comma-separated list of UNAUTHORIZED, READY, RECEIVED, CANCELLED, "
         "EXPIRED"},
        {"ids=1,x", "ids must be a comma-separated list of positive integers"},
        {"colour=Red", "colour must be red, green or blue"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        refused(&as_given, cases[i][0], cases[i][1]);
    }
    char many[1024] = "ids=1";
    for (int i = 2; i <= PP_READ_IDS_MAX + 1; i++) {
        snprintf(many + strlen(many), sizeof many - strlen(many), ",%d", i);
    }
    char message[64];
    snprintf(message, sizeof message, "ids has more than %d ids", PP_READ_IDS_MAX);
    refused(&as_given, many, message);
}

static void test_structure(void **state)
{
    (void)state;
    struct target t;
    struct pp_err err;
    refused(&as_given, "n=1&nope=2", "unknown query parameter 'nope'");
    refused(&as_given, "n=1&n=2", "query parameter n is given more than once");
    refused(&as_given, "n", "query parameter n needs a value");
    refused(&as_given, "flag=", "query parameter flag needs a value");
    /* A repeatable parameter takes each value; the last stays. */
    assert_int_equal(read_qs(&as_given, "again=3&again=4", &t, &err), PP_OK);
    assert_int_equal(t.again, 4);
    /* Another wording, and no empty check: the type judges "". */
    static const struct core_query_spec other = {
        params,
        sizeof params / sizeof params[0],
        "no such parameter %s",
        "%s twice",
        NULL,
        CORE_QUERY_AS_GIVEN,
    };
    refused(&other, "nope", "no such parameter nope");
    refused(&other, "flag=true&flag=true", "flag twice");
    refused(&other, "flag", "flag must be true or false");
    refused(&other, "ref=", "ref must be 1 to 4 characters");
}

static const struct core_query_param ordered[] = {
    {"groupBy", CORE_QUERY_CHOICE, 0, AT(choice), CORE_QUERY_NO_FLAG, 0, 0, colours,
     "groupBy must be red, green or blue", "groupBy is required", CORE_QUERY_ONCE},
    P("to", CORE_QUERY_DATE, 0, to_ms, 1u),
    P("from", CORE_QUERY_DATE, 0, from_ms, 2u),
};

static void test_order(void **state)
{
    (void)state;
    struct target t;
    struct pp_err err;
    static const struct core_query_spec declared = {
        ordered,
        3,
        "unknown '%s'",
        "%s is given twice",
        "%s must not be empty",
        CORE_QUERY_DECLARED,
    };
    static const struct core_query_spec given = {
        ordered,
        3,
        "unknown '%s'",
        "%s is given twice",
        "%s must not be empty",
        CORE_QUERY_AS_GIVEN,
    };
    /* Declared order: every key is checked before any value ... */
    refused(&declared, "from=bad&nope=1", "unknown 'nope'");
    refused(&declared, "from=bad&from=", "from is given twice");
    /* ... then the required one, then the values in the table's order. */
    refused(&declared, "from=bad&to=bad", "groupBy is required");
    refused(&declared, "from=x&to=y&groupBy=red", "to is not a valid date: ...");
    refused(&declared, "from=x&to=y&groupBy=pink", "groupBy must be red, green or blue");
    /* As given: the first bad value in the request wins. */
    refused(&given, "from=x&to=y&groupBy=pink", "from is not a valid date: ...");
    refused(&given, "groupBy=pink&from=x", "groupBy must be red, green or blue");
    refused(&given, "from=2026-01-01", "groupBy is required");
    assert_int_equal(read_qs(&declared, "to=2026-01-02&groupBy=green&from=2026-01-01", &t, &err),
                     PP_OK);
    assert_int_equal(t.choice, 1);
    assert_int_equal(t.to_ms - t.from_ms, 24LL * 3600 * 1000);
    assert_int_equal(t.used, 3u);
}

static void test_given(void **state)
{
    (void)state;
    struct target t;
    struct pp_err err;
    struct core_query q;
    core_query_init(&q, &as_given, &t);
    memset(&t, 0, sizeof t);
    assert_int_equal(core_query_take(&q, "flag", "true", &err), PP_OK);
    assert_int_equal(core_query_given(&q, "flag"), 1);
    assert_int_equal(core_query_given(&q, "n"), 0);
    assert_int_equal(core_query_given(&q, "nope"), 0);
    assert_int_equal(core_query_end(&q, &err), PP_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values),    cmocka_unit_test(test_type_refusals),
        cmocka_unit_test(test_structure), cmocka_unit_test(test_order),
        cmocka_unit_test(test_given),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
