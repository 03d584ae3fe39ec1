/*
** This header declares the log archive: where every server's output and
** every secret the tests handled end up, for test_logs.
*/
#ifndef PP_HARNESS_LOGS_H
#define PP_HARNESS_LOGS_H

/* Records a secret the tests handled (password, token) in
** PP_TEST_TMPDIR/server-logs/secrets.txt, so that test_logs can check that
** no server log contains it. The login/authenticate flows call it. */
void pp_secret_note(const char *secret);

/* The directory holding the archived server logs and noted secrets
** (borrowed, static). */
const char *pp_log_archive_dir(void);

#endif /* PP_HARNESS_LOGS_H */
