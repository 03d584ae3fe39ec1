/*
** This header is the contract of the black-box API test harness: it starts
** the real payout-panel binary ($PP_SERVER_BIN) as a child process on an
** ephemeral loopback port, talks HTTP to it through libcurl, and offers the
** helpers the tests share. Each concept has its own header under harness/:
**
**   server.h   the server child: start, stop, kill, destroy
**   process.h  runs of the binary's other commands (check, admin ...)
**   logs.h     the archive of server logs and noted secrets (test_logs)
**   http.h     requests and responses
**   json.h     the literal text of a JSON number in a body
**   assert.h   statuses, the error envelope, numbers, dates, payouts
**   flows.h    sign-in, integration, funds, the session, payouts, audit,
**              check, worker threads
**   util.h     clocks, strings, files, amounts, JWT and base64url
**
** It does not know anything about the server's internals: no sqlite, no
** source headers. Everything goes through the binary and its HTTP API.
**
** Threads: pp_request() is safe to call from
** several threads at once (each thread its own CURL handle). Everything that
** asserts (pp_call, pp_get, pp_post, the pp_assert_* helpers, the flows)
** must run on the test's main thread, because cmocka's failures longjmp.
*/
#ifndef PP_API_HARNESS_H
#define PP_API_HARNESS_H

#include "harness/assert.h"
#include "harness/flows.h"
#include "harness/http.h"
#include "harness/json.h"
#include "harness/logs.h"
#include "harness/process.h"
#include "harness/server.h"
#include "harness/util.h"

#endif /* PP_API_HARNESS_H */
