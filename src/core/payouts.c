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
#include "payout/core/recipients.h"
#include "payout/core/write.h"
#include "payout/sec/secrets.h"

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

/* Finds or creates the recipient inside the transaction; sets *id_out. */
static enum pp_status resolve_recipient(struct store_tx *tx, const struct pp_recipient *given,
                                        int64_t now_ms, int64_t *id_out, struct pp_err *err)
{
    struct pp_recipient stored[PP_IDENT_COUNT];
    struct core_recipient_found found = {{NULL}};
    struct pp_recipient merged;
    int changed = 0;
    enum pp_status st = PP_OK;
    for (int i = 0; i < PP_IDENT_COUNT && st == PP_OK; i++) {
        const char *value = pp_recipient_ident(given, (enum pp_ident)i);
        int hit = 0;
        if (value[0] != '\0') {
            st = store_tx_recipient_find(tx, (enum pp_ident)i, value, &stored[i], &hit, err);
        }
        found.found[i] = hit ? &stored[i] : NULL;
    }
    if (st == PP_OK) {
        st = core_recipient_resolve(given, &found, &merged, &changed, err);
    }
    if (st == PP_OK && changed) {
        st = store_tx_recipient_save(tx, &merged, now_ms, err);
    }
    if (st == PP_OK) {
        *id_out = merged.id;
    }
    return st;
}

enum pp_status core_payout_write_create(struct store_tx *tx, const struct core_payout_request *req,
                                        enum pp_payout_status initial, const char *uuid,
                                        int64_t now_ms, struct pp_payout *p, struct pp_err *err)
{
    memset(p, 0, sizeof *p);
    /* Funds first: a refusal before any write needs no undo (writer.c),
    ** and the block below cannot then fail for want of funds. */
    struct pp_balance balance;
    enum pp_status st = store_tx_balance_get(tx, req->currency->code, &balance, err);
    if (st == PP_OK && balance.available < req->amount_minor) {
        st =
            pp_err_set(err, PP_INSUFFICIENT_FUNDS, "insufficient funds in %s", req->currency->code);
    }
    if (st == PP_OK) {
        st = store_tx_project_ensure(tx, req->project_name, now_ms, &p->project_id, err);
    }
    if (st == PP_OK) {
        st = resolve_recipient(tx, &req->recipient, now_ms, &p->recipient_id, err);
    }
    if (st != PP_OK) {
        return st;
    }
    memcpy(p->currency, req->currency->code, sizeof p->currency);
    p->amount_minor = req->amount_minor;
    p->start_ms = req->start_ms;
    p->end_ms = req->end_ms;
    snprintf(p->description, sizeof p->description, "%s", req->description);
    snprintf(p->metadata, sizeof p->metadata, "%s", req->metadata ? req->metadata : "");
    snprintf(p->uuid, sizeof p->uuid, "%s", uuid);
    p->notification = req->notification != 0;
    p->status = initial;
    p->created_ms = now_ms;
    p->updated_ms = now_ms;
    st = store_tx_payout_insert(tx, p, err);
    if (st == PP_OK) {
        struct pp_movement block = {
            .currency = p->currency,
            .kind = PP_LEDGER_BLOCK,
            .d_available = -p->amount_minor,
            .d_blocked = p->amount_minor,
            .payout_id = p->id,
            .at_ms = now_ms,
        };
        st = store_tx_funds_move(tx, &block, NULL, err);
    }
    return st;
}

struct create_op {
    const struct core_payout_request *req;
    const struct pp_actor *actor;
    enum pp_payout_status initial;
    int64_t now_ms;
    char uuid[PP_UUID_TEXT_BYTES];
    struct pp_payout payout; /* out */
};

static enum pp_status write_create(struct store_tx *tx, void *arg, struct pp_err *err)
{
    struct create_op *op = arg;
    enum pp_status st =
        core_payout_write_create(tx, op->req, op->initial, op->uuid, op->now_ms, &op->payout, err);
    if (st == PP_OK) {
        char subject[CORE_AUDIT_SUBJECT_BYTES];
        char detail[64];
        char amount[PP_AMOUNT_TEXT_BYTES];
        core_money_format(op->payout.amount_minor, op->req->currency->exponent, amount,
                          sizeof amount);
        core_audit_subject_format(op->payout.id, subject);
        snprintf(detail, sizeof detail, "%s %s", amount, op->payout.currency);
        st = core_audit_append(tx, op->actor, "payment.create", subject, detail, op->now_ms, err);
    }
    return st;
}

enum pp_status core_payout_create(struct core_app *app, const struct core_payout_request *req,
                                  const struct pp_actor *actor, struct pp_payout *out,
                                  struct pp_err *err)
{
    enum pp_status st = core_payout_validate(req, err);
    if (st != PP_OK) {
        return st;
    }
    struct create_op op = {
        .req = req,
        .actor = actor,
        .initial = core_auth_policy_initial_status(app, req->currency->code, req->amount_minor),
        .now_ms = core_now_ms(),
    };
    st = sec_uuid_v7(op.now_ms, op.uuid, err);
    if (st == PP_OK) {
        st = core_write_run(app, write_create, &op, err);
    }
    if (st == PP_OK) {
        *out = op.payout;
    }
    return st;
}

enum pp_status core_payout_get(struct core_app *app, int64_t id, struct pp_payout *out,
                               struct pp_err *err)
{
    return store_payout_get(app->store, id, out, err);
}
