/*
** This header declares the API-integration settings: whether integrators
** may authenticate, the authentication password they exchange for API
** keys, and the generation that revokes every API key issued before it.
** Kept in the settings, with an in-memory copy so that token checks never
** query the store.
*/
#ifndef PAYOUT_CORE_INTEGRATION_H
#define PAYOUT_CORE_INTEGRATION_H

#include <stddef.h>
#include <stdint.h>

#include "payout/limits.h"
#include "payout/model.h"
#include "payout/status.h"

struct store_write_guard;

/* The answer to an API key whose generation was revoked. */
#define CORE_KEY_REVOKED_MESSAGE "API key has been revoked"

struct core_app;
struct core_integration_state;

struct core_integration {
    int enabled;
    char password[PP_API_PASSWORD_CHARS + 1]; /* "" when none was generated yet */
};

/* The settings state of app (app.c creates it at open, then calls
** core_integration_load, and destroys it at close; NULL is a no-op). */
struct core_integration_state *core_integration_state_create(struct core_app *app);
void core_integration_state_destroy(struct core_integration_state *state);

/* Loads the stored settings into the cache (off, no password, generation
** 0 when none are stored). */
enum pp_status core_integration_load(struct core_app *app, struct pp_err *err);

/* A copy of the API-integration settings. */
void core_integration_get(struct core_app *app, struct core_integration *out);

/* Switches the integration on or off. Enabling generates the password if
** there is none; switching off revokes every API key issued before. */
enum pp_status core_integration_set(struct core_app *app, int enabled, const struct pp_actor *actor,
                                    struct core_integration *out, struct pp_err *err);

/* Replaces the password with a new random one and revokes every API key. */
enum pp_status core_integration_rotate(struct core_app *app, const struct pp_actor *actor,
                                       struct core_integration *out, struct pp_err *err);

/* 1 when an API key of `generation` is still valid: the integration is on
** and no change revoked that generation, as stored now (another server
** sharing the database may have changed it); 0 when revoked; -1 when the
** settings could not be read (err set). */
int core_integration_key_current(struct core_app *app, int64_t generation, struct pp_err *err);

/* Fills g: the store guard of a write made with an API key of
** `generation` (payout/store/store.h). It holds when, as the write's batch
** reads them, the integration is on and still at that generation, exactly
** what core_integration_key_current checks; otherwise the write is refused
** (PP_UNAUTHORIZED, "API key has been revoked") before any of it runs. */
void core_integration_guard(struct store_write_guard *g, int64_t generation);

/* Checks the authentication password (in constant time) against the one
** in force. PP_BAD_CREDENTIALS ("invalid authentication password") when
** the password is wrong or the integration is off, alike. *generation_out
** = the generation a new API key gets. */
enum pp_status core_integration_password_check(struct core_app *app, const char *password,
                                               size_t len, int64_t *generation_out,
                                               struct pp_err *err);

#endif /* PAYOUT_CORE_INTEGRATION_H */
