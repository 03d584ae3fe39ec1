# Thin wrapper over CMake. `make run` and `make test` are the quick start:
# both install any missing Debian packages first (scripts/deps.sh).
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

# The sanitizer build (ASan + UBSan) and the valgrind run (docs/security.md).
BUILD_SAN ?= build-san
# Every API test of the SQLite run (test_logs last: it reads the logs the
# others left); the PostgreSQL-only ones (pp_api_postgres_only in
# tests/CMakeLists.txt) need the test cluster, which this target does not start.
VALGRIND_PG_ONLY = test_nodes test_nodes_outbox test_pg_faults test_recipients_ahead
VALGRIND_TESTS ?= $(filter-out test_logs $(VALGRIND_PG_ONLY),$(notdir $(basename $(wildcard tests/api/test_*.c)))) test_logs
VALGRIND_LOGS = $(BUILD)/valgrind

.PHONY: all deps test-deps build run test test-sanitize valgrind clean

all: build

deps:
	@scripts/deps.sh

# What only the tests need besides (chromium, node, the SMTP sink, ...).
test-deps:
	@scripts/deps.sh --test

build: deps
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	@mkdir -p var
	$(BUILD)/payout-panel serve

# The whole suite, then the whole suite again under ASan + UBSan. First the
# pinned OpenAPI linters of package-lock.json (npm ci, only when node_modules
# is missing or older than the lock file).
test: test-deps build
	@scripts/npm-ci.sh
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)
	@$(MAKE) --no-print-directory test-sanitize

# Not repeated under the sanitizers: the browser walks through every
# screen (ui.screens, ui.flows, ui.webhooks). They drive API routes the
# API suite already runs under ASan on both backends; what they test is
# the browser side, which the sanitizers do not see. The panel's own
# answers (ui.panel) and the other browser tests are repeated.
SAN_SKIP ?= ^ui\.(screens|flows|webhooks)$$

test-sanitize: test-deps
	@cmake -S . -B $(BUILD_SAN) -DPP_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD_SAN) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir $(BUILD_SAN) --output-on-failure -j $(JOBS) -E '$(SAN_SKIP)'

# API tests with the server under valgrind memcheck: any error or definite
# leak fails the target. The servers hash the admin password with
# VALGRIND_PASSWORD_ITERATIONS PBKDF2 iterations (a log-in at the default
# 600,000 takes ~30 s under valgrind); pick tests with VALGRIND_TESTS=...
VALGRIND_PASSWORD_ITERATIONS ?= 1000
valgrind:
	@scripts/deps.sh valgrind
	@# After valgrind: its header tells it where the fibers' stacks are (src/base/fiber.c).
	@$(MAKE) --no-print-directory build
	@rm -rf $(VALGRIND_LOGS) && mkdir -p $(VALGRIND_LOGS)
	@for t in $(VALGRIND_TESTS); do \
	  echo "valgrind: $$t"; start=$$(date +%s); \
	  PAYOUT_PASSWORD_ITERATIONS=$(VALGRIND_PASSWORD_ITERATIONS) \
	  PP_SERVER_BIN=$(CURDIR)/$(BUILD)/payout-panel PP_TEST_TMPDIR=$(CURDIR)/$(BUILD)/test-tmp \
	  PP_SERVER_WRAPPER="valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite --log-file=$(CURDIR)/$(VALGRIND_LOGS)/$$t-%p.log" \
	    $(BUILD)/tests/$$t >$(VALGRIND_LOGS)/$$t.out 2>&1 || { tail -40 $(VALGRIND_LOGS)/$$t.out; exit 1; }; \
	  echo "  passed in $$(( $$(date +%s) - start )) s"; \
	done
	@# --quiet: a log holds only what valgrind found, so a clean run leaves every log empty.
	@n=$$(ls $(VALGRIND_LOGS)/*.log 2>/dev/null | wc -l); [ "$$n" -gt 0 ] || { echo "valgrind: no server ran under valgrind"; exit 1; }; \
	if find $(VALGRIND_LOGS) -name '*.log' -size +0 | grep .; then \
	  echo "valgrind found errors or definite leaks (logs above)"; exit 1; fi; \
	echo "valgrind: $$n server runs, 0 errors, no definite leaks"

clean:
	rm -rf $(BUILD) $(BUILD_SAN) $(BUILD_FUZZ)

# libFuzzer targets (tests/fuzz/, docs/security.md), built with clang in
# $(BUILD_FUZZ) (ASan + UBSan) and each run for FUZZ_SECONDS. New coverage
# goes to $(BUILD_FUZZ)/corpus/<target>; a crashing input is written to
# tests/fuzz/corpus/<target>/ (a regression case that `make test` replays)
# and fails the target. Not part of `make test`.
BUILD_FUZZ ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang-14
FUZZ_TARGETS ?= body money dates token router csv query
FUZZ_MAX_LEN_body = 4096
FUZZ_MAX_LEN_money = 64
FUZZ_MAX_LEN_dates = 96
FUZZ_MAX_LEN_token = 2200
FUZZ_MAX_LEN_router = 1100
FUZZ_MAX_LEN_csv = 4096
FUZZ_MAX_LEN_query = 1024

.PHONY: fuzz
fuzz:
	@scripts/deps.sh clang-14 libclang-rt-14-dev
	@CC=$(FUZZ_CC) cmake -S . -B $(BUILD_FUZZ) -DPP_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD_FUZZ) -j $(JOBS) --target $(addprefix fuzz_,$(FUZZ_TARGETS))
	@failed=""; for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(BUILD_FUZZ)/corpus/$$t; \
	  echo "fuzz: $$t for $(FUZZ_SECONDS) s (log: $(BUILD_FUZZ)/fuzz-$$t.log)"; \
	  case $$t in body) m=$(FUZZ_MAX_LEN_body);; money) m=$(FUZZ_MAX_LEN_money);; \
	    dates) m=$(FUZZ_MAX_LEN_dates);; token) m=$(FUZZ_MAX_LEN_token);; \
	    router) m=$(FUZZ_MAX_LEN_router);; csv) m=$(FUZZ_MAX_LEN_csv);; *) m=$(FUZZ_MAX_LEN_query);; esac; \
	  $(BUILD_FUZZ)/tests/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=$$m -timeout=10 \
	    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=tests/fuzz/corpus/$$t/ \
	    $(BUILD_FUZZ)/corpus/$$t tests/fuzz/corpus/$$t >$(BUILD_FUZZ)/fuzz-$$t.log 2>&1 \
	    || failed="$$failed $$t"; \
	  echo "  $$(grep -E '^Done [0-9]+ runs' $(BUILD_FUZZ)/fuzz-$$t.log || echo 'stopped early: see the log')"; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: crashes in:$$failed (inputs in tests/fuzz/corpus/<target>/)"; exit 1; fi; \
	echo "fuzz: no crashes"

# Benchmark against the machine's own ceiling (docs/performance.md) and the
# memory soak; neither is part of `make test`. SOAK_SECONDS=600 by default.
.PHONY: bench soak profile
bench: deps
	@scripts/bench.sh
# Where a create's time goes: perf over the create run (bench/profile.sh).
profile: deps
	@bench/profile.sh

soak: deps
	@scripts/soak.sh
