-- Shared by the wrk scripts of `make bench`: reads the settings the
-- script passes in the environment and prints one machine-readable
-- result line when wrk is done. Loaded with dofile(BENCH_DIR .. "/common.lua").
local common = {}

-- The API key (or admin token) every authenticated script sends.
common.token = os.getenv("BENCH_TOKEN") or ""

-- Gives each wrk thread a number (1, 2, ...) so that request bodies built
-- from a per-thread counter are unique across threads.
local next_id = 0
function common.setup(thread)
  next_id = next_id + 1
  thread:set("thread_no", next_id)
end

-- One line the bench script parses: rate, latency percentiles (µs), and
-- every kind of failure wrk counts. wrk's "status" errors are answers
-- with a status of 400 or more; the server sends no 1xx/3xx.
function common.done(summary, latency, requests)
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "BENCH requests=%d seconds=%.3f rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
    "non2xx=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.status, e.connect, e.read, e.write, e.timeout))
end

return common
