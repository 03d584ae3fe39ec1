/*
** This header declares the temporary directories the unit tests keep their
** databases in: one fresh directory per test, removed with everything in
** it afterwards.
*/
#ifndef PP_UNIT_TMPDIR_H
#define PP_UNIT_TMPDIR_H

#include <stddef.h>

/* Creates a fresh directory /tmp/<prefix>XXXXXX (mode 0700) and writes its
** path into dir, and "<dir>/<file>" into path. Returns 0, or -1 when the
** names do not fit or the directory cannot be made. */
int unit_tmpdir_create(const char *prefix, const char *file, char *dir, size_t dir_size, char *path,
                       size_t path_size);

/* Removes dir and everything below it. "" is a no-op. */
void unit_tmpdir_destroy(const char *dir);

#endif /* PP_UNIT_TMPDIR_H */
