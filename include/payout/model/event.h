/*
** This header declares the domain types of spec section 9: events (what
** changed, in order), webhook endpoints, delivery attempts and recipient
** notifications, with the names the API uses for their kinds. Plain data,
** no storage and no JSON.
*/
#ifndef PAYOUT_MODEL_EVENT_H
#define PAYOUT_MODEL_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "payout/limits.h"
#include "payout/model.h"

/* The event types; the order is the bit order of an endpoint's
** subscription mask. */
enum pp_event_type {
    PP_EVENT_PAYOUT_CREATED = 0,
    PP_EVENT_PAYOUT_AUTHORIZED,
    PP_EVENT_PAYOUT_RECEIVED,
    PP_EVENT_PAYOUT_CANCELLED,
    PP_EVENT_PAYOUT_EXPIRED,
    PP_EVENT_FUNDS_DEPOSITED,
    PP_EVENT_FUNDS_WITHDRAWN,
    PP_EVENT_WEBHOOK_TEST,
    PP_EVENT_TYPE_COUNT
};

/* "payout.created", ...; "unknown" outside the enum. */
const char *pp_event_type_name(enum pp_event_type type);
/* Reads a type name (exact); 1 and *out set when known, else 0. */
int pp_event_type_parse(const char *name, enum pp_event_type *out);
/* 1 for the payout.* types. */
int pp_event_type_is_payout(enum pp_event_type type);

/* Bytes of an event's public id "evt_<decimal id>" with its NUL. */
#define PP_EVENT_ID_TEXT_BYTES 24

/* Writes "evt_<id>" into out. */
void pp_event_id_format(int64_t id, char out[PP_EVENT_ID_TEXT_BYTES]);
/* Reads "evt_<positive decimal>" into *id_out; 1 on success, else 0. */
int pp_event_id_parse(const char *text, int64_t *id_out);

/* One event as read back. For a payout event, payout is the payout as it
** stood right after the change (later moments left out); for a funds
** event, balance is the currency's balance after the move, with the
** amount moved and its reference; for webhook.test, endpoint_id. */
struct pp_event {
    int64_t id;
    enum pp_event_type type;
    int64_t created_ms;
    int64_t sequence;
    struct pp_payout payout;
    struct pp_balance balance;
    int64_t amount_minor;
    char reference[PP_REFERENCE_BYTES_MAX + 1];
    int64_t endpoint_id;
};

/* Which events to read for the feed, oldest first. Zero fields do not
** filter. webhook.test events are never in the feed. */
struct pp_event_filter {
    int64_t after_id; /* events with a larger id */
    int has_type;
    enum pp_event_type type;
    int64_t payout_id;
    int has_from; /* created_ms >= from_ms */
    int64_t from_ms;
    int has_to; /* created_ms <= to_ms */
    int64_t to_ms;
    int64_t limit; /* 1..PP_EVENTS_PAGE_SIZE_MAX */
};

/* Called once per event read; a non-zero return stops the read. */
typedef int (*pp_event_fn)(void *ctx, const struct pp_event *e);

/* A webhook endpoint. events_mask: bit (1u << type) per subscribed type, 0
** for every type. The sealed secrets never leave core. */
struct pp_webhook {
    int64_t id;
    char url[PP_WEBHOOK_URL_BYTES_MAX + 1];
    unsigned events_mask;
    int enabled;
    char description[PP_WEBHOOK_DESCRIPTION_BYTES_MAX + 1];
    char disabled_reason[PP_WEBHOOK_ERROR_BYTES_MAX + 1];
    int64_t created_ms;
    int64_t updated_ms;
    char secret_sealed[PP_WEBHOOK_SEALED_BYTES];
    char old_secret_sealed[PP_WEBHOOK_SEALED_BYTES]; /* "" when none */
    int64_t old_secret_until_ms;                     /* 0 when none */
    int64_t failing_since_ms;                        /* 0 when not failing */
};

/* One attempt to deliver an event to an endpoint. */
struct pp_webhook_attempt {
    int64_t id;
    int64_t delivery_id;
    int64_t endpoint_id;
    int64_t event_id;
    int64_t at_ms;
    int64_t duration_ms;
    int http_status;                            /* 0 when no answer came */
    char error[PP_WEBHOOK_ERROR_BYTES_MAX + 1]; /* "" when none */
};

/* A delivery that is due: the delivery worker sends it. */
struct pp_webhook_due {
    int64_t delivery_id;
    int64_t endpoint_id;
    int64_t event_id;
    unsigned attempts; /* failed attempts so far */
};

/* What one attempt came to, for the store to record. */
enum pp_webhook_outcome {
    PP_WEBHOOK_DELIVERED, /* a 2xx answer */
    PP_WEBHOOK_RETRY,     /* failed; next attempt at next_ms */
    PP_WEBHOOK_GIVEN_UP,  /* failed, and the schedule has no step left */
    PP_WEBHOOK_GONE,      /* 410: given up, and the endpoint is disabled */
};

struct pp_webhook_result {
    int64_t delivery_id;
    int64_t endpoint_id;
    int64_t event_id;
    enum pp_webhook_outcome outcome;
    int64_t at_ms; /* when the attempt started */
    int64_t duration_ms;
    int http_status;                            /* 0 when no answer came */
    char error[PP_WEBHOOK_ERROR_BYTES_MAX + 1]; /* "" when none */
    int64_t next_ms;                            /* PP_WEBHOOK_RETRY only */
};

/* Recipient notifications. */
enum pp_notify_kind { PP_NOTIFY_READY = 1, PP_NOTIFY_RECEIVED = 2 };
/* A payout has at most one notification of each kind. */
#define PP_NOTIFY_KINDS 2
enum pp_notify_status {
    PP_NOTIFY_PENDING = 1,
    PP_NOTIFY_SENT = 2,
    PP_NOTIFY_FAILED = 3,
    PP_NOTIFY_SKIPPED = 4,
};
/* "ready" / "received"; "pending" / "sent" / "failed" / "skipped". */
const char *pp_notify_kind_name(enum pp_notify_kind kind);
const char *pp_notify_status_name(enum pp_notify_status status);

/* What the outbox holds now, for GET /metrics. */
struct pp_outbox_counts {
    int64_t deliveries_pending; /* webhook deliveries not yet delivered or given up */
    int64_t deliveries_failed;  /* given up after the last retry, ever */
    int64_t notifications[PP_NOTIFY_SKIPPED + 1]; /* by enum pp_notify_status (0 unused) */
};

/* A notification as the payout object shows it. */
struct pp_notification {
    int64_t id;
    int64_t payout_id;
    enum pp_notify_kind kind;
    enum pp_notify_status status;
    unsigned attempts;
    int64_t at_ms;
    char last_error[PP_SMTP_REPLY_BYTES];
};

/* A notification that is due, with what its message says. */
struct pp_notify_due {
    struct pp_notification n;
    struct pp_payout payout;
    char project[PP_PROJECT_NAME_BYTES_MAX + 1];
    char email[PP_EMAIL_BYTES_MAX + 1];
};

/* What one send came to. */
struct pp_notify_result {
    int64_t id;
    enum pp_notify_status status; /* SENT, FAILED, or PENDING for a retry at next_ms */
    int64_t at_ms;
    int64_t next_ms;
    char error[PP_SMTP_REPLY_BYTES];
};

#endif /* PAYOUT_MODEL_EVENT_H */
