/*
** This module implements the JSON of a payout, where its fields live: the
** fields a create body (or one row of a bulk list) may carry and their
** reading into a core_payout_request, the "metadata" object (checked and
** kept as its compact text), and the payout record every answer writes.
** It does not know any route: payments.c, lists.c and lifecycle.c do.
*/
#include "payout.h"

#include <inttypes.h>
#include <string.h>

#include "payout/base/log.h"
#include "payout/core/payouts.h"
#include "payout/core/webhooks.h"
#include "request.h"
#include "response.h"

/* --- Metadata --------------------------------------------------------------- */

/* Writes one metadata value; PP_INVALID_PARAMS when its type is not flat. */
static enum pp_status metadata_value(struct jw *w, const char *key, const json_t *v,
                                     struct pp_err *err)
{
    char text[40];
    switch (json_typeof(v)) {
    case JSON_STRING:
        if (json_string_length(v) > PP_METADATA_STRING_BYTES_MAX) {
            return pp_err_set(err, PP_INVALID_PARAMS, "metadata.%s is longer than %d bytes", key,
                              PP_METADATA_STRING_BYTES_MAX);
        }
        jw_string_n(w, json_string_value(v), json_string_length(v));
        return PP_OK;
    case JSON_INTEGER:
        jw_int(w, (int64_t)json_integer_value(v));
        return PP_OK;
    case JSON_REAL:
        /* Never jansson's printer: "%.17g" turns 0.1 into 0.10000000000000001. */
        core_double_shortest(json_real_value(v), text, sizeof text - 2);
        if (strpbrk(text, ".eE") == NULL) {
            strcat(text, ".0");
        }
        jw_raw(w, text);
        return PP_OK;
    case JSON_TRUE:
    case JSON_FALSE:
        jw_bool(w, json_is_true(v));
        return PP_OK;
    case JSON_NULL:
        jw_null(w);
        return PP_OK;
    default:
        return pp_err_set(err, PP_INVALID_PARAMS,
                          "metadata.%s must be a string, number, boolean or null "
                          "(metadata is a flat object)",
                          key);
    }
}

enum pp_status api_metadata_compact(const json_t *value, struct pp_buf *out, struct pp_err *err)
{
    if (!json_is_object(value)) {
        return pp_err_set(err, PP_INVALID_PARAMS, "metadata must be a JSON object");
    }
    if (json_object_size(value) > PP_METADATA_KEYS_MAX) {
        return pp_err_set(err, PP_INVALID_PARAMS, "metadata has more than %d keys",
                          PP_METADATA_KEYS_MAX);
    }
    size_t start = out->len;
    enum pp_status st = PP_OK;
    struct jw w;
    jw_init(&w, out);
    jw_object_begin(&w);
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)value, key, v)
    {
        size_t len = strlen(key);
        if (len == 0 || len > PP_METADATA_KEY_BYTES_MAX) {
            st = pp_err_set(err, PP_INVALID_PARAMS,
                            "metadata keys must be 1 to %d bytes long ('%.48s' is not)",
                            PP_METADATA_KEY_BYTES_MAX, key);
            break;
        }
        jw_key(&w, key);
        st = metadata_value(&w, key, v, err);
        if (st != PP_OK) {
            break;
        }
    }
    if (st == PP_OK) {
        jw_object_end(&w);
        if (out->len - start > PP_METADATA_BYTES_MAX) {
            st = pp_err_set(err, PP_INVALID_PARAMS,
                            "metadata is larger than %d bytes as compact JSON",
                            PP_METADATA_BYTES_MAX);
        }
    }
    return st;
}

/* --- The create request --------------------------------------------------------- */

const char *const api_payout_request_fields[] = {
    "amount",      "currency", "startDate",    "endDate",     "name",
    "description", "userName", "phoneNumber",  "referenceId", "firstName",
    "lastName",    "email",    "notification", "metadata",    NULL,
};

/* Reads the optional "metadata" into out->metadata ("" when absent or
** null): its compact text, copied into the request's arena. */
static void metadata_read(json_t *body, struct pp_arena *arena, struct core_payout_request *out,
                          struct pp_err *err)
{
    json_t *given = json_object_get(body, "metadata");
    struct pp_buf text;
    if (given == NULL || json_is_null(given)) {
        return;
    }
    pp_buf_init(&text);
    if (api_metadata_compact(given, &text, err) == PP_OK) {
        out->metadata = pp_arena_strndup(arena, text.data, text.len);
    }
    pp_buf_free(&text);
}

void api_payout_request_read(json_t *body, struct pp_arena *arena, struct core_payout_request *out,
                             struct pp_err *err)
{
    struct pp_recipient *r = &out->recipient;
    const char *text = NULL;
    memset(out, 0, sizeof *out);
    out->project_name = "";
    out->description = "";
    out->metadata = "";
    if (api_field_currency(body, "currency", &out->currency, err) == PP_OK) {
        api_field_amount(body, "amount", out->currency, &out->amount_minor, err);
    }
    api_field_date(body, "startDate", &out->start_ms, err);
    api_field_date(body, "endDate", &out->end_ms, err);
    api_field_string(body, "name", 1, PP_PROJECT_NAME_BYTES_MAX, &out->project_name, err);
    api_field_string(body, "description", 1, PP_DESCRIPTION_BYTES_MAX, &out->description, err);
    api_field_ident(body, "userName", 0, r->user_name, sizeof r->user_name, err);
    api_field_ident(body, "phoneNumber", 0, r->phone_number, sizeof r->phone_number, err);
    api_field_ident(body, "referenceId", 1, r->reference_id, sizeof r->reference_id, err);
    if (api_field_string(body, "firstName", 0, PP_PERSON_NAME_BYTES_MAX, &text, err) == PP_OK) {
        memcpy(r->first_name, text, strlen(text) + 1);
    }
    if (api_field_string(body, "lastName", 0, PP_PERSON_NAME_BYTES_MAX, &text, err) == PP_OK) {
        memcpy(r->last_name, text, strlen(text) + 1);
    }
    if (api_field_string(body, "email", 0, PP_EMAIL_BYTES_MAX, &text, err) == PP_OK) {
        memcpy(r->email, text, strlen(text) + 1);
    }
    api_field_bool(body, "notification", 1, &out->notification, err);
    metadata_read(body, arena, out, err);
}

/* --- The payout record ---------------------------------------------------------- */

/* A moment that only some payouts have: written only when set. */
static void write_optional_date(struct jw *w, const char *key, int64_t ms)
{
    if (ms != 0) {
        jw_key(w, key);
        api_date_write(w, ms);
    }
}

/* key: id, when id is a panel user's (not 0). */
static void write_optional_id(struct jw *w, const char *key, int64_t id)
{
    if (id != 0) {
        jw_key(w, key);
        jw_int(w, id);
    }
}

/* Every member of the payout object but the notifications. */
static void payout_members_write(struct jw *w, const struct pp_payout *p)
{
    JW_KEY(w, "amount");
    api_amount_write(w, p->amount_minor, p->currency);
    JW_KEY(w, "id");
    jw_int(w, p->id);
    JW_KEY(w, "currency");
    jw_string(w, p->currency);
    JW_KEY(w, "startDate");
    api_date_write(w, p->start_ms);
    JW_KEY(w, "endDate");
    api_date_write(w, p->end_ms);
    JW_KEY(w, "description");
    jw_string(w, p->description);
    JW_KEY(w, "notification");
    jw_bool(w, p->notification);
    JW_KEY(w, "status");
    jw_string(w, pp_payout_status_name(p->status));
    JW_KEY(w, "recipientId");
    jw_int(w, p->recipient_id);
    JW_KEY(w, "projectId");
    jw_int(w, p->project_id);
    JW_KEY(w, "updatedAt");
    api_date_write(w, p->updated_ms);
    JW_KEY(w, "createdAt");
    api_date_write(w, p->created_ms);
    JW_KEY(w, "uniqueId");
    jw_string(w, p->uuid);
    JW_KEY(w, "metadata");
    if (p->metadata[0] != '\0') {
        jw_raw(w, p->metadata);
    } else {
        jw_null(w);
    }
    write_optional_date(w, "authorizedAt", p->authorized_ms);
    write_optional_date(w, "receivedAt", p->received_ms);
    if (p->reference[0] != '\0') {
        JW_KEY(w, "reference");
        jw_string(w, p->reference);
    }
    write_optional_date(w, "cancelledAt", p->cancelled_ms);
    write_optional_date(w, "expiredAt", p->expired_ms);
    write_optional_id(w, "createdByUserId", p->created_by_user);
    write_optional_id(w, "authorizedByUserId", p->authorized_by_user);
}

void api_payout_snapshot_write(struct jw *w, const struct pp_payout *p)
{
    jw_object_begin(w);
    payout_members_write(w, p);
    jw_object_end(w);
}

/* One notification object. */
static void notification_write(struct jw *w, const struct pp_notification *n)
{
    jw_object_begin(w);
    JW_KEY(w, "kind");
    jw_string(w, pp_notify_kind_name(n->kind));
    JW_KEY(w, "channel");
    jw_string(w, "email");
    JW_KEY(w, "status");
    jw_string(w, pp_notify_status_name(n->status));
    JW_KEY(w, "at");
    api_date_write(w, n->at_ms);
    if (n->last_error[0] != '\0' && n->status != PP_NOTIFY_SENT) {
        JW_KEY(w, "error");
        jw_string(w, n->last_error);
    }
    jw_object_end(w);
}

static enum pp_status api_payout_notes_read(struct core_app *app, const struct pp_payout *p,
                                            struct api_payout_notes *out, struct pp_err *err)
{
    out->known = 0;
    enum pp_status st = core_payout_notifications(app, p, out->items, &out->count, err);
    out->known = st == PP_OK;
    return st;
}

void api_payout_notes_after_write(struct core_app *app, const struct pp_payout *p,
                                  struct api_payout_notes *out)
{
    struct pp_err err = {0};
    if (api_payout_notes_read(app, p, out, &err) != PP_OK) {
        /* The write committed: its answer must still say so. */
        pp_log(PP_LOG_WARN,
               "payout %" PRId64 ": notifications not readable after the write, answered as "
               "null: %s",
               p->id, err.message);
    }
}

enum pp_status api_payouts_notes_read(struct core_app *app, struct pp_arena *arena,
                                      const int64_t *ids, size_t count,
                                      struct api_payouts_notes *out, struct pp_err *err)
{
    out->known = 1;
    out->count = 0;
    out->items = NULL;
    if (count == 0) {
        return PP_OK;
    }
    out->items = pp_arena_calloc(arena, count * CORE_PAYOUT_NOTIFICATIONS_MAX, sizeof *out->items);
    enum pp_status st = core_payouts_notifications(app, ids, count, out->items, &out->count, err);
    out->known = st == PP_OK;
    return st;
}

void api_payouts_notes_of(const struct api_payouts_notes *all, int64_t id,
                          struct api_payout_notes *out)
{
    /* The first of all->items of payout id or after it: a binary search,
    ** since a page's rows come in the list's order, not by id. */
    size_t lo = 0;
    size_t hi = all->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (all->items[mid].payout_id < id) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    out->known = all->known;
    out->count = 0;
    for (size_t k = lo; k < all->count && all->items[k].payout_id == id &&
                        out->count < CORE_PAYOUT_NOTIFICATIONS_MAX;
         k++) {
        out->items[out->count++] = all->items[k];
    }
}

void api_payout_write(struct jw *w, const struct pp_payout *p, const struct api_payout_notes *notes)
{
    jw_object_begin(w);
    payout_members_write(w, p);
    JW_KEY(w, "notifications");
    if (!notes->known) {
        jw_null(w);
    } else {
        jw_array_begin(w);
        for (size_t i = 0; i < notes->count; i++) {
            notification_write(w, &notes->items[i]);
        }
        jw_array_end(w);
    }
    jw_object_end(w);
}

size_t api_payout_placeholder_write(struct jw *w, const struct pp_payout *p)
{
    jw_object_begin(w);
    payout_members_write(w, p);
    JW_KEY(w, "notifications");
    jw_array_begin(w);
    size_t at = w->out->len;
    jw_array_end(w);
    jw_object_end(w);
    return at;
}

void api_payout_notes_items_write(struct pp_buf *out, const struct api_payout_notes *notes)
{
    struct jw w;
    /* At the top level the writer separates the objects with commas, as
    ** the items of the array they are spliced into. */
    jw_init(&w, out);
    for (size_t i = 0; i < notes->count; i++) {
        notification_write(&w, &notes->items[i]);
    }
}
