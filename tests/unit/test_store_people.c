/*
** This module tests the store interface's operations on people and on
** shared state, through payout/store/ only, so that the same assertions
** run on SQLite and on PostgreSQL (support/store_any.h picks the backend
** from the environment): panel users and their browser sessions
** (payout/store/users.h), admins and settings (payout/store/store.h),
** shared counters and leases (payout/store/cluster.h), and the audit
** entries those writes leave (payout/store/audit.h).
**
** Every user and session write names its own now_ms, so idle and absolute
** session expiry, a code's step used once, the last enabled admin and the
** generation that ends tokens and sessions are checked on an injected
** clock without waiting. Counters and leases run on the database's clock,
** which the caller does not set: those tests wait real milliseconds and
** assert only what holds however long a step took. On SQLite counters and
** leases do not exist (store_shared() is 0) and must answer PP_INTERNAL.
**
** Also core's judgement of a session's age (core_session_expired), which
** the sessions' tests lean on. It does not test the SQLite writer or
** PostgreSQL's round trips: their own tests do.
*/
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "payout/core/users.h"
#include "payout/store/audit.h"
#include "payout/store/cluster.h"
#include "payout/store/store.h"
#include "payout/store/users.h"
#include "support/store_any.h"

#define HASH_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HASH_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define HASH_C "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
#define HASH_D "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
#define T0 1700000000000LL
#define MINUTE_MS (60 * 1000LL)
#define HOUR_MS (60 * MINUTE_MS)

static struct pp_actor admin_actor = {.kind = PP_ACTOR_ADMIN, .admin_id = 1, .addr = "127.0.0.1"};

/* The error of the latest call. The first error set wins, so each call
** gets it cleared: a refusal expected earlier must not stand in for the
** next call's message. */
static struct pp_err last_err;
#define ERR (pp_err_clear(&last_err), &last_err)

/* Fails with the call, its status and its message when it did not answer want. */
#define assert_status(call, want) status_check((call), (want), #call, __FILE__, __LINE__)

static void status_check(enum pp_status got, enum pp_status want, const char *what,
                         const char *file, int line)
{
    if (got != want) {
        fail_msg("%s:%d: %s answered %d (%s), wanted %d", file, line, what, (int)got,
                 last_err.message, (int)want);
    }
}

static struct store_write_ctx at(int64_t now_ms)
{
    struct store_write_ctx w = {.actor = &admin_actor, .now_ms = now_ms, .idem = NULL};
    return w;
}

static struct store *st_of(void **state)
{
    struct any_fx *fx = *state;
    return fx->st;
}

static int64_t user_new(struct store *st, const char *email, enum pp_role role)
{
    struct store_write_ctx w = at(T0);
    struct store_user_create in = {.email = email, .password_hash = "hash", .role = role};
    struct pp_user u;
    int created = 0;
    assert_status(store_user_create(st, &w, &in, &u, &created, ERR), PP_OK);
    assert_int_equal(created, 1);
    assert_int_equal(u.role, role);
    assert_true(u.id > 0);
    return u.id;
}

/* Signs user id in at now_ms with a browser session (no code asked). */
static void session_new(struct store *st, int64_t id, int64_t generation, const char *hash,
                        int64_t now_ms)
{
    struct store_write_ctx w = at(now_ms);
    struct store_user_sign_in in = {
        .id = id, .generation = generation, .step = -1, .session_hash = hash, .csrf_token = "csrf"};
    assert_status(store_user_sign_in(st, &w, &in, ERR), PP_OK);
}

/* 1 when the session hashing to hash exists; its row into *s. */
static int session_there(struct store *st, const char *hash, struct pp_session *s)
{
    struct pp_user u;
    int found = -1;
    assert_status(store_session_find(st, hash, s, &u, &found, ERR), PP_OK);
    assert_true(found == 0 || found == 1);
    if (found) {
        assert_int_equal(u.id, s->user_id);
        assert_string_equal(s->id_hash, hash);
    }
    return found;
}

/* How many audit entries have this action; the newest into *newest. */
static int64_t audit_count(struct store *st, const char *action, struct pp_audit_entry *newest)
{
    struct pp_audit_filter f = {.action = action, .limit = 1};
    struct pp_audit_entry out[1];
    size_t n = 0;
    int64_t total = -1;
    assert_status(store_audit_list(st, &f, out, 1, &n, &total, ERR), PP_OK);
    assert_int_equal(n, total > 0 ? 1 : 0);
    if (n == 1) {
        assert_string_equal(out[0].action, action);
        if (newest != NULL) {
            *newest = out[0];
        }
    }
    return total;
}

/* --- Users --------------------------------------------------------------------- */

/* Idle 1800 s and at most 43200 s: both limits inclusive. */
static void test_session_expired_clock(void **state)
{
    (void)state;
    struct pp_session s = {.created_ms = T0, .last_seen_ms = T0};
    assert_false(core_session_expired(&s, T0, 1800, 43200));
    assert_false(core_session_expired(&s, T0 + 1800 * 1000, 1800, 43200));
    assert_true(core_session_expired(&s, T0 + 1800 * 1000 + 1, 1800, 43200));
    s.last_seen_ms = T0 + 43000 * 1000;
    assert_false(core_session_expired(&s, T0 + 43200 * 1000, 1800, 43200));
    assert_true(core_session_expired(&s, T0 + 43200 * 1000 + 1, 1800, 43200));
}

static void test_user_create_find_list(void **state)
{
    struct store *st = st_of(state);
    struct store_write_ctx w = at(T0 + 5);
    struct store_user_create in = {
        .email = "Ops@Example.test", .password_hash = "hash-1", .role = PP_ROLE_OPERATOR};
    struct pp_user u;
    int created = -1;
    assert_status(store_user_create(st, &w, &in, &u, &created, ERR), PP_OK);
    assert_int_equal(created, 1);
    int64_t ops = u.id;
    assert_true(ops > 0);
    assert_string_equal(u.email, "Ops@Example.test");
    assert_string_equal(u.password_hash, "hash-1");
    assert_int_equal(u.role, PP_ROLE_OPERATOR);
    assert_int_equal(u.disabled, 0);
    assert_string_equal(u.totp_sealed, "");
    assert_string_equal(u.totp_pending_sealed, "");
    assert_int_equal(u.totp_last_step, -1);
    assert_int_equal(u.token_generation, 0);
    assert_int_equal(u.created_ms, T0 + 5);
    assert_int_equal(u.last_sign_in_ms, 0);

    /* The same e-mail in another case is the same user: refused. */
    struct store_user_create dup = {
        .email = "ops@EXAMPLE.test", .password_hash = "hash-2", .role = PP_ROLE_AUDITOR};
    assert_status(store_user_create(st, &w, &dup, &u, &created, ERR), PP_CONFLICT);
    assert_int_equal(created, 0);
    struct store_user_create blank = {.email = "", .password_hash = "h", .role = PP_ROLE_ADMIN};
    assert_status(store_user_create(st, &w, &blank, &u, &created, ERR), PP_INVALID_PARAMS);
    /* No role given: a new user is an admin. */
    struct store_user_create boss = {.email = "boss@example.test", .password_hash = "hash-b"};
    assert_status(store_user_create(st, &w, &boss, &u, &created, ERR), PP_OK);
    assert_int_equal(u.role, PP_ROLE_ADMIN);
    int64_t boss_id = u.id;
    assert_true(boss_id != ops);

    int found = -1;
    assert_status(store_user_find(st, "OPS@example.TEST", &u, &found, ERR), PP_OK);
    assert_int_equal(found, 1);
    assert_int_equal(u.id, ops);
    assert_string_equal(u.email, "Ops@Example.test");
    assert_status(store_user_find(st, "nobody@example.test", &u, &found, ERR), PP_OK);
    assert_int_equal(found, 0);
    assert_status(store_user_get(st, boss_id, &u, ERR), PP_OK);
    assert_string_equal(u.email, "boss@example.test");
    assert_string_equal(u.password_hash, "hash-b");
    assert_status(store_user_get(st, boss_id + ops + 100, &u, ERR), PP_NOT_FOUND);

    struct pp_user all[4];
    size_t n = 99;
    assert_status(store_users_list(st, all, 4, &n, ERR), PP_OK);
    assert_int_equal(n, 2);
    assert_true(all[0].id < all[1].id);
    assert_int_equal(all[0].id, ops < boss_id ? ops : boss_id);
    assert_string_equal(all[ops < boss_id ? 0 : 1].email, "Ops@Example.test");
    assert_int_equal(all[ops < boss_id ? 0 : 1].role, PP_ROLE_OPERATOR);
    assert_status(store_users_list(st, all, 1, &n, ERR), PP_OK);
    assert_int_equal(n, 1);
    assert_int_equal(all[0].id, ops < boss_id ? ops : boss_id);

    /* An upsert of an existing e-mail resets its password and keeps its role. */
    struct store_user_create reset = {
        .email = "ops@example.test", .password_hash = "hash-3", .upsert = 1};
    struct store_write_ctx later = at(T0 + 9);
    assert_status(store_user_create(st, &later, &reset, &u, &created, ERR), PP_OK);
    assert_int_equal(created, 0);
    assert_int_equal(u.id, ops);
    assert_string_equal(u.password_hash, "hash-3");
    assert_int_equal(u.role, PP_ROLE_OPERATOR);
    assert_int_equal(u.token_generation, 1);
    assert_int_equal(u.created_ms, T0 + 5);

    struct pp_audit_entry e;
    assert_int_equal(audit_count(st, "user.create", &e), 2);
    assert_string_equal(e.detail, "boss@example.test admin");
    assert_int_equal(audit_count(st, "user.password_reset", &e), 1);
    char subject[32];
    snprintf(subject, sizeof subject, "user:%lld", (long long)ops);
    assert_string_equal(e.subject, subject);
    assert_string_equal(e.detail, "Ops@Example.test operator");
    assert_int_equal(e.at_ms, T0 + 9);
}

static void test_update_role_and_last_admin(void **state)
{
    struct store *st = st_of(state);
    struct pp_user u;
    struct pp_session s;
    int64_t a = user_new(st, "a@example.test", PP_ROLE_ADMIN);
    int64_t b = user_new(st, "b@example.test", PP_ROLE_ADMIN);
    session_new(st, b, 0, HASH_B, T0 + 1);
    assert_true(session_there(st, HASH_B, &s));

    struct store_write_ctx w = at(T0 + 2);
    struct store_user_update demote = {.id = b, .role = PP_ROLE_AUDITOR, .disabled = -1};
    assert_status(store_user_update(st, &w, &demote, &u, ERR), PP_OK);
    assert_int_equal(u.role, PP_ROLE_AUDITOR);
    assert_int_equal(u.token_generation, 1);
    /* A role change ends the user's sessions. */
    assert_false(session_there(st, HASH_B, &s));
    /* The same again changes nothing: no bump, no audit entry. */
    assert_status(store_user_update(st, &w, &demote, &u, ERR), PP_OK);
    assert_int_equal(u.token_generation, 1);

    /* a is now the last enabled admin: neither disabled nor demoted. */
    struct store_user_update last = {.id = a, .role = PP_ROLE_NONE, .disabled = 1};
    assert_status(store_user_update(st, &w, &last, &u, ERR), PP_CONFLICT);
    last.role = PP_ROLE_OPERATOR;
    last.disabled = -1;
    assert_status(store_user_update(st, &w, &last, &u, ERR), PP_CONFLICT);
    struct store_user_create upsert = {.email = "A@example.test",
                                       .password_hash = "hash-x",
                                       .role = PP_ROLE_APPROVER,
                                       .upsert = 1};
    int created = -1;
    assert_status(store_user_create(st, &w, &upsert, &u, &created, ERR), PP_CONFLICT);
    assert_status(store_user_get(st, a, &u, ERR), PP_OK);
    assert_int_equal(u.role, PP_ROLE_ADMIN);
    assert_int_equal(u.disabled, 0);
    assert_int_equal(u.token_generation, 0);
    assert_string_equal(u.password_hash, "hash");

    /* Disabling b, who is no admin, is allowed; a disabled user cannot sign in. */
    struct store_user_update off = {.id = b, .role = PP_ROLE_NONE, .disabled = 1};
    assert_status(store_user_update(st, &w, &off, &u, ERR), PP_OK);
    assert_int_equal(u.disabled, 1);
    assert_int_equal(u.token_generation, 2);
    struct store_user_sign_in in = {.id = b, .generation = 2, .step = -1};
    assert_status(store_user_sign_in(st, &w, &in, ERR), PP_UNAUTHORIZED);
    struct store_user_update ghost = {.id = a + b + 100, .role = PP_ROLE_AUDITOR, .disabled = -1};
    assert_status(store_user_update(st, &w, &ghost, &u, ERR), PP_NOT_FOUND);

    struct pp_audit_entry e;
    assert_int_equal(audit_count(st, "user.update", &e), 2);
    char subject[32];
    snprintf(subject, sizeof subject, "user:%lld", (long long)b);
    assert_string_equal(e.subject, subject);
    assert_string_equal(e.detail, "disabled");
    struct pp_audit_filter f = {.action = "user.update", .limit = 2, .offset = 1};
    struct pp_audit_entry older[2];
    size_t n = 0;
    int64_t total = 0;
    assert_status(store_audit_list(st, &f, older, 2, &n, &total, ERR), PP_OK);
    assert_int_equal(n, 1);
    assert_int_equal(total, 2);
    assert_string_equal(older[0].detail, "role admin->auditor");
    assert_int_equal(audit_count(st, "user.sign_in", NULL), 1);
}

static void test_sign_in_step_and_sessions(void **state)
{
    struct store *st = st_of(state);
    struct pp_user u;
    struct pp_session s;
    int found = 0;
    int64_t id = user_new(st, "c@example.test", PP_ROLE_OPERATOR);
    struct store_write_ctx w = at(T0 + 1000);
    struct store_user_sign_in in = {.id = id,
                                    .generation = 0,
                                    .step = 100,
                                    .session_hash = HASH_A,
                                    .csrf_token = "csrf-a",
                                    .idle_before_ms = 0,
                                    .max_before_ms = 0};
    assert_status(store_user_sign_in(st, &w, &in, ERR), PP_OK);
    /* The same step again: the code was used. */
    in.session_hash = HASH_B;
    assert_status(store_user_sign_in(st, &w, &in, ERR), PP_UNAUTHORIZED);
    assert_false(session_there(st, HASH_B, &s));
    assert_status(store_session_find(st, HASH_A, &s, &u, &found, ERR), PP_OK);
    assert_int_equal(found, 1);
    assert_int_equal(s.user_id, id);
    assert_string_equal(s.csrf_token, "csrf-a");
    assert_int_equal(s.generation, 0);
    assert_int_equal(s.created_ms, T0 + 1000);
    assert_int_equal(s.last_seen_ms, T0 + 1000);
    assert_int_equal(u.id, id);
    assert_string_equal(u.email, "c@example.test");
    assert_int_equal(u.totp_last_step, 100);
    assert_int_equal(u.last_sign_in_ms, T0 + 1000);
    /* The clock moves only forward. */
    struct store_write_ctx later = at(T0 + 5000);
    assert_status(store_session_touch(st, &later, HASH_A, ERR), PP_OK);
    struct store_write_ctx earlier = at(T0 + 2000);
    assert_status(store_session_touch(st, &earlier, HASH_A, ERR), PP_OK);
    assert_true(session_there(st, HASH_A, &s));
    assert_int_equal(s.last_seen_ms, T0 + 5000);
    assert_int_equal(s.created_ms, T0 + 1000);
    /* A session gone is no error to touch. */
    assert_status(store_session_touch(st, &later, HASH_D, ERR), PP_OK);
    assert_false(session_there(st, HASH_D, &s));

    /* A password reset bumps the generation: the session ends and a
    ** sign-in read at the old generation is refused. */
    struct store_user_password pw = {.id = id,
                                     .password_hash = "hash2",
                                     .keep_session_hash = NULL,
                                     .audit_action = "user.password_reset"};
    assert_status(store_user_password_set(st, &w, &pw, &u, ERR), PP_OK);
    assert_int_equal(u.token_generation, 1);
    assert_string_equal(u.password_hash, "hash2");
    assert_false(session_there(st, HASH_A, &s));
    in.step = 101;
    in.session_hash = NULL;
    assert_status(store_user_sign_in(st, &w, &in, ERR), PP_UNAUTHORIZED);
    struct store_user_password ghost = {
        .id = id + 100, .password_hash = "h", .audit_action = "user.password_reset"};
    assert_status(store_user_password_set(st, &w, &ghost, &u, ERR), PP_NOT_FOUND);

    /* Signing out is audited once; a second time finds nothing. */
    in.generation = 1;
    in.session_hash = HASH_B;
    in.csrf_token = "csrf-b";
    assert_status(store_user_sign_in(st, &w, &in, ERR), PP_OK);
    assert_true(session_there(st, HASH_B, &s));
    assert_int_equal(s.generation, 1);
    assert_status(store_session_end(st, &w, HASH_B, ERR), PP_OK);
    assert_false(session_there(st, HASH_B, &s));
    assert_status(store_session_end(st, &w, HASH_B, ERR), PP_OK);
    struct pp_audit_entry e;
    assert_int_equal(audit_count(st, "session.sign_out", &e), 1);
    char subject[32];
    snprintf(subject, sizeof subject, "user:%lld", (long long)id);
    assert_string_equal(e.subject, subject);
    assert_int_equal(audit_count(st, "user.sign_in", &e), 2);
    assert_string_equal(e.detail, "session");
    assert_int_equal(audit_count(st, "user.password_reset", &e), 1);
    assert_string_equal(e.detail, "c@example.test");

    /* A token sign-in (no session) is audited as such. */
    in.step = 102;
    in.session_hash = NULL;
    assert_status(store_user_sign_in(st, &w, &in, ERR), PP_OK);
    assert_int_equal(audit_count(st, "user.sign_in", &e), 3);
    assert_string_equal(e.detail, "token");
}

/* A change of one's own password keeps the session it came from. */
static void test_password_change_keeps_own_session(void **state)
{
    struct store *st = st_of(state);
    struct pp_user u;
    struct pp_session s;
    int64_t id = user_new(st, "keep@example.test", PP_ROLE_APPROVER);
    int64_t other = user_new(st, "other@example.test", PP_ROLE_ADMIN);
    session_new(st, id, 0, HASH_A, T0 + 1);
    session_new(st, id, 0, HASH_B, T0 + 2);
    session_new(st, other, 0, HASH_C, T0 + 3);
    struct store_write_ctx w = at(T0 + 10);
    struct store_user_password pw = {.id = id,
                                     .password_hash = "hash-new",
                                     .keep_session_hash = HASH_B,
                                     .audit_action = "user.password_change"};
    assert_status(store_user_password_set(st, &w, &pw, &u, ERR), PP_OK);
    assert_int_equal(u.token_generation, 1);
    assert_false(session_there(st, HASH_A, &s));
    assert_true(session_there(st, HASH_B, &s));
    assert_int_equal(s.generation, 1);
    /* Another user's session is not touched. */
    assert_true(session_there(st, HASH_C, &s));
    assert_int_equal(s.generation, 0);
    struct pp_audit_entry e;
    assert_int_equal(audit_count(st, "user.password_change", &e), 1);
    assert_string_equal(e.detail, "keep@example.test");
    assert_int_equal(audit_count(st, "user.password_reset", NULL), 0);
}

static void test_sessions_expire_on_the_clock(void **state)
{
    struct store *st = st_of(state);
    struct pp_session s;
    int64_t id = user_new(st, "d@example.test", PP_ROLE_AUDITOR);
    const int64_t idle_ms = 30 * MINUTE_MS;
    const int64_t max_ms = 12 * HOUR_MS;
    const int64_t now = T0 + max_ms + 1000;
    /* A: idle since it began. B: seen lately but begun too long ago.
    ** C: begun later and last seen exactly at the idle limit (not before). */
    session_new(st, id, 0, HASH_A, T0);
    session_new(st, id, 0, HASH_B, T0);
    session_new(st, id, 0, HASH_C, T0 + 6 * HOUR_MS);
    struct store_write_ctx seen_b = at(now - MINUTE_MS);
    assert_status(store_session_touch(st, &seen_b, HASH_B, ERR), PP_OK);
    struct store_write_ctx seen_c = at(now - idle_ms);
    assert_status(store_session_touch(st, &seen_c, HASH_C, ERR), PP_OK);
    /* Expiry is the caller's to judge: until a purge, all are there. */
    assert_true(session_there(st, HASH_A, &s));
    assert_int_equal(s.last_seen_ms, T0);
    assert_true(session_there(st, HASH_B, &s));
    assert_int_equal(s.last_seen_ms, now - MINUTE_MS);

    struct store_write_ctx w = at(now);
    struct store_user_sign_in in = {.id = id,
                                    .generation = 0,
                                    .step = -1,
                                    .session_hash = HASH_D,
                                    .csrf_token = "x",
                                    .idle_before_ms = now - idle_ms,
                                    .max_before_ms = now - max_ms};
    assert_status(store_user_sign_in(st, &w, &in, ERR), PP_OK);
    assert_false(session_there(st, HASH_A, &s));
    assert_false(session_there(st, HASH_B, &s));
    assert_true(session_there(st, HASH_C, &s));
    assert_int_equal(s.last_seen_ms, now - idle_ms);
    assert_true(session_there(st, HASH_D, &s));
    assert_int_equal(s.created_ms, now);
    assert_int_equal(s.last_seen_ms, now);
}

/* The user's oldest session ends past PP_SESSIONS_PER_USER_MAX. */
static void test_sessions_capped_per_user(void **state)
{
    struct store *st = st_of(state);
    struct pp_session s;
    int64_t id = user_new(st, "many@example.test", PP_ROLE_OPERATOR);
    int64_t other = user_new(st, "few@example.test", PP_ROLE_ADMIN);
    session_new(st, other, 0, HASH_A, T0);
    char hash[PP_SESSIONS_PER_USER_MAX + 1][PP_SESSION_HASH_TEXT_BYTES];
    for (int i = 0; i <= PP_SESSIONS_PER_USER_MAX; i++) {
        snprintf(hash[i], sizeof hash[i], "%064d", i + 1);
        session_new(st, id, 0, hash[i], T0 + i);
    }
    assert_false(session_there(st, hash[0], &s));
    for (int i = 1; i <= PP_SESSIONS_PER_USER_MAX; i++) {
        assert_true(session_there(st, hash[i], &s));
        assert_int_equal(s.created_ms, T0 + i);
    }
    assert_true(session_there(st, HASH_A, &s));
    assert_int_equal(audit_count(st, "user.sign_in", NULL), PP_SESSIONS_PER_USER_MAX + 2);
}

static void test_two_factor_rules(void **state)
{
    struct store *st = st_of(state);
    struct pp_user u;
    struct pp_session s;
    int64_t id = user_new(st, "e@example.test", PP_ROLE_APPROVER);
    struct store_write_ctx w = at(T0);
    struct store_user_two_factor setup = {
        .id = id, .change = STORE_TWO_FACTOR_SETUP, .sealed = "v1.sealed-one"};
    assert_status(store_user_two_factor(st, &w, &setup, &u, ERR), PP_OK);
    assert_string_equal(u.totp_pending_sealed, "v1.sealed-one");
    assert_string_equal(u.totp_sealed, "");
    /* Enabling checks the pending secret it was given. */
    struct store_user_two_factor enable = {
        .id = id, .change = STORE_TWO_FACTOR_ENABLE, .sealed = "v1.other", .step = 5};
    assert_status(store_user_two_factor(st, &w, &enable, &u, ERR), PP_CONFLICT);
    enable.sealed = "v1.sealed-one";
    assert_status(store_user_two_factor(st, &w, &enable, &u, ERR), PP_OK);
    assert_string_equal(u.totp_sealed, "v1.sealed-one");
    assert_string_equal(u.totp_pending_sealed, "");
    assert_int_equal(u.totp_last_step, 5);
    assert_int_equal(u.token_generation, 0);
    /* On: a new setup is refused, and the enabling code's step is used. */
    assert_status(store_user_two_factor(st, &w, &setup, &u, ERR), PP_CONFLICT);
    struct store_user_sign_in in = {.id = id, .generation = 0, .step = 5};
    assert_status(store_user_sign_in(st, &w, &in, ERR), PP_UNAUTHORIZED);
    /* Disabling with the used step is refused; a later one works. */
    struct store_user_two_factor off = {.id = id, .change = STORE_TWO_FACTOR_DISABLE, .step = 5};
    assert_status(store_user_two_factor(st, &w, &off, &u, ERR), PP_CONFLICT);
    off.step = 6;
    assert_status(store_user_two_factor(st, &w, &off, &u, ERR), PP_OK);
    assert_string_equal(u.totp_sealed, "");
    assert_int_equal(u.token_generation, 0);
    assert_status(store_user_two_factor(st, &w, &off, &u, ERR), PP_CONFLICT);

    /* An admin's reset ends every session and token of the user. */
    setup.sealed = "v1.sealed-two";
    assert_status(store_user_two_factor(st, &w, &setup, &u, ERR), PP_OK);
    enable.sealed = "v1.sealed-two";
    enable.step = 7;
    assert_status(store_user_two_factor(st, &w, &enable, &u, ERR), PP_OK);
    session_new(st, id, 0, HASH_A, T0 + 1);
    struct store_user_two_factor reset = {.id = id, .change = STORE_TWO_FACTOR_RESET};
    assert_status(store_user_two_factor(st, &w, &reset, &u, ERR), PP_OK);
    assert_string_equal(u.totp_sealed, "");
    assert_int_equal(u.token_generation, 1);
    assert_false(session_there(st, HASH_A, &s));
    reset.id = id + 100;
    assert_status(store_user_two_factor(st, &w, &reset, &u, ERR), PP_NOT_FOUND);

    struct pp_audit_entry e;
    assert_int_equal(audit_count(st, "user.two_factor_setup", &e), 2);
    assert_string_equal(e.detail, "e@example.test");
    assert_int_equal(audit_count(st, "user.two_factor_enable", NULL), 2);
    assert_int_equal(audit_count(st, "user.two_factor_disable", NULL), 1);
    assert_int_equal(audit_count(st, "user.two_factor_reset", &e), 1);
    char subject[32];
    snprintf(subject, sizeof subject, "user:%lld", (long long)id);
    assert_string_equal(e.subject, subject);
}

static void test_sign_in_failed_audited(void **state)
{
    struct store *st = st_of(state);
    int64_t id = user_new(st, "f@example.test", PP_ROLE_OPERATOR);
    struct store_write_ctx w = at(T0 + 42);
    struct store_sign_in_failure known = {
        .user_id = id, .email = "f@example.test", .reason = "wrong password"};
    assert_status(store_user_sign_in_failed(st, &w, &known, ERR), PP_OK);
    struct pp_audit_entry e;
    assert_int_equal(audit_count(st, "user.sign_in_failed", &e), 1);
    char subject[32];
    snprintf(subject, sizeof subject, "user:%lld", (long long)id);
    assert_string_equal(e.subject, subject);
    assert_string_equal(e.detail, "wrong password");
    assert_int_equal(e.at_ms, T0 + 42);
    struct store_sign_in_failure unknown = {
        .user_id = 0, .email = "ghost@example.test", .reason = "no such user"};
    assert_status(store_user_sign_in_failed(st, &w, &unknown, ERR), PP_OK);
    assert_int_equal(audit_count(st, "user.sign_in_failed", &e), 2);
    assert_string_equal(e.subject, "email:ghost@example.test");
    assert_string_equal(e.detail, "no such user");
    /* A refusal is only audited: the user is unchanged. */
    struct pp_user u;
    assert_status(store_user_get(st, id, &u, ERR), PP_OK);
    assert_int_equal(u.last_sign_in_ms, 0);
    assert_int_equal(u.token_generation, 0);
}

/* --- Admins and settings --------------------------------------------------------- */

static void test_admins_upsert_find_count(void **state)
{
    struct store *st = st_of(state);
    int64_t count = -1;
    assert_status(store_admin_count(st, &count, ERR), PP_OK);
    assert_int_equal(count, 0);
    struct store_write_ctx w = at(T0);
    int created = -1;
    int64_t id = 0;
    assert_status(store_admin_upsert(st, &w, "Root@Example.test", "pbkdf2-sha256$1$aa$bb", &created,
                                     &id, ERR),
                  PP_OK);
    assert_int_equal(created, 1);
    assert_true(id > 0);
    int64_t created_id = id;
    assert_status(store_admin_count(st, &count, ERR), PP_OK);
    assert_int_equal(count, 1);

    struct pp_admin ad;
    int found = -1;
    assert_status(store_admin_find(st, "ROOT@example.test", &ad, &found, ERR), PP_OK);
    assert_int_equal(found, 1);
    assert_int_equal(ad.id, id);
    assert_string_equal(ad.email, "Root@Example.test");
    assert_string_equal(ad.password_hash, "pbkdf2-sha256$1$aa$bb");
    assert_int_equal(ad.token_generation, 0);
    assert_status(store_admin_find(st, "nobody@example.test", &ad, &found, ERR), PP_OK);
    assert_int_equal(found, 0);

    /* The same e-mail in another case sets the password and bumps the generation. */
    struct store_write_ctx later = at(T0 + 7);
    assert_status(store_admin_upsert(st, &later, "root@EXAMPLE.test", "pbkdf2-sha256$1$cc$dd",
                                     &created, &id, ERR),
                  PP_OK);
    assert_int_equal(created, 0);
    assert_int_equal(id, created_id); /* the admin whose password was set */
    assert_status(store_admin_find(st, "root@example.test", &ad, &found, ERR), PP_OK);
    assert_int_equal(found, 1);
    int64_t root = ad.id;
    assert_int_equal(root, created_id);
    assert_status(store_admin_get(st, root, &ad, ERR), PP_OK);
    assert_string_equal(ad.email, "Root@Example.test");
    assert_string_equal(ad.password_hash, "pbkdf2-sha256$1$cc$dd");
    assert_int_equal(ad.token_generation, 1);
    assert_status(store_admin_get(st, root + 100, &ad, ERR), PP_NOT_FOUND);

    int64_t second = 0;
    assert_status(store_admin_upsert(st, &later, "two@example.test", "pbkdf2-sha256$1$ee$ff",
                                     &created, &second, ERR),
                  PP_OK);
    assert_int_equal(created, 1);
    assert_true(second > 0 && second != root);
    assert_status(store_admin_count(st, &count, ERR), PP_OK);
    assert_int_equal(count, 2);
    assert_status(store_admin_upsert(st, &later, "", "x", &created, &second, ERR),
                  PP_INVALID_PARAMS);
    assert_status(store_admin_count(st, &count, ERR), PP_OK);
    assert_int_equal(count, 2);

    /* Audited with the e-mail given. */
    struct pp_audit_entry e;
    assert_int_equal(audit_count(st, "admin.create", &e), 2);
    assert_true(strcmp(e.subject, "two@example.test") == 0 ||
                strcmp(e.detail, "two@example.test") == 0);
    assert_int_equal(audit_count(st, "admin.password_reset", &e), 1);
    assert_true(strcmp(e.subject, "root@EXAMPLE.test") == 0 ||
                strcmp(e.detail, "root@EXAMPLE.test") == 0);
    assert_int_equal(e.at_ms, T0 + 7);
}

static void test_settings_put_get(void **state)
{
    struct any_fx *fx = *state;
    char value[64];
    int found = -1;
    strcpy(value, "junk");
    assert_status(store_setting_get(fx->st, "mode", value, sizeof value, &found, ERR), PP_OK);
    assert_int_equal(found, 0);
    assert_string_equal(value, "");

    struct store_write_ctx w = at(T0 + 3);
    const struct store_setting two[] = {{"mode", "live"}, {"empty", ""}};
    assert_status(store_settings_put(fx->st, &w, two, 2, "settings.change", "mode, empty", ERR),
                  PP_OK);
    assert_status(store_setting_get(fx->st, "mode", value, sizeof value, &found, ERR), PP_OK);
    assert_int_equal(found, 1);
    assert_string_equal(value, "live");
    assert_status(store_setting_get(fx->st, "empty", value, sizeof value, &found, ERR), PP_OK);
    assert_int_equal(found, 1);
    assert_string_equal(value, "");
    /* Truncation is an error, never a silently shortened value. */
    assert_status(store_setting_get(fx->st, "mode", value, 3, &found, ERR), PP_INTERNAL);

    /* An overwrite, unaudited. */
    const struct store_setting over = {"mode", "a longer value than before"};
    assert_status(store_settings_put(fx->st, &w, &over, 1, NULL, NULL, ERR), PP_OK);
    assert_status(store_setting_get(fx->st, "mode", value, sizeof value, &found, ERR), PP_OK);
    assert_int_equal(found, 1);
    assert_string_equal(value, "a longer value than before");

    char v[STORE_SETTINGS_READ_MAX][32];
    struct store_setting_read reads[STORE_SETTINGS_READ_MAX] = {
        {.key = "empty", .out = v[0], .out_size = sizeof v[0], .found = -1},
        {.key = "missing", .out = v[1], .out_size = sizeof v[1], .found = -1},
        {.key = "mode", .out = v[2], .out_size = sizeof v[2], .found = -1},
        {.key = "also-missing", .out = v[3], .out_size = sizeof v[3], .found = -1},
    };
    strcpy(v[1], "junk");
    assert_status(store_settings_get(fx->st, reads, STORE_SETTINGS_READ_MAX, ERR), PP_OK);
    assert_int_equal(reads[0].found, 1);
    assert_string_equal(v[0], "");
    assert_int_equal(reads[1].found, 0);
    assert_string_equal(v[1], "");
    assert_int_equal(reads[2].found, 1);
    assert_string_equal(v[2], "a longer value than before");
    assert_int_equal(reads[3].found, 0);
    assert_string_equal(v[3], "");

    /* Written means stored: a restart reads the same. */
    any_reopen(fx);
    assert_status(store_settings_get(fx->st, &reads[2], 1, ERR), PP_OK);
    assert_int_equal(reads[2].found, 1);
    assert_string_equal(v[2], "a longer value than before");

    struct pp_audit_entry e;
    assert_int_equal(audit_count(fx->st, "settings.change", &e), 1);
    assert_string_equal(e.detail, "mode, empty");
    struct pp_audit_filter all = {.limit = 10};
    struct pp_audit_entry out[10];
    size_t n = 0;
    int64_t total = 0;
    assert_status(store_audit_list(fx->st, &all, out, 10, &n, &total, ERR), PP_OK);
    assert_int_equal(total, 1);
}

/* --- Shared counters and leases ------------------------------------------------------ */

/* Milliseconds on this machine's monotonic clock. */
static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

/* A fixed window counter: values[0] the window's start on the database's
** clock, values[1] the calls counted in it; values[4] a mark that must
** survive between calls. */
struct window {
    int64_t window_ms;
    int calls;                          /* out: times fn ran */
    int64_t now_ms;                     /* out: the clock it was given */
    int64_t seen[STORE_COUNTER_VALUES]; /* out: the values it was given */
    int64_t count;                      /* out: the count after it */
};

static void window_count(void *ctx, int64_t now_ms, int64_t values[STORE_COUNTER_VALUES])
{
    struct window *w = ctx;
    memcpy(w->seen, values, sizeof w->seen);
    if (values[1] == 0 || now_ms - values[0] >= w->window_ms) {
        values[0] = now_ms;
        values[1] = 0;
    }
    values[1]++;
    values[4] = 4242;
    w->calls++;
    w->now_ms = now_ms;
    w->count = values[1];
}

static enum pp_status count_once(struct store *st, const char *key, struct window *w)
{
    struct store_counter_call call = {.key = key, .fn = window_count, .ctx = w};
    return store_counters_update(st, &call, 1, ERR);
}

/* Counts one key from several threads at once. */
struct racer {
    struct store *st;
    int rounds;
    int failures;
};

static void add_one(void *ctx, int64_t now_ms, int64_t values[STORE_COUNTER_VALUES])
{
    (void)ctx, (void)now_ms;
    values[1]++;
}

static void *racer_run(void *arg)
{
    struct racer *r = arg;
    struct store_counter_call call = {.key = "rate:shared", .fn = add_one, .ctx = NULL};
    for (int i = 0; i < r->rounds; i++) {
        struct pp_err err;
        pp_err_clear(&err);
        if (store_counters_update(r->st, &call, 1, &err) != PP_OK) {
            r->failures++;
        }
    }
    return NULL;
}

static int guard_never(const struct store_write_guard *g, const char *const *values)
{
    (void)g, (void)values;
    return 0;
}

/* Holds while the guarded setting reads "on". */
static int guard_on(const struct store_write_guard *g, const char *const *values)
{
    (void)g;
    return values[0] != NULL && strcmp(values[0], "on") == 0;
}

/* SQLite's one server keeps counters in memory: the store has none. */
static void counters_absent(struct store *st)
{
    struct window w = {.window_ms = 1000};
    int64_t deleted = -1;
    assert_status(count_once(st, "rate:window", &w), PP_INTERNAL);
    assert_int_equal(w.calls, 0);
    assert_status(store_counters_purge(st, 0, 100, &deleted, ERR), PP_INTERNAL);
}

static void test_counters_window_and_purge(void **state)
{
    struct store *st = st_of(state);
    assert_int_equal(store_shared(st), any_is_pg());
    if (!store_shared(st)) {
        counters_absent(st);
        return;
    }
    /* Five calls in one window are counted exactly; the values persist. */
    struct window w = {.window_ms = HOUR_MS};
    int64_t before = 0;
    for (int i = 1; i <= 5; i++) {
        assert_status(count_once(st, "rate:window", &w), PP_OK);
        assert_int_equal(w.calls, i);
        assert_int_equal(w.count, i);
        assert_true(w.now_ms >= before);
        before = w.now_ms;
        if (i == 1) {
            for (int k = 0; k < STORE_COUNTER_VALUES; k++) {
                assert_int_equal(w.seen[k], 0);
            }
        } else {
            assert_int_equal(w.seen[1], i - 1);
            assert_int_equal(w.seen[4], 4242);
        }
    }
    /* The database's clock is a real one (after T0), and it moves: a
    ** 1 ms window is over after a pause, and the count starts again. */
    assert_true(w.now_ms > T0);
    int64_t start = w.seen[0];
    sleep_ms(20);
    w.window_ms = 1;
    assert_status(count_once(st, "rate:window", &w), PP_OK);
    assert_int_equal(w.seen[1], 5);
    assert_int_equal(w.count, 1);
    assert_true(w.now_ms >= start + 20);

    /* Two counters in one call, given out of key order: each counted once. */
    struct window wz = {.window_ms = HOUR_MS};
    struct window wa = {.window_ms = HOUR_MS};
    struct store_counter_call pair[2] = {{"pair:z", window_count, &wz},
                                         {"pair:a", window_count, &wa}};
    assert_status(store_counters_update(st, pair, 2, ERR), PP_OK);
    assert_status(store_counters_update(st, pair, 2, ERR), PP_OK);
    assert_int_equal(wz.calls, 2);
    assert_int_equal(wz.count, 2);
    assert_int_equal(wa.calls, 2);
    assert_int_equal(wa.count, 2);

    /* Four threads at once: no update is lost. */
    enum { RACERS = 4, ROUNDS = 25 };
    pthread_t threads[RACERS];
    struct racer racers[RACERS];
    for (int i = 0; i < RACERS; i++) {
        racers[i] = (struct racer){.st = st, .rounds = ROUNDS};
        assert_int_equal(pthread_create(&threads[i], NULL, racer_run, &racers[i]), 0);
    }
    for (int i = 0; i < RACERS; i++) {
        assert_int_equal(pthread_join(threads[i], NULL), 0);
        assert_int_equal(racers[i].failures, 0);
    }
    struct window total = {.window_ms = HOUR_MS};
    assert_status(count_once(st, "rate:shared", &total), PP_OK);
    assert_int_equal(total.seen[1], RACERS * ROUNDS);

    /* A guard that refuses runs no fn and saves nothing. */
    struct store_write_guard never = {
        .keys = {"guard.flag"}, .count = 1, .holds = guard_never, .refusal = "revoked"};
    struct window refused = {.window_ms = HOUR_MS};
    store_write_guard_set(&never);
    enum pp_status s = count_once(st, "rate:guarded", &refused);
    store_write_guard_set(NULL);
    assert_status(s, PP_UNAUTHORIZED);
    assert_int_equal(refused.calls, 0);
    assert_int_equal(never.outcome, STORE_GUARD_REFUSED);
    /* One that holds reads the stored setting in the same update. */
    struct store_write_ctx sw = at(T0);
    const struct store_setting flag = {"guard.flag", "on"};
    assert_status(store_settings_put(st, &sw, &flag, 1, NULL, NULL, ERR), PP_OK);
    struct store_write_guard on = {
        .keys = {"guard.flag"}, .count = 1, .holds = guard_on, .refusal = "revoked"};
    store_write_guard_set(&on);
    s = count_once(st, "rate:guarded", &refused);
    store_write_guard_set(NULL);
    assert_status(s, PP_OK);
    assert_int_equal(on.outcome, STORE_GUARD_HELD);
    assert_int_equal(refused.calls, 1);
    assert_int_equal(refused.seen[1], 0);
    assert_int_equal(refused.count, 1);

    /* Purge: nothing is an hour idle; after a pause, one at a time, then
    ** the rest (rate:window, pair:a, pair:z, rate:shared, rate:guarded). */
    int64_t deleted = -1;
    assert_status(store_counters_purge(st, HOUR_MS, 100, &deleted, ERR), PP_OK);
    assert_int_equal(deleted, 0);
    sleep_ms(30);
    assert_status(store_counters_purge(st, 10, 1, &deleted, ERR), PP_OK);
    assert_int_equal(deleted, 1);
    assert_status(store_counters_purge(st, 10, 100, &deleted, ERR), PP_OK);
    assert_int_equal(deleted, 4);
    assert_status(store_counters_purge(st, 10, 100, NULL, ERR), PP_OK);
    /* A purged counter starts from zeros. */
    struct window fresh = {.window_ms = HOUR_MS};
    assert_status(count_once(st, "rate:window", &fresh), PP_OK);
    for (int k = 0; k < STORE_COUNTER_VALUES; k++) {
        assert_int_equal(fresh.seen[k], 0);
    }
    assert_int_equal(fresh.count, 1);
}

static void test_leases_one_holder(void **state)
{
    struct store *st = st_of(state);
    int held = -1;
    if (!store_shared(st)) {
        assert_status(store_lease_take(st, "expiry", "node-a", 1000, &held, ERR), PP_INTERNAL);
        assert_int_equal(held, 0);
        assert_status(store_lease_release(st, "expiry", "node-a", ERR), PP_INTERNAL);
        return;
    }
    /* A long lease: one holder, renewed by it, refused to the other. */
    assert_status(store_lease_take(st, "expiry", "node-a", HOUR_MS, &held, ERR), PP_OK);
    assert_int_equal(held, 1);
    assert_status(store_lease_take(st, "expiry", "node-b", HOUR_MS, &held, ERR), PP_OK);
    assert_int_equal(held, 0);
    assert_status(store_lease_take(st, "expiry", "node-a", HOUR_MS, &held, ERR), PP_OK);
    assert_int_equal(held, 1);
    /* Another lease name is another lease. */
    assert_status(store_lease_take(st, "reports", "node-b", HOUR_MS, &held, ERR), PP_OK);
    assert_int_equal(held, 1);
    /* Only the holder gives it up. */
    assert_status(store_lease_release(st, "expiry", "node-b", ERR), PP_OK);
    assert_status(store_lease_take(st, "expiry", "node-b", HOUR_MS, &held, ERR), PP_OK);
    assert_int_equal(held, 0);
    assert_status(store_lease_release(st, "expiry", "node-a", ERR), PP_OK);
    assert_status(store_lease_take(st, "expiry", "node-b", HOUR_MS, &held, ERR), PP_OK);
    assert_int_equal(held, 1);
    assert_status(store_lease_take(st, "expiry", "node-a", HOUR_MS, &held, ERR), PP_OK);
    assert_int_equal(held, 0);
    assert_status(store_lease_release(st, "never-taken", "node-a", ERR), PP_OK);

    /* A short lease runs out on the database's clock. The refusal is
    ** asserted only when this machine saw less than the ttl pass, so that
    ** a slow step cannot make the test lie. */
    const int64_t ttl_ms = 500;
    int64_t t0 = mono_ms();
    assert_status(store_lease_take(st, "short", "node-a", ttl_ms, &held, ERR), PP_OK);
    assert_int_equal(held, 1);
    assert_status(store_lease_take(st, "short", "node-b", ttl_ms, &held, ERR), PP_OK);
    if (mono_ms() - t0 < ttl_ms) {
        assert_int_equal(held, 0);
    }
    sleep_ms(ttl_ms + 100);
    assert_status(store_lease_take(st, "short", "node-b", HOUR_MS, &held, ERR), PP_OK);
    assert_int_equal(held, 1);
    assert_status(store_lease_take(st, "short", "node-a", ttl_ms, &held, ERR), PP_OK);
    assert_int_equal(held, 0);
}

/* --- The audit log ------------------------------------------------------------------ */

/* Each write above leaves its entry with its actor, newest first. */
static void test_audit_names_actor_and_action(void **state)
{
    struct store *st = st_of(state);
    struct pp_actor admin7 = {.kind = PP_ACTOR_ADMIN, .admin_id = 7, .addr = "10.0.0.7"};
    struct pp_actor key = {.kind = PP_ACTOR_INTEGRATOR, .admin_id = 0, .addr = "192.0.2.1"};
    struct pp_actor server = {.kind = PP_ACTOR_SYSTEM, .admin_id = 0, .addr = ""};
    struct store_write_ctx by_admin = {.actor = &admin7, .now_ms = T0 + 1};
    struct store_write_ctx by_key = {.actor = &key, .now_ms = T0 + 2};
    struct store_write_ctx by_server = {.actor = &server, .now_ms = T0 + 3};
    struct pp_user u;
    int created = 0;
    struct store_user_create in = {
        .email = "g@example.test", .password_hash = "h", .role = PP_ROLE_AUDITOR};
    assert_status(store_user_create(st, &by_admin, &in, &u, &created, ERR), PP_OK);
    const struct store_setting kv = {"k", "v"};
    assert_status(store_settings_put(st, &by_key, &kv, 1, "settings.key", "k", ERR), PP_OK);
    int64_t admin_id = 0;
    assert_status(
        store_admin_upsert(st, &by_server, "root@example.test", "h", &created, &admin_id, ERR),
        PP_OK);
    /* A refused write leaves no entry. */
    assert_status(store_user_create(st, &by_admin, &in, &u, &created, ERR), PP_CONFLICT);

    struct pp_audit_filter all = {.limit = 10};
    struct pp_audit_entry e[10];
    size_t n = 0;
    int64_t total = 0;
    assert_status(store_audit_list(st, &all, e, 10, &n, &total, ERR), PP_OK);
    assert_int_equal(n, 3);
    assert_int_equal(total, 3);
    assert_true(e[0].id > e[1].id && e[1].id > e[2].id);
    assert_string_equal(e[0].action, "admin.create");
    assert_int_equal(e[0].actor_kind, PP_ACTOR_SYSTEM);
    assert_int_equal(e[0].admin_id, 0);
    assert_string_equal(e[0].addr, "");
    assert_int_equal(e[0].at_ms, T0 + 3);
    assert_string_equal(e[1].action, "settings.key");
    assert_int_equal(e[1].actor_kind, PP_ACTOR_INTEGRATOR);
    assert_int_equal(e[1].admin_id, 0);
    assert_string_equal(e[1].addr, "192.0.2.1");
    assert_string_equal(e[1].subject, "");
    assert_string_equal(e[1].detail, "k");
    assert_int_equal(e[1].at_ms, T0 + 2);
    assert_string_equal(e[2].action, "user.create");
    assert_int_equal(e[2].actor_kind, PP_ACTOR_ADMIN);
    assert_int_equal(e[2].admin_id, 7);
    assert_string_equal(e[2].addr, "10.0.0.7");
    char subject[32];
    snprintf(subject, sizeof subject, "user:%lld", (long long)u.id);
    assert_string_equal(e[2].subject, subject);
    assert_string_equal(e[2].detail, "g@example.test auditor");
    assert_int_equal(e[2].at_ms, T0 + 1);

    /* Filters: by the acting admin, by the kind of actor, by time. */
    struct pp_audit_filter mine = {.admin_id = 7, .limit = 10};
    assert_status(store_audit_list(st, &mine, e, 10, &n, &total, ERR), PP_OK);
    assert_int_equal(total, 1);
    assert_string_equal(e[0].action, "user.create");
    struct pp_audit_filter keys = {
        .has_actor_kind = 1, .actor_kind = PP_ACTOR_INTEGRATOR, .limit = 10};
    assert_status(store_audit_list(st, &keys, e, 10, &n, &total, ERR), PP_OK);
    assert_int_equal(total, 1);
    assert_string_equal(e[0].action, "settings.key");
    struct pp_audit_filter window = {
        .has_from = 1, .from_ms = T0 + 2, .has_to = 1, .to_ms = T0 + 3, .limit = 1};
    assert_status(store_audit_list(st, &window, e, 10, &n, &total, ERR), PP_OK);
    assert_int_equal(total, 2);
    assert_int_equal(n, 1);
    assert_string_equal(e[0].action, "admin.create");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_session_expired_clock),
        cmocka_unit_test_setup_teardown(test_user_create_find_list, any_setup, any_teardown),
        cmocka_unit_test_setup_teardown(test_update_role_and_last_admin, any_setup, any_teardown),
        cmocka_unit_test_setup_teardown(test_sign_in_step_and_sessions, any_setup, any_teardown),
        cmocka_unit_test_setup_teardown(test_password_change_keeps_own_session, any_setup,
                                        any_teardown),
        cmocka_unit_test_setup_teardown(test_sessions_expire_on_the_clock, any_setup, any_teardown),
        cmocka_unit_test_setup_teardown(test_sessions_capped_per_user, any_setup, any_teardown),
        cmocka_unit_test_setup_teardown(test_two_factor_rules, any_setup, any_teardown),
        cmocka_unit_test_setup_teardown(test_sign_in_failed_audited, any_setup, any_teardown),
        cmocka_unit_test_setup_teardown(test_admins_upsert_find_count, any_setup, any_teardown),
        cmocka_unit_test_setup_teardown(test_settings_put_get, any_setup, any_teardown),
        cmocka_unit_test_setup_teardown(test_counters_window_and_purge, any_setup, any_teardown),
        cmocka_unit_test_setup_teardown(test_leases_one_holder, any_setup, any_teardown),
        cmocka_unit_test_setup_teardown(test_audit_names_actor_and_action, any_setup, any_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
