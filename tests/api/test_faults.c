/*
** This module injects storage faults under a running server and checks
** that each one answers the error envelope (500 INTERNAL or 503
** UNAVAILABLE) or, for a read-only file, a refusal to start, leaves no partial state (balances exactly as the answered
** requests say, `check` passes) and that the server recovers once the
** fault is gone:
** - read-only database: the database lives on a tmpfs remounted read-only
**   (chmod cannot stop root, and CI runs as root): the server refuses to
**   start on it with a clear message and changes nothing;
** - disk full: the database lives on a small tmpfs that a filler file
**   fills up completely, then the filler is removed;
** - locked database: another process (the sqlite3 tool) holds an
**   exclusive write lock for longer than the server's busy timeout.
** Mounting needs root: as another user the test fails with a message
** saying so (it never skips silently).
*/
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static struct pp_server srv;
static char mnt[1024];
static char db_path[1200];
static char *admin_token;
static char *api_key;
static int mounted;
static int creates_ok;

static const char *const server_args[] = {"--rate-limit", "0", NULL};

static int mount_tmpfs(const char *size)
{
    char opts[64];
    snprintf(opts, sizeof opts, "size=%s,mode=0700", size);
    if (mount("tmpfs", mnt, "tmpfs", 0, opts) != 0) {
        fprintf(stderr, "cannot mount a tmpfs on %s: %s\n", mnt, strerror(errno));
        return -1;
    }
    mounted = 1;
    return 0;
}

static void remount(int read_only)
{
    unsigned long flags = MS_REMOUNT | (read_only ? MS_RDONLY : 0);
    if (mount("tmpfs", mnt, "tmpfs", flags, NULL) != 0) {
        fail_msg("remount %s %s: %s", mnt, read_only ? "ro" : "rw", strerror(errno));
    }
}

static int setup(void **state)
{
    (void)state;
    if (geteuid() != 0) {
        fprintf(stderr, "test_faults needs root: it mounts a tmpfs to make the database "
                        "read-only and full (CI runs as root; run `sudo make test` locally)\n");
        return -1;
    }
    struct pp_server probe;
    if (pp_server_start(&probe, NULL) != 0) {
        return -1;
    }
    snprintf(mnt, sizeof mnt, "%s-mnt", probe.dir);
    pp_server_destroy(&probe);
    if (mkdir(mnt, 0700) != 0 && errno != EEXIST) {
        return -1;
    }
    snprintf(db_path, sizeof db_path, "%s/payout.db", mnt);
    creates_ok = 0;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    pp_server_destroy(&srv);
    if (mounted) {
        umount2(mnt, MNT_DETACH);
        mounted = 0;
    }
    rmdir(mnt);
    free(admin_token);
    free(api_key);
    admin_token = api_key = NULL;
    return 0;
}

static void start_on_mount(const char *size)
{
    assert_int_equal(mount_tmpfs(size), 0);
    struct pp_server_opts opts = {.db_path = db_path, .args = server_args};
    assert_int_equal(pp_server_start(&srv, &opts), 0);
    admin_token = pp_admin_login(&srv);
    char *password = pp_enable_integration(&srv, admin_token);
    api_key = pp_authenticate(&srv, password);
    free(password);
    json_decref(pp_deposit(&srv, admin_token, "GBP", "1000"));
}

static struct pp_resp *create(const char *description)
{
    char *body = pp_fmt("{\"amount\":1,\"currency\":\"GBP\",\"startDate\":\"2018-01-01\","
                        "\"endDate\":\"2099-01-01\",\"name\":\"faults\",\"description\":\"%s\","
                        "\"userName\":\"faults\",\"notification\":false}",
                        description);
    struct pp_req req = {.method = "POST", .path = "/api/payment/create", .token = api_key,
                         .body = body, .body_len = PP_STRLEN, .no_retry_429 = 1};
    struct pp_resp *r = pp_call(&srv, &req);
    free(body);
    if (r->status == 200) {
        creates_ok++;
    }
    return r;
}

/* A storage fault must be the 500 or 503 envelope. */
static void assert_fault(const struct pp_resp *r)
{
    if (r->status == 503) {
        pp_assert_error(r, 503, "UNAVAILABLE");
    } else {
        pp_assert_error(r, 500, "INTERNAL");
    }
}

/* Balances are exactly 1000 minus one per create answered 200. */
static void assert_books(void)
{
    char available[32], blocked[32];
    snprintf(available, sizeof available, "%d", 1000 - creates_ok);
    snprintf(blocked, sizeof blocked, "%d", creates_ok);
    struct pp_resp *b = pp_balances(&srv, api_key);
    pp_assert_balance(b, "GBP", available, blocked, "0");
    pp_resp_free(b);
}

static void stop_and_check(void)
{
    assert_int_equal(pp_server_stop(&srv), 0);
    char *out = NULL;
    int rc = pp_check(db_path, &out);
    if (rc != 0) {
        fail_msg("check after the fault exited %d: %s", rc, out != NULL ? out : "");
    }
    free(out);
}

/* A database that became read-only (here: its tmpfs remounted read-only
** while no server runs; a running server keeps its file open for writing,
** which the kernel's remount refuses) is refused at start with a clear
** message and a non-zero exit, and is left exactly as it was. */
static void test_read_only_database(void **state)
{
    (void)state;
    start_on_mount("64m");
    pp_resp_free(create("before read-only"));
    assert_int_equal(creates_ok, 1);
    stop_and_check();
    remount(1);
    const char *args[] = {"serve", "--bind", "127.0.0.1", "--port", "0", "--db", db_path, NULL};
    char *out = NULL;
    int rc = pp_run(args, NULL, &out);
    if (rc == 0 || out == NULL || strstr(out, "not writable") == NULL) {
        fail_msg("serve on a read-only database exited %d: %s", rc, out != NULL ? out : "");
    }
    free(out);
    remount(0);
    struct pp_server_opts opts = {.db_path = db_path, .args = server_args};
    assert_int_equal(pp_server_start(&srv, &opts), 0);
    assert_books();
    struct pp_resp *r = create("after read-only");
    pp_assert_status(r, 200);
    pp_resp_free(r);
    assert_books();
    stop_and_check();
    printf("read-only database: refused at start with a clear message, left unchanged\n");
}

static void fill_disk(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    char block[65536];
    memset(block, 0x5a, sizeof block);
    for (int i = 0; i < 1 << 20; i++) {
        if (write(fd, block, sizeof block) <= 0) {
            break;
        }
    }
    /* Fill the last partial block too. */
    while (write(fd, block, 512) > 0) {
    }
    close(fd);
}

static void test_disk_full(void **state)
{
    (void)state;
    start_on_mount("16m");
    char filler[1300];
    snprintf(filler, sizeof filler, "%s/filler", mnt);
    fill_disk(filler);
    char description[1001];
    memset(description, 'f', 1000);
    description[1000] = '\0';
    int faults = 0;
    for (int i = 0; i < 400 && faults < 5; i++) {
        struct pp_resp *r = create(description);
        if (r->status != 200) {
            assert_fault(r);
            faults++;
        }
        pp_resp_free(r);
    }
    if (faults == 0) {
        fail_msg("400 creates of 1 KiB on a full disk all succeeded: no fault was injected");
    }
    /* Whatever failed left nothing: the books match the 200s exactly. */
    assert_books();
    unlink(filler);
    struct pp_resp *r = create("after the disk was freed");
    pp_assert_status(r, 200);
    pp_resp_free(r);
    assert_books();
    stop_and_check();
    printf("disk full: %d writes refused with the envelope, %d answered 200 all booked, "
           "recovered\n",
           faults, creates_ok);
}

static void test_locked_database(void **state)
{
    (void)state;
    start_on_mount("64m");
    pp_resp_free(create("before the lock"));
    char *cmd = pp_fmt("sqlite3 '%s' >/dev/null", db_path);
    FILE *holder = popen(cmd, "w");
    free(cmd);
    assert_non_null(holder);
    fputs("BEGIN EXCLUSIVE;\nINSERT INTO settings (key, value) VALUES ('fault-lock', 'x');\n",
          holder);
    fflush(holder);
    pp_sleep_ms(500);
    long long t0 = pp_now_ms();
    struct pp_resp *r = create("while locked");
    long long waited = pp_now_ms() - t0;
    assert_fault(r);
    pp_resp_free(r);
    assert_books();
    fputs("ROLLBACK;\n.quit\n", holder);
    pclose(holder);
    r = create("after the lock");
    pp_assert_status(r, 200);
    pp_resp_free(r);
    assert_books();
    stop_and_check();
    printf("locked database: a write waited %lld ms (busy timeout) and was refused with the "
           "envelope; recovered\n",
           waited);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_read_only_database, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disk_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_locked_database, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
