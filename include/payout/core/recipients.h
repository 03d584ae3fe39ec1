/*
** This header declares the rule that decides which recipient a payout goes
** to. A recipient is identified by any of userName, phoneNumber and
** referenceId, each unique among recipients. The rule is pure: the store
** looks up the recipients each given identifier points at, and
** core_recipient_resolve decides whether to reuse one, create one, or
** refuse. It never touches storage.
*/
#ifndef PAYOUT_CORE_RECIPIENTS_H
#define PAYOUT_CORE_RECIPIENTS_H

#include <stdint.h>

#include "payout/model.h"
#include "payout/status.h"

/* The recipients that the request's identifiers point at: found[i] is the
** stored recipient whose identifier i equals the request's identifier i, or
** NULL when the request did not give identifier i or no recipient has it.
** Borrowed. */
struct core_recipient_found {
    const struct pp_recipient *found[PP_IDENT_COUNT]; /* indexed by enum pp_ident */
};

/* Decides the recipient for a payout request `given` (id 0; at least one
** identifier set — otherwise PP_INVALID_PARAMS).
** - No identifier matched: *out = given (id 0): create a new recipient.
** - All matches are the same stored recipient R: *out = R with every field
**   that R has empty and `given` has set filled in (identifiers and
**   firstName/lastName/email); set fields of R are never overwritten. If
**   `given` sets an identifier to a value different from R's non-empty one,
**   that is PP_INVALID_PARAMS (the identifiers describe two people).
** - Matches point at two different recipients: PP_INVALID_PARAMS.
** *changed_out is 1 when *out differs from the stored recipient (so the store
** must update it) and 0 otherwise (always 1 when creating). */
enum pp_status core_recipient_resolve(const struct pp_recipient *given,
                                      const struct core_recipient_found *found,
                                      struct pp_recipient *out, int *changed_out,
                                      struct pp_err *err);

#endif /* PAYOUT_CORE_RECIPIENTS_H */
