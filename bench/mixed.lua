-- The soak's traffic: out of every 100 requests, 30 creates, 50 reads by
-- id (1..BENCH_ID_MAX), 19 list pages (BENCH_PATH) and 1 authenticate
-- (rare: the log-in lockout counts attempts in flight from one address).
local common = dofile(os.getenv("BENCH_DIR") .. "/common.lua")
setup = common.setup
done = common.done

local n = 0
local hi = tonumber(os.getenv("BENCH_ID_MAX") or "1000")
local list_path = os.getenv("BENCH_PATH") or "/api/payments"
local auth_body = '{"apiKey":"' .. (os.getenv("BENCH_API_PASSWORD") or "") .. '"}'
local json = { ["Content-Type"] = "application/json", ["x-access-token"] = common.token }
local plain = { ["x-access-token"] = common.token }

function init(args)
  math.randomseed((thread_no or 1) * 104729 + os.time())
end

function request()
  n = n + 1
  local slot = n % 100
  if slot < 30 then
    local k = math.random(1, 10000)
    local body = string.format(
      '{"amount":%d,"currency":"GBP","startDate":"2018-01-01","endDate":"2031-01-01",' ..
      '"name":"Soak %d","description":"Soak payout %d-%d","referenceId":%d,"notification":false}',
      1 + n % 50, k % 10, thread_no or 1, n, k)
    return wrk.format("POST", "/api/payment/create", json, body)
  elseif slot < 80 then
    return wrk.format("GET", "/api/payments/" .. math.random(1, hi), plain)
  elseif slot < 99 then
    return wrk.format("GET", list_path, plain)
  end
  return wrk.format("POST", "/api/authenticate", { ["Content-Type"] = "application/json" },
    auth_body)
end
