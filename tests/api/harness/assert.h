/*
** This header declares the assertions the API tests share. Each runs on
** the test's main thread and fails the test with the request, status and
** body in the message.
*/
#ifndef PP_HARNESS_ASSERT_H
#define PP_HARNESS_ASSERT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>

#include "harness/http.h"

/* Fails (printing the request, status and body) unless r->status == status
** and, for 2xx, the body is a JSON object served as application/json. */
void pp_assert_status(const struct pp_resp *r, long status);

/* Asserts the exact error envelope
** {"error":{"message":<non-empty string>,"type":type},"errors":[]}
** with the given HTTP status and a JSON content type. */
void pp_assert_error(const struct pp_resp *r, long status, const char *type);

/* Asserts that r (a 200 answer of a deposit or a withdrawal) is the
** balance object of currency with exactly these literal figures. */
void pp_assert_balance_answer(const struct pp_resp *r, const char *currency, const char *available,
                              const char *blocked, const char *paid_out);

/* As pp_assert_error, and the message contains why. */
void pp_assert_error_says(const struct pp_resp *r, long status, const char *type, const char *why);

/* A plain decimal amount text ("12.5", "-0.01", "7") in minor units of a
** currency with `decimals`; fails on any other text or on more decimals. */
long long pp_amount_minor(const char *text, int decimals);
/* The minor-unit decimals of the currencies the tests use: JPY 0; BHD, KWD,
** OMR and TND 3; every other one they use 2. */
int pp_currency_decimals(const char *currency);

/* Asserts that the JSON number at path has exactly the literal text. */
void pp_assert_number_text(const struct pp_resp *r, const char *path, const char *text);

/* Asserts that the Allow header lists method (as one comma-separated item). */
void pp_assert_allow(const struct pp_resp *r, const char *method);

/* Asserts text is "YYYY-MM-DDTHH:MM:SS.mmmZ". */
void pp_assert_date_out(const char *text);

/* Asserts obj[key] is a string equal to value. */
void pp_assert_json_str(const json_t *obj, const char *key, const char *value);
/* Asserts obj[key] is a JSON integer (not a real) and returns it. */
long long pp_json_int(const json_t *obj, const char *key);

/* Parses "YYYY-MM-DDTHH:MM:SS.mmmZ" to seconds since the epoch (the
** milliseconds are dropped); asserts the shape. */
long long pp_date_out_seconds(const char *text);

/* What a payout object must say. */
struct pp_payment_want {
    const char *amount; /* the literal number text, e.g. "0.1" */
    const char *currency;
    const char *start_date; /* output form, "2018-01-01T12:00:00.000Z" */
    const char *end_date;
    const char *description;
    int notification;
    const char *status; /* "READY", "CANCELLED", ... */
};

/* Asserts that item (found in r's body at path, e.g. "payments[0]" or ""
** for a bare object) is a payout object with every seed field, of the
** right type and format, matching want; createdAt/updatedAt within 10
** minutes of now. */
void pp_assert_payment(const struct pp_resp *r, const char *path, const json_t *item,
                       const struct pp_payment_want *want);

#endif /* PP_HARNESS_ASSERT_H */
