/*
** This module implements the fuzz target of the request bodies, in two
** modes chosen by the first input byte.
**
** - A byte that names a body route (the table `routes` below: 'L' log-in,
**   'A' authenticate, 'C' create, 'M' create-list, 'V' CSV import, 'X'
**   cancel, 'Z' authorize, 'R' receive, 'D' deposit, 'W' withdraw, 'I' the
**   API-integration PUT, 'O' rotate, 'P' the authorization-policy PUT,
**   the users' and sessions' routes (see the table), and 'h' webhook
**   create, 'u' webhook patch, 's' its secret rotation, 't' its test
**   event, 'y' its replay, on endpoint 1): the
**   rest of the input is that route's body, run through the route's real
**   handler against a real database (opened once per process in a
**   temporary directory, with an admin, the integration on and funds in
**   GBP, JPY and BHD), as an admin. Authentication, rate limits and
**   idempotency (api_route_run) are left out: fuzz_token covers tokens.
**   Properties: the answer is 2xx with a JSON object, or 4xx with the
**   error envelope {"error":{"message":<non-empty>,"type":<non-empty>},
**   "errors":[...]} whose rows (lists only) are {"index","message","type"
**   [,"line"]}; never 5xx (a storage fault or a bug), never a stream.
**   Every route of the route table that reads a body must be in `routes`
**   (checked on the first input), so a new body route cannot go unfuzzed.
**   The database keeps what accepted inputs wrote (payouts, funds,
**   settings); the properties hold in any state.
** - Any other byte: the whole input is the raw body of POST
**   /api/payment/create, read by api_body_read with the create
**   allowlist and then by api_payout_request_read, exactly as the handler
**   does (without the database). Properties: a refused body answers the
**   error envelope with "errors":[] and a 4xx status; an accepted one
**   yields values within every limit (amount in 1..PP_AMOUNT_MINOR_MAX of
**   a known currency, dates that format and parse back to the same moment,
**   strings within their byte limits, metadata a compact JSON object
**   within PP_METADATA_BYTES_MAX); a refused field leaves a non-empty
**   message.
**
** Nothing leaks (the arena and the JSON die with each input; the database
** is closed and removed at exit).
*/
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <jansson.h>
#include <string.h>

#include "api/payout.h"
#include "api/request.h"
#include "api/response.h"
#include "fuzz.h"
#include "payout/api/events.h"
#include "payout/base/log.h"
#include "payout/core/admins.h"
#include "payout/core/app.h"
#include "payout/core/dates.h"
#include "payout/core/funds.h"
#include "payout/core/integration.h"
#include "payout/core/money.h"
#include "payout/core/outbox.h"
#include "payout/core/payouts.h"
#include "payout/core/users.h"
#include "payout/core/webhooks.h"
#include "payout/sec/passwords.h"

/* One row of a refused list: {"index":N,"message":...,"type":...} and,
** for CSV, "line". */
static void check_row(const json_t *row)
{
    const json_t *index = json_object_get(row, "index");
    const json_t *line = json_object_get(row, "line");
    const json_t *message = json_object_get(row, "message");
    const json_t *type = json_object_get(row, "type");
    FUZZ_CHECK(json_is_integer(index) && json_integer_value(index) >= 0);
    FUZZ_CHECK(json_is_string(message) && json_string_length(message) > 0);
    FUZZ_CHECK(json_is_string(type) && json_string_length(type) > 0);
    FUZZ_CHECK(line == NULL || (json_is_integer(line) && json_integer_value(line) > 0));
    FUZZ_CHECK(json_object_size(row) == (line != NULL ? 4u : 3u));
}

/* The answer of a refused body must be the exact error envelope; rows
** (a refused list's bad rows in "errors") only when rows_allowed. */
static void check_envelope(const struct api_response *resp, int rows_allowed)
{
    FUZZ_CHECK(resp->status >= 400 && resp->status < 500);
    json_error_t jerr;
    json_t *doc = json_loadb(resp->body.data, resp->body.len, JSON_REJECT_DUPLICATES, &jerr);
    FUZZ_CHECK(doc != NULL && json_is_object(doc) && json_object_size(doc) == 2);
    json_t *error = json_object_get(doc, "error");
    json_t *errors = json_object_get(doc, "errors");
    FUZZ_CHECK(json_is_object(error) && json_object_size(error) == 2 && json_is_array(errors));
    FUZZ_CHECK(rows_allowed || json_array_size(errors) == 0);
    for (size_t i = 0; i < json_array_size(errors); i++) {
        check_row(json_array_get(errors, i));
    }
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

/* The create body alone, without the database (see the header). */
static void fuzz_create(const uint8_t *data, size_t size)
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
    json_t *body = api_body_read(&req, api_payout_request_fields, 0, &resp);
    if (body == NULL) {
        check_envelope(&resp, 0);
    } else {
        struct core_payout_request create;
        struct pp_err err = {0};
        api_payout_request_read(body, arena, &create, &err);
        if (err.status == PP_OK) {
            check_request(&create);
        } else {
            FUZZ_CHECK(err.status == PP_INVALID_PARAMS && err.message[0] != '\0');
            api_err_respond(&resp, &err);
            check_envelope(&resp, 0);
        }
    }
    json_decref(body);
    api_response_free(&resp);
    pp_arena_destroy(arena);
}

/* --- Body routes through their handlers ------------------------------------------ */

struct body_route {
    char tag; /* the first input byte */
    const char *method;
    const char *path;
    const char *content_type;
    int rows; /* a refusal may name bad rows */
};

static const struct body_route routes[] = {
    {'L', "POST", "/api/admin/login", "application/json", 0},
    {'A', "POST", "/api/authenticate", "application/json", 0},
    {'C', "POST", "/api/payment/create", "application/json", 0},
    {'M', "POST", "/api/payment/create-list", "application/json", 1},
    {'V', "POST", "/api/payment/import", "text/csv", 1},
    {'X', "POST", "/api/payment/cancel", "application/json", 0},
    {'Z', "POST", "/api/payment/authorize", "application/json", 0},
    {'R', "POST", "/api/payment/receive", "application/json", 0},
    {'D', "POST", "/api/admin/funds/deposit", "application/json", 0},
    {'W', "POST", "/api/admin/funds/withdraw", "application/json", 0},
    {'I', "PUT", "/api/admin/settings/api-integration", "application/json", 0},
    {'O', "POST", "/api/admin/settings/api-integration/rotate", "application/json", 0},
    {'P', "PUT", "/api/admin/settings/authorization", "application/json", 0},
    {'Y', "PUT", "/api/admin/settings/security", "application/json", 0},
    {'S', "POST", "/api/session", "application/json", 0},
    {'U', "POST", "/api/admin/users", "application/json", 0},
    {'H', "PATCH", "/api/admin/users/{id}", "application/json", 0},
    {'Q', "POST", "/api/admin/users/{id}/reset-password", "application/json", 0},
    {'T', "POST", "/api/admin/users/{id}/reset-two-factor", "application/json", 0},
    {'E', "POST", "/api/account/password", "application/json", 0},
    {'F', "POST", "/api/account/two-factor/setup", "application/json", 0},
    {'G', "POST", "/api/account/two-factor/enable", "application/json", 0},
    {'K', "POST", "/api/account/two-factor/disable", "application/json", 0},
    {'h', "POST", "/api/webhooks", "application/json", 0},
    {'u', "PATCH", "/api/webhooks/{id}", "application/json", 0},
    {'s', "POST", "/api/webhooks/{id}/rotate-secret", "application/json", 0},
    {'t', "POST", "/api/webhooks/{id}/test", "application/json", 0},
    {'y', "POST", "/api/webhooks/{id}/replay", "application/json", 0},
};
#define ROUTES_COUNT (sizeof routes / sizeof routes[0])

/* The seed corpus logs in with these (route_login_ok). */
#define FUZZ_ADMIN_EMAIL "fuzz@example.com"
#define FUZZ_ADMIN_PASSWORD "fuzz-password-1"
#define FUZZ_ADMIN_ID 1

static const struct pp_actor fuzz_admin = {
    .kind = PP_ACTOR_ADMIN, .admin_id = FUZZ_ADMIN_ID, .addr = "127.0.0.1"};
static struct core_app *app;
static const struct api_route *handlers[ROUTES_COUNT];
static char app_dir[256];

/* Removes app_dir and the files in it (the database, its WAL and SHM). */
static void app_dir_remove(void)
{
    DIR *d = opendir(app_dir);
    if (d == NULL) {
        return;
    }
    for (struct dirent *e = readdir(d); e != NULL; e = readdir(d)) {
        char path[512];
        if (e->d_name[0] != '.') {
            snprintf(path, sizeof path, "%s/%s", app_dir, e->d_name);
            unlink(path);
        }
    }
    closedir(d);
    rmdir(app_dir);
}

__attribute__((destructor)) static void app_close(void)
{
    if (app != NULL) {
        core_app_close(app);
        app = NULL;
        app_dir_remove();
    }
}

/* The route table entry of r; NULL when the table has none. */
static const struct api_route *route_entry(const char *method, const char *path)
{
    for (size_t i = 0; i < api_routes_count; i++) {
        if (strcmp(api_routes[i].method, method) == 0 && strcmp(api_routes[i].pattern, path) == 0) {
            return &api_routes[i];
        }
    }
    return NULL;
}

/* Opens the database (tmpfs when there is one: fsync is free there) and
** checks that every body route of the route table is fuzzed here. */
static void app_open(void)
{
    struct pp_err err = {0};
    struct core_integration in;
    struct pp_balance after;
    int created = 0;
    const char *base = getenv("TMPDIR");
    if (base == NULL) {
        base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    }
    pp_log_set_level(PP_LOG_ERROR);
    sec_password_set_iterations(PP_PBKDF2_ITERATIONS_MIN);
    snprintf(app_dir, sizeof app_dir, "%s/pp-fuzz-body-XXXXXX", base);
    FUZZ_CHECK(mkdtemp(app_dir) != NULL);
    char db[300];
    snprintf(db, sizeof db, "%s/fuzz.db", app_dir);
    FUZZ_CHECK(core_app_open(db, 1, &app, &err) == PP_OK);
    FUZZ_CHECK(core_admin_set(app, &fuzz_admin, FUZZ_ADMIN_EMAIL, FUZZ_ADMIN_PASSWORD, NULL,
                              &created, &err) == PP_OK);
    FUZZ_CHECK(core_integration_set(app, 1, &fuzz_admin, &in, &err) == PP_OK);
    /* Two-factor set-up seals its secret with a master secret. */
    static const uint8_t master[PP_SEAL_MASTER_BYTES_MIN] = {1};
    struct core_users_options users = {
        .session_idle_s = 60, .session_max_s = 600, .master = master, .master_len = sizeof master};
    FUZZ_CHECK(core_users_configure(app, &users, &err) == PP_OK);
    /* The outbox seals webhook secrets with the same master; no threads. */
    struct core_outbox_options outbox = {
        .master = master, .master_len = sizeof master, .render = api_event_render};
    FUZZ_CHECK(core_outbox_start(app, &outbox, &err) == PP_OK);
    static const char *const codes[] = {"GBP", "JPY", "BHD"};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        const struct core_currency *cur = core_currency_find(codes[i], 3);
        FUZZ_CHECK(cur != NULL);
        FUZZ_CHECK(core_funds_deposit(app, cur, 100000000000LL, "fuzz", &fuzz_admin, &after,
                                      &err) == PP_OK);
    }
    /* Endpoint 1, which the {id} webhook routes name. */
    struct pp_webhook hook;
    char secret[SEC_WEBHOOK_SECRET_TEXT_BYTES];
    FUZZ_CHECK(core_webhook_create(app, &fuzz_admin, "https://example.invalid/fuzz", 0, "", &hook,
                                   secret, &err) == PP_OK);
    for (size_t i = 0; i < ROUTES_COUNT; i++) {
        handlers[i] = route_entry(routes[i].method, routes[i].path);
        FUZZ_CHECK(handlers[i] != NULL && handlers[i]->has_body);
    }
    for (size_t i = 0; i < api_routes_count; i++) {
        int fuzzed = 0;
        for (size_t k = 0; k < ROUTES_COUNT && !fuzzed; k++) {
            fuzzed = handlers[k] == &api_routes[i];
        }
        if (api_routes[i].has_body && !fuzzed) {
            fprintf(stderr, "fuzz_body: add %s %s to its routes\n", api_routes[i].method,
                    api_routes[i].pattern);
        }
        FUZZ_CHECK(!api_routes[i].has_body || fuzzed);
    }
}

/* Any answer of a body route (see the header). */
static void check_answer(const struct api_response *resp, int rows)
{
    FUZZ_CHECK(resp->stream == NULL);
    FUZZ_CHECK(resp->status >= 200 && resp->status < 500);
    FUZZ_CHECK(strncmp(resp->content_type, "application/json", 16) == 0);
    if (resp->status >= 400) {
        check_envelope(resp, rows);
        return;
    }
    json_error_t jerr;
    json_t *doc = json_loadb(resp->body.data, resp->body.len, JSON_REJECT_DUPLICATES, &jerr);
    FUZZ_CHECK(json_is_object(doc));
    json_decref(doc);
}

static void fuzz_route(size_t which, const uint8_t *data, size_t size)
{
    const struct body_route *r = &routes[which];
    struct pp_arena *arena = pp_arena_create(PP_ARENA_CHUNK_BYTES);
    struct api_request req;
    struct api_response resp;
    memset(&req, 0, sizeof req);
    req.arena = arena;
    req.method = r->method;
    req.path = r->path;
    req.content_type = r->content_type;
    req.client_addr = fuzz_admin.addr;
    req.principal.role = SEC_ROLE_ADMIN;
    req.principal.admin_id = FUZZ_ADMIN_ID;
    req.principal.user_role = PP_ROLE_ADMIN;
    /* Routes with an {id} act on the fuzzing admin itself. */
    if (strchr(r->path, '{') != NULL) {
        req.path_params[0] = "1";
        req.path_param_count = 1;
    }
    req.actor = fuzz_admin;
    req.body = size > 0 ? pp_arena_strndup(arena, (const char *)data, size) : NULL;
    req.body_len = size;
    api_response_init(&resp);
    handlers[which]->handler(app, &req, &resp);
    check_answer(&resp, r->rows);
    api_response_free(&resp);
    pp_arena_destroy(arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (size_t i = 0; size > 0 && i < ROUTES_COUNT; i++) {
        if (data[0] == (uint8_t)routes[i].tag) {
            if (app == NULL) {
                app_open();
            }
            fuzz_route(i, data + 1, size - 1);
            return 0;
        }
    }
    fuzz_create(data, size);
    return 0;
}
