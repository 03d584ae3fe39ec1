/*
** This module implements creating payouts (project, recipient, payout and
** the funds block in one transaction, audited) and reading one. The status
** a new payout starts in is the authorization policy's (auth_policy.c);
** changes after create are bulk.c and receive.c; the SQL lives in store/.
*/
#include "payout/core/payouts.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "payout/core/auth_policy.h"
#include "payout/core/dates.h"
#include "payout/core/outbox.h"
#include "payout/core/recipients.h"
#include "payout/sec/secrets.h"
#include "write.h"

enum pp_status core_payout_validate(const struct core_payout_request *req, struct pp_err *err)
{
    if (req->amount_minor <= 0) {
        return pp_err_set(err, PP_INVALID_PARAMS, "amount must be greater than zero");
    }
    if (req->amount_minor > PP_AMOUNT_MINOR_MAX) {
        return pp_err_set(err, PP_INVALID_PARAMS, "amount is too large");
    }
    if (req->end_ms <= req->start_ms) {
        return pp_err_set(err, PP_INVALID_PARAMS, "endDate must be after startDate");
    }
    if (req->project_name[0] == '\0') {
        return pp_err_set(err, PP_INVALID_PARAMS, "name must not be empty");
    }
    if (req->description[0] == '\0') {
        return pp_err_set(err, PP_INVALID_PARAMS, "description must not be empty");
    }
    const struct pp_recipient *r = &req->recipient;
    if (r->user_name[0] == '\0' && r->phone_number[0] == '\0' && r->reference_id[0] == '\0') {
        return pp_err_set(err, PP_INVALID_PARAMS,
                          "one of userName, phoneNumber or referenceId is required");
    }
    if (req->metadata != NULL && strlen(req->metadata) > PP_METADATA_BYTES_MAX) {
        return pp_err_set(err, PP_INVALID_PARAMS, "metadata is larger than %d bytes",
                          PP_METADATA_BYTES_MAX);
    }
    return PP_OK;
}

enum pp_status core_payout_recipient_rule(const struct pp_recipient *given,
                                          const struct pp_recipient *const *found,
                                          struct pp_recipient *out, int *changed_out,
                                          struct pp_err *err)
{
    struct core_recipient_found by_ident = {{NULL}};
    for (int i = 0; i < PP_IDENT_COUNT; i++) {
        by_ident.found[i] = found[i];
    }
    return core_recipient_resolve(given, &by_ident, out, changed_out, err);
}

void core_payout_new_fill(const struct core_payout_request *req, enum pp_payout_status initial,
                          const char *uuid, struct store_payout_new *out)
{
    memset(out, 0, sizeof *out);
    out->project_name = req->project_name;
    out->recipient = &req->recipient;
    struct pp_payout *p = &out->payout;
    memcpy(p->currency, req->currency->code, sizeof p->currency);
    p->amount_minor = req->amount_minor;
    p->start_ms = req->start_ms;
    p->end_ms = req->end_ms;
    snprintf(p->description, sizeof p->description, "%s", req->description);
    snprintf(p->metadata, sizeof p->metadata, "%s", req->metadata ? req->metadata : "");
    snprintf(p->uuid, sizeof p->uuid, "%s", uuid);
    p->notification = req->notification != 0;
    p->status = initial;
}

enum pp_status core_payout_create(struct core_app *app, const struct core_payout_request *req,
                                  const struct pp_actor *actor, struct pp_payout *out,
                                  struct pp_notification *ready_out, struct pp_err *err)
{
    enum pp_status st = core_payout_validate(req, err);
    if (st != PP_OK) {
        return st;
    }
    struct core_write cw;
    core_write_begin(&cw, actor, core_now_ms());
    char uuid[PP_UUID_TEXT_BYTES];
    st = sec_uuid_v7(cw.ctx.now_ms, uuid, err);
    if (st != PP_OK) {
        return st;
    }
    struct store_payout_new row;
    core_payout_new_fill(
        req, core_auth_policy_initial_status(app, req->currency->code, req->amount_minor), uuid,
        &row);
    char amount[PP_AMOUNT_TEXT_BYTES];
    char detail[64];
    core_money_format(req->amount_minor, req->currency->exponent, amount, sizeof amount);
    snprintf(detail, sizeof detail, "%s %s", amount, row.payout.currency);
    st = store_payouts_create(app->store, &cw.ctx, &row, 1, core_payout_recipient_rule, 0,
                              "payment.create", detail, err);
    core_write_end(&cw, st);
    if (st == PP_OK) {
        *out = row.payout;
    }
    if (ready_out != NULL) {
        memset(ready_out, 0, sizeof *ready_out);
    }
    if (st == PP_OK && ready_out != NULL && row.ready_notice) {
        /* As the store's outbox records it: see core_outbox_mail_on. */
        ready_out->payout_id = row.payout.id;
        ready_out->kind = PP_NOTIFY_READY;
        ready_out->status = core_outbox_mail_on(app) ? PP_NOTIFY_PENDING : PP_NOTIFY_SKIPPED;
        ready_out->at_ms = row.payout.created_ms;
    }
    return st;
}

enum pp_status core_payout_get(struct core_app *app, int64_t id, struct pp_payout *out,
                               struct pp_err *err)
{
    return store_payout_get(app->store, id, out, err);
}
