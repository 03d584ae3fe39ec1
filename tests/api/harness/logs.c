/*
** This module implements the log archive of the harness (harness/logs.h):
** every server's stdout and stderr are copied to
** PP_TEST_TMPDIR/server-logs/ when it is destroyed, and every secret a
** test handled is noted there, so that test_logs can check that no log
** holds one.
*/
#include "harness/logs.h"
#include "harness/internal.h"
#include "harness/util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Appends src to the open archive file out under a header line. */
static void archive_one(FILE *out, const char *label, const char *src)
{
    size_t len = 0;
    char *text = pp_file_read(src, &len);
    if (text != NULL) {
        fprintf(out, "==== %s %s ====\n", label, src);
        fwrite(text, 1, len, out);
        fputc('\n', out);
        free(text);
    }
}

void harness_logs_archive(const struct pp_server *s)
{
    if (s->dir[0] == '\0' || s->out_path[0] == '\0') {
        return;
    }
    char path[1200];
    static int seq;
    if (harness_dir_make(pp_log_archive_dir()) != 0) {
        return;
    }
    snprintf(path, sizeof path, "%s/server-%d-%d.log", pp_log_archive_dir(), (int)getpid(),
             __atomic_fetch_add(&seq, 1, __ATOMIC_SEQ_CST));
    FILE *out = fopen(path, "w");
    if (out != NULL) {
        archive_one(out, "stdout", s->out_path);
        archive_one(out, "stderr", s->err_path);
        fclose(out);
    }
}

const char *pp_log_archive_dir(void)
{
    static char dir[600];
    snprintf(dir, sizeof dir, "%s/server-logs", harness_tmp_base());
    return dir;
}

void pp_secret_note(const char *secret)
{
    harness_init();
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    char path[700];
    if (secret == NULL || secret[0] == '\0') {
        return;
    }
    pthread_mutex_lock(&lock);
    if (harness_dir_make(pp_log_archive_dir()) == 0) {
        snprintf(path, sizeof path, "%s/secrets.txt", pp_log_archive_dir());
        FILE *f = fopen(path, "a");
        if (f != NULL) {
            fprintf(f, "%s\n", secret);
            fclose(f);
        }
    }
    pthread_mutex_unlock(&lock);
}
