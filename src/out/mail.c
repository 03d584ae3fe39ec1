/*
** This module implements the composition of recipient notification
** e-mails: validation of the fixed-form values (addresses, payout id,
** amount, currency), cleaning of the free-form ones (project, description:
** control characters to spaces, invalid UTF-8 to U+FFFD), the headers with
** an RFC 2047 Subject when needed, and a multipart/alternative body whose
** text and HTML parts are quoted-printable, so the message is 7-bit clean
** and its lines short whatever the input.
**
** It does not send (out/smtp.c does), does not format money (the caller
** passes the amount as the API shows it) and does not decide who gets a
** message or when.
*/
#include "payout/out/mail.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "payout/base/assert.h"
#include "payout/limits.h"

#define REPLACEMENT_CHAR "\xef\xbf\xbd"

static const char *const kind_words[] = {"ready", "received"};

/* Decodes the UTF-8 sequence at s (n bytes left) into *cp; returns its
** length, or 0 when it is not valid UTF-8 (overlong, surrogate, too big,
** cut short). */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
    size_t len = 0;
    uint32_t min = 0;

    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if ((s[0] & 0xe0) == 0xc0) {
        len = 2, min = 0x80, *cp = s[0] & 0x1fu;
    } else if ((s[0] & 0xf0) == 0xe0) {
        len = 3, min = 0x800, *cp = s[0] & 0x0fu;
    } else if ((s[0] & 0xf8) == 0xf0) {
        len = 4, min = 0x10000, *cp = s[0] & 0x07u;
    } else {
        return 0;
    }
    if (len > n) {
        return 0;
    }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }
        *cp = (*cp << 6) | (s[i] & 0x3fu);
    }
    if (*cp < min || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff)) {
        return 0;
    }
    return len;
}

/* Appends text cleaned: C0 and C1 controls, DEL and the Unicode line and
** paragraph separators become spaces, invalid UTF-8 bytes U+FFFD. */
static void clean_put(struct pp_buf *b, const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t n = strlen(text);
    size_t i = 0;

    while (i < n) {
        uint32_t cp = 0;
        size_t len = utf8_next(s + i, n - i, &cp);
        if (len == 0) {
            pp_buf_puts(b, REPLACEMENT_CHAR);
            i++;
            continue;
        }
        if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029) {
            pp_buf_putc(b, ' ');
        } else {
            pp_buf_append(b, s + i, len);
        }
        i += len;
    }
}

static void html_put(struct pp_buf *b, const char *text)
{
    for (const char *p = text; *p != '\0'; p++) {
        switch (*p) {
        case '&':
            pp_buf_puts(b, "&amp;");
            break;
        case '<':
            pp_buf_puts(b, "&lt;");
            break;
        case '>':
            pp_buf_puts(b, "&gt;");
            break;
        case '"':
            pp_buf_puts(b, "&quot;");
            break;
        case '\'':
            pp_buf_puts(b, "&#39;");
            break;
        default:
            pp_buf_putc(b, *p);
        }
    }
}

static void base64_put(struct pp_buf *b, const unsigned char *s, size_t n)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16;
        v |= i + 1 < n ? (uint32_t)s[i + 1] << 8 : 0;
        v |= i + 2 < n ? (uint32_t)s[i + 2] : 0;
        pp_buf_putc(b, abc[(v >> 18) & 63]);
        pp_buf_putc(b, abc[(v >> 12) & 63]);
        pp_buf_putc(b, i + 1 < n ? abc[(v >> 6) & 63] : '=');
        pp_buf_putc(b, i + 2 < n ? abc[v & 63] : '=');
    }
}

/* Appends text (CRLF line ends, no other controls) quoted-printable:
** RFC 2045 6.7, with soft breaks keeping lines at PP_MAIL_QP_LINE_CHARS. */
static void qp_put(struct pp_buf *b, const char *text, size_t n)
{
    size_t col = 0;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\r' && i + 1 < n && text[i + 1] == '\n') {
            pp_buf_puts(b, "\r\n");
            col = 0;
            i++;
            continue;
        }
        int at_eol = i + 1 == n || text[i + 1] == '\r';
        char enc[4];
        size_t w = 1;
        if ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !at_eol)) {
            enc[0] = (char)c;
        } else {
            w = (size_t)snprintf(enc, sizeof enc, "=%02X", c);
        }
        /* Room for the soft break's "=" too. */
        if (col + w > PP_MAIL_QP_LINE_CHARS - 1) {
            pp_buf_puts(b, "=\r\n");
            col = 0;
        }
        pp_buf_append(b, enc, w);
        col += w;
    }
}

/* Appends the Subject header: as is when it is printable ASCII that fits
** one line and holds no "=?", else as UTF-8 encoded-words of at most
** PP_MAIL_ENCODED_WORD_BYTES whole characters, one per line. subject is
** clean (valid UTF-8, no controls). */
static void subject_put(struct pp_buf *b, const char *subject)
{
    const unsigned char *s = (const unsigned char *)subject;
    size_t n = strlen(subject);
    int plain = n <= 78 - sizeof "Subject: " + 1 && strstr(subject, "=?") == NULL;

    for (size_t i = 0; i < n && plain; i++) {
        plain = s[i] >= 0x20 && s[i] < 0x7f;
    }
    if (plain) {
        pp_buf_printf(b, "Subject: %s\r\n", subject);
        return;
    }
    pp_buf_puts(b, "Subject:");
    size_t i = 0;
    while (i < n) {
        size_t take = 0;
        uint32_t cp = 0;
        for (;;) {
            size_t len = utf8_next(s + i + take, n - i - take, &cp);
            PP_ASSERT(len > 0); /* cleaned before */
            if (take + len > PP_MAIL_ENCODED_WORD_BYTES) {
                break;
            }
            take += len;
            if (i + take == n) {
                break;
            }
        }
        pp_buf_puts(b, i > 0 ? "\r\n =?UTF-8?B?" : " =?UTF-8?B?");
        base64_put(b, s + i, take);
        pp_buf_puts(b, "?=");
        i += take;
    }
    pp_buf_puts(b, "\r\n");
}

/* "2031-01-01 10:00:00 UTC" (fmt_utc) or the RFC 5322 Date form. */
static void time_put(struct pp_buf *b, int64_t unix_ms, const char *fmt)
{
    char text[64];
    struct tm tm;
    time_t t = (time_t)(unix_ms >= 0 ? unix_ms / 1000 : (unix_ms - 999) / 1000);

    if (gmtime_r(&t, &tm) == NULL || strftime(text, sizeof text, fmt, &tm) == 0) {
        snprintf(text, sizeof text, "(unknown time)");
    }
    pp_buf_puts(b, text);
}

#define UTC_FORMAT "%Y-%m-%d %H:%M:%S UTC"

static void headers_put(struct pp_buf *b, const struct out_mail_envelope *env,
                        const struct out_mail_payout *p, const char *subject)
{
    const char *kind = kind_words[p->kind];
    const char *domain = strrchr(env->from, '@') + 1;

    pp_buf_printf(b, "From: %s\r\nTo: %s\r\n", env->from, env->to);
    subject_put(b, subject);
    pp_buf_puts(b, "Date: ");
    /* strftime's %a and %b follow the locale; the program never sets one,
    ** so they are the C locale's English names RFC 5322 requires. */
    time_put(b, env->date_ms, "%a, %d %b %Y %H:%M:%S +0000");
    /* A msg-id cannot be folded inside; when the line would pass 78
    ** characters it starts on a continuation line of its own. */
    size_t id_len = strlen("<payout--@>") + strlen(p->uuid) + strlen(kind) + strlen(domain);
    pp_buf_printf(b, "\r\nMessage-ID:%s<payout-%s-%s@%s>\r\n",
                  sizeof "Message-ID: " - 1 + id_len > 78 ? "\r\n " : " ", p->uuid, kind, domain);
    pp_buf_puts(b, "MIME-Version: 1.0\r\n");
    pp_buf_printf(b, "Content-Type: multipart/alternative;\r\n boundary=\"=_payout-%s-%s\"\r\n\r\n",
                  p->uuid, kind);
}

static void text_part(struct pp_buf *b, const struct out_mail_payout *p, const char *project,
                      const char *description)
{
    pp_buf_printf(b, "Hello,\r\n\r\nA payout of %s %s from %s %s.\r\n\r\n", p->amount, p->currency,
                  project, p->kind == OUT_MAIL_READY ? "is ready for you" : "has been received");
    pp_buf_printf(b, "Amount:      %s %s\r\nProject:     %s\r\n", p->amount, p->currency, project);
    if (description[0] != '\0') {
        pp_buf_printf(b, "Description: %s\r\n", description);
    }
    pp_buf_puts(b, "Window:      ");
    time_put(b, p->start_ms, UTC_FORMAT);
    pp_buf_puts(b, " to ");
    time_put(b, p->end_ms, UTC_FORMAT);
    pp_buf_puts(b, "\r\n\r\nThis message was sent automatically; please do not reply.\r\n");
}

static void html_row(struct pp_buf *b, const char *name, const char *v1, const char *v2)
{
    pp_buf_printf(b, "<tr><th>%s</th><td>", name);
    html_put(b, v1);
    if (v2 != NULL) {
        pp_buf_putc(b, ' ');
        html_put(b, v2);
    }
    pp_buf_puts(b, "</td></tr>\r\n");
}

static void html_part(struct pp_buf *b, const struct out_mail_payout *p, const char *subject,
                      const char *project, const char *description)
{
    struct pp_buf window;

    pp_buf_puts(b, "<!DOCTYPE html>\r\n<html><head><meta charset=\"utf-8\"><title>");
    html_put(b, subject);
    pp_buf_puts(b, "</title></head>\r\n<body>\r\n<p>Hello,</p>\r\n<p>A payout of ");
    html_put(b, p->amount);
    pp_buf_putc(b, ' ');
    html_put(b, p->currency);
    pp_buf_puts(b, " from ");
    html_put(b, project);
    pp_buf_printf(b, " %s.</p>\r\n<table>\r\n",
                  p->kind == OUT_MAIL_READY ? "is ready for you" : "has been received");
    html_row(b, "Amount", p->amount, p->currency);
    html_row(b, "Project", project, NULL);
    if (description[0] != '\0') {
        html_row(b, "Description", description, NULL);
    }
    pp_buf_init(&window);
    time_put(&window, p->start_ms, UTC_FORMAT);
    pp_buf_puts(&window, " to ");
    time_put(&window, p->end_ms, UTC_FORMAT);
    html_row(b, "Window", window.data, NULL);
    pp_buf_free(&window);
    pp_buf_puts(b, "</table>\r\n<p>This message was sent automatically; please do not "
                   "reply.</p>\r\n</body></html>\r\n");
}

static void part_put(struct pp_buf *b, const char *boundary, const char *type,
                     const struct pp_buf *body)
{
    pp_buf_printf(b,
                  "--%s\r\nContent-Type: %s; charset=UTF-8\r\n"
                  "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
                  boundary, type);
    qp_put(b, body->data, body->len);
}

static int uuid_valid(const char *s)
{
    if (s == NULL || strlen(s) != 36) {
        return 0;
    }
    for (size_t i = 0; i < 36; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : strchr("0123456789abcdefABCDEF", s[i]) == NULL || s[i] == '\0') {
            return 0;
        }
    }
    return 1;
}

static int amount_valid(const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;
    size_t digits = s != NULL ? strspn(s, "0123456789") : 0;

    if (n == 0 || n > PP_MAIL_AMOUNT_TEXT_BYTES_MAX || digits == 0) {
        return 0;
    }
    return digits == n || (s[digits] == '.' && digits + 1 < n &&
                           strspn(s + digits + 1, "0123456789") == n - digits - 1);
}

static int currency_valid(const char *s)
{
    return s != NULL && strlen(s) == 3 && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == 3;
}

static enum pp_status inputs_check(const struct out_mail_envelope *env,
                                   const struct out_mail_payout *p, struct pp_err *err)
{
    const char *bad = NULL;

    if (!out_mail_address_valid(env->from)) {
        bad = "the sender address";
    } else if (!out_mail_address_valid(env->to)) {
        bad = "the recipient's e-mail";
    } else if ((unsigned)p->kind > OUT_MAIL_RECEIVED) {
        bad = "the notification kind";
    } else if (!uuid_valid(p->uuid)) {
        bad = "the payout id";
    } else if (!amount_valid(p->amount)) {
        bad = "the amount";
    } else if (!currency_valid(p->currency)) {
        bad = "the currency";
    } else if (p->project == NULL || p->project[0] == '\0' ||
               strlen(p->project) > PP_PROJECT_NAME_BYTES_MAX) {
        bad = "the project name";
    } else if (p->description == NULL || strlen(p->description) > PP_DESCRIPTION_BYTES_MAX) {
        bad = "the description";
    } else if (env->date_ms < 0) {
        bad = "the date";
    }
    if (bad != NULL) {
        return pp_err_set(err, PP_INVALID_PARAMS, "notification e-mail: %s is not valid", bad);
    }
    return PP_OK;
}

enum pp_status out_mail_compose(const struct out_mail_envelope *env,
                                const struct out_mail_payout *payout, struct pp_buf *out,
                                struct pp_err *err)
{
    struct pp_buf project, description, subject, body, msg;
    char boundary[96];

    PP_ASSERT(env != NULL && payout != NULL && out != NULL);
    enum pp_status status = inputs_check(env, payout, err);
    if (status != PP_OK) {
        return status;
    }
    pp_buf_init(&project), pp_buf_init(&description), pp_buf_init(&subject);
    pp_buf_init(&body), pp_buf_init(&msg);
    clean_put(&project, payout->project);
    clean_put(&description, payout->description);
    pp_buf_puts(&description, ""); /* a NUL-terminated "" even when empty */
    pp_buf_printf(&subject, "Payout of %s %s from %s %s", payout->amount, payout->currency,
                  project.data, payout->kind == OUT_MAIL_READY ? "is ready" : "has been received");
    snprintf(boundary, sizeof boundary, "=_payout-%s-%s", payout->uuid, kind_words[payout->kind]);
    headers_put(&msg, env, payout, subject.data);
    text_part(&body, payout, project.data, description.data);
    part_put(&msg, boundary, "text/plain", &body);
    pp_buf_reset(&body);
    html_part(&body, payout, subject.data, project.data, description.data);
    pp_buf_puts(&msg, "\r\n");
    part_put(&msg, boundary, "text/html", &body);
    pp_buf_printf(&msg, "\r\n--%s--\r\n", boundary);
    pp_buf_append(out, msg.data, msg.len);
    pp_buf_free(&project), pp_buf_free(&description), pp_buf_free(&subject);
    pp_buf_free(&body), pp_buf_free(&msg);
    return PP_OK;
}

static int domain_valid(const char *d)
{
    size_t labels = 0;
    const char *label = d;

    for (;;) {
        size_t n = strspn(label, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-");
        if (n == 0 || n > PP_MAIL_DOMAIN_LABEL_BYTES_MAX || label[0] == '-' ||
            label[n - 1] == '-') {
            return 0;
        }
        labels++;
        if (label[n] == '\0') {
            /* The top-level label is not all digits: no "1.2.3.4". */
            return labels >= 2 && strspn(label, "0123456789") != n;
        }
        if (label[n] != '.') {
            return 0;
        }
        label += n + 1;
    }
}

int out_mail_address_valid(const char *addr)
{
    static const char atext[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                "!#$%&'*+/=?^_`{|}~-";
    if (addr == NULL || strnlen(addr, PP_EMAIL_BYTES_MAX + 1) > PP_EMAIL_BYTES_MAX) {
        return 0;
    }
    const char *at = strchr(addr, '@');
    if (at == NULL || strchr(at + 1, '@') != NULL) {
        return 0;
    }
    size_t local_len = (size_t)(at - addr);
    if (local_len == 0 || local_len > PP_MAIL_LOCAL_PART_BYTES_MAX || addr[0] == '.' ||
        at[-1] == '.') {
        return 0;
    }
    for (size_t i = 0; i < local_len; i++) {
        int dot = addr[i] == '.';
        if (dot ? addr[i + 1] == '.' : strchr(atext, addr[i]) == NULL || addr[i] == '\0') {
            return 0;
        }
    }
    return domain_valid(at + 1);
}
