/*
** This header declares idempotent requests: a request that carries an
** Idempotency-Key runs its action at most once per (caller, key), and
** every later request with that key gets the first answer back, byte for
** byte.
**
** How it stays true across crashes: the key's row is written (through the
** write context of core/write.c) in the SAME transaction as the request's
** first write (its action), so a
** committed action always leaves its key behind and a rolled-back one never
** does. The rendered answer is stored by a second write afterwards. A key
** found without an answer therefore means "the action committed, the
** answer was lost" (a crash between the two writes, or an answer that could
** not be stored): that is refused with PP_CONFLICT, never run again.
**
** A request that wrote nothing (it failed validation, or its action was
** refused and rolled back) leaves no key: a retry with the same key runs
** again, which is safe because nothing happened the first time.
**
** Concurrency: while a request with a key runs, other requests with the
** same (caller, key) wait for it (up to PP_IDEMPOTENCY_WAIT_S) and then
** replay its answer.
**
** Use (the API layer):
**   core_idem_prepare(&r, ...);
**   core_idem_begin(app, &r, &decision, &answer, err)
**     REPLAY  -> answer with `answer`, core_idem_answer_free(&answer)
**     EXECUTE -> core_idem_set_current(&r); run the handler;
**                core_idem_set_current(NULL);
**                core_idem_finish(app, &r, &rendered or NULL, err)
**   any error  -> answer the error (nothing to finish)
*/
#ifndef PAYOUT_CORE_IDEMPOTENCY_H
#define PAYOUT_CORE_IDEMPOTENCY_H

#include <stddef.h>
#include <stdint.h>

#include "payout/limits.h"
#include "payout/model.h"
#include "payout/status.h"

struct core_app;

/* "integrator", "admin:<id>" or "system", plus NUL. */
#define CORE_IDEM_SCOPE_BYTES 33
#define CORE_IDEM_FINGERPRINT_BYTES 32
#define CORE_IDEM_CONTENT_TYPE_BYTES 128

/* One keyed request. Filled by core_idem_prepare; lives on the caller's
** stack for the whole request. */
struct core_idem_request {
    char scope[CORE_IDEM_SCOPE_BYTES];
    char key[PP_IDEMPOTENCY_KEY_BYTES_MAX + 1];
    uint8_t fingerprint[CORE_IDEM_FINGERPRINT_BYTES]; /* SHA-256 of method, path, body */
    /* 1 once core_write_end committed the request's action with the key. */
    int recorded;
    /* Private to core: the in-flight registration. */
    int registered;
    struct core_idem_request *next;
};

/* An answer, stored or to store. */
struct core_idem_answer {
    unsigned status; /* HTTP status */
    char content_type[CORE_IDEM_CONTENT_TYPE_BYTES];
    char *body; /* see each function for ownership */
    size_t body_len;
    /* core_idem_finish: body[secret_at..secret_at+secret_len) is a secret
    ** the answer shows once (a webhook secret, at most
    ** 2*SEC_WEBHOOK_SECRET_TEXT_BYTES-1 bytes), stored sealed and opened
    ** again on replay; secret_len 0: none. A replayed answer has 0 here. */
    size_t secret_at;
    size_t secret_len;
};

enum core_idem_decision {
    CORE_IDEM_EXECUTE = 1, /* run the request; core_idem_finish must follow */
    CORE_IDEM_REPLAY = 2,  /* answer with the stored answer */
};

/* 1 when key is 1..PP_IDEMPOTENCY_KEY_BYTES_MAX bytes of printable ASCII
** (0x20..0x7e), else 0. */
int core_idem_key_valid(const char *key);

/* Fills r for a request by actor with key (valid, see core_idem_key_valid):
** the scope names the caller (all integrators share one account, so one
** scope; each admin has their own), the fingerprint hashes method, path
** and body[0..body_len) (body may be NULL when body_len is 0). */
void core_idem_prepare(struct core_idem_request *r, const struct pp_actor *actor, const char *key,
                       const char *method, const char *path, const char *body, size_t body_len);

/* Waits while another request with r's scope and key runs, then looks the
** key up:
**  - unknown: *decision = CORE_IDEM_EXECUTE and r is registered in flight
**    (the caller must call core_idem_finish, whatever happens);
**  - known with the same fingerprint and an answer: *decision =
**    CORE_IDEM_REPLAY and *answer holds it (answer->body is new: release it
**    with core_idem_answer_free);
**  - known with another fingerprint, or without an answer, or still busy
**    after PP_IDEMPOTENCY_WAIT_S: PP_CONFLICT with a message for the client.
** Storage failures: PP_UNAVAILABLE / PP_INTERNAL. On any error r is not
** registered. */
enum pp_status core_idem_begin(struct core_app *app, struct core_idem_request *r,
                               enum core_idem_decision *decision, struct core_idem_answer *answer,
                               struct pp_err *err);

/* Makes r the current keyed request of the calling thread, so that the next
** core write on this thread records r's key in its transaction. NULL
** clears it. */
void core_idem_set_current(struct core_idem_request *r);

/* The calling thread's current keyed request, or NULL. */
struct core_idem_request *core_idem_current(void);

/* Ends a request that core_idem_begin let execute. When the request's
** action committed (r->recorded) and answer is not NULL, stores the answer
** for replays (answer->body borrowed; an empty body is fine); a NULL answer
** leaves the key without one (later requests with it get PP_CONFLICT). A
** secret in it (answer->secret_len) is stored sealed with the webhook
** secrets' key, bound to r's row; if it cannot be sealed, no answer is
** stored.
** Always unregisters r and wakes the requests waiting for it. The current
** request must have been cleared first. Returns the storing's status (the
** action itself stands either way). */
enum pp_status core_idem_finish(struct core_app *app, struct core_idem_request *r,
                                const struct core_idem_answer *answer, struct pp_err *err);

/* Frees answer->body (from core_idem_begin). */
void core_idem_answer_free(struct core_idem_answer *answer);

/* Deletes the keys created before now_ms minus the configured TTL, in
** transactions of PP_IDEMPOTENCY_PURGE_BATCH rows. *deleted_out = how many.
** The background purge runs this; tests call it with a future now_ms. */
enum pp_status core_idem_purge(struct core_app *app, int64_t now_ms, int64_t *deleted_out,
                               struct pp_err *err);

/* The in-flight registry and purge state of an app (app.c creates it at
** open and destroys it at close, after the purge stopped). */
struct core_idem *core_idem_create(void);
/* NULL is a no-op. */
void core_idem_destroy(struct core_idem *idem);

/* Starts the background purge of keys older than ttl_h hours
** (PP_IDEMPOTENCY_TTL_H_MIN..MAX), every PP_IDEMPOTENCY_PURGE_INTERVAL_S
** and once at start. On a shared database (store_shared) a purge runs
** only while this node holds the purge lease, taken or renewed at each
** round for PP_IDEMPOTENCY_PURGE_LEASE_INTERVALS intervals. */
enum pp_status core_idem_purger_start(struct core_app *app, int ttl_h, struct pp_err *err);
/* Stops the purge and joins its thread, and gives the purge lease up when
** this node holds it; no-op when it was not started. */
void core_idem_purger_stop(struct core_app *app);

/* What the purge has done, for /metrics. */
struct core_idem_purge_stats {
    int running;    /* the purge runs */
    int shared;     /* on a shared database: a purge needs the lease */
    int lease_held; /* this node held the purge lease at its last round */
    int64_t passes; /* purges this node ran (with the lease, when shared) */
};
void core_idem_purge_stats(struct core_app *app, struct core_idem_purge_stats *out);

#endif /* PAYOUT_CORE_IDEMPOTENCY_H */
