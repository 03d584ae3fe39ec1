/*
** This module implements reading the audit log for admins: the checks a
** filter must pass before the store runs it. Appending entries is
** the store operation of each action, inside its own transaction.
*/
#include "payout/core/audit.h"

#include "internal.h"

enum pp_status core_audit_list(struct core_app *app, const struct pp_audit_filter *f,
                               struct pp_audit_entry *out, size_t cap, size_t *count_out,
                               int64_t *total_out, struct pp_err *err)
{
    *count_out = 0;
    *total_out = 0;
    if (f->limit < 1 || f->limit > PP_AUDIT_PAGE_SIZE_MAX || (size_t)f->limit > cap) {
        return pp_err_set(err, PP_INVALID_PARAMS, "size must be 1..%d", PP_AUDIT_PAGE_SIZE_MAX);
    }
    if (f->offset < 0) {
        return pp_err_set(err, PP_INVALID_PARAMS, "page is out of range");
    }
    if (f->has_from && f->has_to && f->from_ms > f->to_ms) {
        return pp_err_set(err, PP_INVALID_PARAMS, "from must not be after to");
    }
    return store_audit_list(app->store, f, out, cap, count_out, total_out, err);
}
