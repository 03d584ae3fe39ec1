/*
** This header declares the server's logging: human-readable diagnostic
** lines on stderr, and one structured JSON access-log line per request.
** Nothing passed here may contain a password or token: callers log ids,
** never secrets.
*/
#ifndef PAYOUT_BASE_LOG_H
#define PAYOUT_BASE_LOG_H

#include <stdio.h>

enum pp_log_level { PP_LOG_DEBUG, PP_LOG_INFO, PP_LOG_WARN, PP_LOG_ERROR };

/* Lines below level are dropped. Default PP_LOG_INFO. */
void pp_log_set_level(enum pp_log_level level);
/* Where access-log lines go; NULL turns them off. Default stderr. Borrowed. */
void pp_log_set_access(FILE *out);
/* One diagnostic line: "<utc time> <LEVEL> <message>\n" on stderr. */
void pp_log(enum pp_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Writes line (already a JSON object, no newline) plus "\n" to the access
** log in one write, so lines from concurrent threads never interleave. */
void pp_log_access(const char *line, size_t len);
/* 1 when access-log lines go somewhere (a line need not be built when 0). */
int pp_log_access_on(void);

#endif /* PAYOUT_BASE_LOG_H */
