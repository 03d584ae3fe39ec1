/*
** This module implements the fuzz target of the date parser and formatter
** (core/dates.c). The first input byte picks a mode. Properties:
** - core_date_parse accepts only moments within years
**   PP_YEAR_MIN..PP_YEAR_MAX; what it accepts formats as
**   "YYYY-MM-DDTHH:MM:SS.mmmZ", and that text parses back to the same
**   millisecond; a refusal carries a message naming the field;
** - any millisecond within the accepted years formats and parses back.
*/
#include <string.h>

#include "fuzz.h"
#include "payout/core/dates.h"
#include "payout/limits.h"

#define DAY_MS 86400000LL

static int64_t ms_min(void)
{
    return core_days_from_civil(PP_YEAR_MIN, 1, 1) * DAY_MS;
}

static int64_t ms_max(void)
{
    return core_days_from_civil(PP_YEAR_MAX + 1, 1, 1) * DAY_MS - 1;
}

/* ms formats in the one output shape and parses back to itself. */
static void check_round_trip(int64_t ms)
{
    char text[PP_DATE_TEXT_BYTES];
    int64_t back = -1;
    struct pp_err err = {0};
    FUZZ_CHECK(core_date_format(ms, text, sizeof text) == 24 && strlen(text) == 24);
    static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
    for (size_t i = 0; i < 24; i++) {
        FUZZ_CHECK(shape[i] == 'd' ? (text[i] >= '0' && text[i] <= '9') : text[i] == shape[i]);
    }
    FUZZ_CHECK(core_date_parse(text, 24, "date", &back, &err) == PP_OK);
    FUZZ_CHECK(back == ms);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return 0;
    }
    unsigned mode = data[0] & 1u;
    data++;
    size--;
    if (mode == 0 || size < 8) {
        int64_t ms = -1;
        struct pp_err err = {0};
        if (core_date_parse((const char *)data, size, "startDate", &ms, &err) == PP_OK) {
            FUZZ_CHECK(ms >= ms_min() && ms <= ms_max());
            check_round_trip(ms);
        } else {
            FUZZ_CHECK(err.status == PP_INVALID_PARAMS && strstr(err.message, "startDate") != NULL);
        }
    } else {
        uint64_t bits = 0;
        memcpy(&bits, data, sizeof bits);
        uint64_t span = (uint64_t)(ms_max() - ms_min()) + 1;
        check_round_trip(ms_min() + (int64_t)(bits % span));
    }
    return 0;
}
