/*
** Unit tests of the panel users' store operations (store/sqlite/users.c,
** sessions.c) and the session clocks (core_session_expired), on an
** injected clock: every write names its own now_ms, so idle and absolute
** expiry, a code's step used once, the last enabled admin, and the
** generation that ends tokens and sessions are checked without waiting.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "payout/core/users.h"
#include "payout/store/users.h"
#include "support/store_fixture.h"

#define HASH_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HASH_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define T0 1700000000000LL

static struct pp_actor admin_actor = {.kind = PP_ACTOR_ADMIN, .admin_id = 1, .addr = "127.0.0.1"};

static struct store_write_ctx at(int64_t now_ms)
{
    struct store_write_ctx w = {.actor = &admin_actor, .now_ms = now_ms, .idem = NULL};
    return w;
}

static int64_t user_new(struct store *st, const char *email, enum pp_role role)
{
    struct store_write_ctx w = at(T0);
    struct store_user_create in = {.email = email, .password_hash = "hash", .role = role};
    struct pp_user u;
    int created = 0;
    struct pp_err err = {0};
    assert_int_equal(store_user_create(st, &w, &in, &u, &created, &err), PP_OK);
    assert_int_equal(created, 1);
    assert_int_equal(u.role, role);
    return u.id;
}

static void test_session_expired_clock(void **state)
{
    (void)state;
    struct pp_session s = {.created_ms = T0, .last_seen_ms = T0};
    /* idle 1800 s, max 43200 s */
    assert_false(core_session_expired(&s, T0, 1800, 43200));
    assert_false(core_session_expired(&s, T0 + 1800 * 1000, 1800, 43200));
    assert_true(core_session_expired(&s, T0 + 1800 * 1000 + 1, 1800, 43200));
    s.last_seen_ms = T0 + 43000 * 1000;
    assert_false(core_session_expired(&s, T0 + 43200 * 1000, 1800, 43200));
    assert_true(core_session_expired(&s, T0 + 43200 * 1000 + 1, 1800, 43200));
}

static void test_last_admin_and_generation(void **state)
{
    struct fx *f = *state;
    struct pp_err err = {0};
    struct pp_user u;
    int64_t a = user_new(f->st, "a@example.test", PP_ROLE_ADMIN);
    int64_t b = user_new(f->st, "b@example.test", PP_ROLE_ADMIN);
    struct store_write_ctx w = at(T0 + 1);
    struct store_user_update demote = {.id = b, .role = PP_ROLE_AUDITOR, .disabled = -1};
    assert_int_equal(store_user_update(f->st, &w, &demote, &u, &err), PP_OK);
    assert_int_equal(u.token_generation, 1);
    /* The same again changes nothing: no bump. */
    assert_int_equal(store_user_update(f->st, &w, &demote, &u, &err), PP_OK);
    assert_int_equal(u.token_generation, 1);
    struct store_user_update last = {.id = a, .role = PP_ROLE_NONE, .disabled = 1};
    assert_int_equal(store_user_update(f->st, &w, &last, &u, &err), PP_CONFLICT);
    struct pp_err err2 = {0};
    last.role = PP_ROLE_OPERATOR;
    last.disabled = -1;
    assert_int_equal(store_user_update(f->st, &w, &last, &u, &err2), PP_CONFLICT);
    assert_int_equal(store_user_get(f->st, a, &u, &err2), PP_OK);
    assert_int_equal(u.role, PP_ROLE_ADMIN);
    assert_false(u.disabled);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM audit WHERE action = 'user.update'"),
                     1);
}

static void test_sign_in_step_and_sessions(void **state)
{
    struct fx *f = *state;
    struct pp_err err = {0};
    struct pp_user u;
    struct pp_session s;
    int found = 0;
    int64_t id = user_new(f->st, "c@example.test", PP_ROLE_OPERATOR);
    struct store_write_ctx w = at(T0 + 1000);
    struct store_user_sign_in in = {.id = id,
                                    .generation = 0,
                                    .step = 100,
                                    .session_hash = HASH_A,
                                    .csrf_token = "csrf-a",
                                    .idle_before_ms = 0,
                                    .max_before_ms = 0};
    assert_int_equal(store_user_sign_in(f->st, &w, &in, &err), PP_OK);
    /* The same step again: the code was used. */
    in.session_hash = HASH_B;
    assert_int_equal(store_user_sign_in(f->st, &w, &in, &err), PP_UNAUTHORIZED);
    assert_int_equal(store_session_find(f->st, HASH_B, &s, &u, &found, &err), PP_OK);
    assert_false(found);
    assert_int_equal(store_session_find(f->st, HASH_A, &s, &u, &found, &err), PP_OK);
    assert_true(found);
    assert_int_equal(s.created_ms, T0 + 1000);
    assert_int_equal(u.totp_last_step, 100);
    assert_int_equal(u.last_sign_in_ms, T0 + 1000);
    /* The clock moves only forward. */
    struct store_write_ctx later = at(T0 + 5000);
    assert_int_equal(store_session_touch(f->st, &later, HASH_A, &err), PP_OK);
    struct store_write_ctx earlier = at(T0 + 2000);
    assert_int_equal(store_session_touch(f->st, &earlier, HASH_A, &err), PP_OK);
    assert_int_equal(store_session_find(f->st, HASH_A, &s, &u, &found, &err), PP_OK);
    assert_int_equal(s.last_seen_ms, T0 + 5000);
    /* A stale generation cannot sign in; a password reset ends the session. */
    struct store_user_password pw = {.id = id,
                                     .password_hash = "hash2",
                                     .keep_session_hash = NULL,
                                     .audit_action = "user.password_reset"};
    assert_int_equal(store_user_password_set(f->st, &w, &pw, &u, &err), PP_OK);
    assert_int_equal(u.token_generation, 1);
    assert_int_equal(store_session_find(f->st, HASH_A, &s, &u, &found, &err), PP_OK);
    assert_false(found);
    in.step = 101;
    in.session_hash = NULL;
    struct pp_err err2 = {0};
    assert_int_equal(store_user_sign_in(f->st, &w, &in, &err2), PP_UNAUTHORIZED);
    /* Signing out is audited once; a second time finds nothing. */
    in.generation = 1;
    in.session_hash = HASH_B;
    in.csrf_token = "csrf-b";
    assert_int_equal(store_user_sign_in(f->st, &w, &in, &err), PP_OK);
    assert_int_equal(store_session_end(f->st, &w, HASH_B, &err), PP_OK);
    assert_int_equal(store_session_end(f->st, &w, HASH_B, &err), PP_OK);
    assert_int_equal(
        raw_int(f->path, "SELECT count(*) FROM audit WHERE action = 'session.sign_out'"), 1);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM audit WHERE action = 'user.sign_in'"),
                     2);
}

static void test_expired_sessions_purged(void **state)
{
    struct fx *f = *state;
    struct pp_err err = {0};
    int64_t id = user_new(f->st, "d@example.test", PP_ROLE_AUDITOR);
    struct store_write_ctx w = at(T0);
    struct store_user_sign_in in = {
        .id = id, .generation = 0, .step = -1, .session_hash = HASH_A, .csrf_token = "x"};
    assert_int_equal(store_user_sign_in(f->st, &w, &in, &err), PP_OK);
    /* An hour later with 30 minutes idle: the first session goes. */
    struct store_write_ctx later = at(T0 + 3600 * 1000);
    in.session_hash = HASH_B;
    in.idle_before_ms = later.now_ms - 1800 * 1000;
    in.max_before_ms = later.now_ms - 43200 * 1000;
    assert_int_equal(store_user_sign_in(f->st, &later, &in, &err), PP_OK);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM sessions"), 1);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM sessions WHERE id_hash = '" HASH_B "'"),
                     1);
}

static void test_two_factor_rules(void **state)
{
    struct fx *f = *state;
    struct pp_err err = {0};
    struct pp_user u;
    int64_t id = user_new(f->st, "e@example.test", PP_ROLE_APPROVER);
    struct store_write_ctx w = at(T0);
    struct store_user_two_factor setup = {
        .id = id, .change = STORE_TWO_FACTOR_SETUP, .sealed = "v1.sealed-one"};
    assert_int_equal(store_user_two_factor(f->st, &w, &setup, &u, &err), PP_OK);
    assert_string_equal(u.totp_pending_sealed, "v1.sealed-one");
    assert_string_equal(u.totp_sealed, "");
    /* Enabling checks the pending secret it was given. */
    struct store_user_two_factor enable = {
        .id = id, .change = STORE_TWO_FACTOR_ENABLE, .sealed = "v1.other", .step = 5};
    assert_int_equal(store_user_two_factor(f->st, &w, &enable, &u, &err), PP_CONFLICT);
    enable.sealed = "v1.sealed-one";
    struct pp_err err2 = {0};
    assert_int_equal(store_user_two_factor(f->st, &w, &enable, &u, &err2), PP_OK);
    assert_string_equal(u.totp_sealed, "v1.sealed-one");
    assert_int_equal(u.totp_last_step, 5);
    /* Disabling with the used step is refused; a later one works. */
    struct store_user_two_factor off = {.id = id, .change = STORE_TWO_FACTOR_DISABLE, .step = 5};
    struct pp_err err3 = {0};
    assert_int_equal(store_user_two_factor(f->st, &w, &off, &u, &err3), PP_CONFLICT);
    off.step = 6;
    struct pp_err err4 = {0};
    assert_int_equal(store_user_two_factor(f->st, &w, &off, &u, &err4), PP_OK);
    assert_string_equal(u.totp_sealed, "");
    assert_int_equal(u.token_generation, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_session_expired_clock),
        cmocka_unit_test_setup_teardown(test_last_admin_and_generation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sign_in_step_and_sessions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expired_sessions_purged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_factor_rules, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
