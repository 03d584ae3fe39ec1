/*
** This module implements the small helpers of model.h: names of payout
** states and ledger kinds, and identifier access on recipients.
*/
#include "payout/model.h"

#include <string.h>

static const char *const status_names[] = {
    [PP_PAYOUT_UNAUTHORIZED] = "UNAUTHORIZED", [PP_PAYOUT_READY] = "READY",
    [PP_PAYOUT_RECEIVED] = "RECEIVED",         [PP_PAYOUT_CANCELLED] = "CANCELLED",
    [PP_PAYOUT_EXPIRED] = "EXPIRED",
};

const char *pp_payout_status_name(enum pp_payout_status status)
{
    if (status < PP_PAYOUT_UNAUTHORIZED || status > PP_PAYOUT_EXPIRED) {
        return "UNKNOWN";
    }
    return status_names[status];
}

int pp_payout_status_parse(const char *name, size_t len, enum pp_payout_status *out)
{
    for (int s = PP_PAYOUT_UNAUTHORIZED; s <= PP_PAYOUT_EXPIRED; s++) {
        if (strlen(status_names[s]) == len && memcmp(status_names[s], name, len) == 0) {
            *out = (enum pp_payout_status)s;
            return 1;
        }
    }
    return 0;
}

int pp_payout_status_is_open(enum pp_payout_status status)
{
    return status == PP_PAYOUT_UNAUTHORIZED || status == PP_PAYOUT_READY;
}

const char *pp_ledger_kind_name(enum pp_ledger_kind kind)
{
    switch (kind) {
    case PP_LEDGER_DEPOSIT:
        return "deposit";
    case PP_LEDGER_WITHDRAW:
        return "withdraw";
    case PP_LEDGER_BLOCK:
        return "block";
    case PP_LEDGER_RELEASE:
        return "release";
    case PP_LEDGER_PAYOUT:
        return "payout";
    }
    return "unknown";
}

const char *pp_recipient_ident(const struct pp_recipient *r, enum pp_ident which)
{
    switch (which) {
    case PP_IDENT_USER_NAME:
        return r->user_name;
    case PP_IDENT_PHONE_NUMBER:
        return r->phone_number;
    case PP_IDENT_REFERENCE_ID:
        return r->reference_id;
    case PP_IDENT_COUNT:
        break;
    }
    return "";
}

const char *pp_actor_kind_name(enum pp_actor_kind kind)
{
    switch (kind) {
    case PP_ACTOR_SYSTEM:
        return "system";
    case PP_ACTOR_INTEGRATOR:
        return "integrator";
    case PP_ACTOR_ADMIN:
        return "admin";
    }
    return "unknown";
}
