/*
** This header declares date handling. Inside the server a moment is an
** int64 count of milliseconds since 1970-01-01T00:00:00Z (UTC). Dates come
** in as ISO 8601 or RFC 2822 text and always go out as
** "YYYY-MM-DDTHH:MM:SS.mmmZ".
*/
#ifndef PAYOUT_CORE_DATES_H
#define PAYOUT_CORE_DATES_H

#include <stddef.h>
#include <stdint.h>

#include "payout/status.h"

/* Parses text[0..len) as one of:
**   ISO 8601: "2018-01-01", "2018-01-01T12:00", "2018-01-01T12:00:00",
**             "2018-01-01 12:00:00", optional fraction ".5"/".123" (up to 9
**             digits, truncated to ms), optional zone "Z", "+02:00",
**             "+0200", "+02" ('T' or 't' or one space between date and time)
**   RFC 2822: "Mon, 01 Jan 2018 12:00:00 +0100", weekday optional (if given
**             it must match the date), seconds optional, one or two digit
**             day, zones +hhmm/-hhmm, UT, UTC, GMT, Z, EST/EDT/CST/CDT/MST/
**             MDT/PST/PDT.
** A date without a zone is UTC. Fields are range-checked (month 1-12, day
** within the month with leap years, hour 0-23 (24:00:00 not accepted),
** minute 0-59, second 0-59 (a leap second, :60, is refused with its own
** message: time here has none, as Unix time), offsets within
** ±23:59), year PP_YEAR_MIN..PP_YEAR_MAX after applying the offset.
** Anything else, including trailing text, is PP_INVALID_PARAMS with a
** message naming field ("startDate"). */
enum pp_status core_date_parse(const char *text, size_t len, const char *field, int64_t *ms_out,
                               struct pp_err *err);

/* Writes ms as "YYYY-MM-DDTHH:MM:SS.mmmZ" into out (PP_DATE_TEXT_BYTES).
** Returns 24. ms must be within the accepted years (asserted). */
size_t core_date_format(int64_t ms, char *out, size_t out_size);

/* Days since 1970-01-01 of a proleptic Gregorian date (no range check). */
int64_t core_days_from_civil(int64_t year, unsigned month, unsigned day);

/* The wall clock now, in ms since the epoch. */
int64_t core_now_ms(void);

#endif /* PAYOUT_CORE_DATES_H */
