/*
** This module implements the unit tests of out/mail.c: one fixed message
** compared byte for byte (headers, both quoted-printable parts, HTML
** escaping, the window in UTC), header injection through the project and
** the description (no new header, no bare CR or LF anywhere), a non-ASCII
** and long Subject as folded RFC 2047 words that decode back to it without
** splitting a character, invalid UTF-8, the stable Message-ID, every line
** within 78 characters, the inputs refused, and a table of addresses.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "payout/out/mail.h"

#define UUID "0c9f4b1e-7d2a-4c1b-9e0f-3a5b6c7d8e9f"
/* 2030-12-31T12:00:00Z and a week later. */
#define T0_MS 1924948800000LL
#define T1_MS 1925553600000LL

static const struct out_mail_envelope envelope = {"payouts@panel.example", "ann.lee@example.com",
                                                  T0_MS};

static struct out_mail_payout payout_fixed(void)
{
    struct out_mail_payout p = {
        OUT_MAIL_READY, UUID, "1234.50", "EUR", "Acme & Sons <Ltd>", "Rent for March \"flat 2\"",
        T0_MS,          T1_MS};
    return p;
}

static const char expected[] =
    "From: payouts@panel.example\r\n"
    "To: ann.lee@example.com\r\n"
    "Subject: Payout of 1234.50 EUR from Acme & Sons <Ltd> is ready\r\n"
    "Date: Tue, 31 Dec 2030 12:00:00 +0000\r\n"
    "Message-ID: <payout-0c9f4b1e-7d2a-4c1b-9e0f-3a5b6c7d8e9f-ready@panel.example>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/alternative;\r\n"
    " boundary=\"=_payout-0c9f4b1e-7d2a-4c1b-9e0f-3a5b6c7d8e9f-ready\"\r\n"
    "\r\n"
    "--=_payout-0c9f4b1e-7d2a-4c1b-9e0f-3a5b6c7d8e9f-ready\r\n"
    "Content-Type: text/plain; charset=UTF-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "Hello,\r\n"
    "\r\n"
    "A payout of 1234.50 EUR from Acme & Sons <Ltd> is ready for you.\r\n"
    "\r\n"
    "Amount:      1234.50 EUR\r\n"
    "Project:     Acme & Sons <Ltd>\r\n"
    "Description: Rent for March \"flat 2\"\r\n"
    "Window:      2030-12-31 12:00:00 UTC to 2031-01-07 12:00:00 UTC\r\n"
    "\r\n"
    "This message was sent automatically; please do not reply.\r\n"
    "\r\n"
    "--=_payout-0c9f4b1e-7d2a-4c1b-9e0f-3a5b6c7d8e9f-ready\r\n"
    "Content-Type: text/html; charset=UTF-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "<!DOCTYPE html>\r\n"
    "<html><head><meta charset=3D\"utf-8\"><title>Payout of 1234.50 EUR from Acme =\r\n"
    "&amp; Sons &lt;Ltd&gt; is ready</title></head>\r\n"
    "<body>\r\n"
    "<p>Hello,</p>\r\n"
    "<p>A payout of 1234.50 EUR from Acme &amp; Sons &lt;Ltd&gt; is ready for yo=\r\n"
    "u.</p>\r\n"
    "<table>\r\n"
    "<tr><th>Amount</th><td>1234.50 EUR</td></tr>\r\n"
    "<tr><th>Project</th><td>Acme &amp; Sons &lt;Ltd&gt;</td></tr>\r\n"
    "<tr><th>Description</th><td>Rent for March &quot;flat 2&quot;</td></tr>\r\n"
    "<tr><th>Window</th><td>2030-12-31 12:00:00 UTC to 2031-01-07 12:00:00 UTC</=\r\n"
    "td></tr>\r\n"
    "</table>\r\n"
    "<p>This message was sent automatically; please do not reply.</p>\r\n"
    "</body></html>\r\n"
    "\r\n"
    "--=_payout-0c9f4b1e-7d2a-4c1b-9e0f-3a5b6c7d8e9f-ready--\r\n";

static char *compose(const struct out_mail_payout *p)
{
    struct pp_buf b;
    pp_buf_init(&b);
    assert_int_equal(out_mail_compose(&envelope, p, &b, NULL), PP_OK);
    return pp_buf_take(&b, NULL);
}

/* Every line ends in CRLF, no CR or LF stands alone, no line is longer
** than 78 characters, and no byte is a control other than CR and LF. */
static void assert_well_formed(const char *msg)
{
    size_t col = 0;
    assert_true(strlen(msg) >= 2 && strcmp(msg + strlen(msg) - 2, "\r\n") == 0);
    for (const char *p = msg; *p != '\0'; p++) {
        if (*p == '\r') {
            assert_int_equal(p[1], '\n');
            p++;
            col = 0;
            continue;
        }
        assert_true(*p != '\n');
        assert_true((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f);
        col++;
        assert_true(col <= 78);
    }
}

static void mail_exact_message(void **state)
{
    (void)state;
    struct out_mail_payout p = payout_fixed();
    char *msg = compose(&p);
    assert_string_equal(msg, expected);
    assert_well_formed(msg);
    free(msg);
}

/* The header section's lines, in order: only the composed headers (and
** the continuation lines of the folded ones) are there. */
static void assert_headers_exactly(const char *msg)
{
    static const char *const names[] = {
        "From: ", "To: ", "Subject:", "Date: ", "Message-ID: ", "MIME-Version: ", "Content-Type: "};
    const char *end = strstr(msg, "\r\n\r\n");
    size_t next = 0;
    assert_non_null(end);
    for (const char *line = msg; line < end + 2;) {
        const char *eol = strstr(line, "\r\n");
        if (line[0] != ' ') {
            assert_true(next < sizeof names / sizeof names[0]);
            assert_memory_equal(line, names[next], strlen(names[next]));
            next++;
        }
        line = eol + 2;
    }
    assert_int_equal(next, sizeof names / sizeof names[0]);
}

static void subject_decode(const char *msg, char *out, size_t out_size);

static void mail_header_injection(void **state)
{
    (void)state;
    struct out_mail_payout p = payout_fixed();
    p.description = "Rent\r\nBcc: x@y";
    p.project = "Acme\r\nBcc: evil@example.com\nX-Spam: 1\r";
    char *msg = compose(&p);
    assert_well_formed(msg);
    assert_headers_exactly(msg);
    assert_null(strstr(msg, "\r\nBcc:"));
    assert_null(strstr(msg, "\r\nX-Spam:"));
    /* The text stays, on one line, as spaces. */
    assert_non_null(strstr(msg, "\r\nDescription: Rent  Bcc: x@y\r\n"));
    char decoded[256];
    subject_decode(msg, decoded, sizeof decoded);
    assert_string_equal(
        decoded, "Payout of 1234.50 EUR from Acme  Bcc: evil@example.com X-Spam: 1  is ready");
    free(msg);
    /* Other controls too: NUL cannot be passed, but TAB, ESC, DEL and C1 can. */
    p.project = "A\tB\x1b[31mC\x7f"
                "D\xc2\x85"
                "E";
    p.description = "";
    msg = compose(&p);
    assert_well_formed(msg);
    assert_non_null(strstr(msg, "\r\nProject:     A B [31mC D E\r\n"));
    assert_null(strstr(msg, "Description"));
    free(msg);
}

static int b64_value(char c)
{
    const char *abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *at = strchr(abc, c);
    return at != NULL && c != '\0' ? (int)(at - abc) : -1;
}

/* Whether s[0..n) is whole UTF-8 characters: it starts on a lead byte
** and its last character is complete. */
static int utf8_whole(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        size_t len = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
        if (len == 0 || i + len > n) {
            return 0;
        }
        i += len;
    }
    return 1;
}

/* Decodes the Subject's encoded-words, checking each holds whole UTF-8
** characters (it starts on a lead byte and ends complete). */
static void subject_decode(const char *msg, char *out, size_t out_size)
{
    const char *p = strstr(msg, "\r\nSubject: =?UTF-8?B?");
    size_t n = 0;
    assert_non_null(p);
    p += strlen("\r\nSubject:");
    while (strncmp(p, " =?UTF-8?B?", 11) == 0) {
        p += 11;
        const char *end = strstr(p, "?=");
        uint32_t acc = 0;
        int bits = 0;
        size_t start = n;
        for (; p < end && *p != '='; p++) {
            assert_true(b64_value(*p) >= 0);
            acc = (acc << 6) | (uint32_t)b64_value(*p);
            bits += 6;
            if (bits >= 8) {
                bits -= 8;
                assert_true(n + 1 < out_size);
                out[n++] = (char)((acc >> bits) & 0xff);
            }
        }
        assert_true(utf8_whole(out + start, n - start));
        assert_true(n - start <= 39);
        p = end + 2;
        if (strncmp(p, "\r\n ", 3) == 0) {
            p += 2;
        }
    }
    assert_memory_equal(p, "\r\n", 2);
    out[n] = '\0';
}

static void mail_encoded_subject(void **state)
{
    (void)state;
    struct out_mail_payout p = payout_fixed();
    char decoded[512];
    p.project = "Caf\xc3\xa9 Z\xc3\xbcrich \xe2\x80\x93 \xf0\x9f\x92\xb6\xf0\x9f\x92\xb6"
                "\xf0\x9f\x92\xb6 a project with a long name that must be folded";
    char *msg = compose(&p);
    assert_well_formed(msg);
    assert_headers_exactly(msg);
    subject_decode(msg, decoded, sizeof decoded);
    char want[512];
    snprintf(want, sizeof want, "Payout of 1234.50 EUR from %s is ready", p.project);
    assert_string_equal(decoded, want);
    /* The text part carries the same bytes quoted-printable. */
    assert_non_null(strstr(msg, "Project:     Caf=C3=A9 Z=C3=BCrich =E2=80=93 =F0=9F=92=B6"));
    free(msg);
    /* Plain ASCII holding "=?" is encoded too, so no reader decodes it. */
    p.project = "=?UTF-8?B?QmNjOiB4QHk=?=";
    msg = compose(&p);
    subject_decode(msg, decoded, sizeof decoded);
    assert_string_equal(decoded, "Payout of 1234.50 EUR from =?UTF-8?B?QmNjOiB4QHk=?= is ready");
    free(msg);
}

static void mail_invalid_utf8(void **state)
{
    (void)state;
    struct out_mail_payout p = payout_fixed();
    p.description = "bad \xff byte, cut \xe2\x82 and overlong \xc0\xaf end";
    char *msg = compose(&p);
    assert_well_formed(msg);
    assert_non_null(strstr(
        msg, "Description: bad =EF=BF=BD byte, cut =EF=BF=BD=EF=BF=BD and overlong =EF=BF=\r\n"
             "=BD=EF=BF=BD end\r\n"));
    free(msg);
}

static void mail_message_id_stable(void **state)
{
    (void)state;
    struct out_mail_payout p = payout_fixed();
    char *a = compose(&p);
    p.description = "another text";
    char *b = compose(&p);
    p.kind = OUT_MAIL_RECEIVED;
    char *c = compose(&p);
    const char *id = "\r\nMessage-ID: <payout-" UUID "-ready@panel.example>\r\n";
    /* 80 characters on one line: the msg-id moves to a continuation line. */
    assert_non_null(strstr(a, id));
    assert_non_null(strstr(b, id));
    assert_non_null(strstr(c, "\r\nMessage-ID:\r\n <payout-" UUID "-received@panel.example>\r\n"));
    assert_non_null(strstr(c, "Subject: Payout of 1234.50 EUR from Acme & Sons <Ltd> has been "
                              "received\r\n"));
    assert_non_null(strstr(c, "from Acme & Sons <Ltd> has been received.\r\n"));
    assert_null(strstr(c, "ready"));
    assert_well_formed(c);
    free(a);
    free(b);
    free(c);
}

static char long_project[PP_PROJECT_NAME_BYTES_MAX + 2];
static char long_description[PP_DESCRIPTION_BYTES_MAX + 2];

#define REFUSED_CASES 16

/* Case i of the inputs compose must refuse, made from the fixed message. */
static void refused_case(int i, struct out_mail_envelope *env, struct out_mail_payout *p)
{
    const char *const to[] = {"x@y\r\nBcc: z@example.com", "no-at-sign"};
    const char *const uuid[] = {"0c9f4b1e-7d2a-4c1b-9e0f-3a5b6c7d8e9",
                                "0c9f4b1e-7d2a-4c1b-9e0f-3a5b6c7d8e9f>\r\nX: y",
                                "0c9f4b1e+7d2a-4c1b-9e0f-3a5b6c7d8e9f"};
    const char *const amount[] = {"12.5\r\n", ".5", "1.2.3"};
    const char *const currency[] = {"eur", "EURO"};

    *env = envelope;
    *p = payout_fixed();
    if (i < 2) {
        env->to = to[i];
    } else if (i == 2) {
        env->from = "panel@localhost";
    } else if (i == 3) {
        env->to = NULL;
    } else if (i < 7) {
        p->uuid = uuid[i - 4];
    } else if (i < 10) {
        p->amount = amount[i - 7];
    } else if (i < 12) {
        p->currency = currency[i - 10];
    } else if (i == 12) {
        p->project = "";
    } else if (i == 13) {
        p->project = long_project;
    } else if (i == 14) {
        p->description = long_description;
    } else {
        p->kind = (enum out_mail_kind)7;
    }
}

static void mail_refused_inputs(void **state)
{
    (void)state;
    memset(long_project, 'p', sizeof long_project - 1);
    memset(long_description, 'd', sizeof long_description - 1);

    for (int i = 0; i < REFUSED_CASES; i++) {
        struct out_mail_envelope env;
        struct out_mail_payout p;
        struct pp_buf b;
        struct pp_err err;
        refused_case(i, &env, &p);
        pp_buf_init(&b);
        pp_err_clear(&err);
        if (out_mail_compose(&env, &p, &b, &err) != PP_INVALID_PARAMS) {
            fail_msg("case %d accepted", i);
        }
        assert_int_equal(b.len, 0);
        assert_non_null(strstr(err.message, "notification e-mail: "));
        pp_buf_free(&b);
    }
    /* The limits themselves are accepted. */
    struct out_mail_payout p = payout_fixed();
    long_project[PP_PROJECT_NAME_BYTES_MAX] = '\0';
    long_description[PP_DESCRIPTION_BYTES_MAX] = '\0';
    p.project = long_project;
    p.description = long_description;
    char *msg = compose(&p);
    assert_well_formed(msg);
    free(msg);
}

/* 64 letters, one more than a domain label may have. */
static const char *long_label(void)
{
    return "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcd";
}

static void mail_address_table(void **state)
{
    (void)state;
    static const char *const good[] = {
        "a@b.co",
        "ann.lee@example.com",
        "o'brien+tag@mail.example.org",
        "x!#$%&'*+/=?^_`{|}~-y@sub-domain.example.io",
        "1@2.example3",
    };
    static const char *const bad[] = {
        "",
        "plain",
        "@example.com",
        "a@",
        "a@b",
        "a@@b.com",
        "a@b@c.com",
        ".a@b.com",
        "a.@b.com",
        "a..b@c.com",
        "a b@c.com",
        "\"a\"@b.com",
        "a@b..com",
        "a@-b.com",
        "a@b-.com",
        "a@b.com.",
        "a@.b.com",
        "a@[127.0.0.1]",
        "a@1.2.3.4",
        "a@b_c.com",
        "caf\xc3\xa9@b.com",
        "a@b.com\r\nBcc: c@d.e",
        "a@b.com>",
        "<a@b.com>",
        "a@b.com ",
        "a(b)@c.com",
        "a,b@c.com",
        "a;b@c.com",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        if (!out_mail_address_valid(good[i])) {
            fail_msg("refused \"%s\"", good[i]);
        }
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (out_mail_address_valid(bad[i])) {
            fail_msg("accepted \"%s\"", bad[i]);
        }
    }
    assert_false(out_mail_address_valid(NULL));
    /* Length limits: a 64-byte local part passes, 65 does not; 254 in all. */
    char addr[400];
    memset(addr, 'l', 64);
    snprintf(addr + 64, sizeof addr - 64, "@example.com");
    assert_true(out_mail_address_valid(addr));
    memset(addr, 'l', 65);
    snprintf(addr + 65, sizeof addr - 65, "@example.com");
    assert_false(out_mail_address_valid(addr));
    memset(addr, 'l', 63);
    snprintf(addr + 63, sizeof addr - 63, "@%.63s.%.63s.%.58s", long_label(), long_label(),
             long_label());
    assert_int_equal(strlen(addr), 250);
    assert_true(out_mail_address_valid(addr));
    snprintf(addr + 63, sizeof addr - 63, "@%.63s.%.63s.%.63s", long_label(), long_label(),
             long_label());
    assert_false(out_mail_address_valid(addr)); /* 255 bytes */
    snprintf(addr, sizeof addr, "a@%.64s.com", long_label());
    assert_false(out_mail_address_valid(addr)); /* a 64-byte label */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mail_exact_message),     cmocka_unit_test(mail_header_injection),
        cmocka_unit_test(mail_encoded_subject),   cmocka_unit_test(mail_invalid_utf8),
        cmocka_unit_test(mail_message_id_stable), cmocka_unit_test(mail_refused_inputs),
        cmocka_unit_test(mail_address_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
