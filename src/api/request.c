/*
** This module implements reading a request for the handlers: the body's
** content type, depth and syntax checks, the field allowlist, and typed
** readers that turn JSON values into validated C values (amounts through
** core/money, dates through core/dates); the query string through the
** query engine (core/query.c); ids in the path. It does not know any route.
**
** Real numbers are checked on the raw text before jansson reads them into
** doubles: a real that would not read back as exactly the number sent
** (1.0000000000000001 reads as 1, 1e-400 as 0) is refused instead of being
** silently rounded, so an amount cannot turn into another on the way in
** and metadata reads back as sent. Up to 15 significant digits in the
** normal range always pass; 16 or 17 pass when they are the shortest text
** of their double (0.3333333333333333); more never do.
*/
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "payout/core/dates.h"
#include "request.h"
#include "response.h"

/* 1 when the declared content type is JSON ("application/json", any case,
** optional parameters after ';'). */
static int content_type_is_json(const char *ct)
{
    static const char json[] = "application/json";
    while (*ct == ' ' || *ct == '\t') {
        ct++;
    }
    if (strncasecmp(ct, json, sizeof json - 1) != 0) {
        return 0;
    }
    ct += sizeof json - 1;
    while (*ct == ' ' || *ct == '\t') {
        ct++;
    }
    return *ct == '\0' || *ct == ';';
}

/* A decimal real with at most DBL_DIG (15) significant digits and a
** magnitude in the normal range (10^DBL_MIN_10_EXP = 1e-307 and up) always
** reads back exactly through a double; one with more than DBL_DECIMAL_DIG
** (17) never does (a double's shortest text has at most 17). In between,
** and below the normal range, it depends on the number. */
#define REAL_DIGITS_SAFE DBL_DIG
#define REAL_DIGITS_MAX DBL_DECIMAL_DIG
#define REAL_MIN_10_EXP DBL_MIN_10_EXP
/* |exponent| is clamped while reading it: far past either end of the
** double range, and far from long overflow. */
#define REAL_EXPONENT_CLAMP 100000
/* Significant digits kept to rebuild a number for strtod (the decision
** needs at most REAL_DIGITS_MAX; the rest only shows in messages). */
#define REAL_DIGITS_KEPT 40
/* Characters of a number token quoted in a message. */
#define REAL_QUOTE_CHARS 40

/* A decimal number as its significant digits (no leading or trailing
** zeros) and the power of ten of the first one. */
struct real_digits {
    char digits[REAL_DIGITS_KEPT + 1]; /* the first REAL_DIGITS_KEPT of them */
    size_t count;                      /* significant digits in all; 0 for zero */
    long magnitude;
    int negative;
    int real; /* had '.', 'e' or 'E' */
};

static int number_char(char c)
{
    return (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-';
}

/* Reads the number text tok[0..len) (JSON's grammar; whatever is malformed
** in it is skipped: jansson refuses such a body afterwards). */
static void real_digits_read(const char *tok, size_t len, struct real_digits *out)
{
    size_t digits = 0;     /* mantissa digits read */
    size_t int_digits = 0; /* of which before the '.' */
    size_t first = 0;      /* index of the first non-zero digit */
    size_t last = 0;       /* ... and of the last */
    int nonzero = 0;
    memset(out, 0, sizeof *out);
    out->negative = len > 0 && tok[0] == '-';
    size_t k = out->negative ? 1 : 0;
    for (; k < len && tok[k] != 'e' && tok[k] != 'E'; k++) {
        if (tok[k] == '.') {
            out->real = 1;
        } else if (tok[k] >= '0' && tok[k] <= '9') {
            if (tok[k] != '0') {
                first = nonzero ? first : digits;
                last = digits;
                nonzero = 1;
            }
            if (nonzero && digits - first < REAL_DIGITS_KEPT) {
                out->digits[digits - first] = tok[k];
            }
            int_digits += out->real ? 0 : 1;
            digits++;
        }
    }
    long exponent = 0;
    if (k < len) {
        out->real = 1;
        int negative = ++k < len && tok[k] == '-';
        k += k < len && (tok[k] == '-' || tok[k] == '+') ? 1 : 0;
        for (; k < len && tok[k] >= '0' && tok[k] <= '9'; k++) {
            exponent = exponent < REAL_EXPONENT_CLAMP ? exponent * 10 + (tok[k] - '0') : exponent;
        }
        exponent = negative ? -exponent : exponent;
    }
    if (nonzero) {
        /* Cutting at count drops the trailing zeros. */
        out->count = last - first + 1;
        out->digits[out->count < REAL_DIGITS_KEPT ? out->count : REAL_DIGITS_KEPT] = '\0';
        out->magnitude = exponent + (long)int_digits - 1 - (long)first;
    }
}

/* The double that jansson reads for d (strtod, correctly rounded), from a
** compact text of d's kept digits; +-HUGE_VAL when it overflows. */
static double real_digits_value(const struct real_digits *d)
{
    char text[REAL_DIGITS_KEPT + 32];
    snprintf(text, sizeof text, "%s%c.%se%ld", d->negative ? "-" : "", d->digits[0], d->digits + 1,
             d->magnitude);
    return strtod(text, NULL);
}

/* Checks one number token: a real must read back as exactly the number
** sent, so that no amount is rounded into another and metadata keeps its
** value (the JSON writer prints a double's shortest round-tripping text).
** Integers pass: jansson reads them exactly (or refuses them). */
static enum pp_status real_check(const char *tok, size_t len, struct pp_err *err)
{
    struct real_digits sent;
    real_digits_read(tok, len, &sent);
    if (!sent.real || sent.count == 0 ||
        (sent.count <= REAL_DIGITS_SAFE && sent.magnitude >= REAL_MIN_10_EXP)) {
        return PP_OK;
    }
    double value = real_digits_value(&sent);
    if (isinf(value)) {
        return PP_OK; /* jansson answers "real number overflow" */
    }
    char text[40];
    struct real_digits back;
    core_double_shortest(value, text, sizeof text);
    real_digits_read(text, strlen(text), &back);
    if (sent.count <= REAL_DIGITS_MAX && back.count == sent.count &&
        back.magnitude == sent.magnitude && strcmp(back.digits, sent.digits) == 0) {
        return PP_OK;
    }
    int quoted = len > REAL_QUOTE_CHARS ? REAL_QUOTE_CHARS : (int)len;
    const char *more = len > REAL_QUOTE_CHARS ? "..." : "";
    if (value == 0) {
        return pp_err_set(err, PP_INVALID_PARAMS,
                          "the number %.*s%s is too small to be kept: it would read as 0", quoted,
                          tok, more);
    }
    return pp_err_set(err, PP_INVALID_PARAMS,
                      "the number %.*s%s is more precise than a double: it would read as %s "
                      "(send at most %d significant digits)",
                      quoted, tok, more, text, REAL_DIGITS_SAFE);
}

/* One pass over the raw body, outside strings (escapes skipped): refuses
** nesting deeper than PP_JSON_DEPTH_MAX (before jansson's recursive parser
** sees it; this refusal wins over any other) and any real number that
** real_check refuses (the first one). */
static enum pp_status json_prescan(const char *text, size_t len, struct pp_err *err)
{
    struct pp_err real_err = {0};
    int depth = 0;
    int in_string = 0;
    for (size_t i = 0; i < len && depth <= PP_JSON_DEPTH_MAX; i++) {
        char c = text[i];
        if (in_string) {
            if (c == '\\') {
                i++;
            } else if (c == '"') {
                in_string = 0;
            }
        } else if (c == '"') {
            in_string = 1;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            depth--;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            size_t end = i + 1;
            while (end < len && number_char(text[end])) {
                end++;
            }
            if (real_err.status == PP_OK) {
                real_check(text + i, end - i, &real_err);
            }
            i = end - 1;
        }
    }
    if (depth > PP_JSON_DEPTH_MAX) {
        return pp_err_set(err, PP_INVALID_PARAMS, "request body is nested deeper than %d levels",
                          PP_JSON_DEPTH_MAX);
    }
    if (real_err.status != PP_OK) {
        return pp_err_set(err, real_err.status, "%s", real_err.message);
    }
    return PP_OK;
}

static int key_allowed(const char *key, const char *const *allowed)
{
    for (size_t i = 0; allowed[i] != NULL; i++) {
        if (strcmp(key, allowed[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

json_t *api_body_read(const struct api_request *req, const char *const *allowed, int allow_empty,
                      struct api_response *resp)
{
    struct pp_err err = {0};
    json_t *obj = NULL;
    if (req->content_type != NULL && !content_type_is_json(req->content_type)) {
        pp_err_set(&err, PP_UNSUPPORTED_MEDIA_TYPE, "Content-Type must be application/json");
        goto done;
    }
    if (req->body_len == 0) {
        if (allow_empty) {
            obj = json_object();
        } else {
            pp_err_set(&err, PP_INVALID_PARAMS, "request body is empty; a JSON object is required");
        }
        goto done;
    }
    if (json_prescan(req->body, req->body_len, &err) != PP_OK) {
        goto done;
    }
    json_error_t jerr;
    obj = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (obj == NULL) {
        pp_err_set(&err, PP_INVALID_PARAMS,
                   "request body is not valid JSON: %s (line %d, column %d)", jerr.text, jerr.line,
                   jerr.column);
        goto done;
    }
    if (!json_is_object(obj)) {
        pp_err_set(&err, PP_INVALID_PARAMS, "request body must be a JSON object");
        goto done;
    }
    const char *key;
    json_t *value;
    json_object_foreach(obj, key, value)
    {
        if (!key_allowed(key, allowed)) {
            pp_err_set(&err, PP_INVALID_PARAMS, "unknown field '%.64s'", key);
            goto done;
        }
    }
done:
    if (err.status != PP_OK) {
        json_decref(obj);
        obj = NULL;
        api_err_respond(resp, &err);
    }
    return obj;
}

/* The value of key, or NULL when absent or null. */
static json_t *field_get(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_null(v) ? NULL : v;
}

enum pp_status api_field_string(json_t *obj, const char *key, int required, size_t max_bytes,
                                const char **out, struct pp_err *err)
{
    json_t *v = field_get(obj, key);
    *out = "";
    if (v == NULL) {
        return required ? pp_err_set(err, PP_INVALID_PARAMS, "%s is required", key) : PP_OK;
    }
    if (!json_is_string(v)) {
        return pp_err_set(err, PP_INVALID_PARAMS, "%s must be a string", key);
    }
    size_t len = json_string_length(v);
    if (required && len == 0) {
        return pp_err_set(err, PP_INVALID_PARAMS, "%s must not be empty", key);
    }
    if (len > max_bytes) {
        return pp_err_set(err, PP_INVALID_PARAMS, "%s is longer than %zu bytes", key, max_bytes);
    }
    *out = json_string_value(v);
    return PP_OK;
}

enum pp_status api_field_bool(json_t *obj, const char *key, int required, int *out,
                              struct pp_err *err)
{
    json_t *v = field_get(obj, key);
    if (v == NULL) {
        return required ? pp_err_set(err, PP_INVALID_PARAMS, "%s is required", key) : PP_OK;
    }
    if (!json_is_boolean(v)) {
        return pp_err_set(err, PP_INVALID_PARAMS, "%s must be true or false", key);
    }
    *out = json_is_true(v);
    return PP_OK;
}

enum pp_status api_field_currency(json_t *obj, const char *key, const struct core_currency **out,
                                  struct pp_err *err)
{
    const char *code = NULL;
    enum pp_status st = api_field_string(obj, key, 1, 16, &code, err);
    if (st != PP_OK) {
        return st;
    }
    *out = core_currency_find(code, strlen(code));
    if (*out == NULL) {
        return pp_err_set(err, PP_INVALID_PARAMS,
                          "%s '%.16s' is not a supported ISO 4217 currency code", key, code);
    }
    return PP_OK;
}

enum pp_status api_field_amount(json_t *obj, const char *key, const struct core_currency *cur,
                                int64_t *out, struct pp_err *err)
{
    json_t *v = field_get(obj, key);
    enum pp_status st;
    if (v == NULL) {
        return pp_err_set(err, PP_INVALID_PARAMS, "%s is required", key);
    }
    if (json_is_integer(v)) {
        st = core_money_from_int(json_integer_value(v), cur, key, out, err);
    } else if (json_is_real(v)) {
        st = core_money_from_double(json_real_value(v), cur, key, out, err);
    } else {
        return pp_err_set(err, PP_INVALID_PARAMS, "%s must be a number", key);
    }
    if (st == PP_OK && *out <= 0) {
        st = pp_err_set(err, PP_INVALID_PARAMS, "%s must be greater than zero", key);
    }
    return st;
}

enum pp_status api_field_date(json_t *obj, const char *key, int64_t *ms_out, struct pp_err *err)
{
    const char *text = NULL;
    enum pp_status st = api_field_string(obj, key, 1, PP_DATE_TEXT_BYTES_MAX, &text, err);
    if (st == PP_OK) {
        st = core_date_parse(text, strlen(text), key, ms_out, err);
    }
    return st;
}

enum pp_status api_field_ident(json_t *obj, const char *key, int allow_int, char *out,
                               size_t out_size, struct pp_err *err)
{
    json_t *v = field_get(obj, key);
    out[0] = '\0';
    if (v == NULL) {
        return PP_OK;
    }
    if (allow_int && json_is_integer(v)) {
        snprintf(out, out_size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return PP_OK;
    }
    if (!json_is_string(v)) {
        return pp_err_set(err, PP_INVALID_PARAMS,
                          allow_int ? "%s must be a string or an integer" : "%s must be a string",
                          key);
    }
    if (json_string_length(v) >= out_size) {
        return pp_err_set(err, PP_INVALID_PARAMS, "%s is longer than %zu bytes", key, out_size - 1);
    }
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return PP_OK;
}

enum pp_status api_field_ids(json_t *obj, const char *key, struct pp_arena *arena,
                             int64_t **ids_out, size_t *count_out, struct pp_err *err)
{
    json_t *v = field_get(obj, key);
    if (v == NULL) {
        return pp_err_set(err, PP_INVALID_PARAMS, "%s is required", key);
    }
    size_t n = json_array_size(v);
    if (!json_is_array(v) || n == 0) {
        return pp_err_set(err, PP_INVALID_PARAMS, "%s must be a non-empty array of ids", key);
    }
    if (n > PP_IDS_MAX) {
        return pp_err_set(err, PP_INVALID_PARAMS, "%s has more than %d ids", key, PP_IDS_MAX);
    }
    int64_t *ids = pp_arena_calloc(arena, n, sizeof *ids);
    for (size_t i = 0; i < n; i++) {
        json_t *item = json_array_get(v, i);
        if (!json_is_integer(item) || json_integer_value(item) <= 0) {
            return pp_err_set(err, PP_INVALID_PARAMS, "%s[%zu] must be a positive integer", key, i);
        }
        ids[i] = json_integer_value(item);
    }
    *ids_out = ids;
    *count_out = n;
    return PP_OK;
}

enum pp_status api_query_read(const struct api_request *req, const struct core_query_spec *spec,
                              void *target, struct pp_err *err)
{
    struct core_query q;
    enum pp_status st = PP_OK;
    core_query_init(&q, spec, target);
    for (size_t i = 0; i < req->query_count && st == PP_OK; i++) {
        st = core_query_take(&q, req->query[i].key, req->query[i].value, err);
    }
    return st == PP_OK ? core_query_end(&q, err) : st;
}

enum pp_status api_id_parse(const char *text, const char *what, int64_t *out, struct pp_err *err)
{
    if (!core_query_id_parse(text, out)) {
        return pp_err_set(err, PP_INVALID_PARAMS, "%s must be a positive integer", what);
    }
    return PP_OK;
}
