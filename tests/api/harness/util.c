/*
** This module implements the harness's small utilities (harness/util.h):
** clocks and sleeps, formatted strings, whole-file reads, the server's way
** of printing minor units, and the JWT and base64url codecs the token tests
** use. Nothing here talks to a server or asserts.
*/
#include "harness/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* --- Small utilities -------------------------------------------------------- */

long long pp_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000LL + ts.tv_nsec / 1000000L;
}

void pp_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

char *pp_fmt(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *out = NULL;
    if (vasprintf(&out, fmt, ap) < 0) {
        out = NULL;
    }
    va_end(ap);
    if (out == NULL) {
        fprintf(stderr, "harness: out of memory\n");
        abort();
    }
    return out;
}

char *pp_file_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf != NULL) {
        if (n + 1 >= cap) {
            char *grown = realloc(buf, cap * 2);
            if (grown == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = grown;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        if (got == 0) {
            break;
        }
        n += got;
    }
    fclose(f);
    if (buf != NULL) {
        buf[n] = '\0';
        if (len != NULL) {
            *len = n;
        }
    }
    return buf;
}

/* --- Formatting and JWT ----------------------------------------------------------- */

void pp_format_minor(long long minor, int decimals, char *out, size_t out_size)
{
    long long scale = 1;
    for (int i = 0; i < decimals; i++) {
        scale *= 10;
    }
    const char *sign = minor < 0 ? "-" : "";
    long long abs_minor = minor < 0 ? -minor : minor;
    long long whole = abs_minor / scale, frac = abs_minor % scale;
    if (frac == 0) {
        snprintf(out, out_size, "%s%lld", sign, whole);
        return;
    }
    char digits[32];
    size_t n = decimals > 0 && decimals < 30 ? (size_t)decimals : 0;
    digits[n] = '\0';
    for (size_t i = n; i > 0; i--) {
        digits[i - 1] = (char)('0' + frac % 10);
        frac /= 10;
    }
    while (n > 0 && digits[n - 1] == '0') {
        digits[--n] = '\0';
    }
    snprintf(out, out_size, "%s%lld.%s", sign, whole, digits);
}

static int b64url_value(char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    return c == '-' ? 62 : c == '_' ? 63 : -1;
}

static json_t *jwt_part(const char *token, int part)
{
    if (token == NULL) {
        return NULL;
    }
    const char *start = token;
    for (int i = 0; i < part; i++) {
        start = strchr(start, '.');
        if (start == NULL) {
            return NULL;
        }
        start++;
    }
    const char *end = strchr(start, '.');
    if (end == NULL) {
        return NULL;
    }
    size_t n = (size_t)(end - start);
    unsigned char *buf = malloc(n + 1);
    size_t out = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; buf != NULL && i < n; i++) {
        int v = b64url_value(start[i]);
        if (v < 0) {
            free(buf);
            return NULL;
        }
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[out++] = (unsigned char)((acc >> bits) & 0xFFu);
        }
    }
    json_t *j = buf != NULL ? json_loadb((const char *)buf, out, 0, NULL) : NULL;
    free(buf);
    return j;
}

json_t *pp_jwt_header(const char *token)
{
    return jwt_part(token, 0);
}

json_t *pp_jwt_payload(const char *token)
{
    return jwt_part(token, 1);
}

void pp_base64url(const unsigned char *in, size_t len, char *out, size_t out_size)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len && o + 1 < out_size; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 6 && o + 1 < out_size) {
            bits -= 6;
            out[o++] = alphabet[(acc >> bits) & 0x3Fu];
        }
    }
    if (bits > 0 && o + 1 < out_size) {
        out[o++] = alphabet[(acc << (6 - bits)) & 0x3Fu];
    }
    out[o] = '\0';
}

/* --- Payout objects ---------------------------------------------------------------- */

long long pp_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void pp_iso_at(long long ms, char *out, size_t out_size)
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    char date[24];
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, out_size, "%.19s.%03dZ", date, (int)(ms % 1000));
}
