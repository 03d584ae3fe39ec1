/*
** This header declares the raw JSON number scanner.
*/
#ifndef PP_HARNESS_JSON_H
#define PP_HARNESS_JSON_H

#include <stddef.h>

/* The literal text of the JSON number at path in the raw body, e.g.
** "payments[0].amount" or "balances[1].available" or "success". Copies it
** into out (NUL-terminated) and returns out, or NULL when there is no
** number at that path. */
const char *pp_json_number_text(const char *body, size_t len, const char *path, char *out,
                                size_t out_size);

#endif /* PP_HARNESS_JSON_H */
