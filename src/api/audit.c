/*
** This module implements GET /api/admin/audit: the audit log for admins,
** newest first, paged (page, size <= PP_AUDIT_PAGE_SIZE_MAX) and filtered
** by action, actor kind, admin id and a from/to period. It reads query
** parameters with an allowlist; the log itself is written by each action
** (core_audit), never here.
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "payout/core/audit.h"
#include "payout/core/dates.h"

static const char *const audit_params[] = {"page",    "size", "action", "actorKind",
                                           "adminId", "from", "to",     NULL};

/* A positive decimal integer up to max; PP_INVALID_PARAMS naming `name`. */
static enum pp_status parse_positive(const char *name, const char *text, int64_t max, int64_t *out,
                                     struct pp_err *err)
{
    char *end = NULL;
    errno = 0;
    long long v = text != NULL ? strtoll(text, &end, 10) : 0;
    if (text == NULL || text[0] < '0' || text[0] > '9' || errno != 0 || *end != '\0' || v < 1 ||
        v > max) {
        return pp_err_set(err, PP_INVALID_PARAMS, "%s must be an integer from 1 to %lld", name,
                          (long long)max);
    }
    *out = v;
    return PP_OK;
}

static enum pp_status parse_actor_kind(const char *text, struct pp_audit_filter *f,
                                       struct pp_err *err)
{
    static const enum pp_actor_kind kinds[] = {PP_ACTOR_SYSTEM, PP_ACTOR_INTEGRATOR,
                                               PP_ACTOR_ADMIN};
    for (size_t i = 0; text != NULL && i < sizeof kinds / sizeof kinds[0]; i++) {
        if (strcmp(text, pp_actor_kind_name(kinds[i])) == 0) {
            f->has_actor_kind = 1;
            f->actor_kind = kinds[i];
            return PP_OK;
        }
    }
    return pp_err_set(err, PP_INVALID_PARAMS, "actorKind must be one of system, integrator, admin");
}

/* from/to: any accepted date; a bare day as `to` covers that whole day. */
static enum pp_status parse_bound(const char *name, const char *text, int is_to, int64_t *out,
                                  struct pp_err *err)
{
    size_t len = text != NULL ? strlen(text) : 0;
    enum pp_status st = core_date_parse(text != NULL ? text : "", len, name, out, err);
    if (st == PP_OK && is_to && len == 10) {
        *out += 24 * 3600 * 1000 - 1;
    }
    return st;
}

/* One query parameter into f (page and size into *page / f->limit). */
static enum pp_status read_param(const struct api_param *p, struct pp_audit_filter *f,
                                 int64_t *page, struct pp_err *err)
{
    const char *k = p->key;
    if (strcmp(k, "page") == 0) {
        return parse_positive("page", p->value, 1000000000, page, err);
    }
    if (strcmp(k, "size") == 0) {
        return parse_positive("size", p->value, PP_AUDIT_PAGE_SIZE_MAX, &f->limit, err);
    }
    if (strcmp(k, "adminId") == 0) {
        return parse_positive("adminId", p->value, INT64_MAX, &f->admin_id, err);
    }
    if (strcmp(k, "actorKind") == 0) {
        return parse_actor_kind(p->value, f, err);
    }
    if (strcmp(k, "from") == 0) {
        f->has_from = 1;
        return parse_bound("from", p->value, 0, &f->from_ms, err);
    }
    if (strcmp(k, "to") == 0) {
        f->has_to = 1;
        return parse_bound("to", p->value, 1, &f->to_ms, err);
    }
    /* action */
    if (p->value == NULL || p->value[0] == '\0' ||
        strlen(p->value) > PP_AUDIT_ACTION_BYTES_MAX) {
        return pp_err_set(err, PP_INVALID_PARAMS, "action must be 1 to %d characters",
                          PP_AUDIT_ACTION_BYTES_MAX);
    }
    f->action = p->value;
    return PP_OK;
}

/* Fills f from the query: every parameter known, none repeated. */
static enum pp_status read_query(const struct api_request *req, struct pp_audit_filter *f,
                                 int64_t *page, struct pp_err *err)
{
    enum pp_status st = PP_OK;
    unsigned seen = 0;
    memset(f, 0, sizeof *f);
    f->limit = PP_AUDIT_PAGE_SIZE_DEFAULT;
    *page = 1;
    for (size_t i = 0; i < req->query_count && st == PP_OK; i++) {
        const struct api_param *p = &req->query[i];
        size_t which = 0;
        while (audit_params[which] != NULL && strcmp(audit_params[which], p->key) != 0) {
            which++;
        }
        if (audit_params[which] == NULL) {
            st = pp_err_set(err, PP_INVALID_PARAMS, "unknown query parameter '%.64s'", p->key);
        } else if (seen & (1u << which)) {
            st = pp_err_set(err, PP_INVALID_PARAMS, "query parameter '%s' is repeated", p->key);
        } else {
            seen |= 1u << which;
            st = read_param(p, f, page, err);
        }
    }
    if (st == PP_OK) {
        f->offset = (*page - 1) * f->limit;
    }
    return st;
}

static void write_entry(struct jw *w, const struct pp_audit_entry *e)
{
    jw_object_begin(w);
    jw_key(w, "id");
    jw_int(w, e->id);
    jw_key(w, "at");
    api_write_date(w, e->at_ms);
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
    struct pp_audit_filter f;
    int64_t page = 1;
    size_t count = 0;
    int64_t total = 0;
    struct pp_audit_entry *entries =
        pp_arena_calloc(req->arena, PP_AUDIT_PAGE_SIZE_MAX, sizeof *entries);
    if (read_query(req, &f, &page, &err) == PP_OK) {
        core_audit_list(app, &f, entries, PP_AUDIT_PAGE_SIZE_MAX, &count, &total, &err);
    }
    if (err.status != PP_OK) {
        api_respond_err(resp, &err);
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
    jw_int(&w, page);
    jw_key(&w, "size");
    jw_int(&w, f.limit);
    jw_key(&w, "total");
    jw_int(&w, total);
    jw_object_end(&w);
}
