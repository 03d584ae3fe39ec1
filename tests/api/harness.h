/*
** This header is the contract of the black-box API test harness: it starts
** the real payout-panel binary ($PP_SERVER_BIN) as a child process on an
** ephemeral loopback port, talks HTTP to it through libcurl, and offers the
** helpers the tests share (admin login, API integration, deposits, the
** ledger `check`, error-envelope assertions).
**
** It does not know anything about the server's internals: no sqlite, no
** source headers. Everything goes through the binary and its HTTP API.
**
** Threads: pp_request() and the pp_client_* functions are safe to call from
** several threads at once (each thread its own CURL handle). Everything that
** asserts (pp_call, pp_get, pp_post, the pp_assert_* helpers, the login and
** deposit helpers) must run on the test's main thread, because cmocka's
** failures longjmp.
*/
#ifndef PP_API_HARNESS_H
#define PP_API_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

/* Credentials the harness gives every server it starts (PAYOUT_ADMIN_*). */
#define PP_ADMIN_EMAIL "admin@example.test"
#define PP_ADMIN_PASSWORD "correct-horse-battery-staple"

/* The request body limit the server is configured with by default. */
#define PP_BODY_LIMIT_BYTES (1024u * 1024u)

/* Seconds the harness waits for the "listening on" line. */
#define PP_START_TIMEOUT_S 20
/* Seconds pp_server_stop waits for the exit after SIGTERM before SIGKILL. */
#define PP_STOP_TIMEOUT_S 20

struct pp_server {
    pid_t pid;           /* 0 when not running */
    int port;            /* parsed from the listening line */
    char dir[512];       /* fresh temp dir holding logs (and the db) */
    char db_path[1024];  /* the database the server uses */
    char out_path[1024]; /* child's stdout */
    char err_path[1024]; /* child's stderr */
    char base_url[64];   /* "http://127.0.0.1:PORT" */
    int owns_dir;        /* dir is removed by pp_server_destroy */
    char scheme[8];      /* "http", or "https" when the server said so */
    char ca_file[1024];  /* set by a test: CA for https (CURLOPT_CAINFO) */
};

struct pp_server_opts {
    /* NULL: a fresh database in the server's temp dir. */
    const char *db_path;
    /* Extra environment, "NAME=VALUE" strings, NULL-terminated; applied
    ** after the harness defaults (so they can override PAYOUT_ADMIN_*). */
    const char *const *env;
    /* Non-zero: pass bind/port/db through PAYOUT_BIND/PAYOUT_PORT/PAYOUT_DB
    ** instead of --bind/--port/--db. */
    int config_from_env;
    /* Non-zero: do not set PAYOUT_ADMIN_EMAIL/PAYOUT_ADMIN_PASSWORD. */
    int no_admin_env;
    /* Extra command-line arguments after the harness's own, NULL-terminated
    ** (e.g. {"--conn-timeout-s", "2", NULL}). */
    const char *const *args;
};

/* Environment the harness reads:
** PP_SERVER_WRAPPER  a command prefix for the server, split on spaces
**                    (e.g. "valgrind --error-exitcode=99 ..."); servers are
**                    then stopped with SIGTERM (not SIGKILL) by
**                    pp_server_destroy so that leak reports get written, and
**                    the start timeout is PP_START_TIMEOUT_WRAPPED_S.
** PP_TEST_TMPDIR     where temp dirs go; every server's stdout/stderr is
**                    also appended to PP_TEST_TMPDIR/server-logs/ when it is
**                    destroyed, for the log-secrets test (test_logs). */
#define PP_START_TIMEOUT_WRAPPED_S 180

/* Starts $PP_SERVER_BIN serve and waits for its listening line. opts may be
** NULL. Returns 0 on success; on failure prints the child's output, kills it
** and returns -1 (the caller asserts). The child is registered so that it
** is killed at exit even when a test aborts. */
int pp_server_start(struct pp_server *s, const struct pp_server_opts *opts);

/* Sends SIGTERM (or sig) and waits. Returns the exit code when the child
** exited normally, 128+signal when it was killed by a signal, -1 when it did
** not exit within PP_STOP_TIMEOUT_S (it is then SIGKILLed). */
int pp_server_stop(struct pp_server *s);
int pp_server_stop_sig(struct pp_server *s, int sig);

/* SIGKILLs the child (if running) and reaps it. */
void pp_server_kill(struct pp_server *s);

/* Kills the child if still running and removes the temp dir (unless
** PP_KEEP_TMP is set in the environment). Safe on a zeroed struct. */
void pp_server_destroy(struct pp_server *s);

/* Reads a whole file into a new NUL-terminated buffer (free()). NULL when it
** cannot be read. *len may be NULL. */
char *pp_file_read(const char *path, size_t *len);

/* One HTTP request. Fields left zero take defaults. */
struct pp_req {
    const char *method;         /* "GET", "POST", "PUT", ... (default GET) */
    const char *path;           /* "/api/version" */
    const char *token;          /* sent as x-access-token when non-NULL */
    const char *bearer;         /* sent as Authorization: Bearer when non-NULL */
    const char *content_type;   /* with a body: default "application/json";
                                ** PP_NO_CONTENT_TYPE sends none */
    const char *const *headers; /* extra "Name: value" lines, NULL-terminated */
    const char *body;           /* raw body, or NULL for none */
    size_t body_len;            /* bytes of body; (size_t)-1: strlen(body) */
    int no_retry_429;           /* do not retry on 429 (rate limit) */
    /* Called (on the calling thread) once the request body has been handed
    ** to the socket, e.g. to signal a request now in flight. */
    void (*on_body_sent)(void *arg);
    void *on_body_sent_arg;
    /* Local address to send from (CURLOPT_INTERFACE, e.g. "127.0.0.2": still
    ** loopback, but another client address for the server). */
    const char *local_addr;
};

#define PP_NO_CONTENT_TYPE ((const char *)1)
#define PP_STRLEN ((size_t)-1)

#define PP_HEADERS_MAX 64

struct pp_header {
    char *name;
    char *value;
};

struct pp_resp {
    long status; /* HTTP status, 0 on transport failure */
    char *body;  /* NUL-terminated */
    size_t body_len;
    json_t *json; /* parsed body (rejecting duplicate keys),
                  ** NULL when not JSON */
    struct pp_header headers[PP_HEADERS_MAX];
    size_t header_count;
    char error[CURL_ERROR_SIZE]; /* transport error text */
    char what[160];              /* "METHOD PATH", for messages */
};

/* Sends req; never asserts; thread-safe. handle may be NULL (a temporary
** handle is used) or a caller-owned easy handle reused for keep-alive.
** Retries (with a short sleep) while the server answers 429, unless
** req->no_retry_429. Returns a new response (pp_resp_free) or NULL when out
** of memory; a transport failure is a response with status 0. */
struct pp_resp *pp_request(const struct pp_server *s, CURL *handle, const struct pp_req *req);

/* As pp_request, on the main thread: asserts that a response came back and
** that it carries a non-empty X-Request-Id header. */
struct pp_resp *pp_call(const struct pp_server *s, const struct pp_req *req);

/* Shorthands for pp_call with a JSON body (NULL: no body). */
struct pp_resp *pp_get(const struct pp_server *s, const char *path, const char *token);
struct pp_resp *pp_post(const struct pp_server *s, const char *path, const char *token,
                        const char *json);
struct pp_resp *pp_put(const struct pp_server *s, const char *path, const char *token,
                       const char *json);

void pp_resp_free(struct pp_resp *r);

/* The value of the first header named name (case-insensitive), borrowed, or
** NULL. */
const char *pp_resp_header(const struct pp_resp *r, const char *name);

/* The literal text of the JSON number at path in the raw body, e.g.
** "payments[0].amount" or "balances[1].available" or "success". Copies it
** into out (NUL-terminated) and returns out, or NULL when there is no
** number at that path. */
const char *pp_json_number_text(const char *body, size_t len, const char *path, char *out,
                                size_t out_size);

/* --- Assertions (main thread) -------------------------------------------- */

/* Fails (printing the request, status and body) unless r->status == status
** and, for 2xx, the body is a JSON object served as application/json. */
void pp_assert_status(const struct pp_resp *r, long status);

/* Asserts the exact error envelope
** {"error":{"message":<non-empty string>,"type":type},"errors":[]}
** with the given HTTP status and a JSON content type. */
void pp_assert_error(const struct pp_resp *r, long status, const char *type);

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

/* --- Flows (main thread; each asserts success) ---------------------------- */

/* POST /api/admin/login with the harness credentials -> new token (free()). */
char *pp_admin_login(const struct pp_server *s);
/* PUT api-integration {"enabled":true} -> new authentication password. */
char *pp_enable_integration(const struct pp_server *s, const char *admin_token);
/* POST /api/authenticate -> new API key. */
char *pp_authenticate(const struct pp_server *s, const char *password);
/* POST /api/admin/funds/deposit with amount as raw JSON number text ->
** the new balance object (json_decref). */
json_t *pp_deposit(const struct pp_server *s, const char *admin_token, const char *currency,
                   const char *amount_text);
/* GET /api/balances and returns the response (its JSON checked for shape
** and sort order). */
struct pp_resp *pp_balances(const struct pp_server *s, const char *token);
/* Asserts the balance of currency in a /api/balances response has exactly
** the literal texts given (a NULL text is not checked). A currency absent
** from the list counts as all-zero when every expected text is "0". */
void pp_assert_balance(const struct pp_resp *balances, const char *currency, const char *available,
                       const char *blocked, const char *paid_out);

/* Runs `$PP_SERVER_BIN check --db db_path`. Returns its exit code (or
** 128+signal, or -1 when it could not run); *output (may be NULL) receives
** its stdout+stderr (free()). */
int pp_check(const char *db_path, char **output);

/* Runs $PP_SERVER_BIN with argv (NULL-terminated, argv[0] not included)
** and extra env; same return as pp_check. */
int pp_run(const char *const *args, const char *const *env, char **output);

/* Formats minor units with the given decimals like the server formats
** amounts: 150,2 -> "1.5"; 100,2 -> "1"; 1234,3 -> "1.234". */
void pp_format_minor(long long minor, int decimals, char *out, size_t out_size);

/* Decodes the payload (middle part) of a JWT into new JSON, or NULL. */
json_t *pp_jwt_payload(const char *token);
/* Decodes the header (first part) of a JWT into new JSON, or NULL. */
json_t *pp_jwt_header(const char *token);
/* base64url without padding; out receives NUL-terminated text. */
void pp_base64url(const unsigned char *in, size_t len, char *out, size_t out_size);

/* Records a secret the tests handled (password, token) in
** PP_TEST_TMPDIR/server-logs/secrets.txt, so that test_logs can check that
** no server log contains it. The login/authenticate flows call it. */
void pp_secret_note(const char *secret);

/* The directory holding the archived server logs and noted secrets
** (borrowed, static). */
const char *pp_log_archive_dir(void);

/* malloc'ed printf. */
char *pp_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Milliseconds on a monotonic clock. */
long long pp_now_ms(void);
void pp_sleep_ms(long ms);

#endif /* PP_API_HARNESS_H */
