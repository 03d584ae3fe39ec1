/*
** This module implements the names of the panel's roles
** (payout/model/user.h). The role rules live in core/permissions.c.
*/
#include <string.h>

#include "payout/model/user.h"

static const char *const role_names[PP_ROLE_COUNT] = {
    [PP_ROLE_NONE] = "none",         [PP_ROLE_ADMIN] = "admin",     [PP_ROLE_APPROVER] = "approver",
    [PP_ROLE_OPERATOR] = "operator", [PP_ROLE_AUDITOR] = "auditor",
};

const char *pp_role_name(enum pp_role role)
{
    if ((int)role <= 0 || role >= PP_ROLE_COUNT) {
        return role_names[PP_ROLE_NONE];
    }
    return role_names[role];
}

int pp_role_parse(const char *name, size_t len, enum pp_role *out)
{
    for (int r = PP_ROLE_ADMIN; r < PP_ROLE_COUNT; r++) {
        if (strlen(role_names[r]) == len && memcmp(role_names[r], name, len) == 0) {
            *out = (enum pp_role)r;
            return 1;
        }
    }
    return 0;
}
