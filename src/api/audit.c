/*
** This module implements GET /api/admin/audit: the audit log for admins,
** newest first, paged (page, size <= PP_AUDIT_PAGE_SIZE_MAX) and filtered
** by action, actor kind, admin id and a from/to period. Its query
** parameters are a table for the query engine (core/query.h); the log itself is written by each
*action
** (core_audit), never here.
*/
#include <stddef.h>
#include <string.h>

#include "audit.h"
#include "payout/core/audit.h"
#include "payout/core/query.h"
#include "request.h"
#include "response.h"

/* A query of the audit log: the filter and the page asked for. */
struct audit_query {
    struct store_audit_filter f;
    int64_t page;
    int actor; /* index into actor_kinds */
};

static const char *const actor_names[] = {"system", "integrator", "admin", NULL};
static const enum pp_actor_kind actor_kinds[] = {PP_ACTOR_SYSTEM, PP_ACTOR_INTEGRATOR,
                                                 PP_ACTOR_ADMIN};

#define AT(field) offsetof(struct audit_query, field)
#define PARAM(name, type, max, field, flag_field, flag)                                            \
    {                                                                                              \
        name, type, max, AT(field), flag_field, flag, 0, NULL, NULL, NULL, CORE_QUERY_ONCE         \
    }

/* Audit queries keep their own wording of a repeat, and an empty value
** is judged by its type ("from" as a date, "page" as a number). */
static const struct core_query_param audit_params[] = {
    PARAM("page", CORE_QUERY_INT, PP_AUDIT_PAGE_MAX, page, CORE_QUERY_NO_FLAG, 0),
    PARAM("size", CORE_QUERY_INT, PP_AUDIT_PAGE_SIZE_MAX, f.limit, CORE_QUERY_NO_FLAG, 0),
    PARAM("action", CORE_QUERY_TEXT_REF, STORE_AUDIT_ACTION_BYTES_MAX, f.action, CORE_QUERY_NO_FLAG,
          0),
    {"actorKind", CORE_QUERY_CHOICE, 0, AT(actor), AT(f.has_actor_kind), 1u, 0, actor_names,
     "actorKind must be one of system, integrator, admin", NULL, CORE_QUERY_ONCE},
    PARAM("adminId", CORE_QUERY_INT, INT64_MAX, f.admin_id, CORE_QUERY_NO_FLAG, 0),
    PARAM("from", CORE_QUERY_DATE, 0, f.from_ms, AT(f.has_from), 1u),
    PARAM("to", CORE_QUERY_DATE_END, 0, f.to_ms, AT(f.has_to), 1u),
};

static const struct core_query_spec audit_spec = {
    audit_params,
    sizeof audit_params / sizeof audit_params[0],
    CORE_QUERY_UNKNOWN,
    "query parameter '%s' is repeated",
    NULL,
    CORE_QUERY_AS_GIVEN,
};

/* Fills aq from the query: every parameter known, none repeated. */
static enum pp_status audit_query_read(const struct api_request *req, struct audit_query *aq,
                                       struct pp_err *err)
{
    memset(aq, 0, sizeof *aq);
    aq->f.limit = PP_AUDIT_PAGE_SIZE_DEFAULT;
    aq->page = 1;
    enum pp_status st = api_query_read(req, &audit_spec, aq, err);
    if (st == PP_OK) {
        aq->f.actor_kind = actor_kinds[aq->actor];
        aq->f.offset = (aq->page - 1) * aq->f.limit;
    }
    return st;
}

static void write_entry(struct jw *w, const struct store_audit_entry *e)
{
    jw_object_begin(w);
    jw_key(w, "id");
    jw_int(w, e->id);
    jw_key(w, "at");
    api_date_write(w, e->at_ms);
    jw_key(w, "actor");
    jw_object_begin(w);
    jw_key(w, "kind");
    jw_string(w, pp_actor_kind_name(e->actor_kind));
    jw_key(w, "adminId");
    if (e->admin_id > 0) {
        jw_int(w, e->admin_id);
    } else {
        jw_null(w);
    }
    jw_object_end(w);
    const char *texts[][2] = {{"address", e->addr},
                              {"action", e->action},
                              {"subject", e->subject},
                              {"detail", e->detail}};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        jw_key(w, texts[i][0]);
        if (texts[i][1][0] != '\0') {
            jw_string(w, texts[i][1]);
        } else {
            jw_null(w);
        }
    }
    jw_object_end(w);
}

void api_admin_audit_list(struct core_app *app, struct api_request *req, struct api_response *resp)
{
    struct pp_err err = {0};
    struct audit_query aq;
    size_t count = 0;
    int64_t total = 0;
    struct store_audit_entry *entries =
        pp_arena_calloc(req->arena, PP_AUDIT_PAGE_SIZE_MAX, sizeof *entries);
    if (audit_query_read(req, &aq, &err) == PP_OK) {
        core_audit_list(app, &aq.f, entries, PP_AUDIT_PAGE_SIZE_MAX, &count, &total, &err);
    }
    if (err.status != PP_OK) {
        api_err_respond(resp, &err);
        return;
    }
    struct jw w;
    jw_init(&w, &resp->body);
    jw_object_begin(&w);
    jw_key(&w, "audit");
    jw_array_begin(&w);
    for (size_t i = 0; i < count; i++) {
        write_entry(&w, &entries[i]);
    }
    jw_array_end(&w);
    jw_key(&w, "page");
    jw_int(&w, aq.page);
    jw_key(&w, "size");
    jw_int(&w, aq.f.limit);
    jw_key(&w, "total");
    jw_int(&w, total);
    jw_object_end(&w);
}
