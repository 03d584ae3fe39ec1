/*
** This module implements the base64url codec of payout/base/base64url.h:
** unpadded encoding and the strict, canonical decoding that signed tokens
** and list cursors rely on (a value has one spelling, so a tag over its
** bytes also covers its text). It knows nothing of what the bytes mean.
*/
#include "payout/base/base64url.h"

#include "payout/base/assert.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int pp_base64url_value(unsigned char c)
{
    int value = -1;
    if (c >= 'A' && c <= 'Z') {
        value = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
        value = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
        value = c - '0' + 52;
    } else if (c == '-') {
        value = 62;
    } else if (c == '_') {
        value = 63;
    }
    return value;
}

size_t pp_base64url_encode(const uint8_t *in, size_t len, char *out, size_t out_size)
{
    size_t n = 0;
    PP_ASSERT(out_size >= PP_BASE64URL_CHARS(len) + 1);
    for (size_t i = 0; i < len; i += 3) {
        size_t have = len - i < 3 ? len - i : 3;
        uint32_t chunk = (uint32_t)in[i] << 16;
        chunk |= have > 1 ? (uint32_t)in[i + 1] << 8 : 0;
        chunk |= have > 2 ? (uint32_t)in[i + 2] : 0;
        for (size_t k = 0; k < have + 1; k++) {
            out[n++] = alphabet[(chunk >> (18 - 6 * k)) & 63];
        }
    }
    out[n] = '\0';
    return n;
}

int pp_base64url_decode(const char *in, size_t len, uint8_t *out, size_t out_size, size_t *out_len)
{
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t n = 0;
    int ok = 0;

    /* A remainder of one character carries only 6 bits: no byte string
    ** encodes to it. */
    if (len % 4 == 1 || len / 4 * 3 + (len % 4 == 0 ? 0 : len % 4 - 1) > out_size) {
        goto done;
    }
    for (size_t i = 0; i < len; i++) {
        int value = pp_base64url_value((unsigned char)in[i]);
        if (value < 0) {
            goto done;
        }
        acc = (acc << 6) | (uint32_t)value;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (uint8_t)((acc >> bits) & 0xffu);
            acc &= (1u << bits) - 1u;
        }
    }
    if (acc != 0) {
        goto done;
    }
    *out_len = n;
    ok = 1;
done:
    return ok;
}
