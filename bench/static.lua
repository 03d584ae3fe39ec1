-- The ceiling for reads: GET /static on bench/ceiling.c.
local common = dofile(os.getenv("BENCH_DIR") .. "/common.lua")
setup = common.setup
done = common.done
wrk.method = "GET"
wrk.path = "/static"
