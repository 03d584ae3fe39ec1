/*
** This private header declares the log-in endpoints of api/auth.c for the
** route table.
*/
#ifndef PAYOUT_API_AUTH_H
#define PAYOUT_API_AUTH_H

#include "payout/api/api.h"
#include "payout/core/users.h"

void api_authenticate(struct core_app *app, struct api_request *req, struct api_response *resp);
void api_admin_login(struct core_app *app, struct api_request *req, struct api_response *resp);

/* The sign-in both POST /api/admin/login and POST /api/session run: reads
** {"email","password","otp"?}, takes the address's lockout reservation
** and signs the user in (with a browser session when session is 1),
** counting a refusal toward the lockout. Returns 1 with *out filled (the
** caller answers, then frees out->token and wipes *out), or 0 after
** answering the refusal. */
int api_sign_in_run(struct core_app *app, struct api_request *req, struct api_response *resp,
                    int session, struct core_signed_in *out);

#endif /* PAYOUT_API_AUTH_H */
