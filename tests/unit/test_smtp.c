/*
** This module implements the integration tests of out/smtp.c against an
** SMTP sink the test starts on 127.0.0.1 (tests/smtp_sink.py on Debian's
** aiosmtpd, a child process that stops when its standard input closes):
** a composed message arrives byte for byte (headers as composed, the
** injected "Bcc:" still inside the description, dot-stuffing undone), a
** 4xx is a temporary failure and a 5xx a permanent one with the server's
** reply, an unreachable server is temporary, AUTH with the right, a wrong
** and no password, STARTTLS with a certificate made at test time (and the
** same server refused when the certificate is not trusted), smtps://, and
** the --smtp-url check.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "payout/out/mail.h"
#include "payout/out/smtp.h"

static char tmp_dir[512];
static char cert[600];
static char key[600];

struct sink {
    pid_t pid;
    int stdin_fd;
    unsigned port;
    char dir[600];
    char url[64];
};

static int sinks_made;

/* Starts the sink with extra arguments (NULL-terminated) in a directory
** of its own; fails the test if it does not print its port. */
static void sink_start(struct sink *s, const char *const extra[])
{
    int in[2], out[2];
    const char *argv[24] = {PP_PYTHON3, PP_SMTP_SINK, "--dir", s->dir};
    size_t argc = 4;

    snprintf(s->dir, sizeof s->dir, "%s/sink-%d", tmp_dir, ++sinks_made);
    assert_int_equal(mkdir(s->dir, 0700), 0);
    for (size_t i = 0; extra != NULL && extra[i] != NULL; i++) {
        argv[argc++] = extra[i];
    }
    argv[argc] = NULL;
    assert_int_equal(pipe(in), 0);
    assert_int_equal(pipe(out), 0);
    s->pid = fork();
    assert_true(s->pid >= 0);
    if (s->pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[1]);
        close(out[0]);
        execv(PP_PYTHON3, (char *const *)argv);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    s->stdin_fd = in[1];
    char line[32] = "";
    size_t n = 0;
    while (n + 1 < sizeof line && (n == 0 || line[n - 1] != '\n')) {
        ssize_t r = read(out[0], line + n, 1);
        if (r <= 0) {
            fail_msg("the SMTP sink did not start (is python3-aiosmtpd installed?)");
        }
        n += (size_t)r;
        line[n] = '\0';
    }
    close(out[0]);
    s->port = (unsigned)strtoul(line, NULL, 10);
    assert_true(s->port > 0 && s->port < 65536);
    snprintf(s->url, sizeof s->url, "smtp://127.0.0.1:%u", s->port);
}

static void sink_stop(struct sink *s)
{
    int status = 0;
    close(s->stdin_fd);
    assert_int_equal(waitpid(s->pid, &status, 0), s->pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* The sink's file n.<ext>, NUL-terminated; NULL when it does not exist. */
static char *sink_file(const struct sink *s, int n, const char *ext, size_t *len)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%d.%s", s->dir, n, ext);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    char *data = malloc(1 << 20);
    assert_non_null(data);
    size_t got = fread(data, 1, (1 << 20) - 1, f);
    fclose(f);
    data[got] = '\0';
    if (len != NULL) {
        *len = got;
    }
    return data;
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmp_dir, sizeof tmp_dir, "%s/smtp-XXXXXX", PP_TEST_TMP);
    mkdir(PP_TEST_TMP, 0700);
    if (mkdtemp(tmp_dir) == NULL) {
        return -1;
    }
    snprintf(cert, sizeof cert, "%s/cert.pem", tmp_dir);
    snprintf(key, sizeof key, "%s/key.pem", tmp_dir);
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "openssl req -x509 -newkey rsa:2048 -nodes -keyout '%s' -out '%s' -days 1 "
             "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1",
             key, cert);
    if (system(cmd) != 0) {
        return -1;
    }
    signal(SIGPIPE, SIG_IGN);
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
    curl_global_cleanup();
    return system(cmd) == 0 ? 0 : -1;
}

static char *composed(size_t *len)
{
    struct out_mail_envelope env = {"payouts@panel.example", "ann.lee@example.com",
                                    1924948800000LL};
    struct out_mail_payout p = {OUT_MAIL_READY,  "0c9f4b1e-7d2a-4c1b-9e0f-3a5b6c7d8e9f",
                                "10.00",         "EUR",
                                "Acme",          "Rent\r\nBcc: x@y",
                                1924948800000LL, 1925553600000LL};
    struct pp_buf b;
    pp_buf_init(&b);
    assert_int_equal(out_mail_compose(&env, &p, &b, NULL), PP_OK);
    return pp_buf_take(&b, len);
}

static void send_to(const struct out_smtp_config *config, const char *msg, size_t len,
                    struct out_smtp_result *r)
{
    out_smtp_send(config, "payouts@panel.example", "ann.lee@example.com", msg, len, r);
}

static void smtp_arrives_byte_exact(void **state)
{
    (void)state;
    struct sink s;
    struct out_smtp_result r;
    size_t len = 0, got_len = 0;

    sink_start(&s, NULL);
    struct out_smtp_config config = {s.url, NULL, NULL, NULL};
    char *msg = composed(&len);
    send_to(&config, msg, len, &r);
    assert_int_equal(r.outcome, OUT_SMTP_SENT);
    assert_int_equal(r.code, 250);
    assert_string_equal(r.reply, "250 2.0.0 Message accepted");
    char *got = sink_file(&s, 1, "eml", &got_len);
    assert_non_null(got);
    assert_int_equal(got_len, len);
    assert_memory_equal(got, msg, len);
    /* The header section holds no Bcc; the text is in the body. */
    *strstr(got, "\r\n\r\n") = '\0';
    assert_null(strstr(got, "Bcc"));
    char *env = sink_file(&s, 1, "env", NULL);
    assert_string_equal(env, "from=payouts@panel.example\nto=ann.lee@example.com\ntls=0\nlogin=\n");
    free(got);
    free(env);
    free(msg);
    /* Lines starting with a dot survive SMTP's dot-stuffing unchanged. */
    const char raw[] = "Subject: dots\r\n\r\n.\r\n..\r\n.hidden\r\nend\r\n";
    send_to(&config, raw, sizeof raw - 1, &r);
    assert_int_equal(r.outcome, OUT_SMTP_SENT);
    got = sink_file(&s, 2, "eml", &got_len);
    assert_non_null(got);
    assert_int_equal(got_len, sizeof raw - 1);
    assert_memory_equal(got, raw, sizeof raw - 1);
    free(got);
    sink_stop(&s);
}

static void expect_failure(const char *const args[], enum out_smtp_outcome outcome, long code,
                           const char *reply)
{
    struct sink s;
    struct out_smtp_result r;
    const char raw[] = "Subject: x\r\n\r\nbody\r\n";

    sink_start(&s, args);
    struct out_smtp_config config = {s.url, NULL, NULL, NULL};
    send_to(&config, raw, sizeof raw - 1, &r);
    assert_int_equal(r.outcome, outcome);
    assert_int_equal(r.code, code);
    assert_string_equal(r.reply, reply);
    assert_null(sink_file(&s, 1, "eml", NULL));
    sink_stop(&s);
}

static void smtp_temporary_4xx(void **state)
{
    (void)state;
    const char *const rcpt[] = {"--fail-rcpt", "451 4.3.0 Try again later", NULL};
    const char *const data[] = {"--fail-data", "452 4.3.1 Insufficient storage", NULL};
    expect_failure(rcpt, OUT_SMTP_TEMPORARY, 451, "451 4.3.0 Try again later");
    expect_failure(data, OUT_SMTP_TEMPORARY, 452, "452 4.3.1 Insufficient storage");
}

static void smtp_permanent_5xx(void **state)
{
    (void)state;
    const char *const rcpt[] = {"--fail-rcpt", "550 5.1.1 No such user", NULL};
    const char *const data[] = {"--fail-data", "554 5.7.1 Message refused", NULL};
    expect_failure(rcpt, OUT_SMTP_PERMANENT, 550, "550 5.1.1 No such user");
    expect_failure(data, OUT_SMTP_PERMANENT, 554, "554 5.7.1 Message refused");
}

/* A port nobody listens on (bound, then closed): temporary, no code. */
static void smtp_unreachable_temporary(void **state)
{
    (void)state;
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sin;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
    close(fd);
    char url[64];
    snprintf(url, sizeof url, "smtp://127.0.0.1:%u", ntohs(sin.sin_port));
    struct out_smtp_config config = {url, NULL, NULL, NULL};
    struct out_smtp_result r;
    send_to(&config, "x\r\n", 3, &r);
    assert_int_equal(r.outcome, OUT_SMTP_TEMPORARY);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.reply, "connect"));
}

static void smtp_auth(void **state)
{
    (void)state;
    const char *const args[] = {"--user", "mailer", "--password", "s3cret-pw", NULL};
    const char raw[] = "Subject: x\r\n\r\nbody\r\n";
    struct sink s;
    struct out_smtp_result r;

    sink_start(&s, args);
    struct out_smtp_config config = {s.url, "mailer", "s3cret-pw", NULL};
    send_to(&config, raw, sizeof raw - 1, &r);
    assert_int_equal(r.outcome, OUT_SMTP_SENT);
    char *env = sink_file(&s, 1, "env", NULL);
    assert_non_null(env);
    assert_non_null(strstr(env, "\nlogin=mailer\n"));
    free(env);
    config.password = "wrong";
    send_to(&config, raw, sizeof raw - 1, &r);
    assert_int_equal(r.outcome, OUT_SMTP_PERMANENT);
    assert_int_equal(r.code, 535);
    assert_null(strstr(r.reply, "wrong"));
    config.user = NULL;
    send_to(&config, raw, sizeof raw - 1, &r);
    assert_int_equal(r.outcome, OUT_SMTP_PERMANENT);
    assert_int_equal(r.code, 530);
    assert_null(sink_file(&s, 2, "eml", NULL));
    sink_stop(&s);
}

static void smtp_starttls(void **state)
{
    (void)state;
    const char *const args[] = {"--cert", cert,     "--key",      key,         "--starttls",
                                "--user", "mailer", "--password", "s3cret-pw", NULL};
    const char raw[] = "Subject: x\r\n\r\nover TLS\r\n";
    struct sink s;
    struct out_smtp_result r;

    sink_start(&s, args);
    struct out_smtp_config config = {s.url, "mailer", "s3cret-pw", cert};
    send_to(&config, raw, sizeof raw - 1, &r);
    assert_int_equal(r.outcome, OUT_SMTP_SENT);
    char *env = sink_file(&s, 1, "env", NULL);
    assert_non_null(env);
    assert_non_null(strstr(env, "\ntls=1\nlogin=mailer\n"));
    free(env);
    /* A certificate the client does not trust: nothing is sent, and the
    ** failure is temporary (the operator can fix the trust store). */
    config.ca_file = NULL; /* the system's trust store, which never saw it */
    send_to(&config, raw, sizeof raw - 1, &r);
    assert_int_equal(r.outcome, OUT_SMTP_TEMPORARY);
    assert_null(sink_file(&s, 2, "eml", NULL));
    sink_stop(&s);
}

static void smtp_implicit_tls(void **state)
{
    (void)state;
    const char *const args[] = {"--cert", cert, "--key", key, "--implicit-tls", NULL};
    const char raw[] = "Subject: x\r\n\r\nsmtps\r\n";
    struct sink s;
    struct out_smtp_result r;
    char url[64];

    sink_start(&s, args);
    snprintf(url, sizeof url, "smtps://127.0.0.1:%u", s.port);
    struct out_smtp_config config = {url, NULL, NULL, cert};
    send_to(&config, raw, sizeof raw - 1, &r);
    assert_int_equal(r.outcome, OUT_SMTP_SENT);
    char *env = sink_file(&s, 1, "env", NULL);
    assert_non_null(env);
    assert_non_null(strstr(env, "\ntls=1\n"));
    free(env);
    sink_stop(&s);
}

static void smtp_bad_addresses(void **state)
{
    (void)state;
    struct out_smtp_config config = {"smtp://127.0.0.1:1", NULL, NULL, NULL};
    struct out_smtp_result r;
    out_smtp_send(&config, "a@b.com", "x@y.com>\r\nRCPT TO:<z@w.com", "x\r\n", 3, &r);
    assert_int_equal(r.outcome, OUT_SMTP_PERMANENT);
    assert_string_equal(r.reply, "invalid sender or recipient address");
    out_smtp_send(&config, "a@localhost", "x@y.com", "x\r\n", 3, &r);
    assert_int_equal(r.outcome, OUT_SMTP_PERMANENT);
}

static void smtp_url_check(void **state)
{
    (void)state;
    static const char *const good[] = {"smtp://mail.example.com", "smtp://mail.example.com:587",
                                       "smtps://mail.example.com:465/", "smtp://127.0.0.1:25",
                                       "smtp://[::1]:2525"};
    static const char *const bad[] = {
        "",
        "mail.example.com",
        "http://mail.example.com",
        "smtp://",
        "smtp://:25",
        "smtp://user:pw@mail.example.com",
        "smtp://mail.example.com:0",
        "smtp://mail.example.com:65536",
        "smtp://mail.example.com:25x",
        "smtp://mail.example.com/path",
        "smtp://mail example.com",
        "smtp://[::1",
        "SMTP://mail.example.com",
        "smtp://mail.example.com:",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        if (out_smtp_url_check(good[i], NULL) != PP_OK) {
            fail_msg("refused %s", good[i]);
        }
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct pp_err err;
        pp_err_clear(&err);
        if (out_smtp_url_check(bad[i], &err) != PP_INVALID_PARAMS) {
            fail_msg("accepted %s", bad[i]);
        }
        assert_non_null(strstr(err.message, "--smtp-url"));
    }
    assert_int_equal(out_smtp_url_check(NULL, NULL), PP_INVALID_PARAMS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(smtp_arrives_byte_exact),
        cmocka_unit_test(smtp_temporary_4xx),
        cmocka_unit_test(smtp_permanent_5xx),
        cmocka_unit_test(smtp_unreachable_temporary),
        cmocka_unit_test(smtp_auth),
        cmocka_unit_test(smtp_starttls),
        cmocka_unit_test(smtp_implicit_tls),
        cmocka_unit_test(smtp_bad_addresses),
        cmocka_unit_test(smtp_url_check),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
