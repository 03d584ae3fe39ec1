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
**
** A caller on a fiber (a write handler on an epoll worker, see
** payout/base/fiber.h) does not sleep: it parks, and its item is queued
** only once the fiber is off its stack and the server is ready to be
** woken. The writer wakes such an item's fiber itself (the server resumes
** its connection), after the sleeping callers' tree is under way.
*/
#include "store/queue.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#include "payout/base/assert.h"
#include "payout/base/fiber.h"
#include "payout/base/log.h"
#include "payout/base/metrics.h"
#include "payout/limits.h"

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

/* A fiber's item on its way to the queue (on the fiber's stack). */
struct queue_park {
    struct store_queue *q;
    struct store_queue_item *item;
    int refused; /* the queue was stopping: nothing queued */
};

/* Links item in at the tail and signals the writer. 0 (nothing linked)
** when the queue is stopping or not started. */
static int queue_link(struct store_queue *q, struct store_queue_item *item)
{
    PP_ASSERT(pthread_mutex_lock(&q->mu) == 0);
    if (q->stopping || !q->started) {
        pthread_mutex_unlock(&q->mu);
        return 0;
    }
    if (q->tail != NULL) {
        q->tail->next = item;
    } else {
        q->head = item;
    }
    q->tail = item;
    pp_metrics_write_queued_add(1);
    pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
    return 1;
}

/* Runs off the parked fiber's stack (pp_fiber_release). Once the item is
** linked, the writer may wake the fiber at any moment: nothing here is
** touched after. */
static void queue_park_then(void *arg)
{
    struct queue_park *park = arg;
    struct pp_fiber *fiber = park->item->fiber;
    if (!queue_link(park->q, park->item)) {
        park->refused = 1;
        pp_fiber_wake(fiber);
    }
}

enum pp_status store_queue_submit(struct store_queue *q, struct store_queue_item *item,
                                  struct pp_err *err)
{
    /* The writer waiting for itself would deadlock. */
    PP_ASSERT(!store_queue_on_writer(q));
    item->next = NULL;
    item->wake[0] = item->wake[1] = NULL;
    item->fiber = pp_fiber_current();
    if (item->fiber != NULL) {
        struct queue_park park = {q, item, 0};
        pp_fiber_park(queue_park_then, &park);
        return park.refused ? pp_err_set(err, PP_UNAVAILABLE, "storage is shutting down") : PP_OK;
    }
    PP_ASSERT(sem_init(&item->done, 0, 0) == 0);
    enum pp_status status = PP_OK;
    if (!queue_link(q, item)) {
        status = pp_err_set(err, PP_UNAVAILABLE, "storage is shutting down");
        goto done;
    }
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

/* Moves up to max queued items into batch, waiting for one first when
** wait is set. */
static size_t queue_take(struct store_queue *q, struct store_queue_item **batch, size_t max,
                         int wait)
{
    size_t n = 0;
    PP_ASSERT(pthread_mutex_lock(&q->mu) == 0);
    while (wait && q->head == NULL && !q->stopping) {
        pthread_cond_wait(&q->cv, &q->mu);
    }
    while (q->head != NULL && n < max) {
        batch[n++] = q->head;
        q->head = q->head->next;
    }
    if (q->head == NULL) {
        q->tail = NULL;
    }
    pp_metrics_write_queued_add(-(int64_t)n);
    pthread_mutex_unlock(&q->mu);
    return n;
}

size_t store_queue_take(struct store_queue *q, struct store_queue_item **batch, size_t max)
{
    return queue_take(q, batch, max, 1);
}

size_t store_queue_take_ready(struct store_queue *q, struct store_queue_item **batch, size_t max)
{
    return queue_take(q, batch, max, 0);
}

void store_queue_finish(struct store_queue_item **batch, size_t n)
{
    struct store_queue_item *sleeping[PP_WRITER_BATCH_MAX];
    struct pp_fiber *parked[PP_WRITER_BATCH_MAX];
    size_t s = 0;
    size_t p = 0;
    PP_ASSERT(n <= PP_WRITER_BATCH_MAX);
    for (size_t i = 0; i < n; i++) {
        if (batch[i]->fiber != NULL) {
            parked[p++] = batch[i]->fiber;
        } else {
            sleeping[s++] = batch[i];
        }
    }
    for (size_t i = 0; i < s; i++) {
        size_t left = 2 * i + 1;
        sleeping[i]->wake[0] = left < s ? sleeping[left] : NULL;
        sleeping[i]->wake[1] = left + 1 < s ? sleeping[left + 1] : NULL;
    }
    if (s > 0) {
        PP_ASSERT(sem_post(&sleeping[0]->done) == 0);
    }
    for (size_t i = 0; i < p; i++) {
        pp_fiber_wake(parked[i]);
    }
}
