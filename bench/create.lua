-- POST /api/payment/create with a different body on every request (the
-- description and amount change; recipients cycle through 10,000 so that
-- both "found" and "created" recipients occur). About 330 bytes, like the
-- seed API's own example. Env: BENCH_TOKEN, BENCH_DIR.
local common = dofile(os.getenv("BENCH_DIR") .. "/common.lua")
setup = common.setup
done = common.done

local n = 0
local base = 0
local headers = {
  ["Content-Type"] = "application/json",
  ["x-access-token"] = common.token,
}

function init(args)
  base = (thread_no or 1) * 100000000 + math.floor(os.time() % 100000) * 1000
end

function request()
  n = n + 1
  local k = (base + n) % 10000
  local body = string.format(
    '{"amount":%d.%02d,"currency":"GBP","startDate":"2018-01-01 12:00:00",' ..
    '"endDate":"2031-01-02 00:00:00","name":"Bench project %d",' ..
    '"description":"Bench payout %d-%d","userName":"user%d","phoneNumber":"+4470%08d",' ..
    '"referenceId":%d,"firstName":"Test","lastName":"Tester","email":"user%d@example.test",' ..
    '"notification":true}',
    1 + n % 97, n % 100, k % 10, thread_no or 1, n, k, k, k + 1, k)
  return wrk.format("POST", "/api/payment/create", headers, body)
end
