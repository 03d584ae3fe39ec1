/*
** This module implements the handler pool (see payout/http/offload.h): a
** FIFO of intrusive jobs and a fixed number of threads that take them in
** order. Threads block the server's stop signals (main waits for those)
** and run with a bounded stack. It does not know what a job does.
*/
#include "payout/http/offload.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "payout/base/assert.h"
#include "payout/base/log.h"
#include "payout/limits.h"

struct http_offload {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct http_job *head;
    struct http_job *tail;
    int stopping;
    unsigned threads;
    pthread_t tids[PP_HANDLER_THREADS_MAX];
};

/* The next job, or NULL once stopping and the queue is empty. */
static struct http_job *offload_take(struct http_offload *o)
{
    PP_ASSERT(pthread_mutex_lock(&o->mu) == 0);
    while (o->head == NULL && !o->stopping) {
        pthread_cond_wait(&o->cv, &o->mu);
    }
    struct http_job *job = o->head;
    if (job != NULL) {
        o->head = job->next;
        if (o->head == NULL) {
            o->tail = NULL;
        }
        job->next = NULL;
    }
    pthread_mutex_unlock(&o->mu);
    return job;
}

static void *offload_main(void *arg)
{
    struct http_offload *o = arg;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    for (;;) {
        struct http_job *job = offload_take(o);
        if (job == NULL) {
            break;
        }
        job->run(job->arg);
    }
    return NULL;
}

struct http_offload *http_offload_start(unsigned threads)
{
    PP_ASSERT(threads >= 1 && threads <= PP_HANDLER_THREADS_MAX);
    struct http_offload *o = pp_check_alloc(calloc(1, sizeof *o));
    PP_ASSERT(pthread_mutex_init(&o->mu, NULL) == 0);
    PP_ASSERT(pthread_cond_init(&o->cv, NULL) == 0);
    pthread_attr_t attr;
    PP_ASSERT(pthread_attr_init(&attr) == 0);
    PP_ASSERT(pthread_attr_setstacksize(&attr, PP_HANDLER_STACK_BYTES) == 0);
    for (unsigned i = 0; i < threads; i++) {
        int rc = pthread_create(&o->tids[i], &attr, offload_main, o);
        if (rc != 0) {
            pp_log(PP_LOG_WARN, "http: started %u of %u handler threads: %s", i, threads,
                   strerror(rc));
            break;
        }
        o->threads = i + 1;
    }
    pthread_attr_destroy(&attr);
    PP_ASSERT(o->threads > 0);
    return o;
}

int http_offload_submit(struct http_offload *o, struct http_job *job, void (*before)(void *),
                        void *before_arg)
{
    PP_ASSERT(o != NULL && job != NULL && job->run != NULL);
    int queued = 0;
    PP_ASSERT(pthread_mutex_lock(&o->mu) == 0);
    if (!o->stopping) {
        if (before != NULL) {
            before(before_arg);
        }
        job->next = NULL;
        if (o->tail != NULL) {
            o->tail->next = job;
        } else {
            o->head = job;
        }
        o->tail = job;
        pthread_cond_signal(&o->cv);
        queued = 1;
    }
    pthread_mutex_unlock(&o->mu);
    return queued;
}

void http_offload_stop(struct http_offload *o)
{
    if (o == NULL) {
        return;
    }
    PP_ASSERT(pthread_mutex_lock(&o->mu) == 0);
    o->stopping = 1;
    pthread_cond_broadcast(&o->cv);
    pthread_mutex_unlock(&o->mu);
    for (unsigned i = 0; i < o->threads; i++) {
        PP_ASSERT(pthread_join(o->tids[i], NULL) == 0);
    }
    PP_ASSERT(o->head == NULL);
    pthread_cond_destroy(&o->cv);
    pthread_mutex_destroy(&o->mu);
    free(o);
}
