/*
** This header declares the audit log's storage: appending an entry inside
** the transaction of the action it records. Reading the log is declared
** here too as it grows.
*/
#ifndef PAYOUT_STORE_AUDIT_H
#define PAYOUT_STORE_AUDIT_H

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

#endif /* PAYOUT_STORE_AUDIT_H */
