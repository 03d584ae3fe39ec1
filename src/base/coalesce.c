/*
** This module implements pp_coalesce (see payout/base/coalesce.h). Reads
** are numbered in the order they begin. A caller notes the number the
** next read to begin will have (begun + 1): any read with that number or
** a later one began after the call. It waits until such a read has ended,
** starting it itself when no read is running, and takes the result of
** the last read ended (whose number is at least its own). The result is
** kept only as long as a later read has not ended: each wave overwrites
** it under the lock.
*/
#include "payout/base/coalesce.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "payout/base/assert.h"

struct pp_coalesce {
    pp_coalesce_fn fn;
    void *arg;
    size_t result_size;
    pthread_mutex_t mu;
    pthread_cond_t cv;        /* broadcast when a read ends */
    unsigned long long begun; /* reads begun, guarded by mu */
    unsigned long long ended; /* number of the last read ended, guarded by mu */
    int running;              /* a read is under way, guarded by mu */
    enum pp_status status;    /* of read `ended`, guarded by mu */
    struct pp_err err;        /* of read `ended`, guarded by mu */
    unsigned char *result;    /* of read `ended`, guarded by mu */
    unsigned char *scratch;   /* the running read's result, the reader's alone */
};

struct pp_coalesce *pp_coalesce_create(pp_coalesce_fn fn, void *arg, size_t result_size)
{
    PP_ASSERT(fn != NULL && result_size > 0);
    struct pp_coalesce *c = pp_check_alloc(calloc(1, sizeof *c));
    c->fn = fn;
    c->arg = arg;
    c->result_size = result_size;
    c->result = pp_check_alloc(calloc(1, result_size));
    c->scratch = pp_check_alloc(calloc(1, result_size));
    PP_ASSERT(pthread_mutex_init(&c->mu, NULL) == 0);
    PP_ASSERT(pthread_cond_init(&c->cv, NULL) == 0);
    return c;
}

void pp_coalesce_destroy(struct pp_coalesce *c)
{
    if (c == NULL) {
        return;
    }
    PP_ASSERT(!c->running);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    free(c->scratch);
    free(c->result);
    free(c);
}

/* Runs read number `number` with mu released; called with mu held and
** returns with it held, the result published. */
static void coalesce_run(struct pp_coalesce *c, unsigned long long number)
{
    c->running = 1;
    pthread_mutex_unlock(&c->mu);
    struct pp_err err;
    pp_err_clear(&err);
    memset(c->scratch, 0, c->result_size);
    enum pp_status status = c->fn(c->arg, c->scratch, &err);
    PP_ASSERT(pthread_mutex_lock(&c->mu) == 0);
    memcpy(c->result, c->scratch, c->result_size);
    c->status = status;
    c->err = err;
    c->ended = number;
    c->running = 0;
    pthread_cond_broadcast(&c->cv);
}

enum pp_status pp_coalesce_read(struct pp_coalesce *c, void *result, struct pp_err *err)
{
    PP_ASSERT(pthread_mutex_lock(&c->mu) == 0);
    unsigned long long want = c->begun + 1;
    while (c->ended < want) {
        if (!c->running) {
            coalesce_run(c, ++c->begun);
        } else {
            pthread_cond_wait(&c->cv, &c->mu);
        }
    }
    memcpy(result, c->result, c->result_size);
    enum pp_status status = c->status;
    if (status != PP_OK && err != NULL && err->status == PP_OK) {
        *err = c->err;
    }
    pthread_mutex_unlock(&c->mu);
    return status;
}

unsigned long long pp_coalesce_reads(struct pp_coalesce *c)
{
    PP_ASSERT(pthread_mutex_lock(&c->mu) == 0);
    unsigned long long n = c->begun;
    pthread_mutex_unlock(&c->mu);
    return n;
}
