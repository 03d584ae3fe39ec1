/*
** This module implements the unit tests of out/addr_guard.c: a table of
** addresses and the kind each is judged to be (every refused range, the
** IPv6 forms carrying an IPv4 address judged as it, public addresses on
** both sides of range edges), the allowlist letting refused addresses
** through (also through the IPv4 they carry), the reason text, and a table
** of --webhook-allow-cidrs values the parser refuses.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "payout/out/addr_guard.h"

/* Builds a sockaddr from a literal; fails the test on a bad literal. */
static size_t sockaddr_make(const char *text, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    if (strchr(text, ':') != NULL) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
        in6->sin6_family = AF_INET6;
        assert_int_equal(inet_pton(AF_INET6, text, &in6->sin6_addr), 1);
        return sizeof *in6;
    }
    struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
    in4->sin_family = AF_INET;
    assert_int_equal(inet_pton(AF_INET, text, &in4->sin_addr), 1);
    return sizeof *in4;
}

static enum out_addr_kind kind_of(const char *text)
{
    struct sockaddr_storage ss;
    size_t len = sockaddr_make(text, &ss);
    return out_addr_kind_of((const struct sockaddr *)&ss, len);
}

static const struct {
    const char *addr;
    enum out_addr_kind kind;
} kinds[] = {
    {"0.0.0.0", OUT_ADDR_UNSPECIFIED},
    {"0.1.2.3", OUT_ADDR_RESERVED},
    {"9.255.255.255", OUT_ADDR_PUBLIC},
    {"10.0.0.1", OUT_ADDR_PRIVATE},
    {"10.255.255.255", OUT_ADDR_PRIVATE},
    {"11.0.0.0", OUT_ADDR_PUBLIC},
    {"100.63.255.255", OUT_ADDR_PUBLIC},
    {"100.64.0.1", OUT_ADDR_CGNAT},
    {"100.127.255.255", OUT_ADDR_CGNAT},
    {"100.128.0.0", OUT_ADDR_PUBLIC},
    {"127.0.0.1", OUT_ADDR_LOOPBACK},
    {"127.255.255.254", OUT_ADDR_LOOPBACK},
    {"169.254.169.254", OUT_ADDR_LINK_LOCAL},
    {"172.15.255.255", OUT_ADDR_PUBLIC},
    {"172.16.0.1", OUT_ADDR_PRIVATE},
    {"172.31.255.255", OUT_ADDR_PRIVATE},
    {"172.32.0.0", OUT_ADDR_PUBLIC},
    {"192.0.0.8", OUT_ADDR_RESERVED},
    {"192.0.2.1", OUT_ADDR_DOCUMENTATION},
    {"192.88.99.1", OUT_ADDR_RESERVED},
    {"192.167.255.255", OUT_ADDR_PUBLIC},
    {"192.168.1.1", OUT_ADDR_PRIVATE},
    {"192.169.0.0", OUT_ADDR_PUBLIC},
    {"198.18.0.1", OUT_ADDR_RESERVED},
    {"198.19.255.255", OUT_ADDR_RESERVED},
    {"198.20.0.0", OUT_ADDR_PUBLIC},
    {"198.51.100.7", OUT_ADDR_DOCUMENTATION},
    {"203.0.113.9", OUT_ADDR_DOCUMENTATION},
    {"8.8.8.8", OUT_ADDR_PUBLIC},
    {"223.255.255.255", OUT_ADDR_PUBLIC},
    {"224.0.0.1", OUT_ADDR_MULTICAST},
    {"239.255.255.255", OUT_ADDR_MULTICAST},
    {"240.0.0.1", OUT_ADDR_RESERVED},
    {"255.255.255.254", OUT_ADDR_RESERVED},
    {"255.255.255.255", OUT_ADDR_BROADCAST},
    {"::", OUT_ADDR_UNSPECIFIED},
    {"::1", OUT_ADDR_LOOPBACK},
    {"::2", OUT_ADDR_RESERVED}, /* IPv4-compatible 0.0.0.2 */
    {"::ffff:127.0.0.1", OUT_ADDR_LOOPBACK},
    {"::ffff:10.1.2.3", OUT_ADDR_PRIVATE},
    {"::ffff:169.254.169.254", OUT_ADDR_LINK_LOCAL},
    {"::ffff:8.8.8.8", OUT_ADDR_PUBLIC},
    {"::127.0.0.1", OUT_ADDR_LOOPBACK},
    {"::192.168.0.1", OUT_ADDR_PRIVATE},
    {"64:ff9b::127.0.0.1", OUT_ADDR_LOOPBACK},
    {"64:ff9b::10.0.0.1", OUT_ADDR_PRIVATE},
    {"64:ff9b::8.8.8.8", OUT_ADDR_PUBLIC},
    {"64:ff9b:1::1", OUT_ADDR_RESERVED},
    {"2002:c0a8:0101::1", OUT_ADDR_PRIVATE}, /* 6to4 of 192.168.1.1 */
    {"2002:7f00:0001::", OUT_ADDR_LOOPBACK},
    {"2002:0808:0808::1", OUT_ADDR_PUBLIC},
    {"::ffff:0:127.0.0.1", OUT_ADDR_RESERVED}, /* IPv4-translated, not mapped */
    {"100::1", OUT_ADDR_RESERVED},
    {"fc00::1", OUT_ADDR_PRIVATE},
    {"fdff:ffff::1", OUT_ADDR_PRIVATE},
    {"fe80::1", OUT_ADDR_LINK_LOCAL},
    {"febf:ffff::1", OUT_ADDR_LINK_LOCAL},
    {"fec0::1", OUT_ADDR_PRIVATE},
    {"ff02::1", OUT_ADDR_MULTICAST},
    {"2001:db8::1", OUT_ADDR_DOCUMENTATION},
    {"3fff::1", OUT_ADDR_DOCUMENTATION},
    {"2001::1", OUT_ADDR_RESERVED}, /* Teredo */
    {"2001:4860:4860::8888", OUT_ADDR_PUBLIC},
    {"2606:4700::1111", OUT_ADDR_PUBLIC},
    {"4000::1", OUT_ADDR_RESERVED},
    {"1fff:ffff::1", OUT_ADDR_RESERVED},
};

static void guard_kind_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        enum out_addr_kind got = kind_of(kinds[i].addr);
        if (got != kinds[i].kind) {
            fail_msg("%s: judged %s, expected %s", kinds[i].addr, out_addr_kind_name(got),
                     out_addr_kind_name(kinds[i].kind));
        }
    }
}

static enum pp_status check(const char *cidrs, const char *addr, char reason[PP_OUT_REASON_BYTES])
{
    struct pp_cidr_list list;
    struct sockaddr_storage ss;

    assert_int_equal(pp_cidr_list_parse("--webhook-allow-cidrs", cidrs, &list, NULL), PP_OK);
    size_t len = sockaddr_make(addr, &ss);
    return out_addr_guard_check(&list, (const struct sockaddr *)&ss, len, reason);
}

static void guard_allowlist(void **state)
{
    (void)state;
    char reason[PP_OUT_REASON_BYTES];

    assert_int_equal(check("", "127.0.0.1", reason), PP_FORBIDDEN);
    assert_string_equal(reason,
                        "127.0.0.1 is a loopback address, not allowed by --webhook-allow-cidrs");
    assert_int_equal(check("127.0.0.0/8", "127.0.0.1", reason), PP_OK);
    assert_string_equal(reason, "");
    assert_int_equal(check("127.0.0.0/8", "10.0.0.1", reason), PP_FORBIDDEN);
    assert_string_equal(reason,
                        "10.0.0.1 is a private address, not allowed by --webhook-allow-cidrs");
    /* IPv4 carried in IPv6 is allowed by its IPv4 range, ::1 only by IPv6. */
    assert_int_equal(check("127.0.0.0/8", "::ffff:127.0.0.1", reason), PP_OK);
    assert_int_equal(check("127.0.0.0/8", "64:ff9b::127.0.0.2", reason), PP_OK);
    assert_int_equal(check("127.0.0.0/8", "::1", reason), PP_FORBIDDEN);
    assert_string_equal(reason, "::1 is a loopback address, not allowed by --webhook-allow-cidrs");
    assert_int_equal(check("127.0.0.0/8,::1/128", "::1", reason), PP_OK);
    assert_int_equal(check("", "::ffff:127.0.0.1", reason), PP_FORBIDDEN);
    assert_string_equal(
        reason, "::ffff:127.0.0.1 is a loopback address, not allowed by --webhook-allow-cidrs");
    /* Narrow ranges, a /0 and public addresses. */
    assert_int_equal(check("10.1.2.3/32", "10.1.2.3", reason), PP_OK);
    assert_int_equal(check("10.1.2.3/32", "10.1.2.4", reason), PP_FORBIDDEN);
    assert_int_equal(check("172.16.0.0/13", "172.23.255.255", reason), PP_OK);
    assert_int_equal(check("172.16.0.0/13", "172.24.0.0", reason), PP_FORBIDDEN);
    assert_int_equal(check("0.0.0.0/0", "169.254.169.254", reason), PP_OK);
    assert_int_equal(check("0.0.0.0/0", "fe80::1", reason), PP_FORBIDDEN);
    assert_int_equal(check("fe80::/10", "fe80::1", reason), PP_OK);
    assert_int_equal(check("", "8.8.8.8", reason), PP_OK);
    assert_int_equal(check("", "2606:4700::1111", reason), PP_OK);
    assert_int_equal(out_addr_guard_check(NULL, NULL, 0, reason), PP_FORBIDDEN);
    assert_string_equal(reason, "not an IPv4 or IPv6 address");
}

static void guard_not_ip(void **state)
{
    (void)state;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    ss.ss_family = AF_UNIX;
    assert_int_equal(out_addr_kind_of((const struct sockaddr *)&ss, sizeof ss), OUT_ADDR_NOT_IP);
    size_t len = sockaddr_make("8.8.8.8", &ss);
    assert_int_equal(out_addr_kind_of((const struct sockaddr *)&ss, len - 1), OUT_ADDR_NOT_IP);
}

static void guard_parse_good(void **state)
{
    (void)state;
    struct pp_cidr_list list;

    assert_int_equal(pp_cidr_list_parse("--webhook-allow-cidrs", "", &list, NULL), PP_OK);
    assert_int_equal(list.count, 0);
    assert_int_equal(pp_cidr_list_parse("--webhook-allow-cidrs",
                                        "127.0.0.0/8,::1/128,0.0.0.0/0,::/0", &list, NULL),
                     PP_OK);
    assert_int_equal(list.count, 4);
    assert_int_equal(list.items[0].family, AF_INET);
    assert_int_equal(list.items[0].prefix_bits, 8);
    assert_int_equal(list.items[1].family, AF_INET6);
    assert_int_equal(list.items[1].prefix_bits, 128);
    assert_int_equal(list.items[3].prefix_bits, 0);
}

static void guard_parse_bad(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "127.0.0.1",    /* no prefix */
        "127.0.0.0/",   /* empty prefix */
        "127.0.0.0/33", /* too long */
        "::/129",       /* too long */
        "127.0.0.0/08", /* leading zero */
        "127.0.0.0/+8", /* sign */
        "127.0.0.0/-1", /* sign */
        "127.0.0.0/8 ", /* space */
        " 127.0.0.0/8", /* space */
        "127.0.0.0/8, ::1/128",
        "127.0.0.0/8,", /* empty entry */
        ",127.0.0.0/8", /* empty entry */
        "127.0.0.0/8,,::1/128",
        "127.1/16",          /* short IPv4 form */
        "0x7f000000/8",      /* hex */
        "2130706432/8",      /* decimal */
        "127.000.000.000/8", /* leading zeros */
        "127.0.0.1/8",       /* host bits set */
        "::1/64",            /* host bits set */
        "fe80::1%eth0/64",   /* zone */
        "localhost/8",
        "127.0.0.0/8/8",
        "127.0.0.0/1000",
        "garbage",
        ",",
    };
    struct pp_cidr_list list;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct pp_err err;
        pp_err_clear(&err);
        if (pp_cidr_list_parse("--webhook-allow-cidrs", bad[i], &list, &err) != PP_INVALID_PARAMS) {
            fail_msg("accepted \"%s\"", bad[i]);
        }
        assert_int_equal(list.count, 0);
        assert_non_null(strstr(err.message, "--webhook-allow-cidrs"));
    }
}

static void guard_parse_messages(void **state)
{
    (void)state;
    struct pp_cidr_list list;
    struct pp_err err;

    pp_err_clear(&err);
    assert_int_equal(
        pp_cidr_list_parse("--webhook-allow-cidrs", "::1/128,127.0.0.1/8", &list, &err),
        PP_INVALID_PARAMS);
    assert_string_equal(err.message, "--webhook-allow-cidrs: \"127.0.0.1/8\" has host bits set; "
                                     "the network is 127.0.0.0/8");
    pp_err_clear(&err);
    assert_int_equal(pp_cidr_list_parse("--webhook-allow-cidrs", "10.0.0.0", &list, &err),
                     PP_INVALID_PARAMS);
    assert_string_equal(err.message,
                        "--webhook-allow-cidrs: \"10.0.0.0\" needs a prefix length (\"/32\")");
}

static void guard_parse_limits(void **state)
{
    (void)state;
    char text[PP_CIDR_LIST_TEXT_BYTES_MAX + 64];
    struct pp_cidr_list list;
    size_t len = 0;

    for (int i = 0; i < PP_CIDR_LIST_MAX; i++) {
        len += (size_t)snprintf(text + len, sizeof text - len, "%s10.%d.0.0/16", i ? "," : "", i);
    }
    assert_int_equal(pp_cidr_list_parse("--webhook-allow-cidrs", text, &list, NULL), PP_OK);
    assert_int_equal(list.count, PP_CIDR_LIST_MAX);
    snprintf(text + len, sizeof text - len, ",11.0.0.0/8");
    assert_int_equal(pp_cidr_list_parse("--webhook-allow-cidrs", text, &list, NULL),
                     PP_INVALID_PARAMS);
    assert_int_equal(list.count, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(guard_kind_table),   cmocka_unit_test(guard_allowlist),
        cmocka_unit_test(guard_not_ip),       cmocka_unit_test(guard_parse_good),
        cmocka_unit_test(guard_parse_bad),    cmocka_unit_test(guard_parse_messages),
        cmocka_unit_test(guard_parse_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
