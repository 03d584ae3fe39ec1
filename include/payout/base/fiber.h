/*
** This header declares pp_fiber: a handler's own stack on the thread that
** started it, so that a handler which must wait (for the writer's commit)
** can step aside instead of holding a thread. The server runs a write
** request's handler on a fiber on its epoll worker; when the handler's
** write is queued the fiber parks, the worker goes on serving other
** connections, and the writer's wake-up brings the fiber back on the same
** worker, where it finishes the handler. No thread waits per request.
**
** Rules a fiber's code keeps:
** - A fiber parks only through pp_fiber_park, and only the thread that
**   started it resumes it (its stack and thread-locals belong there).
** - Nothing that blocks the thread (a lock another fiber of the thread may
**   hold, a wait for another request) is held across a park.
** - Thread-local state that must follow a request across a park is
**   registered with pp_fiber_local_register: each fiber has its own value
**   of every registered slot, saved and restored at each switch.
*/
#ifndef PAYOUT_BASE_FIBER_H
#define PAYOUT_BASE_FIBER_H

struct pp_fiber;

/* Runs on the fiber. */
typedef void (*pp_fiber_fn)(void *arg);

/* A new fiber that will run fn(arg) when first switched to; wake(wake_arg)
** is what pp_fiber_wake calls. Its stack comes from the calling thread's
** spares or a new mapping with a guard page below it. */
struct pp_fiber *pp_fiber_create(pp_fiber_fn fn, void *arg, void (*wake)(void *), void *wake_arg);

/* Runs f on this thread (the one that created it) until fn returns or f
** parks. 1 when fn returned: f is gone (its stack is kept for the
** thread's next fiber). 0 when it parked: call pp_fiber_release next. Must
** not be called on a fiber. */
int pp_fiber_switch(struct pp_fiber *f);

/* After pp_fiber_switch answered 0, once the caller is ready to be woken
** (the server has suspended the connection): runs the then() the fiber
** parked with. Until then nothing can wake f. */
void pp_fiber_release(struct pp_fiber *f);

/* The fiber running on this thread, or NULL. */
struct pp_fiber *pp_fiber_current(void);

/* On a fiber: steps off it back to the thread's pp_fiber_switch, which
** answers 0; then(then_arg) runs at pp_fiber_release, off the fiber's
** stack. Returns once the fiber is switched to again. then must arrange
** for pp_fiber_wake(f) to be called exactly once (it may call it itself). */
void pp_fiber_park(void (*then)(void *), void *then_arg);

/* From any thread: asks for f to be switched to again (calls its wake).
** The caller must not touch f, nor anything on its stack, afterwards. */
void pp_fiber_wake(struct pp_fiber *f);

/* Registers a thread-local object pointer: addr() answers the address of
** the calling thread's one (a T *, for any object type T). Each fiber
** starts with NULL in it and keeps its own value across parks. Idempotent
** per addr; at most PP_FIBER_LOCALS_MAX slots; call before the first
** fiber runs. */
void pp_fiber_local_register(void *(*addr)(void));

#endif /* PAYOUT_BASE_FIBER_H */
