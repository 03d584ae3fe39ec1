/*
** This module implements the raw JSON number scanner (harness/json.h): it
** finds the literal text of a number in a response body, so that "0.1"
** can be told from "0.10000000000000001", which parse to the same double.
*/
#include "harness/json.h"

#include <stdio.h>
#include <string.h>

/* --- Raw JSON number scanner ------------------------------------------------- */

#define SCAN_DEPTH_MAX 32
#define SCAN_KEY_BYTES 128

struct scan_frame {
    int is_obj;
    int expect_key;
    long index;
    char key[SCAN_KEY_BYTES];
};

static void scan_path(const struct scan_frame *stack, int depth, char *out, size_t out_size)
{
    size_t used = 0;
    out[0] = '\0';
    for (int d = 0; d < depth && used < out_size; d++) {
        int n = stack[d].is_obj
                    ? snprintf(out + used, out_size - used, "%s%s", d > 0 ? "." : "", stack[d].key)
                    : snprintf(out + used, out_size - used, "[%ld]", stack[d].index);
        if (n < 0) {
            break;
        }
        used += (size_t)n;
    }
}

static size_t scan_string_end(const char *body, size_t len, size_t i)
{
    /* i points just after the opening quote; returns the closing quote. */
    while (i < len && body[i] != '"') {
        i += body[i] == '\\' ? 2 : 1;
    }
    return i;
}

const char *pp_json_number_text(const char *body, size_t len, const char *path, char *out,
                                size_t out_size)
{
    struct scan_frame stack[SCAN_DEPTH_MAX];
    int depth = 0;
    char here[512];
    size_t i = 0;
    while (i < len) {
        char c = body[i];
        struct scan_frame *top = depth > 0 ? &stack[depth - 1] : NULL;
        if (c == '{' || c == '[') {
            if (depth == SCAN_DEPTH_MAX) {
                return NULL;
            }
            memset(&stack[depth], 0, sizeof stack[depth]);
            stack[depth].is_obj = c == '{';
            stack[depth].expect_key = c == '{';
            depth++;
            i++;
        } else if (c == '}' || c == ']') {
            depth = depth > 0 ? depth - 1 : 0;
            i++;
        } else if (c == ',') {
            if (top != NULL && top->is_obj) {
                top->expect_key = 1;
            } else if (top != NULL) {
                top->index++;
            }
            i++;
        } else if (c == ':') {
            if (top != NULL) {
                top->expect_key = 0;
            }
            i++;
        } else if (c == '"') {
            size_t end = scan_string_end(body, len, i + 1);
            if (top != NULL && top->is_obj && top->expect_key) {
                size_t n = end - (i + 1);
                n = n < SCAN_KEY_BYTES - 1 ? n : SCAN_KEY_BYTES - 1;
                memcpy(top->key, body + i + 1, n);
                top->key[n] = '\0';
            }
            i = end + 1;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            size_t j = i;
            while (j < len && strchr("0123456789+-.eE", body[j]) != NULL) {
                j++;
            }
            scan_path(stack, depth, here, sizeof here);
            if (strcmp(here, path) == 0) {
                size_t n = j - i < out_size - 1 ? j - i : out_size - 1;
                memcpy(out, body + i, n);
                out[n] = '\0';
                return out;
            }
            i = j;
        } else {
            i++;
        }
    }
    return NULL;
}

/* --- Assertions ----------------------------------------------------------------- */
