#!/usr/bin/env python3
"""Writes docs/openapi.json, the OpenAPI 3.1 description of payout-panel.

The document is kept as this readable source; run `python3 scripts/openapi.py`
after changing a route, then commit both. tests/unit/test_openapi.c fails
when the document and the server's route table disagree.
"""
import json
import os

VERSION = "0.1.0"


def ref(name):
    return {"$ref": "#/components/schemas/" + name}


def err(status, text):
    return {"description": text, "content": {"application/json": {"schema": ref("Error")}}}


def ok(schema, text="OK", content_type="application/json"):
    return {"description": text, "content": {content_type: {"schema": schema}}}


COMMON_ERRORS = {
    "400": err(400, "INVALID_PARAMS: a missing, empty or invalid value, unknown field, bad JSON"),
    "413": err(413, "PAYLOAD_TOO_LARGE: body over the limit"),
    "415": err(415, "UNSUPPORTED_MEDIA_TYPE: declared Content-Type is not JSON"),
    "429": err(429, "RATE_LIMITED: over the rate limit (see Retry-After)"),
    "500": err(500, "INTERNAL"),
    "503": err(503, "UNAVAILABLE: storage unavailable; nothing was written"),
}
AUTH_ERRORS = {
    "401": err(401, "UNAUTHORIZED: missing, malformed, expired, revoked or forged token"),
}
ADMIN_ERRORS = dict(AUTH_ERRORS, **{"403": err(403, "FORBIDDEN: an API key on an admin endpoint")})

SECURITY = {
    "public": [],
    "integrator": [{"accessToken": []}, {"bearer": []}],
    "admin": [{"accessToken": []}, {"bearer": []}],
}

IDS_BODY = {"type": "object", "required": ["ids"], "additionalProperties": False,
            "properties": {"ids": {"type": "array", "minItems": 1, "maxItems": 1000,
                                   "items": {"type": "integer", "minimum": 1}}}}
SUCCESS = {"type": "object", "required": ["success"],
           "properties": {"success": {"type": "integer", "minimum": 0}}}


def body(schema, content_type="application/json", required=True):
    return {"required": required, "content": {content_type: {"schema": schema}}}


def query(name, schema, text, required=False):
    return {"name": name, "in": "query", "required": required, "schema": schema,
            "description": text}


def path_id(name="id", text="a positive integer id"):
    return {"name": name, "in": "path", "required": True,
            "schema": {"type": "string", "pattern": "^[1-9][0-9]{0,17}$"}, "description": text}


# Every route: (method, path, access, summary, request body or None, parameters,
# responses). The order follows src/api/routes.c.
ROUTES = []


def route(method, path, access, summary, request=None, params=None, responses=None,
          errors=None):
    ROUTES.append((method, path, access, summary, request, params or [], responses or {},
                   errors or {}))


route("POST", "/api/authenticate", "public",
      "Exchange the authentication password for a 24-hour API key (seed)",
      body({"type": "object", "required": ["apiKey"], "additionalProperties": False,
            "properties": {"apiKey": {"type": "string", "minLength": 1}}}),
      responses={"200": ok(ref("Token"))},
      errors={"401": err(401, "INVALID_PARAMS: wrong authentication password, or the "
                              "integration is off")})
route("POST", "/api/payment/create", "integrator", "Create a payout (seed)",
      body(ref("PayoutCreate")),
      responses={"200": ok(ref("PaymentList"))},
      errors={"422": err(422, "INSUFFICIENT_FUNDS: nothing was written")})
route("POST", "/api/payment/cancel", "integrator", "Cancel payouts and release their funds (seed)",
      body(IDS_BODY), responses={"200": ok(SUCCESS)})
route("POST", "/api/payment/authorize", "admin",
      "Authorize UNAUTHORIZED payouts (UNAUTHORIZED -> READY)",
      body(IDS_BODY), responses={"200": ok(SUCCESS)})
route("POST", "/api/payment/receive", "integrator",
      "Receive a READY payout inside its window: funds blocked -> paid out",
      body({"type": "object", "required": ["id"], "additionalProperties": False,
            "properties": {"id": {"type": "integer", "minimum": 1},
                           "reference": {"type": "string", "maxLength": 200,
                                         "description": "the payout reference"}}}),
      responses={"200": ok(ref("Payout"))},
      errors={"400": err(400, "INVALID_PARAMS: also when the payout is not READY (not "
                              "authorized, already received, cancelled, expired) or outside "
                              "its window; the message says why"),
              "404": err(404, "NOT_FOUND: no such payout")})
route("GET", "/api/payments/{id}", "integrator", "One payout", params=[path_id()],
      responses={"200": ok(ref("Payout"))}, errors={"404": err(404, "NOT_FOUND")})
route("GET", "/api/balances", "integrator", "Balances of every funded currency",
      responses={"200": ok({"type": "object", "required": ["balances"],
                            "properties": {"balances": {"type": "array",
                                                        "items": ref("Balance")}}})})
route("GET", "/api/version", "public", "Service version",
      responses={"200": ok({"type": "object", "required": ["status", "version"],
                            "properties": {"status": {"const": "ok"},
                                           "version": {"type": "string"}}})})
route("POST", "/api/admin/login", "public", "Admin log-in: an 8-hour admin token",
      body({"type": "object", "required": ["email", "password"], "additionalProperties": False,
            "properties": {"email": {"type": "string"}, "password": {"type": "string"}}}),
      responses={"200": ok(ref("Token"))},
      errors={"401": err(401, "UNAUTHORIZED: unknown e-mail or wrong password")})
route("GET", "/api/admin/settings", "admin", "Panel settings",
      responses={"200": ok(ref("Settings"))})
route("PUT", "/api/admin/settings/api-integration", "admin", "Switch API integration on or off",
      body({"type": "object", "required": ["enabled"], "additionalProperties": False,
            "properties": {"enabled": {"type": "boolean"}}}),
      responses={"200": ok(ref("ApiIntegration"))})
route("POST", "/api/admin/settings/api-integration/rotate", "admin",
      "New authentication password; revokes every API key",
      body({"type": "object", "additionalProperties": False}, required=False),
      responses={"200": ok(ref("ApiIntegration"))})
route("POST", "/api/admin/funds/deposit", "admin", "Fund the account",
      body(ref("FundsMove")), responses={"200": ok(ref("Balance"))})
route("POST", "/api/admin/funds/withdraw", "admin", "Withdraw available (unblocked) funds",
      body(ref("FundsMove")), responses={"200": ok(ref("Balance"))},
      errors={"422": err(422, "INSUFFICIENT_FUNDS: more than the available funds; "
                              "nothing was written")})
route("PUT", "/api/admin/settings/authorization", "admin",
      "When new payouts need an admin's authorization",
      body(ref("Authorization")), responses={"200": ok(ref("Authorization"))})
route("GET", "/api/openapi.json", "public", "This document",
      responses={"200": ok({"type": "object"})})
# Service and audit (idempotency and rate limits apply to routes as data:
# see IDEMPOTENCY_KEY and RATE_HEADERS below).
RATE_LIMIT = {"type": ["object", "null"], "required": ["limit", "remaining", "reset"],
              "properties": {"limit": {"type": "integer"}, "remaining": {"type": "integer"},
                             "reset": {"type": "integer", "description": "seconds until full"}}}
route("GET", "/api/status", "integrator", "Service status and the caller's rate-limit figures",
      responses={"200": ok({"type": "object", "required": ["status", "ratelimit"],
                            "properties": {"status": {"const": "ok"}, "ratelimit": RATE_LIMIT}})})
route("GET", "/healthz", "public", "Liveness: the process serves",
      responses={"200": ok({"type": "object", "properties": {"status": {"const": "ok"}}})})
route("GET", "/readyz", "public", "Readiness: the database answers",
      responses={"200": ok({"type": "object", "properties": {"status": {"const": "ready"}}})})
route("GET", "/api/admin/audit", "admin", "The audit log, newest first, paged and filtered",
      params=[query("page", {"type": "integer", "minimum": 1}, "1-based page (default 1)"),
              query("size", {"type": "integer", "minimum": 1, "maximum": 100},
                    "entries per page (default 20)"),
              query("action", {"type": "string", "maxLength": 64}, "exact action name"),
              query("actorKind", {"enum": ["system", "integrator", "admin"]}, "actor kind"),
              query("adminId", {"type": "integer", "minimum": 1}, "acting admin"),
              query("from", {"type": "string"}, "period start (any accepted date form)"),
              query("to", {"type": "string"}, "period end, included; a bare day covers it")],
      responses={"200": ok({"type": "object", "required": ["audit", "page", "size", "total"],
                            "properties": {"audit": {"type": "array", "items": ref("AuditEntry")},
                                           "page": {"type": "integer"},
                                           "size": {"type": "integer"},
                                           "total": {"type": "integer"}}})})
# Lists and reports (docs/api.md "Lists and reports").
CURRENCY_PARAM = {"type": "string", "pattern": "^[A-Z]{3}$"}
LIST_REFUSED = {
    "400": err(400, "INVALID_PARAMS: a bad request, or bad rows: nothing was written and "
                    "errors[] names every bad row (ListRowError)"),
    "422": err(422, "INSUFFICIENT_FUNDS: every bad row is a funds refusal; nothing was "
                    "written; errors[] names them"),
    "413": err(413, "PAYLOAD_TOO_LARGE: body over 16 MiB")}
route("POST", "/api/payment/create-list", "integrator",
      "Create up to 10,000 payouts in one transaction, all or nothing",
      body({"type": "object", "required": ["payments"], "additionalProperties": False,
            "properties": {"payments": {"type": "array", "minItems": 1, "maxItems": 10000,
                                        "items": ref("PayoutCreate")}}}),
      responses={"200": ok(ref("PaymentList"))}, errors=LIST_REFUSED)
route("POST", "/api/payment/import", "integrator",
      "Import a CSV list of payouts (header row of create fields), all or nothing",
      body({"type": "string", "description": "RFC 4180 CSV, UTF-8; see docs/api.md"},
           content_type="text/csv"),
      responses={"200": ok(ref("PaymentList"))},
      errors=dict(LIST_REFUSED, **{"415": err(415, "UNSUPPORTED_MEDIA_TYPE: not text/csv")}))
route("GET", "/api/reports/payouts", "integrator",
      "Counts and sums of payouts created in a period, per group and currency",
      params=[query("groupBy", {"enum": ["project", "currency", "status", "recipient", "day"]},
                    "the grouping (day = UTC day of creation)", required=True),
              query("from", {"type": "string"}, "created at or after (default: to - 30 days)"),
              query("to", {"type": "string"}, "created before (default: the next UTC midnight)"),
              query("currency", CURRENCY_PARAM, "only this currency"),
              query("status", {"enum": ["UNAUTHORIZED", "READY", "RECEIVED", "CANCELLED",
                                        "EXPIRED"]}, "only payouts now in this status")],
      responses={"200": ok(ref("PayoutReport"))})
# Read lists (docs/api.md "Read lists").
PAGE_PARAMS = [
    query("page", {"type": "integer", "minimum": 1}, "1-based page (default 1); at most "
          "100,000 rows may be skipped, deeper pages follow nextCursor"),
    query("size", {"type": "integer", "minimum": 1, "maximum": 100}, "rows per page (default 25)"),
    query("cursor", {"type": "string"}, "nextCursor of the previous page (same filters and "
          "order); not with page"),
    query("total", {"type": "boolean"}, "false skips counting (\"total\": null)"),
    query("dir", {"enum": ["asc", "desc"]}, "direction (default asc); ties broken by id"),
]
DATE_PARAM = {"type": "string", "description": "any accepted date form"}
PAYOUT_FILTERS = [
    query("orderBy", {"enum": ["id", "createdAt", "updatedAt", "amount", "startDate", "endDate",
                               "status"]}, "order field (default id)"),
    query("status", {"type": "string"}, "one state or a comma-separated list"),
    query("currency", CURRENCY_PARAM, "ISO 4217 code"),
    query("projectId", {"type": "integer", "minimum": 1}, "project"),
    query("recipientId", {"type": "integer", "minimum": 1}, "recipient"),
    query("ids", {"type": "string"}, "comma-separated payout ids, at most 100"),
    query("amountMin", {"type": "number"}, "major units, inclusive; needs currency"),
    query("amountMax", {"type": "number"}, "major units, inclusive; needs currency"),
    query("createdFrom", DATE_PARAM, "createdAt from (inclusive)"),
    query("createdTo", DATE_PARAM, "createdAt to (inclusive)"),
    query("startFrom", DATE_PARAM, "startDate from (inclusive)"),
    query("startTo", DATE_PARAM, "startDate to (inclusive)"),
    query("endFrom", DATE_PARAM, "endDate from (inclusive)"),
    query("endTo", DATE_PARAM, "endDate to (inclusive)"),
]
NOT_FOUND = {"404": err(404, "NOT_FOUND")}


def page_of(key, item):
    return {"type": "object", "required": [key, "page", "size", "total", "nextCursor"],
            "properties": {key: {"type": "array", "items": item},
                           "page": {"type": "integer"}, "size": {"type": "integer"},
                           "total": {"type": ["integer", "null"]},
                           "nextCursor": {"type": ["string", "null"]}}}


route("GET", "/api/payments", "integrator", "Payouts, filtered, ordered and paged",
      params=PAGE_PARAMS + PAYOUT_FILTERS, responses={"200": ok(page_of("payments",
                                                                        ref("Payout")))})
route("GET", "/api/payments/export", "integrator",
      "The payouts of a filtered list as CSV, streamed (stable documented columns)",
      params=[q for q in PAGE_PARAMS if q["name"] == "dir"] + PAYOUT_FILTERS,
      responses={"200": ok({"type": "string"}, "RFC 4180 CSV with a header row",
                           "text/csv")})
route("GET", "/api/recipients", "integrator", "Recipients, paged, optionally with payout totals",
      params=PAGE_PARAMS + [query("userName", {"type": "string"}, "exact"),
                            query("phoneNumber", {"type": "string"}, "exact"),
                            query("referenceId", {"type": "string"}, "exact"),
                            query("stats", {"type": "boolean"}, "true adds each recipient's "
                                  "per-currency/status totals, as GET /api/recipients/{id}")],
      responses={"200": ok(page_of("recipients", ref("RecipientWithTotals")))})
route("GET", "/api/recipients/{id}", "integrator", "One recipient with its payout totals",
      params=[path_id()], responses={"200": ok(ref("RecipientWithTotals"))}, errors=NOT_FOUND)
route("GET", "/api/projects", "integrator", "Projects, paged, optionally with payout stats",
      params=PAGE_PARAMS + [query("name", {"type": "string"}, "exact"),
                            query("stats", {"type": "boolean"}, "true adds each project's "
                                  "per-currency/status stats, as GET /api/projects/{id}"
                                  "?stats=true")],
      responses={"200": ok(page_of("projects", ref("Project")))})
route("GET", "/api/projects/{id}", "integrator", "One project, optionally with payout stats",
      params=[path_id(), query("stats", {"type": "boolean"}, "add per-currency/status stats")],
      responses={"200": ok(ref("Project"))}, errors=NOT_FOUND)
route("GET", "/api/ledger", "integrator", "The ledger of funds movements, paged",
      params=PAGE_PARAMS + [query("currency", CURRENCY_PARAM, "ISO 4217 code"),
                            query("from", DATE_PARAM, "movements at or after"),
                            query("to", DATE_PARAM, "movements at or before"),
                            query("payoutId", {"type": "integer", "minimum": 1}, "payout")],
      responses={"200": ok(page_of("ledger", ref("LedgerEntry")))})
# What each operation does, beyond its summary, and its tag (a section of
# docs/api.md). Every route must have an entry: build() refuses a route
# without one, so the linters' operation-description and operation-tags
# rules hold by construction.
TAGS = [
    ("Seed API", "The seed document's three requests, field for field"),
    ("Lifecycle", "Authorize and receive payouts"),
    ("Reads", "Single payouts, balances and the service's own description"),
    ("Admin", "Log-in, settings, funds and the audit log"),
    ("Service", "Status, liveness and readiness"),
    ("Lists and reports", "Whole lists of payouts in one transaction, and payout reports"),
    ("Read lists", "Paged, filtered lists of payouts, recipients, projects and the ledger"),
]
OPERATIONS = {
    ("POST", "/api/authenticate"): (
        "Seed API", "Exchanges the authentication password (admin settings) for an API key, an "
        "HS256 JWT valid for 24 hours. Works only while API integration is on; rotating the "
        "password or switching the integration off revokes every key issued before. Failed "
        "attempts are counted per client address (the log-in lockout)."),
    ("POST", "/api/payment/create"): (
        "Seed API", "Creates one payout and blocks its amount from the available balance of its "
        "currency. The project named `name` is created if it does not exist; the recipient is "
        "found by its identifiers or created. The payout starts READY, or UNAUTHORIZED when the "
        "authorization policy says so. A refusal writes nothing."),
    ("POST", "/api/payment/cancel"): (
        "Seed API", "Cancels READY and UNAUTHORIZED payouts and releases their blocked funds, in "
        "one transaction. Unknown ids, repeated ids and payouts in other states are not counted "
        "and are not an error."),
    ("POST", "/api/payment/authorize"): (
        "Lifecycle", "Authorizes UNAUTHORIZED payouts whose endDate has not passed: they become "
        "READY, with authorizedAt, in one transaction. No funds move. Other ids are not counted "
        "and are not an error."),
    ("POST", "/api/payment/receive"): (
        "Lifecycle", "Receives one READY payout inside its window (startDate <= now <= endDate): "
        "records receivedAt and the optional payout reference and moves its amount from blocked "
        "to paid out. Any other state is refused with a message saying why; nothing is "
        "written then."),
    ("GET", "/api/payments/{id}"): (
        "Reads", "The payout object of one payout, with its optional keys (authorizedAt, "
        "receivedAt, reference, cancelledAt, expiredAt) present once they have a value."),
    ("GET", "/api/balances"): (
        "Reads", "Available, blocked and paid-out figures of every currency ever funded, ordered "
        "by code, in major units."),
    ("GET", "/api/version"): (
        "Reads", "The server's version, as `payout-panel version` prints it. No token is needed "
        "or checked."),
    ("POST", "/api/admin/login"): (
        "Admin", "Exchanges an admin's e-mail and password for an admin token valid for 8 hours. "
        "An unknown e-mail and a wrong password are answered alike; failures are counted per "
        "client address (the log-in lockout)."),
    ("GET", "/api/admin/settings"): (
        "Admin", "The API integration (on or off, and its authentication password) and the "
        "authorization policy."),
    ("PUT", "/api/admin/settings/api-integration"): (
        "Admin", "Switches API integration on (generating the authentication password if there "
        "is none) or off (revoking every API key issued before)."),
    ("POST", "/api/admin/settings/api-integration/rotate"): (
        "Admin", "Replaces the authentication password with a new random one and revokes every "
        "API key; the integration stays on or off as it was."),
    ("POST", "/api/admin/funds/deposit"): (
        "Admin", "Adds funds to the available balance of a currency: a ledger row and an audit "
        "entry. Answers the currency's balance."),
    ("POST", "/api/admin/funds/withdraw"): (
        "Admin", "Takes available (unblocked) funds out of the account: a ledger row and an "
        "audit entry. What open payouts hold stays blocked."),
    ("PUT", "/api/admin/settings/authorization"): (
        "Admin", "Sets which new payouts start UNAUTHORIZED: none (off), every payout (always), "
        "or those strictly above the threshold of their currency (above). Payouts created "
        "before a change keep their status."),
    ("GET", "/api/openapi.json"): (
        "Reads", "This OpenAPI document, compiled into the server. Each operation's x-access "
        "says who may call it."),
    ("GET", "/api/status"): (
        "Service", "The service status and the rate-limit figures of this very request (null "
        "when rate limiting is off)."),
    ("GET", "/healthz"): (
        "Service", "Liveness: answers whenever the process serves HTTP. Never rate limited."),
    ("GET", "/readyz"): (
        "Service", "Readiness: answers when the database answers a query, else 503. Never rate "
        "limited."),
    ("GET", "/api/admin/audit"): (
        "Admin", "The audit log, newest first: one entry per admin action and per money action, "
        "written in the transaction of the action itself."),
    ("POST", "/api/payment/create-list"): (
        "Lists and reports", "Creates a list of up to 10,000 payouts, each row a create body, in "
        "one transaction. If any row is bad nothing is written and errors[] names every bad "
        "row (0-based index)."),
    ("POST", "/api/payment/import"): (
        "Lists and reports", "The same list as RFC 4180 CSV with a header row of create fields; "
        "all or nothing like create-list. In errors[] the index is the 1-based data row and "
        "line the file line where it starts."),
    ("GET", "/api/reports/payouts"): (
        "Lists and reports", "Counts and sums of the payouts created in a period, per group "
        "(project, currency, status, recipient or UTC day) and currency; amounts of different "
        "currencies are never added up."),
    ("GET", "/api/payments"): (
        "Read lists", "Payout objects filtered by status, currency, project, recipient, ids, "
        "amount and date ranges; ordered and paged by page number or by cursor."),
    ("GET", "/api/payments/export"): (
        "Read lists", "The payouts of a filtered list as streamed CSV with stable documented "
        "columns (no metadata column). Parameter errors are answered as JSON before any CSV."),
    ("GET", "/api/recipients"): (
        "Read lists", "Recipients by id, filtered by their identifiers; with stats=true each "
        "carries its payout totals per currency and status."),
    ("GET", "/api/recipients/{id}"): (
        "Read lists", "One recipient with the count and sum of its payouts per currency and "
        "status."),
    ("GET", "/api/projects"): (
        "Read lists", "Projects by id, filtered by exact name; with stats=true each carries its "
        "payout totals per currency and status."),
    ("GET", "/api/projects/{id}"): (
        "Read lists", "One project; with stats=true also its payout totals per currency and "
        "status."),
    ("GET", "/api/ledger"): (
        "Read lists", "Every funds movement (deposit, withdraw, block, release, payout) in the "
        "order written, with the signed changes of available, blocked and paid-out funds."),
}
IDEMPOTENCY_KEY = {"name": "Idempotency-Key", "in": "header", "required": False,
                   "schema": {"type": "string", "minLength": 1, "maxLength": 255,
                              "pattern": "^[ -~]+$"},
                   "description": "the first answer is stored and replayed byte for byte "
                                  "(Idempotent-Replayed: true); see docs/api.md"}
IDEMPOTENCY_CONFLICT = err(409, "CONFLICT: the Idempotency-Key was used with a different "
                                "request, is still in progress, or its answer was lost")

AMOUNT = {"type": "number", "exclusiveMinimum": 0,
          "description": "major units, at most the currency's decimals; echoed exactly"}
DATE_OUT = {"type": "string", "format": "date-time", "examples": ["2018-01-01T12:00:00.000Z"]}
DATE_IN = {"type": "string", "description": "ISO 8601 or RFC 2822; no zone means UTC"}
CURRENCY = {"type": "string", "pattern": "^[A-Z]{3}$", "description": "ISO 4217 code"}
FIGURE = {"type": "number", "description": "major units, formatted like amounts"}

TOTALS = {"type": "array", "items": {"type": "object",
                                     "required": ["currency", "status", "count", "sum"],
                                     "properties": {"currency": CURRENCY, "status": {"type": "string"},
                                                    "count": {"type": "integer"},
                                                    "sum": FIGURE}}}
READ_SCHEMAS = {
    "Recipient": {"type": "object", "required": ["id"], "properties": {
        "id": {"type": "integer"}, "userName": {"type": ["string", "null"]},
        "phoneNumber": {"type": ["string", "null"]}, "referenceId": {"type": ["string", "null"]},
        "firstName": {"type": ["string", "null"]}, "lastName": {"type": ["string", "null"]},
        "email": {"type": ["string", "null"]}}},
    "RecipientWithTotals": {"allOf": [{"$ref": "#/components/schemas/Recipient"},
                                      {"type": "object", "properties": {"totals": TOTALS}}]},
    "Project": {"type": "object", "required": ["id", "name", "createdAt"], "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "createdAt": DATE_OUT,
        "stats": TOTALS}},
    "LedgerEntry": {"type": "object", "required": ["id", "at", "currency", "kind"], "properties": {
        "id": {"type": "integer"}, "at": DATE_OUT, "currency": CURRENCY,
        "kind": {"enum": ["deposit", "withdraw", "block", "release", "payout"]},
        "available": FIGURE, "blocked": FIGURE, "paidOut": FIGURE,
        "payoutId": {"type": ["integer", "null"]}, "reference": {"type": ["string", "null"]}}},
}
SCHEMAS = {
    "Error": {"type": "object", "required": ["error", "errors"], "properties": {
        "error": {"type": "object", "required": ["message", "type"], "properties": {
            "message": {"type": "string"},
            "type": {"enum": ["INVALID_PARAMS", "INSUFFICIENT_FUNDS", "UNAUTHORIZED",
                              "FORBIDDEN", "NOT_FOUND", "METHOD_NOT_ALLOWED", "CONFLICT",
                              "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE", "RATE_LIMITED",
                              "INTERNAL", "UNAVAILABLE"]}}},
        "errors": {"type": "array", "items": ref("ListRowError"),
                   "description": "empty, except for a refused list (create-list, import): "
                                  "one entry per bad row"}}},
    "Token": {"type": "object", "required": ["token"], "properties": {"token": {"type": "string"}}},
    "PayoutCreate": {"type": "object", "additionalProperties": False,
                     "required": ["amount", "currency", "startDate", "endDate", "name",
                                  "description", "notification"],
                     "properties": {
                         "amount": AMOUNT, "currency": CURRENCY, "startDate": DATE_IN,
                         "endDate": DATE_IN,
                         "name": {"type": "string", "minLength": 1, "maxLength": 200},
                         "description": {"type": "string", "minLength": 1, "maxLength": 1000},
                         "userName": {"type": "string", "maxLength": 128},
                         "phoneNumber": {"type": "string", "maxLength": 128},
                         "referenceId": {"type": ["string", "integer"]},
                         "firstName": {"type": "string", "maxLength": 128},
                         "lastName": {"type": "string", "maxLength": 128},
                         "email": {"type": "string", "maxLength": 254},
                         "notification": {"type": "boolean"},
                         "metadata": {"type": ["object", "null"], "maxProperties": 32,
                                      "description": "flat object of the integrator's own: "
                                                     "keys 1-40 bytes, values string (<= 500 "
                                                     "bytes), number, boolean or null; at "
                                                     "most 1024 bytes as compact JSON",
                                      "additionalProperties": {
                                          "type": ["string", "number", "boolean", "null"]}}}},
    "Payout": {"type": "object",
               "required": ["amount", "id", "currency", "startDate", "endDate", "description",
                            "notification", "status", "recipientId", "projectId", "updatedAt",
                            "createdAt", "uniqueId"],
               "properties": {
                   "amount": AMOUNT, "id": {"type": "integer"}, "currency": CURRENCY,
                   "startDate": DATE_OUT, "endDate": DATE_OUT, "description": {"type": "string"},
                   "notification": {"type": "boolean"},
                   "status": {"enum": ["UNAUTHORIZED", "READY", "RECEIVED", "CANCELLED",
                                       "EXPIRED"]},
                   "recipientId": {"type": "integer"}, "projectId": {"type": "integer"},
                   "updatedAt": DATE_OUT, "createdAt": DATE_OUT,
                   "uniqueId": {"type": "string", "format": "uuid"},
                   "metadata": {"type": ["object", "null"]},
                   "authorizedAt": DATE_OUT, "receivedAt": DATE_OUT,
                   "reference": {"type": "string"}, "cancelledAt": DATE_OUT,
                   "expiredAt": DATE_OUT}},
    "PaymentList": {"type": "object", "required": ["payments"],
                    "properties": {"payments": {"type": "array", "items": ref("Payout")}}},
    "Balance": {"type": "object", "required": ["currency", "available", "blocked", "paidOut"],
                "properties": {"currency": CURRENCY, "available": FIGURE, "blocked": FIGURE,
                               "paidOut": FIGURE}},
    "FundsMove": {"type": "object", "required": ["currency", "amount"],
                  "additionalProperties": False,
                  "properties": {"currency": CURRENCY, "amount": AMOUNT,
                                 "reference": {"type": "string", "maxLength": 200}}},
    "ApiIntegration": {"type": "object", "required": ["enabled", "authenticationPassword"],
                       "properties": {"enabled": {"type": "boolean"},
                                      "authenticationPassword": {"type": ["string", "null"]}}},
    "Authorization": {"type": "object", "required": ["mode"], "additionalProperties": False,
                      "properties": {
                          "mode": {"enum": ["off", "always", "above"]},
                          "thresholds": {
                              "type": ["object", "null"],
                              "description": "currency code -> amount (major units, >= 0); "
                                             "with mode above, a payout strictly above its "
                                             "currency's threshold needs authorization",
                              "additionalProperties": {"type": "number", "minimum": 0}}}},
    "Settings": {"type": "object", "required": ["apiIntegration", "authorization"],
                 "properties": {"apiIntegration": ref("ApiIntegration"),
                                "authorization": ref("Authorization")}},
}

SCHEMAS.update(READ_SCHEMAS)
SCHEMAS["AuditEntry"] = {
    "type": "object", "required": ["id", "at", "actor", "address", "action", "subject", "detail"],
    "properties": {
        "id": {"type": "integer"}, "at": DATE_OUT,
        "actor": {"type": "object", "required": ["kind", "adminId"],
                  "properties": {"kind": {"enum": ["system", "integrator", "admin"]},
                                 "adminId": {"type": ["integer", "null"]}}},
        "address": {"type": ["string", "null"]}, "action": {"type": "string"},
        "subject": {"type": ["string", "null"]}, "detail": {"type": ["string", "null"]}}}


SCHEMAS["ListRowError"] = {
    "type": "object", "required": ["index", "message", "type"],
    "properties": {"index": {"type": "integer", "description": "0-based row of payments[]; "
                                                             "for CSV the 1-based data row"},
                   "line": {"type": "integer", "description": "CSV only: the row's first line"},
                   "message": {"type": "string"},
                   "type": {"enum": ["INVALID_PARAMS", "INSUFFICIENT_FUNDS"]}}}
SCHEMAS["PayoutReport"] = {
    "type": "object", "required": ["groupBy", "from", "to", "groups"],
    "properties": {
        "groupBy": {"type": "string"}, "from": DATE_OUT, "to": DATE_OUT,
        "currency": CURRENCY, "status": {"type": "string"},
        "groups": {"type": "array", "items": {
            "type": "object", "required": ["key", "currency", "count", "sum"],
            "properties": {"key": {"type": "string"}, "projectId": {"type": "integer"},
                           "name": {"type": "string"}, "recipientId": {"type": "integer"},
                           "currency": CURRENCY, "count": {"type": "integer"},
                           "sum": AMOUNT}}}}}

def build():
    paths = {}
    for method, path, access, summary, request, params, responses, errors in ROUTES:
        if (method, path) not in OPERATIONS:
            raise SystemExit("openapi.py: %s %s has no OPERATIONS entry" % (method, path))
        tag, description = OPERATIONS[(method, path)]
        op = {"tags": [tag], "summary": summary, "description": description,
              "operationId": method.lower() + path.replace("/", "_")
              .replace("{", "").replace("}", "").replace("-", "_").replace(".", "_"),
              "x-access": access, "security": SECURITY[access]}
        if params:
            op["parameters"] = params
        if request is not None:
            op["requestBody"] = request
        all_responses = dict(responses)
        all_responses.update(COMMON_ERRORS)
        if access != "public":
            all_responses.update(ADMIN_ERRORS if access == "admin" else AUTH_ERRORS)
        all_responses.update(errors)
        if method in ("POST", "PUT") and access != "public":
            op["parameters"] = op.get("parameters", []) + [IDEMPOTENCY_KEY]
            all_responses.setdefault("409", IDEMPOTENCY_CONFLICT)
        op["responses"] = dict(sorted(all_responses.items()))
        paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "payout-panel API", "version": VERSION,
                 "description": "Payout panel: fund an account, create payouts to recipients, "
                                "cancel, authorize and receive them. See docs/api.md.",
                 "contact": {"name": "The payout-panel authors"},
                 "license": {"name": "MIT License", "identifier": "MIT"}},
        "tags": [{"name": name, "description": text} for name, text in TAGS],
        "servers": [{"url": "http://127.0.0.1:5006"}],
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "accessToken": {"type": "apiKey", "in": "header", "name": "x-access-token"},
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
    }


if __name__ == "__main__":
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs", "openapi.json")
    with open(out, "w") as f:
        json.dump(build(), f, indent=2)
        f.write("\n")
