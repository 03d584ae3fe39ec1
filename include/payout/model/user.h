/*
** This header declares the panel's users (spec §7): the four roles, a
** user as stored, and a browser session as stored. Plain data with
** fixed-size text fields, like payout/model.h; no storage, no rules (the
** permission table is core/permissions.h).
*/
#ifndef PAYOUT_MODEL_USER_H
#define PAYOUT_MODEL_USER_H

#include <stddef.h>
#include <stdint.h>

#include "payout/limits.h"

/* A user's role. 0 is "no role" (the API key, or nobody). */
enum pp_role {
    PP_ROLE_NONE = 0,
    PP_ROLE_ADMIN = 1,    /* everything */
    PP_ROLE_APPROVER = 2, /* reads, cancels, authorizes */
    PP_ROLE_OPERATOR = 3, /* reads, creates, receives, cancels */
    PP_ROLE_AUDITOR = 4,  /* reads */
    PP_ROLE_COUNT
};

/* "admin", "approver", "operator", "auditor"; "none" for PP_ROLE_NONE and
** anything outside the enum. */
const char *pp_role_name(enum pp_role role);
/* Parses an exact lower-case role name (not "none"); 1 and *out, or 0. */
int pp_role_parse(const char *name, size_t len, enum pp_role *out);

/* A user as stored (the admins table). Texts are NUL-terminated; "" is
** "not set". */
struct pp_user {
    int64_t id;
    char email[PP_EMAIL_BYTES_MAX + 1];
    char password_hash[PP_PASSWORD_HASH_TEXT_BYTES];
    enum pp_role role;
    int disabled;                                   /* 0 or 1 */
    char totp_sealed[PP_TOTP_SEALED_BYTES];         /* "" = two-factor off */
    char totp_pending_sealed[PP_TOTP_SEALED_BYTES]; /* a setup not yet enabled, or "" */
    int64_t totp_last_step;                         /* SEC_TOTP_STEP_NONE (-1) if none */
    int64_t token_generation; /* bumping it ends the user's tokens and sessions */
    int64_t created_ms;
    int64_t last_sign_in_ms; /* 0 = never */
};

/* Bytes of a session id's stored hash (64 hex digits and a NUL) and of a
** CSRF token's text (43 base64url characters and a NUL); sec/session.h
** has the same figures. */
#define PP_SESSION_HASH_TEXT_BYTES 65
#define PP_CSRF_TEXT_BYTES 44

/* A browser session as stored. */
struct pp_session {
    int64_t id;
    char id_hash[PP_SESSION_HASH_TEXT_BYTES];
    int64_t user_id;
    char csrf_token[PP_CSRF_TEXT_BYTES];
    int64_t generation; /* the user's token_generation when it began */
    int64_t created_ms;
    int64_t last_seen_ms;
};

#endif /* PAYOUT_MODEL_USER_H */
