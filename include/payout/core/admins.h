/*
** This header declares the admin accounts: creating one or resetting its
** password (from the command line), and counting them. Signing in is
** core/auth.h.
*/
#ifndef PAYOUT_CORE_ADMINS_H
#define PAYOUT_CORE_ADMINS_H

#include <stddef.h>
#include <stdint.h>

#include "payout/model.h"
#include "payout/status.h"

struct core_app;

/* Creates the admin `email` with `password`, or resets the password of the
** existing admin with that e-mail (which revokes its tokens). password NULL
** means: generate one (PP_ADMIN_PASSWORD_GENERATED_CHARS) and write it to
** generated_out (at least PP_ADMIN_PASSWORD_GENERATED_CHARS + 1 bytes).
** *created_out = 1 when a new admin was created. Weak or over-long
** passwords and e-mails without '@' are PP_INVALID_PARAMS. */
enum pp_status core_admin_set(struct core_app *app, const struct pp_actor *actor, const char *email,
                              const char *password, char *generated_out, int *created_out,
                              struct pp_err *err);
/* How many admins exist. */
enum pp_status core_admin_count(struct core_app *app, int64_t *count_out, struct pp_err *err);

#endif /* PAYOUT_CORE_ADMINS_H */
