/*
** This header declares the audit log's storage: appending an entry inside
** the transaction of the action it records, and reading it back, newest
** first, filtered and paged.
*/
#ifndef PAYOUT_STORE_AUDIT_H
#define PAYOUT_STORE_AUDIT_H

#include <stdint.h>

#include "payout/model.h"
#include "payout/model/audit.h"
#include "payout/status.h"

struct store;

/* Reads the entries matching f, newest first (by id), into out[0..cap)
** (cap >= f->limit); *count_out = entries written, *total_out = how many
** match f in all. */
enum pp_status store_audit_list(struct store *st, const struct pp_audit_filter *f,
                                struct pp_audit_entry *out, size_t cap, size_t *count_out,
                                int64_t *total_out, struct pp_err *err);

#endif /* PAYOUT_STORE_AUDIT_H */
