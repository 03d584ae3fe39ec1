-- The ceiling for create: POST /echo on bench/ceiling.c with the same
-- kind of ~330-byte body as create.lua (parsed with jansson, echoed).
local common = dofile(os.getenv("BENCH_DIR") .. "/common.lua")
setup = common.setup
done = common.done

local n = 0
local headers = { ["Content-Type"] = "application/json" }

function request()
  n = n + 1
  local k = n % 10000
  local body = string.format(
    '{"amount":%d.%02d,"currency":"GBP","startDate":"2018-01-01 12:00:00",' ..
    '"endDate":"2031-01-02 00:00:00","name":"Bench project %d",' ..
    '"description":"Bench payout %d-%d","userName":"user%d","phoneNumber":"+4470%08d",' ..
    '"referenceId":%d,"firstName":"Test","lastName":"Tester","email":"user%d@example.test",' ..
    '"notification":true}',
    1 + n % 97, n % 100, k % 10, thread_no or 1, n, k, k, k + 1, k)
  return wrk.format("POST", "/echo", headers, body)
end
