/*
** This header declares the storage of idempotency keys (table
** `idempotency`, migration 0004). A key is named by (scope, key): the scope
** says whose key it is ("integrator", "admin:7"), so two callers never see
** each other's keys. The fingerprint is a SHA-256 of the request.
**
** The row is inserted inside the transaction of the action (so the action
** and the key commit together or not at all) with no answer; the answer is
** filled in by a later write.
*/
#ifndef PAYOUT_STORE_IDEMPOTENCY_H
#define PAYOUT_STORE_IDEMPOTENCY_H

#include <stddef.h>
#include <stdint.h>

#include "payout/status.h"

struct store;

/* Longest scope text, and the fingerprint size (match 0004_idempotency.sql). */
#define STORE_IDEM_SCOPE_BYTES_MAX 32
#define STORE_IDEM_FINGERPRINT_BYTES 32
#define STORE_IDEM_CONTENT_TYPE_BYTES_MAX 127

/* A stored key. */
struct store_idem_row {
    uint8_t fingerprint[STORE_IDEM_FINGERPRINT_BYTES];
    int64_t created_ms;
    int has_response; /* 0: the action committed, its answer was never stored */
    unsigned status;  /* HTTP status of the answer */
    char content_type[STORE_IDEM_CONTENT_TYPE_BYTES_MAX + 1];
    char *body; /* new (free()); NUL-terminated; NULL when !has_response */
    size_t body_len;
};

/* Reads (scope, key). *found_out = 0 when there is no such row; else *out
** is filled and out->body must be freed by the caller. */
enum pp_status store_idem_get(struct store *st, const char *scope, const char *key,
                              struct store_idem_row *out, int *found_out, struct pp_err *err);

/* Stores the answer of (scope, key) if it has none yet. body[0..len) may be
** empty. PP_NOT_FOUND when there is no such row (purged meanwhile). */
enum pp_status store_idem_answer_put(struct store *st, const char *scope, const char *key,
                                     unsigned status, const char *content_type, const char *body,
                                     size_t body_len, struct pp_err *err);

/* Deletes up to `limit` rows created before before_ms; *deleted_out = how
** many. */
enum pp_status store_idem_purge(struct store *st, int64_t before_ms, int64_t limit,
                                int64_t *deleted_out, struct pp_err *err);

#endif /* PAYOUT_STORE_IDEMPOTENCY_H */
