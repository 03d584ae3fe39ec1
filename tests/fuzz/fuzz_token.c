/*
** This module implements the fuzz target of token verification
** (sec/jwt.c) with a fixed key. The first input byte picks a mode:
** - 0: the rest is a token; sec_jwt_verify must refuse it with
**   PP_UNAUTHORIZED and a message, or accept it with well-formed claims
**   (a forgery would need the key, so in practice: refuse);
** - 1: a token issued by sec_jwt_issue is edited by the rest of the input
**   (overwrite, insert and delete operations); the edited token verifies if
**   and only if it is byte for byte the issued one, with the same claims;
** - 2: the rest sets claims and a clock: a token issued for them verifies
**   exactly when it is neither expired nor issued in the future beyond the
**   skew, and then gives back the same claims.
*/
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "payout/sec/jwt.h"

static const uint8_t key[PP_JWT_KEY_BYTES] = {
    0x70, 0x61, 0x79, 0x6f, 0x75, 0x74, 0x2d, 0x70, 0x61, 0x6e, 0x65, 0x6c, 0x2d, 0x66, 0x75, 0x7a,
    0x7a, 0x2d, 0x6b, 0x65, 0x79, 0x2d, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39,
};

/* 2030-01-01T00:00:00Z: the clock of modes 0 and 1. */
#define NOW_S 1893456000LL
/* Edits applied in mode 1 at most. */
#define EDITS_MAX 16u

static int claims_equal(const struct sec_claims *a, const struct sec_claims *b)
{
    return a->role == b->role && a->subject == b->subject && a->generation == b->generation &&
           a->iat_s == b->iat_s && a->exp_s == b->exp_s;
}

static void verify_any(const uint8_t *data, size_t size)
{
    struct sec_claims claims;
    struct pp_err err = {0};
    if (sec_jwt_verify(key, (const char *)data, size, NOW_S, &claims, &err) == PP_OK) {
        FUZZ_CHECK(claims.role == SEC_ROLE_INTEGRATOR || claims.role == SEC_ROLE_ADMIN);
        FUZZ_CHECK(claims.exp_s > NOW_S && claims.iat_s >= 0);
    } else {
        FUZZ_CHECK(err.status == PP_UNAUTHORIZED && err.message[0] != '\0');
    }
}

static void verify_edited(const uint8_t *data, size_t size)
{
    static const struct sec_claims issued = {SEC_ROLE_ADMIN, 7, 3, NOW_S - 10, NOW_S + 3600};
    char *token = NULL;
    struct pp_err err = {0};
    FUZZ_CHECK(sec_jwt_issue(key, &issued, &token, &err) == PP_OK);
    size_t len = strlen(token);
    size_t cap = len + EDITS_MAX + 1;
    char *edited = malloc(cap);
    FUZZ_CHECK(edited != NULL);
    memcpy(edited, token, len + 1);
    /* Each edit: op, position (2 bytes), byte. */
    for (size_t i = 0, n = 0; i + 4 <= size && n < EDITS_MAX; i += 4, n++) {
        size_t pos = ((size_t)data[i + 1] << 8 | data[i + 2]) % (len + 1);
        unsigned op = data[i] % 3u;
        if (op == 0 && pos < len) {
            edited[pos] = (char)data[i + 3];
        } else if (op == 1) {
            memmove(edited + pos + 1, edited + pos, len - pos + 1);
            edited[pos] = (char)data[i + 3];
            len++;
        } else if (pos < len) {
            memmove(edited + pos, edited + pos + 1, len - pos);
            len--;
        }
    }
    struct sec_claims claims;
    int same = len == strlen(token) && memcmp(edited, token, len) == 0;
    enum pp_status st = sec_jwt_verify(key, edited, len, NOW_S, &claims, &err);
    FUZZ_CHECK(same ? st == PP_OK && claims_equal(&claims, &issued) : st == PP_UNAUTHORIZED);
    free(edited);
    free(token);
}

static int64_t read_i64(const uint8_t *p)
{
    uint64_t v = 0;
    memcpy(&v, p, sizeof v);
    return (int64_t)(v >> 2); /* non-negative, with room to add */
}

static void verify_claims(const uint8_t *data, size_t size)
{
    if (size < 33) {
        return;
    }
    struct sec_claims want = {0};
    want.role = (data[0] & 1u) ? SEC_ROLE_ADMIN : SEC_ROLE_INTEGRATOR;
    want.subject = want.role == SEC_ROLE_ADMIN ? read_i64(data + 1) + 1 : 0;
    want.generation = (int64_t)((uint64_t)read_i64(data + 9) - (1ull << 60)); /* any sign */
    want.iat_s = read_i64(data + 17) % (1LL << 40);
    want.exp_s = want.iat_s + 1 + read_i64(data + 25) % (1LL << 40);
    int64_t now_s = (int64_t)(data[0] >> 1) * 30 + want.iat_s - 1920; /* around iat */
    now_s = now_s < 0 ? 0 : now_s;
    char *token = NULL;
    struct pp_err err = {0};
    FUZZ_CHECK(sec_jwt_issue(key, &want, &token, &err) == PP_OK);
    struct sec_claims got;
    enum pp_status st = sec_jwt_verify(key, token, strlen(token), now_s, &got, &err);
    int valid = want.exp_s > now_s && want.iat_s <= now_s + PP_TOKEN_CLOCK_SKEW_S;
    FUZZ_CHECK(valid ? st == PP_OK && claims_equal(&got, &want) : st == PP_UNAUTHORIZED);
    free(token);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return 0;
    }
    unsigned mode = data[0] % 3u;
    if (mode == 0) {
        verify_any(data + 1, size - 1);
    } else if (mode == 1) {
        verify_edited(data + 1, size - 1);
    } else {
        verify_claims(data + 1, size - 1);
    }
    return 0;
}
