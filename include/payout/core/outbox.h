/*
** This header declares the outbox of spec section 9: the master secret
** and the key that seals endpoint secrets, the delivery worker (one
** thread, concurrent guarded POSTs signed as Standard Webhooks 1.0 through
** one libcurl multi handle, retries on the schedule with jitter and
** Retry-After, the order rule, 410 and 5 days of failures disabling) and
** the mail thread that sends recipient notifications over SMTP.
**
** The master secret (--secret-file, kept outside the database) is the
** server's; the outbox derives its own sealing key from it with HKDF and
** its own label (payout/sec/seal.h).
*/
#ifndef PAYOUT_CORE_OUTBOX_H
#define PAYOUT_CORE_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "payout/base/buf.h"
#include "payout/limits.h"
#include "payout/model/event.h"
#include "payout/sec/webhook_sign.h"
#include "payout/status.h"

struct core_app;

/* Writes the JSON body of event e (as GET /api/events shows it) to out;
** supplied by the API layer, which owns the wire format. */
typedef void (*core_event_render_fn)(const struct pp_event *e, struct pp_buf *out);

/* How the outbox runs; texts borrowed for the call (copied). */
struct core_outbox_options {
    const uint8_t *master; /* the server's master secret (borrowed for the call); NULL:
                           ** none, and webhook secrets cannot be sealed or opened */
    size_t master_len;
    const char *allow_cidrs;   /* --webhook-allow-cidrs, NULL or "" for none */
    const char *retry_ms;      /* --webhook-retry-ms, NULL for the default schedule */
    const char *smtp_url;      /* NULL: notifications are recorded as skipped */
    const char *smtp_from;     /* required with smtp_url */
    const char *smtp_user;     /* PAYOUT_SMTP_USER, NULL for no AUTH */
    const char *smtp_password; /* PAYOUT_SMTP_PASSWORD */
    const char *smtp_ca_file;  /* NULL: the system's trusted certificates */
    int workers;               /* 0: prepare secrets only, send nothing (tests, `check`) */
    core_event_render_fn render;
};

/* Checks the values of options that need no world (CIDRs, schedule, SMTP
** URL and sender): PP_INVALID_PARAMS naming the flag. */
enum pp_status core_outbox_options_check(const struct core_outbox_options *o, struct pp_err *err);

/* Derives the sealing key from o->master, then, when o->workers, starts the
** delivery worker and, with an SMTP URL, the mail thread. Call once, after
** core_app_open and before serving. */
enum pp_status core_outbox_start(struct core_app *app, const struct core_outbox_options *o,
                                 struct pp_err *err);

/* Stops the threads (transfers in flight are abandoned: at least once, so
** they are sent again after a restart) and wipes the key. No-op when not
** started. core_app_close calls it. */
void core_outbox_stop(struct core_app *app);

/* 1 when recipient e-mails are sent (the outbox runs with --smtp-url):
** the store records a due e-mail as pending then, as skipped otherwise. */
int core_outbox_mail_on(const struct core_app *app);

/* --- Secrets (for core/webhooks.c) --------------------------------------- */

/* Seals secret (a "whsec_" text) into out (PP_WEBHOOK_SEALED_BYTES).
** PP_INTERNAL when the outbox was not started (no key). */
/* What the outbox holds now (for GET /metrics). */
enum pp_status core_outbox_counts(struct core_app *app, struct pp_outbox_counts *out,
                                  struct pp_err *err);

enum pp_status core_outbox_seal(struct core_app *app, const char *secret,
                                char out[PP_WEBHOOK_SEALED_BYTES], struct pp_err *err);

/* Opens sealed into secret_out (NUL-terminated). PP_INTERNAL on failure. */
enum pp_status core_outbox_open(struct core_app *app, const char *sealed,
                                char secret_out[SEC_WEBHOOK_SECRET_TEXT_BYTES * 2],
                                struct pp_err *err);

/* The same for a copy of a webhook secret kept elsewhere than on its
** endpoint (the stored answer of an idempotent create or rotate-secret,
** core/idempotency.c): sealed with the same key, bound to context
** (NUL-terminated, borrowed), so that it opens only where it was sealed.
** core_outbox_open_bound reads sealed[0..sealed_len). */
enum pp_status core_outbox_seal_bound(struct core_app *app, const char *context, const char *secret,
                                      char out[PP_WEBHOOK_SEALED_BYTES], struct pp_err *err);
enum pp_status core_outbox_open_bound(struct core_app *app, const char *context, const char *sealed,
                                      size_t sealed_len,
                                      char secret_out[SEC_WEBHOOK_SECRET_TEXT_BYTES * 2],
                                      struct pp_err *err);

#endif /* PAYOUT_CORE_OUTBOX_H */
