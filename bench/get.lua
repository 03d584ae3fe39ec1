-- GET /api/payments/{id} for ids spread over BENCH_ID_MIN..BENCH_ID_MAX
-- (a different id on every request, from a per-thread random sequence).
local common = dofile(os.getenv("BENCH_DIR") .. "/common.lua")
setup = common.setup
done = common.done

local lo = tonumber(os.getenv("BENCH_ID_MIN") or "1")
local hi = tonumber(os.getenv("BENCH_ID_MAX") or "1000")
local headers = { ["x-access-token"] = common.token }

function init(args)
  math.randomseed((thread_no or 1) * 7919 + os.time())
end

function request()
  return wrk.format("GET", "/api/payments/" .. math.random(lo, hi), headers)
end
