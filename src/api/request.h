/*
** This private header declares reading a request (api/request.c): the
** JSON body with an allowlist of fields, typed field readers that record
** the first error in a pp_err, the query string through the query engine,
** and ids in the path.
*/
#ifndef PAYOUT_API_REQUEST_H
#define PAYOUT_API_REQUEST_H

#include <jansson.h>

#include "payout/api/api.h"
#include "payout/core/money.h"
#include "payout/core/query.h"
#include "payout/status.h"

/* Parses req's body as a JSON object whose keys are all in `allowed`
** (NULL-terminated). Checks the declared Content-Type (415), nesting depth,
** duplicate keys, syntax and top-level type (400). Returns a new reference
** (json_decref it), or NULL after answering the error into resp.
** allow_empty: an empty body reads as {} (for bodiless POSTs). */
json_t *api_body_read(const struct api_request *req, const char *const *allowed, int allow_empty,
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

/* Reads every query parameter of req into target against spec (the query
** engine, payout/core/query.h) and ends the query. PP_OK, or the first
** problem in err (nothing answered). */
enum pp_status api_query_read(const struct api_request *req, const struct core_query_spec *spec,
                              void *target, struct pp_err *err);

/* Parses a positive decimal id from a path segment; PP_INVALID_PARAMS
** otherwise. */
enum pp_status api_id_parse(const char *text, const char *what, int64_t *out, struct pp_err *err);

#endif /* PAYOUT_API_REQUEST_H */
