/*
** This private header declares what core/webhooks.c needs of the outbox
** state (outbox.c): sealing and opening endpoint secrets with the key
** derived from the master secret.
*/
#ifndef PAYOUT_CORE_OUTBOX_H
#define PAYOUT_CORE_OUTBOX_H

#include <stddef.h>

#include "payout/limits.h"
#include "payout/sec/webhook_sign.h"
#include "payout/status.h"

struct core_app;

/* Seals secret (a "whsec_" text) into out (PP_WEBHOOK_SEALED_BYTES).
** PP_INTERNAL when the outbox was not started (no key). */
enum pp_status core_outbox_seal(struct core_app *app, const char *secret,
                                char out[PP_WEBHOOK_SEALED_BYTES], struct pp_err *err);

/* Opens sealed into secret_out (NUL-terminated). PP_INTERNAL on failure. */
enum pp_status core_outbox_open(struct core_app *app, const char *sealed,
                                char secret_out[SEC_WEBHOOK_SECRET_TEXT_BYTES * 2],
                                struct pp_err *err);

#endif /* PAYOUT_CORE_OUTBOX_H */
