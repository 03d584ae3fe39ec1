/*
** This module implements the unit tests' temporary directories
** (support/tmpdir.h): mkdtemp under /tmp and a depth-first removal.
*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "support/tmpdir.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

int unit_tmpdir_create(const char *prefix, const char *file, char *dir, size_t dir_size, char *path,
                       size_t path_size)
{
    int n = snprintf(dir, dir_size, "/tmp/%sXXXXXX", prefix);
    if (n < 0 || (size_t)n >= dir_size || mkdtemp(dir) == NULL) {
        return -1;
    }
    n = snprintf(path, path_size, "%s/%s", dir, file);
    return n < 0 || (size_t)n >= path_size ? -1 : 0;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void unit_tmpdir_destroy(const char *dir)
{
    if (dir[0] != '\0') {
        nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    }
}
