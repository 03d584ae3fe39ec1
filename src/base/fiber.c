/*
** This module implements pp_fiber (payout/base/fiber.h) on ucontext: a
** fiber is a mapping holding a guard page, its stack and, at the top, its
** struct pp_fiber. A thread switches into a fiber with swapcontext from
** pp_fiber_switch and the fiber switches back to that same point when it
** parks or its function returns; fibers never switch to each other. The
** thread-local slots registered with pp_fiber_local_register are swapped
** at both edges (copied as bytes, so a slot may hold any object pointer),
** so a fiber sees its own values and the thread its own.
** Finished fibers' mappings are kept per thread for the next fibers.
**
** Under AddressSanitizer every switch is announced
** (__sanitizer_start_switch_fiber / __sanitizer_finish_switch_fiber), so
** it knows which stack is live, and a reused stack is unpoisoned first.
*/
#include "payout/base/fiber.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "payout/base/assert.h"
#include "payout/limits.h"

#if defined(__SANITIZE_ADDRESS__)
#define FIBER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FIBER_ASAN 1
#endif
#endif

#ifdef FIBER_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

/* Under valgrind (its header is there when `make valgrind` built us) each
** fiber's stack is registered, so that valgrind knows a switch to it from
** a wild stack pointer. Outside valgrind the requests do nothing. */
#ifdef PP_HAVE_VALGRIND_H
#include <valgrind/valgrind.h>
#define FIBER_STACK_REGISTER(f)                                                                    \
    ((f)->valgrind_id = VALGRIND_STACK_REGISTER((f)->stack, (f)->stack + (f)->stack_bytes))
#define FIBER_STACK_DEREGISTER(f) VALGRIND_STACK_DEREGISTER((f)->valgrind_id)
#else
#define FIBER_STACK_REGISTER(f) ((void)(f))
#define FIBER_STACK_DEREGISTER(f) ((void)(f))
#endif

struct pp_fiber {
    ucontext_t ctx; /* where the fiber goes on when switched to */
    pp_fiber_fn fn;
    void *arg;
    void (*wake)(void *);
    void *wake_arg;
    void (*then)(void *); /* set by pp_fiber_park, run by pp_fiber_release */
    void *then_arg;
    void *locals[PP_FIBER_LOCALS_MAX];
    char *map; /* the whole mapping: guard page, stack, this struct */
    size_t map_bytes;
    char *stack; /* the usable stack, above the guard page */
    size_t stack_bytes;
    int finished;
    struct pp_fiber *next_spare;
    /* AddressSanitizer's fake stack of the fiber while it is parked, and
    ** the thread's stack it switches back to. */
    void *fake_stack;
    const void *back_bottom;
    size_t back_size;
    unsigned valgrind_id; /* the stack's registration under valgrind */
};

static _Thread_local struct pp_fiber *current;
static _Thread_local ucontext_t back; /* the thread's side of a switch */
static _Thread_local struct pp_fiber *spares;
static _Thread_local unsigned spare_count;

static pthread_mutex_t locals_mu = PTHREAD_MUTEX_INITIALIZER;
static void *(*locals_addr[PP_FIBER_LOCALS_MAX])(void);
static _Atomic unsigned locals_count;

void pp_fiber_local_register(void *(*addr)(void))
{
    PP_ASSERT(addr != NULL);
    PP_ASSERT(pthread_mutex_lock(&locals_mu) == 0);
    unsigned n = atomic_load(&locals_count);
    int known = 0;
    for (unsigned i = 0; i < n; i++) {
        known |= locals_addr[i] == addr;
    }
    if (!known) {
        PP_ASSERT(n < PP_FIBER_LOCALS_MAX);
        locals_addr[n] = addr;
        atomic_store(&locals_count, n + 1);
    }
    pthread_mutex_unlock(&locals_mu);
}

static void asan_start(void **fake_save, const void *bottom, size_t size)
{
#ifdef FIBER_ASAN
    __sanitizer_start_switch_fiber(fake_save, bottom, size);
#else
    (void)fake_save;
    (void)bottom;
    (void)size;
#endif
}

static void asan_finish(void *fake_save, const void **bottom_old, size_t *size_old)
{
#ifdef FIBER_ASAN
    __sanitizer_finish_switch_fiber(fake_save, bottom_old, size_old);
#else
    (void)fake_save;
    (void)bottom_old;
    (void)size_old;
#endif
}

/* The first frame of every fiber: runs fn, then goes back for good. */
static void fiber_main(void)
{
    struct pp_fiber *f = current;
    asan_finish(NULL, &f->back_bottom, &f->back_size);
    f->fn(f->arg);
    f->finished = 1;
    /* NULL: this stack's fake frames end here. */
    asan_start(NULL, f->back_bottom, f->back_size);
    setcontext(&back);
    PP_ASSERT(0 && "setcontext returned");
}

/* A mapping for a new fiber: PROT_NONE guard page, stack, struct at top. */
static struct pp_fiber *fiber_map(void)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t head = (sizeof(struct pp_fiber) + page - 1) / page * page;
    size_t bytes = page + PP_FIBER_STACK_BYTES + head;
    void *map =
        mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    PP_ASSERT(map != MAP_FAILED);
    PP_ASSERT(mprotect(map, page, PROT_NONE) == 0);
    struct pp_fiber *f = (struct pp_fiber *)(void *)((char *)map + page + PP_FIBER_STACK_BYTES);
    memset(f, 0, sizeof *f);
    f->map = map;
    f->map_bytes = bytes;
    f->stack = (char *)map + page;
    f->stack_bytes = PP_FIBER_STACK_BYTES;
    FIBER_STACK_REGISTER(f);
    return f;
}

/* f's context: fiber_main on f's stack. Apart, since getcontext returns
** twice for the compiler and nothing here changes after it. */
static void fiber_context_init(struct pp_fiber *const f)
{
    PP_ASSERT(getcontext(&f->ctx) == 0);
    f->ctx.uc_stack.ss_sp = f->stack;
    f->ctx.uc_stack.ss_size = f->stack_bytes;
    f->ctx.uc_link = NULL;
    makecontext(&f->ctx, fiber_main, 0);
}

struct pp_fiber *pp_fiber_create(pp_fiber_fn fn, void *arg, void (*wake)(void *), void *wake_arg)
{
    PP_ASSERT(fn != NULL && wake != NULL);
    struct pp_fiber *f = spares;
    if (f != NULL) {
        spares = f->next_spare;
        spare_count--;
#ifdef FIBER_ASAN
        /* The last fiber's frames left their red zones behind. */
        ASAN_UNPOISON_MEMORY_REGION(f->stack, f->stack_bytes);
#endif
    } else {
        f = fiber_map();
    }
    /* The mapping's fields stay; everything of a run starts afresh. */
    f->next_spare = NULL;
    f->then = NULL;
    f->then_arg = NULL;
    memset(f->locals, 0, sizeof f->locals);
    f->finished = 0;
    f->fake_stack = NULL;
    f->back_bottom = NULL;
    f->back_size = 0;
    f->fn = fn;
    f->arg = arg;
    f->wake = wake;
    f->wake_arg = wake_arg;
    fiber_context_init(f);
    return f;
}

/* A finished fiber's mapping goes to the thread's spares, or away. */
static void fiber_retire(struct pp_fiber *f)
{
    if (spare_count < PP_FIBER_SPARES_MAX) {
        f->next_spare = spares;
        spares = f;
        spare_count++;
        return;
    }
    FIBER_STACK_DEREGISTER(f);
    PP_ASSERT(munmap(f->map, f->map_bytes) == 0);
}

int pp_fiber_switch(struct pp_fiber *f)
{
    PP_ASSERT(f != NULL && current == NULL && !f->finished && f->then == NULL);
    unsigned n = atomic_load(&locals_count);
    void *outer[PP_FIBER_LOCALS_MAX];
    for (unsigned i = 0; i < n; i++) {
        void *slot = locals_addr[i]();
        memcpy(&outer[i], slot, sizeof outer[i]);
        memcpy(slot, &f->locals[i], sizeof f->locals[i]);
    }
    current = f;
    void *fake = NULL;
    asan_start(&fake, f->stack, f->stack_bytes);
    PP_ASSERT(swapcontext(&back, &f->ctx) == 0);
    asan_finish(fake, NULL, NULL);
    current = NULL;
    for (unsigned i = 0; i < n; i++) {
        void *slot = locals_addr[i]();
        memcpy(&f->locals[i], slot, sizeof f->locals[i]);
        memcpy(slot, &outer[i], sizeof outer[i]);
    }
    if (f->finished) {
        fiber_retire(f);
        return 1;
    }
    PP_ASSERT(f->then != NULL);
    return 0;
}

void pp_fiber_release(struct pp_fiber *f)
{
    PP_ASSERT(f != NULL && current == NULL && f->then != NULL);
    void (*then)(void *) = f->then;
    void *then_arg = f->then_arg;
    f->then = NULL;
    then(then_arg);
}

struct pp_fiber *pp_fiber_current(void)
{
    return current;
}

void pp_fiber_park(void (*then)(void *), void *then_arg)
{
    struct pp_fiber *f = current;
    PP_ASSERT(f != NULL && then != NULL);
    f->then = then;
    f->then_arg = then_arg;
    asan_start(&f->fake_stack, f->back_bottom, f->back_size);
    PP_ASSERT(swapcontext(&f->ctx, &back) == 0);
    asan_finish(f->fake_stack, &f->back_bottom, &f->back_size);
}

void pp_fiber_wake(struct pp_fiber *f)
{
    PP_ASSERT(f != NULL);
    f->wake(f->wake_arg);
}
