/*
** This module implements the SMTP sender of recipient notifications on
** libcurl's SMTP: the --smtp-url check, one transfer per message (MAIL
** FROM, RCPT TO, DATA from memory), STARTTLS when offered, AUTH when a user
** is configured, and the classification of the outcome into sent,
** temporary and permanent, with the server's last reply line read through
** libcurl's debug callback (incoming lines only).
**
** It does not compose messages (out/mail.c), retry (out/retry.c) or keep
** a connection between messages: notifications are few, and a fresh
** connection per message keeps the failure of one from touching the next.
*/
#include "payout/out/smtp.h"

#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "payout/base/assert.h"
#include "payout/out/mail.h"

struct upload {
    const char *data;
    size_t left;
};

struct transfer {
    struct upload upload;
    /* The last reply line, or once a 4xx or 5xx came, that one: whatever
    ** libcurl says afterwards (QUIT's 221) must not hide why it failed. */
    char last_reply[PP_SMTP_REPLY_BYTES];
    long failure_code;
};

static size_t upload_read(char *buffer, size_t size, size_t nitems, void *userdata)
{
    struct upload *u = userdata;
    size_t n = size * nitems;

    if (n > u->left) {
        n = u->left;
    }
    memcpy(buffer, u->data, n);
    u->data += n;
    u->left -= n;
    return n;
}

/* Copies text[0..len) into out as one printable ASCII line. */
static void line_keep(char out[PP_SMTP_REPLY_BYTES], const char *text, size_t len)
{
    size_t n = 0;

    while (len > 0 && (text[len - 1] == '\r' || text[len - 1] == '\n')) {
        len--;
    }
    for (size_t i = 0; i < len && n + 1 < PP_SMTP_REPLY_BYTES; i++) {
        unsigned char c = (unsigned char)text[i];
        out[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    out[n] = '\0';
}

/* Keeps the last line the server sent. Only CURLINFO_HEADER_IN is read:
** outgoing lines (AUTH carries the password) are never looked at. */
static int debug_reply(CURL *curl, curl_infotype type, char *data, size_t size, void *userptr)
{
    struct transfer *t = userptr;

    (void)curl;
    if (type != CURLINFO_HEADER_IN || size == 0) {
        return 0;
    }
    /* A multi-line reply may arrive in one piece: keep its last line. */
    size_t end = size;
    while (end > 0 && (data[end - 1] == '\r' || data[end - 1] == '\n')) {
        end--;
    }
    size_t start = end;
    while (start > 0 && data[start - 1] != '\n') {
        start--;
    }
    if (t->failure_code == 0) {
        line_keep(t->last_reply, data + start, end - start);
        char c = t->last_reply[0];
        if ((c == '4' || c == '5') && t->last_reply[1] >= '0' && t->last_reply[1] <= '9' &&
            t->last_reply[2] >= '0' && t->last_reply[2] <= '9') {
            t->failure_code =
                (c - '0') * 100 + (t->last_reply[1] - '0') * 10 + (t->last_reply[2] - '0');
        }
    }
    return 0;
}

static unsigned smtp_options(CURL *curl, const struct out_smtp_config *config, const char *from,
                             struct curl_slist *rcpt, struct transfer *t, size_t len)
{
    unsigned failed = 0;

#define SMTP_SET(opt, val) (failed += curl_easy_setopt(curl, opt, val) != CURLE_OK)
    SMTP_SET(CURLOPT_URL, config->url);
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85.0 */
    SMTP_SET(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
#else
    SMTP_SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_SMTP | CURLPROTO_SMTPS));
#endif
    SMTP_SET(CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
    SMTP_SET(CURLOPT_MAIL_FROM, from);
    SMTP_SET(CURLOPT_MAIL_RCPT, rcpt);
    SMTP_SET(CURLOPT_UPLOAD, 1L);
    SMTP_SET(CURLOPT_READFUNCTION, upload_read);
    SMTP_SET(CURLOPT_READDATA, &t->upload);
    SMTP_SET(CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
    SMTP_SET(CURLOPT_PROXY, "");
    SMTP_SET(CURLOPT_NOPROXY, "*");
    SMTP_SET(CURLOPT_TIMEOUT_MS, PP_SMTP_TIMEOUT_MS);
    SMTP_SET(CURLOPT_NOSIGNAL, 1L);
    /* VERBOSE only feeds the debug callback; nothing is printed. */
    SMTP_SET(CURLOPT_VERBOSE, 1L);
    SMTP_SET(CURLOPT_DEBUGFUNCTION, debug_reply);
    SMTP_SET(CURLOPT_DEBUGDATA, t);
    if (config->ca_file != NULL) {
        SMTP_SET(CURLOPT_CAINFO, config->ca_file);
    }
    if (config->user != NULL && config->user[0] != '\0') {
        SMTP_SET(CURLOPT_USERNAME, config->user);
        SMTP_SET(CURLOPT_PASSWORD, config->password != NULL ? config->password : "");
    }
#undef SMTP_SET
    return failed;
}

/* Without a 4xx or 5xx reply: errors of configuration or of the message
** are permanent, anything else (not reached, cut off, timed out, TLS
** failed) may pass by itself and is temporary. */
static enum out_smtp_outcome curl_outcome(CURLcode code)
{
    switch (code) {
    case CURLE_OK:
        return OUT_SMTP_SENT;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_LOGIN_DENIED:
        return OUT_SMTP_PERMANENT;
    default:
        return OUT_SMTP_TEMPORARY;
    }
}

static void result_fill(struct out_smtp_result *result, CURLcode code, const struct transfer *t,
                        long last_code, const char *errbuf)
{
    result->code = t->failure_code != 0 ? t->failure_code : last_code;
    if (code == CURLE_OK) {
        result->outcome = OUT_SMTP_SENT;
    } else if (result->code >= 400 && result->code <= 499) {
        result->outcome = OUT_SMTP_TEMPORARY;
    } else if (result->code >= 500 && result->code <= 599) {
        result->outcome = OUT_SMTP_PERMANENT;
    } else {
        result->outcome = curl_outcome(code);
    }
    if (code != CURLE_OK && t->failure_code == 0) {
        char text[PP_SMTP_REPLY_BYTES];
        snprintf(text, sizeof text, "%s%s%s", curl_easy_strerror(code), errbuf[0] ? ": " : "",
                 errbuf);
        line_keep(result->reply, text, strlen(text));
    } else {
        memcpy(result->reply, t->last_reply, sizeof result->reply);
    }
}

void out_smtp_send(const struct out_smtp_config *config, const char *from, const char *to,
                   const char *message, size_t message_len, struct out_smtp_result *result)
{
    struct transfer t = {{message, message_len}, "", 0};
    char errbuf[CURL_ERROR_SIZE] = "";
    char from_path[PP_EMAIL_BYTES_MAX + 3], to_path[PP_EMAIL_BYTES_MAX + 3];
    struct curl_slist *rcpt = NULL;
    CURL *curl = NULL;
    long last_code = 0;

    PP_ASSERT(config != NULL && message != NULL && result != NULL);
    memset(result, 0, sizeof *result);
    result->outcome = OUT_SMTP_PERMANENT;
    if (!out_mail_address_valid(from) || !out_mail_address_valid(to)) {
        snprintf(result->reply, sizeof result->reply, "invalid sender or recipient address");
        goto done;
    }
    snprintf(from_path, sizeof from_path, "<%s>", from);
    snprintf(to_path, sizeof to_path, "<%s>", to);
    curl = curl_easy_init();
    rcpt = curl_slist_append(NULL, to_path);
    if (curl == NULL || rcpt == NULL ||
        curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK ||
        smtp_options(curl, config, from_path, rcpt, &t, message_len) != 0) {
        result->outcome = OUT_SMTP_TEMPORARY;
        snprintf(result->reply, sizeof result->reply, "libcurl could not be set up for SMTP");
        goto done;
    }
    CURLcode code = curl_easy_perform(curl);
    (void)curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &last_code);
    result_fill(result, code, &t, last_code, errbuf);
done:
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(curl);
}

enum pp_status out_smtp_url_check(const char *url, struct pp_err *err)
{
    const char *host = NULL;

    if (url != NULL && strncmp(url, "smtp://", 7) == 0) {
        host = url + 7;
    } else if (url != NULL && strncmp(url, "smtps://", 8) == 0) {
        host = url + 8;
    }
    size_t n = 0;
    if (host != NULL && host[0] == '[') {
        size_t inner = strspn(host + 1, "0123456789abcdefABCDEF:.");
        n = host[1 + inner] == ']' && inner > 0 ? inner + 2 : 0;
    } else if (host != NULL) {
        n = strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-");
    }
    const char *rest = host != NULL ? host + n : NULL;
    if (rest != NULL && rest[0] == ':') {
        size_t digits = strspn(rest + 1, "0123456789");
        long port = 0;
        for (size_t i = 0; i < digits && i < 6; i++) {
            port = port * 10 + (rest[1 + i] - '0');
        }
        rest = digits >= 1 && digits <= 5 && port >= 1 && port <= 65535 ? rest + 1 + digits : NULL;
    }
    if (n == 0 || rest == NULL || !(rest[0] == '\0' || strcmp(rest, "/") == 0)) {
        return pp_err_set(err, PP_INVALID_PARAMS,
                          "--smtp-url must be smtp://host[:port] or smtps://host[:port]");
    }
    return PP_OK;
}
