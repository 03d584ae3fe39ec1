/*
** This header defines the records every layer speaks about: payouts,
** recipients, projects, balances, ledger movements and admins, plus the
** payout states. They are plain data with fixed-size text fields (sizes
** from limits.h) so they can be copied out of SQLite rows and passed
** between threads without ownership questions.
*/
#ifndef PAYOUT_MODEL_H
#define PAYOUT_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "payout/limits.h"

enum pp_payout_status {
    PP_PAYOUT_UNAUTHORIZED = 1, /* awaits an admin's authorization; funds blocked */
    PP_PAYOUT_READY = 2,        /* may be received inside its window; funds blocked */
    PP_PAYOUT_RECEIVED = 3,     /* paid out; final */
    PP_PAYOUT_CANCELLED = 4,    /* funds released; final */
    PP_PAYOUT_EXPIRED = 5,      /* endDate passed while open; funds released; final */
};

/* "READY", ...; "UNKNOWN" for values outside the enum. */
const char *pp_payout_status_name(enum pp_payout_status status);
/* Parses an exact upper-case status name; returns 1 and sets *out, or 0. */
int pp_payout_status_parse(const char *name, size_t len, enum pp_payout_status *out);
/* 1 for UNAUTHORIZED and READY (their funds are blocked), else 0. */
int pp_payout_status_is_open(enum pp_payout_status status);

struct pp_payout {
    int64_t id;
    int64_t project_id;
    int64_t recipient_id;
    char currency[4];
    int64_t amount_minor;
    int64_t start_ms;
    int64_t end_ms;
    char description[PP_DESCRIPTION_BYTES_MAX + 1];
    int notification; /* 0 or 1 */
    enum pp_payout_status status;
    int64_t created_ms;
    int64_t updated_ms;
    char uuid[PP_UUID_TEXT_BYTES];            /* the payout's uniqueId */
    char metadata[PP_METADATA_BYTES_MAX + 1]; /* compact JSON object, "" for none */
    int64_t authorized_ms;                    /* 0 = not set (and below) */
    int64_t received_ms;
    int64_t cancelled_ms;
    int64_t expired_ms;
    char reference[PP_REFERENCE_BYTES_MAX + 1]; /* payout reference when received */
    int64_t created_by_user;    /* the panel user who created it; 0: the API key or the server */
    int64_t authorized_by_user; /* the panel user who authorized it; 0: none, or the API key */
};

/* How many payouts of a currency are open (UNAUTHORIZED or READY). */
struct pp_open_count {
    char currency[4];
    int64_t count;
};

/* Which identifier names a recipient. */
enum pp_ident { PP_IDENT_USER_NAME, PP_IDENT_PHONE_NUMBER, PP_IDENT_REFERENCE_ID, PP_IDENT_COUNT };

/* A recipient; an empty string ("") means "not set". */
struct pp_recipient {
    int64_t id; /* 0 = not stored yet */
    char user_name[PP_IDENT_BYTES_MAX + 1];
    char phone_number[PP_IDENT_BYTES_MAX + 1];
    char reference_id[PP_IDENT_BYTES_MAX + 1];
    char first_name[PP_PERSON_NAME_BYTES_MAX + 1];
    char last_name[PP_PERSON_NAME_BYTES_MAX + 1];
    char email[PP_EMAIL_BYTES_MAX + 1];
};

/* The recipient's identifier `which` (borrowed pointer into r). */
const char *pp_recipient_ident(const struct pp_recipient *r, enum pp_ident which);

/* Funds of one currency, in minor units. */
struct pp_balance {
    char currency[4];
    int64_t available; /* may be used by new payouts or withdrawn */
    int64_t blocked;   /* held by open payouts */
    __int128 paid_out; /* received payouts, lifetime total: exact, may pass 2^63 */
};

enum pp_ledger_kind {
    PP_LEDGER_DEPOSIT = 1,  /* admin funds the account: +available */
    PP_LEDGER_WITHDRAW = 2, /* admin takes funds out: -available */
    PP_LEDGER_BLOCK = 3,    /* payout created: available -> blocked */
    PP_LEDGER_RELEASE = 4,  /* payout cancelled or expired: blocked -> available */
    PP_LEDGER_PAYOUT = 5,   /* payout received: blocked -> paid out */
};

/* "deposit", "withdraw", "block", "release", "payout"; "unknown" otherwise. */
const char *pp_ledger_kind_name(enum pp_ledger_kind kind);

/* One funds movement: the deltas are applied to the currency's balance and
** appended to the ledger in the same transaction. */
struct pp_movement {
    const char *currency; /* borrowed, 3 letters */
    enum pp_ledger_kind kind;
    int64_t d_available;
    int64_t d_blocked;
    int64_t d_paid_out;
    int64_t payout_id;     /* 0 when not about a payout */
    const char *reference; /* borrowed; NULL or "" for none */
    int64_t admin_id;      /* acting admin, 0 for an integrator or the server */
    int64_t at_ms;
};

/* Who does something, for the audit log. */
enum pp_actor_kind {
    PP_ACTOR_SYSTEM = 0,     /* the server itself (expiry, start-up) */
    PP_ACTOR_INTEGRATOR = 1, /* an API key */
    PP_ACTOR_ADMIN = 2,      /* an admin token, or the command line */
};

/* INET6_ADDRSTRLEN plus NUL. */
#define PP_ADDR_TEXT_BYTES 48

struct pp_actor {
    enum pp_actor_kind kind;
    int64_t admin_id;              /* when kind is PP_ACTOR_ADMIN; 0 for the command line */
    char addr[PP_ADDR_TEXT_BYTES]; /* client address, "" when not over HTTP */
};

/* "system", "integrator", "admin". */
const char *pp_actor_kind_name(enum pp_actor_kind kind);

/* One audit-log entry as written: what happened, to which ids. */
struct pp_audit {
    const struct pp_actor *actor; /* borrowed */
    const char *action;           /* borrowed: "payment.create", "funds.deposit", ... */
    const char *subject;          /* borrowed: affected ids ("payout:7", "payout:1,2,3"), or "" */
    const char *detail;           /* borrowed: short non-secret detail (amount, currency), or "" */
    int64_t at_ms;
};

struct pp_admin {
    int64_t id;
    char email[PP_EMAIL_BYTES_MAX + 1];
    char password_hash[PP_PASSWORD_HASH_TEXT_BYTES];
    int64_t token_generation; /* bumped on password reset: revokes admin tokens */
};

#endif /* PAYOUT_MODEL_H */
