/*
** This header declares the harness's small utilities: clocks, formatted
** strings, whole-file reads, amounts as the server prints them, and the
** JWT/base64url codecs. None of them asserts; all are thread-safe.
*/
#ifndef PP_HARNESS_UTIL_H
#define PP_HARNESS_UTIL_H

#include <stddef.h>

#include <jansson.h>

/* malloc'ed printf; aborts when out of memory. */
char *pp_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Milliseconds on a monotonic clock. */
long long pp_now_ms(void);
void pp_sleep_ms(long ms);

/* Milliseconds since the epoch (the wall clock the server dates payouts by). */
long long pp_wall_ms(void);

/* Formats ms since the epoch as "YYYY-MM-DDTHH:MM:SS.mmmZ" into out. */
void pp_iso_at(long long ms, char *out, size_t out_size);

/* Reads a whole file into a new NUL-terminated buffer (free()). NULL when it
** cannot be read. *len may be NULL. */
char *pp_file_read(const char *path, size_t *len);

/* Formats minor units with the given decimals like the server formats
** amounts: 150,2 -> "1.5"; 100,2 -> "1"; 1234,3 -> "1.234". */
void pp_format_minor(long long minor, int decimals, char *out, size_t out_size);

/* Decodes the payload (middle part) of a JWT into new JSON, or NULL. */
json_t *pp_jwt_payload(const char *token);
/* Decodes the header (first part) of a JWT into new JSON, or NULL. */
json_t *pp_jwt_header(const char *token);
/* base64url without padding; out receives NUL-terminated text. */
void pp_base64url(const unsigned char *in, size_t len, char *out, size_t out_size);

#endif /* PP_HARNESS_UTIL_H */
