/*
** This module implements the unit tests of sec/passwords.c: the stored
** text's shape, a known-answer vector computed independently (Python's
** hashlib.pbkdf2_hmac), matching and non-matching passwords, length
** bounds, a table of malformed stored texts, and the burn for unknown
** e-mails. All use 1000 iterations for speed except one default-cost test.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "payout/sec/passwords.h"

#define FAST_ITERATIONS 1000u
#define PASSWORD "correct horse battery staple"

/* hashlib.pbkdf2_hmac('sha256', b'correct horse battery staple',
**                     bytes(range(16)), 1000).hex() */
#define KNOWN_SALT "000102030405060708090a0b0c0d0e0f"
#define KNOWN_HASH "a69b179e3add3c1e0aaf227a0eb3aa2aa8645ab86fecf6ca00c17512697c719e"
#define KNOWN_STORED "pbkdf2-sha256$1000$" KNOWN_SALT "$" KNOWN_HASH

static int is_lower_hex(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f'))) {
            return 0;
        }
    }
    return 1;
}

static int verify(const char *password, size_t len, const char *stored, int *match)
{
    struct pp_err err;
    pp_err_clear(&err);
    enum pp_status status = sec_password_verify(password, len, stored, match, &err);
    assert_int_equal(err.status, status);
    return (int)status;
}

static void hash_text_shape(void **state)
{
    (void)state;
    char out[PP_PASSWORD_HASH_TEXT_BYTES];
    static const char prefix[] = "pbkdf2-sha256$1000$";
    const size_t prefix_len = sizeof prefix - 1;

    memset(out, '#', sizeof out);
    assert_int_equal(
        sec_password_hash(PASSWORD, strlen(PASSWORD), FAST_ITERATIONS, out, sizeof out, NULL),
        PP_OK);
    assert_int_equal(strlen(out), prefix_len + 32 + 1 + 64);
    assert_memory_equal(out, prefix, prefix_len);
    assert_true(is_lower_hex(out + prefix_len, 32));
    assert_int_equal(out[prefix_len + 32], '$');
    assert_true(is_lower_hex(out + prefix_len + 33, 64));
}

static void hash_is_salted(void **state)
{
    (void)state;
    char a[PP_PASSWORD_HASH_TEXT_BYTES];
    char b[PP_PASSWORD_HASH_TEXT_BYTES];
    int match = 0;

    assert_int_equal(
        sec_password_hash(PASSWORD, strlen(PASSWORD), FAST_ITERATIONS, a, sizeof a, NULL), PP_OK);
    assert_int_equal(
        sec_password_hash(PASSWORD, strlen(PASSWORD), FAST_ITERATIONS, b, sizeof b, NULL), PP_OK);
    assert_string_not_equal(a, b);
    assert_int_equal(verify(PASSWORD, strlen(PASSWORD), a, &match), PP_OK);
    assert_int_equal(match, 1);
    assert_int_equal(verify(PASSWORD, strlen(PASSWORD), b, &match), PP_OK);
    assert_int_equal(match, 1);
}

static void known_answer(void **state)
{
    (void)state;
    int match = 0;

    assert_int_equal(verify(PASSWORD, strlen(PASSWORD), KNOWN_STORED, &match), PP_OK);
    assert_int_equal(match, 1);
    /* The same salt and hash claimed at 1001 iterations must not match. */
    assert_int_equal(
        verify(PASSWORD, strlen(PASSWORD), "pbkdf2-sha256$1001$" KNOWN_SALT "$" KNOWN_HASH, &match),
        PP_OK);
    assert_int_equal(match, 0);
}

static void verify_candidates(void **state)
{
    (void)state;
    static const struct {
        const char *password;
        size_t len;
        int match;
    } cases[] = {
        {PASSWORD, sizeof PASSWORD - 1, 1},
        {"Correct horse battery staple", sizeof PASSWORD - 1, 0},
        {"correct horse battery staplE", sizeof PASSWORD - 1, 0},
        {"correct horse battery stapl", sizeof PASSWORD - 2, 0},
        {"correct horse battery staple ", sizeof PASSWORD, 0},
        /* HMAC pads short keys with zeros, so PBKDF2 cannot tell a password
        ** from itself plus trailing NULs. Harmless (it takes knowing the
        ** password) and JSON strings carry no NUL; pinned here so it is known. */
        {"correct horse battery staple\0", sizeof PASSWORD, 1},
        {"correct horse battery staple\0x", sizeof PASSWORD + 1, 0},
        {"CORRECT HORSE BATTERY STAPLE", sizeof PASSWORD - 1, 0},
        {"", 0, 0},
        {NULL, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int match = -1;
        assert_int_equal(verify(cases[i].password, cases[i].len, KNOWN_STORED, &match), PP_OK);
        assert_int_equal(match, cases[i].match);
    }
}

/* Passwords are bytes, NUL included: nothing after a NUL is ignored. */
static void password_with_nul(void **state)
{
    (void)state;
    static const char pw[] = "abc\0defghijklmnop";
    static const char other[] = "abc\0XXXXXXXXXXXXX";
    char stored[PP_PASSWORD_HASH_TEXT_BYTES];
    int match = 0;

    assert_int_equal(
        sec_password_hash(pw, sizeof pw - 1, FAST_ITERATIONS, stored, sizeof stored, NULL), PP_OK);
    assert_int_equal(verify(pw, sizeof pw - 1, stored, &match), PP_OK);
    assert_int_equal(match, 1);
    assert_int_equal(verify(other, sizeof other - 1, stored, &match), PP_OK);
    assert_int_equal(match, 0);
    assert_int_equal(verify(pw, 3, stored, &match), PP_OK);
    assert_int_equal(match, 0);
}

static void hash_length_bounds(void **state)
{
    (void)state;
    static const struct {
        size_t len;
        enum pp_status status;
    } cases[] = {
        {0, PP_INVALID_PARAMS},
        {1, PP_INVALID_PARAMS},
        {PP_ADMIN_PASSWORD_BYTES_MIN - 1, PP_INVALID_PARAMS},
        {PP_ADMIN_PASSWORD_BYTES_MIN, PP_OK},
        {PP_ADMIN_PASSWORD_BYTES_MAX, PP_OK},
        {PP_ADMIN_PASSWORD_BYTES_MAX + 1, PP_INVALID_PARAMS},
        {4096, PP_INVALID_PARAMS},
    };
    char password[4096];
    memset(password, 'p', sizeof password);

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[PP_PASSWORD_HASH_TEXT_BYTES];
        struct pp_err err;
        int match = -1;
        pp_err_clear(&err);
        memset(out, '#', sizeof out);
        assert_int_equal(
            sec_password_hash(password, cases[i].len, FAST_ITERATIONS, out, sizeof out, &err),
            cases[i].status);
        assert_int_equal(err.status, cases[i].status);
        if (cases[i].status == PP_OK) {
            assert_int_equal(verify(password, cases[i].len, out, &match), PP_OK);
            assert_int_equal(match, 1);
        } else {
            assert_string_equal(out, "");
            assert_non_null(strstr(err.message, "password must be"));
        }
    }
}

/* Over the maximum never matches, and is not an error: the login fails
** like any wrong password. */
static void verify_too_long(void **state)
{
    (void)state;
    char password[PP_ADMIN_PASSWORD_BYTES_MAX + 2];
    char stored[PP_PASSWORD_HASH_TEXT_BYTES];
    int match = -1;

    memset(password, 'q', sizeof password);
    assert_int_equal(sec_password_hash(password, PP_ADMIN_PASSWORD_BYTES_MAX, FAST_ITERATIONS,
                                       stored, sizeof stored, NULL),
                     PP_OK);
    assert_int_equal(verify(password, PP_ADMIN_PASSWORD_BYTES_MAX, stored, &match), PP_OK);
    assert_int_equal(match, 1);
    assert_int_equal(verify(password, PP_ADMIN_PASSWORD_BYTES_MAX + 1, stored, &match), PP_OK);
    assert_int_equal(match, 0);
}

static void verify_malformed(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "",
        "pbkdf2-sha256$",
        "pbkdf2-sha256$1000",
        "pbkdf2-sha256$1000$",
        "pbkdf2-sha256$1000$" KNOWN_SALT,
        "pbkdf2-sha256$1000$" KNOWN_SALT "$",
        "pbkdf2-sha512$1000$" KNOWN_SALT "$" KNOWN_HASH,
        "PBKDF2-SHA256$1000$" KNOWN_SALT "$" KNOWN_HASH,
        "pbkdf2_sha256$1000$" KNOWN_SALT "$" KNOWN_HASH,
        "$pbkdf2-sha256$1000$" KNOWN_SALT "$" KNOWN_HASH,
        " pbkdf2-sha256$1000$" KNOWN_SALT "$" KNOWN_HASH,
        "pbkdf2-sha256$999$" KNOWN_SALT "$" KNOWN_HASH,
        "pbkdf2-sha256$0$" KNOWN_SALT "$" KNOWN_HASH,
        "pbkdf2-sha256$01000$" KNOWN_SALT "$" KNOWN_HASH,
        "pbkdf2-sha256$+1000$" KNOWN_SALT "$" KNOWN_HASH,
        "pbkdf2-sha256$-1000$" KNOWN_SALT "$" KNOWN_HASH,
        "pbkdf2-sha256$ 1000$" KNOWN_SALT "$" KNOWN_HASH,
        "pbkdf2-sha256$1000 $" KNOWN_SALT "$" KNOWN_HASH,
        "pbkdf2-sha256$1e3$" KNOWN_SALT "$" KNOWN_HASH,
        "pbkdf2-sha256$10000001$" KNOWN_SALT "$" KNOWN_HASH,
        "pbkdf2-sha256$99999999$" KNOWN_SALT "$" KNOWN_HASH,
        "pbkdf2-sha256$100000000$" KNOWN_SALT "$" KNOWN_HASH,
        "pbkdf2-sha256$4294968296$" KNOWN_SALT "$" KNOWN_HASH, /* 2^32 + 1000 */
        "pbkdf2-sha256$$" KNOWN_SALT "$" KNOWN_HASH,
        "pbkdf2-sha256$1000$$" KNOWN_SALT "$" KNOWN_HASH,
        "pbkdf2-sha256$1000$" KNOWN_SALT "$$" KNOWN_HASH,
        "pbkdf2-sha256$1000$" KNOWN_SALT "$" KNOWN_HASH "$",
        "pbkdf2-sha256$1000$" KNOWN_SALT "$" KNOWN_HASH "0",
        "pbkdf2-sha256$1000$" KNOWN_SALT "$" KNOWN_HASH " ",
        "pbkdf2-sha256$1000$" KNOWN_SALT "$" KNOWN_HASH "\n",
        "pbkdf2-sha256$1000$" KNOWN_SALT "00$" KNOWN_HASH,                 /* salt too long */
        "pbkdf2-sha256$1000$0001020304050607080900a0b0c0d0e$" KNOWN_HASH,  /* 31 digits */
        "pbkdf2-sha256$1000$000102030405060708090A0B0C0D0E0F$" KNOWN_HASH, /* upper case */
        "pbkdf2-sha256$1000$000102030405060708090a0b0c0d0e0g$" KNOWN_HASH,
        "pbkdf2-sha256$1000$" KNOWN_SALT
        "$a69b179e3add3c1e0aaf227a0eb3aa2aa8645ab86fecf6ca00c17512697c719",
        "pbkdf2-sha256$1000$" KNOWN_SALT
        "$A69B179E3ADD3C1E0AAF227A0EB3AA2AA8645AB86FECF6CA00C17512697C719E",
        "pbkdf2-sha256$1000$" KNOWN_SALT
        "$a69b179e3add3c1e0aaf227a0eb3aa2aa8645ab86fecf6ca00c17512697c71 e",
        "plain text password",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int match = -1;
        struct pp_err err;
        pp_err_clear(&err);
        assert_int_equal(sec_password_verify(PASSWORD, strlen(PASSWORD), cases[i], &match, &err),
                         PP_INTERNAL);
        assert_int_equal(err.status, PP_INTERNAL);
        assert_int_equal(match, 0);
        assert_null(strstr(err.message, PASSWORD));
    }
}

/* A stored text as long as the buffer (no NUL inside) is refused. */
static void verify_overlong_stored(void **state)
{
    (void)state;
    char stored[PP_PASSWORD_HASH_TEXT_BYTES * 2];
    int match = -1;

    memset(stored, 'a', sizeof stored - 1);
    stored[sizeof stored - 1] = '\0';
    memcpy(stored, KNOWN_STORED, strlen(KNOWN_STORED));
    assert_int_equal(verify(PASSWORD, strlen(PASSWORD), stored, &match), PP_INTERNAL);
    assert_int_equal(match, 0);
}

static double thread_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The one test at full cost: the default iteration count is used and
** recorded, and a burn costs about as much CPU as a real verification. */
static void default_iterations_and_burn(void **state)
{
    (void)state;
    char stored[PP_PASSWORD_HASH_TEXT_BYTES];
    char expect[32];
    int match = 0;

    assert_int_equal(sec_password_hash(PASSWORD, strlen(PASSWORD), 0, stored, sizeof stored, NULL),
                     PP_OK);
    snprintf(expect, sizeof expect, "pbkdf2-sha256$%u$", PP_PBKDF2_ITERATIONS);
    assert_memory_equal(stored, expect, strlen(expect));

    sec_password_burn("warm up", 7); /* the first burn also makes the dummy hash */
    double t0 = thread_seconds();
    assert_int_equal(verify(PASSWORD, strlen(PASSWORD), stored, &match), PP_OK);
    double t1 = thread_seconds();
    sec_password_burn(PASSWORD, strlen(PASSWORD));
    double t2 = thread_seconds();
    assert_int_equal(match, 1);
    /* CPU time, not wall time, so a busy machine does not skew it; the
    ** bounds are loose because only the order of magnitude matters. */
    assert_true(t2 - t1 > 0.3 * (t1 - t0));
    assert_true(t2 - t1 < 3.0 * (t1 - t0));
}

static void burn_edge_lengths(void **state)
{
    (void)state;
    char long_password[PP_ADMIN_PASSWORD_BYTES_MAX + 10];
    memset(long_password, 'x', sizeof long_password);
    sec_password_burn("", 0);
    sec_password_burn(NULL, 0);
    sec_password_burn(long_password, PP_ADMIN_PASSWORD_BYTES_MAX);
    sec_password_burn(long_password, sizeof long_password);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hash_text_shape),        cmocka_unit_test(hash_is_salted),
        cmocka_unit_test(known_answer),           cmocka_unit_test(verify_candidates),
        cmocka_unit_test(password_with_nul),      cmocka_unit_test(hash_length_bounds),
        cmocka_unit_test(verify_too_long),        cmocka_unit_test(verify_malformed),
        cmocka_unit_test(verify_overlong_stored), cmocka_unit_test(default_iterations_and_burn),
        cmocka_unit_test(burn_edge_lengths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
