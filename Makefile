# Thin wrapper over CMake. `make run` and `make test` are the quick start:
# both install any missing Debian packages first (scripts/deps.sh).
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

# The sanitizer build (ASan + UBSan) and the valgrind run (docs/security.md).
BUILD_SAN ?= build-san
VALGRIND_TESTS ?= test_seed test_tls
VALGRIND_LOGS = $(BUILD)/valgrind

.PHONY: all deps build run test test-sanitize valgrind clean

all: build

deps:
	@scripts/deps.sh

build: deps
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	@mkdir -p var
	$(BUILD)/payout-panel serve

# The whole suite, then the whole suite again under ASan + UBSan.
test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)
	@$(MAKE) --no-print-directory test-sanitize

test-sanitize: deps
	@cmake -S . -B $(BUILD_SAN) -DPP_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD_SAN) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir $(BUILD_SAN) --output-on-failure -j $(JOBS)

# API tests with the server under valgrind memcheck: any error or definite
# leak fails the target. Slow (a PBKDF2 log-in takes ~30 s under valgrind),
# so it is not part of `make test`; pick tests with VALGRIND_TESTS=...
valgrind: build
	@scripts/deps.sh valgrind
	@rm -rf $(VALGRIND_LOGS) && mkdir -p $(VALGRIND_LOGS)
	@for t in $(VALGRIND_TESTS); do \
	  echo "valgrind: $$t"; \
	  PP_SERVER_BIN=$(CURDIR)/$(BUILD)/payout-panel PP_TEST_TMPDIR=$(CURDIR)/$(BUILD)/test-tmp \
	  PP_SERVER_WRAPPER="valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite --log-file=$(CURDIR)/$(VALGRIND_LOGS)/$$t-%p.log" \
	    $(BUILD)/tests/$$t || exit 1; \
	done
	@if grep -l -E "ERROR SUMMARY: [1-9]|definitely lost: [1-9]|Invalid (read|write)|uninitialised" $(VALGRIND_LOGS)/*.log; then \
	  echo "valgrind found errors (logs above)"; exit 1; fi
	@echo "valgrind: $$(ls $(VALGRIND_LOGS)/*.log | wc -l) server runs, 0 errors, no definite leaks"

clean:
	rm -rf $(BUILD) $(BUILD_SAN)

# Benchmark against the machine's own ceiling (docs/performance.md) and the
# memory soak; neither is part of `make test`. SOAK_SECONDS=600 by default.
.PHONY: bench soak
bench: deps
	@scripts/bench.sh

soak: deps
	@scripts/soak.sh
