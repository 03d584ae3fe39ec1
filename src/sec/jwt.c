/*
** This module implements API keys and admin tokens: HS256 JSON Web Tokens
** issued with libjwt and verified with the algorithm pinned.
**
** Verification does not trust the token to say how it should be checked,
** and does not hand it to libjwt at all: this module splits it, insists on
** three canonical base64url parts with a 32-byte signature, decodes the
** header itself and accepts only {"alg":"HS256"} (plus "typ":"JWT"), and
** checks the HMAC-SHA256 itself in constant time. A second decode by
** libjwt after that would verify the same HMAC again and parse the same
** JSON again (allocating for both) without deciding anything more, so it
** is not done. Claims are read with jansson from the signed payload (also
** because jwt_get_grant_int() answers 0 without an error for a claim of
** the wrong type). Times are judged against the caller's now_s, never the
** wall clock. libjwt issues the tokens.
**
** Each thread remembers the last PP_JWT_VERIFIED_CACHE tokens it verified
** (with the key they were verified under and their claims): the same
** token under the same key, compared whole and in constant time, is not
** checked and parsed again; its times are judged against now_s as on the
** first verification, so an expired token is refused all the same.
**
** It does not decide whether a token's generation is still current, nor
** whether a role may call a route: callers do.
*/
#include "payout/sec/jwt.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <jwt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "payout/base/assert.h"
#include "payout/base/base64.h"
#include "payout/sec/secrets.h"

/* Messages are short and the same for every kind of forgery, so an
** attacker learns nothing from them; none echoes the token. */
#define MSG_INVALID "invalid API key"
#define MSG_EXPIRED "API key expired"
#define MSG_NOT_YET_VALID "API key not yet valid"

/* An HMAC-SHA256 signature: 32 bytes, 43 base64url characters unpadded. */
#define SIGNATURE_BYTES 32u
#define SIGNATURE_CHARS 43u
/* Digits of INT64_MAX, the longest admin id. */
#define ADMIN_ID_DIGITS_MAX 19u
/* Buffer for an admin id as decimal text. */
#define ADMIN_ID_TEXT_BYTES 24u

#define ROLE_INTEGRATOR "integrator"
#define ROLE_ADMIN "admin"
/* The "sub" of every integrator's API key. */
#define SUBJECT_INTEGRATOR "integrator"

_Static_assert(sizeof(long) >= sizeof(int64_t), "libjwt's integer grants are longs");

/* The three dot-separated parts of a token, pointing into it. */
struct token_parts {
    const char *header;
    size_t header_len;
    const char *payload;
    size_t payload_len;
    const char *signature;
    size_t signature_len;
    /* header "." payload: the bytes the signature covers. */
    size_t signed_len;
};

static enum pp_status refuse(struct pp_err *err)
{
    return pp_err_set(err, PP_UNAUTHORIZED, MSG_INVALID);
}

/* Splits the NUL-free token[0..len) into three non-empty base64url parts
** with a signature of exactly SIGNATURE_CHARS. 1 on success. */
static int token_split(const char *token, size_t len, struct token_parts *parts)
{
    size_t dots[2] = {0, 0};
    size_t dot_count = 0;
    int ok = 0;

    for (size_t i = 0; i < len; i++) {
        if (token[i] == '.') {
            if (dot_count == 2) {
                goto done;
            }
            dots[dot_count++] = i;
        } else if (pp_base64url_value((unsigned char)token[i]) < 0) {
            goto done;
        }
    }
    if (dot_count != 2) {
        goto done;
    }
    parts->header = token;
    parts->header_len = dots[0];
    parts->payload = token + dots[0] + 1;
    parts->payload_len = dots[1] - dots[0] - 1;
    parts->signature = token + dots[1] + 1;
    parts->signature_len = len - dots[1] - 1;
    parts->signed_len = dots[1];
    ok = parts->header_len > 0 && parts->payload_len > 0 && parts->signature_len == SIGNATURE_CHARS;
done:
    return ok;
}

/* Decodes one base64url part and parses it as a JSON object, refusing
** duplicate keys. New reference, or NULL. */
static json_t *json_part(const char *b64, size_t len)
{
    uint8_t text[PP_TOKEN_BYTES_MAX];
    size_t text_len = 0;
    json_t *json = NULL;
    json_error_t jerr;

    if (!pp_base64url_decode(b64, len, text, sizeof text, &text_len)) {
        goto done;
    }
    json = json_loadb((const char *)text, text_len, JSON_REJECT_DUPLICATES, &jerr);
    if (json != NULL && !json_is_object(json)) {
        json_decref(json);
        json = NULL;
    }
done:
    sec_wipe(text, sizeof text);
    return json;
}

/* 1 when value is a JSON string equal to expect (and no longer). */
static int json_string_is(const json_t *value, const char *expect)
{
    return json_is_string(value) && json_string_length(value) == strlen(expect) &&
           strcmp(json_string_value(value), expect) == 0;
}

/* base64url of {"alg":"HS256","typ":"JWT"}, the header libjwt writes on
** every token this server issues. */
static const char canonical_header[] = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

/* Checks the header: an object with "alg" exactly "HS256", optionally
** "typ" exactly "JWT", and nothing else: a header parameter we do not know
** ("crit", "jku", "kid", ...) could change how the token is meant to be
** checked. The header of our own tokens is recognised byte for byte
** without parsing (the hot path); any other spelling is parsed and judged
** by the same rules. 1 when acceptable. */
static int header_check(const struct token_parts *parts)
{
    json_t *header = NULL;
    const char *name = NULL;
    json_t *value = NULL;
    int ok = 0;

    if (parts->header_len == sizeof canonical_header - 1 &&
        memcmp(parts->header, canonical_header, sizeof canonical_header - 1) == 0) {
        ok = 1;
        goto done;
    }
    header = json_part(parts->header, parts->header_len);
    if (header == NULL || !json_string_is(json_object_get(header, "alg"), "HS256")) {
        goto done;
    }
    ok = 1;
    json_object_foreach(header, name, value)
    {
        if (strcmp(name, "alg") == 0) {
            ok = ok && json_string_is(value, "HS256");
        } else if (strcmp(name, "typ") == 0) {
            ok = ok && json_string_is(value, "JWT");
        } else {
            ok = 0;
        }
    }
done:
    json_decref(header);
    return ok;
}

/* Checks the HMAC-SHA256 of header.payload in constant time, so the pin
** does not depend on how libjwt compares signatures. 1 when it matches. */
static int signature_check(const uint8_t *key, const char *token, const struct token_parts *parts)
{
    uint8_t given[SIGNATURE_BYTES + 1];
    uint8_t expect[EVP_MAX_MD_SIZE];
    size_t given_len = 0;
    unsigned expect_len = 0;
    int ok = 0;

    if (!pp_base64url_decode(parts->signature, parts->signature_len, given, sizeof given,
                             &given_len) ||
        given_len != SIGNATURE_BYTES) {
        goto done;
    }
    if (HMAC(EVP_sha256(), key, PP_JWT_KEY_BYTES, (const unsigned char *)token, parts->signed_len,
             expect, &expect_len) == NULL ||
        expect_len != SIGNATURE_BYTES) {
        goto done;
    }
    ok = CRYPTO_memcmp(given, expect, SIGNATURE_BYTES) == 0;
done:
    sec_wipe(expect, sizeof expect);
    return ok;
}

/* Reads integer claim `name` into *out. 1 when present and an integer. */
static int claim_int(const json_t *claims, const char *name, int64_t *out)
{
    const json_t *value = json_object_get(claims, name);
    int ok = json_is_integer(value);
    if (ok) {
        *out = (int64_t)json_integer_value(value);
    }
    return ok;
}

/* Parses an admin id: 1 to 19 decimal digits, no sign, no leading zero,
** at most INT64_MAX. 1 on success. */
static int admin_id_parse(const char *s, size_t len, int64_t *out)
{
    int64_t value = 0;
    int ok = 0;

    if (len == 0 || len > ADMIN_ID_DIGITS_MAX || s[0] == '0') {
        goto done;
    }
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            goto done;
        }
        int64_t digit = s[i] - '0';
        if (value > (INT64_MAX - digit) / 10) {
            goto done;
        }
        value = value * 10 + digit;
    }
    *out = value;
    ok = 1;
done:
    return ok;
}

/* Reads role and sub into *out. 1 when both are well-formed and agree. */
static int claims_identity(const json_t *claims, struct sec_claims *out)
{
    const json_t *role = json_object_get(claims, "role");
    const json_t *sub = json_object_get(claims, "sub");
    int ok = 0;

    if (!json_is_string(sub)) {
        goto done;
    }
    if (json_string_is(role, ROLE_INTEGRATOR)) {
        out->role = SEC_ROLE_INTEGRATOR;
        out->subject = 0;
        ok = json_string_is(sub, SUBJECT_INTEGRATOR);
    } else if (json_string_is(role, ROLE_ADMIN)) {
        out->role = SEC_ROLE_ADMIN;
        ok = admin_id_parse(json_string_value(sub), json_string_length(sub), &out->subject);
    }
done:
    return ok;
}

/* The claims of a verified token: what it says, and its nbf if any. */
struct token_claims {
    struct sec_claims c;
    int has_nbf;
    int64_t nbf_s;
};

/* Reads the claims of a verified token into *out. */
static enum pp_status claims_read(const json_t *claims, struct token_claims *out,
                                  struct pp_err *err)
{
    const json_t *nbf_value = json_object_get(claims, "nbf");
    out->has_nbf = nbf_value != NULL;
    if (!claim_int(claims, "iat", &out->c.iat_s) || !claim_int(claims, "exp", &out->c.exp_s) ||
        !claim_int(claims, "gen", &out->c.generation) || !claims_identity(claims, &out->c) ||
        out->c.iat_s < 0 || (out->has_nbf && !claim_int(claims, "nbf", &out->nbf_s))) {
        return refuse(err);
    }
    return PP_OK;
}

/* Judges the times of claims at now_s. */
static enum pp_status claims_judge(const struct token_claims *t, int64_t now_s, struct pp_err *err)
{
    if (t->c.exp_s <= now_s) {
        return pp_err_set(err, PP_UNAUTHORIZED, MSG_EXPIRED);
    }
    if (t->c.iat_s > now_s + PP_TOKEN_CLOCK_SKEW_S ||
        (t->has_nbf && t->nbf_s > now_s + PP_TOKEN_CLOCK_SKEW_S)) {
        return pp_err_set(err, PP_UNAUTHORIZED, MSG_NOT_YET_VALID);
    }
    return PP_OK;
}

/* --- Tokens this thread verified ------------------------------------------ */

struct verified {
    size_t len; /* 0: an empty slot */
    uint8_t key[PP_JWT_KEY_BYTES];
    char token[PP_JWT_VERIFIED_TOKEN_BYTES];
    struct token_claims claims;
};

static _Thread_local struct verified verified_tokens[PP_JWT_VERIFIED_CACHE];
static _Thread_local unsigned verified_next; /* the slot the next one replaces */
static _Thread_local uint64_t verified_hits;

/* The claims of token[0..len) if this thread verified it under key
** before: 1 and *out filled, else 0. Every slot of the same length is
** compared whole, in constant time. */
static int verified_find(const uint8_t *key, const char *token, size_t len,
                         struct token_claims *out)
{
    int found = 0;
    for (unsigned i = 0; i < PP_JWT_VERIFIED_CACHE; i++) {
        const struct verified *v = &verified_tokens[i];
        if (!found && v->len == len && CRYPTO_memcmp(v->token, token, len) == 0 &&
            CRYPTO_memcmp(v->key, key, PP_JWT_KEY_BYTES) == 0) {
            *out = v->claims;
            found = 1;
        }
    }
    verified_hits += (uint64_t)found;
    return found;
}

/* Remembers token[0..len), verified under key, with its claims. */
static void verified_keep(const uint8_t *key, const char *token, size_t len,
                          const struct token_claims *claims)
{
    if (len > PP_JWT_VERIFIED_TOKEN_BYTES) {
        return;
    }
    struct verified *v = &verified_tokens[verified_next];
    verified_next = (verified_next + 1) % PP_JWT_VERIFIED_CACHE;
    sec_wipe(v, sizeof *v);
    memcpy(v->key, key, PP_JWT_KEY_BYTES);
    memcpy(v->token, token, len);
    v->len = len;
    v->claims = *claims;
}

uint64_t sec_jwt_verified_hits(void)
{
    return verified_hits;
}

enum pp_status sec_jwt_verify(const uint8_t *key, const char *token, size_t len, int64_t now_s,
                              struct sec_claims *out, struct pp_err *err)
{
    enum pp_status status = PP_OK;
    char text[PP_TOKEN_BYTES_MAX + 1];
    struct token_parts parts;
    struct token_claims read;
    json_t *claims = NULL;

    PP_ASSERT(key != NULL && out != NULL);
    PP_ASSERT(token != NULL || len == 0);
    PP_ASSERT(now_s >= 0 && now_s <= INT64_MAX - PP_TOKEN_CLOCK_SKEW_S);
    memset(out, 0, sizeof *out);
    memset(&parts, 0, sizeof parts);
    memset(&read, 0, sizeof read);
    text[0] = '\0';
    if (len == 0 || len > PP_TOKEN_BYTES_MAX) {
        status = refuse(err);
        goto done;
    }
    if (verified_find(key, token, len, &read)) {
        status = claims_judge(&read, now_s, err);
        goto done;
    }
    /* A private NUL-terminated copy; token_split refuses a NUL inside. */
    memcpy(text, token, len);
    text[len] = '\0';
    if (!token_split(text, len, &parts) || !header_check(&parts) ||
        !signature_check(key, text, &parts)) {
        status = refuse(err);
        goto done;
    }
    claims = json_part(parts.payload, parts.payload_len);
    if (claims == NULL) {
        status = refuse(err);
        goto done;
    }
    status = claims_read(claims, &read, err);
    if (status == PP_OK) {
        status = claims_judge(&read, now_s, err);
    }
    if (status == PP_OK) {
        verified_keep(key, token, len, &read);
    }
done:
    if (status == PP_OK) {
        *out = read.c;
    } else {
        memset(out, 0, sizeof *out);
    }
    json_decref(claims);
    sec_wipe(text, sizeof text);
    return status;
}

/* Adds the claims to a new libjwt object. 1 on success. */
static int claims_add(jwt_t *jwt, const struct sec_claims *claims)
{
    char sub[ADMIN_ID_TEXT_BYTES];
    const char *role = ROLE_INTEGRATOR;

    if (claims->role == SEC_ROLE_ADMIN) {
        role = ROLE_ADMIN;
        int n = snprintf(sub, sizeof sub, "%" PRId64, claims->subject);
        PP_ASSERT(n > 0 && (size_t)n < sizeof sub);
    } else {
        snprintf(sub, sizeof sub, "%s", SUBJECT_INTEGRATOR);
    }
    return jwt_add_grant_int(jwt, "iat", (long)claims->iat_s) == 0 &&
           jwt_add_grant_int(jwt, "exp", (long)claims->exp_s) == 0 &&
           jwt_add_grant(jwt, "role", role) == 0 && jwt_add_grant(jwt, "sub", sub) == 0 &&
           jwt_add_grant_int(jwt, "gen", (long)claims->generation) == 0;
}

enum pp_status sec_jwt_issue(const uint8_t *key, const struct sec_claims *claims, char **token_out,
                             struct pp_err *err)
{
    enum pp_status status = PP_OK;
    jwt_t *jwt = NULL;
    char *token = NULL;

    PP_ASSERT(key != NULL && claims != NULL && token_out != NULL);
    PP_ASSERT(claims->role == SEC_ROLE_INTEGRATOR || claims->role == SEC_ROLE_ADMIN);
    PP_ASSERT(claims->role == SEC_ROLE_ADMIN ? claims->subject > 0 : claims->subject == 0);
    PP_ASSERT(claims->iat_s >= 0 && claims->exp_s > claims->iat_s);
    *token_out = NULL;
    if (jwt_new(&jwt) != 0 || !claims_add(jwt, claims) ||
        jwt_set_alg(jwt, JWT_ALG_HS256, key, PP_JWT_KEY_BYTES) != 0) {
        status = pp_err_set(err, PP_INTERNAL, "token signing failed");
        goto done;
    }
    token = jwt_encode_str(jwt);
    /* A token we could not verify ourselves is no token. */
    if (token == NULL || strlen(token) > PP_TOKEN_BYTES_MAX) {
        status = pp_err_set(err, PP_INTERNAL, "token signing failed");
        goto done;
    }
    *token_out = token;
    token = NULL;
done:
    free(token);
    jwt_free(jwt);
    return status;
}
