/*
** This header is the storage contract of the read side: pages of payouts,
** recipients, projects and ledger movements under a filter, in an order,
** either after an offset or after a keyset position (the last row of the
** previous page), with an optional total; single recipients and projects;
** and payout totals (count and sum per currency and status) of a recipient
** or a project, or of every row of a page of recipients or projects (one
** aggregate query per page).
**
** Everything runs on the reader pool. Each list request runs in one read
** transaction (its rows and its total come from one snapshot). The SQL of
** a list is assembled from a fixed set of fragments chosen by which
** filters are used (never from caller text), every value is bound, and the
** prepared statement is cached per connection by that shape, so a hot list
** never prepares again. Totals are remembered per connection until the
** next commit (PRAGMA data_version), so paging one list counts once.
**
** Rows are handed to a callback one at a time, while the reader is held:
** the callback must be quick and must not call the store.
*/
#ifndef PAYOUT_STORE_READS_H
#define PAYOUT_STORE_READS_H

#include <stddef.h>
#include <stdint.h>

#include "payout/limits.h"
#include "payout/model.h"
#include "payout/model/list.h"
#include "payout/status.h"

struct store;

/* One page of payouts matching f, in page->order: fn(ctx, row) for each,
** *info filled. PP_UNAVAILABLE / PP_INTERNAL on storage failures (rows may
** have been handed out before). Asserts on a malformed page or filter. */
enum pp_status store_payouts_page(struct store *st, const struct pp_payout_filter *f,
                                  const struct pp_page *page, pp_payout_fn fn, void *ctx,
                                  struct pp_page_info *info, struct pp_err *err);

/* The same for recipients, projects and ledger movements (order by id).
**
** totals (recipients and projects; NULL: none, and the page runs exactly as
** without it): after the page's rows, in the same read transaction, ONE
** aggregate query over the payouts whose recipient (project) is one of the
** page's rows, through the payouts' recipient (project) index, calls
** totals->fn for each (row, currency, status) those payouts have: grouped
** by row in the page's order, then by currency and status, like
** store_payout_totals. A row without payouts gets no call; an empty page
** runs no query. page->limit must be at most PP_PAGE_SIZE_MAX then. */
enum pp_status store_recipients_page(struct store *st, const struct pp_recipient_filter *f,
                                     const struct pp_page *page, pp_recipient_fn fn, void *ctx,
                                     const struct pp_page_totals *totals, struct pp_page_info *info,
                                     struct pp_err *err);
enum pp_status store_projects_page(struct store *st, const struct pp_project_filter *f,
                                   const struct pp_page *page, pp_project_fn fn, void *ctx,
                                   const struct pp_page_totals *totals, struct pp_page_info *info,
                                   struct pp_err *err);
enum pp_status store_ledger_page(struct store *st, const struct pp_ledger_filter *f,
                                 const struct pp_page *page, pp_ledger_fn fn, void *ctx,
                                 struct pp_page_info *info, struct pp_err *err);

/* One recipient / project; PP_NOT_FOUND if there is none. */
enum pp_status store_recipient_get(struct store *st, int64_t id, struct pp_recipient *out,
                                   struct pp_err *err);
enum pp_status store_project_get(struct store *st, int64_t id, struct pp_project *out,
                                 struct pp_err *err);

/* fn(ctx, total) for each (currency, status) that the payouts of recipient
** or project `id` have, ordered by currency then status. A sum beyond
** int64 is PP_INTERNAL (it cannot happen below PP_BALANCE_MINOR_MAX). */
enum pp_status store_payout_totals(struct store *st, enum pp_totals_of of, int64_t id,
                                   pp_total_fn fn, void *ctx, struct pp_err *err);

/* The canonical bytes of a payout filter (fields in a fixed order, unused
** ones as zeros): equal filters give equal bytes. Writes at most
** PP_READ_FILTER_KEY_BYTES into out and returns the length. The other
** lists' filters have their own. */
size_t store_payout_filter_key(const struct pp_payout_filter *f, unsigned char *out);
size_t store_recipient_filter_key(const struct pp_recipient_filter *f, unsigned char *out);
size_t store_project_filter_key(const struct pp_project_filter *f, unsigned char *out);
size_t store_ledger_filter_key(const struct pp_ledger_filter *f, unsigned char *out);

#endif /* PAYOUT_STORE_READS_H */
