/*
** This header declares the handler pool: a fixed set of threads that run
** request handlers which wait (a write waits for its group commit to be on
** disk) so that libmicrohttpd's few epoll workers keep serving other
** connections meanwhile. The more writers wait at once, the more of them
** share one commit: the pool is what lets group commit group.
**
** The pool knows nothing of HTTP: the server suspends a connection, hands
** a job here and resumes the connection from the job. Jobs are intrusive
** (struct http_job lives in the caller's request), so submitting never
** allocates.
*/
#ifndef PAYOUT_HTTP_OFFLOAD_H
#define PAYOUT_HTTP_OFFLOAD_H

struct http_job {
    void (*run)(void *arg); /* runs on a pool thread */
    void *arg;
    struct http_job *next; /* owned by the pool while queued */
};

struct http_offload;

/* Starts `threads` (1..PP_HANDLER_THREADS_MAX) pool threads. New; release
** with http_offload_stop. Aborts if no thread can be started. */
struct http_offload *http_offload_start(unsigned threads);

/* Queues job unless the pool is stopping. When it queues, it first calls
** before(before_arg) under the pool's lock, so that the job cannot run (and
** finish) before `before` has returned: the server suspends the connection
** there. Returns 1 when queued, 0 when refused (before was not called; the
** caller runs the work itself). */
int http_offload_submit(struct http_offload *o, struct http_job *job, void (*before)(void *),
                        void *before_arg);

/* Refuses new jobs, runs every job already queued, joins the threads and
** frees o. NULL is a no-op. */
void http_offload_stop(struct http_offload *o);

#endif /* PAYOUT_HTTP_OFFLOAD_H */
