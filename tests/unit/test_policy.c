/*
** This module implements the unit tests of the authorization policy's pure
** rules (core/lifecycle.c): mode names, which payouts need authorization
** under off / always / above (strictly above the threshold of their own
** currency; none without one), thresholds kept sorted and unique with
** their limits, and the settings text: round trips (also of a policy with
** every supported currency) and a table of damaged texts that are refused.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "payout/core/auth_policy.h"
#include "payout/core/money.h"
#include "payout/limits.h"

static const struct core_currency *currency(const char *code)
{
    const struct core_currency *cur = core_currency_find(code, strlen(code));
    if (cur == NULL) {
        fail_msg("currency %s missing", code);
    }
    return cur;
}

static void add_ok(struct core_auth_policy *p, const char *code, int64_t minor)
{
    struct pp_err err = {0};
    if (core_auth_policy_add(p, currency(code), minor, &err) != PP_OK) {
        fail_msg("adding %s=%lld: %s", code, (long long)minor, err.message);
    }
}

static void test_mode_names(void **state)
{
    (void)state;
    enum core_auth_mode m;
    static const char *const names[] = {"off", "always", "above"};
    for (int i = 0; i < 3; i++) {
        assert_true(core_auth_mode_parse(names[i], strlen(names[i]), &m));
        assert_int_equal(m, i);
        assert_string_equal(core_auth_mode_name(m), names[i]);
    }
    static const char *const bad[] = {"", "Off", "ALWAYS", "abov", "above ", "never", "on"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (core_auth_mode_parse(bad[i], strlen(bad[i]), &m)) {
            fail_msg("mode '%s' was accepted", bad[i]);
        }
    }
    assert_string_equal(core_auth_mode_name((enum core_auth_mode)7), "unknown");
}

static void test_needs_off_and_always(void **state)
{
    (void)state;
    struct core_auth_policy p;
    core_auth_policy_init(&p);
    assert_int_equal(p.mode, CORE_AUTH_OFF);
    add_ok(&p, "GBP", 100);
    assert_false(core_auth_policy_needs(&p, "GBP", 1));
    assert_false(core_auth_policy_needs(&p, "GBP", PP_AMOUNT_MINOR_MAX));
    p.mode = CORE_AUTH_ALWAYS;
    assert_true(core_auth_policy_needs(&p, "GBP", 1));
    assert_true(core_auth_policy_needs(&p, "JPY", 1));
    assert_true(core_auth_policy_needs(&p, "USD", PP_AMOUNT_MINOR_MAX));
}

static void test_needs_above(void **state)
{
    (void)state;
    struct core_auth_policy p;
    core_auth_policy_init(&p);
    p.mode = CORE_AUTH_ABOVE;
    /* No thresholds: nothing needs authorization. */
    assert_false(core_auth_policy_needs(&p, "GBP", PP_AMOUNT_MINOR_MAX));
    add_ok(&p, "GBP", 10000); /* 100.00 GBP */
    add_ok(&p, "JPY", 500);
    add_ok(&p, "BHD", 0);
    /* Strictly above: the threshold itself passes. */
    assert_false(core_auth_policy_needs(&p, "GBP", 9999));
    assert_false(core_auth_policy_needs(&p, "GBP", 10000));
    assert_true(core_auth_policy_needs(&p, "GBP", 10001));
    assert_false(core_auth_policy_needs(&p, "JPY", 500));
    assert_true(core_auth_policy_needs(&p, "JPY", 501));
    /* A zero threshold: every payout of that currency. */
    assert_true(core_auth_policy_needs(&p, "BHD", 1));
    /* Currencies without a threshold never need it. */
    assert_false(core_auth_policy_needs(&p, "USD", PP_AMOUNT_MINOR_MAX));
    assert_false(core_auth_policy_needs(&p, "EUR", 10001));
}

static void test_thresholds_sorted_unique(void **state)
{
    (void)state;
    struct core_auth_policy p;
    struct pp_err err = {0};
    core_auth_policy_init(&p);
    static const char *const order[] = {"USD", "AED", "JPY", "GBP", "ZWG", "BHD"};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        add_ok(&p, order[i], (int64_t)i + 1);
    }
    assert_int_equal(p.count, 6);
    for (size_t i = 1; i < p.count; i++) {
        assert_true(strcmp(p.thresholds[i - 1].currency, p.thresholds[i].currency) < 0);
    }
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        const struct core_auth_threshold *t = core_auth_policy_find(&p, order[i]);
        assert_non_null(t);
        assert_string_equal(t->currency, order[i]);
        assert_int_equal(t->minor, (int64_t)i + 1);
    }
    assert_null(core_auth_policy_find(&p, "EUR"));
    assert_null(core_auth_policy_find(&p, "AAA"));
    assert_null(core_auth_policy_find(&p, "ZZZ"));

    assert_int_equal(core_auth_policy_add(&p, currency("GBP"), 7, &err), PP_INVALID_PARAMS);
    assert_non_null(strstr(err.message, "GBP"));
    pp_err_clear(&err);
    assert_int_equal(core_auth_policy_add(&p, currency("EUR"), -1, &err), PP_INVALID_PARAMS);
    pp_err_clear(&err);
    assert_int_equal(core_auth_policy_add(&p, currency("EUR"), PP_AMOUNT_MINOR_MAX + 1, &err),
                     PP_INVALID_PARAMS);
    pp_err_clear(&err);
    assert_int_equal(p.count, 6);
    add_ok(&p, "EUR", PP_AMOUNT_MINOR_MAX);
    assert_int_equal(p.count, 7);
}

static void test_thresholds_limit(void **state)
{
    (void)state;
    static struct core_auth_policy p;
    static struct core_currency fake[PP_AUTH_THRESHOLDS_MAX + 1];
    struct pp_err err = {0};
    core_auth_policy_init(&p);
    /* More codes than ISO has: made-up ones, added in reverse order. */
    for (int i = PP_AUTH_THRESHOLDS_MAX; i >= 0; i--) {
        snprintf(fake[i].code, sizeof fake[i].code, "%c%c%c", 'A' + i / 26 % 26, 'A' + i % 26, 'Q');
        fake[i].exponent = 2;
    }
    for (int i = PP_AUTH_THRESHOLDS_MAX - 1; i >= 0; i--) {
        assert_int_equal(core_auth_policy_add(&p, &fake[i], i, &err), PP_OK);
    }
    assert_int_equal(p.count, PP_AUTH_THRESHOLDS_MAX);
    assert_int_equal(core_auth_policy_add(&p, &fake[PP_AUTH_THRESHOLDS_MAX], 1, &err),
                     PP_INVALID_PARAMS);
    for (size_t i = 0; i < p.count; i++) {
        assert_string_equal(p.thresholds[i].currency, fake[i].code);
    }
    /* The settings text of a full policy fits its buffer. */
    char text[PP_AUTH_POLICY_TEXT_BYTES];
    size_t len = core_auth_policy_encode(&p, text, sizeof text);
    assert_int_equal(len, strlen(text));
    assert_true(len < sizeof text);
}

static void round_trip(const struct core_auth_policy *p, const char *want_text)
{
    char text[PP_AUTH_POLICY_TEXT_BYTES];
    struct core_auth_policy back;
    struct pp_err err = {0};
    core_auth_policy_encode(p, text, sizeof text);
    if (want_text != NULL) {
        assert_string_equal(text, want_text);
    }
    if (core_auth_policy_decode(text, &back, &err) != PP_OK) {
        fail_msg("decoding '%s': %s", text, err.message);
    }
    assert_int_equal(back.mode, p->mode);
    assert_int_equal(back.count, p->count);
    for (size_t i = 0; i < p->count; i++) {
        assert_string_equal(back.thresholds[i].currency, p->thresholds[i].currency);
        assert_int_equal(back.thresholds[i].minor, p->thresholds[i].minor);
    }
}

static void test_text_round_trip(void **state)
{
    (void)state;
    static struct core_auth_policy p;
    core_auth_policy_init(&p);
    round_trip(&p, "off");
    p.mode = CORE_AUTH_ALWAYS;
    round_trip(&p, "always");
    p.mode = CORE_AUTH_ABOVE;
    round_trip(&p, "above");
    add_ok(&p, "JPY", 500);
    add_ok(&p, "GBP", 10000);
    round_trip(&p, "above GBP=10000,JPY=500");
    add_ok(&p, "BHD", 0);
    add_ok(&p, "EUR", PP_AMOUNT_MINOR_MAX);
    round_trip(&p, "above BHD=0,EUR=999999999999999,GBP=10000,JPY=500");
    p.mode = CORE_AUTH_OFF; /* thresholds are kept whatever the mode */
    round_trip(&p, "off BHD=0,EUR=999999999999999,GBP=10000,JPY=500");

    /* Every supported currency at once. */
    core_auth_policy_init(&p);
    p.mode = CORE_AUTH_ABOVE;
    char code[4] = "AAA";
    for (int i = 0; i < 26 * 26 * 26; i++) {
        code[0] = (char)('A' + i / 676);
        code[1] = (char)('A' + i / 26 % 26);
        code[2] = (char)('A' + i % 26);
        const struct core_currency *cur = core_currency_find(code, 3);
        if (cur != NULL) {
            add_ok(&p, code, i);
        }
    }
    assert_true(p.count > 150 && p.count <= PP_AUTH_THRESHOLDS_MAX);
    round_trip(&p, NULL);
}

static void test_text_damaged(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        " ",
        "on",
        "Above",
        "above ",
        "above GBP",
        "above GBP=",
        "above GBP=1,",
        "above GBP=1,,JPY=2",
        "above GBP=-1",
        "above GBP=+1",
        "above GBP=1.5",
        "above GBP=1x",
        "above GBP=1000000000000000",
        "above GBP=1,GBP=2",
        "above gbp=1",
        "above XXX=1",
        "above GB=1",
        "above GBPP=1",
        "above GBP=1 JPY=2",
        "above  GBP=1",
        "always\tGBP=1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct core_auth_policy p;
        struct pp_err err = {0};
        if (core_auth_policy_decode(bad[i], &p, &err) != PP_INTERNAL) {
            fail_msg("damaged text '%s' was accepted", bad[i]);
        }
        assert_int_equal(p.mode, CORE_AUTH_OFF);
        assert_int_equal(p.count, 0);
        assert_non_null(strstr(err.message, "damaged"));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mode_names),       cmocka_unit_test(test_needs_off_and_always),
        cmocka_unit_test(test_needs_above),      cmocka_unit_test(test_thresholds_sorted_unique),
        cmocka_unit_test(test_thresholds_limit), cmocka_unit_test(test_text_round_trip),
        cmocka_unit_test(test_text_damaged),
    };
    return cmocka_run_group_tests_name("unit.policy", tests, NULL, NULL);
}
