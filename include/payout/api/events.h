/*
** This header declares the JSON of an event (spec section 9), as
** GET /api/events lists it and as a webhook delivery's body carries it:
** {"id":"evt_…","type","createdAt","sequence","data"}. The command line
** hands it to the outbox (core_outbox_options.render).
*/
#ifndef PAYOUT_API_EVENTS_H
#define PAYOUT_API_EVENTS_H

#include "payout/base/buf.h"
#include "payout/model/event.h"

/* Appends the JSON of e to out. */
void api_event_render(const struct pp_event *e, struct pp_buf *out);

#endif /* PAYOUT_API_EVENTS_H */
