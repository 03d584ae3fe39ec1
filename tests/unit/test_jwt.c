/*
** This module implements the unit tests of sec/jwt.c. Besides the round
** trip, most tests are a table of hand-built tokens (header and payload
** JSON, signed here with OpenSSL's HMAC or not at all) that must be
** refused: "alg":"none", HS512 under the same key, RS256, tampered
** payloads and signatures, other keys, bad claims, expired and
** not-yet-valid tokens, and malformed text. Every refusal is checked to be
** PP_UNAUTHORIZED with a short message that does not echo the token.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "payout/sec/jwt.h"

#define NOW 1700000000
#define TOKEN_BUF_BYTES 8192

static const uint8_t key[PP_JWT_KEY_BYTES] = "0123456789abcdef0123456789abcdef";
static const uint8_t other_key[PP_JWT_KEY_BYTES] = "0123456789abcdef0123456789abcdeF";

#define HDR "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"
#define ADMIN_CLAIMS "\"role\":\"admin\",\"sub\":\"42\",\"gen\":3"
#define INTEGRATOR_CLAIMS "\"role\":\"integrator\",\"sub\":\"integrator\",\"gen\":7"
#define TIMES "\"iat\":1699999990,\"exp\":1700003600"
#define PAYLOAD "{" TIMES "," ADMIN_CLAIMS "}"

/* How a crafted token is signed. */
enum sig_mode {
    SIG_HS256, /* HMAC-SHA256 with `key` */
    SIG_HS256_OTHER_KEY,
    SIG_HS512,     /* HMAC-SHA512 with `key` */
    SIG_HS384,     /* HMAC-SHA384 with `key` */
    SIG_EMPTY,     /* "header.payload." as alg none has it */
    SIG_NONE,      /* "header.payload", two parts */
    SIG_GARBAGE,   /* 43 base64url characters, no signature */
    SIG_TRUNCATED, /* a real HS256 signature minus its last character */
    SIG_PADDED,    /* a real HS256 signature plus "=" */
};

static void b64url(const void *in, size_t len, char *out)
{
    static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const uint8_t *p = in;
    size_t o = 0;
    size_t i = 0;

    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        out[o++] = digits[v >> 18 & 63];
        out[o++] = digits[v >> 12 & 63];
        out[o++] = digits[v >> 6 & 63];
        out[o++] = digits[v & 63];
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        out[o++] = digits[v >> 18 & 63];
        out[o++] = digits[v >> 12 & 63];
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        out[o++] = digits[v >> 18 & 63];
        out[o++] = digits[v >> 12 & 63];
        out[o++] = digits[v >> 6 & 63];
    }
    out[o] = '\0';
}

/* Builds b64(header) "." b64(payload) and a signature per mode. The
** signature covers b64(signed_payload) when it is not NULL: a token whose
** payload was changed after signing. */
static void craft(char *out, const char *header, const char *payload, const char *signed_payload,
                  enum sig_mode mode)
{
    static char signing[TOKEN_BUF_BYTES];
    uint8_t mac[EVP_MAX_MD_SIZE];
    unsigned mac_len = 0;
    const EVP_MD *md = mode == SIG_HS512   ? EVP_sha512()
                       : mode == SIG_HS384 ? EVP_sha384()
                                           : EVP_sha256();
    const uint8_t *mac_key = mode == SIG_HS256_OTHER_KEY ? other_key : key;
    size_t n;

    b64url(header, strlen(header), out);
    n = strlen(out);
    out[n++] = '.';
    b64url(payload, strlen(payload), out + n);
    if (mode == SIG_NONE) {
        return;
    }
    b64url(header, strlen(header), signing);
    n = strlen(signing);
    signing[n++] = '.';
    b64url(signed_payload ? signed_payload : payload,
           strlen(signed_payload ? signed_payload : payload), signing + n);
    assert_non_null(HMAC(md, mac_key, PP_JWT_KEY_BYTES, (const unsigned char *)signing,
                         strlen(signing), mac, &mac_len));
    strcat(out, ".");
    n = strlen(out);
    if (mode == SIG_EMPTY) {
        return;
    }
    if (mode == SIG_GARBAGE) {
        strcat(out, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        return;
    }
    b64url(mac, mac_len, out + n);
    if (mode == SIG_TRUNCATED) {
        out[strlen(out) - 1] = '\0';
    } else if (mode == SIG_PADDED) {
        strcat(out, "=");
    }
}

/* Verifies token and, when refused, checks the refusal's shape. */
static enum pp_status verify_at(const char *token, size_t len, int64_t now,
                                struct sec_claims *claims, const char **message)
{
    static struct pp_err err;
    pp_err_clear(&err);
    enum pp_status status = sec_jwt_verify(key, token, len, now, claims, &err);
    assert_int_equal(err.status, status);
    if (status != PP_OK) {
        assert_int_equal(status, PP_UNAUTHORIZED);
        assert_true(strcmp(err.message, "invalid API key") == 0 ||
                    strcmp(err.message, "API key expired") == 0 ||
                    strcmp(err.message, "API key not yet valid") == 0);
        assert_int_equal(claims->role, 0);
        assert_int_equal(claims->exp_s, 0);
    }
    if (message != NULL) {
        *message = err.message;
    }
    return status;
}

static void round_trip(void **state)
{
    (void)state;
    static const struct sec_claims cases[] = {
        {SEC_ROLE_ADMIN, 42, 3, NOW, NOW + PP_ADMIN_TOKEN_TTL_S},
        {SEC_ROLE_ADMIN, INT64_MAX, 0, NOW, NOW + 1},
        {SEC_ROLE_ADMIN, 1, INT64_MAX, 0, NOW + 1},
        {SEC_ROLE_INTEGRATOR, 0, 7, NOW, NOW + PP_API_KEY_TTL_S},
        {SEC_ROLE_INTEGRATOR, 0, -1, NOW - 10, NOW + 10},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *token = NULL;
        struct sec_claims got;
        assert_int_equal(sec_jwt_issue(key, &cases[i], &token, NULL), PP_OK);
        assert_non_null(token);
        assert_true(strlen(token) < 400);
        /* The header we issue is the one we accept. */
        char header[128];
        b64url(HDR, strlen(HDR), header);
        assert_memory_equal(token, header, strlen(header));
        assert_int_equal(verify_at(token, strlen(token), NOW, &got, NULL), PP_OK);
        assert_int_equal(got.role, cases[i].role);
        assert_int_equal(got.subject, cases[i].subject);
        assert_int_equal(got.generation, cases[i].generation);
        assert_int_equal(got.iat_s, cases[i].iat_s);
        assert_int_equal(got.exp_s, cases[i].exp_s);
        /* Signed with another key: refused. */
        assert_int_equal(sec_jwt_verify(other_key, token, strlen(token), NOW, &got, NULL),
                         PP_UNAUTHORIZED);
        free(token);
    }
}

struct crafted_case {
    const char *name;
    const char *header;
    const char *payload;
    const char *signed_payload;
    enum sig_mode mode;
    enum pp_status status;
    const char *message; /* expected message when refused */
};

#define BAD "invalid API key"
#define EXPIRED "API key expired"
#define NOT_YET "API key not yet valid"

static const struct crafted_case crafted_cases[] = {
    /* Accepted: the baseline and the boundaries. */
    {"baseline", HDR, PAYLOAD, NULL, SIG_HS256, PP_OK, NULL},
    {"no typ", "{\"alg\":\"HS256\"}", PAYLOAD, NULL, SIG_HS256, PP_OK, NULL},
    {"typ first", "{\"typ\":\"JWT\",\"alg\":\"HS256\"}", PAYLOAD, NULL, SIG_HS256, PP_OK, NULL},
    {"integrator", HDR, "{" TIMES "," INTEGRATOR_CLAIMS "}", NULL, SIG_HS256, PP_OK, NULL},
    {"exp now+1", HDR, "{\"iat\":1699999990,\"exp\":1700000001," ADMIN_CLAIMS "}", NULL, SIG_HS256,
     PP_OK, NULL},
    {"iat now+60", HDR, "{\"iat\":1700000060,\"exp\":1700003600," ADMIN_CLAIMS "}", NULL, SIG_HS256,
     PP_OK, NULL},
    {"nbf now+60", HDR, "{" TIMES ",\"nbf\":1700000060," ADMIN_CLAIMS "}", NULL, SIG_HS256, PP_OK,
     NULL},
    {"nbf past", HDR, "{" TIMES ",\"nbf\":1," ADMIN_CLAIMS "}", NULL, SIG_HS256, PP_OK, NULL},
    {"extra claim", HDR, "{" TIMES "," ADMIN_CLAIMS ",\"jti\":\"x\"}", NULL, SIG_HS256, PP_OK,
     NULL},
    {"negative gen", HDR, "{" TIMES ",\"role\":\"admin\",\"sub\":\"1\",\"gen\":-5}", NULL,
     SIG_HS256, PP_OK, NULL},

    /* The algorithm is pinned. */
    {"alg none, empty sig", "{\"alg\":\"none\",\"typ\":\"JWT\"}", PAYLOAD, NULL, SIG_EMPTY,
     PP_UNAUTHORIZED, BAD},
    {"alg none, no sig part", "{\"alg\":\"none\"}", PAYLOAD, NULL, SIG_NONE, PP_UNAUTHORIZED, BAD},
    {"alg none, HS256 sig", "{\"alg\":\"none\"}", PAYLOAD, NULL, SIG_HS256, PP_UNAUTHORIZED, BAD},
    {"alg None", "{\"alg\":\"None\"}", PAYLOAD, NULL, SIG_EMPTY, PP_UNAUTHORIZED, BAD},
    {"HS512 same key", "{\"alg\":\"HS512\",\"typ\":\"JWT\"}", PAYLOAD, NULL, SIG_HS512,
     PP_UNAUTHORIZED, BAD},
    {"HS384 same key", "{\"alg\":\"HS384\",\"typ\":\"JWT\"}", PAYLOAD, NULL, SIG_HS384,
     PP_UNAUTHORIZED, BAD},
    {"HS512 header, HS256 sig", "{\"alg\":\"HS512\"}", PAYLOAD, NULL, SIG_HS256, PP_UNAUTHORIZED,
     BAD},
    {"RS256", "{\"alg\":\"RS256\",\"typ\":\"JWT\"}", PAYLOAD, NULL, SIG_HS256, PP_UNAUTHORIZED,
     BAD},
    {"ES256", "{\"alg\":\"ES256\"}", PAYLOAD, NULL, SIG_HS256, PP_UNAUTHORIZED, BAD},
    {"alg lower case", "{\"alg\":\"hs256\"}", PAYLOAD, NULL, SIG_HS256, PP_UNAUTHORIZED, BAD},
    {"alg trailing space", "{\"alg\":\"HS256 \"}", PAYLOAD, NULL, SIG_HS256, PP_UNAUTHORIZED, BAD},
    {"alg with NUL", "{\"alg\":\"HS256\\u0000x\"}", PAYLOAD, NULL, SIG_HS256, PP_UNAUTHORIZED, BAD},
    {"alg missing", "{\"typ\":\"JWT\"}", PAYLOAD, NULL, SIG_HS256, PP_UNAUTHORIZED, BAD},
    {"alg number", "{\"alg\":256}", PAYLOAD, NULL, SIG_HS256, PP_UNAUTHORIZED, BAD},
    {"alg null", "{\"alg\":null}", PAYLOAD, NULL, SIG_HS256, PP_UNAUTHORIZED, BAD},
    {"alg array", "{\"alg\":[\"HS256\"]}", PAYLOAD, NULL, SIG_HS256, PP_UNAUTHORIZED, BAD},
    {"alg twice, none last", "{\"alg\":\"HS256\",\"alg\":\"none\"}", PAYLOAD, NULL, SIG_HS256,
     PP_UNAUTHORIZED, BAD},
    {"alg twice, none first", "{\"alg\":\"none\",\"alg\":\"HS256\"}", PAYLOAD, NULL, SIG_HS256,
     PP_UNAUTHORIZED, BAD},
    {"alg twice, same", "{\"alg\":\"HS256\",\"alg\":\"HS256\"}", PAYLOAD, NULL, SIG_HS256,
     PP_UNAUTHORIZED, BAD},
    {"typ lower case", "{\"alg\":\"HS256\",\"typ\":\"jwt\"}", PAYLOAD, NULL, SIG_HS256,
     PP_UNAUTHORIZED, BAD},
    {"typ number", "{\"alg\":\"HS256\",\"typ\":1}", PAYLOAD, NULL, SIG_HS256, PP_UNAUTHORIZED, BAD},
    {"kid", "{\"alg\":\"HS256\",\"kid\":\"1\"}", PAYLOAD, NULL, SIG_HS256, PP_UNAUTHORIZED, BAD},
    {"crit", "{\"alg\":\"HS256\",\"crit\":[\"exp\"]}", PAYLOAD, NULL, SIG_HS256, PP_UNAUTHORIZED,
     BAD},
    {"jku", "{\"alg\":\"HS256\",\"jku\":\"http://x/\"}", PAYLOAD, NULL, SIG_HS256, PP_UNAUTHORIZED,
     BAD},
    {"header array", "[\"HS256\"]", PAYLOAD, NULL, SIG_HS256, PP_UNAUTHORIZED, BAD},
    {"header empty object", "{}", PAYLOAD, NULL, SIG_HS256, PP_UNAUTHORIZED, BAD},
    {"header not JSON", "alg=HS256", PAYLOAD, NULL, SIG_HS256, PP_UNAUTHORIZED, BAD},
    {"header trailing junk", HDR "x", PAYLOAD, NULL, SIG_HS256, PP_UNAUTHORIZED, BAD},

    /* Signatures. */
    {"role changed after signing", HDR, "{" TIMES ",\"role\":\"admin\",\"sub\":\"1\",\"gen\":7}",
     "{" TIMES ",\"role\":\"integrator\",\"sub\":\"integrator\",\"gen\":7}", SIG_HS256,
     PP_UNAUTHORIZED, BAD},
    {"exp changed after signing", HDR, "{\"iat\":1699999990,\"exp\":1800003600," ADMIN_CLAIMS "}",
     PAYLOAD, SIG_HS256, PP_UNAUTHORIZED, BAD},
    {"gen changed after signing", HDR, "{" TIMES ",\"role\":\"admin\",\"sub\":\"42\",\"gen\":4}",
     PAYLOAD, SIG_HS256, PP_UNAUTHORIZED, BAD},
    {"other key", HDR, PAYLOAD, NULL, SIG_HS256_OTHER_KEY, PP_UNAUTHORIZED, BAD},
    {"garbage signature", HDR, PAYLOAD, NULL, SIG_GARBAGE, PP_UNAUTHORIZED, BAD},
    {"truncated signature", HDR, PAYLOAD, NULL, SIG_TRUNCATED, PP_UNAUTHORIZED, BAD},
    {"padded signature", HDR, PAYLOAD, NULL, SIG_PADDED, PP_UNAUTHORIZED, BAD},
    {"empty signature", HDR, PAYLOAD, NULL, SIG_EMPTY, PP_UNAUTHORIZED, BAD},
    {"two parts", HDR, PAYLOAD, NULL, SIG_NONE, PP_UNAUTHORIZED, BAD},

    /* Claims: signed correctly, but missing or of the wrong type. */
    {"no iat", HDR, "{\"exp\":1700003600," ADMIN_CLAIMS "}", NULL, SIG_HS256, PP_UNAUTHORIZED, BAD},
    {"no exp", HDR, "{\"iat\":1699999990," ADMIN_CLAIMS "}", NULL, SIG_HS256, PP_UNAUTHORIZED, BAD},
    {"no role", HDR, "{" TIMES ",\"sub\":\"42\",\"gen\":3}", NULL, SIG_HS256, PP_UNAUTHORIZED, BAD},
    {"no sub", HDR, "{" TIMES ",\"role\":\"admin\",\"gen\":3}", NULL, SIG_HS256, PP_UNAUTHORIZED,
     BAD},
    {"no gen", HDR, "{" TIMES ",\"role\":\"admin\",\"sub\":\"42\"}", NULL, SIG_HS256,
     PP_UNAUTHORIZED, BAD},
    {"empty payload", HDR, "{}", NULL, SIG_HS256, PP_UNAUTHORIZED, BAD},
    {"payload array", HDR, "[1]", NULL, SIG_HS256, PP_UNAUTHORIZED, BAD},
    {"payload not JSON", HDR, "role=admin", NULL, SIG_HS256, PP_UNAUTHORIZED, BAD},
    {"payload duplicate role", HDR,
     "{" TIMES ",\"role\":\"integrator\",\"role\":\"admin\",\"sub\":\"42\",\"gen\":3}", NULL,
     SIG_HS256, PP_UNAUTHORIZED, BAD},
    {"iat string", HDR, "{\"iat\":\"1699999990\",\"exp\":1700003600," ADMIN_CLAIMS "}", NULL,
     SIG_HS256, PP_UNAUTHORIZED, BAD},
    {"exp real", HDR, "{\"iat\":1699999990,\"exp\":1700003600.0," ADMIN_CLAIMS "}", NULL, SIG_HS256,
     PP_UNAUTHORIZED, BAD},
    {"exp string", HDR, "{\"iat\":1699999990,\"exp\":\"1700003600\"," ADMIN_CLAIMS "}", NULL,
     SIG_HS256, PP_UNAUTHORIZED, BAD},
    {"exp null", HDR, "{\"iat\":1699999990,\"exp\":null," ADMIN_CLAIMS "}", NULL, SIG_HS256,
     PP_UNAUTHORIZED, BAD},
    {"exp too big", HDR, "{\"iat\":1699999990,\"exp\":99999999999999999999," ADMIN_CLAIMS "}", NULL,
     SIG_HS256, PP_UNAUTHORIZED, BAD},
    {"gen string", HDR, "{" TIMES ",\"role\":\"admin\",\"sub\":\"42\",\"gen\":\"3\"}", NULL,
     SIG_HS256, PP_UNAUTHORIZED, BAD},
    {"gen bool", HDR, "{" TIMES ",\"role\":\"admin\",\"sub\":\"42\",\"gen\":true}", NULL, SIG_HS256,
     PP_UNAUTHORIZED, BAD},
    {"nbf string", HDR, "{" TIMES ",\"nbf\":\"1\"," ADMIN_CLAIMS "}", NULL, SIG_HS256,
     PP_UNAUTHORIZED, BAD},
    {"nbf null", HDR, "{" TIMES ",\"nbf\":null," ADMIN_CLAIMS "}", NULL, SIG_HS256, PP_UNAUTHORIZED,
     BAD},
    {"iat negative", HDR, "{\"iat\":-1,\"exp\":1700003600," ADMIN_CLAIMS "}", NULL, SIG_HS256,
     PP_UNAUTHORIZED, BAD},
    {"role unknown", HDR, "{" TIMES ",\"role\":\"superadmin\",\"sub\":\"42\",\"gen\":3}", NULL,
     SIG_HS256, PP_UNAUTHORIZED, BAD},
    {"role capitalised", HDR, "{" TIMES ",\"role\":\"Admin\",\"sub\":\"42\",\"gen\":3}", NULL,
     SIG_HS256, PP_UNAUTHORIZED, BAD},
    {"role number", HDR, "{" TIMES ",\"role\":2,\"sub\":\"42\",\"gen\":3}", NULL, SIG_HS256,
     PP_UNAUTHORIZED, BAD},
    {"role array", HDR, "{" TIMES ",\"role\":[\"admin\"],\"sub\":\"42\",\"gen\":3}", NULL,
     SIG_HS256, PP_UNAUTHORIZED, BAD},
    {"admin sub number", HDR, "{" TIMES ",\"role\":\"admin\",\"sub\":42,\"gen\":3}", NULL,
     SIG_HS256, PP_UNAUTHORIZED, BAD},
    {"admin sub leading zero", HDR, "{" TIMES ",\"role\":\"admin\",\"sub\":\"042\",\"gen\":3}",
     NULL, SIG_HS256, PP_UNAUTHORIZED, BAD},
    {"admin sub zero", HDR, "{" TIMES ",\"role\":\"admin\",\"sub\":\"0\",\"gen\":3}", NULL,
     SIG_HS256, PP_UNAUTHORIZED, BAD},
    {"admin sub negative", HDR, "{" TIMES ",\"role\":\"admin\",\"sub\":\"-1\",\"gen\":3}", NULL,
     SIG_HS256, PP_UNAUTHORIZED, BAD},
    {"admin sub plus", HDR, "{" TIMES ",\"role\":\"admin\",\"sub\":\"+1\",\"gen\":3}", NULL,
     SIG_HS256, PP_UNAUTHORIZED, BAD},
    {"admin sub junk", HDR, "{" TIMES ",\"role\":\"admin\",\"sub\":\"42a\",\"gen\":3}", NULL,
     SIG_HS256, PP_UNAUTHORIZED, BAD},
    {"admin sub empty", HDR, "{" TIMES ",\"role\":\"admin\",\"sub\":\"\",\"gen\":3}", NULL,
     SIG_HS256, PP_UNAUTHORIZED, BAD},
    {"admin sub overflow", HDR,
     "{" TIMES ",\"role\":\"admin\",\"sub\":\"9223372036854775808\",\"gen\":3}", NULL, SIG_HS256,
     PP_UNAUTHORIZED, BAD},
    {"admin sub 20 digits", HDR,
     "{" TIMES ",\"role\":\"admin\",\"sub\":\"10000000000000000000\",\"gen\":3}", NULL, SIG_HS256,
     PP_UNAUTHORIZED, BAD},
    {"admin sub integrator", HDR, "{" TIMES ",\"role\":\"admin\",\"sub\":\"integrator\",\"gen\":3}",
     NULL, SIG_HS256, PP_UNAUTHORIZED, BAD},
    {"integrator sub id", HDR, "{" TIMES ",\"role\":\"integrator\",\"sub\":\"42\",\"gen\":3}", NULL,
     SIG_HS256, PP_UNAUTHORIZED, BAD},

    /* Time, judged at NOW. */
    {"exp now", HDR, "{\"iat\":1699999990,\"exp\":1700000000," ADMIN_CLAIMS "}", NULL, SIG_HS256,
     PP_UNAUTHORIZED, EXPIRED},
    {"exp past", HDR, "{\"iat\":1600000000,\"exp\":1600086400," ADMIN_CLAIMS "}", NULL, SIG_HS256,
     PP_UNAUTHORIZED, EXPIRED},
    {"exp zero", HDR, "{\"iat\":0,\"exp\":0," ADMIN_CLAIMS "}", NULL, SIG_HS256, PP_UNAUTHORIZED,
     EXPIRED},
    {"exp negative", HDR, "{\"iat\":0,\"exp\":-1," ADMIN_CLAIMS "}", NULL, SIG_HS256,
     PP_UNAUTHORIZED, EXPIRED},
    {"iat now+61", HDR, "{\"iat\":1700000061,\"exp\":1700003600," ADMIN_CLAIMS "}", NULL, SIG_HS256,
     PP_UNAUTHORIZED, NOT_YET},
    {"iat far future", HDR, "{\"iat\":4000000000,\"exp\":4000003600," ADMIN_CLAIMS "}", NULL,
     SIG_HS256, PP_UNAUTHORIZED, NOT_YET},
    {"nbf now+61", HDR, "{" TIMES ",\"nbf\":1700000061," ADMIN_CLAIMS "}", NULL, SIG_HS256,
     PP_UNAUTHORIZED, NOT_YET},
};

static void crafted_tokens(void **state)
{
    (void)state;
    static char token[TOKEN_BUF_BYTES];

    for (size_t i = 0; i < sizeof crafted_cases / sizeof crafted_cases[0]; i++) {
        const struct crafted_case *c = &crafted_cases[i];
        struct sec_claims claims;
        const char *message = NULL;
        craft(token, c->header, c->payload, c->signed_payload, c->mode);
        enum pp_status status = verify_at(token, strlen(token), NOW, &claims, &message);
        if (status != c->status || (c->message != NULL && strcmp(message, c->message) != 0)) {
            print_error("case \"%s\": status %d message \"%s\"\n", c->name, (int)status, message);
        }
        assert_int_equal(status, c->status);
        if (c->message != NULL) {
            assert_string_equal(message, c->message);
        }
    }
}

/* Tokens that are not even three base64url parts. */
static void malformed_text(void **state)
{
    (void)state;
    static char valid[TOKEN_BUF_BYTES];
    static char token[TOKEN_BUF_BYTES];
    craft(valid, HDR, PAYLOAD, NULL, SIG_HS256);
    const char *first_dot = strchr(valid, '.');
    const char *last_dot = strrchr(valid, '.');

    static const char *const texts[] = {
        "",
        ".",
        "..",
        "...",
        "a",
        "a.b",
        "a.b.c",
        "a.b.c.d",
        "not a token",
        "Bearer x.y.z",
        "\xff\xfe.\xfd.\xfc",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        struct sec_claims claims;
        assert_int_equal(verify_at(texts[i], strlen(texts[i]), NOW, &claims, NULL),
                         PP_UNAUTHORIZED);
    }

    /* Variants of a valid token, each broken in one way. */
    static const char *const formats[] = {
        " %s", "%s ", "%s\n", "%s.", ".%s", "%s.AAAA", "Bearer %s", "%s=",
    };
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        struct sec_claims claims;
        snprintf(token, sizeof token, formats[i], valid);
        assert_int_equal(verify_at(token, strlen(token), NOW, &claims, NULL), PP_UNAUTHORIZED);
    }
    /* Empty header, empty payload. */
    struct sec_claims claims;
    assert_int_equal(verify_at(first_dot, strlen(first_dot), NOW, &claims, NULL), PP_UNAUTHORIZED);
    snprintf(token, sizeof token, "%.*s%s", (int)(first_dot - valid + 1), valid, last_dot);
    assert_int_equal(verify_at(token, strlen(token), NOW, &claims, NULL), PP_UNAUTHORIZED);
    /* Standard base64 characters instead of base64url ones. */
    snprintf(token, sizeof token, "%s", valid);
    for (char *p = token; *p != '\0'; p++) {
        *p = *p == '-' ? '+' : *p == '_' ? '/' : *p;
    }
    if (strcmp(token, valid) != 0) {
        assert_int_equal(verify_at(token, strlen(token), NOW, &claims, NULL), PP_UNAUTHORIZED);
    }
    token[0] = '+';
    assert_int_equal(verify_at(token, strlen(token), NOW, &claims, NULL), PP_UNAUTHORIZED);
    /* A NUL inside the given length. */
    snprintf(token, sizeof token, "%s", valid);
    size_t len = strlen(token);
    token[len / 2] = '\0';
    assert_int_equal(verify_at(token, len, NOW, &claims, NULL), PP_UNAUTHORIZED);
    /* NULL with length 0. */
    assert_int_equal(verify_at(NULL, 0, NOW, &claims, NULL), PP_UNAUTHORIZED);
}

/* The token is token[0..len): a buffer that goes on must not matter, and a
** shorter len is a different (broken) token. */
static void length_is_honoured(void **state)
{
    (void)state;
    static char token[TOKEN_BUF_BYTES];
    struct sec_claims claims;

    craft(token, HDR, PAYLOAD, NULL, SIG_HS256);
    size_t len = strlen(token);
    strcat(token, "trailing garbage");
    assert_int_equal(verify_at(token, len, NOW, &claims, NULL), PP_OK);
    assert_int_equal(claims.subject, 42);
    assert_int_equal(verify_at(token, len - 1, NOW, &claims, NULL), PP_UNAUTHORIZED);
    assert_int_equal(verify_at(token, len + 1, NOW, &claims, NULL), PP_UNAUTHORIZED);
}

/* Builds a validly signed token of exactly `target` bytes by padding a
** claim, or returns 0 if no padding reaches it exactly. */
static int craft_of_length(char *out, size_t target)
{
    static char payload[TOKEN_BUF_BYTES];
    for (size_t pad = 0; pad < 2 * PP_TOKEN_BYTES_MAX; pad++) {
        int n = snprintf(payload, sizeof payload, "{" TIMES "," ADMIN_CLAIMS ",\"pad\":\"");
        memset(payload + n, 'x', pad);
        snprintf(payload + (size_t)n + pad, sizeof payload - (size_t)n - pad, "\"}");
        craft(out, HDR, payload, NULL, SIG_HS256);
        if (strlen(out) == target) {
            return 1;
        }
        if (strlen(out) > target) {
            break;
        }
    }
    return 0;
}

static void size_limit(void **state)
{
    (void)state;
    static char token[TOKEN_BUF_BYTES];
    struct sec_claims claims;
    int made = 0;

    /* Base64 cannot make every length; try the limit and the bytes just
    ** below it, and just above it. */
    for (size_t target = PP_TOKEN_BYTES_MAX; target > PP_TOKEN_BYTES_MAX - 4; target--) {
        if (craft_of_length(token, target)) {
            assert_int_equal(verify_at(token, strlen(token), NOW, &claims, NULL), PP_OK);
            made++;
        }
    }
    assert_true(made >= 2);
    made = 0;
    for (size_t target = PP_TOKEN_BYTES_MAX + 1; target < PP_TOKEN_BYTES_MAX + 5; target++) {
        if (craft_of_length(token, target)) {
            assert_int_equal(verify_at(token, strlen(token), NOW, &claims, NULL), PP_UNAUTHORIZED);
            made++;
        }
    }
    assert_true(made >= 2);
    /* Huge garbage. */
    char *huge = malloc(1024 * 1024);
    assert_non_null(huge);
    memset(huge, 'A', 1024 * 1024);
    huge[100] = '.';
    huge[200] = '.';
    assert_int_equal(verify_at(huge, 1024 * 1024, NOW, &claims, NULL), PP_UNAUTHORIZED);
    free(huge);
}

/* Changing any one character of an issued token breaks it: header,
** payload or signature, including the signature's unused low bits. */
static void every_character_matters(void **state)
{
    (void)state;
    static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    struct sec_claims issued = {SEC_ROLE_INTEGRATOR, 0, 9, NOW, NOW + PP_API_KEY_TTL_S};
    struct sec_claims claims;
    char *token = NULL;

    assert_int_equal(sec_jwt_issue(key, &issued, &token, NULL), PP_OK);
    size_t len = strlen(token);
    for (size_t i = 0; i < len; i++) {
        char saved = token[i];
        if (saved == '.') {
            continue;
        }
        /* The next symbol, and the one whose value differs only in the
        ** lowest bit: catches a decoder that ignores trailing bits. */
        size_t at = (size_t)(strchr(digits, saved) - digits);
        char subs[2] = {digits[(at + 1) % 64], digits[at ^ 1u]};
        for (size_t k = 0; k < 2; k++) {
            token[i] = subs[k];
            assert_int_equal(verify_at(token, len, NOW, &claims, NULL), PP_UNAUTHORIZED);
        }
        token[i] = saved;
    }
    assert_int_equal(verify_at(token, len, NOW, &claims, NULL), PP_OK);
    free(token);
}

/* Tokens made by libjwt itself with other algorithms and the same key. */
static void libjwt_made_tokens(void **state)
{
    (void)state;
    static const jwt_alg_t algs[] = {JWT_ALG_NONE, JWT_ALG_HS384, JWT_ALG_HS512};
    for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++) {
        jwt_t *jwt = NULL;
        struct sec_claims claims;
        assert_int_equal(jwt_new(&jwt), 0);
        assert_int_equal(jwt_add_grant_int(jwt, "iat", NOW), 0);
        assert_int_equal(jwt_add_grant_int(jwt, "exp", NOW + 3600), 0);
        assert_int_equal(jwt_add_grant(jwt, "role", "admin"), 0);
        assert_int_equal(jwt_add_grant(jwt, "sub", "1"), 0);
        assert_int_equal(jwt_add_grant_int(jwt, "gen", 0), 0);
        if (algs[i] == JWT_ALG_NONE) {
            assert_int_equal(jwt_set_alg(jwt, algs[i], NULL, 0), 0);
        } else {
            assert_int_equal(jwt_set_alg(jwt, algs[i], key, PP_JWT_KEY_BYTES), 0);
        }
        char *token = jwt_encode_str(jwt);
        assert_non_null(token);
        assert_int_equal(verify_at(token, strlen(token), NOW, &claims, NULL), PP_UNAUTHORIZED);
        free(token);
        jwt_free(jwt);
    }
}

/* Expiry is judged by now_s alone, in both directions. */
static void now_decides(void **state)
{
    (void)state;
    struct sec_claims issued = {SEC_ROLE_ADMIN, 5, 1, 1000, 2000};
    struct sec_claims claims;
    const char *message = NULL;
    char *token = NULL;

    assert_int_equal(sec_jwt_issue(key, &issued, &token, NULL), PP_OK);
    size_t len = strlen(token);
    assert_int_equal(verify_at(token, len, 939, &claims, &message), PP_UNAUTHORIZED);
    assert_string_equal(message, NOT_YET);
    assert_int_equal(verify_at(token, len, 940, &claims, NULL), PP_OK);
    assert_int_equal(verify_at(token, len, 1999, &claims, NULL), PP_OK);
    assert_int_equal(verify_at(token, len, 2000, &claims, &message), PP_UNAUTHORIZED);
    assert_string_equal(message, EXPIRED);
    assert_int_equal(verify_at(token, len, NOW, &claims, NULL), PP_UNAUTHORIZED);
    /* A NULL err is allowed. */
    assert_int_equal(sec_jwt_verify(key, token, len, 1500, &claims, NULL), PP_OK);
    assert_int_equal(sec_jwt_verify(key, token, len, 2500, &claims, NULL), PP_UNAUTHORIZED);
    free(token);
}

/* A thread remembers the tokens it verified: the same token under the same
** key is not checked again (sec_jwt_verified_hits counts it) but still
** judged at now_s; another key, one changed character, a token pushed out
** by newer ones or one too long to remember take the full check. */
static void verified_tokens_remembered(void **state)
{
    (void)state;
    struct sec_claims issued = {SEC_ROLE_ADMIN, 9, 4, 1000, 2000};
    struct sec_claims claims;
    const char *message = NULL;
    char *token = NULL;
    assert_int_equal(sec_jwt_issue(key, &issued, &token, NULL), PP_OK);
    size_t len = strlen(token);
    assert_true(len <= PP_JWT_VERIFIED_TOKEN_BYTES);
    uint64_t hits = sec_jwt_verified_hits();
    assert_int_equal(verify_at(token, len, 1500, &claims, NULL), PP_OK);
    assert_int_equal(sec_jwt_verified_hits(), hits);
    assert_int_equal(verify_at(token, len, 1600, &claims, NULL), PP_OK);
    assert_int_equal(sec_jwt_verified_hits(), hits + 1);
    assert_int_equal(claims.subject, 9);
    assert_int_equal(claims.generation, 4);
    assert_int_equal(claims.exp_s, 2000);
    /* Remembered, and still expired at exp and not yet valid before iat. */
    assert_int_equal(verify_at(token, len, 2000, &claims, &message), PP_UNAUTHORIZED);
    assert_string_equal(message, EXPIRED);
    assert_int_equal(verify_at(token, len, 939, &claims, &message), PP_UNAUTHORIZED);
    assert_string_equal(message, NOT_YET);
    assert_int_equal(sec_jwt_verified_hits(), hits + 3);
    /* Another key: the full check, refused. */
    assert_int_equal(sec_jwt_verify(other_key, token, len, 1500, &claims, NULL), PP_UNAUTHORIZED);
    /* One character of the signature changed, same length: refused. */
    char *forged = strdup(token);
    forged[len - 1] = forged[len - 1] == 'A' ? 'B' : 'A';
    assert_int_equal(verify_at(forged, len, 1500, &claims, NULL), PP_UNAUTHORIZED);
    /* A longer token with the remembered one as its prefix: refused. */
    char longer[TOKEN_BUF_BYTES];
    snprintf(longer, sizeof longer, "%sA", token);
    assert_int_equal(verify_at(longer, len + 1, 1500, &claims, NULL), PP_UNAUTHORIZED);
    assert_int_equal(sec_jwt_verified_hits(), hits + 3);
    /* PP_JWT_VERIFIED_CACHE newer tokens push it out. */
    for (int i = 0; i < PP_JWT_VERIFIED_CACHE; i++) {
        struct sec_claims other = {SEC_ROLE_ADMIN, 100 + i, 1, 1000, 2000};
        char *t = NULL;
        assert_int_equal(sec_jwt_issue(key, &other, &t, NULL), PP_OK);
        assert_int_equal(verify_at(t, strlen(t), 1500, &claims, NULL), PP_OK);
        free(t);
    }
    hits = sec_jwt_verified_hits();
    assert_int_equal(verify_at(token, len, 1500, &claims, NULL), PP_OK);
    assert_int_equal(sec_jwt_verified_hits(), hits);
    /* A valid token longer than PP_JWT_VERIFIED_TOKEN_BYTES is never
    ** remembered. */
    char payload[PP_JWT_VERIFIED_TOKEN_BYTES + 128];
    char fill[PP_JWT_VERIFIED_TOKEN_BYTES];
    memset(fill, 'x', sizeof fill - 1);
    fill[sizeof fill - 1] = '\0';
    snprintf(payload, sizeof payload, "{" TIMES "," ADMIN_CLAIMS ",\"pad\":\"%s\"}", fill);
    char big[TOKEN_BUF_BYTES];
    craft(big, HDR, payload, NULL, SIG_HS256);
    assert_true(strlen(big) > PP_JWT_VERIFIED_TOKEN_BYTES);
    assert_int_equal(verify_at(big, strlen(big), NOW, &claims, NULL), PP_OK);
    assert_int_equal(verify_at(big, strlen(big), NOW, &claims, NULL), PP_OK);
    assert_int_equal(sec_jwt_verified_hits(), hits);
    free(forged);
    free(token);
}

/* The first error wins: a refusal does not overwrite an earlier error. */
static void first_error_wins(void **state)
{
    (void)state;
    struct pp_err err;
    struct sec_claims claims;

    pp_err_clear(&err);
    pp_err_set(&err, PP_INVALID_PARAMS, "earlier");
    assert_int_equal(sec_jwt_verify(key, "x", 1, NOW, &claims, &err), PP_UNAUTHORIZED);
    assert_int_equal(err.status, PP_INVALID_PARAMS);
    assert_string_equal(err.message, "earlier");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip),         cmocka_unit_test(crafted_tokens),
        cmocka_unit_test(malformed_text),     cmocka_unit_test(length_is_honoured),
        cmocka_unit_test(size_limit),         cmocka_unit_test(every_character_matters),
        cmocka_unit_test(libjwt_made_tokens), cmocka_unit_test(now_decides),
        cmocka_unit_test(first_error_wins),   cmocka_unit_test(verified_tokens_remembered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
