/*
** This module implements the keyset cursor of payout/core/cursor.h: its
** 40 bytes, their tag and their text in the shared base64url. It does not
** know queries or filters: the list query hashes its filters and checks
** that a cursor fits it.
*/
#include "payout/core/cursor.h"

#include <string.h>

#include "payout/base/assert.h"
#include "payout/base/base64url.h"
#include "payout/limits.h"
#include "payout/sec/digest.h"

#define CURSOR_VERSION 1
#define CURSOR_PAYLOAD_BYTES 32
#define CURSOR_TAG_BYTES 8
#define CURSOR_BYTES (CURSOR_PAYLOAD_BYTES + CURSOR_TAG_BYTES)

_Static_assert(PP_BASE64URL_CHARS(CURSOR_BYTES) < PP_CURSOR_TEXT_BYTES,
               "a cursor's text and its NUL fit PP_CURSOR_TEXT_BYTES");

static void put_u64(uint8_t *out, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        out[i] = (uint8_t)(v >> (8 * i));
    }
}

static uint64_t get_u64(const uint8_t *in)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) {
        v = (v << 8) | in[i];
    }
    return v;
}

/* The tag of a cursor payload under key. */
static void cursor_tag(const uint8_t *key, const uint8_t *payload, uint8_t tag[CURSOR_TAG_BYTES])
{
    static const char domain[] = "payout-panel list cursor v1";
    struct sec_bytes parts[] = {
        {domain, sizeof domain},
        {key, PP_JWT_KEY_BYTES},
        {payload, CURSOR_PAYLOAD_BYTES},
    };
    uint8_t digest[SEC_SHA256_BYTES];
    sec_sha256_parts(parts, sizeof parts / sizeof parts[0], digest);
    memcpy(tag, digest, CURSOR_TAG_BYTES);
}

void core_cursor_encode(const struct core_cursor *c, const uint8_t *key, char *out, size_t out_size)
{
    uint8_t raw[CURSOR_BYTES];
    PP_ASSERT(out_size >= PP_CURSOR_TEXT_BYTES);
    memset(raw, 0, sizeof raw);
    raw[0] = CURSOR_VERSION;
    raw[1] = c->kind;
    raw[2] = c->order;
    raw[3] = (uint8_t)(c->desc != 0);
    for (int i = 0; i < 4; i++) {
        raw[4 + i] = (uint8_t)(c->page >> (8 * i));
    }
    put_u64(raw + 8, (uint64_t)c->after_value);
    put_u64(raw + 16, (uint64_t)c->after_id);
    put_u64(raw + 24, c->filter_hash);
    cursor_tag(key, raw, raw + CURSOR_PAYLOAD_BYTES);
    pp_base64url_encode(raw, CURSOR_BYTES, out, out_size);
}

enum pp_status core_cursor_decode(const char *text, const uint8_t *key, struct core_cursor *out,
                                  struct pp_err *err)
{
    uint8_t raw[CURSOR_BYTES];
    uint8_t tag[CURSOR_TAG_BYTES];
    size_t len = strlen(text);
    size_t raw_len = 0;
    if (len != PP_BASE64URL_CHARS(CURSOR_BYTES) ||
        !pp_base64url_decode(text, len, raw, sizeof raw, &raw_len) || raw_len != CURSOR_BYTES) {
        return pp_err_set(err, PP_INVALID_PARAMS, "cursor is not a valid cursor");
    }
    cursor_tag(key, raw, tag);
    if (memcmp(tag, raw + CURSOR_PAYLOAD_BYTES, CURSOR_TAG_BYTES) != 0 ||
        raw[0] != CURSOR_VERSION) {
        return pp_err_set(err, PP_INVALID_PARAMS, "cursor is not a valid cursor");
    }
    out->kind = raw[1];
    out->order = raw[2];
    out->desc = raw[3];
    out->page =
        (uint32_t)raw[4] | (uint32_t)raw[5] << 8 | (uint32_t)raw[6] << 16 | (uint32_t)raw[7] << 24;
    out->after_value = (int64_t)get_u64(raw + 8);
    out->after_id = (int64_t)get_u64(raw + 16);
    out->filter_hash = get_u64(raw + 24);
    return PP_OK;
}
