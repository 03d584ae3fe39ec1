/*
** This header declares the domain types of reading the audit log: which
** entries (the filter) and one entry as read back. Appending uses struct
** pp_audit (payout/model.h). Plain data, no storage.
*/
#ifndef PAYOUT_MODEL_AUDIT_H
#define PAYOUT_MODEL_AUDIT_H

#include <stdint.h>

#include "payout/limits.h"
#include "payout/model.h"

/* Which entries to read. Zero/NULL fields do not filter. */
struct pp_audit_filter {
    const char *action; /* exact action name, or NULL */
    int has_actor_kind; /* only entries by actors of actor_kind */
    enum pp_actor_kind actor_kind;
    int64_t admin_id; /* 0 for any */
    int has_from;     /* at_ms >= from_ms */
    int64_t from_ms;
    int has_to; /* at_ms <= to_ms */
    int64_t to_ms;
    int64_t offset; /* entries skipped (>= 0) */
    int64_t limit;  /* entries wanted (1..PP_AUDIT_PAGE_SIZE_MAX) */
};

/* One entry as read back. */
struct pp_audit_entry {
    int64_t id;
    int64_t at_ms;
    enum pp_actor_kind actor_kind;
    int64_t admin_id; /* 0 when none */
    char addr[PP_ADDR_TEXT_BYTES];
    char action[PP_AUDIT_ACTION_BYTES_MAX + 1];
    char subject[PP_AUDIT_SUBJECT_BYTES_MAX + 1];
    char detail[PP_AUDIT_DETAIL_BYTES_MAX + 1];
};

#endif /* PAYOUT_MODEL_AUDIT_H */
