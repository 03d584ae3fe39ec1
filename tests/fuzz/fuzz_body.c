/*
** This module implements the fuzz target of the request body path of
** POST /api/payment/create: the input is the raw body, read by
** api_body_object with the create allowlist and then by
** api_payout_request_read, exactly as the handler does (without the
** database). Properties: a refused body answers the error envelope
** {"error":{"message":<non-empty>,"type":...},"errors":[]} with a 4xx
** status; an accepted one yields values within every limit (amount in
** 1..PP_AMOUNT_MINOR_MAX of a known currency, dates that format and parse
** back to the same moment, strings within their byte limits, metadata a
** compact JSON object within PP_METADATA_BYTES_MAX); a refused field
** leaves a non-empty message. Nothing leaks (the arena and the JSON die).
*/
#include <jansson.h>
#include <string.h>

#include "api/internal.h"
#include "api/payments.h"
#include "fuzz.h"
#include "payout/core/dates.h"

/* The answer of a refused body must be the exact error envelope. */
static void check_envelope(const struct api_response *resp)
{
    FUZZ_CHECK(resp->status >= 400 && resp->status < 500);
    json_error_t jerr;
    json_t *doc = json_loadb(resp->body.data, resp->body.len, JSON_REJECT_DUPLICATES, &jerr);
    FUZZ_CHECK(doc != NULL && json_is_object(doc) && json_object_size(doc) == 2);
    json_t *error = json_object_get(doc, "error");
    json_t *errors = json_object_get(doc, "errors");
    FUZZ_CHECK(json_is_object(error) && json_is_array(errors) && json_array_size(errors) == 0);
    json_t *message = json_object_get(error, "message");
    json_t *type = json_object_get(error, "type");
    FUZZ_CHECK(json_is_string(message) && json_string_length(message) > 0);
    FUZZ_CHECK(json_is_string(type) && json_string_length(type) > 0);
    json_decref(doc);
}

static void check_date(int64_t ms)
{
    char text[PP_DATE_TEXT_BYTES];
    int64_t back = 0;
    struct pp_err err = {0};
    FUZZ_CHECK(core_date_format(ms, text, sizeof text) == 24);
    FUZZ_CHECK(core_date_parse(text, 24, "date", &back, &err) == PP_OK && back == ms);
}

/* An accepted request must hold values within every limit. */
static void check_request(const struct core_payout_request *r)
{
    const struct pp_recipient *p = &r->recipient;
    FUZZ_CHECK(r->currency != NULL && core_currency_find(r->currency->code, 3) == r->currency);
    FUZZ_CHECK(r->amount_minor > 0 && r->amount_minor <= PP_AMOUNT_MINOR_MAX);
    check_date(r->start_ms);
    check_date(r->end_ms);
    FUZZ_CHECK(strlen(r->project_name) > 0 && strlen(r->project_name) <= PP_PROJECT_NAME_BYTES_MAX);
    FUZZ_CHECK(strlen(r->description) > 0 && strlen(r->description) <= PP_DESCRIPTION_BYTES_MAX);
    FUZZ_CHECK(strlen(p->user_name) <= PP_IDENT_BYTES_MAX);
    FUZZ_CHECK(strlen(p->phone_number) <= PP_IDENT_BYTES_MAX);
    FUZZ_CHECK(strlen(p->reference_id) <= PP_IDENT_BYTES_MAX);
    FUZZ_CHECK(strlen(p->first_name) <= PP_PERSON_NAME_BYTES_MAX);
    FUZZ_CHECK(strlen(p->last_name) <= PP_PERSON_NAME_BYTES_MAX);
    FUZZ_CHECK(strlen(p->email) <= PP_EMAIL_BYTES_MAX);
    FUZZ_CHECK(r->notification == 0 || r->notification == 1);
    size_t meta_len = strlen(r->metadata);
    FUZZ_CHECK(meta_len <= PP_METADATA_BYTES_MAX);
    if (meta_len > 0) {
        json_error_t jerr;
        json_t *meta = json_loadb(r->metadata, meta_len, JSON_REJECT_DUPLICATES, &jerr);
        FUZZ_CHECK(meta != NULL && json_is_object(meta));
        json_decref(meta);
    }
    /* The amount's canonical text reads back as the same minor units. */
    char text[PP_AMOUNT_TEXT_BYTES];
    int64_t back = 0;
    struct pp_err err = {0};
    size_t len = core_money_format(r->amount_minor, r->currency->exponent, text, sizeof text);
    FUZZ_CHECK(core_money_parse(text, len, r->currency, "amount", &back, &err) == PP_OK);
    FUZZ_CHECK(back == r->amount_minor);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pp_arena *arena = pp_arena_create(PP_ARENA_CHUNK_BYTES);
    struct api_request req;
    struct api_response resp;
    memset(&req, 0, sizeof req);
    req.arena = arena;
    req.method = "POST";
    req.path = "/api/payment/create";
    req.content_type = "application/json";
    req.client_addr = "127.0.0.1";
    /* The HTTP layer hands over a NUL-terminated copy, NULL when empty. */
    req.body = size > 0 ? pp_arena_strndup(arena, (const char *)data, size) : NULL;
    req.body_len = size;
    api_response_init(&resp);
    json_t *body = api_body_object(&req, api_payout_request_fields, 0, &resp);
    if (body == NULL) {
        check_envelope(&resp);
    } else {
        struct core_payout_request create;
        struct pp_err err = {0};
        api_payout_request_read(body, arena, &create, &err);
        if (err.status == PP_OK) {
            check_request(&create);
        } else {
            FUZZ_CHECK(err.status == PP_INVALID_PARAMS && err.message[0] != '\0');
            api_respond_err(&resp, &err);
            check_envelope(&resp);
        }
    }
    json_decref(body);
    api_response_free(&resp);
    pp_arena_destroy(arena);
    return 0;
}
