/*
** This module implements the sec layer's private base64 and base64url
** coding (RFC 4648 §4 and §5). Encoding goes through OpenSSL's
** EVP_EncodeBlock; decoding is done here, because EVP_DecodeBlock skips
** whitespace, counts padding as data and accepts non-canonical text, and a
** secret or a sealed value must have exactly one spelling.
**
** Character values are computed without branches or table lookups, so the
** time spent decoding a secret does not depend on its characters. It does
** not allocate, and it logs nothing.
*/
#include "b64.h"

#include <string.h>

#include <openssl/evp.h>

#include "payout/base/assert.h"

/* EVP_EncodeBlock takes an int length; nothing the sec layer encodes comes
** near this (secrets, nonces, digests and small sealed values). */
#define ENCODE_BYTES_MAX (1024u * 1024u)

size_t sec_b64_encoded_len(size_t len)
{
    PP_ASSERT(len <= ENCODE_BYTES_MAX);
    return (len + 2) / 3 * 4;
}

size_t sec_b64url_encoded_len(size_t len)
{
    PP_ASSERT(len <= ENCODE_BYTES_MAX);
    return len / 3 * 4 + (len % 3 == 0 ? 0 : len % 3 + 1);
}

void sec_b64_encode(const uint8_t *in, size_t len, char *out, size_t out_size)
{
    PP_ASSERT(in != NULL || len == 0);
    PP_ASSERT(out != NULL && out_size > sec_b64_encoded_len(len));
    int written = EVP_EncodeBlock((unsigned char *)out, in, (int)len);
    PP_ASSERT(written >= 0 && (size_t)written == sec_b64_encoded_len(len));
    out[written] = '\0';
}

void sec_b64url_encode(const uint8_t *in, size_t len, char *out, size_t out_size)
{
    size_t whole = len / 3 * 3;
    size_t text_len = sec_b64url_encoded_len(len);

    PP_ASSERT(in != NULL || len == 0);
    PP_ASSERT(out != NULL && out_size > text_len);
    /* Whole groups go straight into out; the last one or two bytes would
    ** bring padding that out has no room for, so they go through tail. */
    int written = EVP_EncodeBlock((unsigned char *)out, in, (int)whole);
    PP_ASSERT(written >= 0 && (size_t)written == whole / 3 * 4);
    if (whole < len) {
        char tail[5];
        EVP_EncodeBlock((unsigned char *)tail, in + whole, (int)(len - whole));
        memcpy(out + written, tail, text_len - (size_t)written);
    }
    for (size_t i = 0; i < text_len; i++) {
        out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
    }
    out[text_len] = '\0';
}

/* -1 when lo <= x <= hi, else 0 (x, lo and hi between 0 and 255). */
static int range_mask(int x, int lo, int hi)
{
    int d = x - lo;
    return ((d | (hi - lo - d)) >> 8) ^ -1;
}

/* The 6-bit value of c in the standard (url = 0) or url alphabet, or -1. */
static int char_value(unsigned char c, int url)
{
    int x = c;
    int upper = range_mask(x, 'A', 'Z');
    int lower = range_mask(x, 'a', 'z');
    int digit = range_mask(x, '0', '9');
    int v62 = range_mask(x, url ? '-' : '+', url ? '-' : '+');
    int v63 = range_mask(x, url ? '_' : '/', url ? '_' : '/');
    return ((x - 'A') & upper) | ((x - 'a' + 26) & lower) | ((x - '0' + 52) & digit) | (62 & v62) |
           (63 & v63) | ~(upper | lower | digit | v62 | v63);
}

/* Decodes the unpadded text[0..len) of the given alphabet. */
static int decode_body(const char *text, size_t len, int url, uint8_t *out, size_t out_size,
                       size_t *out_len)
{
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t n = 0;
    int bad = 0;
    int ok = 0;

    if (len % 4 == 1 || len / 4 * 3 + (len % 4 == 0 ? 0 : len % 4 - 1) > out_size) {
        goto done;
    }
    for (size_t i = 0; i < len; i++) {
        int value = char_value((unsigned char)text[i], url);
        bad |= value;
        acc = (acc << 6) | ((uint32_t)value & 0x3fu);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (uint8_t)((acc >> bits) & 0xffu);
            acc &= (1u << bits) - 1u;
        }
    }
    /* A -1 value sets the sign bit of bad; leftover bits must be zero. */
    if (bad < 0 || acc != 0) {
        goto done;
    }
    *out_len = n;
    ok = 1;
done:
    return ok;
}

int sec_b64_decode(const char *text, size_t len, uint8_t *out, size_t out_size, size_t *out_len)
{
    size_t body = len;

    PP_ASSERT(text != NULL || len == 0);
    PP_ASSERT(out_len != NULL);
    /* At most two '=' and only at the end; with len a multiple of 4 the
    ** body then has a length an encoder writes (4k, 4k + 2 or 4k + 3). */
    while (body > 0 && len - body < 2 && text[body - 1] == '=') {
        body--;
    }
    return len % 4 == 0 && decode_body(text, body, 0, out, out_size, out_len);
}

int sec_b64url_decode(const char *text, size_t len, uint8_t *out, size_t out_size, size_t *out_len)
{
    PP_ASSERT(text != NULL || len == 0);
    PP_ASSERT(out_len != NULL);
    return decode_body(text, len, 1, out, out_size, out_len);
}

int sec_b64url_is_text(const char *text, size_t len)
{
    int bad = 0;

    PP_ASSERT(text != NULL || len == 0);
    for (size_t i = 0; i < len; i++) {
        bad |= char_value((unsigned char)text[i], 1);
    }
    return bad >= 0;
}
