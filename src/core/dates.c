/*
** This module implements date handling: parsing ISO 8601 and RFC 2822 text
** into milliseconds since 1970-01-01T00:00:00Z, formatting milliseconds as
** "YYYY-MM-DDTHH:MM:SS.mmmZ", and the proleptic Gregorian calendar math
** behind both (after Howard Hinnant's days_from_civil / civil_from_days).
** It uses no timegm, strptime or time zone database: the only zones are
** numeric offsets and the few names RFC 2822 defines.
**
** What it does not accept: ISO week or ordinal dates, basic format
** ("20180101"), a zone on a date without a time, a fraction without
** seconds, ',' as decimal mark, RFC 2822 comments, two-digit years,
** obsolete military zones, tabs, and any leading or trailing text.
** RFC 2822 parts are separated by spaces (one or more); the zone may be
** left out there too, meaning UTC like everywhere else.
*/
#include "payout/core/dates.h"

#include <string.h>
#include <time.h>

#include "payout/base/assert.h"
#include "payout/limits.h"

#define MS_PER_DAY 86400000LL

static const char syntax_reason[] = "use ISO 8601 (2018-01-01T12:00:00Z) "
                                    "or RFC 2822 (Mon, 01 Jan 2018 12:00:00 +0100)";

/* The fields of a date as written, before its offset is applied. */
struct civil {
    int64_t year;
    unsigned month, day, hour, minute, second, ms;
    int offset_min; /* local time minus UTC */
    int weekday;    /* 0 = Sunday .. 6, or -1 when not given */
};

/* A read position over text[0..len). */
struct cursor {
    const char *text;
    size_t len;
    size_t pos;
};

static int at_end(const struct cursor *c)
{
    return c->pos == c->len;
}

static int peek_is(const struct cursor *c, char ch)
{
    return c->pos < c->len && c->text[c->pos] == ch;
}

static int peek_digit(const struct cursor *c)
{
    return c->pos < c->len && c->text[c->pos] >= '0' && c->text[c->pos] <= '9';
}

/* Consumes ch if it is next. */
static int take(struct cursor *c, char ch)
{
    if (!peek_is(c, ch)) {
        return 0;
    }
    c->pos++;
    return 1;
}

/* Consumes exactly count digits (count <= 9) into *out; on failure consumes
** nothing. */
static int take_digits(struct cursor *c, size_t count, unsigned *out)
{
    unsigned value = 0;

    if (c->len - c->pos < count) {
        return 0;
    }
    for (size_t i = 0; i < count; i++) {
        char ch = c->text[c->pos + i];
        if (ch < '0' || ch > '9') {
            return 0;
        }
        value = value * 10u + (unsigned)(ch - '0');
    }
    c->pos += count;
    *out = value;
    return 1;
}

/* Consumes one or more spaces. */
static int take_spaces(struct cursor *c)
{
    size_t start = c->pos;

    while (peek_is(c, ' ')) {
        c->pos++;
    }
    return c->pos > start;
}

static char lower(char ch)
{
    return (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
}

/* Consumes a run of up to max_len letters, lower-cased into out (NUL-
** terminated, max_len + 1 bytes). Returns its length; 0 when none, or
** when the run is longer than max_len. */
static size_t take_word(struct cursor *c, char *out, size_t max_len)
{
    size_t n = 0;

    while (c->pos + n < c->len) {
        char ch = lower(c->text[c->pos + n]);
        if (ch < 'a' || ch > 'z') {
            break;
        }
        if (n == max_len) {
            return 0;
        }
        out[n++] = ch;
    }
    out[n] = '\0';
    c->pos += n;
    return n;
}

static int is_leap(int64_t year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static unsigned days_in_month(int64_t year, unsigned month)
{
    static const unsigned days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (month == 2 && is_leap(year)) {
        return 29;
    }
    return days[month - 1];
}

int64_t core_days_from_civil(int64_t year, unsigned month, unsigned day)
{
    /* Years start on March 1 so the leap day is the last day of a year. */
    int64_t y = month <= 2 ? year - 1 : year;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;                                      /* [0, 399] */
    int64_t mp = month > 2 ? (int64_t)month - 3 : (int64_t)month + 9; /* [0, 11] */
    int64_t doy = (153 * mp + 2) / 5 + (int64_t)day - 1;              /* [0, 365] */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;              /* [0, 146096] */

    return era * 146097 + doe - 719468;
}

/* The inverse of core_days_from_civil. */
static void civil_from_days(int64_t days, int64_t *year, unsigned *month, unsigned *day)
{
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;                                      /* [0, 146096] */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
    int64_t mp = (5 * doy + 2) / 153;                                    /* [0, 11] */

    *day = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *month = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *year = yoe + era * 400 + (*month <= 2 ? 1 : 0);
}

/* Reads "[+-]hh[[:]mm]" (iso) or "[+-]hhmm" (RFC 2822); sets *reason when
** the offset is well-formed but out of range. */
static int take_offset(struct cursor *c, int iso, struct civil *f, const char **reason)
{
    int sign = peek_is(c, '-') ? -1 : 1;
    unsigned hh = 0;
    unsigned mm = 0;

    if (!take(c, '+') && !take(c, '-')) {
        return 0;
    }
    if (!take_digits(c, 2, &hh)) {
        return 0;
    }
    if (iso) {
        if (take(c, ':')) {
            if (!take_digits(c, 2, &mm)) {
                return 0;
            }
        } else if (peek_digit(c) && !take_digits(c, 2, &mm)) {
            return 0;
        }
    } else if (!take_digits(c, 2, &mm)) {
        return 0;
    }
    if (hh > 23 || mm > 59) {
        *reason = "offset must be within +-23:59";
        return 0;
    }
    f->offset_min = sign * (int)(hh * 60 + mm);
    return 1;
}

/* Reads "hh:mm[:ss]" and, for ISO, a fraction after the seconds. */
static int take_time(struct cursor *c, int iso, struct civil *f)
{
    unsigned frac = 0;
    size_t digits = 0;

    if (!take_digits(c, 2, &f->hour) || !take(c, ':') || !take_digits(c, 2, &f->minute)) {
        return 0;
    }
    if (!take(c, ':')) {
        return 1;
    }
    if (!take_digits(c, 2, &f->second)) {
        return 0;
    }
    if (!iso || !take(c, '.')) {
        return 1;
    }
    /* Up to 9 digits (nanoseconds); only the first three (ms) are kept. */
    while (peek_digit(c) && digits < 9) {
        unsigned digit = (unsigned)(c->text[c->pos] - '0');
        if (digits < 3) {
            frac = frac * 10u + digit;
        }
        digits++;
        c->pos++;
    }
    if (digits == 0 || peek_digit(c)) {
        return 0;
    }
    for (size_t i = digits; i < 3; i++) {
        frac *= 10u;
    }
    f->ms = frac;
    return 1;
}

/* "YYYY-MM-DD[(T|t| )hh:mm[:ss[.f]][Z|z|+hh:mm|+hhmm|+hh]]" */
static int parse_iso(struct cursor *c, struct civil *f, const char **reason)
{
    unsigned year = 0;

    if (!take_digits(c, 4, &year) || !take(c, '-') || !take_digits(c, 2, &f->month) ||
        !take(c, '-') || !take_digits(c, 2, &f->day)) {
        return 0;
    }
    f->year = year;
    if (at_end(c)) {
        return 1;
    }
    if (!take(c, 'T') && !take(c, 't') && !take(c, ' ')) {
        return 0;
    }
    if (!take_time(c, 1, f)) {
        return 0;
    }
    if (at_end(c) || take(c, 'Z') || take(c, 'z')) {
        return at_end(c);
    }
    return take_offset(c, 1, f, reason) && at_end(c);
}

/* Looks word up in a table of three-letter lower-case names; -1 if absent. */
static int name_index(const char *word, const char *const *names, int count)
{
    for (int i = 0; i < count; i++) {
        if (strcmp(word, names[i]) == 0) {
            return i;
        }
    }
    return -1;
}

/* RFC 2822 named zones (section 3.3 and its obsolete US zones). */
static int take_zone_name(struct cursor *c, struct civil *f)
{
    static const struct {
        const char *name;
        int offset_min;
    } zones[] = {
        {"ut", 0},        {"utc", 0},       {"gmt", 0},       {"z", 0},
        {"est", -5 * 60}, {"edt", -4 * 60}, {"cst", -6 * 60}, {"cdt", -5 * 60},
        {"mst", -7 * 60}, {"mdt", -6 * 60}, {"pst", -8 * 60}, {"pdt", -7 * 60},
    };
    char word[4];

    if (take_word(c, word, 3) == 0) {
        return 0;
    }
    for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++) {
        if (strcmp(word, zones[i].name) == 0) {
            f->offset_min = zones[i].offset_min;
            return 1;
        }
    }
    return 0;
}

/* "[Ddd, ]d[d] Mon YYYY hh:mm[:ss][ zone]", names in any case. */
static int parse_rfc2822(struct cursor *c, struct civil *f, const char **reason)
{
    static const char *const weekdays[7] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
    static const char *const months[12] = {"jan", "feb", "mar", "apr", "may", "jun",
                                           "jul", "aug", "sep", "oct", "nov", "dec"};
    char word[4];
    unsigned year = 0;
    int month;

    if (!peek_digit(c)) {
        if (take_word(c, word, 3) != 3 || (f->weekday = name_index(word, weekdays, 7)) < 0 ||
            !take(c, ',')) {
            return 0;
        }
        take_spaces(c);
    }
    if (!take_digits(c, 1, &f->day)) {
        return 0;
    }
    if (peek_digit(c)) {
        unsigned second_digit = 0;
        (void)take_digits(c, 1, &second_digit);
        f->day = f->day * 10u + second_digit;
    }
    if (!take_spaces(c) || take_word(c, word, 3) != 3 ||
        (month = name_index(word, months, 12)) < 0) {
        return 0;
    }
    f->month = (unsigned)month + 1u;
    if (!take_spaces(c) || !take_digits(c, 4, &year) || !take_spaces(c) || !take_time(c, 0, f)) {
        return 0;
    }
    f->year = year;
    if (at_end(c)) {
        return 1;
    }
    if (!take_spaces(c)) {
        return 0;
    }
    if (peek_is(c, '+') || peek_is(c, '-')) {
        return take_offset(c, 0, f, reason) && at_end(c);
    }
    return take_zone_name(c, f) && at_end(c);
}

/* Range-checks the fields and turns them into ms since the epoch; returns
** NULL or the reason the date is refused. */
static const char *civil_to_ms(struct civil *f, int64_t *ms_out)
{
    const int64_t ms_min = core_days_from_civil(PP_YEAR_MIN, 1, 1) * MS_PER_DAY;
    const int64_t ms_end = core_days_from_civil(PP_YEAR_MAX + 1, 1, 1) * MS_PER_DAY;
    int64_t days;
    int64_t ms;

    if (f->month < 1 || f->month > 12) {
        return "month must be 01-12";
    }
    if (f->day < 1 || f->day > days_in_month(f->year, f->month)) {
        return "that day does not exist in that month";
    }
    /* Refused rather than stored as :59 or as the next second: the
    ** server's time, like Unix time, has no leap seconds, so either
    ** reading would silently store a moment the client did not send. */
    if (f->hour <= 23 && f->minute <= 59 && f->second == 60) {
        return "a leap second (:60) is not accepted; the server's clock, like Unix time, has "
               "none: send :59 or the next minute";
    }
    if (f->hour > 23 || f->minute > 59 || f->second > 59) {
        return "time must be within 00:00:00-23:59:59";
    }
    days = core_days_from_civil(f->year, f->month, f->day);
    /* 1970-01-01 (day 0) was a Thursday (4). */
    if (f->weekday >= 0 && ((days % 7) + 7 + 4) % 7 != f->weekday) {
        return "the weekday does not match the date";
    }
    ms = days * MS_PER_DAY + (int64_t)f->hour * 3600000 + (int64_t)f->minute * 60000 +
         (int64_t)f->second * 1000 + (int64_t)f->ms - (int64_t)f->offset_min * 60000;
    if (ms < ms_min || ms >= ms_end) {
        return "the year must be within 1970-9999 (in UTC)";
    }
    *ms_out = ms;
    return NULL;
}

enum pp_status core_date_parse(const char *text, size_t len, const char *field, int64_t *ms_out,
                               struct pp_err *err)
{
    enum pp_status status = PP_OK;
    struct cursor c = {text, len, 0};
    struct civil f = {0, 0, 0, 0, 0, 0, 0, 0, -1};
    const char *reason = NULL;
    int ok;

    PP_ASSERT(field != NULL && ms_out != NULL);
    PP_ASSERT(text != NULL || len == 0);
    if (len == 0 || len > PP_DATE_TEXT_BYTES_MAX) {
        status =
            pp_err_set(err, PP_INVALID_PARAMS, "%s is not a valid date: %s", field, syntax_reason);
        goto done;
    }
    /* ISO 8601 starts "YYYY-"; RFC 2822 with a weekday or a 1-2 digit day. */
    if (len >= 5 && text[4] == '-') {
        ok = parse_iso(&c, &f, &reason);
    } else {
        ok = parse_rfc2822(&c, &f, &reason);
    }
    if (ok) {
        reason = civil_to_ms(&f, ms_out);
    } else if (reason == NULL) {
        reason = syntax_reason;
    }
    if (reason != NULL) {
        status = pp_err_set(err, PP_INVALID_PARAMS, "%s is not a valid date: %s", field, reason);
    }
done:
    return status;
}

/* Writes value as exactly width digits (value < 10^width). */
static void put_digits(char *out, uint64_t value, size_t width)
{
    for (size_t i = width; i > 0; i--) {
        out[i - 1] = (char)('0' + (int)(value % 10));
        value /= 10;
    }
}

size_t core_date_format(int64_t ms, char *out, size_t out_size)
{
    int64_t year;
    unsigned month;
    unsigned day;
    int64_t days = ms / MS_PER_DAY;
    uint64_t in_day = (uint64_t)(ms % MS_PER_DAY);

    PP_ASSERT(out != NULL && out_size >= PP_DATE_TEXT_BYTES);
    PP_ASSERT(ms >= core_days_from_civil(PP_YEAR_MIN, 1, 1) * MS_PER_DAY);
    PP_ASSERT(ms < core_days_from_civil(PP_YEAR_MAX + 1, 1, 1) * MS_PER_DAY);
    civil_from_days(days, &year, &month, &day);
    memcpy(out, "YYYY-MM-DDTHH:MM:SS.mmmZ", PP_DATE_TEXT_BYTES);
    put_digits(out, (uint64_t)year, 4);
    put_digits(out + 5, month, 2);
    put_digits(out + 8, day, 2);
    put_digits(out + 11, in_day / 3600000u, 2);
    put_digits(out + 14, in_day / 60000u % 60u, 2);
    put_digits(out + 17, in_day / 1000u % 60u, 2);
    put_digits(out + 20, in_day % 1000u, 3);
    return PP_DATE_TEXT_BYTES - 1;
}

int64_t core_now_ms(void)
{
    struct timespec ts;
    int base = timespec_get(&ts, TIME_UTC);

    PP_ASSERT(base == TIME_UTC);
    return (int64_t)ts.tv_sec * 1000 + (int64_t)(ts.tv_nsec / 1000000);
}
