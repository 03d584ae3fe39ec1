/*
** This module implements the fuzz target of the list queries
** (core/list_query.c on the query engine core/query.c:
** core_list_query_param and core_list_query_finish). The first input byte
** picks the list (payouts, export, recipients, projects, ledger), the rest
** is a query string "k=v&k" as the HTTP layer hands it over (already
** decoded; at most PP_QUERY_PARAMS_MAX parameters).
** Properties: a refusal is PP_INVALID_PARAMS with a message; an accepted
** query has a page within the limits (size 1..PP_PAGE_SIZE_MAX, or the
** export chunk; offset <= PP_PAGE_OFFSET_MAX; page >= 1); and for the paged
** lists, the cursor written for the next page, sent back with the same
** parameters, is accepted and starts the page after the given row.
*/
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "payout/core/reads.h"

static const uint8_t key[PP_JWT_KEY_BYTES] = {42, 1, 2, 3, 4, 5, 6, 7, 8, 9};

/* Feeds the parameters of qs (modified: split in place) to q, skipping
** `page` and `cursor` when skip_paging; then `cursor` when extra_cursor. */
static enum pp_status build(struct core_list_query *q, enum core_list_kind kind, char *qs,
                            int skip_paging, const char *extra_cursor, struct pp_err *err)
{
    enum pp_status st = PP_OK;
    size_t n = 0;
    char *save = NULL;
    core_list_query_init(q, kind);
    for (char *pair = strtok_r(qs, "&", &save); pair != NULL && st == PP_OK;
         pair = strtok_r(NULL, "&", &save)) {
        if (++n > PP_QUERY_PARAMS_MAX) {
            break;
        }
        char *eq = strchr(pair, '=');
        if (eq != NULL) {
            *eq = '\0';
        }
        if (skip_paging && (strcmp(pair, "page") == 0 || strcmp(pair, "cursor") == 0)) {
            continue;
        }
        st = core_list_query_param(q, pair, eq != NULL ? eq + 1 : NULL, err);
    }
    if (st == PP_OK && extra_cursor != NULL) {
        st = core_list_query_param(q, "cursor", extra_cursor, err);
    }
    if (st == PP_OK) {
        st = core_list_query_finish(q, key, err);
    }
    return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return 0;
    }
    enum core_list_kind kind = (enum core_list_kind)(CORE_LIST_PAYOUTS + data[0] % 5u);
    char *qs = malloc(size);
    char *qs2 = malloc(size);
    FUZZ_CHECK(qs != NULL && qs2 != NULL);
    memcpy(qs, data + 1, size - 1);
    qs[size - 1] = '\0';
    memcpy(qs2, qs, size);
    struct core_list_query q;
    struct pp_err err = {0};
    if (build(&q, kind, qs, 0, NULL, &err) != PP_OK) {
        FUZZ_CHECK(err.status == PP_INVALID_PARAMS && err.message[0] != '\0');
        goto done;
    }
    FUZZ_CHECK(q.page_number >= 1);
    if (kind == CORE_LIST_EXPORT) {
        FUZZ_CHECK(q.page.limit == PP_EXPORT_CHUNK_ROWS && q.page.want_total == 0);
        goto done;
    }
    FUZZ_CHECK(q.page.limit >= 1 && q.page.limit <= PP_PAGE_SIZE_MAX);
    FUZZ_CHECK(q.page.offset >= 0 && q.page.offset <= PP_PAGE_OFFSET_MAX);
    FUZZ_CHECK(!q.page.keyset || q.page.offset == 0);
    /* The next page's cursor, after a row made of input bytes. */
    int64_t value = (int64_t)(size * 7919u) - 5000;
    int64_t id = (int64_t)data[0] + 1;
    char cursor[PP_CURSOR_TEXT_BYTES];
    core_list_cursor_encode(&q, key, value, id, cursor, sizeof cursor);
    struct core_list_query next;
    FUZZ_CHECK(build(&next, kind, qs2, 1, cursor, &err) == PP_OK);
    FUZZ_CHECK(next.page.keyset == 1 && next.page.offset == 0);
    FUZZ_CHECK(next.page.after_value == value && next.page.after_id == id);
    FUZZ_CHECK(next.page_number == q.page_number + 1);
    FUZZ_CHECK(next.page.order == q.page.order && next.page.desc == q.page.desc);
    FUZZ_CHECK(next.page.limit == q.page.limit);
done:
    free(qs);
    free(qs2);
    return 0;
}
