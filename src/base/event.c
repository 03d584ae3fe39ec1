/*
** This module implements the names of the section 9 domain types
** (payout/model/event.h): event types, event ids, notification kinds and
** statuses. It stores and sends nothing.
*/
#include "payout/model/event.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const event_type_names[PP_EVENT_TYPE_COUNT] = {
    "payout.created", "payout.authorized", "payout.received", "payout.cancelled",
    "payout.expired", "funds.deposited",   "funds.withdrawn", "webhook.test",
};

const char *pp_event_type_name(enum pp_event_type type)
{
    if ((unsigned)type >= PP_EVENT_TYPE_COUNT) {
        return "unknown";
    }
    return event_type_names[type];
}

int pp_event_type_parse(const char *name, enum pp_event_type *out)
{
    for (int t = 0; t < PP_EVENT_TYPE_COUNT; t++) {
        if (name != NULL && strcmp(name, event_type_names[t]) == 0) {
            *out = (enum pp_event_type)t;
            return 1;
        }
    }
    return 0;
}

int pp_event_type_is_payout(enum pp_event_type type)
{
    return type <= PP_EVENT_PAYOUT_EXPIRED;
}

void pp_event_id_format(int64_t id, char out[PP_EVENT_ID_TEXT_BYTES])
{
    snprintf(out, PP_EVENT_ID_TEXT_BYTES, "evt_%lld", (long long)id);
}

int pp_event_id_parse(const char *text, int64_t *id_out)
{
    if (text == NULL || strncmp(text, "evt_", 4) != 0) {
        return 0;
    }
    const char *digits = text + 4;
    /* Digits only: no sign, space or leading zero, at most 18 of them. */
    size_t len = strspn(digits, "0123456789");
    if (len == 0 || len > 18 || digits[len] != '\0' || digits[0] == '0') {
        return 0;
    }
    errno = 0;
    long long v = strtoll(digits, NULL, 10);
    if (errno != 0 || v <= 0) {
        return 0;
    }
    *id_out = (int64_t)v;
    return 1;
}

const char *pp_notify_kind_name(enum pp_notify_kind kind)
{
    return kind == PP_NOTIFY_READY ? "ready" : kind == PP_NOTIFY_RECEIVED ? "received" : "unknown";
}

const char *pp_notify_status_name(enum pp_notify_status status)
{
    switch (status) {
    case PP_NOTIFY_PENDING:
        return "pending";
    case PP_NOTIFY_SENT:
        return "sent";
    case PP_NOTIFY_FAILED:
        return "failed";
    case PP_NOTIFY_SKIPPED:
        return "skipped";
    }
    return "unknown";
}
