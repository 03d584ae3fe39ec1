/*
** This header provides PP_ASSERT, an assertion that stays on in release
** builds: a broken invariant in a money server must stop it, not let it
** keep writing. Never assert on untrusted input; return a pp_status.
*/
#ifndef PAYOUT_BASE_ASSERT_H
#define PAYOUT_BASE_ASSERT_H

/* Prints file, line and the expression to stderr, then aborts. */
_Noreturn void pp_assert_fail(const char *expr, const char *file, int line);

#define PP_ASSERT(expr) ((expr) ? (void)0 : pp_assert_fail(#expr, __FILE__, __LINE__))

/* Allocation failure is treated as fatal: returns p, or aborts if p is NULL. */
void *pp_check_alloc(void *p);

#endif /* PAYOUT_BASE_ASSERT_H */
