/*
** This module implements the secrets of browser sessions: new session ids
** and CSRF tokens from the CSPRNG, the SHA-256 hash under which a session
** is stored, and the constant-time CSRF check.
**
** It does not keep sessions, read cookies (sec/cookie.c) or decide expiry:
** the users feature stores the hash with its times and answers requests.
*/
#include "payout/sec/session.h"

#include <stdint.h>
#include <string.h>

#include "payout/base/assert.h"
#include "payout/base/base64.h"
#include "payout/sec/digest.h"
#include "payout/sec/secrets.h"

_Static_assert(PP_SESSION_ID_BYTES >= 16, "spec §7: a session id has at least 128 bits");
_Static_assert(SEC_SESSION_HASH_TEXT_BYTES == 2 * SEC_SHA256_BYTES + 1, "hex of SHA-256");

/* Draws bytes random bytes and writes their base64url into out (out_size). */
static enum pp_status random_text(size_t bytes, char *out, size_t out_size, struct pp_err *err)
{
    uint8_t raw[64];

    PP_ASSERT(bytes <= sizeof raw);
    enum pp_status status = sec_random_bytes(raw, bytes, err);
    if (status != PP_OK) {
        out[0] = '\0';
        goto done;
    }
    pp_base64url_encode(raw, bytes, out, out_size);
done:
    sec_wipe(raw, sizeof raw);
    return status;
}

/* The stored hash of id[0..len): lower-case hex SHA-256 of the text. */
static void id_hash(const char *id, size_t len, char hash_out[SEC_SESSION_HASH_TEXT_BYTES])
{
    uint8_t digest[SEC_SHA256_BYTES];
    sec_sha256(id, len, digest);
    sec_hex_encode(digest, sizeof digest, hash_out);
}

enum pp_status sec_session_id_create(char id_out[SEC_SESSION_ID_TEXT_BYTES],
                                     char hash_out[SEC_SESSION_HASH_TEXT_BYTES], struct pp_err *err)
{
    PP_ASSERT(id_out != NULL && hash_out != NULL);
    enum pp_status status =
        random_text(PP_SESSION_ID_BYTES, id_out, SEC_SESSION_ID_TEXT_BYTES, err);
    if (status != PP_OK) {
        hash_out[0] = '\0';
        goto done;
    }
    id_hash(id_out, SEC_SESSION_ID_CHARS, hash_out);
done:
    return status;
}

int sec_session_id_hash(const char *id, size_t len, char hash_out[SEC_SESSION_HASH_TEXT_BYTES])
{
    int ok = 0;

    PP_ASSERT(id != NULL || len == 0);
    PP_ASSERT(hash_out != NULL);
    hash_out[0] = '\0';
    if (len != SEC_SESSION_ID_CHARS || !pp_base64url_is_text(id, len)) {
        goto done;
    }
    id_hash(id, len, hash_out);
    ok = 1;
done:
    return ok;
}

enum pp_status sec_csrf_token_create(char token_out[SEC_CSRF_TOKEN_TEXT_BYTES], struct pp_err *err)
{
    PP_ASSERT(token_out != NULL);
    return random_text(PP_CSRF_TOKEN_BYTES, token_out, SEC_CSRF_TOKEN_TEXT_BYTES, err);
}

int sec_csrf_token_check(const char *expected, size_t expected_len, const char *presented,
                         size_t presented_len)
{
    PP_ASSERT(expected != NULL && expected_len > 0);
    PP_ASSERT(presented != NULL || presented_len == 0);
    /* sec_equal hashes both sides, so neither the position of the first
    ** difference nor the presented length shows in the time taken. */
    return presented_len > 0 && sec_equal(expected, expected_len, presented, presented_len);
}
