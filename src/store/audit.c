/*
** This module implements the audit table: appending entries inside the
** transaction of the action they record. The table is append-only
** (triggers in 0003_audit.sql).
*/
#include "payout/store/audit.h"

#include <string.h>

#include "payout/base/assert.h"
#include "store/internal.h"

/* Copies s into out (size bytes), cutting it with "..." when too long. */
static const char *fit_text(const char *s, char *out, size_t size)
{
    size_t len = strlen(s);
    if (len < size) {
        return s;
    }
    size_t keep = size - 4;
    /* Do not cut inside a UTF-8 sequence. */
    while (keep > 0 && ((unsigned char)s[keep] & 0xC0) == 0x80) {
        keep--;
    }
    memcpy(out, s, keep);
    memcpy(out + keep, "...", 4);
    return out;
}

enum pp_status store_tx_audit_append(struct store_tx *tx, const struct pp_audit *a,
                                     struct pp_err *err)
{
    struct store_conn *c = store_tx_conn(tx);
    PP_ASSERT(a != NULL && a->actor != NULL && a->action != NULL && a->action[0] != '\0');
    char subject[STORE_AUDIT_SUBJECT_BYTES_MAX + 1];
    char detail[STORE_AUDIT_DETAIL_BYTES_MAX + 1];
    struct store_q q;
    store_q_init(&q, c, STORE_STMT_AUDIT_INSERT,
                 "INSERT INTO audit (at_ms, actor_kind, admin_id, addr, action, subject, detail)"
                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    store_q_int64(&q, 1, a->at_ms);
    store_q_int64(&q, 2, (int64_t)a->actor->kind);
    store_q_int64_or_null(&q, 3, a->actor->admin_id);
    store_q_text_or_null(&q, 4, a->actor->addr);
    store_q_text(&q, 5, a->action);
    store_q_text_or_null(&q, 6, fit_text(a->subject ? a->subject : "", subject, sizeof subject));
    store_q_text_or_null(&q, 7, fit_text(a->detail ? a->detail : "", detail, sizeof detail));
    enum pp_status status = PP_OK;
    if (store_q_step(&q) != SQLITE_DONE) {
        status = store_q_fail(&q, "appending to the audit log", err);
    }
    store_q_reset(&q);
    return status;
}
