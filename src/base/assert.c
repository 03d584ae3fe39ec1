/*
** This module implements the always-on assertion and the allocation check.
*/
#include "payout/base/assert.h"

#include <stdio.h>
#include <stdlib.h>

_Noreturn void pp_assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "payout-panel: assertion failed: %s (%s:%d)\n", expr, file, line);
    fflush(stderr);
    abort();
}

void *pp_check_alloc(void *p)
{
    if (p == NULL) {
        fputs("payout-panel: out of memory\n", stderr);
        abort();
    }
    return p;
}
