/*
** This module attacks the server's tokens and log-ins from the outside.
** Tokens are crafted here with OpenSSL's HMAC, signed with the server's own
** key (read from its database with the sqlite3 command-line tool, as an
** attacker who stole a backup could) or with another key: alg "none" and
** other algorithms, a foreign key, tampered header, payload and signature,
** expired and not-yet-valid tokens, revocation by rotation and by disabling
** the integration, the wrong role, unknown claims, absurdly long tokens. A
** correctly crafted token must pass, which proves the crafting is right and
** the refusals are about the attack. Every rejection is counted and printed.
**
** Brute force: per-address lockout on POST /api/authenticate and POST
** /api/admin/login (429 RATE_LIMITED with Retry-After after 10 failures,
** doubling), other client addresses unaffected (libcurl bound to
** 127.0.0.2, still loopback), the right password working again once the
** lock has run out, and a parallel burst never getting more than 10 guesses.
**
** Secrets at rest: a webhook secret answered under an Idempotency-Key
** (create, rotate-secret) is stored only sealed in the idempotency table
** (read from the file like the signing key), and replays answer it.
*/
#include "harness.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KEY_BYTES 32
#define BURST_THREADS 24

static struct pp_server srv;
static char *admin_token;
static char *auth_password;
static char *api_key;
static unsigned char server_key[KEY_BYTES];
static int attacks_rejected;

/* --- Crafting tokens ---------------------------------------------------------- */

static void b64(const char *text, char *out, size_t out_size)
{
    pp_base64url((const unsigned char *)text, strlen(text), out, out_size);
}

/* header.payload signed with HMAC(md, key); a new string. md NULL: no
** signature ("alg":"none" style, trailing dot kept). */
static char *craft(const char *header, const char *payload, const EVP_MD *md,
                   const unsigned char *key)
{
    char h[1024], p[2048], sig[256] = "";
    b64(header, h, sizeof h);
    b64(payload, p, sizeof p);
    char *signing = pp_fmt("%s.%s", h, p);
    if (md != NULL) {
        unsigned char mac[EVP_MAX_MD_SIZE];
        unsigned mac_len = 0;
        HMAC(md, key, KEY_BYTES, (const unsigned char *)signing, strlen(signing), mac, &mac_len);
        pp_base64url(mac, mac_len, sig, sizeof sig);
    }
    char *token = pp_fmt("%s.%s", signing, sig);
    free(signing);
    pp_secret_note(token);
    return token;
}

static const char *hs256 = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

static char *claims_admin(long long iat, long long exp, long long gen)
{
    return pp_fmt("{\"exp\":%lld,\"gen\":%lld,\"iat\":%lld,\"role\":\"admin\",\"sub\":\"1\"}", exp,
                  gen, iat);
}

static void read_server_key(void)
{
    char *cmd = pp_fmt("sqlite3 -readonly '%s' \"SELECT value FROM settings WHERE key='jwt_key'\"",
                       srv.db_path);
    FILE *f = popen(cmd, "r");
    free(cmd);
    assert_non_null(f);
    char hex[2 * KEY_BYTES + 8] = "";
    char *got = fgets(hex, sizeof hex, f);
    int rc = pclose(f);
    if (got == NULL || rc != 0 || strlen(hex) < 2 * KEY_BYTES) {
        fail_msg("cannot read the signing key with the sqlite3 tool (is it installed?)");
    }
    for (size_t i = 0; i < KEY_BYTES; i++) {
        unsigned v = 0;
        sscanf(hex + 2 * i, "%2x", &v);
        server_key[i] = (unsigned char)v;
    }
}

/* --- Asserting ---------------------------------------------------------------- */

static long call_status(const char *path, const char *token, const char *bearer)
{
    struct pp_req req = {
        .method = "GET", .path = path, .token = token, .bearer = bearer, .no_retry_429 = 1};
    struct pp_resp *r = pp_call(&srv, &req);
    long status = r->status;
    if (status >= 400 && status != 431) {
        pp_assert_error(r, status, status == 401 ? "UNAUTHORIZED" : "FORBIDDEN");
    }
    pp_resp_free(r);
    return status;
}

/* The token must be refused with `want` on both an integrator and an admin
** route, in both header forms. */
static void refused(const char *what, const char *token, long want)
{
    const char *paths[] = {"/api/balances", "/api/admin/settings"};
    for (size_t i = 0; i < 2; i++) {
        long a = call_status(paths[i], token, NULL);
        long b = call_status(paths[i], NULL, token);
        if (a != want || b != want) {
            fail_msg("%s on %s: expected %ld, got %ld (x-access-token) / %ld (Bearer)", what,
                     paths[i], want, a, b);
        }
        attacks_rejected += 2;
    }
}

static void accepted(const char *what, const char *token)
{
    long a = call_status("/api/admin/settings", token, NULL);
    if (a != 200) {
        fail_msg("%s: a correctly crafted token was refused (%ld): the test crafts wrongly", what,
                 a);
    }
}

/* --- Token attacks -------------------------------------------------------------- */

static void test_crafted_control_passes(void **state)
{
    (void)state;
    long long now = (long long)time(NULL);
    char *claims = claims_admin(now, now + 600, 0);
    char *token = craft(hs256, claims, EVP_sha256(), server_key);
    accepted("crafted HS256 admin token", token);
    free(token);
    free(claims);
}

static void test_algorithms_refused(void **state)
{
    (void)state;
    long long now = (long long)time(NULL);
    char *claims = claims_admin(now, now + 600, 0);
    const char *headers[] = {"{\"alg\":\"none\",\"typ\":\"JWT\"}", "{\"alg\":\"None\"}",
                             "{\"alg\":\"NONE\",\"typ\":\"JWT\"}", "{\"typ\":\"JWT\"}",
                             "{\"alg\":\"\",\"typ\":\"JWT\"}",     "{\"alg\":null}"};
    for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
        char *t = craft(headers[i], claims, NULL, NULL);
        refused(headers[i], t, 401);
        free(t);
        /* The same header with a real HS256 signature is still refused. */
        t = craft(headers[i], claims, EVP_sha256(), server_key);
        refused(headers[i], t, 401);
        free(t);
    }
    struct {
        const char *header;
        const EVP_MD *md;
    } others[] = {
        {"{\"alg\":\"HS512\",\"typ\":\"JWT\"}", EVP_sha512()},
        {"{\"alg\":\"HS384\",\"typ\":\"JWT\"}", EVP_sha384()},
        {"{\"alg\":\"RS256\",\"typ\":\"JWT\"}", EVP_sha256()},
        {"{\"alg\":\"ES256\",\"typ\":\"JWT\"}", EVP_sha256()},
        {"{\"alg\":\"hs256\",\"typ\":\"JWT\"}", EVP_sha256()},
        {"{\"alg\":\"HS256 \",\"typ\":\"JWT\"}", EVP_sha256()},
        {"{\"alg\":[\"HS256\"],\"typ\":\"JWT\"}", EVP_sha256()},
        {"{\"alg\":\"HS256\",\"alg\":\"none\"}", EVP_sha256()},
        {"{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"../../etc/passwd\"}", EVP_sha256()},
        {"{\"alg\":\"HS256\",\"typ\":\"JWT\",\"crit\":[\"exp\"]}", EVP_sha256()},
        {"{\"alg\":\"HS256\",\"typ\":\"JWT\",\"jku\":\"http://evil.test/k\"}", EVP_sha256()},
        {"{\"alg\":\"HS256\",\"typ\":\"JWE\"}", EVP_sha256()},
        {"[\"HS256\"]", EVP_sha256()},
        {"not json", EVP_sha256()},
    };
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        char *t = craft(others[i].header, claims, others[i].md, server_key);
        refused(others[i].header, t, 401);
        free(t);
    }
    free(claims);
}

static void test_foreign_key_and_tampering(void **state)
{
    (void)state;
    long long now = (long long)time(NULL);
    unsigned char other[KEY_BYTES];
    RAND_bytes(other, sizeof other);
    char *claims = claims_admin(now, now + 600, 0);
    char *t = craft(hs256, claims, EVP_sha256(), other);
    refused("token signed with another key", t, 401);
    free(t);
    unsigned char zero[KEY_BYTES] = {0};
    t = craft(hs256, claims, EVP_sha256(), zero);
    refused("token signed with an all-zero key", t, 401);
    free(t);

    /* A real API key, tampered with in each part. */
    char *good = strdup(api_key);
    char *dot1 = strchr(good, '.');
    char *dot2 = strrchr(good, '.');
    assert_true(dot1 != NULL && dot2 != NULL && dot2 > dot1);
    char *payload_admin = pp_fmt("{\"exp\":%lld,\"gen\":0,\"iat\":%lld,\"role\":\"admin\","
                                 "\"sub\":\"1\"}",
                                 now + 600, now);
    char p64[1024];
    b64(payload_admin, p64, sizeof p64);
    char *swapped = pp_fmt("%.*s.%s%s", (int)(dot1 - good), good, p64, dot2);
    refused("API key with its payload swapped for an admin one", swapped, 401);
    char h64[256];
    b64("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"x\":1}", h64, sizeof h64);
    char *header_swapped = pp_fmt("%s%s", h64, dot1);
    refused("API key with a changed header", header_swapped, 401);
    char *sig_flip = strdup(good);
    char *last = sig_flip + strlen(sig_flip) - 2;
    *last = *last == 'A' ? 'B' : 'A';
    refused("API key with a flipped signature character", sig_flip, 401);
    char *no_sig = pp_fmt("%.*s.", (int)(dot2 - good), good);
    refused("API key without its signature", no_sig, 401);
    char *extra_part = pp_fmt("%s.AAAA", good);
    refused("API key with a fourth part", extra_part, 401);
    char *padded = pp_fmt("%s=", good);
    refused("API key with base64 padding appended", padded, 401);
    char *spaced = pp_fmt(" %s", good);
    /* A leading space is trimmed by HTTP header parsing: same token. */
    pp_resp_free(pp_get(&srv, "/api/balances", spaced));
    free(spaced);
    free(padded);
    free(extra_part);
    free(no_sig);
    free(sig_flip);
    free(header_swapped);
    free(swapped);
    free(payload_admin);
    free(good);
    free(claims);
}

static void test_time_and_claims(void **state)
{
    (void)state;
    long long now = (long long)time(NULL);
    struct {
        const char *what;
        char *claims;
    } cases[] = {
        {"expired a second ago", claims_admin(now - 600, now - 1, 0)},
        {"expired long ago", claims_admin(1, 2, 0)},
        {"issued an hour in the future", claims_admin(now + 3600, now + 7200, 0)},
        {"not valid before an hour from now",
         pp_fmt("{\"exp\":%lld,\"gen\":0,\"iat\":%lld,\"nbf\":%lld,\"role\":\"admin\","
                "\"sub\":\"1\"}",
                now + 7200, now, now + 3600)},
        {"nbf of the wrong type",
         pp_fmt("{\"exp\":%lld,\"gen\":0,\"iat\":%lld,\"nbf\":\"0\",\"role\":\"admin\","
                "\"sub\":\"1\"}",
                now + 600, now)},
        {"another generation (revoked)", claims_admin(now, now + 600, 1)},
        {"an admin that does not exist",
         pp_fmt("{\"exp\":%lld,\"gen\":0,\"iat\":%lld,\"role\":\"admin\",\"sub\":\"999\"}",
                now + 600, now)},
        {"unknown role",
         pp_fmt("{\"exp\":%lld,\"gen\":0,\"iat\":%lld,\"role\":\"root\",\"sub\":\"1\"}", now + 600,
                now)},
        {"no exp", pp_fmt("{\"gen\":0,\"iat\":%lld,\"role\":\"admin\",\"sub\":\"1\"}", now)},
        {"exp as text",
         pp_fmt("{\"exp\":\"%lld\",\"gen\":0,\"iat\":%lld,\"role\":\"admin\",\"sub\":\"1\"}",
                now + 600, now)},
        {"exp as a huge number",
         pp_fmt("{\"exp\":1e400,\"gen\":0,\"iat\":%lld,\"role\":\"admin\",\"sub\":\"1\"}", now)},
        {"sub of the wrong shape",
         pp_fmt("{\"exp\":%lld,\"gen\":0,\"iat\":%lld,\"role\":\"admin\",\"sub\":\"01\"}",
                now + 600, now)},
        {"sub as a number",
         pp_fmt("{\"exp\":%lld,\"gen\":0,\"iat\":%lld,\"role\":\"admin\",\"sub\":1}", now + 600,
                now)},
        {"payload not an object", pp_fmt("[%lld]", now)},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *t = craft(hs256, cases[i].claims, EVP_sha256(), server_key);
        refused(cases[i].what, t, 401);
        free(t);
        free(cases[i].claims);
    }
    /* An integrator token (correctly signed) on an admin route: 403. */
    json_t *real = pp_jwt_payload(api_key);
    char *in = pp_fmt("{\"exp\":%lld,\"gen\":%lld,\"iat\":%lld,\"role\":\"integrator\","
                      "\"sub\":\"integrator\"}",
                      now + 600, pp_json_int(real, "gen"), now);
    json_decref(real);
    char *t = craft(hs256, in, EVP_sha256(), server_key);
    long s = call_status("/api/admin/settings", t, NULL);
    assert_int_equal(s, 403);
    assert_int_equal(call_status("/api/admin/settings", api_key, NULL), 403);
    attacks_rejected += 2;
    free(t);
    free(in);
}

static void test_absurd_lengths(void **state)
{
    (void)state;
    size_t sizes[] = {2049, 4097, 9000, 60000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char *t = malloc(sizes[i] + 1);
        memset(t, 'A', sizes[i]);
        t[sizes[i]] = '\0';
        memcpy(t + 100, ".", 1);
        memcpy(t + 200, ".", 1);
        refused("absurdly long token", t, 401);
        free(t);
    }
    /* Over the header limit (16 KiB per connection): refused by the HTTP
    ** layer before any parsing, and the server keeps serving. */
    size_t n = 100000;
    char *t = malloc(n + 1);
    memset(t, 'A', n);
    t[n] = '\0';
    char *line = pp_fmt("x-access-token: %s", t);
    const char *headers[] = {line, NULL};
    struct pp_req req = {.method = "GET", .path = "/api/balances", .headers = headers};
    struct pp_resp *r = pp_request(&srv, NULL, &req);
    assert_non_null(r);
    assert_int_equal(r->status, 431);
    pp_resp_free(r);
    free(line);
    attacks_rejected++;
    free(t);
    assert_int_equal(call_status("/api/version", NULL, NULL), 200);
    /* A valid token followed by junk is not the valid token. */
    char *junk = pp_fmt("%s%s", api_key, "AAAA");
    refused("valid token with junk appended", junk, 401);
    free(junk);
}

static void test_revocation(void **state)
{
    (void)state;
    /* Rotation revokes every earlier API key. */
    char *old = pp_authenticate(&srv, auth_password);
    struct pp_resp *r =
        pp_post(&srv, "/api/admin/settings/api-integration/rotate", admin_token, "{}");
    pp_assert_status(r, 200);
    free(auth_password);
    auth_password = strdup(json_string_value(json_object_get(r->json, "authenticationPassword")));
    pp_secret_note(auth_password);
    pp_resp_free(r);
    assert_int_equal(call_status("/api/balances", old, NULL), 401);
    attacks_rejected++;
    free(old);
    /* So does switching the integration off, and on again does not revive. */
    old = pp_authenticate(&srv, auth_password);
    assert_int_equal(call_status("/api/balances", old, NULL), 200);
    r = pp_put(&srv, "/api/admin/settings/api-integration", admin_token, "{\"enabled\":false}");
    pp_assert_status(r, 200);
    pp_resp_free(r);
    assert_int_equal(call_status("/api/balances", old, NULL), 401);
    free(auth_password);
    auth_password = pp_enable_integration(&srv, admin_token);
    assert_int_equal(call_status("/api/balances", old, NULL), 401);
    attacks_rejected += 2;
    free(old);
    free(api_key);
    api_key = pp_authenticate(&srv, auth_password);
    printf("token attacks rejected: %d\n", attacks_rejected);
}

/* --- Brute force -------------------------------------------------------------------- */

static struct pp_resp *login_from(const char *path, const char *body, const char *addr)
{
    struct pp_req req = {.method = "POST",
                         .path = path,
                         .body = body,
                         .body_len = PP_STRLEN,
                         .no_retry_429 = 1,
                         .local_addr = addr};
    struct pp_resp *r = pp_call(&srv, &req);
    return r;
}

static long retry_after(const struct pp_resp *r)
{
    pp_assert_error(r, 429, "RATE_LIMITED");
    const char *ra = pp_resp_header(r, "Retry-After");
    if (ra == NULL || atol(ra) < 1) {
        fail_msg("429 without a positive Retry-After");
    }
    return atol(ra);
}

/* The lockout cycle on one endpoint: wrong_body fails, right_body works. */
static void lockout_cycle(const char *path, const char *wrong_body, const char *right_body,
                          long wrong_status, const char *wrong_type, const char *addr,
                          const char *other_addr)
{
    for (int i = 0; i < 10; i++) {
        struct pp_resp *r = login_from(path, wrong_body, addr);
        pp_assert_error(r, wrong_status, wrong_type);
        pp_resp_free(r);
    }
    struct pp_resp *r = login_from(path, wrong_body, addr);
    long wait_s = retry_after(r);
    assert_true(wait_s <= 2);
    pp_resp_free(r);
    /* Locked: even the right password waits, so guessing gains nothing. */
    r = login_from(path, right_body, addr);
    retry_after(r);
    pp_resp_free(r);
    /* Another address is not locked out: right and wrong work as usual. */
    r = login_from(path, right_body, other_addr);
    pp_assert_status(r, 200);
    pp_secret_note(json_string_value(json_object_get(r->json, "token")));
    pp_resp_free(r);
    r = login_from(path, wrong_body, other_addr);
    pp_assert_error(r, wrong_status, wrong_type);
    pp_resp_free(r);
    /* After the lock, one more failure locks again for twice as long. */
    pp_sleep_ms(wait_s * 1000 + 200);
    r = login_from(path, wrong_body, addr);
    pp_assert_error(r, wrong_status, wrong_type);
    pp_resp_free(r);
    r = login_from(path, right_body, addr);
    long doubled = retry_after(r);
    assert_true(doubled > wait_s && doubled <= 2 * wait_s + 1);
    pp_resp_free(r);
    /* Not locked out forever: once it runs out, the right password works. */
    pp_sleep_ms(doubled * 1000 + 200);
    r = login_from(path, right_body, addr);
    pp_assert_status(r, 200);
    pp_secret_note(json_string_value(json_object_get(r->json, "token")));
    pp_resp_free(r);
    /* ... and the success forgot the failures. */
    r = login_from(path, wrong_body, addr);
    pp_assert_error(r, wrong_status, wrong_type);
    pp_resp_free(r);
    attacks_rejected += 12;
}

static void test_authenticate_lockout(void **state)
{
    (void)state;
    char *right = pp_fmt("{\"apiKey\":\"%s\"}", auth_password);
    lockout_cycle("/api/authenticate", "{\"apiKey\":\"guess-0000\"}", right, 401, "INVALID_PARAMS",
                  "127.0.3.1", "127.0.0.2");
    free(right);
}

static void test_admin_login_lockout(void **state)
{
    (void)state;
    lockout_cycle("/api/admin/login",
                  "{\"email\":\"" PP_ADMIN_EMAIL "\",\"password\":\"wrong-password-1\"}",
                  "{\"email\":\"" PP_ADMIN_EMAIL "\",\"password\":\"" PP_ADMIN_PASSWORD "\"}", 401,
                  "UNAUTHORIZED", "127.0.3.2", "127.0.0.2");
    /* Failing one endpoint does not lock the other. */
    struct pp_resp *r = login_from("/api/authenticate", "{\"apiKey\":\"x\"}", "127.0.3.2");
    pp_assert_error(r, 401, "INVALID_PARAMS");
    pp_resp_free(r);
}

struct burst {
    pthread_barrier_t *barrier;
    long status;
};

static void *burst_worker(void *arg)
{
    struct burst *b = arg;
    struct pp_req req = {.method = "POST",
                         .path = "/api/authenticate",
                         .body = "{\"apiKey\":\"burst-guess\"}",
                         .body_len = PP_STRLEN,
                         .no_retry_429 = 1,
                         .local_addr = "127.0.3.9"};
    pthread_barrier_wait(b->barrier);
    struct pp_resp *r = pp_request(&srv, NULL, &req);
    b->status = r != NULL ? r->status : -1;
    pp_resp_free(r);
    return NULL;
}

static void test_parallel_burst_bounded(void **state)
{
    (void)state;
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, BURST_THREADS);
    pthread_t threads[BURST_THREADS];
    struct burst bursts[BURST_THREADS];
    for (int i = 0; i < BURST_THREADS; i++) {
        bursts[i] = (struct burst){&barrier, 0};
        pthread_create(&threads[i], NULL, burst_worker, &bursts[i]);
    }
    int guessed = 0, limited = 0;
    for (int i = 0; i < BURST_THREADS; i++) {
        pthread_join(threads[i], NULL);
        guessed += bursts[i].status == 401;
        limited += bursts[i].status == 429;
    }
    pthread_barrier_destroy(&barrier);
    if (guessed > 10 || guessed + limited != BURST_THREADS) {
        fail_msg("a burst of %d guesses: %d checked, %d limited (at most 10 may be checked)",
                 BURST_THREADS, guessed, limited);
    }
    attacks_rejected += BURST_THREADS;
    printf("login attacks: a burst of %d parallel guesses got %d checked, %d refused 429\n",
           BURST_THREADS, guessed, limited);
    printf("attacks rejected in all: %d\n", attacks_rejected);
}

/* --- Webhook secrets at rest ---------------------------------------------------- */

/* The first line the sqlite3 tool prints for sql on the server's database
** (new string, newline cut). */
static char *db_scalar(const char *sql)
{
    char *cmd = pp_fmt("sqlite3 -readonly '%s' \"%s\"", srv.db_path, sql);
    FILE *f = popen(cmd, "r");
    free(cmd);
    assert_non_null(f);
    char line[4096] = "";
    char *got = fgets(line, sizeof line, f);
    int rc = pclose(f);
    if (got == NULL || rc != 0) {
        fail_msg("the sqlite3 tool could not run: %s", sql);
    }
    line[strcspn(line, "\n")] = '\0';
    return strdup(line);
}

/* The stored answer of Idempotency-Key key holds no secret in the clear:
** not the secret itself, not any "whsec_" text; it holds the sealed form. */
static void idem_row_sealed(const char *key, const char *secret)
{
    char *sql = pp_fmt("SELECT hex(body) FROM idempotency WHERE key = '%s'", key);
    char *hex = db_scalar(sql);
    free(sql);
    size_t len = strlen(hex) / 2;
    char *body = calloc(len + 1, 1);
    assert_non_null(body);
    for (size_t i = 0; i < len; i++) {
        unsigned v = 0;
        sscanf(hex + 2 * i, "%2x", &v);
        body[i] = (char)v;
    }
    if (len == 0 || memmem(body, len, secret, strlen(secret)) != NULL ||
        memmem(body, len, "whsec_", 6) != NULL ||
        memmem(body, len, "pp-sealed-secret", 16) == NULL) {
        fail_msg("the stored answer of key %s does not keep its secret sealed (%zu bytes)", key,
                 len);
    }
    free(body);
    free(hex);
}

/* A webhook endpoint created, then its secret rotated, each with an
** Idempotency-Key: the stored answers keep the secret only sealed (read
** from the database file, as from a stolen backup), and a replay answers
** the same secret, byte for byte. No row of the idempotency table holds a
** "whsec_" text. */
static void test_webhook_secret_sealed_in_idempotency(void **state)
{
    (void)state;
    static const char *const create_key[] = {"Idempotency-Key: wh-secret-create", NULL};
    static const char *const rotate_key[] = {"Idempotency-Key: wh-secret-rotate", NULL};
    const char *body = "{\"url\":\"https://receiver.example.test/hook\"}";
    struct pp_resp *first = pp_post_with(&srv, "/api/webhooks", admin_token, create_key, body);
    pp_assert_status(first, 200);
    const char *secret = json_string_value(json_object_get(first->json, "secret"));
    assert_non_null(secret);
    assert_memory_equal(secret, "whsec_", 6);
    pp_secret_note(secret);
    idem_row_sealed("wh-secret-create", secret);
    struct pp_resp *again = pp_post_with(&srv, "/api/webhooks", admin_token, create_key, body);
    pp_assert_status(again, 200);
    assert_non_null(pp_resp_header(again, "Idempotent-Replayed"));
    assert_int_equal(again->body_len, first->body_len);
    assert_memory_equal(again->body, first->body, first->body_len);

    char *path = pp_fmt("/api/webhooks/%lld/rotate-secret", pp_json_int(first->json, "id"));
    struct pp_resp *rotated = pp_post_with(&srv, path, admin_token, rotate_key, "{}");
    pp_assert_status(rotated, 200);
    const char *fresh = json_string_value(json_object_get(rotated->json, "secret"));
    assert_non_null(fresh);
    assert_string_not_equal(fresh, secret);
    pp_secret_note(fresh);
    idem_row_sealed("wh-secret-rotate", fresh);
    struct pp_resp *replayed = pp_post_with(&srv, path, admin_token, rotate_key, "{}");
    pp_assert_status(replayed, 200);
    assert_int_equal(replayed->body_len, rotated->body_len);
    assert_memory_equal(replayed->body, rotated->body, rotated->body_len);

    char *clear = db_scalar("SELECT count(*) FROM idempotency"
                            " WHERE instr(body, CAST('whsec_' AS BLOB)) > 0");
    assert_string_equal(clear, "0");
    free(clear);
    free(path);
    pp_resp_free(replayed);
    pp_resp_free(rotated);
    pp_resp_free(again);
    pp_resp_free(first);
}

static int after_start(void)
{
    read_server_key();
    return 0;
}

static const struct pp_session session = {.srv = &srv,
                                          .admin_token = &admin_token,
                                          .api_key = &api_key,
                                          .password = &auth_password,
                                          .after_start = after_start};

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crafted_control_passes),
        cmocka_unit_test(test_webhook_secret_sealed_in_idempotency),
        cmocka_unit_test(test_algorithms_refused),
        cmocka_unit_test(test_foreign_key_and_tampering),
        cmocka_unit_test(test_time_and_claims),
        cmocka_unit_test(test_absurd_lengths),
        cmocka_unit_test(test_revocation),
        cmocka_unit_test(test_authenticate_lockout),
        cmocka_unit_test(test_admin_login_lockout),
        cmocka_unit_test(test_parallel_burst_bounded),
    };
    return PP_SESSION_RUN(tests, &session);
}
