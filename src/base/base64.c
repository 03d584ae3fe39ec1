/*
** This module implements the base64 codec of payout/base/base64.h in both
** RFC 4648 alphabets: unpadded base64url and padded standard base64, and
** the strict, canonical decoding that signed tokens, cursors, sealed
** values and webhook secrets rely on (a value has one spelling, so a tag
** over its bytes also covers its text).
**
** Characters and their values are computed without branches or table
** lookups, and a bad character does not end the decoding loop, so encoding
** or decoding takes the same time whatever the text or bytes hold. It
** knows nothing of what the bytes mean, does not allocate and logs nothing.
*/
#include "payout/base/base64.h"

#include "payout/base/assert.h"
#include "payout/base/radix.h"

/* The two letters that tell the alphabets apart (values 62 and 63). */
struct alphabet {
    int v62;
    int v63;
};

static const struct alphabet url_alphabet = {'-', '_'};
static const struct alphabet std_alphabet = {'+', '/'};

/* The 6-bit value of c in alphabet a (a struct alphabet), or -1. */
static int char_value(unsigned char c, const void *alphabet)
{
    const struct alphabet *a = alphabet;
    int x = c;
    int upper = pp_radix_range_mask(x, 'A', 'Z');
    int lower = pp_radix_range_mask(x, 'a', 'z');
    int digit = pp_radix_range_mask(x, '0', '9');
    int v62 = pp_radix_range_mask(x, a->v62, a->v62);
    int v63 = pp_radix_range_mask(x, a->v63, a->v63);
    return ((x - 'A') & upper) | ((x - 'a' + 26) & lower) | ((x - '0' + 52) & digit) | (62 & v62) |
           (63 & v63) | ~(upper | lower | digit | v62 | v63);
}

/* The character of the 6-bit value v in alphabet a. */
static char value_char(uint32_t value, const struct alphabet *a)
{
    int v = (int)(value & 63u);
    int c = ((v + 'A') & pp_radix_range_mask(v, 0, 25)) |
            ((v - 26 + 'a') & pp_radix_range_mask(v, 26, 51)) |
            ((v - 52 + '0') & pp_radix_range_mask(v, 52, 61)) |
            (a->v62 & pp_radix_range_mask(v, 62, 62)) | (a->v63 & pp_radix_range_mask(v, 63, 63));
    return (char)c;
}

int pp_base64url_value(unsigned char c)
{
    return char_value(c, &url_alphabet);
}

int pp_base64url_is_text(const char *text, size_t len)
{
    int bad = 0;

    PP_ASSERT(text != NULL || len == 0);
    for (size_t i = 0; i < len; i++) {
        bad |= char_value((unsigned char)text[i], &url_alphabet);
    }
    return bad >= 0;
}

/* Writes in[0..len) in alphabet a into out, with '=' padding when pad is
** set, and a NUL. Returns the characters written. */
static size_t encode(const uint8_t *in, size_t len, const struct alphabet *a, int pad, char *out)
{
    size_t n = 0;

    for (size_t i = 0; i < len; i += 3) {
        size_t have = len - i < 3 ? len - i : 3;
        uint32_t chunk = (uint32_t)in[i] << 16;
        chunk |= have > 1 ? (uint32_t)in[i + 1] << 8 : 0;
        chunk |= have > 2 ? (uint32_t)in[i + 2] : 0;
        for (size_t k = 0; k < have + 1; k++) {
            out[n++] = value_char(chunk >> (18 - 6 * k), a);
        }
        for (size_t k = have + 1; pad && k < 4; k++) {
            out[n++] = '=';
        }
    }
    out[n] = '\0';
    return n;
}

size_t pp_base64url_encode(const uint8_t *in, size_t len, char *out, size_t out_size)
{
    PP_ASSERT(in != NULL || len == 0);
    PP_ASSERT(len <= SIZE_MAX / 4 - 1);
    PP_ASSERT(out != NULL && out_size >= PP_BASE64URL_CHARS(len) + 1);
    size_t n = encode(in, len, &url_alphabet, 0, out);
    PP_ASSERT(n == PP_BASE64URL_CHARS(len));
    return n;
}

size_t pp_base64_encode(const uint8_t *in, size_t len, char *out, size_t out_size)
{
    PP_ASSERT(in != NULL || len == 0);
    PP_ASSERT(len <= SIZE_MAX / 4 - 1);
    PP_ASSERT(out != NULL && out_size >= PP_BASE64_CHARS(len) + 1);
    size_t n = encode(in, len, &std_alphabet, 1, out);
    PP_ASSERT(n == PP_BASE64_CHARS(len));
    return n;
}

/* Decodes the unpadded in[0..len) of alphabet a (see pp_base64url_decode). */
static int decode_body(const char *in, size_t len, const struct alphabet *a, uint8_t *out,
                       size_t out_size, size_t *out_len)
{
    /* A remainder of one character carries only 6 bits: no byte string
    ** encodes to it. */
    if (len % 4 == 1 || len / 4 * 3 + (len % 4 == 0 ? 0 : len % 4 - 1) > out_size) {
        return 0;
    }
    return pp_radix_unpack(in, len, 6, char_value, a, out, out_len);
}

int pp_base64url_decode(const char *in, size_t len, uint8_t *out, size_t out_size, size_t *out_len)
{
    PP_ASSERT(in != NULL || len == 0);
    PP_ASSERT(out_len != NULL);
    return decode_body(in, len, &url_alphabet, out, out_size, out_len);
}

int pp_base64_decode(const char *in, size_t len, uint8_t *out, size_t out_size, size_t *out_len)
{
    size_t body = len;

    PP_ASSERT(in != NULL || len == 0);
    PP_ASSERT(out_len != NULL);
    /* At most two '=' and only at the end; with len a multiple of 4 the
    ** body then has a length an encoder writes (4k, 4k + 2 or 4k + 3), and
    ** any other '=' is a character outside the alphabet. */
    while (body > 0 && len - body < 2 && in[body - 1] == '=') {
        body--;
    }
    return len % 4 == 0 && decode_body(in, body, &std_alphabet, out, out_size, out_len);
}
