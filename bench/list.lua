-- One filtered page of GET /api/payments, the same URL every time:
-- BENCH_PATH is the path and query (the first page, or a deep page the
-- bench script reached by following cursors).
local common = dofile(os.getenv("BENCH_DIR") .. "/common.lua")
setup = common.setup
done = common.done

local path = os.getenv("BENCH_PATH") or "/api/payments"
local headers = { ["x-access-token"] = common.token }

function request()
  return wrk.format("GET", path, headers)
end
