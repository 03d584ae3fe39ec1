-- POST /api/authenticate with the authentication password (each answer
-- is a newly signed 24-hour API key). Env: BENCH_API_PASSWORD.
local common = dofile(os.getenv("BENCH_DIR") .. "/common.lua")
setup = common.setup
done = common.done

local body = '{"apiKey":"' .. (os.getenv("BENCH_API_PASSWORD") or "") .. '"}'
local headers = { ["Content-Type"] = "application/json" }

function request()
  return wrk.format("POST", "/api/authenticate", headers, body)
end
