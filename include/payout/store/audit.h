/*
** This header declares the audit log's storage: appending an entry inside
** the transaction of the action it records, and reading it back, newest
** first, filtered and paged.
*/
#ifndef PAYOUT_STORE_AUDIT_H
#define PAYOUT_STORE_AUDIT_H

#include <stdint.h>

#include "payout/model.h"
#include "payout/status.h"
#include "payout/store/store.h"

/* Audit text limits (match 0003_audit.sql). */
#define STORE_AUDIT_SUBJECT_BYTES_MAX 4096
#define STORE_AUDIT_DETAIL_BYTES_MAX 512

/* Appends a to the audit log inside tx. Over-long subject or detail text is
** cut at the limit (marked with "..."), never refused: the action itself
** must not fail because of its log line. */
enum pp_status store_tx_audit_append(struct store_tx *tx, const struct pp_audit *a,
                                     struct pp_err *err);

/* Longest action name (matches 0003_audit.sql). */
#define STORE_AUDIT_ACTION_BYTES_MAX 64

/* Which entries to read. Zero/NULL fields do not filter. */
struct store_audit_filter {
    const char *action;  /* exact action name, or NULL */
    int has_actor_kind;  /* only entries by actors of actor_kind */
    enum pp_actor_kind actor_kind;
    int64_t admin_id;    /* 0 for any */
    int has_from;        /* at_ms >= from_ms */
    int64_t from_ms;
    int has_to;          /* at_ms <= to_ms */
    int64_t to_ms;
    int64_t offset;      /* entries skipped (>= 0) */
    int64_t limit;       /* entries wanted (1..PP_AUDIT_PAGE_SIZE_MAX) */
};

/* One entry as read back. */
struct store_audit_entry {
    int64_t id;
    int64_t at_ms;
    enum pp_actor_kind actor_kind;
    int64_t admin_id; /* 0 when none */
    char addr[PP_ADDR_TEXT_BYTES];
    char action[STORE_AUDIT_ACTION_BYTES_MAX + 1];
    char subject[STORE_AUDIT_SUBJECT_BYTES_MAX + 1];
    char detail[STORE_AUDIT_DETAIL_BYTES_MAX + 1];
};

/* Reads the entries matching f, newest first (by id), into out[0..cap)
** (cap >= f->limit); *count_out = entries written, *total_out = how many
** match f in all. */
enum pp_status store_audit_list(struct store *st, const struct store_audit_filter *f,
                                struct store_audit_entry *out, size_t cap, size_t *count_out,
                                int64_t *total_out, struct pp_err *err);

#endif /* PAYOUT_STORE_AUDIT_H */
