/*
** This private header declares the JSON of a payout (api/payout.c): the
** create request's fields and their reader, the metadata object, and the
** payout record writer.
*/
#ifndef PAYOUT_API_PAYOUT_H
#define PAYOUT_API_PAYOUT_H

#include <jansson.h>

#include "payout/api/jsonw.h"
#include "payout/base/arena.h"
#include "payout/base/buf.h"
#include "payout/core/app.h"
#include "payout/core/payouts.h"
#include "payout/core/webhooks.h"
#include "payout/model.h"
#include "payout/model/event.h"
#include "payout/status.h"

/* The fields a create body (or one row of a list) may carry, NULL-ended. */
extern const char *const api_payout_request_fields[];

/* Reads a create body (already checked against api_payout_request_fields)
** into *out; the first problem lands in err. Strings in *out are borrowed
** from body, except the compact metadata text, which is allocated in
** arena. */
void api_payout_request_read(json_t *body, struct pp_arena *arena, struct core_payout_request *out,
                             struct pp_err *err);

/* Checks a payout's "metadata" value (a flat JSON object: at most
** PP_METADATA_KEYS_MAX keys of 1..PP_METADATA_KEY_BYTES_MAX bytes; values
** string (<= PP_METADATA_STRING_BYTES_MAX bytes), number, boolean or null)
** and appends its compact text to out: keys in the order sent, integers as
** integers, reals as their shortest round-tripping decimal (always with a
** '.' or an exponent, so 1.0 stays a real), so every value reads back
** exactly as sent. PP_INVALID_PARAMS with the reason otherwise, also when
** the text exceeds PP_METADATA_BYTES_MAX bytes. */
enum pp_status api_metadata_compact(const json_t *value, struct pp_buf *out, struct pp_err *err);

/* The notifications a payout object carries as its last key (spec
** section 9). known 0: they could not be read after a committed write,
** and the object says "notifications":null rather than fail the answer. */
struct api_payout_notes {
    int known;
    size_t count;
    struct pp_notification items[CORE_PAYOUT_NOTIFICATIONS_MAX];
};

/* Reads the notifications of p into *out for the answer of a write that
** committed (core_payout_notifications: no store read when
** p->notification is off). A failure is logged and leaves out->known 0,
** never an error answer (the write stands). */
void api_payout_notes_after_write(struct core_app *app, const struct pp_payout *p,
                                  struct api_payout_notes *out);

/* The notifications of many payouts read at once (a list page, a created
** list): core_payouts_notifications of ids[0..count) into a buffer of
** arena. known 0 when the read failed (err says why). */
struct api_payouts_notes {
    int known;
    struct pp_notification *items; /* ordered by payout id */
    size_t count;
};
enum pp_status api_payouts_notes_read(struct core_app *app, struct pp_arena *arena,
                                      const int64_t *ids, size_t count,
                                      struct api_payouts_notes *out, struct pp_err *err);

/* Payout id's part of all (read by api_payouts_notes_read) into *out;
** out->known is all->known. */
void api_payouts_notes_of(const struct api_payouts_notes *all, int64_t id,
                          struct api_payout_notes *out);

/* Writes p as the payout object of every answer, "notifications" last
** (notes borrowed). */
void api_payout_write(struct jw *w, const struct pp_payout *p,
                      const struct api_payout_notes *notes);

/* Writes p as the object of a page whose notifications are read after the
** page (the page's reader is still held while its rows are written):
** "notifications":[] last, and returns the offset in w->out right after
** its '[', where api_payout_notes_items_write's text goes. */
size_t api_payout_placeholder_write(struct jw *w, const struct pp_payout *p);

/* Appends the items of notes, comma-separated, without the brackets. */
void api_payout_notes_items_write(struct pp_buf *out, const struct api_payout_notes *notes);

/* Writes p as it was when an event happened, the data of a payout.* event:
** every member but "notifications", which change after the event (an
** event's body never changes once written, retries included). */
void api_payout_snapshot_write(struct jw *w, const struct pp_payout *p);

#endif /* PAYOUT_API_PAYOUT_H */
