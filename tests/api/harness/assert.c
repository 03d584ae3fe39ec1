/*
** This module implements the assertions the API tests share
** (harness/assert.h): statuses, the exact error envelope, literal numbers,
** Allow headers, dates, JSON fields and whole payout objects. They run on
** the test's main thread (cmocka's failures longjmp).
*/
#include "harness/assert.h"
#include "harness/json.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static int is_json_content_type(const struct pp_resp *r)
{
    const char *ct = pp_resp_header(r, "Content-Type");
    return ct != NULL && strncasecmp(ct, "application/json", 16) == 0 &&
           (ct[16] == '\0' || ct[16] == ';' || ct[16] == ' ');
}

void pp_assert_status(const struct pp_resp *r, long status)
{
    if (r->status != status) {
        fail_msg("%s: expected HTTP %ld, got %ld, body: %.2000s", r->what, status, r->status,
                 r->body);
    }
    if (status >= 200 && status < 300) {
        if (!json_is_object(r->json)) {
            fail_msg("%s: body is not a JSON object: %.2000s", r->what, r->body);
        }
        if (!is_json_content_type(r)) {
            const char *ct = pp_resp_header(r, "Content-Type");
            fail_msg("%s: Content-Type is %s, expected application/json", r->what,
                     ct != NULL ? ct : "(none)");
        }
    }
}

void pp_assert_error(const struct pp_resp *r, long status, const char *type)
{
    if (r->status != status) {
        fail_msg("%s: expected HTTP %ld %s, got %ld, body: %.2000s", r->what, status, type,
                 r->status, r->body);
    }
    const json_t *root = r->json;
    const json_t *error = json_object_get(root, "error");
    const json_t *errors = json_object_get(root, "errors");
    const json_t *message = json_object_get(error, "message");
    const json_t *jtype = json_object_get(error, "type");
    int ok = json_is_object(root) && json_object_size(root) == 2 && json_is_object(error) &&
             json_object_size(error) == 2 && json_is_string(message) &&
             json_string_length(message) > 0 && json_is_string(jtype) && json_is_array(errors) &&
             json_array_size(errors) == 0;
    if (!ok) {
        fail_msg("%s -> %ld: not the exact error envelope: %.2000s", r->what, r->status, r->body);
    }
    if (strcmp(json_string_value(jtype), type) != 0) {
        fail_msg("%s -> %ld: expected type %s, got %s (message: %s)", r->what, r->status, type,
                 json_string_value(jtype), json_string_value(message));
    }
    if (!is_json_content_type(r)) {
        fail_msg("%s -> %ld: error envelope not served as application/json", r->what, r->status);
    }
}

void pp_assert_number_text(const struct pp_resp *r, const char *path, const char *text)
{
    char got[128];
    if (pp_json_number_text(r->body, r->body_len, path, got, sizeof got) == NULL) {
        fail_msg("%s: no JSON number at %s in %.2000s", r->what, path, r->body);
    }
    if (strcmp(got, text) != 0) {
        fail_msg("%s: %s is %s, expected exactly %s", r->what, path, got, text);
    }
}

void pp_assert_allow(const struct pp_resp *r, const char *method)
{
    const char *allow = pp_resp_header(r, "Allow");
    if (allow == NULL) {
        fail_msg("%s -> %ld: no Allow header", r->what, r->status);
    }
    char copy[256];
    snprintf(copy, sizeof copy, "%s", allow);
    char *save = NULL;
    for (char *item = strtok_r(copy, ", ", &save); item != NULL;
         item = strtok_r(NULL, ", ", &save)) {
        if (strcmp(item, method) == 0) {
            return;
        }
    }
    fail_msg("%s: Allow header \"%s\" does not list %s", r->what, allow, method);
}

void pp_assert_date_out(const char *text)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
    int ok = text != NULL && strlen(text) == sizeof shape - 1;
    for (size_t i = 0; ok && i < sizeof shape - 1; i++) {
        ok = shape[i] == 'd' ? isdigit((unsigned char)text[i]) != 0 : text[i] == shape[i];
    }
    if (!ok) {
        fail_msg("date \"%s\" is not YYYY-MM-DDTHH:MM:SS.mmmZ", text != NULL ? text : "(null)");
    }
}

void pp_assert_json_str(const json_t *obj, const char *key, const char *value)
{
    const json_t *v = json_object_get(obj, key);
    if (!json_is_string(v)) {
        fail_msg("\"%s\" is not a string", key);
    }
    if (strcmp(json_string_value(v), value) != 0) {
        fail_msg("\"%s\" is \"%s\", expected \"%s\"", key, json_string_value(v), value);
    }
}

long long pp_json_int(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v)) {
        fail_msg("\"%s\" is not a JSON integer", key);
    }
    return (long long)json_integer_value(v);
}

/* --- Flows ------------------------------------------------------------------------ */

long long pp_date_out_seconds(const char *text)
{
    pp_assert_date_out(text);
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = atoi(text) - 1900;
    tm.tm_mon = atoi(text + 5) - 1;
    tm.tm_mday = atoi(text + 8);
    tm.tm_hour = atoi(text + 11);
    tm.tm_min = atoi(text + 14);
    tm.tm_sec = atoi(text + 17);
    return (long long)timegm(&tm);
}

static const char *str_field(const struct pp_resp *r, const json_t *item, const char *key)
{
    const json_t *v = json_object_get(item, key);
    if (!json_is_string(v)) {
        fail_msg("%s: payout field \"%s\" missing or not a string: %.2000s", r->what, key, r->body);
    }
    return json_string_value(v);
}

static void positive_int_field(const struct pp_resp *r, const json_t *item, const char *key)
{
    const json_t *v = json_object_get(item, key);
    if (!json_is_integer(v) || json_integer_value(v) <= 0) {
        fail_msg("%s: payout field \"%s\" missing or not a positive integer: %.2000s", r->what, key,
                 r->body);
    }
}

/* Every payout object ends with "notifications" (spec section 9): an
** array, [] when notification is off, else at most one e-mail per kind
** (ready, received), each with its channel, status and moment. */
static void notifications_check(const struct pp_resp *r, const json_t *item, int notification)
{
    const char *key = NULL, *last = NULL;
    json_t *v;
    json_object_foreach((json_t *)item, key, v)
    {
        last = key;
    }
    const json_t *notes = json_object_get(item, "notifications");
    if (last == NULL || strcmp(last, "notifications") != 0 || !json_is_array(notes)) {
        fail_msg("%s: the payout object does not end with a \"notifications\" array: %.2000s",
                 r->what, r->body);
    }
    if ((!notification && json_array_size(notes) != 0) || json_array_size(notes) > 2) {
        fail_msg("%s: payout notifications do not fit notification:%s: %.2000s", r->what,
                 notification ? "true" : "false", r->body);
    }
    size_t i;
    json_t *n;
    json_array_foreach(notes, i, n)
    {
        const char *kind = json_string_value(json_object_get(n, "kind"));
        const char *status = json_string_value(json_object_get(n, "status"));
        const char *at = json_string_value(json_object_get(n, "at"));
        const char *channel = json_string_value(json_object_get(n, "channel"));
        if (kind == NULL || (strcmp(kind, "ready") != 0 && strcmp(kind, "received") != 0) ||
            status == NULL || at == NULL || channel == NULL || strcmp(channel, "email") != 0) {
            fail_msg("%s: notification %zu is malformed: %.2000s", r->what, i, r->body);
        }
        pp_assert_date_out(at);
    }
}

void pp_assert_payment(const struct pp_resp *r, const char *path, const json_t *item,
                       const struct pp_payment_want *want)
{
    if (!json_is_object(item)) {
        fail_msg("%s: no payout object at \"%s\": %.2000s", r->what, path, r->body);
    }
    char amount_path[128];
    snprintf(amount_path, sizeof amount_path, "%s%samount", path, path[0] != '\0' ? "." : "");
    if (!json_is_number(json_object_get(item, "amount"))) {
        fail_msg("%s: payout amount is not a JSON number: %.2000s", r->what, r->body);
    }
    pp_assert_number_text(r, amount_path, want->amount);
    positive_int_field(r, item, "id");
    positive_int_field(r, item, "recipientId");
    positive_int_field(r, item, "projectId");
    const struct {
        const char *key, *value;
    } strings[] = {{"currency", want->currency},
                   {"startDate", want->start_date},
                   {"endDate", want->end_date},
                   {"description", want->description},
                   {"status", want->status}};
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) {
        const char *got = str_field(r, item, strings[i].key);
        if (strings[i].value != NULL && strcmp(got, strings[i].value) != 0) {
            fail_msg("%s: payout %s is \"%s\", expected \"%s\"", r->what, strings[i].key, got,
                     strings[i].value);
        }
    }
    const json_t *notification = json_object_get(item, "notification");
    if (!json_is_boolean(notification) || json_is_true(notification) != (want->notification != 0)) {
        fail_msg("%s: payout notification is not %s: %.2000s", r->what,
                 want->notification ? "true" : "false", r->body);
    }
    notifications_check(r, item, want->notification);
    const char *created = str_field(r, item, "createdAt");
    const char *updated = str_field(r, item, "updatedAt");
    long long now = (long long)time(NULL);
    long long created_s = pp_date_out_seconds(created);
    long long updated_s = pp_date_out_seconds(updated);
    if (created_s < now - 600 || created_s > now + 600) {
        fail_msg("%s: createdAt %s is not close to now", r->what, created);
    }
    if (strcmp(updated, created) < 0 || updated_s > now + 600) {
        fail_msg("%s: updatedAt %s is before createdAt %s or in the future", r->what, updated,
                 created);
    }
}

void pp_assert_error_says(const struct pp_resp *r, long status, const char *type, const char *why)
{
    pp_assert_error(r, status, type);
    const char *message =
        json_string_value(json_object_get(json_object_get(r->json, "error"), "message"));
    if (strstr(message, why) == NULL) {
        fail_msg("%s: message \"%s\" does not say \"%s\"", r->what, message, why);
    }
}

long long pp_amount_minor(const char *text, int decimals)
{
    long long whole = 0, frac = 0;
    int digits = 0;
    const char *p = text;
    int negative = *p == '-';
    p += negative;
    for (; *p >= '0' && *p <= '9'; p++) {
        whole = whole * 10 + (*p - '0');
    }
    if (*p == '.') {
        for (p++; *p >= '0' && *p <= '9'; p++, digits++) {
            frac = frac * 10 + (*p - '0');
        }
    }
    if (*p != '\0' || digits > decimals || p == text + negative) {
        fail_msg("amount text \"%s\" is not a plain decimal with at most %d decimals", text,
                 decimals);
    }
    long long scale = 1;
    for (int i = 0; i < decimals; i++) {
        scale *= 10;
    }
    for (; digits < decimals; digits++) {
        frac *= 10;
    }
    return (negative ? -1 : 1) * (whole * scale + frac);
}

int pp_currency_decimals(const char *currency)
{
    static const struct {
        const char *code;
        int decimals;
    } rows[] = {{"JPY", 0}, {"BHD", 3}, {"KWD", 3}, {"OMR", 3}, {"TND", 3}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        if (strcmp(currency, rows[i].code) == 0) {
            return rows[i].decimals;
        }
    }
    return 2;
}

void pp_assert_balance_answer(const struct pp_resp *r, const char *currency, const char *available,
                              const char *blocked, const char *paid_out)
{
    pp_assert_status(r, 200);
    pp_assert_json_str(r->json, "currency", currency);
    pp_assert_number_text(r, "available", available);
    pp_assert_number_text(r, "blocked", blocked);
    pp_assert_number_text(r, "paidOut", paid_out);
}
