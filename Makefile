# The front door. `make run` and `make test` work on a fresh Debian 12 machine:
# each installs what is missing (apt), builds, and runs.
SHELL := /bin/bash
JOBS ?= $(shell nproc)
BUILD ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 120
CHAOS_CYCLES ?= 20
LOAD_SECONDS ?= 60
CMAKE_GEN := $(shell command -v ninja >/dev/null 2>&1 && echo "-G Ninja")
WERROR := $(if $(CI),ON,OFF)

.PHONY: deps build build-asan run test check-all bench clean conformance docker-test fuzz chaos load

deps:
	@scripts/install-deps

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTEPD_WERROR=$(WERROR)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

$(ASAN_BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(ASAN_BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug \
	  -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" -DSTEPD_SANITIZE="address;undefined" \
	  -DSTEPD_WERROR=$(WERROR) -DSTEPD_BUILD_BENCH=OFF

build-asan: deps $(ASAN_BUILD)/CMakeCache.txt
	cmake --build $(ASAN_BUILD) -j $(JOBS)

# Starts the server on its embedded defaults (127.0.0.1:8080, ./data/stepd.db).
run: build
	$(BUILD)/src/stepd serve $(ARGS)

# What CI runs: the AddressSanitizer + UBSan build and every suite that fits
# in 30 minutes on 2 cores (all but those labelled heavy). -g1: line tables
# are all the sanitizers' reports need, and full debug info doubles the
# compile time.
ASAN_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1
test: build-asan
	$(ASAN_ENV) ctest --test-dir $(ASAN_BUILD) -j $(JOBS) --output-on-failure --timeout 600 -LE heavy

# Heavier suites: everything in `make test`, each fuzz harness for
# FUZZ_SECONDS, CHAOS_CYCLES kill-and-restart cycles, a LOAD_SECONDS flood, the store, HTTP and
# runtime suites (the layers with threads) under ThreadSanitizer, and the container image built and
# run (docker-test).
TSAN_SUITES := stepd_store_tests stepd_http_tests stepd_runtime_tests
check-all: test fuzz chaos load
	$(ASAN_ENV) ctest --test-dir $(ASAN_BUILD) -j $(JOBS) --output-on-failure --timeout 1200 -L heavy
	@scripts/install-deps
	cmake -S . -B $(TSAN_BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug \
	  -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" -DSTEPD_SANITIZE=thread -DSTEPD_BUILD_BENCH=OFF
	cmake --build $(TSAN_BUILD) -j $(JOBS) --target $(TSAN_SUITES)
	TSAN_OPTIONS=halt_on_error=1 ctest --test-dir $(TSAN_BUILD) -j $(JOBS) --output-on-failure \
	  --timeout 900 -L '^unit_(store|http|runtime)$$'
	@scripts/docker-test

# Builds docker/Dockerfile with podman, runs it and proves it works (health
# check, AWS API, Looker, restart on the same volume, backup, compose), then
# removes what it started. Part of check-all.
docker-test:
	@scripts/docker-test

# libFuzzer (clang, AddressSanitizer) on every harness of tests/fuzz for
# FUZZ_SECONDS each, two at a time, from the checked-in corpora; what they
# find is kept in $(FUZZ_BUILD)/fuzz-artifacts and fails the run. `make test`
# replays the same corpora with a few thousand mutations under ASan + UBSan.
fuzz:
	@scripts/install-deps fuzz
	cmake -S . -B $(FUZZ_BUILD) $(CMAKE_GEN) -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug \
	  -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" -DSTEPD_SANITIZE=address -DSTEPD_FUZZ=ON \
	  -DSTEPD_BUILD_BENCH=OFF -DSTEPD_CONSOLE=OFF
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target stepd_fuzz_all
	@scripts/fuzz-run $(FUZZ_BUILD) $(FUZZ_SECONDS) $(JOBS)

# A real server SIGKILLed and restarted CHAOS_CYCLES times under a mixed
# workload (tests/chaos/run; make test runs 3 cycles). The ASan build, so a
# memory error at a bad moment is caught too. Pass SEED=n to replay a run.
chaos: build-asan
	tests/chaos/run $(ASAN_BUILD)/src/stepd --cycles $(CHAOS_CYCLES) $(if $(SEED),--seed $(SEED))

# The load and abuse test with a LOAD_SECONDS flood (make test: 8 s).
load: build-asan
	tests/load/run $(ASAN_BUILD)/src/stepd --seconds $(LOAD_SECONDS)

bench: build
	@bench/run-all

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(FUZZ_BUILD)
