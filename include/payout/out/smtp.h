/*
** This header declares the sending of one composed e-mail over SMTP with
** libcurl (spec §9, recipient notifications): smtp://host:port, upgraded
** with STARTTLS whenever the server offers it, or smtps://host:port (TLS
** from the first byte); AUTH when a user is given; one sender, one
** recipient. The outcome is sent, a temporary failure (a 4xx reply, or the
** server could not be reached or talked to: retry on the schedule) or a
** permanent failure (a 5xx reply, or an invalid URL or address: retrying
** cannot help), with the server's last reply line.
**
** The caller reads the credentials (PAYOUT_SMTP_USER, PAYOUT_SMTP_PASSWORD)
** and calls curl_global_init once at start-up. Nothing here logs, and the
** reply kept is only ever a line the server sent, never a line sent to it,
** so the password cannot end up in it.
*/
#ifndef PAYOUT_OUT_SMTP_H
#define PAYOUT_OUT_SMTP_H

#include <stddef.h>

#include "payout/limits.h"
#include "payout/status.h"

/* Where and as whom to send; every pointer borrowed. */
struct out_smtp_config {
    const char *url;      /* "smtp://host:port" or "smtps://host:port" */
    const char *user;     /* NULL or "": no AUTH */
    const char *password; /* with user; NULL is "" */
    const char *ca_file;  /* NULL: the system's trusted certificates */
};

enum out_smtp_outcome {
    OUT_SMTP_SENT,
    OUT_SMTP_TEMPORARY,
    OUT_SMTP_PERMANENT,
};

struct out_smtp_result {
    enum out_smtp_outcome outcome;
    long code; /* the server's last reply code, 0 when none was read */
    /* The server's last reply line, or what went wrong when there was no
    ** reply ("could not connect: ..."); printable ASCII only. */
    char reply[PP_SMTP_REPLY_BYTES];
};

/* Checks an --smtp-url value: "smtp://" or "smtps://", then a host, an
** optional ":port" and nothing more than an optional "/". PP_INVALID_PARAMS
** with a message naming the flag. url borrowed. */
enum pp_status out_smtp_url_check(const char *url, struct pp_err *err);

/* Sends message[0..message_len) (a whole RFC 5322 message with CRLF line
** ends, as out_mail_compose makes it; libcurl adds the SMTP dot-stuffing)
** from envelope sender from to recipient to (both must pass
** out_mail_address_valid, else OUT_SMTP_PERMANENT without connecting).
** Blocks for at most PP_SMTP_TIMEOUT_MS. Fills *result. */
void out_smtp_send(const struct out_smtp_config *config, const char *from, const char *to,
                   const char *message, size_t message_len, struct out_smtp_result *result);

#endif /* PAYOUT_OUT_SMTP_H */
