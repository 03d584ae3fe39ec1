/*
** This module implements the benchmark's storage probe: how long one
** durable write takes on the file system that holds the database, the
** wait every create pays before it is answered (synchronous=FULL). It
** runs two bounded loops on a scratch file in the directory it is given:
**   overwrite  a 4 KiB pwrite over a page of a preallocated 256 KiB file,
**              then fdatasync (a WAL reused after a checkpoint, a page of
**              the database file);
**   append     an 8 KiB write at the end of the file, then fdatasync (a
**              growing WAL: the size changes, so the file system commits its
**              metadata too).
** Each loop stops after ITERATIONS rounds or SECONDS of wall time,
** whichever comes first, and prints one machine-readable line:
**   FSYNC case=overwrite bytes=4096 n=2000 seconds=0.31 p50_us=120 p99_us=410
**         mean_us=150.2 max_us=900 fs=ext2/3/4
** The time of a round is the write and the fdatasync together (the write
** alone only copies into the page cache). The scratch file is removed
** before the probe exits.
**
** It does not model SQLite's commit (several pages, the WAL header, a
** checkpoint now and then): it measures the floor under one commit, which
** is what the fsync-bound ceilings in `make bench` are computed from.
**
** It is a benchmark tool only and is not part of the product or its tests.
** Usage: fsync-probe DIR [ITERATIONS [SECONDS]]  (defaults 2000 and 10).
*/
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* Rounds per loop at most: bounds the sample buffer (8 bytes a round). */
#define PROBE_ITERATIONS_MAX 1000000L
/* Wall time per loop at most, so a slow disk cannot stall `make bench`. */
#define PROBE_SECONDS_MAX 600L
#define PROBE_OVERWRITE_BYTES 4096u
/* Pages the overwrite loop cycles through (256 KiB, like a short WAL). */
#define PROBE_OVERWRITE_PAGES 64u
#define PROBE_APPEND_BYTES 8192u
#define PROBE_PATH_BYTES_MAX 4096u

/* One loop's settings and its samples (nanoseconds, one per round). */
struct probe_run {
    const char *case_name;
    size_t write_bytes;
    int append;
    long iterations_max;
    long seconds_max;
    uint64_t *samples_ns;
    long samples_count;
    double seconds;
};

static uint64_t probe_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int probe_u64_compare(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a;
    uint64_t y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The file system's name for the report (statfs magic numbers). */
static const char *probe_fs_name(const char *dir)
{
    struct statfs st;
    if (statfs(dir, &st) != 0) {
        return "unknown";
    }
    switch ((unsigned long)st.f_type) {
    case 0xEF53ul:
        return "ext2/3/4";
    case 0x58465342ul:
        return "xfs";
    case 0x9123683Eul:
        return "btrfs";
    case 0x01021994ul:
        return "tmpfs";
    case 0x794C7630ul:
        return "overlayfs";
    case 0x2FC12FC1ul:
        return "zfs";
    case 0xF2F52010ul:
        return "f2fs";
    case 0x6969ul:
        return "nfs";
    default:
        return "other";
    }
}

/* Writes the whole buffer at offset (or at the end when append). */
static int probe_write_all(int fd, const unsigned char *buf, size_t len, off_t offset, int append)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = append ? write(fd, buf + done, len - done)
                           : pwrite(fd, buf + done, len - done, offset + (off_t)done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return -1;
        }
        done += (size_t)n;
    }
    return 0;
}

/* Prepares the scratch file: the overwrite case gets its pages written
** and synced once, so the loop changes data, never the size. */
static int probe_file_prepare(int fd, const struct probe_run *run, unsigned char *buf)
{
    if (run->append) {
        return 0;
    }
    for (unsigned i = 0; i < PROBE_OVERWRITE_PAGES; i++) {
        if (probe_write_all(fd, buf, run->write_bytes, (off_t)i * (off_t)run->write_bytes, 0) !=
            0) {
            return -1;
        }
    }
    return fsync(fd);
}

/* Runs one loop on a fresh scratch file in dir; fills run's samples. */
static int probe_run_loop(const char *dir, struct probe_run *run)
{
    int rc = -1;
    int fd = -1;
    char path[PROBE_PATH_BYTES_MAX];
    unsigned char *buf = malloc(run->write_bytes);
    if (buf == NULL) {
        goto done;
    }
    memset(buf, 0x5A, run->write_bytes);
    if (snprintf(path, sizeof path, "%s/.fsync-probe.XXXXXX", dir) >= (int)sizeof path) {
        fprintf(stderr, "fsync-probe: directory path too long\n");
        goto done;
    }
    fd = mkostemp(path, O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "fsync-probe: %s: %s\n", path, strerror(errno));
        goto done;
    }
    /* Unlinked at once: nothing is left behind if the probe is killed. */
    unlink(path);
    if (probe_file_prepare(fd, run, buf) != 0) {
        fprintf(stderr, "fsync-probe: preparing the file: %s\n", strerror(errno));
        goto done;
    }
    uint64_t start_ns = probe_now_ns();
    uint64_t stop_ns = start_ns + (uint64_t)run->seconds_max * 1000000000u;
    run->samples_count = 0;
    for (long i = 0; i < run->iterations_max; i++) {
        /* A different first word each round: every write changes data. */
        memcpy(buf, &i, sizeof i);
        off_t offset = (off_t)((unsigned long)i % PROBE_OVERWRITE_PAGES) * (off_t)run->write_bytes;
        uint64_t t0 = probe_now_ns();
        if (probe_write_all(fd, buf, run->write_bytes, offset, run->append) != 0 ||
            fdatasync(fd) != 0) {
            fprintf(stderr, "fsync-probe: %s: %s\n", run->case_name, strerror(errno));
            goto done;
        }
        uint64_t t1 = probe_now_ns();
        run->samples_ns[run->samples_count++] = t1 - t0;
        if (t1 >= stop_ns) {
            break;
        }
    }
    run->seconds = (double)(probe_now_ns() - start_ns) / 1e9;
    rc = 0;
done:
    if (fd >= 0) {
        close(fd);
    }
    free(buf);
    return rc;
}

/* Prints the FSYNC line of one finished loop (sorts its samples). */
static void probe_run_report(struct probe_run *run, const char *fs)
{
    long n = run->samples_count;
    qsort(run->samples_ns, (size_t)n, sizeof run->samples_ns[0], probe_u64_compare);
    double sum_ns = 0;
    for (long i = 0; i < n; i++) {
        sum_ns += (double)run->samples_ns[i];
    }
    /* Nearest rank: the smallest sample with at least p% at or below it. */
    long p50 = (n * 50 + 99) / 100 - 1;
    long p99 = (n * 99 + 99) / 100 - 1;
    printf("FSYNC case=%s bytes=%zu n=%ld seconds=%.3f p50_us=%.1f p99_us=%.1f mean_us=%.1f "
           "max_us=%.1f fs=%s\n",
           run->case_name, run->write_bytes, n, run->seconds, (double)run->samples_ns[p50] / 1e3,
           (double)run->samples_ns[p99] / 1e3, sum_ns / (double)n / 1e3,
           (double)run->samples_ns[n - 1] / 1e3, fs);
    fflush(stdout);
}

static long probe_arg_parse(const char *text, long min, long max, const char *what)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < min || v > max) {
        fprintf(stderr, "fsync-probe: %s must be %ld..%ld, not %s\n", what, min, max, text);
        return -1;
    }
    return v;
}

int main(int argc, char **argv)
{
    int rc = 1;
    uint64_t *samples = NULL;
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: fsync-probe DIR [ITERATIONS [SECONDS]]\n");
        goto done;
    }
    long iterations =
        argc > 2 ? probe_arg_parse(argv[2], 1, PROBE_ITERATIONS_MAX, "ITERATIONS") : 2000;
    long seconds = argc > 3 ? probe_arg_parse(argv[3], 1, PROBE_SECONDS_MAX, "SECONDS") : 10;
    if (iterations < 0 || seconds < 0) {
        goto done;
    }
    samples = calloc((size_t)iterations, sizeof *samples);
    if (samples == NULL) {
        fprintf(stderr, "fsync-probe: out of memory\n");
        goto done;
    }
    const char *fs = probe_fs_name(argv[1]);
    struct probe_run runs[] = {
        {"overwrite", PROBE_OVERWRITE_BYTES, 0, iterations, seconds, samples, 0, 0},
        {"append", PROBE_APPEND_BYTES, 1, iterations, seconds, samples, 0, 0},
    };
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        if (probe_run_loop(argv[1], &runs[i]) != 0 || runs[i].samples_count == 0) {
            goto done;
        }
        probe_run_report(&runs[i], fs);
    }
    rc = 0;
done:
    free(samples);
    return rc;
}
