/*
** This header declares pp_coalesce, one read shared by the callers that
** want it at the same time. Every caller gets the result of a read that
** BEGAN AFTER IT CALLED, so it sees everything committed before its call,
** exactly as if it had read itself; only the number of reads shrinks.
** A caller that arrives while a read is running waits for it to end and
** for the next one, which it shares with everyone who arrived meanwhile:
** concurrent callers make at most two reads' wait each, and one read per
** wave instead of one per caller. It keeps no result beyond the wave that
** read it: nothing is served from memory older than its caller.
*/
#ifndef PAYOUT_BASE_COALESCE_H
#define PAYOUT_BASE_COALESCE_H

#include <stddef.h>

#include "payout/status.h"

struct pp_coalesce;

/* The shared read: fills result (result_size bytes). Runs on the thread of
** one of the callers, with no lock held. */
typedef enum pp_status (*pp_coalesce_fn)(void *arg, void *result, struct pp_err *err);

/* A coalescer of fn(arg, ...), whose results are result_size bytes. */
struct pp_coalesce *pp_coalesce_create(pp_coalesce_fn fn, void *arg, size_t result_size);

/* Frees c (no caller may be inside pp_coalesce_read). NULL is a no-op. */
void pp_coalesce_destroy(struct pp_coalesce *c);

/* The result of a read of fn that began after this call, copied into
** result; its status and error as the read returned them. */
enum pp_status pp_coalesce_read(struct pp_coalesce *c, void *result, struct pp_err *err);

/* Reads made so far (for tests and the profile). */
unsigned long long pp_coalesce_reads(struct pp_coalesce *c);

#endif /* PAYOUT_BASE_COALESCE_H */
