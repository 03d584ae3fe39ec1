/*
** This module runs the bad-input matrix: every file in tests/api/cases/
** (one per route, format in tests/api/cases/README.md) is a list of
** requests with the status and error type the server must answer. Each
** case is sent to one real server; every answer must be the error envelope
** with a non-empty message (or the documented success), carry the security
** headers, and the server must keep serving: GET /api/version is probed
** after every file. At the end the ledger `check` passes. The number of
** cases run is printed.
**
** Adding a route's cases is adding a file: nothing here names a route.
** Every route of the route table (read from src/api/routes.c) must be
** reached by at least ROUTE_CASES_MIN cases (a case reaches the first
** route whose method and path pattern match it, as the router picks); the
** test fails naming every route that is not, so a new route cannot land
** without its case file.
** Cases are sent from rotating loopback addresses (127.0.2.x) so that the
** wrong-password cases do not trip the log-in lockout, which
** test_attacks.c covers on its own.
*/
#include "harness.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef PP_CASES_DIR
#error "PP_CASES_DIR must name tests/api/cases"
#endif
#ifndef PP_ROUTES_FILE
#error "PP_ROUTES_FILE must name src/api/routes.c"
#endif

/* Largest expanded field (the huge-body cases are up to 17 MB, over the
** 16 MiB limit of the list routes). */
#define FIELD_BYTES_MAX (24u * 1024u * 1024u)
#define CASE_FILES_MAX 128
#define HEADER_LINES_MAX 1024
#define CASE_FIELDS 5
/* Cases that must reach each route of the route table. */
#define ROUTE_CASES_MIN 10
#define ROUTES_MAX 128

static struct pp_server srv;
static char *admin_token;
static char *api_key;
static char payout_id[32];
static int cases_run;
static int files_run;

/* The route table as routes.c spells it, with the cases reaching each. */
struct route {
    char method[8];
    char pattern[128];
    int cases;
    int other_backend; /* reached only by files this backend does not run */
};
static struct route routes[ROUTES_MAX];
static size_t route_count;

struct bytes {
    char *data;
    size_t len;
    size_t cap;
};

static void bytes_put(struct bytes *b, const char *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap == 0 ? 256 : b->cap;
        while (cap < b->len + n + 1) {
            cap *= 2;
        }
        b->data = realloc(b->data, cap);
        assert_non_null(b->data);
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* The value of a ${NAME} variable, or NULL. */
static const char *variable(const char *name, size_t len)
{
    if (len == 5 && memcmp(name, "ADMIN", 5) == 0) {
        return admin_token;
    }
    if (len == 6 && memcmp(name, "APIKEY", 6) == 0) {
        return api_key;
    }
    if (len == 6 && memcmp(name, "PAYOUT", 6) == 0) {
        return payout_id;
    }
    return NULL;
}

/* Expands one escape at text[*i] (just after the backslash) into out.
** Returns 0, or -1 on a malformed escape. Repeats do not nest. */
static int expand_escape(const char *text, size_t len, size_t *i, struct bytes *out, int in_repeat)
{
    char c = *i < len ? text[*i] : '\0';
    static const char simple_from[] = "nrt\\|}0$";
    static const char simple_to[] = "\n\r\t\\|}\0$";
    const char *hit = c != '\0' ? strchr(simple_from, c) : NULL;
    if (hit != NULL) {
        bytes_put(out, &simple_to[hit - simple_from], 1);
        *i += 1;
        return 0;
    }
    if (c == 'x' && *i + 2 < len && hex_value(text[*i + 1]) >= 0 && hex_value(text[*i + 2]) >= 0) {
        char byte = (char)(hex_value(text[*i + 1]) * 16 + hex_value(text[*i + 2]));
        bytes_put(out, &byte, 1);
        *i += 3;
        return 0;
    }
    if (c == '{' && !in_repeat) {
        char *end = NULL;
        unsigned long count = strtoul(text + *i + 1, &end, 10);
        if (end == NULL || *end != ':' || count == 0 || count > FIELD_BYTES_MAX) {
            return -1;
        }
        size_t j = (size_t)(end - text) + 1;
        struct bytes unit = {0};
        while (j < len && text[j] != '}') {
            if (text[j] == '\\') {
                j++;
                if (expand_escape(text, len, &j, &unit, 1) != 0) {
                    free(unit.data);
                    return -1;
                }
            } else {
                bytes_put(&unit, &text[j++], 1);
            }
        }
        if (j >= len || unit.len == 0 || unit.len * count > FIELD_BYTES_MAX) {
            free(unit.data);
            return -1;
        }
        for (unsigned long k = 0; k < count; k++) {
            bytes_put(out, unit.data, unit.len);
        }
        free(unit.data);
        *i = j + 1;
        return 0;
    }
    return -1;
}

/* Expands a field: escapes and ${VARIABLES}. Returns 0 or -1. */
static int expand(const char *text, size_t len, struct bytes *out)
{
    size_t i = 0;
    bytes_put(out, "", 0);
    while (i < len) {
        if (text[i] == '\\') {
            i++;
            if (expand_escape(text, len, &i, out, 0) != 0) {
                return -1;
            }
        } else if (text[i] == '$' && i + 1 < len && text[i + 1] == '{') {
            const char *close = memchr(text + i, '}', len - i);
            const char *value =
                close != NULL ? variable(text + i + 2, (size_t)(close - text) - i - 2) : NULL;
            if (value == NULL) {
                return -1;
            }
            bytes_put(out, value, strlen(value));
            i = (size_t)(close - text) + 1;
        } else {
            bytes_put(out, &text[i++], 1);
        }
    }
    return 0;
}

/* Splits line at unescaped " | " separators into at most CASE_FIELDS
** trimmed fields (pointers into line, which is modified). */
static size_t split_fields(char *line, char **fields)
{
    size_t n = 0;
    char *start = line;
    for (char *p = line; *p != '\0' && n < CASE_FIELDS - 1; p++) {
        if (*p == '\\' && p[1] != '\0') {
            p++;
        } else if (*p == '|' && p > line && p[-1] == ' ' && p[1] == ' ') {
            p[-1] = '\0';
            fields[n++] = start;
            start = p + 2;
        }
    }
    fields[n++] = start;
    for (size_t k = 0; k < n; k++) {
        while (*fields[k] == ' ') {
            fields[k]++;
        }
        size_t l = strlen(fields[k]);
        while (l > 0 && (fields[k][l - 1] == ' ' || fields[k][l - 1] == '\n')) {
            fields[k][--l] = '\0';
        }
    }
    return n;
}

struct expect {
    long status;
    char type[40]; /* error type, "-" for a success, "CSV" for a CSV success,
                   ** "RAW" for transport answers */
    int rows;      /* 1: the envelope's errors name bad list rows */
    char contains[512];
};

static void parse_expect(const char *where, const char *text, struct expect *e)
{
    memset(e, 0, sizeof *e);
    int used = 0;
    if (sscanf(text, "%ld %39s %n", &e->status, e->type, &used) < 2) {
        fail_msg("%s: expected \"STATUS TYPE [contains TEXT]\", got \"%s\"", where, text);
    }
    const char *rest = text + used;
    if (strncmp(rest, "rows", 4) == 0 && (rest[4] == '\0' || rest[4] == ' ')) {
        e->rows = 1;
        rest += rest[4] == ' ' ? 5 : 4;
    }
    if (strncmp(rest, "contains ", 9) == 0) {
        struct bytes b = {0};
        if (expand(rest + 9, strlen(rest + 9), &b) != 0) {
            fail_msg("%s: bad escape in contains text", where);
        }
        snprintf(e->contains, sizeof e->contains, "%s", b.data);
        free(b.data);
    } else if (rest[0] != '\0') {
        fail_msg("%s: unexpected text after the type: \"%s\"", where, rest);
    }
}

static void assert_security_headers(const struct pp_resp *r, const char *where)
{
    const char *cc = pp_resp_header(r, "Cache-Control");
    const char *nosniff = pp_resp_header(r, "X-Content-Type-Options");
    const char *rid = pp_resp_header(r, "X-Request-Id");
    if (cc == NULL || strcmp(cc, "no-store") != 0 || nosniff == NULL ||
        strcmp(nosniff, "nosniff") != 0 || rid == NULL || rid[0] == '\0') {
        fail_msg("%s -> %ld: missing Cache-Control: no-store, X-Content-Type-Options: nosniff "
                 "or X-Request-Id",
                 where, r->status);
    }
}

/* The envelope of a refused list: {"error":{"message","type"},"errors":[
** {"index":N,"message":...,"type":...[,"line":N]}, ...]}, at least one row,
** indexes increasing. */
static void assert_row_errors(const struct pp_resp *r, const struct expect *e, const char *where)
{
    const json_t *error = json_object_get(r->json, "error");
    const json_t *errors = json_object_get(r->json, "errors");
    const json_t *type = json_object_get(error, "type");
    const json_t *message = json_object_get(error, "message");
    const char *ct = pp_resp_header(r, "Content-Type");
    int ok = r->status == e->status && json_object_size(r->json) == 2 &&
             json_object_size(error) == 2 && json_is_string(type) &&
             strcmp(json_string_value(type), e->type) == 0 && json_is_string(message) &&
             json_string_length(message) > 0 && json_array_size(errors) > 0 && ct != NULL &&
             strncmp(ct, "application/json", 16) == 0;
    json_int_t last = -1;
    for (size_t i = 0; ok && i < json_array_size(errors); i++) {
        const json_t *row = json_array_get(errors, i);
        const json_t *index = json_object_get(row, "index");
        const json_t *line = json_object_get(row, "line");
        ok = json_is_integer(index) && json_integer_value(index) > last &&
             json_is_string(json_object_get(row, "message")) &&
             json_string_length(json_object_get(row, "message")) > 0 &&
             json_is_string(json_object_get(row, "type")) &&
             json_object_size(row) == (line != NULL ? 4u : 3u) &&
             (line == NULL || (json_is_integer(line) && json_integer_value(line) > 0));
        last = json_integer_value(index);
    }
    if (!ok) {
        fail_msg("%s: expected HTTP %ld %s naming bad rows, got %ld: %.2000s", where, e->status,
                 e->type, r->status, r->body);
    }
}

static void check_answer(const struct pp_resp *r, const struct expect *e, const char *where)
{
    if (r->status == 0) {
        fail_msg("%s: no HTTP answer: %s", where, r->error);
    }
    if (strcmp(e->type, "RAW") == 0) {
        /* Refused by libmicrohttpd before the request reached the API. */
        if (r->status != e->status) {
            fail_msg("%s: expected HTTP %ld, got %ld: %.300s", where, e->status, r->status,
                     r->body);
        }
        return;
    }
    if (strcmp(e->type, "-") == 0) {
        pp_assert_status(r, e->status);
    } else if (strcmp(e->type, "CSV") == 0 || strcmp(e->type, "TEXT") == 0) {
        const char *want = strcmp(e->type, "CSV") == 0 ? "text/csv" : "text/plain";
        const char *ct = pp_resp_header(r, "Content-Type");
        if (r->status != e->status || ct == NULL || strncmp(ct, want, strlen(want)) != 0) {
            fail_msg("%s: expected HTTP %ld %s, got %ld %s: %.300s", where, e->status, want,
                     r->status, ct != NULL ? ct : "(no Content-Type)", r->body);
        }
    } else if (e->rows) {
        assert_row_errors(r, e, where);
    } else {
        pp_assert_error(r, e->status, e->type);
    }
    assert_security_headers(r, where);
    if (e->contains[0] != '\0' && strstr(r->body, e->contains) == NULL) {
        fail_msg("%s: body does not contain \"%s\": %.1000s", where, e->contains, r->body);
    }
}

struct request_parts {
    struct bytes method_path, headers, body;
    char *lines[HEADER_LINES_MAX + 1];
};

static void parts_free(struct request_parts *p)
{
    free(p->method_path.data);
    free(p->headers.data);
    free(p->body.data);
}

/* Reads every {"METHOD", "/pattern", ...} line of the route table. */
static void routes_load(void)
{
    char *text = pp_file_read(PP_ROUTES_FILE, NULL);
    if (text == NULL) {
        fail_msg("cannot read %s", PP_ROUTES_FILE);
    }
    for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        struct route r = {0};
        if (sscanf(line, " {\"%7[A-Z]\", \"%127[^\"]\",", r.method, r.pattern) == 2 &&
            r.pattern[0] == '/') {
            assert_true(route_count < ROUTES_MAX);
            routes[route_count++] = r;
        }
    }
    free(text);
    assert_true(route_count > 0);
}

/* 1 when path (no query) matches pattern segment by segment; a {name}
** segment matches any one non-empty segment. */
static int pattern_matches(const char *pattern, const char *path)
{
    while (*pattern == '/' && *path == '/') {
        pattern++;
        path++;
        size_t plen = strcspn(pattern, "/");
        size_t len = strcspn(path, "/");
        if (len == 0 || (pattern[0] == '{' ? 0 : plen != len || memcmp(pattern, path, len) != 0)) {
            return 0;
        }
        pattern += plen;
        path += len;
    }
    return *pattern == '\0' && *path == '\0';
}

/* Counts the case toward the route the router would pick for it. */
static void route_count_case(const char *method, const char *path_and_query)
{
    char path[2048];
    snprintf(path, sizeof path, "%.*s", (int)strcspn(path_and_query, "?"), path_and_query);
    for (size_t i = 0; i < route_count; i++) {
        if (strcmp(routes[i].method, method) == 0 && pattern_matches(routes[i].pattern, path)) {
            routes[i].cases++;
            return;
        }
    }
}

/* Fails naming every route that too few cases reached. */
static void routes_check(void)
{
    char missing[4096] = "";
    size_t used = 0;
    size_t covered = 0;
    char elsewhere[4096] = "";
    size_t elsewhere_used = 0;
    for (size_t i = 0; i < route_count; i++) {
        if (routes[i].cases >= ROUTE_CASES_MIN) {
            covered++;
        } else if (routes[i].cases == 0 && routes[i].other_backend >= ROUTE_CASES_MIN) {
            covered++;
            elsewhere_used +=
                (size_t)snprintf(elsewhere + elsewhere_used, sizeof elsewhere - elsewhere_used,
                                 "\n  %s %s", routes[i].method, routes[i].pattern);
        } else if (used < sizeof missing) {
            used += (size_t)snprintf(missing + used, sizeof missing - used, "\n  %s %s (%d cases)",
                                     routes[i].method, routes[i].pattern, routes[i].cases);
        }
    }
    if (covered != route_count) {
        fail_msg("%zu of %zu routes have fewer than %d matrix cases (add a file to "
                 "tests/api/cases/):%s",
                 route_count - covered, route_count, ROUTE_CASES_MIN, missing);
    }
    printf("bad-input matrix: all %zu routes of the route table reached, each by at least %d "
           "cases\n",
           route_count, ROUTE_CASES_MIN);
    if (elsewhere[0] != '\0') {
        printf("bad-input matrix: NOT run on this backend (their files name other backends):%s\n",
               elsewhere);
    }
}

/* Runs one case line; where names it for messages. */
static void run_case(char *line, const char *where)
{
    char *fields[CASE_FIELDS];
    if (split_fields(line, fields) != CASE_FIELDS) {
        fail_msg("%s: a case needs 5 fields separated by \" | \"", where);
    }
    struct request_parts p;
    memset(&p, 0, sizeof p);
    struct expect e;
    parse_expect(where, fields[4], &e);
    if (expand(fields[0], strlen(fields[0]), &p.method_path) != 0 ||
        (strcmp(fields[2], "-") != 0 && expand(fields[2], strlen(fields[2]), &p.headers) != 0) ||
        (strcmp(fields[3], "-") != 0 && expand(fields[3], strlen(fields[3]), &p.body) != 0)) {
        fail_msg("%s: malformed escape or unknown ${VARIABLE}", where);
    }
    char *space = strchr(p.method_path.data, ' ');
    if (space == NULL) {
        fail_msg("%s: the first field is \"METHOD PATH\"", where);
    }
    *space = '\0';
    route_count_case(p.method_path.data, space + 1);
    size_t nlines = 0;
    for (char *h = p.headers.data; h != NULL && *h != '\0' && nlines < HEADER_LINES_MAX;) {
        char *nl = strchr(h, '\n');
        if (nl != NULL) {
            *nl = '\0';
        }
        p.lines[nlines++] = h;
        h = nl != NULL ? nl + 1 : NULL;
    }
    p.lines[nlines] = NULL;
    const char *token = strcmp(fields[1], "admin") == 0 ? admin_token
                        : strcmp(fields[1], "api") == 0 ? api_key
                                                        : NULL;
    if (token == NULL && strcmp(fields[1], "-") != 0) {
        fail_msg("%s: auth is -, admin or api", where);
    }
    char local[32];
    snprintf(local, sizeof local, "127.0.2.%d", 1 + cases_run % 250);
    struct pp_req req = {
        .method = p.method_path.data,
        .path = space + 1,
        .token = token,
        .headers = (const char *const *)p.lines,
        .body = strcmp(fields[3], "-") != 0 ? p.body.data : NULL,
        .body_len = p.body.len,
        .no_retry_429 = 1,
        .local_addr = local,
    };
    struct pp_resp *r = pp_request(&srv, NULL, &req);
    assert_non_null(r);
    /* Failure messages name the case file and line. */
    snprintf(r->what, sizeof r->what, "%.100s (%.50s)", where, p.method_path.data);
    check_answer(r, &e, where);
    pp_resp_free(r);
    parts_free(&p);
    cases_run++;
}

static void probe_alive(const char *after)
{
    struct pp_resp *r = pp_get(&srv, "/api/version", NULL);
    if (r->status != 200) {
        fail_msg("the server stopped serving after %s: GET /api/version -> %ld", after, r->status);
    }
    pp_resp_free(r);
}

/* Fresh API key before each file (a file may rotate or disable). */
static void refresh_credentials(void)
{
    free(api_key);
    char *password = pp_enable_integration(&srv, admin_token);
    api_key = pp_authenticate(&srv, password);
    free(password);
}

/* The backend the servers of this run use ("sqlite" unless the harness
** says otherwise). */
static const char *backend_name(void)
{
    const char *b = getenv("PP_TEST_BACKEND");
    return b != NULL && b[0] != '\0' ? b : "sqlite";
}

/* A file whose first line is "# backends: a b ..." runs only on those
** backends. On another one its cases are not sent: they are only counted
** toward their routes as not run here (routes_check lists those routes),
** and the file is printed as not run. Returns 1 when the file was left out. */
static int file_for_other_backend(const char *name, char *text)
{
    static const char directive[] = "# backends:";
    if (strncmp(text, directive, sizeof directive - 1) != 0) {
        return 0;
    }
    size_t line_len = strcspn(text, "\n");
    char list[256];
    snprintf(list, sizeof list, " %.*s ", (int)(line_len - (sizeof directive - 1)),
             text + sizeof directive - 1);
    char needle[64];
    snprintf(needle, sizeof needle, " %s ", backend_name());
    if (strstr(list, needle) != NULL) {
        return 0;
    }
    int cases = 0;
    for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        char method[16], target[2048], path[2048];
        if (line[0] == '#' || sscanf(line, "%15s %2047s", method, target) != 2) {
            continue;
        }
        snprintf(path, sizeof path, "%.*s", (int)strcspn(target, "?"), target);
        for (size_t i = 0; i < route_count; i++) {
            if (strcmp(routes[i].method, method) == 0 && pattern_matches(routes[i].pattern, path)) {
                routes[i].other_backend++;
                break;
            }
        }
        cases++;
    }
    printf("  %-44s %4d cases NOT run: this file is for%.*s only, not %s\n", name, cases,
           (int)(line_len - (sizeof directive - 1)), list + 1, backend_name());
    return 1;
}

static void run_file(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", PP_CASES_DIR, name);
    size_t len = 0;
    char *text = pp_file_read(path, &len);
    if (text == NULL) {
        fail_msg("cannot read %s", path);
    }
    if (file_for_other_backend(name, text)) {
        free(text);
        return;
    }
    refresh_credentials();
    int before = cases_run;
    int lineno = 0;
    for (char *line = text; line != NULL && *line != '\0';) {
        char *nl = strchr(line, '\n');
        if (nl != NULL) {
            *nl = '\0';
        }
        lineno++;
        if (line[0] != '#' && strspn(line, " \t\r") != strlen(line)) {
            char where[1200];
            snprintf(where, sizeof where, "%s:%d", name, lineno);
            run_case(line, where);
        }
        line = nl != NULL ? nl + 1 : NULL;
    }
    free(text);
    probe_alive(name);
    printf("  %-44s %4d cases\n", name, cases_run - before);
    files_run++;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void create_payout(void)
{
    struct pp_resp *r =
        pp_post(&srv, "/api/payment/create", api_key,
                "{\"amount\":1,\"currency\":\"GBP\",\"startDate\":\"2018-01-01\",\"endDate\":"
                "\"2030-01-01\",\"name\":\"matrix\",\"description\":\"matrix payout\",\"userName\":"
                "\"matrix-user\",\"notification\":false}");
    pp_assert_status(r, 200);
    json_t *p = json_array_get(json_object_get(r->json, "payments"), 0);
    snprintf(payout_id, sizeof payout_id, "%lld", pp_json_int(p, "id"));
    pp_resp_free(r);
}

static void test_matrix(void **state)
{
    (void)state;
    DIR *dir = opendir(PP_CASES_DIR);
    assert_non_null(dir);
    char *names[CASE_FILES_MAX];
    size_t count = 0;
    for (struct dirent *d = readdir(dir); d != NULL && count < CASE_FILES_MAX; d = readdir(dir)) {
        size_t l = strlen(d->d_name);
        if (l > 6 && strcmp(d->d_name + l - 6, ".cases") == 0) {
            names[count++] = strdup(d->d_name);
        }
    }
    closedir(dir);
    qsort(names, count, sizeof names[0], by_name);
    assert_true(count > 0);
    routes_load();
    for (size_t i = 0; i < count; i++) {
        run_file(names[i]);
        free(names[i]);
    }
    pp_assert_check(srv.db_path, "after the matrix");
    routes_check();
    printf("bad-input matrix: %d cases in %d route files, all answered as expected; "
           "server still serving; check passes\n",
           cases_run, files_run);
    assert_true(cases_run >= 300);
}

/* The matrix is about answers, not rate limits (test_service has those). */
static const char *const server_args[] = {"--rate-limit", "0", NULL};
static const struct pp_server_opts server_opts = {.args = server_args};
static const char *const funds[] = {"GBP", "1000000", "JPY", "1000000", NULL};
static int after_start(void)
{
    create_payout();
    return 0;
}

static const struct pp_session session = {.srv = &srv,
                                          .opts = &server_opts,
                                          .admin_token = &admin_token,
                                          .api_key = &api_key,
                                          .funds = funds,
                                          .after_start = after_start};

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matrix),
    };
    return PP_SESSION_RUN(tests, &session);
}
