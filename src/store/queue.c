/*
** This module implements the store's writer queue (queue.h): the queue
** both backends' group-commit writers take their batches from, the writer
** thread's start and stop, and the wake-up of a finished batch.
**
** Waking a batch: the writer posts only the first caller, and each woken
** caller posts the two it was given before it carries on (a binary tree).
** The writer then spends one wake-up per batch instead of one per request
** (a futex call that was ~10% of its time with 64 callers), and the
** wake-ups run on the callers' threads, 6 levels deep for 64. Every wake[]
** is set before the first post: once an item's done is posted, its caller
** may return and the item vanish (it lives on the caller's stack).
*/
#include "store/queue.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#include "payout/base/assert.h"
#include "payout/base/log.h"

void store_queue_init(struct store_queue *q)
{
    memset(q, 0, sizeof *q);
    PP_ASSERT(pthread_mutex_init(&q->mu, NULL) == 0);
    PP_ASSERT(pthread_cond_init(&q->cv, NULL) == 0);
}

void store_queue_destroy(struct store_queue *q)
{
    PP_ASSERT(!q->started && q->head == NULL);
    pthread_cond_destroy(&q->cv);
    pthread_mutex_destroy(&q->mu);
}

enum pp_status store_queue_start(struct store_queue *q, void *(*main)(void *), void *arg,
                                 struct pp_err *err)
{
    PP_ASSERT(!q->started);
    enum pp_status status = PP_OK;
    /* Held so that a reader of started also sees thread set. */
    PP_ASSERT(pthread_mutex_lock(&q->mu) == 0);
    q->stopping = 0;
    int rc = pthread_create(&q->thread, NULL, main, arg);
    if (rc == 0) {
        q->started = 1;
    } else {
        pp_log(PP_LOG_ERROR, "store: cannot start the writer thread: %s", strerror(rc));
        status = pp_err_set(err, PP_INTERNAL, "storage error");
    }
    pthread_mutex_unlock(&q->mu);
    return status;
}

void store_queue_stop(struct store_queue *q)
{
    if (!q->started) {
        return;
    }
    PP_ASSERT(!pthread_equal(pthread_self(), q->thread));
    PP_ASSERT(pthread_mutex_lock(&q->mu) == 0);
    q->stopping = 1;
    pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
    PP_ASSERT(pthread_join(q->thread, NULL) == 0);
    q->started = 0;
}

int store_queue_on_writer(const struct store_queue *q)
{
    return q->started && pthread_equal(pthread_self(), q->thread);
}

void store_queue_writer_signals(void)
{
    static const int quiet[] = {SIGINT,  SIGTERM, SIGHUP,  SIGQUIT, SIGUSR1,
                                SIGUSR2, SIGPIPE, SIGALRM, SIGCHLD};
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < sizeof quiet / sizeof quiet[0]; i++) {
        sigaddset(&set, quiet[i]);
    }
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

enum pp_status store_queue_submit(struct store_queue *q, struct store_queue_item *item,
                                  struct pp_err *err)
{
    /* The writer waiting for itself would deadlock. */
    PP_ASSERT(!store_queue_on_writer(q));
    item->next = NULL;
    item->wake[0] = item->wake[1] = NULL;
    PP_ASSERT(sem_init(&item->done, 0, 0) == 0);
    enum pp_status status = PP_OK;
    PP_ASSERT(pthread_mutex_lock(&q->mu) == 0);
    if (q->stopping || !q->started) {
        pthread_mutex_unlock(&q->mu);
        status = pp_err_set(err, PP_UNAVAILABLE, "storage is shutting down");
        goto done;
    }
    if (q->tail != NULL) {
        q->tail->next = item;
    } else {
        q->head = item;
    }
    q->tail = item;
    pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
    /* The writer posts exactly once; EINTR (a signal) just waits again. */
    while (sem_wait(&item->done) != 0) {
        PP_ASSERT(errno == EINTR);
    }
    /* Our part of waking the batch; a woken item may vanish at once, so
    ** each is posted and then left alone. */
    for (int i = 0; i < 2; i++) {
        if (item->wake[i] != NULL) {
            PP_ASSERT(sem_post(&item->wake[i]->done) == 0);
        }
    }
done:
    sem_destroy(&item->done);
    return status;
}

size_t store_queue_take(struct store_queue *q, struct store_queue_item **batch, size_t max)
{
    size_t n = 0;
    PP_ASSERT(pthread_mutex_lock(&q->mu) == 0);
    while (q->head == NULL && !q->stopping) {
        pthread_cond_wait(&q->cv, &q->mu);
    }
    while (q->head != NULL && n < max) {
        batch[n++] = q->head;
        q->head = q->head->next;
    }
    if (q->head == NULL) {
        q->tail = NULL;
    }
    pthread_mutex_unlock(&q->mu);
    return n;
}

void store_queue_finish(struct store_queue_item **batch, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t left = 2 * i + 1;
        batch[i]->wake[0] = left < n ? batch[left] : NULL;
        batch[i]->wake[1] = left + 1 < n ? batch[left + 1] : NULL;
    }
    if (n > 0) {
        PP_ASSERT(sem_post(&batch[0]->done) == 0);
    }
}
