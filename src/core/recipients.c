/*
** This module implements the recipient rule of recipients.h: given the
** identifiers of a payout request and the stored recipients they point at,
** decide to create a recipient, reuse one (filling in its empty fields), or
** refuse because the identifiers describe different people. It is pure
** data in, data out: it never touches storage, and it never overwrites a
** field that a stored recipient already has.
*/
#include "payout/core/recipients.h"

#include <stddef.h>
#include <string.h>

#include "payout/base/assert.h"

/* The text fields of a recipient: the identifiers first, in enum pp_ident
** order, then the personal fields that are only ever filled in. */
#define FIELD(member, param)                                                                       \
    {                                                                                              \
        offsetof(struct pp_recipient, member), sizeof(((struct pp_recipient *)0)->member), param   \
    }
static const struct {
    size_t offset;
    size_t size;
    const char *name; /* the request parameter, for messages */
} fields[] = {
    FIELD(user_name, "userName"),       FIELD(phone_number, "phoneNumber"),
    FIELD(reference_id, "referenceId"), FIELD(first_name, "firstName"),
    FIELD(last_name, "lastName"),       FIELD(email, "email"),
};
#undef FIELD

_Static_assert(PP_IDENT_USER_NAME == 0 && PP_IDENT_PHONE_NUMBER == 1 &&
                   PP_IDENT_REFERENCE_ID == 2 && PP_IDENT_COUNT == 3,
               "fields[] lists the identifiers in enum pp_ident order");

#define FIELD_COUNT (sizeof fields / sizeof fields[0])

static const char *field_get(const struct pp_recipient *r, size_t i)
{
    const char *text = (const char *)r + fields[i].offset;

    /* Every field is a NUL-terminated string inside its array. */
    PP_ASSERT(memchr(text, '\0', fields[i].size) != NULL);
    return text;
}

static char *field_mut(struct pp_recipient *r, size_t i)
{
    return (char *)r + fields[i].offset;
}

/* The one stored recipient all matches point at, or NULL when nothing
** matched; PP_INVALID_PARAMS when the matches are different recipients. */
static enum pp_status find_single(const struct pp_recipient *given,
                                  const struct core_recipient_found *found,
                                  const struct pp_recipient **single_out, struct pp_err *err)
{
    enum pp_status status = PP_OK;
    const struct pp_recipient *single = NULL;
    size_t single_ident = 0;

    for (size_t i = 0; i < PP_IDENT_COUNT; i++) {
        const struct pp_recipient *r = found->found[i];
        if (r == NULL) {
            continue;
        }
        /* The store only looks up identifiers the request gave, and only
        ** stored recipients have an id. */
        PP_ASSERT(field_get(given, i)[0] != '\0');
        PP_ASSERT(r->id > 0);
        if (single == NULL) {
            single = r;
            single_ident = i;
        } else if (r->id != single->id) {
            status = pp_err_set(err, PP_INVALID_PARAMS, "%s and %s belong to different recipients",
                                fields[single_ident].name, fields[i].name);
            goto done;
        }
    }
    *single_out = single;
done:
    return status;
}

enum pp_status core_recipient_resolve(const struct pp_recipient *given,
                                      const struct core_recipient_found *found,
                                      struct pp_recipient *out, int *changed_out,
                                      struct pp_err *err)
{
    enum pp_status status = PP_OK;
    const struct pp_recipient *stored = NULL;
    struct pp_recipient result;
    int changed = 0;
    int has_ident = 0;

    PP_ASSERT(given != NULL && found != NULL && out != NULL && changed_out != NULL);
    PP_ASSERT(given->id == 0);
    for (size_t i = 0; i < PP_IDENT_COUNT; i++) {
        has_ident |= field_get(given, i)[0] != '\0';
    }
    if (!has_ident) {
        status = pp_err_set(err, PP_INVALID_PARAMS,
                            "one of userName, phoneNumber or referenceId is required");
        goto done;
    }
    status = find_single(given, found, &stored, err);
    if (status != PP_OK) {
        goto done;
    }
    if (stored == NULL) {
        *out = *given;
        *changed_out = 1;
        goto done;
    }
    result = *stored;
    for (size_t i = 0; i < FIELD_COUNT; i++) {
        const char *want = field_get(given, i);
        const char *have = field_get(stored, i);
        if (want[0] == '\0' || strcmp(want, have) == 0) {
            continue;
        }
        if (have[0] == '\0') {
            memcpy(field_mut(&result, i), want, strlen(want) + 1);
            changed = 1;
        } else if (i < PP_IDENT_COUNT) {
            status = pp_err_set(err, PP_INVALID_PARAMS,
                                "%s does not match the recipient found by its other identifiers",
                                fields[i].name);
            goto done;
        }
    }
    *out = result;
    *changed_out = changed;
done:
    return status;
}
