/*
** This module implements diagnostic and access logging. Each line is built
** whole and written with one fwrite under the stream's lock, so concurrent
** threads never interleave within a line. It never sees secrets: callers
** pass only what may be logged.
*/
#include "payout/base/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

static _Atomic int log_level = PP_LOG_INFO;
static FILE *_Atomic access_out = NULL;
static atomic_int access_set = 0;

void pp_log_set_level(enum pp_log_level level)
{
    atomic_store(&log_level, (int)level);
}

void pp_log_set_access(FILE *out)
{
    atomic_store(&access_out, out);
    atomic_store(&access_set, 1);
}

void pp_log(enum pp_log_level level, const char *fmt, ...)
{
    static const char *const names[] = {"DEBUG", "INFO", "WARN", "ERROR"};
    if ((int)level < atomic_load(&log_level)) {
        return;
    }
    char line[1024];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%SZ ", &tm);
    n += (size_t)snprintf(line + n, sizeof line - n, "%s ", names[level]);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - n - 1, fmt, ap);
    va_end(ap);
    if (m < 0) {
        m = 0;
    }
    n += (size_t)m;
    if (n > sizeof line - 2) {
        n = sizeof line - 2;
    }
    line[n++] = '\n';
    fwrite(line, 1, n, stderr);
}

/* Where access-log lines go now (NULL: nowhere). */
static FILE *access_target(void)
{
    return atomic_load(&access_set) ? atomic_load(&access_out) : stderr;
}

int pp_log_access_on(void)
{
    return access_target() != NULL;
}

void pp_log_access(const char *line, size_t len)
{
    FILE *out = access_target();
    if (out == NULL) {
        return;
    }
    flockfile(out);
    fwrite_unlocked(line, 1, len, out);
    fputc_unlocked('\n', out);
    funlockfile(out);
}
