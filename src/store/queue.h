/*
** This private header declares the store's writer queue (queue.c), which
** both backends' writers are built on: callers queue an item and sleep
** until the writer thread has run it with whatever else was waiting; the
** writer takes up to a batch at a time and wakes the batch's callers.
** What a batch runs, and how, is the backend's (src/store/sqlite/writer.c,
** src/store/pg/writer.c); the queue knows only items, the thread and the
** wake-ups.
**
** A backend embeds struct store_queue_item as the FIRST member of its
** request (so an item pointer converts back to the request) and keeps one
** struct store_queue. Items live on their callers' stacks: once an item's
** caller is woken it may return at any moment, so nobody touches it after.
*/
#ifndef PAYOUT_STORE_QUEUE_H
#define PAYOUT_STORE_QUEUE_H

#include <pthread.h>
#include <semaphore.h>
#include <stddef.h>

#include "payout/status.h"

struct store_queue_item {
    struct store_queue_item *next;
    /* Posted once when the item's batch is over; its caller waits on it
    ** alone, so waking a batch takes no shared lock. */
    sem_t done;
    /* Set by the writer before it wakes anyone: the items of the same
    ** batch this item's caller wakes once it is woken, or NULL. */
    struct store_queue_item *wake[2];
    /* The fiber that parked on this item (payout/base/fiber.h), or NULL
    ** when its caller's thread sleeps on done. */
    struct pp_fiber *fiber;
};

struct store_queue {
    /* Guards head, tail and stopping. */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct store_queue_item *head;
    struct store_queue_item *tail;
    int stopping;
    int started;
    pthread_t thread;
};

void store_queue_init(struct store_queue *q);
void store_queue_destroy(struct store_queue *q);

/* Starts the writer thread running main(arg). PP_INTERNAL when the thread
** cannot be created (logged). */
enum pp_status store_queue_start(struct store_queue *q, void *(*main)(void *), void *arg,
                                 struct pp_err *err);
/* Lets the queue drain (the writer's take answers 0 once it is empty) and
** joins the thread. Does nothing when it never started. */
void store_queue_stop(struct store_queue *q);
/* 1 when the calling thread is the writer. */
int store_queue_on_writer(const struct store_queue *q);

/* The writer thread's own set-up: blocks the process signals meant for the
** server's own threads (the writer only commits; faults stay unblocked). */
void store_queue_writer_signals(void);

/* Caller side: queues item and sleeps until its batch is over, then wakes
** its share of the batch. On a fiber it parks instead, and the item is
** queued once the fiber is off its stack (pp_fiber_release); the writer
** wakes the fiber. PP_UNAVAILABLE (nothing queued) when the queue is
** stopping or not started. Must not be called on the writer thread. */
enum pp_status store_queue_submit(struct store_queue *q, struct store_queue_item *item,
                                  struct pp_err *err);

/* Writer side: waits for work and moves up to max items into batch.
** Returns how many; 0 once the queue is stopping and empty. */
size_t store_queue_take(struct store_queue *q, struct store_queue_item **batch, size_t max);
/* Writer side: moves up to max items already queued into batch, without
** waiting (a batch that grows while its writer waited on something else).
** Returns how many, maybe 0. */
size_t store_queue_take_ready(struct store_queue *q, struct store_queue_item **batch, size_t max);
/* Writer side: wakes the n callers of batch: the sleeping ones as a
** binary tree, the parked fibers each (queue.c). The writer must not touch
** the items afterwards. */
void store_queue_finish(struct store_queue_item **batch, size_t n);

#endif
