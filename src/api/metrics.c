/*
** This module implements GET /metrics: the Prometheus text format 0.0.4
** of the server's counters (requests by route and status, latency per
** route, write batches: payout/base/metrics.h) and of gauges read from
** the database when scraped: open payouts and blocked funds per currency,
** webhook deliveries waiting and given up, notifications by status.
** It never writes a secret: labels are routes, statuses and currency
** codes. With --metrics off it answers 404.
*/
#include "metrics.h"

#include <stdio.h>

#include "payout/base/metrics.h"
#include "payout/core/expiry.h"
#include "payout/core/funds.h"
#include "payout/core/idempotency.h"
#include "payout/core/money.h"
#include "payout/core/outbox.h"
#include "payout/limits.h"
#include "response.h"

static void route_name(size_t route, struct pp_buf *out, void *ctx)
{
    (void)ctx;
    pp_buf_printf(out, "%s %s", api_routes[route].method, api_routes[route].pattern);
}

/* Open payouts and blocked funds per currency. */
static enum pp_status gauges_write(struct core_app *app, struct pp_buf *out, struct pp_arena *arena,
                                   struct pp_err *err)
{
    struct pp_open_count *open = pp_arena_calloc(arena, PP_BALANCES_MAX, sizeof *open);
    struct pp_balance *balances = pp_arena_calloc(arena, PP_BALANCES_MAX, sizeof *balances);
    size_t open_n = 0;
    size_t balances_n = 0;
    if (core_payouts_open_count(app, open, PP_BALANCES_MAX, &open_n, err) != PP_OK ||
        core_balances_list(app, balances, PP_BALANCES_MAX, &balances_n, err) != PP_OK) {
        return err->status;
    }
    pp_metrics_write_help(out, "payout_open_payouts", "gauge",
                          "Payouts UNAUTHORIZED or READY, by currency.");
    for (size_t i = 0; i < open_n; i++) {
        pp_buf_printf(out, "payout_open_payouts{currency=\"%s\"} %lld\n", open[i].currency,
                      (long long)open[i].count);
    }
    pp_metrics_write_help(out, "payout_blocked_amount", "gauge",
                          "Funds held by open payouts, by currency, in major units.");
    for (size_t i = 0; i < balances_n; i++) {
        const struct core_currency *cur = core_currency_find(balances[i].currency, 3);
        char amount[PP_AMOUNT_TEXT_BYTES];
        core_money_format(balances[i].blocked, cur != NULL ? cur->exponent : 0, amount,
                          sizeof amount);
        pp_buf_printf(out, "payout_blocked_amount{currency=\"%s\"} %s\n", balances[i].currency,
                      amount);
    }
    struct core_expiry_stats ex;
    core_expiry_stats(app, &ex);
    pp_metrics_write_help(out, "payout_expiry_passes_total", "counter",
                          "Expiry passes this node ran (on a shared database: while it held the "
                          "expiry lease).");
    pp_buf_printf(out, "payout_expiry_passes_total %lld\n", (long long)ex.passes);
    pp_metrics_write_help(out, "payout_expiry_lease_held", "gauge",
                          "1 while this node holds the expiry lease (always 1 when expiry runs on "
                          "an unshared database, 0 when it is off).");
    pp_buf_printf(out, "payout_expiry_lease_held %d\n",
                  ex.running && (!ex.shared || ex.lease_held) ? 1 : 0);
    struct core_idem_purge_stats ip;
    core_idem_purge_stats(app, &ip);
    pp_metrics_write_help(out, "payout_idempotency_purge_passes_total", "counter",
                          "Purges of expired Idempotency-Keys this node ran (on a shared "
                          "database: while it held the purge lease).");
    pp_buf_printf(out, "payout_idempotency_purge_passes_total %lld\n", (long long)ip.passes);
    pp_metrics_write_help(out, "payout_idempotency_purge_lease_held", "gauge",
                          "1 while this node holds the idempotency purge lease (always 1 when "
                          "the purge runs on an unshared database).");
    pp_buf_printf(out, "payout_idempotency_purge_lease_held %d\n",
                  ip.running && (!ip.shared || ip.lease_held) ? 1 : 0);
    return PP_OK;
}

/* Webhook deliveries waiting and given up, and notifications by status. */
static enum pp_status outbox_write(struct core_app *app, struct pp_buf *out, struct pp_err *err)
{
    struct pp_outbox_counts c;
    if (core_outbox_counts(app, &c, err) != PP_OK) {
        return err->status;
    }
    pp_metrics_write_help(out, "payout_webhook_deliveries_pending", "gauge",
                          "Webhook deliveries waiting to be sent or retried.");
    pp_buf_printf(out, "payout_webhook_deliveries_pending %lld\n", (long long)c.deliveries_pending);
    pp_metrics_write_help(out, "payout_webhook_deliveries_failed", "gauge",
                          "Webhook deliveries given up after the last retry.");
    pp_buf_printf(out, "payout_webhook_deliveries_failed %lld\n", (long long)c.deliveries_failed);
    pp_metrics_write_help(out, "payout_notifications", "gauge",
                          "Recipient notifications by status.");
    for (int s = PP_NOTIFY_PENDING; s <= PP_NOTIFY_SKIPPED; s++) {
        pp_buf_printf(out, "payout_notifications{status=\"%s\"} %lld\n",
                      pp_notify_status_name((enum pp_notify_status)s),
                      (long long)c.notifications[s]);
    }
    return PP_OK;
}

void api_metrics(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    struct pp_err err = {0};
    if (!pp_metrics_enabled()) {
        api_error_respond(resp, PP_NOT_FOUND, "metrics are off on this server (--metrics off)");
        return;
    }
    struct pp_buf text;
    pp_buf_init(&text);
    pp_metrics_render(&text, route_name, NULL);
    if (gauges_write(app, &text, req->arena, &err) != PP_OK ||
        outbox_write(app, &text, &err) != PP_OK) {
        api_err_respond(resp, &err);
    } else {
        resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
        pp_buf_append(&resp->body, text.data, text.len);
    }
    pp_buf_free(&text);
}
