/*
** Checks that the OpenAPI document served at /api/openapi.json
** (docs/openapi.json, compiled in) and the server's route table agree:
** every route is documented with its method, who may call it and whether
** it takes a body, and the document describes no route the server lacks.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "payout/api/api.h"

extern const char api_openapi_json[];
extern const unsigned long api_openapi_json_len;

static json_t *load_document(void)
{
    json_error_t jerr;
    json_t *doc =
        json_loadb(api_openapi_json, (size_t)api_openapi_json_len, JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL) {
        fail_msg("docs/openapi.json is not valid JSON: %s (line %d)", jerr.text, jerr.line);
    }
    return doc;
}

static const char *access_name(enum api_access access)
{
    assert_true(access >= API_ACCESS_PUBLIC && access < API_ACCESS_COUNT);
    return api_permissions[access].name;
}

static void lower(const char *in, char *out, size_t size)
{
    size_t i = 0;
    for (; in[i] != '\0' && i + 1 < size; i++) {
        out[i] = (char)(in[i] >= 'A' && in[i] <= 'Z' ? in[i] + 32 : in[i]);
    }
    out[i] = '\0';
}

/* Every route is in the document, with matching access and body. */
static void test_routes_documented(void **state)
{
    (void)state;
    json_t *doc = load_document();
    assert_string_equal(json_string_value(json_object_get(doc, "openapi")), "3.1.0");
    json_t *paths = json_object_get(doc, "paths");
    assert_true(json_is_object(paths));
    for (size_t i = 0; i < api_routes_count; i++) {
        const struct api_route *r = &api_routes[i];
        char method[16];
        lower(r->method, method, sizeof method);
        json_t *op = json_object_get(json_object_get(paths, r->pattern), method);
        if (op == NULL) {
            fail_msg("route %s %s is missing from docs/openapi.json", r->method, r->pattern);
        }
        const char *access = json_string_value(json_object_get(op, "x-access"));
        if (access == NULL || strcmp(access, access_name(r->access)) != 0) {
            fail_msg("route %s %s: document says access %s, server says %s", r->method, r->pattern,
                     access ? access : "(none)", access_name(r->access));
        }
        int doc_body = json_object_get(op, "requestBody") != NULL;
        if (doc_body != (r->has_body != 0)) {
            fail_msg("route %s %s: document %s a request body, server %s", r->method, r->pattern,
                     doc_body ? "has" : "lacks", r->has_body ? "reads one" : "not");
        }
        json_t *responses = json_object_get(op, "responses");
        assert_non_null(json_object_get(responses, "500"));
        if (r->access != API_ACCESS_PUBLIC) {
            assert_non_null(json_object_get(responses, "401"));
        }
        if (r->access != API_ACCESS_PUBLIC) {
            /* Some caller lacks the permission, the CSRF token or the
            ** two-factor set-up security.requireTwoFactor asks for. */
            assert_non_null(json_object_get(responses, "403"));
        }
    }
    json_decref(doc);
}

/* The document describes no route the server does not have. */
static void test_no_undocumented_extras(void **state)
{
    (void)state;
    json_t *doc = load_document();
    json_t *paths = json_object_get(doc, "paths");
    const char *path;
    json_t *item;
    size_t operations = 0;
    json_object_foreach(paths, path, item)
    {
        const char *method;
        json_t *op;
        json_object_foreach(item, method, op)
        {
            int found = 0;
            for (size_t i = 0; i < api_routes_count && !found; i++) {
                char m[16];
                lower(api_routes[i].method, m, sizeof m);
                found = strcmp(api_routes[i].pattern, path) == 0 && strcmp(m, method) == 0;
            }
            if (!found) {
                fail_msg("docs/openapi.json describes %s %s, which the server does not route",
                         method, path);
            }
            operations++;
        }
    }
    assert_int_equal(operations, api_routes_count);
    json_decref(doc);
}

/* Every $ref points at a schema that exists. */
static void test_refs_resolve(void **state)
{
    (void)state;
    json_t *doc = load_document();
    json_t *schemas = json_object_get(json_object_get(doc, "components"), "schemas");
    char *text = json_dumps(doc, JSON_COMPACT);
    const char *p = text;
    const char *prefix = "\"$ref\":\"#/components/schemas/";
    int refs = 0;
    while ((p = strstr(p, prefix)) != NULL) {
        p += strlen(prefix);
        const char *end = strchr(p, '"');
        assert_non_null(end);
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)(end - p), p);
        if (json_object_get(schemas, name) == NULL) {
            fail_msg("$ref to missing schema %s", name);
        }
        refs++;
    }
    assert_true(refs > 0);
    free(text);
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_routes_documented),
        cmocka_unit_test(test_no_undocumented_extras),
        cmocka_unit_test(test_refs_resolve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
