/*
** This module implements admin password storage: PBKDF2-HMAC-SHA256 with a
** fresh 16-byte salt per password, stored as the self-describing text
**     "pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>"
** (lower-case hex, 32-byte hash), strict parsing of that text, and
** constant-time verification. It also burns the time of one verification
** for logins whose e-mail is unknown.
**
** It does not store or log passwords, and does not decide password policy
** beyond the length bounds in limits.h.
*/
#include "payout/sec/passwords.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "payout/base/assert.h"
#include "payout/sec/secrets.h"

#define HASH_PREFIX "pbkdf2-sha256$"
#define HASH_PREFIX_CHARS (sizeof HASH_PREFIX - 1)
/* The derived key: SHA-256's own size. */
#define HASH_BYTES 32u
/* Accepted iteration counts. The floor refuses hashes too cheap to slow an
** attacker (and lets tests stay fast); the ceiling bounds a login's cost. */
#define ITERATIONS_MIN PP_PBKDF2_ITERATIONS_MIN
#define ITERATIONS_MAX PP_PBKDF2_ITERATIONS_MAX
/* Digits of ITERATIONS_MAX. */
#define ITERATIONS_DIGITS_MAX 8u

_Static_assert(PP_PBKDF2_ITERATIONS >= ITERATIONS_MIN && PP_PBKDF2_ITERATIONS <= ITERATIONS_MAX,
               "default iterations outside the accepted range");
/* Prefix, 8 digits, 2*16 + 2*32 hex, three '$' and a NUL. */
_Static_assert(PP_PASSWORD_HASH_TEXT_BYTES >= HASH_PREFIX_CHARS + ITERATIONS_DIGITS_MAX +
                                                  2 * PP_PASSWORD_SALT_BYTES + 2 * HASH_BYTES + 3,
               "PP_PASSWORD_HASH_TEXT_BYTES too small");
_Static_assert(PP_ADMIN_PASSWORD_BYTES_MAX <= INT32_MAX, "PKCS5_PBKDF2_HMAC takes an int length");

/* Iterations of new hashes and of the burn (sec_password_set_iterations). */
static unsigned hash_iterations = PP_PBKDF2_ITERATIONS;

/* A stored hash, parsed. */
struct stored_hash {
    unsigned iterations;
    uint8_t salt[PP_PASSWORD_SALT_BYTES];
    uint8_t hash[HASH_BYTES];
};

/* Derives HASH_BYTES from password and salt. 1 on success, 0 if OpenSSL
** fails. */
static int pbkdf2(const char *password, size_t len, const uint8_t *salt, unsigned iterations,
                  uint8_t out[HASH_BYTES])
{
    static const char empty = '\0';

    PP_ASSERT(len <= PP_ADMIN_PASSWORD_BYTES_MAX);
    PP_ASSERT(iterations >= ITERATIONS_MIN && iterations <= ITERATIONS_MAX);
    return PKCS5_PBKDF2_HMAC(len == 0 ? &empty : password, (int)len, salt, PP_PASSWORD_SALT_BYTES,
                             (int)iterations, EVP_sha256(), (int)HASH_BYTES, out) == 1;
}

/* 1 when p[0..n) are all lower-case hex digits. Stored text is canonical:
** upper case is refused so that one hash has exactly one spelling. */
static int is_lower_hex(const char *p, size_t n)
{
    int ok = 1;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            ok = 0;
        }
    }
    return ok;
}

/* Parses the iteration count at *p (decimal, no sign, no leading zero, in
** range) and advances *p past it. 1 on success. */
static int parse_iterations(const char **p, unsigned *out)
{
    const char *s = *p;
    unsigned value = 0;
    size_t digits = 0;
    int ok = 0;

    if (s[0] == '0') {
        goto done;
    }
    while (digits < ITERATIONS_DIGITS_MAX && s[digits] >= '0' && s[digits] <= '9') {
        value = value * 10u + (unsigned)(s[digits] - '0');
        digits++;
    }
    if (digits == 0 || value < ITERATIONS_MIN || value > ITERATIONS_MAX) {
        goto done;
    }
    *out = value;
    *p = s + digits;
    ok = 1;
done:
    return ok;
}

/* Parses stored text strictly into *out. 1 on success, 0 if malformed. */
static int parse_stored(const char *stored, struct stored_hash *out)
{
    const char *p = stored;
    int ok = 0;

    /* Anything as long as the buffer it came from is not ours. */
    if (strnlen(stored, PP_PASSWORD_HASH_TEXT_BYTES) >= PP_PASSWORD_HASH_TEXT_BYTES) {
        goto done;
    }
    if (strncmp(p, HASH_PREFIX, HASH_PREFIX_CHARS) != 0) {
        goto done;
    }
    p += HASH_PREFIX_CHARS;
    if (!parse_iterations(&p, &out->iterations) || *p != '$') {
        goto done;
    }
    p++;
    /* The salt and its '$' must be there before we look at them. */
    if (strnlen(p, 2 * PP_PASSWORD_SALT_BYTES + 1) != 2 * PP_PASSWORD_SALT_BYTES + 1) {
        goto done;
    }
    if (!is_lower_hex(p, 2 * PP_PASSWORD_SALT_BYTES) || p[2 * PP_PASSWORD_SALT_BYTES] != '$') {
        goto done;
    }
    if (!sec_hex_decode(p, 2 * PP_PASSWORD_SALT_BYTES, out->salt, sizeof out->salt)) {
        goto done;
    }
    p += 2 * PP_PASSWORD_SALT_BYTES + 1;
    if (strlen(p) != 2 * HASH_BYTES || !is_lower_hex(p, 2 * HASH_BYTES)) {
        goto done;
    }
    ok = sec_hex_decode(p, 2 * HASH_BYTES, out->hash, sizeof out->hash);
done:
    return ok;
}

/* Writes the stored text for iterations, salt and hash into out. */
static void format_stored(unsigned iterations, const uint8_t *salt, const uint8_t *hash, char *out,
                          size_t out_size)
{
    char salt_hex[2 * PP_PASSWORD_SALT_BYTES + 1];
    char hash_hex[2 * HASH_BYTES + 1];

    sec_hex_encode(salt, PP_PASSWORD_SALT_BYTES, salt_hex);
    sec_hex_encode(hash, HASH_BYTES, hash_hex);
    int n = snprintf(out, out_size, "%s%u$%s$%s", HASH_PREFIX, iterations, salt_hex, hash_hex);
    PP_ASSERT(n > 0 && (size_t)n < out_size);
    sec_wipe(hash_hex, sizeof hash_hex);
}

enum pp_status sec_password_hash(const char *password, size_t len, unsigned iterations, char *out,
                                 size_t out_size, struct pp_err *err)
{
    enum pp_status status = PP_OK;
    uint8_t salt[PP_PASSWORD_SALT_BYTES];
    uint8_t hash[HASH_BYTES];

    PP_ASSERT(password != NULL || len == 0);
    PP_ASSERT(out != NULL && out_size >= PP_PASSWORD_HASH_TEXT_BYTES);
    out[0] = '\0';
    if (iterations == 0) {
        iterations = hash_iterations;
    }
    PP_ASSERT(iterations >= ITERATIONS_MIN && iterations <= ITERATIONS_MAX);
    if (len < PP_ADMIN_PASSWORD_BYTES_MIN || len > PP_ADMIN_PASSWORD_BYTES_MAX) {
        status = pp_err_set(err, PP_INVALID_PARAMS, "password must be %d to %d bytes long",
                            PP_ADMIN_PASSWORD_BYTES_MIN, PP_ADMIN_PASSWORD_BYTES_MAX);
        goto done;
    }
    status = sec_random_bytes(salt, sizeof salt, err);
    if (status != PP_OK) {
        goto done;
    }
    if (!pbkdf2(password, len, salt, iterations, hash)) {
        status = pp_err_set(err, PP_INTERNAL, "password hashing failed");
        goto done;
    }
    format_stored(iterations, salt, hash, out, out_size);
done:
    sec_wipe(hash, sizeof hash);
    return status;
}

enum pp_status sec_password_verify(const char *password, size_t len, const char *stored,
                                   int *match_out, struct pp_err *err)
{
    enum pp_status status = PP_OK;
    struct stored_hash parsed;
    uint8_t hash[HASH_BYTES];

    PP_ASSERT(password != NULL || len == 0);
    PP_ASSERT(stored != NULL && match_out != NULL);
    *match_out = 0;
    memset(&parsed, 0, sizeof parsed);
    memset(hash, 0, sizeof hash);
    if (!parse_stored(stored, &parsed)) {
        status = pp_err_set(err, PP_INTERNAL, "stored password hash is malformed");
        goto done;
    }
    /* Too long to be any admin's password: refuse without paying for it. */
    if (len > PP_ADMIN_PASSWORD_BYTES_MAX) {
        goto done;
    }
    if (!pbkdf2(password, len, parsed.salt, parsed.iterations, hash)) {
        status = pp_err_set(err, PP_INTERNAL, "password hashing failed");
        goto done;
    }
    *match_out = CRYPTO_memcmp(hash, parsed.hash, HASH_BYTES) == 0;
done:
    sec_wipe(hash, sizeof hash);
    sec_wipe(&parsed, sizeof parsed);
    return status;
}

void sec_password_set_iterations(unsigned iterations)
{
    PP_ASSERT(iterations >= ITERATIONS_MIN && iterations <= ITERATIONS_MAX);
    hash_iterations = iterations;
}

/* The hash sec_password_burn verifies against: a real one, of a password
** no one has, made once with the configured iterations and a fixed salt. */
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static char dummy_stored[PP_PASSWORD_HASH_TEXT_BYTES];

static void dummy_init(void)
{
    static const char dummy_password[] = "payout-panel: no such admin";
    uint8_t salt[PP_PASSWORD_SALT_BYTES];
    uint8_t hash[HASH_BYTES];

    memset(salt, 0x5a, sizeof salt);
    memset(hash, 0, sizeof hash);
    /* If OpenSSL fails here the zero hash still makes a well-formed text,
    ** so a burn still spends a full derivation. */
    (void)pbkdf2(dummy_password, sizeof dummy_password - 1, salt, hash_iterations, hash);
    format_stored(hash_iterations, salt, hash, dummy_stored, sizeof dummy_stored);
}

void sec_password_burn(const char *password, size_t len)
{
    int match = 0;

    PP_ASSERT(password != NULL || len == 0);
    int rc = pthread_once(&dummy_once, dummy_init);
    PP_ASSERT(rc == 0);
    (void)sec_password_verify(password, len, dummy_stored, &match, NULL);
}
