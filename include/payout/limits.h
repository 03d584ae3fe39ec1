/*
** This header holds every limit of payout-panel in one place, each with the
** reason it has the value it has. Nothing else in the tree hard-codes a size,
** a count or a timeout: change it here and the whole server follows.
*/
#ifndef PAYOUT_LIMITS_H
#define PAYOUT_LIMITS_H

/* --- HTTP -------------------------------------------------------------- */

/* Default largest request body. A single payout is well under 4 KiB; a
** list of payouts (lists API) fits comfortably in 1 MiB. Configurable with
** --body-max. */
#define PP_BODY_BYTES_DEFAULT (1024u * 1024u)
/* Hard ceiling for --body-max, so a typo cannot ask for gigabytes. */
#define PP_BODY_BYTES_MAX (64u * 1024u * 1024u)
/* Deepest JSON nesting we accept. Our bodies are at most two levels deep;
** jansson's own parser recurses, so this guards its stack. */
#define PP_JSON_DEPTH_MAX 16
/* Longest request path we route. Real paths are under 64 bytes. */
#define PP_PATH_BYTES_MAX 1024
/* Query parameters we read per request; more is refused. */
#define PP_QUERY_PARAMS_MAX 32
/* Path parameters (like {id}) per route. */
#define PP_ROUTE_PARAMS_MAX 4
/* Extra headers one answer carries beyond the content type: the four
** rate-limit headers, Retry-After, Idempotent-Replayed, Set-Cookie, with
** room. */
#define PP_RESPONSE_HEADERS_MAX 8
/* Longest extra header name ("Idempotent-Replayed", "X-RateLimit-Remaining"). */
#define PP_RESPONSE_HEADER_NAME_BYTES 32
/* Longest extra header value: numbers, the export's Content-Disposition,
** and the session's Set-Cookie (name, 43-character id, attributes: under
** 160 bytes). */
#define PP_RESPONSE_HEADER_VALUE_BYTES 192
/* Path segments per route pattern. */
#define PP_ROUTE_SEGMENTS_MAX 8
/* Longest header value the API reads (tokens, idempotency keys). A HS256
** JWT with our claims is about 250 bytes; 4 KiB leaves room and still
** bounds the work of verifying garbage. */
#define PP_HEADER_BYTES_MAX 4096
/* libmicrohttpd's per-connection memory: the request line, headers and
** read buffer must fit (a body is read through it in pieces). 16 KiB, as
** Node.js allows for headers by default: far above what browsers and API
** clients send (a session cookie, a 250-byte token). libmicrohttpd zeroes
** the whole of it before every request on a connection, so every KiB here
** costs every request. */
#define PP_CONNECTION_MEMORY_BYTES (16u * 1024u)
/* Simultaneous connections. Each costs ~PP_CONNECTION_MEMORY_BYTES. */
#define PP_CONNECTIONS_MAX 1024u
/* Seconds a connection may sit idle (or trickle a request) before it is
** dropped. */
#define PP_CONNECTION_TIMEOUT_S 15u
/* Simultaneous connections from one client address: a single host cannot
** take more than a sixteenth of PP_CONNECTIONS_MAX, so one slow or abusive
** client leaves room for everyone else. Configurable (--per-ip-connections). */
#define PP_CONNECTIONS_PER_IP_MAX 64u
/* A request body must be complete within this many connection timeouts
** from the first byte of the request: the idle timeout alone never fires
** for a client that trickles one byte just before each timeout. */
#define PP_REQUEST_TIMEOUTS_MAX 2u
/* Seconds a connection has, in total, to send a request's headers: from
** its accept, or from its last answer on a kept-alive connection. The idle
** timeout alone never fires for a client sending a header line every few
** seconds, so without this 64 such clients per address held every slot.
** 10 s is far more than any real client needs (headers come in one
** packet). Configurable (--header-timeout-s, 1..PP_HEADER_TIMEOUT_S_MAX). */
#define PP_HEADER_TIMEOUT_S 10u
#define PP_HEADER_TIMEOUT_S_MAX 3600
/* How often the connection guard looks for connections past the header
** deadline: the deadline is kept to within this. */
#define PP_HEADER_SWEEP_MS 250
/* Room kept for new clients: once fewer than connections_max / this
** are free, each new connection drops the oldest one still waiting for
** its headers (a new client always gets in; a slow one goes first). */
#define PP_CONNECTIONS_RESERVE_DIV 16u
/* Seconds graceful shutdown waits for in-flight requests, then again for
** the writes they queued (--stop-wait-s). */
#define PP_SHUTDOWN_WAIT_S 10
/* Ceiling for --stop-wait-s: ten minutes, longer than a service manager
** is usually told to wait (systemd's TimeoutStopSec is 90 s). */
#define PP_SHUTDOWN_WAIT_S_MAX 600
/* First chunk of a request's arena; most requests never need a second. */
#define PP_ARENA_CHUNK_BYTES 4096u
/* Longest X-Request-Id a client may give us (else we make our own); ours
** are 17 bytes. Tracing ids of common proxies are at most 40. */
#define PP_REQUEST_ID_GIVEN_BYTES_MAX 64
/* X-Forwarded-For header lines read behind --trusted-proxies: the last
** ones, which the proxies wrote (the client address is found walking from
** the right); a chain of proxies adds one line or one entry per hop, and
** lines further left are the client's own and never needed. */
#define PP_FORWARDED_LINES_MAX 8
/* A request id buffer: the longest given id or ours, plus NUL, with room. */
#define PP_REQUEST_ID_BYTES 72
/* The Allow header of a 405: every method of one path ("GET, HEAD, POST,
** PUT, DELETE" is 28 bytes). Also the size of api_response.allow. */
#define PP_ALLOW_BYTES 64
/* Block a streamed body (CSV export) is pulled in: large enough that a big
** export is few calls, small enough to stay in the per-connection memory. */
#define PP_STREAM_BLOCK_BYTES (32u * 1024u)
/* A libmicrohttpd log message; longer ones are cut (they are diagnostics). */
#define PP_HTTP_LOG_MESSAGE_BYTES 512
/* What the access log keeps of a method and of a path: real ones are far
** shorter; a hostile 1 KiB path must not make every log line huge. */
#define PP_LOG_METHOD_BYTES_MAX 16
#define PP_LOG_PATH_BYTES_MAX 256

/* --- Money and payouts -------------------------------------------------- */

/* Largest amount in minor units: 15 significant digits. Amounts travel as
** JSON numbers, i.e. IEEE doubles, which round-trip every decimal of up to
** 15 significant digits exactly; past that "0.1 in, 0.1 out" cannot be
** promised. Sums of many amounts (reports, totals, the ledger check) pass
** INT64_MAX after some 9,224 of the largest: they are computed exactly in
** 128 bits (store/internal.h, STORE_SQL_SUM_EXACT). */
#define PP_AMOUNT_MINOR_MAX 999999999999999LL
/* Largest available or blocked figure of a balance in minor units, money
** that can still move: far inside int64. The lifetime paid-out figure is
** not bound by it (a statistic must never refuse a receive): it carries
** into whole 10^18s (migration 0007) and is a 128-bit integer in C. */
#define PP_BALANCE_MINOR_MAX 999999999999999999LL
/* Longest decimal text we parse as an amount ("1234.56", "1e-05"). */
#define PP_AMOUNT_TEXT_BYTES_MAX 64
/* Buffer for a formatted amount: sign, 18 digits, point, NUL. */
#define PP_AMOUNT_TEXT_BYTES 32
/* Buffer for a formatted 128-bit sum of amounts: sign, 39 digits, point,
** NUL (core_money_format_wide). */
#define PP_AMOUNT_WIDE_TEXT_BYTES 48

/* Text field limits, in bytes of UTF-8. Generous for real data, small
** enough that a page of 100 payouts stays a few hundred KiB. */
#define PP_PROJECT_NAME_BYTES_MAX 200
#define PP_DESCRIPTION_BYTES_MAX 1000
#define PP_IDENT_BYTES_MAX 128       /* userName, phoneNumber, referenceId */
#define PP_PERSON_NAME_BYTES_MAX 128 /* firstName, lastName */
#define PP_EMAIL_BYTES_MAX 254       /* RFC 5321 path limit */
#define PP_REFERENCE_BYTES_MAX 200   /* deposit / payout references */
/* A payout's metadata: the integrator's own small JSON object, stored as
** compact text. 1 KiB keeps a page of payouts small. */
#define PP_METADATA_BYTES_MAX 1024
/* "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" plus NUL. */
#define PP_UUID_TEXT_BYTES 37
/* ids per cancel/authorize request. */
#define PP_IDS_MAX 1000
/* Rows of one bulk list (create-list or CSV import). All rows are written
** in ONE transaction on the single writer thread, so this bounds how long a
** list holds the writer (10,000 rows take well under a second) and the
** memory of one request (a row is ~1.5 KiB in flight). */
#define PP_LIST_ROWS_MAX 10000
/* Body limit of the list routes (create-list, import), above the default
** PP_BODY_BYTES_DEFAULT: 10,000 typical rows are 3-5 MiB of JSON; 16 MiB
** leaves ~1.6 KiB per row for long descriptions and names. */
#define PP_LIST_BODY_BYTES_MAX (16u * 1024u * 1024u)
/* Fields per CSV record the import reads. A list has at most 13 columns
** (the create fields); the slack lets a row with a few extra fields be
** reported as a bad row instead of failing the whole file. */
#define PP_CSV_FIELDS_MAX 64
/* Groups one report answer may hold (one per group and currency). A report
** by recipient over years could have millions; past this the caller must
** narrow the period or filter. */
#define PP_REPORT_GROUPS_MAX 10000
/* Default report period when `from` is not given: the last 30 days. */
#define PP_REPORT_DAYS_DEFAULT 30

/* --- Dates ---------------------------------------------------------------- */

/* Longest date text we parse ("Mon, 01 Jan 2018 12:00:00 +0100" is 31). */
#define PP_DATE_TEXT_BYTES_MAX 64
/* Buffer for "2018-01-01T12:00:00.000Z" plus NUL. */
#define PP_DATE_TEXT_BYTES 25
/* Accepted years. Before 1970 is no payout window; after 9999 the output
** format has no room. */
#define PP_YEAR_MIN 1970
#define PP_YEAR_MAX 9999

/* --- Security ------------------------------------------------------------- */

/* Lifetime of an integrator's API key (seed: 24 hours). */
#define PP_API_KEY_TTL_S (24 * 3600)
/* Lifetime of an admin token (spec §5: 8 hours). */
#define PP_ADMIN_TOKEN_TTL_S (8 * 3600)
/* HS256 signing key size: 256 bits, the hash's own size. */
#define PP_JWT_KEY_BYTES 32
/* Seconds a token's iat or nbf may lie in our future: clocks of hosts in
** one deployment drift by seconds, never by minutes. */
#define PP_TOKEN_CLOCK_SKEW_S 60
/* Longest token we will even try to verify. */
#define PP_TOKEN_BYTES_MAX 2048
/* Each thread remembers the last tokens it verified (sec/jwt.c), so a
** client sending the same key again costs no HMAC and no JSON parse: a
** few, since a thread serves few clients at once; up to this length (our
** own tokens are about 250 bytes; longer ones are simply not remembered).
** 4 x ~0.6 KiB per thread. */
#define PP_JWT_VERIFIED_CACHE 4
#define PP_JWT_VERIFIED_TOKEN_BYTES 512
/* Authentication password: 32 characters from a 62-symbol alphabet,
** ~190 bits of entropy. */
#define PP_API_PASSWORD_CHARS 32
/* Admin passwords: a floor for strength, a ceiling for hashing cost. */
#define PP_ADMIN_PASSWORD_BYTES_MIN 12
#define PP_ADMIN_PASSWORD_BYTES_MAX 256
/* Generated admin password length (base62). */
#define PP_ADMIN_PASSWORD_GENERATED_CHARS 24
/* PBKDF2-HMAC-SHA256 iterations for admin passwords (OWASP 2023). */
#define PP_PBKDF2_ITERATIONS 600000u
/* Iterations a stored hash may carry, and the range of
** --password-iterations (new hashes; lower only for test environments). */
#define PP_PBKDF2_ITERATIONS_MIN 1000u
#define PP_PBKDF2_ITERATIONS_MAX 10000000u
#define PP_PASSWORD_SALT_BYTES 16
/* Stored hash text: "pbkdf2-sha256$<iter>$<salt hex>$<hash hex>". */
#define PP_PASSWORD_HASH_TEXT_BYTES 160

/* Log-in lockout (sec/lockout.c), per client address and endpoint: after
** PP_LOGIN_FAILURES_MAX failures within PP_LOGIN_WINDOW_S the address is
** refused (429) for PP_LOGIN_LOCK_BASE_S, doubling with every further
** failure up to PP_LOGIN_LOCK_MAX_S. 10 a minute is far more than a person
** mistyping and far less than a guessing attack needs. */
#define PP_LOGIN_FAILURES_MAX 10
#define PP_LOGIN_WINDOW_S 60
#define PP_LOGIN_LOCK_BASE_S 2
#define PP_LOGIN_LOCK_MAX_S 900
/* Addresses the lockout remembers per endpoint; when full, the entry whose
** last failure is oldest is forgotten. */
#define PP_LOGIN_ADDRS_MAX 4096
/* On a database shared by several servers the lockout's entries are rows
** (core/lockout.c); a server that dies between reserving an attempt and
** settling it leaves the reservation behind. A credential check takes well
** under a second, so a reservation this old is forgotten. */
#define PP_LOGIN_PENDING_STALE_S 60

/* --- Storage ---------------------------------------------------------------- */

/* Read connections in the pool; each libmicrohttpd worker needs one at a
** time, so this is at least the thread-pool size. */
#define PP_READERS_MAX 16
/* A read connection keeps its read transaction open between uses while
** the writer has finished no batch since it began (store/sqlite/db.c), so
** a run of reads pays for one begin and end, not one each. A change made
** by another process on the same file (the `admin` command while the
** server runs) is not counted; it is seen within this many milliseconds,
** when a kept transaction is ended however quiet the writer is. */
#define PP_READ_SNAPSHOT_KEEP_MS 10
/* Requests the writer folds into one transaction. 64 creates per commit
** already amortise the fsync ~20x (measured: 6.3k tx/s vs 126k rows/s). */
#define PP_WRITER_BATCH_MAX 256
/* Project and recipient entries the writer keeps in memory (idcache.c):
** a create then finds its project and recipient without a statement. The
** bench's 10 projects and 10,000 recipients take about 40,000 entries;
** once either bound is reached the cache starts empty again at the next
** batch, so memory stays bounded (entries plus their bytes: ~10 MiB). */
#define PP_WRITER_ID_CACHE_ENTRIES 65536u
#define PP_WRITER_ID_CACHE_BYTES (8u * 1024u * 1024u)
/* Currencies whose balance one batch keeps in memory (funds.c) and writes
** once at its end; a batch touching more writes the oldest out early.
** ISO 4217 has about 180, a batch rarely touches more than a few. */
#define PP_WRITER_BALANCES_MAX 64u
/* Balances the PostgreSQL writer reads and locks in the round trip that
** opens a batch, before any request asks (store/pg/funds.c): those the
** batch before it used, the hot ones, up to this many. */
#define PP_PG_BALANCES_AHEAD_MAX 8u
/* Recipient identifiers the PostgreSQL writer reads ahead in the round
** trip that opens a batch (store/pg/changes.c): those of the batch's
** payout creates its cache does not know, up to this many (the rest are
** looked up as the creates run). */
#define PP_PG_RECIPIENTS_AHEAD_MAX 512u
/* Statements the PostgreSQL writer sends in its pipeline before it reads
** their results (store/pg/writer.c): the server writes each one's answer
** (~60 bytes) while the writer is still sending, and both must fit the
** socket's buffers (~200 KiB) or each side waits for the other. A full
** queue is read first (one round trip more). */
#define PP_PG_PIPELINE_QUEUED_MAX 256u
/* Rows the PostgreSQL writer gathers for one table's multi-row insert
** (store/pg/bulk.c) before it sends them: a batch of 256 creates stays
** one statement per table, and a long list is sent in pieces of at most
** ~1 MiB of parameters. */
#define PP_PG_BULK_ROWS_MAX 1024u
/* Recipients one PostgreSQL batch remembers having checked against the
** database (store/pg/changes.c); beyond this a recipient is checked again
** (one more statement in the pipeline, no round trip). */
#define PP_PG_RECIPIENT_CHECKS_MAX 512u
/* Newest projects and recipients the PostgreSQL writer reads into its
** empty cache (at start, after a rollback or once the cache was full):
** a recipient takes 4 entries, so this fills about half of
** PP_WRITER_ID_CACHE_ENTRIES in one read (~10 ms) instead of one round
** trip per recipient the first time each comes. */
#define PP_WRITER_WARM_RECIPIENTS 8192
#define PP_WRITER_WARM_PROJECTS 1024
/* --- Performance: handler pool and SQLite tuning ------------------------- */
/* Threads that run handlers which wait for a commit (every non-GET
** request), so the epoll workers keep serving. A commit can only group the
** writes that wait at once: 64 matches the benchmark's 64 connections and
** the per-address connection limit. Each costs a bounded stack (below). */
#define PP_HANDLER_THREADS_MAX 64u
/* Stack of a handler thread: the deepest handler (JSON at PP_JSON_DEPTH_MAX,
** a SQLite statement, the token check's 2 KiB buffers) uses well under it. */
#define PP_HANDLER_STACK_BYTES (1024u * 1024u)
/* Stack of a fiber (payout/base/fiber.h): a write handler run on an epoll
** worker needs what a handler thread needs. Only the pages touched count
** in resident memory; a guard page below each stops an overflow. */
#define PP_FIBER_STACK_BYTES PP_HANDLER_STACK_BYTES
/* Finished fibers' stacks a thread keeps for its next fibers: one per
** connection a worker serves at the benchmark's 64 connections over its
** 2 workers, with room; beyond it a stack is unmapped. */
#define PP_FIBER_SPARES_MAX 64u
/* Thread-local slots that follow a fiber across its parks (the store's
** write guard and named recipients, the keyed request). */
#define PP_FIBER_LOCALS_MAX 8u
/* The writer's page cache (KiB): keeps the hot index pages of the payout,
** ledger and audit tables in memory across batches. Readers keep SQLite's
** default (2 MiB each); memory-mapped I/O stays off so that resident memory
** does not grow with the database. */
#define PP_WRITER_CACHE_KIB 16384
/* WAL pages after which the log is checkpointed (by the checkpointer
** thread while the server runs, see checkpoint.c; by the commit itself in
** the command-line tools): a longer WAL is checkpointed less often, and it
** is reused, not grown (16 MiB on disk). */
#define PP_WAL_AUTOCHECKPOINT_PAGES 4000
/* WAL pages past which the writer checkpoints after its own commit, when
** the checkpointer has not caught up with a write load that never pauses:
** bounds the log at about 64 MiB. */
#define PP_WAL_CHECKPOINT_WRITER_PAGES (4 * PP_WAL_AUTOCHECKPOINT_PAGES)
/* The log starts again only once every page of it is copied, which under
** a steady load only the writer itself can finish: from this many pages
** on, when the checkpointer has left at most PP_WAL_CATCH_UP_PAGES_MAX
** uncopied, the writer copies those after its commit (a pause of a few
** milliseconds instead of copying thousands at the bound). */
#define PP_WAL_CATCH_UP_FROM_PAGES (3 * PP_WAL_AUTOCHECKPOINT_PAGES)
#define PP_WAL_CATCH_UP_PAGES_MAX 1000
/* Bytes of WAL writes gathered before one write system call (walbuf.c): a
** group commit of 64 payout creates writes ~800 KiB of frames. Allocated
** only by the connection that writes (the writer), once. */
#define PP_WAL_WRITE_BUFFER_BYTES (1024 * 1024)
/* Milliseconds a connection waits on a lock before SQLITE_BUSY. */
#define PP_DB_BUSY_TIMEOUT_MS 5000
/* Longest database path. */
#define PP_DB_PATH_BYTES_MAX 4096

/* --- Service: rate limits, idempotency, audit reads ------------------------ */

/* Default rate limit per API key and per client address: 200 requests per
** second with bursts of 400, twice the contract's floor of 100/s, so a
** well-behaved integrator never meets it. --rate-limit / --rate-burst. */
#define PP_RATE_LIMIT_DEFAULT 200u
#define PP_RATE_BURST_DEFAULT 400u
/* Ceilings for the flags (a bucket of 10^7 tokens still fits int64 x 1000). */
#define PP_RATE_LIMIT_MAX 1000000u
#define PP_RATE_BURST_MAX 10000000u
/* Keys each limiter table holds (one for API keys, one for addresses);
** ~80 bytes a slot, so about 1.3 MiB each. The oldest is evicted beyond. */
#define PP_RATE_ENTRIES_MAX 16384u
/* Independent locks per table: contention stays low with 16 workers. */
#define PP_RATE_STRIPES 16u
/* Slots a key may occupy from its home slot: bounds every lookup. */
#define PP_RATE_PROBE 8u
/* Shared counters (rate buckets and lockout entries of several servers on
** one database, core/counters.c) nobody touched for this long are purged by
** the expiry pass: an hour is past every lock (PP_LOGIN_LOCK_MAX_S plus
** the window); a bucket slower to refill than that is kept until it is
** full again. At most PP_COUNTERS_PURGE_BATCH rows per pass. */
#define PP_COUNTERS_IDLE_S 3600
#define PP_COUNTERS_PURGE_BATCH 1000
/* Longest Idempotency-Key (printable ASCII), as the common APIs allow. */
#define PP_IDEMPOTENCY_KEY_BYTES_MAX 255
/* Hours a stored key (and its answer) is kept: the contract's floor of
** 24 h is also the default; up to a year. --idempotency-ttl-h. */
#define PP_IDEMPOTENCY_TTL_H_DEFAULT 24
#define PP_IDEMPOTENCY_TTL_H_MIN 24
#define PP_IDEMPOTENCY_TTL_H_MAX 8760
/* Seconds between purges of expired keys, and keys deleted per purge
** transaction (short transactions keep the writer responsive). */
#define PP_IDEMPOTENCY_PURGE_INTERVAL_S 300
#define PP_IDEMPOTENCY_PURGE_BATCH 1000
/* Several servers on one database purge one at a time: the node holding
** the purge lease (core/idempotency.c), renewed every purge, for this many
** intervals, so a holder that misses a round keeps it and one that died
** hands over within 15 minutes (a late purge only keeps keys longer). */
#define PP_IDEMPOTENCY_PURGE_LEASE_INTERVALS 3
/* Seconds a request waits for another one holding its key before giving
** up with 409; a handler finishes far sooner. */
#define PP_IDEMPOTENCY_WAIT_S 30
/* Largest answer stored for replay. A 10,000-payout list answer is ~6 MiB;
** a larger answer is not stored (the key then reports the answer lost). */
#define PP_IDEMPOTENCY_RESPONSE_BYTES_MAX (16u * 1024u * 1024u)
/* Audit log pages: default and largest size. */
#define PP_AUDIT_PAGE_SIZE_DEFAULT 20
#define PP_AUDIT_PAGE_SIZE_MAX 100
/* Audit entry text, as 0003_audit.sql bounds it: the action name, the
** subject (a bulk action names every payout it changed, "payout:1,2,...",
** so it holds hundreds of ids before it is cut with "...") and the
** detail (amounts and currencies, never free text of a client). */
#define PP_AUDIT_ACTION_BYTES_MAX 64
#define PP_AUDIT_SUBJECT_BYTES_MAX 4096
#define PP_AUDIT_DETAIL_BYTES_MAX 512
/* Balances GET /api/balances answers: one per currency ever funded, and
** the supported ISO 4217 table (core/currencies.c) has fewer codes. */
#define PP_BALANCES_MAX 256
/* Largest audit page number: (page - 1) * size stays far inside int64_t
** and the store's OFFSET; a log that deep does not exist. */
#define PP_AUDIT_PAGE_MAX 1000000000

/* --- Lifecycle: authorization, expiry, metadata ------------------------ */

/* Per-currency authorization thresholds: one per currency of the built-in
** ISO 4217 table (about 180 codes), so an admin can set every one. */
#define PP_AUTH_THRESHOLDS_MAX 200
/* The stored policy text: "above " plus "XXX=<15 digits>," per threshold. */
#define PP_AUTH_POLICY_TEXT_BYTES (16 + PP_AUTH_THRESHOLDS_MAX * 24)
/* Default milliseconds between two expiry passes (--expiry-interval-ms):
** a payout is expired at most about a second after its endDate. */
#define PP_EXPIRY_INTERVAL_MS_DEFAULT 1000
/* Ceiling for --expiry-interval-ms: a day. */
#define PP_EXPIRY_INTERVAL_MS_MAX (24L * 3600L * 1000L)
/* Payouts expired per transaction: a few hundred keep each writer batch
** short (about a millisecond of work) while a backlog of a million after a
** long stop still clears in seconds. */
#define PP_EXPIRY_BATCH_MAX 256
/* Batches per expiry pass; a larger backlog continues on the next pass. */
#define PP_EXPIRY_BATCHES_PER_PASS_MAX 4096
/* Several servers on one database run expiry one at a time: the node
** holding the expiry lease (a row with an expiry time on the database's
** clock, core/expiry.c) runs the pass and renews it every pass. The lease
** lasts PP_EXPIRY_LEASE_INTERVALS intervals and at least
** PP_EXPIRY_LEASE_MIN_MS, so a holder that misses a renewal or two keeps
** it, and a node that died hands over within that time. */
#define PP_EXPIRY_LEASE_INTERVALS 3
#define PP_EXPIRY_LEASE_MIN_MS 5000
/* Metadata object limits (the compact text is capped by
** PP_METADATA_BYTES_MAX): a few dozen flat keys of the integrator's own. */
#define PP_METADATA_KEYS_MAX 32
#define PP_METADATA_KEY_BYTES_MAX 40
#define PP_METADATA_STRING_BYTES_MAX 500

/* --- Reads: list pages, cursors, CSV export ------------------------------- */

/* Page size of the list endpoints (payments, recipients, projects, ledger):
** default and largest. 100 payouts are ~60 KiB of JSON. */
#define PP_PAGE_SIZE_DEFAULT 25
#define PP_PAGE_SIZE_MAX 100
/* Rows a `page=N` request may skip ((N-1) * size). OFFSET walks every
** skipped row, so deep pages go through the keyset cursor, whose cost does
** not grow with depth; 100,000 rows (~10 ms) bounds what one request costs. */
#define PP_PAGE_OFFSET_MAX 100000
/* ids in one `ids=` filter. */
#define PP_READ_IDS_MAX 100
/* Longest `cursor=` text: base64url of a 40-byte payload is 54 characters. */
#define PP_CURSOR_TEXT_BYTES 64
/* Rows a CSV export reads per reader acquisition: a connection is never
** held for a whole download, and a chunk (~300 KiB of CSV) keeps memory flat. */
#define PP_EXPORT_CHUNK_ROWS 500
/* Prepared list statements each read connection keeps, one per filter shape
** (which filters, order, direction). Real clients use a handful of shapes;
** past this, the least recently prepared is replaced. */
#define PP_READ_SHAPES 48
/* Totals (COUNT) each read connection remembers for the database version it
** last saw, so repeated pages of one list do not count again until a write. */
#define PP_READ_TOTALS_MEMO 8
/* Canonical bytes of the largest list filter (16 fields and the ids). */
#define PP_READ_FILTER_KEY_BYTES ((16 + PP_READ_IDS_MAX) * 8)

/* --- Users: two-factor codes, sealed secrets, browser sessions, webhooks -- */

/* TOTP (RFC 6238, spec §7): 30-second steps and 6 digits are what every
** authenticator app assumes when a setup URI says nothing else, and one step
** of drift either way forgives a phone clock that is up to a minute off
** without widening the window a guess has much (3 codes in 10^6). */
#define PP_TOTP_STEP_S 30
#define PP_TOTP_DIGITS 6
#define PP_TOTP_DRIFT_STEPS 1
/* A new two-factor secret: 160 bits, the size RFC 4226 recommends and the
** output size of HMAC-SHA1, so the key is never padded or hashed first.
** Its base32 text is 32 characters exactly (no padding). */
#define PP_TOTP_SECRET_BYTES 20
/* Largest two-factor secret accepted: the HMAC-SHA1 block size; a longer
** key would be hashed before use, which no authenticator app expects. */
#define PP_TOTP_SECRET_BYTES_MAX 64
/* Longest issuer put in an otpauth:// URI ("payout-panel" or an operator's
** name for it): authenticator apps show it on one line. */
#define PP_OTPAUTH_ISSUER_BYTES_MAX 64
/* An otpauth:// URI: the fixed text (under 128 bytes), the issuer twice and
** the e-mail once, each percent-encoded at worst as 3 bytes per byte, the
** base32 secret and the NUL. */
#define PP_OTPAUTH_URI_BYTES                                                                       \
    (128 + 6 * PP_OTPAUTH_ISSUER_BYTES_MAX + 3 * PP_EMAIL_BYTES_MAX + 2 * PP_TOTP_SECRET_BYTES_MAX)

/* Server master secret from which sealing keys are derived (HKDF-SHA256):
** at least the 256 bits of the AES-256 key it yields, at most what a key
** file reasonably holds. */
#define PP_SEAL_MASTER_BYTES_MIN 32
#define PP_SEAL_MASTER_BYTES_MAX 1024
/* Largest secret sealed at rest (two-factor and webhook secrets are 20 to
** 64 bytes): keeps a sealed text short enough for one database column. */
#define PP_SEAL_PLAIN_BYTES_MAX 1024

/* Browser session id and CSRF token: 256 bits from the CSPRNG each, twice
** the 128 bits spec §7 asks as a floor, as 43 base64url characters. */
#define PP_SESSION_ID_BYTES 32
#define PP_CSRF_TOKEN_BYTES 32
/* Longest cookie name the Set-Cookie builder accepts ("__Host-" prefix
** included); ours is a short constant. */
#define PP_COOKIE_NAME_BYTES_MAX 64
/* Longest cookie value the builder writes; ours is a 43-character id. */
#define PP_COOKIE_VALUE_BYTES_MAX 128
/* Largest Max-Age written: a session ends after at most --session-max-s,
** and 400 days is the ceiling browsers apply to any cookie anyway. */
#define PP_COOKIE_MAX_AGE_S_MAX (400L * 24L * 3600L)
/* Longest Cookie: header the parser reads; the HTTP layer's header bound. */
#define PP_COOKIE_HEADER_BYTES_MAX PP_HEADER_BYTES_MAX

/* Panel users (spec §7). The user list is answered in one page and a panel
** team is a handful of people, so 1,000 is a ceiling nobody meets and keeps
** the list's answer under 300 KiB. */
#define PP_USERS_MAX 1000
/* A sealed two-factor secret (PP_TOTP_SECRET_BYTES_MAX sealed: "v1.", the
** nonce and ciphertext with tag in base64url) fits in one column of 255. */
#define PP_TOTP_SEALED_BYTES 256
/* Browser sessions: 30 minutes idle and 12 hours in all by default (spec
** §7), as flags --session-idle-s and --session-max-s; at most the cookie's
** ceiling. */
#define PP_SESSION_IDLE_S_DEFAULT (30 * 60)
#define PP_SESSION_MAX_S_DEFAULT (12 * 3600)
#define PP_SESSION_S_MAX PP_COOKIE_MAX_AGE_S_MAX
/* A session's last-seen time is written at most once per this many
** seconds (and at least 10 times per idle period), so a panel polling
** every second does not turn every read into a write. Idle expiry is
** therefore late by at most this much. */
#define PP_SESSION_TOUCH_S_MAX 60
/* Expired sessions removed per sign-in: bounded work on the sign-in path;
** sign-ins outnumber expiries, so the table stays small. */
#define PP_SESSION_PURGE_BATCH 64
/* Sessions kept per user: a new sign-in past this ends the oldest. */
#define PP_SESSIONS_PER_USER_MAX 32
/* The issuer shown by authenticator apps for the panel's codes. */
#define PP_OTPAUTH_ISSUER "payout-panel"

/* The stored text of an endpoint's event types (",a,b,", store/event_types.c),
** with its NUL: every type's name with its comma fits with room to spare
** (the longest names are about 20 bytes, and there are a handful). */
#define PP_EVENT_TYPES_TEXT_BYTES 600

/* Webhook secrets (Standard Webhooks 1.0, spec §9): "whsec_" and base64 of
** 32 random bytes for new ones; a secret given to the signer may decode to
** 24 to 64 bytes, the range that specification allows. */
#define PP_WEBHOOK_SECRET_BYTES 32
#define PP_WEBHOOK_SECRET_BYTES_MIN 24
#define PP_WEBHOOK_SECRET_BYTES_MAX 64

/* --- Outbound: webhook deliveries and recipient e-mail (spec §9) -------- */

/* Entries in a CIDR list flag (--webhook-allow-cidrs, --trusted-proxies):
** an operator names a handful of ranges (a loopback test receiver, one
** private network, the load balancers' subnet); 64 is far beyond that and
** keeps each check (at connect time, per request) a short linear scan. */
#define PP_CIDR_LIST_MAX 64
/* Longest CIDR list text: 64 IPv6 CIDRs of at most 43 characters each and
** their commas. */
#define PP_CIDR_LIST_TEXT_BYTES_MAX (PP_CIDR_LIST_MAX * 44)
/* A delivery must be answered within 10 s (spec §9); libcurl's whole
** transfer, connection included, is bound by it. */
#define PP_WEBHOOK_TIMEOUT_MS 10000L
/* Bytes of a receiver's answer read (spec §9): enough for any error text a
** person would look at; the rest is not downloaded. */
#define PP_WEBHOOK_ANSWER_BYTES_MAX (64u * 1024u)
/* Steps in a --webhook-retry-ms schedule: the default has 7; 32 lets an
** operator spread attempts more finely without an unbounded table. */
#define PP_WEBHOOK_RETRY_STEPS_MAX 32
/* Longest --webhook-retry-ms text: 32 delays of up to 8 digits and commas. */
#define PP_WEBHOOK_RETRY_TEXT_BYTES_MAX (PP_WEBHOOK_RETRY_STEPS_MAX * 9)
/* Longest single retry delay: the default's longest step is 10 h; one day
** keeps a typo (an extra zero or three) from parking a delivery for weeks. */
#define PP_WEBHOOK_RETRY_DELAY_MS_MAX (24LL * 3600LL * 1000LL)
/* Jitter on a scheduled retry, in percent either way: endpoints that failed
** together do not all retry in the same second. */
#define PP_WEBHOOK_RETRY_JITTER_PCT 10
/* Longest wait a receiver may ask for with Retry-After: the same day as the
** longest step, so a receiver cannot park deliveries indefinitely. */
#define PP_WEBHOOK_RETRY_AFTER_MS_MAX PP_WEBHOOK_RETRY_DELAY_MS_MAX
/* Longest Retry-After value read: an HTTP-date is 29 characters. */
#define PP_WEBHOOK_RETRY_AFTER_TEXT_BYTES_MAX 64
/* An endpoint whose every attempt failed for this long is disabled
** (spec §9: 5 days). */
#define PP_WEBHOOK_DISABLE_AFTER_MS (5LL * 24LL * 3600LL * 1000LL)
/* Room for the reason a connection was refused ("203.0.113.9 is a
** documentation address ..."): an IPv6 text (46) and fixed words. */
#define PP_OUT_REASON_BYTES 160

/* A notification e-mail takes the project and description within the
** API's own field limits, so nothing is cut; the whole message stays a few
** KiB, far below what any SMTP server accepts. Longest amount text put in
** one: the API's amount text bound. */
#define PP_MAIL_AMOUNT_TEXT_BYTES_MAX PP_AMOUNT_TEXT_BYTES_MAX
/* Header lines are folded below 78 characters (RFC 5322 2.1.1) and an RFC
** 2047 encoded-word holds at most 75: 39 bytes of UTF-8 make 52 base64
** characters, a 64-character word, and "Subject: " and it fit in 73. */
#define PP_MAIL_ENCODED_WORD_BYTES 39
/* Quoted-printable body lines: 76 characters, the MIME maximum (RFC 2045
** 6.7), soft line break included. */
#define PP_MAIL_QP_LINE_CHARS 76
/* RFC 5321 4.5.3.1: local part at most 64 octets, a domain label 63. */
#define PP_MAIL_LOCAL_PART_BYTES_MAX 64
#define PP_MAIL_DOMAIN_LABEL_BYTES_MAX 63
/* One SMTP send (connection, STARTTLS, AUTH, one message): a few round
** trips; 30 s allows a slow relay and still frees the sender soon. */
#define PP_SMTP_TIMEOUT_MS 30000L
/* Room for the server's last reply line kept for the payout's record. */
#define PP_SMTP_REPLY_BYTES 256

/* --- Events, webhook endpoints and deliveries (spec section 9) ---------- */

/* Longest endpoint URL: what browsers and proxies reliably carry. */
#define PP_WEBHOOK_URL_BYTES_MAX 2048
/* Longest endpoint description: a sentence or two for the person who
** reads the list. */
#define PP_WEBHOOK_DESCRIPTION_BYTES_MAX 500
/* Endpoints a panel keeps (deleted ones not counted): every event is sent
** to each, so the fan-out of one commit stays bounded. */
#define PP_WEBHOOKS_MAX 32
/* A sealed secret ("v1." + nonce + ciphertext and tag in base64url) of a
** secret text of at most 6 + 88 characters stays well under this. */
#define PP_WEBHOOK_SEALED_BYTES 256
/* The old secret keeps signing beside the new one for 24 h after a
** rotation (spec section 9). */
#define PP_WEBHOOK_SECRET_OVERLAP_MS (24LL * 3600LL * 1000LL)
/* Events per page of GET /api/events: default and ceiling. */
#define PP_EVENTS_PAGE_SIZE_DEFAULT 100
#define PP_EVENTS_PAGE_SIZE_MAX 500
/* Attempts shown by GET /api/webhooks/{id}/deliveries (newest first). */
#define PP_WEBHOOK_ATTEMPTS_PAGE_MAX 100
/* Events one replay may queue: a larger period is refused with a message
** asking for a narrower one, so one request cannot flood the outbox. */
#define PP_WEBHOOK_REPLAY_MAX 10000
/* Deliveries in flight at once, in all and per endpoint: a slow receiver
** holds at most its own share, and the worker's sockets stay few. */
#define PP_WEBHOOK_INFLIGHT_MAX 32
#define PP_WEBHOOK_INFLIGHT_PER_ENDPOINT 4
/* Reading the notifications of many payouts at once (a list page, a
** created list) on SQLite: ids at most this many apart on average are
** read as one range of the notifications' index (a page in id order:
** every payout of the range, its own or not, costs one row at most per
** kind), others through a temporary index of the ids. */
#define PP_NOTIFY_RANGE_SPREAD 8
/* The delivery and mail threads run this much nicer than the request
** threads (a Linux thread's own niceness, nice(2) units): sending is
** background work whose timing nobody waits on, so while requests keep
** the cores busy they go first and the outbox catches up after. Measured
** with one endpoint on every create (make bench): the create run lost 12%
** at the same niceness; idle cores still run the outbox at full speed. */
#define PP_OUTBOX_NICE 10
/* The worker looks for due work at least this often even when no commit
** woke it (a retry whose time has come, a restart). */
#define PP_WEBHOOK_POLL_MS 1000
/* Stored length of an attempt's error text and of a disabled reason. */
#define PP_WEBHOOK_ERROR_BYTES_MAX 200
/* Largest event body sent: a payout object is at most a few KiB
** (description and metadata are the big fields). */
#define PP_EVENT_BODY_BYTES_MAX (16u * 1024u)
/* Notifications sent per pass of the mail thread before it records their
** results. */
#define PP_NOTIFY_BATCH 8
/* Several nodes on one PostgreSQL database: a node claims the deliveries
** it is about to send by moving their next attempt this far ahead, so no
** other node sends them meanwhile, and renews the claim of those still in
** flight each time it looks for due work (at least every
** PP_WEBHOOK_POLL_MS); a node that dies mid-send leaves them to the others
** once it runs out. A delivery's whole timeout and 5 s to record it: a
** claim never runs out under a transfer, and a crash delays its
** deliveries by at most this. */
#define PP_WEBHOOK_CLAIM_MS (PP_WEBHOOK_TIMEOUT_MS + 5000L)
/* The same for the notifications one pass of the mail thread sends, one
** after another: each SMTP send's timeout, and as much again to spare. */
#define PP_NOTIFY_CLAIM_MS (2L * PP_NOTIFY_BATCH * PP_SMTP_TIMEOUT_MS)

/* --- Command line (src/cli/) ------------------------------------------------ */

/* TCP port numbers are 16 bits; --port 0 asks the kernel for any free one. */
#define PP_PORT_MAX 65535
/* Smallest --body-max: a typo must not set a ceiling that refuses ordinary
** single-payout requests (a few hundred bytes each). */
#define PP_BODY_BYTES_MIN 1024
/* Read connections opened beside the HTTP worker threads' own, for reads
** made outside a worker (the expiry pass, the handler threads), so that
** they seldom make a worker wait. --threads stops at PP_READERS_MAX minus
** these. */
#define PP_READERS_SPARE 2
/* Worker threads when the number of cores cannot be read (sysconf fails):
** two keep one slow request from stalling every other. */
#define PP_THREADS_FALLBACK 2
/* Ceiling for --conn-timeout-s: an hour; a connection idle longer only
** holds a slot another client could use. */
#define PP_CONNECTION_TIMEOUT_S_MAX 3600
/* Ceiling for --max-connections and --per-ip-connections: each connection
** holds a file descriptor and up to PP_CONNECTION_MEMORY_BYTES, so 65536
** is about the largest descriptor limit hosts grant, and 1 GiB of
** connection memory. */
#define PP_CONNECTIONS_FLAG_MAX 65536
/* Largest PEM file read for --tls-cert/--tls-key: a long chain is ~10 KiB,
** so 256 KiB is generous and still bounds what a wrong path makes us read. */
#define PP_TLS_PEM_BYTES_MAX (256 * 1024)
/* The usage text (--help) is wrapped to fit a classic 80-column terminal;
** descriptions start at this column, right of the longest flag. */
#define PP_USAGE_COLUMNS 80
#define PP_USAGE_HELP_COLUMN 28
/* One entry of the usage text before wrapping (help, range, variable and
** default): the longest is under 200 bytes. */
#define PP_USAGE_ENTRY_BYTES 512
/* Rows of the option table (cli/options.c): the parser keeps one value per
** row on its stack. There are 22 today. */
#define PP_CLI_OPTIONS_MAX 40

/* The panel's files (src/ui/, http/panel.c). Longest path below /ui/<hash>/
** and most segments in it: the panel's own files are a few levels deep. */
#define PP_PANEL_PATH_BYTES_MAX 256
#define PP_PANEL_PATH_SEGMENTS_MAX 8
/* Largest file served from PAYOUT_UI_DIR (read whole for each request):
** the biggest panel file, a vendored module, is tens of kilobytes. */
#define PP_PANEL_FILE_BYTES_MAX (8L * 1024L * 1024L)

#endif /* PAYOUT_LIMITS_H */
