/*
** This header declares the keyset cursor of the list endpoints: where the
** next page starts, sealed so that a client can carry it but not forge it.
**
** Text: base64url (payout/base/base64url.h, no padding) of 40 bytes:
** version, list kind, order field, direction, page number (4 bytes), the
** order value and id of the last row of the previous page (8 bytes each),
** 8 bytes of a hash of the canonical filter, and an 8-byte tag (SHA-256
** under the server's key, PP_JWT_KEY_BYTES) over all of it. A cursor
** grants nothing a client could not ask for with filters: it only says
** where a page starts. Whether it fits the query it comes with (same list,
** order, direction, filters) is the list query's check (core/list_query.h).
*/
#ifndef PAYOUT_CORE_CURSOR_H
#define PAYOUT_CORE_CURSOR_H

#include <stddef.h>
#include <stdint.h>

#include "payout/status.h"

struct core_cursor {
    uint8_t kind;        /* enum core_list_kind */
    uint8_t order;       /* enum store_order */
    uint8_t desc;        /* 1: descending */
    uint32_t page;       /* the page number this cursor starts */
    int64_t after_value; /* order value and id of the row before the page */
    int64_t after_id;
    uint64_t filter_hash; /* of the filters the first page was asked with */
};

/* Writes c, sealed under key, as text into out (out_size >=
** PP_CURSOR_TEXT_BYTES). */
void core_cursor_encode(const struct core_cursor *c, const uint8_t *key, char *out,
                        size_t out_size);

/* Reads a cursor's text into *out. PP_INVALID_PARAMS "cursor is not a valid
** cursor" when the text is not exactly a cursor's, its tag does not match
** under key (altered, or sealed with another key) or its version is not
** this server's. */
enum pp_status core_cursor_decode(const char *text, const uint8_t *key, struct core_cursor *out,
                                  struct pp_err *err);

#endif /* PAYOUT_CORE_CURSOR_H */
