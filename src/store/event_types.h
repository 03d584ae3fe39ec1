/*
** This private header declares how both backends store a webhook
** endpoint's event types (event_types.c): the set as a bit mask over enum
** pp_event_type in memory, as the text ",a,b," in the `events` column.
*/
#ifndef PAYOUT_STORE_EVENT_TYPES_H
#define PAYOUT_STORE_EVENT_TYPES_H

#include <stddef.h>

#include "payout/limits.h"

/* ",a,b," for the types in mask into out; "" for 0 (stored NULL: every
** type). size must hold every type: PP_EVENT_TYPES_TEXT_BYTES. */
void store_event_types_text(unsigned mask, char *out, size_t size);
/* The mask of a stored text; -1 when a name is unknown or too long. */
long store_event_types_mask(const char *text);

#endif
