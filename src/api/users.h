/*
** This private header declares the panel users' endpoints for the route
** table: user management (api/users.c), the caller's own account
** (api/account.c), and the user object they all answer with.
*/
#ifndef PAYOUT_API_USERS_H
#define PAYOUT_API_USERS_H

#include "payout/api/api.h"
#include "payout/api/jsonw.h"
#include "payout/model/user.h"

/* Writes the user object of spec §7: {"id","email","role","disabled",
** "twoFactor","createdAt","lastSignInAt"}, plus "password" when password is
** not NULL (a generated one, shown once). */
void api_user_write(struct jw *w, const struct pp_user *u, const char *password);

void api_admin_users_list(struct core_app *app, struct api_request *req, struct api_response *resp);
void api_admin_user_add(struct core_app *app, struct api_request *req, struct api_response *resp);
void api_admin_user_patch(struct core_app *app, struct api_request *req, struct api_response *resp);
void api_admin_user_reset_password(struct core_app *app, struct api_request *req,
                                   struct api_response *resp);
void api_admin_user_reset_two_factor(struct core_app *app, struct api_request *req,
                                     struct api_response *resp);
void api_admin_security_put(struct core_app *app, struct api_request *req,
                            struct api_response *resp);

void api_account_get(struct core_app *app, struct api_request *req, struct api_response *resp);
void api_account_password(struct core_app *app, struct api_request *req, struct api_response *resp);
void api_account_two_factor_setup(struct core_app *app, struct api_request *req,
                                  struct api_response *resp);
void api_account_two_factor_enable(struct core_app *app, struct api_request *req,
                                   struct api_response *resp);
void api_account_two_factor_disable(struct core_app *app, struct api_request *req,
                                    struct api_response *resp);

#endif /* PAYOUT_API_USERS_H */
