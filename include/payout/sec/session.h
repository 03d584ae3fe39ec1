/*
** This header declares the secrets of a browser session (spec §7): the
** session id that the cookie carries, the hash of it that the database
** keeps instead, and the CSRF token the panel sends back in X-CSRF-Token.
**
** Both id and token are PP_SESSION_ID_BYTES / PP_CSRF_TOKEN_BYTES from the
** CSPRNG (256 bits, above the 128 the spec requires) written as unpadded
** base64url: 43 characters that need no quoting in a cookie or a header.
** The id is stored only as the lower-case hex SHA-256 of its text, so a
** copy of the database does not hold a usable session. Nothing here logs.
*/
#ifndef PAYOUT_SEC_SESSION_H
#define PAYOUT_SEC_SESSION_H

#include <stddef.h>

#include "payout/limits.h"
#include "payout/status.h"

/* Characters of a session id or CSRF token (ceil(4 * 32 / 3)). */
#define SEC_SESSION_ID_CHARS ((PP_SESSION_ID_BYTES * 4 + 2) / 3)
#define SEC_CSRF_TOKEN_CHARS ((PP_CSRF_TOKEN_BYTES * 4 + 2) / 3)
/* Buffers for them and for the stored hash, NUL included. */
#define SEC_SESSION_ID_TEXT_BYTES (SEC_SESSION_ID_CHARS + 1)
#define SEC_CSRF_TOKEN_TEXT_BYTES (SEC_CSRF_TOKEN_CHARS + 1)
#define SEC_SESSION_HASH_TEXT_BYTES 65

/* Draws a new session id into id_out (the cookie's value) and writes the
** hash the database keeps into hash_out. PP_INTERNAL if the CSPRNG fails;
** then both are "". The caller wipes id_out once the answer is sent. */
enum pp_status sec_session_id_create(char id_out[SEC_SESSION_ID_TEXT_BYTES],
                                     char hash_out[SEC_SESSION_HASH_TEXT_BYTES],
                                     struct pp_err *err);

/* Writes the stored hash of the presented id[0..len) (untrusted, borrowed,
** for example from sec_cookie_find) into hash_out and returns 1 when it
** has the shape of an id: exactly SEC_SESSION_ID_CHARS base64url
** characters. Otherwise returns 0, hashes nothing and sets hash_out to "":
** the caller answers 401 without a database look-up. */
int sec_session_id_hash(const char *id, size_t len, char hash_out[SEC_SESSION_HASH_TEXT_BYTES]);

/* Draws a new CSRF token into token_out. PP_INTERNAL if the CSPRNG fails;
** then token_out is "". */
enum pp_status sec_csrf_token_create(char token_out[SEC_CSRF_TOKEN_TEXT_BYTES], struct pp_err *err);

/* 1 when the presented X-CSRF-Token value presented[0..presented_len)
** (untrusted, may be NULL with length 0 when the header is missing) equals
** the session's token expected[0..expected_len) (non-empty, asserted), in
** time that does not depend on where they differ (sec_equal). A missing or
** empty header never matches. */
int sec_csrf_token_check(const char *expected, size_t expected_len, const char *presented,
                         size_t presented_len);

#endif /* PAYOUT_SEC_SESSION_H */
