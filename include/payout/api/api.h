/*
** This header is the contract between the HTTP layer and the API handlers.
** http/ parses the wire request into a struct api_request, finds the route
** in api_routes (the one route table: method, path pattern, handler, who
** may call it), and calls api_route_run, which authenticates the caller
** and runs the handler; the handler fills a struct api_response. Nothing
** here knows libmicrohttpd.
*/
#ifndef PAYOUT_API_API_H
#define PAYOUT_API_API_H

#include <stddef.h>

#include "payout/base/arena.h"
#include "payout/base/buf.h"
#include "payout/core/app.h"
#include "payout/core/auth.h"
#include "payout/core/service.h"
#include "payout/limits.h"
#include "payout/model.h"
#include "payout/status.h"

/* Who may call a route: the permissions of spec §7, one per kind of
** action. Each route names one (api/routes.c); the table api_permissions
** (api/permissions.c) says which callers have it, and the request pipeline
** checks it for every route, so a route cannot skip it. */
enum api_access {
    API_ACCESS_PUBLIC,        /* anyone, no credentials needed */
    API_ACCESS_INTEGRATOR,    /* read: the API key and every role */
    API_ACCESS_ADMIN,         /* manage funds, settings, the integration, webhooks, users: admin */
    API_ACCESS_AUDIT,         /* read the audit log: every role, not the API key */
    API_ACCESS_CREATE,        /* create payouts and lists, receive: key, admin, operator */
    API_ACCESS_CANCEL,        /* cancel: key, admin, approver, operator */
    API_ACCESS_AUTHORIZE,     /* authorize: admin, approver */
    API_ACCESS_ACCOUNT,       /* the caller's own account: every role */
    API_ACCESS_ACCOUNT_SETUP, /* as ACCOUNT, and allowed while two-factor must be set up */
    API_ACCESS_SESSION,       /* the caller's browser session: a session cookie only */
    API_ACCESS_WEBHOOKS,      /* webhook endpoints: the API key and admin */
    API_ACCESS_COUNT
};

/* Who calls, as the permission table tells callers apart. */
enum api_caller {
    API_CALLER_API_KEY,
    API_CALLER_ADMIN,
    API_CALLER_APPROVER,
    API_CALLER_OPERATOR,
    API_CALLER_AUDITOR,
    API_CALLER_COUNT
};

/* One permission: its name (as docs/openapi.json's x-access says it), what
** it lets a caller do (for the 403 message: "the auditor role may not
** <what>"), which callers have it, and whether a user who must still set
** up two-factor sign-in (security.requireTwoFactor) may use it. */
struct api_permission {
    const char *name;
    const char *what;
    unsigned char allowed[API_CALLER_COUNT];
    int setup_ok;
};

/* The permission table, indexed by enum api_access (api/permissions.c). */
extern const struct api_permission api_permissions[API_ACCESS_COUNT];

struct api_param {
    const char *key;   /* borrowed (request arena or libmicrohttpd) */
    const char *value; /* NULL for "?flag" without '=' */
};

struct api_request {
    struct pp_arena *arena;                       /* dies with the request */
    const char *method;                           /* "GET", "POST", ... */
    const char *path;                             /* without the query string */
    const char *path_params[PP_ROUTE_PARAMS_MAX]; /* {id}-style segments, in order */
    size_t path_param_count;
    struct api_param query[PP_QUERY_PARAMS_MAX];
    size_t query_count;
    const char *token;           /* from x-access-token or "Bearer"; NULL if none */
    int auth_header;             /* 1 when x-access-token or Authorization was sent */
    const char *cookie;          /* the Cookie header; NULL if none */
    const char *csrf_token;      /* X-CSRF-Token; NULL if none */
    int secure;                  /* 1 when the server speaks HTTPS */
    const char *content_type;    /* NULL if absent */
    const char *idempotency_key; /* NULL if absent */
    const char *body;            /* NULL-terminated copy; NULL when empty */
    size_t body_len;
    const char *client_addr;         /* "127.0.0.1" */
    struct core_principal principal; /* set by api_route_run before the handler */
    struct pp_actor actor;           /* the same, as the audit log names it */
    struct core_rate rate;           /* this request's rate-limit figures (api_route_run) */
};

/* An extra response header a handler or the pipeline adds (at most
** PP_RESPONSE_HEADERS_MAX per answer). */
struct api_header {
    char name[PP_RESPONSE_HEADER_NAME_BYTES];
    char value[PP_RESPONSE_HEADER_VALUE_BYTES];
};

struct api_response {
    unsigned status;            /* HTTP status */
    struct pp_buf body;         /* response body */
    const char *content_type;   /* static string; default application/json */
    char allow[PP_ALLOW_BYTES]; /* Allow header for 405, "" otherwise */
    struct api_header headers[PP_RESPONSE_HEADERS_MAX];
    size_t header_count;
    /* A streamed body (CSV export): when `stream` is set, `body` is ignored
    ** and the HTTP layer calls stream(stream_ctx, buf, max) until it returns
    ** 0 (end) or -1 (abort the connection); it may return fewer than max
    ** bytes. stream_free(stream_ctx) runs exactly once when the response is
    ** done or dropped (also if it was never sent). */
    long (*stream)(void *ctx, char *buf, size_t max);
    void *stream_ctx;
    void (*stream_free)(void *ctx);
    /* The secret the body shows once (a webhook secret on create and
    ** rotate-secret): body.data[secret_at..secret_at+secret_len); 0 bytes:
    ** none. An Idempotency-Key's stored answer keeps it sealed. */
    size_t secret_at;
    size_t secret_len;
};

/* Adds a response header (name and value copied; cut at their sizes).
** Asserts when more than PP_RESPONSE_HEADERS_MAX are added. */
void api_response_header_add(struct api_response *resp, const char *name, const char *value);

typedef void (*api_handler_fn)(struct core_app *app, struct api_request *req,
                               struct api_response *resp);

struct api_route {
    const char *method;  /* upper case */
    const char *pattern; /* "/api/payments/{id}": a {name} segment is a parameter */
    api_handler_fn handler;
    enum api_access access;
    int has_body;          /* 1 when the handler reads a JSON body */
    size_t body_bytes_max; /* largest body for this route; 0 = the server's --body-max */
    /* 1: the handler only computes, reads and writes through the store, so
    ** the server runs it on a fiber of the epoll worker, which parks while
    ** its write waits for the commit (payout/base/fiber.h). It must not
    ** wait for anything else: no password hashing, no network call, no
    ** lock held across a write. A keyed request (Idempotency-Key), which
    ** may wait for another with its key, still runs on the handler pool. */
    int on_fiber;
};

/* The route table (api/routes.c). */
extern const struct api_route api_routes[];
extern const size_t api_routes_count;

/* Initialises resp to an empty 200 JSON response. */
void api_response_init(struct api_response *resp);
/* Releases resp's body memory. */
void api_response_free(struct api_response *resp);

/* Replaces resp's content with the error envelope for status:
** {"error":{"message":message,"type":TYPE},"errors":[]} and its HTTP code. */
void api_error_respond(struct api_response *resp, enum pp_status status, const char *message);

/* The request pipeline (api/pipeline.c): authenticates req (a token
** header, else the session cookie; 401 on failure), checks the session's
** X-CSRF-Token on every method but GET and HEAD, route->access against the
** permission table and security.requireTwoFactor (403), applies the rate limits
** (429 RATE_LIMITED with Retry-After; every answer carries
** X-RateLimit-Limit/-Remaining/-Reset; /healthz and /readyz are exempt),
** makes a POST/PUT of a non-public route idempotent when it carries an
** Idempotency-Key (400 for a malformed key; a replay answers the stored
** answer with Idempotent-Replayed: true; see core/idempotency.h), and runs
** the handler. */
void api_route_run(struct core_app *app, const struct api_route *route, struct api_request *req,
                   struct api_response *resp);

#endif /* PAYOUT_API_API_H */
