/*
** This module implements the unit tests of core/recipients: a table of
** payout requests against two stored recipients, each case naming which
** stored recipient every identifier lookup returned and the expected
** outcome (create, reuse with or without filling in, or refusal), plus the
** properties that must hold in every case: stored fields are never
** overwritten, and nothing is written out on a refusal.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "payout/core/recipients.h"

/* The text fields of a recipient, for building them from a table row. */
struct text {
    const char *user_name, *phone_number, *reference_id, *first_name, *last_name, *email;
};

static void set_text(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src != NULL ? src : "");
}

static struct pp_recipient make(int64_t id, struct text t)
{
    struct pp_recipient r;
    memset(&r, 0, sizeof r);
    r.id = id;
    set_text(r.user_name, sizeof r.user_name, t.user_name);
    set_text(r.phone_number, sizeof r.phone_number, t.phone_number);
    set_text(r.reference_id, sizeof r.reference_id, t.reference_id);
    set_text(r.first_name, sizeof r.first_name, t.first_name);
    set_text(r.last_name, sizeof r.last_name, t.last_name);
    set_text(r.email, sizeof r.email, t.email);
    return r;
}

/* Stored recipients the cases point at: A (id 7) and B (id 9); A2 is a
** second copy of A, as a store that loads each match separately returns. */
#define A 1
#define A2 2
#define B 3
#define NONE 0

static const struct text stored_a = {"alice", "+441111", "", "Alice", "", ""};
static const struct text stored_b = {"bob", "", "R-9", "", "Builder", "bob@example.com"};

#define CREATE 0 /* expect *out == given, id 0 */

static const struct {
    const char *name;
    struct text given;
    int found[PP_IDENT_COUNT]; /* NONE, A, A2 or B per identifier */
    enum pp_status status;
    int64_t out_id;      /* when OK: 0 = create, else the reused id */
    struct text out;     /* when OK */
    int changed;         /* when OK */
    const char *message; /* when refused: part of the message */
} cases[] = {
    {"no identifier at all",
     {NULL, NULL, NULL, "Ann", "Lee", "a@x"},
     {NONE, NONE, NONE},
     PP_INVALID_PARAMS,
     0,
     {0},
     0,
     "one of userName, phoneNumber or referenceId is required"},
    {"only personal fields empty too",
     {NULL, NULL, NULL, NULL, NULL, NULL},
     {NONE, NONE, NONE},
     PP_INVALID_PARAMS,
     0,
     {0},
     0,
     "is required"},
    {"none found: create",
     {"carol", "+442", NULL, "Carol", NULL, NULL},
     {NONE, NONE, NONE},
     PP_OK,
     CREATE,
     {"carol", "+442", "", "Carol", "", ""},
     1,
     NULL},
    {"none found, reference only: create",
     {NULL, NULL, "R-1", NULL, NULL, NULL},
     {NONE, NONE, NONE},
     PP_OK,
     CREATE,
     {"", "", "R-1", "", "", ""},
     1,
     NULL},
    {"found by userName, nothing new",
     {"alice", NULL, NULL, NULL, NULL, NULL},
     {A, NONE, NONE},
     PP_OK,
     7,
     {"alice", "+441111", "", "Alice", "", ""},
     0,
     NULL},
    {"found by userName, same phone given",
     {"alice", "+441111", NULL, "Alice", NULL, NULL},
     {A, A, NONE},
     PP_OK,
     7,
     {"alice", "+441111", "", "Alice", "", ""},
     0,
     NULL},
    {"found via two identifiers (two copies)",
     {"alice", "+441111", NULL, NULL, NULL, NULL},
     {A, A2, NONE},
     PP_OK,
     7,
     {"alice", "+441111", "", "Alice", "", ""},
     0,
     NULL},
    {"found via two identifiers, fills reference",
     {"alice", "+441111", "R-7", NULL, NULL, NULL},
     {A, A2, NONE},
     PP_OK,
     7,
     {"alice", "+441111", "R-7", "Alice", "", ""},
     1,
     NULL},
    {"found by phone, fills lastName",
     {NULL, "+441111", NULL, NULL, "Smith", NULL},
     {NONE, A, NONE},
     PP_OK,
     7,
     {"alice", "+441111", "", "Alice", "Smith", ""},
     1,
     NULL},
    {"found by userName, fills lastName and email",
     {"alice", NULL, NULL, NULL, "Smith", "alice@example.com"},
     {A, NONE, NONE},
     PP_OK,
     7,
     {"alice", "+441111", "", "Alice", "Smith", "alice@example.com"},
     1,
     NULL},
    {"firstName never overwritten",
     {"alice", NULL, NULL, "Alicia", NULL, NULL},
     {A, NONE, NONE},
     PP_OK,
     7,
     {"alice", "+441111", "", "Alice", "", ""},
     0,
     NULL},
    {"lastName and email never overwritten",
     {NULL, NULL, "R-9", "Robert", "Marley", "other@example.com"},
     {NONE, NONE, B},
     PP_OK,
     9,
     {"bob", "", "R-9", "Robert", "Builder", "bob@example.com"},
     1,
     NULL},
    {"found by reference, fills phone",
     {NULL, "+449", "R-9", NULL, NULL, NULL},
     {NONE, NONE, B},
     PP_OK,
     9,
     {"bob", "+449", "R-9", "", "Builder", "bob@example.com"},
     1,
     NULL},
    {"userName and reference point at one recipient",
     {"bob", "+449", "R-9", NULL, NULL, NULL},
     {B, NONE, B},
     PP_OK,
     9,
     {"bob", "+449", "R-9", "", "Builder", "bob@example.com"},
     1,
     NULL},
    {"userName and phone are two recipients",
     {"alice", "+441111", NULL, NULL, NULL, NULL},
     {B, A, NONE},
     PP_INVALID_PARAMS,
     0,
     {0},
     0,
     "userName and phoneNumber belong to different recipients"},
    {"userName and reference are two recipients",
     {"alice", NULL, "R-9", NULL, NULL, NULL},
     {A, NONE, B},
     PP_INVALID_PARAMS,
     0,
     {0},
     0,
     "userName and referenceId belong to different recipients"},
    {"phone and reference are two recipients",
     {NULL, "+441111", "R-9", NULL, NULL, NULL},
     {NONE, A, B},
     PP_INVALID_PARAMS,
     0,
     {0},
     0,
     "phoneNumber and referenceId belong to different recipients"},
    {"conflicting phone",
     {"alice", "+440000", NULL, NULL, NULL, NULL},
     {A, NONE, NONE},
     PP_INVALID_PARAMS,
     0,
     {0},
     0,
     "phoneNumber does not match"},
    {"conflicting userName",
     {"alicia", "+441111", NULL, NULL, NULL, NULL},
     {NONE, A, NONE},
     PP_INVALID_PARAMS,
     0,
     {0},
     0,
     "userName does not match"},
    {"conflicting reference",
     {"bob", NULL, "R-10", NULL, NULL, NULL},
     {B, NONE, NONE},
     PP_INVALID_PARAMS,
     0,
     {0},
     0,
     "referenceId does not match"},
    {"conflict wins over filling",
     {"bob", "+449", "R-10", "Bob", NULL, NULL},
     {B, NONE, NONE},
     PP_INVALID_PARAMS,
     0,
     {0},
     0,
     "referenceId does not match"},
    {"identifiers compare exactly (case)",
     {"ALICE", NULL, NULL, NULL, NULL, NULL},
     {NONE, NONE, NONE},
     PP_OK,
     CREATE,
     {"ALICE", "", "", "", "", ""},
     1,
     NULL},
};

static const struct pp_recipient *pick(int which, const struct pp_recipient *a,
                                       const struct pp_recipient *a2, const struct pp_recipient *b)
{
    switch (which) {
    case A:
        return a;
    case A2:
        return a2;
    case B:
        return b;
    default:
        return NULL;
    }
}

static void check_text(size_t i, const char *what, const char *got, const char *want)
{
    if (strcmp(got, want != NULL ? want : "") != 0) {
        fail_msg("case %zu (%s): %s is \"%s\", want \"%s\"", i, cases[i].name, what, got,
                 want != NULL ? want : "");
    }
}

static void check_out(size_t i, const struct pp_recipient *out)
{
    const struct text *t = &cases[i].out;
    check_text(i, "userName", out->user_name, t->user_name);
    check_text(i, "phoneNumber", out->phone_number, t->phone_number);
    check_text(i, "referenceId", out->reference_id, t->reference_id);
    check_text(i, "firstName", out->first_name, t->first_name);
    check_text(i, "lastName", out->last_name, t->last_name);
    check_text(i, "email", out->email, t->email);
}

/* Every non-empty field of the stored recipient is kept as it was. */
static void check_not_overwritten(size_t i, const struct pp_recipient *stored,
                                  const struct pp_recipient *out)
{
    const char *const s[] = {stored->user_name,  stored->phone_number, stored->reference_id,
                             stored->first_name, stored->last_name,    stored->email};
    const char *const o[] = {out->user_name,  out->phone_number, out->reference_id,
                             out->first_name, out->last_name,    out->email};
    for (size_t f = 0; f < sizeof s / sizeof s[0]; f++) {
        if (s[f][0] != '\0' && strcmp(s[f], o[f]) != 0) {
            fail_msg("case %zu (%s): field %zu overwritten", i, cases[i].name, f);
        }
    }
}

static void test_resolve_table(void **state)
{
    const struct pp_recipient a = make(7, stored_a);
    const struct pp_recipient a2 = make(7, stored_a);
    const struct pp_recipient b = make(9, stored_b);
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct pp_recipient given = make(0, cases[i].given);
        struct core_recipient_found found;
        struct pp_recipient out;
        struct pp_recipient sentinel;
        struct pp_err err;
        int changed = -1;
        for (size_t k = 0; k < PP_IDENT_COUNT; k++) {
            found.found[k] = pick(cases[i].found[k], &a, &a2, &b);
        }
        memset(&out, 0x5a, sizeof out);
        sentinel = out;
        pp_err_clear(&err);
        enum pp_status st = core_recipient_resolve(&given, &found, &out, &changed, &err);
        if (st != cases[i].status) {
            fail_msg("case %zu (%s): status %d, want %d (%s)", i, cases[i].name, st,
                     cases[i].status, err.message);
        }
        if (st != PP_OK) {
            assert_int_equal(err.status, st);
            if (strstr(err.message, cases[i].message) == NULL) {
                fail_msg("case %zu (%s): message \"%s\" lacks \"%s\"", i, cases[i].name,
                         err.message, cases[i].message);
            }
            assert_int_equal(changed, -1);
            assert_memory_equal(&out, &sentinel, sizeof out);
            continue;
        }
        assert_int_equal(err.status, PP_OK);
        assert_int_equal(out.id, cases[i].out_id);
        if (changed != cases[i].changed) {
            fail_msg("case %zu (%s): changed %d, want %d", i, cases[i].name, changed,
                     cases[i].changed);
        }
        check_out(i, &out);
        if (out.id == 7) {
            check_not_overwritten(i, &a, &out);
        } else if (out.id == 9) {
            check_not_overwritten(i, &b, &out);
        }
    }
}

/* The stored recipients the lookups returned are borrowed, never written. */
static void test_resolve_leaves_inputs(void **state)
{
    const struct pp_recipient given =
        make(0, (struct text){"alice", NULL, "R-7", "Al", "Smith", "alice@example.com"});
    const struct pp_recipient given_copy = given;
    struct pp_recipient stored = make(7, stored_a);
    const struct pp_recipient stored_copy = stored;
    struct core_recipient_found found = {{&stored, NULL, NULL}};
    struct pp_recipient out;
    int changed = 0;
    (void)state;
    assert_int_equal(core_recipient_resolve(&given, &found, &out, &changed, NULL), PP_OK);
    assert_int_equal(changed, 1);
    assert_memory_equal(&stored, &stored_copy, sizeof stored);
    assert_memory_equal(&given, &given_copy, sizeof given);
    assert_string_equal(out.reference_id, "R-7");
    assert_string_equal(out.first_name, "Alice");
    assert_string_equal(out.last_name, "Smith");
    assert_string_equal(out.email, "alice@example.com");
    /* Resolving the updated recipient again changes nothing. */
    found.found[PP_IDENT_USER_NAME] = &out;
    found.found[PP_IDENT_REFERENCE_ID] = &out;
    struct pp_recipient again;
    assert_int_equal(core_recipient_resolve(&given, &found, &again, &changed, NULL), PP_OK);
    assert_int_equal(changed, 0);
    assert_memory_equal(&again, &out, sizeof out);
}

/* Longest values fit and are copied whole. */
static void test_resolve_longest_fields(void **state)
{
    struct pp_recipient given;
    struct pp_recipient stored;
    struct pp_recipient out;
    struct core_recipient_found found = {{NULL, NULL, NULL}};
    int changed = 0;
    (void)state;
    memset(&given, 0, sizeof given);
    memset(&stored, 0, sizeof stored);
    stored.id = 3;
    memset(stored.user_name, 'u', PP_IDENT_BYTES_MAX);
    memset(given.user_name, 'u', PP_IDENT_BYTES_MAX);
    memset(given.phone_number, '9', PP_IDENT_BYTES_MAX);
    memset(given.email, 'e', PP_EMAIL_BYTES_MAX);
    found.found[PP_IDENT_USER_NAME] = &stored;
    assert_int_equal(core_recipient_resolve(&given, &found, &out, &changed, NULL), PP_OK);
    assert_int_equal(changed, 1);
    assert_int_equal(out.id, 3);
    assert_int_equal(strlen(out.phone_number), PP_IDENT_BYTES_MAX);
    assert_int_equal(strlen(out.email), PP_EMAIL_BYTES_MAX);
}

static void test_resolve_first_error_wins(void **state)
{
    const struct pp_recipient given = make(0, (struct text){NULL, NULL, NULL, NULL, NULL, NULL});
    struct core_recipient_found found = {{NULL, NULL, NULL}};
    struct pp_recipient out;
    struct pp_err err;
    int changed = 0;
    (void)state;
    pp_err_clear(&err);
    pp_err_set(&err, PP_INVALID_PARAMS, "amount is too large");
    assert_int_equal(core_recipient_resolve(&given, &found, &out, &changed, &err),
                     PP_INVALID_PARAMS);
    assert_string_equal(err.message, "amount is too large");
    /* NULL err: only the status. */
    assert_int_equal(core_recipient_resolve(&given, &found, &out, &changed, NULL),
                     PP_INVALID_PARAMS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resolve_table),
        cmocka_unit_test(test_resolve_leaves_inputs),
        cmocka_unit_test(test_resolve_longest_fields),
        cmocka_unit_test(test_resolve_first_error_wins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
