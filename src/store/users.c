/*
** This module implements the public face of the panel's users and
** sessions (payout/store/users.h): each function hands its call to the
** open store's backend. It holds no SQL and no rule.
*/
#include "payout/store/users.h"

#include "store/backend.h"

enum pp_status store_user_get(struct store *st, int64_t id, struct pp_user *out, struct pp_err *err)
{
    return st->ops->user_get(st->backend, id, out, err);
}

enum pp_status store_user_find(struct store *st, const char *email, struct pp_user *out,
                               int *found_out, struct pp_err *err)
{
    return st->ops->user_find(st->backend, email, out, found_out, err);
}

enum pp_status store_users_list(struct store *st, struct pp_user *out, size_t cap,
                                size_t *count_out, struct pp_err *err)
{
    return st->ops->users_list(st->backend, out, cap, count_out, err);
}

enum pp_status store_session_find(struct store *st, const char *id_hash,
                                  struct pp_session *session_out, struct pp_user *user_out,
                                  int *found_out, struct pp_err *err)
{
    return st->ops->session_find(st->backend, id_hash, session_out, user_out, found_out, err);
}

enum pp_status store_user_create(struct store *st, const struct store_write_ctx *w,
                                 const struct store_user_create *in, struct pp_user *out,
                                 int *created_out, struct pp_err *err)
{
    return st->ops->user_create(st->backend, w, in, out, created_out, err);
}

enum pp_status store_user_update(struct store *st, const struct store_write_ctx *w,
                                 const struct store_user_update *in, struct pp_user *out,
                                 struct pp_err *err)
{
    return st->ops->user_update(st->backend, w, in, out, err);
}

enum pp_status store_user_password_set(struct store *st, const struct store_write_ctx *w,
                                       const struct store_user_password *in, struct pp_user *out,
                                       struct pp_err *err)
{
    return st->ops->user_password_set(st->backend, w, in, out, err);
}

enum pp_status store_user_two_factor(struct store *st, const struct store_write_ctx *w,
                                     const struct store_user_two_factor *in, struct pp_user *out,
                                     struct pp_err *err)
{
    return st->ops->user_two_factor(st->backend, w, in, out, err);
}

enum pp_status store_user_sign_in(struct store *st, const struct store_write_ctx *w,
                                  const struct store_user_sign_in *in, struct pp_err *err)
{
    return st->ops->user_sign_in(st->backend, w, in, err);
}

enum pp_status store_user_sign_in_failed(struct store *st, const struct store_write_ctx *w,
                                         const struct store_sign_in_failure *in, struct pp_err *err)
{
    return st->ops->user_sign_in_failed(st->backend, w, in, err);
}

enum pp_status store_session_touch(struct store *st, const struct store_write_ctx *w,
                                   const char *id_hash, struct pp_err *err)
{
    return st->ops->session_touch(st->backend, w, id_hash, err);
}

enum pp_status store_session_end(struct store *st, const struct store_write_ctx *w,
                                 const char *id_hash, struct pp_err *err)
{
    return st->ops->session_end(st->backend, w, id_hash, err);
}
