/*
** This module injects storage faults under a running server and checks
** that each one answers the error envelope (500 INTERNAL or 503
** UNAVAILABLE) or, for a read-only file at start, a refusal to start;
** that it leaves no partial state (balances exactly as the answered
** requests say, `check` passes) and that the server recovers once the
** fault is gone:
** - read-only database at start: the database lives on a tmpfs remounted
**   read-only (chmod cannot stop root, and CI runs as root): the server
**   refuses to start on it with a clear message and changes nothing;
** - disk full: the database lives on a small tmpfs that a filler file
**   fills up completely, then the filler is removed;
** - locked database: another process (the sqlite3 tool) holds an
**   exclusive write lock for longer than the server's busy timeout;
** - database turned read-only under a running server: the database lives
**   on an ext4 file system (a loop-mounted image, errors=remount-ro) that
**   the kernel remounts read-only after a file-system error, as it does
**   after a failing disk; the error is raised through ext4's own
**   trigger_fs_error knob. (A tmpfs cannot be remounted read-only while
**   the server holds its files open for writing, and immutable files stay
**   writable through open descriptors on tmpfs.) Every write is refused
**   with the envelope, reads go on, and after e2fsck and a restart nothing
**   of the refused writes exists.
** Mounting needs root: as another user the test fails with a message
** saying so (it never skips silently). The last test also needs
** mkfs.ext4 and e2fsck (e2fsprogs) and loop devices; without them it fails
** saying which is missing.
*/
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

static struct pp_server srv;
static char mnt[1024];
static char db_path[1200];
static char *admin_token;
static char *api_key;
static char image_path[1200];
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

/* Every server of the test runs on db_path, on the mount. */
static const struct pp_server_opts server_opts = {.db_path = db_path, .args = server_args};
static const struct pp_session signed_in = {
    .srv = &srv, .opts = &server_opts, .admin_token = &admin_token, .api_key = &api_key};
static const char *const funds[] = {"GBP", "1000", NULL};
static const struct pp_session funded = {.srv = &srv,
                                         .opts = &server_opts,
                                         .admin_token = &admin_token,
                                         .api_key = &api_key,
                                         .funds = funds};

static int setup(void **state)
{
    (void)state;
    if (geteuid() != 0) {
        fprintf(stderr, "test_faults needs root: it mounts a tmpfs to make the database "
                        "read-only and full (CI runs as root; run `sudo make test` locally)\n");
        return -1;
    }
    if (pp_temp_dir_make(mnt, sizeof mnt) != 0) {
        return -1;
    }
    snprintf(db_path, sizeof db_path, "%s/payout.db", mnt);
    snprintf(image_path, sizeof image_path, "%s.img", mnt);
    creates_ok = 0;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    pp_session_stop(&signed_in);
    if (mounted) {
        umount2(mnt, MNT_DETACH);
        mounted = 0;
    }
    rmdir(mnt);
    unlink(image_path);
    return 0;
}

/* Starts the server on db_path, which is mounted, and funds it. */
static void start_funded(void)
{
    assert_int_equal(pp_session_start(&funded), 0);
}

static void start_on_mount(const char *size)
{
    assert_int_equal(mount_tmpfs(size), 0);
    start_funded();
}

/* POSTs body to path once (a 429 is an answer, not retried). */
static struct pp_resp *post_once(const char *path, const char *token, const char *body)
{
    struct pp_req req = {.method = "POST",
                         .path = path,
                         .token = token,
                         .body = body,
                         .body_len = PP_STRLEN,
                         .no_retry_429 = 1};
    return pp_call(&srv, &req);
}

static struct pp_resp *create(const char *description)
{
    char *body = pp_fmt("{\"amount\":1,\"currency\":\"GBP\",\"startDate\":\"2018-01-01\","
                        "\"endDate\":\"2099-01-01\",\"name\":\"faults\",\"description\":\"%s\","
                        "\"userName\":\"faults\",\"notification\":false}",
                        description);
    struct pp_resp *r = post_once("/api/payment/create", api_key, body);
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
    pp_assert_balance_now(&srv, api_key, "GBP", available, blocked, "0");
}

static void stop_and_check(void)
{
    pp_stop_and_check(&srv, "after the fault"); /* srv runs on db_path */
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
    /* Archives the stopped server's logs (for test_logs) and frees its dir. */
    pp_server_destroy(&srv);
    assert_int_equal(pp_server_start(&srv, &server_opts), 0);
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

/* Runs a shell command; its exit code (-1 when it did not exit), its
** output (stdout and stderr) in new *output. */
static int shell(const char *cmd, char **output)
{
    char *full = pp_fmt("%s 2>&1", cmd);
    FILE *p = popen(full, "r");
    free(full);
    assert_non_null(p);
    size_t cap = 8192, len = 0, n;
    char *out = calloc(1, cap);
    assert_non_null(out);
    while (len + 1 < cap && (n = fread(out + len, 1, cap - 1 - len, p)) > 0) {
        len += n;
    }
    /* Drain the rest, so the child never blocks on a full pipe. */
    char sink[512];
    while (fread(sink, 1, sizeof sink, p) > 0) {
    }
    int status = pclose(p);
    *output = out;
    return status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Loop-mounts the ext4 image on mnt; errors=remount-ro is what a failing
** disk needs to turn the file system read-only. */
static void mount_ext4(void)
{
    char *cmd = pp_fmt("mount -t ext4 -o loop,errors=remount-ro '%s' '%s'", image_path, mnt);
    char *out = NULL;
    int rc = shell(cmd, &out);
    if (rc != 0) {
        fail_msg("%s exited %d (loop devices needed): %s", cmd, rc, out);
    }
    mounted = 1;
    free(out);
    free(cmd);
}

static void make_ext4(void)
{
    int fd = open(image_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, 64L << 20), 0);
    close(fd);
    char *cmd = pp_fmt("mkfs.ext4 -q -F '%s'", image_path);
    char *out = NULL;
    int rc = shell(cmd, &out);
    if (rc != 0) {
        fail_msg("%s exited %d (e2fsprogs needed): %s", cmd, rc, out);
    }
    free(out);
    free(cmd);
    mount_ext4();
}

/* 1 when a new file on mnt is refused as on a read-only file system (the
** flag itself is not portable: newer kernels keep the mount "rw" and mark
** it emergency_ro). */
static int mnt_read_only(void)
{
    char probe[1300];
    snprintf(probe, sizeof probe, "%s/write-probe", mnt);
    int fd = open(probe, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) {
        close(fd);
        unlink(probe);
        return 0;
    }
    if (errno != EROFS) {
        fail_msg("creating %s failed with %s, not EROFS", probe, strerror(errno));
    }
    return 1;
}

/* Raises an ext4 error on mnt's file system through its sysfs knob
** (/sys/fs/ext4/<device>/trigger_fs_error); with errors=remount-ro the
** kernel aborts the journal and makes the file system read-only at once,
** open files included. */
static void ext4_fail(void)
{
    struct stat st;
    assert_int_equal(stat(mnt, &st), 0);
    char link[128], target[512];
    snprintf(link, sizeof link, "/sys/dev/block/%u:%u", major(st.st_dev), minor(st.st_dev));
    ssize_t n = readlink(link, target, sizeof target - 1);
    assert_true(n > 0);
    target[n] = '\0';
    const char *device = strrchr(target, '/') != NULL ? strrchr(target, '/') + 1 : target;
    char *knob = pp_fmt("/sys/fs/ext4/%s/trigger_fs_error", device);
    FILE *f = fopen(knob, "w");
    if (f == NULL) {
        fail_msg("cannot open %s: %s", knob, strerror(errno));
    }
    fputs("payout-panel test_faults: the disk failed\n", f);
    assert_int_equal(fclose(f), 0);
    free(knob);
    if (!mnt_read_only()) {
        fail_msg("the ext4 error did not make %s read-only", mnt);
    }
}

/* After the fault: unmounts, repairs with e2fsck as an operator would and
** mounts read-write again. */
static void ext4_repair(void)
{
    assert_int_equal(umount2(mnt, 0), 0);
    mounted = 0;
    char *cmd = pp_fmt("e2fsck -f -y '%s'", image_path);
    char *out = NULL;
    int rc = shell(cmd, &out);
    /* 0: clean; 1: errors corrected (the recorded error, free counts). */
    if (rc != 0 && rc != 1) {
        fail_msg("%s exited %d: %s", cmd, rc, out);
    }
    free(out);
    free(cmd);
    mount_ext4();
    assert_false(mnt_read_only());
}

static struct pp_resp *post_ids(const char *path, const char *token, long long id)
{
    char *body = pp_fmt("{\"ids\":[%lld]}", id);
    struct pp_resp *r = post_once(path, token, body);
    free(body);
    return r;
}

/* The "total" of a one-row page of a list. */
static long long list_total(const char *path, const char *token)
{
    struct pp_resp *r = pp_get(&srv, path, token);
    pp_assert_status(r, 200);
    long long total = pp_json_int(r->json, "total");
    pp_resp_free(r);
    return total;
}

static long long audit_total(void)
{
    return list_total("/api/admin/audit?size=1", admin_token);
}

static long long payments_total(void)
{
    return list_total("/api/payments?size=1", api_key);
}

static void assert_payout_status(long long id, const char *status)
{
    char *path = pp_fmt("/api/payments/%lld", id);
    struct pp_resp *r = pp_get(&srv, path, api_key);
    pp_assert_status(r, 200);
    pp_assert_json_str(r->json, "status", status);
    pp_resp_free(r);
    free(path);
}

/* Every write the server takes, on the read-only file system. */
static void assert_writes_refused(long long cancel_id)
{
    struct pp_resp *r = create("while read-only");
    assert_fault(r);
    pp_resp_free(r);
    r = post_once("/api/admin/funds/deposit", admin_token,
                  "{\"currency\":\"GBP\",\"amount\":5,\"reference\":\"ro\"}");
    assert_fault(r);
    pp_resp_free(r);
    r = post_ids("/api/payment/cancel", api_key, cancel_id);
    assert_fault(r);
    pp_resp_free(r);
    r = pp_post(&srv, "/api/payment/create-list", api_key,
                "{\"payments\":[{\"amount\":2,\"currency\":\"GBP\",\"startDate\":\"2018-01-01\","
                "\"endDate\":\"2099-01-01\",\"name\":\"faults\",\"description\":\"ro list\","
                "\"userName\":\"faults\",\"notification\":false}]}");
    assert_fault(r);
    pp_resp_free(r);
}

/* Reads go on while writes cannot: the books exactly as before. */
static void assert_reads_served(long long cancel_id, long long audits)
{
    assert_books();
    assert_payout_status(cancel_id, "READY");
    assert_int_equal(payments_total(), creates_ok);
    assert_int_equal(audit_total(), audits);
    struct pp_resp *h = pp_get(&srv, "/healthz", NULL);
    pp_assert_status(h, 200);
    pp_resp_free(h);
}

static void test_database_turns_read_only_while_serving(void **state)
{
    (void)state;
    make_ext4();
    start_funded();
    struct pp_resp *r = create("to cancel");
    pp_assert_status(r, 200);
    long long cancel_id =
        pp_json_int(json_array_get(json_object_get(r->json, "payments"), 0), "id");
    pp_resp_free(r);
    pp_resp_free(create("kept"));
    assert_int_equal(creates_ok, 2);
    long long audits = audit_total();

    ext4_fail();
    /* Twice: a failed write must not leave the writer stuck in a state
    ** that answers anything else. */
    for (int round = 0; round < 2; round++) {
        assert_writes_refused(cancel_id);
        assert_reads_served(cancel_id, audits);
    }
    /* The server shuts down on its own; its last checkpoint may fail. */
    int rc = pp_server_stop(&srv);
    if (rc < 0 || rc >= 128) {
        fail_msg("the server did not exit cleanly on SIGTERM with read-only storage: %d", rc);
    }

    ext4_repair();
    pp_assert_check(db_path, "after the read-only fault");
    pp_session_stop(&signed_in);
    assert_int_equal(pp_session_start(&signed_in), 0);
    /* Nothing of the refused writes: no payout, no deposit, no cancel, no
    ** audit entry (the admin's sign-in and the switch just made are two). */
    assert_reads_served(cancel_id, audits + 2);
    /* Writable again: the refused operations now go through. */
    r = post_ids("/api/payment/cancel", api_key, cancel_id);
    pp_assert_status(r, 200);
    pp_assert_number_text(r, "success", "1");
    pp_resp_free(r);
    creates_ok--; /* its funds are free again: assert_books counts blocked ones */
    r = create("after the repair");
    pp_assert_status(r, 200);
    pp_resp_free(r);
    assert_books();
    stop_and_check();
    printf("read-only while serving: every write refused with the envelope, reads served, "
           "nothing written; after e2fsck and a restart the books hold\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_read_only_database, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disk_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_locked_database, setup, teardown),
        cmocka_unit_test_setup_teardown(test_database_turns_read_only_while_serving, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
