/*
** This module implements the replay driver: a main() for the fuzz targets
** when they are built without libFuzzer (gcc, ctest). Each argument is a
** corpus directory (or a file); every regular file in it is read and fed
** once to LLVMFuzzerTestOneInput, in name order. A broken property aborts
** (a test failure); an empty or unreadable corpus fails too, so a missing
** corpus is never a silent pass. It prints how many inputs it ran.
*/
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Largest input replayed (the corpora hold small files). */
#define REPLAY_FILE_BYTES_MAX (1024u * 1024u)
#define REPLAY_FILES_MAX 100000u

/* Reads path and runs it. 0 on success, -1 when it cannot be read. */
static int replay_file(const char *path)
{
    int rc = -1;
    FILE *f = fopen(path, "rb");
    uint8_t *data = malloc(REPLAY_FILE_BYTES_MAX);
    if (f != NULL && data != NULL) {
        size_t n = fread(data, 1, REPLAY_FILE_BYTES_MAX, f);
        if (!ferror(f)) {
            /* A copy of exactly n bytes, so ASan sees any overread. */
            uint8_t *copy = malloc(n > 0 ? n : 1);
            if (copy != NULL) {
                memcpy(copy, data, n);
                (void)LLVMFuzzerTestOneInput(copy, n);
                free(copy);
                rc = 0;
            }
        }
    }
    if (f != NULL) {
        fclose(f);
    }
    free(data);
    return rc;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every regular file of dir; adds to *count. -1 on a read error. */
static int replay_dir(const char *dir, unsigned *count)
{
    int rc = 0;
    char **names = calloc(REPLAY_FILES_MAX, sizeof *names);
    size_t n = 0;
    DIR *d = opendir(dir);
    if (d == NULL || names == NULL) {
        fprintf(stderr, "replay: cannot read %s\n", dir);
        rc = -1;
        goto done;
    }
    for (struct dirent *e = readdir(d); e != NULL && n < REPLAY_FILES_MAX; e = readdir(d)) {
        if (e->d_name[0] != '.') {
            names[n++] = strdup(e->d_name);
        }
    }
    qsort(names, n, sizeof names[0], by_name);
    for (size_t i = 0; i < n && rc == 0; i++) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            rc = replay_file(path);
            if (rc != 0) {
                fprintf(stderr, "replay: cannot read %s\n", path);
            }
            *count += 1;
        }
    }
done:
    for (size_t i = 0; i < n; i++) {
        free(names[i]);
    }
    free(names);
    if (d != NULL) {
        closedir(d);
    }
    return rc;
}

int main(int argc, char **argv)
{
    unsigned count = 0;
    int rc = 0;
    if (argc < 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR|FILE...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc && rc == 0; i++) {
        struct stat st;
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            rc = replay_dir(argv[i], &count);
        } else {
            rc = replay_file(argv[i]);
            count++;
        }
    }
    if (rc == 0 && count == 0) {
        fprintf(stderr, "replay: no inputs found\n");
        rc = 1;
    }
    printf("%s: %u inputs replayed%s\n", argv[0], count, rc == 0 ? ", all passed" : "");
    return rc == 0 ? 0 : 1;
}
