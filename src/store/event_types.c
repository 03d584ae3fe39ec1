/*
** This module implements the stored form of a webhook endpoint's event
** types for both backends (event_types.h): the mask written as ",a,b,"
** (commas on both sides, so looking for ",name," finds a type) and read back.
*/
#include "store/event_types.h"

#include <stdio.h>
#include <string.h>

#include "payout/base/assert.h"
#include "payout/model/event.h"

void store_event_types_text(unsigned mask, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (int t = 0; t < PP_EVENT_TYPE_COUNT && mask != 0; t++) {
        if (mask & (1u << t)) {
            used += (size_t)snprintf(out + used, size - used, "%s%s,", used == 0 ? "," : "",
                                     pp_event_type_name((enum pp_event_type)t));
            PP_ASSERT(used < size);
        }
    }
}

long store_event_types_mask(const char *text)
{
    unsigned mask = 0;
    char name[40];
    const char *p = text;
    while (*p == ',') {
        size_t len = strcspn(p + 1, ",");
        enum pp_event_type t;
        if (len == 0) {
            break;
        }
        if (len >= sizeof name) {
            return -1;
        }
        memcpy(name, p + 1, len);
        name[len] = '\0';
        if (!pp_event_type_parse(name, &t)) {
            return -1;
        }
        mask |= 1u << t;
        p += 1 + len;
    }
    return (long)mask;
}
