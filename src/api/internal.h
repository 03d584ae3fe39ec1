/*
** This private header is what the API handler modules share: the handlers
** themselves (for routes.c), JSON body parsing with an allowlist of fields,
** typed field readers that record the first error in a pp_err, and writers
** for the records every answer uses (payout, balance).
*/
#ifndef PAYOUT_API_INTERNAL_H
#define PAYOUT_API_INTERNAL_H

#include <jansson.h>

#include "payout/api/api.h"
#include "payout/api/jsonw.h"
#include "payout/core/admins.h"
#include "payout/core/bulk.h"
#include "payout/core/funds.h"
#include "payout/core/integration.h"
#include "payout/core/money.h"
#include "payout/core/payouts.h"
#include "payout/model.h"

/* Handlers (one module per resource). */
void api_authenticate(struct core_app *app, struct api_request *req, struct api_response *resp);
void api_admin_login(struct core_app *app, struct api_request *req, struct api_response *resp);
void api_admin_settings_get(struct core_app *app, struct api_request *req,
                            struct api_response *resp);
void api_admin_integration_put(struct core_app *app, struct api_request *req,
                               struct api_response *resp);
void api_admin_integration_rotate(struct core_app *app, struct api_request *req,
                                  struct api_response *resp);
void api_admin_deposit(struct core_app *app, struct api_request *req, struct api_response *resp);
void api_admin_withdraw(struct core_app *app, struct api_request *req, struct api_response *resp);
void api_payment_create(struct core_app *app, struct api_request *req, struct api_response *resp);
void api_payment_cancel(struct core_app *app, struct api_request *req, struct api_response *resp);
void api_payment_get(struct core_app *app, struct api_request *req, struct api_response *resp);
void api_balances_list(struct core_app *app, struct api_request *req, struct api_response *resp);
void api_version(struct core_app *app, struct api_request *req, struct api_response *resp);
/* Service (service.c) and the audit log (audit.c). */
void api_status(struct core_app *app, struct api_request *req, struct api_response *resp);
void api_healthz(struct core_app *app, struct api_request *req, struct api_response *resp);
void api_readyz(struct core_app *app, struct api_request *req, struct api_response *resp);
void api_admin_audit_list(struct core_app *app, struct api_request *req, struct api_response *resp);
void api_openapi(struct core_app *app, struct api_request *req, struct api_response *resp);

/* Parses req's body as a JSON object whose keys are all in `allowed`
** (NULL-terminated). Checks the declared Content-Type (415), nesting depth,
** duplicate keys, syntax and top-level type (400). Returns a new reference
** (json_decref it), or NULL after answering the error into resp.
** allow_empty: an empty body reads as {} (for bodiless POSTs). */
json_t *api_body_object(const struct api_request *req, const char *const *allowed, int allow_empty,
                        struct api_response *resp);

/* Typed field readers. Each returns PP_OK, or records the first error in
** err and returns its status. A field that is absent or null is "not
** given": an error when required, else the output is left as its default
** (documented per reader). Strings out are borrowed from obj. */
enum pp_status api_field_string(json_t *obj, const char *key, int required, size_t max_bytes,
                                const char **out, struct pp_err *err); /* default "" */
enum pp_status api_field_bool(json_t *obj, const char *key, int required, int *out,
                              struct pp_err *err);
enum pp_status api_field_currency(json_t *obj, const char *key, const struct core_currency **out,
                                  struct pp_err *err);
enum pp_status api_field_amount(json_t *obj, const char *key, const struct core_currency *cur,
                                int64_t *out, struct pp_err *err); /* required, > 0 */
enum pp_status api_field_date(json_t *obj, const char *key, int64_t *ms_out,
                              struct pp_err *err); /* required */
/* A string (or, when allow_int, an integer written in decimal), as text
** into out[out_size]; default "". */
enum pp_status api_field_ident(json_t *obj, const char *key, int allow_int, char *out,
                               size_t out_size, struct pp_err *err);
/* A non-empty array (<= PP_IDS_MAX) of positive integers; arena copy. */
enum pp_status api_field_ids(json_t *obj, const char *key, struct pp_arena *arena,
                             int64_t **ids_out, size_t *count_out, struct pp_err *err);

/* Parses a positive decimal id from a path segment; PP_INVALID_PARAMS
** otherwise. */
enum pp_status api_parse_id(const char *text, const char *what, int64_t *out, struct pp_err *err);

/* Answers err as the error envelope (err must hold an error). */
void api_respond_err(struct api_response *resp, const struct pp_err *err);

/* Writers for records; each writes one JSON value. */
void api_write_amount(struct jw *w, int64_t minor, const char *currency);
/* The same for a 128-bit figure (a sum of amounts, a lifetime total): the
** exact decimal, however large. */
void api_write_amount_wide(struct jw *w, __int128 minor, const char *currency);
void api_write_date(struct jw *w, int64_t ms);
void api_write_payout(struct jw *w, const struct pp_payout *p);
void api_write_balance(struct jw *w, const struct pp_balance *b);

#endif /* PAYOUT_API_INTERNAL_H */
