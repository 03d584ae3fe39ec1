/*
** Unit tests of the shared radix helpers (base/radix.c): the range mask
** against a plain comparison for every byte, and unpacking with a 4-bit
** (hexadecimal) alphabet, which neither base32 nor base64 uses, so the
** bit arithmetic is checked apart from the two codecs' own tests.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "payout/base/radix.h"

static void radix_range_mask_every_byte(void **state)
{
    (void)state;
    static const int ranges[][2] = {{'A', 'Z'}, {'a', 'z'}, {'0', '9'}, {'+', '+'}, {0, 255}};
    for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++) {
        for (int x = 0; x < 256; x++) {
            int want = x >= ranges[r][0] && x <= ranges[r][1] ? -1 : 0;
            assert_int_equal(pp_radix_range_mask(x, ranges[r][0], ranges[r][1]), want);
        }
    }
}

/* Lower-case hexadecimal digits, -1 for anything else. */
static int hex_value(unsigned char c, const void *alphabet)
{
    (void)alphabet;
    int digit = pp_radix_range_mask(c, '0', '9');
    int letter = pp_radix_range_mask(c, 'a', 'f');
    return ((c - '0') & digit) | ((c - 'a' + 10) & letter) | ~(digit | letter);
}

static void radix_unpack_hex(void **state)
{
    (void)state;
    uint8_t out[8];
    size_t n = 99;
    assert_int_equal(pp_radix_unpack("00ff4a", 6, 4, hex_value, NULL, out, &n), 1);
    assert_int_equal(n, 3);
    assert_memory_equal(out, "\x00\xff\x4a", 3);
    assert_int_equal(pp_radix_unpack("", 0, 4, hex_value, NULL, out, &n), 1);
    assert_int_equal(n, 0);
    /* A bad character anywhere, and leftover bits that are not zero. */
    n = 99;
    assert_int_equal(pp_radix_unpack("0g", 2, 4, hex_value, NULL, out, &n), 0);
    assert_int_equal(pp_radix_unpack("g0", 2, 4, hex_value, NULL, out, &n), 0);
    assert_int_equal(pp_radix_unpack("4", 1, 4, hex_value, NULL, out, &n), 0);
    assert_int_equal(n, 99);
    /* A zero half-byte left over is canonical padding-free input. */
    assert_int_equal(pp_radix_unpack("4a0", 3, 4, hex_value, NULL, out, &n), 1);
    assert_int_equal(n, 1);
    assert_int_equal(out[0], 0x4a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(radix_range_mask_every_byte),
        cmocka_unit_test(radix_unpack_hex),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
