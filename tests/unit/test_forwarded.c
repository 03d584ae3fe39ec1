/*
** This module implements the unit tests of http/forwarded.c, the client
** address behind --trusted-proxies: a table of peers, X-Forwarded-For
** lines and the client each must give (the walk from the right over
** trusted hops, several header lines, IPv4-mapped peers and entries, every
** entry trusted, malformed headers falling back to the peer, untrusted
** peers and an empty list never reading the header), and the flag's name
** in the parser's messages (base/cidr.c).
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

#include "payout/http/forwarded.h"

/* One case: the trusted ranges, the TCP peer, up to three header lines
** (NULL ends them), the client expected, and whether it came from the
** header. */
struct fwd_case {
    const char *trusted;
    const char *peer;
    const char *lines[3];
    const char *client;
    int from_header;
};

static const struct fwd_case cases[] = {
    /* No list: the header is never read. */
    {"", "127.0.0.1", {"203.0.113.7"}, "127.0.0.1", 0},
    /* A peer outside the list: its header is not believed. */
    {"10.0.0.0/8", "192.0.2.1", {"203.0.113.7"}, "192.0.2.1", 0},
    /* A trusted peer without the header. */
    {"10.0.0.0/8", "10.0.0.5", {NULL}, "10.0.0.5", 0},
    /* One hop. */
    {"10.0.0.0/8", "10.0.0.5", {"203.0.113.7"}, "203.0.113.7", 1},
    /* Walked from the right: trusted hops skipped, a client's own entry
    ** further left never read (even when it is garbage). */
    {"10.0.0.0/8", "10.0.0.5", {"198.51.100.9, 203.0.113.7, 10.1.2.3"}, "203.0.113.7", 1},
    {"10.0.0.0/8", "10.0.0.5", {"not-an-ip, 203.0.113.7"}, "203.0.113.7", 1},
    {"10.0.0.0/8", "10.0.0.5", {" \t203.0.113.7\t ,10.9.9.9 "}, "203.0.113.7", 1},
    /* Several lines: the last line is the nearest proxy's. */
    {"10.0.0.0/8", "10.0.0.5", {"6.6.6.6", "203.0.113.7"}, "203.0.113.7", 1},
    {"10.0.0.0/8", "10.0.0.5", {"203.0.113.7", "10.0.0.9"}, "203.0.113.7", 1},
    /* Every entry trusted: the leftmost. */
    {"10.0.0.0/8", "10.0.0.5", {"10.0.0.7, 10.0.0.8"}, "10.0.0.7", 1},
    /* IPv6, and IPv4-mapped IPv6 judged as its IPv4. */
    {"fd00::/8", "fd00::1", {"2001:db8::42"}, "2001:db8::42", 1},
    {"127.0.0.0/8", "::ffff:127.0.0.1", {"203.0.113.7"}, "203.0.113.7", 1},
    {"127.0.0.0/8", "127.0.0.1", {"203.0.113.7, ::ffff:127.0.0.2"}, "203.0.113.7", 1},
    {"127.0.0.0/8", "127.0.0.1", {"::ffff:203.0.113.7"}, "::ffff:203.0.113.7", 1},
    /* Malformed before the client is found: the peer. */
    {"10.0.0.0/8", "10.0.0.5", {""}, "10.0.0.5", 0},
    {"10.0.0.0/8", "10.0.0.5", {"203.0.113.7,"}, "10.0.0.5", 0},
    {"10.0.0.0/8", "10.0.0.5", {"unknown"}, "10.0.0.5", 0},
    {"10.0.0.0/8", "10.0.0.5", {"203.0.113.7:4711"}, "10.0.0.5", 0},
    {"10.0.0.0/8", "10.0.0.5", {"[2001:db8::42]"}, "10.0.0.5", 0},
    {"10.0.0.0/8", "10.0.0.5", {"203.0.113.07"}, "10.0.0.5", 0},
    {"10.0.0.0/8", "10.0.0.5", {"203.0.113.7 10.0.0.6"}, "10.0.0.5", 0},
    {"10.0.0.0/8", "10.0.0.5", {"203.0.113.7", "10.0.0.6,,10.0.0.7"}, "10.0.0.5", 0},
    {"10.0.0.0/8", "10.0.0.5", {"2001:0db8:0000:0000:0000:0000:0000:0000:0042"}, "10.0.0.5", 0},
};

static void forwarded_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct fwd_case *c = &cases[i];
        struct pp_cidr_list trusted;
        struct pp_err err;
        pp_err_clear(&err);
        assert_int_equal(pp_cidr_list_parse("--trusted-proxies", c->trusted, &trusted, &err),
                         PP_OK);
        uint8_t addr[16] = {0};
        int family = strchr(c->peer, ':') != NULL ? AF_INET6 : AF_INET;
        assert_int_equal(inet_pton(family, c->peer, addr), 1);
        size_t count = 0;
        while (count < 3 && c->lines[count] != NULL) {
            count++;
        }
        char out[INET6_ADDRSTRLEN];
        int from = http_forwarded_client(&trusted, family, addr, c->lines, count, out, sizeof out);
        if (from != c->from_header || strcmp(out, c->client) != 0) {
            fail_msg("case %zu (peer %s, first line \"%s\"): got %s (%s), expected %s (%s)", i,
                     c->peer, count > 0 ? c->lines[0] : "", out, from ? "header" : "peer",
                     c->client, c->from_header ? "header" : "peer");
        }
    }
}

/* A NULL list behaves as an empty one. */
static void forwarded_null_list(void **state)
{
    (void)state;
    const uint8_t addr[4] = {127, 0, 0, 1};
    const char *lines[] = {"203.0.113.7"};
    char out[INET6_ADDRSTRLEN];
    assert_int_equal(http_forwarded_client(NULL, AF_INET, addr, lines, 1, out, sizeof out), 0);
    assert_string_equal(out, "127.0.0.1");
}

/* The parser names the flag it reads in its messages. */
static void forwarded_flag_messages(void **state)
{
    (void)state;
    struct pp_cidr_list list;
    struct pp_err err;
    pp_err_clear(&err);
    assert_int_equal(pp_cidr_list_parse("--trusted-proxies", "10.0.0.1/8", &list, &err),
                     PP_INVALID_PARAMS);
    assert_string_equal(err.message, "--trusted-proxies: \"10.0.0.1/8\" has host bits set; "
                                     "the network is 10.0.0.0/8");
    pp_err_clear(&err);
    assert_int_equal(pp_cidr_list_parse("--trusted-proxies", "10.0.0.0/8,", &list, &err),
                     PP_INVALID_PARAMS);
    assert_string_equal(err.message, "--trusted-proxies has an empty entry");
    assert_int_equal(list.count, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(forwarded_table),
        cmocka_unit_test(forwarded_null_list),
        cmocka_unit_test(forwarded_flag_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
