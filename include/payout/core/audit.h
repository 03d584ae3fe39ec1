/*
** This header declares reading the audit log for admins. The records and
** the filter are domain types (payout/model/audit.h): plain data, no SQL.
** Writing entries happens inside each action's transaction
** (by each action's store operation), never through here.
*/
#ifndef PAYOUT_CORE_AUDIT_H
#define PAYOUT_CORE_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "payout/model/audit.h"
#include "payout/status.h"

struct core_app;

/* One page of the audit log, newest first: see store_audit_list. A filter
** whose from is after its to is PP_INVALID_PARAMS; an offset past the end
** is an empty page. */
enum pp_status core_audit_list(struct core_app *app, const struct pp_audit_filter *f,
                               struct pp_audit_entry *out, size_t cap, size_t *count_out,
                               int64_t *total_out, struct pp_err *err);

#endif /* PAYOUT_CORE_AUDIT_H */
